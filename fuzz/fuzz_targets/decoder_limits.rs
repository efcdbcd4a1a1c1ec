//! Images that declare any size at all, up to 4 billion pixels a side, in a few bytes: a
//! PNG header, a real JPEG with its frame size rewritten, a GIF screen, a BMP header. Every
//! decoder must refuse what it cannot afford before allocating it: scripts/fuzz.sh runs
//! this target with a malloc limit, so one oversized allocation is a finding.
#![no_main]

use libfuzzer_sys::fuzz_target;

/// A real JPEG (with EXIF and an embedded thumbnail) whose frame header gets rewritten.
const JPEG: &[u8] =
    include_bytes!("../../../shared/testdata/photos/exif-samples/jpg__Canon_40D.jpg");

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let body: Vec<u8> = kind.iter().chain(data).copied().collect();
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
}

fn png(width: u32, height: u32, depth: u8, colour: u8, rest: &[u8]) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[depth, colour, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", rest);
    chunk(&mut out, b"IEND", b"");
    out
}

fn jpeg(width: u16, height: u16) -> Vec<u8> {
    let mut bytes = JPEG.to_vec();
    let mut at = 2;
    while at + 9 < bytes.len() && !matches!(bytes[at + 1], 0xC0..=0xC2) {
        at += 2 + u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]) as usize;
    }
    if at + 9 < bytes.len() {
        bytes[at + 5..at + 7].copy_from_slice(&height.to_be_bytes());
        bytes[at + 7..at + 9].copy_from_slice(&width.to_be_bytes());
    }
    bytes
}

fn gif(width: u16, height: u16, rest: &[u8]) -> Vec<u8> {
    let mut out = b"GIF89a".to_vec();
    out.extend_from_slice(&width.to_le_bytes());
    out.extend_from_slice(&height.to_le_bytes());
    out.extend_from_slice(&[0, 0, 0, 0x2C, 0, 0, 0, 0]);
    out.extend_from_slice(&width.to_le_bytes());
    out.extend_from_slice(&height.to_le_bytes());
    out.push(0);
    out.extend_from_slice(rest);
    out.push(0x3B);
    out
}

fn bmp(width: i32, height: i32, rest: &[u8]) -> Vec<u8> {
    let mut out = b"BM".to_vec();
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&54u32.to_le_bytes());
    out.extend_from_slice(&40u32.to_le_bytes());
    out.extend_from_slice(&width.to_le_bytes());
    out.extend_from_slice(&height.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&24u16.to_le_bytes());
    out.extend_from_slice(&[0; 24]);
    out.extend_from_slice(rest);
    out
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 11 {
        return;
    }
    let width = u32::from_le_bytes([data[0], data[1], data[2], data[3]]);
    let height = u32::from_le_bytes([data[4], data[5], data[6], data[7]]);
    let rest = &data[11..];
    let image = match data[8] % 4 {
        0 => png(width, height, data[9], data[10], rest),
        1 => jpeg(width as u16, height as u16),
        2 => gif(width as u16, height as u16, rest),
        _ => bmp(width as i32, height as i32, rest),
    };
    let _ = keepsake_core::untrusted_input::analyse_photo(&image);
});

//! Decoders, one per family of formats. Each returns an RGB image no larger than needed for
//! the largest rendition (decoding at reduced scale where the format allows), plus the
//! full size of the original so the catalog records the real dimensions.

use super::budget::{check_bytes, check_pixels, reserve};
use super::pixels::Rgb;
use libheif_rs::{ColorSpace, HeifContext, LibHeif, RgbChroma};

pub struct Decoded {
    pub image: Rgb,
    /// The embedded ICC colour profile, if any.
    pub icc: Option<Vec<u8>>,
    /// Size of the original, before any reduced-scale decode (and before orientation).
    pub full_width: u32,
    pub full_height: u32,
}

/// JPEG through libjpeg-turbo, using its DCT scaling (1/2, 1/4, 1/8) to decode no more
/// pixels than `min_side` requires. CMYK and other exotic JPEGs fall back to `image`.
pub fn jpeg(bytes: &[u8], min_long_side: u32) -> Result<Decoded, String> {
    let mut decompressor = turbojpeg::Decompressor::new().map_err(|e| e.to_string())?;
    let header = decompressor
        .read_header(bytes)
        .map_err(|e| format!("JPEG header: {e}"))?;
    let (w, h) = (header.width as u32, header.height as u32);
    if w == 0 || h == 0 {
        return Err("JPEG has no pixels".into());
    }
    check_pixels(w, h)?;
    // The smallest DCT scale whose long side still covers the largest rendition.
    let denom = [8u32, 4, 2, 1]
        .into_iter()
        .find(|d| w.max(h).div_ceil(*d) >= min_long_side)
        .unwrap_or(1);
    let (sw, sh) = (w.div_ceil(denom), h.div_ceil(denom));
    // A progressive JPEG keeps its coefficients for the whole image while decoding.
    let room = reserve(u64::from(sw) * u64::from(sh) * 3 + u64::from(w) * u64::from(h) / 4);
    let mut pixels = vec![0u8; sw as usize * sh as usize * 3];
    let image = turbojpeg::Image {
        pixels: &mut pixels[..],
        width: sw as usize,
        pitch: sw as usize * 3,
        height: sh as usize,
        format: turbojpeg::PixelFormat::RGB,
    };
    match decompressor.decompress(bytes, image) {
        Ok(()) => Ok(Decoded {
            image: Rgb::new(sw, sh, pixels)?,
            icc: super::icc::from_jpeg(bytes),
            full_width: w,
            full_height: h,
        }),
        // libjpeg-turbo cannot convert CMYK to RGB; `image` can. A truncated JPEG also
        // lands here and fails there too, with its own message.
        Err(turbo) => {
            drop(room); // `raster` takes its own, and waiting on ourselves would never end
            raster(bytes).map_err(|e| format!("{turbo}; {e}"))
        }
    }
}

/// PNG, WebP, GIF (first frame), TIFF, BMP, and the JPEG fallback, through `image`.
pub fn raster(bytes: &[u8]) -> Result<Decoded, String> {
    let reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| e.to_string())?;
    let mut decoder = reader.into_decoder().map_err(|e| e.to_string())?;
    let (w, h) = image::ImageDecoder::dimensions(&decoder);
    check_pixels(w, h)?;
    // 16-bit and alpha formats take up to 8 bytes a pixel before the RGB copy.
    check_bytes(image::ImageDecoder::total_bytes(&decoder))?;
    // The decoded image, and its RGB copy.
    let _room =
        reserve(image::ImageDecoder::total_bytes(&decoder) + u64::from(w) * u64::from(h) * 3);
    let icc = image::ImageDecoder::icc_profile(&mut decoder)
        .ok()
        .flatten();
    let decoded = image::DynamicImage::from_decoder(decoder).map_err(|e| e.to_string())?;
    let rgb = decoded.to_rgb8();
    let (w, h) = rgb.dimensions();
    Ok(Decoded {
        image: Rgb::new(w, h, rgb.into_raw())?,
        icc,
        full_width: w,
        full_height: h,
    })
}

/// HEIC/HEIF and AVIF through libheif. libheif applies the container's rotation and
/// mirroring itself, so the result is already upright.
pub fn heif(bytes: &[u8]) -> Result<Decoded, String> {
    let context = HeifContext::read_from_bytes(bytes).map_err(|e| e.message)?;
    let handle = context.primary_image_handle().map_err(|e| e.message)?;
    check_pixels(handle.width(), handle.height())?;
    // libheif's planes, and our copy of the RGB rows.
    let _room = reserve(u64::from(handle.width()) * u64::from(handle.height()) * 6);
    let icc = handle.color_profile_raw().map(|profile| profile.data);
    let image = LibHeif::new()
        .decode(&handle, ColorSpace::Rgb(RgbChroma::Rgb), None)
        .map_err(|e| e.message)?;
    let plane = image
        .planes()
        .interleaved
        .ok_or("libheif returned no RGB plane")?;
    let (w, h) = (plane.width, plane.height);
    let row = w as usize * 3;
    let mut pixels = Vec::with_capacity(row * h as usize);
    for y in 0..h as usize {
        let start = y * plane.stride;
        pixels.extend_from_slice(
            plane
                .data
                .get(start..start + row)
                .ok_or("short HEIF plane")?,
        );
    }
    Ok(Decoded {
        image: Rgb::new(w, h, pixels)?,
        icc,
        full_width: w,
        full_height: h,
    })
}

/// RAW files: the largest JPEG preview the camera embedded (every RAW format carries one).
/// The RAW's own pixel size comes from its metadata, not from this preview.
pub fn raw_preview(bytes: &[u8], min_long_side: u32) -> Result<Decoded, String> {
    let preview =
        largest_embedded_jpeg(bytes).ok_or("no embedded preview found in this RAW file")?;
    jpeg(preview, min_long_side)
}

/// Finds complete JPEG streams (SOI ... EOI) inside a container and returns the largest.
fn largest_embedded_jpeg(bytes: &[u8]) -> Option<&[u8]> {
    let mut best: Option<&[u8]> = None;
    let mut at = 0;
    while let Some(offset) = find(&bytes[at..], b"\xFF\xD8\xFF") {
        let start = at + offset;
        match jpeg_stream_len(&bytes[start..]) {
            Some(len) => {
                if best.is_none_or(|b| len > b.len()) {
                    best = Some(&bytes[start..start + len]);
                }
                at = start + len;
            }
            None => at = start + 3,
        }
    }
    best
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Length of the JPEG stream at the start of `data`, by walking its segments to EOI.
fn jpeg_stream_len(data: &[u8]) -> Option<usize> {
    let mut i = 2;
    loop {
        if *data.get(i)? != 0xFF {
            return None;
        }
        let marker = *data.get(i + 1)?;
        match marker {
            0xD9 => return Some(i + 2),
            0xFF => i += 1, // fill byte
            0xD0..=0xD7 | 0x01 => i += 2,
            0xDA => {
                // Start of scan: entropy-coded data runs to the next marker that is not a
                // stuffed 0xFF00 or a restart marker.
                let seg = u16::from_be_bytes([*data.get(i + 2)?, *data.get(i + 3)?]) as usize;
                i += 2 + seg;
                loop {
                    let next = data.get(i..)?.iter().position(|&b| b == 0xFF)?;
                    i += next;
                    match *data.get(i + 1)? {
                        0x00 | 0xD0..=0xD7 => i += 2,
                        _ => break,
                    }
                }
            }
            _ => {
                let seg = u16::from_be_bytes([*data.get(i + 2)?, *data.get(i + 3)?]) as usize;
                if seg < 2 {
                    return None;
                }
                i += 2 + seg;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_largest_jpeg_inside_a_container() {
        let small = Rgb::new(16, 8, vec![90; 16 * 8 * 3])
            .unwrap()
            .encode_jpeg(80)
            .unwrap();
        let large = Rgb::new(64, 32, vec![200; 64 * 32 * 3])
            .unwrap()
            .encode_jpeg(80)
            .unwrap();
        let mut container = b"II*\0 raw header bytes ".to_vec();
        container.extend_from_slice(&small);
        container.extend_from_slice(b"\xFF\xD8\xFF junk that is not a JPEG");
        container.extend_from_slice(&large);
        container.extend_from_slice(b"sensor data");
        assert_eq!(largest_embedded_jpeg(&container), Some(&large[..]));
        let decoded = raw_preview(&container, 32).unwrap();
        assert_eq!((decoded.full_width, decoded.full_height), (64, 32));
        assert_eq!(largest_embedded_jpeg(b"no jpeg here"), None);
    }
}

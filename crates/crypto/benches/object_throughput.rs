//! Encrypt/decrypt throughput of the object format on one core, printed beside
//! `openssl speed -evp aes-256-gcm` measured in the same run.
//!
//!   cargo bench -p keepsake-crypto --bench object_throughput   (or scripts/bench-crypto.sh)
//!   KEEPSAKE_BENCH_MIB=2048 for a longer run (default 512).

use keepsake_crypto::{ObjectId, ObjectWriter, VaultKey, decrypt_object};
use std::hint::black_box;
use std::io::{self, Write};
use std::process::Command;
use std::time::{Duration, Instant};

/// A sink that keeps nothing, like `io::sink`, but that the optimiser cannot see through.
struct Discard(u64);

impl Write for Discard {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += black_box(buf).len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = None;
    for _ in 0..runs {
        let start = Instant::now();
        let out = f();
        let took = start.elapsed();
        if best.as_ref().is_none_or(|(d, _)| took < *d) {
            best = Some((took, out));
        }
    }
    best.expect("at least one run")
}

fn gb_per_s(bytes: u64, took: Duration) -> f64 {
    bytes as f64 / took.as_secs_f64() / 1e9
}

/// OpenSSL's AES-256-GCM figure on 1 MiB blocks (bytes/s), if `openssl` is installed.
fn openssl_speed() -> Option<f64> {
    let out = Command::new("openssl")
        .args([
            "speed",
            "-mr",
            "-evp",
            "aes-256-gcm",
            "-bytes",
            "1048576",
            "-seconds",
            "3",
        ])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.starts_with("+F:"))?;
    line.rsplit(':').next()?.trim().parse().ok()
}

fn main() {
    let mib: u64 = std::env::var("KEEPSAKE_BENCH_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(512);
    let len = mib << 20;
    let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
    let key = VaultKey::from_bytes([7; 32]);
    let id = ObjectId([1; 16]);

    // Encrypt into a sink (import writes into the page cache), decrypt from memory.
    let (enc_time, _) = best_of(3, || {
        let mut writer = ObjectWriter::new(Discard(0), &key, id).expect("start");
        writer.write_from(&mut &data[..], |_| {}).expect("encrypt");
        writer.finish().expect("finish").0
    });
    let mut writer = ObjectWriter::new(Vec::new(), &key, id).expect("start");
    writer.write_from(&mut &data[..], |_| {}).expect("encrypt");
    let object = writer.finish().expect("finish");
    let (dec_time, written) = best_of(3, || {
        let mut sink = Discard(0);
        decrypt_object(&object[..], &mut sink, &key, Some(&id)).expect("decrypt");
        sink.0
    });
    assert_eq!(written, len);

    let enc = gb_per_s(len, enc_time);
    let dec = gb_per_s(len, dec_time);
    println!("object format, one core, {mib} MiB in memory (best of 3):");
    println!("  keepsake encrypt      {enc:6.2} GB/s");
    println!("  keepsake decrypt      {dec:6.2} GB/s");
    match openssl_speed() {
        Some(bps) => {
            let ossl = bps / 1e9;
            println!(
                "  openssl aes-256-gcm   {ossl:6.2} GB/s  (openssl speed -evp aes-256-gcm, 1 MiB blocks)"
            );
            println!(
                "  ratio keepsake/openssl: encrypt {:.2}, decrypt {:.2}",
                enc / ossl,
                dec / ossl
            );
        }
        None => println!("  openssl not found: no reference figure"),
    }
}

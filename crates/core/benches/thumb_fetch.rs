//! Grid-thumbnail fetch from the encrypted catalog (SQLCipher page decrypt + HMAC + copy
//! out), the path every grid cell takes, beside reading the same JPEG bytes from a plain
//! file, in the same run.
//!
//!   cargo bench -p keepsake-core --bench thumb_fetch  [KEEPSAKE_BENCH_DIR=photos]

use keepsake_core::{KdfParams, Password, RenditionKind, Vault};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const ROUNDS: usize = 50;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn report(label: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!(
        "  {label:<34} p50 {:>7.3} ms   p95 {:>7.3} ms   max {:>7.3} ms",
        percentile(&samples, 0.5).as_secs_f64() * 1e3,
        percentile(&samples, 0.95).as_secs_f64() * 1e3,
        samples.last().expect("samples").as_secs_f64() * 1e3,
    );
}

fn main() {
    let photos = std::env::var_os("KEEPSAKE_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/photos")
        });
    let root = tempfile::tempdir().expect("temp dir");
    let fast = KdfParams {
        memory_kib: 8 * 1024,
        iterations: 1,
        parallelism: 1,
    };
    let password = Password::new("benchmark password".into());
    let (mut vault, _) =
        Vault::create(&root.path().join("vault"), &password, Some(fast)).expect("vault");
    let (report_, fatal) = vault.import(std::slice::from_ref(&photos), &mut |_| {});
    assert!(fatal.is_none());
    // Re-open so the page cache of SQLite starts cold, as after an unlock.
    let vault = vault.lock().unlock(&password).expect("unlock");
    let ids: Vec<_> = vault
        .items()
        .expect("items")
        .into_iter()
        .filter(|item| item.render_error.is_none())
        .map(|item| item.id)
        .collect();
    println!(
        "grid thumbnail fetch: {} items with thumbnails ({} imported from {}), {ROUNDS} rounds",
        ids.len(),
        report_.imported.len(),
        photos.display()
    );

    let plain_dir = root.path().join("plain");
    std::fs::create_dir_all(&plain_dir).expect("plain dir");
    let mut from_catalog = Vec::new();
    let mut bytes_total = 0usize;
    for _ in 0..ROUNDS {
        for id in &ids {
            let start = Instant::now();
            let thumb = vault
                .rendition(id, RenditionKind::Grid)
                .expect("fetch")
                .expect("thumbnail");
            from_catalog.push(start.elapsed());
            bytes_total += thumb.jpeg.len();
        }
    }
    for id in &ids {
        let thumb = vault
            .rendition(id, RenditionKind::Grid)
            .expect("fetch")
            .expect("thumbnail");
        std::fs::write(plain_dir.join(id.to_string()), &thumb.jpeg).expect("write");
    }
    let mut from_files = Vec::new();
    for _ in 0..ROUNDS {
        for id in &ids {
            let start = Instant::now();
            let bytes = std::fs::read(plain_dir.join(id.to_string())).expect("read");
            from_files.push(start.elapsed());
            std::hint::black_box(bytes);
        }
    }
    println!(
        "  average thumbnail {:.1} KB",
        bytes_total as f64 / from_catalog.len() as f64 / 1024.0
    );
    report("keepsake (encrypted catalog)", from_catalog);
    report("plain file read (reference)", from_files);
}

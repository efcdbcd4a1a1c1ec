//! Memory does not grow with file size: a large video imports and exports within a fixed
//! budget. KEEPSAKE_STREAM_MIB sets the size (default 1024; the case is 4096).

mod support;

use std::fs::{self, File};
use std::io::{Seek, SeekFrom, Write};
use support::*;

/// Peak resident memory of the largest child process that has exited, in bytes.
fn peak_rss_of_children() -> u64 {
    // SAFETY: getrusage only writes into the struct we pass.
    #[allow(unsafe_code)]
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage);
        usage
    };
    usage.ru_maxrss as u64 * 1024
}

#[test]
fn a_large_video_streams_through_in_bounded_memory() {
    let mib: u64 = std::env::var("KEEPSAKE_STREAM_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    let vault = TestVault::new();
    let video = vault.path("holiday.mp4");
    {
        // An MP4 signature, then a sparse body: costs no disk to write, all of it to read.
        let mut file = File::create(&video).unwrap();
        file.write_all(b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom")
            .unwrap();
        file.seek(SeekFrom::Start((mib << 20) - 1)).unwrap();
        file.write_all(b"\x01").unwrap();
    }
    let summary = vault.import(&[&video]);
    assert_eq!(summary["imported"].as_array().unwrap().len(), 1);
    let out = vault.path("out");
    vault.run_ok(&["export", "--all", "--to", out.to_str().unwrap()]);
    let exported = out.join("holiday.mp4");
    assert_eq!(fs::metadata(&exported).unwrap().len(), mib << 20);
    assert_eq!(sha256(&exported), sha256(&video));

    let peak = peak_rss_of_children();
    eprintln!(
        "{mib} MiB video: peak RSS of import/export {:.1} MB",
        peak as f64 / 1e6
    );
    assert!(peak < 256 << 20, "peak RSS {peak} bytes");
}

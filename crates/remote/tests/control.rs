//! Steering a running sync, as the tray and the UI will: pause and resume, cancel, a
//! bandwidth limit. Through the real OpenDAL folder backend.

use keepsake_core::{
    KdfParams, Password, RemoteConfig, SyncControl, SyncState, UnlockedVault, Vault,
};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A vault holding `count` distinct photos of `len` bytes, and a folder remote for it.
fn setup(root: &Path, count: usize, len: usize) -> (UnlockedVault, RemoteConfig, PathBuf) {
    let input = root.join("in");
    std::fs::create_dir_all(&input).unwrap();
    for i in 0..count {
        let mut bytes = b"\xFF\xD8\xFF\xE0 synthetic photo ".to_vec();
        bytes.resize(len, (i % 251) as u8);
        bytes.extend_from_slice(&(i as u64).to_le_bytes());
        std::fs::write(input.join(format!("IMG_{i:03}.jpg")), bytes).unwrap();
    }
    let fast = KdfParams {
        memory_kib: 8 * 1024,
        iterations: 1,
        parallelism: 1,
    };
    let (mut vault, _) = Vault::create(
        &root.join("vault"),
        &Password::new("long enough password".into()),
        Some(fast),
    )
    .unwrap();
    let (report, fatal) = vault.import(&[input], &mut |_| {});
    assert!(fatal.is_none() && report.imported.len() == count);
    let remote_dir = root.join("remote");
    let remote = RemoteConfig {
        name: "usb".into(),
        url: format!("file://{}", remote_dir.display()),
        user: None,
        secret: None,
    };
    vault.add_remote(remote.clone()).unwrap();
    (vault, remote, remote_dir)
}

fn objects_on(remote: &Path) -> usize {
    fn walk(dir: &Path) -> usize {
        std::fs::read_dir(dir).map_or(0, |entries| {
            entries
                .flatten()
                .map(|e| {
                    if e.path().is_dir() {
                        walk(&e.path())
                    } else {
                        1
                    }
                })
                .sum()
        })
    }
    walk(&remote.join("objects"))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn a_paused_sync_sends_nothing_until_resumed() {
    let root = tempfile::tempdir().unwrap();
    let (mut vault, remote, remote_dir) = setup(root.path(), 6, 64 << 10);
    let store = keepsake_remote::open(&remote).unwrap();
    let control = SyncControl::default();
    control.pause();
    let mut states = Vec::new();
    let mut record = |p: &keepsake_core::SyncProgress| states.push(p.state);
    let report = runtime().block_on(async {
        let steer = async {
            tokio::time::sleep(Duration::from_millis(500)).await;
            assert_eq!(objects_on(&remote_dir), 0, "nothing may move while paused");
            assert_eq!(control.state(), SyncState::Paused);
            control.resume();
        };
        let (report, ()) = tokio::join!(vault.sync("usb", &store, &control, &mut record), steer);
        report
    });
    let report = report.unwrap();
    assert_eq!(report.uploaded, 6);
    assert_eq!(objects_on(&remote_dir), 6);
    assert_eq!(states.last(), Some(&SyncState::Done));
}

#[test]
fn a_cancelled_sync_stops_and_the_next_one_finishes() {
    let root = tempfile::tempdir().unwrap();
    let (mut vault, remote, remote_dir) = setup(root.path(), 6, 64 << 10);
    let store = keepsake_remote::open(&remote).unwrap();
    let control = SyncControl::default();
    control.pause();
    control.cancel();
    let rt = runtime();
    let report = rt
        .block_on(vault.sync("usb", &store, &control, &mut |_| {}))
        .unwrap();
    assert!(report.cancelled);
    assert_eq!((report.uploaded, objects_on(&remote_dir)), (0, 0));
    assert!(
        report.snapshot.is_none(),
        "no snapshot for a sync that did not finish"
    );
    let report = rt
        .block_on(vault.sync("usb", &store, &SyncControl::default(), &mut |_| {}))
        .unwrap();
    assert_eq!((report.uploaded, report.cancelled), (6, false));
}

#[test]
fn a_sync_cancelled_midway_records_only_what_arrived_and_the_next_one_finishes() {
    let root = tempfile::tempdir().unwrap();
    let (mut vault, remote, remote_dir) = setup(root.path(), 6, 128 << 10);
    let store = keepsake_remote::open(&remote).unwrap();
    let control = SyncControl::default();
    // Slow enough that the cancel lands while objects are still going up.
    control.set_bandwidth_limit(Some(256 << 10));
    let rt = runtime();
    let mut done_when_cancelled = None;
    let report = rt
        .block_on(vault.sync("usb", &store, &control, &mut |p| {
            if p.objects_done == 2 && done_when_cancelled.is_none() {
                done_when_cancelled = Some(p.objects_done);
                control.cancel();
            }
        }))
        .unwrap();
    assert_eq!(
        done_when_cancelled,
        Some(2),
        "the sync was cancelled mid-run"
    );
    assert!(report.cancelled);
    assert!(
        (2..6).contains(&report.uploaded),
        "{} uploaded after a cancel at 2 of 6",
        report.uploaded
    );
    assert!(
        report.snapshot.is_none(),
        "no snapshot for an unfinished sync"
    );
    let next = rt
        .block_on(vault.sync("usb", &store, &SyncControl::default(), &mut |_| {}))
        .unwrap();
    // What the cancelled sync confirmed is not sent again.
    assert_eq!(
        (next.uploaded, next.skipped),
        (6 - report.uploaded, report.uploaded)
    );
    assert!(next.snapshot.is_some());
    assert_eq!(objects_on(&remote_dir), 6);
}

#[test]
fn the_bandwidth_limit_is_kept() {
    let root = tempfile::tempdir().unwrap();
    let (mut vault, remote, _) = setup(root.path(), 8, 256 << 10);
    let store = keepsake_remote::open(&remote).unwrap();
    let control = SyncControl::default();
    control.set_bandwidth_limit(Some(1 << 20)); // 1 MiB/s for ~2 MiB of objects
    let started = Instant::now();
    let report = runtime()
        .block_on(vault.sync("usb", &store, &control, &mut |_| {}))
        .unwrap();
    let took = started.elapsed();
    assert_eq!(report.uploaded, 8);
    let floor = Duration::from_secs_f64(report.uploaded_bytes as f64 / (1 << 20) as f64);
    // The last objects' wait is what enforces the average; allow one object's worth early.
    assert!(
        took + Duration::from_millis(300) >= floor,
        "took {took:?} for {} bytes at 1 MiB/s",
        report.uploaded_bytes
    );
}

//! Long jobs run on contents of their own while the vault goes on changing: what a user
//! does during a sync is neither blocked by it nor lost from the remote.

use keepsake_core::{KdfParams, Password, RemoteConfig, SyncControl, Vault};
use std::path::{Path, PathBuf};

const FAST: KdfParams = KdfParams {
    memory_kib: 8 * 1024,
    iterations: 1,
    parallelism: 1,
};

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/testdata/photos/exif-samples")
        .join(name)
}

fn folder_remote(dir: &Path) -> RemoteConfig {
    RemoteConfig {
        name: "usb".into(),
        url: format!("file://{}", dir.display()),
        user: None,
        secret: None,
    }
}

/// A photo imported while a sync runs goes up in the same sync, before the snapshot
/// that names it: a remote never lists a photo it does not hold, whatever the timing.
#[test]
fn photos_imported_during_a_sync_reach_the_remote_before_the_snapshot_naming_them() {
    let root = tempfile::tempdir().unwrap();
    let password = Password::new("long enough password".into());
    let (mut vault, _) = Vault::create(&root.path().join("vault"), &password, Some(FAST)).unwrap();
    let (report, error) = vault.import(&[sample("jpg__Canon_40D.jpg")], &mut |_| {});
    assert!(error.is_none() && report.imported.len() == 1);
    let remote = folder_remote(&root.path().join("usb"));
    keepsake_api::add_remote(&mut vault, remote.clone()).unwrap();

    let mut job = vault.contents().unwrap();
    let mut imported_meanwhile = false;
    let sync = keepsake_api::sync(
        &mut job,
        &remote,
        &SyncControl::default(),
        &mut |progress| {
            // After the first photo went up, and before the snapshot: the user imports more.
            if progress.objects_done == 1 && !imported_meanwhile {
                imported_meanwhile = true;
                let (report, error) = vault.import(
                    &[
                        sample("jpg__Nikon_D70.jpg"),
                        sample("jpg__Fujifilm_FinePix_E500.jpg"),
                    ],
                    &mut |_| {},
                );
                assert!(error.is_none(), "{error:?}");
                assert_eq!(report.imported.len(), 2);
            }
        },
    )
    .unwrap();
    assert!(
        imported_meanwhile,
        "the sync never reported its first photo"
    );
    assert_eq!(sync.uploaded, 3, "{sync:?}");
    assert!(sync.snapshot.is_some(), "{sync:?}");
    drop(job);

    // The remote is whole: every photo its newest snapshot names is there and authentic.
    let check = keepsake_api::check_remote(&vault, &remote, true).unwrap();
    assert!(check.is_clean(), "{check:?}");
    let dir = root.path().join("vault");
    drop(vault);
    let (restored, report) = keepsake_api::restore(
        remote,
        &root.path().join("restored"),
        keepsake_core::RestoreSecret::Password(&password),
        None,
        &mut |_, _| {},
    )
    .unwrap();
    assert!(report.failed.is_empty(), "{report:?}");
    assert_eq!(report.relisted, 0, "{report:?}");
    assert_eq!(restored.items().unwrap().len(), 3);
    assert!(dir.exists());
}

/// A vault of `n` distinct photos (one sample with different trailing bytes each) and a
/// folder remote added to it.
fn vault_of(root: &Path, n: usize) -> (keepsake_core::UnlockedVault, RemoteConfig, Password) {
    let password = Password::new("long enough password".into());
    let (mut vault, _) = Vault::create(&root.join("vault"), &password, Some(FAST)).unwrap();
    let jpeg = std::fs::read(sample("jpg__Canon_40D.jpg")).unwrap();
    let folder = root.join("photos");
    std::fs::create_dir_all(&folder).unwrap();
    for i in 0..n {
        let mut bytes = jpeg.clone();
        bytes.extend_from_slice(format!("copy {i}").as_bytes());
        std::fs::write(folder.join(format!("IMG_{i:03}.jpg")), bytes).unwrap();
    }
    let (report, error) = vault.import(&[folder], &mut |_| {});
    assert!(error.is_none() && report.imported.len() == n);
    let remote = folder_remote(&root.join("usb"));
    keepsake_api::add_remote(&mut vault, remote.clone()).unwrap();
    (vault, remote, password)
}

/// Emptying the trash while a sync runs is no failure of the sync: what was purged has
/// nothing left to send, and the snapshot that follows names only what remains.
#[test]
fn photos_purged_during_a_sync_are_not_failures() {
    let root = tempfile::tempdir().unwrap();
    let (mut vault, remote, _) = vault_of(root.path(), 12);
    let mut job = vault.contents().unwrap();
    let mut purged = 0;
    let sync = keepsake_api::sync(&mut job, &remote, &SyncControl::default(), &mut |p| {
        // After the first upload: at most four are in flight, the rest not started.
        if p.objects_done == 1 && purged == 0 {
            let ids: Vec<_> = vault.items().unwrap().iter().map(|i| i.id).collect();
            let mut library = vault.library().unwrap();
            library.trash(&ids[6..]).unwrap();
            purged = vault.purge_trash(None).unwrap();
        }
    })
    .unwrap();
    assert_eq!(purged, 6);
    assert!(sync.failed.is_empty(), "{sync:?}");
    assert!(sync.snapshot.is_some(), "{sync:?}");
    drop(job);
    let check = keepsake_api::check_remote(&vault, &remote, true).unwrap();
    assert!(check.is_clean(), "{check:?}");
    assert_eq!(check.checked, 6);
}

/// Removing a remote while it syncs ends that sync: no error, no snapshot, and nothing
/// recorded for a remote that no longer exists.
#[test]
fn a_remote_removed_during_its_sync_ends_it_quietly() {
    let root = tempfile::tempdir().unwrap();
    let (mut vault, remote, _) = vault_of(root.path(), 6);
    let mut job = vault.contents().unwrap();
    let mut removed = false;
    let sync = keepsake_api::sync(&mut job, &remote, &SyncControl::default(), &mut |p| {
        if p.objects_done == 1 && !removed {
            vault.remove_remote(&remote.name).unwrap();
            removed = true;
        }
    })
    .unwrap();
    assert!(removed);
    assert!(sync.cancelled, "{sync:?}");
    assert!(sync.snapshot.is_none(), "{sync:?}");
    assert!(sync.failed.is_empty(), "{sync:?}");
    drop(job);
    assert!(vault.remotes().unwrap().is_empty());
}

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
        &mut |_, _| {},
    )
    .unwrap();
    assert!(report.failed.is_empty(), "{report:?}");
    assert_eq!(report.relisted, 0, "{report:?}");
    assert_eq!(restored.items().unwrap().len(), 3);
    assert!(dir.exists());
}

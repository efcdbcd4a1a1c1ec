//! A full disk mid-import: a clear error, no partial object, the catalog intact, and the
//! import finishes once there is room. The vault lives on a small tmpfs the test mounts
//! (tests run as root here and in CI).

mod support;

use std::fs;
use support::*;

/// Twelve distinct 1 MiB photos in `dir`, from seeds `seed..seed + 12`.
fn twelve_photos(dir: &std::path::Path, seed: u64) -> std::path::PathBuf {
    fs::create_dir_all(dir).unwrap();
    for i in 0..12 {
        synthetic_file(
            &dir.join(format!("IMG_{i:02}.jpg")),
            JPEG_SIGNATURE,
            1 << 20,
            seed + i,
        );
    }
    dir.to_path_buf()
}

#[test]
fn a_full_disk_stops_import_cleanly_and_it_resumes_when_there_is_room() {
    let root = tempfile::tempdir().unwrap();
    let input = twelve_photos(&root.path().join("in"), 500);
    let disk = SmallDisk::mount(&root.path().join("disk"), 8);
    let vault = TestVault {
        root: tempfile::tempdir().unwrap(),
        dir: disk.0.join("vault"),
        recovery_key: String::new(),
        password: PASSWORD,
    };
    vault.run_ok(&["init", "--kdf-memory-mib", "8", "--kdf-passes", "1"]);

    let full = vault.run(&["import", input.to_str().unwrap(), "--json"]);
    no_panic(&full);
    assert_eq!(full.status.code(), Some(1));
    assert!(stderr(&full).contains("disk is full"), "{}", stderr(&full));
    let summary: serde_json::Value = serde_json::from_slice(&full.stdout).unwrap();
    let stored = summary["imported"].as_array().unwrap().len();
    assert!(
        stored > 0 && stored < 12,
        "{stored} imported before the disk filled"
    );
    assert_eq!(
        fs::read_dir(vault.dir.join("tmp")).unwrap().count(),
        0,
        "no partial object left"
    );
    vault.run_ok(&["verify"]);
    assert_eq!(
        vault.json(&["ls"]).as_array().unwrap().len(),
        stored,
        "the catalog lists exactly what is stored"
    );

    disk.grow(64);
    let rest = vault.import(&[&input]);
    assert_eq!(rest["imported"].as_array().unwrap().len(), 12 - stored);
    vault.run_ok(&["verify"]);
    let out = root.path().join("out");
    vault.run_ok(&["export", "--all", "--to", out.to_str().unwrap()]);
    assert_eq!(content_multiset(&out), content_multiset(&input));
    drop(vault);
}

#[test]
fn export_to_a_full_destination_says_so_in_two_lines_and_leaves_no_partial_file() {
    let vault = TestVault::new();
    let input = twelve_photos(&vault.path("in"), 700);
    vault.import(&[&input]);
    // A 4 MiB USB stick for 12 MiB of photos.
    let stick = SmallDisk::mount(&vault.path("stick"), 4);
    let out = vault.run(&["export", "--all", "--to", stick.0.to_str().unwrap()]);
    no_panic(&out);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let said = stderr(&out);
    // The file it was writing, then one line for all the rest.
    assert_eq!(said.lines().count(), 2, "{said}");
    assert!(
        said.lines().all(|l| l.contains("destination is full")),
        "{said}"
    );
    let written = files_under(&stick.0);
    assert!(
        written
            .iter()
            .all(|f| !f.to_string_lossy().contains(".partial")),
        "a partial file was left: {written:?}"
    );
    let originals = content_multiset(&input);
    assert!(
        content_multiset(&stick.0)
            .keys()
            .all(|k| originals.contains_key(k))
    );
}

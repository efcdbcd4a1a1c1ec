//! Damage to a stored vault is found, named, and never turned into wrong output.

mod support;

use serde_json::Value;
use std::fs;
use std::path::Path;
use support::*;

/// A vault holding a few photos, and their ids by file name.
fn vault_with_photos() -> (TestVault, Vec<(String, String)>) {
    let vault = TestVault::new();
    let input = vault.path("in");
    fs::create_dir_all(&input).unwrap();
    for name in [
        "jpg__Canon_40D.jpg",
        "jpg__gps__DSCN0010.jpg",
        "jpg__mobile__jolla.jpg",
        "heic__IMG_5195.HEIC",
    ] {
        fs::copy(samples().join("exif-samples").join(name), input.join(name)).unwrap();
    }
    let summary = vault.import(&[&input]);
    let ids = summary["imported"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let name = Path::new(e["path"].as_str().unwrap())
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (name, e["id"].as_str().unwrap().to_string())
        })
        .collect();
    (vault, ids)
}

fn verify(vault: &TestVault) -> (i32, Value) {
    let out = vault.run(&["verify", "--json"]);
    no_panic(&out);
    (
        out.status.code().unwrap(),
        serde_json::from_slice(&out.stdout).expect("verify --json"),
    )
}

fn damaged_ids(report: &Value) -> Vec<String> {
    let mut ids: Vec<String> = report["damaged"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap_or("catalog").to_string())
        .collect();
    ids.sort();
    ids
}

fn problem_of(report: &Value, id: &str) -> String {
    report["damaged"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == id)
        .map(|d| d["problem"].as_str().unwrap().to_string())
        .unwrap_or_default()
}

#[test]
fn an_intact_vault_verifies_clean() {
    let (vault, ids) = vault_with_photos();
    let (code, report) = verify(&vault);
    assert_eq!(code, 0);
    assert_eq!(report["checked"], ids.len());
    assert!(damaged_ids(&report).is_empty());
}

#[test]
fn each_kind_of_object_damage_is_found_and_named() {
    let (vault, ids) = vault_with_photos();
    let [(_, flipped), (_, truncated), (_, swapped_a), (_, swapped_b)] = &ids[..] else {
        panic!()
    };

    let path = vault.object_file(flipped);
    let mut bytes = fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x10;
    fs::write(&path, bytes).unwrap();

    let path = vault.object_file(truncated);
    let len = fs::metadata(&path).unwrap().len();
    fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(len - 7)
        .unwrap();

    // Two objects swapped on disk: each authentic, neither where the catalog expects it.
    let (a, b) = (vault.object_file(swapped_a), vault.object_file(swapped_b));
    let tmp = vault.path("swap");
    fs::rename(&a, &tmp).unwrap();
    fs::rename(&b, &a).unwrap();
    fs::rename(&tmp, &b).unwrap();

    let (code, report) = verify(&vault);
    assert_eq!(code, 4);
    let mut expected: Vec<String> = ids.iter().map(|(_, id)| id.clone()).collect();
    expected.sort();
    assert_eq!(damaged_ids(&report), expected);
    assert!(
        problem_of(&report, flipped).contains("failed authentication"),
        "{report}"
    );
    assert!(problem_of(&report, truncated).contains("chunk"), "{report}");
    assert!(
        problem_of(&report, swapped_a).contains("belongs to another object"),
        "{report}"
    );
}

#[test]
fn a_missing_object_is_reported_and_the_rest_still_export() {
    let (vault, ids) = vault_with_photos();
    let (name, id) = &ids[0];
    fs::remove_file(vault.object_file(id)).unwrap();
    let (code, report) = verify(&vault);
    assert_eq!(code, 4);
    assert!(problem_of(&report, id).contains("missing"), "{report}");
    assert_eq!(report["damaged"][0]["name"], name.as_str());

    let out = vault.path("out");
    let export = vault.run(&["export", "--all", "--to", out.to_str().unwrap()]);
    assert_eq!(export.status.code(), Some(4));
    assert!(stderr(&export).contains(name.as_str()));
    assert_eq!(
        files_under(&out).len(),
        ids.len() - 1,
        "no partial file is left behind"
    );
}

#[test]
fn a_damaged_object_is_never_exported_as_garbage() {
    let (vault, ids) = vault_with_photos();
    // The largest sample spans several chunks: damage its last chunk, after good ones.
    let (name, id) = ids.iter().find(|(n, _)| n.ends_with(".HEIC")).unwrap();
    let path = vault.object_file(id);
    let mut bytes = fs::read(&path).unwrap();
    let near_end = bytes.len() - 20;
    bytes[near_end] ^= 0x01;
    fs::write(&path, bytes).unwrap();
    let out = vault.path("out");
    let export = vault.run(&["export", id, "--to", out.to_str().unwrap()]);
    assert_eq!(export.status.code(), Some(4));
    assert!(stderr(&export).contains("damaged"), "{}", stderr(&export));
    assert!(
        files_under(&out).is_empty(),
        "{name}: nothing written, not even hidden partial files"
    );
}

#[test]
fn objects_from_another_vault_are_named_as_such() {
    let (vault, ids) = vault_with_photos();
    let (other, other_ids) = vault_with_photos();
    let (_, mine) = &ids[0];
    let (_, theirs) = &other_ids[0];
    fs::copy(other.object_file(theirs), vault.object_file(mine)).unwrap();
    let (code, report) = verify(&vault);
    assert_eq!(code, 4);
    assert!(
        problem_of(&report, mine).contains("different vault key"),
        "{report}"
    );
}

/// The vault's photos as content hashes, exported.
fn contents(vault: &TestVault, into: &str) -> std::collections::BTreeMap<String, usize> {
    exported_contents(vault, into)
}

/// Copies the catalog (folded into one file) aside, to put it back later: a catalog
/// restored from a file backup or a cloud-folder conflict.
fn catalog_copy(vault: &TestVault) -> Vec<u8> {
    for suffix in ["-wal", "-shm"] {
        assert!(!vault.dir.join(format!("catalog.db{suffix}")).exists());
    }
    fs::read(vault.dir.join("catalog.db")).unwrap()
}

#[test]
fn repair_after_a_catalog_rollback_lists_the_newer_photos_again_and_deletes_nothing() {
    let (vault, ids) = vault_with_photos();
    let older = catalog_copy(&vault);
    let later = vault.path("later");
    fs::create_dir_all(&later).unwrap();
    for name in ["png__Issue 62.png", "webp__Photo (1).webp"] {
        fs::copy(samples().join("formats").join(name), later.join(name)).unwrap();
    }
    let added = vault.import(&[&later])["imported"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(added, 2);
    let everything = contents(&vault, "before");
    fs::write(vault.dir.join("catalog.db"), older).unwrap();

    let (code, report) = verify(&vault);
    assert_eq!(
        code, 0,
        "unlisted photos of this vault are not damage: {report}"
    );
    assert_eq!(
        report["unlisted"].as_array().unwrap().len(),
        added,
        "{report}"
    );
    let repaired = vault.json(&["verify", "--repair"]);
    assert_eq!(repaired["relisted"].as_array().unwrap().len(), added);
    assert_eq!(
        vault.object_files().len(),
        ids.len() + added,
        "an object was deleted"
    );
    assert_eq!(
        contents(&vault, "after"),
        everything,
        "every photo is listed again"
    );
    let (code, report) = verify(&vault);
    assert_eq!((code, report["unlisted"].as_array().unwrap().len()), (0, 0));
}

#[test]
fn repair_sets_a_second_copy_aside_in_quarantine_never_deletes_it() {
    let (vault, ids) = vault_with_photos();
    let older = catalog_copy(&vault);
    // A kill between storing a photo and listing it, then the import run again: two
    // objects with one photo's content, the first one unlisted.
    let again = vault.path("again");
    fs::create_dir_all(&again).unwrap();
    fs::copy(
        samples().join("exif-samples/jpg__Fujifilm_FinePix6900ZOOM.jpg"),
        again.join("f.jpg"),
    )
    .unwrap();
    vault.import(&[&again]);
    fs::write(vault.dir.join("catalog.db"), &older).unwrap();
    vault.import(&[&again]);
    assert_eq!(vault.object_files().len(), ids.len() + 2);

    let (code, report) = verify(&vault);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["redundant"].as_array().unwrap().len(), 1, "{report}");
    let repaired = vault.json(&["verify", "--repair"]);
    assert_eq!(
        repaired["quarantined"].as_array().unwrap().len(),
        1,
        "{repaired}"
    );
    assert_eq!(vault.object_files().len(), ids.len() + 1);
    assert_eq!(files_under(&vault.dir.join("quarantine")).len(), 1);
    let shown = vault.run_ok(&["verify"]);
    assert!(stdout(&shown).contains("quarantine"), "{}", stdout(&shown));
}

#[test]
fn verify_repair_on_an_empty_catalog_file_refuses_and_deletes_nothing() {
    let (vault, ids) = vault_with_photos();
    // A 0-byte catalog: a failed copy, a full disk, a sync-folder glitch.
    fs::write(vault.dir.join("catalog.db"), b"").unwrap();
    for args in [
        &["ls"][..],
        &["verify", "--repair"],
        &["import", "/nonexistent"],
    ] {
        let out = vault.run(args);
        no_panic(&out);
        assert_eq!(out.status.code(), Some(4), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("empty"), "{}", stderr(&out));
    }
    assert_eq!(
        fs::metadata(vault.dir.join("catalog.db")).unwrap().len(),
        0,
        "the empty catalog was set up afresh"
    );
    assert_eq!(vault.object_files().len(), ids.len(), "a photo was deleted");
}

#[test]
fn verify_repair_with_another_vaults_header_keeps_every_object() {
    let (vault, ids) = vault_with_photos();
    let before: Vec<Vec<u8>> = vault
        .object_files()
        .iter()
        .map(|f| fs::read(f).unwrap())
        .collect();
    // Another vault with the same password: its header unlocks, its key opens nothing here.
    let other = TestVault::new();
    fs::copy(
        other.dir.join("keepsake-vault.json"),
        vault.dir.join("keepsake-vault.json"),
    )
    .unwrap();
    let out = vault.run(&["rebuild-catalog"]);
    no_panic(&out);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let out = vault.run(&["verify", "--repair", "--json"]);
    no_panic(&out);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["unreadable"].as_array().unwrap().len(),
        ids.len(),
        "{report}"
    );
    let after: Vec<Vec<u8>> = vault
        .object_files()
        .iter()
        .map(|f| fs::read(f).unwrap())
        .collect();
    assert_eq!(after, before, "objects were deleted or changed");
}

#[test]
fn a_damaged_header_or_catalog_is_integrity_not_a_wrong_password() {
    let (vault, _) = vault_with_photos();
    let header = vault.dir.join("keepsake-vault.json");
    let original = fs::read_to_string(&header).unwrap();
    fs::write(
        &header,
        original.replacen("\"iterations\":1", "\"iterations\":2", 1),
    )
    .unwrap();
    let out = vault.run(&["ls"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains("damaged"));
    fs::write(&header, &original).unwrap();

    let catalog = vault.dir.join("catalog.db");
    let mut bytes = fs::read(&catalog).unwrap();
    bytes[100] ^= 0xFF; // inside the first page, covered by SQLCipher's page MAC
    fs::write(&catalog, bytes).unwrap();
    let out = vault.run(&["ls"]);
    no_panic(&out);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains("catalog"), "{}", stderr(&out));
}

/// What `export` writes, as content hashes.
fn exported_contents(vault: &TestVault, into: &str) -> std::collections::BTreeMap<String, usize> {
    let out = vault.path(into);
    vault.run_ok(&["export", "--all", "--to", out.to_str().unwrap()]);
    content_multiset(&out)
}

#[test]
fn a_lost_catalog_is_refused_and_nothing_is_treated_as_an_orphan() {
    let (vault, ids) = vault_with_photos();
    for suffix in ["", "-wal", "-shm"] {
        let _ = fs::remove_file(vault.dir.join(format!("catalog.db{suffix}")));
    }
    let out = vault.run(&["verify", "--repair"]);
    no_panic(&out);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains("missing"), "{}", stderr(&out));
    assert!(stderr(&out).contains("rebuild-catalog"), "{}", stderr(&out));
    assert_eq!(
        stderr(&out).lines().count(),
        1,
        "one line: {}",
        stderr(&out)
    );
    assert_eq!(
        vault.object_files().len(),
        ids.len(),
        "no photo was removed"
    );
}

#[test]
fn a_damaged_catalog_is_rebuilt_from_the_objects_and_a_damaged_object_is_named() {
    let (vault, ids) = vault_with_photos();
    let before = exported_contents(&vault, "before");
    let catalog = vault.dir.join("catalog.db");
    let mut bytes = fs::read(&catalog).unwrap();
    bytes[5000] ^= 0x01;
    fs::write(&catalog, bytes).unwrap();
    let damaged = ids
        .iter()
        .find(|(n, _)| n == "jpg__mobile__jolla.jpg")
        .unwrap();
    let object = vault.object_file(&damaged.1);
    let mut bytes = fs::read(&object).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    fs::write(&object, bytes).unwrap();

    let out = vault.run(&["rebuild-catalog"]);
    no_panic(&out);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Listed 3 objects"),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains(&format!("{}: the object does not authenticate", damaged.1)),
        "{}",
        stderr(&out)
    );
    let aside: Vec<_> = fs::read_dir(&vault.dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("catalog.damaged-")
        })
        .collect();
    assert_eq!(aside.len(), 1, "the damaged catalog is kept, not deleted");

    // The three intact photos are back, byte for byte, with their metadata read again.
    let listed = vault.json(&["ls"]);
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 3);
    assert!(
        listed
            .iter()
            .all(|i| i["name"].as_str().unwrap().starts_with("recovered-"))
    );
    let canon = &ids
        .iter()
        .find(|(n, _)| n == "jpg__Canon_40D.jpg")
        .unwrap()
        .1;
    let shown = vault.json(&["show", canon]);
    assert_eq!(
        shown["metadata"]["camera_model"], "Canon EOS 40D",
        "{shown}"
    );
    assert_eq!(shown["metadata"]["date_source"], "exif", "{shown}");
    let after = exported_contents(&vault, "after");
    let mut expected = before.clone();
    let damaged_hash = sha256(&vault.path("in").join(&damaged.0));
    expected.remove(&damaged_hash);
    assert_eq!(after, expected);

    // The damaged object stays where it was (for a remote to repair), named by verify.
    let (code, report) = verify(&vault);
    assert_eq!(code, 4, "{report}");
    assert_eq!(
        report["unreadable"].as_array().unwrap().len(),
        1,
        "{report}"
    );
    assert!(object.exists());
}

#[test]
fn a_truncated_or_extended_catalog_never_lists_less_than_there_is() {
    let (vault, ids) = vault_with_photos();
    let catalog = vault.dir.join("catalog.db");
    // Fold the WAL into the file, so that the catalog file is the whole catalog.
    for suffix in ["-wal", "-shm"] {
        assert!(!vault.dir.join(format!("catalog.db{suffix}")).exists());
    }
    let pristine = fs::read(&catalog).unwrap();
    let page = 4096;
    for (kind, bytes) in [
        ("truncated", pristine[..pristine.len() - page].to_vec()),
        ("cut to one page", pristine[..page].to_vec()),
        ("extended", [&pristine[..], &[0x5a; 4096][..]].concat()),
    ] {
        fs::write(&catalog, &bytes).unwrap();
        let out = vault.run(&["ls", "--json"]);
        no_panic(&out);
        if out.status.success() {
            let listed = serde_json::from_slice::<Value>(&out.stdout).unwrap();
            assert_eq!(
                listed.as_array().unwrap().len(),
                ids.len(),
                "{kind}: silently short"
            );
        } else {
            assert_eq!(out.status.code(), Some(4), "{kind}: {}", stderr(&out));
        }
        let out = vault.run(&["verify", "--json"]);
        no_panic(&out);
        let code = out.status.code().unwrap();
        let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        assert!(
            code == 4 || (code == 0 && report["checked"] == ids.len()),
            "{kind}: verify said {code}: {report} {}",
            stderr(&out)
        );
    }
    fs::write(&catalog, &pristine).unwrap();
    let (code, _) = verify(&vault);
    assert_eq!(code, 0);
}

#[test]
fn a_rebuild_from_a_remote_without_snapshots_changes_nothing() {
    let (vault, ids) = vault_with_photos();
    let empty = vault.path("not-a-remote");
    fs::create_dir_all(&empty).unwrap();
    let url = format!("file://{}", empty.display());
    let out = vault.run(&["rebuild-catalog", "--from", &url]);
    no_panic(&out);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("nothing was changed"),
        "{}",
        stderr(&out)
    );
    // The catalog is the one it was: original names, nothing set aside.
    let listed = vault.json(&["ls"]);
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), ids.len());
    assert!(ids.iter().all(|(name, _)| names.contains(&name.as_str())));
    assert!(!vault.dir.join("catalog.rebuilding").exists());
}

#[test]
fn a_deleted_header_is_damage_to_a_vault_not_no_vault() {
    let (vault, ids) = vault_with_photos();
    fs::remove_file(vault.dir.join("keepsake-vault.json")).unwrap();
    let out = vault.run(&["ls"]);
    no_panic(&out);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("keepsake-vault.json"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("missing"), "{}", stderr(&out));
    assert_eq!(vault.object_files().len(), ids.len());
    // A folder with no photos in it is simply no vault.
    let empty = vault.path("empty");
    fs::create_dir_all(empty.join("objects")).unwrap();
    let out = std::process::Command::new(keepsake_bin())
        .arg("--vault")
        .arg(&empty)
        .arg("ls")
        .env("KEEPSAKE_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

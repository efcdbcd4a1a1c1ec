//! The CLI contract on the real sample photos: round trip, duplicates, accounting, errors.

mod support;

use serde_json::Value;
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use support::*;

fn paths_in(summary: &Value, list: &str) -> Vec<PathBuf> {
    summary[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| PathBuf::from(e["path"].as_str().unwrap()))
        .collect()
}

#[test]
fn every_sample_round_trips_byte_exact_under_its_own_name() {
    let vault = TestVault::new();
    let input = vault.path("in");
    fs::create_dir_all(&input).unwrap();
    for sub in ["exif-samples", "full-size", "formats", "malformed"] {
        copy_samples(sub, &input);
    }
    let summary = vault.import(&[&input]);

    // Every file is accounted for exactly once.
    let mut accounted: Vec<PathBuf> = ["imported", "duplicates", "skipped"]
        .iter()
        .flat_map(|list| paths_in(&summary, list))
        .collect();
    accounted.sort();
    assert_eq!(accounted, files_under(&input));

    // Photos and videos, even undecodable ones, are stored; the rest is skipped with a reason.
    for skipped in summary["skipped"].as_array().unwrap() {
        let path = Path::new(skipped["path"].as_str().unwrap());
        let head = &fs::read(path).unwrap()[..12];
        assert!(
            !head.starts_with(b"\xFF\xD8\xFF") && &head[4..8] != b"ftyp",
            "{path:?} refused"
        );
        assert!(!skipped["reason"].as_str().unwrap().is_empty());
    }
    let imported = paths_in(&summary, "imported");
    assert!(
        imported.iter().any(|p| p.ends_with("jpg__corrupted.jpg")),
        "a truncated JPEG is still kept"
    );
    assert!(
        imported
            .iter()
            .any(|p| p.to_string_lossy().ends_with(".HEIC"))
    );

    let out = vault.path("out");
    vault.run_ok(&["export", "--all", "--to", out.to_str().unwrap()]);
    let exported = files_under(&out);
    assert_eq!(exported.len(), imported.len());
    for original in &imported {
        let name = original.file_name().unwrap();
        let copy = out.join(name);
        assert_eq!(
            sha256(&copy),
            sha256(original),
            "{name:?} differs after export"
        );
    }
}

#[test]
fn ls_lists_names_sizes_dates_and_types() {
    let vault = TestVault::new();
    let input = copy_samples("exif-samples", vault.root.path());
    vault.import(&[&input]);
    let listing = vault.json(&["ls"]);
    let items = listing.as_array().unwrap();
    let canon = items
        .iter()
        .find(|i| i["name"] == "jpg__Canon_40D.jpg")
        .expect("listed");
    assert_eq!(
        canon["size"],
        fs::metadata(input.join("jpg__Canon_40D.jpg"))
            .unwrap()
            .len()
    );
    assert_eq!(
        canon["taken_at"], "2008-05-30T15:56:01",
        "EXIF DateTimeOriginal"
    );
    assert_eq!(canon["type"], "image/jpeg");
    let heic = items
        .iter()
        .find(|i| i["name"] == "heic__mobile__iphone_13_pro_max.HEIC")
        .unwrap();
    assert_eq!(heic["type"], "image/heic");
    for item in items {
        assert_eq!(item["id"].as_str().unwrap().len(), 32);
        assert!(
            item["taken_at"].is_string(),
            "every item gets a date (EXIF or file time): {item}"
        );
    }
}

#[test]
fn duplicates_are_recognised_by_content_not_name() {
    let vault = TestVault::new();
    let dir = vault.path("in");
    fs::create_dir_all(dir.join("again")).unwrap();
    let photo = samples().join("exif-samples/jpg__Nikon_D70.jpg");
    fs::copy(&photo, dir.join("a.jpg")).unwrap();
    fs::copy(&photo, dir.join("again/renamed.jpg")).unwrap();
    let first = vault.import(&[&dir]);
    assert_eq!(first["imported"].as_array().unwrap().len(), 1);
    assert_eq!(first["duplicates"].as_array().unwrap().len(), 1);
    assert_eq!(first["duplicates"][0]["id"], first["imported"][0]["id"]);

    // A re-import of everything adds nothing; one changed byte makes a new photo.
    let again = vault.import(&[&dir]);
    assert_eq!(again["imported"].as_array().unwrap().len(), 0);
    assert_eq!(again["duplicates"].as_array().unwrap().len(), 2);
    let mut bytes = fs::read(&photo).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    fs::write(dir.join("edited.jpg"), bytes).unwrap();
    let edited = vault.import(&[&dir.join("edited.jpg")]);
    assert_eq!(edited["imported"].as_array().unwrap().len(), 1);
    assert_eq!(vault.json(&["ls"]).as_array().unwrap().len(), 2);
}

#[test]
fn same_names_from_different_folders_export_side_by_side_without_overwriting() {
    let vault = TestVault::new();
    let dir = vault.path("in");
    for (sub, sample) in [("a", "jpg__Canon_40D.jpg"), ("b", "jpg__Nikon_D70.jpg")] {
        fs::create_dir_all(dir.join(sub)).unwrap();
        fs::copy(
            samples().join("exif-samples").join(sample),
            dir.join(sub).join("IMG_0001.jpg"),
        )
        .unwrap();
    }
    vault.import(&[&dir]);
    let out = vault.path("out");
    fs::create_dir_all(&out).unwrap();
    fs::write(out.join("IMG_0001.jpg"), b"someone else's file").unwrap();
    vault.run_ok(&["export", "--all", "--to", out.to_str().unwrap()]);
    assert_eq!(
        fs::read(out.join("IMG_0001.jpg")).unwrap(),
        b"someone else's file"
    );
    let names: BTreeSet<String> = files_under(&out)
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        BTreeSet::from([
            "IMG_0001.jpg".into(),
            "IMG_0001 (2).jpg".into(),
            "IMG_0001 (3).jpg".into()
        ])
    );
    let exported = content_multiset(&out);
    assert!(exported.contains_key(&sha256(&dir.join("a/IMG_0001.jpg"))));
    assert!(exported.contains_key(&sha256(&dir.join("b/IMG_0001.jpg"))));
}

#[test]
fn export_by_id_and_unknown_ids() {
    let vault = TestVault::new();
    let photo = copy_samples("full-size", vault.root.path());
    let summary = vault.import(&[&photo]);
    let id = summary["imported"][0]["id"].as_str().unwrap().to_string();
    let out = vault.path("one");
    vault.run_ok(&["export", &id, "--to", out.to_str().unwrap()]);
    assert_eq!(files_under(&out).len(), 1);

    let missing = vault.run(&[
        "export",
        "0123456789abcdef0123456789abcdef",
        "--to",
        out.to_str().unwrap(),
    ]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("no such item"));
    let malformed = vault.run(&["export", "not-an-id", "--to", out.to_str().unwrap()]);
    assert_eq!(malformed.status.code(), Some(2));
}

#[test]
fn errors_are_one_clear_line_with_the_contract_exit_codes() {
    let vault = TestVault::new();
    let cases: [(&[&str], Option<&str>, i32, &str); 5] = [
        (&["ls"], Some("wrong password"), 3, "wrong password"),
        (&["init"], None, 1, "already exists"),
        (&["frobnicate"], None, 2, "unrecognized subcommand"),
        (&["export", "--to", "/tmp/x"], None, 2, "required"),
        (&["import"], None, 2, "required"),
    ];
    for (args, password, code, says) in cases {
        let mut cmd = vault.command(args);
        if let Some(pw) = password {
            cmd.env("KEEPSAKE_PASSWORD", pw);
        }
        let out = cmd.output().unwrap();
        no_panic(&out);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
    }
    let wrong = vault
        .command(&["ls"])
        .env("KEEPSAKE_PASSWORD", "nope nope nope")
        .output()
        .unwrap();
    assert_eq!(stderr(&wrong).lines().count(), 1);

    let nowhere = vault.path("no-vault-here");
    let out = std::process::Command::new(keepsake_bin())
        .args(["--vault", nowhere.to_str().unwrap(), "ls"])
        .env("KEEPSAKE_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no vault at"), "{}", stderr(&out));
}

#[test]
fn no_password_anywhere_is_a_clear_refusal_not_a_hang() {
    let vault = TestVault::new();
    let out = vault
        .command(&["ls"])
        .env_remove("KEEPSAKE_PASSWORD")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("KEEPSAKE_PASSWORD"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn password_from_stdin() {
    use std::io::Write;
    let vault = TestVault::new();
    let mut child = vault
        .command(&["--password-stdin", "ls", "--json"])
        .env_remove("KEEPSAKE_PASSWORD")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "[]");
}

#[test]
fn a_locked_vault_holds_no_plaintext() {
    let vault = TestVault::new();
    let input = vault.path("in");
    fs::create_dir_all(&input).unwrap();
    for sub in ["exif-samples", "formats"] {
        copy_samples(sub, &input);
    }
    vault.import(&[&input]);
    vault.run_ok(&["ls"]); // leaves the catalog's WAL in its usual state
    let needles: Vec<&[u8]> = vec![
        b"Canon_40D",
        b"DSCN0010",
        b"iphone_13",
        b"with-gps",
        b"exif-samples", // names, paths
        b"Canon EOS",
        b"NIKON",
        b"Apple", // camera strings
        b"Exif\0\0",
        b"JFIF\0",
        b"ftypheic",
        b"ftypmif1",
        b"\x89PNG",
        b"WEBPVP8", // signatures
        PASSWORD.as_bytes(),
        b"2008:05:30 15:56:01",
        b"2008-05-30T15:56:01", // a date taken, raw and as stored
        b"CREATE TABLE",
        b"SQLite format", // the catalog's structure
    ];
    let files = files_under(&vault.dir);
    assert!(files.len() > 10);
    for file in files {
        let bytes = fs::read(&file).unwrap();
        for needle in &needles {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == *needle),
                "{} contains {:?}",
                file.display(),
                String::from_utf8_lossy(needle)
            );
        }
    }
}

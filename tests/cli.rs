//! The CLI contract on the real sample photos: round trip, duplicates, accounting, errors.

mod support;

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
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
    // A picture with no date in it or its name is dated by its file, and says so.
    let undated = vault.id_of("jpg__PaintTool_sample.jpg");
    let shown = vault.json(&["show", &undated]);
    assert_eq!(shown["metadata"]["date_source"], "file time", "{shown}");
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm): the test's own
/// calendar, independent of the one the CLI uses.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn ymd(text: &str) -> (i64, i64, i64) {
    let part = |r: std::ops::Range<usize>| text[r].parse::<i64>().unwrap();
    (part(0..4), part(5..7), part(8..10))
}

/// `memories --date D` lists what `ls` lists taken within three days of D's day and month
/// in an earlier year (29 February: the 28th in other years), newest first: checked
/// against the listing for the day of every sample photo and the four days either side,
/// the turn of the year and a leap day.
#[test]
fn memories_are_the_photos_within_three_days_of_the_date_in_earlier_years() {
    let vault = TestVault::new();
    let input = copy_samples("exif-samples", vault.root.path());
    vault.import(&[&input]);
    let listing = vault.json(&["ls"]);
    let items: Vec<(String, String, String)> = listing
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let text = |k: &str| i[k].as_str().unwrap().to_string();
            (text("taken_at"), text("name"), text("id"))
        })
        .collect();
    let expected = |(y, m, d): (i64, i64, i64)| {
        let mut chosen: Vec<&(String, String, String)> = items
            .iter()
            .filter(|(taken, _, _)| {
                let (iy, im, id) = ymd(taken);
                let day = days_from_civil(iy, im, id);
                (iy - 1..=iy + 1).any(|year| {
                    let anchor_day = if m == 2 && d == 29 && !is_leap(year) {
                        28
                    } else {
                        d
                    };
                    year < y && (day - days_from_civil(year, m, anchor_day)).abs() <= 3
                })
            })
            .collect();
        chosen.sort();
        chosen.reverse();
        chosen
            .into_iter()
            .map(|(_, _, id)| id.clone())
            .collect::<Vec<_>>()
    };
    let mut dates: Vec<(i64, i64, i64)> =
        vec![(2027, 1, 1), (2026, 12, 31), (2028, 2, 29), (2027, 11, 30)];
    for (taken, _, _) in &items {
        let (_, m, d) = ymd(taken);
        for shift in -4..=4 {
            // The same day and month in 2026, shifted (within the month, or the 28th).
            dates.push((2026, m, (d.min(28) + shift).clamp(1, 28)));
        }
    }
    let mut nonempty = 0;
    for (y, m, d) in dates {
        let date = format!("{y:04}-{m:02}-{d:02}");
        let listed = vault.json(&["memories", "--date", &date]);
        let ids: Vec<String> = listed
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(ids, expected((y, m, d)), "memories --date {date}");
        nonempty += usize::from(!ids.is_empty());
    }
    assert!(
        nonempty > 10,
        "the dates chosen found memories only {nonempty} times"
    );
    let refused = vault.run(&["memories", "--date", "2026-02-30"]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
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
        // No session bus either: OS unlock cannot help, and its D-Bus error must not show.
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .output()
        .unwrap();
    // Nothing to unlock with is a usage error (2); a refused credential is 3.
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let message = stderr(&out);
    assert!(message.contains("KEEPSAKE_PASSWORD"), "{message}");
    assert_eq!(message.trim().lines().count(), 1, "{message}");
    assert!(!message.to_lowercase().contains("d-bus"), "{message}");
    assert!(!message.contains("org.freedesktop"), "{message}");
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

/// Appends to a file until dropped, as a copy still running or an editor saving would.
struct Grower {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Grower {
    fn start(path: &Path) -> Self {
        use std::io::Write;
        use std::sync::atomic::Ordering;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut file = fs::OpenOptions::new().append(true).open(path).unwrap();
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                file.write_all(&[0x5A; 4096]).unwrap();
                std::thread::sleep(std::time::Duration::from_micros(100));
            }
        });
        Grower {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Grower {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[test]
fn a_file_that_changes_during_import_is_skipped_never_stored_cut() {
    let vault = TestVault::new();
    let input = vault.path("in");
    fs::create_dir_all(&input).unwrap();
    // One read into memory, one streamed (past 64 MiB, where the cut used to happen).
    let small = input.join("copying.jpg");
    let large = input.join("scan.jpg");
    synthetic_file(&small, JPEG_SIGNATURE, 2 << 20, 1);
    synthetic_file(&large, JPEG_SIGNATURE, (64 << 20) + 4096, 2);
    let growing = [Grower::start(&small), Grower::start(&large)];
    let out = vault.run(&["import", input.to_str().unwrap(), "--json"]);
    drop(growing);
    no_panic(&out);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        summary["imported"].as_array().unwrap().len(),
        0,
        "{summary}"
    );
    let skipped = summary["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 2, "{summary}");
    for entry in skipped {
        assert!(
            entry["reason"].as_str().unwrap().contains("changed while"),
            "{entry}"
        );
    }
    assert!(vault.json(&["ls"]).as_array().unwrap().is_empty());
    assert!(vault.object_files().is_empty(), "a cut copy was stored");

    // Once the file is complete, it imports whole.
    let summary = vault.import(&[&large]);
    assert_eq!(summary["imported"].as_array().unwrap().len(), 1);
    let out = vault.path("out");
    vault.run_ok(&["export", "--all", "--to", out.to_str().unwrap()]);
    assert_eq!(sha256(&out.join("scan.jpg")), sha256(&large));
}

#[test]
fn init_whose_recovery_key_cannot_be_shown_creates_no_vault() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("vault");
    let full = fs::File::options().write(true).open("/dev/full").unwrap();
    let out = std::process::Command::new(keepsake_bin())
        .arg("--vault")
        .arg(&dir)
        .args(["init", "--kdf-memory-mib", "8", "--kdf-passes", "1"])
        .env("KEEPSAKE_PASSWORD", PASSWORD)
        .stdout(full)
        .output()
        .unwrap();
    no_panic(&out);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("recovery key"), "{}", stderr(&out));
    assert!(
        !dir.join("keepsake-vault.json").exists(),
        "a vault nobody saw the key of"
    );
    // The folder takes a vault afterwards.
    let out = std::process::Command::new(keepsake_bin())
        .arg("--vault")
        .arg(&dir)
        .args(["init", "--kdf-memory-mib", "8", "--kdf-passes", "1"])
        .env("KEEPSAKE_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn output_to_a_full_disk_or_a_closed_pipe_is_a_clean_exit_not_a_panic() {
    let vault = TestVault::new();
    vault.import(&[&samples().join("exif-samples/jpg__Canon_40D.jpg")]);
    for args in [&["ls"][..], &["info"], &["ls", "--json"]] {
        let full = fs::File::options().write(true).open("/dev/full").unwrap();
        let out = vault.command(args).stdout(full).output().unwrap();
        no_panic(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("No space left"), "{}", stderr(&out));
        assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));

        // `keepsake ls | head -0`: the reader is gone before the first line.
        let mut child = vault
            .command(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        no_panic(&out);
        assert_eq!(out.status.code(), Some(141), "{args:?}: {}", stderr(&out));
        assert_eq!(stderr(&out), "", "a closed pipe ends quietly");
    }
}

#[test]
fn export_to_a_file_system_without_hard_links_still_exports_and_overwrites_nothing() {
    let vault = TestVault::new();
    let input = copy_samples("exif-samples", vault.root.path());
    vault.import(&[&input]);
    let out = vault.path("usb-stick");
    fs::create_dir_all(&out).unwrap();
    fs::write(out.join("jpg__Canon_40D.jpg"), b"already on the stick").unwrap();
    // FAT and exFAT refuse link(2) with EPERM: injected here by strace.
    let keepsake = vault.command(&[]);
    let status = std::process::Command::new("strace")
        .args(["-f", "-o", "/dev/null", "-e", "trace=link,linkat"])
        .args(["-e", "inject=link,linkat:error=EPERM"])
        .arg(keepsake.get_program())
        .args(keepsake.get_args())
        .args(["export", "--all", "--to", out.to_str().unwrap()])
        .env("KEEPSAKE_PASSWORD", PASSWORD)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("strace (scripts/setup.sh installs it)");
    no_panic(&status);
    assert!(status.status.success(), "{}", stderr(&status));
    assert_eq!(
        fs::read(out.join("jpg__Canon_40D.jpg")).unwrap(),
        b"already on the stick"
    );
    let mut want = content_multiset(&input);
    let exported = content_multiset(&out);
    *want
        .entry(sha256(&out.join("jpg__Canon_40D.jpg")))
        .or_insert(0) += 1;
    let imported = vault.json(&["ls"]).as_array().unwrap().len();
    assert_eq!(exported.values().sum::<usize>(), imported + 1);
    assert!(exported.keys().all(|k| want.contains_key(k)));
    assert!(
        files_under(&out)
            .iter()
            .all(|f| !f.to_string_lossy().contains(".partial")),
        "a partial file was left"
    );
}

#[test]
fn no_panic_sees_a_planted_panic() {
    let vault = TestVault::new();
    let out = vault
        .command(&["info"])
        .env("KEEPSAKE_TEST_PANIC", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(101));
    let seen = std::panic::catch_unwind(|| no_panic(&out));
    assert!(
        seen.is_err(),
        "no_panic let a panic through: {}",
        stderr(&out)
    );
    no_panic(&vault.run(&["info"]));
}

#[test]
fn a_relative_vault_path_works_on_first_use() {
    let root = tempfile::tempdir().unwrap();
    let photo = samples().join("exif-samples/jpg__Canon_40D.jpg");
    for (flag, path) in [(true, "myvault"), (true, "deep/a/b"), (false, "v")] {
        let run = |args: &[&str]| {
            let mut cmd = std::process::Command::new(keepsake_bin());
            cmd.current_dir(root.path())
                .env("KEEPSAKE_PASSWORD", PASSWORD);
            if flag {
                cmd.arg("--vault").arg(path).env_remove("KEEPSAKE_VAULT");
            } else {
                cmd.env("KEEPSAKE_VAULT", path);
            }
            let out = cmd.args(args).output().unwrap();
            no_panic(&out);
            assert!(out.status.success(), "{path} {args:?}: {}", stderr(&out));
            out
        };
        run(&["init", "--kdf-memory-mib", "8", "--kdf-passes", "1"]);
        run(&["import", photo.to_str().unwrap()]);
        let listed: Value = serde_json::from_slice(&run(&["ls", "--json"]).stdout).unwrap();
        assert_eq!(listed.as_array().unwrap().len(), 1, "{path}");
        assert!(root.path().join(path).join("keepsake-vault.json").exists());
    }
}

#[test]
fn exported_photos_and_the_vault_folder_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |path: &Path| fs::metadata(path).unwrap().permissions().mode() & 0o777;
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("vault");
    fs::create_dir(&dir).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(keepsake_bin())
            .arg("--vault")
            .arg(&dir)
            .args(args)
            .env("KEEPSAKE_PASSWORD", PASSWORD)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    };
    run(&["init", "--kdf-memory-mib", "8", "--kdf-passes", "1"]);
    assert_eq!(mode(&dir), 0o700, "init tightens a folder that existed");
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
    run(&[
        "import",
        samples()
            .join("exif-samples/jpg__Canon_40D.jpg")
            .to_str()
            .unwrap(),
    ]);
    assert_eq!(mode(&dir), 0o700, "unlock tightens it again");

    let out = root.path().join("exported/photos");
    run(&["export", "--all", "--to", out.to_str().unwrap()]);
    assert_eq!(mode(&out), 0o700);
    let files = files_under(&out);
    assert_eq!(files.len(), 1);
    assert_eq!(mode(&files[0]), 0o600);
}

#[test]
fn names_print_escaped_and_json_failures_print_json() {
    let vault = TestVault::new();
    let input = vault.path("in");
    fs::create_dir_all(&input).unwrap();
    let odd = input.join("holiday\n\u{1b}[31mred.jpg");
    fs::copy(samples().join("exif-samples/jpg__Canon_40D.jpg"), &odd).unwrap();
    vault.import(&[&input]);
    let listing = stdout(&vault.run_ok(&["ls"]));
    assert_eq!(
        listing.lines().count(),
        1,
        "a name split a row: {listing:?}"
    );
    assert!(
        !listing.contains('\u{1b}'),
        "an escape sequence reached the terminal"
    );
    assert!(
        listing.contains("holiday\\n\\u{1b}[31mred.jpg"),
        "{listing:?}"
    );

    let out = vault
        .command(&["ls", "--json"])
        .env("KEEPSAKE_PASSWORD", "not the password")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let error: Value = serde_json::from_slice(&out.stdout).expect("a JSON error object");
    assert_eq!(error["exit_code"], 3);
    assert!(
        error["error"].as_str().unwrap().contains("password"),
        "{error}"
    );
}

/// Favourites, albums by name and the trash from the CLI, as `ls --json`, `album ls` and
/// `trash ls` then show them; emptying the trash deletes the original for good.
#[test]
fn organising_from_the_cli_is_what_ls_shows() {
    let vault = TestVault::new();
    let files = [
        "jpg__Canon_40D.jpg",
        "jpg__Nikon_D70.jpg",
        "jpg__gps__DSCN0010.jpg",
    ];
    vault.import_exif_samples(&files);
    let id = |name: &str| vault.id_of(name);
    let (canon, nikon, gps) = (id(files[0]), id(files[1]), id(files[2]));
    let entry = |list: &Value, id: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .cloned()
    };

    vault.run_ok(&["fav", &canon, &nikon]);
    vault.run_ok(&["fav", &nikon, "--off"]);
    vault.run_ok(&["album", "create", "Summer"]);
    vault.run_ok(&["album", "create", "Autumn"]);
    vault.run_ok(&["album", "add", "Summer", &canon, &gps]);
    vault.run_ok(&["album", "add", "Autumn", &canon]);
    vault.run_ok(&["album", "rm", "Summer", &gps]);
    let ls = vault.json(&["ls"]);
    let canon_entry = entry(&ls, &canon).unwrap();
    assert_eq!(canon_entry["favourite"], true);
    assert_eq!(
        canon_entry["albums"],
        serde_json::json!(["Autumn", "Summer"])
    );
    let nikon_entry = entry(&ls, &nikon).unwrap();
    assert_eq!(
        (&nikon_entry["favourite"], &nikon_entry["albums"]),
        (&Value::Bool(false), &serde_json::json!([]))
    );
    assert_eq!(
        vault.json(&["album", "ls"]),
        serde_json::json!([{"name": "Autumn", "items": [canon]}, {"name": "Summer", "items": [canon]}])
    );

    // Errors are one line and change nothing.
    let unknown = vault.run(&["album", "add", "Winter", &canon]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        stderr(&unknown).contains("no album named \"Winter\""),
        "{}",
        stderr(&unknown)
    );
    let missing = "0123456789abcdef0123456789abcdef";
    assert_eq!(vault.run(&["fav", &gps, missing]).status.code(), Some(1));
    assert_eq!(
        entry(&vault.json(&["ls"]), &gps).unwrap()["favourite"],
        false,
        "all or nothing"
    );
    assert_eq!(vault.run(&["rm", "not-an-id"]).status.code(), Some(2));

    // The trash: out of `ls`, in `trash ls`, back with restore, gone with empty.
    vault.run_ok(&["rm", &canon]);
    assert!(
        entry(&vault.json(&["ls"]), &canon).is_none(),
        "ls leaves the trash out"
    );
    let trashed = vault.json(&["trash", "ls"]);
    let in_trash = entry(&trashed, &canon).expect("trash ls lists it");
    assert!(in_trash["trashed_at"].is_string());
    assert_eq!(in_trash["albums"], serde_json::json!(["Autumn", "Summer"]));
    vault.run_ok(&["trash", "restore", &canon]);
    assert!(entry(&vault.json(&["ls"]), &canon).is_some());
    assert_eq!(vault.json(&["trash", "ls"]), serde_json::json!([]));

    let object = vault.object_file(&gps);
    vault.run_ok(&["rm", &gps]);
    vault.run_ok(&["trash", "empty"]);
    assert!(!object.exists(), "emptying the trash deletes the original");
    assert_eq!(vault.json(&["ls"]).as_array().unwrap().len(), 2);
    assert_eq!(vault.json(&["trash", "ls"]), serde_json::json!([]));
    vault.run_ok(&["verify"]);
}

/// `import --albums-from-folders` puts each photo into an album named after the folder it
/// was found in (an album already there is reused), not Takeout's "Photos from YYYY"
/// folders nor a file given by itself; importing again files what was already there.
#[test]
fn albums_from_folders_follow_the_folders_photos_were_found_in() {
    let vault = TestVault::new();
    let samples = samples().join("exif-samples");
    let input = vault.path("Takeout");
    let place = |folder: &str, sample: &str| {
        let dir = input.join(folder);
        fs::create_dir_all(&dir).unwrap();
        fs::copy(samples.join(sample), dir.join(sample)).unwrap();
    };
    place("Lisbon 2019", "jpg__Canon_40D.jpg");
    place("Lisbon 2019", "jpg__Nikon_D70.jpg");
    place("Photos from 2019", "jpg__Pentax_K10D.jpg");
    place("Photos from 2019", "jpg__gps__DSCN0010.jpg");
    place("Tuscany", "jpg__gps__DSCN0010.jpg"); // the same photo in a year and an album
    let alone = samples.join("jpg__Kodak_CX7530.jpg");
    vault.run_ok(&["album", "create", "Tuscany"]);

    let out = vault.run_ok(&[
        "import",
        input.to_str().unwrap(),
        alone.to_str().unwrap(),
        "--albums-from-folders",
    ]);
    assert!(
        stdout(&out).contains("album Lisbon 2019: 2 items"),
        "{}",
        stdout(&out)
    );
    let albums = |vault: &TestVault| -> BTreeMap<String, BTreeSet<String>> {
        let names: BTreeMap<String, String> = vault
            .json(&["ls"])
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                (
                    i["id"].as_str().unwrap().to_string(),
                    i["name"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        vault
            .json(&["album", "ls"])
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                let items = a["items"].as_array().unwrap().iter();
                let named = items
                    .map(|id| names[id.as_str().unwrap()].clone())
                    .collect();
                (a["name"].as_str().unwrap().to_string(), named)
            })
            .collect()
    };
    let expected: BTreeMap<String, BTreeSet<String>> = [
        (
            "Lisbon 2019",
            vec!["jpg__Canon_40D.jpg", "jpg__Nikon_D70.jpg"],
        ),
        ("Tuscany", vec!["jpg__gps__DSCN0010.jpg"]),
    ]
    .into_iter()
    .map(|(album, names)| {
        (
            album.to_string(),
            names.into_iter().map(String::from).collect(),
        )
    })
    .collect();
    assert_eq!(albums(&vault), expected);

    // A second vault, imported without the option first: the second import, with it,
    // finds every file already there and files them as the first vault's were.
    let again = TestVault::new();
    again.run_ok(&["import", input.to_str().unwrap()]);
    assert_eq!(again.json(&["album", "ls"]), serde_json::json!([]));
    again.run_ok(&["import", input.to_str().unwrap(), "--albums-from-folders"]);
    assert_eq!(albums(&again), expected);
}

//! SIGKILL in the middle of an import: the vault still opens and verifies clean, every
//! photo is either fully there (byte-identical on export) or absent, and a re-run finishes.
//! SIGKILL in the middle of `passwd`: the old or the new password opens the vault, never
//! neither. KEEPSAKE_CRASH_ROUNDS sets how many kills of each (default 30; the long run
//! uses hundreds); KEEPSAKE_CRASH_SEED repeats a run.

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};
use support::*;

const FILES: usize = 24;
const FILE_LEN: usize = 1 << 20;

/// (kills per test, seeded generator) from the environment.
fn settings() -> (usize, Lcg) {
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse().ok());
    (
        env("KEEPSAKE_CRASH_ROUNDS").unwrap_or(30) as usize,
        Lcg(env("KEEPSAKE_CRASH_SEED").unwrap_or(20261127)),
    )
}

fn assert_consistent(vault: &TestVault, originals: &BTreeMap<String, String>) -> usize {
    let verify = vault.run(&["verify", "--json"]);
    no_panic(&verify);
    assert_eq!(
        verify.status.code(),
        Some(0),
        "verify after a kill: {}",
        stdout(&verify)
    );
    let listed = vault.json(&["ls"]).as_array().unwrap().len();
    let out = vault.path("check");
    let _ = fs::remove_dir_all(&out);
    vault.run_ok(&["export", "--all", "--to", out.to_str().unwrap()]);
    let exported = files_under(&out);
    assert_eq!(exported.len(), listed);
    for file in &exported {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(
            originals.get(&name),
            Some(&sha256(file)),
            "{name} is not byte-identical"
        );
    }
    listed
}

#[test]
fn sigkill_during_import_never_leaves_a_partial_photo() {
    let (rounds, mut rng) = settings();
    let inputs = tempfile::tempdir().unwrap();
    let input = inputs.path().join("in");
    fs::create_dir_all(&input).unwrap();
    let mut originals = BTreeMap::new();
    for i in 0..FILES {
        let path = input.join(format!("IMG_{i:04}.jpg"));
        synthetic_file(&path, JPEG_SIGNATURE, FILE_LEN, i as u64);
        originals.insert(
            path.file_name().unwrap().to_string_lossy().into_owned(),
            sha256(&path),
        );
    }

    // Time full imports elsewhere, to aim the kills inside the import. The fastest of
    // three: the first runs on a cold page cache and would aim kills past the end.
    let full = (0..3)
        .map(|_| {
            let probe = TestVault::new();
            let started = Instant::now();
            probe.import(&[&input]);
            started.elapsed()
        })
        .min()
        .unwrap();

    let mut kills = 0;
    for round in 0..rounds {
        // A fresh vault each round, so every kill lands in a real import, not a re-run.
        let vault = TestVault::new();
        let delay = Duration::from_micros(rng.below(full.as_micros().max(1) as u64));
        if kill_after(
            &mut vault.command(&["import", input.to_str().unwrap()]),
            delay,
        ) {
            kills += 1;
        }
        let present = assert_consistent(&vault, &originals);
        eprintln!("round {round}: killed after {delay:?}, {present}/{FILES} photos present");

        // A re-run finishes the job.
        vault.import(&[&input]);
        assert_eq!(assert_consistent(&vault, &originals), FILES);
        assert!(no_temp_files_left(&vault.dir));
    }
    assert!(
        kills * 2 >= rounds,
        "only {kills} of {rounds} imports were still running when killed (full import took {full:?})"
    );
}

#[test]
fn sigkill_during_passwd_always_leaves_a_password_that_works() {
    let (rounds, mut rng) = settings();
    let vault = TestVault::new();
    // Time one password change, to aim the kills inside it.
    let started = Instant::now();
    let mut probe = vault.command(&["passwd"]);
    probe.env("KEEPSAKE_NEW_PASSWORD", "probe password one");
    assert!(probe.output().unwrap().status.success());
    let full = started.elapsed();
    let (mut current, mut kills) = ("probe password one".to_string(), 0);

    for round in 0..rounds {
        let next = format!("password number {round}");
        let mut passwd = vault.command(&["passwd"]);
        passwd
            .env("KEEPSAKE_PASSWORD", &current)
            .env("KEEPSAKE_NEW_PASSWORD", &next);
        let delay = Duration::from_micros(rng.below(full.as_micros() as u64));
        if kill_after(&mut passwd, delay) {
            kills += 1;
        }
        let opens = |password: &str| {
            let mut ls = vault.command(&["info"]);
            ls.env("KEEPSAKE_PASSWORD", password);
            ls.output().unwrap().status.success()
        };
        let (old, new) = (opens(&current), opens(&next));
        assert!(
            old != new,
            "round {round}: old opens {old}, new opens {new}"
        );
        if new {
            current = next;
        }
        let header_temp = fs::read_dir(&vault.dir)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
            .count();
        assert_eq!(header_temp, 0, "round {round}: a temporary header was left");
    }
    assert!(
        kills * 2 >= rounds,
        "only {kills} of {rounds} passwd runs were killed mid-way"
    );
}

fn no_temp_files_left(vault: &Path) -> bool {
    fs::read_dir(vault.join("tmp")).unwrap().next().is_none()
}

#[test]
fn sigkill_during_rebuild_catalog_loses_nothing_and_a_rerun_finishes() {
    let (rounds, mut rng) = settings();
    let rounds = (rounds / 3).max(5);
    let vault = TestVault::new();
    let input = vault.path("in");
    fs::create_dir_all(&input).unwrap();
    for i in 0..FILES {
        synthetic_file(
            &input.join(format!("IMG_{i:04}.jpg")),
            JPEG_SIGNATURE,
            FILE_LEN,
            900 + i as u64,
        );
    }
    vault.import(&[&input]);
    let originals = content_multiset(&input);
    let started = Instant::now();
    vault.run_ok(&["rebuild-catalog"]);
    let full = started.elapsed();

    let mut kills = 0;
    for round in 0..rounds {
        let delay = Duration::from_micros(rng.below(full.as_micros().max(1) as u64));
        if kill_after(&mut vault.command(&["rebuild-catalog"]), delay) {
            kills += 1;
        }
        // Mid-rebuild, unlisted objects are photos still to list: repair removes nothing.
        let repair = vault.run(&["verify", "--repair"]);
        no_panic(&repair);
        assert_eq!(
            vault.object_files().len(),
            FILES,
            "round {round}: a photo was removed"
        );
        let interrupted = vault.dir.join("catalog.rebuilding").exists();
        eprintln!("round {round}: killed after {delay:?}, rebuild interrupted: {interrupted}");
        if interrupted {
            assert_eq!(repair.status.code(), Some(4), "round {round}");
            let said = format!("{}{}", stdout(&repair), stderr(&repair));
            assert!(said.contains("rebuild"), "{said}");
        }
        vault.run_ok(&["rebuild-catalog"]);
        let out = vault.path("out");
        let _ = fs::remove_dir_all(&out);
        vault.run_ok(&["export", "--all", "--to", out.to_str().unwrap()]);
        assert_eq!(content_multiset(&out), originals, "round {round}");
    }
    assert!(
        kills * 2 >= rounds,
        "only {kills} of {rounds} rebuilds were killed mid-way (a full one took {full:?})"
    );
}

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

/// Fewer kills than this cannot show that kills land where they must.
const MIN_ROUNDS: usize = 10;
/// Import pauses this long after storing each object, before listing it: the window in
/// which a kill leaves a stored photo the catalog does not list yet.
const STORE_TO_LIST_PAUSE: &str = "object stored:5";
/// `passwd` pauses this long between writing the new header and renaming it into place.
const HEADER_RENAME_PAUSE: &str = "written keepsake-vault.json:60";

/// (kills per test, seeded generator) from the environment.
fn settings() -> (usize, Lcg) {
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse().ok());
    let rounds = env("KEEPSAKE_CRASH_ROUNDS").unwrap_or(30) as usize;
    assert!(
        rounds >= MIN_ROUNDS,
        "KEEPSAKE_CRASH_ROUNDS={rounds}: at least {MIN_ROUNDS}, or the kill tests prove nothing"
    );
    (rounds, Lcg(env("KEEPSAKE_CRASH_SEED").unwrap_or(20261127)))
}

/// Checks the vault after a kill; returns how many photos it lists and how many stored
/// photos it does not list.
fn assert_consistent(vault: &TestVault, originals: &BTreeMap<String, String>) -> (usize, usize) {
    let verify = vault.run(&["verify", "--json"]);
    no_panic(&verify);
    assert_eq!(
        verify.status.code(),
        Some(0),
        "verify after a kill: {}",
        stdout(&verify)
    );
    let report: serde_json::Value = serde_json::from_slice(&verify.stdout).unwrap();
    let unlisted = report["unlisted"].as_array().unwrap().len();
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
    (listed, unlisted)
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
            let mut import = probe.command(&["import", input.to_str().unwrap()]);
            import.env("KEEPSAKE_TEST_PAUSE", STORE_TO_LIST_PAUSE);
            assert!(import.output().unwrap().status.success());
            started.elapsed()
        })
        .min()
        .unwrap();

    let (mut kills, mut between_store_and_list, mut partial) = (0, 0, 0);
    for round in 0..rounds {
        // A fresh vault each round, so every kill lands in a real import, not a re-run.
        let vault = TestVault::new();
        let phases = Phases::new(vault.root.path(), "import");
        let delay = Duration::from_micros(rng.below(full.as_micros().max(1) as u64));
        let mut import = vault.command(&["import", input.to_str().unwrap()]);
        import.env("KEEPSAKE_TEST_PAUSE", STORE_TO_LIST_PAUSE);
        let killed = kill_after(phases.record(&mut import), delay);
        kills += usize::from(killed);
        let (present, unlisted) = assert_consistent(&vault, &originals);
        // A phase is written just after its step, so a kill can show one step short.
        let lines = phases.lines();
        let count = |phase: &str| lines.iter().filter(|l| *l == phase).count();
        let (stored, listed) = (count("object stored"), count("item listed"));
        assert!(
            present == listed || present == listed + 1,
            "round {round}: {present} listed, {listed} listings recorded"
        );
        assert!(
            [stored, stored + 1].contains(&(present + unlisted)),
            "round {round}: {present} listed + {unlisted} unlisted, {stored} stored"
        );
        // One committer: at most the photo in hand is stored and not yet listed.
        assert!(unlisted <= 1, "round {round}: {unlisted} unlisted");
        if unlisted == 1 && present + unlisted == stored {
            assert_eq!(
                phases.last().as_deref(),
                Some("object stored"),
                "round {round}"
            );
        }
        between_store_and_list += unlisted;
        partial += usize::from(present > 0 && present < FILES);
        eprintln!(
            "round {round}: killed {killed} after {delay:?} ({:?}), {present}/{FILES} listed, \
             {unlisted} unlisted",
            phases.last()
        );

        // A re-run finishes the job; a repair lists nothing twice and loses nothing.
        vault.import(&[&input]);
        assert_eq!(assert_consistent(&vault, &originals).0, FILES);
        vault.run_ok(&["verify", "--repair"]);
        assert_eq!(assert_consistent(&vault, &originals), (FILES, 0));
        assert!(no_temp_files_left(&vault.dir));
    }
    assert!(
        kills * 2 >= rounds,
        "only {kills} of {rounds} imports were still running when killed (full import took {full:?})"
    );
    eprintln!(
        "import: {kills} of {rounds} killed mid-run, {between_store_and_list} between storing \
         and listing, {partial} with some photos in"
    );
    assert!(
        between_store_and_list * 10 >= rounds && partial * 10 >= rounds,
        "of {rounds} kills, {between_store_and_list} landed between storing and listing a \
         photo and {partial} left some photos in: each needs at least a tenth"
    );
}

#[test]
fn sigkill_during_passwd_always_leaves_a_password_that_works() {
    let (rounds, mut rng) = settings();
    let vault = TestVault::new();
    // Time password changes, to aim the kills inside one: the quickest of three, so that
    // one slowed by the load of other tests does not aim the kills past the end.
    let mut current = PASSWORD.to_string();
    let mut full = Duration::MAX;
    for probe_round in 0..3 {
        let next = format!("probe password {probe_round}");
        let started = Instant::now();
        let mut probe = vault.command(&["passwd"]);
        probe
            .env("KEEPSAKE_PASSWORD", &current)
            .env("KEEPSAKE_NEW_PASSWORD", &next)
            .env("KEEPSAKE_TEST_PAUSE", HEADER_RENAME_PAUSE);
        assert!(probe.output().unwrap().status.success());
        full = full.min(started.elapsed());
        current = next;
    }
    let (mut kills, mut before_rename) = (0, 0);

    for round in 0..rounds {
        let next = format!("password number {round}");
        let phases = Phases::new(vault.root.path(), "passwd");
        let mut passwd = vault.command(&["passwd"]);
        passwd
            .env("KEEPSAKE_PASSWORD", &current)
            .env("KEEPSAKE_NEW_PASSWORD", &next)
            .env("KEEPSAKE_TEST_PAUSE", HEADER_RENAME_PAUSE);
        let delay = Duration::from_micros(rng.below(full.as_micros() as u64));
        let killed = kill_after(phases.record(&mut passwd), delay);
        kills += usize::from(killed);
        let written_last = phases.last().as_deref() == Some("written keepsake-vault.json");
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
        // Killed with the new header written and not yet renamed into place (a kill during
        // the rename's folder fsync also shows "written" last, but then the new one opens).
        let in_window = killed && written_last && old;
        before_rename += usize::from(in_window);
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
    eprintln!("passwd: {kills} of {rounds} killed mid-run, {before_rename} before the rename");
    assert!(
        before_rename * 5 >= rounds,
        "only {before_rename} of {rounds} kills landed between writing the new header and \
         renaming it (at least a fifth must)"
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
        let said = format!("{}{}", stdout(&repair), stderr(&repair));
        if interrupted {
            assert_eq!(repair.status.code(), Some(4), "round {round}: {said}");
            assert!(said.contains("rebuild"), "{said}");
        } else {
            assert_eq!(repair.status.code(), Some(0), "round {round}: {said}");
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

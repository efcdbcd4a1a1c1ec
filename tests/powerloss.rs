//! Power-loss discipline, checked on the real write path: each command runs under strace,
//! and the recorded system calls must follow the rules that make a power cut at any
//! moment leave the old state or the new, never a listed photo the disk lost:
//!
//! 1. An object is fsynced after its last write, under `tmp/`, before it is renamed into
//!    `objects/`. The same for the header's temporary file before it replaces the header.
//! 2. A new folder (a shard of `objects/`) is made durable by fsyncing its parent before
//!    anything is renamed into it.
//! 3. After a rename, the destination folder is fsynced before the catalog next commits
//!    (the next fsync of `catalog.db-wal`) and before the command exits.
//! 4. A command reports success only once the catalog's WAL was fsynced after its last
//!    write to it.
//!
//! SQLite's own ordering inside the WAL (synchronous = FULL) is SQLite's to keep.

mod support;

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::*;

#[derive(Debug, Clone, PartialEq)]
enum Event {
    Write(PathBuf),
    Fsync(PathBuf),
    Rename(PathBuf, PathBuf),
    Mkdir(PathBuf),
}

/// Runs `cmd` under strace and returns its successful file system calls, in the order
/// they completed.
fn record(cmd: Command, trace: &Path) -> Vec<Event> {
    let program = cmd.get_program().to_owned();
    let args: Vec<_> = cmd.get_args().map(ToOwned::to_owned).collect();
    let mut traced = Command::new("strace");
    traced
        .args(["-f", "-qq", "-y", "-s", "0", "-o"])
        .arg(trace)
        .args([
            "-e",
            "trace=write,pwrite64,writev,fsync,fdatasync,rename,renameat,renameat2,mkdir,mkdirat",
        ])
        .arg(program)
        .args(args);
    for (key, value) in cmd.get_envs() {
        match value {
            Some(v) => traced.env(key, v),
            None => traced.env_remove(key),
        };
    }
    traced.stdin(std::process::Stdio::null());
    let out = traced
        .output()
        .expect("strace (scripts/setup.sh installs it)");
    assert!(
        out.status.success(),
        "traced command failed: {}",
        stderr(&out)
    );
    parse(&fs::read_to_string(trace).unwrap())
}

/// strace -f splits a call across lines when threads interleave:
/// `PID fsync(7</p> <unfinished ...>` then `PID <... fsync resumed>) = 0`.
fn parse(text: &str) -> Vec<Event> {
    let mut pending: HashMap<&str, String> = HashMap::new();
    let mut events = Vec::new();
    for line in text.lines() {
        let (pid, rest) = line.split_once(' ').unwrap_or(("", line));
        let rest = rest.trim_start();
        let whole = if let Some(start) = rest.strip_suffix(" <unfinished ...>") {
            pending.insert(pid, start.to_string());
            continue;
        } else if rest.starts_with("<... ") {
            let Some(start) = pending.remove(pid) else {
                continue;
            };
            let tail = rest.split_once("resumed>").map_or("", |(_, t)| t);
            format!("{start}{tail}")
        } else {
            rest.to_string()
        };
        if let Some(event) = event_of(&whole) {
            events.push(event);
        }
    }
    events
}

fn event_of(call: &str) -> Option<Event> {
    let (name, args) = call.split_once('(')?;
    let result = call.rsplit_once(" = ")?.1;
    if result.starts_with('-') || result.starts_with('?') {
        return None; // failed or never returned
    }
    // `7</path/to/file>`: the path strace -y prints for a descriptor.
    let fd_path = || {
        let start = args.find('<')? + 1;
        let end = start + args[start..].find('>')?;
        Some(PathBuf::from(&args[start..end]))
    };
    let quoted = || -> Vec<PathBuf> {
        args.split('"')
            .skip(1)
            .step_by(2)
            .map(PathBuf::from)
            .collect()
    };
    match name {
        "write" | "pwrite64" | "writev" => fd_path().map(Event::Write),
        "fsync" | "fdatasync" => fd_path().map(Event::Fsync),
        "rename" | "renameat" | "renameat2" => {
            let paths = quoted();
            (paths.len() == 2).then(|| Event::Rename(paths[0].clone(), paths[1].clone()))
        }
        "mkdir" | "mkdirat" => quoted().into_iter().next().map(Event::Mkdir),
        _ => None,
    }
}

/// The rules, over one command's events inside `vault`. Returns every violation.
fn violations(events: &[Event], vault: &Path) -> Vec<String> {
    let wal = vault.join("catalog.db-wal");
    let inside = |p: &Path| p.starts_with(vault);
    let fsynced_between = |path: &Path, from: usize, to: usize| {
        events[from..to]
            .iter()
            .any(|e| *e == Event::Fsync(path.to_path_buf()))
    };
    let next_wal_sync = |from: usize| {
        events[from..]
            .iter()
            .position(|e| *e == Event::Fsync(wal.clone()))
            .map_or(events.len(), |i| from + i)
    };
    let mut found = Vec::new();
    for (i, event) in events.iter().enumerate() {
        match event {
            Event::Rename(from, to) if inside(to) => {
                let last_write = events[..i]
                    .iter()
                    .rposition(|e| *e == Event::Write(from.clone()))
                    .unwrap_or(0);
                if !fsynced_between(from, last_write, i) {
                    found.push(format!(
                        "rule 1: {} renamed without an fsync after its last write",
                        from.display()
                    ));
                }
                let folder = to.parent().unwrap();
                if let Some(made) = events[..i]
                    .iter()
                    .rposition(|e| *e == Event::Mkdir(folder.to_path_buf()))
                    && !fsynced_between(folder.parent().unwrap(), made, i)
                {
                    found.push(format!(
                        "rule 2: {} was made but its parent not fsynced before {} went in",
                        folder.display(),
                        to.display()
                    ));
                }
                if !fsynced_between(folder, i, next_wal_sync(i)) {
                    found.push(format!(
                        "rule 3: {} renamed into place, folder not fsynced before the next commit",
                        to.display()
                    ));
                }
            }
            _ => {}
        }
    }
    if let Some(last) = events.iter().rposition(|e| *e == Event::Write(wal.clone()))
        && !fsynced_between(&wal, last, events.len())
    {
        found.push("rule 4: the catalog's last write was never fsynced".into());
    }
    found
}

fn traced(vault: &TestVault, name: &str, cmd: Command) -> Vec<Event> {
    let events = record(cmd, &vault.path(&format!("{name}.strace")));
    let problems = violations(&events, &vault.dir);
    assert!(problems.is_empty(), "{name}:\n{}", problems.join("\n"));
    events
}

fn count(events: &[Event], what: impl Fn(&Event) -> bool) -> usize {
    events.iter().filter(|e| what(e)).count()
}

#[test]
fn import_passwd_sync_restore_and_repair_keep_the_write_order() {
    let vault = TestVault::new();
    let input = vault.path("in");
    copy_samples("exif-samples", &input);
    let events = traced(
        &vault,
        "import",
        vault.command(&["import", input.to_str().unwrap()]),
    );
    let objects = vault.object_files().len();
    assert!(objects > 20);
    // The recorder saw the real thing: every object's rename, and the folders made.
    let into_objects =
        |e: &Event| matches!(e, Event::Rename(_, to) if to.starts_with(vault.dir.join("objects")));
    assert_eq!(count(&events, into_objects), objects);
    assert!(count(&events, |e| matches!(e, Event::Mkdir(_))) > 0);

    let mut passwd = vault.command(&["passwd"]);
    passwd.env("KEEPSAKE_NEW_PASSWORD", "a new password for this vault");
    let events = traced(&vault, "passwd", passwd);
    let header = vault.dir.join("keepsake-vault.json");
    assert_eq!(
        count(
            &events,
            |e| matches!(e, Event::Rename(_, to) if *to == header)
        ),
        1
    );
    let new_password = |mut cmd: Command| {
        cmd.env("KEEPSAKE_PASSWORD", "a new password for this vault");
        cmd
    };

    // Restore onto a new machine, from a folder remote: every object again.
    let remote = vault.path("usb");
    let url = format!("file://{}", remote.display());
    vault
        .command(&["remote", "add", "usb", &url])
        .env("KEEPSAKE_PASSWORD", "a new password for this vault")
        .output()
        .unwrap();
    traced(&vault, "sync", new_password(vault.command(&["sync"])));
    let restored = TestVault {
        root: tempfile::tempdir().unwrap(),
        dir: vault.path("restored"),
        recovery_key: String::new(),
        password: PASSWORD,
    };
    let events = traced(
        &restored,
        "restore",
        new_password(restored.command(&["restore", &url])),
    );
    assert_eq!(
        count(
            &events,
            |e| matches!(e, Event::Rename(_, to) if to.starts_with(restored.dir.join("objects")))
        ),
        objects
    );

    // Repair: a damaged local object fetched back from the remote.
    let damaged = &restored.object_files()[0];
    let mut bytes = fs::read(damaged).unwrap();
    bytes[100] ^= 1;
    fs::write(damaged, bytes).unwrap();
    fs::remove_dir_all(damaged.parent().unwrap()).unwrap();
    traced(
        &restored,
        "repair",
        new_password(restored.command(&["verify", "--repair"])),
    );
    assert!(damaged.exists(), "repaired from the remote");
}

#[test]
fn the_rules_catch_a_rename_before_its_fsync() {
    // The checker itself: a trace in the wrong order must be refused.
    let vault = Path::new("/v");
    let tmp = PathBuf::from("/v/tmp/0a");
    let object = PathBuf::from("/v/objects/0a/0a");
    let wal = PathBuf::from("/v/catalog.db-wal");
    let good = vec![
        Event::Write(tmp.clone()),
        Event::Fsync(tmp.clone()),
        Event::Mkdir(PathBuf::from("/v/objects/0a")),
        Event::Fsync(PathBuf::from("/v/objects")),
        Event::Rename(tmp.clone(), object.clone()),
        Event::Fsync(PathBuf::from("/v/objects/0a")),
        Event::Write(wal.clone()),
        Event::Fsync(wal.clone()),
    ];
    assert_eq!(violations(&good, vault), Vec::<String>::new());
    for (drop, rule) in [(1, "rule 1"), (3, "rule 2"), (5, "rule 3"), (7, "rule 4")] {
        let mut bad = good.clone();
        bad.remove(drop);
        let found = violations(&bad, vault);
        assert!(
            found.iter().any(|v| v.starts_with(rule)),
            "{rule}: {found:?}"
        );
    }
    let parsed = parse(
        "12 fsync(7</v/tmp/0a> <unfinished ...>\n\
         13 write(9</v/catalog.db-wal>, \"\"..., 4120) = 4120\n\
         12 <... fsync resumed>) = 0\n\
         12 rename(\"/v/tmp/0a\", \"/v/objects/0a/0a\") = 0\n\
         12 mkdir(\"/v/objects/0b\", 0700) = -1 EEXIST (File exists)\n",
    );
    assert_eq!(
        parsed,
        vec![
            Event::Write(wal),
            Event::Fsync(tmp.clone()),
            Event::Rename(tmp, object),
        ]
    );
}

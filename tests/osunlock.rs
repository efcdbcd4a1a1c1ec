//! Unlock through the OS against a real Secret Service: gnome-keyring on a private D-Bus
//! session bus started here, with HOME in a temporary folder (nothing of the user's keyring
//! is touched).

mod support;

use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Output, Stdio};
use support::{TestVault, no_panic, stderr, stdout};
use tempfile::TempDir;

/// A private session bus, with or without an unlocked gnome-keyring on it.
struct SessionBus {
    daemon: Child,
    address: String,
    home: TempDir,
}

impl SessionBus {
    fn start(with_keyring: bool) -> Self {
        let home = tempfile::tempdir().unwrap();
        let mut daemon = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon (apt install dbus)");
        let mut address = String::new();
        BufReader::new(daemon.stdout.take().unwrap())
            .read_line(&mut address)
            .unwrap();
        let bus = Self {
            daemon,
            address: address.trim().to_string(),
            home,
        };
        if with_keyring {
            let mut keyring = Command::new("gnome-keyring-daemon");
            let mut keyring = bus
                .env(&mut keyring)
                .args(["--unlock", "--components=secrets"])
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("gnome-keyring-daemon (apt install gnome-keyring)");
            keyring
                .stdin
                .take()
                .unwrap()
                .write_all(b"login keyring password")
                .unwrap();
            assert!(keyring.wait().unwrap().success());
        }
        bus
    }

    fn env<'a>(&self, cmd: &'a mut Command) -> &'a mut Command {
        let home = self.home.path();
        cmd.env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .env("HOME", home)
            .env("XDG_DATA_HOME", home.join(".local/share"))
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_RUNTIME_DIR", home)
    }
}

impl Drop for SessionBus {
    fn drop(&mut self) {
        // gnome-keyring-daemon leaves with its bus.
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

/// `keepsake ARGS` on `bus`, with the password (as scripts give it) or without one (no
/// TTY, no KEEPSAKE_PASSWORD).
fn run(vault: &TestVault, bus: &SessionBus, args: &[&str], password: bool) -> Output {
    let mut cmd = vault.command(args);
    bus.env(&mut cmd);
    if !password {
        cmd.env_remove("KEEPSAKE_PASSWORD");
    }
    let out = cmd.output().unwrap();
    no_panic(&out);
    out
}

fn ok(vault: &TestVault, bus: &SessionBus, args: &[&str], password: bool) -> String {
    let out = run(vault, bus, args, password);
    assert!(out.status.success(), "keepsake {args:?}: {}", stderr(&out));
    stdout(&out)
}

fn devices(vault: &TestVault, bus: &SessionBus) -> Vec<Value> {
    let out = ok(vault, bus, &["device", "ls", "--json"], true);
    serde_json::from_str::<Value>(&out)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// A credential was given (or found in the keyring) and refused: exit 3, one line.
fn refused(out: &Output, says: &str) {
    one_line_exit(out, 3, says);
}

/// No credential was given and none could be found: exit 2 (usage), one line.
fn not_given(out: &Output, says: &str) {
    one_line_exit(out, 2, says);
}

fn one_line_exit(out: &Output, code: i32, says: &str) {
    assert_eq!(out.status.code(), Some(code), "{}", stderr(out));
    let message = stderr(out);
    assert!(message.contains(says), "expected {says:?} in: {message}");
    assert_eq!(
        message.trim().lines().count(),
        1,
        "one clear line: {message}"
    );
}

fn sample() -> std::path::PathBuf {
    support::samples().join("exif-samples/jpg__Canon_40D.jpg")
}

#[test]
fn a_remembered_device_unlocks_without_the_password_until_revoked() {
    let vault = TestVault::new();
    let bus = SessionBus::start(true);
    vault.import(&[&sample()]);
    assert!(devices(&vault, &bus).is_empty());
    not_given(&run(&vault, &bus, &["ls"], false), "no password");

    ok(&vault, &bus, &["device", "enable"], true);
    let listed = devices(&vault, &bus);
    assert_eq!(listed.len(), 1, "{listed:?}");
    let id = listed[0]["id"].as_str().unwrap().to_string();
    assert!(listed[0]["name"].as_str().is_some_and(|n| !n.is_empty()));
    assert!(listed[0]["created"].as_str().is_some());
    assert!(listed[0]["last_used"].is_null());
    assert_eq!(listed[0]["this_device"], true, "{listed:?}");

    // No TTY, no KEEPSAKE_PASSWORD: the OS unlocks.
    let listing = ok(&vault, &bus, &["ls", "--json"], false);
    assert!(listing.contains("jpg__Canon_40D.jpg"));
    assert!(devices(&vault, &bus)[0]["last_used"].as_str().is_some());

    // A new password leaves device unlock working.
    let mut passwd = vault.command(&["passwd"]);
    bus.env(&mut passwd)
        .env("KEEPSAKE_NEW_PASSWORD", "a brand new password");
    assert!(passwd.output().unwrap().status.success());
    ok(&vault, &bus, &["ls"], false);

    // Revoked: the entry in the keyring opens nothing any more.
    let mut revoke = vault.command(&["device", "revoke", &id]);
    bus.env(&mut revoke)
        .env("KEEPSAKE_PASSWORD", "a brand new password");
    let out = revoke.output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    refused(&run(&vault, &bus, &["ls"], false), "revoked");
    let mut with_password = vault.command(&["ls"]);
    bus.env(&mut with_password)
        .env("KEEPSAKE_PASSWORD", "a brand new password");
    assert!(with_password.output().unwrap().status.success());
    assert_eq!(
        run(&vault, &bus, &["device", "revoke", &id], true)
            .status
            .code(),
        Some(3),
        "the old password is gone"
    );
}

#[test]
fn disable_forgets_the_device_and_recovery_revokes_every_device() {
    let vault = TestVault::new();
    let bus = SessionBus::start(true);
    ok(&vault, &bus, &["device", "enable"], true);
    ok(&vault, &bus, &["device", "disable"], true);
    assert!(devices(&vault, &bus).is_empty());
    not_given(&run(&vault, &bus, &["ls"], false), "not set up");

    ok(&vault, &bus, &["device", "enable"], true);
    ok(&vault, &bus, &["ls"], false);
    let mut recover = vault.command(&["recover"]);
    bus.env(&mut recover)
        .env("KEEPSAKE_RECOVERY_KEY", &vault.recovery_key)
        .env("KEEPSAKE_NEW_PASSWORD", "recovered password");
    let out = recover.output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    refused(&run(&vault, &bus, &["ls"], false), "revoked");
    let mut listing = vault.command(&["device", "ls", "--json"]);
    bus.env(&mut listing)
        .env("KEEPSAKE_PASSWORD", "recovered password");
    let out = listing.output().unwrap();
    assert_eq!(stdout(&out).trim(), "[]", "{}", stderr(&out));
}

#[test]
fn without_a_secret_service_the_password_still_works_and_the_error_says_why() {
    let vault = TestVault::new();
    let with_keyring = SessionBus::start(true);
    ok(&vault, &with_keyring, &["device", "enable"], true);
    drop(with_keyring);

    let bare = SessionBus::start(false);
    not_given(&run(&vault, &bare, &["ls"], false), "no system keyring");
    ok(&vault, &bare, &["ls"], true);
    let out = run(&vault, &bare, &["device", "enable"], true);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("keyring"), "{}", stderr(&out));
    // Nothing half-enabled: the header has no slot for a secret that was never stored.
    assert_eq!(
        serde_json::from_str::<Value>(&ok(&vault, &bare, &["device", "ls", "--json"], true))
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        1,
        "only the device enabled while the keyring ran"
    );
}

#[test]
fn restoring_with_the_recovery_key_revokes_every_device() {
    let vault = TestVault::new();
    let bus = SessionBus::start(true);
    ok(&vault, &bus, &["device", "enable"], true);
    let url = format!("file://{}", vault.path("nas").display());
    ok(&vault, &bus, &["remote", "add", "nas", &url], true);
    ok(&vault, &bus, &["sync"], true);

    // The laptop is gone; the owner restores onto a new machine with the recovery key.
    let restored = vault.path("restored");
    let on_restored = |args: &[&str]| {
        let mut cmd = Command::new(support::keepsake_bin());
        cmd.arg("--vault")
            .arg(&restored)
            .args(args)
            .stdin(Stdio::null());
        cmd
    };
    let mut restore = on_restored(&["restore", &url, "--recovery-key"]);
    restore
        .env("KEEPSAKE_RECOVERY_KEY", &vault.recovery_key)
        .env("KEEPSAKE_NEW_PASSWORD", "recovered password");
    let out = bus.env(&mut restore).output().unwrap();
    no_panic(&out);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut listing = on_restored(&["device", "ls", "--json"]);
    listing.env("KEEPSAKE_PASSWORD", "recovered password");
    let out = bus.env(&mut listing).output().unwrap();
    assert_eq!(stdout(&out).trim(), "[]", "{}", stderr(&out));
}

#[test]
fn the_keyring_alone_cannot_change_the_password_devices_or_remotes() {
    let vault = TestVault::new();
    let bus = SessionBus::start(true);
    ok(&vault, &bus, &["device", "enable"], true);
    ok(&vault, &bus, &["ls"], false);
    // Someone at the owner's unlocked session, without the password.
    let mut passwd = vault.command(&["passwd"]);
    passwd
        .env_remove("KEEPSAKE_PASSWORD")
        .env("KEEPSAKE_NEW_PASSWORD", "an attacker's password");
    let out = bus.env(&mut passwd).output().unwrap();
    no_panic(&out);
    not_given(&out, "the password is needed");
    let url = format!("file://{}", vault.path("elsewhere").display());
    for args in [
        &["remote", "add", "theirs", &url][..],
        &["device", "enable", "--name", "theirs"],
    ] {
        not_given(&run(&vault, &bus, args, false), "the password is needed");
    }
    // Nothing changed: the owner's password still opens it, with no remote added.
    ok(&vault, &bus, &["info"], true);
    let remotes = ok(&vault, &bus, &["remote", "ls", "--json"], true);
    assert!(!remotes.contains("theirs"), "{remotes}");
    assert_eq!(devices(&vault, &bus).len(), 1);
}

//! Passwords and the recovery key: change, recover, and the real default KDF cost.

mod support;

use std::fs;
use support::*;

fn ls_with(vault: &TestVault, password: &str) -> std::process::Output {
    vault
        .command(&["ls", "--json"])
        .env("KEEPSAKE_PASSWORD", password)
        .output()
        .unwrap()
}

#[test]
fn passwd_rewraps_without_touching_a_single_photo() {
    let vault = TestVault::new();
    vault.import(&[&samples().join("exif-samples/jpg__Canon_40D.jpg")]);
    let objects_before: Vec<Vec<u8>> = vault
        .object_files()
        .iter()
        .map(|p| fs::read(p).unwrap())
        .collect();

    let out = vault
        .command(&["passwd"])
        .env("KEEPSAKE_NEW_PASSWORD", "a brand new passphrase")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));

    assert_eq!(
        ls_with(&vault, PASSWORD).status.code(),
        Some(3),
        "the old password is retired"
    );
    let listed = ls_with(&vault, "a brand new passphrase");
    assert!(listed.status.success());
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&listed.stdout)
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let objects_after: Vec<Vec<u8>> = vault
        .object_files()
        .iter()
        .map(|p| fs::read(p).unwrap())
        .collect();
    assert_eq!(objects_before, objects_after, "no object was re-encrypted");
}

#[test]
fn passwd_refuses_a_short_password_and_keeps_the_old_one() {
    let vault = TestVault::new();
    let out = vault
        .command(&["passwd"])
        .env("KEEPSAKE_NEW_PASSWORD", "short")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("too short"));
    assert!(ls_with(&vault, PASSWORD).status.success());
}

#[test]
fn passwd_with_both_passwords_on_stdin() {
    use std::io::Write;
    let vault = TestVault::new();
    let mut child = vault
        .command(&["--password-stdin", "passwd", "--new-password-stdin"])
        .env_remove("KEEPSAKE_PASSWORD")
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    write!(
        child.stdin.take().unwrap(),
        "{PASSWORD}\nsecond line password\n"
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(ls_with(&vault, "second line password").status.success());
}

#[test]
fn the_recovery_key_sets_a_new_password_and_keeps_working() {
    let vault = TestVault::new();
    vault.import(&[&samples().join("exif-samples/jpg__Nikon_D70.jpg")]);
    let recover = |key: &str, new: &str| {
        vault
            .command(&["recover"])
            .env_remove("KEEPSAKE_PASSWORD")
            .env("KEEPSAKE_RECOVERY_KEY", key)
            .env("KEEPSAKE_NEW_PASSWORD", new)
            .output()
            .unwrap()
    };
    // Forgiving of case and spacing, as a key copied from paper would be typed.
    let sloppy = format!(
        "  {}  ",
        vault.recovery_key.to_uppercase().replace(' ', "  ")
    );
    let out = recover(&sloppy, "recovered passphrase");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(ls_with(&vault, PASSWORD).status.code(), Some(3));
    assert!(ls_with(&vault, "recovered passphrase").status.success());
    // The same key works again later.
    assert!(
        recover(&vault.recovery_key, "third passphrase!")
            .status
            .success()
    );
    assert!(ls_with(&vault, "third passphrase!").status.success());

    // Another vault's key, and a mistyped one: exit 3, nothing changed.
    let other = TestVault::new();
    let wrong = recover(&other.recovery_key, "should not be set");
    assert_eq!(wrong.status.code(), Some(3), "{}", stderr(&wrong));
    assert!(stderr(&wrong).contains("wrong recovery key"));
    let mut words: Vec<&str> = vault.recovery_key.split(' ').collect();
    words.swap(0, 1);
    let typo = recover(&words.join(" "), "should not be set");
    assert_eq!(typo.status.code(), Some(3));
    assert!(ls_with(&vault, "third passphrase!").status.success());
}

#[test]
fn a_new_vault_uses_at_least_the_default_argon2id_cost() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("vault");
    let out = std::process::Command::new(keepsake_bin())
        .args(["--vault", dir.to_str().unwrap(), "init"])
        .env("KEEPSAKE_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let header = fs::read_to_string(dir.join("keepsake-vault.json")).unwrap();
    let body: serde_json::Value = serde_json::from_str(header.lines().next().unwrap()).unwrap();
    assert_eq!(body["kdf"]["algorithm"], "argon2id");
    assert!(body["kdf"]["memory_kib"].as_u64().unwrap() >= 256 * 1024);
    assert!(body["kdf"]["iterations"].as_u64().unwrap() >= 3);
    assert_eq!(recovery_key_from(&stdout(&out)).split(' ').count(), 24);
}

#[test]
fn init_refuses_a_folder_with_other_files() {
    let root = tempfile::tempdir().unwrap();
    fs::write(root.path().join("holiday.jpg"), b"x").unwrap();
    let out = std::process::Command::new(keepsake_bin())
        .args(["--vault", root.path().to_str().unwrap(), "init"])
        .env("KEEPSAKE_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("not empty"));
    assert_eq!(
        fs::read_dir(root.path()).unwrap().count(),
        1,
        "nothing was added"
    );
}

//! Every format that ever shipped keeps opening. tests/fixtures holds vaults made by
//! Keepsake releases (`vault-v1`: header version 1 with a device remembered as "Alice
//! Smith's MacBook Pro", holding jpg__Canon_40D.jpg; `vault-v1-costly`: header version 1
//! made with `init --kdf-memory-mib 8 --kdf-passes 11`, above today's everyday bounds).
//! Also here: the limits on what a header's KDF parameters can cost.

mod support;

use std::fs;
use std::path::Path;
use std::process::Command;
use support::*;

const FIXTURE_PASSWORD: &str = "fixture password for v1";
const DEVICE_NAME: &str = "Alice Smith's MacBook Pro";
const DEVICE_CREATED: &str = "2026-11-29T23:12:51Z";

fn header(vault: &TestVault) -> String {
    fs::read_to_string(vault.dir.join("keepsake-vault.json")).unwrap()
}

fn header_body(vault: &TestVault) -> serde_json::Value {
    serde_json::from_str(header(vault).lines().next().unwrap()).unwrap()
}

/// Rewrites the header's first line through `edit` and recomputes the checksum, as
/// someone who edits the file on a remote can (the MAC they cannot).
fn edit_header(vault: &TestVault, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut body = header_body(vault);
    edit(&mut body);
    let line = serde_json::to_string(&body).unwrap();
    let seals: serde_json::Value =
        serde_json::from_str(header(vault).lines().nth(1).unwrap()).unwrap();
    let checksum = blake3::hash(line.as_bytes()).to_hex().to_string();
    let seals = serde_json::json!({"checksum": checksum, "mac": seals["mac"]});
    fs::write(
        vault.dir.join("keepsake-vault.json"),
        format!("{line}\n{seals}\n"),
    )
    .unwrap();
}

#[test]
fn a_version_1_header_moves_device_names_into_the_encrypted_catalog() {
    let vault = TestVault::fixture("vault-v1", FIXTURE_PASSWORD);
    let shipped = header(&vault);
    assert!(shipped.contains(r#""version":1"#) && shipped.contains(DEVICE_NAME));

    let devices = vault.json(&["device", "ls"]);
    assert_eq!(devices[0]["id"], "23102f1193786a81");
    assert_eq!(devices[0]["name"], DEVICE_NAME);
    assert_eq!(devices[0]["created"], DEVICE_CREATED);

    let upgraded = header(&vault);
    let body = header_body(&vault);
    assert_eq!(body["version"], 3);
    assert!(
        !upgraded.contains("Alice") && !upgraded.contains(DEVICE_CREATED),
        "the header every remote receives still names the device:\n{upgraded}"
    );
    assert_eq!(
        body["devices"][0]["id"], "23102f1193786a81",
        "the slot stays"
    );
    assert_eq!(body["vault_id"], "6bff12edc8b61337678a3bc722a69312");

    // Nothing else changed: the photo exports byte for byte, verify finds no damage, and
    // a second unlock rewrites nothing.
    let out = vault.path("out");
    vault.run_ok(&["export", "--all", "--to", out.to_str().unwrap()]);
    let exported: Vec<String> = files_under(&out).iter().map(|p| sha256(p)).collect();
    let source = sha256(&samples().join("exif-samples/jpg__Canon_40D.jpg"));
    assert_eq!(exported, [source]);
    vault.run_ok(&["verify"]);
    assert_eq!(vault.json(&["device", "ls"]), devices);
    assert_eq!(header(&vault), upgraded);
}

#[test]
fn the_reference_reader_reads_every_header_version() {
    let python = std::env::var("KEEPSAKE_PYTHON").unwrap_or_else(|_| "python3".into());
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/reference/keepsake_decrypt.py");
    let vault = TestVault::fixture("vault-v1", FIXTURE_PASSWORD);
    let source = sha256(&samples().join("exif-samples/jpg__Canon_40D.jpg"));
    for version in [1, 3] {
        if version == 3 {
            vault.run_ok(&["ls"]);
        }
        assert_eq!(header_body(&vault)["version"], version);
        let out = vault.path(&format!("reference-v{version}"));
        let run = Command::new(&python)
            .arg(&script)
            .arg(&vault.dir)
            .arg(&out)
            .env("KEEPSAKE_PASSWORD", FIXTURE_PASSWORD)
            .output()
            .unwrap();
        assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
        let decrypted: Vec<String> = files_under(&out).iter().map(|p| sha256(p)).collect();
        assert_eq!(decrypted, std::slice::from_ref(&source));
    }
}

#[test]
fn a_costly_kdf_from_an_older_keepsake_opens_once_when_asked_then_within_bounds() {
    let vault = TestVault::fixture("vault-v1-costly", FIXTURE_PASSWORD);
    assert_eq!(header_body(&vault)["kdf"]["iterations"], 11);

    let refused = vault.run(&["ls"]);
    assert_eq!(refused.status.code(), Some(4), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("--allow-costly-kdf"));
    assert_eq!(
        header_body(&vault)["kdf"]["iterations"],
        11,
        "a refusal changes nothing"
    );

    vault.run_ok(&["--allow-costly-kdf", "ls"]);
    let kdf = &header_body(&vault)["kdf"];
    assert_eq!(kdf["iterations"], 10, "lowered into the everyday bounds");
    assert_eq!(kdf["memory_kib"], 8192);
    vault.run_ok(&["ls"]);
}

#[test]
fn an_edited_header_costs_at_most_the_everyday_bounds_and_is_named() {
    let vault = TestVault::new();
    vault.run_ok(&["ls"]);
    // The largest the format allows: before, this went straight into Argon2 (4 GiB).
    edit_header(&vault, |body| {
        body["kdf"]["memory_kib"] = 4194304.into();
        body["kdf"]["iterations"] = 64.into();
        body["kdf"]["parallelism"] = 16.into();
    });
    let refused = vault.run(&["ls"]);
    assert_eq!(refused.status.code(), Some(4), "{}", stderr(&refused));
    let err = stderr(&refused);
    assert!(err.contains("4096 MiB, 64 passes, 16 lanes"), "{err}");
    assert!(
        err.contains("warning: this vault's password settings changed"),
        "this device derived with other parameters last time: {err}"
    );

    // Beyond the format: damage, whatever is allowed.
    edit_header(&vault, |body| body["kdf"]["iterations"] = 65.into());
    let refused = vault.run(&["--allow-costly-kdf", "ls"]);
    assert_eq!(refused.status.code(), Some(4), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("damaged"), "{}", stderr(&refused));

    // Within the everyday bounds but other than last time: warned before deriving, then
    // the MAC catches the edit.
    edit_header(&vault, |body| {
        body["kdf"]["memory_kib"] = 16384.into();
        body["kdf"]["iterations"] = 1.into();
        body["kdf"]["parallelism"] = 4.into();
    });
    let tampered = vault.run(&["ls"]);
    assert_eq!(tampered.status.code(), Some(3), "{}", stderr(&tampered));
    assert!(stderr(&tampered).contains("8 MiB, 1 pass, 4 lanes before, 16 MiB"));
}

#[test]
fn unchanged_parameters_give_no_warning() {
    let vault = TestVault::new();
    for _ in 0..2 {
        let out = vault.run_ok(&["ls"]);
        assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
    }
}

#[test]
fn init_refuses_costly_settings_before_writing_anything() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("v");
    let out = Command::new(keepsake_bin())
        .arg("--vault")
        .arg(&dir)
        .args(["init", "--kdf-memory-mib", "2048", "--kdf-passes", "3"])
        .env("KEEPSAKE_PASSWORD", PASSWORD)
        .env("XDG_DATA_HOME", root.path().join("xdg"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("1024"), "{}", stderr(&out));
    assert!(!dir.exists());
}

/// A derivation that cannot have its memory gets a message with the amounts; before, it
/// said "invalid key-derivation parameters: out of memory".
#[test]
#[cfg(target_os = "linux")]
fn a_derivation_without_the_memory_for_it_is_refused_with_the_amounts() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("v");
    let keepsake = |prefix: &[&str], args: &[&str]| {
        let mut cmd = Command::new(prefix.first().copied().unwrap_or("env"));
        cmd.args(prefix.iter().skip(1))
            .arg(keepsake_bin())
            .arg("--vault")
            .arg(&dir)
            .args(args)
            .env("KEEPSAKE_PASSWORD", PASSWORD)
            .env("XDG_DATA_HOME", root.path().join("xdg"))
            .output()
            .unwrap()
    };
    let init = keepsake(
        &[],
        &["init", "--kdf-memory-mib", "1024", "--kdf-passes", "1"],
    );
    assert!(init.status.success(), "{}", stderr(&init));
    let limited = keepsake(&["prlimit", "--as=805306368", "--"], &["ls"]);
    no_panic(&limited);
    assert_eq!(limited.status.code(), Some(1), "{}", stderr(&limited));
    let err = stderr(&limited);
    assert!(err.contains("needs 1088 MiB of memory"), "{err}");
}

/// A vault from before perceptual hashes (schema 7) finds near-duplicates too: the hashes
/// are made from its stored thumbnails, and a copy imported now groups with its original.
#[test]
fn a_vault_from_before_hashes_finds_duplicates_of_its_photos() {
    let vault = TestVault::fixture("vault-v1", FIXTURE_PASSWORD);
    let listed = vault.json(&["ls"]);
    let items = listed.as_array().unwrap();
    let photo = items
        .iter()
        .find(|i| i["kind"] == "photo" && i["type"] == "image/jpeg")
        .expect("a JPEG in the fixture");
    let id = photo["id"].as_str().unwrap();
    let copy = vault.path("copy.jpg");
    vault.run_ok(&["export", id, "--to", vault.path("out").to_str().unwrap()]);
    let exported = files_under(&vault.path("out"));
    let status = std::process::Command::new("vips")
        .args(["resize", exported[0].to_str().unwrap()])
        .arg(format!("{}[Q=70]", copy.display()))
        .arg("0.5")
        .status()
        .unwrap();
    assert!(status.success());
    let imported = vault.import(&[&copy]);
    let copy_id = imported["imported"][0]["id"].as_str().unwrap().to_string();
    let groups = vault.json(&["dupes"]);
    let group = groups
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["keep"] == id)
        .unwrap_or_else(|| panic!("the original keeps its group: {groups}"));
    assert!(
        group["others"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o == copy_id.as_str())
    );
}

/// A vault made before key epochs: its recovery slot is a plain wrap no rotation can carry
/// over without the recovery key, so its first new password also shows a new recovery
/// key, which then works; its remembered device (a plain wrap too) is dropped and asks for
/// the password; the photo of before exports byte for byte under the new key epoch.
#[test]
fn an_old_vault_s_first_new_password_shows_a_new_recovery_key_that_works() {
    let mut vault = TestVault::fixture("vault-v1", FIXTURE_PASSWORD);
    let mut passwd = vault.command(&["passwd"]);
    passwd.env("KEEPSAKE_NEW_PASSWORD", "a password after epochs");
    let changed = passwd.output().unwrap();
    assert!(changed.status.success(), "{}", stderr(&changed));
    let said = stdout(&changed);
    assert!(said.contains("recovery key changes too"), "{said}");
    let words = recovery_key_from(&said);
    vault.password = "a password after epochs";
    assert!(header_body(&vault)["recovery_public"].is_string());
    assert_eq!(vault.json(&["device", "ls"]), serde_json::json!([]));
    let recovered = vault
        .command(&["recover"])
        .env_remove("KEEPSAKE_PASSWORD")
        .env("KEEPSAKE_RECOVERY_KEY", &words)
        .env("KEEPSAKE_NEW_PASSWORD", "recovered after epochs")
        .output()
        .unwrap();
    assert!(recovered.status.success(), "{}", stderr(&recovered));
    vault.password = "recovered after epochs";
    let out = vault.path("out");
    vault.run_ok(&["export", "--all", "--to", out.to_str().unwrap()]);
    let exported: Vec<String> = files_under(&out).iter().map(|p| sha256(p)).collect();
    assert_eq!(
        exported,
        [sha256(&samples().join("exif-samples/jpg__Canon_40D.jpg"))]
    );
}

//! docs/FORMAT.md is enough to get the photos back: an independent Python implementation
//! written from the document alone (scripts/reference/keepsake_decrypt.py) unlocks a vault
//! made by `keepsake` and decrypts every object byte-exact, and rejects damage.

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::*;

fn reference(vault: &TestVault, out: &Path, env: &[(&str, &str)]) -> Output {
    let python = std::env::var("KEEPSAKE_PYTHON").unwrap_or_else(|_| "python3".into());
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/reference/keepsake_decrypt.py");
    let mut cmd = Command::new(&python);
    cmd.arg(&script)
        .arg(&vault.dir)
        .arg(out)
        .env_remove("KEEPSAKE_PASSWORD");
    for (k, v) in env {
        cmd.env(k, v);
    }
    if env.iter().any(|(k, _)| *k == "KS_WORDS") {
        cmd.args(["--recovery-key-env", "KS_WORDS"]);
    }
    let output = cmd
        .output()
        .unwrap_or_else(|e| panic!("{python}: {e} (run scripts/setup.sh)"));
    assert!(
        !stderr(&output).contains("ModuleNotFoundError"),
        "the reference decryptor's Python packages are missing: run scripts/setup.sh\n{}",
        stderr(&output)
    );
    output
}

fn imported_contents(summary: &serde_json::Value) -> BTreeMap<String, String> {
    summary["imported"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["id"].as_str().unwrap().to_string(),
                sha256(Path::new(e["path"].as_str().unwrap())),
            )
        })
        .collect()
}

fn vault_with_samples() -> (TestVault, BTreeMap<String, String>) {
    let vault = TestVault::new();
    let input = vault.path("in");
    fs::create_dir_all(&input).unwrap();
    copy_samples("exif-samples", &input);
    copy_samples("formats", &input);
    let summary = vault.import(&[&input]);
    (vault, imported_contents(&summary))
}

fn decrypted(out: &Path) -> BTreeMap<String, String> {
    files_under(out)
        .iter()
        .map(|p: &PathBuf| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                sha256(p),
            )
        })
        .collect()
}

#[test]
fn an_independent_implementation_decrypts_every_photo_from_the_spec_alone() {
    let (vault, expected) = vault_with_samples();
    assert!(expected.len() > 50);
    let out = vault.path("by-password");
    let run = reference(&vault, &out, &[("KEEPSAKE_PASSWORD", PASSWORD)]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert_eq!(decrypted(&out), expected);

    let out = vault.path("by-recovery-key");
    let run = reference(&vault, &out, &[("KS_WORDS", &vault.recovery_key)]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert_eq!(decrypted(&out), expected);
}

#[test]
fn the_independent_implementation_agrees_on_damage_and_wrong_passwords() {
    let (vault, expected) = vault_with_samples();
    let run = reference(
        &vault,
        &vault.path("wrong"),
        &[("KEEPSAKE_PASSWORD", "not the password")],
    );
    assert_eq!(run.status.code(), Some(3), "{}", stderr(&run));

    let victim = expected.keys().next().unwrap().clone();
    let path = vault.object_file(&victim);
    let mut bytes = fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x80;
    fs::write(&path, bytes).unwrap();
    let out = vault.path("damaged");
    let run = reference(&vault, &out, &[("KEEPSAKE_PASSWORD", PASSWORD)]);
    assert_eq!(run.status.code(), Some(4), "{}", stderr(&run));
    assert!(stderr(&run).contains(&victim));
    let mut rest = expected.clone();
    rest.remove(&victim);
    assert_eq!(
        decrypted(&out),
        rest,
        "every other photo still decrypts; nothing for the damaged one"
    );
}

/// The change log as the document describes it: the reference merges a remote's log into
/// the same library `keepsake` shows.
#[test]
fn the_independent_implementation_merges_the_change_log_into_the_same_library() {
    let (vault, _) = vault_with_samples();
    let listed = vault.json(&["ls"]);
    let ids: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    vault.run_ok(&["fav", ids[0], ids[1]]);
    vault.run_ok(&["album", "create", "Harbour"]);
    vault.run_ok(&["album", "add", "Harbour", ids[1], ids[2]]);
    vault.run_ok(&["rm", ids[3], ids[4]]);
    vault.run_ok(&["trash", "restore", ids[4]]);
    vault.run_ok(&["trash", "empty"]);
    let remote = vault.path("remote");
    let url = format!("file://{}", remote.display());
    vault.run_ok(&["remote", "add", "usb", &url]);
    vault.run_ok(&["sync"]);
    // A second segment, after the first: the reference follows the chain.
    vault.run_ok(&["fav", "--off", ids[0]]);
    vault.run_ok(&["album", "rename", "Harbour", "Porto"]);
    vault.run_ok(&["sync"]);

    let python = std::env::var("KEEPSAKE_PYTHON").unwrap_or_else(|_| "python3".into());
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/reference/keepsake_decrypt.py");
    let out = vault.path("reference-log");
    let run = Command::new(&python)
        .arg(&script)
        .arg("--log")
        .arg(&remote)
        .arg(&out)
        .env("KEEPSAKE_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", stderr(&run));
    let library: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("library.json")).unwrap()).unwrap();
    let items = library["items"].as_object().unwrap();
    let now = vault.json(&["ls"]);
    let shown: Vec<&str> = now
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    let mut theirs: Vec<&str> = items.keys().map(String::as_str).collect();
    let mut ours = shown.clone();
    theirs.sort();
    ours.sort();
    assert_eq!(
        theirs, ours,
        "the purged photo must be gone, the restored one back"
    );
    let favourites: Vec<&str> = items
        .iter()
        .filter(|(_, f)| f["favourite"] == true)
        .map(|(id, _)| id.as_str())
        .collect();
    assert_eq!(favourites, vec![ids[1]]);
    let albums: Vec<&serde_json::Value> = library["albums"].as_object().unwrap().values().collect();
    assert_eq!(albums.len(), 1);
    assert_eq!(albums[0]["name"], "Porto");
    let members = library["members"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap();
    let mut expected = vec![ids[1], ids[2]];
    expected.sort();
    assert_eq!(members, &serde_json::json!(expected));
}

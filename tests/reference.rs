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

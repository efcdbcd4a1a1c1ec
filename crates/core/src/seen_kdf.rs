//! What this device last derived a vault's password with. The KDF parameters are read
//! from the header before its MAC can be checked, and Keepsake never changes them except
//! to lower them into the everyday bounds; so a header that asks for different ones than
//! last time was written by another Keepsake, or edited. The record lives outside the
//! vault (someone who can edit the header can edit the vault folder too), one file per
//! user, keyed by vault id. It holds no secret: the parameters are in the header anyway.

use crate::fsutil::{create_private_dir, write_atomic};
use crate::{UnlockedVault, Vault, VaultError};
use keepsake_crypto::KdfParams;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

const FILE_NAME: &str = "seen-kdf.json";

pub struct SeenKdf {
    path: PathBuf,
}

#[derive(Serialize, Deserialize, PartialEq, Clone, Copy)]
struct Seen {
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
}

impl From<KdfParams> for Seen {
    fn from(p: KdfParams) -> Self {
        Self {
            memory_kib: p.memory_kib,
            iterations: p.iterations,
            parallelism: p.parallelism,
        }
    }
}

impl From<Seen> for KdfParams {
    fn from(s: Seen) -> Self {
        Self {
            memory_kib: s.memory_kib,
            iterations: s.iterations,
            parallelism: s.parallelism,
        }
    }
}

/// A header asking for other parameters than this device last derived with.
#[derive(Debug, PartialEq)]
pub struct KdfChange {
    pub before: KdfParams,
    pub now: KdfParams,
}

impl fmt::Display for KdfChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "this vault's password settings changed since this device last opened it \
             ({} before, {} now): Keepsake does not change them by itself, so unless \
             another Keepsake did, the vault header was edited",
            self.before, self.now
        )
    }
}

impl SeenKdf {
    pub fn at(folder: impl Into<PathBuf>) -> Self {
        Self {
            path: folder.into().join(FILE_NAME),
        }
    }

    /// The user's local data folder, shared by the app and the CLI on this device
    /// (e.g. ~/.local/share/keepsake on Linux).
    pub fn default_location() -> Option<Self> {
        directories::ProjectDirs::from("app", "Keepsake", "Keepsake")
            .map(|dirs| Self::at(dirs.data_local_dir()))
    }

    fn read(&self) -> BTreeMap<String, Seen> {
        // Unreadable or absent: nothing seen yet (a warning is advice, never a refusal).
        std::fs::read(&self.path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    /// The parameters last derived with, when the header now asks for others. Asked
    /// before deriving, so the warning comes before the cost.
    pub fn changed(&self, vault: &Vault) -> Option<KdfChange> {
        let before = *self.read().get(vault.vault_id())?;
        let now = vault.kdf_params();
        (Seen::from(now) != before).then(|| KdfChange {
            before: before.into(),
            now,
        })
    }

    /// Records the parameters of a vault whose header just authenticated.
    pub fn record(&self, vault: &UnlockedVault) -> Result<(), VaultError> {
        let mut seen = self.read();
        let now = Seen::from(vault.header.kdf_params());
        if seen.get(vault.vault_id()) == Some(&now) {
            return Ok(());
        }
        seen.insert(vault.vault_id().to_string(), now);
        let folder = self.path.parent().unwrap_or(&self.path);
        let bytes = serde_json::to_vec_pretty(&seen).unwrap_or_default();
        create_private_dir(folder)
            .and_then(|()| write_atomic(&self.path, &bytes))
            .map_err(|e| VaultError::io(format!("writing {}", self.path.display()), e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::FAST;
    use crate::{Password, Vault};

    #[test]
    fn a_header_asking_for_other_parameters_than_last_time_is_noticed() {
        let root = tempfile::tempdir().unwrap();
        let seen = SeenKdf::at(root.path().join("state"));
        let dir = root.path().join("v");
        let password = Password::new("long enough password".into());
        let (vault, _) = Vault::create(&dir, &password, Some(FAST)).unwrap();
        let locked = vault.lock();
        assert_eq!(seen.changed(&locked), None, "nothing seen yet");
        let vault = locked.unlock(&password).unwrap();
        seen.record(&vault).unwrap();
        let locked = vault.lock();
        assert_eq!(seen.changed(&locked), None);

        // Another vault's record does not count for this one.
        let other = SeenKdf::at(root.path().join("other"));
        std::fs::create_dir_all(root.path().join("other")).unwrap();
        std::fs::write(
            root.path().join("other").join(FILE_NAME),
            r#"{"ffffffffffffffffffffffffffffffff":{"memory_kib":9999,"iterations":1,"parallelism":1}}"#,
        )
        .unwrap();
        assert_eq!(other.changed(&locked), None);

        let mut edited = seen.read();
        let entry = edited.get_mut(locked.vault_id()).unwrap();
        entry.iterations += 1;
        std::fs::write(&seen.path, serde_json::to_vec(&edited).unwrap()).unwrap();
        let change = seen.changed(&locked).expect("a change");
        assert_eq!(change.now, FAST);
        assert_eq!(change.before.iterations, FAST.iterations + 1);
        assert!(change.to_string().contains("edited"));
    }
}

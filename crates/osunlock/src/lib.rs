//! Unlock through the OS on a device the user chose to remember.
//!
//! Enabling makes a random device secret that wraps the vault key in a header slot of its
//! own (the vault key itself never leaves the vault); the secret goes into the OS
//! credential store behind the [`SecretStore`] trait: macOS Keychain, Windows Credential
//! Manager, or the Secret Service on Linux (the login keyring, unlocked with the session).
//! Revoking a device removes its slot from the header, so a lost laptop's copy of the
//! secret opens nothing once the header has synced. The password and the recovery key
//! keep working throughout.

mod keyring_store;

pub use keyring_store::OsKeyring;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use keepsake_core::{DeviceSecret, UnlockedVault, Vault, VaultError};
use zeroize::Zeroizing;

/// What this device keeps in the OS store for one vault.
pub struct DeviceCredential {
    pub device_id: String,
    pub secret: DeviceSecret,
}

#[derive(Debug, thiserror::Error)]
pub enum OsUnlockError {
    #[error("the system keyring is not available: {0}")]
    Unavailable(String),
    #[error("not set up for this vault on this device")]
    NotEnabled,
    #[error("this device's OS unlock was revoked (unlock with the password)")]
    Revoked,
    #[error("the system keyring holds an unreadable entry for this vault")]
    Corrupt,
    #[error(transparent)]
    Vault(#[from] VaultError),
}

/// A place for device secrets, one per vault id.
pub trait SecretStore {
    fn save(&self, vault_id: &str, credential: &DeviceCredential) -> Result<(), OsUnlockError>;
    /// None when this device has no entry for the vault.
    fn load(&self, vault_id: &str) -> Result<Option<DeviceCredential>, OsUnlockError>;
    fn delete(&self, vault_id: &str) -> Result<(), OsUnlockError>;
}

impl DeviceCredential {
    fn encode(&self) -> Zeroizing<String> {
        Zeroizing::new(format!(
            "{}:{}",
            self.device_id,
            B64.encode(self.secret.expose())
        ))
    }

    fn decode(text: &str) -> Result<Self, OsUnlockError> {
        let (id, secret) = text.split_once(':').ok_or(OsUnlockError::Corrupt)?;
        let bytes = Zeroizing::new(B64.decode(secret).map_err(|_| OsUnlockError::Corrupt)?);
        let bytes: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| OsUnlockError::Corrupt)?;
        Ok(Self {
            device_id: id.to_string(),
            secret: DeviceSecret::from_bytes(bytes),
        })
    }
}

/// Remembers this device: a new header slot, its secret in the OS store. If the store
/// refuses, the slot is removed again, so nothing is left half-enabled.
pub fn enable(
    vault: &mut UnlockedVault,
    store: &impl SecretStore,
    device_name: &str,
) -> Result<String, OsUnlockError> {
    if let Some(old) = store.load(vault.vault_id())? {
        // Enabling twice replaces this device's slot rather than piling up slots.
        let _ = vault.forget_own_device(&old.device_id);
    }
    let (device_id, secret) = vault.add_device(device_name)?;
    let credential = DeviceCredential {
        device_id: device_id.clone(),
        secret,
    };
    if let Err(e) = store.save(vault.vault_id(), &credential) {
        let _ = vault.forget_own_device(&device_id);
        return Err(e);
    }
    Ok(device_id)
}

/// Forgets this device: its slot and its OS-store entry.
pub fn disable(vault: &mut UnlockedVault, store: &impl SecretStore) -> Result<(), OsUnlockError> {
    let credential = store
        .load(vault.vault_id())?
        .ok_or(OsUnlockError::NotEnabled)?;
    match vault.forget_own_device(&credential.device_id) {
        Ok(()) | Err(VaultError::NoSuchDevice(_)) => {}
        Err(e) => return Err(e.into()),
    }
    store.delete(vault.vault_id())
}

/// Runs a change of the vault key (a new password, `revoking` a device), after which
/// this device still unlocks through the OS if it did before and is not the one revoked:
/// a new key epoch drops every device slot, and this device's secret is here to make its
/// own again.
pub fn keeping_this_device<T>(
    vault: &mut UnlockedVault,
    store: &impl SecretStore,
    revoking: Option<&str>,
    change: impl FnOnce(&mut UnlockedVault) -> Result<T, VaultError>,
) -> Result<T, OsUnlockError> {
    // No keyring here (no Secret Service): nothing to keep, and nothing to stop the change.
    let credential = store
        .load(vault.vault_id())
        .ok()
        .flatten()
        .filter(|c| vault.has_device(&c.device_id) && revoking != Some(c.device_id.as_str()));
    let done = change(vault)?;
    // Best effort: the change is made (and a new recovery key shown); without its slot
    // this device asks for the password once. This very device, revoked, stays revoked:
    // its secret left in the keyring opens nothing and says so.
    if let Some(credential) = credential {
        let _ = vault.keep_device(&credential.device_id, &credential.secret);
    }
    Ok(done)
}

/// Whether this device could unlock `vault` through the OS (an entry, and its slot).
pub fn is_enabled(vault: &Vault, store: &impl SecretStore) -> bool {
    matches!(store.load(vault.vault_id()), Ok(Some(c)) if vault.has_device(&c.device_id))
}

/// The id of this device's slot for the vault, if this device has an entry.
pub fn this_device(vault_id: &str, store: &impl SecretStore) -> Option<String> {
    store.load(vault_id).ok().flatten().map(|c| c.device_id)
}

/// Unlocks with this device's secret from the OS store.
pub fn unlock(vault: Vault, store: &impl SecretStore) -> Result<UnlockedVault, OsUnlockError> {
    let credential = store
        .load(vault.vault_id())?
        .ok_or(OsUnlockError::NotEnabled)?;
    if !vault.has_device(&credential.device_id) {
        return Err(OsUnlockError::Revoked);
    }
    Ok(vault.unlock_with_device(&credential.device_id, &credential.secret)?)
}

/// A name for this device in the devices list: the host name.
pub fn device_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "this computer".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use keepsake_core::{KdfParams, Password};

    /// A store that holds nothing and refuses to save, like a keyring that went away
    /// between the check and the write.
    struct Refusing;

    impl SecretStore for Refusing {
        fn save(&self, _: &str, _: &DeviceCredential) -> Result<(), OsUnlockError> {
            Err(OsUnlockError::Unavailable("refused".into()))
        }
        fn load(&self, _: &str) -> Result<Option<DeviceCredential>, OsUnlockError> {
            Ok(None)
        }
        fn delete(&self, _: &str) -> Result<(), OsUnlockError> {
            Ok(())
        }
    }

    #[test]
    fn a_refused_save_leaves_no_slot_behind() {
        let root = tempfile::tempdir().unwrap();
        let fast = KdfParams {
            memory_kib: 8 * 1024,
            iterations: 1,
            parallelism: 1,
        };
        let password = Password::new("long enough password".into());
        let (mut vault, _) = Vault::create(&root.path().join("v"), &password, Some(fast)).unwrap();
        assert!(enable(&mut vault, &Refusing, "laptop").is_err());
        assert!(vault.devices().unwrap().is_empty());
    }

    /// A keyring in memory: the real one is driven in tests/osunlock.rs.
    #[derive(Default)]
    struct Memory(std::sync::Mutex<Option<String>>);

    impl SecretStore for Memory {
        fn save(&self, _: &str, credential: &DeviceCredential) -> Result<(), OsUnlockError> {
            *self.0.lock().unwrap() = Some(credential.encode().to_string());
            Ok(())
        }
        fn load(&self, _: &str) -> Result<Option<DeviceCredential>, OsUnlockError> {
            let held = self.0.lock().unwrap().clone();
            held.map(|text| DeviceCredential::decode(&text)).transpose()
        }
        fn delete(&self, _: &str) -> Result<(), OsUnlockError> {
            *self.0.lock().unwrap() = None;
            Ok(())
        }
    }

    /// A new password drops every device slot with the old key, but this device makes
    /// its own again; this very device, revoked, stays revoked.
    #[test]
    fn a_key_change_keeps_this_device_unless_it_is_the_one_revoked() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("v");
        let fast = KdfParams {
            memory_kib: 8 * 1024,
            iterations: 1,
            parallelism: 1,
        };
        let password = Password::new("long enough password".into());
        let (mut vault, _) = Vault::create(&dir, &password, Some(fast)).unwrap();
        let store = Memory::default();
        let id = enable(&mut vault, &store, "laptop").unwrap();
        let (other, _) = vault.add_device("desktop").unwrap();
        let new = Password::new("a new long password".into());
        keeping_this_device(&mut vault, &store, None, |v| {
            v.change_password(&new, |_| Ok(()))
        })
        .unwrap();
        assert!(vault.has_device(&id) && !vault.has_device(&other));
        drop(vault.lock());
        let mut vault = unlock(Vault::open(&dir).unwrap(), &store).unwrap();
        keeping_this_device(&mut vault, &store, Some(&id), |v| {
            v.remove_device(&id, &new, |_| Ok(()))
        })
        .unwrap();
        assert!(!vault.has_device(&id));
        drop(vault.lock());
        assert!(matches!(
            unlock(Vault::open(&dir).unwrap(), &store),
            Err(OsUnlockError::Revoked)
        ));
    }

    #[test]
    fn credentials_round_trip_and_garbage_is_named() {
        let credential = DeviceCredential {
            device_id: "0123456789abcdef".into(),
            secret: DeviceSecret::from_bytes([7; 32]),
        };
        let back = DeviceCredential::decode(&credential.encode()).unwrap();
        assert_eq!(back.device_id, credential.device_id);
        assert_eq!(back.secret.expose(), credential.secret.expose());
        for bad in ["", "no-colon", "id:not base64!", "id:AAAA"] {
            assert!(matches!(
                DeviceCredential::decode(bad),
                Err(OsUnlockError::Corrupt)
            ));
        }
    }
}

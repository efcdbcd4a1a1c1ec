//! The OS credential store through the `keyring` crate: macOS Keychain, Windows
//! Credential Manager, the Secret Service (GNOME Keyring, KWallet) on Linux.
//!
//! Presence checks: the Secret Service entry is readable while the login keyring is
//! unlocked (it unlocks with the session and locks with it); Touch ID and Windows Hello
//! prompts are not wired yet (see docs/SECURITY.md).

use crate::{DeviceCredential, OsUnlockError, SecretStore};

const SERVICE: &str = "Keepsake";

/// The OS's own credential store.
pub struct OsKeyring;

fn entry(vault_id: &str) -> Result<keyring::Entry, OsUnlockError> {
    keyring::Entry::new(SERVICE, &format!("vault {vault_id}")).map_err(unavailable)
}

fn unavailable(e: keyring::Error) -> OsUnlockError {
    OsUnlockError::Unavailable(match e {
        keyring::Error::PlatformFailure(inner) | keyring::Error::NoStorageAccess(inner) => {
            inner.to_string()
        }
        other => other.to_string(),
    })
}

impl SecretStore for OsKeyring {
    fn save(&self, vault_id: &str, credential: &DeviceCredential) -> Result<(), OsUnlockError> {
        entry(vault_id)?
            .set_password(&credential.encode())
            .map_err(unavailable)
    }

    fn load(&self, vault_id: &str) -> Result<Option<DeviceCredential>, OsUnlockError> {
        match entry(vault_id)?.get_password() {
            Ok(text) => DeviceCredential::decode(&zeroize::Zeroizing::new(text)).map(Some),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    fn delete(&self, vault_id: &str) -> Result<(), OsUnlockError> {
        match entry(vault_id)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(unavailable(e)),
        }
    }
}

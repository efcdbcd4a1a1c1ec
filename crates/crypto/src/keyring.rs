//! The keys of a vault, one per key epoch (docs/FORMAT.md section 3.11). A new password,
//! a revoked device or a recovery starts a new epoch: everything written afterwards is
//! encrypted under the new key, which a secret of before cannot open; everything written
//! before stays readable through the older keys, which travel wrapped under the newest.

use crate::{CryptoError, KeyId, VaultKey};
use std::fmt;

/// What decrypts and encrypts objects: a single vault key, or a vault's keyring.
pub trait ObjectKeys {
    /// The key whose key id an object header names, if this holds it.
    fn key_for(&self, id: KeyId) -> Option<&VaultKey>;
    /// The key new objects are written under.
    fn writing_key(&self) -> &VaultKey;
}

impl ObjectKeys for VaultKey {
    fn key_for(&self, id: KeyId) -> Option<&VaultKey> {
        (self.key_id() == id).then_some(self)
    }

    fn writing_key(&self) -> &VaultKey {
        self
    }
}

/// Every epoch's key, oldest first; never empty. The first key derives the keys that must
/// never change (the catalog's, the content hash's); the last encrypts everything new.
#[derive(Clone)]
pub struct Keyring {
    keys: Vec<VaultKey>,
}

impl Keyring {
    pub fn new(key: VaultKey) -> Self {
        Self { keys: vec![key] }
    }

    /// The keys of epochs 0, 1, … in order; None when there are none.
    pub fn from_epochs(keys: Vec<VaultKey>) -> Option<Self> {
        (!keys.is_empty()).then_some(Self { keys })
    }

    /// This keyring with one more epoch, under a new random key.
    pub fn rotated(&self) -> Result<Self, CryptoError> {
        let mut keys = self.keys.clone();
        keys.push(VaultKey::random()?);
        Ok(Self { keys })
    }

    /// The key of the newest epoch.
    pub fn current(&self) -> &VaultKey {
        self.keys.last().expect("a keyring is never empty")
    }

    /// The key of epoch 0.
    pub fn root(&self) -> &VaultKey {
        &self.keys[0]
    }

    pub fn epochs(&self) -> &[VaultKey] {
        &self.keys
    }

    /// Whether this keyring holds every key of `other` (it is `other`, or a later one).
    pub fn holds_all_of(&self, other: &Keyring) -> bool {
        other.keys.iter().all(|k| {
            self.key_for(k.key_id())
                .is_some_and(|mine| mine.expose() == k.expose())
        })
    }

    /// Whether this keyring is `other`'s or a later one of the same vault: the same first
    /// key, and every key of `other`.
    pub fn extends(&self, other: &Keyring) -> bool {
        self.root().expose() == other.root().expose() && self.holds_all_of(other)
    }

    /// The raw SQLCipher key of the catalog: from epoch 0, so it never changes.
    pub fn catalog_key(&self) -> zeroize::Zeroizing<[u8; crate::KEY_LEN]> {
        self.root().catalog_key()
    }

    /// The keyed hasher of duplicate detection: from epoch 0, so equal photos keep equal
    /// hashes across epochs.
    pub fn content_hasher(&self) -> blake3::Hasher {
        self.root().content_hasher()
    }
}

impl ObjectKeys for Keyring {
    fn key_for(&self, id: KeyId) -> Option<&VaultKey> {
        self.keys.iter().rev().find(|k| k.key_id() == id)
    }

    fn writing_key(&self) -> &VaultKey {
        self.current()
    }
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Keyring({} epochs, redacted)", self.keys.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rotated_keyring_writes_under_a_new_key_and_still_finds_the_old_ones() {
        let first = Keyring::new(VaultKey::random().unwrap());
        let second = first.rotated().unwrap();
        assert_ne!(second.current().key_id(), first.current().key_id());
        assert_eq!(second.root().key_id(), first.root().key_id());
        assert!(second.key_for(first.current().key_id()).is_some());
        assert!(first.key_for(second.current().key_id()).is_none());
        assert!(second.holds_all_of(&first) && !first.holds_all_of(&second));
        assert_eq!(*second.catalog_key(), *first.catalog_key());
        assert_eq!(format!("{second:?}"), "Keyring(2 epochs, redacted)");
    }
}

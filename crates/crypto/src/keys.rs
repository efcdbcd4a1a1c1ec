//! Secret key types. Every one zeroizes on drop and prints as `redacted` in `Debug`, so a
//! stray `{:?}` or a panic message can never leak key material into a log.

use crate::{CryptoError, random_bytes};
use std::fmt;
use zeroize::Zeroizing;

pub const KEY_LEN: usize = 32;

/// BLAKE3 `derive_key` contexts: one subkey per purpose, so no key is used for two jobs.
/// Listed in docs/FORMAT.md; changing one breaks every existing vault.
mod context {
    pub const OBJECT_WRAPPING: &str = "keepsake 2026-11 object file-key wrapping";
    pub const CATALOG: &str = "keepsake 2026-11 catalog database key";
    pub const CONTENT_HASH: &str = "keepsake 2026-11 content hash";
    pub const KEY_ID: &str = "keepsake 2026-11 vault key id";
    pub const HEADER_MAC: &str = "keepsake 2026-11 vault header mac";
    pub const EPOCH_WRAPPING: &str = "keepsake 2026-12 epoch key wrapping";
}

macro_rules! secret_key {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name(Zeroizing<[u8; KEY_LEN]>);

        impl $name {
            pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
                Self(Zeroizing::new(bytes))
            }

            pub fn random() -> Result<Self, CryptoError> {
                Ok(Self::from_bytes(random_bytes()?))
            }

            pub fn expose(&self) -> &[u8; KEY_LEN] {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(redacted)"))
            }
        }
    };
}

secret_key!(
    /// The one key of a vault. Stored only wrapped; every other key derives from it.
    VaultKey
);
secret_key!(
    /// The random key of one object's chunk stream; stored wrapped in the object header.
    FileKey
);
secret_key!(
    /// A random secret a remembered device keeps in the OS credential store; it opens
    /// that device's slot in the vault header.
    DeviceSecret
);
secret_key!(
    /// A key-encryption key: from the password (Argon2id), the recovery key, or a
    /// vault-key subkey for object headers.
    WrappingKey
);

/// The first bytes of a key's fingerprint, stored in object headers so a wrong key is told
/// apart from a damaged header. Reveals nothing about the key.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct KeyId(pub [u8; 8]);

impl VaultKey {
    fn derive(&self, context: &str) -> Zeroizing<[u8; KEY_LEN]> {
        Zeroizing::new(blake3::derive_key(context, self.expose()))
    }

    pub fn object_wrapping_key(&self) -> WrappingKey {
        WrappingKey(self.derive(context::OBJECT_WRAPPING))
    }

    /// The key that wraps the earlier epochs' keys in a header made under this one.
    pub fn epoch_wrapping_key(&self) -> WrappingKey {
        WrappingKey(self.derive(context::EPOCH_WRAPPING))
    }

    /// The raw SQLCipher key of the catalog.
    pub fn catalog_key(&self) -> Zeroizing<[u8; KEY_LEN]> {
        self.derive(context::CATALOG)
    }

    /// A keyed BLAKE3 hasher for duplicate detection: equal photos give equal hashes inside
    /// one vault, and nothing outside the vault can compute or test them.
    pub fn content_hasher(&self) -> blake3::Hasher {
        blake3::Hasher::new_keyed(&self.derive(context::CONTENT_HASH))
    }

    /// All 32 bytes the key id is the start of: a commitment to the key that reveals
    /// nothing about it.
    pub fn fingerprint(&self) -> [u8; KEY_LEN] {
        *self.derive(context::KEY_ID)
    }

    pub fn key_id(&self) -> KeyId {
        let full = self.derive(context::KEY_ID);
        let mut id = [0u8; 8];
        id.copy_from_slice(&full[..8]);
        KeyId(id)
    }

    /// Keyed BLAKE3 MAC that authenticates the vault header file.
    pub fn header_mac(&self, header: &[u8]) -> [u8; 32] {
        *blake3::keyed_hash(&self.derive(context::HEADER_MAC), header).as_bytes()
    }
}

/// A password as typed. Zeroized on drop, redacted in `Debug`.
#[derive(Clone)]
pub struct Password(Zeroizing<String>);

impl Password {
    pub fn new(password: String) -> Self {
        Self(Zeroizing::new(password))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(redacted)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_key_bytes() {
        let key = VaultKey::from_bytes([0xAB; KEY_LEN]);
        let shown = format!("{key:?} {:?}", Password::new("hunter2".into()));
        assert_eq!(shown, "VaultKey(redacted) Password(redacted)");
    }

    #[test]
    fn subkeys_differ_per_purpose_and_per_vault() {
        let a = VaultKey::from_bytes([1; KEY_LEN]);
        let b = VaultKey::from_bytes([2; KEY_LEN]);
        assert_ne!(*a.catalog_key(), *a.object_wrapping_key().expose());
        assert_ne!(*a.catalog_key(), *b.catalog_key());
        assert_ne!(a.key_id(), b.key_id());
        assert_ne!(a.header_mac(b"x"), b.header_mac(b"x"));
    }
}

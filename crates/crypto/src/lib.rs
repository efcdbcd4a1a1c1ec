//! Keepsake's security kernel.
//!
//! Everything that touches key material or ciphertext lives here, and nothing here does
//! file or network I/O beyond the `Read`/`Write` streams it is handed: the crate is small
//! enough to audit and fuzz on its own. `docs/FORMAT.md` is the normative description of
//! the bytes these modules produce.
#![forbid(unsafe_code)]

mod error;
mod kdf;
mod keyring;
mod keys;
mod object;
mod recovery;
mod seal;
mod wrap;

pub use error::{CryptoError, ObjectError};
pub use kdf::{KdfParams, derive_password_key};
pub use keyring::{Keyring, ObjectKeys};
pub use keys::{DeviceSecret, FileKey, KEY_LEN, KeyId, Password, VaultKey, WrappingKey};
pub use object::{
    DEFAULT_CHUNK_LOG2, HEADER_LEN, MAGIC, ObjectHeader, ObjectId, ObjectWriter, TAG_LEN, VERSION,
    decrypt_object, decrypt_range, encrypted_len, max_encrypted_len,
};
pub use recovery::RecoveryKey;
pub use seal::{SEALED_KEY_LEN, SealedKey, SlotSecret, open_sealed_key, seal_key};
pub use wrap::{WRAPPED_KEY_LEN, WrappedKey, unwrap_key, wrap_key};

/// Fills `buf` from the operating system's CSPRNG.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], CryptoError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| CryptoError::Random(e.to_string()))?;
    Ok(buf)
}

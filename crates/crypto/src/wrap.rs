//! Key wrapping: one 32-byte key sealed under a key-encryption key with AES-256-GCM.
//! Layout: nonce (12) || ciphertext (32) || tag (16). The associated data names what the
//! wrapped key is for, so a wrapped copy cannot be moved to another slot or object.

use crate::{CryptoError, KEY_LEN, WrappingKey, random_bytes};
use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{AeadInOut, KeyInit, Nonce, Tag};
use zeroize::Zeroizing;

pub const WRAPPED_KEY_LEN: usize = 12 + KEY_LEN + 16;

pub type WrappedKey = [u8; WRAPPED_KEY_LEN];

pub fn wrap_key(
    kek: &WrappingKey,
    key: &[u8; KEY_LEN],
    aad: &[u8],
) -> Result<WrappedKey, CryptoError> {
    wrap_key_with_nonce(kek, key, aad, random_bytes()?)
}

pub(crate) fn wrap_key_with_nonce(
    kek: &WrappingKey,
    key: &[u8; KEY_LEN],
    aad: &[u8],
    nonce: [u8; 12],
) -> Result<WrappedKey, CryptoError> {
    let cipher = Aes256Gcm::new(kek.expose().into());
    let mut out = [0u8; WRAPPED_KEY_LEN];
    out[..12].copy_from_slice(&nonce);
    out[12..12 + KEY_LEN].copy_from_slice(key);
    let tag = cipher
        .encrypt_inout_detached(
            &Nonce::<Aes256Gcm>::from(nonce),
            aad,
            (&mut out[12..12 + KEY_LEN]).into(),
        )
        .map_err(|_| CryptoError::Unwrap)?;
    out[12 + KEY_LEN..].copy_from_slice(&tag);
    Ok(out)
}

pub fn unwrap_key(
    kek: &WrappingKey,
    wrapped: &WrappedKey,
    aad: &[u8],
) -> Result<Zeroizing<[u8; KEY_LEN]>, CryptoError> {
    let cipher = Aes256Gcm::new(kek.expose().into());
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    key.copy_from_slice(&wrapped[12..12 + KEY_LEN]);
    let nonce = Nonce::<Aes256Gcm>::try_from(&wrapped[..12]).map_err(|_| CryptoError::Unwrap)?;
    let tag =
        Tag::<Aes256Gcm>::try_from(&wrapped[12 + KEY_LEN..]).map_err(|_| CryptoError::Unwrap)?;
    cipher
        .decrypt_inout_detached(&nonce, aad, key.as_mut_slice().into(), &tag)
        .map_err(|_| CryptoError::Unwrap)?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_round_trips_and_binds_key_and_context() {
        let kek = WrappingKey::from_bytes([7; KEY_LEN]);
        let wrapped = wrap_key(&kek, &[9; KEY_LEN], b"slot:password").unwrap();
        assert_eq!(
            *unwrap_key(&kek, &wrapped, b"slot:password").unwrap(),
            [9; KEY_LEN]
        );
        assert!(unwrap_key(&kek, &wrapped, b"slot:recovery").is_err());
        let other = WrappingKey::from_bytes([8; KEY_LEN]);
        assert!(unwrap_key(&other, &wrapped, b"slot:password").is_err());
        for byte in 0..WRAPPED_KEY_LEN {
            let mut bad = wrapped;
            bad[byte] ^= 0x01;
            assert!(
                unwrap_key(&kek, &bad, b"slot:password").is_err(),
                "flip at {byte}"
            );
        }
    }
}

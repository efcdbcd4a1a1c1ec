//! Sealed slots: a 32-byte key sealed to an X25519 public key, so that anyone holding the
//! key can seal it again for a recipient without the recipient's secret (a vault key
//! rotated after a revocation reaches the password, the recovery key and every
//! remembered device). Layout: ephemeral public key (32) || wrapped key (60, section 3.5
//! of docs/FORMAT.md), the wrapping key derived from the X25519 shared secret and both
//! public keys.

use crate::wrap::{WRAPPED_KEY_LEN, unwrap_key, wrap_key};
use crate::{CryptoError, KEY_LEN, WrappingKey, random_bytes};
use std::fmt;
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

pub const SEALED_KEY_LEN: usize = 32 + WRAPPED_KEY_LEN;

pub type SealedKey = [u8; SEALED_KEY_LEN];

const SEAL_CONTEXT: &str = "keepsake 2026-12 sealed slot";

/// The X25519 secret that opens one kind of sealed slot, derived from what the user holds
/// (the password's Argon2id key, the recovery entropy, a device secret). Zeroized on drop.
#[derive(Clone)]
pub struct SlotSecret(StaticSecret);

impl SlotSecret {
    /// `DeriveKey(context, material)` as an X25519 secret (clamped when used).
    pub fn derive(context: &str, material: &[u8]) -> Self {
        let bytes = Zeroizing::new(blake3::derive_key(context, material));
        Self(StaticSecret::from(*bytes))
    }

    pub fn public(&self) -> [u8; 32] {
        PublicKey::from(&self.0).to_bytes()
    }
}

impl fmt::Debug for SlotSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SlotSecret(redacted)")
    }
}

fn seal_kek(shared: &[u8; 32], ephemeral: &[u8; 32], recipient: &[u8; 32]) -> WrappingKey {
    let mut material = Zeroizing::new([0u8; 96]);
    material[..32].copy_from_slice(shared);
    material[32..64].copy_from_slice(ephemeral);
    material[64..].copy_from_slice(recipient);
    WrappingKey::from_bytes(blake3::derive_key(SEAL_CONTEXT, &*material))
}

/// Seals `key` to `recipient` (an X25519 public key) with a fresh ephemeral key.
pub fn seal_key(
    recipient: &[u8; 32],
    key: &[u8; KEY_LEN],
    aad: &[u8],
) -> Result<SealedKey, CryptoError> {
    let ephemeral = StaticSecret::from(random_bytes::<32>()?);
    let ephemeral_public = PublicKey::from(&ephemeral).to_bytes();
    let shared = ephemeral.diffie_hellman(&PublicKey::from(*recipient));
    if !shared.was_contributory() {
        // A low-order point: the "shared" secret would be public.
        return Err(CryptoError::Unwrap);
    }
    let kek = seal_kek(shared.as_bytes(), &ephemeral_public, recipient);
    let mut out = [0u8; SEALED_KEY_LEN];
    out[..32].copy_from_slice(&ephemeral_public);
    out[32..].copy_from_slice(&wrap_key(&kek, key, aad)?);
    Ok(out)
}

/// Opens a sealed key with the recipient's secret; fails on a wrong secret, wrong
/// associated data or any changed byte.
pub fn open_sealed_key(
    secret: &SlotSecret,
    sealed: &SealedKey,
    aad: &[u8],
) -> Result<Zeroizing<[u8; KEY_LEN]>, CryptoError> {
    let mut ephemeral = [0u8; 32];
    ephemeral.copy_from_slice(&sealed[..32]);
    let shared = secret.0.diffie_hellman(&PublicKey::from(ephemeral));
    if !shared.was_contributory() {
        return Err(CryptoError::Unwrap);
    }
    let kek = seal_kek(shared.as_bytes(), &ephemeral, &secret.public());
    let mut wrapped = [0u8; WRAPPED_KEY_LEN];
    wrapped.copy_from_slice(&sealed[32..]);
    unwrap_key(&kek, &wrapped, aad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_recipients_secret_opens_a_sealed_key() {
        let alice = SlotSecret::derive("test", b"alice");
        let mallory = SlotSecret::derive("test", b"mallory");
        let sealed = seal_key(&alice.public(), &[5; KEY_LEN], b"slot").unwrap();
        assert_eq!(
            *open_sealed_key(&alice, &sealed, b"slot").unwrap(),
            [5; KEY_LEN]
        );
        assert!(open_sealed_key(&mallory, &sealed, b"slot").is_err());
        assert!(open_sealed_key(&alice, &sealed, b"other slot").is_err());
        for byte in 0..SEALED_KEY_LEN {
            let mut bad = sealed;
            bad[byte] ^= 0x01;
            assert!(
                open_sealed_key(&alice, &bad, b"slot").is_err(),
                "flip at {byte}"
            );
        }
        // Sealing twice gives different bytes (fresh ephemeral key and nonce).
        assert_ne!(
            sealed,
            seal_key(&alice.public(), &[5; KEY_LEN], b"slot").unwrap()
        );
        assert_eq!(format!("{alice:?}"), "SlotSecret(redacted)");
    }

    #[test]
    fn a_low_order_public_key_is_refused() {
        assert!(seal_key(&[0; 32], &[5; KEY_LEN], b"slot").is_err());
    }
}

//! The recovery key: 256 random bits shown once at `init` as 24 BIP-39 words. It wraps the
//! vault key a second time, so a forgotten password costs nothing but a new one. Its
//! entropy is already full strength, so it is stretched by BLAKE3 `derive_key`, not Argon2.

use crate::{CryptoError, KEY_LEN, SlotSecret, WrappingKey, random_bytes};
use std::fmt;
use zeroize::Zeroizing;

const CONTEXT: &str = "keepsake 2026-11 recovery key wrapping";
const SLOT_CONTEXT: &str = "keepsake 2026-12 recovery slot x25519";
const CHECK_CONTEXT: &str = "keepsake 2026-12 recovery check";

pub struct RecoveryKey(Zeroizing<[u8; KEY_LEN]>);

impl RecoveryKey {
    pub fn generate() -> Result<Self, CryptoError> {
        Ok(Self(Zeroizing::new(random_bytes()?)))
    }

    /// Parses the 24 words, forgiving case and extra white space. The BIP-39 checksum
    /// catches most typos before any key is tried.
    pub fn parse(words: &str) -> Result<Self, CryptoError> {
        let normalized = Zeroizing::new(
            words
                .split_whitespace()
                .map(str::to_lowercase)
                .collect::<Vec<_>>()
                .join(" "),
        );
        let mnemonic = bip39::Mnemonic::parse_normalized(&normalized)
            .map_err(|e| CryptoError::RecoveryKeyFormat(e.to_string()))?;
        let (entropy, len) = mnemonic.to_entropy_array();
        let entropy = Zeroizing::new(entropy);
        if len != KEY_LEN {
            return Err(CryptoError::RecoveryKeyFormat(format!(
                "expected 24 words, got {}",
                mnemonic.word_count()
            )));
        }
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        key.copy_from_slice(&entropy[..KEY_LEN]);
        Ok(Self(key))
    }

    pub fn to_words(&self) -> Zeroizing<String> {
        let mnemonic = bip39::Mnemonic::from_entropy(self.0.as_slice())
            .expect("32 bytes is a valid BIP-39 entropy length");
        Zeroizing::new(mnemonic.to_string())
    }

    pub fn wrapping_key(&self) -> WrappingKey {
        WrappingKey::from_bytes(blake3::derive_key(CONTEXT, self.0.as_slice()))
    }

    /// The secret of the recovery key's sealed slot (docs/FORMAT.md section 3.11).
    pub fn slot_secret(&self) -> SlotSecret {
        SlotSecret::derive(SLOT_CONTEXT, self.0.as_slice())
    }

    /// The key of the check that ties a sealed recovery slot to its vault.
    pub fn check_key(&self) -> WrappingKey {
        WrappingKey::from_bytes(blake3::derive_key(CHECK_CONTEXT, self.0.as_slice()))
    }
}

impl fmt::Debug for RecoveryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryKey(redacted)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_forgiving_case_and_spacing() {
        let key = RecoveryKey::generate().unwrap();
        let words = key.to_words();
        assert_eq!(words.split(' ').count(), 24);
        let sloppy = format!("  {}\n", words.to_uppercase().replace(' ', "   "));
        let back = RecoveryKey::parse(&sloppy).unwrap();
        assert_eq!(back.wrapping_key().expose(), key.wrapping_key().expose());
    }

    #[test]
    fn typos_and_short_keys_are_rejected() {
        // A fixed key, so the typo below is known to break the 8-bit checksum.
        let words = RecoveryKey(Zeroizing::new([7; KEY_LEN])).to_words();
        let mut list: Vec<&str> = words.split(' ').collect();
        let swapped = if list[3] == "abandon" {
            "zoo"
        } else {
            "abandon"
        };
        list[3] = swapped;
        assert!(RecoveryKey::parse(&list.join(" ")).is_err());
        assert!(
            RecoveryKey::parse(&words.split(' ').take(12).collect::<Vec<_>>().join(" ")).is_err()
        );
        assert!(RecoveryKey::parse("").is_err());
    }
}

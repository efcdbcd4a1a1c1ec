//! Password -> key-encryption key, with Argon2id. The parameters live in the vault header
//! so they can be raised later without re-encrypting anything.

use crate::{CryptoError, KEY_LEN, Password, WrappingKey};
use argon2::{Algorithm, Argon2, Params, Version};
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KdfParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl KdfParams {
    /// The floor for new vaults: 256 MiB, 3 passes, 4 lanes (computed in parallel).
    pub const DEFAULT: Self = Self {
        memory_kib: 256 * 1024,
        iterations: 3,
        parallelism: 4,
    };

    /// The format's bounds: what any header may ask for. Far below the default at the
    /// bottom (such vaults can only be made on purpose, e.g. for tests), but high enough
    /// that a header cannot turn the KDF into a no-op.
    const MIN_MEMORY_KIB: u32 = 8 * 1024;
    const MAX_MEMORY_KIB: u32 = 4 * 1024 * 1024;
    const MAX_ITERATIONS: u32 = 64;
    const MAX_PARALLELISM: u32 = 16;

    /// The everyday bounds: the most Keepsake derives with, or makes a vault with, without
    /// being asked. The parameters are read before the header's MAC can be checked, so
    /// these bound what an edited header can cost: a few seconds, never 4 GiB.
    pub const EVERYDAY_MAX: Self = Self {
        memory_kib: 1024 * 1024,
        iterations: 10,
        parallelism: 8,
    };

    pub fn validate(&self) -> Result<(), CryptoError> {
        let ok = (Self::MIN_MEMORY_KIB..=Self::MAX_MEMORY_KIB).contains(&self.memory_kib)
            && (1..=Self::MAX_ITERATIONS).contains(&self.iterations)
            && (1..=Self::MAX_PARALLELISM).contains(&self.parallelism);
        if ok {
            Ok(())
        } else {
            Err(CryptoError::KdfParams(format!(
                "memory {} KiB, {} passes, {} lanes",
                self.memory_kib, self.iterations, self.parallelism
            )))
        }
    }

    /// Whether these are within the everyday bounds.
    pub fn is_everyday(&self) -> bool {
        let max = Self::EVERYDAY_MAX;
        self.memory_kib <= max.memory_kib
            && self.iterations <= max.iterations
            && self.parallelism <= max.parallelism
    }

    /// The same parameters, lowered where they exceed the everyday bounds.
    pub fn everyday(&self) -> Self {
        let max = Self::EVERYDAY_MAX;
        Self {
            memory_kib: self.memory_kib.min(max.memory_kib),
            iterations: self.iterations.min(max.iterations),
            parallelism: self.parallelism.min(max.parallelism),
        }
    }

    /// Raises the pass count above the default until one derivation takes about `target`
    /// on this machine. Memory stays at the default: more passes cost an attacker as much
    /// time as they cost us, more memory could fail on a smaller machine that must open the
    /// vault after a restore.
    pub fn calibrated(target: Duration) -> Result<Self, CryptoError> {
        let mut params = Self::DEFAULT;
        let started = Instant::now();
        derive_password_key(&Password::new("calibration".into()), &[0; 16], &params)?;
        let per_pass = started.elapsed() / params.iterations;
        if per_pass > Duration::ZERO {
            let passes = (target.as_secs_f64() / per_pass.as_secs_f64()).floor() as u32;
            params.iterations =
                passes.clamp(Self::DEFAULT.iterations, Self::EVERYDAY_MAX.iterations);
        }
        Ok(params)
    }
}

impl std::fmt::Display for KdfParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let passes = if self.iterations == 1 {
            "pass"
        } else {
            "passes"
        };
        let lanes = if self.parallelism == 1 {
            "lane"
        } else {
            "lanes"
        };
        write!(
            f,
            "{} MiB, {} {passes}, {} {lanes}",
            self.memory_kib / 1024,
            self.iterations,
            self.parallelism
        )
    }
}

pub fn derive_password_key(
    password: &Password,
    salt: &[u8],
    params: &KdfParams,
) -> Result<WrappingKey, CryptoError> {
    params.validate()?;
    let argon_params = Params::new(
        params.memory_kib,
        params.iterations,
        params.parallelism,
        Some(KEY_LEN),
    )
    .map_err(|e| CryptoError::KdfParams(e.to_string()))?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, argon_params);
    let mut out = Zeroizing::new([0u8; KEY_LEN]);
    argon
        .hash_password_into(password.expose().as_bytes(), salt, out.as_mut_slice())
        .map_err(|e| CryptoError::KdfParams(e.to_string()))?;
    Ok(WrappingKey::from_bytes(*out))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: KdfParams = KdfParams {
        memory_kib: 8 * 1024,
        iterations: 1,
        parallelism: 1,
    };

    #[test]
    fn same_inputs_same_key_and_any_change_differs() {
        let pw = Password::new("correct horse".into());
        let a = derive_password_key(&pw, &[1; 16], &SMALL).unwrap();
        assert_eq!(
            a.expose(),
            derive_password_key(&pw, &[1; 16], &SMALL).unwrap().expose()
        );
        assert_ne!(
            a.expose(),
            derive_password_key(&pw, &[2; 16], &SMALL).unwrap().expose()
        );
        let other = Password::new("correct horsf".into());
        assert_ne!(
            a.expose(),
            derive_password_key(&other, &[1; 16], &SMALL)
                .unwrap()
                .expose()
        );
    }

    #[test]
    fn argon2id_known_answer() {
        // RFC 9106 parameters differ (secret/ad); this pins our exact use: Argon2id v1.3,
        // no secret, 32-byte output. Cross-checked with the `argon2` CLI (Debian):
        // echo -n password | argon2 somesaltsomesalt -id -m 13 -t 1 -p 1 -l 32 -r
        let key = derive_password_key(
            &Password::new("password".into()),
            b"somesaltsomesalt",
            &SMALL,
        )
        .unwrap();
        assert_eq!(
            hex::encode(key.expose()),
            "84fb006bbc3cd69895722b64b5bf735251a9e8e9f3ecb93ff595b98aeb7accb7"
        );
    }

    #[test]
    fn everyday_bounds_cap_what_a_header_can_cost() {
        assert!(KdfParams::DEFAULT.is_everyday());
        assert!(KdfParams::EVERYDAY_MAX.is_everyday());
        let costly = KdfParams {
            memory_kib: 4 * 1024 * 1024,
            iterations: 64,
            parallelism: 16,
        };
        assert!(costly.validate().is_ok() && !costly.is_everyday());
        assert_eq!(costly.everyday(), KdfParams::EVERYDAY_MAX);
        let one_over = KdfParams {
            iterations: 11,
            ..KdfParams::DEFAULT
        };
        assert!(!one_over.is_everyday());
        assert_eq!(one_over.everyday().iterations, 10);
        assert_eq!(
            one_over.everyday().memory_kib,
            KdfParams::DEFAULT.memory_kib
        );
    }

    #[test]
    fn headers_cannot_disable_or_explode_the_kdf() {
        let pw = Password::new("x".into());
        for bad in [
            KdfParams {
                memory_kib: 64,
                ..SMALL
            },
            KdfParams {
                iterations: 0,
                ..SMALL
            },
            KdfParams {
                memory_kib: u32::MAX,
                ..SMALL
            },
        ] {
            assert!(matches!(
                derive_password_key(&pw, &[0; 16], &bad),
                Err(CryptoError::KdfParams(_))
            ));
        }
    }
}

//! The header's key slots (docs/FORMAT.md sections 3.2 to 3.5 and 3.11): the password,
//! the recovery key and each remembered device open the current epoch's vault key.
//!
//! The password and device slots are wraps under a key only their holder has, so a slot
//! that opens also proves the header was made by someone who knew that secret. The
//! recovery slot (version 3) is sealed to an X25519 public key instead, so that a new key
//! epoch reaches the recovery key without it; as a sealed box proves nothing about who
//! made it, a check only the recovery key can compute ties it to the vault's first key.

use super::{HeaderBody, damaged};
use crate::VaultError;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use keepsake_crypto::{
    DeviceSecret, KEY_LEN, Keyring, RecoveryKey, SEALED_KEY_LEN, SealedKey, SlotSecret, VaultKey,
    WRAPPED_KEY_LEN, WrappedKey, WrappingKey, open_sealed_key, seal_key, unwrap_key, wrap_key,
};
use std::fmt;

/// BLAKE3 `derive_key` context: device secret -> the key of its slot.
const DEVICE_SLOT_CONTEXT: &str = "keepsake 2026-11 device slot";

/// Which slot of a header.
#[derive(Clone, Copy)]
pub(super) enum Slot<'a> {
    Password,
    Recovery,
    Device(&'a str),
}

impl Slot<'_> {
    /// Associated data of a wrapped slot: the slot and the vault it belongs to.
    pub(super) fn wrapped_aad(self, vault_id: &str) -> Vec<u8> {
        match self {
            Slot::Password => format!("keepsake-vault v1 password slot {vault_id}"),
            Slot::Recovery => format!("keepsake-vault v1 recovery slot {vault_id}"),
            Slot::Device(id) => format!("keepsake-vault v1 device slot {vault_id} {id}"),
        }
        .into_bytes()
    }
}

fn sealed_recovery_aad(vault_id: &str) -> Vec<u8> {
    format!("keepsake-vault v3 sealed recovery slot {vault_id}").into_bytes()
}

/// The secret that opened a session's header, kept (zeroized on drop) while it is
/// unlocked: with it a sync opens a header of a key epoch another device started, when
/// that device kept this secret's slot (docs/FORMAT.md section 3.11).
#[derive(Clone)]
pub enum Opener {
    /// The password's Argon2id key, for the salt of the header it opened.
    Password(WrappingKey),
    Recovery(RecoverySecrets),
    Device {
        id: String,
        kek: WrappingKey,
    },
}

/// What the recovery key gives: the key of a version 2 slot, the secret of a sealed one,
/// and the key of the check that ties a sealed one to the vault.
#[derive(Clone)]
pub struct RecoverySecrets {
    kek: WrappingKey,
    secret: SlotSecret,
    check: WrappingKey,
}

impl RecoverySecrets {
    pub(super) fn of(recovery: &RecoveryKey) -> Self {
        Self {
            kek: recovery.wrapping_key(),
            secret: recovery.slot_secret(),
            check: recovery.check_key(),
        }
    }
}

impl fmt::Debug for Opener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Opener(redacted)")
    }
}

impl Opener {
    pub(super) fn device(id: &str, secret: &DeviceSecret) -> Self {
        Self::Device {
            id: id.into(),
            kek: device_kek(secret),
        }
    }

    fn slot(&self) -> Slot<'_> {
        match self {
            Self::Password(_) => Slot::Password,
            Self::Recovery(_) => Slot::Recovery,
            Self::Device { id, .. } => Slot::Device(id),
        }
    }

    /// The error for a header this secret does not open.
    fn wrong(&self) -> VaultError {
        match self {
            Self::Password(_) => VaultError::WrongPassword,
            Self::Recovery(_) => VaultError::WrongRecoveryKey,
            Self::Device { .. } => VaultError::WrongDeviceKey,
        }
    }
}

fn decode<const N: usize>(slot: &str) -> Result<[u8; N], VaultError> {
    let bytes = B64
        .decode(slot)
        .map_err(|e| damaged(format!("bad key slot: {e}")))?;
    bytes
        .try_into()
        .map_err(|_| damaged(format!("a key slot must be {N} bytes")))
}

fn decode_public(public: &str) -> Result<[u8; 32], VaultError> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(public, &mut out).map_err(|e| damaged(format!("bad public key: {e}")))?;
    Ok(out)
}

/// The key a device's slot is wrapped under, from the secret in its OS keyring.
fn device_kek(secret: &DeviceSecret) -> WrappingKey {
    WrappingKey::from_bytes(blake3::derive_key(DEVICE_SLOT_CONTEXT, secret.expose()))
}

/// Opens `opener`'s slot in `body`: the vault key of the header's current epoch.
pub(super) fn open_slot(body: &HeaderBody, opener: &Opener) -> Result<VaultKey, VaultError> {
    let slot = opener.slot();
    let aad = slot.wrapped_aad(&body.vault_id);
    let key = match opener {
        Opener::Password(kek) => {
            unwrap_key(kek, &decode::<WRAPPED_KEY_LEN>(&body.password_slot)?, &aad)
        }
        Opener::Device { id, kek } => {
            let device = body
                .devices
                .iter()
                .find(|d| &d.id == id)
                .ok_or(VaultError::DeviceRevoked)?;
            unwrap_key(kek, &decode::<WRAPPED_KEY_LEN>(&device.slot)?, &aad)
        }
        Opener::Recovery(secrets) => match &body.recovery_public {
            Some(public) => {
                if decode_public(public)? != secrets.secret.public() {
                    return Err(opener.wrong());
                }
                let sealed: SealedKey = decode::<SEALED_KEY_LEN>(&body.recovery_slot)?;
                open_sealed_key(
                    &secrets.secret,
                    &sealed,
                    &sealed_recovery_aad(&body.vault_id),
                )
            }
            None => unwrap_key(
                &secrets.kek,
                &decode::<WRAPPED_KEY_LEN>(&body.recovery_slot)?,
                &aad,
            ),
        },
    };
    Ok(VaultKey::from_bytes(*key.map_err(|_| opener.wrong())?))
}

/// The check of a sealed recovery slot: `KeyedHash(K_check, vault id || epoch 0's key
/// fingerprint || recovery public key)`. Only the recovery key computes it, and epoch 0's
/// key never changes, so a header sealed to the recovery key by anyone who never held
/// that key fails it.
fn recovery_check(
    check: &WrappingKey,
    vault_id: &str,
    root: &[u8; KEY_LEN],
    public: &str,
) -> String {
    let mut hasher = blake3::Hasher::new_keyed(check.expose());
    hasher.update(vault_id.as_bytes());
    hasher.update(root);
    hasher.update(public.as_bytes());
    hasher.finalize().to_hex().to_string()
}

/// After a slot opened and the keyring is known: a sealed recovery slot must carry the
/// check of this vault's first key.
pub(super) fn check_recovery(
    body: &HeaderBody,
    opener: &Opener,
    keyring: &Keyring,
) -> Result<(), VaultError> {
    let (Opener::Recovery(secrets), Some(public)) = (opener, &body.recovery_public) else {
        return Ok(());
    };
    let expected = recovery_check(
        &secrets.check,
        &body.vault_id,
        &keyring.root().fingerprint(),
        public,
    );
    let found = body.recovery_check.as_deref().unwrap_or_default();
    if blake3::Hash::from_hex(found).ok() != blake3::Hash::from_hex(&expected).ok() {
        return Err(VaultError::HeaderTampered);
    }
    Ok(())
}

/// Whether `opener`'s slot is as this version writes it (a recovery slot sealed).
pub(super) fn is_current(body: &HeaderBody, opener: &Opener) -> bool {
    !matches!(opener, Opener::Recovery(_)) || body.recovery_public.is_some()
}

/// Wraps `key` in the password slot under `kek`.
pub(super) fn set_password(
    body: &mut HeaderBody,
    kek: &WrappingKey,
    key: &VaultKey,
) -> Result<(), VaultError> {
    let aad = Slot::Password.wrapped_aad(&body.vault_id);
    body.password_slot = B64.encode(wrap_key(kek, key.expose(), &aad)?);
    Ok(())
}

/// Wraps `key` in the slot of device `id` (added if it has none).
pub(super) fn set_device(
    body: &mut HeaderBody,
    id: &str,
    secret: &DeviceSecret,
    key: &VaultKey,
) -> Result<(), VaultError> {
    let aad = Slot::Device(id).wrapped_aad(&body.vault_id);
    let slot = B64.encode(wrap_key(&device_kek(secret), key.expose(), &aad)?);
    match body.devices.iter_mut().find(|d| d.id == id) {
        Some(device) => device.slot = slot,
        None => body.devices.push(super::DeviceSlot {
            id: id.into(),
            name: None,
            created: None,
            slot,
        }),
    }
    Ok(())
}

/// Seals `keyring`'s current key to the recovery key, with its check.
pub(super) fn seal_recovery(
    body: &mut HeaderBody,
    secrets: &RecoverySecrets,
    keyring: &Keyring,
) -> Result<(), VaultError> {
    let public = hex::encode(secrets.secret.public());
    body.recovery_check = Some(recovery_check(
        &secrets.check,
        &body.vault_id,
        &keyring.root().fingerprint(),
        &public,
    ));
    body.recovery_public = Some(public);
    reseal_recovery(body, keyring.current())
}

/// Seals `key` to the recovery public key the header already names (its check, over the
/// vault and epoch 0, stays as it is).
fn reseal_recovery(body: &mut HeaderBody, key: &VaultKey) -> Result<(), VaultError> {
    let public = body
        .recovery_public
        .as_deref()
        .ok_or_else(|| damaged("no recovery public key".into()))?;
    let sealed = seal_key(
        &decode_public(public)?,
        key.expose(),
        &sealed_recovery_aad(&body.vault_id),
    )?;
    body.recovery_slot = B64.encode(sealed);
    Ok(())
}

/// A new epoch's key in `body`: wrapped under the password's `kek`, sealed to the
/// recovery key when the header names its public key (else left for the caller), the
/// older keys wrapped under it, and no device slot (their secrets are not here).
pub(super) fn reseal(
    body: &mut HeaderBody,
    keyring: &Keyring,
    password_kek: &WrappingKey,
) -> Result<(), VaultError> {
    set_password(body, password_kek, keyring.current())?;
    if body.recovery_public.is_some() {
        reseal_recovery(body, keyring.current())?;
    }
    body.devices.clear();
    wrap_epochs(body, keyring)
}

fn epoch_aad(vault_id: &str, epoch: usize) -> Vec<u8> {
    format!("keepsake-vault v3 epoch {vault_id} {epoch}").into_bytes()
}

/// `epochs`: every key of `keyring` but the current one, wrapped under it.
fn wrap_epochs(body: &mut HeaderBody, keyring: &Keyring) -> Result<(), VaultError> {
    let epochs = keyring.epochs();
    let kek = keyring.current().epoch_wrapping_key();
    body.epochs = epochs[..epochs.len() - 1]
        .iter()
        .enumerate()
        .map(|(i, key)| {
            let wrapped = wrap_key(&kek, key.expose(), &epoch_aad(&body.vault_id, i))?;
            Ok(B64.encode(wrapped))
        })
        .collect::<Result<_, VaultError>>()?;
    Ok(())
}

/// The keyring `body` names for its current key `current`: the older epochs unwrapped
/// under it, oldest first.
pub(super) fn unwrap_epochs(body: &HeaderBody, current: VaultKey) -> Result<Keyring, VaultError> {
    let kek = current.epoch_wrapping_key();
    let mut keys = Vec::with_capacity(body.epochs.len() + 1);
    for (i, wrapped) in body.epochs.iter().enumerate() {
        let wrapped: WrappedKey = decode::<WRAPPED_KEY_LEN>(wrapped)?;
        let key = unwrap_key(&kek, &wrapped, &epoch_aad(&body.vault_id, i))
            .map_err(|_| VaultError::HeaderTampered)?;
        keys.push(VaultKey::from_bytes(*key));
    }
    keys.push(current);
    Ok(Keyring::from_epochs(keys).expect("holds the current key"))
}

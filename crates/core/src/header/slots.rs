//! The header's key slots (docs/FORMAT.md sections 3.2 to 3.5 and 3.11): the password,
//! the recovery key and each remembered device open the current epoch's vault key. A
//! version 3 slot is sealed to the holder's X25519 public key, so whoever holds the key
//! can seal a new one to it; a version 2 slot is a wrap under a key only its holder has.

use super::{HeaderBody, damaged};
use crate::VaultError;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use keepsake_crypto::{
    DeviceSecret, Keyring, SEALED_KEY_LEN, SealedKey, SlotSecret, VaultKey, WRAPPED_KEY_LEN,
    WrappedKey, WrappingKey, open_sealed_key, seal_key, unwrap_key, wrap_key,
};
use std::fmt;

/// BLAKE3 `derive_key` context: device secret -> the key of its version 2 slot.
const DEVICE_SLOT_CONTEXT: &str = "keepsake 2026-11 device slot";
const PASSWORD_X25519: &str = "keepsake 2026-12 password slot x25519";
const DEVICE_X25519: &str = "keepsake 2026-12 device slot x25519";

/// Which slot of a header.
#[derive(Clone, Copy)]
pub(super) enum Slot<'a> {
    Password,
    Recovery,
    Device(&'a str),
}

impl Slot<'_> {
    /// Associated data of a version 2 slot: the slot and the vault it belongs to.
    pub(super) fn wrapped_aad(self, vault_id: &str) -> Vec<u8> {
        match self {
            Slot::Password => format!("keepsake-vault v1 password slot {vault_id}"),
            Slot::Recovery => format!("keepsake-vault v1 recovery slot {vault_id}"),
            Slot::Device(id) => format!("keepsake-vault v1 device slot {vault_id} {id}"),
        }
        .into_bytes()
    }

    fn sealed_aad(self, vault_id: &str) -> Vec<u8> {
        match self {
            Slot::Password => format!("keepsake-vault v3 sealed password slot {vault_id}"),
            Slot::Recovery => format!("keepsake-vault v3 sealed recovery slot {vault_id}"),
            Slot::Device(id) => format!("keepsake-vault v3 sealed device slot {vault_id} {id}"),
        }
        .into_bytes()
    }

    /// The slot's value and public key (None: a version 2 slot) in `body`, if it has one.
    fn in_body(self, body: &HeaderBody) -> Option<(&String, Option<&String>)> {
        match self {
            Slot::Password => Some((&body.password_slot, body.password_public.as_ref())),
            Slot::Recovery => Some((&body.recovery_slot, body.recovery_public.as_ref())),
            Slot::Device(id) => body
                .devices
                .iter()
                .find(|d| d.id == id)
                .map(|d| (&d.slot, d.public.as_ref())),
        }
    }

    /// Sets the slot in `body` to `key` sealed to `public`.
    fn set_sealed(
        self,
        body: &mut HeaderBody,
        public: &[u8; 32],
        key: &VaultKey,
    ) -> Result<(), VaultError> {
        let sealed = B64.encode(seal_key(
            public,
            key.expose(),
            &self.sealed_aad(&body.vault_id),
        )?);
        let public = Some(hex::encode(public));
        match self {
            Slot::Password => (body.password_slot, body.password_public) = (sealed, public),
            Slot::Recovery => (body.recovery_slot, body.recovery_public) = (sealed, public),
            Slot::Device(id) => {
                if let Some(device) = body.devices.iter_mut().find(|d| d.id == id) {
                    (device.slot, device.public) = (sealed, public);
                }
            }
        }
        Ok(())
    }
}

/// The secret of the slot that unlocked a session, kept (zeroized on drop) while it is
/// unlocked: with it, a header of a later key epoch, rotated on another device, opens at
/// sync without asking anyone (docs/FORMAT.md section 3.11).
#[derive(Clone)]
pub enum Opener {
    Password(SlotSecret),
    Recovery(SlotSecret),
    Device { id: String, secret: SlotSecret },
}

impl fmt::Debug for Opener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Opener(redacted)")
    }
}

impl Opener {
    /// The password's, from its Argon2id key.
    pub(super) fn password(kek: &WrappingKey) -> Self {
        Self::Password(SlotSecret::derive(PASSWORD_X25519, kek.expose()))
    }

    pub(super) fn device(id: &str, secret: &DeviceSecret) -> Self {
        Self::Device {
            id: id.into(),
            secret: SlotSecret::derive(DEVICE_X25519, secret.expose()),
        }
    }

    pub(super) fn slot(&self) -> Slot<'_> {
        match self {
            Self::Password(_) => Slot::Password,
            Self::Recovery(_) => Slot::Recovery,
            Self::Device { id, .. } => Slot::Device(id),
        }
    }

    pub(super) fn secret(&self) -> &SlotSecret {
        match self {
            Self::Password(secret) | Self::Recovery(secret) | Self::Device { secret, .. } => secret,
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

/// Opens `slot` of `body` with `opener`'s secret, or with `kek` where the slot is still a
/// version 2 wrap. `wrong` is the error for a secret that does not open it.
pub(super) fn open_slot(
    body: &HeaderBody,
    slot: Slot,
    opener: &Opener,
    kek: Option<&WrappingKey>,
    wrong: VaultError,
) -> Result<VaultKey, VaultError> {
    let Some((value, public)) = slot.in_body(body) else {
        return Err(wrong);
    };
    let key = match (public, kek) {
        (Some(public), _) => {
            if decode_public(public)? != opener.secret().public() {
                return Err(wrong);
            }
            let sealed: SealedKey = decode::<SEALED_KEY_LEN>(value)?;
            open_sealed_key(opener.secret(), &sealed, &slot.sealed_aad(&body.vault_id))
        }
        (None, Some(kek)) => {
            let wrapped: WrappedKey = decode::<WRAPPED_KEY_LEN>(value)?;
            unwrap_key(kek, &wrapped, &slot.wrapped_aad(&body.vault_id))
        }
        (None, None) => return Err(wrong),
    };
    Ok(VaultKey::from_bytes(*key.map_err(|_| wrong)?))
}

/// The key of a device's version 2 slot.
pub(super) fn device_kek(secret: &DeviceSecret) -> WrappingKey {
    WrappingKey::from_bytes(blake3::derive_key(DEVICE_SLOT_CONTEXT, secret.expose()))
}

/// Seals `key` into the slot `opener` opens (a version 2 slot becomes a sealed one).
pub(super) fn seal_for(
    body: &mut HeaderBody,
    opener: &Opener,
    key: &VaultKey,
) -> Result<(), VaultError> {
    opener
        .slot()
        .set_sealed(body, &opener.secret().public(), key)
}

/// Whether `opener`'s slot in `body` is sealed to it (else it is a version 2 wrap).
pub(super) fn is_sealed_for(body: &HeaderBody, opener: &Opener) -> bool {
    let public = hex::encode(opener.secret().public());
    opener
        .slot()
        .in_body(body)
        .is_some_and(|(_, p)| p == Some(&public))
}

/// Seals `keyring`'s current key to every slot with a public key and wraps the older keys
/// under it. A device whose slot is still a version 2 wrap loses it (it asks for the
/// password once); a version 2 recovery slot is left for the caller to replace; a
/// version 2 password slot makes this fail.
pub(super) fn reseal(body: &mut HeaderBody, keyring: &Keyring) -> Result<(), VaultError> {
    let key = keyring.current();
    let public = body
        .password_public
        .clone()
        .ok_or(VaultError::RotationNeedsPassword)?;
    Slot::Password.set_sealed(body, &decode_public(&public)?, key)?;
    if let Some(public) = body.recovery_public.clone() {
        Slot::Recovery.set_sealed(body, &decode_public(&public)?, key)?;
    }
    body.devices.retain(|d| d.public.is_some());
    let devices: Vec<(String, String)> = body
        .devices
        .iter()
        .filter_map(|d| Some((d.id.clone(), d.public.clone()?)))
        .collect();
    for (id, public) in devices {
        Slot::Device(&id).set_sealed(body, &decode_public(&public)?, key)?;
    }
    wrap_epochs(body, keyring)
}

/// Seals `key` to the public key a device slot of `from` names, into `body` (a device
/// another header remembered).
pub(super) fn reseal_device(
    body: &mut HeaderBody,
    id: &str,
    public: &str,
    key: &VaultKey,
) -> Result<(), VaultError> {
    Slot::Device(id).set_sealed(body, &decode_public(public)?, key)
}

fn epoch_aad(vault_id: &str, epoch: usize) -> Vec<u8> {
    format!("keepsake-vault v3 epoch {vault_id} {epoch}").into_bytes()
}

/// `epochs`: every key of `keyring` but the current one, wrapped under it.
fn wrap_epochs(body: &mut HeaderBody, keyring: &Keyring) -> Result<(), VaultError> {
    let epochs = keyring.epochs();
    let older = &epochs[..epochs.len() - 1];
    body.epochs = older
        .iter()
        .enumerate()
        .map(|(i, key)| {
            let wrapped = wrap_key(
                &keyring.current().epoch_wrapping_key(),
                key.expose(),
                &epoch_aad(&body.vault_id, i),
            )?;
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

//! Key epochs (docs/FORMAT.md section 3.11): a new password, a revoked device or a
//! recovery starts a new epoch under a new vault key, sealed to every slot that keeps
//! working; and two headers of different epochs merge into one whose keyring holds both.

use super::slots::{self, Opener};
use super::{Header, HeaderBody, Kdf};
use crate::VaultError;
use keepsake_crypto::{KdfParams, Keyring, Password, RecoveryKey};

/// What a rotation changes besides the key.
pub struct Rotation<'a> {
    /// A new password (fresh salt, these KDF parameters); None keeps the password.
    pub password: Option<(&'a Password, KdfParams)>,
    /// Devices whose slots go: one revoked, or all (a recovery).
    pub revoke: Revoke<'a>,
}

pub enum Revoke<'a> {
    None,
    Device(&'a str),
    All,
}

/// A rotated header and what the session needs from it.
pub struct Rotated {
    pub header: Header,
    pub keyring: Keyring,
    /// The new password's opener, when the password changed.
    pub password_opener: Option<Opener>,
    /// A recovery key drawn because the old one's slot was a version 2 wrap, which no
    /// rotation can carry over: to be shown once, like at `init`.
    pub new_recovery: Option<RecoveryKey>,
}

impl Header {
    /// This header in a new key epoch (see the module comment).
    pub fn rotated(&self, keyring: &Keyring, change: Rotation) -> Result<Rotated, VaultError> {
        let mut body = self.body.clone();
        match change.revoke {
            Revoke::None => {}
            Revoke::Device(id) => {
                let before = body.devices.len();
                body.devices.retain(|d| d.id != id);
                if body.devices.len() == before {
                    return Err(VaultError::NoSuchDevice(id.to_string()));
                }
            }
            Revoke::All => body.devices.clear(),
        }
        let keyring = keyring.rotated()?;
        let mut password_opener = None;
        if let Some((password, kdf)) = change.password {
            body.kdf = Kdf::fresh(kdf)?;
            let opener = Opener::password(&body.kdf.derive(password)?);
            slots::seal_for(&mut body, &opener, keyring.current())?;
            password_opener = Some(opener);
        }
        let mut new_recovery = None;
        if body.recovery_public.is_none() {
            let recovery = RecoveryKey::generate()?;
            slots::seal_for(
                &mut body,
                &Opener::Recovery(recovery.slot_secret()),
                keyring.current(),
            )?;
            new_recovery = Some(recovery);
        }
        slots::reseal(&mut body, &keyring)?;
        Ok(Rotated {
            header: Self::seal(body, keyring.current())?,
            keyring,
            password_opener,
            new_recovery,
        })
    }

    /// `later`, a header of a key epoch `other` does not know (opened as `later_keys`),
    /// merged with `other` (opened as `other_keys`), both made from `base`: later's
    /// password and recovery key, its devices plus those `other` remembered since the
    /// base and minus those `other` revoked. When `other` holds keys `later` lacks (two
    /// rotations at once), or revoked a device `later` still seals to, the merge starts
    /// one more epoch, so no revoked device can open its key.
    pub fn merged_across_epochs(
        later: &Header,
        later_keys: &Keyring,
        other: &Header,
        other_keys: &Keyring,
        base: Option<&Header>,
    ) -> Result<(Header, Keyring), VaultError> {
        let mut body = later.body.clone();
        let devices_before: Vec<String> = body.devices.iter().map(|d| d.id.clone()).collect();
        if let Some(base) = base {
            merge_devices(&mut body, &other.body, &base.body);
        }
        let revoked_here = devices_before
            .iter()
            .any(|id| !body.devices.iter().any(|d| &d.id == id));
        let mut keys = later_keys.epochs().to_vec();
        for key in other_keys.epochs() {
            if !keys.iter().any(|k| k.expose() == key.expose()) {
                keys.push(key.clone());
            }
        }
        let mut keyring = Keyring::from_epochs(keys).expect("holds later's keys");
        if revoked_here || !later_keys.holds_all_of(other_keys) {
            keyring = keyring.rotated()?;
            slots::reseal(&mut body, &keyring)?;
        } else {
            // Same key: only the devices `other` remembered need sealing to it.
            let added: Vec<(String, String)> = body
                .devices
                .iter()
                .filter(|d| !devices_before.contains(&d.id))
                .filter_map(|d| Some((d.id.clone(), d.public.clone()?)))
                .collect();
            body.devices
                .retain(|d| devices_before.contains(&d.id) || d.public.is_some());
            for (id, public) in added {
                slots::reseal_device(&mut body, &id, &public, keyring.current())?;
            }
        }
        body.generation = later.body.generation.max(other.body.generation);
        Ok((Header::seal(body, keyring.current())?, keyring))
    }
}

/// Applies to `body` the device changes `mine` made since `base`: the devices it
/// remembered are added, and those it revoked removed (a revocation stands, whatever the
/// other side did meanwhile).
pub(super) fn merge_devices(body: &mut HeaderBody, mine: &HeaderBody, base: &HeaderBody) {
    let had = |b: &HeaderBody, id: &str| b.devices.iter().any(|d| d.id == id);
    for device in &mine.devices {
        if !had(base, &device.id) && !had(body, &device.id) {
            body.devices.push(device.clone());
        }
    }
    body.devices
        .retain(|d| !had(base, &d.id) || had(mine, &d.id));
}

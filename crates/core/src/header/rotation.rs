//! Key epochs (docs/FORMAT.md section 3.11): a new password, a revoked device or a
//! recovery starts a new epoch under a new vault key; two headers whose keyrings differ
//! (two devices changed the key between syncs) become one more epoch holding both.

use super::slots::{self, Opener, RecoverySecrets};
use super::{Header, HeaderBody, Kdf};
use crate::VaultError;
use keepsake_crypto::{KdfParams, Keyring, Password, RecoveryKey, WrappingKey};

/// What a rotation needs besides the keys.
pub struct Rotation<'a> {
    /// The password the new key is wrapped under, which also shows the header was made
    /// by someone who knew it.
    pub password: &'a Password,
    /// For a new password, the KDF parameters to derive it with under a fresh salt. None
    /// for the same password, under the same salt: sessions unlocked with it open the new
    /// header at their next sync without asking.
    pub new_kdf: Option<KdfParams>,
    /// A device being revoked, which must be one the header remembers. Every device slot
    /// goes in a rotation (their secrets are not here); the others ask for the password
    /// once and can be remembered again.
    pub revoking: Option<&'a str>,
}

/// A rotated header and what the session takes from it.
pub struct Rotated {
    pub header: Header,
    pub keyring: Keyring,
    /// The password's opener for the new header.
    pub opener: Opener,
    /// A recovery key drawn because the old one's slot was a version 2 wrap, which no
    /// rotation can carry over: to be shown once, like at `init`.
    pub new_recovery: Option<RecoveryKey>,
}

impl Header {
    /// This header in a new key epoch (see the module comment).
    pub fn rotated(&self, keyring: &Keyring, change: Rotation) -> Result<Rotated, VaultError> {
        if let Some(id) = change.revoking
            && !self.body.devices.iter().any(|d| d.id == id)
        {
            return Err(VaultError::NoSuchDevice(id.to_string()));
        }
        let mut body = self.body.clone();
        let keyring = keyring.rotated()?;
        if let Some(kdf) = change.new_kdf {
            body.kdf = Kdf::fresh(kdf)?;
        }
        let kek = body.kdf.derive(change.password)?;
        let mut new_recovery = None;
        if body.recovery_public.is_none() {
            let recovery = RecoveryKey::generate()?;
            slots::seal_recovery(&mut body, &RecoverySecrets::of(&recovery), &keyring)?;
            new_recovery = Some(recovery);
        }
        slots::reseal(&mut body, &keyring, &kek)?;
        Ok(Rotated {
            header: Self::seal(body, keyring.current())?,
            keyring,
            opener: Opener::Password(kek),
            new_recovery,
        })
    }

    /// This header (opened as `keys` with the password key `password_kek`) one epoch on,
    /// its keyring holding the keys of `other` too: the merge of two devices that each
    /// changed the key between syncs. Later than both generations.
    pub fn merged_keys(
        &self,
        keys: &Keyring,
        other: &Keyring,
        other_generation: u64,
        password_kek: &WrappingKey,
    ) -> Result<(Header, Keyring), VaultError> {
        if keys.root().expose() != other.root().expose() {
            return Err(VaultError::HeaderTampered);
        }
        let mut all = keys.epochs().to_vec();
        for key in other.epochs() {
            if !all.iter().any(|k| k.expose() == key.expose()) {
                all.push(key.clone());
            }
        }
        let keyring = Keyring::from_epochs(all)
            .expect("holds this header's keys")
            .rotated()?;
        let mut body = self.body.clone();
        slots::reseal(&mut body, &keyring, password_kek)?;
        body.generation = body.generation.max(other_generation);
        Ok((Self::seal(body, keyring.current())?, keyring))
    }
}

/// Applies to `body` the device changes `mine` made since `base`: the devices it
/// remembered are added, and those it forgot removed (a removal stands, whatever the
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

//! The vault header file `keepsake-vault.json`: two lines of JSON.
//!
//! Line 1 is the header body (format, vault id, KDF parameters and salt, the vault key
//! wrapped under the password and under the recovery key). Line 2 seals the exact bytes of
//! line 1: an unkeyed BLAKE3 checksum, checked before unlocking so that accidental damage is
//! reported as damage and not as a wrong password, and a BLAKE3 MAC under a vault-key
//! subkey, checked after unlocking so that deliberate tampering is detected too.

mod rotation;
mod slots;

pub use rotation::Rotation;
pub use slots::Opener;
use slots::RecoverySecrets;

use crate::VaultError;
use crate::fsutil::write_atomic;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use keepsake_crypto::{
    DeviceSecret, KdfParams, Keyring, Password, RecoveryKey, VaultKey, WrappingKey,
    derive_password_key, random_bytes,
};
use serde::{Deserialize, Serialize};
use std::path::Path;

pub const FILE_NAME: &str = "keepsake-vault.json";
/// A header of a later key epoch that a sync could not open with the session's secret,
/// kept for the next password unlock (docs/FORMAT.md section 3.11).
pub const NEXT_FILE_NAME: &str = "keepsake-vault.next.json";
const FORMAT: &str = "keepsake-vault";
/// The header version Keepsake writes. Versions 1 (device names and dates in plaintext)
/// and 2 (one vault key for good) are still read, and upgraded at the first unlock:
/// docs/FORMAT.md sections 3.9 and 3.11.
pub const FORMAT_VERSION: u32 = 3;
const OLDEST_VERSION: u32 = 1;

#[derive(Serialize, Deserialize, Clone)]
pub struct HeaderBody {
    pub format: String,
    pub version: u32,
    /// One more with every write, under the MAC: which of two headers is newer
    /// (docs/FORMAT.md section 3.10). Absent in headers written before it: 0.
    #[serde(default)]
    pub generation: u64,
    pub vault_id: String,
    pub kdf: Kdf,
    /// The vault key wrapped under the password's Argon2id key.
    pub password_slot: String,
    /// The vault key sealed to `recovery_public`, or (version 2) wrapped under the
    /// recovery key.
    pub recovery_slot: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_public: Option<String>,
    /// Ties a sealed recovery slot to this vault's first key (docs/FORMAT.md 3.11).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_check: Option<String>,
    /// Devices remembered for unlock through the OS, each with its own slot (absent while
    /// there are none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<DeviceSlot>,
    /// The keys of the earlier key epochs, oldest first, each wrapped under this one
    /// (docs/FORMAT.md section 3.11).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub epochs: Vec<String>,
}

#[derive(Serialize, Deserialize, Clone)]
pub struct DeviceSlot {
    /// 16 lowercase hex digits.
    pub id: String,
    /// Version 1 only: the device's name and when it was remembered, in plaintext. Read
    /// to move them into the catalog, never written.
    #[serde(default, skip_serializing)]
    pub name: Option<String>,
    #[serde(default, skip_serializing)]
    pub created: Option<String>,
    /// The vault key wrapped under a key derived from the device's secret.
    pub slot: String,
}

#[derive(Serialize, Deserialize, Clone)]
pub struct Kdf {
    pub algorithm: String,
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    pub salt: String,
}

#[derive(Serialize, Deserialize)]
struct Seals {
    checksum: String,
    mac: String,
}

impl Kdf {
    fn params(&self) -> KdfParams {
        KdfParams {
            memory_kib: self.memory_kib,
            iterations: self.iterations,
            parallelism: self.parallelism,
        }
    }

    fn fresh(params: KdfParams) -> Result<Self, VaultError> {
        Ok(Self {
            algorithm: "argon2id".into(),
            memory_kib: params.memory_kib,
            iterations: params.iterations,
            parallelism: params.parallelism,
            salt: B64.encode(random_bytes::<16>()?),
        })
    }

    fn derive(&self, password: &Password) -> Result<WrappingKey, VaultError> {
        let salt = B64
            .decode(&self.salt)
            .map_err(|e| damaged(format!("bad KDF salt: {e}")))?;
        Ok(derive_password_key(password, &salt, &self.params())?)
    }
}

fn damaged(reason: String) -> VaultError {
    VaultError::HeaderDamaged {
        path: FILE_NAME.into(),
        reason,
    }
}

/// A header as read from disk: parsed and checksummed, not yet authenticated.
#[derive(Clone)]
pub struct Header {
    pub body: HeaderBody,
    body_line: String,
    mac: [u8; 32],
}

/// Whether a folder holds a vault's catalog and at least one stored object.
fn holds_photos(dir: &Path) -> bool {
    let shards = std::fs::read_dir(dir.join("objects"));
    dir.join(crate::catalog::FILE_NAME).exists()
        && shards.is_ok_and(|mut entries| entries.next().is_some())
}

impl Header {
    /// A new header for a new vault key, and the password's opener; the password KDF is
    /// calibrated on this machine.
    pub fn create(
        vault_key: &VaultKey,
        password: &Password,
        recovery: &RecoveryKey,
        kdf: KdfParams,
    ) -> Result<(Self, Opener), VaultError> {
        let kdf = Kdf::fresh(kdf)?;
        let kek = kdf.derive(password)?;
        let mut body = HeaderBody {
            format: FORMAT.into(),
            version: FORMAT_VERSION,
            generation: 0,
            vault_id: hex::encode(random_bytes::<16>()?),
            kdf,
            password_slot: String::new(),
            recovery_slot: String::new(),
            recovery_public: None,
            recovery_check: None,
            devices: Vec::new(),
            epochs: Vec::new(),
        };
        let keyring = Keyring::new(vault_key.clone());
        slots::set_password(&mut body, &kek, vault_key)?;
        slots::seal_recovery(&mut body, &RecoverySecrets::of(recovery), &keyring)?;
        Ok((Self::seal(body, vault_key)?, Opener::Password(kek)))
    }

    /// Every header Keepsake writes is the current version, whatever it was read as, and
    /// one generation after the header it was made from.
    fn seal(mut body: HeaderBody, vault_key: &VaultKey) -> Result<Self, VaultError> {
        body.version = FORMAT_VERSION;
        body.generation = body.generation.saturating_add(1);
        for device in &mut body.devices {
            device.name = None;
            device.created = None;
        }
        let body_line = serde_json::to_string(&body).map_err(|e| damaged(e.to_string()))?;
        let mac = vault_key.header_mac(body_line.as_bytes());
        Ok(Self {
            body,
            body_line,
            mac,
        })
    }

    pub fn load(dir: &Path) -> Result<Self, VaultError> {
        let path = dir.join(FILE_NAME);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(if holds_photos(dir) {
                    // Not "no vault here": the photos are, without the key to open them.
                    damaged(
                        "it is missing, but this folder holds a vault's catalog and photos: \
                         put back keepsake-vault.json from a backup, or restore from a remote"
                            .into(),
                    )
                } else {
                    VaultError::NotAVault(dir.to_path_buf())
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                return Err(damaged("not UTF-8 text".into()));
            }
            Err(e) => return Err(VaultError::io(format!("reading {}", path.display()), e)),
        };
        Self::parse(&text).map_err(|e| match e {
            VaultError::HeaderDamaged { reason, .. } => VaultError::HeaderDamaged { path, reason },
            other => other,
        })
    }

    /// The largest header Keepsake accepts (a few slots make a few kilobytes): a remote
    /// cannot make a restore download more than this before anything is checked.
    pub const MAX_LEN: u64 = 1 << 20;

    pub fn parse(text: &str) -> Result<Self, VaultError> {
        let mut lines = text.lines();
        let body_line = lines.next().unwrap_or_default();
        let seals: Seals = serde_json::from_str(lines.next().unwrap_or_default())
            .map_err(|e| damaged(format!("seal line unreadable: {e}")))?;
        let checksum = blake3::hash(body_line.as_bytes()).to_hex();
        if seals.checksum != checksum.as_str() {
            return Err(damaged(
                "checksum mismatch (the file was changed or corrupted)".into(),
            ));
        }
        let body: HeaderBody =
            serde_json::from_str(body_line).map_err(|e| damaged(format!("unreadable: {e}")))?;
        if body.format != FORMAT {
            return Err(damaged(format!("unknown format {:?}", body.format)));
        }
        if !(OLDEST_VERSION..=FORMAT_VERSION).contains(&body.version) {
            return Err(VaultError::UnsupportedFormat(body.version));
        }
        if body.kdf.algorithm != "argon2id" {
            return Err(damaged(format!("unknown KDF {:?}", body.kdf.algorithm)));
        }
        body.kdf
            .params()
            .validate()
            .map_err(|e| damaged(format!("{e}: outside what the format allows")))?;
        let mut mac = [0u8; 32];
        hex::decode_to_slice(&seals.mac, &mut mac).map_err(|e| damaged(format!("bad MAC: {e}")))?;
        Ok(Self {
            body,
            body_line: body_line.to_string(),
            mac,
        })
    }

    pub fn save(&self, dir: &Path) -> Result<(), VaultError> {
        write_atomic(&dir.join(FILE_NAME), self.to_text()?.as_bytes())
            .map_err(|e| VaultError::io("writing the vault header", e))
    }

    /// Keeps this header aside as the next one (see NEXT_FILE_NAME).
    pub fn save_next(&self, dir: &Path) -> Result<(), VaultError> {
        write_atomic(&dir.join(NEXT_FILE_NAME), self.to_text()?.as_bytes())
            .map_err(|e| VaultError::io("keeping the remote's newer vault header", e))
    }

    pub fn load_next(dir: &Path) -> Result<Self, VaultError> {
        let text = std::fs::read_to_string(dir.join(NEXT_FILE_NAME))
            .map_err(|e| VaultError::io("reading keepsake-vault.next.json", e))?;
        Self::parse(&text)
    }

    pub fn remove_next(dir: &Path) {
        let _ = std::fs::remove_file(dir.join(NEXT_FILE_NAME));
    }

    /// The file's two lines, as `save` writes them.
    pub fn to_text(&self) -> Result<String, VaultError> {
        let seals = Seals {
            checksum: blake3::hash(self.body_line.as_bytes()).to_hex().to_string(),
            mac: hex::encode(self.mac),
        };
        let seals = serde_json::to_string(&seals).map_err(|e| damaged(e.to_string()))?;
        Ok(format!("{}\n{}\n", self.body_line, seals))
    }

    /// Whether two headers are the same header (same seals over the same body).
    pub fn same_as(&self, other: &Header) -> bool {
        self.mac == other.mac
    }

    /// This device's header merged with `theirs`, another device's of the same key epoch
    /// made since `base` (docs/FORMAT.md section 3.10): the devices either remembered or
    /// forgot since the base, and everything else (password, recovery slot, the older
    /// epochs' keys) this device's. Within an epoch those change only by rewrapping the
    /// same secrets, and anyone who ever held this epoch's key could write a header: so a
    /// header from a remote never brings a password, a recovery key or a keyring. Theirs
    /// as it is when that is the whole merge (so two devices do not take turns
    /// rewriting the same header), else one generation after the later of the two.
    pub fn merged_with(
        &self,
        theirs: &Header,
        base: &Header,
        vault_key: &VaultKey,
    ) -> Result<Self, VaultError> {
        let mut body = self.body.clone();
        rotation::merge_devices(&mut body, &theirs.body, &base.body);
        body.generation = theirs.body.generation;
        if serde_json::to_string(&body).ok() == serde_json::to_string(&theirs.body).ok() {
            return Ok(theirs.clone());
        }
        body.generation = self.body.generation.max(theirs.body.generation);
        Self::seal(body, vault_key)
    }

    pub fn kdf_params(&self) -> KdfParams {
        self.body.kdf.params()
    }

    /// Whether this header's MAC checks under `vault_key`: it was written by a holder of
    /// the key, as it is. (blake3::Hash compares in constant time.)
    pub fn is_sealed_by(&self, vault_key: &VaultKey) -> bool {
        blake3::Hash::from(vault_key.header_mac(self.body_line.as_bytes()))
            == blake3::Hash::from(self.mac)
    }

    /// This header's keyring, given the key that sealed it (one of another header's).
    pub fn keyring_under(&self, key: &VaultKey) -> Result<Keyring, VaultError> {
        if !self.is_sealed_by(key) {
            return Err(VaultError::HeaderTampered);
        }
        slots::unwrap_epochs(&self.body, key.clone())
    }

    /// The key of `keyring` this header is sealed by, if any.
    pub fn sealing_key<'k>(&self, keyring: &'k Keyring) -> Option<&'k VaultKey> {
        keyring.epochs().iter().rev().find(|k| self.is_sealed_by(k))
    }

    /// Whether this header supersedes `other`: a later generation, or on the same one
    /// the greater MAC, so that every device settles on the same header.
    pub fn supersedes(&self, other: &Header) -> bool {
        (self.body.generation, self.mac) > (other.body.generation, other.mac)
    }

    /// Whether this header must be written again: an older version, or a recovery slot
    /// the recovery key that opened it can now seal (docs/FORMAT.md sections 3.9, 3.11).
    pub fn is_outdated(&self, opener: &Opener) -> bool {
        self.body.version < FORMAT_VERSION || !slots::is_current(&self.body, opener)
    }

    /// The header as the current version (with the recovery slot sealed, when the
    /// recovery key opened it).
    pub fn upgraded(&self, keyring: &Keyring, opener: &Opener) -> Result<Self, VaultError> {
        let mut body = self.body.clone();
        if let Opener::Recovery(secrets) = opener
            && body.recovery_public.is_none()
        {
            slots::seal_recovery(&mut body, secrets, keyring)?;
        }
        Self::seal(body, keyring.current())
    }

    /// Derives the password key and opens the password slot. Parameters beyond the
    /// everyday bounds are used only when `costly_allowed`; either way only if the memory
    /// is there.
    pub fn unlock_with_password(
        &self,
        password: &Password,
        costly_allowed: bool,
    ) -> Result<Opened, VaultError> {
        let params = self.kdf_params();
        if !params.is_everyday() && !costly_allowed {
            return Err(VaultError::KdfTooCostly(params));
        }
        crate::memory::check_available(u64::from(params.memory_kib) * 1024)?;
        self.opened_by(Opener::Password(self.body.kdf.derive(password)?))
    }

    pub fn unlock_with_recovery(&self, recovery: &RecoveryKey) -> Result<Opened, VaultError> {
        self.opened_by(Opener::Recovery(RecoverySecrets::of(recovery)))
    }

    /// Unlocks with a remembered device's secret.
    pub fn unlock_with_device(
        &self,
        device_id: &str,
        secret: &DeviceSecret,
    ) -> Result<Opened, VaultError> {
        self.opened_by(Opener::device(device_id, secret))
    }

    /// Opens this header with a session's opener (a header another device rotated): its
    /// keyring, if the opener's slot is in it and opens.
    pub fn open_with(&self, opener: &Opener) -> Result<Keyring, VaultError> {
        Ok(self.opened_by(opener.clone())?.keyring)
    }

    /// A slot opened: the whole header must be authentic under the key it gives, then
    /// the older epochs' keys unwrap under it.
    fn opened_by(&self, opener: Opener) -> Result<Opened, VaultError> {
        let key = slots::open_slot(&self.body, &opener)?;
        if !self.is_sealed_by(&key) {
            return Err(VaultError::HeaderTampered);
        }
        let keyring = slots::unwrap_epochs(&self.body, key)?;
        slots::check_recovery(&self.body, &opener, &keyring)?;
        Ok(Opened { keyring, opener })
    }

    /// The same vault key under the same password with a fresh salt and the given KDF
    /// cost (after an unlock that needed a costly derivation): nothing else changes.
    pub fn with_new_password(
        &self,
        keyring: &Keyring,
        password: &Password,
        kdf: KdfParams,
    ) -> Result<(Self, Opener), VaultError> {
        let mut body = self.body.clone();
        body.kdf = Kdf::fresh(kdf)?;
        let kek = body.kdf.derive(password)?;
        slots::set_password(&mut body, &kek, keyring.current())?;
        Ok((Self::seal(body, keyring.current())?, Opener::Password(kek)))
    }

    /// The same header with a slot for device `id` (replacing one it had).
    pub fn with_device(
        &self,
        keyring: &Keyring,
        id: &str,
        secret: &DeviceSecret,
    ) -> Result<Self, VaultError> {
        let mut body = self.body.clone();
        slots::set_device(&mut body, id, secret, keyring.current())?;
        Self::seal(body, keyring.current())
    }

    /// The same header without this device's own slot, under the same key: for a device
    /// that stops unlocking through the OS (revoking another device rotates the key).
    pub fn without_device(&self, keyring: &Keyring, device_id: &str) -> Result<Self, VaultError> {
        let mut body = self.body.clone();
        let before = body.devices.len();
        body.devices.retain(|d| d.id != device_id);
        if body.devices.len() == before {
            return Err(VaultError::NoSuchDevice(device_id.to_string()));
        }
        Self::seal(body, keyring.current())
    }
}

/// A header's slot opened: the vault's keys, and the secret that opened it.
pub struct Opened {
    pub keyring: Keyring,
    pub opener: Opener,
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_support::FAST;
    use keepsake_crypto::ObjectKeys;

    fn fixture() -> (Keyring, Password, RecoveryKey, Header) {
        let key = VaultKey::random().unwrap();
        let pw = Password::new("correct horse battery".into());
        let rk = RecoveryKey::generate().unwrap();
        let (header, _) = Header::create(&key, &pw, &rk, FAST).unwrap();
        (Keyring::new(key), pw, rk, header)
    }

    fn text_of(header: &Header) -> String {
        let dir = tempfile::tempdir().unwrap();
        header.save(dir.path()).unwrap();
        std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap()
    }

    fn reread(header: &Header) -> Header {
        Header::parse(&text_of(header)).unwrap()
    }

    fn current(opened: Result<Opened, VaultError>) -> [u8; 32] {
        *opened.unwrap().keyring.current().expose()
    }

    /// A rotation to `password` (the same as before when `revoking`).
    fn rotate(
        header: &Header,
        keys: &Keyring,
        password: &Password,
        revoking: Option<&str>,
    ) -> (Header, Keyring) {
        let rotated = header
            .rotated(
                keys,
                Rotation {
                    password,
                    new_kdf: revoking.is_none().then_some(FAST),
                    revoking,
                },
            )
            .unwrap();
        assert!(rotated.new_recovery.is_none());
        (reread(&rotated.header), rotated.keyring)
    }

    #[test]
    fn password_and_recovery_key_both_open_the_same_vault_key() {
        let (keys, pw, rk, header) = fixture();
        let reread = reread(&header);
        assert_eq!(
            current(reread.unlock_with_password(&pw, false)),
            *keys.current().expose()
        );
        assert_eq!(
            current(reread.unlock_with_recovery(&rk)),
            *keys.current().expose()
        );
        assert!(matches!(
            reread.unlock_with_password(&Password::new("wrong".into()), false),
            Err(VaultError::WrongPassword)
        ));
        let other = RecoveryKey::generate().unwrap();
        assert!(matches!(
            reread.unlock_with_recovery(&other),
            Err(VaultError::WrongRecoveryKey)
        ));
    }

    /// A new password starts a key epoch: the old password opens nothing of the new
    /// header, and with the old header it opens only the old key; the recovery key and
    /// the new password open the new key, and through it the old one.
    #[test]
    fn a_new_password_is_a_new_key_epoch_the_old_secrets_cannot_reach() {
        let (keys, pw, rk, header) = fixture();
        let new_pw = Password::new("another long password".into());
        let (changed, new_keys) = rotate(&header, &keys, &new_pw, None);
        assert_ne!(new_keys.current().key_id(), keys.current().key_id());
        assert!(matches!(
            changed.unlock_with_password(&pw, false),
            Err(VaultError::WrongPassword)
        ));
        let opened = changed
            .unlock_with_password(&new_pw, false)
            .unwrap()
            .keyring;
        assert_eq!(opened.current().expose(), new_keys.current().expose());
        assert!(opened.extends(&keys), "the old keys are still in the chain");
        assert_eq!(*opened.catalog_key(), *keys.catalog_key());
        assert_eq!(
            current(changed.unlock_with_recovery(&rk)),
            *new_keys.current().expose()
        );
        let old = header.unlock_with_password(&pw, false).unwrap().keyring;
        assert!(old.key_for(new_keys.current().key_id()).is_none());
    }

    /// A revoked device's secret with a header saved before never reaches the new key;
    /// the password (unchanged) opens it, and a session unlocked with it opens the
    /// rotated header as a sync does. Every device slot goes with the old key.
    #[test]
    fn a_revoked_device_with_a_header_saved_before_never_reaches_the_new_key() {
        let (keys, pw, _, header) = fixture();
        let (laptop, desktop) = (
            DeviceSecret::random().unwrap(),
            DeviceSecret::random().unwrap(),
        );
        let header = header
            .with_device(&keys, "00000000000000aa", &laptop)
            .unwrap()
            .with_device(&keys, "00000000000000bb", &desktop)
            .unwrap();
        let saved = reread(&header);
        let (revoked, new_keys) = rotate(&header, &keys, &pw, Some("00000000000000aa"));
        let stolen = saved
            .unlock_with_device("00000000000000aa", &laptop)
            .unwrap();
        assert!(
            stolen
                .keyring
                .key_for(new_keys.current().key_id())
                .is_none()
        );
        assert!(matches!(
            revoked.open_with(&stolen.opener),
            Err(VaultError::DeviceRevoked)
        ));
        let session = saved.unlock_with_password(&pw, false).unwrap();
        assert_eq!(
            revoked
                .open_with(&session.opener)
                .unwrap()
                .current()
                .expose(),
            new_keys.current().expose()
        );
        assert!(matches!(
            revoked.unlock_with_device("00000000000000bb", &desktop),
            Err(VaultError::DeviceRevoked)
        ));
        assert!(matches!(
            header.rotated(
                &keys,
                Rotation {
                    password: &pw,
                    new_kdf: None,
                    revoking: Some("00000000000000cc")
                }
            ),
            Err(VaultError::NoSuchDevice(_))
        ));
    }

    /// Whoever knows only what a header shows (the storage operator) cannot make one the
    /// password or the recovery key opens: the password slot is a wrap under the
    /// password's key, and a sealed recovery slot must carry a check only the recovery key
    /// computes over the vault's first key.
    #[test]
    fn a_header_forged_from_public_parts_opens_with_neither_secret() {
        let (_, pw, rk, header) = fixture();
        let evil = Keyring::new(VaultKey::random().unwrap());
        let mut body = header.body.clone();
        body.generation += 5;
        slots::reseal(&mut body, &evil, &WrappingKey::random().unwrap()).unwrap();
        let forged = reread(&Header::seal(body, evil.current()).unwrap());
        assert!(matches!(
            forged.unlock_with_password(&pw, false),
            Err(VaultError::WrongPassword)
        ));
        assert!(matches!(
            forged.unlock_with_recovery(&rk),
            Err(VaultError::HeaderTampered)
        ));
    }

    #[test]
    fn every_write_is_a_later_generation_that_only_the_key_can_seal() {
        let (keys, _, _, header) = fixture();
        assert_eq!(header.body.generation, 1);
        let new_pw = Password::new("another long password".into());
        let (changed, new_keys) = rotate(&header, &keys, &new_pw, None);
        assert_eq!(changed.body.generation, 2);
        assert!(changed.is_sealed_by(new_keys.current()) && changed.supersedes(&header));
        assert!(!changed.is_sealed_by(keys.current()));
        assert!(!header.supersedes(&changed));
        // A generation raised by hand (and the checksum redone) is not sealed by the key.
        let text = text_of(&header);
        let line1 = text
            .lines()
            .next()
            .unwrap()
            .replace("\"generation\":1", "\"generation\":9");
        let forged = format!(
            "{line1}\n{{\"checksum\":\"{}\",\"mac\":\"{}\"}}\n",
            blake3::hash(line1.as_bytes()).to_hex(),
            hex::encode(header.mac)
        );
        let forged = Header::parse(&forged).unwrap();
        assert_eq!(forged.body.generation, 9);
        assert!(!forged.is_sealed_by(keys.current()));
        // A header written before generations reads as generation 0.
        let old = text_of(&header).replacen("\"generation\":1,", "", 1);
        let line1 = old.lines().next().unwrap();
        let old = format!(
            "{line1}\n{{\"checksum\":\"{}\",\"mac\":\"{}\"}}\n",
            blake3::hash(line1.as_bytes()).to_hex(),
            hex::encode(keys.current().header_mac(line1.as_bytes()))
        );
        let old = Header::parse(&old).unwrap();
        assert_eq!(old.body.generation, 0);
        assert!(header.supersedes(&old));
    }

    /// Two devices changed the header from one base in the same epoch before either
    /// synced: the merge keeps the devices each remembered, this one's forgotten device
    /// stays gone, and it is newer than both.
    #[test]
    fn a_merge_keeps_both_devices_changes_and_a_removal_wins() {
        let (keys, _, _, header) = fixture();
        let secrets: Vec<DeviceSecret> = (0..3).map(|_| DeviceSecret::random().unwrap()).collect();
        let base = header
            .with_device(&keys, "0000000000000001", &secrets[0])
            .unwrap();
        let theirs = base
            .with_device(&keys, "0000000000000002", &secrets[1])
            .unwrap();
        let mine = base
            .without_device(&keys, "0000000000000001")
            .unwrap()
            .with_device(&keys, "0000000000000003", &secrets[2])
            .unwrap();
        let merged = reread(&mine.merged_with(&theirs, &base, keys.current()).unwrap());
        assert!(merged.is_sealed_by(keys.current()));
        assert!(merged.supersedes(&theirs) && merged.supersedes(&mine));
        assert!(matches!(
            merged.unlock_with_device("0000000000000001", &secrets[0]),
            Err(VaultError::DeviceRevoked)
        ));
        for (id, secret) in [
            ("0000000000000002", &secrets[1]),
            ("0000000000000003", &secrets[2]),
        ] {
            assert_eq!(
                current(merged.unlock_with_device(id, secret)),
                *keys.current().expose()
            );
        }
    }

    /// A header of this epoch from a remote, written by anyone who held the epoch's key
    /// (a laptop revoked later): only its device slots count. It cannot set a password,
    /// a recovery key or a keyring of its own; a header that only adds a device is taken
    /// as it is.
    #[test]
    fn a_header_of_this_epoch_brings_only_device_slots() {
        let (keys, pw, rk, header) = fixture();
        let secret = DeviceSecret::random().unwrap();
        let theirs = header
            .with_device(&keys, "0000000000000009", &secret)
            .unwrap();
        assert!(
            header
                .merged_with(&theirs, &header, keys.current())
                .unwrap()
                .same_as(&theirs)
        );

        let thief = Password::new("the thief's own password".into());
        let (mut hostile, _) = theirs.with_new_password(&keys, &thief, FAST).unwrap();
        let other_rk = RecoveryKey::generate().unwrap();
        let mut body = hostile.body.clone();
        slots::seal_recovery(&mut body, &RecoverySecrets::of(&other_rk), &keys).unwrap();
        body.epochs = vec![body.password_slot.clone()];
        hostile = Header::seal(body, keys.current()).unwrap();
        let merged = reread(
            &header
                .merged_with(&hostile, &header, keys.current())
                .unwrap(),
        );
        assert!(merged.supersedes(&hostile));
        assert_eq!(
            current(merged.unlock_with_password(&pw, false)),
            *keys.current().expose()
        );
        assert!(matches!(
            merged.unlock_with_password(&thief, false),
            Err(VaultError::WrongPassword)
        ));
        assert_eq!(
            current(merged.unlock_with_recovery(&rk)),
            *keys.current().expose()
        );
        assert!(merged.unlock_with_recovery(&other_rk).is_err());
        assert_eq!(
            current(merged.unlock_with_device("0000000000000009", &secret)),
            *keys.current().expose()
        );
    }

    /// Two devices changed the key from one base at once (both revoked a device): the
    /// merge is one more epoch whose keyring holds both, opened by the password, later
    /// than both; a keyring of another vault is refused.
    #[test]
    fn two_key_changes_at_once_merge_into_a_keyring_holding_both() {
        let (keys, pw, _, header) = fixture();
        let (theirs, their_keys) = rotate(&header, &keys, &pw, None);
        let (mine, my_keys) = rotate(&header, &keys, &pw, None);
        let Opener::Password(kek) = theirs.unlock_with_password(&pw, false).unwrap().opener else {
            panic!("a password opener")
        };
        let (merged, merged_keys) = theirs
            .merged_keys(&their_keys, &my_keys, mine.body.generation, &kek)
            .unwrap();
        let merged = reread(&merged);
        let opened = merged.unlock_with_password(&pw, false).unwrap().keyring;
        assert_eq!(opened.current().expose(), merged_keys.current().expose());
        assert!(opened.extends(&their_keys) && opened.extends(&my_keys));
        assert!(merged.supersedes(&theirs) && merged.supersedes(&mine));
        let stranger = Keyring::new(VaultKey::random().unwrap());
        assert!(matches!(
            theirs.merged_keys(&their_keys, &stranger, 0, &kek),
            Err(VaultError::HeaderTampered)
        ));
    }

    /// A version 2 header (every slot a plain wrap), as Keepsake wrote before key epochs,
    /// opened with the password.
    fn fixture_v2(pw: &Password, rk: &RecoveryKey) -> (Header, Opened) {
        let key = VaultKey::random().unwrap();
        let mut body = HeaderBody {
            format: FORMAT.into(),
            version: 2,
            generation: 4,
            vault_id: "00112233445566778899aabbccddeeff".into(),
            kdf: Kdf::fresh(FAST).unwrap(),
            password_slot: String::new(),
            recovery_slot: String::new(),
            recovery_public: None,
            recovery_check: None,
            devices: Vec::new(),
            epochs: Vec::new(),
        };
        let aad = |name: &str| format!("keepsake-vault v1 {name} slot {}", body.vault_id);
        let wrap = |kek: &WrappingKey, aad: String| {
            B64.encode(keepsake_crypto::wrap_key(kek, key.expose(), aad.as_bytes()).unwrap())
        };
        let password_slot = wrap(&body.kdf.derive(pw).unwrap(), aad("password"));
        let recovery_slot = wrap(&rk.wrapping_key(), aad("recovery"));
        (body.password_slot, body.recovery_slot) = (password_slot, recovery_slot);
        let body_line = serde_json::to_string(&body).unwrap();
        let mac = key.header_mac(body_line.as_bytes());
        let header = reread(&Header {
            body,
            body_line,
            mac,
        });
        let opened = header.unlock_with_password(pw, false).unwrap();
        (header, opened)
    }

    /// A version 2 header opens; its recovery slot is sealed when the recovery key opens
    /// it, and a rotation before that draws a new recovery key, which then works.
    #[test]
    fn a_version_2_header_upgrades_and_a_rotation_replaces_its_recovery_key() {
        let (_, pw, rk, _) = fixture();
        let (v2, opened) = fixture_v2(&pw, &rk);
        assert_eq!(v2.body.version, 2);
        assert!(v2.is_outdated(&opened.opener));
        let upgraded = reread(&v2.upgraded(&opened.keyring, &opened.opener).unwrap());
        assert_eq!(upgraded.body.version, FORMAT_VERSION);
        assert!(upgraded.body.recovery_public.is_none());
        let by_recovery = upgraded.unlock_with_recovery(&rk).unwrap();
        assert!(upgraded.is_outdated(&by_recovery.opener));
        let sealed = reread(
            &upgraded
                .upgraded(&by_recovery.keyring, &by_recovery.opener)
                .unwrap(),
        );
        assert!(sealed.body.recovery_public.is_some());
        assert_eq!(
            current(sealed.unlock_with_recovery(&rk)),
            *opened.keyring.current().expose()
        );

        let rotated = upgraded
            .rotated(
                &opened.keyring,
                Rotation {
                    password: &pw,
                    new_kdf: Some(FAST),
                    revoking: None,
                },
            )
            .unwrap();
        let new_rk = rotated.new_recovery.expect("a new recovery key");
        let rotated_header = reread(&rotated.header);
        assert!(matches!(
            rotated_header.unlock_with_recovery(&rk),
            Err(VaultError::WrongRecoveryKey)
        ));
        assert_eq!(
            current(rotated_header.unlock_with_recovery(&new_rk)),
            *rotated.keyring.current().expose()
        );
        assert_eq!(
            current(rotated_header.unlock_with_password(&pw, false)),
            *rotated.keyring.current().expose()
        );
    }

    #[test]
    fn accidental_damage_is_damage_not_a_wrong_password() {
        let (_, _, _, header) = fixture();
        let text = text_of(&header);
        let damaged_text = text.replacen("\"iterations\":1", "\"iterations\":2", 1);
        assert!(matches!(
            Header::parse(&damaged_text),
            Err(VaultError::HeaderDamaged { .. })
        ));
        assert!(matches!(
            Header::parse(""),
            Err(VaultError::HeaderDamaged { .. })
        ));
        assert!(matches!(
            Header::parse(&text[..text.len() / 2]),
            Err(VaultError::HeaderDamaged { .. })
        ));
    }

    #[test]
    fn deliberate_tampering_with_a_fixed_checksum_is_caught_by_the_mac() {
        let (_, pw, _, header) = fixture();
        let text = text_of(&header);
        let mut lines: Vec<String> = text.lines().map(String::from).collect();
        // Swap the recovery slot for the password slot: the checksum is recomputed, as an
        // attacker would, but the MAC needs the vault key.
        let mut body: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
        body["recovery_slot"] = body["password_slot"].clone();
        lines[0] = serde_json::to_string(&body).unwrap();
        let mut seals: serde_json::Value = serde_json::from_str(&lines[1]).unwrap();
        seals["checksum"] = blake3::hash(lines[0].as_bytes())
            .to_hex()
            .to_string()
            .into();
        lines[1] = seals.to_string();
        let forged = Header::parse(&lines.join("\n")).unwrap();
        assert!(matches!(
            forged.unlock_with_password(&pw, false),
            Err(VaultError::HeaderTampered)
        ));
    }
}

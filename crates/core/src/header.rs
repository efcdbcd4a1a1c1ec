//! The vault header file `keepsake-vault.json`: two lines of JSON.
//!
//! Line 1 is the header body (format, vault id, KDF parameters and salt, the vault key
//! wrapped under the password and under the recovery key). Line 2 seals the exact bytes of
//! line 1: an unkeyed BLAKE3 checksum, checked before unlocking so that accidental damage is
//! reported as damage and not as a wrong password, and a BLAKE3 MAC under a vault-key
//! subkey, checked after unlocking so that deliberate tampering is detected too.

use crate::VaultError;
use crate::fsutil::write_atomic;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use keepsake_crypto::{
    DeviceSecret, KdfParams, Password, RecoveryKey, VaultKey, WRAPPED_KEY_LEN, WrappedKey,
    WrappingKey, derive_password_key, random_bytes, unwrap_key, wrap_key,
};
use serde::{Deserialize, Serialize};
use std::path::Path;

pub const FILE_NAME: &str = "keepsake-vault.json";
const FORMAT: &str = "keepsake-vault";
/// The header version Keepsake writes. Version 1 (device names and dates in plaintext)
/// is still read, and upgraded at the first unlock: docs/FORMAT.md section 3.9.
pub const FORMAT_VERSION: u32 = 2;
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
    /// The vault key wrapped under the recovery key.
    pub recovery_slot: String,
    /// Devices remembered for unlock through the OS, each with its own wrap of the vault
    /// key (absent while there are none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<DeviceSlot>,
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

/// BLAKE3 `derive_key` context: device secret -> the key that wraps its slot.
const DEVICE_SLOT_CONTEXT: &str = "keepsake 2026-11 device slot";

fn device_kek(secret: &DeviceSecret) -> WrappingKey {
    WrappingKey::from_bytes(blake3::derive_key(DEVICE_SLOT_CONTEXT, secret.expose()))
}

fn device_aad(vault_id: &str, device_id: &str) -> Vec<u8> {
    format!("keepsake-vault v1 device slot {vault_id} {device_id}").into_bytes()
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

#[derive(Clone, Copy)]
enum Slot {
    Password,
    Recovery,
}

impl Slot {
    /// Associated data of a wrapped vault key: the slot and the vault it belongs to.
    fn aad(self, vault_id: &str) -> Vec<u8> {
        let name = match self {
            Slot::Password => "password",
            Slot::Recovery => "recovery",
        };
        format!("keepsake-vault v1 {name} slot {vault_id}").into_bytes()
    }
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

fn decode_slot(slot: &str) -> Result<WrappedKey, VaultError> {
    let bytes = B64
        .decode(slot)
        .map_err(|e| damaged(format!("bad wrapped key: {e}")))?;
    bytes
        .try_into()
        .map_err(|_| damaged(format!("a wrapped key must be {WRAPPED_KEY_LEN} bytes")))
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
    /// A new header for a new vault key; the password KDF is calibrated on this machine.
    pub fn create(
        vault_key: &VaultKey,
        password: &Password,
        recovery: &RecoveryKey,
        kdf: KdfParams,
    ) -> Result<Self, VaultError> {
        let vault_id = hex::encode(random_bytes::<16>()?);
        let kdf = Kdf::fresh(kdf)?;
        let password_slot = wrap_key(
            &kdf.derive(password)?,
            vault_key.expose(),
            &Slot::Password.aad(&vault_id),
        )?;
        let recovery_slot = wrap_key(
            &recovery.wrapping_key(),
            vault_key.expose(),
            &Slot::Recovery.aad(&vault_id),
        )?;
        let body = HeaderBody {
            format: FORMAT.into(),
            version: FORMAT_VERSION,
            generation: 0,
            vault_id,
            kdf,
            password_slot: B64.encode(password_slot),
            recovery_slot: B64.encode(recovery_slot),
            devices: Vec::new(),
        };
        Self::seal(body, vault_key)
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

    /// This device's header, made from `base`, merged onto `theirs`, another device's
    /// made from the same base (docs/FORMAT.md section 3.10): theirs, with the devices
    /// this one remembered or revoked since `base`, and this one's password (or recovery)
    /// slot where only this one changed it. One generation after the later of the two.
    pub fn merged_onto(
        &self,
        theirs: &Header,
        base: &Header,
        vault_key: &VaultKey,
    ) -> Result<Self, VaultError> {
        let (mine, old) = (&self.body, &base.body);
        let mut body = theirs.body.clone();
        let password = |b: &HeaderBody| (b.password_slot.clone(), b.kdf.salt.clone());
        if password(mine) != password(old) && password(&body) == password(old) {
            body.password_slot = mine.password_slot.clone();
            body.kdf = mine.kdf.clone();
        }
        if mine.recovery_slot != old.recovery_slot && body.recovery_slot == old.recovery_slot {
            body.recovery_slot = mine.recovery_slot.clone();
        }
        let had = |b: &HeaderBody, id: &str| b.devices.iter().any(|d| d.id == id);
        for device in &mine.devices {
            if !had(old, &device.id) && !had(&body, &device.id) {
                body.devices.push(device.clone());
            }
        }
        // A revocation here stands, whatever the other device did meanwhile: kept are the
        // devices this one did not have at the base, or still has.
        body.devices
            .retain(|d| !had(old, &d.id) || had(mine, &d.id));
        body.generation = mine.generation.max(theirs.body.generation);
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

    /// Whether this header supersedes `other`: a later generation, or on the same one
    /// the greater MAC, so that every device settles on the same header.
    pub fn supersedes(&self, other: &Header) -> bool {
        (self.body.generation, self.mac) > (other.body.generation, other.mac)
    }

    /// Whether this header is an older version, to be written again as the current one.
    pub fn is_outdated(&self) -> bool {
        self.body.version < FORMAT_VERSION
    }

    /// The header as the current version: same key slots, new seals.
    pub fn rewritten(&self, vault_key: &VaultKey) -> Result<Self, VaultError> {
        Self::seal(self.body.clone(), vault_key)
    }

    /// Derives the password key and opens the password slot. Parameters beyond the
    /// everyday bounds are used only when `costly_allowed`; either way only if the memory
    /// is there.
    pub fn unlock_with_password(
        &self,
        password: &Password,
        costly_allowed: bool,
    ) -> Result<VaultKey, VaultError> {
        let params = self.kdf_params();
        if !params.is_everyday() && !costly_allowed {
            return Err(VaultError::KdfTooCostly(params));
        }
        crate::memory::check_available(u64::from(params.memory_kib) * 1024)?;
        let kek = self.body.kdf.derive(password)?;
        self.open_slot(&kek, Slot::Password, VaultError::WrongPassword)
    }

    pub fn unlock_with_recovery(&self, recovery: &RecoveryKey) -> Result<VaultKey, VaultError> {
        self.open_slot(
            &recovery.wrapping_key(),
            Slot::Recovery,
            VaultError::WrongRecoveryKey,
        )
    }

    fn open_slot(
        &self,
        kek: &WrappingKey,
        slot: Slot,
        wrong: VaultError,
    ) -> Result<VaultKey, VaultError> {
        let wrapped = match slot {
            Slot::Password => &self.body.password_slot,
            Slot::Recovery => &self.body.recovery_slot,
        };
        self.open(kek, wrapped, &slot.aad(&self.body.vault_id), wrong)
    }

    /// Unlocks with a remembered device's secret.
    pub fn unlock_with_device(
        &self,
        device_id: &str,
        secret: &DeviceSecret,
    ) -> Result<VaultKey, VaultError> {
        let device = self
            .body
            .devices
            .iter()
            .find(|d| d.id == device_id)
            .ok_or(VaultError::DeviceRevoked)?;
        self.open(
            &device_kek(secret),
            &device.slot,
            &device_aad(&self.body.vault_id, device_id),
            VaultError::WrongDeviceKey,
        )
    }

    fn open(
        &self,
        kek: &WrappingKey,
        wrapped: &str,
        aad: &[u8],
        wrong: VaultError,
    ) -> Result<VaultKey, VaultError> {
        let wrapped = decode_slot(wrapped)?;
        let key = unwrap_key(kek, &wrapped, aad).map_err(|_| wrong)?;
        let vault_key = VaultKey::from_bytes(*key);
        // The slot opened, so the key is right; now the whole header must be authentic.
        if !self.is_sealed_by(&vault_key) {
            return Err(VaultError::HeaderTampered);
        }
        Ok(vault_key)
    }

    /// The same vault key under a new password (new salt, given KDF cost): nothing else
    /// in the vault changes.
    pub fn with_new_password(
        &self,
        vault_key: &VaultKey,
        password: &Password,
        kdf: KdfParams,
    ) -> Result<Self, VaultError> {
        let mut body = self.body.clone();
        body.kdf = Kdf::fresh(kdf)?;
        let slot = wrap_key(
            &body.kdf.derive(password)?,
            vault_key.expose(),
            &Slot::Password.aad(&body.vault_id),
        )?;
        body.password_slot = B64.encode(slot);
        Self::seal(body, vault_key)
    }

    /// The same header with one more device slot.
    pub fn with_device(
        &self,
        vault_key: &VaultKey,
        id: &str,
        secret: &DeviceSecret,
    ) -> Result<Self, VaultError> {
        let mut body = self.body.clone();
        let slot = wrap_key(
            &device_kek(secret),
            vault_key.expose(),
            &device_aad(&body.vault_id, id),
        )?;
        body.devices.push(DeviceSlot {
            id: id.into(),
            name: None,
            created: None,
            slot: B64.encode(slot),
        });
        Self::seal(body, vault_key)
    }

    /// The same header without the given device (None: without any device).
    pub fn without_device(
        &self,
        vault_key: &VaultKey,
        device_id: Option<&str>,
    ) -> Result<Self, VaultError> {
        let mut body = self.body.clone();
        match device_id {
            Some(id) => {
                let before = body.devices.len();
                body.devices.retain(|d| d.id != id);
                if body.devices.len() == before {
                    return Err(VaultError::NoSuchDevice(id.to_string()));
                }
            }
            None => body.devices.clear(),
        }
        Self::seal(body, vault_key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_support::FAST;

    fn fixture() -> (VaultKey, Password, RecoveryKey, Header) {
        let key = VaultKey::random().unwrap();
        let pw = Password::new("correct horse battery".into());
        let rk = RecoveryKey::generate().unwrap();
        let header = Header::create(&key, &pw, &rk, FAST).unwrap();
        (key, pw, rk, header)
    }

    fn text_of(header: &Header) -> String {
        let dir = tempfile::tempdir().unwrap();
        header.save(dir.path()).unwrap();
        std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap()
    }

    #[test]
    fn password_and_recovery_key_both_open_the_same_vault_key() {
        let (key, pw, rk, header) = fixture();
        let reread = Header::parse(&text_of(&header)).unwrap();
        assert_eq!(
            reread.unlock_with_password(&pw, false).unwrap().expose(),
            key.expose()
        );
        assert_eq!(
            reread.unlock_with_recovery(&rk).unwrap().expose(),
            key.expose()
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

    #[test]
    fn new_password_rewraps_the_same_key_and_retires_the_old_password() {
        let (key, pw, rk, header) = fixture();
        let new_pw = Password::new("another long password".into());
        let changed = Header::parse(&text_of(
            &header.with_new_password(&key, &new_pw, FAST).unwrap(),
        ))
        .unwrap();
        assert_eq!(
            changed
                .unlock_with_password(&new_pw, false)
                .unwrap()
                .expose(),
            key.expose()
        );
        assert!(changed.unlock_with_password(&pw, false).is_err());
        assert_eq!(
            changed.unlock_with_recovery(&rk).unwrap().expose(),
            key.expose()
        );
    }

    #[test]
    fn every_write_is_a_later_generation_that_only_the_key_can_seal() {
        let (key, _, _, header) = fixture();
        assert_eq!(header.body.generation, 1);
        let changed = Header::parse(&text_of(
            &header
                .with_new_password(&key, &Password::new("another long password".into()), FAST)
                .unwrap(),
        ))
        .unwrap();
        assert_eq!(changed.body.generation, 2);
        assert!(changed.is_sealed_by(&key) && changed.supersedes(&header));
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
        assert!(!forged.is_sealed_by(&key));
        // A header written before generations reads as generation 0.
        let old = text_of(&header).replacen("\"generation\":1,", "", 1);
        let line1 = old.lines().next().unwrap();
        let old = format!(
            "{line1}\n{{\"checksum\":\"{}\",\"mac\":\"{}\"}}\n",
            blake3::hash(line1.as_bytes()).to_hex(),
            hex::encode(key.header_mac(line1.as_bytes()))
        );
        let old = Header::parse(&old).unwrap();
        assert_eq!(old.body.generation, 0);
        assert!(header.supersedes(&old));
    }

    /// Two devices changed the header from one base before either synced: the merge
    /// keeps the other's password change, this one's revocation and remembered device,
    /// and is newer than both.
    #[test]
    fn a_merge_keeps_both_devices_changes_and_a_revocation_wins() {
        let (key, _, _, header) = fixture();
        let (old_device, new_device) = (
            DeviceSecret::random().unwrap(),
            DeviceSecret::random().unwrap(),
        );
        let base = header
            .with_device(&key, "0000000000000001", &old_device)
            .unwrap();
        let new_pw = Password::new("the password changed over there".into());
        let theirs = base.with_new_password(&key, &new_pw, FAST).unwrap();
        let mine = base
            .without_device(&key, Some("0000000000000001"))
            .unwrap()
            .with_device(&key, "0000000000000002", &new_device)
            .unwrap();
        let merged =
            Header::parse(&text_of(&mine.merged_onto(&theirs, &base, &key).unwrap())).unwrap();
        assert!(merged.is_sealed_by(&key));
        assert!(merged.supersedes(&theirs) && merged.supersedes(&mine));
        assert_eq!(
            merged
                .unlock_with_password(&new_pw, false)
                .unwrap()
                .expose(),
            key.expose()
        );
        assert!(matches!(
            merged.unlock_with_device("0000000000000001", &old_device),
            Err(VaultError::DeviceRevoked)
        ));
        assert_eq!(
            merged
                .unlock_with_device("0000000000000002", &new_device)
                .unwrap()
                .expose(),
            key.expose()
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

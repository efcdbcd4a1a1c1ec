//! Devices remembered for unlock through the OS: each has its own slot in the header
//! (the vault key wrapped under a key from the device's secret); the secret itself lives
//! in that device's OS credential store, which is the shells' business. Revoking removes
//! the slot, so the secret opens nothing from then on. Names and dates are in the
//! encrypted catalog: every remote receives the header.

use crate::header::Rotation;
use crate::import::format_system_time;
use crate::{Password, UnlockedVault, Vault, VaultError};
use keepsake_crypto::{DeviceSecret, RecoveryKey, random_bytes};
use serde::Serialize;
use std::time::SystemTime;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DeviceInfo {
    pub id: String,
    pub name: String,
    pub created: String,
    pub last_used: Option<String>,
}

impl Vault {
    pub fn vault_id(&self) -> &str {
        &self.header.body.vault_id
    }

    pub fn has_device(&self, device_id: &str) -> bool {
        self.header.body.devices.iter().any(|d| d.id == device_id)
    }

    /// Unlocks with a remembered device's secret, and notes when.
    pub fn unlock_with_device(
        self,
        device_id: &str,
        secret: &DeviceSecret,
    ) -> Result<UnlockedVault, VaultError> {
        let opened = self.header.unlock_with_device(device_id, secret)?;
        let mut vault = self.into_unlocked(opened)?;
        let now = format_system_time(SystemTime::now()).unwrap_or_default();
        vault.catalog.device_used(device_id, &now)?;
        Ok(vault)
    }
}

impl UnlockedVault {
    pub fn vault_id(&self) -> &str {
        &self.header.body.vault_id
    }

    /// Adds a device slot; returns its id and the secret for the OS store.
    pub fn add_device(&mut self, name: &str) -> Result<(String, DeviceSecret), VaultError> {
        let id = hex::encode(random_bytes::<8>()?);
        let secret = DeviceSecret::random()?;
        let created = format_system_time(SystemTime::now()).unwrap_or_default();
        let name = name.trim();
        let name = if name.is_empty() {
            "unnamed device"
        } else {
            name
        };
        // The name first: a crash before the header leaves a name without a slot, which
        // lists nothing.
        self.catalog.name_device(&id, name, &created)?;
        let writing = self.header_writes_owned();
        let _writing = writing.lock().unwrap_or_else(|p| p.into_inner());
        self.refresh_header();
        let header = self.header.with_device(&self.key, &id, &secret)?;
        header.save(&self.dir)?;
        self.header = header;
        Ok((id, secret))
    }

    /// Revokes a device: its slot goes, and a new key epoch starts, so its secret with
    /// a header saved before opens nothing added from now on (docs/FORMAT.md section
    /// 3.11). The new key is wrapped under `password` (checked first); the other
    /// remembered devices ask for it once. See `change_password` for `reveal`.
    pub fn remove_device(
        &mut self,
        device_id: &str,
        password: &Password,
        reveal: impl FnOnce(&RecoveryKey) -> std::io::Result<()>,
    ) -> Result<(), VaultError> {
        self.check_password(password)?;
        // The slot first: revoking is what matters, the name is only a label.
        self.rotate_key(
            Rotation {
                password,
                new_kdf: None,
                revoking: Some(device_id),
            },
            reveal,
        )?;
        self.catalog.forget_device(Some(device_id))
    }

    pub fn has_device(&self, device_id: &str) -> bool {
        self.header.body.devices.iter().any(|d| d.id == device_id)
    }

    /// Gives device `id` its slot again under the current key, with the secret it
    /// already keeps (this device, after a new key epoch dropped every slot).
    pub fn keep_device(
        &mut self,
        device_id: &str,
        secret: &DeviceSecret,
    ) -> Result<(), VaultError> {
        let writing = self.header_writes_owned();
        let _writing = writing.lock().unwrap_or_else(|p| p.into_inner());
        self.refresh_header();
        let header = self.header.with_device(&self.key, device_id, secret)?;
        header.save(&self.dir)?;
        self.header = header;
        Ok(())
    }

    /// Removes this device's own slot, when it stops unlocking through the OS: its
    /// secret stays on this device, so the key need not change.
    pub fn forget_own_device(&mut self, device_id: &str) -> Result<(), VaultError> {
        let writing = self.header_writes_owned();
        let _writing = writing.lock().unwrap_or_else(|p| p.into_inner());
        self.refresh_header();
        let header = self.header.without_device(&self.key, device_id)?;
        header.save(&self.dir)?;
        self.header = header;
        self.catalog.forget_device(Some(device_id))
    }

    pub fn devices(&self) -> Result<Vec<DeviceInfo>, VaultError> {
        let mut devices = Vec::new();
        for d in &self.header.body.devices {
            let (name, created) = self
                .catalog
                .device_name(&d.id)?
                .unwrap_or_else(|| ("unnamed device".into(), String::new()));
            devices.push(DeviceInfo {
                id: d.id.clone(),
                name,
                created,
                last_used: self.catalog.device_last_used(&d.id)?,
            });
        }
        Ok(devices)
    }

    /// Writes an older header again as the current version, with the slot that unlocked
    /// it sealed: the device names and dates a version 1 header held in plaintext go into
    /// the catalog first (FORMAT.md sections 3.9 and 3.11).
    pub(crate) fn upgrade_header(&mut self) -> Result<(), VaultError> {
        let Self { header, contents } = self;
        for device in &header.body.devices {
            if let (Some(name), Some(created)) = (&device.name, &device.created) {
                contents.catalog.name_device(&device.id, name, created)?;
            }
        }
        let header = self.header.upgraded(&self.key, &self.opener)?;
        header.save(&self.dir)?;
        self.header = header;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::FAST;
    use crate::{Password, Vault, VaultError};

    /// A device slot opens the vault until a key change: a secret opens only its own
    /// slot, revoking one drops every slot (the key changed) but the one a device keeps
    /// with its own secret, and a recovery revokes them all.
    #[test]
    fn a_device_slot_opens_the_vault_until_the_key_changes_and_only_its_own() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("v");
        let password = Password::new("long enough password".into());
        let (mut vault, recovery) = Vault::create(&dir, &password, Some(FAST)).unwrap();
        let (id, secret) = vault.add_device("laptop").unwrap();
        let (other, other_secret) = vault.add_device("desktop").unwrap();
        drop(vault.lock());

        let opened = Vault::open(&dir)
            .unwrap()
            .unlock_with_device(&id, &secret)
            .unwrap();
        let listed = opened.devices().unwrap();
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[0].name, "laptop");
        assert!(listed[0].last_used.is_some() && listed[1].last_used.is_none());
        drop(opened.lock());
        assert!(matches!(
            Vault::open(&dir)
                .unwrap()
                .unlock_with_device(&other, &secret),
            Err(VaultError::WrongDeviceKey)
        ));

        // The desktop revokes the laptop, keeping its own slot.
        let mut desk = Vault::open(&dir)
            .unwrap()
            .unlock_with_device(&other, &other_secret)
            .unwrap();
        assert!(matches!(
            desk.remove_device(&id, &Password::new("not the password".into()), |_| Ok(())),
            Err(VaultError::WrongPassword)
        ));
        desk.remove_device(&id, &password, |_| Ok(())).unwrap();
        assert!(
            desk.devices().unwrap().is_empty(),
            "every slot went with the key"
        );
        desk.keep_device(&other, &other_secret).unwrap();
        drop(desk.lock());
        assert!(matches!(
            Vault::open(&dir).unwrap().unlock_with_device(&id, &secret),
            Err(VaultError::DeviceRevoked)
        ));
        let desk = Vault::open(&dir)
            .unwrap()
            .unlock_with_device(&other, &other_secret)
            .unwrap();
        drop(desk.lock());

        let recovered = Vault::open(&dir)
            .unwrap()
            .recover(
                &recovery.to_words(),
                &Password::new("recovered password".into()),
            )
            .unwrap();
        assert!(
            recovered.devices().unwrap().is_empty(),
            "recovery revokes every device"
        );
        drop(recovered.lock());
        assert!(matches!(
            Vault::open(&dir)
                .unwrap()
                .unlock_with_device(&other, &other_secret),
            Err(VaultError::DeviceRevoked)
        ));
    }
}

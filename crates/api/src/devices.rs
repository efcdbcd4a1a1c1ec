//! Devices that unlock through the OS keyring (Keychain, Windows Hello, Secret Service):
//! remembering this one, forgetting it, unlocking with it, and the list with this device
//! marked. The shells name no keyring: this module uses the system's.

use keepsake_core::{DeviceInfo, UnlockedVault, Vault, VaultError};
use keepsake_os_unlock::OsKeyring;
pub use keepsake_os_unlock::OsUnlockError;
use serde::Serialize;

/// A device that can unlock the vault, and whether it is the one this runs on.
#[derive(Debug, Serialize)]
pub struct Device {
    #[serde(flatten)]
    pub info: DeviceInfo,
    pub this_device: bool,
}

/// Every device that unlocks the vault through its OS keyring.
pub fn devices(vault: &UnlockedVault) -> Result<Vec<Device>, VaultError> {
    let this = keepsake_os_unlock::this_device(vault.vault_id(), &OsKeyring);
    Ok(vault
        .devices()?
        .into_iter()
        .map(|info| Device {
            this_device: this.as_deref() == Some(info.id.as_str()),
            info,
        })
        .collect())
}

/// Lets this device unlock the vault through the OS keyring, under `name` (the host name
/// when None). Returns the device's id.
pub fn remember_this_device(
    vault: &mut UnlockedVault,
    name: Option<String>,
) -> Result<(String, String), OsUnlockError> {
    let name = name.unwrap_or_else(keepsake_os_unlock::device_name);
    let id = keepsake_os_unlock::enable(vault, &OsKeyring, &name)?;
    Ok((id, name))
}

/// Revokes this device and removes its secret from the OS keyring.
pub fn forget_this_device(vault: &mut UnlockedVault) -> Result<(), OsUnlockError> {
    keepsake_os_unlock::disable(vault, &OsKeyring)
}

/// Runs a change of the vault key (a new password, `revoking` a device) keeping this
/// device's unlock through the OS keyring, if it had it and is not the one revoked.
pub fn keeping_this_device<T>(
    vault: &mut UnlockedVault,
    revoking: Option<&str>,
    change: impl FnOnce(&mut UnlockedVault) -> Result<T, VaultError>,
) -> Result<T, OsUnlockError> {
    keepsake_os_unlock::keeping_this_device(vault, &OsKeyring, revoking, change)
}

/// Whether this device could unlock `vault` through the OS keyring.
pub fn os_unlock_enabled(vault: &Vault) -> bool {
    keepsake_os_unlock::is_enabled(vault, &OsKeyring)
}

/// Unlocks with this device's secret from the OS keyring.
pub fn unlock_with_os(vault: Vault) -> Result<UnlockedVault, OsUnlockError> {
    keepsake_os_unlock::unlock(vault, &OsKeyring)
}

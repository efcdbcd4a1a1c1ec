//! Unlock through the OS keyring on this device, and the devices that can.

use super::blocking;
use super::vault::{change_key, os_error};
use crate::dto::Device;
use crate::error::AppResult;
use crate::state::AppState;
use keepsake_core::Password;
use tauri::State;

/// Remembers this device (the password is asked again: enabling is a security decision).
#[tauri::command]
pub async fn enable_os_unlock(state: State<'_, AppState>, password: String) -> AppResult<()> {
    let session = state.session()?;
    let password = Password::new(password);
    blocking(move || {
        let mut vault = session.vault.blocking_lock();
        vault.check_password(&password)?;
        keepsake_api::remember_this_device(&mut vault, None).map_err(os_error)?;
        Ok(())
    })
    .await
}

#[tauri::command]
pub async fn disable_os_unlock(state: State<'_, AppState>) -> AppResult<()> {
    let session = state.session()?;
    blocking(move || {
        let mut vault = session.vault.blocking_lock();
        keepsake_api::forget_this_device(&mut vault).map_err(os_error)
    })
    .await
}

#[tauri::command]
pub async fn devices(state: State<'_, AppState>) -> AppResult<Vec<Device>> {
    let session = state.session()?;
    blocking(move || {
        let vault = session.vault.blocking_lock();
        Ok(keepsake_api::devices(&vault)?
            .into_iter()
            .map(|d| Device {
                this_device: d.this_device,
                id: d.info.id,
                name: d.info.name,
                created: d.info.created,
                last_used: d.info.last_used,
            })
            .collect())
    })
    .await
}

/// Revokes a device, which starts a new key epoch wrapped under the password (asked
/// again). Returns a new recovery key, to be shown once, when the old one could not be
/// carried over (a vault made before key epochs).
#[tauri::command]
pub async fn revoke_device(
    state: State<'_, AppState>,
    id: String,
    password: String,
) -> AppResult<Option<String>> {
    let session = state.session()?;
    let password = Password::new(password);
    blocking(move || {
        let mut vault = session.vault.blocking_lock();
        change_key(&session, &mut vault, Some(&id), |vault, reveal| {
            vault.remove_device(&id, &password, reveal)
        })
    })
    .await
}

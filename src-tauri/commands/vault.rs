//! Create, open, restore, unlock and lock the vault; change the password.

use super::blocking;
use crate::background;
use crate::dto::{AppStatus, CreatedVault, VaultState};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use keepsake_api::OsUnlockError;
use keepsake_core::ErrorCode;
use keepsake_core::{Password, RestoreSecret, UnlockedVault, Vault};
use std::path::PathBuf;
use tauri::{AppHandle, Manager, Runtime, State};

/// Where the app stands. Asks the OS keyring whether this device can unlock (a D-Bus
/// call on Linux): call it off the main thread.
pub fn status(state: &AppState) -> AppStatus {
    let vault_path = state.vault_path();
    let unlocked = state.is_unlocked();
    let locked = match (&vault_path, unlocked) {
        (Some(path), false) => Vault::open(path).ok(),
        _ => None,
    };
    let state_now = match (unlocked, &locked) {
        (true, _) => VaultState::Unlocked,
        (false, Some(_)) => VaultState::Locked,
        (false, None) => VaultState::NoVault,
    };
    AppStatus {
        state: state_now,
        vault_path: vault_path.map(|p| p.display().to_string()),
        os_unlock: locked.is_some_and(|v| keepsake_api::os_unlock_enabled(&v)),
        warning: None,
    }
}

#[tauri::command]
pub async fn app_status<R: Runtime>(app: AppHandle<R>) -> AppResult<AppStatus> {
    blocking(move || Ok(status(&app.state::<AppState>()))).await
}

fn remember_vault(state: &AppState, path: PathBuf) -> AppResult<()> {
    state.update_config(|c| c.vault_path = Some(path))
}

#[tauri::command]
pub async fn create_vault<R: Runtime>(
    app: AppHandle<R>,
    path: String,
    password: String,
) -> AppResult<CreatedVault> {
    let path = PathBuf::from(path);
    let password = Password::new(password);
    let (vault, recovery) = blocking({
        let path = path.clone();
        move || Ok(Vault::create(&path, &password, None)?)
    })
    .await?;
    let state = app.state::<AppState>();
    remember_vault(&state, path)?;
    remember_kdf(&state, &vault);
    state.begin_session(vault)?;
    background::unlocked(&app);
    Ok(CreatedVault {
        recovery_key: recovery.to_words().to_string(),
    })
}

#[tauri::command]
pub async fn open_vault<R: Runtime>(app: AppHandle<R>, path: String) -> AppResult<AppStatus> {
    let path = PathBuf::from(path);
    Vault::open(&path)?;
    let state = app.state::<AppState>();
    state.end_session();
    remember_vault(&state, path)?;
    blocking(move || Ok(status(&app.state::<AppState>()))).await
}

#[tauri::command]
pub async fn unlock<R: Runtime>(app: AppHandle<R>, password: String) -> AppResult<AppStatus> {
    let state = app.state::<AppState>();
    if state.is_unlocked() {
        return Ok(status(&state));
    }
    let path = chosen_vault(&state)?;
    let password = Password::new(password);
    let (vault, warning) = blocking({
        let app = app.clone();
        move || {
            let state = app.state::<AppState>();
            let vault = Vault::open(&path)?;
            // Asked before deriving: the header's parameters are not authenticated yet.
            let warning = state
                .seen_kdf
                .as_ref()
                .and_then(|seen| seen.changed(&vault))
                .map(|change| change.to_string());
            let vault = vault.unlock(&password)?;
            remember_kdf(&state, &vault);
            Ok((vault, warning))
        }
    })
    .await?;
    state.begin_session(vault)?;
    background::unlocked(&app);
    Ok(AppStatus {
        warning,
        ..status(&state)
    })
}

/// Notes the KDF parameters of a vault whose header just authenticated; failing to costs
/// only a later warning.
fn remember_kdf(state: &AppState, vault: &UnlockedVault) {
    if let Some(Err(e)) = state.seen_kdf.as_ref().map(|seen| seen.record(vault)) {
        eprintln!("keepsake: {e}");
    }
}

fn chosen_vault(state: &AppState) -> AppResult<PathBuf> {
    state
        .vault_path()
        .ok_or_else(|| AppError::new(ErrorCode::NoVault, "no vault has been chosen"))
}

/// Sets a damaged or lost catalog aside and rebuilds it from the stored photos, then
/// unlocks. Names, albums and favourites are not in the photos: `keepsake rebuild-catalog
/// --from URL` recovers them from a remote's snapshot (the remote's settings were in the
/// damaged catalog, so the app cannot reach it by itself).
#[tauri::command]
pub async fn rebuild_catalog<R: Runtime>(
    app: AppHandle<R>,
    password: String,
) -> AppResult<AppStatus> {
    let state = app.state::<AppState>();
    if state.is_unlocked() {
        return Ok(status(&state));
    }
    let path = chosen_vault(&state)?;
    let password = Password::new(password);
    let (vault, _report) = blocking(move || {
        let vault = Vault::open(&path)?;
        Ok(keepsake_api::rebuild_catalog(
            vault,
            &password,
            None,
            &mut |_, _| {},
        )?)
    })
    .await?;
    remember_kdf(&state, &vault);
    state.begin_session(vault)?;
    background::unlocked(&app);
    Ok(status(&state))
}

/// Unlocks with this device's secret from the OS keyring.
#[tauri::command]
pub async fn unlock_with_os<R: Runtime>(app: AppHandle<R>) -> AppResult<AppStatus> {
    let state = app.state::<AppState>();
    let path = chosen_vault(&state)?;
    let vault =
        blocking(move || keepsake_api::unlock_with_os(Vault::open(&path)?).map_err(os_error))
            .await?;
    remember_kdf(&state, &vault);
    state.begin_session(vault)?;
    background::unlocked(&app);
    Ok(status(&state))
}

pub(crate) fn os_error(e: OsUnlockError) -> AppError {
    match e {
        OsUnlockError::Vault(e) => e.into(),
        OsUnlockError::Revoked => AppError::new(ErrorCode::WrongPassword, e.to_string()),
        other => AppError::new(ErrorCode::OsUnlock, other.to_string()),
    }
}

#[tauri::command]
pub async fn lock<R: Runtime>(app: AppHandle<R>) -> AppResult<AppStatus> {
    background::lock(&app);
    blocking(move || Ok(status(&app.state::<AppState>()))).await
}

#[tauri::command]
pub async fn restore_vault<R: Runtime>(
    app: AppHandle<R>,
    url: String,
    user: Option<String>,
    secret: Option<String>,
    password: String,
    path: String,
) -> AppResult<AppStatus> {
    let remote = keepsake_api::remote_config("origin", &url, user, secret)?;
    let password = Password::new(password);
    let dir = PathBuf::from(path);
    let (vault, _report) = blocking({
        let dir = dir.clone();
        move || {
            Ok(keepsake_api::restore(
                remote,
                &dir,
                RestoreSecret::Password(&password),
                None,
                &mut |_, _| {},
            )?)
        }
    })
    .await?;
    let state = app.state::<AppState>();
    remember_vault(&state, dir)?;
    remember_kdf(&state, &vault);
    state.begin_session(vault)?;
    background::unlocked(&app);
    Ok(status(&state))
}

/// A new password and a new key epoch. Returns a new recovery key, to be shown once,
/// when the old one could not be carried over (a vault made before key epochs).
#[tauri::command]
pub async fn change_password(
    state: State<'_, AppState>,
    current: String,
    new: String,
) -> AppResult<Option<String>> {
    let session = state.session()?;
    let (current, new) = (Password::new(current), Password::new(new));
    blocking(move || {
        let mut vault = session.vault.blocking_lock();
        vault.check_password(&current)?;
        change_key(&session, &mut vault, None, |vault, reveal| {
            vault.change_password(&new, reveal)
        })
    })
    .await
}

/// Runs a change of the vault key (a new password, `revoking` a device), keeping this
/// device's OS unlock, then gives the readers the new keys. Returns the words of a new
/// recovery key when the change had to draw one (a vault made before key epochs).
pub(crate) fn change_key(
    session: &crate::state::Session,
    vault: &mut keepsake_core::UnlockedVault,
    revoking: Option<&str>,
    change: impl FnOnce(
        &mut keepsake_core::UnlockedVault,
        &mut dyn FnMut(&keepsake_core::RecoveryKey) -> std::io::Result<()>,
    ) -> Result<(), keepsake_core::VaultError>,
) -> AppResult<Option<String>> {
    let mut words = None;
    keepsake_api::keeping_this_device(vault, revoking, |vault| {
        change(vault, &mut |recovery| {
            words = Some(recovery.to_words().to_string());
            Ok(())
        })
    })
    .map_err(os_error)?;
    session.refresh_keys(vault)?;
    Ok(words)
}

/// The UI reports user activity (throttled), which keeps auto-lock away.
#[tauri::command]
pub fn activity(state: State<'_, AppState>) {
    state.touch();
}

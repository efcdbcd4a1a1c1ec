//! Remotes and sync: add, test and remove remotes; sync now; pause and resume.

use crate::background;
use crate::dto::{NewRemote, RemoteInfo, SyncStatus};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use keepsake_core::ErrorCode;
use tauri::{AppHandle, Manager, Runtime, State};

#[tauri::command]
pub fn remotes(state: State<'_, AppState>) -> AppResult<Vec<RemoteInfo>> {
    let session = state.session()?;
    let remotes = session.library().remotes()?;
    let last = state.last_sync.lock().unwrap_or_else(|p| p.into_inner());
    Ok(remotes
        .into_iter()
        .map(|status| {
            let remote = status.remote;
            let (last_sync, last_error) = last.get(&remote.name).cloned().unzip();
            RemoteInfo {
                pending: status.pending,
                kept_files: status.kept_files,
                kept_bytes: status.kept_bytes,
                last_sync,
                last_error: last_error.flatten(),
                name: remote.name,
                url: remote.url,
                user: remote.user,
            }
        })
        .collect())
}

#[tauri::command]
pub async fn add_remote(state: State<'_, AppState>, remote: NewRemote) -> AppResult<()> {
    // Refused before anything is stored when it cannot work (bad URL, plain http, S3
    // without keys).
    let config =
        keepsake_api::remote_config(&remote.name, &remote.url, remote.user, remote.secret)?;
    if config.name.is_empty() {
        return Err(AppError::invalid("a remote needs a name"));
    }
    let session = state.session()?;
    let mut vault = session.vault.lock().await;
    Ok(keepsake_api::add_remote(&mut vault, config)?)
}

/// Writes a probe and reads it back.
#[tauri::command]
pub async fn test_remote(state: State<'_, AppState>, name: String) -> AppResult<()> {
    let session = state.session()?;
    let config = session
        .library()
        .remotes()?
        .into_iter()
        .map(|status| status.remote)
        .find(|r| r.name == name)
        .ok_or_else(|| AppError::new(ErrorCode::NotFound, format!("no remote named {name:?}")))?;
    // Blocks on the network: off the async runtime's threads.
    super::blocking(move || Ok(keepsake_api::test_remote(&config)?)).await
}

#[tauri::command]
pub async fn remove_remote(state: State<'_, AppState>, name: String) -> AppResult<()> {
    let session = state.session()?;
    let mut vault = session.vault.lock().await;
    Ok(vault.remove_remote(&name)?)
}

#[tauri::command]
pub fn sync_now<R: Runtime>(app: AppHandle<R>) -> AppResult<()> {
    app.state::<AppState>().session()?;
    background::start_sync(&app);
    Ok(())
}

#[tauri::command]
pub fn pause_sync<R: Runtime>(app: AppHandle<R>) {
    background::set_sync_paused(&app, true);
}

#[tauri::command]
pub fn resume_sync<R: Runtime>(app: AppHandle<R>) {
    background::set_sync_paused(&app, false);
}

#[tauri::command]
pub fn sync_status(state: State<'_, AppState>) -> SyncStatus {
    state
        .sync_status
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
}

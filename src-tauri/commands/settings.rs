//! Settings: auto-lock, start at login, watch folders, the detailed online map.

use crate::dto::Settings;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use keepsake_core::ErrorCode;
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_autostart::AutoLaunchManager;

fn start_at_login<R: Runtime>(app: &AppHandle<R>) -> bool {
    app.try_state::<AutoLaunchManager>()
        .is_some_and(|launcher| launcher.is_enabled().unwrap_or(false))
}

#[tauri::command]
pub fn settings<R: Runtime>(app: AppHandle<R>) -> AppResult<Settings> {
    let state = app.state::<AppState>();
    let session = state.session()?;
    let watch_folders = session.library().watch_folders()?;
    let config = state
        .config
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    Ok(Settings {
        auto_lock_minutes: config.auto_lock_minutes,
        lock_on_sleep: config.lock_on_sleep,
        start_at_login: start_at_login(&app),
        watch_folders,
        online_map: config.online_map,
        map_tile_url: config.map_tile_url,
    })
}

#[tauri::command]
pub fn save_settings<R: Runtime>(app: AppHandle<R>, settings: Settings) -> AppResult<Settings> {
    let state = app.state::<AppState>();
    let session = state.session()?;
    let tile_url = settings.map_tile_url.trim().to_string();
    crate::tiles::check_template(&tile_url).map_err(AppError::invalid)?;
    {
        // Tiles of another server, or kept after the map went offline, are forgotten.
        let config = state.config.lock().unwrap_or_else(|p| p.into_inner());
        if config.online_map != settings.online_map || config.map_tile_url != tile_url {
            session.tiles.clear();
        }
    }
    state.update_config(|c| {
        c.auto_lock_minutes = settings.auto_lock_minutes;
        c.lock_on_sleep = settings.lock_on_sleep;
        c.online_map = settings.online_map;
        c.map_tile_url = tile_url;
    })?;
    if settings.start_at_login != start_at_login(&app)
        && let Some(launcher) = app.try_state::<AutoLaunchManager>()
    {
        let changed = if settings.start_at_login {
            launcher.enable()
        } else {
            launcher.disable()
        };
        changed.map_err(|e| AppError::new(ErrorCode::Io, format!("start at login: {e}")))?;
    }
    {
        let mut library = session.library();
        let current = library.watch_folders()?;
        for gone in current
            .iter()
            .filter(|f| !settings.watch_folders.contains(f))
        {
            library.set_watch_folder(gone, false)?;
        }
        for folder in &settings.watch_folders {
            if !std::path::Path::new(folder).is_dir() {
                return Err(AppError::invalid(format!("{folder} is not a folder")));
            }
            library.set_watch_folder(folder, true)?;
        }
    }
    crate::background::check_watch_folders(&app);
    self::settings(app)
}

//! The tray: its icon and tooltip show the vault and sync state; its menu opens the
//! window, syncs, pauses, locks and quits. Closing the window leaves Keepsake here.

use crate::background;
use crate::dto::{SyncPhase, SyncStatus};
use crate::state::AppState;
use std::sync::atomic::Ordering;
use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Runtime};

const TRAY_ID: &str = "keepsake";

/// The menu items whose text follows the state.
pub struct TrayItems<R: Runtime> {
    status: MenuItem<R>,
    pause: MenuItem<R>,
}

pub fn create<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let status = MenuItem::with_id(app, "status", "Locked", false, None::<&str>)?;
    let pause = MenuItem::with_id(app, "pause", "Pause sync", true, None::<&str>)?;
    let menu = Menu::with_items(
        app,
        &[
            &status,
            &PredefinedMenuItem::separator(app)?,
            &MenuItem::with_id(app, "open", "Open Keepsake", true, None::<&str>)?,
            &MenuItem::with_id(app, "sync", "Sync now", true, None::<&str>)?,
            &pause,
            &MenuItem::with_id(app, "lock", "Lock", true, None::<&str>)?,
            &PredefinedMenuItem::separator(app)?,
            &MenuItem::with_id(app, "quit", "Quit Keepsake", true, None::<&str>)?,
        ],
    )?;
    TrayIconBuilder::with_id(TRAY_ID)
        .icon(icon(SyncPhase::Locked)?)
        .tooltip("Keepsake — locked")
        .menu(&menu)
        .on_menu_event(|app, event| match event.id().as_ref() {
            "open" => show_main_window(app),
            "sync" => background::start_sync(app),
            "pause" => {
                let paused = app.state::<AppState>().sync_paused.load(Ordering::SeqCst);
                background::set_sync_paused(app, !paused);
            }
            "lock" => background::lock(app),
            "quit" => app.exit(0),
            _ => {}
        })
        .build(app)?;
    app.manage(TrayItems { status, pause });
    Ok(())
}

fn icon(phase: SyncPhase) -> tauri::Result<Image<'static>> {
    let bytes: &[u8] = match phase {
        SyncPhase::Locked => include_bytes!("../icons/tray/locked.png"),
        SyncPhase::Syncing => include_bytes!("../icons/tray/syncing.png"),
        SyncPhase::Error => include_bytes!("../icons/tray/attention.png"),
        SyncPhase::Off | SyncPhase::UpToDate | SyncPhase::Paused => {
            include_bytes!("../icons/tray/idle.png")
        }
    };
    Image::from_bytes(bytes)
}

pub fn describe(status: &SyncStatus) -> String {
    match status.phase {
        SyncPhase::Locked => "Locked".into(),
        SyncPhase::Off => "Unlocked — no remote set up".into(),
        SyncPhase::UpToDate => "Up to date".into(),
        SyncPhase::Syncing if status.total > 0 => {
            format!("Syncing {} of {}", status.done, status.total)
        }
        SyncPhase::Syncing => "Syncing".into(),
        SyncPhase::Paused => "Sync paused".into(),
        SyncPhase::Error => format!(
            "Sync needs attention: {}",
            status.message.as_deref().unwrap_or("unknown error")
        ),
    }
}

pub fn show_status<R: Runtime>(app: &AppHandle<R>, status: &SyncStatus) {
    let text = describe(status);
    if let Some(tray) = app.tray_by_id(TRAY_ID) {
        let _ = tray.set_tooltip(Some(format!("Keepsake — {text}")));
        if let Ok(image) = icon(status.phase) {
            let _ = tray.set_icon(Some(image));
        }
    }
    if let Some(items) = app.try_state::<TrayItems<R>>() {
        let _ = items.status.set_text(&text);
        let paused = status.phase == SyncPhase::Paused;
        let _ = items
            .pause
            .set_text(if paused { "Resume sync" } else { "Pause sync" });
    }
}

pub fn show_main_window<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.show();
        let _ = window.unminimize();
        let _ = window.set_focus();
    }
}

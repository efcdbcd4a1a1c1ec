//! What runs without the UI asking: auto-lock, watch folders, sync in the background,
//! notifications. One ticker thread drives the periodic work.

use crate::dto::{ImportSummary, SyncPhase, SyncStatus};
use crate::state::AppState;
use crate::{events, tray};
use keepsake_core::{SyncControl, SyncState};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tauri::{AppHandle, Emitter, Manager, Runtime};

const TICK: Duration = Duration::from_secs(5);
const WATCH_EVERY: Duration = Duration::from_secs(60);
const SYNC_EVERY: Duration = Duration::from_secs(15 * 60);
/// How long a background sync waits for a lost network before giving up on an object.
const NETWORK_PATIENCE: Duration = Duration::from_secs(120);

pub fn start_ticker<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    std::thread::spawn(move || {
        let (mut last_watch, mut last_sync) = (Instant::now(), Instant::now());
        loop {
            std::thread::sleep(TICK);
            let state = app.state::<AppState>();
            if !state.is_unlocked() {
                continue;
            }
            let minutes = state
                .config
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .auto_lock_minutes;
            let idle = state
                .last_activity
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .elapsed();
            let busy = state.import_running.load(Ordering::SeqCst);
            if minutes > 0 && !busy && idle > Duration::from_secs(u64::from(minutes) * 60) {
                lock(&app);
                continue;
            }
            if last_watch.elapsed() > WATCH_EVERY {
                last_watch = Instant::now();
                check_watch_folders(&app);
            }
            if last_sync.elapsed() > SYNC_EVERY {
                last_sync = Instant::now();
                start_sync(&app);
            }
        }
    });
}

/// After an unlock: show the state, look for new photos, catch up with the remotes.
pub fn unlocked<R: Runtime>(app: &AppHandle<R>) {
    set_status(app, SyncPhase::UpToDate, 0, 0, None);
    check_watch_folders(app);
    start_sync(app);
}

/// Drops the keys and everything the webview holds, and tells the UI.
pub fn lock<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    state.end_session();
    for webview in app.webview_windows().values() {
        // Decoded images and the protocol's responses live in the webview's caches.
        let _ = webview.clear_all_browsing_data();
    }
    set_status(app, SyncPhase::Locked, 0, 0, None);
    let _ = app.emit(events::LOCKED, ());
}

pub fn library_changed<R: Runtime>(app: &AppHandle<R>) {
    let _ = app.emit(events::LIBRARY_CHANGED, ());
    start_sync(app);
}

pub fn notify<R: Runtime>(app: &AppHandle<R>, title: &str, body: &str) {
    use tauri_plugin_notification::NotificationExt;
    if app
        .try_state::<tauri_plugin_notification::Notification<R>>()
        .is_some()
    {
        let _ = app.notification().builder().title(title).body(body).show();
    }
}

fn set_status<R: Runtime>(
    app: &AppHandle<R>,
    phase: SyncPhase,
    done: u64,
    total: u64,
    message: Option<String>,
) {
    let status = SyncStatus {
        phase,
        done,
        total,
        message,
    };
    *app.state::<AppState>()
        .sync_status
        .lock()
        .unwrap_or_else(|p| p.into_inner()) = status.clone();
    tray::show_status(app, &status);
    let _ = app.emit(events::SYNC_STATUS, &status);
}

pub fn set_sync_paused<R: Runtime>(app: &AppHandle<R>, paused: bool) {
    let state = app.state::<AppState>();
    state.sync_paused.store(paused, Ordering::SeqCst);
    let control = state
        .sync_control
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    match control {
        Some(control) if paused => control.pause(),
        Some(control) => control.resume(),
        None => {}
    }
    let current = state
        .sync_status
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    if paused {
        set_status(app, SyncPhase::Paused, current.done, current.total, None);
    } else if current.phase == SyncPhase::Paused {
        set_status(app, SyncPhase::UpToDate, 0, 0, None);
        start_sync(app);
    }
}

/// Syncs every remote in turn, unless a sync is running, sync is paused or the vault is
/// locked.
pub fn start_sync<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    if state.sync_paused.load(Ordering::SeqCst) {
        return;
    }
    let Ok(session) = state.session() else { return };
    let control = Arc::new(SyncControl::with_network_patience(NETWORK_PATIENCE));
    {
        let mut running = state.sync_control.lock().unwrap_or_else(|p| p.into_inner());
        if running.is_some() {
            return;
        }
        *running = Some(control.clone());
    }
    let app = app.clone();
    // The sync future is not Send: it runs on a thread of its own, on the app's runtime.
    std::thread::spawn(move || {
        let remotes = session.library().remotes().unwrap_or_default();
        if remotes.is_empty() {
            set_status(&app, SyncPhase::Off, 0, 0, None);
        }
        let mut failure = None;
        for remote in remotes.into_iter().map(|status| status.remote) {
            let result = sync_one(&app, &session, &remote, &control);
            let now =
                keepsake_core::format_system_time(std::time::SystemTime::now()).unwrap_or_default();
            app.state::<AppState>()
                .last_sync
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(remote.name.clone(), (now, result.clone().err()));
            if let Err(e) = result {
                failure = Some(format!("{}: {e}", remote.name));
            }
        }
        let state = app.state::<AppState>();
        state
            .sync_control
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if control.is_cancelled() || !state.is_unlocked() {
            return;
        }
        match failure {
            Some(message) => {
                notify(&app, "Sync needs attention", &message);
                set_status(&app, SyncPhase::Error, 0, 0, Some(message));
            }
            None if state.sync_paused.load(Ordering::SeqCst) => {}
            None => {
                let phase = state
                    .sync_status
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .phase;
                if phase != SyncPhase::Off {
                    set_status(&app, SyncPhase::UpToDate, 0, 0, None);
                }
            }
        }
    });
}

fn sync_one<R: Runtime>(
    app: &AppHandle<R>,
    session: &crate::state::Session,
    remote: &keepsake_core::RemoteConfig,
    control: &SyncControl,
) -> Result<(), String> {
    let synced = sync_contents(app, session, remote, control);
    // Whatever the outcome, the sync may have taken a header of a key epoch another device
    // started: the grid, the viewer and the next import take its keys.
    let mut vault = session.vault.blocking_lock();
    if vault.refresh_header() {
        session.refresh_keys(&vault).map_err(|e| e.message)?;
    }
    synced
}

fn sync_contents<R: Runtime>(
    app: &AppHandle<R>,
    session: &crate::state::Session,
    remote: &keepsake_core::RemoteConfig,
    control: &SyncControl,
) -> Result<(), String> {
    // Contents of its own: the vault is free for everything else while this uploads.
    let mut contents = session
        .vault
        .blocking_lock()
        .contents()
        .map_err(|e| e.to_string())?;
    let progress_app = app.clone();
    // Prune syncs first, then deletes what the library stopped using 30 days ago or more.
    let retention = keepsake_core::DEFAULT_RETENTION;
    let pruned = keepsake_api::prune(&mut contents, remote, retention, control, &mut move |p| {
        let phase = match p.state {
            SyncState::Paused => SyncPhase::Paused,
            SyncState::Done => SyncPhase::UpToDate,
            _ => SyncPhase::Syncing,
        };
        set_status(
            &progress_app,
            phase,
            p.objects_done,
            p.objects_total,
            p.last_error.clone(),
        );
    })
    .map_err(|e| e.to_string())?;
    let report = pruned.sync;
    let sweep_error = pruned.sweep_error;
    // Another device's photos, favourites, albums or deletions are here now: the grid
    // shows them without waiting for the user.
    if report.log.changes_merged > 0 {
        let _ = app.emit(events::LIBRARY_CHANGED, ());
    }
    match (report.failed.first(), sweep_error) {
        (Some((id, reason)), _) => Err(format!(
            "{} objects failed to upload (first: {id}: {reason})",
            report.failed.len()
        )),
        (None, Some(why)) => Err(format!("old deleted photos could not be removed: {why}")),
        (None, None) => Ok(()),
    }
}

/// Imports what is new in the watch folders, unless an import is running.
pub fn check_watch_folders<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    let Ok(session) = state.session() else { return };
    if session
        .library()
        .watch_folders()
        .is_ok_and(|f| f.is_empty())
    {
        return;
    }
    drop(session);
    let app = app.clone();
    std::thread::spawn(move || {
        let state = app.state::<AppState>();
        let Ok(_one_at_a_time) = state.import_gate.try_lock() else {
            return; // an import is running; the next tick looks again
        };
        state.import_running.store(true, Ordering::SeqCst);
        let summary = import_watched(&state);
        state.import_running.store(false, Ordering::SeqCst);
        if summary.imported == 0 && summary.error.is_none() {
            return;
        }
        let _ = app.emit(events::IMPORT_FINISHED, &summary);
        library_changed(&app);
    });
}

fn import_watched(state: &AppState) -> ImportSummary {
    let mut summary = ImportSummary {
        automatic: true,
        ..Default::default()
    };
    let cancel = state.new_import();
    // Contents of its own; locking cancels it at the next file, and what was not
    // imported is found again at the next unlock.
    let contents = state
        .session()
        .and_then(|session| Ok(session.vault.blocking_lock().contents()?));
    let Ok(mut contents) = contents else {
        return summary;
    };
    let (report, error) = match contents.watched_fresh() {
        Ok(fresh) => contents.import_watched(&fresh, &cancel, &mut |_| {}),
        Err(e) => (Default::default(), Some(e)),
    };
    crate::commands::import::add(&mut summary, &report);
    summary.error = error.map(|e| e.to_string());
    summary
}

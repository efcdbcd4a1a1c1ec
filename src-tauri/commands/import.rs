//! Import from a drop, the file picker or a watch folder: on contents of its own, so the
//! vault stays responsive, and cancellable at the next file; progress and a final summary
//! arrive as events.

use crate::dto::{ImportProgressEvent, ImportSummary, SkippedFile};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::{background, events};
use keepsake_core::{Cancel, ImportReport};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tauri::{AppHandle, Emitter, Manager, Runtime, State};

/// Imports longer than this end with a desktop notification.
const NOTIFY_AFTER: Duration = Duration::from_secs(20);

/// Starts importing `paths` (files or folders), after any import already running.
/// Returns at once; listen for `import-progress` and `import-finished`.
#[tauri::command]
pub fn import_paths<R: Runtime>(app: AppHandle<R>, paths: Vec<String>) -> AppResult<()> {
    let state = app.state::<AppState>();
    state.session()?;
    if paths.is_empty() {
        return Err(AppError::invalid("nothing to import"));
    }
    let paths: Vec<PathBuf> = paths.into_iter().map(PathBuf::from).collect();
    std::thread::spawn(move || {
        let state = app.state::<AppState>();
        let _one_at_a_time = state.import_gate.lock().unwrap_or_else(|p| p.into_inner());
        state.import_running.store(true, Ordering::SeqCst);
        let summary = run(&app, &paths, &state.new_import());
        state.import_running.store(false, Ordering::SeqCst);
        let _ = app.emit(events::IMPORT_FINISHED, &summary);
        if summary.imported > 0 {
            background::library_changed(&app);
        }
    });
    Ok(())
}

#[tauri::command]
pub fn cancel_import(state: State<'_, AppState>) {
    state.cancel_import();
}

fn run<R: Runtime>(app: &AppHandle<R>, paths: &[PathBuf], cancel: &Cancel) -> ImportSummary {
    let started = Instant::now();
    let mut summary = ImportSummary::default();
    // Contents of its own: the vault is free for everything else while this imports.
    let contents = app
        .state::<AppState>()
        .session()
        .and_then(|session| Ok(session.vault.blocking_lock().contents()?));
    let mut contents = match contents {
        Ok(contents) => contents,
        Err(e) => {
            summary.error = Some(e.message);
            return summary;
        }
    };
    let (report, error) = contents.import_cancellable(paths, cancel, &mut |p| {
        let progress = ImportProgressEvent {
            files_done: p.files_done,
            files_total: p.files_total,
            bytes_done: p.bytes_done,
            bytes_total: p.bytes_total,
            elapsed_ms: started.elapsed().as_millis() as u64,
        };
        let _ = app.emit(events::IMPORT_PROGRESS, &progress);
    });
    add(&mut summary, &report);
    summary.cancelled = report.cancelled;
    summary.error = error.map(|e| e.to_string());
    if started.elapsed() > NOTIFY_AFTER {
        background::notify(
            app,
            "Import finished",
            &format!(
                "{} photos imported, {} already in the vault, {} skipped",
                summary.imported,
                summary.duplicates,
                summary.skipped.len()
            ),
        );
    }
    summary
}

pub(crate) fn add(summary: &mut ImportSummary, report: &ImportReport) {
    summary.imported += report.imported.len() as u32;
    summary.duplicates += report.duplicates.len() as u32;
    summary.sidecars += report.sidecars.len() as u32;
    summary
        .skipped
        .extend(report.skipped.iter().map(|s| SkippedFile {
            path: s.path.display().to_string(),
            reason: s.reason.clone(),
        }));
}

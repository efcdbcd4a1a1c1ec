//! Import from a drop, the file picker or a watch folder: in batches, so the vault stays
//! responsive and the import cancellable; progress and a final summary arrive as events.

use crate::dto::{ImportProgressEvent, ImportSummary, SkippedFile};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::{background, events};
use keepsake_core::{ImportReport, plan_import};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tauri::{AppHandle, Emitter, Manager, Runtime, State};

/// Files per batch: about a second of work, short enough to cancel promptly.
pub(crate) const BATCH: usize = 24;
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
        state.import_cancel.store(false, Ordering::SeqCst);
        let summary = run(&app, &paths);
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
    state.import_cancel.store(true, Ordering::SeqCst);
}

fn run<R: Runtime>(app: &AppHandle<R>, paths: &[PathBuf]) -> ImportSummary {
    let started = Instant::now();
    let state = app.state::<AppState>();
    let (files, planned) = plan_import(paths);
    let mut summary = ImportSummary::default();
    add(&mut summary, &planned);
    let mut progress = ImportProgressEvent {
        files_done: 0,
        files_total: files.len() as u64,
        bytes_done: 0,
        bytes_total: files.iter().map(|(_, size)| size).sum(),
        elapsed_ms: 0,
    };
    let _ = app.emit(events::IMPORT_PROGRESS, &progress);
    for batch in files.chunks(BATCH) {
        if state.import_cancel.load(Ordering::SeqCst) {
            summary.cancelled = true;
            break;
        }
        let session = match state.session() {
            Ok(session) => session,
            Err(e) => {
                summary.error = Some(e.message);
                break;
            }
        };
        let inputs: Vec<PathBuf> = batch.iter().map(|(path, _)| path.clone()).collect();
        let base = progress.clone();
        let (report, error) = session.vault.blocking_lock().import(&inputs, &mut |p| {
            let mut now = base.clone();
            now.files_done += p.files_done;
            now.bytes_done += p.bytes_done;
            now.elapsed_ms = started.elapsed().as_millis() as u64;
            let _ = app.emit(events::IMPORT_PROGRESS, &now);
        });
        add(&mut summary, &report);
        progress.files_done += batch.len() as u64;
        progress.bytes_done += batch.iter().map(|(_, size)| size).sum::<u64>();
        if let Some(e) = error {
            summary.error = Some(e.to_string());
            break;
        }
    }
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
    summary
        .skipped
        .extend(report.skipped.iter().map(|s| SkippedFile {
            path: s.path.display().to_string(),
            reason: s.reason.clone(),
        }));
}

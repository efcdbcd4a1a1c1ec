//! The viewer's fixes: date, place, caption and turns, never touching the original, and
//! taking them back. The text forms are the CLI's (`keepsake edit`), parsed by the core.

use super::{blocking, parse_ids};
use crate::dto::EditRequest;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use keepsake_core::{EditReport, EditText};
use tauri::State;

/// Applies the fixes to every item; returns what could not be turned (and was left as
/// it was), one line each.
#[tauri::command]
pub async fn edit_items(
    state: State<'_, AppState>,
    ids: Vec<String>,
    edit: EditRequest,
) -> AppResult<Vec<String>> {
    let ids = parse_ids(&ids)?;
    let edit = EditText {
        date: edit.date,
        shift: edit.shift,
        zone_from_place: edit.zone_from_place.unwrap_or(false),
        place: edit.place,
        caption: edit.caption,
        rotate: edit.rotate,
    }
    .parse()
    .map_err(AppError::invalid)?;
    let session = state.session()?;
    blocking(move || Ok(failures(session.library().edit(&ids, &edit)?))).await
}

/// Takes back every fix made to the items.
#[tauri::command]
pub async fn undo_edits(state: State<'_, AppState>, ids: Vec<String>) -> AppResult<Vec<String>> {
    let ids = parse_ids(&ids)?;
    let session = state.session()?;
    blocking(move || Ok(failures(session.library().undo_edits(&ids)?))).await
}

fn failures(report: EditReport) -> Vec<String> {
    report
        .failed
        .into_iter()
        .map(|(id, why)| format!("{id} could not be turned: {why}"))
        .collect()
}

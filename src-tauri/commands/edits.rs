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
    let turns = edit.rotate.is_some();
    let session = state.session()?;
    blocking(move || {
        if turns {
            originals_here(&session, &ids)?;
        }
        Ok(failures(session.library().edit(&ids, &edit)?))
    })
    .await
}

/// Turning draws the pictures again from the originals: those kept on the remotes only
/// (originals on demand) are fetched first.
fn originals_here(
    session: &crate::state::Session,
    ids: &[keepsake_core::ObjectId],
) -> AppResult<()> {
    let mut contents = session.vault.blocking_lock().contents()?;
    Ok(keepsake_api::originals_here(&mut contents, ids)?)
}

/// Takes back every fix made to the items.
#[tauri::command]
pub async fn undo_edits(state: State<'_, AppState>, ids: Vec<String>) -> AppResult<Vec<String>> {
    let ids = parse_ids(&ids)?;
    let session = state.session()?;
    blocking(move || {
        originals_here(&session, &ids)?;
        Ok(failures(session.library().undo_edits(&ids)?))
    })
    .await
}

fn failures(report: EditReport) -> Vec<String> {
    report
        .failed
        .into_iter()
        .map(|(id, why)| format!("{id} could not be turned: {why}"))
        .collect()
}

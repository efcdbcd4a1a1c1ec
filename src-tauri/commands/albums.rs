//! Albums: create, rename, delete (never the photos), add and remove items.

use super::parse_ids;
use crate::dto::AlbumInfo;
use crate::error::AppResult;
use crate::state::AppState;
use tauri::State;

#[tauri::command]
pub fn albums(state: State<'_, AppState>) -> AppResult<Vec<AlbumInfo>> {
    let session = state.session()?;
    let library = session.library();
    Ok(library.albums()?.into_iter().map(Into::into).collect())
}

#[tauri::command]
pub fn create_album(state: State<'_, AppState>, name: String) -> AppResult<i64> {
    let session = state.session()?;
    let mut library = session.library();
    Ok(library.create_album(&name)?)
}

#[tauri::command]
pub fn rename_album(state: State<'_, AppState>, id: i64, name: String) -> AppResult<()> {
    let session = state.session()?;
    let mut library = session.library();
    Ok(library.rename_album(id, &name)?)
}

#[tauri::command]
pub fn delete_album(state: State<'_, AppState>, id: i64) -> AppResult<()> {
    let session = state.session()?;
    let mut library = session.library();
    Ok(library.delete_album(id)?)
}

#[tauri::command]
pub fn add_to_album(state: State<'_, AppState>, album: i64, ids: Vec<String>) -> AppResult<()> {
    let ids = parse_ids(&ids)?;
    let session = state.session()?;
    let mut library = session.library();
    Ok(library.add_to_album(album, &ids)?)
}

#[tauri::command]
pub fn remove_from_album(
    state: State<'_, AppState>,
    album: i64,
    ids: Vec<String>,
) -> AppResult<()> {
    let ids = parse_ids(&ids)?;
    let session = state.session()?;
    let mut library = session.library();
    Ok(library.remove_from_album(album, &ids)?)
}

//! The timeline, the viewer's details, favourites, trash and export.

use super::{blocking, parse_ids};
use crate::dto::{
    DuplicateCopy, DuplicateSet, ExportSummary, Filter, ItemDetails, MapPhoto, SearchSuggestion,
    StackMember, StorageSummary, TimelineItem, Trip, VerifySummary,
};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use keepsake_core::{ErrorCode, ExportOptions, MediaKind, SidecarFormat};
use std::path::PathBuf;
use tauri::{AppHandle, Manager, Runtime, State};

#[tauri::command]
pub async fn timeline(state: State<'_, AppState>, filter: Filter) -> AppResult<Vec<TimelineItem>> {
    let session = state.session()?;
    blocking(move || {
        let library = session.library();
        let entries = library.timeline(&filter.into())?;
        Ok(entries.into_iter().map(Into::into).collect())
    })
    .await
}

/// Searches to offer for what is typed in the search box.
#[tauri::command]
pub async fn suggest_searches(
    state: State<'_, AppState>,
    typed: String,
) -> AppResult<Vec<SearchSuggestion>> {
    let session = state.session()?;
    blocking(move || {
        let suggestions = session.library().suggest(&typed)?;
        Ok(suggestions.into_iter().map(Into::into).collect())
    })
    .await
}

/// Groups of near-duplicate photos outside the trash, the best copy of each first.
#[tauri::command]
pub async fn near_duplicates(state: State<'_, AppState>) -> AppResult<Vec<DuplicateSet>> {
    let session = state.session()?;
    blocking(move || {
        // Contents of its own: hashing older photos' thumbnails may take a while.
        let mut contents = session.vault.blocking_lock().contents()?;
        let groups = contents.near_duplicates(None)?;
        let library = session.library();
        let copy = |id| -> AppResult<DuplicateCopy> {
            let item = library
                .item(&id)?
                .ok_or_else(|| AppError::new(ErrorCode::NotFound, format!("no item {id}")))?;
            Ok(item.into())
        };
        groups
            .into_iter()
            .map(|group| {
                Ok(DuplicateSet {
                    keep: copy(group.keep)?,
                    others: group
                        .others
                        .into_iter()
                        .map(copy)
                        .collect::<AppResult<_>>()?,
                })
            })
            .collect()
    })
    .await
}

/// The photos and videos with GPS coordinates, for the map.
#[tauri::command]
pub async fn map_photos(state: State<'_, AppState>) -> AppResult<Vec<MapPhoto>> {
    let session = state.session()?;
    blocking(move || {
        let points = session.library().map_points()?;
        Ok(points.into_iter().map(Into::into).collect())
    })
    .await
}

/// Storage at a glance, for Settings.
#[tauri::command]
pub async fn storage(state: State<'_, AppState>) -> AppResult<StorageSummary> {
    let session = state.session()?;
    blocking(move || Ok(session.library().storage()?.into())).await
}

/// On this day: the items taken within three days of `date` (today when None,
/// YYYY-MM-DD) in earlier years, newest first.
#[tauri::command]
pub async fn memories(
    state: State<'_, AppState>,
    date: Option<String>,
) -> AppResult<Vec<TimelineItem>> {
    let date = day_or_today(date)?;
    let session = state.session()?;
    blocking(move || {
        let entries = session.library().memories(date)?;
        Ok(entries.into_iter().map(Into::into).collect())
    })
    .await
}

/// Recent trips: runs of photos far from home in the year up to `date` (today when
/// None, YYYY-MM-DD), newest first.
#[tauri::command]
pub async fn recent_trips(
    state: State<'_, AppState>,
    date: Option<String>,
) -> AppResult<Vec<Trip>> {
    let date = day_or_today(date)?;
    let session = state.session()?;
    blocking(move || {
        let trips = session.library().recent_trips(date)?;
        Ok(trips.into_iter().map(Into::into).collect())
    })
    .await
}

/// A YYYY-MM-DD day, or today.
fn day_or_today(date: Option<String>) -> AppResult<jiff::civil::Date> {
    match date {
        Some(text) => text
            .parse::<jiff::civil::Date>()
            .map_err(|e| AppError::invalid(format!("{text:?} is not a date: {e}"))),
        None => Ok(jiff::ZonedDateTime::now().date()),
    }
}

#[tauri::command]
pub fn item_details(state: State<'_, AppState>, id: String) -> AppResult<ItemDetails> {
    let id = parse_ids(&[id])?[0];
    let session = state.session()?;
    let library = session.library();
    let item = library
        .item(&id)?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound, format!("no item {id}")))?;
    // A video, or a Motion Photo (its video is inside it).
    let plays = item.kind == MediaKind::Video || item.media.motion_length.is_some();
    let heads_stack = item.stack.as_ref().is_some_and(|(main, _)| *main == id);
    let mut details = ItemDetails::new(
        item,
        library.is_favourite(&id)?,
        library.albums_of(&id)?,
        library.is_edited(&id)?,
    );
    if heads_stack {
        details.stack = library
            .stack_members(&id)?
            .into_iter()
            .map(|member| StackMember {
                id: member.id.to_string(),
                name: member.name,
                kind: member.kind.into(),
            })
            .collect();
    }
    details.away = library.original_away(&id)?;
    if plays && !details.away {
        match library.playable(&id) {
            Ok(stream) => details.playable = Some(stream.playable.as_str().into()),
            Err(why) => details.unplayable = Some(why.to_string()),
        }
    }
    Ok(details)
}

/// Where the viewer streams videos from on Linux (see media_server.rs); None elsewhere,
/// where `vault://localhost/playable/<id>` serves them.
#[tauri::command]
pub fn media_server<R: Runtime>(app: AppHandle<R>) -> Option<String> {
    #[cfg(target_os = "linux")]
    return app
        .try_state::<crate::media_server::MediaServer>()
        .map(|server| server.base.clone());
    #[cfg(not(target_os = "linux"))]
    {
        let _ = app;
        None
    }
}

#[tauri::command]
pub fn set_favourite(
    state: State<'_, AppState>,
    ids: Vec<String>,
    favourite: bool,
) -> AppResult<()> {
    let ids = parse_ids(&ids)?;
    let session = state.session()?;
    let mut library = session.library();
    Ok(library.set_favourite(&ids, favourite)?)
}

#[tauri::command]
pub fn move_to_trash(state: State<'_, AppState>, ids: Vec<String>) -> AppResult<()> {
    let ids = parse_ids(&ids)?;
    let session = state.session()?;
    let mut library = session.library();
    Ok(library.trash(&ids)?)
}

#[tauri::command]
pub fn restore_from_trash(state: State<'_, AppState>, ids: Vec<String>) -> AppResult<()> {
    let ids = parse_ids(&ids)?;
    let session = state.session()?;
    let mut library = session.library();
    Ok(library.restore_from_trash(&ids)?)
}

/// Reads every stored original and checks it against the catalog. With `repair`, damaged
/// photos are replaced from a remote holding an authentic copy and photos the catalog lost
/// are listed again: the same policy as `keepsake verify --repair` (keepsake-api).
#[tauri::command]
pub async fn verify_vault<R: Runtime>(app: AppHandle<R>, repair: bool) -> AppResult<VerifySummary> {
    let session = app.state::<AppState>().session()?;
    let handle = app.clone();
    let summary = blocking(move || {
        // A still store: an import in flight would look like photos the catalog lost, a
        // trash being emptied like photos gone missing. So no import, and the vault held.
        let state = handle.state::<AppState>();
        let _no_import = state.import_gate.lock().unwrap_or_else(|p| p.into_inner());
        let mut vault = session.vault.blocking_lock();
        let verified = keepsake_api::verify(&mut vault, repair, &mut |_, _| {}, &mut |_| {})?;
        Ok(VerifySummary::from(&verified))
    })
    .await?;
    if repair && (summary.relisted > 0 || summary.damaged.iter().any(|d| d.repaired)) {
        crate::background::library_changed(&app);
    }
    Ok(summary)
}

/// Deletes everything in the trash for good. Returns how many items went.
#[tauri::command]
pub async fn empty_trash(state: State<'_, AppState>) -> AppResult<u32> {
    let session = state.session()?;
    let mut vault = session.vault.lock().await;
    Ok(vault.purge_trash(None)? as u32)
}

#[tauri::command]
pub async fn export_items(
    state: State<'_, AppState>,
    ids: Vec<String>,
    folder: String,
) -> AppResult<ExportSummary> {
    let ids = parse_ids(&ids)?;
    export(state, Some(ids), folder, ExportOptions::default()).await
}

/// Everything out, to leave Keepsake or to keep a plain copy: a folder per album (`albums`)
/// and a sidecar beside each file (`sidecars`: "xmp" or "json").
#[tauri::command]
pub async fn export_library(
    state: State<'_, AppState>,
    folder: String,
    albums: bool,
    sidecars: Option<String>,
) -> AppResult<ExportSummary> {
    let sidecars = match sidecars.as_deref() {
        None => None,
        Some("xmp") => Some(SidecarFormat::Xmp),
        Some("json") => Some(SidecarFormat::Json),
        Some(other) => return Err(AppError::invalid(format!("no sidecar format {other:?}"))),
    };
    export(state, None, folder, ExportOptions { albums, sidecars }).await
}

async fn export(
    state: State<'_, AppState>,
    ids: Option<Vec<keepsake_core::ObjectId>>,
    folder: String,
    options: ExportOptions,
) -> AppResult<ExportSummary> {
    let session = state.session()?;
    blocking(move || {
        // Contents of its own: a long export holds nothing the rest of the app needs.
        let mut contents = session.vault.blocking_lock().contents()?;
        // Kept on the remotes (originals on demand): fetched, each authenticated, first.
        let originals = contents.export_originals(ids.as_deref())?;
        keepsake_api::originals_here(&mut contents, &originals)?;
        let report = contents.export(ids.as_deref(), &PathBuf::from(&folder), options)?;
        Ok(ExportSummary {
            exported: report.exported.len() as u32,
            failed: report
                .failed
                .iter()
                .map(|f| format!("{}: {}", f.name.as_deref().unwrap_or("?"), f.reason))
                .collect(),
            folder,
        })
    })
    .await
}

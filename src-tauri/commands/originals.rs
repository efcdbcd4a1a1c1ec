//! Where the originals live (Settings): all on this device or on demand, "Free up space",
//! and fetching the ones something is about to show.

use super::{blocking, parse_ids};
use crate::dto::{FreedSummary, OriginalsSetting};
use crate::error::AppResult;
use crate::state::AppState;
use keepsake_core::Contents;
use tauri::State;

/// Fetched originals kept when the user has not said how many (as the CLI's default).
const DEFAULT_CACHE_MB: u64 = 2048;

fn setting(contents: &Contents) -> AppResult<OriginalsSetting> {
    let ids: Vec<_> = contents.items()?.iter().map(|item| item.id).collect();
    let away = contents.originals_away(&ids)?.len();
    let limit = contents.originals_on_demand()?;
    Ok(OriginalsSetting {
        on_demand: limit.is_some(),
        cache_mb: limit.map_or(DEFAULT_CACHE_MB, |bytes| bytes >> 20),
        here: (ids.len() - away) as u32,
        away: away as u32,
    })
}

#[tauri::command]
pub async fn originals_setting(state: State<'_, AppState>) -> AppResult<OriginalsSetting> {
    let session = state.session()?;
    blocking(move || setting(&session.vault.blocking_lock().contents()?)).await
}

/// Keeps originals on demand (fetched ones up to `cache_mb`), or all here, fetching every
/// missing one first (a failed fetch leaves the device on demand).
#[tauri::command]
pub async fn set_originals(
    state: State<'_, AppState>,
    on_demand: bool,
    cache_mb: u64,
) -> AppResult<OriginalsSetting> {
    let session = state.session()?;
    blocking(move || {
        let mut contents = session.vault.blocking_lock().contents()?;
        if on_demand {
            contents.set_originals_on_demand(Some(cache_mb.saturating_mul(1 << 20)))?;
        } else {
            let ids: Vec<_> = contents.items()?.iter().map(|item| item.id).collect();
            keepsake_api::originals_here(&mut contents, &ids)?;
            contents.set_originals_on_demand(None)?;
        }
        setting(&contents)
    })
    .await
}

/// Deletes the local originals the remotes hold intact, each checked there first.
#[tauri::command]
pub async fn free_up_space(state: State<'_, AppState>) -> AppResult<FreedSummary> {
    let session = state.session()?;
    blocking(move || {
        let mut contents = session.vault.blocking_lock().contents()?;
        let cache = contents
            .originals_on_demand()?
            .unwrap_or(DEFAULT_CACHE_MB << 20);
        let passes = keepsake_api::free_up_space(&mut contents, cache, &mut |_, _| {})?;
        let mut summary = FreedSummary::default();
        for (remote, freed) in passes {
            summary.freed += freed.freed as u32;
            summary.bytes += freed.bytes;
            summary.refused.extend(
                freed
                    .refused
                    .iter()
                    .map(|(id, why)| format!("{remote}: {id}: {why}")),
            );
        }
        summary.setting = setting(&contents)?;
        Ok(summary)
    })
    .await
}

/// Fetches the originals of `ids` that are on the remotes only (the viewer asks before it
/// shows one full size, or plays it).
#[tauri::command]
pub async fn bring_originals(state: State<'_, AppState>, ids: Vec<String>) -> AppResult<()> {
    let ids = parse_ids(&ids)?;
    let session = state.session()?;
    blocking(move || {
        let mut contents = session.vault.blocking_lock().contents()?;
        Ok(keepsake_api::originals_here(&mut contents, &ids)?)
    })
    .await
}

//! IPC commands, one module per screen. Each is a few lines over keepsake-core.

pub mod albums;
pub mod devices;
pub mod edits;
pub mod import;
pub mod library;
pub mod originals;
pub mod settings;
pub mod sync;
pub mod vault;

use crate::error::{AppError, AppResult};
use keepsake_core::ErrorCode;
use keepsake_core::ObjectId;

pub(crate) fn parse_ids(ids: &[String]) -> AppResult<Vec<ObjectId>> {
    ids.iter()
        .map(|id| {
            id.parse()
                .map_err(|_| AppError::invalid(format!("not an item id: {id:?}")))
        })
        .collect()
}

/// Runs blocking vault work (Argon2id, SQLite, decryption) off the async runtime.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> AppResult<T> + Send + 'static,
) -> AppResult<T> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(|e| AppError::new(ErrorCode::Internal, format!("background task failed: {e}")))?
}

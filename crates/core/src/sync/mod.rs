//! Sync and restore: the vault's encrypted objects, its header (wrapped keys only) and
//! encrypted catalog snapshots, copied to a remote the user chose, and back. Nothing is
//! decrypted or re-encrypted for upload: the remote holds the same bytes as the disk.
//!
//! The core knows remotes only through `RemoteStore`; `keepsake-remote` implements it with
//! Apache OpenDAL (S3, WebDAV, SFTP, a folder).

mod control;
mod engine;
pub(crate) mod log;
mod prune;
mod restore;
mod snapshot;

pub use control::{SyncControl, SyncProgress, SyncState};
pub use engine::{RemoteCheck, SyncReport};
pub use log::LogTraffic;
pub use prune::{DEFAULT_RETENTION, PruneReport};
pub use restore::{RestoreReport, RestoreSecret, restore};
pub(crate) use snapshot::fetch_snapshot;

use std::future::Future;
use std::path::Path;

/// Where things live on a remote, below its prefix. Documented in docs/FORMAT.md.
pub mod layout {
    use keepsake_crypto::ObjectId;

    pub const HEADER: &str = "keepsake-vault.json";
    pub const SNAPSHOTS: &str = "catalog/";
    pub const OBJECTS: &str = "objects/";

    pub const PROXIES: &str = "proxies/";
    /// Each device's change-log segments (docs/FORMAT.md, schema 16).
    pub const LOG: &str = "log/";
    pub const RENDITIONS: &str = "renditions/";

    pub fn object(id: &ObjectId) -> String {
        let name = id.to_string();
        format!("{OBJECTS}{}/{name}", &name[..2])
    }

    /// A thumbnail or preview, sealed (docs/FORMAT.md, schema 16).
    pub fn rendition(id: &ObjectId) -> String {
        let name = id.to_string();
        format!("{RENDITIONS}{}/{name}", &name[..2])
    }

    /// A video's proxy (docs/FORMAT.md, schema 8).
    pub fn proxy(id: &ObjectId) -> String {
        let name = id.to_string();
        format!("{PROXIES}{}/{name}", &name[..2])
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error("the remote refused the credentials: {0}")]
    Credentials(String),
    #[error("the remote cannot be reached: {0}")]
    Unreachable(String),
    #[error("not found on the remote: {0}")]
    NotFound(String),
    #[error("the remote is full (or over its quota): {0}")]
    Full(String),
    #[error("remote error: {0}")]
    Other(String),
    #[error("local file: {0}")]
    Local(#[from] std::io::Error),
}

impl RemoteError {
    /// Whether every later upload would fail the same way, so a sync should stop here. An
    /// unreachable remote counts once the sync's patience with the network has run out:
    /// trying each object in turn held everything up for minutes.
    pub fn stops_a_sync(&self) -> bool {
        matches!(
            self,
            Self::Full(_) | Self::Credentials(_) | Self::Unreachable(_)
        )
    }
}

/// A remote as the sync engine needs it. Paths are relative to the remote's root and use
/// `/`. Implementations retry transient failures themselves.
pub trait RemoteStore: Send + Sync {
    /// Uploads a local file (streaming; multipart where the backend has it).
    fn upload(
        &self,
        path: &str,
        local: &Path,
    ) -> impl Future<Output = Result<(), RemoteError>> + Send;
    /// Downloads into a local file (streaming). Refuses, before fetching anything, what
    /// the remote lists as larger than `max_len`: a listing is not trusted to size a
    /// download (`u64::MAX` where nothing bounds it).
    fn download(
        &self,
        path: &str,
        local: &Path,
        max_len: u64,
    ) -> impl Future<Output = Result<u64, RemoteError>> + Send;
    fn put(
        &self,
        path: &str,
        bytes: Vec<u8>,
    ) -> impl Future<Output = Result<(), RemoteError>> + Send;
    fn get(&self, path: &str) -> impl Future<Output = Result<Vec<u8>, RemoteError>> + Send;
    /// The size of what is stored at `path`, None if nothing is.
    fn size(&self, path: &str) -> impl Future<Output = Result<Option<u64>, RemoteError>> + Send;
    /// Deletes what is stored at `path`; deleting what is not there is no error (a prune
    /// killed after its delete does it again).
    fn delete(&self, path: &str) -> impl Future<Output = Result<(), RemoteError>> + Send;
    /// Every file below `prefix` (recursively), with its size.
    fn list(
        &self,
        prefix: &str,
    ) -> impl Future<Output = Result<Vec<(String, u64)>, RemoteError>> + Send;
}

/// Writes a small probe and reads it back: the remote is reachable, the credentials work,
/// and it returns what it was given.
pub async fn probe(store: &impl RemoteStore) -> Result<(), RemoteError> {
    const PROBE_PATH: &str = ".keepsake-write-test";
    let probe = b"keepsake write test".to_vec();
    store.put(PROBE_PATH, probe.clone()).await?;
    if store.get(PROBE_PATH).await? != probe {
        return Err(RemoteError::Other(
            "the remote returned different bytes than were written".into(),
        ));
    }
    Ok(())
}

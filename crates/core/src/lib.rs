//! The Keepsake vault: everything a shell (CLI or desktop app) needs, and nothing of any
//! shell. A vault folder holds the header (wrapped keys), the encrypted catalog and one
//! encrypted object per original; see `docs/FORMAT.md` and `ARCHITECTURE.md`.
#![forbid(unsafe_code)]

mod archive;
mod cancel;
mod catalog;
mod devices;
mod dupes;
mod edit;
mod error;
mod export;
mod folder_albums;
mod fsutil;
mod guard;
mod header;
mod icloud;
mod import;
mod library;
mod map;
mod media;
mod memories;
mod memory;
mod migration;
mod on_demand;
mod places;
mod playback;
mod probe;
mod rebuild;
mod report_json;
mod rethumb;
mod search;
mod seen_kdf;
mod sidecar;
mod sniff;
mod stacks;
mod storage;
mod store;
mod suggest;
mod sync;
mod takeout;
mod trips;
mod vault;
mod verify;
mod zones;

pub use cancel::Cancel;
pub use catalog::{
    Album, Item, LibraryFilter, RemoteConfig, StoredRendition, TimelineEntry, Usage,
};
pub use devices::DeviceInfo;
pub use dupes::{DuplicateGroup, MAX_DISTANCE as DUPLICATE_MAX_DISTANCE};
pub use edit::{CAPTION_MAX, Edit, EditReport, EditText};
pub use error::{ErrorCode, VaultError};
pub use export::{ExportFailure, ExportOptions, ExportReport, Exported};
pub use fsutil::create_new_private;
pub use guard::install_panic_hook;
pub use import::{ImportProgress, ImportReport, Imported, Skipped, format_system_time};
pub use keepsake_crypto::{DeviceSecret, KdfParams, ObjectId, Password, RecoveryKey};
pub use library::RemoteStatus;
pub use library::{Library, TRASH_RETENTION, VIEW_MAX_BYTES};
pub use map::{MapArea, MapPoint};
pub use media::{MediaInfo, RenditionKind};
pub use on_demand::FreedSpace;
pub use places::{Place, place_at};
pub use playback::{Playable, PlayableStream, ProxyReport};
pub use rebuild::{RebuildReport, RebuildSource};
pub use rethumb::RethumbReport;
pub use search::SearchQuery;
pub use seen_kdf::{KdfChange, SeenKdf};
pub use sidecar::SidecarFormat;
pub use sniff::MediaKind;
pub use storage::Storage;
pub use suggest::Suggestion;
pub use sync::{
    DEFAULT_RETENTION, PruneReport, RemoteCheck, RemoteError, RemoteStore, RestoreReport,
    RestoreSecret, SyncControl, SyncProgress, SyncReport, SyncState, layout as remote_layout,
    probe as probe_remote, restore,
};
pub use trips::Trip;
pub use vault::{Contents, UnlockedVault, Vault, VaultInfo};
pub use verify::{Damage, QUARANTINE, VerifyReport};

/// For the scale benchmark only (feature `bench`): catalog rows with no photo behind them.
#[cfg(feature = "bench")]
pub mod bench_support {
    /// Adds `count` synthetic items, numbered from `first`, in one transaction.
    pub fn add_synthetic_items(
        vault: &mut crate::UnlockedVault,
        first: u64,
        count: u64,
    ) -> Result<(), crate::VaultError> {
        vault.catalog.add_synthetic(first, count)
    }

    /// Writes a plaintext copy of the catalog to `dest`: the benchmark's plain-SQLite
    /// reference. Synthetic rows only; a real catalog must never be written out so.
    pub fn export_plain(
        vault: &crate::UnlockedVault,
        dest: &std::path::Path,
    ) -> Result<(), crate::VaultError> {
        vault.catalog.export_plain(dest)
    }
}

/// The parsers that read untrusted bytes, as entry points for the fuzz targets (fuzz/) and
/// for tools. Nothing here touches a vault.
pub mod untrusted_input {
    use crate::media::{self, MediaInfo, Original};
    use crate::sniff::{MediaKind, SNIFF_LEN, sniff};

    /// Parses a vault header file's text and checks its checksum (no key needed).
    pub fn parse_header(text: &str) -> Result<(), crate::VaultError> {
        crate::header::Header::parse(text).map(drop)
    }

    /// Sniffs and analyses a photo in memory: metadata, then both renditions. Videos are
    /// left out (they go to ffmpeg in a child process, which is fuzzed upstream).
    pub fn analyse_photo(bytes: &[u8]) -> Option<MediaInfo> {
        let media = sniff(&bytes[..bytes.len().min(SNIFF_LEN)])?;
        if media.kind == MediaKind::Video {
            return None;
        }
        Some(media::analyse(Original::Bytes(bytes), media, media::FileFacts::default()).info)
    }
}

#[cfg(test)]
mod test_support {
    /// Argon2id at its floor, so unit tests unlock in milliseconds.
    pub const FAST: keepsake_crypto::KdfParams = keepsake_crypto::KdfParams {
        memory_kib: 8 * 1024,
        iterations: 1,
        parallelism: 1,
    };

    /// A catalog row for tests: a JPEG photo named `name`, with `media`.
    pub fn item(n: u8, name: &str, media: crate::MediaInfo) -> crate::catalog::Item {
        crate::catalog::Item {
            id: keepsake_crypto::ObjectId([n; 16]),
            name: std::path::Path::new(name)
                .file_name()
                .map_or_else(|| name.into(), |f| f.to_string_lossy().into_owned()),
            source_path: name.into(),
            size: u64::from(n) * 1000,
            content_hash: [n; 32],
            media_type: "image/jpeg".into(),
            kind: crate::MediaKind::Photo,
            file_modified_at: None,
            imported_at: "2026-01-01T00:00:00Z".into(),
            note: None,
            media,
            render_error: None,
            pipeline_version: 1,
            caption: None,
            rotation: 0,
            stack: None,
        }
    }

    /// What drawing an item again gave: `media`, no renditions.
    pub fn redrawn(media: crate::MediaInfo) -> crate::catalog::Redrawn {
        crate::catalog::Redrawn {
            info: media,
            ..Default::default()
        }
    }
}

//! What crosses IPC, as plain serialisable types. `ui/src/lib/bindings.ts` is generated
//! from these (see `bindings()`); a test fails when the committed file drifts.

use keepsake_core::{Album, Item, LibraryFilter, MediaKind, TimelineEntry};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, TS, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum VaultState {
    /// No vault chosen yet: the first-run screen.
    NoVault,
    Locked,
    Unlocked,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct AppStatus {
    pub state: VaultState,
    pub vault_path: Option<String>,
    /// Unlock through the OS is set up on this device (OS-unlock issue).
    pub os_unlock: bool,
    /// Something the user must read about the unlock that just happened: the vault header
    /// asked for other password settings than this device used last time.
    pub warning: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct CreatedVault {
    /// 24 words, shown once.
    pub recovery_key: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, TS, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Photo,
    Raw,
    Video,
}

impl From<MediaKind> for Kind {
    fn from(kind: MediaKind) -> Self {
        match kind {
            MediaKind::Photo => Self::Photo,
            MediaKind::Raw => Self::Raw,
            MediaKind::Video => Self::Video,
        }
    }
}

impl From<Kind> for MediaKind {
    fn from(kind: Kind) -> Self {
        match kind {
            Kind::Photo => Self::Photo,
            Kind::Raw => Self::Raw,
            Kind::Video => Self::Video,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(default)]
pub struct Filter {
    pub text: Option<String>,
    #[ts(type = "number | null")]
    pub album: Option<i64>,
    pub favourites: bool,
    pub kind: Option<Kind>,
    /// YYYY-MM-DD, inclusive.
    pub from: Option<String>,
    pub to: Option<String>,
    pub trash: bool,
    /// Only items with GPS coordinates (the map).
    pub located: bool,
    /// Only items taken in this part of the map.
    pub area: Option<MapArea>,
    /// Only the first so many: a first screenful while the rest is on its way.
    pub limit: Option<u32>,
}

impl From<Filter> for LibraryFilter {
    fn from(f: Filter) -> Self {
        LibraryFilter {
            text: f.text,
            album: f.album,
            favourites: f.favourites,
            kind: f.kind.map(Into::into),
            from: f.from,
            to: f.to,
            trash: f.trash,
            located: f.located,
            area: f.area.map(|a| keepsake_core::MapArea {
                south: a.south,
                west: a.west,
                north: a.north,
                east: a.east,
            }),
            limit: f.limit.map(|l| l as usize),
        }
    }
}

/// Photos taken together far from home, for the memories strip.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Trip {
    /// "Lisbon, Portugal", "Portugal", or "Portugal & Spain".
    pub title: String,
    /// When its first and last photos were taken.
    pub first: String,
    pub last: String,
    /// Newest first.
    pub items: Vec<TimelineItem>,
}

impl From<keepsake_core::Trip> for Trip {
    fn from(trip: keepsake_core::Trip) -> Self {
        Self {
            title: trip.title,
            first: trip.first,
            last: trip.last,
            items: trip.entries.into_iter().map(Into::into).collect(),
        }
    }
}

/// One cell of the timeline grid.
#[derive(Debug, Clone, Serialize, TS)]
pub struct TimelineItem {
    pub id: String,
    pub name: String,
    pub taken_at: Option<String>,
    pub kind: Kind,
    #[ts(type = "number | null")]
    pub duration_ms: Option<u64>,
    pub favourite: bool,
    /// Why there is no thumbnail, when there is none.
    pub no_thumbnail: Option<String>,
    /// For a stack shown as this item: its kind (live, raw+jpeg, burst) and size.
    pub stack_kind: Option<String>,
    pub stack_size: u32,
}

impl From<TimelineEntry> for TimelineItem {
    fn from(e: TimelineEntry) -> Self {
        Self {
            id: e.id.to_string(),
            name: e.name,
            taken_at: e.taken_at,
            kind: e.kind.into(),
            duration_ms: e.duration_ms,
            favourite: e.favourite,
            no_thumbnail: e.no_thumbnail,
            stack_size: e.stack.as_ref().map_or(0, |(_, size)| *size),
            stack_kind: e.stack.map(|(kind, _)| kind),
        }
    }
}

/// A search the search box offers as the user types.
#[derive(Debug, Clone, Serialize, TS)]
pub struct SearchSuggestion {
    /// What the user reads: "Arezzo, Tuscany, Italy", "July 2019".
    pub label: String,
    /// place, camera, lens, album, date or kind.
    pub kind: String,
    #[ts(type = "number")]
    pub items: u64,
    /// The whole search with this suggestion taken.
    pub search: String,
}

impl From<keepsake_core::Suggestion> for SearchSuggestion {
    fn from(s: keepsake_core::Suggestion) -> Self {
        Self {
            label: s.label,
            kind: s.kind.into(),
            items: s.items,
            search: s.search,
        }
    }
}

/// One copy in a group of near-duplicates, with what tells copies apart.
#[derive(Debug, Clone, Serialize, TS)]
pub struct DuplicateCopy {
    pub id: String,
    pub name: String,
    pub taken_at: Option<String>,
    #[ts(type = "number")]
    pub size: u64,
    pub width: Option<u32>,
    pub height: Option<u32>,
}

impl From<Item> for DuplicateCopy {
    fn from(item: Item) -> Self {
        Self {
            id: item.id.to_string(),
            name: item.name,
            taken_at: item.media.taken_at,
            size: item.size,
            width: item.media.width,
            height: item.media.height,
        }
    }
}

/// Photos that show the same picture; `keep` is the best copy.
#[derive(Debug, Clone, Serialize, TS)]
pub struct DuplicateSet {
    pub keep: DuplicateCopy,
    pub others: Vec<DuplicateCopy>,
}

/// A rectangle of the map, in degrees (east < west across the antimeridian).
#[derive(Debug, Clone, Copy, Deserialize, TS)]
pub struct MapArea {
    pub south: f64,
    pub west: f64,
    pub north: f64,
    pub east: f64,
}

/// A photo or video on the map.
#[derive(Debug, Clone, Serialize, TS)]
pub struct MapPhoto {
    pub item: TimelineItem,
    pub lat: f64,
    pub lon: f64,
}

impl From<keepsake_core::MapPoint> for MapPhoto {
    fn from(p: keepsake_core::MapPoint) -> Self {
        Self {
            item: p.entry.into(),
            lat: p.latitude,
            lon: p.longitude,
        }
    }
}

/// Items and bytes under one heading of Storage at a glance.
#[derive(Debug, Clone, Serialize, TS)]
pub struct UsageRow {
    pub label: String,
    #[ts(type = "number")]
    pub items: u64,
    #[ts(type = "number")]
    pub bytes: u64,
}

impl From<keepsake_core::Usage> for UsageRow {
    fn from(u: keepsake_core::Usage) -> Self {
        Self {
            label: u.label,
            items: u.items,
            bytes: u.bytes,
        }
    }
}

/// Storage at a glance: the library by year and by kind (outside the trash), and what
/// each remote holds.
#[derive(Debug, Clone, Serialize, TS)]
pub struct StorageSummary {
    pub years: Vec<UsageRow>,
    pub kinds: Vec<UsageRow>,
    pub total: UsageRow,
    pub remotes: Vec<UsageRow>,
}

impl From<keepsake_core::Storage> for StorageSummary {
    fn from(s: keepsake_core::Storage) -> Self {
        let rows = |v: Vec<keepsake_core::Usage>| v.into_iter().map(Into::into).collect();
        Self {
            years: rows(s.years),
            kinds: rows(s.kinds),
            total: s.total.into(),
            remotes: rows(s.remotes),
        }
    }
}

/// Everything the viewer's info panel shows.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ItemDetails {
    pub id: String,
    pub name: String,
    #[ts(type = "number")]
    pub size: u64,
    pub media_type: String,
    pub kind: Kind,
    pub taken_at: Option<String>,
    pub date_source: Option<String>,
    pub camera: Option<String>,
    pub lens: Option<String>,
    pub exposure_time: Option<String>,
    pub f_number: Option<f64>,
    pub iso: Option<u32>,
    pub focal_length_mm: Option<f64>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub altitude: Option<f64>,
    /// The GPS position in words ("Monte San Savino, Tuscany, Italy"), found offline.
    pub place: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    #[ts(type = "number | null")]
    pub duration_ms: Option<u64>,
    pub favourite: bool,
    #[ts(type = "number[]")]
    pub albums: Vec<i64>,
    /// Metadata that could not be read.
    pub note: Option<String>,
    pub render_error: Option<String>,
    /// For a video or a Motion Photo: the stream the viewer plays ("original", "proxy" or
    /// "motion"), or why none plays.
    pub playable: Option<String>,
    pub unplayable: Option<String>,
    /// The original is on a remote only (this device keeps originals on demand): the
    /// viewer fetches it (`bring_originals`) before showing it full size or playing it.
    pub away: bool,
    pub caption: Option<String>,
    /// Degrees the user turned the photo clockwise.
    pub rotation: u16,
    /// Whether the user fixed anything (date, place, caption, turn) that undo takes back.
    pub edited: bool,
    /// For the main item of a stack: every item in it, this one first.
    pub stack: Vec<StackMember>,
}

/// One file of a stack, as the viewer switches to it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct StackMember {
    pub id: String,
    pub name: String,
    pub kind: Kind,
}

impl ItemDetails {
    pub fn new(item: Item, favourite: bool, albums: Vec<i64>, edited: bool) -> Self {
        let m = item.media;
        let camera = match (m.camera_make, m.camera_model) {
            (Some(make), Some(model)) if model.starts_with(&make) => Some(model),
            (Some(make), Some(model)) => Some(format!("{make} {model}")),
            (make, model) => make.or(model),
        };
        Self {
            id: item.id.to_string(),
            name: item.name,
            size: item.size,
            media_type: item.media_type,
            kind: item.kind.into(),
            taken_at: m.taken_at,
            date_source: m.date_source,
            camera,
            lens: m.lens,
            exposure_time: m.exposure_time,
            f_number: m.f_number,
            iso: m.iso,
            focal_length_mm: m.focal_length_mm,
            latitude: m.latitude,
            longitude: m.longitude,
            altitude: m.altitude,
            place: m
                .place
                .or_else(|| keepsake_core::place_at(m.latitude?, m.longitude?))
                .map(|place| place.label()),
            width: m.width,
            height: m.height,
            duration_ms: m.duration_ms,
            favourite,
            albums,
            note: item.note,
            render_error: item.render_error,
            playable: None,
            unplayable: None,
            away: false,
            caption: item.caption,
            rotation: item.rotation,
            edited,
            stack: Vec::new(),
        }
    }
}

/// The viewer's fixes, in the CLI's text forms (`keepsake edit`); each is left as it is
/// when absent.
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(default)]
pub struct EditRequest {
    /// YYYY-MM-DD, optionally with a time (T18:02:11) and an offset.
    pub date: Option<String>,
    /// +2h, -1d, +1y2mo…
    pub shift: Option<String>,
    /// Put the date in the time zone of where it was taken.
    pub zone_from_place: Option<bool>,
    /// "LAT,LON", or "none" to hide the place.
    pub place: Option<String>,
    /// The caption; empty removes it.
    pub caption: Option<String>,
    /// Degrees clockwise: 90, 180 or 270.
    pub rotate: Option<u16>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct AlbumInfo {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    #[ts(type = "number")]
    pub items: u64,
    pub cover: Option<String>,
}

impl From<Album> for AlbumInfo {
    fn from(a: Album) -> Self {
        Self {
            id: a.id,
            name: a.name,
            items: a.items,
            cover: a.cover.map(|c| c.to_string()),
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ImportProgressEvent {
    #[ts(type = "number")]
    pub files_done: u64,
    #[ts(type = "number")]
    pub files_total: u64,
    #[ts(type = "number")]
    pub bytes_done: u64,
    #[ts(type = "number")]
    pub bytes_total: u64,
    #[ts(type = "number")]
    pub elapsed_ms: u64,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct SkippedFile {
    pub path: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default, Serialize, TS)]
pub struct ImportSummary {
    pub imported: u32,
    pub duplicates: u32,
    pub skipped: Vec<SkippedFile>,
    /// Google Takeout sidecars read (dates, places, descriptions, album titles).
    pub sidecars: u32,
    pub cancelled: bool,
    /// Why the import stopped early (disk full, vault locked), if it did.
    pub error: Option<String>,
    /// Started by a watch folder rather than by the user.
    pub automatic: bool,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ExportSummary {
    pub exported: u32,
    pub failed: Vec<String>,
    pub folder: String,
}

/// `Debug` by hand: it carries a secret.
#[derive(Clone, Serialize, Deserialize, TS)]
pub struct NewRemote {
    pub name: String,
    /// s3://bucket/prefix?endpoint=…, webdav://host/path, sftp://user@host/path, file:///path
    pub url: String,
    /// S3 access key id, or WebDAV user.
    pub user: Option<String>,
    /// S3 secret key, or WebDAV password. Stored only in the encrypted catalog.
    pub secret: Option<String>,
}

impl std::fmt::Debug for NewRemote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewRemote")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("user", &self.user)
            .field("secret", &self.secret.as_ref().map(|_| "redacted"))
            .finish()
    }
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct RemoteInfo {
    pub name: String,
    pub url: String,
    pub user: Option<String>,
    /// Objects not yet confirmed on this remote.
    #[ts(type = "number")]
    pub pending: u64,
    /// Files the library stopped using, kept on it through the retention (30 days) and
    /// then deleted by the prune after a sync; their plaintext bytes where known.
    #[ts(type = "number")]
    pub kept_files: u64,
    #[ts(type = "number")]
    pub kept_bytes: u64,
    pub last_sync: Option<String>,
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, TS, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SyncPhase {
    Locked,
    /// No remote configured.
    Off,
    UpToDate,
    Syncing,
    Paused,
    Error,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct SyncStatus {
    pub phase: SyncPhase,
    #[ts(type = "number")]
    pub done: u64,
    #[ts(type = "number")]
    pub total: u64,
    pub message: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS, PartialEq)]
pub struct Settings {
    /// 0 = never.
    pub auto_lock_minutes: u32,
    /// Lock when the computer sleeps or the screen locks.
    pub lock_on_sleep: bool,
    pub start_at_login: bool,
    pub watch_folders: Vec<String>,
    /// Detailed map tiles from `map_tile_url`, which then learns where the map looks.
    pub online_map: bool,
    /// `https://…/{z}/{x}/{y}.png`
    pub map_tile_url: String,
}

/// A device that can unlock through its OS keyring.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Device {
    pub id: String,
    pub name: String,
    pub created: String,
    pub last_used: Option<String>,
    /// The device this app runs on.
    pub this_device: bool,
}

/// One damaged photo found by a check of the vault.
#[derive(Debug, Clone, Serialize, TS)]
pub struct DamagedItem {
    /// None for damage to the catalog itself.
    pub id: Option<String>,
    pub name: Option<String>,
    pub problem: String,
    /// Replaced by an authentic copy from a remote during this check.
    pub repaired: bool,
}

/// Where this device keeps the originals (Settings).
#[derive(Debug, Clone, Default, Serialize, TS)]
pub struct OriginalsSetting {
    /// True: on the remotes, fetched when needed; false: every original here.
    pub on_demand: bool,
    /// Megabytes of fetched originals kept here when on demand.
    #[ts(type = "number")]
    pub cache_mb: u64,
    pub here: u32,
    pub away: u32,
}

/// What "Free up space" did.
#[derive(Debug, Clone, Default, Serialize, TS)]
pub struct FreedSummary {
    pub freed: u32,
    #[ts(type = "number")]
    pub bytes: u64,
    /// Originals kept because a remote's copy did not authenticate, each with why.
    pub refused: Vec<String>,
    pub setting: OriginalsSetting,
}

/// What a check of every stored photo found, and what its repair did. Nothing is ever
/// deleted: second copies are set aside in the vault's quarantine folder.
#[derive(Debug, Clone, Serialize, TS)]
pub struct VerifySummary {
    pub checked: u64,
    pub damaged: Vec<DamagedItem>,
    /// Photos of this vault the catalog did not list, listed again by the repair.
    pub relisted: u32,
    /// Photos of this vault the catalog does not list (the repair lists them again).
    pub unlisted: u32,
    /// Stored objects that do not open with this vault's key: left alone.
    pub unreadable: u32,
}

impl From<&keepsake_api::Verified> for VerifySummary {
    fn from(verified: &keepsake_api::Verified) -> Self {
        let report = &verified.report;
        Self {
            checked: report.checked,
            damaged: report
                .damaged
                .iter()
                .map(|d| DamagedItem {
                    id: d.id.map(|id| id.to_string()),
                    name: d.name.clone(),
                    problem: d.problem.clone(),
                    repaired: d.id.is_some_and(|id| !verified.unrepaired.contains(&id)),
                })
                // A video's playable copy: made again by the repair when it can be, so
                // what is left here was not.
                .chain(report.damaged_proxies.iter().map(|d| DamagedItem {
                    id: d.id.map(|id| id.to_string()),
                    name: d.name.clone(),
                    problem: d.problem.clone(),
                    repaired: false,
                }))
                .collect(),
            relisted: report.relisted.len() as u32,
            unlisted: (report.unlisted.len() - report.relisted.len()) as u32,
            unreadable: report.unreadable.len() as u32,
        }
    }
}

/// Every IPC type, in dependency order, as the TypeScript file declares them.
pub fn bindings() -> String {
    let mut out = String::from(
        "// Generated from src-tauri/dto.rs and src-tauri/error.rs by \
         `KEEPSAKE_BLESS=1 cargo test --test app-ipc`. Do not edit.\n",
    );
    for decl in [
        keepsake_core::ErrorCode::decl(),
        crate::error::AppError::decl(),
        VaultState::decl(),
        AppStatus::decl(),
        CreatedVault::decl(),
        Kind::decl(),
        Filter::decl(),
        TimelineItem::decl(),
        SearchSuggestion::decl(),
        DuplicateCopy::decl(),
        DuplicateSet::decl(),
        MapArea::decl(),
        MapPhoto::decl(),
        Trip::decl(),
        UsageRow::decl(),
        StorageSummary::decl(),
        ItemDetails::decl(),
        StackMember::decl(),
        EditRequest::decl(),
        AlbumInfo::decl(),
        ImportProgressEvent::decl(),
        SkippedFile::decl(),
        ImportSummary::decl(),
        ExportSummary::decl(),
        NewRemote::decl(),
        RemoteInfo::decl(),
        SyncPhase::decl(),
        SyncStatus::decl(),
        Settings::decl(),
        Device::decl(),
        DamagedItem::decl(),
        VerifySummary::decl(),
        OriginalsSetting::decl(),
        FreedSummary::decl(),
    ] {
        out.push_str("\nexport ");
        out.push_str(&decl);
        out.push('\n');
    }
    out
}

// Generated from src-tauri/dto.rs and src-tauri/error.rs by `KEEPSAKE_BLESS=1 cargo test --test app-ipc`. Do not edit.

export type ErrorCode = "wrong_password" | "integrity" | "catalog_damaged" | "no_vault" | "busy" | "not_found" | "exists" | "invalid_input" | "remote" | "disk_full" | "io" | "locked" | "os_unlock" | "internal";

export type AppError = { 
/**
 * What the UI branches on: `ErrorCode`, the same codes the CLI's exit codes come from.
 */
code: ErrorCode, message: string, };

export type VaultState = "no_vault" | "locked" | "unlocked";

export type AppStatus = { state: VaultState, vault_path: string | null, 
/**
 * Unlock through the OS is set up on this device (OS-unlock issue).
 */
os_unlock: boolean, 
/**
 * Something the user must read about the unlock that just happened: the vault header
 * asked for other password settings than this device used last time.
 */
warning: string | null, };

export type CreatedVault = { 
/**
 * 24 words, shown once.
 */
recovery_key: string, };

export type Kind = "photo" | "raw" | "video";

export type Filter = { text: string | null, album: number | null, favourites: boolean, kind: Kind | null, 
/**
 * YYYY-MM-DD, inclusive.
 */
from: string | null, to: string | null, trash: boolean, 
/**
 * Only items with GPS coordinates (the map).
 */
located: boolean, 
/**
 * Only items taken in this part of the map.
 */
area: MapArea | null, 
/**
 * Only the first so many: a first screenful while the rest is on its way.
 */
limit: number | null, };

export type TimelineItem = { id: string, name: string, taken_at: string | null, kind: Kind, duration_ms: number | null, favourite: boolean, 
/**
 * Why there is no thumbnail, when there is none.
 */
no_thumbnail: string | null, 
/**
 * For a stack shown as this item: its kind (live, raw+jpeg, burst) and size.
 */
stack_kind: string | null, stack_size: number, };

export type SearchSuggestion = { 
/**
 * What the user reads: "Arezzo, Tuscany, Italy", "July 2019".
 */
label: string, 
/**
 * place, camera, lens, album, date or kind.
 */
kind: string, items: number, 
/**
 * The whole search with this suggestion taken.
 */
search: string, };

export type DuplicateCopy = { id: string, name: string, taken_at: string | null, size: number, width: number | null, height: number | null, };

export type DuplicateSet = { keep: DuplicateCopy, others: Array<DuplicateCopy>, };

export type MapArea = { south: number, west: number, north: number, east: number, };

export type MapPhoto = { item: TimelineItem, lat: number, lon: number, };

export type Trip = { 
/**
 * "Lisbon, Portugal", "Portugal", or "Portugal & Spain".
 */
title: string, 
/**
 * When its first and last photos were taken.
 */
first: string, last: string, 
/**
 * Newest first.
 */
items: Array<TimelineItem>, };

export type UsageRow = { label: string, items: number, bytes: number, };

export type StorageSummary = { years: Array<UsageRow>, kinds: Array<UsageRow>, total: UsageRow, remotes: Array<UsageRow>, };

export type ItemDetails = { id: string, name: string, size: number, media_type: string, kind: Kind, taken_at: string | null, date_source: string | null, camera: string | null, lens: string | null, exposure_time: string | null, f_number: number | null, iso: number | null, focal_length_mm: number | null, latitude: number | null, longitude: number | null, altitude: number | null, 
/**
 * The GPS position in words ("Monte San Savino, Tuscany, Italy"), found offline.
 */
place: string | null, width: number | null, height: number | null, duration_ms: number | null, favourite: boolean, albums: number[], 
/**
 * Metadata that could not be read.
 */
note: string | null, render_error: string | null, 
/**
 * For a video or a Motion Photo: the stream the viewer plays ("original", "proxy" or
 * "motion"), or why none plays.
 */
playable: string | null, unplayable: string | null, 
/**
 * The original is on a remote only (this device keeps originals on demand): the
 * viewer fetches it (`bring_originals`) before showing it full size or playing it.
 */
away: boolean, caption: string | null, 
/**
 * Degrees the user turned the photo clockwise.
 */
rotation: number, 
/**
 * Whether the user fixed anything (date, place, caption, turn) that undo takes back.
 */
edited: boolean, 
/**
 * For the main item of a stack: every item in it, this one first.
 */
stack: Array<StackMember>, };

export type StackMember = { id: string, name: string, kind: Kind, };

export type EditRequest = { 
/**
 * YYYY-MM-DD, optionally with a time (T18:02:11) and an offset.
 */
date: string | null, 
/**
 * +2h, -1d, +1y2mo…
 */
shift: string | null, 
/**
 * Put the date in the time zone of where it was taken.
 */
zone_from_place: boolean | null, 
/**
 * "LAT,LON", or "none" to hide the place.
 */
place: string | null, 
/**
 * The caption; empty removes it.
 */
caption: string | null, 
/**
 * Degrees clockwise: 90, 180 or 270.
 */
rotate: number | null, };

export type AlbumInfo = { id: number, name: string, items: number, cover: string | null, };

export type ImportProgressEvent = { files_done: number, files_total: number, bytes_done: number, bytes_total: number, elapsed_ms: number, };

export type SkippedFile = { path: string, reason: string, };

export type ImportSummary = { imported: number, duplicates: number, skipped: Array<SkippedFile>, 
/**
 * Google Takeout sidecars read (dates, places, descriptions, album titles).
 */
sidecars: number, cancelled: boolean, 
/**
 * Why the import stopped early (disk full, vault locked), if it did.
 */
error: string | null, 
/**
 * Started by a watch folder rather than by the user.
 */
automatic: boolean, };

export type ExportSummary = { exported: number, failed: Array<string>, folder: string, };

export type NewRemote = { name: string, 
/**
 * s3://bucket/prefix?endpoint=…, webdav://host/path, sftp://user@host/path, file:///path
 */
url: string, 
/**
 * S3 access key id, or WebDAV user.
 */
user: string | null, 
/**
 * S3 secret key, or WebDAV password. Stored only in the encrypted catalog.
 */
secret: string | null, };

export type RemoteInfo = { name: string, url: string, user: string | null, 
/**
 * Objects not yet confirmed on this remote.
 */
pending: number, 
/**
 * Files the library stopped using, kept on it through the retention (30 days) and
 * then deleted by the prune after a sync; their plaintext bytes where known.
 */
kept_files: number, kept_bytes: number, last_sync: string | null, last_error: string | null, };

export type SyncPhase = "locked" | "off" | "up_to_date" | "syncing" | "paused" | "error";

export type SyncStatus = { phase: SyncPhase, done: number, total: number, message: string | null, };

export type Settings = { 
/**
 * 0 = never.
 */
auto_lock_minutes: number, 
/**
 * Lock when the computer sleeps or the screen locks.
 */
lock_on_sleep: boolean, start_at_login: boolean, watch_folders: Array<string>, 
/**
 * Detailed map tiles from `map_tile_url`, which then learns where the map looks.
 */
online_map: boolean, 
/**
 * `https://…/{z}/{x}/{y}.png`
 */
map_tile_url: string, };

export type Device = { id: string, name: string, created: string, last_used: string | null, 
/**
 * The device this app runs on.
 */
this_device: boolean, };

export type DamagedItem = { 
/**
 * None for damage to the catalog itself.
 */
id: string | null, name: string | null, problem: string, 
/**
 * Replaced by an authentic copy from a remote during this check.
 */
repaired: boolean, };

export type VerifySummary = { checked: bigint, damaged: Array<DamagedItem>, 
/**
 * Photos of this vault the catalog did not list, listed again by the repair.
 */
relisted: number, 
/**
 * Photos of this vault the catalog does not list (the repair lists them again).
 */
unlisted: number, 
/**
 * Stored objects that do not open with this vault's key: left alone.
 */
unreadable: number, };

export type OriginalsSetting = { 
/**
 * True: on the remotes, fetched when needed; false: every original here.
 */
on_demand: boolean, 
/**
 * Megabytes of fetched originals kept here when on demand.
 */
cache_mb: number, here: number, away: number, };

export type FreedSummary = { freed: number, bytes: number, 
/**
 * Originals kept because a remote's copy did not authenticate, each with why.
 */
refused: Array<string>, setting: OriginalsSetting, };

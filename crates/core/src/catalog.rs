//! The catalog: SQLite encrypted by SQLCipher under a vault-key subkey. File names, dates
//! and (later) EXIF, GPS, albums and thumbnails live only here. One writer connection,
//! WAL, and versioned migrations.

use crate::VaultError;
use crate::media::{MediaInfo, Rendition, RenditionKind};
use crate::sniff::MediaKind;
use keepsake_crypto::ObjectId;
use rusqlite::{Connection, OptionalExtension, params};
use rusqlite::{Row, Transaction};
use std::path::Path;
use zeroize::Zeroizing;

pub const FILE_NAME: &str = "catalog.db";

/// Each entry moves the schema one version up; `PRAGMA user_version` records how far a
/// catalog has come. Never edit a released entry: add a new one.
const MIGRATIONS: &[&str] = &[
    // 1: the items themselves.
    "CREATE TABLE items (
        id TEXT PRIMARY KEY NOT NULL,          -- object id, 32 lowercase hex
        name TEXT NOT NULL,                    -- original file name
        source_path TEXT NOT NULL,             -- where it was imported from
        size INTEGER NOT NULL,                 -- plaintext bytes
        content_hash BLOB NOT NULL UNIQUE,     -- keyed BLAKE3 of the plaintext
        media_type TEXT NOT NULL,              -- sniffed MIME type
        kind TEXT NOT NULL,                    -- photo | raw | video
        taken_at TEXT,                         -- ISO 8601, offset when known
        date_source TEXT,                      -- exif | file-time
        file_modified_at TEXT,                 -- the original's mtime, UTC
        imported_at TEXT NOT NULL,             -- UTC
        note TEXT                              -- what could not be read, if anything
    ) STRICT;
    CREATE INDEX items_taken_at ON items(taken_at, name);
    CREATE INDEX items_size ON items(size);",
    // 2: what the media pipeline reads and renders.
    "ALTER TABLE items ADD COLUMN camera_make TEXT;
    ALTER TABLE items ADD COLUMN camera_model TEXT;
    ALTER TABLE items ADD COLUMN lens TEXT;
    ALTER TABLE items ADD COLUMN exposure_time TEXT;       -- as written: 1/160, 2.5
    ALTER TABLE items ADD COLUMN f_number REAL;
    ALTER TABLE items ADD COLUMN iso INTEGER;
    ALTER TABLE items ADD COLUMN focal_length_mm REAL;
    ALTER TABLE items ADD COLUMN latitude REAL;
    ALTER TABLE items ADD COLUMN longitude REAL;
    ALTER TABLE items ADD COLUMN altitude REAL;
    ALTER TABLE items ADD COLUMN orientation INTEGER;      -- EXIF 1-8
    ALTER TABLE items ADD COLUMN width INTEGER;            -- as displayed
    ALTER TABLE items ADD COLUMN height INTEGER;
    ALTER TABLE items ADD COLUMN duration_ms INTEGER;      -- video
    ALTER TABLE items ADD COLUMN render_error TEXT;        -- why there is no thumbnail
    ALTER TABLE items ADD COLUMN pipeline_version INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE renditions (
        item_id TEXT NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('grid', 'preview')),
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        jpeg BLOB NOT NULL,
        PRIMARY KEY (item_id, kind)
    ) STRICT;",
    // 3: remotes, and which objects each one is confirmed to hold.
    "CREATE TABLE remotes (
        name TEXT PRIMARY KEY NOT NULL,
        url TEXT NOT NULL,
        user TEXT,                             -- S3 access key id, WebDAV/SFTP user
        secret TEXT                            -- S3 secret key, WebDAV password
    ) STRICT;
    CREATE TABLE remote_objects (
        remote TEXT NOT NULL REFERENCES remotes(name) ON DELETE CASCADE,
        object_id TEXT NOT NULL,
        size INTEGER NOT NULL,                 -- bytes confirmed on the remote
        PRIMARY KEY (remote, object_id)
    ) STRICT;",
    // 4: what the desktop app organises: favourites, trash, albums, watch folders.
    "ALTER TABLE items ADD COLUMN favourite INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE items ADD COLUMN trashed_at TEXT;          -- UTC; purged 30 days later
    CREATE INDEX items_trashed_at ON items(trashed_at);
    CREATE TABLE albums (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL
    ) STRICT;
    CREATE TABLE album_items (
        album_id INTEGER NOT NULL REFERENCES albums(id) ON DELETE CASCADE,
        item_id TEXT NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        added_at TEXT NOT NULL,
        PRIMARY KEY (album_id, item_id)
    ) STRICT;
    CREATE INDEX album_items_item ON album_items(item_id);
    CREATE TABLE watch_folders (path TEXT PRIMARY KEY NOT NULL) STRICT;
    -- Files a watch folder already offered, so a rescan reads only what is new.
    CREATE TABLE watch_seen (
        path TEXT PRIMARY KEY NOT NULL,
        size INTEGER NOT NULL,
        modified TEXT
    ) STRICT;",
    // 5: when each remembered device last unlocked (the devices live in the header).
    "CREATE TABLE device_use (
        device_id TEXT PRIMARY KEY NOT NULL,
        last_used TEXT NOT NULL               -- UTC
    ) STRICT;",
    // 6: the Favourites and Videos views at a million items (benches/scale.rs): without
    // these, each scans every row.
    "CREATE INDEX items_favourites ON items(taken_at) WHERE favourite = 1;
    CREATE INDEX items_kind ON items(kind, taken_at);",
    // 7: each remembered device's name and date, out of the header (which every remote
    // receives) since header version 2. Moved here from a version 1 header at unlock.
    "CREATE TABLE devices (
        device_id TEXT PRIMARY KEY NOT NULL,
        name TEXT NOT NULL,
        created TEXT NOT NULL                 -- UTC
    ) STRICT;",
    // 8: a video's codecs (ffprobe's names), which decide whether the webview plays it,
    // and its proxy (a playable copy, an object under proxies/) where one was made.
    "ALTER TABLE items ADD COLUMN video_codec TEXT;
    ALTER TABLE items ADD COLUMN audio_codec TEXT;
    CREATE TABLE proxies (
        item_id TEXT PRIMARY KEY NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        object_id TEXT NOT NULL UNIQUE,       -- proxies/<2 hex>/<32 hex>
        size INTEGER NOT NULL,                -- plaintext bytes
        width INTEGER NOT NULL,
        height INTEGER NOT NULL
    ) STRICT;",
    // 9: finding photos again: the grid thumbnail's perceptual hash (near-duplicates) and
    // the GPS position in words.
    "ALTER TABLE items ADD COLUMN dhash BLOB;              -- 16 bytes
    ALTER TABLE items ADD COLUMN place_city TEXT;
    ALTER TABLE items ADD COLUMN place_region TEXT;
    ALTER TABLE items ADD COLUMN place_country_code TEXT;",
    // 10: the search index, in timeline order (catalog/search_index.rs; items from before
    // it are indexed when the catalog opens), and what can be searched for, counted
    // (catalog/facets.rs), kept by triggers through every write.
    "ALTER TABLE items ADD COLUMN search_doc INTEGER;
    CREATE UNIQUE INDEX items_search_doc ON items(search_doc);
    CREATE VIRTUAL TABLE search_words USING fts5(
        words,
        content = '', contentless_delete = 1,
        tokenize = 'unicode61 remove_diacritics 2',
        prefix = '1 2 3'
    );
    CREATE VIEW item_facets (id, facet, value, size) AS
        SELECT id, 'place', place_city || char(31) || coalesce(place_region, '') || char(31)
            || coalesce(place_country_code, ''), size
            FROM items WHERE place_city IS NOT NULL AND trashed_at IS NULL
        UNION ALL SELECT id, 'camera', coalesce(camera_make, '') || char(31) || camera_model, size
            FROM items WHERE camera_model IS NOT NULL AND trashed_at IS NULL
        UNION ALL SELECT id, 'lens', lens, size
            FROM items WHERE lens IS NOT NULL AND trashed_at IS NULL
        UNION ALL SELECT id, 'month', substr(taken_at, 1, 7), size
            FROM items WHERE taken_at IS NOT NULL AND trashed_at IS NULL
        UNION ALL SELECT id, 'kind', kind, size FROM items WHERE trashed_at IS NULL
        UNION ALL SELECT id, 'favourite', 'yes', size
            FROM items WHERE favourite = 1 AND trashed_at IS NULL;
    CREATE TABLE search_facets (
        facet TEXT NOT NULL,
        value TEXT NOT NULL,
        items INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        PRIMARY KEY (facet, value)
    ) STRICT;
    INSERT INTO search_facets (facet, value, items, bytes)
        SELECT facet, value, count(*), sum(size) FROM item_facets GROUP BY facet, value;
    CREATE TRIGGER search_facets_insert AFTER INSERT ON items BEGIN
        INSERT INTO search_facets (facet, value, items, bytes)
            SELECT facet, value, 1, size FROM item_facets WHERE id = NEW.id
            ON CONFLICT (facet, value)
            DO UPDATE SET items = items + 1, bytes = bytes + excluded.bytes;
    END;
    CREATE TRIGGER search_facets_delete BEFORE DELETE ON items BEGIN
        UPDATE search_facets SET items = items - 1, bytes = bytes - OLD.size
            WHERE (facet, value) IN (SELECT facet, value FROM item_facets WHERE id = OLD.id);
    END;
    CREATE TRIGGER search_facets_update_before BEFORE UPDATE OF place_city, place_region,
        place_country_code, camera_make, camera_model, lens, taken_at, kind, favourite,
        trashed_at, size ON items BEGIN
        UPDATE search_facets SET items = items - 1, bytes = bytes - OLD.size
            WHERE (facet, value) IN (SELECT facet, value FROM item_facets WHERE id = OLD.id);
    END;
    CREATE TRIGGER search_facets_update_after AFTER UPDATE OF place_city, place_region,
        place_country_code, camera_make, camera_model, lens, taken_at, kind, favourite,
        trashed_at, size ON items BEGIN
        INSERT INTO search_facets (facet, value, items, bytes)
            SELECT facet, value, 1, size FROM item_facets WHERE id = NEW.id
            ON CONFLICT (facet, value)
            DO UPDATE SET items = items + 1, bytes = bytes + excluded.bytes;
    END;",
    // 11: recent trips (trips.rs) read a year's located photos from this index alone, in
    // date order, not from rows spread over the whole table.
    "CREATE INDEX items_sightings ON items(taken_at, id, latitude, longitude, place_city,
        place_region, place_country_code, trashed_at)
        WHERE latitude IS NOT NULL AND longitude IS NOT NULL;",
    // 12: fixes that never touch the original (catalog/overrides.rs): the user's date,
    // position, caption and rotation, the file's own values beside them, and the values in
    // force in `items`.
    "CREATE TABLE item_overrides (
        item_id TEXT NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        field TEXT NOT NULL,                  -- taken_at | position | caption | rotation
        source TEXT NOT NULL,                 -- edited | takeout | icloud
        value TEXT NOT NULL,
        set_at TEXT NOT NULL,                 -- UTC
        PRIMARY KEY (item_id, field, source)
    ) STRICT;
    CREATE TABLE item_own_metadata (
        item_id TEXT PRIMARY KEY NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        taken_at TEXT,
        date_source TEXT,
        latitude REAL,
        longitude REAL,
        altitude REAL
    ) STRICT;
    ALTER TABLE items ADD COLUMN caption TEXT;
    ALTER TABLE items ADD COLUMN rotation INTEGER NOT NULL DEFAULT 0;",
    // 13: stacks (stacks.rs): a Live Photo, a RAW+JPEG pair or a burst shown as one.
    "ALTER TABLE items ADD COLUMN stack_of TEXT;          -- the stack's main item
    ALTER TABLE items ADD COLUMN stack_kind TEXT;         -- live | raw+jpeg | burst
    CREATE INDEX items_stack ON items(stack_of) WHERE stack_of IS NOT NULL;",
    // 14: Motion Photos (media/motion.rs): the video at the end of a JPEG.
    "ALTER TABLE items ADD COLUMN motion_length INTEGER;  -- bytes of MP4 at the end",
    // 15: Live Photo identifiers (stacks.rs): a still and its video paired by Apple's id.
    "ALTER TABLE items ADD COLUMN content_id TEXT;",
    // 16: the change log (sync/log, docs/FORMAT.md): registers, what changed since the
    // last sync (marked by triggers), and how far each device's log is merged.
    "CREATE TABLE sync_device (
        one INTEGER PRIMARY KEY CHECK (one = 1),
        device TEXT NOT NULL,
        clock TEXT NOT NULL
    ) STRICT;
    CREATE TABLE sync_registers (
        entity TEXT NOT NULL,
        field TEXT NOT NULL,
        value TEXT NOT NULL,                  -- JSON
        hlc TEXT NOT NULL,
        PRIMARY KEY (entity, field)
    ) STRICT;
    CREATE TABLE sync_segments (
        device TEXT NOT NULL,
        seq INTEGER NOT NULL,
        hash TEXT NOT NULL,                   -- BLAKE3 of its JSON
        zipped BLOB NOT NULL,                 -- its JSON, gzipped
        PRIMARY KEY (device, seq)
    ) STRICT;
    CREATE TABLE sync_remote_logs (
        remote TEXT NOT NULL REFERENCES remotes(name) ON DELETE CASCADE,
        device TEXT NOT NULL,
        seq INTEGER NOT NULL,                 -- the last segment the remote was seen to hold
        PRIMARY KEY (remote, device)
    ) STRICT;
    CREATE TABLE sync_snapshots (
        remote TEXT PRIMARY KEY NOT NULL REFERENCES remotes(name) ON DELETE CASCADE,
        size INTEGER NOT NULL,                -- bytes of the last snapshot sent to it
        log_since INTEGER NOT NULL            -- bytes of segments sent to it since
    ) STRICT;
    CREATE TABLE sync_dirty (
        entity TEXT PRIMARY KEY NOT NULL,
        at INTEGER NOT NULL                   -- ms since 1970 of its last change
    ) STRICT;
    CREATE TABLE sync_applying (one INTEGER PRIMARY KEY CHECK (one = 1)) STRICT;
    CREATE VIEW sync_now AS
        SELECT CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) AS ms;
    CREATE TABLE album_uids (
        album_id INTEGER PRIMARY KEY REFERENCES albums(id) ON DELETE CASCADE,
        uid TEXT NOT NULL UNIQUE
    ) STRICT;
    CREATE TABLE rendition_objects (
        item_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        object_id TEXT NOT NULL UNIQUE,
        PRIMARY KEY (item_id, kind)
    ) STRICT;
    CREATE TRIGGER sync_item_added AFTER INSERT ON items
        WHEN NOT EXISTS (SELECT 1 FROM sync_applying)
        BEGIN INSERT INTO sync_dirty VALUES ('item/' || NEW.id, (SELECT ms FROM sync_now))
                ON CONFLICT (entity) DO UPDATE SET at = excluded.at; END;
    CREATE TRIGGER sync_item_changed AFTER UPDATE ON items
        WHEN NOT EXISTS (SELECT 1 FROM sync_applying)
        BEGIN INSERT INTO sync_dirty VALUES ('item/' || NEW.id, (SELECT ms FROM sync_now))
                ON CONFLICT (entity) DO UPDATE SET at = excluded.at; END;
    CREATE TRIGGER sync_item_removed AFTER DELETE ON items
        WHEN NOT EXISTS (SELECT 1 FROM sync_applying)
        BEGIN INSERT INTO sync_dirty VALUES ('item/' || OLD.id, (SELECT ms FROM sync_now))
                ON CONFLICT (entity) DO UPDATE SET at = excluded.at; END;
    CREATE TRIGGER sync_rendition_added AFTER INSERT ON renditions
        WHEN NOT EXISTS (SELECT 1 FROM sync_applying)
        BEGIN
            INSERT INTO sync_dirty VALUES ('item/' || NEW.item_id, (SELECT ms FROM sync_now))
                ON CONFLICT (entity) DO UPDATE SET at = excluded.at;
            DELETE FROM rendition_objects WHERE item_id = NEW.item_id AND kind = NEW.kind;
        END;
    CREATE TRIGGER sync_rendition_changed AFTER UPDATE ON renditions
        WHEN NOT EXISTS (SELECT 1 FROM sync_applying)
        BEGIN
            INSERT INTO sync_dirty VALUES ('item/' || NEW.item_id, (SELECT ms FROM sync_now))
                ON CONFLICT (entity) DO UPDATE SET at = excluded.at;
            DELETE FROM rendition_objects WHERE item_id = NEW.item_id AND kind = NEW.kind;
        END;
    CREATE TRIGGER sync_rendition_removed AFTER DELETE ON renditions
        WHEN NOT EXISTS (SELECT 1 FROM sync_applying)
        BEGIN
            INSERT INTO sync_dirty VALUES ('item/' || OLD.item_id, (SELECT ms FROM sync_now))
                ON CONFLICT (entity) DO UPDATE SET at = excluded.at;
            DELETE FROM rendition_objects WHERE item_id = OLD.item_id AND kind = OLD.kind;
        END;
    CREATE TRIGGER sync_override_added AFTER INSERT ON item_overrides
        WHEN NOT EXISTS (SELECT 1 FROM sync_applying)
        BEGIN INSERT INTO sync_dirty VALUES ('item/' || NEW.item_id, (SELECT ms FROM sync_now))
                ON CONFLICT (entity) DO UPDATE SET at = excluded.at; END;
    CREATE TRIGGER sync_override_changed AFTER UPDATE ON item_overrides
        WHEN NOT EXISTS (SELECT 1 FROM sync_applying)
        BEGIN INSERT INTO sync_dirty VALUES ('item/' || NEW.item_id, (SELECT ms FROM sync_now))
                ON CONFLICT (entity) DO UPDATE SET at = excluded.at; END;
    CREATE TRIGGER sync_override_removed AFTER DELETE ON item_overrides
        WHEN NOT EXISTS (SELECT 1 FROM sync_applying)
        BEGIN INSERT INTO sync_dirty VALUES ('item/' || OLD.item_id, (SELECT ms FROM sync_now))
                ON CONFLICT (entity) DO UPDATE SET at = excluded.at; END;
    CREATE TRIGGER sync_album_added AFTER INSERT ON albums
        WHEN NOT EXISTS (SELECT 1 FROM sync_applying)
        BEGIN INSERT INTO sync_dirty VALUES ('albums', (SELECT ms FROM sync_now))
                ON CONFLICT (entity) DO UPDATE SET at = excluded.at; END;
    CREATE TRIGGER sync_album_changed AFTER UPDATE ON albums
        WHEN NOT EXISTS (SELECT 1 FROM sync_applying)
        BEGIN INSERT INTO sync_dirty VALUES ('albums', (SELECT ms FROM sync_now))
                ON CONFLICT (entity) DO UPDATE SET at = excluded.at; END;
    CREATE TRIGGER sync_album_removed AFTER DELETE ON albums
        WHEN NOT EXISTS (SELECT 1 FROM sync_applying)
        BEGIN INSERT INTO sync_dirty VALUES ('albums', (SELECT ms FROM sync_now))
                ON CONFLICT (entity) DO UPDATE SET at = excluded.at; END;
    CREATE TRIGGER sync_member_added AFTER INSERT ON album_items
        WHEN NOT EXISTS (SELECT 1 FROM sync_applying)
        BEGIN INSERT INTO sync_dirty VALUES ('albums', (SELECT ms FROM sync_now))
                ON CONFLICT (entity) DO UPDATE SET at = excluded.at; END;
    CREATE TRIGGER sync_member_removed AFTER DELETE ON album_items
        WHEN NOT EXISTS (SELECT 1 FROM sync_applying)
        BEGIN INSERT INTO sync_dirty VALUES ('albums', (SELECT ms FROM sync_now))
                ON CONFLICT (entity) DO UPDATE SET at = excluded.at; END;
    INSERT INTO sync_dirty SELECT 'item/' || id, (SELECT ms FROM sync_now) FROM items;
    INSERT INTO sync_dirty VALUES ('albums', (SELECT ms FROM sync_now));",
    // 17: what `prune` may delete from each remote: objects this catalog referenced and
    // no longer does, with the time they went (docs/FORMAT.md). Triggers, so that every
    // way a reference goes is counted; a REPLACE deletes without firing them, so code
    // replacing a rendition's object deletes the old row first. Proxies are not in the
    // change log, so another device may still use one this device replaced: only the
    // proxy of a purged item is garbage.
    "CREATE TABLE sync_garbage (
        remote TEXT NOT NULL REFERENCES remotes(name) ON DELETE CASCADE,
        path TEXT NOT NULL,
        since INTEGER NOT NULL,               -- ms since 1970
        size INTEGER NOT NULL,                -- plaintext bytes where known, else 0
        PRIMARY KEY (remote, path)
    ) STRICT;
    CREATE TRIGGER garbage_original AFTER DELETE ON items
        BEGIN
            INSERT INTO sync_garbage
                SELECT name, 'objects/' || substr(OLD.id, 1, 2) || '/' || OLD.id,
                    (SELECT ms FROM sync_now), OLD.size FROM remotes WHERE true
                ON CONFLICT (remote, path) DO UPDATE SET since = excluded.since;
            DELETE FROM rendition_objects WHERE item_id = OLD.id;
        END;
    CREATE TRIGGER garbage_rendition AFTER DELETE ON rendition_objects
        BEGIN
            INSERT INTO sync_garbage
                SELECT name, 'renditions/' || substr(OLD.object_id, 1, 2) || '/' || OLD.object_id,
                    (SELECT ms FROM sync_now),
                    coalesce((SELECT length(jpeg) FROM renditions
                              WHERE item_id = OLD.item_id AND kind = OLD.kind), 0)
                FROM remotes WHERE true
                ON CONFLICT (remote, path) DO UPDATE SET since = excluded.since;
        END;
    CREATE TRIGGER garbage_proxy AFTER DELETE ON proxies
        WHEN NOT EXISTS (SELECT 1 FROM items WHERE id = OLD.item_id)
        BEGIN
            INSERT INTO sync_garbage
                SELECT name, 'proxies/' || substr(OLD.object_id, 1, 2) || '/' || OLD.object_id,
                    (SELECT ms FROM sync_now), OLD.size FROM remotes WHERE true
                ON CONFLICT (remote, path) DO UPDATE SET since = excluded.since;
        END;",
    // 18: originals on demand (docs/FORMAT.md): a row in the policy makes this device keep
    // originals on remotes and fetch them when needed, keeping fetched ones up to a limit.
    "CREATE TABLE originals_policy (
        one INTEGER PRIMARY KEY CHECK (one = 1),
        cache_limit INTEGER NOT NULL          -- bytes of fetched originals kept here
    ) STRICT;
    CREATE TABLE originals_cached (
        item_id TEXT PRIMARY KEY NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        used INTEGER NOT NULL                 -- ms since 1970
    ) STRICT;",
    // 19: the header file this device and each remote last agreed on: what tells a
    // change made elsewhere from one made here (docs/FORMAT.md section 3.10).
    "CREATE TABLE sync_header_base (
        remote TEXT PRIMARY KEY NOT NULL REFERENCES remotes(name) ON DELETE CASCADE,
        header TEXT NOT NULL
    ) STRICT;",
];

mod changes;
mod facets;
mod garbage;
mod library;
mod merge;
mod on_demand;
mod overrides;
mod proxies;
mod search_index;
mod stacks;
#[cfg(feature = "bench")]
mod synthetic;
pub(crate) use facets::Facets;
pub use facets::Usage;
pub use library::{ALBUM_NAME_MAX, Album, LibraryFilter, Sighting, TimelineEntry};
pub(crate) use merge::{HeldSegment, WantedOriginal, WantedRendition};
pub use overrides::{EDITED, Fix};
pub use proxies::Proxy;
pub use stacks::FoundStack;

/// A remote the vault syncs to. The secret lives only here, inside the encrypted catalog.
#[derive(Clone)]
pub struct RemoteConfig {
    pub name: String,
    pub url: String,
    pub user: Option<String>,
    pub secret: Option<String>,
}

impl std::fmt::Debug for RemoteConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteConfig")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("user", &self.user)
            .field("secret", &self.secret.as_ref().map(|_| "redacted"))
            .finish()
    }
}

/// The columns `read_item` expects, in order.
const ITEM_COLUMNS: &str = "id, name, source_path, size, content_hash, media_type, kind,
    taken_at, date_source, file_modified_at, imported_at, note, camera_make, camera_model,
    lens, exposure_time, f_number, iso, focal_length_mm, latitude, longitude, altitude,
    orientation, width, height, duration_ms, render_error, pipeline_version, video_codec,
    audio_codec, dhash, place_city, place_region, place_country_code, caption, rotation,
    stack_of, stack_kind, motion_length, content_id";

#[derive(Debug, Clone)]
pub struct Item {
    pub id: ObjectId,
    pub name: String,
    pub source_path: String,
    pub size: u64,
    pub content_hash: [u8; 32],
    pub media_type: String,
    pub kind: MediaKind,
    pub file_modified_at: Option<String>,
    pub imported_at: String,
    /// Metadata that could not be read, if any.
    pub note: Option<String>,
    pub media: MediaInfo,
    /// Why there is no thumbnail, if there is none.
    pub render_error: Option<String>,
    pub pipeline_version: u32,
    /// The user's caption (schema 12), if any.
    pub caption: Option<String>,
    /// Degrees the user turned the picture clockwise: 0, 90, 180 or 270.
    pub rotation: u16,
    /// The stack it is in (schema 13): its main item and its kind.
    pub stack: Option<(ObjectId, String)>,
}

/// An item as verify sees it: which object, and what its plaintext must be.
pub struct ObjectRef {
    pub id: ObjectId,
    pub size: u64,
    pub content_hash: [u8; 32],
}

/// A stored thumbnail or preview.
pub struct StoredRendition {
    pub width: u32,
    pub height: u32,
    pub jpeg: Vec<u8>,
}

/// Sizes and content hashes of what the vault holds.
#[derive(Default)]
pub struct DedupIndex {
    sizes: std::collections::HashSet<u64>,
    hashes: std::collections::HashMap<[u8; 32], ObjectId>,
}

impl DedupIndex {
    pub fn add(&mut self, size: u64, hash: [u8; 32], id: ObjectId) {
        self.sizes.insert(size);
        self.hashes.insert(hash, id);
    }

    /// Whether a file of this size could be a duplicate (worth hashing before encrypting).
    pub fn has_size(&self, size: u64) -> bool {
        self.sizes.contains(&size)
    }

    pub fn find(&self, hash: &[u8; 32]) -> Option<ObjectId> {
        self.hashes.get(hash).copied()
    }
}

pub struct Catalog {
    conn: Connection,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Opening {
    /// There must be no file yet.
    New,
    /// The file must exist and hold a catalog.
    Existing,
}

fn empty_catalog(path: &Path, len: u64) -> VaultError {
    VaultError::CatalogDamaged(format!(
        "{} is empty ({len} bytes): it lists nothing, not even its own tables",
        path.display()
    ))
}

impl Catalog {
    /// Opens an existing catalog. One that holds no schema (a 0-byte file left by a failed
    /// copy or a full disk) is refused as damaged, never set up afresh: an empty catalog
    /// would make every stored photo look unlisted.
    pub fn open(path: &Path, key: &Zeroizing<[u8; 32]>) -> Result<Self, VaultError> {
        Self::open_with(path, key, MIGRATIONS, Opening::Existing)
    }

    /// Creates a new, empty catalog where there is none.
    pub fn create(path: &Path, key: &Zeroizing<[u8; 32]>) -> Result<Self, VaultError> {
        Self::open_with(path, key, MIGRATIONS, Opening::New)
    }

    fn open_with(
        path: &Path,
        key: &Zeroizing<[u8; 32]>,
        migrations: &[&str],
        opening: Opening,
    ) -> Result<Self, VaultError> {
        let exists = path.exists();
        match opening {
            Opening::New if exists => {
                return Err(VaultError::io(
                    format!("creating {}", path.display()),
                    std::io::ErrorKind::AlreadyExists.into(),
                ));
            }
            Opening::Existing if !exists => {
                return Err(VaultError::CatalogDamaged(format!(
                    "{} is missing",
                    path.display()
                )));
            }
            // Refused before SQLite sees it: keying a 0-byte file is SQLCipher's set-up of
            // a new database, and has failed on CI with a key error instead.
            Opening::Existing if std::fs::metadata(path).is_ok_and(|m| m.len() == 0) => {
                return Err(empty_catalog(path, 0));
            }
            _ => {}
        }
        initialize_sqlcipher();
        let conn = Connection::open(path)?;
        // A wrong key shows at the first read; keep SQLCipher from logging it to stderr.
        conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
        let key_hex = Zeroizing::new(hex::encode(key.as_slice()));
        let key_sql = Zeroizing::new(format!("PRAGMA key = \"x'{}'\";", key_hex.as_str()));
        conn.execute_batch(&key_sql)?;
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })
        .map_err(|e| {
            VaultError::CatalogDamaged(format!(
                "{e} (the catalog is damaged or belongs to another vault)"
            ))
        })?;
        // Before anything below writes to it (WAL mode writes the first page).
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if opening == Opening::Existing && version == 0 {
            return Err(empty_catalog(
                path,
                std::fs::metadata(path).map_or(0, |m| m.len()),
            ));
        }
        // FULL: an import reported done survives power loss, even if the source is then
        // deleted. temp_store MEMORY: SQLite never spills plaintext into temp files.
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA foreign_keys = ON;
             PRAGMA temp_store = MEMORY;
             PRAGMA busy_timeout = 5000;",
        )?;
        let mut catalog = Self { conn };
        catalog.migrate(migrations)?;
        if migrations.len() == MIGRATIONS.len() {
            catalog.index_unindexed()?;
        }
        Ok(catalog)
    }

    fn migrate(&mut self, migrations: &[&str]) -> Result<(), VaultError> {
        let current =
            self.conn
                .query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))? as usize;
        if current > MIGRATIONS.len() {
            return Err(VaultError::UnsupportedFormat(current as u32));
        }
        for (index, sql) in migrations.iter().enumerate().skip(current) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (index + 1) as i64)?;
            tx.commit()?;
        }
        Ok(())
    }

    pub fn schema_version(&self) -> Result<usize, VaultError> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))? as usize)
    }

    /// `PRAGMA quick_check`: structural damage SQLCipher's page MACs did not already stop.
    pub fn check(&self) -> Result<Option<String>, VaultError> {
        let result: String = self
            .conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .map_err(|e| VaultError::CatalogDamaged(e.to_string()))?;
        Ok((result != "ok").then_some(result))
    }

    /// Every stored size and content hash: what import needs to spot duplicates without
    /// asking the catalog from several threads.
    pub fn dedup_index(&self) -> Result<DedupIndex, VaultError> {
        let mut index = DedupIndex::default();
        let mut stmt = self
            .conn
            .prepare("SELECT id, size, content_hash FROM items")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let id = parse_id(&row.get::<_, String>(0)?)?;
            let hash: Vec<u8> = row.get(2)?;
            if let Ok(hash) = <[u8; 32]>::try_from(hash) {
                index.add(row.get::<_, i64>(1)? as u64, hash, id);
            }
        }
        Ok(index)
    }

    pub fn find_by_hash(&self, hash: &[u8; 32]) -> Result<Option<ObjectId>, VaultError> {
        let id: Option<String> = self
            .conn
            .query_row(
                "SELECT id FROM items WHERE content_hash = ?1",
                [&hash[..]],
                |r| r.get(0),
            )
            .optional()?;
        id.map(|id| parse_id(&id)).transpose()
    }

    /// Adds an item and its renditions in one transaction.
    pub fn insert(&mut self, item: &Item, renditions: &[Rendition]) -> Result<(), VaultError> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO items (id, name, source_path, size, content_hash, media_type, kind,
                file_modified_at, imported_at, note)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                item.id.to_string(),
                item.name,
                item.source_path,
                item.size as i64,
                &item.content_hash[..],
                item.media_type,
                item.kind.as_str(),
                item.file_modified_at,
                item.imported_at,
                item.note,
            ],
        )?;
        write_media(
            &tx,
            &item.id,
            &item.media,
            item.render_error.as_deref(),
            renditions,
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Replaces what the media pipeline made for an item (after a pipeline upgrade).
    pub fn replace_media(&mut self, id: &ObjectId, redrawn: &Redrawn) -> Result<(), VaultError> {
        let tx = self.conn.transaction()?;
        replace_media_in(&tx, id, redrawn)?;
        tx.commit()?;
        Ok(())
    }

    pub fn rendition(
        &self,
        id: &ObjectId,
        kind: RenditionKind,
    ) -> Result<Option<StoredRendition>, VaultError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT width, height, jpeg FROM renditions WHERE item_id = ?1 AND kind = ?2",
            )?
            .query_row(params![id.to_string(), kind.as_str()], |r| {
                Ok(StoredRendition {
                    width: r.get(0)?,
                    height: r.get(1)?,
                    jpeg: r.get(2)?,
                })
            })
            .optional()?)
    }

    /// Every item, oldest first (undated items last, by name).
    /// Items out of the trash taken on the days `from` to `to` (inclusive, YYYY-MM-DD),
    /// newest first, a stack as its main item. Through the date index: every time on day D
    /// sorts between "D" and "DT9".
    pub fn items_taken_between(&self, from: &str, to: &str) -> Result<Vec<Item>, VaultError> {
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM items WHERE taken_at >= ?1 AND taken_at <= ?2 \
             AND trashed_at IS NULL AND (stack_of IS NULL OR stack_of = id) \
             ORDER BY taken_at DESC, name DESC, id DESC"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([from.to_string(), format!("{to}T9")], read_item)?;
        let mut items = Vec::new();
        for row in rows {
            items.push(row??);
        }
        Ok(items)
    }

    /// The earliest date any item was taken (its first ten characters, YYYY-MM-DD).
    pub fn first_taken(&self) -> Result<Option<String>, VaultError> {
        Ok(self.conn.query_row(
            "SELECT substr(min(taken_at), 1, 10) FROM items WHERE taken_at IS NOT NULL",
            [],
            |r| r.get(0),
        )?)
    }

    pub fn items(&self) -> Result<Vec<Item>, VaultError> {
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM items ORDER BY taken_at IS NULL, taken_at, name, id"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([], read_item)?;
        let mut items = Vec::new();
        for row in rows {
            items.push(row??);
        }
        Ok(items)
    }

    /// What checking an object needs of every item, in id order.
    pub fn object_refs(&self) -> Result<Vec<ObjectRef>, VaultError> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, size, content_hash FROM items ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, Vec<u8>>(2)?,
            ))
        })?;
        let mut refs = Vec::new();
        for row in rows {
            let (id, size, hash) = row?;
            refs.push(ObjectRef {
                id: parse_id(&id)?,
                size: size as u64,
                content_hash: hash.try_into().map_err(|_| {
                    VaultError::CatalogDamaged(format!("invalid content hash for {id}"))
                })?,
            });
        }
        Ok(refs)
    }

    pub fn item(&self, id: &ObjectId) -> Result<Option<Item>, VaultError> {
        let sql = format!("SELECT {ITEM_COLUMNS} FROM items WHERE id = ?1");
        self.conn
            .query_row(&sql, [id.to_string()], read_item)
            .optional()?
            .transpose()
    }

    pub fn add_remote(&mut self, remote: &RemoteConfig) -> Result<(), VaultError> {
        self.conn.execute(
            "INSERT INTO remotes (name, url, user, secret) VALUES (?1, ?2, ?3, ?4)",
            params![remote.name, remote.url, remote.user, remote.secret],
        )?;
        Ok(())
    }

    /// Adds the remote, or points an existing one of that name at a new URL and
    /// credentials (keeping what it is known to hold).
    pub fn upsert_remote(&mut self, remote: &RemoteConfig) -> Result<(), VaultError> {
        self.conn.execute(
            "INSERT INTO remotes (name, url, user, secret) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(name) DO UPDATE SET url = excluded.url, user = excluded.user, secret = excluded.secret",
            params![remote.name, remote.url, remote.user, remote.secret],
        )?;
        Ok(())
    }

    pub fn remove_remote(&mut self, name: &str) -> Result<bool, VaultError> {
        Ok(self
            .conn
            .execute("DELETE FROM remotes WHERE name = ?1", [name])?
            > 0)
    }

    pub fn remotes(&self) -> Result<Vec<RemoteConfig>, VaultError> {
        let mut stmt = self
            .conn
            .prepare("SELECT name, url, user, secret FROM remotes ORDER BY name")?;
        let rows = stmt.query_map([], |r| {
            Ok(RemoteConfig {
                name: r.get(0)?,
                url: r.get(1)?,
                user: r.get(2)?,
                secret: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Objects the remote is known to hold (uploaded and size-checked).
    pub fn confirmed_objects(
        &self,
        remote: &str,
    ) -> Result<std::collections::HashMap<ObjectId, u64>, VaultError> {
        let mut stmt = self
            .conn
            .prepare("SELECT object_id, size FROM remote_objects WHERE remote = ?1")?;
        let mut rows = stmt.query([remote])?;
        let mut confirmed = std::collections::HashMap::new();
        while let Some(row) = rows.next()? {
            confirmed.insert(
                parse_id(&row.get::<_, String>(0)?)?,
                row.get::<_, i64>(1)? as u64,
            );
        }
        Ok(confirmed)
    }

    pub fn confirm_object(
        &mut self,
        remote: &str,
        id: &ObjectId,
        size: u64,
    ) -> Result<(), VaultError> {
        self.conn.execute(
            "INSERT OR REPLACE INTO remote_objects (remote, object_id, size) VALUES (?1, ?2, ?3)",
            params![remote, id.to_string(), size as i64],
        )?;
        Ok(())
    }

    /// A copy of the whole catalog in `dest`, encrypted with the same key (SQLCipher's
    /// `sqlcipher_export`): never plaintext on disk. Only if every item is confirmed on
    /// `remote`, checked in the same read transaction as the copy: an import that lands
    /// meanwhile is in neither or both. Returns whether it was copied.
    pub fn snapshot_to(
        &self,
        dest: &Path,
        key: &Zeroizing<[u8; 32]>,
        remote: &str,
    ) -> Result<bool, VaultError> {
        let key_hex = Zeroizing::new(hex::encode(key.as_slice()));
        let attach = Zeroizing::new(format!(
            "ATTACH DATABASE ?1 AS snapshot KEY \"x'{}'\"",
            key_hex.as_str()
        ));
        self.conn.execute(&attach, [dest.to_string_lossy()])?;
        let exported = (|| {
            self.conn.execute_batch("BEGIN")?;
            let copied = (|| {
                if self.pending_on(remote)? > 0 {
                    return Ok(false);
                }
                self.conn
                    .query_row("SELECT sqlcipher_export('snapshot')", [], |_| Ok(()))?;
                let version = self.schema_version()?;
                self.conn
                    .execute_batch(&format!("PRAGMA snapshot.user_version = {version};"))?;
                Ok::<_, VaultError>(true)
            })();
            let ended = self.conn.execute_batch(if matches!(copied, Ok(true)) {
                "COMMIT"
            } else {
                "ROLLBACK"
            });
            let copied = copied?;
            ended?;
            Ok::<_, VaultError>(copied)
        })();
        let detached = self.conn.execute_batch("DETACH DATABASE snapshot");
        let copied = exported?;
        detached?;
        Ok(copied)
    }

    pub fn device_used(&mut self, device_id: &str, at: &str) -> Result<(), VaultError> {
        self.conn.execute(
            "INSERT OR REPLACE INTO device_use (device_id, last_used) VALUES (?1, ?2)",
            params![device_id, at],
        )?;
        Ok(())
    }

    pub fn device_last_used(&self, device_id: &str) -> Result<Option<String>, VaultError> {
        Ok(self
            .conn
            .query_row(
                "SELECT last_used FROM device_use WHERE device_id = ?1",
                [device_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Names a device; a device already named keeps its name (upgrading a version 1
    /// header twice after a crash changes nothing).
    pub fn name_device(&mut self, id: &str, name: &str, created: &str) -> Result<(), VaultError> {
        self.conn.execute(
            "INSERT OR IGNORE INTO devices (device_id, name, created) VALUES (?1, ?2, ?3)",
            params![id, name, created],
        )?;
        Ok(())
    }

    /// A device's name and when it was remembered.
    pub fn device_name(&self, id: &str) -> Result<Option<(String, String)>, VaultError> {
        Ok(self
            .conn
            .query_row(
                "SELECT name, created FROM devices WHERE device_id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// Forgets the names of the given devices (None: of every device).
    pub fn forget_device(&mut self, id: Option<&str>) -> Result<(), VaultError> {
        match id {
            Some(id) => self
                .conn
                .execute("DELETE FROM devices WHERE device_id = ?1", [id])?,
            None => self.conn.execute("DELETE FROM devices", [])?,
        };
        Ok(())
    }

    pub fn totals(&self) -> Result<(u64, u64), VaultError> {
        Ok(self.conn.query_row(
            "SELECT count(*), coalesce(sum(size), 0) FROM items",
            [],
            |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)),
        )?)
    }
}

impl Catalog {
    /// Keeps an item's perceptual hash (made from its stored thumbnail).
    pub fn set_dhash(&mut self, id: &ObjectId, hash: &[u8]) -> Result<(), VaultError> {
        self.conn.execute(
            "UPDATE items SET dhash = ?2 WHERE id = ?1",
            params![id.to_string(), hash],
        )?;
        Ok(())
    }
}

/// What the media pipeline made of an original, drawn again (`rethumb`, a turn).
#[derive(Debug, Default)]
pub struct Redrawn {
    pub info: MediaInfo,
    pub note: Option<String>,
    pub render_error: Option<String>,
    pub renditions: Vec<Rendition>,
}

fn replace_media_in(tx: &Transaction, id: &ObjectId, redrawn: &Redrawn) -> Result<(), VaultError> {
    tx.execute(
        "UPDATE items SET note = ?2 WHERE id = ?1",
        params![id.to_string(), redrawn.note],
    )?;
    tx.execute(
        "DELETE FROM renditions WHERE item_id = ?1",
        [id.to_string()],
    )?;
    write_media(
        tx,
        id,
        &redrawn.info,
        redrawn.render_error.as_deref(),
        &redrawn.renditions,
    )
}

fn write_media(
    tx: &Transaction,
    id: &ObjectId,
    m: &MediaInfo,
    render_error: Option<&str>,
    renditions: &[Rendition],
) -> Result<(), VaultError> {
    tx.execute(
        "UPDATE items SET taken_at = ?2, date_source = ?3, camera_make = ?4, camera_model = ?5,
            lens = ?6, exposure_time = ?7, f_number = ?8, iso = ?9, focal_length_mm = ?10,
            latitude = ?11, longitude = ?12, altitude = ?13, orientation = ?14, width = ?15,
            height = ?16, duration_ms = ?17, render_error = ?18, pipeline_version = ?19,
            video_codec = ?20, audio_codec = ?21, dhash = ?22, place_city = ?23,
            place_region = ?24, place_country_code = ?25, motion_length = ?26,
            content_id = ?27
         WHERE id = ?1",
        params![
            id.to_string(),
            m.taken_at,
            m.date_source,
            m.camera_make,
            m.camera_model,
            m.lens,
            m.exposure_time,
            m.f_number,
            m.iso,
            m.focal_length_mm,
            m.latitude,
            m.longitude,
            m.altitude,
            m.orientation,
            m.width,
            m.height,
            m.duration_ms.map(|d| d as i64),
            render_error,
            crate::media::PIPELINE_VERSION,
            m.video_codec,
            m.audio_codec,
            m.dhash.as_ref().map(|h| &h[..]),
            m.place.as_ref().map(|p| &p.city),
            m.place.as_ref().and_then(|p| p.region.as_ref()),
            m.place.as_ref().map(|p| &p.country_code),
            m.motion_length.map(|n| n as i64),
            m.content_id,
        ],
    )?;
    for r in renditions {
        tx.execute(
            "INSERT INTO renditions (item_id, kind, width, height, jpeg) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id.to_string(), r.kind.as_str(), r.width, r.height, r.jpeg],
        )?;
    }
    overrides::reapply(tx, &id.to_string())?;
    search_index::index(tx, &id.to_string())
}

/// One row of `ITEM_COLUMNS`. The outer error is SQLite's, the inner one a row that
/// cannot be valid (damage).
fn read_item(r: &Row) -> rusqlite::Result<Result<Item, VaultError>> {
    let id: String = r.get(0)?;
    let hash: Vec<u8> = r.get(4)?;
    let kind: String = r.get(6)?;
    let item = Item {
        id: ObjectId([0; 16]),
        name: r.get(1)?,
        source_path: r.get(2)?,
        size: r.get::<_, i64>(3)? as u64,
        content_hash: [0; 32],
        media_type: r.get(5)?,
        kind: MediaKind::Photo,
        file_modified_at: r.get(9)?,
        imported_at: r.get(10)?,
        note: r.get(11)?,
        media: MediaInfo {
            taken_at: r.get(7)?,
            date_source: r.get(8)?,
            camera_make: r.get(12)?,
            camera_model: r.get(13)?,
            lens: r.get(14)?,
            exposure_time: r.get(15)?,
            f_number: r.get(16)?,
            iso: r.get(17)?,
            focal_length_mm: r.get(18)?,
            latitude: r.get(19)?,
            longitude: r.get(20)?,
            altitude: r.get(21)?,
            orientation: r.get(22)?,
            width: r.get(23)?,
            height: r.get(24)?,
            duration_ms: r.get::<_, Option<i64>>(25)?.map(|d| d as u64),
            video_codec: r.get(28)?,
            audio_codec: r.get(29)?,
            motion_length: r.get::<_, Option<i64>>(38)?.map(|n| n as u64),
            content_id: r.get(39)?,
            dhash: r
                .get::<_, Option<Vec<u8>>>(30)?
                .and_then(|h| h.try_into().ok()),
            place: match (r.get::<_, Option<String>>(31)?, r.get(33)?) {
                (Some(city), Some(code)) => {
                    Some(crate::places::Place::from_parts(city, r.get(32)?, code))
                }
                _ => None,
            },
        },
        render_error: r.get(26)?,
        pipeline_version: r.get(27)?,
        caption: r.get(34)?,
        rotation: r.get(35)?,
        stack: None,
    };
    let stack: (Option<String>, Option<String>) = (r.get(36)?, r.get(37)?);
    Ok((|| {
        let mut item = item;
        item.id = parse_id(&id)?;
        item.content_hash = hash
            .try_into()
            .map_err(|_| VaultError::CatalogDamaged(format!("invalid content hash for {id}")))?;
        item.kind = MediaKind::parse(&kind)
            .ok_or_else(|| VaultError::CatalogDamaged(format!("unknown kind {kind:?} for {id}")))?;
        if let (Some(main), Some(kind)) = stack {
            item.stack = Some((parse_id(&main)?, kind));
        }
        Ok(item)
    })())
}

/// Finishes SQLCipher's one-time set-up before any catalog opens. SQLCipher 4.20 marks
/// itself ready and only then registers `sqlcipher_export` for new connections, so a
/// connection opened by a second thread in between lacked it, and every snapshot of that
/// catalog failed ("no such function: sqlcipher_export"; seen when tests opened vaults
/// in parallel). The first open happens here, alone.
fn initialize_sqlcipher() {
    static READY: std::sync::Once = std::sync::Once::new();
    READY.call_once(|| {
        let _ = Connection::open_in_memory();
    });
}

fn parse_id(id: &str) -> Result<ObjectId, VaultError> {
    id.parse()
        .map_err(|_| VaultError::CatalogDamaged(format!("invalid object id {id:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> Zeroizing<[u8; 32]> {
        Zeroizing::new([byte; 32])
    }

    #[test]
    fn migrations_run_once_to_the_latest_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let catalog = Catalog::create(&path, &key(1)).unwrap();
        assert_eq!(catalog.schema_version().unwrap(), MIGRATIONS.len());
        drop(catalog);
        // Re-opening must not re-run a migration (CREATE TABLE would fail).
        let catalog = Catalog::open(&path, &key(1)).unwrap();
        assert_eq!(catalog.schema_version().unwrap(), MIGRATIONS.len());
        assert_eq!(catalog.totals().unwrap(), (0, 0));
    }

    #[test]
    fn upgrading_a_version_1_catalog_keeps_its_items() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let old = Catalog::open_with(&path, &key(1), &MIGRATIONS[..1], Opening::New).unwrap();
        old.conn
            .execute(
                "INSERT INTO items (id, name, source_path, size, content_hash, media_type, kind,
                    taken_at, imported_at) VALUES (?1, 'a.jpg', '/in/a.jpg', 3, ?2, 'image/jpeg',
                    'photo', '2001-02-03T04:05:06', '2026-01-01T00:00:00Z')",
                params!["00".repeat(16), vec![7u8; 32]],
            )
            .unwrap();
        assert_eq!(old.schema_version().unwrap(), 1);
        drop(old);
        let upgraded = Catalog::open(&path, &key(1)).unwrap();
        assert_eq!(upgraded.schema_version().unwrap(), MIGRATIONS.len());
        let items = upgraded.items().unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(
            items[0].media.taken_at.as_deref(),
            Some("2001-02-03T04:05:06")
        );
        assert_eq!(
            (items[0].pipeline_version, items[0].media.width),
            (0, None),
            "rethumb will fill it in"
        );
        let searched = upgraded
            .timeline(&LibraryFilter {
                text: Some("february 2001".into()),
                ..LibraryFilter::default()
            })
            .unwrap();
        assert_eq!(searched.len(), 1, "indexed for search as it opened");
        let months = upgraded.facets().unwrap().months;
        assert_eq!(
            months,
            [("2001-02".to_string(), 1)],
            "counted for suggestions"
        );
    }

    #[test]
    fn a_catalog_from_a_newer_keepsake_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let catalog = Catalog::create(&path, &key(1)).unwrap();
        catalog
            .conn
            .pragma_update(None, "user_version", 99)
            .unwrap();
        drop(catalog);
        assert!(matches!(
            Catalog::open(&path, &key(1)),
            Err(VaultError::UnsupportedFormat(99))
        ));
    }

    #[test]
    fn the_file_is_unreadable_without_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        drop(Catalog::create(&path, &key(1)).unwrap());
        assert!(matches!(
            Catalog::open(&path, &key(2)),
            Err(VaultError::CatalogDamaged(_))
        ));
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            !bytes.windows(6).any(|w| w == b"SQLite"),
            "plaintext SQLite header"
        );
        assert!(!bytes.windows(5).any(|w| w == b"items"), "plaintext schema");
    }

    #[test]
    fn an_empty_or_missing_catalog_is_refused_never_set_up_afresh() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        assert!(matches!(
            Catalog::open(&path, &key(1)),
            Err(VaultError::CatalogDamaged(_))
        ));
        assert!(!path.exists(), "opening created a catalog");
        std::fs::write(&path, b"").unwrap();
        let refused = Catalog::open(&path, &key(1));
        assert!(
            matches!(&refused, Err(VaultError::CatalogDamaged(why)) if why.contains("empty")),
            "{:?}",
            refused.err()
        );
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0, "it was written");
        assert!(
            Catalog::create(&path, &key(1)).is_err(),
            "create replaced a file"
        );

        // A keyed file whose pages hold no schema (schema version 0) is just as empty.
        let schemaless = dir.path().join("schemaless.db");
        let conn = Connection::open(&schemaless).unwrap();
        let hex = hex::encode(key(1).as_slice());
        conn.execute_batch(&format!(
            "PRAGMA key = \"x'{hex}'\"; CREATE TABLE t(x); DROP TABLE t;"
        ))
        .unwrap();
        drop(conn);
        let len = std::fs::metadata(&schemaless).unwrap().len();
        assert!(len > 0);
        let refused = Catalog::open(&schemaless, &key(1));
        assert!(
            matches!(&refused, Err(VaultError::CatalogDamaged(why)) if why.contains("empty")),
            "{:?}",
            refused.err()
        );
    }
}

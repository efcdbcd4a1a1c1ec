//! The catalog: SQLite encrypted by SQLCipher under a vault-key subkey. File names, dates
//! and (later) EXIF, GPS, albums and thumbnails live only here. One writer connection,
//! WAL, and versioned migrations.

use crate::VaultError;
use crate::sniff::MediaKind;
use keepsake_crypto::ObjectId;
use rusqlite::{Connection, OptionalExtension, params};
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
];

#[derive(Debug, Clone)]
pub struct Item {
    pub id: ObjectId,
    pub name: String,
    pub source_path: String,
    pub size: u64,
    pub content_hash: [u8; 32],
    pub media_type: String,
    pub kind: MediaKind,
    pub taken_at: Option<String>,
    pub date_source: Option<String>,
    pub file_modified_at: Option<String>,
    pub imported_at: String,
    pub note: Option<String>,
}

pub struct Catalog {
    conn: Connection,
}

impl Catalog {
    pub fn open(path: &Path, key: &Zeroizing<[u8; 32]>) -> Result<Self, VaultError> {
        let conn = Connection::open(path)?;
        // A wrong key shows at the first read; keep SQLCipher from logging it to stderr.
        conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
        let key_sql = Zeroizing::new(format!(
            "PRAGMA key = \"x'{}'\";",
            hex::encode(key.as_slice())
        ));
        conn.execute_batch(&key_sql)?;
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })
        .map_err(|e| {
            VaultError::CatalogDamaged(format!(
                "{e} (the catalog is damaged or belongs to another vault)"
            ))
        })?;
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
        catalog.migrate()?;
        Ok(catalog)
    }

    fn migrate(&mut self) -> Result<(), VaultError> {
        let current =
            self.conn
                .query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))? as usize;
        if current > MIGRATIONS.len() {
            return Err(VaultError::UnsupportedFormat(current as u32));
        }
        for (index, sql) in MIGRATIONS.iter().enumerate().skip(current) {
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

    pub fn has_size(&self, size: u64) -> Result<bool, VaultError> {
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM items WHERE size = ?1 LIMIT 1",
                [size as i64],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
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

    pub fn insert(&mut self, item: &Item) -> Result<(), VaultError> {
        self.conn.execute(
            "INSERT INTO items (id, name, source_path, size, content_hash, media_type, kind,
                taken_at, date_source, file_modified_at, imported_at, note)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                item.id.to_string(),
                item.name,
                item.source_path,
                item.size as i64,
                &item.content_hash[..],
                item.media_type,
                item.kind.as_str(),
                item.taken_at,
                item.date_source,
                item.file_modified_at,
                item.imported_at,
                item.note,
            ],
        )?;
        Ok(())
    }

    /// Every item, oldest first (undated items last, by name).
    pub fn items(&self) -> Result<Vec<Item>, VaultError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, name, source_path, size, content_hash, media_type, kind, taken_at,
                    date_source, file_modified_at, imported_at, note
             FROM items ORDER BY taken_at IS NULL, taken_at, name, id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Vec<u8>>(4)?,
                Item {
                    id: ObjectId([0; 16]),
                    name: r.get(1)?,
                    source_path: r.get(2)?,
                    size: r.get::<_, i64>(3)? as u64,
                    content_hash: [0; 32],
                    media_type: r.get(5)?,
                    kind: MediaKind::parse(&r.get::<_, String>(6)?).unwrap_or(MediaKind::Photo),
                    taken_at: r.get(7)?,
                    date_source: r.get(8)?,
                    file_modified_at: r.get(9)?,
                    imported_at: r.get(10)?,
                    note: r.get(11)?,
                },
            ))
        })?;
        let mut items = Vec::new();
        for row in rows {
            let (id, hash, mut item) = row?;
            item.id = parse_id(&id)?;
            item.content_hash = hash.try_into().map_err(|_| {
                VaultError::CatalogDamaged(format!("invalid content hash for {id}"))
            })?;
            items.push(item);
        }
        Ok(items)
    }

    pub fn totals(&self) -> Result<(u64, u64), VaultError> {
        Ok(self.conn.query_row(
            "SELECT count(*), coalesce(sum(size), 0) FROM items",
            [],
            |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)),
        )?)
    }
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
        let catalog = Catalog::open(&path, &key(1)).unwrap();
        assert_eq!(catalog.schema_version().unwrap(), MIGRATIONS.len());
        drop(catalog);
        // Re-opening must not re-run a migration (CREATE TABLE would fail).
        let catalog = Catalog::open(&path, &key(1)).unwrap();
        assert_eq!(catalog.schema_version().unwrap(), MIGRATIONS.len());
        assert_eq!(catalog.totals().unwrap(), (0, 0));
    }

    #[test]
    fn a_catalog_from_a_newer_keepsake_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let catalog = Catalog::open(&path, &key(1)).unwrap();
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
        drop(Catalog::open(&path, &key(1)).unwrap());
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
}

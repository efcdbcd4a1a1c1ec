//! How the user organises the library: the timeline and its filters, favourites, the
//! trash and albums. Plain rows in the encrypted catalog, like everything else about a photo.

use super::search_index::{docs_between, index, unindex};
use super::{Catalog, parse_id};
use crate::VaultError;
use crate::map::MapArea;
use crate::places::Place;
use crate::search::SearchQuery;
use crate::sniff::MediaKind;
use keepsake_crypto::ObjectId;
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, params, params_from_iter};
use std::collections::HashMap;

/// Which items a view shows. The default is the whole library outside the trash.
#[derive(Debug, Clone, Default)]
pub struct LibraryFilter {
    /// A search, in the search box's language (`crate::search`).
    pub text: Option<String>,
    pub album: Option<i64>,
    pub favourites: bool,
    pub kind: Option<MediaKind>,
    /// Inclusive dates, `YYYY-MM-DD`, compared with the date taken.
    pub from: Option<String>,
    pub to: Option<String>,
    /// The trash instead of the library.
    pub trash: bool,
    /// Only items with GPS coordinates.
    pub located: bool,
    /// Only items taken in this part of the map.
    pub area: Option<MapArea>,
    /// Only the first so many (a first screenful, fast), in the same order.
    pub limit: Option<usize>,
}

/// What the timeline grid needs of one item: small, because a view may hold 100,000.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineEntry {
    pub id: ObjectId,
    pub name: String,
    pub taken_at: Option<String>,
    pub kind: MediaKind,
    pub duration_ms: Option<u64>,
    pub favourite: bool,
    /// Why there is no thumbnail, when there is none.
    pub no_thumbnail: Option<String>,
    pub trashed_at: Option<String>,
    /// For the main item of a stack (schema 13): its kind and how many items it holds.
    pub stack: Option<(String, u32)>,
}

/// An item with a date and GPS coordinates: where the user was, and when.
#[derive(Debug, Clone, PartialEq)]
pub struct Sighting {
    pub id: ObjectId,
    pub taken_at: String,
    pub latitude: f64,
    pub longitude: f64,
    pub place: Option<Place>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Album {
    pub id: i64,
    pub name: String,
    pub created_at: String,
    pub items: u64,
    /// The newest photo in the album, for its tile.
    pub cover: Option<ObjectId>,
}

impl Catalog {
    /// A browsing connection reads the whole items table for every view: keep its pages
    /// decrypted in memory (SQLite's page cache; the default holds only 2 MiB).
    pub fn for_browsing(self) -> Result<Self, VaultError> {
        self.conn.execute_batch("PRAGMA cache_size = -32768;")?; // KiB: 32 MiB
        Ok(self)
    }

    /// Items matching `filter`, newest first (undated last), as the timeline shows them.
    pub fn timeline(&self, filter: &LibraryFilter) -> Result<Vec<TimelineEntry>, VaultError> {
        let query = match filter.text.as_deref() {
            Some(text) => SearchQuery::parse(text)?,
            None => SearchQuery::default(),
        };
        let kind = match (filter.kind, query.kind) {
            (Some(a), Some(b)) if a != b => return Ok(Vec::new()),
            (a, b) => a.or(b),
        };
        let favourite = match (filter.favourites, query.favourite) {
            (true, Some(false)) => return Ok(Vec::new()),
            (true, _) => Some(true),
            (false, f) => f,
        };
        let from = [filter.from.clone(), query.from.clone()]
            .into_iter()
            .flatten()
            .max();
        let to = [filter.to.clone(), query.to.clone()]
            .into_iter()
            .flatten()
            .min();
        let words = query.full_text();

        let mut sql = String::from(
            "SELECT i.id, i.name, i.taken_at, i.kind, i.duration_ms, i.favourite,
                -- Rendering either stored a grid thumbnail or said why not (render_error);
                -- items from before the media pipeline (version 0) have neither yet.
                CASE WHEN i.render_error IS NOT NULL THEN i.render_error
                     WHEN i.pipeline_version = 0 THEN 'not rendered yet'
                END,
                i.trashed_at,
                CASE WHEN i.stack_of = i.id THEN i.stack_kind END,
                CASE WHEN i.stack_of = i.id
                     THEN (SELECT count(*) FROM items s WHERE s.stack_of = i.id) END ",
        );
        let mut args: Vec<Value> = Vec::new();
        let mut bind = |sql: &mut String, clause: &str, value: Value| {
            args.push(value);
            sql.push_str(&clause.replace('?', &format!("?{}", args.len())));
        };
        if let Some(words) = words.clone() {
            // Driven by the search index, whose rowids run in timeline order: its newest
            // matches come first (see search_index.rs).
            bind(
                &mut sql,
                "FROM search_words s CROSS JOIN items i ON i.search_doc = s.rowid
                 WHERE search_words MATCH ? AND ",
                Value::Text(words),
            );
        } else {
            sql.push_str("FROM items i WHERE ");
        }
        // What the view asks of each item, `{a}` standing for the item's table: said of
        // the item, and of a stack's main item (see below).
        let mut asked: Vec<(String, Vec<Value>)> = Vec::new();
        if let Some(album) = filter.album {
            let clause = "{a}.id IN (SELECT item_id FROM album_items WHERE album_id = ?)";
            asked.push((clause.into(), vec![Value::Integer(album)]));
        }
        if filter.located {
            let clause = "{a}.latitude IS NOT NULL AND {a}.longitude IS NOT NULL";
            asked.push((clause.into(), Vec::new()));
        }
        if let Some(area) = filter.area {
            // Across the antimeridian the area is two bands of longitude.
            let joiner = if area.west <= area.east { "AND" } else { "OR" };
            asked.push((
                format!(
                    "{{a}}.latitude >= ? AND {{a}}.latitude <= ? \
                     AND ({{a}}.longitude >= ? {joiner} {{a}}.longitude <= ?)"
                ),
                vec![
                    Value::Real(area.south),
                    Value::Real(area.north),
                    Value::Real(area.west),
                    Value::Real(area.east),
                ],
            ));
        }
        if let Some(favourite) = favourite {
            let clause = "{a}.favourite = ?";
            asked.push((clause.into(), vec![Value::Integer(favourite.into())]));
        }
        if let Some(kind) = kind {
            asked.push((
                "{a}.kind = ?".into(),
                vec![Value::Text(kind.as_str().into())],
            ));
        }
        let mut ask = |sql: &mut String, alias: &str| {
            for (clause, values) in &asked {
                let clause = clause.replace("{a}", alias);
                let mut pieces = clause.split('?');
                sql.push_str(" AND ");
                sql.push_str(pieces.next().unwrap_or_default());
                for (piece, value) in pieces.zip(values) {
                    bind(sql, "?", value.clone());
                    sql.push_str(piece);
                }
            }
        };
        if filter.trash {
            sql.push_str("i.trashed_at IS NOT NULL");
        } else {
            // `+` keeps SQLite off the trashed_at index (every live row is NULL there), so
            // a first screenful walks the date index and stops early. A stack shows as its
            // main item; one of its other files shows itself where the view asks for it
            // and not for the main item (the RAW among RAWs, the one file put in an album).
            sql.push_str("+i.trashed_at IS NULL AND (i.stack_of IS NULL OR i.stack_of = i.id");
            if !asked.is_empty() {
                // A Live Photo's video is part of the photo, not one of the videos.
                if kind.is_some() {
                    sql.push_str(" OR (i.stack_kind != 'live' AND");
                } else {
                    sql.push_str(" OR (");
                }
                sql.push_str(
                    " NOT EXISTS (SELECT 1 FROM items m WHERE m.id = i.stack_of \
                     AND m.trashed_at IS NULL",
                );
                ask(&mut sql, "m");
                sql.push_str("))");
            }
            sql.push(')');
        }
        ask(&mut sql, "i");
        if words.is_some() {
            if from.is_some() || to.is_some() {
                let (low, high) = docs_between(from.as_deref(), to.as_deref());
                bind(&mut sql, " AND s.rowid >= ?", Value::Integer(low));
                bind(&mut sql, " AND s.rowid <= ?", Value::Integer(high));
            }
            if let Some(limit) = filter.limit {
                bind(
                    &mut sql,
                    " ORDER BY s.rowid DESC LIMIT ?",
                    Value::Integer(limit as i64),
                );
            }
        } else {
            // Ranges on taken_at itself (ISO 8601 sorts as text), so the date index serves
            // them: every time on day D sorts between "D" and "DT9".
            if let Some(from) = from {
                bind(&mut sql, " AND i.taken_at >= ?", Value::Text(from));
            }
            if let Some(to) = to {
                bind(
                    &mut sql,
                    " AND i.taken_at <= ?",
                    Value::Text(format!("{to}T9")),
                );
            }
            if let Some(limit) = filter.limit {
                // The order below, in one direction so that SQLite walks items_taken_at
                // backwards and stops early (NULLs sort last under DESC).
                bind(
                    &mut sql,
                    " ORDER BY i.taken_at DESC, i.name DESC, i.id DESC LIMIT ?",
                    Value::Integer(limit as i64),
                );
            }
        }
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params_from_iter(args), |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(3)?,
                TimelineEntry {
                    id: ObjectId([0; 16]),
                    name: r.get(1)?,
                    taken_at: r.get(2)?,
                    kind: MediaKind::Photo,
                    duration_ms: r.get::<_, Option<i64>>(4)?.map(|d| d as u64),
                    favourite: r.get(5)?,
                    no_thumbnail: r.get(6)?,
                    trashed_at: r.get(7)?,
                    stack: match (r.get::<_, Option<String>>(8)?, r.get::<_, Option<u32>>(9)?) {
                        (Some(kind), Some(size)) => Some((kind, size)),
                        _ => None,
                    },
                },
            ))
        })?;
        let mut entries = Vec::new();
        for row in rows {
            let (id, kind, mut entry) = row?;
            entry.id = parse_id(&id)?;
            entry.kind = MediaKind::parse(&kind).ok_or_else(|| {
                VaultError::CatalogDamaged(format!("unknown kind {kind:?} for {id}"))
            })?;
            entries.push(entry);
        }
        // Sorted here rather than by SQLite, whose sorter copies every row: 5x faster at
        // 100,000 items. Newest first, undated last; a burst shot in one second shows its
        // last frame first, like the rest of the timeline.
        entries.sort_unstable_by(|a, b| {
            (a.taken_at.is_none(), &b.taken_at, &b.name, &b.id.0).cmp(&(
                b.taken_at.is_none(),
                &a.taken_at,
                &a.name,
                &a.id.0,
            ))
        });
        if let Some(limit) = filter.limit {
            entries.truncate(limit);
        }
        Ok(entries)
    }

    /// Where each item outside the trash that has GPS coordinates was taken (a stack
    /// counted once, as its main item, unless only another of its files has a place: as
    /// the timeline the map opens shows them).
    pub fn positions(&self) -> Result<HashMap<ObjectId, (f64, f64)>, VaultError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, latitude, longitude FROM items
             WHERE latitude IS NOT NULL AND longitude IS NOT NULL AND +trashed_at IS NULL
               AND (stack_of IS NULL OR stack_of = id OR NOT EXISTS (SELECT 1 FROM items m
                    WHERE m.id = items.stack_of AND m.trashed_at IS NULL
                      AND m.latitude IS NOT NULL AND m.longitude IS NOT NULL))",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, f64>(1)?,
                r.get::<_, f64>(2)?,
            ))
        })?;
        let mut positions = HashMap::new();
        for row in rows {
            let (id, latitude, longitude) = row?;
            positions.insert(parse_id(&id)?, (latitude, longitude));
        }
        Ok(positions)
    }

    /// Items outside the trash with GPS coordinates taken on the days `from` to `to`
    /// (inclusive, YYYY-MM-DD), oldest first: where the user was, and when; a stack as its
    /// main item (as `positions`). (Through the date index: `+` keeps SQLite off the trashed_at one, where
    /// every live row is NULL.)
    pub fn sightings_between(&self, from: &str, to: &str) -> Result<Vec<Sighting>, VaultError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, taken_at, latitude, longitude, place_city, place_region,
                    place_country_code
             FROM items WHERE taken_at >= ?1 AND taken_at <= ?2
                AND latitude IS NOT NULL AND longitude IS NOT NULL AND +trashed_at IS NULL
                AND (stack_of IS NULL OR stack_of = id OR NOT EXISTS (SELECT 1 FROM items m
                     WHERE m.id = items.stack_of AND m.trashed_at IS NULL
                       AND m.latitude IS NOT NULL AND m.longitude IS NOT NULL))
             ORDER BY taken_at, id",
        )?;
        let rows = stmt.query_map([from.to_string(), format!("{to}T9")], |r| {
            let place = match (r.get::<_, Option<String>>(4)?, r.get(6)?) {
                (Some(city), Some(code)) => Some(Place::from_parts(city, r.get(5)?, code)),
                _ => None,
            };
            Ok((
                r.get::<_, String>(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                place,
            ))
        })?;
        let mut sightings = Vec::new();
        for row in rows {
            let (id, taken_at, latitude, longitude, place) = row?;
            sightings.push(Sighting {
                id: parse_id(&id)?,
                taken_at,
                latitude,
                longitude,
                place,
            });
        }
        Ok(sightings)
    }

    pub fn is_favourite(&self, id: &ObjectId) -> Result<bool, VaultError> {
        Ok(self
            .conn
            .query_row(
                "SELECT favourite FROM items WHERE id = ?1",
                [id.to_string()],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(false))
    }

    pub fn set_favourite(&mut self, ids: &[ObjectId], favourite: bool) -> Result<(), VaultError> {
        self.update_each(
            ids,
            "UPDATE items SET favourite = ?2 WHERE id = ?1",
            favourite,
        )
    }

    /// Moves items to the trash (`Some(now)`) or back out of it (`None`). The main item
    /// of a stack takes the whole stack with it (the grid shows the stack as that item);
    /// another of its files goes alone, and comes back with its main item, since it
    /// shows only under it.
    pub fn set_trashed(&mut self, ids: &[ObjectId], at: Option<&str>) -> Result<(), VaultError> {
        let sql = match at {
            Some(_) => "UPDATE items SET trashed_at = ?2 WHERE id = ?1 OR stack_of = ?1",
            None => {
                "UPDATE items SET trashed_at = ?2 WHERE id = ?1 OR stack_of = ?1
                   OR id = (SELECT stack_of FROM items WHERE id = ?1)"
            }
        };
        self.update_each(ids, sql, at)
    }

    fn update_each(
        &mut self,
        ids: &[ObjectId],
        sql: &str,
        value: impl rusqlite::ToSql,
    ) -> Result<(), VaultError> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(sql)?;
            for id in ids {
                if stmt.execute(params![id.to_string(), value])? == 0 {
                    return Err(VaultError::NoSuchItem(*id));
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Trashed items whose `trashed_at` is before `cutoff` (all trashed items when None).
    pub fn trashed_before(&self, cutoff: Option<&str>) -> Result<Vec<ObjectId>, VaultError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id FROM items WHERE trashed_at IS NOT NULL
               AND (?1 IS NULL OR trashed_at < ?1)",
        )?;
        let ids = stmt.query_map([cutoff], |r| r.get::<_, String>(0))?;
        ids.map(|id| parse_id(&id?)).collect()
    }

    /// Removes items from the catalog for good, with their renditions and album places.
    pub fn delete_items(&mut self, ids: &[ObjectId]) -> Result<(), VaultError> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached("DELETE FROM items WHERE id = ?1")?;
            // What stays of a stack whose main item goes is shown on its own again.
            let mut unstack = tx.prepare_cached(
                "UPDATE items SET stack_of = NULL, stack_kind = NULL WHERE stack_of = ?1",
            )?;
            for id in ids {
                unindex(&tx, &id.to_string())?;
                stmt.execute([id.to_string()])?;
                unstack.execute([id.to_string()])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    pub fn albums(&self) -> Result<Vec<Album>, VaultError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT a.id, a.name, a.created_at,
                (SELECT count(*) FROM album_items ai JOIN items i ON i.id = ai.item_id
                  WHERE ai.album_id = a.id AND i.trashed_at IS NULL),
                (SELECT i.id FROM album_items ai JOIN items i ON i.id = ai.item_id
                  WHERE ai.album_id = a.id AND i.trashed_at IS NULL
                  ORDER BY i.taken_at DESC LIMIT 1)
             FROM albums a ORDER BY a.name COLLATE NOCASE",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                Album {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    created_at: r.get(2)?,
                    items: r.get::<_, i64>(3)? as u64,
                    cover: None,
                },
                r.get::<_, Option<String>>(4)?,
            ))
        })?;
        let mut albums = Vec::new();
        for row in rows {
            let (mut album, cover) = row?;
            album.cover = cover.as_deref().map(parse_id).transpose()?;
            albums.push(album);
        }
        Ok(albums)
    }

    pub fn create_album(&mut self, name: &str, now: &str) -> Result<i64, VaultError> {
        let name = album_name(name)?;
        if self.album_id_by_name(&name)?.is_some() {
            return Err(VaultError::AlbumExists(name));
        }
        self.conn.execute(
            "INSERT INTO albums (name, created_at) VALUES (?1, ?2)",
            params![name, now],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    pub fn rename_album(&mut self, id: i64, name: &str) -> Result<(), VaultError> {
        let name = album_name(name)?;
        if self
            .album_id_by_name(&name)?
            .is_some_and(|other| other != id)
        {
            return Err(VaultError::AlbumExists(name));
        }
        let tx = self.conn.transaction()?;
        let members = album_members(&tx, id)?;
        if tx.execute(
            "UPDATE albums SET name = ?2 WHERE id = ?1",
            params![id, name],
        )? == 0
        {
            return Err(VaultError::NoSuchAlbum(id));
        }
        index_all(&tx, &members)?;
        tx.commit()?;
        Ok(())
    }

    /// Deletes the album, never its photos.
    pub fn delete_album(&mut self, id: i64) -> Result<(), VaultError> {
        let tx = self.conn.transaction()?;
        let members = album_members(&tx, id)?;
        if tx.execute("DELETE FROM albums WHERE id = ?1", [id])? == 0 {
            return Err(VaultError::NoSuchAlbum(id));
        }
        index_all(&tx, &members)?;
        tx.commit()?;
        Ok(())
    }

    pub fn add_to_album(
        &mut self,
        album: i64,
        ids: &[ObjectId],
        now: &str,
    ) -> Result<(), VaultError> {
        self.require_album(album)?;
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT OR IGNORE INTO album_items (album_id, item_id, added_at)
                 SELECT ?1, id, ?3 FROM items WHERE id = ?2",
            )?;
            for id in ids {
                if stmt.execute(params![album, id.to_string(), now])? == 0 {
                    let known = tx
                        .query_row(
                            "SELECT 1 FROM items WHERE id = ?1",
                            [id.to_string()],
                            |_| Ok(()),
                        )
                        .optional()?;
                    if known.is_none() {
                        return Err(VaultError::NoSuchItem(*id));
                    }
                }
                index(&tx, &id.to_string())?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    pub fn remove_from_album(&mut self, album: i64, ids: &[ObjectId]) -> Result<(), VaultError> {
        self.require_album(album)?;
        let tx = self.conn.transaction()?;
        {
            let mut stmt =
                tx.prepare_cached("DELETE FROM album_items WHERE album_id = ?1 AND item_id = ?2")?;
            for id in ids {
                stmt.execute(params![album, id.to_string()])?;
                index(&tx, &id.to_string())?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The albums an item is in.
    pub fn albums_of(&self, id: &ObjectId) -> Result<Vec<i64>, VaultError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT album_id FROM album_items WHERE item_id = ?1 ORDER BY album_id",
        )?;
        let rows = stmt.query_map([id.to_string()], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn album_id_by_name(&self, name: &str) -> Result<Option<i64>, VaultError> {
        Ok(self
            .conn
            .query_row("SELECT id FROM albums WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()?)
    }

    fn require_album(&self, id: i64) -> Result<(), VaultError> {
        self.conn
            .query_row("SELECT 1 FROM albums WHERE id = ?1", [id], |_| Ok(()))
            .optional()?
            .ok_or(VaultError::NoSuchAlbum(id))
    }

    pub fn watch_folders(&self) -> Result<Vec<String>, VaultError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT path FROM watch_folders ORDER BY path")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn set_watch_folder(&mut self, path: &str, watched: bool) -> Result<(), VaultError> {
        if watched {
            self.conn.execute(
                "INSERT OR IGNORE INTO watch_folders (path) VALUES (?1)",
                [path],
            )?;
        } else {
            self.conn
                .execute("DELETE FROM watch_folders WHERE path = ?1", [path])?;
        }
        Ok(())
    }

    /// Whether a watch folder already offered this file at this size and time.
    pub fn watch_seen(
        &self,
        path: &str,
        size: u64,
        modified: Option<&str>,
    ) -> Result<bool, VaultError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT 1 FROM watch_seen WHERE path = ?1 AND size = ?2 AND modified IS ?3",
            )?
            .query_row(params![path, size as i64, modified], |_| Ok(()))
            .optional()?
            .is_some())
    }

    pub fn mark_watch_seen(
        &mut self,
        files: &[(String, u64, Option<String>)],
    ) -> Result<(), VaultError> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT OR REPLACE INTO watch_seen (path, size, modified) VALUES (?1, ?2, ?3)",
            )?;
            for (path, size, modified) in files {
                stmt.execute(params![path, *size as i64, modified])?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}

impl Catalog {
    /// How many items a remote is not yet confirmed to hold.
    pub fn pending_on(&self, remote: &str) -> Result<u64, VaultError> {
        Ok(self.conn.query_row(
            "SELECT (SELECT count(*) FROM items WHERE id NOT IN
                 (SELECT object_id FROM remote_objects WHERE remote = ?1))
              + (SELECT count(*) FROM proxies WHERE object_id NOT IN
                 (SELECT object_id FROM remote_objects WHERE remote = ?1))",
            [remote],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }
}

/// The longest album name, in characters.
pub const ALBUM_NAME_MAX: usize = 200;

fn album_name(name: &str) -> Result<String, VaultError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(VaultError::InvalidName("an album needs a name".into()));
    }
    if name.chars().count() > ALBUM_NAME_MAX {
        return Err(VaultError::InvalidName(
            "album names are at most 200 characters".into(),
        ));
    }
    Ok(name.to_string())
}

/// The items in an album (trashed ones too).
fn album_members(conn: &rusqlite::Connection, album: i64) -> Result<Vec<String>, VaultError> {
    Ok(conn
        .prepare_cached("SELECT item_id FROM album_items WHERE album_id = ?1")?
        .query_map([album], |r| r.get(0))?
        .collect::<Result<_, _>>()?)
}

fn index_all(conn: &rusqlite::Connection, ids: &[String]) -> Result<(), VaultError> {
    ids.iter().try_for_each(|id| index(conn, id))
}

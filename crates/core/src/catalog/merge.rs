//! Other devices' changes, merged into this catalog (docs/FORMAT.md, schema 16). Each op
//! is kept only if its clock is after the register's, so merging the same ops in any order
//! gives the same library; a kept op is then written into the tables every reader uses.
//! The merge holds `sync_applying`, so the triggers do not take its writes for this
//! device's own changes.

use super::changes::{BLOB_COLUMNS, keep_segment, parse_value, registers_of, save_clock};
use super::changes::{album_display_names, record_in, sync_device, write_register};
use super::{Catalog, overrides, search_index};
use crate::VaultError;
use crate::sync::log::{Clock, Op};
use keepsake_crypto::ObjectId;
use rusqlite::types::Value as Sql;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use serde_json::Value;
use std::collections::HashSet;

/// What a merge changed.
#[derive(Debug, Default)]
pub(crate) struct Merged {
    pub applied: usize,
    pub added: Vec<ObjectId>,
    /// Emptied from the trash elsewhere: their originals go once the merge is committed.
    pub purged: Vec<ObjectId>,
}

/// A segment fetched from a remote, kept here once merged.
pub(crate) struct HeldSegment {
    pub device: String,
    pub seq: u64,
    pub hash: String,
    pub zipped: Vec<u8>,
}

/// A new item's original, to fetch before its row is merged.
pub(crate) struct WantedOriginal {
    pub id: ObjectId,
    pub size: u64,
    pub content_hash: [u8; 32],
}

/// A rendition another device made, to fetch.
pub(crate) struct WantedRendition {
    pub item: String,
    pub kind: String,
    pub object: ObjectId,
    pub width: i64,
    pub height: i64,
}

fn damaged(op: &Op, why: &str) -> VaultError {
    VaultError::CatalogDamaged(format!(
        "change-log op {} {} ({}): {why}",
        op.entity, op.field, op.hlc
    ))
}

impl Catalog {
    /// The items `ops` add that this device lists nowhere: their originals come first.
    /// One group per file: two devices that imported the same file before they synced
    /// list it under two ids, and either original will do (the remote may hold only one).
    pub(crate) fn originals_to_fetch(
        &self,
        ops: &[Op],
    ) -> Result<Vec<Vec<WantedOriginal>>, VaultError> {
        let purged: std::collections::HashSet<&str> = ops
            .iter()
            .filter(|op| op.field == "purged")
            .map(|op| op.entity.as_str())
            .collect();
        let mut groups: std::collections::BTreeMap<[u8; 32], Vec<WantedOriginal>> =
            Default::default();
        for op in ops.iter().filter(|op| op.field == "row") {
            let Some(id) = op.entity.strip_prefix("item/") else {
                continue;
            };
            if purged.contains(op.entity.as_str())
                || registers_of(&self.conn, &op.entity)?.contains_key("purged")
                || self.item_exists(id)?
            {
                continue;
            }
            let row = Row::of(op)?;
            if self.find_by_hash(&row.content_hash)?.is_some() {
                continue; // this device has the same file under its own id
            }
            let id: ObjectId = id.parse().map_err(|_| damaged(op, "not an item id"))?;
            let group = groups.entry(row.content_hash).or_default();
            if !group.iter().any(|w| w.id == id) {
                group.push(WantedOriginal {
                    id,
                    size: row.size,
                    content_hash: row.content_hash,
                });
            }
        }
        Ok(groups
            .into_values()
            .map(|mut group| {
                group.sort_by_key(|w| w.id.to_string());
                group
            })
            .collect())
    }

    /// Whether the change log names this object as a photo (listed, purged, or another
    /// id's second copy): such an object is never to be listed again from its content.
    pub(crate) fn log_knows(&self, id: &ObjectId) -> Result<bool, VaultError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT 1 FROM sync_registers WHERE entity = ?1 AND field IN ('row', 'purged')",
            )?
            .exists([format!("item/{id}")])?)
    }

    fn item_exists(&self, id: &str) -> Result<bool, VaultError> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM items WHERE id = ?1")?
            .exists([id])?)
    }

    /// Merges `ops` (in clock order) and keeps the segments they came in, in one
    /// transaction. Every new item's original must be in place already.
    pub(crate) fn merge(
        &mut self,
        ops: &[Op],
        segments: &[HeldSegment],
        fetched: &HashSet<ObjectId>,
        now_ms: u64,
    ) -> Result<Merged, VaultError> {
        let tx = self.conn.transaction()?;
        // What changed here since this sync recorded (the app is open meanwhile) is
        // recorded first, in this transaction: the merge never overwrites it unrecorded.
        record_in(&tx, now_ms)?;
        tx.execute("INSERT OR IGNORE INTO sync_applying (one) VALUES (1)", [])?;
        let mut me = sync_device(&tx)?;
        let mut merged = Merged::default();
        for op in ops {
            me.clock.observe(&op.hlc);
            let current: Option<String> = tx
                .prepare_cached("SELECT hlc FROM sync_registers WHERE entity = ?1 AND field = ?2")?
                .query_row(params![op.entity, op.field], |r| r.get(0))
                .optional()?;
            if current.as_deref() >= Some(op.hlc.as_str()) {
                continue;
            }
            if op.entity.starts_with("item/")
                && op.field != "purged"
                && registers_of(&tx, &op.entity)?.contains_key("purged")
            {
                continue; // purged wins over everything else of its item
            }
            write_register(&tx, op)?;
            materialize(&tx, op, fetched, &mut merged)?;
            merged.applied += 1;
        }
        catch_up_added(&tx, &merged.added)?;
        if ops.iter().any(|op| op.entity.starts_with("album/")) {
            settle_album_names(&tx)?;
        }
        for held in segments {
            keep_segment(&tx, &held.device, held.seq, &held.hash, &held.zipped)?;
        }
        save_clock(&tx, &me.clock)?;
        tx.execute("DELETE FROM sync_applying", [])?;
        tx.commit()?;
        Ok(merged)
    }

    /// Renditions other devices made that this one does not hold yet.
    pub(crate) fn renditions_to_fetch(&self) -> Result<Vec<WantedRendition>, VaultError> {
        let me = self
            .conn
            .query_row("SELECT device FROM sync_device", [], |r| {
                r.get::<_, String>(0)
            })
            .optional()?
            .unwrap_or_default();
        let mut stmt = self.conn.prepare(
            "SELECT i.id, r.value, r.hlc FROM sync_registers r JOIN items i
               ON r.entity = 'item/' || i.id
             WHERE r.field = 'renditions'",
        )?;
        let mut rows = stmt.query([])?;
        let mut wanted = Vec::new();
        while let Some(row) = rows.next()? {
            let (item, value, hlc): (String, String, String) =
                (row.get(0)?, row.get(1)?, row.get(2)?);
            if hlc.ends_with(&me) {
                continue; // this device's own
            }
            let Value::Array(list) = parse_value(&value)? else {
                continue;
            };
            for entry in list {
                let text = |key: &str| entry.get(key).and_then(Value::as_str).map(String::from);
                let number = |key: &str| entry.get(key).and_then(Value::as_i64);
                let (Some(kind), Some(object), Some(width), Some(height)) = (
                    text("kind"),
                    text("object").and_then(|o| o.parse::<ObjectId>().ok()),
                    number("width"),
                    number("height"),
                ) else {
                    continue;
                };
                let held = self
                    .conn
                    .prepare_cached(
                        "SELECT 1 FROM rendition_objects
                         WHERE item_id = ?1 AND kind = ?2 AND object_id = ?3",
                    )?
                    .exists(params![item, kind, object.to_string()])?;
                if !held {
                    wanted.push(WantedRendition {
                        item: item.clone(),
                        kind,
                        object,
                        width,
                        height,
                    });
                }
            }
        }
        Ok(wanted)
    }

    /// Keeps a rendition fetched from another device, as its own (not a change of this one).
    pub(crate) fn store_synced_rendition(
        &mut self,
        wanted: &WantedRendition,
        jpeg: &[u8],
    ) -> Result<(), VaultError> {
        let tx = self.conn.transaction()?;
        tx.execute("INSERT OR IGNORE INTO sync_applying (one) VALUES (1)", [])?;
        let here = tx
            .prepare_cached("SELECT 1 FROM items WHERE id = ?1")?
            .exists([&wanted.item])?;
        if here {
            tx.execute(
                "INSERT OR REPLACE INTO renditions (item_id, kind, width, height, jpeg)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![wanted.item, wanted.kind, wanted.width, wanted.height, jpeg],
            )?;
            // Deleted first, not replaced: the object it had becomes garbage for `prune`.
            tx.execute(
                "DELETE FROM rendition_objects WHERE item_id = ?1 AND kind = ?2",
                params![wanted.item, wanted.kind],
            )?;
            tx.execute(
                "INSERT INTO rendition_objects (item_id, kind, object_id) VALUES (?1, ?2, ?3)",
                params![wanted.item, wanted.kind, wanted.object.to_string()],
            )?;
        }
        tx.execute("DELETE FROM sync_applying", [])?;
        tx.commit()?;
        Ok(())
    }

    /// The objects of renditions that `remote` is not confirmed to hold, by item and kind.
    pub(crate) fn renditions_to_send(
        &self,
        remote: &str,
    ) -> Result<Vec<(String, String, ObjectId)>, VaultError> {
        let found: Vec<(String, String, String)> = self
            .conn
            .prepare(
                "SELECT o.item_id, o.kind, o.object_id FROM rendition_objects o
                 WHERE NOT EXISTS (SELECT 1 FROM remote_objects r
                                   WHERE r.remote = ?1 AND r.object_id = o.object_id)",
            )?
            .query_map([remote], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        found
            .into_iter()
            .map(|(item, kind, object)| Ok((item, kind, super::parse_id(&object)?)))
            .collect()
    }

    /// A rendition's JPEG by item id and kind name.
    pub(crate) fn rendition_jpeg(
        &self,
        item: &str,
        kind: &str,
    ) -> Result<Option<Vec<u8>>, VaultError> {
        Ok(self
            .conn
            .prepare_cached("SELECT jpeg FROM renditions WHERE item_id = ?1 AND kind = ?2")?
            .query_row(params![item, kind], |r| r.get(0))
            .optional()?)
    }
}

/// The parts of an item row a merge needs before the row itself.
struct Row {
    size: u64,
    content_hash: [u8; 32],
}

impl Row {
    fn of(op: &Op) -> Result<Self, VaultError> {
        let size = op.value.get("size").and_then(Value::as_u64);
        let hash = op
            .value
            .get("content_hash")
            .and_then(Value::as_str)
            .and_then(|h| hex::decode(h).ok())
            .and_then(|h| <[u8; 32]>::try_from(h).ok());
        match (size, hash) {
            (Some(size), Some(content_hash)) => Ok(Self { size, content_hash }),
            _ => Err(damaged(op, "a row without a size or a content hash")),
        }
    }
}

fn materialize(
    conn: &Connection,
    op: &Op,
    fetched: &HashSet<ObjectId>,
    merged: &mut Merged,
) -> Result<(), VaultError> {
    let mut path = op.entity.splitn(3, '/');
    let (kind, id, rest) = (path.next(), path.next().unwrap_or(""), path.next());
    let item_here = |id: &str| -> Result<bool, VaultError> {
        Ok(conn
            .prepare_cached("SELECT 1 FROM items WHERE id = ?1")?
            .exists([id])?)
    };
    match (kind, op.field.as_str()) {
        // A row not listed now (updated, or a file this device has under another id)
        // falls through to nothing.
        (Some("item"), "row") if upsert_row(conn, op, id, fetched)? => {
            merged
                .added
                .push(id.parse().map_err(|_| damaged(op, "not an item id"))?);
        }
        (Some("item"), "favourite") => {
            let favourite = op.value.as_bool().unwrap_or(false);
            conn.prepare_cached("UPDATE items SET favourite = ?2 WHERE id = ?1")?
                .execute(params![id, favourite as i64])?;
        }
        (Some("item"), "trashed_at") => {
            conn.prepare_cached("UPDATE items SET trashed_at = ?2 WHERE id = ?1")?
                .execute(params![id, op.value.as_str()])?;
        }
        (Some("item"), field) if field.starts_with("override/") => {
            let mut parts = field.splitn(3, '/').skip(1);
            let (Some(name), Some(source)) = (parts.next(), parts.next()) else {
                return Err(damaged(op, "an override without a field and a source"));
            };
            if item_here(id)? {
                let fix = match &op.value {
                    Value::Null => None,
                    value => Some((
                        value.get("value").and_then(Value::as_str).unwrap_or(""),
                        value.get("set_at").and_then(Value::as_str).unwrap_or(""),
                    )),
                };
                overrides::set_synced(conn, id, name, source, fix)?;
            }
        }
        (Some("item"), "purged") => {
            // As the trash empties here: out of the index, and what stays of its stack
            // shows on its own.
            search_index::unindex(conn, id)?;
            let removed = conn
                .prepare_cached("DELETE FROM items WHERE id = ?1")?
                .execute([id])?;
            conn.prepare_cached(
                "UPDATE items SET stack_of = NULL, stack_kind = NULL WHERE stack_of = ?1",
            )?
            .execute([id])?;
            if removed > 0 {
                merged
                    .purged
                    .push(id.parse().map_err(|_| damaged(op, "not an item id"))?);
            }
        }
        (Some("album"), _) => album(conn, id, op)?,
        (Some("member"), "in") => {
            let item = rest.unwrap_or("");
            member(conn, id, item, op.value == Value::Bool(true), &op.hlc)?;
        }
        // Renditions are fetched after the merge; a field from a newer Keepsake is kept in
        // its register and shown by none.
        _ => {}
    }
    Ok(())
}

/// Lists an item from its row, or updates it; false when it was not listed now (it was
/// here already, or this device has the same file under another id).
fn upsert_row(
    conn: &Connection,
    op: &Op,
    id: &str,
    fetched: &HashSet<ObjectId>,
) -> Result<bool, VaultError> {
    let Value::Object(row) = &op.value else {
        return Err(damaged(op, "a row that is not an object"));
    };
    let columns: Vec<String> = conn
        .prepare_cached("SELECT name FROM pragma_table_info('items')")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<Vec<String>, _>>()?
        .into_iter()
        .filter(|c| {
            c != "id"
                && ![
                    "favourite",
                    "trashed_at",
                    "caption",
                    "rotation",
                    "search_doc",
                ]
                .contains(&c.as_str())
        })
        .collect();
    let mut values = Vec::with_capacity(columns.len() + 1);
    for column in &columns {
        let value = row.get(column).unwrap_or(&Value::Null);
        values.push(sql_value(op, column, value)?);
    }
    let here = conn
        .prepare_cached("SELECT 1 FROM items WHERE id = ?1")?
        .exists([id])?;
    if here {
        let sets: Vec<String> = columns
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c} = ?{}", i + 2))
            .collect();
        values.insert(0, Sql::Text(id.to_string()));
        conn.execute(
            &format!("UPDATE items SET {} WHERE id = ?1", sets.join(", ")),
            params_from_iter(values),
        )?;
        overrides::reapply(conn, id)?;
        search_index::index(conn, id)?;
        return Ok(false);
    }
    // Only an item whose original is here (the other ids of one file are not listed).
    if !id.parse().is_ok_and(|id: ObjectId| fetched.contains(&id)) {
        return Ok(false);
    }
    let hash = Row::of(op)?.content_hash;
    let twin = conn
        .prepare_cached("SELECT 1 FROM items WHERE content_hash = ?1")?
        .exists([&hash[..]])?;
    if twin {
        return Ok(false);
    }
    values.insert(0, Sql::Text(id.to_string()));
    let marks: Vec<String> = (1..=values.len()).map(|i| format!("?{i}")).collect();
    conn.execute(
        &format!(
            "INSERT INTO items (id, {}) VALUES ({})",
            columns.join(", "),
            marks.join(", ")
        ),
        params_from_iter(values),
    )
    .map_err(|e| damaged(op, &format!("the row does not fit the catalog ({e})")))?;
    search_index::index(conn, id)?;
    Ok(true)
}

fn sql_value(op: &Op, column: &str, value: &Value) -> Result<Sql, VaultError> {
    Ok(match value {
        Value::Null => Sql::Null,
        Value::String(digits) if BLOB_COLUMNS.contains(&column) => Sql::Blob(
            hex::decode(digits).map_err(|_| damaged(op, &format!("{column} is not hex")))?,
        ),
        Value::String(text) => Sql::Text(text.clone()),
        Value::Bool(b) => Sql::Integer(*b as i64),
        Value::Number(n) => match n.as_i64() {
            Some(n) => Sql::Integer(n),
            None => Sql::Real(n.as_f64().unwrap_or(0.0)),
        },
        _ => return Err(damaged(op, &format!("{column} is not a column value"))),
    })
}

/// Puts in force, for items listed by this merge, the registers merged before their row
/// (a place in an album recorded in the same instant, say).
fn catch_up_added(conn: &Connection, added: &[ObjectId]) -> Result<(), VaultError> {
    if added.is_empty() {
        return Ok(());
    }
    let added: HashSet<String> = added.iter().map(ObjectId::to_string).collect();
    for id in &added {
        let registers = registers_of(conn, &format!("item/{id}"))?;
        if let Some(Value::Bool(favourite)) = registers.get("favourite") {
            conn.prepare_cached("UPDATE items SET favourite = ?2 WHERE id = ?1")?
                .execute(params![id, *favourite as i64])?;
        }
        if let Some(trashed_at) = registers.get("trashed_at") {
            conn.prepare_cached("UPDATE items SET trashed_at = ?2 WHERE id = ?1")?
                .execute(params![id, trashed_at.as_str()])?;
        }
        let mut fixes: Vec<(&String, &Value)> = registers
            .iter()
            .filter(|(field, _)| field.starts_with("override/"))
            .collect();
        fixes.sort_by_key(|(field, _)| *field);
        for (field, value) in fixes {
            let mut parts = field.splitn(3, '/').skip(1);
            if let (Some(name), Some(source), Value::Object(_)) =
                (parts.next(), parts.next(), value)
            {
                let fix = (
                    value.get("value").and_then(Value::as_str).unwrap_or(""),
                    value.get("set_at").and_then(Value::as_str).unwrap_or(""),
                );
                overrides::set_synced(conn, id, name, source, Some(fix))?;
            }
        }
    }
    let members: Vec<(String, String)> = conn
        .prepare(
            "SELECT entity, hlc FROM sync_registers
             WHERE entity >= 'member/' AND entity < 'member0' AND field = 'in' AND value = 'true'",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (entity, hlc) in members {
        let mut parts = entity["member/".len()..].split('/');
        if let (Some(uid), Some(item)) = (parts.next(), parts.next())
            && added.contains(item)
        {
            member(conn, uid, item, true, &hlc)?;
        }
    }
    Ok(())
}

/// Gives every album here the name the registers say it shows (`album_display_names`),
/// whichever order its ops came in.
fn settle_album_names(conn: &Connection) -> Result<(), VaultError> {
    let shown = album_display_names(conn)?;
    let local: Vec<(i64, String, String)> = conn
        .prepare("SELECT a.id, u.uid, a.name FROM albums a JOIN album_uids u ON u.album_id = a.id")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let changed: Vec<(i64, &String)> = local
        .iter()
        .filter_map(|(id, uid, name)| {
            shown
                .get(uid)
                .filter(|wanted| *wanted != name)
                .map(|wanted| (*id, wanted))
        })
        .collect();
    // Out of each other's way first: the names are unique.
    for (id, _) in &changed {
        conn.execute("UPDATE albums SET name = char(1) || id WHERE id = ?1", [id])?;
    }
    for (id, wanted) in changed {
        rename(conn, id, wanted)?;
    }
    Ok(())
}

/// Names an album `name` (or a free variant of it) and indexes its photos by it.
fn rename(conn: &Connection, album: i64, name: &str) -> Result<(), VaultError> {
    let name = free_name(conn, name, Some(album))?;
    conn.execute(
        "UPDATE albums SET name = ?2 WHERE id = ?1",
        params![album, name],
    )?;
    for item in album_members(conn, album)? {
        search_index::index(conn, &item)?;
    }
    Ok(())
}

/// The local album an album uid names, if it is here.
fn local_album(conn: &Connection, uid: &str) -> Result<Option<i64>, VaultError> {
    Ok(conn
        .prepare_cached("SELECT album_id FROM album_uids WHERE uid = ?1")?
        .query_row([uid], |r| r.get(0))
        .optional()?)
}

fn album_members(conn: &Connection, album: i64) -> Result<Vec<String>, VaultError> {
    Ok(conn
        .prepare_cached("SELECT item_id FROM album_items WHERE album_id = ?1")?
        .query_map([album], |r| r.get(0))?
        .collect::<Result<_, _>>()?)
}

/// `name`, or `name (2)`, `name (3)` … whichever no other album here has.
fn free_name(conn: &Connection, name: &str, except: Option<i64>) -> Result<String, VaultError> {
    let mut candidate = name.to_string();
    for n in 2.. {
        let taken: Option<i64> = conn
            .prepare_cached("SELECT id FROM albums WHERE name = ?1")?
            .query_row([&candidate], |r| r.get(0))
            .optional()?;
        if taken.is_none() || taken == except {
            break;
        }
        candidate = format!("{name} ({n})");
    }
    Ok(candidate)
}

/// Puts an album's registers (name, deleted) in force here.
fn album(conn: &Connection, uid: &str, op: &Op) -> Result<(), VaultError> {
    let registers = registers_of(conn, &format!("album/{uid}"))?;
    let deleted = registers.get("deleted") == Some(&Value::Bool(true));
    let name = registers.get("name").and_then(Value::as_str);
    let here = local_album(conn, uid)?;
    match (here, deleted, name) {
        (Some(album), true, _) => {
            let members = album_members(conn, album)?;
            conn.execute("DELETE FROM albums WHERE id = ?1", [album])?;
            for item in members {
                search_index::index(conn, &item)?;
            }
        }
        (Some(album), false, Some(name)) => rename(conn, album, name)?,
        (None, false, Some(name)) => {
            let name = free_name(conn, name, None)?;
            conn.execute(
                "INSERT INTO albums (name, created_at) VALUES (?1, ?2)",
                params![name, utc_of(&op.hlc)],
            )?;
            let album = conn.last_insert_rowid();
            conn.execute(
                "INSERT INTO album_uids (album_id, uid) VALUES (?1, ?2)",
                params![album, uid],
            )?;
            // Members merged before the album's name was.
            let end = format!("member/{uid}0");
            let members: Vec<(String, String)> = conn
                .prepare(
                    "SELECT entity, hlc FROM sync_registers
                     WHERE entity > ?1 AND entity < ?2 AND field = 'in' AND value = 'true'",
                )?
                .query_map(params![format!("member/{uid}/"), end], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?
                .collect::<Result<_, _>>()?;
            for (entity, hlc) in members {
                if let Some(item) = entity.rsplit('/').next() {
                    member(conn, uid, item, true, &hlc)?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}

fn member(
    conn: &Connection,
    uid: &str,
    item: &str,
    inside: bool,
    hlc: &str,
) -> Result<(), VaultError> {
    let Some(album) = local_album(conn, uid)? else {
        return Ok(());
    };
    if inside {
        conn.prepare_cached(
            "INSERT OR IGNORE INTO album_items (album_id, item_id, added_at)
             SELECT ?1, id, ?3 FROM items WHERE id = ?2",
        )?
        .execute(params![album, item, utc_of(hlc)])?;
    } else {
        conn.prepare_cached("DELETE FROM album_items WHERE album_id = ?1 AND item_id = ?2")?
            .execute(params![album, item])?;
    }
    search_index::index(conn, item)
}

/// The UTC time of a clock, as the catalog writes times.
fn utc_of(hlc: &str) -> String {
    Clock::millis_of(hlc)
        .and_then(|ms| jiff::Timestamp::from_millisecond(ms as i64).ok())
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

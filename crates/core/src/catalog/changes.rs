//! What this device changed since its last sync, as change-log ops (docs/FORMAT.md, schema
//! 16). Triggers mark changed items and albums in `sync_dirty`; here each marked one is
//! compared with its registers (the library as last synced), and every field that differs
//! becomes an op with a fresh clock. The ops, their registers and the segment that carries
//! them are written in one transaction.

use super::Catalog;
use crate::VaultError;
use crate::sync::log::{Clock, Op, Segment, segment};
use keepsake_crypto::ObjectId;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// `items` columns that are registers of their own, or this device's own index.
const NOT_IN_ROW: [&str; 5] = [
    "favourite",
    "trashed_at",
    "caption",
    "rotation",
    "search_doc",
];
/// `items` columns stored as BLOBs, hex in a row.
pub(super) const BLOB_COLUMNS: [&str; 2] = ["content_hash", "dhash"];

/// This device in the change log.
pub(crate) struct SyncDevice {
    pub device: String,
    pub clock: Clock,
}

impl Catalog {
    /// This device's id and clock, drawn at first use.
    pub(crate) fn sync_device(&mut self) -> Result<SyncDevice, VaultError> {
        sync_device(&self.conn)
    }

    /// Records what changed since the last sync as this device's next segments. Returns
    /// how many ops they hold (0: no segment).
    pub(crate) fn record_changes(&mut self, now_ms: u64) -> Result<usize, VaultError> {
        let tx = self.conn.transaction()?;
        let recorded = record_in(&tx, now_ms)?;
        tx.commit()?;
        Ok(recorded)
    }

    /// The last segment of each device's log held here (this device's own included).
    pub(crate) fn log_heads(&self) -> Result<HashMap<String, (u64, String)>, VaultError> {
        Ok(self
            .conn
            .prepare("SELECT device, max(seq), hash FROM sync_segments GROUP BY device")?
            .query_map([], |r| {
                Ok((r.get(0)?, (r.get::<_, i64>(1)? as u64, r.get(2)?)))
            })?
            .collect::<Result<_, _>>()?)
    }

    /// Which segments of each device's log are held here.
    pub(crate) fn held_segments(&self) -> Result<BTreeMap<String, BTreeSet<u64>>, VaultError> {
        let mut held: BTreeMap<String, BTreeSet<u64>> = BTreeMap::new();
        let mut stmt = self.conn.prepare("SELECT device, seq FROM sync_segments")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            held.entry(row.get(0)?)
                .or_default()
                .insert(row.get::<_, i64>(1)? as u64);
        }
        Ok(held)
    }

    /// A held segment, gzipped.
    pub(crate) fn segment_zipped(&self, device: &str, seq: u64) -> Result<Vec<u8>, VaultError> {
        Ok(self.conn.query_row(
            "SELECT zipped FROM sync_segments WHERE device = ?1 AND seq = ?2",
            params![device, seq as i64],
            |r| r.get(0),
        )?)
    }

    /// The last segment of each device's log that `remote` was seen to hold.
    pub(crate) fn remote_log_tops(&self, remote: &str) -> Result<HashMap<String, u64>, VaultError> {
        Ok(self
            .conn
            .prepare("SELECT device, seq FROM sync_remote_logs WHERE remote = ?1")?
            .query_map([remote], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?
            .collect::<Result<_, _>>()?)
    }

    pub(crate) fn set_remote_log_top(
        &mut self,
        remote: &str,
        device: &str,
        seq: u64,
    ) -> Result<(), VaultError> {
        self.conn.execute(
            "INSERT INTO sync_remote_logs (remote, device, seq) VALUES (?1, ?2, ?3)
             ON CONFLICT (remote, device) DO UPDATE SET seq = max(seq, excluded.seq)",
            params![remote, device, seq as i64],
        )?;
        Ok(())
    }

    /// Whether `remote` is due a catalog snapshot: it had none from here, or the
    /// segments sent to it since the last one add up to a twentieth of its size (a new
    /// device then replays at most that much log after restoring it).
    pub(crate) fn snapshot_due(&self, remote: &str) -> Result<bool, VaultError> {
        let last: Option<(i64, i64)> = self
            .conn
            .query_row(
                "SELECT size, log_since FROM sync_snapshots WHERE remote = ?1",
                [remote],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        Ok(last.is_none_or(|(size, log_since)| log_since.saturating_mul(20) > size))
    }

    pub(crate) fn snapshot_sent(&mut self, remote: &str, size: u64) -> Result<(), VaultError> {
        self.conn.execute(
            "INSERT OR REPLACE INTO sync_snapshots (remote, size, log_since) VALUES (?1, ?2, 0)",
            params![remote, size as i64],
        )?;
        Ok(())
    }

    pub(crate) fn log_sent(&mut self, remote: &str, bytes: u64) -> Result<(), VaultError> {
        self.conn.execute(
            "UPDATE sync_snapshots SET log_since = log_since + ?2 WHERE remote = ?1",
            params![remote, bytes as i64],
        )?;
        Ok(())
    }

    /// The header file this device and `remote` last agreed on.
    pub(crate) fn header_base(&self, remote: &str) -> Result<Option<String>, VaultError> {
        Ok(self
            .conn
            .query_row(
                "SELECT header FROM sync_header_base WHERE remote = ?1",
                [remote],
                |r| r.get(0),
            )
            .optional()?)
    }

    pub(crate) fn set_header_base(&mut self, remote: &str, header: &str) -> Result<(), VaultError> {
        self.conn.execute(
            "INSERT INTO sync_header_base (remote, header) VALUES (?1, ?2)
             ON CONFLICT (remote) DO UPDATE SET header = excluded.header",
            params![remote, header],
        )?;
        Ok(())
    }

    /// The next sync to `remote` sends a catalog snapshot.
    pub(crate) fn want_snapshot(&mut self, remote: &str) -> Result<(), VaultError> {
        self.conn
            .execute("DELETE FROM sync_snapshots WHERE remote = ?1", [remote])?;
        Ok(())
    }

    /// After a restore from another device's catalog snapshot: this catalog becomes a new
    /// device of the same library. The other device's segments stay held here, and are
    /// sent on to any remote that lacks them, like every other device's.
    pub(crate) fn become_new_device(&mut self) -> Result<(), VaultError> {
        let tx = self.conn.transaction()?;
        let old = tx
            .query_row("SELECT clock FROM sync_device", [], |r| {
                r.get::<_, String>(0)
            })
            .optional()?;
        tx.execute("DELETE FROM sync_device", [])?;
        // Which originals the other device kept is its own choice (restore sets this one's).
        tx.execute("DELETE FROM originals_policy", [])?;
        tx.execute("DELETE FROM originals_cached", [])?;
        tx.execute("DELETE FROM sync_header_base", [])?;
        let mut me = sync_device(&tx)?;
        if let Some(old) = old {
            me.clock.observe(&old);
            save_clock(&tx, &me.clock)?;
        }
        tx.commit()?;
        Ok(())
    }
}

/// Ops a segment holds at most: a library of any size is sent in segments a reader
/// accepts (each well under the 256 MiB a reader unzips).
const OPS_PER_SEGMENT: usize = 20_000;

/// `record_changes` inside a transaction of the caller's (the merge records first, in its
/// own, so that no edit made meanwhile is overwritten unrecorded).
pub(super) fn record_in(conn: &Connection, now_ms: u64) -> Result<usize, VaultError> {
    let mut me = sync_device(conn)?;
    // In the order they were made, each at the time it was made (the last change of its
    // item or of the albums): of two edits on two devices, the later one wins, not the
    // one synced later. Items before the albums, so that an item's row is always older
    // than its place in an album.
    let dirty: Vec<(String, i64)> = conn
        .prepare("SELECT entity, at FROM sync_dirty ORDER BY entity = 'albums', at, entity")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut ops = Vec::new();
    for (entity, at) in &dirty {
        let at = (*at).clamp(0, now_ms as i64) as u64;
        if entity == "albums" {
            album_changes(conn, &mut me.clock, at, &mut ops)?;
        } else if let Some(id) = entity.strip_prefix("item/") {
            item_changes(conn, id, &mut me.clock, at, &mut ops)?;
        }
    }
    conn.execute("DELETE FROM sync_dirty", [])?;
    for op in &ops {
        write_register(conn, op)?;
    }
    for chunk in ops.chunks(OPS_PER_SEGMENT) {
        let (seq, prev) = next_segment(conn, &me.device)?;
        let seen = conn
            .prepare(
                "SELECT device, max(seq) FROM sync_segments WHERE device != ?1 GROUP BY device",
            )?
            .query_map([&me.device], |r| {
                Ok((r.get(0)?, r.get::<_, i64>(1)? as u64))
            })?
            .collect::<Result<BTreeMap<String, u64>, _>>()?;
        let segment = Segment {
            format: segment::FORMAT.into(),
            version: segment::VERSION,
            device: me.device.clone(),
            seq,
            prev,
            seen,
            ops: chunk.to_vec(),
        };
        let (json, hash) = segment.to_json()?;
        keep_segment(conn, &me.device, seq, &hash, &segment::zip(&json)?)?;
    }
    save_clock(conn, &me.clock)?;
    Ok(ops.len())
}

pub(super) fn sync_device(conn: &Connection) -> Result<SyncDevice, VaultError> {
    let found: Option<(String, String)> = conn
        .query_row("SELECT device, clock FROM sync_device", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    if let Some((device, clock)) = found {
        let clock = Clock::parse(&clock, &device)
            .ok_or_else(|| VaultError::CatalogDamaged(format!("the sync clock reads {clock:?}")))?;
        return Ok(SyncDevice { device, clock });
    }
    let device = ObjectId::random()
        .map_err(|e| VaultError::Remote(e.to_string()))?
        .to_string();
    let clock = Clock::start(&device);
    conn.execute(
        "INSERT INTO sync_device (one, device, clock) VALUES (1, ?1, ?2)",
        params![device, clock.to_string()],
    )?;
    Ok(SyncDevice { device, clock })
}

pub(super) fn save_clock(conn: &Connection, clock: &Clock) -> Result<(), VaultError> {
    conn.execute("UPDATE sync_device SET clock = ?1", [clock.to_string()])?;
    Ok(())
}

pub(super) fn keep_segment(
    conn: &Connection,
    device: &str,
    seq: u64,
    hash: &str,
    zipped: &[u8],
) -> Result<(), VaultError> {
    conn.execute(
        "INSERT OR REPLACE INTO sync_segments (device, seq, hash, zipped) VALUES (?1, ?2, ?3, ?4)",
        params![device, seq as i64, hash, zipped],
    )?;
    Ok(())
}

/// The seq of this device's next segment and the hash its `prev` names.
fn next_segment(conn: &Connection, device: &str) -> Result<(u64, Option<String>), VaultError> {
    let last: Option<(i64, String)> = conn
        .query_row(
            "SELECT seq, hash FROM sync_segments WHERE device = ?1 ORDER BY seq DESC LIMIT 1",
            [device],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(match last {
        Some((seq, hash)) => (seq as u64 + 1, Some(hash)),
        None => (1, None),
    })
}

pub(super) fn registers_of(
    conn: &Connection,
    entity: &str,
) -> Result<HashMap<String, Value>, VaultError> {
    let mut found = HashMap::new();
    let mut stmt =
        conn.prepare_cached("SELECT field, value FROM sync_registers WHERE entity = ?1")?;
    let mut rows = stmt.query([entity])?;
    while let Some(row) = rows.next()? {
        let (field, value): (String, String) = (row.get(0)?, row.get(1)?);
        found.insert(field, parse_value(&value)?);
    }
    Ok(found)
}

/// Every register whose entity starts with `prefix`, by entity.
fn registers_below(
    conn: &Connection,
    prefix: &str,
) -> Result<HashMap<String, HashMap<String, Value>>, VaultError> {
    // '/' + 1 = '0': every entity below the prefix sorts before this bound.
    let end = format!("{}0", prefix.trim_end_matches('/'));
    let mut found: HashMap<String, HashMap<String, Value>> = HashMap::new();
    let mut stmt = conn.prepare(
        "SELECT entity, field, value FROM sync_registers WHERE entity >= ?1 AND entity < ?2",
    )?;
    let mut rows = stmt.query([prefix, &end])?;
    while let Some(row) = rows.next()? {
        let (entity, field, value): (String, String, String) =
            (row.get(0)?, row.get(1)?, row.get(2)?);
        found
            .entry(entity)
            .or_default()
            .insert(field, parse_value(&value)?);
    }
    Ok(found)
}

pub(super) fn parse_value(text: &str) -> Result<Value, VaultError> {
    serde_json::from_str(text)
        .map_err(|_| VaultError::CatalogDamaged(format!("a sync register reads {text:?}")))
}

pub(super) fn write_register(conn: &Connection, op: &Op) -> Result<(), VaultError> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO sync_registers (entity, field, value, hlc) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![op.entity, op.field, op.value.to_string(), op.hlc])?;
    Ok(())
}

/// Whether a value is what a register that was never written means.
fn is_default(field: &str, value: &Value) -> bool {
    match field {
        "favourite" => value == &Value::Bool(false),
        "trashed_at" => value.is_null(),
        _ => field.starts_with("override/") && value.is_null(),
    }
}

fn item_changes(
    conn: &Connection,
    id: &str,
    clock: &mut Clock,
    now_ms: u64,
    ops: &mut Vec<Op>,
) -> Result<(), VaultError> {
    let entity = format!("item/{id}");
    let registers = registers_of(conn, &entity)?;
    if registers.contains_key("purged") {
        return Ok(());
    }
    let state: Option<(bool, Option<String>)> = conn
        .prepare_cached("SELECT favourite, trashed_at FROM items WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get::<_, i64>(0)? != 0, r.get(1)?)))
        .optional()?;
    let mut op = |field: String, value: Value| Op {
        hlc: clock.tick(now_ms),
        entity: entity.clone(),
        field,
        value,
    };
    let Some((favourite, trashed_at)) = state else {
        // Gone from here: purged (one never sent needs no word).
        if registers.contains_key("row") {
            ops.push(op("purged".into(), Value::Bool(true)));
        }
        return Ok(());
    };
    let mut fields = vec![
        ("row".to_string(), item_row(conn, id)?),
        ("renditions".to_string(), item_renditions(conn, id)?),
        ("favourite".to_string(), Value::Bool(favourite)),
        ("trashed_at".to_string(), json!(trashed_at)),
    ];
    let mut overrides: HashSet<String> = HashSet::new();
    let mut stmt = conn.prepare_cached(
        "SELECT field, source, value, set_at FROM item_overrides WHERE item_id = ?1
         ORDER BY field, source",
    )?;
    let mut rows = stmt.query([id])?;
    while let Some(row) = rows.next()? {
        let (field, source, value, set_at): (String, String, String, String) =
            (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?);
        let name = format!("override/{field}/{source}");
        overrides.insert(name.clone());
        fields.push((name, json!({"value": value, "set_at": set_at})));
    }
    let mut removed: Vec<&String> = registers
        .keys()
        .filter(|f| f.starts_with("override/") && !overrides.contains(*f))
        .collect();
    removed.sort();
    fields.extend(removed.into_iter().map(|f| (f.clone(), Value::Null)));
    for (field, value) in fields {
        let changed = match registers.get(&field) {
            Some(known) => known != &value,
            None => !is_default(&field, &value),
        };
        if changed {
            ops.push(op(field, value));
        }
    }
    Ok(())
}

/// The item as its file says it: `items` without what is a register of its own, and the
/// file's own date and place where overrides put others in force.
fn item_row(conn: &Connection, id: &str) -> Result<Value, VaultError> {
    let mut stmt = conn.prepare_cached("SELECT * FROM items WHERE id = ?1")?;
    let names: Vec<String> = stmt.column_names().map(|n| n.to_string()).collect();
    let mut row = stmt.query_row([id], |r| {
        let mut row = Map::new();
        for (i, name) in names.iter().enumerate() {
            if NOT_IN_ROW.contains(&name.as_str()) {
                continue;
            }
            let value = match r.get_ref(i)? {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(n) => json!(n),
                ValueRef::Real(x) => json!(x),
                ValueRef::Text(t) => json!(String::from_utf8_lossy(t)),
                ValueRef::Blob(b) => json!(hex::encode(b)),
            };
            row.insert(name.clone(), value);
        }
        Ok(row)
    })?;
    if let Some((taken_at, date_source, latitude, longitude, altitude)) =
        super::overrides::own_metadata(conn, id)?
    {
        let place = latitude
            .zip(longitude)
            .and_then(|(lat, lon)| crate::places::place_at(lat, lon));
        row.insert("taken_at".into(), json!(taken_at));
        row.insert("date_source".into(), json!(date_source));
        row.insert("latitude".into(), json!(latitude));
        row.insert("longitude".into(), json!(longitude));
        row.insert("altitude".into(), json!(altitude));
        row.insert("place_city".into(), json!(place.as_ref().map(|p| &p.city)));
        row.insert(
            "place_region".into(),
            json!(place.as_ref().and_then(|p| p.region.as_ref())),
        );
        row.insert(
            "place_country_code".into(),
            json!(place.as_ref().map(|p| &p.country_code)),
        );
    }
    Ok(Value::Object(row))
}

/// The item's renditions, each named by the object it is sent as (drawn here for one
/// that has none yet).
fn item_renditions(conn: &Connection, id: &str) -> Result<Value, VaultError> {
    let found: Vec<(String, i64, i64, Option<String>)> = conn
        .prepare_cached(
            "SELECT r.kind, r.width, r.height, o.object_id FROM renditions r
             LEFT JOIN rendition_objects o ON o.item_id = r.item_id AND o.kind = r.kind
             WHERE r.item_id = ?1 ORDER BY r.kind",
        )?
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<_, _>>()?;
    let mut list = Vec::new();
    for (kind, width, height, object) in found {
        let object = match object {
            Some(object) => object,
            None => {
                let object = ObjectId::random()
                    .map_err(|e| VaultError::Remote(e.to_string()))?
                    .to_string();
                conn.prepare_cached(
                    "INSERT INTO rendition_objects (item_id, kind, object_id) VALUES (?1, ?2, ?3)",
                )?
                .execute(params![id, kind, object])?;
                object
            }
        };
        list.push(json!({"kind": kind, "object": object, "width": width, "height": height}));
    }
    Ok(Value::Array(list))
}

/// An album's uid: the hash of the name it was made with, so that albums made with one
/// name on two devices before they synced are one album.
pub(super) fn album_uid(name: &str) -> String {
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"keepsake album\0");
    hasher.update(name.as_bytes());
    hex::encode(&hasher.finalize().as_bytes()[..16])
}

/// The name each album shows, from the registers: its own, or with ` (2)`, ` (3)` …
/// after it when albums with smaller uids have that name too. The same on every device.
pub(super) fn album_display_names(
    conn: &Connection,
) -> Result<HashMap<String, String>, VaultError> {
    let mut by_name: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (entity, registers) in registers_below(conn, "album/")? {
        if registers.get("deleted") == Some(&Value::Bool(true)) {
            continue;
        }
        if let Some(name) = registers.get("name").and_then(Value::as_str) {
            by_name
                .entry(name.to_string())
                .or_default()
                .push(entity["album/".len()..].to_string());
        }
    }
    let mut shown = HashMap::new();
    for (name, mut uids) in by_name {
        uids.sort();
        for (n, uid) in uids.into_iter().enumerate() {
            let name = if n == 0 {
                name.clone()
            } else {
                format!("{name} ({})", n + 1)
            };
            shown.insert(uid, name);
        }
    }
    Ok(shown)
}

fn album_changes(
    conn: &Connection,
    clock: &mut Clock,
    now_ms: u64,
    ops: &mut Vec<Op>,
) -> Result<(), VaultError> {
    let unnamed: Vec<(i64, String)> = conn
        .prepare(
            "SELECT a.id, a.name FROM albums a LEFT JOIN album_uids u ON u.album_id = a.id
             WHERE u.uid IS NULL ORDER BY a.id",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (album, name) in unnamed {
        let mut uid = album_uid(&name);
        let taken = conn
            .prepare_cached("SELECT 1 FROM album_uids WHERE uid = ?1")?
            .exists([&uid])?;
        if taken {
            uid = ObjectId::random()
                .map_err(|e| VaultError::Remote(e.to_string()))?
                .to_string();
        }
        conn.execute(
            "INSERT INTO album_uids (album_id, uid) VALUES (?1, ?2)",
            params![album, uid],
        )?;
    }
    let mut op = |entity: String, field: &str, value: Value| Op {
        hlc: clock.tick(now_ms),
        entity,
        field: field.into(),
        value,
    };
    let local: BTreeMap<String, String> = conn
        .prepare("SELECT u.uid, a.name FROM albums a JOIN album_uids u ON u.album_id = a.id")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let known = registers_below(conn, "album/")?;
    let shown = album_display_names(conn)?;
    for (uid, name) in &local {
        let entity = format!("album/{uid}");
        let registers = known.get(&entity);
        // A name shown with a suffix (another album has it too) is not a rename.
        if shown.get(uid) != Some(name) {
            ops.push(op(entity.clone(), "name", json!(name)));
        }
        if registers.and_then(|r| r.get("deleted")) == Some(&Value::Bool(true)) {
            ops.push(op(entity, "deleted", Value::Bool(false)));
        }
    }
    let mut gone: Vec<&String> = known
        .iter()
        .filter(|(entity, registers)| {
            let uid = &entity["album/".len()..];
            !local.contains_key(uid) && registers.get("deleted") != Some(&Value::Bool(true))
        })
        .map(|(entity, _)| entity)
        .collect();
    gone.sort();
    for entity in gone {
        ops.push(op(entity.clone(), "deleted", Value::Bool(true)));
    }

    let members: HashSet<String> = conn
        .prepare(
            "SELECT 'member/' || u.uid || '/' || ai.item_id FROM album_items ai
             JOIN album_uids u ON u.album_id = ai.album_id",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let known = registers_below(conn, "member/")?;
    let mut added: Vec<&String> = members
        .iter()
        .filter(|m| known.get(*m).and_then(|r| r.get("in")) != Some(&Value::Bool(true)))
        .collect();
    added.sort();
    for entity in added {
        ops.push(op(entity.clone(), "in", Value::Bool(true)));
    }
    let mut left: Vec<&String> = known
        .iter()
        .filter(|(entity, registers)| {
            registers.get("in") == Some(&Value::Bool(true)) && !members.contains(*entity)
        })
        .map(|(entity, _)| entity)
        .collect();
    left.sort();
    for entity in left {
        // Only what left an album that is here, and an item that is here: the rest is
        // an album or an item this device does not show.
        let mut parts = entity["member/".len()..].split('/');
        let (Some(uid), Some(item)) = (parts.next(), parts.next()) else {
            continue;
        };
        let both_here = local.contains_key(uid)
            && conn
                .prepare_cached("SELECT 1 FROM items WHERE id = ?1")?
                .exists([item])?;
        if both_here {
            ops.push(op(entity.clone(), "in", Value::Bool(false)));
        }
    }
    Ok(())
}

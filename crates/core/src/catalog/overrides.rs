//! Fixes that never touch the original (schema 12, docs/FORMAT.md): a date, a position, a
//! caption or a rotation set by the user (or read from an export's sidecars) is kept in
//! `item_overrides`, the file's own values in `item_own_metadata`, and the values in force
//! in `items`, where every reader finds them.

use super::{Catalog, Redrawn, search_index};
use crate::VaultError;
use keepsake_crypto::ObjectId;
use rusqlite::{Connection, OptionalExtension, params};

/// The source of the user's own fixes; imported sidecars name their export instead.
pub const EDITED: &str = "edited";

/// One fix of one field.
#[derive(Debug, Clone, PartialEq)]
pub enum Fix {
    /// The date taken, as `items.taken_at` holds it.
    TakenAt(String),
    /// Coordinates, or None: no position (a hidden location).
    Position(Option<(f64, f64)>),
    /// The caption; empty: none.
    Caption(String),
    /// Degrees clockwise on top of the file's orientation: 0, 90, 180 or 270 (0 removes it).
    Rotation(u16),
}

impl Fix {
    fn field(&self) -> &'static str {
        match self {
            Self::TakenAt(_) => "taken_at",
            Self::Position(_) => "position",
            Self::Caption(_) => "caption",
            Self::Rotation(_) => "rotation",
        }
    }

    fn value(&self) -> String {
        match self {
            Self::TakenAt(date) => date.clone(),
            Self::Position(Some((lat, lon))) => format!("{lat},{lon}"),
            Self::Position(None) => String::new(),
            Self::Caption(text) => text.clone(),
            Self::Rotation(degrees) => degrees.to_string(),
        }
    }
}

/// The values in force from an item's overrides: None where the file's own value stands.
#[derive(Debug, Default, PartialEq)]
struct InForce {
    /// The date and the source it came from.
    taken_at: Option<(String, String)>,
    position: Option<Option<(f64, f64)>>,
    caption: Option<String>,
    rotation: u16,
}

impl Catalog {
    /// Sets fixes on items, all in one transaction: an unknown id changes nothing.
    pub fn set_overrides(
        &mut self,
        fixes: &[(ObjectId, Fix)],
        source: &str,
        now: &str,
    ) -> Result<(), VaultError> {
        let tx = self.conn.transaction()?;
        for (id, fix) in fixes {
            set_fix(&tx, &id.to_string(), fix, source, now)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Turns an item by the user's `degrees` (0: upright as its file has it) together with
    /// its renditions drawn so, in one transaction: a crash never leaves the turn in force
    /// with the pictures of before, nor the reverse.
    pub fn set_turn(
        &mut self,
        id: &ObjectId,
        degrees: u16,
        now: &str,
        redrawn: &Redrawn,
    ) -> Result<(), VaultError> {
        let tx = self.conn.transaction()?;
        set_fix(&tx, &id.to_string(), &Fix::Rotation(degrees), EDITED, now)?;
        super::replace_media_in(&tx, id, redrawn)?;
        tx.commit()?;
        Ok(())
    }

    /// Takes back every fix from `source` on these items: what remains (another
    /// source's, or the file's own) is in force again.
    pub fn remove_overrides(&mut self, ids: &[ObjectId], source: &str) -> Result<(), VaultError> {
        let tx = self.conn.transaction()?;
        for id in ids {
            remove_in(&tx, &id.to_string(), source)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// As `remove_overrides` for one item, but for its turn of `degrees`, which stays (its
    /// pictures could not be drawn upright again).
    pub fn remove_overrides_but_turn(
        &mut self,
        id: &ObjectId,
        degrees: u16,
        now: &str,
    ) -> Result<(), VaultError> {
        let tx = self.conn.transaction()?;
        let id = id.to_string();
        remove_in(&tx, &id, EDITED)?;
        set_fix(&tx, &id, &Fix::Rotation(degrees), EDITED, now)?;
        tx.commit()?;
        Ok(())
    }

    /// As `remove_overrides` for one turned item, with its renditions drawn upright again
    /// in the same transaction (see `set_turn`).
    pub fn remove_overrides_redrawn(
        &mut self,
        id: &ObjectId,
        source: &str,
        redrawn: &Redrawn,
    ) -> Result<(), VaultError> {
        let tx = self.conn.transaction()?;
        remove_in(&tx, &id.to_string(), source)?;
        super::replace_media_in(&tx, id, redrawn)?;
        tx.commit()?;
        Ok(())
    }

    /// Whether the file itself gives the item a date (from its metadata, not its name or
    /// the file's time) and a position, whatever overrides are in force.
    pub fn file_says(&self, id: &ObjectId) -> Result<(bool, bool), VaultError> {
        let found = self
            .conn
            .prepare_cached(
                "SELECT CASE WHEN o.item_id IS NULL THEN i.date_source ELSE o.date_source END,
                    CASE WHEN o.item_id IS NULL
                         THEN i.latitude IS NOT NULL AND i.longitude IS NOT NULL
                         ELSE o.latitude IS NOT NULL AND o.longitude IS NOT NULL END
                 FROM items i LEFT JOIN item_own_metadata o ON o.item_id = i.id
                 WHERE i.id = ?1",
            )?
            .query_row([id.to_string()], |r| {
                Ok((r.get::<_, Option<String>>(0)?, r.get::<_, bool>(1)?))
            })
            .optional()?;
        let (source, located) = found.ok_or(VaultError::NoSuchItem(*id))?;
        let dated = matches!(
            source.as_deref(),
            Some("exif" | "exif-create" | "gps" | "video")
        );
        Ok((dated, located))
    }

    /// Whether the item has fixes from `source`.
    pub fn has_overrides(&self, id: &ObjectId, source: &str) -> Result<bool, VaultError> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM item_overrides WHERE item_id = ?1 AND source = ?2")?
            .exists(params![id.to_string(), source])?)
    }
}

/// Sets one fix (a rotation of 0 removes the user's turn) and puts the values in force.
fn set_fix(
    tx: &Connection,
    id: &str,
    fix: &Fix,
    source: &str,
    now: &str,
) -> Result<(), VaultError> {
    keep_own_metadata(tx, id)?;
    if matches!(fix, Fix::Rotation(0)) {
        tx.prepare_cached(
            "DELETE FROM item_overrides WHERE item_id = ?1 AND field = ?2 AND source = ?3",
        )?
        .execute(params![id, fix.field(), source])?;
    } else {
        tx.prepare_cached(
            "INSERT INTO item_overrides (item_id, field, source, value, set_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (item_id, field, source)
             DO UPDATE SET value = excluded.value, set_at = excluded.set_at",
        )?
        .execute(params![id, fix.field(), source, fix.value(), now])?;
    }
    apply(tx, id)
}

/// Sets or removes (None) one override as another device's change log says it, and puts
/// the values in force. The item must exist.
pub(super) fn set_synced(
    conn: &Connection,
    id: &str,
    field: &str,
    source: &str,
    fix: Option<(&str, &str)>,
) -> Result<(), VaultError> {
    keep_own_metadata(conn, id)?;
    match fix {
        Some((value, set_at)) => conn
            .prepare_cached(
                "INSERT INTO item_overrides (item_id, field, source, value, set_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (item_id, field, source)
                 DO UPDATE SET value = excluded.value, set_at = excluded.set_at",
            )?
            .execute(params![id, field, source, value, set_at])?,
        None => conn
            .prepare_cached(
                "DELETE FROM item_overrides WHERE item_id = ?1 AND field = ?2 AND source = ?3",
            )?
            .execute(params![id, field, source])?,
    };
    apply(conn, id)
}

/// Removes every fix from `source`, and puts the values in force.
fn remove_in(tx: &Connection, id: &str, source: &str) -> Result<(), VaultError> {
    exists(tx, id)?;
    tx.prepare_cached("DELETE FROM item_overrides WHERE item_id = ?1 AND source = ?2")?
        .execute(params![id, source])?;
    apply(tx, id)
}

fn exists(conn: &Connection, id: &str) -> Result<(), VaultError> {
    let found = conn
        .prepare_cached("SELECT 1 FROM items WHERE id = ?1")?
        .exists([id])?;
    if found {
        Ok(())
    } else {
        Err(VaultError::NoSuchItem(super::parse_id(id)?))
    }
}

/// Before an item's first override: what its file says, from `items` (which holds exactly
/// that while it has none).
fn keep_own_metadata(conn: &Connection, id: &str) -> Result<(), VaultError> {
    exists(conn, id)?;
    conn.prepare_cached(
        "INSERT OR IGNORE INTO item_own_metadata
            (item_id, taken_at, date_source, latitude, longitude, altitude)
         SELECT id, taken_at, date_source, latitude, longitude, altitude FROM items WHERE id = ?1",
    )?
    .execute([id])?;
    Ok(())
}

/// After the media pipeline wrote what the file says into `items`: keeps that as the
/// file's own values and puts the overrides back in force. Nothing for an item without.
pub(super) fn reapply(conn: &Connection, id: &str) -> Result<(), VaultError> {
    let updated = conn
        .prepare_cached(
            "UPDATE item_own_metadata SET (taken_at, date_source, latitude, longitude, altitude)
               = (SELECT taken_at, date_source, latitude, longitude, altitude
                  FROM items WHERE id = ?1)
             WHERE item_id = ?1",
        )?
        .execute([id])?;
    if updated > 0 {
        apply(conn, id)?;
    }
    Ok(())
}

/// The value in force for each field: the `edited` one, else the one set last.
fn in_force(conn: &Connection, id: &str) -> Result<InForce, VaultError> {
    let mut stmt = conn.prepare_cached(
        "SELECT field, source, value FROM item_overrides WHERE item_id = ?1
         ORDER BY field, source = 'edited', set_at, source",
    )?;
    let mut rows = stmt.query([id])?;
    let mut found = InForce::default();
    // Rows come in rising precedence: the last of each field wins.
    while let Some(row) = rows.next()? {
        let (field, source, value): (String, String, String) =
            (row.get(0)?, row.get(1)?, row.get(2)?);
        let damaged =
            || VaultError::CatalogDamaged(format!("override {field} of {id} reads {value:?}"));
        match field.as_str() {
            "taken_at" => found.taken_at = Some((value, source)),
            "position" if value.is_empty() => found.position = Some(None),
            "position" => {
                let (lat, lon) = value.split_once(',').ok_or_else(damaged)?;
                let lat: f64 = lat.parse().map_err(|_| damaged())?;
                let lon: f64 = lon.parse().map_err(|_| damaged())?;
                found.position = Some(Some((lat, lon)));
            }
            "caption" => found.caption = Some(value),
            "rotation" => found.rotation = value.parse().map_err(|_| damaged())?,
            // A field from a newer Keepsake: it cannot be in force here.
            _ => {}
        }
    }
    Ok(found)
}

/// Writes into `items` the values in force: the overrides', else the file's own; drops
/// the file's own values once no override is left.
/// What an item's file says of the fields a fix can replace: taken_at, date_source,
/// latitude, longitude, altitude.
pub(super) type OwnMetadata = (
    Option<String>,
    Option<String>,
    Option<f64>,
    Option<f64>,
    Option<f64>,
);

/// The file's own values, kept while the item has overrides.
pub(super) fn own_metadata(conn: &Connection, id: &str) -> Result<Option<OwnMetadata>, VaultError> {
    Ok(conn
        .prepare_cached(
            "SELECT taken_at, date_source, latitude, longitude, altitude
             FROM item_own_metadata WHERE item_id = ?1",
        )?
        .query_row([id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .optional()?)
}

fn apply(conn: &Connection, id: &str) -> Result<(), VaultError> {
    let Some((taken_at, date_source, latitude, longitude, altitude)) = own_metadata(conn, id)?
    else {
        return Ok(());
    };
    let fixes = in_force(conn, id)?;
    let (taken_at, date_source) = match fixes.taken_at.clone() {
        Some((date, source)) => (Some(date), Some(source)),
        None => (taken_at, date_source),
    };
    let (latitude, longitude, altitude) = match fixes.position {
        Some(Some((lat, lon))) => (Some(lat), Some(lon), None),
        Some(None) => (None, None, None),
        None => (latitude, longitude, altitude),
    };
    let place = latitude
        .zip(longitude)
        .and_then(|(lat, lon)| crate::places::place_at(lat, lon));
    conn.prepare_cached(
        "UPDATE items SET taken_at = ?2, date_source = ?3, latitude = ?4, longitude = ?5,
            altitude = ?6, place_city = ?7, place_region = ?8, place_country_code = ?9,
            caption = ?10, rotation = ?11
         WHERE id = ?1",
    )?
    .execute(params![
        id,
        taken_at,
        date_source,
        latitude,
        longitude,
        altitude,
        place.as_ref().map(|p| &p.city),
        place.as_ref().and_then(|p| p.region.as_ref()),
        place.as_ref().map(|p| &p.country_code),
        fixes.caption.filter(|c| !c.is_empty()),
        fixes.rotation,
    ])?;
    let left = conn
        .prepare_cached("SELECT 1 FROM item_overrides WHERE item_id = ?1")?
        .exists([id])?;
    if !left {
        conn.prepare_cached("DELETE FROM item_own_metadata WHERE item_id = ?1")?
            .execute([id])?;
    }
    search_index::index(conn, id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MediaInfo;
    use zeroize::Zeroizing;

    const ID: ObjectId = ObjectId([7; 16]); // test_support::item(7, ..)

    fn file_says(taken_at: &str) -> MediaInfo {
        MediaInfo {
            taken_at: Some(taken_at.into()),
            date_source: Some("exif".into()),
            latitude: Some(41.9028),
            longitude: Some(12.4964),
            altitude: Some(21.0),
            ..MediaInfo::default()
        }
    }

    fn catalog_with_one_item(dir: &tempfile::TempDir) -> Catalog {
        let mut catalog =
            Catalog::create(&dir.path().join("catalog.db"), &Zeroizing::new([1; 32])).unwrap();
        let item = crate::test_support::item(7, "/in/a.jpg", file_says("2001-01-01T10:00:00"));
        catalog.insert(&item, &[]).unwrap();
        catalog
    }

    fn date(catalog: &Catalog) -> (Option<String>, Option<String>) {
        let media = catalog.item(&ID).unwrap().unwrap().media;
        (media.taken_at, media.date_source)
    }

    fn pair(date: &str, source: &str) -> (Option<String>, Option<String>) {
        (Some(date.into()), Some(source.into()))
    }

    #[test]
    fn the_users_fix_beats_an_exports_which_beats_the_file_and_each_comes_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut catalog = catalog_with_one_item(&dir);
        let takeout = Fix::TakenAt("2002-02-02T12:00:00Z".into());
        catalog
            .set_overrides(&[(ID, takeout)], "takeout", "2026-01-02T00:00:00Z")
            .unwrap();
        assert_eq!(date(&catalog), pair("2002-02-02T12:00:00Z", "takeout"));
        let fixed = Fix::TakenAt("2003-03-03T13:00:00".into());
        catalog
            .set_overrides(&[(ID, fixed)], EDITED, "2026-01-01T00:00:00Z")
            .unwrap();
        assert_eq!(
            date(&catalog),
            pair("2003-03-03T13:00:00", "edited"),
            "the user's fix wins whenever it was set"
        );

        // The pipeline reads the file again (rethumb), and finds another date in it.
        catalog
            .replace_media(
                &ID,
                &crate::test_support::redrawn(file_says("2001-06-06T06:00:00")),
            )
            .unwrap();
        assert_eq!(date(&catalog), pair("2003-03-03T13:00:00", "edited"));

        catalog.remove_overrides(&[ID], EDITED).unwrap();
        assert_eq!(date(&catalog), pair("2002-02-02T12:00:00Z", "takeout"));
        catalog.remove_overrides(&[ID], "takeout").unwrap();
        assert_eq!(
            date(&catalog),
            pair("2001-06-06T06:00:00", "exif"),
            "the file's own date, as last read"
        );
        let own_rows: i64 = catalog
            .conn
            .query_row("SELECT count(*) FROM item_own_metadata", [], |r| r.get(0))
            .unwrap();
        assert_eq!(own_rows, 0, "kept only while an override stands");
    }

    #[test]
    fn a_hidden_position_hides_the_place_and_the_file_position_returns() {
        let dir = tempfile::tempdir().unwrap();
        let mut catalog = catalog_with_one_item(&dir);
        catalog
            .set_overrides(&[(ID, Fix::Position(None))], EDITED, "2026-01-01T00:00:00Z")
            .unwrap();
        let media = catalog.item(&ID).unwrap().unwrap().media;
        assert_eq!(
            (media.latitude, media.altitude, media.place),
            (None, None, None)
        );
        catalog.remove_overrides(&[ID], EDITED).unwrap();
        let media = catalog.item(&ID).unwrap().unwrap().media;
        assert_eq!(
            (media.latitude, media.longitude, media.altitude),
            (Some(41.9028), Some(12.4964), Some(21.0))
        );
        assert_eq!(media.place.map(|p| p.city), Some("Rome".to_string()));
    }
}

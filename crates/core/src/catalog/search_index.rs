//! The search index (schema 10, docs/FORMAT.md): one full-text row per item, whose rowid
//! puts the index in timeline order, so a search reads its newest matches first and stops
//! after a screenful however common its words are. Kept up to date by every write that
//! changes what an item is found by.

use super::Catalog;
use crate::VaultError;
use crate::places::country_name;
use crate::search::MONTHS;
use rusqlite::{Connection, OptionalExtension, params};

/// Rowids of dated items start here; undated items sit below.
const DATED_BASE: i64 = 1 << 40;
/// Room for this many items taken in the same second.
const PER_SECOND: i64 = 1 << 20;
/// From 0001-01-01T00:00:00 to 1970-01-01T00:00:00.
const SECONDS_BEFORE_1970: i64 = 62_135_596_800;

/// The first rowid of items taken in the same second as `taken_at`, when the index orders
/// it by date (wall-clock time: the offset is ignored, as the timeline ignores it).
pub(super) fn first_doc_of_second(taken_at: &str) -> Option<i64> {
    let civil: jiff::civil::DateTime = taken_at.get(..19).unwrap_or(taken_at).parse().ok()?;
    let utc = civil.to_zoned_datetime(jiff::tz::TimeZone::UTC).ok()?;
    Some(DATED_BASE + (utc.timestamp().as_second() + SECONDS_BEFORE_1970) * PER_SECOND)
}

/// The rowids of items taken on the days `from` to `to` (inclusive, YYYY-MM-DD).
pub(super) fn docs_between(from: Option<&str>, to: Option<&str>) -> (i64, i64) {
    let low = from
        .and_then(|day| first_doc_of_second(&format!("{day}T00:00:00")))
        .unwrap_or(DATED_BASE);
    let high = to
        .and_then(|day| first_doc_of_second(&format!("{day}T23:59:59")))
        .map_or(i64::MAX, |first| first + PER_SECOND - 1);
    (low, high)
}

/// What an item is found by, as one row of `search_words` holds it.
struct Document {
    words: String,
    taken_at: Option<String>,
    doc: Option<i64>,
}

/// Re-indexes one item (after it was added or changed what it is found by).
pub(super) fn index(conn: &Connection, id: &str) -> Result<(), VaultError> {
    let document = conn
        .prepare_cached(
            "SELECT name, kind, camera_make, camera_model, lens, place_city, place_region,
                place_country_code, taken_at, search_doc,
                (SELECT group_concat(a.name, ' ') FROM album_items ai
                   JOIN albums a ON a.id = ai.album_id WHERE ai.item_id = items.id),
                caption
             FROM items WHERE id = ?1",
        )?
        .query_row([id], |r| {
            let taken_at: Option<String> = r.get(8)?;
            let mut words: Vec<String> = Vec::new();
            for column in [0, 1, 2, 3, 4, 5, 6] {
                words.extend(r.get::<_, Option<String>>(column)?);
            }
            let country = r.get::<_, Option<String>>(7)?;
            words.extend(country.as_deref().and_then(country_name).map(String::from));
            words.extend(r.get::<_, Option<String>>(10)?);
            words.extend(r.get::<_, Option<String>>(11)?);
            words.extend(taken_at.as_deref().and_then(year_and_month));
            Ok(Document {
                words: words.join(" "),
                taken_at,
                doc: r.get(9)?,
            })
        })
        .optional()?;
    let Some(document) = document else {
        return Ok(());
    };
    if let Some(old) = document.doc {
        conn.prepare_cached("DELETE FROM search_words WHERE rowid = ?1")?
            .execute([old])?;
    }
    let doc = match document.doc {
        Some(old) if docs_for(document.taken_at.as_deref()).contains(&old) => old,
        _ => free_doc(conn, document.taken_at.as_deref())?,
    };
    conn.prepare_cached("INSERT INTO search_words (rowid, words) VALUES (?1, ?2)")?
        .execute(params![doc, document.words])?;
    conn.prepare_cached("UPDATE items SET search_doc = ?2 WHERE id = ?1")?
        .execute(params![id, doc])?;
    Ok(())
}

/// Takes an item out of the index (before it leaves the catalog).
pub(super) fn unindex(conn: &Connection, id: &str) -> Result<(), VaultError> {
    conn.prepare_cached(
        "DELETE FROM search_words WHERE rowid = (SELECT search_doc FROM items WHERE id = ?1)",
    )?
    .execute([id])?;
    Ok(())
}

/// "2019 July" for a date in July 2019.
fn year_and_month(taken_at: &str) -> Option<String> {
    let year = taken_at
        .get(..4)
        .filter(|y| y.bytes().all(|b| b.is_ascii_digit()))?;
    let month: usize = taken_at.get(5..7)?.parse().ok()?;
    Some(format!("{year} {}", MONTHS.get(month.checked_sub(1)?)?))
}

/// The rowids an item taken at `taken_at` may have.
fn docs_for(taken_at: Option<&str>) -> std::ops::RangeInclusive<i64> {
    match taken_at.and_then(first_doc_of_second) {
        Some(first) => first..=first + PER_SECOND - 1,
        None => 1..=DATED_BASE - 1,
    }
}

/// One more than the highest rowid in use among items of the same second (or among
/// undated items); past `PER_SECOND` items in one second, an item goes with the undated.
fn free_doc(conn: &Connection, taken_at: Option<&str>) -> Result<i64, VaultError> {
    let mut highest = conn
        .prepare_cached("SELECT max(search_doc) FROM items WHERE search_doc BETWEEN ?1 AND ?2")?;
    let range = docs_for(taken_at);
    let used: Option<i64> = highest.query_row([range.start(), range.end()], |r| r.get(0))?;
    match used {
        None => Ok(*range.start()),
        Some(last) if last < *range.end() => Ok(last + 1),
        Some(_) => free_doc(conn, None),
    }
}

impl Catalog {
    /// Indexes every item not indexed yet: all of them after the upgrade to schema 10.
    pub(super) fn index_unindexed(&mut self) -> Result<(), VaultError> {
        let tx = self.conn.transaction()?;
        let ids: Vec<String> = tx
            .prepare("SELECT id FROM items WHERE search_doc IS NULL")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for id in &ids {
            index(&tx, id)?;
        }
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Item, LibraryFilter};
    use crate::places::Place;
    use crate::sniff::MediaKind;
    use crate::{MediaInfo, ObjectId};
    use zeroize::Zeroizing;

    fn catalog(dir: &tempfile::TempDir) -> Catalog {
        Catalog::create(&dir.path().join("catalog.db"), &Zeroizing::new([1; 32])).unwrap()
    }

    fn add(catalog: &mut Catalog, n: u8, name: &str, taken_at: Option<&str>, media: MediaInfo) {
        let item = Item {
            id: ObjectId([n; 16]),
            name: name.into(),
            source_path: format!("/in/{name}"),
            size: u64::from(n) * 1000,
            content_hash: [n; 32],
            media_type: "image/jpeg".into(),
            kind: MediaKind::Photo,
            file_modified_at: None,
            imported_at: "2026-01-01T00:00:00Z".into(),
            note: None,
            media: MediaInfo {
                taken_at: taken_at.map(String::from),
                ..media
            },
            render_error: None,
            pipeline_version: 1,
            caption: None,
            rotation: 0,
            stack: None,
        };
        catalog.insert(&item, &[]).unwrap();
    }

    fn found(catalog: &Catalog, text: &str) -> Vec<String> {
        let filter = LibraryFilter {
            text: Some(text.into()),
            ..LibraryFilter::default()
        };
        let names = catalog.timeline(&filter).unwrap();
        let first = catalog
            .timeline(&LibraryFilter {
                limit: Some(2),
                ..filter
            })
            .unwrap();
        assert_eq!(
            first[..],
            names[..names.len().min(2)],
            "{text}: a screenful"
        );
        names.into_iter().map(|e| e.name).collect()
    }

    #[test]
    fn search_finds_names_places_cameras_albums_and_months_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let mut catalog = catalog(&dir);
        let sao_paulo = MediaInfo {
            camera_make: Some("NIKON CORPORATION".into()),
            camera_model: Some("NIKON D750".into()),
            place: Some(Place::from_parts("São Paulo".into(), None, "BR".into())),
            ..MediaInfo::default()
        };
        add(
            &mut catalog,
            1,
            "IMG_0001.JPG",
            Some("2019-07-14T10:00:00"),
            sao_paulo,
        );
        add(
            &mut catalog,
            2,
            "beach.jpg",
            Some("2020-07-01T09:00:00+02:00"),
            MediaInfo::default(),
        );
        add(&mut catalog, 3, "scan.png", None, MediaInfo::default());
        add(
            &mut catalog,
            4,
            "beach party.jpg",
            Some("2019-07-14T10:00:00"),
            MediaInfo::default(),
        );

        assert_eq!(found(&catalog, "sao paulo"), ["IMG_0001.JPG"]);
        assert_eq!(found(&catalog, "BRAZIL"), ["IMG_0001.JPG"]);
        assert_eq!(found(&catalog, "nik d75"), ["IMG_0001.JPG"], "word starts");
        assert_eq!(
            found(&catalog, "july 2019"),
            ["beach party.jpg", "IMG_0001.JPG"]
        );
        assert_eq!(found(&catalog, "beach"), ["beach.jpg", "beach party.jpg"]);
        assert_eq!(found(&catalog, "beach year:2019"), ["beach party.jpg"]);
        assert_eq!(found(&catalog, "png"), ["scan.png"]);
        assert_eq!(found(&catalog, "\"party beach\""), Vec::<String>::new());
        assert_eq!(found(&catalog, "photo").len(), 4, "undated last");
        assert_eq!(found(&catalog, "photo")[3], "scan.png");

        let album = catalog.create_album("Família", "2026-01-01").unwrap();
        catalog
            .add_to_album(album, &[ObjectId([3; 16])], "2026-01-01")
            .unwrap();
        assert_eq!(found(&catalog, "familia"), ["scan.png"]);
        catalog.rename_album(album, "Summer").unwrap();
        assert_eq!(found(&catalog, "familia"), Vec::<String>::new());
        assert_eq!(found(&catalog, "summer"), ["scan.png"]);
        catalog.delete_album(album).unwrap();
        assert_eq!(found(&catalog, "summer"), Vec::<String>::new());

        catalog.delete_items(&[ObjectId([2; 16])]).unwrap();
        assert_eq!(found(&catalog, "beach"), ["beach party.jpg"]);
        let rows: i64 = catalog
            .conn
            .query_row("SELECT count(*) FROM search_words", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 3, "the deleted item's row went with it");
    }

    /// The trigger-kept counts equal a count made afresh from the items.
    fn assert_facets_recount(catalog: &Catalog) {
        let read = |sql: &str| -> Vec<(String, String, i64)> {
            let mut stmt = catalog.conn.prepare(sql).unwrap();
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)));
            rows.unwrap().map(Result::unwrap).collect()
        };
        assert_eq!(
            read(
                "SELECT facet, value || ' ' || bytes, items FROM search_facets WHERE items > 0
                 ORDER BY 1, 2"
            ),
            read(
                "SELECT facet, value || ' ' || sum(size), count(*) FROM item_facets
                 GROUP BY facet, value ORDER BY 1, 2"
            )
        );
    }

    #[test]
    fn facet_counts_follow_every_change() {
        let dir = tempfile::tempdir().unwrap();
        let mut catalog = catalog(&dir);
        let rome = MediaInfo {
            camera_make: Some("Canon".into()),
            camera_model: Some("Canon EOS 40D".into()),
            place: Some(Place::from_parts(
                "Rome".into(),
                Some("Lazio".into()),
                "IT".into(),
            )),
            ..MediaInfo::default()
        };
        for n in 1..=3 {
            add(
                &mut catalog,
                n,
                "a.jpg",
                Some("2019-07-14T10:00:00"),
                rome.clone(),
            );
        }
        add(&mut catalog, 4, "b.jpg", None, MediaInfo::default());
        assert_facets_recount(&catalog);
        let rome_count: i64 = catalog
            .conn
            .query_row(
                "SELECT items FROM search_facets WHERE facet = 'place' AND value LIKE 'Rome%'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(rome_count, 3);

        let moved = MediaInfo {
            taken_at: Some("2020-01-01T00:00:00".into()),
            ..MediaInfo::default()
        };
        catalog
            .replace_media(&ObjectId([1; 16]), &crate::test_support::redrawn(moved))
            .unwrap();
        catalog.set_favourite(&[ObjectId([2; 16])], true).unwrap();
        catalog
            .set_trashed(&[ObjectId([3; 16])], Some("2026-01-01T00:00:00Z"))
            .unwrap();
        assert_facets_recount(&catalog);
        catalog.set_trashed(&[ObjectId([3; 16])], None).unwrap();
        catalog
            .delete_items(&[ObjectId([2; 16]), ObjectId([4; 16])])
            .unwrap();
        assert_facets_recount(&catalog);
    }

    #[test]
    fn a_changed_date_moves_the_item_in_the_index() {
        let dir = tempfile::tempdir().unwrap();
        let mut catalog = catalog(&dir);
        add(
            &mut catalog,
            1,
            "a.jpg",
            Some("2019-07-14T10:00:00"),
            MediaInfo::default(),
        );
        add(
            &mut catalog,
            2,
            "b.jpg",
            Some("2018-01-01T00:00:00"),
            MediaInfo::default(),
        );
        assert_eq!(found(&catalog, "jpg"), ["a.jpg", "b.jpg"]);
        let later = MediaInfo {
            taken_at: Some("2021-03-03T03:03:03".into()),
            ..MediaInfo::default()
        };
        catalog
            .replace_media(&ObjectId([2; 16]), &crate::test_support::redrawn(later))
            .unwrap();
        assert_eq!(found(&catalog, "jpg"), ["b.jpg", "a.jpg"]);
        assert_eq!(found(&catalog, "march 2021"), ["b.jpg"]);
        assert_eq!(found(&catalog, "2018"), Vec::<String>::new());
    }

    #[test]
    fn documents_are_in_timeline_order() {
        let first = |t| first_doc_of_second(t).unwrap();
        assert!(first("2019-07-14T10:00:01") > first("2019-07-14T10:00:00"));
        assert!(first("2019-07-14T10:00:00") > first("1999-12-31T23:59:59"));
        assert_eq!(
            first("2019-07-14T10:00:00+02:00"),
            first("2019-07-14T10:00:00.250")
        );
        assert_eq!(first("0001-01-01T00:00:00"), DATED_BASE);
        assert!(first("9999-12-01T00:00:00") < i64::MAX - PER_SECOND);
        assert_eq!(first_doc_of_second("sometime"), None);
        assert_eq!(first_doc_of_second("2019-13-01T00:00:00"), None);
    }

    #[test]
    fn a_day_range_covers_every_second_of_its_days() {
        let (low, high) = docs_between(Some("2019-07-14"), Some("2019-07-14"));
        let first = |t| first_doc_of_second(t).unwrap();
        assert_eq!(low, first("2019-07-14T00:00:00"));
        assert!(high > first("2019-07-14T23:59:59"));
        assert!(high < first("2019-07-15T00:00:00"));
        assert_eq!(docs_between(None, None), (DATED_BASE, i64::MAX));
    }

    #[test]
    fn dates_read_as_year_and_month() {
        assert_eq!(
            year_and_month("2019-07-14T10:00:00").as_deref(),
            Some("2019 July")
        );
        assert_eq!(year_and_month("2019-00-14"), None);
        assert_eq!(year_and_month("x"), None);
    }
}

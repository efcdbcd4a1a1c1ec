//! What the library can be searched by, counted: the raw material of search suggestions
//! (suggest.rs). Triggers keep the counts in `search_facets` through every write (schema
//! 10, docs/FORMAT.md), so reading them costs nothing at any library size.

use super::Catalog;
use crate::VaultError;

/// Items outside the trash, counted by what they can be found by.
#[derive(Debug, Default)]
pub(crate) struct Facets {
    /// City, region, country code.
    pub places: Vec<(String, Option<String>, String, u64)>,
    /// Make, model.
    pub cameras: Vec<(Option<String>, String, u64)>,
    pub lenses: Vec<(String, u64)>,
    pub albums: Vec<(String, u64)>,
    /// YYYY-MM.
    pub months: Vec<(String, u64)>,
    pub photos: u64,
    pub raws: u64,
    pub videos: u64,
    pub favourites: u64,
}

/// Joins the parts of one facet's value (city, region and country code; make and model).
const SEPARATOR: char = '\u{1f}';

impl Catalog {
    pub(crate) fn facets(&self) -> Result<Facets, VaultError> {
        let mut facets = Facets::default();
        let mut stmt = self.conn.prepare_cached(
            "SELECT facet, value, items FROM search_facets WHERE items > 0 ORDER BY facet, value",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?.max(0) as u64,
            ))
        })?;
        let some = |part: &str| Some(part.to_string()).filter(|p| !p.is_empty());
        for row in rows {
            let (facet, value, items) = row?;
            let mut parts = value.split(SEPARATOR);
            let mut next = || parts.next().unwrap_or_default();
            match facet.as_str() {
                "place" => {
                    let (city, region, code) = (next(), next(), next());
                    facets
                        .places
                        .push((city.into(), some(region), code.into(), items));
                }
                "camera" => {
                    let (make, model) = (next(), next());
                    facets.cameras.push((some(make), model.into(), items));
                }
                "lens" => facets.lenses.push((value, items)),
                "month" => facets.months.push((value, items)),
                "kind" if value == "photo" => facets.photos = items,
                "kind" if value == "raw" => facets.raws = items,
                "kind" if value == "video" => facets.videos = items,
                "favourite" => facets.favourites = items,
                _ => {}
            }
        }
        facets.albums = self
            .albums()?
            .into_iter()
            .map(|a| (a.name, a.items))
            .collect();
        Ok(facets)
    }
}

/// Items outside the trash and their bytes, for one value of a facet.
#[derive(Debug, Clone, PartialEq)]
pub struct Usage {
    pub label: String,
    pub items: u64,
    pub bytes: u64,
}

impl Catalog {
    /// Items and bytes for each value of `facet` ("month", "kind"), by value.
    pub(crate) fn usage_by(&self, facet: &str) -> Result<Vec<Usage>, VaultError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT value, items, bytes FROM search_facets WHERE facet = ?1 AND items > 0
             ORDER BY value",
        )?;
        let rows = stmt.query_map([facet], read_usage)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// What each remote is confirmed to hold (originals and proxies), by remote name.
    pub(crate) fn usage_by_remote(&self) -> Result<Vec<Usage>, VaultError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT r.name, count(o.object_id), coalesce(sum(o.size), 0)
             FROM remotes r LEFT JOIN remote_objects o ON o.remote = r.name
             GROUP BY r.name ORDER BY r.name",
        )?;
        let rows = stmt.query_map([], read_usage)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// A row of label, items, bytes.
fn read_usage(r: &rusqlite::Row) -> rusqlite::Result<Usage> {
    Ok(Usage {
        label: r.get(0)?,
        items: r.get::<_, i64>(1)?.max(0) as u64,
        bytes: r.get::<_, i64>(2)?.max(0) as u64,
    })
}

//! What the library can be searched by, counted: the raw material of search suggestions
//! (suggest.rs). Each a pass over the items table, so callers keep the result until the
//! catalog changes (`change_count`).

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

/// Changes with every commit to the catalog, through this connection or any other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ChangeCount(i64, i64);

impl Catalog {
    pub(crate) fn change_count(&self) -> Result<ChangeCount, VaultError> {
        Ok(self.conn.query_row(
            "SELECT total_changes(), data_version FROM pragma_data_version",
            [],
            |r| Ok(ChangeCount(r.get(0)?, r.get(1)?)),
        )?)
    }

    pub(crate) fn facets(&self) -> Result<Facets, VaultError> {
        let live = "FROM items WHERE +trashed_at IS NULL";
        let places = self.grouped(
            &format!(
                "SELECT place_city, place_region, place_country_code, count(*) {live}
                 AND place_city IS NOT NULL GROUP BY 1, 2, 3"
            ),
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, count(r, 3)?)),
        )?;
        let cameras = self.grouped(
            &format!(
                "SELECT camera_make, camera_model, count(*) {live}
                 AND camera_model IS NOT NULL GROUP BY 1, 2"
            ),
            |r| Ok((r.get(0)?, r.get(1)?, count(r, 2)?)),
        )?;
        let lenses = self.grouped(
            &format!("SELECT lens, count(*) {live} AND lens IS NOT NULL GROUP BY 1"),
            |r| Ok((r.get(0)?, count(r, 1)?)),
        )?;
        let months = self.grouped(
            &format!(
                "SELECT substr(taken_at, 1, 7), count(*) {live} AND taken_at IS NOT NULL
                 GROUP BY 1"
            ),
            |r| Ok((r.get(0)?, count(r, 1)?)),
        )?;
        let albums = self
            .albums()?
            .into_iter()
            .map(|a| (a.name, a.items))
            .collect();
        let (photos, raws, videos, favourites) = self.conn.query_row(
            &format!(
                "SELECT count(*) FILTER (WHERE kind = 'photo'),
                    count(*) FILTER (WHERE kind = 'raw'),
                    count(*) FILTER (WHERE kind = 'video'),
                    count(*) FILTER (WHERE favourite = 1) {live}"
            ),
            [],
            |r| Ok((count(r, 0)?, count(r, 1)?, count(r, 2)?, count(r, 3)?)),
        )?;
        Ok(Facets {
            places,
            cameras,
            lenses,
            albums,
            months,
            photos,
            raws,
            videos,
            favourites,
        })
    }

    fn grouped<T>(
        &self,
        sql: &str,
        row: impl FnMut(&rusqlite::Row) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, VaultError> {
        let mut stmt = self.conn.prepare(sql)?;
        let rows = stmt.query_map([], row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

fn count(row: &rusqlite::Row, column: usize) -> rusqlite::Result<u64> {
    Ok(row.get::<_, i64>(column)?.max(0) as u64)
}

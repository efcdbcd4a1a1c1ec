//! The map: where the items outside the trash were taken, for the app's offline world map
//! (the map itself, Natural Earth's countries, is drawn by the app from bundled data).

use crate::catalog::{LibraryFilter, TimelineEntry};
use crate::{Library, VaultError};

/// A rectangle of the map, in degrees. `east` is less than `west` when it crosses the
/// antimeridian.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MapArea {
    pub south: f64,
    pub west: f64,
    pub north: f64,
    pub east: f64,
}

/// An item with GPS coordinates, as the map places it.
#[derive(Debug, Clone, PartialEq)]
pub struct MapPoint {
    pub entry: TimelineEntry,
    pub latitude: f64,
    pub longitude: f64,
}

impl Library {
    /// Every item outside the trash that has GPS coordinates, newest first.
    pub fn map_points(&self) -> Result<Vec<MapPoint>, VaultError> {
        let positions = self.catalog.positions()?;
        let located = LibraryFilter {
            located: true,
            ..LibraryFilter::default()
        };
        Ok(self
            .catalog
            .timeline(&located)?
            .into_iter()
            .filter_map(|entry| {
                let (latitude, longitude) = *positions.get(&entry.id)?;
                Some(MapPoint {
                    entry,
                    latitude,
                    longitude,
                })
            })
            .collect())
    }
}

//! The time zone at a position, offline: tzf-rs's embedded polygons (from
//! timezone-boundary-builder, simplified) name the zone, and jiff's tz database (the
//! system's, else the copy bundled in) gives its offset at a time. Nothing leaves this
//! machine. The polygons load on first use, once per process.

use jiff::tz::TimeZone;
use std::sync::OnceLock;
use tzf_rs::DefaultFinder;

static FINDER: OnceLock<DefaultFinder> = OnceLock::new();

/// The zone at `latitude`, `longitude`: its name and rules, if one is known there.
pub fn zone_at(latitude: f64, longitude: f64) -> Option<(String, TimeZone)> {
    if !(-90.0..=90.0).contains(&latitude) || !(-180.0..=180.0).contains(&longitude) {
        return None;
    }
    let finder = FINDER.get_or_init(DefaultFinder::new);
    let name = finder.get_tz_name(longitude, latitude);
    let zone = TimeZone::get(name).ok()?;
    Some((name.to_string(), zone))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_are_named_where_photos_are_taken() {
        let name = |lat, lon| zone_at(lat, lon).map(|(name, _)| name);
        assert_eq!(name(38.7223, -9.1393).as_deref(), Some("Europe/Lisbon"));
        assert_eq!(name(43.4674, 11.8857).as_deref(), Some("Europe/Rome"));
        assert_eq!(name(35.6762, 139.6503).as_deref(), Some("Asia/Tokyo"));
        assert_eq!(
            name(-33.8688, 151.2093).as_deref(),
            Some("Australia/Sydney")
        );
        assert_eq!(name(91.0, 0.0), None);
    }
}

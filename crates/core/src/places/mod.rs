//! Place names for GPS coordinates, offline: the nearest of GeoNames' 144,000 places of
//! 1,000 people or more (embedded by the `reverse_geocoder` crate) gives the city and the
//! region, and ISO 3166 (Debian's iso-codes, `countries.tsv`) the country's name. Nothing
//! leaves this machine. The table loads on first use, once per process.

use reverse_geocoder::ReverseGeocoder;
use serde::Serialize;
use std::sync::OnceLock;

/// Where a photo was taken, in words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Place {
    pub city: String,
    pub region: Option<String>,
    pub country: Option<String>,
    pub country_code: String,
}

impl Place {
    /// "Monte San Savino, Tuscany, Italy": what a person reads.
    pub fn label(&self) -> String {
        [
            Some(&self.city),
            self.region.as_ref(),
            self.country.as_ref(),
        ]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ")
    }

    /// From what the catalog keeps: the city, region and country code.
    pub fn from_parts(city: String, region: Option<String>, country_code: String) -> Self {
        Self {
            city,
            region,
            country: country_name(&country_code).map(String::from),
            country_code,
        }
    }
}

/// A place farther than this from the coordinates is not where they are (the open sea,
/// polar ice, a GPS fix of 0,0): kilometres.
const FARTHEST_KM: f64 = 150.0;
const EARTH_RADIUS_KM: f64 = 6371.0;

static GEOCODER: OnceLock<ReverseGeocoder> = OnceLock::new();

/// The named place nearest to `latitude`, `longitude`, if one is near enough.
pub fn place_at(latitude: f64, longitude: f64) -> Option<Place> {
    if !(-90.0..=90.0).contains(&latitude) || !(-180.0..=180.0).contains(&longitude) {
        return None;
    }
    let geocoder = GEOCODER.get_or_init(ReverseGeocoder::new);
    let nearest = geocoder.search((latitude, longitude));
    // The search measures the squared chord between points on a unit sphere.
    let chord = nearest.distance.max(0.0).sqrt().min(2.0);
    let km = 2.0 * EARTH_RADIUS_KM * (chord / 2.0).asin();
    if km > FARTHEST_KM {
        return None;
    }
    let record = nearest.record;
    let region = Some(record.admin1.clone()).filter(|r| !r.is_empty());
    Some(Place::from_parts(
        record.name.clone(),
        region,
        record.cc.clone(),
    ))
}

/// The great-circle distance between two points (latitude, longitude in degrees), km.
pub fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat_a, lat_b) = (a.0.to_radians(), b.0.to_radians());
    let d_lat = lat_b - lat_a;
    let d_lon = (b.1 - a.1).to_radians();
    let h = (d_lat / 2.0).sin().powi(2) + lat_a.cos() * lat_b.cos() * (d_lon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

pub(crate) fn country_name(code: &str) -> Option<&'static str> {
    include_str!("countries.tsv")
        .lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| line.split_once('\t').filter(|(cc, _)| *cc == code))
        .map(|(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_name_their_city_region_and_country() {
        let rome = place_at(41.9028, 12.4964).unwrap();
        assert_eq!(rome.country.as_deref(), Some("Italy"));
        assert_eq!(
            (rome.city.as_str(), rome.country_code.as_str()),
            ("Rome", "IT")
        );
        let sao_paulo = place_at(-23.5505, -46.6333).unwrap();
        assert_eq!(sao_paulo.region.as_deref(), Some("Sao Paulo"));
        assert_eq!(sao_paulo.country.as_deref(), Some("Brazil"));
    }

    #[test]
    fn the_open_sea_and_nonsense_are_nowhere() {
        assert_eq!(place_at(0.0, -30.0), None, "mid-Atlantic");
        assert_eq!(place_at(91.0, 0.0), None);
        assert_eq!(place_at(f64::NAN, 0.0), None);
        assert_eq!(place_at(0.0, f64::INFINITY), None);
    }
}

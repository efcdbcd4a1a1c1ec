//! Recent trips: runs of photos taken far from home in the last year, for the memories
//! strip. Home is where the user photographed on the most days of that year; a trip is a
//! run of located photos more than `AWAY_KM` from it with no gap of more than
//! `MAX_GAP_HOURS` between them. Computed from the catalog alone, on this machine.

use crate::catalog::{LibraryFilter, Sighting, TimelineEntry};
use crate::places::distance_km;
use crate::{Library, ObjectId, VaultError};
use jiff::ToSpan;
use jiff::civil::{Date, DateTime};
use std::collections::{HashMap, HashSet};

/// How far back "recent" reaches.
pub const RECENT_MONTHS: i64 = 12;
/// Farther than this from home is away.
pub const AWAY_KM: f64 = 100.0;
/// A longer pause between two photos taken away ends a trip.
pub const MAX_GAP_HOURS: i64 = 48;
/// Fewer photos than this away are an outing, not a trip.
pub const MIN_PHOTOS: usize = 3;
/// The most trips listed: the newest, as many as a strip shows.
pub const MAX_TRIPS: usize = 8;

/// Photos taken together far from home.
#[derive(Debug, Clone, PartialEq)]
pub struct Trip {
    /// "Lisbon, Portugal", "Portugal", or "Portugal & Spain".
    pub title: String,
    /// When its first and last photos were taken.
    pub first: String,
    pub last: String,
    /// Newest first, as the timeline shows them.
    pub entries: Vec<TimelineEntry>,
}

impl Library {
    /// The trips of the `RECENT_MONTHS` up to `today`, newest first (at most `MAX_TRIPS`).
    pub fn recent_trips(&self, today: Date) -> Result<Vec<Trip>, VaultError> {
        let from = today
            .checked_sub(RECENT_MONTHS.months())
            .map_err(|e| VaultError::InvalidName(format!("not a date: {e}")))?;
        let sightings = self
            .catalog
            .sightings_between(&from.to_string(), &today.to_string())?;
        let Some(home) = home(&sightings) else {
            return Ok(Vec::new());
        };
        let runs = runs_away(&sightings, home);
        let mut trips = Vec::with_capacity(runs.len());
        for run in runs.into_iter().rev().take(MAX_TRIPS) {
            let (first, last) = (&run[0].taken_at, &run[run.len() - 1].taken_at);
            let members: HashSet<ObjectId> = run.iter().map(|s| s.id).collect();
            let during = LibraryFilter {
                from: first.get(..10).map(String::from),
                to: last.get(..10).map(String::from),
                located: true,
                ..LibraryFilter::default()
            };
            let mut entries = self.catalog.timeline(&during)?;
            entries.retain(|entry| members.contains(&entry.id));
            trips.push(Trip {
                title: title(&run),
                first: first.clone(),
                last: last.clone(),
                entries,
            });
        }
        Ok(trips)
    }
}

/// Which area a sighting counts for: its region (a city's suburbs and districts are
/// places of their own in GeoNames), else its named place, else a tenth of a degree.
fn place_key(sighting: &Sighting) -> String {
    match &sighting.place {
        Some(place) => format!(
            "{}\u{1f}{}",
            place.region.as_ref().unwrap_or(&place.city),
            place.country_code
        ),
        None => format!("{:.1},{:.1}", sighting.latitude, sighting.longitude),
    }
}

/// Where the user photographed on the most days, as a point: the median of that place's
/// coordinates (a median, so that one bad GPS fix does not move home).
fn home(sightings: &[Sighting]) -> Option<(f64, f64)> {
    let mut days: HashMap<String, HashSet<&str>> = HashMap::new();
    for sighting in sightings {
        let day = sighting.taken_at.get(..10).unwrap_or(&sighting.taken_at);
        days.entry(place_key(sighting)).or_default().insert(day);
    }
    // Ties go to the first place in name order, so that home does not change run to run.
    let home_key = days
        .iter()
        .max_by(|a, b| a.1.len().cmp(&b.1.len()).then_with(|| b.0.cmp(a.0)))?
        .0;
    let at_home: Vec<&Sighting> = sightings
        .iter()
        .filter(|s| &place_key(s) == home_key)
        .collect();
    let median = |mut values: Vec<f64>| {
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    Some((
        median(at_home.iter().map(|s| s.latitude).collect()),
        median(at_home.iter().map(|s| s.longitude).collect()),
    ))
}

/// The runs of sightings away from home, oldest first, each of at least `MIN_PHOTOS`.
fn runs_away(sightings: &[Sighting], home: (f64, f64)) -> Vec<Vec<Sighting>> {
    let mut runs: Vec<Vec<Sighting>> = Vec::new();
    let mut current: Vec<Sighting> = Vec::new();
    for sighting in sightings {
        let away = distance_km(home, (sighting.latitude, sighting.longitude)) > AWAY_KM;
        let continues = current
            .last()
            .is_some_and(|last| hours_between(&last.taken_at, &sighting.taken_at) <= MAX_GAP_HOURS);
        if !away || !continues {
            runs.push(std::mem::take(&mut current));
        }
        if away {
            current.push(sighting.clone());
        }
    }
    runs.push(current);
    runs.retain(|run| run.len() >= MIN_PHOTOS);
    runs
}

/// Hours from one catalog time to a later one; unreadable times are far apart.
fn hours_between(earlier: &str, later: &str) -> i64 {
    let parse = |text: &str| text.get(..19).and_then(|t| t.parse::<DateTime>().ok());
    match (parse(earlier), parse(later)) {
        (Some(a), Some(b)) => a
            .until((jiff::Unit::Hour, b))
            .map_or(i64::MAX, |span| i64::from(span.get_hours())),
        _ => i64::MAX,
    }
}

/// The city when most of the trip was in one ("Lisbon, Portugal"), else its countries,
/// most photographed first ("Portugal & Spain").
fn title(run: &[Sighting]) -> String {
    let named: Vec<_> = run.iter().filter_map(|s| s.place.as_ref()).collect();
    if named.is_empty() {
        return "A trip".to_string();
    }
    let most = |key: &dyn Fn(&crate::Place) -> String| {
        let mut counts: Vec<(String, usize)> = Vec::new();
        for place in &named {
            let k = key(place);
            match counts.iter_mut().find(|(name, _)| *name == k) {
                Some((_, n)) => *n += 1,
                None => counts.push((k, 1)),
            }
        }
        // Stable: ties keep the order the trip visited them in.
        counts.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
        counts
    };
    let country = |p: &crate::Place| p.country.clone().unwrap_or_else(|| p.country_code.clone());
    let cities = most(&|p| format!("{}, {}", p.city, country(p)));
    if cities[0].1 * 10 >= named.len() * 6 {
        return cities[0].0.clone();
    }
    let countries = most(&country);
    match countries.get(1) {
        None => countries[0].0.clone(),
        Some(second) => format!("{} & {}", countries[0].0, second.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Place;

    const ZURICH: (f64, f64) = (47.3769, 8.5417);
    const LISBON: (f64, f64) = (38.7223, -9.1393);
    const PORTO: (f64, f64) = (41.1579, -8.6291);
    const MADRID: (f64, f64) = (40.4168, -3.7038);

    fn seen(n: u8, taken_at: &str, at: (f64, f64)) -> Sighting {
        Sighting {
            id: ObjectId([n; 16]),
            taken_at: taken_at.to_string(),
            latitude: at.0,
            longitude: at.1,
            place: crate::place_at(at.0, at.1),
        }
    }

    fn ids(run: &[Sighting]) -> Vec<u8> {
        run.iter().map(|s| s.id.0[0]).collect()
    }

    #[test]
    fn home_is_where_most_days_were_photographed_not_most_photos() {
        let mut sightings = vec![
            seen(1, "2026-01-05T10:00:00", ZURICH),
            seen(2, "2026-02-07T10:00:00", ZURICH),
            seen(3, "2026-03-09T10:00:00", ZURICH),
        ];
        // More photos in Lisbon, but all on one day.
        for n in 0..10 {
            sightings.push(seen(10 + n, &format!("2026-04-01T1{n}:00:00"), LISBON));
        }
        let home = home(&sightings).unwrap();
        assert!(distance_km(home, ZURICH) < 1.0, "{home:?}");
        assert_eq!(ids(&runs_away(&sightings, home)[0]).len(), 10);
    }

    #[test]
    fn a_trip_ends_at_home_or_after_two_quiet_days_and_needs_three_photos() {
        let sightings = vec![
            seen(1, "2026-05-01T09:00:00", ZURICH),
            seen(2, "2026-05-02T09:00:00", LISBON),
            seen(3, "2026-05-03T09:00:00", LISBON),
            seen(4, "2026-05-04T20:00:00", PORTO), // 35 hours later: the same trip
            seen(5, "2026-05-06T09:00:00", ZURICH),
            seen(6, "2026-05-07T09:00:00", ZURICH),
            seen(7, "2026-06-01T09:00:00", MADRID),
            seen(8, "2026-06-01T10:00:00", MADRID),
            seen(9, "2026-06-04T10:00:00", MADRID), // three days later: a new run
            seen(10, "2026-06-04T11:00:00", MADRID),
            seen(11, "2026-06-04T12:00:00", MADRID),
        ];
        let runs = runs_away(&sightings, ZURICH);
        assert_eq!(
            runs.iter().map(|r| ids(r)).collect::<Vec<_>>(),
            vec![vec![2, 3, 4], vec![9, 10, 11]]
        );
    }

    #[test]
    fn a_trip_is_named_by_its_city_or_else_its_countries() {
        let lisbon = [
            seen(1, "2026-05-02T09:00:00", LISBON),
            seen(2, "2026-05-02T10:00:00", LISBON),
            seen(3, "2026-05-03T09:00:00", PORTO),
        ];
        let city = lisbon[0].place.as_ref().map(Place::label).unwrap();
        assert!(city.contains("Lisbon"), "{city}");
        assert_eq!(title(&lisbon), "Lisbon, Portugal");
        let portugal = [lisbon[0].clone(), lisbon[2].clone()];
        assert_eq!(title(&portugal), "Portugal");
        let iberia = [
            lisbon[0].clone(),
            seen(4, "2026-05-04T09:00:00", MADRID),
            seen(5, "2026-05-04T10:00:00", MADRID),
            lisbon[2].clone(),
            lisbon[1].clone(),
        ];
        assert_eq!(title(&iberia), "Portugal & Spain");
    }
}

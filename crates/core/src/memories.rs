//! On this day: photos taken around a date in earlier years, the way photo apps bring
//! old memories back. From the catalog alone, through its date index.

use crate::catalog::{Catalog, LibraryFilter, TimelineEntry};
use crate::{Contents, Item, Library, VaultError};
use jiff::ToSpan;
use jiff::civil::Date;

/// How many days either side of the date a memory may be.
pub const MEMORY_DAYS: i64 = 3;

impl Contents {
    /// Items out of the trash taken within `MEMORY_DAYS` of `date`'s day and month in
    /// each year before it, newest first.
    pub fn memories(&self, date: Date) -> Result<Vec<Item>, VaultError> {
        let mut items = Vec::new();
        for (from, to) in memory_days(&self.catalog, date)? {
            items.extend(self.catalog.items_taken_between(&from, &to)?);
        }
        Ok(items)
    }
}

impl Library {
    /// As `Contents::memories`, as the timeline shows them.
    pub fn memories(&self, date: Date) -> Result<Vec<TimelineEntry>, VaultError> {
        let mut entries = Vec::new();
        for (from, to) in memory_days(&self.catalog, date)? {
            let around = LibraryFilter {
                from: Some(from),
                to: Some(to),
                ..Default::default()
            };
            entries.extend(self.timeline(&around)?);
        }
        Ok(entries)
    }
}

/// The days (first, last: YYYY-MM-DD) around `date` in each year before it that the
/// catalog may hold photos from, the most recent first.
fn memory_days(catalog: &Catalog, date: Date) -> Result<Vec<(String, String)>, VaultError> {
    let Some(first) = catalog.first_taken()? else {
        return Ok(Vec::new());
    };
    let first_year: i16 = first
        .get(..4)
        .and_then(|y| y.parse().ok())
        .unwrap_or(date.year());
    let mut days = Vec::new();
    for year in (first_year.max(1)..date.year()).rev() {
        // 29 February in a year without one: the 28th.
        let day = Date::new(year, date.month(), date.day())
            .or_else(|_| Date::new(year, date.month(), 28))
            .map_err(not_a_date)?;
        let from = day.checked_sub(MEMORY_DAYS.days()).map_err(not_a_date)?;
        let to = day.checked_add(MEMORY_DAYS.days()).map_err(not_a_date)?;
        days.push((from.to_string(), to.to_string()));
    }
    Ok(days)
}

fn not_a_date(e: jiff::Error) -> VaultError {
    VaultError::InvalidName(format!("not a date: {e}"))
}

//! The user's fixes: a date set or shifted, a position, a caption, a turn. None touches the
//! original: each is an override in the catalog (schema 12), undone by taking it back.

use crate::catalog::{EDITED, Fix, Item, Redrawn};
use crate::import::format_system_time;
use crate::sniff::MediaKind;
use crate::{Library, VaultError};
use jiff::civil::{Date, DateTime, Time};
use keepsake_crypto::ObjectId;
use std::time::SystemTime;

/// Longest caption kept, in characters.
pub const CAPTION_MAX: usize = 2000;

/// What to change on every item given.
#[derive(Debug, Clone, Default)]
pub struct Edit {
    pub date: Option<DateChange>,
    /// Coordinates, or None to hide the position.
    pub position: Option<Option<(f64, f64)>>,
    /// A caption; empty removes it.
    pub caption: Option<String>,
    /// Degrees to turn clockwise from how the photo shows now: 90, 180 or 270.
    pub rotate: Option<u16>,
}

/// An edit as the shells take it, in text: the CLI's flags, the app's fields.
#[derive(Debug, Clone, Default)]
pub struct EditText {
    /// `DateChange::parse_set`'s forms.
    pub date: Option<String>,
    /// `DateChange::parse_shift`'s forms (ignored with a date).
    pub shift: Option<String>,
    /// The time zone from the place (ignored with a date or a shift).
    pub zone_from_place: bool,
    /// `parse_position`'s forms.
    pub place: Option<String>,
    pub caption: Option<String>,
    pub rotate: Option<u16>,
}

impl EditText {
    /// The edit it asks for, or what is wrong with it.
    pub fn parse(self) -> Result<Edit, String> {
        let date = match (&self.date, &self.shift) {
            (Some(date), _) => Some(DateChange::parse_set(date)?),
            (None, Some(shift)) => Some(DateChange::parse_shift(shift)?),
            (None, None) => self.zone_from_place.then_some(DateChange::ZoneFromPlace),
        };
        Ok(Edit {
            date,
            position: self.place.as_deref().map(parse_position).transpose()?,
            caption: self.caption,
            rotate: self.rotate,
        })
    }
}

#[derive(Debug, Clone)]
pub enum DateChange {
    /// A day, a time of day and an offset ("+02:00", "Z"); without a time or an offset,
    /// each item keeps its own.
    Set {
        day: Date,
        time: Option<Time>,
        offset: Option<String>,
    },
    /// Moved by a calendar span: "+1y", "-2h30m", "+3d".
    Shift(jiff::Span),
    /// Put in the time zone of where it was taken (`zones`): a date without an offset
    /// keeps its wall-clock time and gains the zone's offset then; a date with one keeps
    /// its instant, told in the zone's time.
    ZoneFromPlace,
}

impl DateChange {
    /// "2019-07-14", "2019-07-14T18:02", "2019-07-14 18:02:11", "2019-07-14T18:02:11+02:00".
    pub fn parse_set(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let bad = |why: &str| {
            format!(
                "{text:?} is not a date ({why}): give YYYY-MM-DD, optionally a time \
                 (T18:02 or T18:02:11) and an offset (Z or +02:00)"
            )
        };
        let (day, rest) = text.split_at_checked(10).unwrap_or((text, ""));
        let day: Date = day.parse().map_err(|_| bad("the day"))?;
        if rest.is_empty() {
            return Ok(Self::Set {
                day,
                time: None,
                offset: None,
            });
        }
        let rest = rest
            .strip_prefix(['T', ' '])
            .ok_or_else(|| bad("a time follows a T or a space"))?;
        let offset_at = rest.find(['Z', '+', '-']).unwrap_or(rest.len());
        let (time, offset) = rest.split_at(offset_at);
        let time: Time = time.parse().map_err(|_| bad("the time"))?;
        let offset = match offset {
            "" => None,
            "Z" => Some("Z".to_string()),
            offset => Some(parse_offset(offset).ok_or_else(|| bad("the offset"))?),
        };
        Ok(Self::Set {
            day,
            time: Some(time),
            offset,
        })
    }

    /// "+2h", "-1d12h", "+1y", "-30m", "+1y2mo3d4h5m6s": a sign, then numbers with units
    /// (y, mo, w, d, h, m, s).
    pub fn parse_shift(text: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "{text:?} is not a shift: give a sign and amounts with units, as +2h, -1d, \
                 +1y2mo or -30m (y, mo, w, d, h, m, s)"
            )
        };
        let (negative, mut rest) = match text.trim().split_at_checked(1) {
            Some(("+", rest)) => (false, rest),
            Some(("-", rest)) => (true, rest),
            _ => return Err(bad()),
        };
        if rest.is_empty() {
            return Err(bad());
        }
        let mut span = jiff::Span::new();
        while !rest.is_empty() {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            let amount: i64 = rest[..digits].parse().map_err(|_| bad())?;
            rest = &rest[digits..];
            let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
            let unit = &rest[..unit_len];
            rest = &rest[unit_len..];
            span = match unit {
                "y" => span.try_years(amount),
                "mo" => span.try_months(amount),
                "w" => span.try_weeks(amount),
                "d" => span.try_days(amount),
                "h" => span.try_hours(amount),
                "m" => span.try_minutes(amount),
                "s" => span.try_seconds(amount),
                _ => return Err(bad()),
            }
            .map_err(|_| bad())?;
        }
        Ok(Self::Shift(if negative { span.negate() } else { span }))
    }

    /// The new date of `item`, placed at `position` when the same edit moves it.
    fn applied_to(&self, item: &Item, position: Option<(f64, f64)>) -> Result<String, VaultError> {
        let current = item.media.taken_at.as_deref();
        let (civil, offset_now) = match current.and_then(split_date) {
            Some((civil, offset)) => (Some(civil), offset.to_string()),
            None => (None, String::new()),
        };
        let new = match self {
            Self::Set { day, time, offset } => {
                // A day alone moves the photo to it at its own time (noon if it had none).
                let time = time
                    .or(civil.map(|c| c.time()))
                    .unwrap_or(Time::constant(12, 0, 0, 0));
                (day.to_datetime(time), offset.clone().unwrap_or(offset_now))
            }
            Self::Shift(span) => {
                let civil = civil.ok_or_else(|| {
                    VaultError::CannotEdit(format!(
                        "{} has no date to shift; set one with a date instead",
                        item.name
                    ))
                })?;
                let shifted = civil.checked_add(*span).map_err(|e| {
                    VaultError::CannotEdit(format!("{} cannot be shifted so far: {e}", item.name))
                })?;
                (shifted, offset_now)
            }
            Self::ZoneFromPlace => in_zone_of_place(item, civil, &offset_now, position)?,
        };
        let (civil, offset) = new;
        if !(1..=9999).contains(&civil.year()) {
            return Err(VaultError::CannotEdit(format!(
                "{} would be dated outside the years 1 to 9999",
                item.name
            )));
        }
        Ok(format!("{}{offset}", civil.strftime("%Y-%m-%dT%H:%M:%S")))
    }
}

/// `civil` (with `offset`, or none) told in the time zone where `item` was taken.
fn in_zone_of_place(
    item: &Item,
    civil: Option<DateTime>,
    offset: &str,
    position: Option<(f64, f64)>,
) -> Result<(DateTime, String), VaultError> {
    let cannot = |why: String| VaultError::CannotEdit(format!("{} {why}", item.name));
    let civil =
        civil.ok_or_else(|| cannot("has no date to put in a time zone; set one instead".into()))?;
    let own = item.media.latitude.zip(item.media.longitude);
    let (lat, lon) = position
        .or(own)
        .ok_or_else(|| cannot("has no place to take its time zone from".into()))?;
    let (name, zone) = crate::zones::zone_at(lat, lon).ok_or_else(|| {
        cannot(format!(
            "was taken where no time zone is known ({lat},{lon})"
        ))
    })?;
    let zoned = if offset.is_empty() {
        civil.to_zoned_datetime(zone)
    } else {
        let stamp = format!("{}{offset}", civil.strftime("%Y-%m-%dT%H:%M:%S"));
        stamp
            .parse::<jiff::Timestamp>()
            .map(|instant| instant.to_zoned_datetime(zone))
    }
    .map_err(|e| cannot(format!("cannot be told in {name}: {e}")))?;
    let seconds = zoned.offset().seconds();
    let sign = if seconds < 0 { '-' } else { '+' };
    let minutes = seconds.unsigned_abs() / 60;
    let offset = format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60);
    Ok((zoned.datetime(), offset))
}

/// "+02:00", "+0200" or "+02" (up to 14 hours) -> "+02:00".
fn parse_offset(text: &str) -> Option<String> {
    let (sign, digits) = text.split_at_checked(1)?;
    let digits = digits.replace(':', "");
    if !matches!(sign, "+" | "-")
        || !matches!(digits.len(), 2 | 4)
        || !digits.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let hours: u32 = digits[..2].parse().ok()?;
    let minutes: u32 = digits
        .get(2..)
        .filter(|m| !m.is_empty())
        .map_or(Some(0), |m| m.parse().ok())?;
    (hours <= 14 && minutes < 60).then(|| format!("{sign}{hours:02}:{minutes:02}"))
}

/// "2019-07-14T18:02:11+02:00" -> (the wall-clock time, "+02:00").
fn split_date(taken_at: &str) -> Option<(DateTime, &str)> {
    let civil: DateTime = taken_at.get(..19)?.parse().ok()?;
    let rest = taken_at[19..].trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
    Some((civil, rest))
}

/// "LAT,LON" in decimal degrees, or "none" to hide the position.
pub fn parse_position(text: &str) -> Result<Option<(f64, f64)>, String> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    let bad = || {
        format!(
            "{text:?} is not a position: give LAT,LON in decimal degrees (as 38.7223,-9.1393), \
             or none to hide it"
        )
    };
    let (lat, lon) = text.split_once(',').ok_or_else(bad)?;
    let lat: f64 = lat.trim().parse().map_err(|_| bad())?;
    let lon: f64 = lon.trim().parse().map_err(|_| bad())?;
    if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
        return Err(format!(
            "{text:?} is off the globe: latitude is -90 to 90, longitude -180 to 180"
        ));
    }
    Ok(Some((lat, lon)))
}

/// What an edit did.
#[derive(Debug, Default)]
pub struct EditReport {
    pub edited: Vec<ObjectId>,
    /// Turns that could not be drawn (the original too large or damaged): a new one is not
    /// made, and one being undone stays.
    pub failed: Vec<(ObjectId, String)>,
}

impl Library {
    /// Applies `edit` to every item, or (an unknown id, a shift of an undated photo, a
    /// turned video) to none.
    pub fn edit(&mut self, ids: &[ObjectId], edit: &Edit) -> Result<EditReport, VaultError> {
        if let Some(caption) = &edit.caption
            && caption.chars().count() > CAPTION_MAX
        {
            return Err(VaultError::CannotEdit(format!(
                "a caption is at most {CAPTION_MAX} characters"
            )));
        }
        let mut fixes = Vec::new();
        let mut turned = Vec::new();
        for id in ids {
            let item = self.item(id)?.ok_or(VaultError::NoSuchItem(*id))?;
            if let Some(date) = &edit.date {
                let moved_to = edit.position.flatten();
                fixes.push((*id, Fix::TakenAt(date.applied_to(&item, moved_to)?)));
            }
            if let Some(position) = edit.position {
                fixes.push((*id, Fix::Position(position)));
            }
            if let Some(caption) = &edit.caption {
                fixes.push((*id, Fix::Caption(caption.clone())));
            }
            if let Some(degrees) = edit.rotate {
                if item.kind == MediaKind::Video {
                    return Err(VaultError::CannotEdit(format!(
                        "{} is a video: only photos can be turned",
                        item.name
                    )));
                }
                if ![90, 180, 270].contains(&degrees) {
                    return Err(VaultError::CannotEdit(format!(
                        "turn by 90, 180 or 270 degrees, not {degrees}"
                    )));
                }
                turned.push((*id, (item.rotation + degrees) % 360));
            }
        }
        self.catalog.set_overrides(&fixes, EDITED, &now())?;
        let mut report = EditReport {
            edited: ids.to_vec(),
            failed: Vec::new(),
        };
        // Each turn is drawn first and kept with its pictures, or (not drawable) not kept.
        for (id, degrees) in turned {
            match self.redraw(&id, degrees) {
                Ok(redrawn) => self.catalog.set_turn(&id, degrees, &now(), &redrawn)?,
                Err(why) => report.failed.push((id, why)),
            }
        }
        Ok(report)
    }

    /// Takes back every fix the user made to these items: the file's own date and place
    /// (or an export's, from its sidecar) are in force again, and the photo upright as
    /// its file has it.
    pub fn undo_edits(&mut self, ids: &[ObjectId]) -> Result<EditReport, VaultError> {
        let (mut turned, mut upright) = (Vec::new(), Vec::new());
        for id in ids {
            let item = self.item(id)?.ok_or(VaultError::NoSuchItem(*id))?;
            if item.rotation != 0 {
                turned.push((*id, item.rotation));
            } else {
                upright.push(*id);
            }
        }
        self.catalog.remove_overrides(&upright, EDITED)?;
        let mut report = EditReport {
            edited: ids.to_vec(),
            failed: Vec::new(),
        };
        // A turned photo gets its upright pictures in the same step as its undo.
        for (id, degrees) in turned {
            match self.redraw(&id, 0) {
                Ok(redrawn) => self
                    .catalog
                    .remove_overrides_redrawn(&id, EDITED, &redrawn)?,
                // The turn stays with the pictures drawn for it; the other fixes go.
                Err(why) => {
                    self.catalog
                        .remove_overrides_but_turn(&id, degrees, &now())?;
                    report.failed.push((id, why));
                }
            }
        }
        Ok(report)
    }

    /// Whether the user fixed anything on the item (what `undo_edits` takes back).
    pub fn is_edited(&self, id: &ObjectId) -> Result<bool, VaultError> {
        self.catalog.has_overrides(id, EDITED)
    }

    /// An item's pictures drawn turned by `rotation`, not yet stored.
    fn redraw(&self, id: &ObjectId, rotation: u16) -> Result<Redrawn, String> {
        let item = self
            .item(id)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("{id} is gone"))?;
        crate::rethumb::redraw(&self.catalog, &self.store, &self.key, &item, rotation)
    }
}

fn now() -> String {
    format_system_time(SystemTime::now()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(text: &str) -> DateChange {
        DateChange::parse_set(text).unwrap()
    }

    fn item_dated(taken_at: Option<&str>) -> Item {
        let media = crate::MediaInfo {
            taken_at: taken_at.map(String::from),
            ..crate::MediaInfo::default()
        };
        crate::test_support::item(1, "a.jpg", media)
    }

    fn applied(change: &DateChange, taken_at: Option<&str>) -> Result<String, VaultError> {
        change.applied_to(&item_dated(taken_at), None)
    }

    #[test]
    fn the_zone_of_the_place_keeps_a_wall_clock_time_or_an_instant() {
        let lisbon = Some((38.7223, -9.1393));
        let zoned = |taken_at: Option<&str>, at: Option<(f64, f64)>| {
            DateChange::ZoneFromPlace.applied_to(&item_dated(taken_at), at)
        };
        // Summer time, then winter time; a camera's wall clock is kept.
        assert_eq!(
            zoned(Some("2019-07-14T18:00:00"), lisbon).unwrap(),
            "2019-07-14T18:00:00+01:00"
        );
        assert_eq!(
            zoned(Some("2019-01-14T18:00:00"), lisbon).unwrap(),
            "2019-01-14T18:00:00+00:00"
        );
        // A date that is an instant (UTC from GPS, a phone's offset) is told in local time.
        assert_eq!(
            zoned(Some("2019-07-14T18:00:00Z"), lisbon).unwrap(),
            "2019-07-14T19:00:00+01:00"
        );
        assert_eq!(
            zoned(
                Some("2019-07-14T18:00:00+09:00"),
                Some((-33.8688, 151.2093))
            )
            .unwrap(),
            "2019-07-14T19:00:00+10:00"
        );
        // Its own position serves when the edit gives none.
        let mut placed = item_dated(Some("2019-07-14T18:00:00"));
        (placed.media.latitude, placed.media.longitude) = (Some(35.6762), Some(139.6503));
        assert_eq!(
            DateChange::ZoneFromPlace.applied_to(&placed, None).unwrap(),
            "2019-07-14T18:00:00+09:00"
        );
        for (taken_at, at) in [(None, lisbon), (Some("2019-07-14T18:00:00"), None)] {
            assert!(matches!(
                zoned(taken_at, at),
                Err(VaultError::CannotEdit(_))
            ));
        }
    }

    #[test]
    fn a_day_alone_keeps_the_time_a_date_without_offset_keeps_the_offset() {
        let dated = Some("2001-02-03T04:05:06+01:00");
        assert_eq!(
            applied(&set("2019-07-14"), dated).unwrap(),
            "2019-07-14T04:05:06+01:00"
        );
        assert_eq!(
            applied(&set("2019-07-14T18:02"), dated).unwrap(),
            "2019-07-14T18:02:00+01:00"
        );
        assert_eq!(
            applied(&set("2019-07-14 18:02:11-0430"), dated).unwrap(),
            "2019-07-14T18:02:11-04:30"
        );
        assert_eq!(
            applied(&set("2019-07-14T18:02:11Z"), None).unwrap(),
            "2019-07-14T18:02:11Z"
        );
        assert_eq!(
            applied(&set("2019-07-14"), None).unwrap(),
            "2019-07-14T12:00:00"
        );
        for bad in [
            "",
            "2019-13-01",
            "14/07/2019",
            "2019-07-14X10:00",
            "2019-07-14T25:00",
            "2019-07-1é",
            "2019-07-é4",
        ] {
            assert!(DateChange::parse_set(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn shifts_move_by_calendar_units_and_keep_the_offset() {
        let shift = |text| DateChange::parse_shift(text).unwrap();
        let dated = Some("2019-01-31T23:30:00+09:00");
        assert_eq!(
            applied(&shift("+1h"), dated).unwrap(),
            "2019-02-01T00:30:00+09:00"
        );
        assert_eq!(
            applied(&shift("+1mo"), dated).unwrap(),
            "2019-02-28T23:30:00+09:00"
        );
        assert_eq!(
            applied(&shift("-1y2d30m"), dated).unwrap(),
            "2018-01-29T23:00:00+09:00"
        );
        assert!(matches!(
            applied(&shift("+1d"), None),
            Err(VaultError::CannotEdit(_))
        ));
        assert!(applied(&shift("+9999y"), dated).is_err());
        for bad in [
            "",
            "1h",
            "+",
            "+h",
            "+1x",
            "+1h-2m",
            "++1h",
            "+99999999999999999999y",
        ] {
            assert!(DateChange::parse_shift(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn positions_are_on_the_globe_or_none() {
        assert_eq!(
            parse_position("38.7223, -9.1393").unwrap(),
            Some((38.7223, -9.1393))
        );
        assert_eq!(parse_position("None").unwrap(), None);
        for bad in ["", "38.7", "91,0", "0,181", "nan,0", "a,b"] {
            assert!(parse_position(bad).is_err(), "{bad:?}");
        }
    }
}

//! Photo metadata from EXIF (JPEG, HEIF, PNG eXIf, WebP, TIFF and TIFF-based RAW), through
//! kamadak-exif. Malformed EXIF never fails an import: whatever parses is kept, the rest
//! is noted.

use super::MediaInfo;
use crate::guard;
use exif::{Exif, In, Reader, Tag, Value};

/// Fills `info` from the EXIF in `bytes`: `Ok(note)` with a note when only part of it
/// could be read, `Err` when none of it could.
pub fn read(bytes: &[u8], info: &mut MediaInfo) -> Result<Option<String>, String> {
    let parsed = guard::untrusted(|| {
        Reader::new()
            .continue_on_error(true)
            .read_from_container(&mut std::io::Cursor::new(bytes))
    })
    .map_err(|panic| format!("the EXIF parser failed on this file ({panic})"))?;
    let mut note = None;
    let exif = match parsed {
        Ok(exif) => exif,
        Err(exif::Error::NotFound(_)) => return Ok(None),
        Err(e @ exif::Error::PartialResult(_)) => e
            .distill_partial_result(|errors| {
                let first = errors.first().map(ToString::to_string).unwrap_or_default();
                note = Some(format!(
                    "EXIF partly unreadable ({} problems, e.g. {first}); kept the rest",
                    errors.len()
                ));
            })
            .map_err(|e| format!("EXIF unreadable: {e}"))?,
        Err(e) => return Err(format!("EXIF unreadable: {e}")),
    };
    let fields = Fields(&exif);
    info.camera_make = fields.text(Tag::Make);
    info.content_id = match fields.value(Tag::MakerNote) {
        Some(Value::Undefined(note, _)) => apple_content_id(note),
        _ => None,
    };
    info.camera_model = fields.text(Tag::Model);
    info.lens = fields.text(Tag::LensModel);
    info.exposure_time = fields
        .rational(Tag::ExposureTime)
        .map(|(n, d)| exposure(n, d));
    info.f_number = fields.real(Tag::FNumber);
    info.iso = fields.uint(Tag::PhotographicSensitivity);
    info.focal_length_mm = fields.real(Tag::FocalLength);
    info.orientation = fields
        .uint(Tag::Orientation)
        .filter(|o| (1..=8).contains(o))
        .map(|o| o as u16);
    info.width = fields
        .uint(Tag::PixelXDimension)
        .or_else(|| fields.uint(Tag::ImageWidth));
    info.height = fields
        .uint(Tag::PixelYDimension)
        .or_else(|| fields.uint(Tag::ImageLength));
    info.latitude = fields.coordinate(Tag::GPSLatitude, Tag::GPSLatitudeRef, "S", 90.0);
    info.longitude = fields.coordinate(Tag::GPSLongitude, Tag::GPSLongitudeRef, "W", 180.0);
    info.altitude = fields.real(Tag::GPSAltitude).map(|alt| {
        if fields.uint(Tag::GPSAltitudeRef) == Some(1) {
            -alt
        } else {
            alt
        }
    });
    let dated = [
        (
            fields.date(Tag::DateTimeOriginal, Tag::OffsetTimeOriginal),
            "exif",
        ),
        (
            fields.date(Tag::DateTimeDigitized, Tag::OffsetTimeDigitized),
            "exif-create",
        ),
        (fields.gps_time(), "gps"),
    ]
    .into_iter()
    .find_map(|(date, source)| date.map(|d| (d, source)));
    if let Some((date, source)) = dated {
        info.taken_at = Some(date);
        info.date_source = Some(source.to_string());
    }
    Ok(note)
}

/// The Live Photo identifier in Apple's MakerNote (docs/FORMAT.md, schema 15): tag 0x0011
/// of the big-endian IFD after "Apple iOS\0", a version and "MM"; its offsets count from
/// the MakerNote's start.
fn apple_content_id(note: &[u8]) -> Option<String> {
    let rest = note.strip_prefix(b"Apple iOS\0")?;
    if rest.get(2..4)? != b"MM" {
        return None;
    }
    let u16_at = |at: usize| Some(u16::from_be_bytes(note.get(at..at + 2)?.try_into().ok()?));
    let u32_at = |at: usize| Some(u32::from_be_bytes(note.get(at..at + 4)?.try_into().ok()?));
    let entries = usize::from(u16_at(14)?);
    let entry = (0..entries)
        .map(|n| 16 + n * 12)
        .find(|&at| u16_at(at) == Some(0x0011))?;
    let (kind, count) = (
        u16_at(entry + 2)?,
        usize::try_from(u32_at(entry + 4)?).ok()?,
    );
    if kind != 2 || !(5..=64).contains(&count) {
        return None; // not ASCII, or not the size of an identifier
    }
    let offset = usize::try_from(u32_at(entry + 8)?).ok()?;
    let text = note.get(offset..offset.checked_add(count)?)?;
    let id = String::from_utf8_lossy(text)
        .trim_matches(|c: char| c.is_whitespace() || c == '\0')
        .to_string();
    (!id.is_empty() && id.chars().all(|c| c.is_ascii_graphic())).then_some(id)
}

struct Fields<'a>(&'a Exif);

impl Fields<'_> {
    fn value(&self, tag: Tag) -> Option<&Value> {
        self.0.get_field(tag, In::PRIMARY).map(|f| &f.value)
    }

    fn text(&self, tag: Tag) -> Option<String> {
        let Value::Ascii(parts) = self.value(tag)? else {
            return None;
        };
        let text = String::from_utf8_lossy(parts.first()?)
            .trim_matches(|c: char| c.is_whitespace() || c == '\0')
            .to_string();
        (!text.is_empty()).then_some(text)
    }

    fn uint(&self, tag: Tag) -> Option<u32> {
        self.value(tag)?.get_uint(0)
    }

    fn rational(&self, tag: Tag) -> Option<(u32, u32)> {
        match self.value(tag)? {
            Value::Rational(v) => v.first().filter(|r| r.denom != 0).map(|r| (r.num, r.denom)),
            _ => None,
        }
    }

    fn real(&self, tag: Tag) -> Option<f64> {
        self.rational(tag)
            .map(|(n, d)| n as f64 / d as f64)
            .filter(|v| v.is_finite())
    }

    fn coordinate(&self, tag: Tag, reference: Tag, negative: &str, limit: f64) -> Option<f64> {
        let Value::Rational(dms) = self.value(tag)? else {
            return None;
        };
        let part = |i: usize| {
            dms.get(i)
                .filter(|r| r.denom != 0)
                .map(|r| r.num as f64 / r.denom as f64)
        };
        let degrees = part(0)? + part(1).unwrap_or(0.0) / 60.0 + part(2).unwrap_or(0.0) / 3600.0;
        let sign = if self.text(reference).as_deref() == Some(negative) {
            -1.0
        } else {
            1.0
        };
        (degrees <= limit).then_some(sign * degrees)
    }

    /// A date tag with its offset tag, as ISO 8601; None for missing or unset ("0000:00:00").
    fn date(&self, tag: Tag, offset_tag: Tag) -> Option<String> {
        let raw = self.text(tag)?;
        let dt = exif::DateTime::from_ascii(raw.as_bytes()).ok()?;
        let mut iso = iso_date(dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second)?;
        if let Some(offset) = self.text(offset_tag).filter(|o| is_offset(o)) {
            iso.push_str(&offset);
        }
        Some(iso)
    }

    /// GPSDateStamp + GPSTimeStamp: UTC.
    fn gps_time(&self) -> Option<String> {
        let date = self.text(Tag::GPSDateStamp)?;
        let mut parts = date.split(':').map(|p| p.parse::<u16>().ok());
        let (y, mo, d) = (parts.next()??, parts.next()??, parts.next()??);
        let Value::Rational(hms) = self.value(Tag::GPSTimeStamp)? else {
            return None;
        };
        let part = |i: usize| {
            hms.get(i)
                .filter(|r| r.denom != 0)
                .map(|r| (r.num / r.denom) as u8)
        };
        let iso = iso_date(y, mo as u8, d as u8, part(0)?, part(1)?, part(2)?)?;
        Some(iso + "Z")
    }
}

fn iso_date(year: u16, month: u8, day: u8, hour: u8, minute: u8, second: u8) -> Option<String> {
    jiff::civil::DateTime::new(
        year as i16,
        month as i8,
        day as i8,
        hour as i8,
        minute as i8,
        second as i8,
        0,
    )
    .ok()?;
    if year < 1800 {
        return None;
    }
    Some(format!(
        "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}"
    ))
}

fn is_offset(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 6
        && (b[0] == b'+' || b[0] == b'-')
        && b[3] == b':'
        && [1, 2, 4, 5].iter().all(|&i| b[i].is_ascii_digit())
}

/// "1/160" below a second, "2.5" (seconds) above.
fn exposure(num: u32, denom: u32) -> String {
    if num == 0 {
        return "0".into();
    }
    if num < denom {
        format!("1/{}", (denom as f64 / num as f64).round())
    } else {
        let seconds = num as f64 / denom as f64;
        format!("{}", (seconds * 10.0).round() / 10.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposure_times_read_as_photographers_write_them() {
        assert_eq!(exposure(1, 160), "1/160");
        assert_eq!(exposure(10, 1600), "1/160");
        assert_eq!(exposure(5, 2), "2.5");
        assert_eq!(exposure(30, 1), "30");
    }

    /// Apple's MakerNote: header, one IFD entry (tag 0x0011, ASCII), then the text.
    fn apple_note(tag: u16, kind: u16, text: &[u8], offset: u32) -> Vec<u8> {
        let mut note = b"Apple iOS\0\0\x01MM\0\x01".to_vec();
        note.extend(tag.to_be_bytes());
        note.extend(kind.to_be_bytes());
        note.extend((text.len() as u32).to_be_bytes());
        note.extend(offset.to_be_bytes());
        note.extend(text);
        note
    }

    #[test]
    fn apple_live_photo_identifiers_are_read_and_nothing_else() {
        let id = b"570F1469-09C7-4E50-9875-05F21D5BD166\0";
        assert_eq!(
            apple_content_id(&apple_note(0x0011, 2, id, 28)).as_deref(),
            Some("570F1469-09C7-4E50-9875-05F21D5BD166")
        );
        assert_eq!(apple_content_id(&apple_note(0x0012, 2, id, 28)), None);
        assert_eq!(apple_content_id(&apple_note(0x0011, 7, id, 28)), None);
        assert_eq!(apple_content_id(&apple_note(0x0011, 2, id, 4000)), None);
        assert_eq!(apple_content_id(&apple_note(0x0011, 2, id, u32::MAX)), None);
        assert_eq!(apple_content_id(b"Nikon\0\x02"), None);
        assert_eq!(apple_content_id(b"Apple iOS\0"), None);
    }

    #[test]
    fn offsets_and_unset_dates() {
        assert!(is_offset("+02:00") && is_offset("-05:30"));
        assert!(!is_offset("02:00") && !is_offset("+0200"));
        assert_eq!(iso_date(0, 0, 0, 0, 0, 0), None);
        assert_eq!(
            iso_date(2008, 5, 30, 15, 56, 1).as_deref(),
            Some("2008-05-30T15:56:01")
        );
    }
}

//! The little metadata the foundation needs: when a photo was taken. The media pipeline
//! extends this with camera, lens, GPS and dimensions.

use crate::guard;
use crate::sniff::{MediaKind, MediaType};
use exif::{In, Reader, Tag, Value};
use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::time::SystemTime;

/// Where `taken_at` came from, so the UI can say how sure it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateSource {
    Exif,
    FileTime,
}

impl DateSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Exif => "exif",
            Self::FileTime => "file-time",
        }
    }
}

pub struct Metadata {
    pub taken_at: Option<String>,
    pub date_source: Option<DateSource>,
    /// Why something could not be read; the photo is stored regardless.
    pub note: Option<String>,
}

pub fn read(path: &Path, media: MediaType, modified: Option<SystemTime>) -> Metadata {
    let from_exif = match media.kind {
        MediaKind::Photo | MediaKind::Raw => exif_date(path),
        MediaKind::Video => Ok(None),
    };
    let (exif_taken, note) = match from_exif {
        Ok(date) => (date, None),
        Err(reason) => (None, Some(format!("metadata unreadable: {reason}"))),
    };
    match exif_taken {
        Some(taken) => Metadata {
            taken_at: Some(taken),
            date_source: Some(DateSource::Exif),
            note,
        },
        None => Metadata {
            taken_at: modified.and_then(format_system_time),
            date_source: modified.map(|_| DateSource::FileTime),
            note,
        },
    }
}

pub fn format_system_time(time: SystemTime) -> Option<String> {
    let ts = jiff::Timestamp::try_from(time).ok()?;
    Some(ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// `DateTimeOriginal` (else `DateTime`), with `OffsetTimeOriginal` when present, as ISO 8601. `Ok(None)`
/// when the file simply has no EXIF date; `Err` when the EXIF is there but broken.
fn exif_date(path: &Path) -> Result<Option<String>, String> {
    let file = File::open(path).map_err(|e| e.to_string())?;
    let parsed = guard::untrusted(|| Reader::new().read_from_container(&mut BufReader::new(file)))
        .map_err(|panic| format!("the EXIF parser failed on this file ({panic})"))?;
    let exif = match parsed {
        Ok(exif) => exif,
        Err(exif::Error::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    let ascii = |tag| match exif.get_field(tag, In::PRIMARY).map(|f| &f.value) {
        Some(Value::Ascii(parts)) => parts
            .first()
            .map(|v| String::from_utf8_lossy(v).trim().to_string()),
        _ => None,
    };
    let Some(raw) = ascii(Tag::DateTimeOriginal).or_else(|| ascii(Tag::DateTime)) else {
        return Ok(None);
    };
    let Ok(date) = exif::DateTime::from_ascii(raw.as_bytes()) else {
        return Err(format!("unreadable date {raw:?}"));
    };
    // Cameras with an unset clock write "0000:00:00 00:00:00": no date, not an error.
    let valid = jiff::civil::DateTime::new(
        date.year as i16,
        date.month as i8,
        date.day as i8,
        date.hour as i8,
        date.minute as i8,
        date.second as i8,
        0,
    )
    .is_ok();
    if !valid {
        return Ok(None);
    }
    let mut iso = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        date.year, date.month, date.day, date.hour, date.minute, date.second
    );
    if let Some(offset) = ascii(Tag::OffsetTimeOriginal).filter(|o| o.len() == 6) {
        iso.push_str(&offset);
    }
    Ok(Some(iso))
}

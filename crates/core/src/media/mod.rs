//! The media pipeline: what a photo or video is (metadata) and what it looks like (a grid
//! thumbnail and, where the viewer needs one, a preview). Everything here works on
//! plaintext in memory, or on the user's own file; nothing is written to disk.

mod budget;
mod decode;
pub(crate) mod dhash;
mod exif;
mod icc;
pub(crate) mod motion;
mod name_date;
mod pixels;
pub(crate) mod video;

use crate::sniff::{MediaKind, MediaType};
use decode::Decoded;
use serde::Serialize;
use std::path::Path;

/// Long side of the grid thumbnail: sharp in a 256-point cell on a 2x display.
pub const GRID_SIDE: u32 = 512;
/// Long side of the viewer's preview, for originals the webview cannot show.
pub const PREVIEW_SIDE: u32 = 2048;
/// Webview-friendly originals above this many pixels still get a preview.
const PREVIEW_ABOVE_PIXELS: u64 = 30_000_000;
const GRID_QUALITY: i32 = 80;
const PREVIEW_QUALITY: i32 = 85;
/// Bumped when renditions change, so `rethumb` knows what is out of date.
pub const PIPELINE_VERSION: u32 = 1;

/// What the catalog keeps about one photo or video beyond its file facts.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct MediaInfo {
    pub taken_at: Option<String>,
    /// exif | exif-create | gps | video | filename | file-time (shown as "file time")
    #[serde(serialize_with = "date_source_words")]
    pub date_source: Option<String>,
    pub camera_make: Option<String>,
    pub camera_model: Option<String>,
    pub lens: Option<String>,
    pub exposure_time: Option<String>,
    pub f_number: Option<f64>,
    pub iso: Option<u32>,
    pub focal_length_mm: Option<f64>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub altitude: Option<f64>,
    pub orientation: Option<u16>,
    /// Pixel size as displayed (after orientation).
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub duration_ms: Option<u64>,
    /// A video's codecs as ffprobe names them ("h264", "aac"): what decides whether this
    /// platform's webview plays it (see `playback`).
    pub video_codec: Option<String>,
    pub audio_codec: Option<String>,
    /// A Motion Photo's video: how many of the original's last bytes it is (`motion`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub motion_length: Option<u64>,
    /// Apple's Live Photo identifier, the same on its still and its video (schema 15).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_id: Option<String>,
    /// The grid thumbnail's perceptual hash (`dhash`), for finding near-duplicates.
    #[serde(skip)]
    pub dhash: Option<[u8; dhash::LEN]>,
    /// Where the GPS coordinates are, in words (`places`); shown apart by the shells.
    #[serde(skip)]
    pub place: Option<crate::places::Place>,
}

/// The date's source as the CLI's contract words it: the catalog's `file-time` (schema 2)
/// reads "file time".
fn date_source_words<S: serde::Serializer>(
    source: &Option<String>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match source.as_deref() {
        Some("file-time") => serializer.serialize_some("file time"),
        other => other.serialize(serializer),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RenditionKind {
    Grid,
    Preview,
}

impl RenditionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Grid => "grid",
            Self::Preview => "preview",
        }
    }
}

/// An encoded JPEG derived from the original.
#[derive(Debug, Clone)]
pub struct Rendition {
    pub kind: RenditionKind,
    pub width: u32,
    pub height: u32,
    pub jpeg: Vec<u8>,
}

pub struct Analysis {
    pub info: MediaInfo,
    pub renditions: Vec<Rendition>,
    /// Why no thumbnail could be made (the UI shows a typed placeholder with it).
    pub render_error: Option<String>,
    /// Metadata that could not be read.
    pub notes: Vec<String>,
}

/// The original's bytes in memory, or (for files too large to hold) its path on disk.
pub enum Original<'a> {
    Bytes(&'a [u8]),
    File(&'a Path),
}

/// What is known of an original beyond its bytes: its file name and the file's time, the
/// fallbacks for a date its own metadata does not give.
#[derive(Clone, Copy, Default)]
pub struct FileFacts<'a> {
    pub name: Option<&'a str>,
    pub modified: Option<&'a str>,
    /// Degrees the user turned the picture clockwise (schema 12): 0, 90, 180 or 270.
    pub rotation: u16,
}

/// The degrees clockwise of a turning EXIF orientation (`turned_by`'s inverse).
fn degrees_of(orientation: u16) -> u16 {
    match orientation {
        6 => 90,
        3 => 180,
        8 => 270,
        _ => 0,
    }
}

/// The EXIF orientation that turns a picture clockwise by `degrees`.
fn turned_by(degrees: u16) -> u16 {
    match degrees {
        90 => 6,
        180 => 3,
        270 => 8,
        _ => 1,
    }
}

pub fn analyse(original: Original, media: MediaType, file: FileFacts) -> Analysis {
    let mut info = MediaInfo::default();
    let mut notes = Vec::new();
    // Every decoder runs on untrusted bytes: a panic in one costs this photo its
    // thumbnail, never the import (or, in the app, a worker that never reports back).
    let rendered = crate::guard::untrusted(|| match media.kind {
        MediaKind::Video => analyse_video(&original, media, &mut info, &mut notes),
        MediaKind::Photo | MediaKind::Raw => match &original {
            Original::Bytes(bytes) => {
                analyse_photo(bytes, media, file.rotation, &mut info, &mut notes)
            }
            // Scans and medium-format RAWs pass the import's in-memory size; their
            // metadata (in a TIFF, often after the pixels) needs the whole file.
            Original::File(path) => match read_photo(path) {
                Ok(bytes) => analyse_photo(&bytes, media, file.rotation, &mut info, &mut notes),
                Err(why) => Err(why),
            },
        },
    })
    .unwrap_or_else(|panic| Err(format!("the decoder failed: {panic}")));
    if let (Some(lat), Some(lon)) = (info.latitude, info.longitude) {
        info.place = crate::places::place_at(lat, lon);
    }
    date_from_file(&mut info, file);
    let (renditions, render_error) = match rendered {
        Ok(renditions) => (renditions, None),
        Err(reason) => (Vec::new(), Some(reason)),
    };
    Analysis {
        info,
        renditions,
        render_error,
        notes,
    }
}

/// What is known of an original the pipeline does not read now (too large to hold in
/// memory, inside an archive): a date from its name or time, and why it has no thumbnail.
pub fn unread(file: FileFacts, why: String) -> Analysis {
    let mut info = MediaInfo::default();
    date_from_file(&mut info, file);
    Analysis {
        info,
        renditions: Vec::new(),
        render_error: Some(why),
        notes: Vec::new(),
    }
}

/// Where its own metadata gives no date: the one in its file name, else the file's time.
fn date_from_file(info: &mut MediaInfo, file: FileFacts) {
    if info.taken_at.is_some() {
        return;
    }
    if let Some(taken) = file.name.and_then(name_date::date_in_name) {
        info.taken_at = Some(taken);
        info.date_source = Some("filename".into());
    } else if let Some(time) = file.modified {
        info.taken_at = Some(time.to_string());
        info.date_source = Some("file-time".into());
    }
}

/// Photos up to this size are read whole for their metadata and thumbnails, however
/// large; beyond it they are stored with a note.
const PHOTO_READ_MAX: u64 = 256 << 20;

fn read_photo(path: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| format!("could not read it again: {e}"))?;
    let len = file.metadata().map_err(|e| e.to_string())?.len();
    if len > PHOTO_READ_MAX {
        return Err(format!("too large to render in memory ({} MB)", len >> 20));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(PHOTO_READ_MAX)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("could not read it again: {e}"))?;
    Ok(bytes)
}

fn analyse_photo(
    bytes: &[u8],
    media: MediaType,
    rotation: u16,
    info: &mut MediaInfo,
    notes: &mut Vec<String>,
) -> Result<Vec<Rendition>, String> {
    #[cfg(test)]
    if bytes.ends_with(tests::PLANTED_PANIC) {
        panic!("a decoder bug, planted by a test");
    }
    match exif::read(bytes, info) {
        Ok(partly) => notes.extend(partly),
        Err(note) => notes.push(note),
    }
    let web_format = matches!(
        media.mime,
        "image/jpeg" | "image/png" | "image/gif" | "image/webp"
    );
    if media.mime == "image/jpeg" {
        info.motion_length = motion::video_length(bytes);
    }
    let decoded = match media.mime {
        "image/jpeg" => {
            let big = turbojpeg::read_header(bytes)
                .is_ok_and(|h| (h.width * h.height) as u64 > PREVIEW_ABOVE_PIXELS);
            decode::jpeg(bytes, if big { PREVIEW_SIDE } else { GRID_SIDE })
        }
        "image/heic" | "image/heic-sequence" | "image/heif" | "image/avif" => decode::heif(bytes),
        "image/jxl" => Err("JPEG XL previews are not supported yet".into()),
        _ if media.kind == MediaKind::Raw => decode::raw_preview(bytes, PREVIEW_SIDE),
        // DNG, NEF, ARW and other RAWs are TIFFs a TIFF decoder cannot read: their
        // embedded preview is the picture to show.
        "image/tiff" => decode::raster(bytes)
            .or_else(|e| decode::raw_preview(bytes, PREVIEW_SIDE).map_err(|_| e)),
        _ => decode::raster(bytes),
    }?;
    // libheif has already applied the container's rotation; EXIF orientation applies to the
    // others (the RAW preview shares its RAW's orientation).
    let orientation = match media.mime {
        "image/heic" | "image/heic-sequence" | "image/heif" | "image/avif" => 1,
        _ => info.orientation.unwrap_or(1),
    };
    let (fw, fh) = (decoded.full_width, decoded.full_height);
    let (fw, fh) = if pixels::swaps_axes(orientation) {
        (fh, fw)
    } else {
        (fw, fh)
    };
    if media.kind != MediaKind::Raw || info.width.is_none() {
        (info.width, info.height) = (Some(fw), Some(fh));
    }
    let turn = turned_by(rotation);
    if pixels::swaps_axes(turn)
        && let (Some(w), Some(h)) = (info.width, info.height)
    {
        (info.width, info.height) = (Some(h), Some(w));
    }
    // A turned photo gets a preview even where the webview could show the original: the
    // original would show the wrong way up.
    let needs_preview = !web_format || turn != 1 || fw as u64 * fh as u64 > PREVIEW_ABOVE_PIXELS;
    renditions(decoded, orientation, turn, needs_preview, info)
}

fn analyse_video(
    original: &Original,
    media: MediaType,
    info: &mut MediaInfo,
    notes: &mut Vec<String>,
) -> Result<Vec<Rendition>, String> {
    let input = match original {
        Original::Bytes(bytes) => video::Input::Bytes(bytes),
        Original::File(path) => video::Input::Path(path),
    };
    let demuxer = video::demuxer(media.mime);
    match video::probe(&input, demuxer) {
        Ok(probed) => {
            info.duration_ms = probed.duration_ms;
            info.taken_at = probed.created.as_deref().and_then(normalise_video_time);
            info.date_source = info.taken_at.as_ref().map(|_| "video".to_string());
            (info.latitude, info.longitude, info.altitude) =
                (probed.latitude, probed.longitude, probed.altitude);
            (info.width, info.height) = (probed.width, probed.height);
            (info.camera_make, info.camera_model) = (probed.make, probed.model);
            (info.video_codec, info.audio_codec) = (probed.video_codec, probed.audio_codec);
            info.content_id = probed.content_id;
        }
        Err(note) => notes.push(note),
    }
    let frame = video::poster(&input, demuxer, info.duration_ms, PREVIEW_SIDE)?;
    renditions(frame, 1, 1, true, info)
}

/// A video's creation time as ISO 8601, keeping the offset a phone recorded:
/// "2019-07-24T11:25:57+0300" -> "2019-07-24T11:25:57+03:00",
/// "2019-05-24T16:15:59.000000Z" -> "2019-05-24T16:15:59Z". Cameras with no clock set write
/// 1904 or 1970: no date.
fn normalise_video_time(raw: &str) -> Option<String> {
    let local = raw.get(..19)?;
    let civil: jiff::civil::DateTime = local.parse().ok()?;
    if civil.year() <= 1970 {
        return None;
    }
    let rest = raw[19..].trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
    let offset = match rest.as_bytes() {
        [] => String::new(),
        [b'Z'] => "Z".into(),
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] | [sign @ (b'+' | b'-'), h1, h2, m1, m2]
            if [h1, h2, m1, m2].iter().all(|b| b.is_ascii_digit()) =>
        {
            format!(
                "{}{}{}:{}{}",
                *sign as char, *h1 as char, *h2 as char, *m1 as char, *m2 as char
            )
        }
        _ => return None,
    };
    Some(format!("{local}{offset}"))
}

/// A stored JPEG rendition, decoded (to hash thumbnails made before hashes were kept).
pub(crate) fn decode_jpeg(bytes: &[u8]) -> Result<pixels::Rgb, String> {
    crate::guard::untrusted(|| decode::jpeg(bytes, GRID_SIDE))
        .map_err(|panic| format!("the decoder failed: {panic}"))?
        .map(|decoded| decoded.image)
}

/// The grid thumbnail and (`with_preview`) the preview, upright: the file's `orientation`,
/// then the user's `turn` (both as EXIF orientations).
fn renditions(
    decoded: Decoded,
    orientation: u16,
    turn: u16,
    with_preview: bool,
    info: &mut MediaInfo,
) -> Result<Vec<Rendition>, String> {
    let icc = decoded.icc.as_deref();
    let mut out = Vec::new();
    let upright = if with_preview {
        let preview = decoded
            .image
            .fit(PREVIEW_SIDE)?
            .orient(orientation)
            .orient(turn);
        out.push(encode(
            &preview,
            RenditionKind::Preview,
            PREVIEW_QUALITY,
            icc,
        )?);
        preview
    } else {
        decoded
            .image
            .fit(GRID_SIDE)?
            .orient(orientation)
            .orient(turn)
    };
    let grid = upright.fit(GRID_SIDE)?;
    // Hashed as the file shows it, so that turning a photo never hides its duplicates.
    info.dhash = Some(match turn {
        1 => dhash::dhash(&grid),
        turn => dhash::dhash(&grid.clone().orient(turned_by(360 - degrees_of(turn)))),
    });
    out.insert(0, encode(&grid, RenditionKind::Grid, GRID_QUALITY, icc)?);
    Ok(out)
}

fn encode(
    image: &pixels::Rgb,
    kind: RenditionKind,
    quality: i32,
    icc: Option<&[u8]>,
) -> Result<Rendition, String> {
    let jpeg = image.encode_jpeg(quality)?;
    Ok(Rendition {
        kind,
        width: image.width,
        height: image.height,
        jpeg: match icc {
            Some(profile) => icc::embed(jpeg, profile),
            None => jpeg,
        },
    })
}

#[cfg(test)]
mod tests {

    /// Photo bytes ending in this make `analyse_photo` panic, as a decoder bug would.
    pub(super) const PLANTED_PANIC: &[u8] = b"PLANTED DECODER PANIC";

    #[test]
    fn a_panicking_decoder_costs_the_thumbnail_not_the_import() {
        let mut bytes = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00".to_vec();
        bytes.extend_from_slice(PLANTED_PANIC);
        let media = crate::sniff::sniff(&bytes).expect("a JPEG by its signature");
        let file = FileFacts {
            name: Some("photo.jpg"),
            modified: Some("2020-01-02T03:04:05Z"),
            rotation: 0,
        };
        let analysis = analyse(Original::Bytes(&bytes), media, file);
        let error = analysis.render_error.expect("a render error");
        assert!(error.contains("the decoder failed"), "{error}");
        assert_eq!(analysis.info.date_source.as_deref(), Some("file-time"));
    }
    use super::*;

    #[test]
    fn video_times_keep_their_offset() {
        assert_eq!(
            normalise_video_time("2019-07-24T11:25:57+0300").as_deref(),
            Some("2019-07-24T11:25:57+03:00")
        );
        assert_eq!(
            normalise_video_time("2019-05-24T16:15:59.000000Z").as_deref(),
            Some("2019-05-24T16:15:59Z")
        );
        assert_eq!(normalise_video_time("1904-01-01T00:00:00.000000Z"), None);
        assert_eq!(normalise_video_time("garbage"), None);
    }
}

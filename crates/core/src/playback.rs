//! Which videos this platform's webview plays as they are. Anything else is played from a
//! proxy: a copy in H.264/AAC MP4, which every webview plays.
//!
//! What each webview plays (checked by hand for WebKitGTK here, from the vendors' lists for
//! the others):
//! - WebKitGTK (Linux) plays what GStreamer's good, bad and libav plugins demux and decode;
//!   the app's package depends on them. Not ASF (WMV), which needs the "ugly" set.
//! - WebView2 (Windows) plays what Chromium does without paid extensions: no HEVC, no
//!   QuickTime-only codecs, no AVI, Matroska or 3GP.
//! - WKWebView (macOS) plays what AVFoundation does: no AVI, Matroska, WebM or ASF.

use crate::catalog::Item;
use crate::library::object_error;
use crate::sniff::MediaKind;
use crate::{Contents, Library, ObjectId, VaultError};
use keepsake_crypto::ObjectError;
use serde::Serialize;
use std::io::Write;
use std::ops::Range;

/// The stream the viewer plays for a video.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Playable {
    Original,
    Proxy,
}

impl Playable {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Original => "original",
            Self::Proxy => "proxy",
        }
    }
}

/// Containers (sniffed MIME types) and codecs (ffprobe's names) a webview plays.
struct Webview {
    containers: &'static [&'static str],
    video: &'static [&'static str],
    audio: &'static [&'static str],
}

const PCM: [&str; 7] = [
    "pcm_s16le",
    "pcm_s16be",
    "pcm_s24le",
    "pcm_f32le",
    "pcm_u8",
    "pcm_mulaw",
    "pcm_alaw",
];

#[cfg(not(any(target_os = "windows", target_os = "macos")))]
const HERE: Webview = Webview {
    containers: &[
        "video/mp4",
        "video/quicktime",
        "video/x-m4v",
        "video/3gpp",
        "video/x-matroska",
        "video/webm",
        "video/x-msvideo",
    ],
    video: &[
        "h264",
        "hevc",
        "mpeg4",
        "h263",
        "vp8",
        "vp9",
        "av1",
        "mjpeg",
        "mpeg1video",
        "mpeg2video",
        "theora",
        "prores",
        "dvvideo",
        "msmpeg4v3",
    ],
    audio: &[
        "aac", "mp3", "mp2", "opus", "vorbis", "flac", "alac", "ac3", "eac3", "amr_nb", "amr_wb",
        PCM[0], PCM[1], PCM[2], PCM[3], PCM[4], PCM[5], PCM[6],
    ],
};

#[cfg(target_os = "windows")]
const HERE: Webview = Webview {
    containers: &["video/mp4", "video/x-m4v", "video/quicktime", "video/webm"],
    video: &["h264", "vp8", "vp9", "av1"],
    audio: &["aac", "mp3", "opus", "vorbis", "flac", PCM[0]],
};

#[cfg(target_os = "macos")]
const HERE: Webview = Webview {
    containers: &["video/mp4", "video/x-m4v", "video/quicktime", "video/3gpp"],
    video: &["h264", "hevc", "mpeg4", "h263", "prores"],
    audio: &[
        "aac", "mp3", "alac", "ac3", "eac3", "amr_nb", PCM[0], PCM[1], PCM[2], PCM[3],
    ],
};

/// Whether this platform's webview plays the video as it is. A codec the catalog does not
/// know (videos imported before codecs were recorded) is judged by its container alone.
pub fn plays_here(item: &Item) -> bool {
    item.kind == MediaKind::Video
        && HERE.containers.contains(&item.media_type.as_str())
        && item
            .media
            .video_codec
            .as_deref()
            .is_none_or(|c| HERE.video.contains(&c))
        && item
            .media
            .audio_codec
            .as_deref()
            .is_none_or(|c| HERE.audio.contains(&c))
}

/// The stream the viewer plays for `item`: None for a photo, or for a video this webview
/// does not play that has no proxy yet.
fn choose(item: &Item) -> Option<Playable> {
    plays_here(item).then_some(Playable::Original)
}

/// Why `item` has no playable stream.
fn not_playable(item: &Item) -> VaultError {
    let why = if item.kind == MediaKind::Video {
        let codecs = [&item.media.video_codec, &item.media.audio_codec]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "{} ({}{}{codecs}) does not play in this platform's viewer, and it has no \
             playable copy yet",
            item.name,
            item.media_type,
            if codecs.is_empty() { "" } else { ": " },
        )
    } else {
        format!("{} is a {}, not a video", item.name, item.kind.as_str())
    };
    VaultError::NotPlayable(why)
}

impl Contents {
    pub fn playable(&self, item: &Item) -> Option<Playable> {
        choose(item)
    }

    /// Decrypts the stream the viewer plays for video `id` into `dst`.
    pub fn write_playable(
        &self,
        id: &ObjectId,
        dst: &mut impl Write,
    ) -> Result<(Playable, u64), VaultError> {
        let item = self.catalog.item(id)?.ok_or(VaultError::NoSuchItem(*id))?;
        match choose(&item) {
            Some(Playable::Original) => {
                let written = self
                    .store
                    .decrypt(id, &self.key, dst)
                    .map_err(|e| match e {
                        ObjectError::Write(e) => VaultError::io("writing the video", e),
                        other => object_error(id, other),
                    })?;
                Ok((Playable::Original, written))
            }
            _ => Err(not_playable(&item)),
        }
    }
}

/// What the player streams: which stream, its type and its length.
#[derive(Debug, Clone)]
pub struct PlayableStream {
    pub id: ObjectId,
    pub playable: Playable,
    pub media_type: String,
    pub size: u64,
}

impl Library {
    /// The stream the viewer plays for video `id`, read with `playable_range`.
    pub fn playable(&self, id: &ObjectId) -> Result<PlayableStream, VaultError> {
        let item = self.item(id)?.ok_or(VaultError::NoSuchItem(*id))?;
        match choose(&item) {
            Some(Playable::Original) => Ok(PlayableStream {
                id: *id,
                playable: Playable::Original,
                media_type: item.media_type,
                size: item.size,
            }),
            _ => Err(not_playable(&item)),
        }
    }

    /// Bytes `range` of `stream`, at most `RANGE_MAX_BYTES` of them.
    pub fn playable_range(
        &self,
        stream: &PlayableStream,
        range: Range<u64>,
    ) -> Result<Vec<u8>, VaultError> {
        let (_, bytes) = self.original_range(&stream.id, range)?;
        Ok(bytes)
    }
}

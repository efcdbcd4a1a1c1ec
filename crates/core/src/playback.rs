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

use crate::catalog::{Item, Proxy};
use crate::library::object_error;
use crate::media::video;
use crate::sniff::MediaKind;
use crate::store::ObjectStore;
use crate::{Cancel, Contents, Library, ObjectId, VaultError};
use keepsake_crypto::ObjectError;
use serde::Serialize;
use std::io::{Seek, Write};
use std::ops::Range;

/// The stream the viewer plays for a video.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Playable {
    Original,
    Proxy,
    /// A Motion Photo's video: the last bytes of its original (schema 14).
    Motion,
}

impl Playable {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Original => "original",
            Self::Proxy => "proxy",
            Self::Motion => "motion",
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

/// Whether `item` is a video this webview does not play as it is.
fn needs_proxy(item: &Item) -> bool {
    item.kind == MediaKind::Video && !plays_here(item)
}

/// The stream the viewer plays for `item`: None for a photo (but a Motion Photo), or for a
/// video this webview does not play that has no proxy yet.
fn choose(item: &Item, proxy: Option<&Proxy>) -> Option<Playable> {
    if item.media.motion_length.is_some() {
        Some(Playable::Motion)
    } else if plays_here(item) {
        Some(Playable::Original)
    } else if item.kind == MediaKind::Video && proxy.is_some() {
        Some(Playable::Proxy)
    } else {
        None
    }
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

/// Originals above this size get no proxy: converting one holds it in memory.
const PROXY_SOURCE_MAX: u64 = 2 << 30;

/// What making proxies did.
#[derive(Debug, Default, Serialize)]
pub struct ProxyReport {
    pub made: u64,
    pub made_bytes: u64,
    /// Videos ffmpeg could not convert (they keep their poster, and play nowhere here).
    #[serde(serialize_with = "crate::report_json::id_reasons")]
    pub failed: Vec<(ObjectId, String)>,
}

impl Contents {
    pub fn playable(&self, item: &Item) -> Result<Option<Playable>, VaultError> {
        Ok(choose(item, self.catalog.proxy(&item.id)?.as_ref()))
    }

    /// Decrypts the stream the viewer plays for video `id` into `dst`.
    pub fn write_playable(
        &self,
        id: &ObjectId,
        dst: &mut impl Write,
    ) -> Result<(Playable, u64), VaultError> {
        let item = self.catalog.item(id)?.ok_or(VaultError::NoSuchItem(*id))?;
        let proxy = self.catalog.proxy(id)?;
        let (playable, store, object) = match (choose(&item, proxy.as_ref()), proxy) {
            (Some(Playable::Motion), _) => {
                let mut video = MotionVideo::new(&item, dst);
                let written =
                    self.store
                        .decrypt(id, &self.key, &mut video)
                        .map_err(|e| match e {
                            ObjectError::Write(e) => VaultError::io("writing the video", e),
                            other => object_error(id, other),
                        })?;
                if written != item.size {
                    return Err(VaultError::ObjectDamaged {
                        id: *id,
                        reason: format!(
                            "it holds {written} bytes, the catalog lists {} (swapped or \
                             rolled back)",
                            item.size
                        ),
                    });
                }
                return Ok((Playable::Motion, written - video.skip_at_start));
            }
            (Some(Playable::Original), _) => (Playable::Original, self.store.clone(), *id),
            (Some(Playable::Proxy), Some(proxy)) => {
                (Playable::Proxy, ObjectStore::proxies(&self.dir), proxy.id)
            }
            _ => return Err(not_playable(&item)),
        };
        let written = store
            .decrypt(&object, &self.key, dst)
            .map_err(|e| match e {
                ObjectError::Write(e) => VaultError::io("writing the video", e),
                other => object_error(&object, other),
            })?;
        Ok((playable, written))
    }

    /// Makes the proxies this platform's viewer needs among `ids` (every video when None):
    /// one for each video it does not play that has none. A video that cannot be converted
    /// (ffmpeg refuses it, its original is damaged, it was purged meanwhile) is reported,
    /// not an error. Where the OS has no in-memory files, none is made and each is
    /// reported (a proxy is never written to disk in the clear). `cancel` (locking) stops
    /// it at once, ffmpeg included.
    pub fn make_proxies(
        &mut self,
        ids: Option<&[ObjectId]>,
        cancel: &Cancel,
    ) -> Result<ProxyReport, VaultError> {
        let items = match ids {
            None => self.catalog.items()?,
            Some(ids) => {
                let mut items = Vec::new();
                for id in ids {
                    items.extend(self.catalog.item(id)?);
                }
                items
            }
        };
        let mut report = ProxyReport::default();
        for item in items.iter().filter(|item| needs_proxy(item)) {
            if cancel.is_cancelled() {
                break;
            }
            if self.catalog.proxy(&item.id)?.is_some() {
                continue;
            }
            if item.size > PROXY_SOURCE_MAX {
                let why = format!("too large to convert in memory ({} MB)", item.size >> 20);
                report.failed.push((item.id, why));
                continue;
            }
            match self.make_proxy(item, cancel) {
                Ok(size) => {
                    report.made += 1;
                    report.made_bytes += size;
                }
                Err(_) if cancel.is_cancelled() => break,
                Err(why) => report.failed.push((item.id, why)),
            }
        }
        Ok(report)
    }

    /// The proxy of `item`, converted from its decrypted original in memory, encrypted and
    /// stored before the catalog names it (a crash in between leaves an unlisted proxy,
    /// which nothing reads and `verify --repair` deletes). Returns its size, or why not.
    fn make_proxy(&mut self, item: &Item, cancel: &Cancel) -> Result<u64, String> {
        let Some(mut original) = video::empty_memory_file() else {
            return Err(
                "this system has no in-memory files to convert it in (a playable copy \
                        is never written to disk in the clear)"
                    .into(),
            );
        };
        self.store
            .decrypt(&item.id, &self.key, &mut original)
            .map_err(|e| object_error(&item.id, e).to_string())?;
        original.rewind().map_err(|e| e.to_string())?;
        let source = video::ProxySource {
            size: item.size,
            duration_ms: item.media.duration_ms,
        };
        let demuxer = video::demuxer(&item.media_type);
        let input = video::Input::Memory(&original);
        let mut encoded = video::proxy(&input, demuxer, &source, cancel)?
            .ok_or("this system has no in-memory files to convert it in")?;
        drop(original);
        let probed = video::probe(&video::Input::Memory(&encoded), Some("mov"))?;
        // Cut short by the size cap: a copy that stops early is no copy.
        if let (Some(made), Some(claimed)) = (probed.duration_ms, item.media.duration_ms)
            && made * 10 < claimed * 9
        {
            return Err(format!(
                "the playable copy stopped at {} s of {} s (the size limit)",
                made / 1000,
                claimed / 1000
            ));
        }
        encoded.rewind().map_err(|e| e.to_string())?;
        let store = ObjectStore::proxies(&self.dir);
        store.create_layout().map_err(|e| e.to_string())?;
        let (pending, mut writer) = store.create(&self.key).map_err(|e| e.to_string())?;
        let size = writer
            .write_from(&mut encoded, |_| {})
            .map_err(|e| VaultError::from_object_write("writing a proxy", e).to_string())?;
        let tmp = writer
            .finish()
            .map_err(|e| VaultError::from_object_write("writing a proxy", e).to_string())?;
        tmp.sync_all().map_err(|e| e.to_string())?;
        drop(tmp);
        let id = store.commit(pending).map_err(|e| e.to_string())?;
        let proxy = Proxy {
            id,
            size,
            width: probed.width.unwrap_or(0),
            height: probed.height.unwrap_or(0),
        };
        if let Err(e) = self.catalog.set_proxy(&item.id, &proxy) {
            // Purged meanwhile (its row is gone): the proxy goes too.
            let _ = store.remove(&id);
            return Err(e.to_string());
        }
        Ok(size)
    }
}

/// A Motion Photo's original written through to only its video, the last bytes.
struct MotionVideo<'a, W> {
    skip_at_start: u64,
    skipped: u64,
    out: &'a mut W,
}

impl<'a, W: Write> MotionVideo<'a, W> {
    fn new(item: &Item, out: &'a mut W) -> Self {
        let length = item.media.motion_length.unwrap_or(item.size);
        Self {
            skip_at_start: item.size.saturating_sub(length),
            skipped: 0,
            out,
        }
    }
}

impl<W: Write> Write for MotionVideo<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let skip = (self.skip_at_start - self.skipped).min(buf.len() as u64) as usize;
        self.skipped += skip as u64;
        if skip == buf.len() {
            return Ok(skip);
        }
        Ok(skip + self.out.write(&buf[skip..])?)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// What the player streams: which stream, its type and its length.
#[derive(Debug, Clone)]
pub struct PlayableStream {
    /// The original's id, or the proxy's.
    pub id: ObjectId,
    pub playable: Playable,
    pub media_type: String,
    pub size: u64,
    /// Where in the object the stream starts (a Motion Photo's video; 0 for the others).
    pub offset: u64,
}

impl Library {
    /// The stream the viewer plays for video `id`, read with `playable_range`.
    pub fn playable(&self, id: &ObjectId) -> Result<PlayableStream, VaultError> {
        let item = self.item(id)?.ok_or(VaultError::NoSuchItem(*id))?;
        let proxy = self.catalog.proxy(id)?;
        match (choose(&item, proxy.as_ref()), proxy) {
            (Some(Playable::Motion), _) => {
                let length = item.media.motion_length.unwrap_or(0).min(item.size);
                Ok(PlayableStream {
                    id: *id,
                    playable: Playable::Motion,
                    media_type: "video/mp4".into(),
                    size: length,
                    offset: item.size - length,
                })
            }
            (Some(Playable::Original), _) => Ok(PlayableStream {
                id: *id,
                playable: Playable::Original,
                media_type: item.media_type,
                size: item.size,
                offset: 0,
            }),
            (Some(Playable::Proxy), Some(proxy)) => Ok(PlayableStream {
                id: proxy.id,
                playable: Playable::Proxy,
                media_type: "video/mp4".into(),
                size: proxy.size,
                offset: 0,
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
        match stream.playable {
            Playable::Original => Ok(self.original_range(&stream.id, range)?.1),
            Playable::Motion => {
                let start = stream.offset + range.start;
                let end = stream.offset + range.end.min(stream.size);
                Ok(self.original_range(&stream.id, start..end)?.1)
            }
            Playable::Proxy => self.proxy_range(stream, range),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::FAST;
    use crate::{MediaInfo, Password, Vault};

    fn video(mime: &str, video: Option<&str>, audio: Option<&str>) -> Item {
        Item {
            id: ObjectId([1; 16]),
            name: "clip".into(),
            source_path: String::new(),
            size: 1,
            content_hash: [0; 32],
            media_type: mime.into(),
            kind: MediaKind::Video,
            file_modified_at: None,
            imported_at: String::new(),
            note: None,
            media: MediaInfo {
                video_codec: video.map(String::from),
                audio_codec: audio.map(String::from),
                ..MediaInfo::default()
            },
            render_error: None,
            pipeline_version: 1,
            caption: None,
            rotation: 0,
            stack: None,
        }
    }

    /// What WebKitGTK with GStreamer's good, bad and libav sets plays (each checked by
    /// hand in the app; the journey plays the first five and the WMV's proxy).
    #[cfg(not(any(target_os = "windows", target_os = "macos")))]
    #[test]
    fn the_linux_viewer_plays_what_gstreamer_decodes() {
        let plays = [
            video("video/mp4", Some("h264"), Some("aac")),
            video("video/quicktime", Some("hevc"), Some("aac")),
            video("video/x-msvideo", Some("mpeg4"), Some("mp3")),
            video("video/x-matroska", Some("vp9"), Some("opus")),
            video("video/3gpp", Some("h263"), Some("aac")),
            video("video/mp4", Some("h264"), None),
            // Imported before codecs were recorded: the container decides.
            video("video/quicktime", None, None),
        ];
        for item in &plays {
            assert!(
                plays_here(item),
                "{} {:?}",
                item.media_type,
                item.media.video_codec
            );
            assert_eq!(choose(item, None), Some(Playable::Original));
        }
        let needs_a_copy = [
            video("video/x-ms-asf", Some("wmv2"), Some("wmav2")),
            video("video/mp4", Some("h264"), Some("a_codec_nobody_ships")),
            video("video/x-msvideo", Some("cinepak"), None),
        ];
        let proxy = Proxy {
            id: ObjectId([2; 16]),
            size: 1,
            width: 2,
            height: 2,
        };
        for item in &needs_a_copy {
            assert!(
                !plays_here(item),
                "{} {:?}",
                item.media_type,
                item.media.video_codec
            );
            assert_eq!(choose(item, None), None);
            assert_eq!(choose(item, Some(&proxy)), Some(Playable::Proxy));
        }
    }

    /// A vault holding `seconds` of WMV (a test pattern at `size`): one video with a proxy.
    fn vault_with_wmv(
        size: &str,
        seconds: u32,
    ) -> (tempfile::TempDir, crate::UnlockedVault, ObjectId) {
        let root = tempfile::tempdir().unwrap();
        let wmv = root.path().join("clip.wmv");
        let made = std::process::Command::new("ffmpeg")
            .args(["-v", "error", "-f", "lavfi", "-i"])
            .arg(format!("testsrc2=size={size}:rate=30"))
            .arg("-t")
            .arg(seconds.to_string())
            .args(["-c:v", "wmv2", "-b:v", "2M"])
            .arg(&wmv)
            .status()
            .unwrap();
        assert!(made.success());
        let password = Password::new("long enough password".into());
        let (mut vault, _) = Vault::create(&root.path().join("v"), &password, Some(FAST)).unwrap();
        let (report, error) = vault.import(std::slice::from_ref(&wmv), &mut |_| {});
        assert!(
            error.is_none() && report.proxies.made == 1,
            "{error:?} {report:?}"
        );
        let id = report.imported[0].id;
        (root, vault, id)
    }

    /// Cancelling (the app does when the vault locks) stops a conversion under way at
    /// once, ffmpeg included, and leaves no proxy.
    #[test]
    fn cancelling_stops_a_conversion_under_way() {
        let (_root, mut vault, id) = vault_with_wmv("1280x720", 40);
        // Made by the import: drop it, then make it again and cancel a moment in.
        let proxy = vault
            .catalog
            .proxy(&id)
            .unwrap()
            .expect("a proxy at import");
        vault.catalog.remove_proxy(&id).unwrap();
        let _ = crate::store::ObjectStore::proxies(&vault.dir).remove(&proxy.id);
        let cancel = Cancel::default();
        let stopper = {
            let cancel = cancel.clone();
            std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_millis(500));
                cancel.cancel();
            })
        };
        let started = std::time::Instant::now();
        let report = vault.make_proxies(Some(&[id]), &cancel).unwrap();
        stopper.join().unwrap();
        assert!(
            started.elapsed() < std::time::Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
        assert_eq!((report.made, report.failed.len()), (0, 0), "{report:?}");
        assert!(vault.catalog.proxy(&id).unwrap().is_none());
    }

    /// Emptying the trash deletes a video's proxy with its original: nothing of it stays.
    #[test]
    fn purging_a_video_deletes_its_proxy_too() {
        let (_root, mut vault, id) = vault_with_wmv("320x240", 1);
        let proxy = vault.catalog.proxy(&id).unwrap().unwrap();
        let file = crate::store::ObjectStore::proxies(&vault.dir).path_of(&proxy.id);
        assert!(file.exists());

        vault.library().unwrap().trash(&[id]).unwrap();
        assert_eq!(vault.purge_trash(None).unwrap(), 1);
        assert!(!file.exists(), "the proxy went with its video");
        assert!(vault.catalog.proxies().unwrap().is_empty());
        assert!(vault.verify(false, &mut |_, _| {}).unwrap().is_clean());
    }
}

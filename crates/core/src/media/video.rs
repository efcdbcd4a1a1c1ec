//! Video: duration, creation time and place from `ffprobe`, a poster frame from `ffmpeg`
//! (Debian's ffmpeg package). Both run as child processes, so a decoder crash on a hostile
//! file costs one poster frame, never the import.

use super::decode::Decoded;
use super::pixels::Rgb;
use crate::Cancel;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

fn lock(child: &Arc<Mutex<Child>>) -> MutexGuard<'_, Child> {
    child
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What ffprobe tells about a video.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct VideoInfo {
    pub duration_ms: Option<u64>,
    pub created: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub altitude: Option<f64>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub make: Option<String>,
    pub model: Option<String>,
    pub video_codec: Option<String>,
    pub audio_codec: Option<String>,
    /// A Live Photo's identifier (`com.apple.quicktime.content.identifier`).
    pub content_id: Option<String>,
}

/// Where the video comes from: a file, or bytes piped to the tool's standard input (used
/// when re-rendering from the vault, so plaintext never lands on disk), or an in-memory
/// file (`memory_file`) holding them, at its start.
pub enum Input<'a> {
    Path(&'a Path),
    Bytes(&'a [u8]),
    Memory(&'a std::fs::File),
}

/// The demuxer for a sniffed video type. Naming it stops ffmpeg guessing the format from
/// the content, where a hostile file could pass for a playlist that opens URLs.
pub fn demuxer(mime: &str) -> Option<&'static str> {
    match mime {
        "video/mp4" | "video/quicktime" | "video/x-m4v" | "video/3gpp" => Some("mov"),
        "video/x-msvideo" => Some("avi"),
        "video/x-matroska" | "video/webm" => Some("matroska"),
        "video/x-ms-asf" => Some("asf"),
        _ => None,
    }
}

/// The longest a tool may run on one video before it is stopped.
const TOOL_TIME_LIMIT: Duration = Duration::from_secs(120);
/// The largest single allocation ffmpeg may make (`-max_alloc`): far above a 8K frame.
const TOOL_MAX_ALLOC: &str = "536870912";

fn run(tool: &str, args: &[&str], input: &Input, demuxer: Option<&str>) -> Result<Vec<u8>, String> {
    run_into(
        tool,
        args,
        input,
        demuxer,
        None,
        TOOL_TIME_LIMIT,
        &Cancel::default(),
    )
}

/// Runs `tool`; what it writes to standard output is returned, or goes to `output` (an
/// in-memory file) when given.
fn run_into(
    tool: &str,
    args: &[&str],
    input: &Input,
    demuxer: Option<&str>,
    output: Option<&std::fs::File>,
    time_limit: Duration,
    cancel: &Cancel,
) -> Result<Vec<u8>, String> {
    let mut cmd = Command::new(tool);
    // Nothing of Keepsake's environment (KEEPSAKE_PASSWORD, a remote's keys) reaches it.
    cmd.env_clear().env("LC_ALL", "C");
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    cmd.args(["-v", "error", "-max_alloc", TOOL_MAX_ALLOC]);
    // Only the input it is given: no network, no other files through nested URLs.
    cmd.args(["-protocol_whitelist", "file,pipe,fd"]);
    if let Some(demuxer) = demuxer {
        cmd.args(["-f", demuxer]);
    }
    let mut feed = None;
    match input {
        Input::Path(path) => {
            cmd.arg("-i").arg(path).stdin(Stdio::null());
        }
        Input::Memory(file) => {
            let file = file.try_clone().map_err(|e| e.to_string())?;
            cmd.args(["-i", "/dev/stdin"]).stdin(Stdio::from(file));
        }
        Input::Bytes(bytes) => match memory_file(bytes) {
            // Seekable standard input: ffmpeg can read MP4s whose index is at the end.
            Some(file) => {
                cmd.args(["-i", "/dev/stdin"]).stdin(Stdio::from(file));
            }
            None => {
                cmd.args(["-i", "pipe:0"]).stdin(Stdio::piped());
                feed = Some(bytes.to_vec());
            }
        },
    }
    cmd.args(args).stderr(Stdio::piped());
    match output {
        Some(file) => cmd.stdout(Stdio::from(file.try_clone().map_err(|e| e.to_string())?)),
        None => cmd.stdout(Stdio::piped()),
    };
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("{tool} is not available: {e}"))?;
    // Feed a pipe from a thread: the tool may start writing before it has read everything.
    let feeder = match (feed, child.stdin.take()) {
        (Some(bytes), Some(mut stdin)) => Some(std::thread::spawn(move || {
            let _ = stdin.write_all(&bytes);
        })),
        _ => None,
    };
    // Stops a tool that hangs on a hostile file (closing its pipes ends the reads below).
    let child = Arc::new(Mutex::new(child));
    let (done, finished) = std::sync::mpsc::channel::<()>();
    let watchdog = {
        let (child, cancel) = (child.clone(), cancel.clone());
        std::thread::spawn(move || {
            let started = std::time::Instant::now();
            loop {
                match finished.recv_timeout(Duration::from_millis(100)) {
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout)
                        if started.elapsed() < time_limit && !cancel.is_cancelled() => {}
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                        let _ = lock(&child).kill();
                        break;
                    }
                    _ => break,
                }
            }
        })
    };
    let (stdout, stderr) = {
        let mut child = lock(&child);
        (child.stdout.take(), child.stderr.take())
    };
    let mut out = Vec::new();
    let mut err = String::new();
    if let Some(mut stdout) = stdout {
        let _ = stdout.read_to_end(&mut out);
    }
    if let Some(mut stderr) = stderr {
        let _ = stderr.read_to_string(&mut err);
    }
    let status = loop {
        if let Some(status) = lock(&child).try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let _ = done.send(());
    let _ = watchdog.join();
    if cancel.is_cancelled() {
        return Err(format!("{tool} was stopped"));
    }
    if let Some(feeder) = feeder {
        let _ = feeder.join();
    }
    let wrote = match output {
        Some(file) => file.metadata().map(|m| m.len() > 0).unwrap_or(false),
        None => !out.is_empty(),
    };
    if !status.success() || !wrote {
        // "[mov,mp4,m4a @ 0x55de...] moov atom not found" -> "moov atom not found"
        let first = err.lines().next().unwrap_or("no output").trim();
        let first = match first
            .strip_prefix('[')
            .and_then(|rest| rest.split_once("] "))
        {
            Some((_, message)) => message,
            None => first,
        };
        return Err(format!("{tool} could not read this video: {first}"));
    }
    Ok(out)
}

pub fn probe(input: &Input, demuxer: Option<&str>) -> Result<VideoInfo, String> {
    let json = run(
        "ffprobe",
        &["-print_format", "json", "-show_format", "-show_streams"],
        input,
        demuxer,
    )?;
    let value: serde_json::Value = serde_json::from_slice(&json).map_err(|e| e.to_string())?;
    let format = &value["format"];
    let tags = &format["tags"];
    let mut info = VideoInfo {
        duration_ms: format["duration"]
            .as_str()
            .and_then(|d| d.parse::<f64>().ok())
            .map(|s| (s * 1000.0).round() as u64),
        created: tags["com.apple.quicktime.creationdate"]
            .as_str()
            .or(tags["creation_time"].as_str())
            .map(String::from),
        make: tags["com.apple.quicktime.make"].as_str().map(String::from),
        model: tags["com.apple.quicktime.model"].as_str().map(String::from),
        content_id: tags["com.apple.quicktime.content.identifier"]
            .as_str()
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .map(String::from),
        ..VideoInfo::default()
    };
    let location = tags["com.apple.quicktime.location.ISO6709"]
        .as_str()
        .or(tags["location"].as_str());
    if let Some((lat, lon, alt)) = location.and_then(parse_iso6709) {
        (info.latitude, info.longitude, info.altitude) = (Some(lat), Some(lon), alt);
    }
    let streams = value["streams"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let codec = |kind: &str| {
        streams
            .iter()
            .find(|s| s["codec_type"] == kind)
            .and_then(|s| s["codec_name"].as_str())
            .map(String::from)
    };
    (info.video_codec, info.audio_codec) = (codec("video"), codec("audio"));
    if let Some(stream) = streams.iter().find(|s| s["codec_type"] == "video") {
        let (w, h) = (stream["width"].as_u64(), stream["height"].as_u64());
        let rotation = stream["side_data_list"]
            .as_array()
            .and_then(|l| l.iter().find_map(|d| d["rotation"].as_i64()))
            .or_else(|| {
                stream["tags"]["rotate"]
                    .as_str()
                    .and_then(|r| r.parse().ok())
            })
            .unwrap_or(0);
        let (w, h) = if rotation.rem_euclid(180) == 90 {
            (h, w)
        } else {
            (w, h)
        };
        info.width = w.map(|v| v as u32);
        info.height = h.map(|v| v as u32);
    }
    Ok(info)
}

/// The bytes in an anonymous in-memory file (Linux memfd): seekable like a file, never on
/// disk. None where the OS has no such thing; callers then use a pipe.
fn memory_file(bytes: &[u8]) -> Option<std::fs::File> {
    use std::io::Seek;
    let mut file = empty_memory_file()?;
    file.write_all(bytes).ok()?;
    file.rewind().ok()?;
    Some(file)
}

/// An empty in-memory file (Linux memfd), or None where the OS has no such thing.
#[cfg(target_os = "linux")]
pub fn empty_memory_file() -> Option<std::fs::File> {
    let fd = rustix::fs::memfd_create("keepsake-video", rustix::fs::MemfdFlags::CLOEXEC).ok()?;
    Some(std::fs::File::from(fd))
}

#[cfg(not(target_os = "linux"))]
pub fn empty_memory_file() -> Option<std::fs::File> {
    None
}

/// ISO 6709 as phones write it: `+37.7858-122.4064+012.000/`.
fn parse_iso6709(s: &str) -> Option<(f64, f64, Option<f64>)> {
    let s = s.trim_end_matches('/');
    let starts: Vec<usize> = s
        .char_indices()
        .filter(|(_, c)| *c == '+' || *c == '-')
        .map(|(i, _)| i)
        .collect();
    let part = |k: usize| -> Option<f64> {
        let from = *starts.get(k)?;
        let to = starts.get(k + 1).copied().unwrap_or(s.len());
        s[from..to].parse().ok()
    };
    let (lat, lon) = (part(0)?, part(1)?);
    ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)).then(|| (lat, lon, part(2)))
}

/// A poster frame (one second in, or the first frame of shorter clips), at most `max_side`
/// on its long side; ffmpeg applies the video's rotation.
pub fn poster(
    input: &Input,
    demuxer: Option<&str>,
    duration_ms: Option<u64>,
    max_side: u32,
) -> Result<Decoded, String> {
    let seek = if duration_ms.unwrap_or(0) > 2000 {
        "1"
    } else {
        "0"
    };
    let scale = format!(
        "scale='min({max_side},iw)':'min({max_side},ih)':force_original_aspect_ratio=decrease"
    );
    let ppm = run_with_seek(seek, &scale, input, demuxer)?;
    let image = parse_ppm(&ppm)?;
    Ok(Decoded {
        full_width: image.width,
        full_height: image.height,
        image,
        icc: None,
    })
}

fn run_with_seek(
    seek: &str,
    scale: &str,
    input: &Input,
    demuxer: Option<&str>,
) -> Result<Vec<u8>, String> {
    // -ss after -i: exact and works on piped input (slower to seek, but it is one frame).
    run(
        "ffmpeg",
        &[
            "-ss",
            seek,
            "-frames:v",
            "1",
            "-vf",
            scale,
            "-f",
            "image2pipe",
            "-vcodec",
            "ppm",
            "pipe:1",
        ],
        input,
        demuxer,
    )
}

/// The long side of a proxy, in pixels.
pub const PROXY_SIDE: u32 = 1080;

/// A playable copy of a video for webviews that cannot play the original: H.264 and AAC in
/// an MP4 with its index first (faststart), at most `PROXY_SIDE` on its long side, rotation
/// applied, in an in-memory file (ffmpeg seeks back in its output to move the index to the
/// front, so the output cannot be a pipe). None where the OS has no in-memory files: a
/// proxy is never written to disk in the clear.
pub fn proxy(
    input: &Input,
    demuxer: Option<&str>,
    source: &ProxySource,
    cancel: &Cancel,
) -> Result<Option<std::fs::File>, String> {
    use std::io::Seek;
    let Some(mut output) = empty_memory_file() else {
        return Ok(None);
    };
    let long = PROXY_SIDE;
    let scale = format!(
        "scale='if(gte(iw,ih),trunc(min({long},iw)/2)*2,-2)':'if(gte(iw,ih),-2,trunc(min({long},ih)/2)*2)'"
    );
    // A hostile file must not hold the import, or fill memory: the output is capped (the
    // memfd lives in RAM), frames are never duplicated to fill gaps in the timestamps,
    // and the time allowed grows with the claimed length only up to a ceiling.
    let max_bytes = source
        .size
        .saturating_mul(2)
        .clamp(64 << 20, PROXY_MAX_BYTES);
    let claimed = Duration::from_millis(source.duration_ms.unwrap_or(0));
    let limit = TOOL_TIME_LIMIT + (claimed * 4).min(PROXY_MAX_TIME);
    let max_bytes = max_bytes.to_string();
    run_into(
        "ffmpeg",
        &[
            "-y",
            "-map",
            "0:v:0",
            "-map",
            "0:a:0?",
            "-vf",
            &scale,
            "-fps_mode",
            "passthrough",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-crf",
            "23",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-b:a",
            "160k",
            "-ac",
            "2",
            "-fs",
            &max_bytes,
            "-movflags",
            "+faststart",
            "-f",
            "mp4",
            "/dev/stdout",
        ],
        input,
        demuxer,
        Some(&output),
        limit,
        cancel,
    )?;
    output.rewind().map_err(|e| e.to_string())?;
    Ok(Some(output))
}

/// What a proxy is made from: the original's size and claimed length.
pub struct ProxySource {
    pub size: u64,
    pub duration_ms: Option<u64>,
}

/// The most a proxy may take in memory, and the most time beyond the usual limit that
/// converting one may take.
const PROXY_MAX_BYTES: u64 = 4 << 30;
const PROXY_MAX_TIME: Duration = Duration::from_secs(2 * 3600);

/// Binary PPM (P6, maxval 255), as ffmpeg writes it.
fn parse_ppm(data: &[u8]) -> Result<Rgb, String> {
    let mut fields = Vec::new();
    let mut i = 2;
    if !data.starts_with(b"P6") {
        return Err("ffmpeg did not return a PPM frame".into());
    }
    while fields.len() < 3 {
        while data.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        let start = i;
        while data.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let field = std::str::from_utf8(&data[start..i])
            .ok()
            .and_then(|s| s.parse::<u32>().ok());
        fields.push(field.ok_or("malformed PPM header")?);
    }
    let (w, h) = (fields[0], fields[1]);
    let pixels = data.get(i + 1..).ok_or("PPM without pixels")?;
    Rgb::new(w, h, pixels.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso6709_locations_parse() {
        assert_eq!(
            parse_iso6709("+37.7858-122.4064+012.000/"),
            Some((37.7858, -122.4064, Some(12.0)))
        );
        assert_eq!(
            parse_iso6709("-33.8688+151.2093/"),
            Some((-33.8688, 151.2093, None))
        );
        assert_eq!(parse_iso6709("+95.0+10.0/"), None);
        assert_eq!(parse_iso6709("garbage"), None);
    }

    #[test]
    fn ppm_frames_parse() {
        let ppm = [b"P6\n2 1\n255\n".as_slice(), &[1, 2, 3, 4, 5, 6]].concat();
        let image = parse_ppm(&ppm).unwrap();
        assert_eq!(
            (image.width, image.height, image.data),
            (2, 1, vec![1, 2, 3, 4, 5, 6])
        );
        assert!(parse_ppm(b"P6\n2 1\n255\n\x01").is_err());
    }
}

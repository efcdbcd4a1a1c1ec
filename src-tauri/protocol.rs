//! The `vault://` scheme: thumbnails, previews and originals, decrypted in memory and
//! handed to the webview only while the vault is unlocked. Nothing is written to disk and
//! `no-store` keeps the webview from caching it; nothing is base64 over IPC.
//!
//! Paths: `/thumb/<id>` (512 px grid), `/view/<id>` (the preview when there is one, else
//! the original), `/original/<id>` and `/playable/<id>` (a video's playable stream: the
//! original or its proxy), both with Range support: a range decrypts only the chunks it
//! touches, at most `RANGE_MAX_BYTES` of them per request. (On Linux the viewer streams
//! videos from media_server.rs instead: WebKitGTK's player opens no custom scheme.)

use crate::state::AppState;
use keepsake_core::{ObjectId, RenditionKind, VaultError};
use tauri::http::{Request, Response, StatusCode, header};
use tauri::{AppHandle, Manager, Runtime};

pub const SCHEME: &str = "vault";
/// Where the app's page is served from: tauri://localhost (Linux, macOS), the Windows form,
/// and the development server.
const APP_ORIGINS: [&str; 3] = [
    "tauri://localhost",
    "http://tauri.localhost",
    "http://localhost:5173",
];

type Reply = Response<Vec<u8>>;

pub fn respond<R: Runtime>(app: &AppHandle<R>, request: &Request<Vec<u8>>) -> Reply {
    let mut parts = request.uri().path().trim_start_matches('/').splitn(2, '/');
    let (what, id) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let Ok(id) = id.parse::<ObjectId>() else {
        return status(StatusCode::NOT_FOUND);
    };
    let Ok(session) = app.state::<AppState>().session() else {
        // Locked: nothing to show, and nothing the webview may keep.
        return status(StatusCode::FORBIDDEN);
    };
    let images = session.images();
    if what == "playable" {
        return playable(request, &images, &id);
    }
    if what == "original"
        && let Some(spec) = request
            .headers()
            .get(header::RANGE)
            .and_then(|v| v.to_str().ok())
        && let Ok(Some(item)) = images.item(&id)
        && let Some((start, end)) = parse_range(spec, item.size as usize)
    {
        let served = images.original_range(&id, start as u64..end as u64 + 1);
        drop(images);
        return match served {
            Ok((item, bytes)) => partial(request, &item.media_type, start, bytes, item.size),
            Err(e) => failure(e),
        };
    }
    let served = match what {
        "thumb" => images
            .rendition(&id, RenditionKind::Grid)
            .map(|r| r.map(|r| ("image/jpeg".to_string(), r.jpeg))),
        "view" => match images.rendition(&id, RenditionKind::Preview) {
            Ok(Some(preview)) => Ok(Some(("image/jpeg".to_string(), preview.jpeg))),
            Ok(None) => original(&images, &id),
            Err(e) => Err(e),
        },
        "original" => original(&images, &id),
        _ => return status(StatusCode::NOT_FOUND),
    };
    drop(images);
    match served {
        Ok(Some((mime, bytes))) => body(request, &mime, bytes),
        Ok(None) => status(StatusCode::NOT_FOUND),
        Err(e) => failure(e),
    }
}

/// The range asked for (from the start when none is), as 206 Partial Content.
fn playable(request: &Request<Vec<u8>>, library: &keepsake_core::Library, id: &ObjectId) -> Reply {
    let stream = match library.playable(id) {
        Ok(stream) => stream,
        Err(VaultError::NotPlayable(_)) => return status(StatusCode::NOT_FOUND),
        Err(e) => return failure(e),
    };
    let spec = request
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("bytes=0-");
    let Some((start, end)) = parse_range(spec, stream.size as usize) else {
        return status(StatusCode::RANGE_NOT_SATISFIABLE);
    };
    match library.playable_range(&stream, start as u64..end as u64 + 1) {
        Ok(bytes) => partial(request, &stream.media_type, start, bytes, stream.size),
        Err(e) => failure(e),
    }
}

fn failure(e: VaultError) -> Reply {
    if matches!(e, VaultError::NoSuchItem(_)) {
        return status(StatusCode::NOT_FOUND);
    }
    let mut reply = Response::new(e.to_string().into_bytes());
    *reply.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    reply
}

fn original(
    library: &keepsake_core::Library,
    id: &ObjectId,
) -> Result<Option<(String, Vec<u8>)>, VaultError> {
    let (item, bytes) = library.original(id)?;
    Ok(Some((item.media_type, bytes)))
}

pub(crate) fn status(code: StatusCode) -> Reply {
    let mut reply = Response::new(Vec::new());
    *reply.status_mut() = code;
    reply.headers_mut().insert(
        header::CACHE_CONTROL,
        "no-store".parse().expect("static header"),
    );
    reply
}

/// Bytes from `start` of an original of `total` bytes: 206 with their `Content-Range`
/// (perhaps fewer than asked for, which players handle by asking again).
fn partial(
    request: &Request<Vec<u8>>,
    mime: &str,
    start: usize,
    bytes: Vec<u8>,
    total: u64,
) -> Reply {
    let Some(last) = (start + bytes.len()).checked_sub(1) else {
        return status(StatusCode::RANGE_NOT_SATISFIABLE);
    };
    builder(request, mime)
        .status(StatusCode::PARTIAL_CONTENT)
        .header(
            header::CONTENT_RANGE,
            format!("bytes {start}-{last}/{total}"),
        )
        .body(bytes)
        .unwrap_or_else(|_| status(StatusCode::INTERNAL_SERVER_ERROR))
}

/// The whole body, or the byte range asked for.
pub(crate) fn body(request: &Request<Vec<u8>>, mime: &str, bytes: Vec<u8>) -> Reply {
    let total = bytes.len();
    let range = request
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_range(v, total));
    let builder = builder(request, mime);
    let reply = match range {
        Some((start, end)) => builder
            .status(StatusCode::PARTIAL_CONTENT)
            .header(
                header::CONTENT_RANGE,
                format!("bytes {start}-{end}/{total}"),
            )
            .body(bytes[start..=end].to_vec()),
        None => builder.status(StatusCode::OK).body(bytes),
    };
    reply.unwrap_or_else(|_| status(StatusCode::INTERNAL_SERVER_ERROR))
}

/// The headers every answer carries: no caching, no sniffing, ranges accepted, and
/// readable with fetch by the app's own page only.
fn builder(request: &Request<Vec<u8>>, mime: &str) -> tauri::http::response::Builder {
    let mut builder = Response::builder()
        .header(header::CONTENT_TYPE, mime)
        .header(header::CACHE_CONTROL, "no-store")
        .header("X-Content-Type-Options", "nosniff")
        .header(header::ACCEPT_RANGES, "bytes");
    // The app's own page may read it with fetch (the Linux video path, see ui/src/lib/api.ts);
    // no other origin may.
    if let Some(origin) = request
        .headers()
        .get(header::ORIGIN)
        .filter(|o| APP_ORIGINS.iter().any(|app| o.as_bytes() == app.as_bytes()))
    {
        builder = builder.header(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    }
    builder
}

/// `bytes=a-b`, `bytes=a-` or `bytes=-n`, within `total`; None for anything else.
pub(crate) fn parse_range(value: &str, total: usize) -> Option<(usize, usize)> {
    let spec = value.strip_prefix("bytes=")?;
    let (start, end) = spec.split_once('-')?;
    let last = total.checked_sub(1)?;
    let (start, end) = match (start.trim(), end.trim()) {
        ("", n) => {
            let n: usize = n.parse().ok()?;
            (total.checked_sub(n.min(total))?, last)
        }
        (a, "") => (a.parse().ok()?, last),
        (a, b) => (a.parse().ok()?, b.parse::<usize>().ok()?.min(last)),
    };
    (start <= end && end <= last).then_some((start, end))
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges_are_clamped_and_nonsense_is_ignored() {
        assert_eq!(parse_range("bytes=0-99", 1000), Some((0, 99)));
        assert_eq!(parse_range("bytes=900-", 1000), Some((900, 999)));
        assert_eq!(parse_range("bytes=-100", 1000), Some((900, 999)));
        assert_eq!(parse_range("bytes=990-2000", 1000), Some((990, 999)));
        assert_eq!(parse_range("bytes=1000-", 1000), None);
        assert_eq!(parse_range("bytes=5-1", 1000), None);
        assert_eq!(parse_range("items=0-1", 1000), None);
        assert_eq!(parse_range("bytes=0-0", 0), None);
    }
}

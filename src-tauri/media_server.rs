//! Videos for WebKitGTK (Linux). Its media player hands URLs to GStreamer, which opens no
//! custom scheme: a `<video>` from `vault://` fails with MEDIA_ERR_SRC_NOT_SUPPORTED before
//! a single request (tried with `WEBKIT_GST_ALLOWED_URI_PROTOCOLS=vault` too). So videos
//! stream from this loopback HTTP server instead, with ranges, decrypting only the chunks
//! each range touches, as `vault://` does for the other platforms.
//!
//! Only this app's page can use it: it listens on 127.0.0.1 alone, and every path starts
//! with a 256-bit token made at start and known only to the page. It serves videos' playable
//! streams and nothing else, only while the vault is unlocked (each 8 MiB window takes the
//! session afresh, so locking stops a stream mid-way), with `no-store`.

use crate::protocol::parse_range;
use crate::state::AppState;
use keepsake_core::{ObjectId, PlayableStream, VaultError};
use std::io::{self, Read};
use tauri::{AppHandle, Manager, Runtime};
use tiny_http::{Header, Method, Request, Response, Server, StatusCode};

/// Where the page finds the server: `http://127.0.0.1:<port>/<token>`.
pub struct MediaServer {
    pub base: String,
}

impl MediaServer {
    pub fn start<R: Runtime>(app: AppHandle<R>) -> io::Result<Self> {
        let server = Server::http("127.0.0.1:0").map_err(io::Error::other)?;
        let port = server
            .server_addr()
            .to_ip()
            .map(|address| address.port())
            .ok_or_else(|| io::Error::other("the media server has no port"))?;
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).map_err(io::Error::other)?;
        let token: String = secret.iter().map(|b| format!("{b:02x}")).collect();
        let base = format!("http://127.0.0.1:{port}/{token}");
        let host = format!("127.0.0.1:{port}");
        std::thread::Builder::new()
            .name("media-server".into())
            .spawn(move || {
                for request in server.incoming_requests() {
                    let (app, token, host) = (app.clone(), token.clone(), host.clone());
                    // One thread a request: a player holds one open while it plays and
                    // opens another to seek.
                    let _ = std::thread::Builder::new()
                        .name("media-stream".into())
                        .spawn(move || serve(&app, request, &token, &host));
                }
            })?;
        Ok(Self { base })
    }
}

fn serve<R: Runtime>(app: &AppHandle<R>, request: Request, token: &str, host: &str) {
    let reply = match answer(app, &request, token, host) {
        Ok(reply) => reply,
        Err(code) => refusal(code),
    };
    // The player closing the connection mid-stream (a seek) is not an error.
    let _ = request.respond(reply);
}

type Reply = Response<Box<dyn Read + Send>>;

fn answer<R: Runtime>(
    app: &AppHandle<R>,
    request: &Request,
    token: &str,
    host: &str,
) -> Result<Reply, u16> {
    if !matches!(request.method(), Method::Get | Method::Head) {
        return Err(405);
    }
    // A page elsewhere cannot reach this server through DNS rebinding, and a request
    // without the token learns nothing.
    let header = |name: &'static str| {
        request
            .headers()
            .iter()
            .find(|h| h.field.equiv(name))
            .map(|h| h.value.as_str().to_string())
    };
    if header("Host").as_deref() != Some(host) {
        return Err(403);
    }
    let mut parts = request.url().trim_start_matches('/').splitn(3, '/');
    let (given, what, id) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    if !same_secret(given, token) {
        return Err(403);
    }
    let id: ObjectId = match (what, id.parse()) {
        ("playable", Ok(id)) => id,
        _ => return Err(404),
    };
    let stream = {
        let session = app.state::<AppState>().session().map_err(|_| 403u16)?;
        let reader = session.images();
        reader.playable(&id).map_err(|e| match e {
            VaultError::NoSuchItem(_) | VaultError::NotPlayable(_) => 404u16,
            _ => 500,
        })?
    };
    let (status, start, end) = match header("Range") {
        Some(range) => match parse_range(&range, stream.size as usize) {
            Some((start, end)) => (206, start as u64, end as u64 + 1),
            None => return Err(416),
        },
        None => (200, 0, stream.size),
    };
    let mut headers = vec![
        header_of("Content-Type", &stream.media_type),
        header_of("Cache-Control", "no-store"),
        header_of("X-Content-Type-Options", "nosniff"),
        header_of("Accept-Ranges", "bytes"),
    ];
    if status == 206 {
        let range = format!("bytes {start}-{}/{}", end - 1, stream.size);
        headers.push(header_of("Content-Range", &range));
    }
    let body = Window {
        app: app.clone(),
        stream,
        next: start,
        end,
        buffer: Vec::new(),
        at: 0,
    };
    // A Content-Length, never chunked: the player learns the stream's size from it.
    Ok(Response::new(
        StatusCode(status),
        headers,
        Box::new(body) as Box<dyn Read + Send>,
        Some((end - start) as usize),
        None,
    )
    .with_chunked_threshold(usize::MAX))
}

/// The bytes `next..end` of a stream, decrypted a window (at most 8 MiB) at a time.
struct Window<R: Runtime> {
    app: AppHandle<R>,
    stream: PlayableStream,
    next: u64,
    end: u64,
    buffer: Vec<u8>,
    at: usize,
}

impl<R: Runtime> Read for Window<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.at == self.buffer.len() {
            if self.next >= self.end {
                return Ok(0);
            }
            let locked = |_| io::Error::other("the vault was locked");
            let session = self.app.state::<AppState>().session().map_err(locked)?;
            let reader = session.images();
            self.buffer = reader
                .playable_range(&self.stream, self.next..self.end)
                .map_err(io::Error::other)?;
            if self.buffer.is_empty() {
                return Err(io::Error::other("the video ended early"));
            }
            self.next += self.buffer.len() as u64;
            self.at = 0;
        }
        let n = out.len().min(self.buffer.len() - self.at);
        out[..n].copy_from_slice(&self.buffer[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

fn header_of(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("ASCII header")
}

fn refusal(code: u16) -> Reply {
    Response::new(
        StatusCode(code),
        vec![header_of("Cache-Control", "no-store")],
        Box::new(io::empty()) as Box<dyn Read + Send>,
        Some(0),
        None,
    )
}

/// Compares the token in constant time, so its bytes cannot be found one by one.
fn same_secret(given: &str, token: &str) -> bool {
    given.len() == token.len()
        && given
            .bytes()
            .zip(token.bytes())
            .fold(0u8, |differ, (a, b)| differ | (a ^ b))
            == 0
}

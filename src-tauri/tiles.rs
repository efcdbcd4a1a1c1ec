//! The detailed online map, only when the user turned it on: map tiles fetched by the app
//! (not the page) from the tile server in Settings, served to the map as
//! `vault://localhost/tile/Z/X/Y`. The app fetches them so that the server gets an honest
//! User-Agent (OpenStreetMap's tile policy asks for one), the webview's HTTP cache never
//! writes them to disk (they say where the photos are), and switching the setting off stops
//! every request here rather than in the page. Tiles are kept in memory only, in the
//! unlocked session, so locking forgets them.

use crate::protocol::{body, status};
use crate::state::AppState;
use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;
use tauri::http::{Request, Response, StatusCode};
use tauri::{AppHandle, Manager, Runtime};

pub const DEFAULT_TILE_URL: &str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";
/// Tiles kept in memory: a few screens' worth at 256 px (10–40 KB each).
const KEPT_TILES: usize = 512;
/// Deeper than any tile server draws.
const MAX_ZOOM: u32 = 20;
/// Larger than any 256 px tile: a server sending more is not sending a tile.
const MAX_TILE_BYTES: usize = 2 << 20;
const USER_AGENT: &str = concat!(
    "Keepsake/",
    env!("CARGO_PKG_VERSION"),
    " (desktop photo vault; detailed map turned on by its user)"
);

/// Zoom, x, y.
type Key = (u32, u32, u32);
/// Its media type and bytes.
type Tile = (String, Vec<u8>);

/// The tiles this session fetched, the oldest dropped first.
#[derive(Default)]
pub struct TileCache {
    tiles: Mutex<(HashMap<Key, Tile>, VecDeque<Key>)>,
}

impl TileCache {
    fn get(&self, key: &Key) -> Option<Tile> {
        self.tiles
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .0
            .get(key)
            .cloned()
    }

    /// Forgets every tile: the server changed, or the online map was turned off.
    pub fn clear(&self) {
        let mut guard = self.tiles.lock().unwrap_or_else(|p| p.into_inner());
        guard.0.clear();
        guard.1.clear();
    }

    fn put(&self, key: Key, tile: Tile) {
        let mut guard = self.tiles.lock().unwrap_or_else(|p| p.into_inner());
        let (tiles, order) = &mut *guard;
        if tiles.insert(key, tile).is_none() {
            order.push_back(key);
        }
        while order.len() > KEPT_TILES {
            if let Some(oldest) = order.pop_front() {
                tiles.remove(&oldest);
            }
        }
    }
}

/// Whether `template` is a tile URL the app can fill in: http(s), with {z}, {x} and {y}
/// and no other placeholder (a `{s}` would never be filled in).
pub fn check_template(template: &str) -> Result<(), String> {
    let web = template.starts_with("https://") || template.starts_with("http://");
    let placeholders = ["{z}", "{x}", "{y}"].iter().all(|p| template.contains(p));
    let rest = template
        .replace("{z}", "")
        .replace("{x}", "")
        .replace("{y}", "");
    let others = rest.contains('{') || rest.contains('}');
    if web && placeholders && !others && url::Url::parse(template).is_ok() {
        Ok(())
    } else {
        Err(format!(
            "{template:?} is not a tile server address: it needs http(s):// and {{z}}, {{x}} and {{y}}"
        ))
    }
}

/// `Z/X/Y` within the tile grid of zoom Z.
fn parse_tile(path: &str) -> Option<Key> {
    let mut parts = path.split('/').map(|p| p.parse::<u32>().ok());
    let (z, x, y) = (parts.next()??, parts.next()??, parts.next()??);
    let inside = z <= MAX_ZOOM && x < (1 << z) && y < (1 << z);
    (inside && parts.next().is_none()).then_some((z, x, y))
}

/// Answers `vault://localhost/tile/Z/X/Y`: 403 while locked or with the online map off,
/// 502 when the tile server does not give a tile.
pub async fn respond<R: Runtime>(
    app: &AppHandle<R>,
    request: &Request<Vec<u8>>,
) -> Response<Vec<u8>> {
    let path = request.uri().path().trim_start_matches("/tile/");
    let Some(key) = parse_tile(path) else {
        return status(StatusCode::NOT_FOUND);
    };
    let state = app.state::<AppState>();
    let Ok(session) = state.session() else {
        return status(StatusCode::FORBIDDEN);
    };
    let (online, template) = {
        let config = state.config.lock().unwrap_or_else(|p| p.into_inner());
        (config.online_map, config.map_tile_url.clone())
    };
    if !online {
        return status(StatusCode::FORBIDDEN);
    }
    if let Some((mime, bytes)) = session.tiles.get(&key) {
        return body(request, &mime, bytes);
    }
    // Not held across the fetch (seconds, on a bad network): a Lock meanwhile must drop
    // the session, its keys and the vault's lock at once.
    drop(session);
    match fetch(&template, key).await {
        Ok(tile) => {
            let Ok(session) = state.session() else {
                return status(StatusCode::FORBIDDEN);
            };
            session.tiles.put(key, tile.clone());
            body(request, &tile.0, tile.1)
        }
        Err(problem) => {
            let mut reply = status(StatusCode::BAD_GATEWAY);
            *reply.body_mut() = problem.into_bytes();
            reply
        }
    }
}

/// One client for every tile: its connections (and TLS sessions) are reused, as tile
/// servers ask. It follows no redirect: none may take the tile coordinates to plain HTTP
/// or elsewhere.
fn client() -> Result<&'static reqwest::Client, String> {
    static CLIENT: OnceLock<Result<reqwest::Client, String>> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            reqwest::Client::builder()
                .user_agent(USER_AGENT)
                .timeout(Duration::from_secs(15))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(Clone::clone)
}

async fn fetch(template: &str, (z, x, y): Key) -> Result<Tile, String> {
    let url = template
        .replace("{z}", &z.to_string())
        .replace("{x}", &x.to_string())
        .replace("{y}", &y.to_string());
    let mut response = client()?
        .get(&url)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !response.status().is_success() {
        return Err(format!("the tile server answered {}", response.status()));
    }
    let mime = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    if !mime.starts_with("image/") {
        return Err(format!("the tile server sent {mime:?}, not an image"));
    }
    // Read up to the cap, no further: a server sending more is not sending a tile.
    let too_large = || format!("the tile server sent more than {MAX_TILE_BYTES} bytes");
    if response
        .content_length()
        .is_some_and(|n| n > MAX_TILE_BYTES as u64)
    {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > MAX_TILE_BYTES {
            return Err(too_large());
        }
    }
    Ok((mime, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tiles_of_the_grid_are_asked_for() {
        assert_eq!(parse_tile("0/0/0"), Some((0, 0, 0)));
        assert_eq!(parse_tile("10/486/392"), Some((10, 486, 392)));
        assert_eq!(parse_tile("1/2/0"), None);
        assert_eq!(parse_tile("21/0/0"), None);
        assert_eq!(parse_tile("1/0/0/0"), None);
        assert_eq!(parse_tile("../etc"), None);
    }

    #[test]
    fn a_tile_server_address_needs_its_placeholders() {
        assert!(check_template(DEFAULT_TILE_URL).is_ok());
        assert!(check_template("https://example.org/{z}/{x}.png").is_err());
        assert!(check_template("file:///{z}/{x}/{y}").is_err());
        assert!(check_template("https://{s}.tile.example/{z}/{x}/{y}.png").is_err());
    }
}

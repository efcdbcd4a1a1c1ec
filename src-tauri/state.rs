//! What the app holds: its small settings file, and the unlocked session (if any).
//! Locking drops the session; the keys in it are zeroized as it goes.

use crate::dto::{SyncPhase, SyncStatus};
use crate::error::{AppError, AppResult};
use crate::readers::{Reader, Readers};
use keepsake_core::ErrorCode;
use keepsake_core::{Cancel, Library, SeenKdf, SyncControl, UnlockedVault};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Instant;

/// The only file the app writes outside the vault. Nothing in it is about a photo.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    pub vault_path: Option<PathBuf>,
    pub auto_lock_minutes: u32,
    /// Lock when the computer sleeps or the screen locks.
    pub lock_on_sleep: bool,
    /// Detailed map tiles from `map_tile_url` (off: the map is drawn from bundled data
    /// and nothing is asked of any server).
    pub online_map: bool,
    pub map_tile_url: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            vault_path: None,
            auto_lock_minutes: 10,
            lock_on_sleep: true,
            online_map: false,
            map_tile_url: crate::tiles::DEFAULT_TILE_URL.to_string(),
        }
    }
}

impl Config {
    pub fn load(path: &std::path::Path) -> Self {
        std::fs::read(path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    pub fn save(&self, path: &std::path::Path) -> AppResult<()> {
        let io = |e: std::io::Error| AppError::new(ErrorCode::Io, format!("saving settings: {e}"));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let tmp = path.with_extension("json.tmp");
        let json = serde_json::to_vec_pretty(self).expect("config serialises");
        std::fs::write(&tmp, json).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }
}

/// An unlocked vault. Import batches and header changes (password, devices) go through
/// `vault`; a sync or an export takes contents of its own from it and lets go at once.
/// The UI reads and organises through `library`, the image protocol through `images`, so
/// neither waits for a long job.
pub struct Session {
    pub vault: tokio::sync::Mutex<UnlockedVault>,
    pub library: Mutex<Library>,
    images: Readers,
    /// The detailed map's tiles, when the user turned it on: forgotten on lock.
    pub tiles: crate::tiles::TileCache,
}

impl Session {
    pub fn new(vault: UnlockedVault) -> AppResult<Self> {
        Ok(Self {
            library: Mutex::new(vault.library()?),
            images: Readers::new(&vault)?,
            tiles: Default::default(),
            vault: tokio::sync::Mutex::new(vault),
        })
    }

    pub fn library(&self) -> MutexGuard<'_, Library> {
        self.library.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn images(&self) -> Reader<'_> {
        self.images.take()
    }

    /// After the vault's keys changed (a password changed or a device revoked here, or
    /// a new key epoch a sync brought): the readers take the keys as they are now.
    pub fn refresh_keys(&self, vault: &UnlockedVault) -> AppResult<()> {
        *self.library() = vault.library()?;
        self.images.refresh(vault)
    }
}

pub struct AppState {
    pub config_path: PathBuf,
    /// What this device last derived each vault's password with (None: no home folder).
    pub seen_kdf: Option<SeenKdf>,
    pub config: Mutex<Config>,
    session: RwLock<Option<Arc<Session>>>,
    pub last_activity: Mutex<Instant>,
    /// One import at a time: user imports queue here; watch-folder scans skip when taken.
    pub import_gate: Mutex<()>,
    pub import_running: AtomicBool,
    /// The running import's, so Cancel and locking reach it.
    import_cancel: Mutex<Cancel>,
    /// The running sync's control, so pause and resume reach it.
    pub sync_control: Mutex<Option<Arc<SyncControl>>>,
    pub sync_paused: AtomicBool,
    pub sync_status: Mutex<SyncStatus>,
    pub last_sync: Mutex<std::collections::HashMap<String, (String, Option<String>)>>,
}

impl AppState {
    pub fn new(config_path: PathBuf, seen_kdf: Option<SeenKdf>) -> Self {
        Self {
            config: Mutex::new(Config::load(&config_path)),
            config_path,
            seen_kdf,
            session: RwLock::new(None),
            last_activity: Mutex::new(Instant::now()),
            import_gate: Mutex::new(()),
            import_running: AtomicBool::new(false),
            import_cancel: Mutex::new(Cancel::default()),
            sync_control: Mutex::new(None),
            sync_paused: AtomicBool::new(false),
            sync_status: Mutex::new(SyncStatus {
                phase: SyncPhase::Locked,
                done: 0,
                total: 0,
                message: None,
            }),
            last_sync: Mutex::new(Default::default()),
        }
    }

    pub fn session(&self) -> AppResult<Arc<Session>> {
        self.session
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(AppError::locked)
    }

    pub fn is_unlocked(&self) -> bool {
        self.session
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }

    pub fn begin_session(&self, vault: UnlockedVault) -> AppResult<()> {
        let session = Session::new(vault)?;
        *self.session.write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(session));
        self.touch();
        Ok(())
    }

    /// Drops the session. Work in flight (an import batch, a thumbnail) finishes with its
    /// own reference; the keys are zeroized when the last one goes.
    pub fn end_session(&self) -> bool {
        if let Some(control) = self
            .sync_control
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            control.cancel();
        }
        self.cancel_import();
        self.session
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .is_some()
    }

    /// A cancel token for an import about to start.
    pub fn new_import(&self) -> Cancel {
        let cancel = Cancel::default();
        *self.import_cancel.lock().unwrap_or_else(|p| p.into_inner()) = cancel.clone();
        cancel
    }

    pub fn cancel_import(&self) {
        self.import_cancel
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .cancel();
    }

    pub fn vault_path(&self) -> Option<PathBuf> {
        self.config
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .vault_path
            .clone()
    }

    pub fn update_config(&self, change: impl FnOnce(&mut Config)) -> AppResult<()> {
        let mut config = self.config.lock().unwrap_or_else(|p| p.into_inner());
        change(&mut config);
        config.save(&self.config_path)
    }

    pub fn touch(&self) {
        *self.last_activity.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
    }
}

pub fn lock_on_sleep<R: tauri::Runtime>(app: &tauri::AppHandle<R>) -> bool {
    use tauri::Manager;
    let state = app.state::<AppState>();
    let config = state.config.lock().unwrap_or_else(|p| p.into_inner());
    config.lock_on_sleep
}

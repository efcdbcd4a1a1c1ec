//! How a running sync is steered (pause, resume, cancel, bandwidth limit, patience with a
//! lost network) and what it reports. Shared between the engine and whoever drives it: the
//! tray and the UI hold an `Arc<SyncControl>`; the CLI uses the defaults.

use super::RemoteError;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncState {
    Transferring,
    Paused,
    /// The remote could not be reached; retrying until it can, or patience runs out.
    WaitingForNetwork,
    /// Objects are up; sending the catalog snapshot and the header.
    Finishing,
    Done,
    Cancelled,
}

/// One progress event.
#[derive(Debug, Clone)]
pub struct SyncProgress {
    pub state: SyncState,
    pub objects_done: u64,
    pub objects_total: u64,
    pub bytes_done: u64,
    pub bytes_total: u64,
    pub last_error: Option<String>,
}

pub struct SyncControl {
    paused: AtomicBool,
    cancelled: AtomicBool,
    /// Bytes per second; 0 = no limit.
    limit: AtomicU64,
    /// How long to keep retrying an unreachable remote before giving up on an object.
    network_patience: Duration,
    /// (when the limit's accounting started, bytes sent since).
    sent: Mutex<Option<(Instant, u64)>>,
    waiting_for_network: AtomicBool,
}

impl Default for SyncControl {
    /// Not paused, no limit, no patience: a dead remote fails at once (what a CLI wants).
    fn default() -> Self {
        Self::with_network_patience(Duration::ZERO)
    }
}

const POLL: Duration = Duration::from_millis(100);

impl SyncControl {
    /// A background sync waits this long for a lost network to come back.
    pub fn with_network_patience(patience: Duration) -> Self {
        Self {
            paused: AtomicBool::new(false),
            cancelled: AtomicBool::new(false),
            limit: AtomicU64::new(0),
            network_patience: patience,
            sent: Mutex::new(None),
            waiting_for_network: AtomicBool::new(false),
        }
    }

    pub fn pause(&self) {
        self.paused.store(true, Ordering::SeqCst);
    }

    pub fn resume(&self) {
        self.paused.store(false, Ordering::SeqCst);
    }

    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }

    /// None lifts the limit.
    pub fn set_bandwidth_limit(&self, bytes_per_second: Option<u64>) {
        self.limit
            .store(bytes_per_second.unwrap_or(0), Ordering::SeqCst);
        *self.sent.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    pub fn state(&self) -> SyncState {
        if self.is_cancelled() {
            SyncState::Cancelled
        } else if self.paused.load(Ordering::SeqCst) {
            SyncState::Paused
        } else if self.waiting_for_network.load(Ordering::SeqCst) {
            SyncState::WaitingForNetwork
        } else {
            SyncState::Transferring
        }
    }

    /// Waits while paused. False when cancelled: start nothing new.
    pub(crate) async fn gate(&self) -> bool {
        while self.paused.load(Ordering::SeqCst) && !self.is_cancelled() {
            tokio::time::sleep(POLL).await;
        }
        !self.is_cancelled()
    }

    /// After `bytes` were sent: sleeps as long as the bandwidth limit requires.
    pub(crate) async fn throttle(&self, bytes: u64) {
        let limit = self.limit.load(Ordering::SeqCst);
        if limit == 0 {
            return;
        }
        let wait = {
            let mut sent = self.sent.lock().unwrap_or_else(|p| p.into_inner());
            let (since, total) = sent.get_or_insert((Instant::now(), 0));
            *total += bytes;
            Duration::from_secs_f64(*total as f64 / limit as f64).saturating_sub(since.elapsed())
        };
        tokio::time::sleep(wait).await;
    }

    /// Runs `attempt` again while the remote is unreachable, with growing pauses, until it
    /// works, patience runs out, or the sync is cancelled.
    pub(crate) async fn patiently<T, F, Fut>(&self, mut attempt: F) -> Result<T, RemoteError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, RemoteError>>,
    {
        let started = Instant::now();
        let mut pause = Duration::from_secs(1);
        loop {
            match attempt().await {
                Err(RemoteError::Unreachable(why))
                    if started.elapsed() + pause <= self.network_patience
                        && !self.is_cancelled() =>
                {
                    self.waiting_for_network.store(true, Ordering::SeqCst);
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(30));
                    let _ = why;
                }
                other => {
                    self.waiting_for_network.store(false, Ordering::SeqCst);
                    return other;
                }
            }
        }
    }
}

//! Stopping a long job from another thread (the app's Cancel button, locking the vault):
//! the job looks between files, stops cleanly and keeps what it finished.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A cancel token: clones share it. A new one is not cancelled.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

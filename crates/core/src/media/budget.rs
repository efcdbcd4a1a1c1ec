//! Limits on what a decoder may allocate. A photo file declares its own pixel size, and a
//! few bytes can declare 32768 x 32768 (3 GiB of RGB, times every import worker): such a
//! photo is stored with a note instead of a thumbnail, and decodes that do fit take turns
//! within one memory budget shared by all workers.

use std::sync::{Condvar, Mutex};

/// The largest photo (full size, in pixels) we decode for a thumbnail: above the biggest
/// medium-format sensors (150 MP) and most stitched panoramas.
pub const MAX_PIXELS: u64 = 300_000_000;
/// Decoded pixels held by all decoders at once.
const BUDGET_BYTES: u64 = 1 << 30;

static IN_USE: Mutex<u64> = Mutex::new(0);
static FREED: Condvar = Condvar::new();

/// Refuses a photo whose declared size is past `MAX_PIXELS`.
pub fn check_pixels(width: u32, height: u32) -> Result<(), String> {
    let pixels = u64::from(width) * u64::from(height);
    if pixels > MAX_PIXELS {
        return Err(format!(
            "too large to preview ({width} x {height}, {} megapixels; the limit is {})",
            pixels / 1_000_000,
            MAX_PIXELS / 1_000_000
        ));
    }
    Ok(())
}

/// Refuses a decode whose output alone would take more than the whole budget.
pub fn check_bytes(bytes: u64) -> Result<(), String> {
    if bytes > BUDGET_BYTES {
        return Err(format!(
            "too large to preview ({} MB to decode; the limit is {} MB)",
            bytes >> 20,
            BUDGET_BYTES >> 20
        ));
    }
    Ok(())
}

/// Room for a decode of `bytes`, held until dropped.
pub struct Reservation(u64);

/// Waits until `bytes` fit within the budget beside the decodes already running.
pub fn reserve(bytes: u64) -> Reservation {
    let bytes = bytes.min(BUDGET_BYTES);
    let mut in_use = IN_USE.lock().unwrap_or_else(|p| p.into_inner());
    while *in_use + bytes > BUDGET_BYTES {
        in_use = FREED.wait(in_use).unwrap_or_else(|p| p.into_inner());
    }
    *in_use += bytes;
    Reservation(bytes)
}

impl Drop for Reservation {
    fn drop(&mut self) {
        let mut in_use = IN_USE.lock().unwrap_or_else(|p| p.into_inner());
        *in_use -= self.0;
        FREED.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_declared_sizes_are_refused_and_the_budget_is_shared() {
        assert!(check_pixels(32768, 32768).is_err());
        assert!(check_pixels(14204, 10652).is_ok()); // a 150 MP medium-format frame
        let first = reserve(BUDGET_BYTES / 2 + 1);
        let (sender, waited) = std::sync::mpsc::channel();
        let second = std::thread::spawn(move || {
            let reservation = reserve(BUDGET_BYTES / 2 + 1);
            sender.send(()).unwrap();
            drop(reservation);
        });
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(
            waited.try_recv().is_err(),
            "both fit at once past the budget"
        );
        drop(first);
        waited.recv().unwrap();
        second.join().unwrap();
    }
}

//! A few catalog readers for the image protocol, so a thumbnail never waits behind an
//! original being decrypted (a 512 MiB photo, a range of a video).

use crate::error::AppResult;
use keepsake_core::{Library, UnlockedVault};
use std::sync::{Condvar, Mutex};

/// Requests served at once; more wait for the first reader back.
const READERS: usize = 3;

pub struct Readers {
    free: Mutex<Vec<Library>>,
    returned: Condvar,
}

/// A reader taken from the pool; it goes back when dropped.
pub struct Reader<'a> {
    pool: &'a Readers,
    library: Option<Library>,
}

impl Readers {
    pub fn new(vault: &UnlockedVault) -> AppResult<Self> {
        let free = (0..READERS)
            .map(|_| vault.library())
            .collect::<Result<_, _>>()?;
        Ok(Self {
            free: Mutex::new(free),
            returned: Condvar::new(),
        })
    }

    pub fn take(&self) -> Reader<'_> {
        let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(library) = free.pop() {
                return Reader {
                    pool: self,
                    library: Some(library),
                };
            }
            free = self.returned.wait(free).unwrap_or_else(|p| p.into_inner());
        }
    }
}

impl std::ops::Deref for Reader<'_> {
    type Target = Library;
    fn deref(&self) -> &Library {
        self.library
            .as_ref()
            .expect("a reader holds its library until dropped")
    }
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        if let Some(library) = self.library.take() {
            let mut free = self.pool.free.lock().unwrap_or_else(|p| p.into_inner());
            free.push(library);
            self.pool.returned.notify_one();
        }
    }
}

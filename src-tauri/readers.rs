//! A few catalog readers for the image protocol, so a thumbnail never waits behind an
//! original being decrypted (a 512 MiB photo, a range of a video).

use crate::error::AppResult;
use keepsake_core::{Library, UnlockedVault};
use std::sync::{Condvar, Mutex};

/// Requests served at once; more wait for the first reader back.
const READERS: usize = 3;

pub struct Readers {
    free: Mutex<Pool>,
    returned: Condvar,
}

struct Pool {
    libraries: Vec<Library>,
    /// One more each time the vault's keys change: a reader taken before goes away
    /// when dropped instead of back into the pool.
    generation: u64,
}

/// A reader taken from the pool; it goes back when dropped.
pub struct Reader<'a> {
    pool: &'a Readers,
    library: Option<Library>,
    generation: u64,
}

impl Readers {
    pub fn new(vault: &UnlockedVault) -> AppResult<Self> {
        Ok(Self {
            free: Mutex::new(Pool {
                libraries: Self::fresh(vault)?,
                generation: 0,
            }),
            returned: Condvar::new(),
        })
    }

    fn fresh(vault: &UnlockedVault) -> AppResult<Vec<Library>> {
        Ok((0..READERS)
            .map(|_| vault.library())
            .collect::<Result<_, _>>()?)
    }

    /// New readers with the vault's keys as they are now (a new key epoch): photos
    /// written from now on are under a key the old readers do not hold.
    pub fn refresh(&self, vault: &UnlockedVault) -> AppResult<()> {
        let libraries = Self::fresh(vault)?;
        let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
        free.libraries = libraries;
        free.generation += 1;
        self.returned.notify_all();
        Ok(())
    }

    pub fn take(&self) -> Reader<'_> {
        let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(library) = free.libraries.pop() {
                return Reader {
                    pool: self,
                    library: Some(library),
                    generation: free.generation,
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
            if free.generation == self.generation {
                free.libraries.push(library);
                self.pool.returned.notify_one();
            }
        }
    }
}

//! The object store: one encrypted file per original under `objects/<2 hex>/<32 hex>`
//! (and, in a store of its own, per proxy under `proxies/`).
//! Objects are written under `tmp/`, fsynced and renamed into place, so an object file
//! that exists under its name is always complete.
//!
//! Every object is read and written here, under a key the caller passes: the vault key
//! today, a shared album's key later, with no other read or write path to change.

use crate::VaultError;
use crate::fsutil::{commit_rename, create_private_dir, sync_dir};
use keepsake_crypto::{
    Keyring, ObjectError, ObjectId, ObjectWriter, decrypt_object, decrypt_range,
};
use std::fs::{self, File};
use std::io::{self, BufReader, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Decrypts an object file (stored, or a downloaded copy) into `dst`, authenticating each
/// chunk before it is written; `id` is the object it must be. What was written before an
/// error is authentic but incomplete.
pub fn decrypt_file(
    path: &Path,
    key: &Keyring,
    id: &ObjectId,
    dst: &mut impl Write,
) -> Result<u64, ObjectError> {
    let file = File::open(path).map_err(ObjectError::Read)?;
    decrypt_object(BufReader::with_capacity(1 << 20, file), dst, key, Some(id))
}

#[derive(Clone)]
pub struct ObjectStore {
    objects: PathBuf,
    tmp: PathBuf,
}

/// An object being written: removed on drop unless committed.
pub struct PendingObject {
    pub id: ObjectId,
    path: PathBuf,
    committed: bool,
}

impl PendingObject {
    /// Where the object is being written.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for PendingObject {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.path);
        }
    }
}

impl ObjectStore {
    pub fn new(vault_dir: &Path) -> Self {
        Self {
            objects: vault_dir.join("objects"),
            tmp: vault_dir.join("tmp"),
        }
    }

    /// The store of proxies (playable copies of videos): `proxies/`, same object format,
    /// sharing `tmp/`.
    pub fn proxies(vault_dir: &Path) -> Self {
        Self {
            objects: vault_dir.join("proxies"),
            tmp: vault_dir.join("tmp"),
        }
    }

    pub fn create_layout(&self) -> io::Result<()> {
        create_private_dir(&self.objects)?;
        create_private_dir(&self.tmp)
    }

    pub fn path_of(&self, id: &ObjectId) -> PathBuf {
        let name = id.to_string();
        self.objects.join(&name[..2]).join(name)
    }

    /// Removes what an interrupted write left in `tmp/`: never referenced, so never needed.
    pub fn clear_temp(&self) -> io::Result<()> {
        for entry in fs::read_dir(&self.tmp)? {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                fs::remove_file(entry.path())?;
            }
        }
        Ok(())
    }

    /// Starts a new object encrypted under `key`: written to `tmp/` until committed.
    pub fn create(&self, key: &Keyring) -> Result<(PendingObject, ObjectWriter<File>), VaultError> {
        let id = ObjectId::random()?;
        let path = self.tmp.join(id.to_string());
        let file = File::create_new(&path)
            .map_err(|e| VaultError::io("creating a temporary object", e))?;
        let pending = PendingObject {
            id,
            path,
            committed: false,
        };
        let writer = ObjectWriter::new(file, key, id)
            .map_err(|e| VaultError::from_object_write("writing an object", e))?;
        Ok((pending, writer))
    }

    /// Decrypts stored object `id` into `dst` (see `decrypt_file`).
    pub fn decrypt(
        &self,
        id: &ObjectId,
        key: &Keyring,
        dst: &mut impl Write,
    ) -> Result<u64, ObjectError> {
        decrypt_file(&self.path_of(id), key, id, dst)
    }

    /// Decrypts bytes `range` of stored object `id` into `dst`, reading only the chunks
    /// they touch. Returns the whole original's length.
    pub fn decrypt_range(
        &self,
        id: &ObjectId,
        key: &Keyring,
        range: Range<u64>,
        dst: &mut impl Write,
    ) -> Result<u64, ObjectError> {
        let file = File::open(self.path_of(id)).map_err(ObjectError::Read)?;
        decrypt_range(file, dst, key, Some(id), range)
    }

    /// Moves a fully written, fsynced object into place.
    pub fn commit(&self, mut pending: PendingObject) -> Result<ObjectId, VaultError> {
        let dest = self.path_of(&pending.id);
        let shard = dest.parent().unwrap_or(&self.objects);
        create_private_dir(shard).map_err(|e| VaultError::io("creating an object folder", e))?;
        commit_rename(&pending.path, &dest)
            .map_err(|e| VaultError::io("moving an object into place", e))?;
        pending.committed = true;
        Ok(pending.id)
    }

    /// Moves a fetched copy of object `id` (authenticated, in the same file system) into
    /// place: fsynced, renamed, its folder fsynced.
    pub fn place(&self, fetched: &Path, id: &ObjectId) -> io::Result<()> {
        File::open(fetched)?.sync_all()?;
        let dest = self.path_of(id);
        create_private_dir(dest.parent().unwrap_or(&self.objects))?;
        commit_rename(fetched, &dest)
    }

    pub fn remove(&self, id: &ObjectId) -> io::Result<()> {
        let path = self.path_of(id);
        fs::remove_file(&path)?;
        sync_dir(path.parent().unwrap_or(&self.objects))
    }

    /// Every object id on disk, and every file in the store that is not an object.
    pub fn scan(&self) -> io::Result<(Vec<ObjectId>, Vec<PathBuf>)> {
        let mut ids = Vec::new();
        let mut strays = Vec::new();
        for shard in fs::read_dir(&self.objects)? {
            let shard = shard?;
            if !shard.file_type()?.is_dir() {
                strays.push(shard.path());
                continue;
            }
            for entry in fs::read_dir(shard.path())? {
                let entry = entry?;
                let name = entry.file_name();
                let parsed = name.to_str().and_then(|n| n.parse::<ObjectId>().ok());
                match parsed {
                    Some(id) if self.path_of(&id) == entry.path() => ids.push(id),
                    _ => strays.push(entry.path()),
                }
            }
        }
        ids.sort();
        Ok((ids, strays))
    }
}

//! Catalog snapshots for the remote: the SQLCipher catalog exported to a copy, then sealed
//! as an ordinary object (its own file key, wrapped by the vault key), so the remote gets
//! the same integrity guarantees for the catalog as for every photo.
//!
//! Remote name: `catalog/<20-digit milliseconds since 1970>-<object id>`: the newest sorts
//! last, and the id in the name is checked against the header on the way back.

use super::engine::remote_error;
use super::{RemoteStore, layout};
use crate::catalog::Catalog;
use crate::store::{PendingObject, decrypt_file};
use crate::{Contents, VaultError};
use keepsake_crypto::{ObjectError, ObjectId};
use std::fs::{self, File};
use std::path::{Path, PathBuf};

/// A sealed snapshot in the vault's temporary folder, removed when dropped.
pub struct SealedSnapshot {
    pub remote_path: String,
    pub file: PathBuf,
    _pending: PendingObject,
}

impl Contents {
    /// The catalog sealed for `remote`; None when it lists an item the remote is not
    /// confirmed to hold (imported while a sync ran).
    pub(crate) fn seal_snapshot(&self, remote: &str) -> Result<Option<SealedSnapshot>, VaultError> {
        let (pending, writer) = self.store.create(&self.key)?;
        let export = self.dir.join("tmp").join(format!("{}.catalog", pending.id));
        let _ = fs::remove_file(&export);
        let sealed = (|| -> Result<bool, VaultError> {
            if !self
                .catalog
                .snapshot_to(&export, &self.key.catalog_key(), remote)?
            {
                return Ok(false);
            }
            let mut source = File::open(&export)
                .map_err(|e| VaultError::io("reading the catalog snapshot", e))?;
            let mut writer = writer;
            writer
                .write_from(&mut source, |_| {})
                .map_err(|e| VaultError::from_object_write("sealing the catalog snapshot", e))?;
            let file = writer
                .finish()
                .map_err(|e| VaultError::from_object_write("sealing the catalog snapshot", e))?;
            file.sync_all()
                .map_err(|e| VaultError::io("syncing the catalog snapshot", e))?;
            Ok(true)
        })();
        let _ = fs::remove_file(&export);
        if !sealed? {
            return Ok(None);
        }
        let millis = jiff::Timestamp::now().as_millisecond();
        Ok(Some(SealedSnapshot {
            remote_path: format!("{}{millis:020}-{}", layout::SNAPSHOTS, pending.id),
            file: pending.path().to_path_buf(),
            _pending: pending,
        }))
    }
}

/// The object id a snapshot's remote name promises, if the name is well formed.
pub fn snapshot_id(remote_path: &str) -> Option<ObjectId> {
    let name = remote_path.strip_prefix(layout::SNAPSHOTS)?;
    let (millis, id) = name.split_once('-')?;
    (millis.len() == 20 && millis.bytes().all(|b| b.is_ascii_digit())).then_some(())?;
    id.parse().ok()
}

/// Opens a downloaded snapshot into `catalog` (a SQLCipher file, still encrypted).
pub fn unseal(
    sealed: &Path,
    id: &ObjectId,
    key: &keepsake_crypto::Keyring,
    catalog: &Path,
) -> Result<(), VaultError> {
    let mut out = File::create(catalog).map_err(|e| VaultError::io("writing the catalog", e))?;
    decrypt_file(sealed, key, id, &mut out).map_err(|e| match e {
        ObjectError::Read(e) => VaultError::io("reading the downloaded snapshot", e),
        ObjectError::Write(e) => VaultError::io("writing the catalog", e),
        other => {
            VaultError::CatalogDamaged(format!("the remote catalog snapshot is damaged: {other}"))
        }
    })?;
    out.sync_all()
        .map_err(|e| VaultError::io("syncing the catalog", e))
}

/// The snapshot a catalog was taken from, and the newer ones that were refused.
pub struct FetchedSnapshot {
    pub name: Option<String>,
    pub rejected: Vec<(String, String)>,
}

/// Writes the newest snapshot on `store` that authenticates and opens as a sound catalog
/// to `catalog` (absent when `name` is None: there was none). A refused snapshot is named
/// in `rejected`, never used, and the next older one is tried.
pub(crate) async fn fetch_snapshot(
    store: &impl RemoteStore,
    key: &keepsake_crypto::Keyring,
    scratch: &Path,
    catalog: &Path,
) -> Result<FetchedSnapshot, VaultError> {
    let mut snapshots: Vec<(String, ObjectId)> = store
        .list(layout::SNAPSHOTS)
        .await
        .map_err(remote_error)?
        .into_iter()
        .filter_map(|(path, _)| snapshot_id(&path).map(|id| (path, id)))
        .collect();
    snapshots.sort();
    let mut fetched = FetchedSnapshot {
        name: None,
        rejected: Vec::new(),
    };
    let sealed = scratch.join("snapshot.download");
    for (name, id) in snapshots.into_iter().rev() {
        // A catalog holds every thumbnail: nothing bounds its size but the disk.
        let opened = match store.download(&name, &sealed, u64::MAX).await {
            Ok(_) => unseal(&sealed, &id, key, catalog).and_then(|()| {
                match Catalog::open(catalog, &key.catalog_key())?.check()? {
                    None => Ok(()),
                    Some(problem) => Err(VaultError::CatalogDamaged(problem)),
                }
            }),
            Err(e) => Err(remote_error(e)),
        };
        let _ = fs::remove_file(&sealed);
        match opened {
            Ok(()) => {
                fetched.name = Some(name);
                return Ok(fetched);
            }
            Err(e) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = fs::remove_file(format!("{}{suffix}", catalog.display()));
                }
                fetched.rejected.push((name, e.to_string()));
            }
        }
    }
    Ok(fetched)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_names_carry_their_id() {
        let id: ObjectId = "0123456789abcdef0123456789abcdef".parse().unwrap();
        assert_eq!(
            snapshot_id(&format!("catalog/{:020}-{id}", 1_700_000_000_000u64)),
            Some(id)
        );
        assert_eq!(
            snapshot_id("catalog/123-0123456789abcdef0123456789abcdef"),
            None
        );
        assert_eq!(
            snapshot_id("objects/01/0123456789abcdef0123456789abcdef"),
            None
        );
    }
}

//! Rebuilding a damaged catalog. The objects are the photos; the catalog is what we know
//! about them. So: set the damaged catalog aside (never delete it), start again from the
//! newest remote snapshot that authenticates (or from nothing), then list again every
//! object in the store the new catalog does not name, reading its metadata afresh.
//! What a snapshot names but this machine lacks is fetched from that remote.

use crate::catalog::{self, Catalog, Item};
use crate::import::format_system_time;
use crate::media::{self, Original};
use crate::sniff::{SNIFF_LEN, sniff};
use crate::sync::{RemoteStore, fetch_snapshot};
use crate::vault::acquire_lock;
use crate::{Contents, RemoteConfig, UnlockedVault, Vault, VaultError};
use keepsake_crypto::{ObjectId, Password};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Originals above this size are listed again without being held in memory: their
/// thumbnails can be made later with `rethumb`.
const ANALYSE_MAX: u64 = 256 << 20;

/// Present while a rebuild runs: until it is gone, objects the catalog does not list are
/// photos waiting to be listed again, not orphans to remove.
const REBUILD_MARKER: &str = "catalog.rebuilding";

pub(crate) fn interrupted(vault_dir: &Path) -> bool {
    vault_dir.join(REBUILD_MARKER).exists()
}

/// Where the rebuilt catalog started from.
pub enum RebuildSource<'a, S: RemoteStore> {
    /// Only the local objects: names, albums and favourites are lost.
    Objects,
    /// The newest authentic snapshot on this remote, then the local objects.
    Remote(&'a S, RemoteConfig),
}

#[derive(Debug, Default)]
pub struct RebuildReport {
    /// The damaged catalog, kept under a new name.
    pub set_aside: Option<PathBuf>,
    /// The remote snapshot the catalog was rebuilt from.
    pub snapshot: Option<String>,
    /// Newer snapshots that did not authenticate, and why.
    pub rejected_snapshots: Vec<(String, String)>,
    /// Items the snapshot listed whose object is here.
    pub from_snapshot: u64,
    /// Objects the catalog did not name, listed again from their content.
    pub relisted: Vec<ObjectId>,
    /// Items the snapshot listed that were missing here and came back from the remote.
    pub fetched: Vec<ObjectId>,
    /// Items the snapshot listed that are neither here nor fetchable.
    pub missing: Vec<(ObjectId, String)>,
    /// Objects in the store that do not authenticate: left in place, not listed.
    pub unreadable: Vec<(ObjectId, String)>,
}

impl Vault {
    /// Replaces the catalog with a rebuilt one. Needs the password: the catalog may be
    /// what is damaged, so nothing else can be trusted to unlock.
    pub async fn rebuild_catalog<S: RemoteStore>(
        self,
        password: &Password,
        source: RebuildSource<'_, S>,
        progress: &mut (dyn FnMut(u64, u64) + Send),
    ) -> Result<(UnlockedVault, RebuildReport), VaultError> {
        let opened = self
            .header
            .unlock_with_password(password, self.costly_kdf_allowed)?;
        let lock = acquire_lock(self.dir())?;
        let catalog_path = self.dir().join(catalog::FILE_NAME);
        // Fetched beside the catalog first: a dead remote changes nothing.
        let rebuilt = self.dir().join("catalog.rebuilt.db");
        let mut report = RebuildReport::default();
        if let RebuildSource::Remote(store, _) = &source {
            let scratch = self.dir().join("tmp");
            let fetched = fetch_snapshot(*store, &opened.keyring, &scratch, &rebuilt).await?;
            if fetched.name.is_none() && fetched.rejected.is_empty() {
                // Most likely a mistyped URL: rebuilding from the objects alone would
                // drop every name the user asked the remote to bring back.
                return Err(VaultError::Remote(
                    "no catalog snapshot on this remote (check the URL); nothing was changed"
                        .into(),
                ));
            }
            report.snapshot = fetched.name;
            report.rejected_snapshots = fetched.rejected;
        }
        let marker = self.dir().join(REBUILD_MARKER);
        crate::fsutil::write_atomic(&marker, b"")
            .map_err(|e| VaultError::io("marking the rebuild", e))?;
        report.set_aside = move_catalog(&catalog_path, &damaged_name(self.dir()))?;
        if report.snapshot.is_some() {
            move_catalog(&rebuilt, &catalog_path)?;
        } else {
            // An empty catalog, to be filled from the objects below.
            drop(Catalog::create(
                &catalog_path,
                &opened.keyring.catalog_key(),
            )?);
        }
        crate::fsutil::sync_dir(self.dir())
            .map_err(|e| VaultError::io("replacing the catalog", e))?;
        let mut vault = self.into_unlocked_holding(opened, lock)?;
        if let RebuildSource::Remote(_, remote) = &source {
            vault.catalog.upsert_remote(remote)?;
            // The snapshot's choice of originals was its device's: this one keeps every
            // original it lists from its own objects, and caches nothing to drop.
            vault.catalog.set_originals_on_demand(None)?;
        }

        let (stored, _strays) = vault
            .store
            .scan()
            .map_err(|e| VaultError::io("listing the object store", e))?;
        let stored: std::collections::HashSet<ObjectId> = stored.into_iter().collect();
        let listed = vault.catalog.items()?;
        let listed_ids: std::collections::HashSet<ObjectId> =
            listed.iter().map(|item| item.id).collect();
        let absent: Vec<ObjectId> = listed
            .iter()
            .map(|item| item.id)
            .filter(|id| !stored.contains(id))
            .collect();
        report.from_snapshot = (listed.len() - absent.len()) as u64;
        if let RebuildSource::Remote(store, _) = &source {
            for (id, outcome) in vault.repair_from_remote(*store, &absent).await? {
                match outcome {
                    Ok(()) => report.fetched.push(id),
                    Err(reason) => report.missing.push((id, reason)),
                }
            }
        }

        let mut unlisted: Vec<ObjectId> = stored.difference(&listed_ids).copied().collect();
        unlisted.sort();
        let total = unlisted.len() as u64;
        for (done, id) in unlisted.into_iter().enumerate() {
            progress(done as u64, total);
            match vault.relist(id) {
                Ok(()) => report.relisted.push(id),
                Err(Relist::Unreadable(reason)) => report.unreadable.push((id, reason)),
                // A second copy (an import killed after storing it, then run again):
                // left for `verify --repair` to set aside.
                Err(Relist::Duplicate) => {}
                Err(Relist::Failed(e)) => return Err(e),
            }
        }
        progress(total, total);
        fs::remove_file(&marker).map_err(|e| VaultError::io("finishing the rebuild", e))?;
        Ok((vault, report))
    }
}

fn damaged_name(dir: &Path) -> PathBuf {
    let stamp = jiff::Timestamp::now().as_millisecond();
    dir.join(format!("catalog.damaged-{stamp}.db"))
}

/// Renames a catalog and its WAL files together, so the moved copy stays whole. Returns
/// where it went, or None if there was no catalog to move.
fn move_catalog(from: &Path, to: &Path) -> Result<Option<PathBuf>, VaultError> {
    if !from.exists() {
        return Ok(None);
    }
    for suffix in ["-wal", "-shm", ""] {
        let source = PathBuf::from(format!("{}{suffix}", from.display()));
        let dest = PathBuf::from(format!("{}{suffix}", to.display()));
        match fs::rename(&source, &dest) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(VaultError::io("moving the catalog", e)),
        }
    }
    Ok(Some(to.to_path_buf()))
}

pub(crate) enum Relist {
    /// The object itself is damaged (or belongs to another vault).
    Unreadable(String),
    /// Its photo is listed already, under another object.
    Duplicate,
    /// The vault could not record it (disk, catalog).
    Failed(VaultError),
}

/// Keeps the first bytes and hashes everything: what relisting needs from a large object.
struct HeadAndHash {
    head: Vec<u8>,
    keep: usize,
    hasher: blake3::Hasher,
}

impl Write for HeadAndHash {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.hasher.update(buf);
        let room = self.keep.saturating_sub(self.head.len());
        self.head.extend_from_slice(&buf[..room.min(buf.len())]);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Contents {
    /// Lists an object again from its content alone. Its file name is gone with the
    /// catalog, so it gets one from its id and type.
    pub(crate) fn relist(&mut self, id: ObjectId) -> Result<(), Relist> {
        let path = self.store.path_of(&id);
        let stored_len = fs::metadata(&path)
            .map_err(|e| Relist::Unreadable(e.to_string()))?
            .len();
        let keep = if stored_len > ANALYSE_MAX {
            SNIFF_LEN
        } else {
            stored_len as usize
        };
        let mut sink = HeadAndHash {
            head: Vec::with_capacity(keep),
            keep,
            hasher: self.key.content_hasher(),
        };
        let size = self
            .store
            .decrypt(&id, &self.key, &mut sink)
            .map_err(|e| Relist::Unreadable(e.to_string()))?;
        let media = sniff(&sink.head[..sink.head.len().min(SNIFF_LEN)])
            .ok_or_else(|| Relist::Unreadable("not a photo or video".into()))?;
        let analysis = if size <= ANALYSE_MAX {
            media::analyse(
                Original::Bytes(&sink.head),
                media,
                media::FileFacts::default(),
            )
        } else {
            media::Analysis {
                info: Default::default(),
                renditions: Vec::new(),
                render_error: Some("too large to render in memory".into()),
                notes: Vec::new(),
            }
        };
        let content_hash = *sink.hasher.finalize().as_bytes();
        if self
            .catalog
            .find_by_hash(&content_hash)
            .map_err(Relist::Failed)?
            .is_some()
        {
            return Err(Relist::Duplicate);
        }
        let item = Item {
            id,
            name: format!(
                "recovered-{}.{}",
                &id.to_string()[..12],
                extension(media.mime)
            ),
            source_path: String::new(),
            size,
            content_hash,
            media_type: media.mime.to_string(),
            kind: media.kind,
            file_modified_at: None,
            imported_at: format_system_time(SystemTime::now()).unwrap_or_default(),
            note: Some(
                std::iter::once("listed again from its object: the catalog did not name it".into())
                    .chain(analysis.notes)
                    .collect::<Vec<String>>()
                    .join("; "),
            ),
            media: analysis.info,
            render_error: analysis.render_error,
            pipeline_version: media::PIPELINE_VERSION,
            caption: None,
            rotation: 0,
            stack: None,
        };
        self.catalog
            .insert(&item, &analysis.renditions)
            .map_err(Relist::Failed)
    }
}

/// A file name extension for a media type, for names given to relisted objects.
fn extension(mime: &str) -> &str {
    match mime {
        "image/jpeg" => "jpg",
        "image/tiff" => "tif",
        "video/quicktime" => "mov",
        "video/x-matroska" => "mkv",
        "video/x-msvideo" => "avi",
        "video/x-ms-asf" => "wmv",
        // image/x-canon-cr2 and the other RAWs end in their extension.
        other => other
            .rsplit(['/', '-'])
            .next()
            .filter(|ext| !ext.is_empty() && ext.chars().all(|c| c.is_ascii_alphanumeric()))
            .unwrap_or("bin"),
    }
}

#[cfg(test)]
mod tests {
    use super::extension;

    #[test]
    fn relisted_objects_get_a_familiar_extension() {
        assert_eq!(extension("image/jpeg"), "jpg");
        assert_eq!(extension("image/heic"), "heic");
        assert_eq!(extension("video/quicktime"), "mov");
        assert_eq!(extension("image/x-canon-cr2"), "cr2");
        assert_eq!(extension("video/x-matroska"), "mkv");
    }
}

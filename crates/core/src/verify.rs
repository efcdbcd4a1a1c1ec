//! Verify: decrypt and authenticate every object and check it against its catalog row, and
//! check the catalog against the store both ways.

use crate::catalog::Item;
use crate::{UnlockedVault, VaultError};
use keepsake_crypto::{ObjectId, decrypt_object};
use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufReader, Write};
use std::path::{Path, PathBuf};

#[derive(Debug)]
pub struct Damage {
    /// The object, or None for damage to the catalog itself.
    pub id: Option<ObjectId>,
    pub name: Option<String>,
    pub problem: String,
}

#[derive(Debug, Default)]
pub struct VerifyReport {
    pub checked: u64,
    pub bytes: u64,
    pub damaged: Vec<Damage>,
    /// Complete objects no catalog row points to: left by an interrupted import. Not
    /// damage (no photo is missing), but space to reclaim with `--repair`.
    pub orphans: Vec<ObjectId>,
    pub orphans_removed: usize,
    /// Files in the object store that are not objects at all.
    pub strays: Vec<PathBuf>,
}

impl VerifyReport {
    pub fn is_clean(&self) -> bool {
        self.damaged.is_empty()
    }
}

/// Hashes what it is given and keeps nothing.
struct HashSink(blake3::Hasher);

impl Write for HashSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl UnlockedVault {
    pub fn verify(
        &mut self,
        repair: bool,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<VerifyReport, VaultError> {
        let mut report = VerifyReport::default();
        if let Some(problem) = self.catalog.check()? {
            report.damaged.push(Damage {
                id: None,
                name: None,
                problem: format!("catalog: {problem}"),
            });
        }
        let items = self.catalog.items()?;
        let total = items.len() as u64;
        for (done, item) in items.iter().enumerate() {
            progress(done as u64, total);
            report.checked += 1;
            if let Err(problem) = self.check_object(item) {
                report.damaged.push(Damage {
                    id: Some(item.id),
                    name: Some(item.name.clone()),
                    problem,
                });
            } else {
                report.bytes += item.size;
            }
        }
        progress(total, total);

        let known: HashSet<ObjectId> = items.iter().map(|item| item.id).collect();
        let (on_disk, strays) = self
            .store
            .scan()
            .map_err(|e| VaultError::io("listing the object store", e))?;
        report.strays = strays;
        report.orphans = on_disk
            .into_iter()
            .filter(|id| !known.contains(id))
            .collect();
        if crate::rebuild::interrupted(&self.dir) {
            // Mid-rebuild, an unlisted object is a photo still to be listed, not an orphan.
            report.damaged.push(Damage {
                id: None,
                name: None,
                problem: "a catalog rebuild was interrupted: run `rebuild-catalog` again \
                          (unlisted objects are kept until it finishes)"
                    .into(),
            });
        } else if repair {
            for id in &report.orphans {
                self.store
                    .remove(id)
                    .map_err(|e| VaultError::io(format!("removing orphan object {id}"), e))?;
                report.orphans_removed += 1;
            }
        }
        Ok(report)
    }

    fn check_object(&self, item: &Item) -> Result<(), String> {
        let path = self.store.path_of(&item.id);
        if let Err(e) = std::fs::metadata(&path) {
            return Err(match e.kind() {
                io::ErrorKind::NotFound => format!("object file missing ({})", path.display()),
                _ => format!("object file unreadable ({}): {e}", path.display()),
            });
        }
        self.authenticate_file(&path, item)
            .map_err(|problem| format!("{problem} ({})", path.display()))
    }

    /// Decrypts a copy of an object (local, or downloaded from a remote) and checks it is
    /// the photo the catalog lists.
    pub(crate) fn authenticate_file(&self, file: &Path, item: &Item) -> Result<(), String> {
        let source = File::open(file).map_err(|e| e.to_string())?;
        let mut sink = HashSink(self.key.content_hasher());
        let len = decrypt_object(
            BufReader::with_capacity(1 << 20, source),
            &mut sink,
            &self.key,
            Some(&item.id),
        )
        .map_err(|e| e.to_string())?;
        if len != item.size || sink.0.finalize().as_bytes() != &item.content_hash {
            return Err(
                "authentic object but not the photo the catalog lists (swapped or rolled back)"
                    .into(),
            );
        }
        Ok(())
    }
}

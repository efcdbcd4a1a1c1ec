//! Verify: decrypt and authenticate every object and check it against its catalog row, and
//! check the catalog against the store both ways.

use crate::catalog::{Item, ObjectRef};
use crate::store::ObjectStore;
use crate::{UnlockedVault, VaultError};
use keepsake_crypto::{ObjectId, VaultKey, decrypt_object};
use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

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
        // Only what checking needs, in id order (the store's folder order): a million
        // items fit in about 100 MB, where whole rows would take gigabytes.
        let refs = self.catalog.object_refs()?;
        let total = refs.len() as u64;
        let problems = check_all(&self.key, &self.store, &refs, progress);
        report.checked = total;
        for (index, problem) in problems.iter().enumerate() {
            match problem {
                None => report.bytes += refs[index].size,
                Some(problem) => report.damaged.push(Damage {
                    id: Some(refs[index].id),
                    name: self.catalog.item(&refs[index].id)?.map(|item| item.name),
                    problem: problem.clone(),
                }),
            }
        }

        let known: HashSet<ObjectId> = refs.iter().map(|r| r.id).collect();
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

    /// Decrypts a copy of an object (local, or downloaded from a remote) and checks it is
    /// the photo the catalog lists.
    pub(crate) fn authenticate_file(&self, file: &Path, item: &Item) -> Result<(), String> {
        authenticate(
            &self.key,
            file,
            &ObjectRef {
                id: item.id,
                size: item.size,
                content_hash: item.content_hash,
            },
        )
    }
}

/// Checks every object on all cores (at most 4): decrypting is CPU-bound, so one thread
/// would verify at about half the disk's speed. Returns each object's problem, if any.
fn check_all(
    key: &VaultKey,
    store: &ObjectStore,
    refs: &[ObjectRef],
    progress: &mut dyn FnMut(u64, u64),
) -> Vec<Option<String>> {
    let total = refs.len() as u64;
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    let next = AtomicUsize::new(0);
    let mut problems = vec![None; refs.len()];
    std::thread::scope(|scope| {
        let (sender, results) = mpsc::channel();
        for _ in 0..workers {
            let (sender, next) = (sender.clone(), &next);
            scope.spawn(move || {
                while let Some(object) = refs.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let verdict = check_object(key, store, object);
                    if sender.send((object.id, verdict)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(sender);
        progress(0, total);
        let position: std::collections::HashMap<ObjectId, usize> =
            refs.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
        for (done, (id, verdict)) in results.iter().enumerate() {
            if let Err(problem) = verdict {
                problems[position[&id]] = Some(problem);
            }
            progress(done as u64 + 1, total);
        }
    });
    problems
}

fn check_object(key: &VaultKey, store: &ObjectStore, object: &ObjectRef) -> Result<(), String> {
    let path = store.path_of(&object.id);
    if let Err(e) = std::fs::metadata(&path) {
        return Err(match e.kind() {
            io::ErrorKind::NotFound => format!("object file missing ({})", path.display()),
            _ => format!("object file unreadable ({}): {e}", path.display()),
        });
    }
    authenticate(key, &path, object).map_err(|problem| format!("{problem} ({})", path.display()))
}

/// Decrypts a copy of an object (local, or downloaded from a remote) and checks it is the
/// photo the catalog lists.
fn authenticate(key: &VaultKey, file: &Path, object: &ObjectRef) -> Result<(), String> {
    let source = File::open(file).map_err(|e| e.to_string())?;
    let mut sink = HashSink(key.content_hasher());
    let len = decrypt_object(
        BufReader::with_capacity(1 << 20, source),
        &mut sink,
        key,
        Some(&object.id),
    )
    .map_err(|e| e.to_string())?;
    if len != object.size || sink.0.finalize().as_bytes() != &object.content_hash {
        return Err(
            "authentic object but not the photo the catalog lists (swapped or rolled back)".into(),
        );
    }
    Ok(())
}

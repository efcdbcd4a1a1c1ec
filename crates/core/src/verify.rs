//! Verify: decrypt and authenticate every object and check it against its catalog row, and
//! check the catalog against the store both ways.
//!
//! Repair never deletes an object. One the catalog does not list is a photo of this vault
//! (an import killed before its commit, a catalog rolled back, a trash purge cut short)
//! only if it authenticates under this vault's key: then it is listed again from its
//! content. One that does not authenticate (another vault's, or damaged) is left where it
//! is and reported. A second copy of a photo the catalog lists is moved to `quarantine/`.

use crate::catalog::{Item, ObjectRef, Proxy};
use crate::fsutil::{create_private_dir, sync_dir};
use crate::rebuild::Relist;
use crate::store::{ObjectStore, decrypt_file};
use crate::{Contents, VaultError};
use keepsake_crypto::{Keyring, ObjectId};
use serde::Serialize;
use std::collections::HashSet;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

#[derive(Debug, Serialize)]
pub struct Damage {
    /// The object, or None for damage to the catalog itself.
    #[serde(serialize_with = "crate::report_json::maybe_id")]
    pub id: Option<ObjectId>,
    pub name: Option<String>,
    pub problem: String,
}

#[derive(Debug, Default, Serialize)]
pub struct VerifyReport {
    pub checked: u64,
    pub bytes: u64,
    /// Originals this device keeps on demand that are on a remote, not here: not checked
    /// (`verify --remote NAME --deep` checks them there).
    pub away: u64,
    pub damaged: Vec<Damage>,
    /// Authentic objects of this vault that the catalog does not list: `--repair` lists
    /// them again from their content.
    #[serde(serialize_with = "crate::report_json::ids")]
    pub unlisted: Vec<ObjectId>,
    /// Of those, listed again by this run (`--repair`).
    #[serde(serialize_with = "crate::report_json::ids")]
    pub relisted: Vec<ObjectId>,
    /// Authentic second copies of a photo the catalog lists under another object (an
    /// import killed after storing it, then run again): `--repair` moves them to
    /// `quarantine/`.
    #[serde(serialize_with = "crate::report_json::ids")]
    pub redundant: Vec<ObjectId>,
    /// Unlisted objects that do not authenticate under this vault's key, and why: another
    /// vault's, or damaged. Never moved or deleted.
    #[serde(serialize_with = "crate::report_json::id_problems")]
    pub unreadable: Vec<(ObjectId, String)>,
    /// What `quarantine/` holds: set aside by an earlier repair, never deleted by Keepsake.
    pub quarantined: Vec<PathBuf>,
    /// Files in the object store that are not objects at all.
    pub strays: Vec<PathBuf>,
    /// Proxies (playable copies of videos) checked.
    pub proxies_checked: u64,
    /// Videos whose proxy is missing or damaged (their originals are fine, or in
    /// `damaged`): `--repair` makes the proxy again from the original.
    pub damaged_proxies: Vec<Damage>,
    /// Of the damaged proxies, made again by this run (`--repair`).
    #[serde(serialize_with = "crate::report_json::ids")]
    pub proxies_remade: Vec<ObjectId>,
    /// Files under `proxies/` the catalog does not name (a crash between storing a proxy
    /// and listing it, or a rebuilt catalog): never read; `--repair` deletes them, as
    /// they can always be made again.
    #[serde(serialize_with = "crate::report_json::ids")]
    pub unlisted_proxies: Vec<ObjectId>,
}

impl VerifyReport {
    pub fn is_clean(&self) -> bool {
        self.damaged.is_empty() && self.unreadable.is_empty() && self.damaged_proxies.is_empty()
    }
}

/// Where repair sets objects aside, beside `objects/`.
pub const QUARANTINE: &str = "quarantine";

/// What an object the catalog does not list turned out to be.
enum Unlisted {
    /// A photo of this vault, unknown to the catalog.
    Photo,
    /// A second copy of a listed photo.
    Copy,
    /// Not this vault's, or damaged.
    Unreadable(String),
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

impl Contents {
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
        let mut refs = self.catalog.object_refs()?;
        if self.catalog.originals_on_demand()?.is_some() {
            let confirmed = self.catalog.confirmed_anywhere()?;
            let before = refs.len();
            refs.retain(|r| !confirmed.contains(&r.id) || self.store.path_of(&r.id).exists());
            report.away = (before - refs.len()) as u64;
        }
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
        report.quarantined = self.quarantined()?;
        let rebuilding = crate::rebuild::interrupted(&self.dir);
        if rebuilding {
            // Mid-rebuild, unlisted objects are the rebuild's to list.
            report.damaged.push(Damage {
                id: None,
                name: None,
                problem: "a catalog rebuild was interrupted: rebuild the catalog again \
                          (unlisted objects are kept until it finishes)"
                    .into(),
            });
        }
        for id in on_disk.into_iter().filter(|id| !known.contains(id)) {
            match self.classify_unlisted(&id) {
                Unlisted::Photo => report.unlisted.push(id),
                Unlisted::Copy => report.redundant.push(id),
                Unlisted::Unreadable(why) => report.unreadable.push((id, why)),
            }
        }
        if repair && !rebuilding {
            self.repair_unlisted(&mut report)?;
        }
        self.verify_proxies(repair && !rebuilding, &mut report)?;
        Ok(report)
    }

    /// Checks every proxy against its row; with `repair`, a damaged or missing one is
    /// dropped and made again from its original (a proxy is derived data).
    fn verify_proxies(
        &mut self,
        repair: bool,
        report: &mut VerifyReport,
    ) -> Result<(), VaultError> {
        let store = ObjectStore::proxies(&self.dir);
        let listed = self.catalog.proxies()?;
        if let Ok((on_disk, _)) = store.scan() {
            let known: HashSet<ObjectId> = listed.iter().map(|(_, p)| p.id).collect();
            report.unlisted_proxies = on_disk
                .into_iter()
                .filter(|id| !known.contains(id))
                .collect();
        }
        if repair {
            for id in &report.unlisted_proxies {
                store
                    .remove(id)
                    .map_err(|e| VaultError::io(format!("removing unlisted proxy {id}"), e))?;
            }
        }
        for (video, proxy) in listed {
            report.proxies_checked += 1;
            let Err(problem) = authenticate_proxy(&self.key, &store.path_of(&proxy.id), &proxy)
            else {
                continue;
            };
            let name = self.catalog.item(&video)?.map(|item| item.name);
            let problem = format!("its playable copy (proxy {}): {problem}", proxy.id);
            if repair {
                self.catalog.remove_proxy(&video)?;
                let _ = store.remove(&proxy.id);
                let made = self.make_proxies(Some(&[video]), &crate::Cancel::default())?;
                if made.made == 1 {
                    report.proxies_remade.push(video);
                    continue;
                }
            }
            report.damaged_proxies.push(Damage {
                id: Some(video),
                name,
                problem,
            });
        }
        Ok(())
    }

    /// Lists unlisted photos again and moves redundant copies to `quarantine/`.
    fn repair_unlisted(&mut self, report: &mut VerifyReport) -> Result<(), VaultError> {
        for id in report.unlisted.clone() {
            // Emptied from the trash on another device (a crash here came between the
            // merge and the file's removal), or another id's copy: set aside, not shown.
            if self.catalog.log_knows(&id)? {
                self.quarantine(&id)?;
                continue;
            }
            match self.relist(id) {
                Ok(()) => report.relisted.push(id),
                // Another unlisted object with the same content came first.
                Err(Relist::Duplicate) => self.quarantine(&id)?,
                Err(Relist::Unreadable(why)) => report.unreadable.push((id, why)),
                Err(Relist::Failed(e)) => return Err(e),
            }
        }
        for id in &report.redundant {
            self.quarantine(id)?;
        }
        report.quarantined = self.quarantined()?;
        Ok(())
    }

    /// Decides what an object the catalog does not list is, by decrypting it.
    fn classify_unlisted(&self, id: &ObjectId) -> Unlisted {
        let mut sink = HashSink(self.key.content_hasher());
        let digest = self
            .store
            .decrypt(id, &self.key, &mut sink)
            .map(|_| *sink.0.finalize().as_bytes())
            .map_err(|e| e.to_string());
        match digest {
            Err(why) => Unlisted::Unreadable(why),
            Ok(hash) => match self.catalog.find_by_hash(&hash) {
                Ok(Some(_)) => Unlisted::Copy,
                _ => Unlisted::Photo,
            },
        }
    }

    /// Moves an object out of the store into `quarantine/`, durably, without deleting it.
    fn quarantine(&self, id: &ObjectId) -> Result<(), VaultError> {
        let folder = self.dir.join(QUARANTINE);
        let moved = create_private_dir(&folder)
            .and_then(|()| fs::rename(self.store.path_of(id), folder.join(id.to_string())))
            .and_then(|()| sync_dir(&folder))
            .and_then(|()| sync_dir(self.store.path_of(id).parent().unwrap_or(&self.dir)));
        moved.map_err(|e| VaultError::io(format!("moving object {id} to quarantine"), e))
    }

    fn quarantined(&self) -> Result<Vec<PathBuf>, VaultError> {
        let mut files = match fs::read_dir(self.dir.join(QUARANTINE)) {
            Ok(entries) => entries
                .map(|entry| entry.map(|e| e.path()))
                .collect::<io::Result<Vec<_>>>()
                .map_err(|e| VaultError::io("listing the quarantine folder", e))?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(VaultError::io("listing the quarantine folder", e)),
        };
        files.sort();
        Ok(files)
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
    key: &Keyring,
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

fn check_object(key: &Keyring, store: &ObjectStore, object: &ObjectRef) -> Result<(), String> {
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
/// Decrypts a proxy file (local, or downloaded) and checks it is the one the catalog lists.
pub(crate) fn authenticate_proxy(key: &Keyring, file: &Path, proxy: &Proxy) -> Result<(), String> {
    let len = decrypt_file(file, key, &proxy.id, &mut io::sink()).map_err(|e| e.to_string())?;
    if len != proxy.size {
        return Err(format!(
            "authentic, but {len} bytes where the catalog lists {} (swapped or rolled back)",
            proxy.size
        ));
    }
    Ok(())
}

pub(crate) fn authenticate(key: &Keyring, file: &Path, object: &ObjectRef) -> Result<(), String> {
    let mut sink = HashSink(key.content_hasher());
    let len = decrypt_file(file, key, &object.id, &mut sink).map_err(|e| e.to_string())?;
    if len != object.size || sink.0.finalize().as_bytes() != &object.content_hash {
        return Err(
            "authentic object but not the photo the catalog lists (swapped or rolled back)".into(),
        );
    }
    Ok(())
}

//! Import: path -> sniff -> (hash, if a duplicate is possible) -> encrypt to a temporary
//! object while hashing -> fsync + rename -> metadata -> one catalog insert. A crash at any
//! step leaves each photo either fully in the vault or not at all.

use crate::catalog::Item;
use crate::metadata::{self, format_system_time};
use crate::sniff::{SNIFF_LEN, sniff};
use crate::{UnlockedVault, VaultError};
use keepsake_crypto::{ObjectError, ObjectId, ObjectWriter};
use std::fs::File;
use std::io::{self, Read, Seek};
use std::path::{Path, PathBuf};
use std::time::SystemTime;
use walkdir::WalkDir;

#[derive(Debug, Clone)]
pub struct Imported {
    pub path: PathBuf,
    pub id: ObjectId,
    /// Stored, but something about it could not be read.
    pub note: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Skipped {
    pub path: PathBuf,
    pub reason: String,
}

/// Every input file lands in exactly one list.
#[derive(Debug, Default)]
pub struct ImportReport {
    pub imported: Vec<Imported>,
    pub duplicates: Vec<Imported>,
    pub skipped: Vec<Skipped>,
    /// Files that could not be read at all (as opposed to non-media files): also listed
    /// in `skipped`, counted here so shells can exit non-zero.
    pub unreadable: usize,
}

/// Progress, after each file.
#[derive(Debug, Clone, Copy)]
pub struct ImportProgress {
    pub files_done: u64,
    pub files_total: u64,
    pub bytes_done: u64,
    pub bytes_total: u64,
}

enum Outcome {
    Imported(ObjectId, Option<String>),
    Duplicate(ObjectId),
    NotMedia(String),
    Unreadable(String),
}

struct Candidate {
    path: PathBuf,
    size: u64,
}

impl UnlockedVault {
    /// Imports files and folders (recursively). Stops early only when the vault itself
    /// cannot be written (disk full, I/O error): then returns what was done with the error.
    pub fn import(
        &mut self,
        inputs: &[PathBuf],
        progress: &mut dyn FnMut(ImportProgress),
    ) -> (ImportReport, Option<VaultError>) {
        let mut report = ImportReport::default();
        let candidates = collect(inputs, &mut report);
        let mut done = ImportProgress {
            files_done: 0,
            files_total: candidates.len() as u64,
            bytes_done: 0,
            bytes_total: candidates.iter().map(|c| c.size).sum(),
        };
        progress(done);
        for candidate in candidates {
            let outcome = match self.import_file(&candidate.path) {
                Ok(outcome) => outcome,
                Err(fatal) => return (report, Some(fatal)),
            };
            let path = candidate.path;
            match outcome {
                Outcome::Imported(id, note) => report.imported.push(Imported { path, id, note }),
                Outcome::Duplicate(id) => report.duplicates.push(Imported {
                    path,
                    id,
                    note: None,
                }),
                Outcome::NotMedia(reason) => report.skipped.push(Skipped { path, reason }),
                Outcome::Unreadable(reason) => {
                    report.unreadable += 1;
                    report.skipped.push(Skipped { path, reason });
                }
            }
            done.files_done += 1;
            done.bytes_done += candidate.size;
            progress(done);
        }
        (report, None)
    }

    /// `Err` only for failures of the vault itself; problems with the file are outcomes.
    fn import_file(&mut self, path: &Path) -> Result<Outcome, VaultError> {
        let unreadable = |e: io::Error| Ok(Outcome::Unreadable(format!("could not read: {e}")));
        let mut file = match File::open(path) {
            Ok(file) => file,
            Err(e) => return unreadable(e),
        };
        let meta = match file.metadata() {
            Ok(meta) => meta,
            Err(e) => return unreadable(e),
        };
        let mut head = [0u8; SNIFF_LEN];
        let head_len = match read_up_to(&mut file, &mut head) {
            Ok(n) => n,
            Err(e) => return unreadable(e),
        };
        let Some(media) = sniff(&head[..head_len]) else {
            return Ok(Outcome::NotMedia(
                "not a photo or video (unrecognised content)".into(),
            ));
        };
        // Hash first only when a duplicate is possible: saves encrypting and writing a
        // file that is already in the vault, without reading every new file twice.
        if self.catalog.has_size(meta.len())? {
            let mut hasher = self.key.content_hasher();
            let hashed = file
                .rewind()
                .and_then(|()| hasher.update_reader(&mut file).map(|_| ()));
            if let Err(e) = hashed {
                return unreadable(e);
            }
            if let Some(id) = self.catalog.find_by_hash(hasher.finalize().as_bytes())? {
                return Ok(Outcome::Duplicate(id));
            }
        }
        if let Err(e) = file.rewind() {
            return unreadable(e);
        }

        let (pending, tmp) = self.store.begin()?;
        let mut writer = ObjectWriter::new(tmp, &self.key, pending.id)
            .map_err(|e| VaultError::from_object_write("writing an object", e))?;
        let mut hasher = self.key.content_hasher();
        let size = match writer.write_from(&mut file, |bytes| {
            hasher.update(bytes);
        }) {
            Ok(size) => size,
            Err(ObjectError::Read(e)) => return unreadable(e),
            Err(e) => return Err(VaultError::from_object_write("writing an object", e)),
        };
        let tmp = writer
            .finish()
            .map_err(|e| VaultError::from_object_write("writing an object", e))?;
        tmp.sync_all()
            .map_err(|e| VaultError::io("syncing an object to disk", e))?;
        drop(tmp);
        let hash = *hasher.finalize().as_bytes();
        // The file may have matched a stored photo only once fully read (same content,
        // size unknown before): `pending` is dropped, removing the temporary object.
        if let Some(id) = self.catalog.find_by_hash(&hash)? {
            return Ok(Outcome::Duplicate(id));
        }
        let id = self.store.commit(pending)?;

        let modified = meta.modified().ok();
        let metadata = metadata::read(path, media, modified);
        let item = Item {
            id,
            name: file_name(path),
            source_path: path.to_string_lossy().into_owned(),
            size,
            content_hash: hash,
            media_type: media.mime.to_string(),
            kind: media.kind,
            taken_at: metadata.taken_at,
            date_source: metadata.date_source.map(|s| s.as_str().to_string()),
            file_modified_at: modified.and_then(format_system_time),
            imported_at: format_system_time(SystemTime::now()).unwrap_or_default(),
            note: metadata.note.clone(),
        };
        self.catalog.insert(&item)?;
        Ok(Outcome::Imported(id, metadata.note))
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "unnamed".into())
}

fn read_up_to(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Expands the inputs into regular files, in a stable order. What cannot be walked, and
/// what is not a regular file, goes straight into `skipped`.
fn collect(inputs: &[PathBuf], report: &mut ImportReport) -> Vec<Candidate> {
    let mut files = Vec::new();
    for input in inputs {
        for entry in WalkDir::new(input).sort_by_file_name() {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    let path = e.path().unwrap_or(input).to_path_buf();
                    report.unreadable += 1;
                    report.skipped.push(Skipped {
                        path,
                        reason: format!(
                            "could not read: {}",
                            e.io_error().map_or(e.to_string(), |io| io.to_string())
                        ),
                    });
                    continue;
                }
            };
            let file_type = entry.file_type();
            if file_type.is_dir() {
                continue;
            }
            // A symlink given directly is followed by WalkDir; inside folders it is
            // resolved here, and only links to regular files are imported.
            let meta = match std::fs::metadata(entry.path()) {
                Ok(meta) => meta,
                Err(e) => {
                    report.unreadable += 1;
                    report.skipped.push(Skipped {
                        path: entry.into_path(),
                        reason: format!("could not read: {e}"),
                    });
                    continue;
                }
            };
            if meta.is_file() {
                files.push(Candidate {
                    path: entry.into_path(),
                    size: meta.len(),
                });
            } else {
                let reason = if meta.is_dir() {
                    "a link to a folder (not followed)"
                } else {
                    "not a regular file"
                };
                report.skipped.push(Skipped {
                    path: entry.into_path(),
                    reason: reason.into(),
                });
            }
        }
    }
    files
}

//! Import: path -> sniff -> (hash, if a duplicate is possible) -> encrypt to a temporary
//! object while hashing -> fsync -> metadata and renditions -> rename into place -> one
//! catalog transaction. Workers on every core do everything up to the rename; the calling
//! thread alone commits, so the catalog keeps one writer and a crash at any step leaves
//! each photo either fully in the vault or not at all.

mod archived;

use crate::archive::{self, Archives, Format};
use crate::catalog::{DedupIndex, Item};
use crate::icloud::{self, ICloud};
use crate::media::{self, Original, Rendition};
use crate::migration::{ExportFile, read_at_most};
use crate::sniff::{MediaKind, MediaType, SNIFF_LEN, sniff};
use crate::store::{ObjectStore, PendingObject};
use crate::takeout::{self, Takeout};
use crate::{Cancel, Contents, VaultError};
use keepsake_crypto::{Keyring, ObjectError, ObjectId, ObjectWriter};
use serde::Serialize;
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::sync_channel;
use std::time::SystemTime;
use walkdir::WalkDir;

/// Files up to this size are read once into memory, then hashed, encrypted and decoded
/// from there; larger ones (videos) stream from disk.
const IN_MEMORY_MAX: u64 = 64 << 20;
/// Workers beyond this add memory, not speed (the disk and the one committer limit).
const MAX_WORKERS: usize = 4;

#[derive(Debug, Clone, Serialize)]
pub struct Imported {
    pub path: PathBuf,
    #[serde(serialize_with = "crate::report_json::id")]
    pub id: ObjectId,
    /// Stored, but something about it could not be read or rendered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub path: PathBuf,
    pub reason: String,
    /// The file could not be read (as opposed to: read, and not a photo or video).
    #[serde(skip)]
    pub unreadable: bool,
}

/// Every input file lands in exactly one list, in the order the inputs were walked;
/// unless the import was cancelled, when the files it did not reach are in none.
#[derive(Debug, Default, Serialize)]
pub struct ImportReport {
    pub imported: Vec<Imported>,
    pub duplicates: Vec<Imported>,
    pub skipped: Vec<Skipped>,
    /// Files that could not be read at all (as opposed to non-media files): also listed
    /// in `skipped`, counted here so shells can exit non-zero.
    pub unreadable: usize,
    /// Stopped through its `Cancel` before the last file.
    pub cancelled: bool,
    /// Playable copies made of the imported videos this platform's viewer cannot play.
    pub proxies: crate::ProxyReport,
    /// Google Takeout's JSON sidecars that described a photo, and its album folders'
    /// `metadata.json` (read, not stored: in no other list).
    pub sidecars: Vec<PathBuf>,
    /// Stacks made of the files imported (Live Photos, RAW+JPEG pairs, bursts).
    pub stacks: usize,
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

/// A file encrypted into a temporary object, analysed, waiting to be committed.
struct Ready {
    pending: PendingObject,
    item: Item,
    renditions: Vec<Rendition>,
}

enum Prepared {
    Settled(Outcome),
    Ready(Box<Ready>),
}

/// What a file's metadata says about its content: if any of it differs after reading, the
/// file was written to meanwhile (a copy still running, an editor saving).
#[derive(PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
    /// The inode change time: moves on every write, and cannot be set back by a program.
    #[cfg(unix)]
    changed: (i64, i64),
}

impl Stamp {
    fn of(meta: &std::fs::Metadata) -> Self {
        #[cfg(unix)]
        use std::os::unix::fs::MetadataExt;
        Self {
            len: meta.len(),
            modified: meta.modified().ok(),
            #[cfg(unix)]
            changed: (meta.ctime(), meta.ctime_nsec()),
        }
    }

    /// Whether `file` still has this stamp.
    fn holds(&self, file: &File) -> io::Result<bool> {
        Ok(Stamp::of(&file.metadata()?) == *self)
    }
}

/// How long to wait before reading a changing file a second time.
const CHANGED_RETRY_AFTER: std::time::Duration = std::time::Duration::from_millis(500);
/// A file written to more recently than this may be a copy that only paused: it is read
/// once this old, and counts as changing if it was written to meanwhile.
const SETTLE: std::time::Duration = std::time::Duration::from_secs(1);

/// Waits until a freshly written file is `SETTLE` old; false if it was written to
/// meanwhile. Files older than that (almost every photo) pass at once.
fn settles(file: &File, stamp: &Stamp) -> bool {
    let age = stamp
        .modified
        .and_then(|modified| SystemTime::now().duration_since(modified).ok())
        .unwrap_or_default();
    if age >= SETTLE {
        return true;
    }
    std::thread::sleep(SETTLE - age);
    stamp.holds(file).unwrap_or(false)
}

struct Candidate {
    /// How reports name it (inside an archive: the archive's path, then the path inside).
    path: PathBuf,
    size: u64,
    /// The archive entry it is, or None: a file on disk.
    entry: Option<archive::Entry>,
}

impl Candidate {
    /// Where it is, for sidecars and album folders: inside an archive, its path there
    /// (the parts of one export share their folders).
    fn place(&self) -> &Path {
        self.entry.as_ref().map_or(&self.path, |e| &e.inner)
    }

    /// The file, read, if `wanted` says it may be another app's metadata (at most `max`
    /// bytes of it).
    fn export_file(
        &self,
        archives: &mut Archives,
        wanted: fn(&Path, u64) -> bool,
        max: u64,
    ) -> Option<ExportFile> {
        if !wanted(self.place(), self.size) {
            return None;
        }
        let bytes = match &self.entry {
            Some(archive::Entry {
                kept: Some(kept), ..
            }) => read_at_most(&kept[..], max)?,
            Some(entry) => read_at_most(archives.open(entry).ok()?, max)?,
            None => read_at_most(File::open(&self.path).ok()?, max)?,
        };
        Some(ExportFile {
            place: self.place().to_path_buf(),
            shown: self.path.clone(),
            bytes,
        })
    }
}

impl Contents {
    /// Imports files and folders (recursively). Stops early only when the vault itself
    /// cannot be written (disk full, I/O error): then returns what was done with the error.
    pub fn import(
        &mut self,
        inputs: &[PathBuf],
        progress: &mut dyn FnMut(ImportProgress),
    ) -> (ImportReport, Option<VaultError>) {
        self.import_cancellable(inputs, &Cancel::default(), progress)
    }

    /// As `import`, stopping at the next file once `cancel` is cancelled: what was
    /// imported stays imported.
    pub fn import_cancellable(
        &mut self,
        inputs: &[PathBuf],
        cancel: &Cancel,
        progress: &mut dyn FnMut(ImportProgress),
    ) -> (ImportReport, Option<VaultError>) {
        let mut report = ImportReport::default();
        let mut candidates = collect(inputs, cancel, &mut report);
        // Listing a tar.gz reads it through: a cancel meanwhile ends the import there.
        if cancel.is_cancelled() {
            report.cancelled = true;
            return (report, None);
        }
        let mut archives = Archives::default();
        let takeout = Takeout::take_from(&mut candidates, |c| {
            c.export_file(&mut archives, takeout::may_be_takeout, takeout::SIDECAR_MAX)
        });
        let icloud = ICloud::take_from(&mut candidates, |c| {
            c.export_file(&mut archives, icloud::may_be_icloud, icloud::CSV_MAX)
        });
        drop(archives);
        let mut done = ImportProgress {
            files_done: 0,
            files_total: candidates.len() as u64,
            bytes_done: 0,
            bytes_total: candidates.iter().map(|c| c.size).sum(),
        };
        progress(done);
        let dedup = match self.catalog.dedup_index() {
            Ok(index) => Mutex::new(index),
            Err(e) => return (report, Some(e)),
        };
        let workers = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(MAX_WORKERS);
        // A tar.gz is read in order by one feeder; everything else by index, by any worker.
        let mut by_index = Vec::with_capacity(candidates.len());
        let mut in_order: Vec<Vec<(usize, archive::Entry)>> = Vec::new();
        for (index, candidate) in candidates.iter().enumerate() {
            match &candidate.entry {
                Some(entry) if entry.format == Format::TarGz => {
                    // One reading per listing (an archive given twice is read twice).
                    let same = in_order.last().and_then(|files| files.last());
                    match same {
                        Some((_, last))
                            if last.archive == entry.archive && last.index < entry.index => {}
                        _ => in_order.push(Vec::new()),
                    }
                    if let Some(files) = in_order.last_mut() {
                        files.push((index, entry.clone()));
                    }
                }
                _ => by_index.push(index),
            }
        }
        let next = AtomicUsize::new(0);
        let stop = AtomicBool::new(false);
        let (key, store, catalog) = (&self.key, &self.store, &mut self.catalog);
        let mut outcomes: Vec<(usize, Outcome)> = Vec::with_capacity(candidates.len());
        let mut fatal = None;

        let (tar_files, from_tar) = sync_channel::<archived::TarFile>(workers);
        let from_tar = Mutex::new(from_tar);
        let working = AtomicUsize::new(workers);
        std::thread::scope(|scope| {
            let (sender, results) = sync_channel(workers * 2);
            if !in_order.is_empty() {
                let feed = archived::Feed {
                    key,
                    store,
                    dedup: &dedup,
                    files: tar_files,
                    results: sender.clone(),
                    stop: &stop,
                    cancel,
                    workers: &working,
                };
                scope.spawn(move || feed.run(in_order));
            } else {
                // No feeder: the workers' wait for its files ends at once.
                drop(tar_files);
            }
            for _ in 0..workers {
                let sender = sender.clone();
                let (candidates, by_index, next, stop, dedup, from_tar, working) = (
                    &candidates,
                    &by_index,
                    &next,
                    &stop,
                    &dedup,
                    &from_tar,
                    &working,
                );
                scope.spawn(move || {
                    let _working = archived::Working(working);
                    let mut archives = Archives::default();
                    while !stop.load(Ordering::Relaxed) && !cancel.is_cancelled() {
                        let (index, prepared) =
                            match by_index.get(next.fetch_add(1, Ordering::Relaxed)) {
                                Some(&index) => {
                                    let candidate = &candidates[index];
                                    let prepared = match &candidate.entry {
                                        None => prepare(key, store, dedup, &candidate.path),
                                        Some(entry) => archived::prepare_zip_entry(
                                            key,
                                            store,
                                            dedup,
                                            &mut archives,
                                            entry,
                                        ),
                                    };
                                    (index, prepared)
                                }
                                // Then the small files the tar.gz feeder hands on, until it
                                // is done.
                                None => {
                                    let file = match from_tar.lock().map(|rx| rx.recv()) {
                                        Ok(Ok(file)) => file,
                                        _ => break,
                                    };
                                    (file.candidate, file.prepare(key, store, dedup))
                                }
                            };
                        if sender.send((index, prepared)).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(sender);
            for (index, prepared) in results {
                let outcome = prepared.and_then(|prepared| match prepared {
                    Prepared::Settled(outcome) => Ok(outcome),
                    Prepared::Ready(ready) => commit(*ready, store, catalog, &dedup),
                });
                match outcome {
                    Ok(outcome) => outcomes.push((index, outcome)),
                    Err(e) => {
                        // Let the workers finish the file in hand, then stop: their
                        // temporary objects are removed as they are dropped.
                        stop.store(true, Ordering::Relaxed);
                        fatal.get_or_insert(e);
                        continue;
                    }
                }
                done.files_done += 1;
                done.bytes_done += candidates[index].size;
                progress(done);
            }
        });

        report.cancelled = cancel.is_cancelled() && outcomes.len() < candidates.len();
        outcomes.sort_by_key(|(index, _)| *index);
        for (index, outcome) in outcomes {
            let path = candidates[index].path.clone();
            match outcome {
                Outcome::Imported(id, note) => report.imported.push(Imported { path, id, note }),
                Outcome::Duplicate(id) => report.duplicates.push(Imported {
                    path,
                    id,
                    note: None,
                }),
                Outcome::NotMedia(reason) => report.skipped.push(Skipped {
                    path,
                    reason,
                    unreadable: false,
                }),
                Outcome::Unreadable(reason) => {
                    report.unreadable += 1;
                    report.skipped.push(Skipped {
                        path,
                        reason,
                        unreadable: true,
                    });
                }
            }
        }
        // Once every file is in: a slow conversion never holds up the next photo.
        if fatal.is_none() && !cancel.is_cancelled() {
            let imported: Vec<ObjectId> = report.imported.iter().map(|i| i.id).collect();
            match self.make_proxies(Some(&imported), cancel) {
                Ok(proxies) => report.proxies = proxies,
                Err(e) => fatal = Some(e),
            }
        }
        let places: HashMap<PathBuf, PathBuf> = candidates
            .iter()
            .filter(|c| c.entry.is_some())
            .map(|c| (c.path.clone(), c.place().to_path_buf()))
            .collect();
        if fatal.is_none()
            && !takeout.is_empty()
            && let Err(e) = self.apply_takeout(&takeout, &places, &mut report)
        {
            fatal = Some(e);
        }
        if fatal.is_none()
            && !icloud.is_empty()
            && let Err(e) = self.apply_icloud(&icloud, &mut report)
        {
            fatal = Some(e);
        }
        if fatal.is_none() {
            match self.stack_imported(&report) {
                Ok(made) => report.stacks = made,
                Err(e) => fatal = Some(e),
            }
        }
        (report, fatal)
    }
}

/// The committing half, on the calling thread: rename into place, then one transaction.
fn commit(
    ready: Ready,
    store: &ObjectStore,
    catalog: &mut crate::catalog::Catalog,
    dedup: &Mutex<DedupIndex>,
) -> Result<Outcome, VaultError> {
    let Ready {
        pending,
        mut item,
        renditions,
    } = ready;
    // Two workers may have had the same photo in hand at once.
    if let Some(id) = catalog.find_by_hash(&item.content_hash)? {
        return Ok(Outcome::Duplicate(id));
    }
    item.id = store.commit(pending)?;
    crate::probe::phase("object stored");
    catalog.insert(&item, &renditions)?;
    crate::probe::phase("item listed");
    lock(dedup).add(item.size, item.content_hash, item.id);
    let mut notes: Vec<&str> = item.note.iter().map(String::as_str).collect();
    let render_note = item
        .render_error
        .as_ref()
        .map(|e| format!("no preview: {e}"));
    notes.extend(render_note.as_deref());
    Ok(Outcome::Imported(
        item.id,
        (!notes.is_empty()).then(|| notes.join("; ")),
    ))
}

fn lock(dedup: &Mutex<DedupIndex>) -> std::sync::MutexGuard<'_, DedupIndex> {
    // A worker that panicked cannot leave the index half-updated (`add` is two inserts
    // that are each complete), so a poisoned lock is still usable.
    dedup
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The worker half. `Err` only for failures of the vault itself; problems with the file
/// are outcomes. A file that changes while it is read is read once more, then skipped:
/// storing it would keep a cut or mixed copy and call it intact.
fn prepare(
    key: &Keyring,
    store: &ObjectStore,
    dedup: &Mutex<DedupIndex>,
    path: &Path,
) -> Result<Prepared, VaultError> {
    if let Some(prepared) = prepare_once(key, store, dedup, path)? {
        return Ok(prepared);
    }
    std::thread::sleep(CHANGED_RETRY_AFTER);
    Ok(prepare_once(key, store, dedup, path)?.unwrap_or_else(|| {
        Prepared::Settled(Outcome::Unreadable(
            "it changed while being read (still being copied or saved?): import it again \
             once it is complete"
                .into(),
        ))
    }))
}

/// One reading of the file; None when it was written to meanwhile (what was read may be a
/// mix of old and new).
fn prepare_once(
    key: &Keyring,
    store: &ObjectStore,
    dedup: &Mutex<DedupIndex>,
    path: &Path,
) -> Result<Option<Prepared>, VaultError> {
    let settled = |outcome| Ok(Some(Prepared::Settled(outcome)));
    let unreadable = |e: io::Error| settled(Outcome::Unreadable(format!("could not read: {e}")));
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(e) => return unreadable(e),
    };
    let meta = match file.metadata() {
        Ok(meta) => meta,
        Err(e) => return unreadable(e),
    };
    let stamp = Stamp::of(&meta);
    if !settles(&file, &stamp) {
        return Ok(None);
    }
    let unchanged = |file: &File| stamp.holds(file).unwrap_or(false);
    let in_memory = meta.len() <= IN_MEMORY_MAX;
    let mut bytes = Vec::new();
    let read = if in_memory {
        // One byte past the size it had: a file that grew shows as a longer read.
        (&mut file)
            .take(meta.len() + 1)
            .read_to_end(&mut bytes)
            .map(|_| ())
    } else {
        let mut head = [0u8; SNIFF_LEN];
        read_up_to(&mut file, &mut head).map(|n| bytes.extend_from_slice(&head[..n]))
    };
    if let Err(e) = read {
        return unreadable(e);
    }
    if in_memory && (bytes.len() as u64 != meta.len() || !unchanged(&file)) {
        return Ok(None);
    }
    let Some(media) = sniff(&bytes[..bytes.len().min(SNIFF_LEN)]) else {
        return settled(Outcome::NotMedia(
            "not a photo or video (unrecognised content)".into(),
        ));
    };
    if !in_memory {
        bytes = Vec::new();
    }
    let size = if in_memory {
        bytes.len() as u64
    } else {
        meta.len()
    };

    // Hash first only when a duplicate is possible: saves encrypting and writing a file
    // that is already in the vault, without reading every new file twice.
    if lock(dedup).has_size(size) {
        let mut hasher = key.content_hasher();
        let hashed = if in_memory {
            hasher.update(&bytes);
            Ok(())
        } else {
            reopen(&mut file, path).and_then(|()| hasher.update_reader(&mut file).map(|_| ()))
        };
        if let Err(e) = hashed {
            return unreadable(e);
        }
        if !in_memory && !unchanged(&file) {
            return Ok(None);
        }
        if let Some(id) = lock(dedup).find(hasher.finalize().as_bytes()) {
            return settled(Outcome::Duplicate(id));
        }
    }

    let (pending, mut writer) = store.create(key)?;
    let mut hasher = key.content_hasher();
    let written = if in_memory {
        write_hashed(&mut writer, &mut hasher, &mut &bytes[..])?
    } else {
        if let Err(e) = reopen(&mut file, path) {
            return unreadable(e);
        }
        write_hashed(&mut writer, &mut hasher, &mut file)?
    };
    let size = match written {
        Ok(size) => size,
        Err(e) => return unreadable(e),
    };
    // Streamed: every byte up to the end went through the hash; the end must be where it
    // was (dropping `pending` removes the temporary object).
    if !in_memory && (size != meta.len() || !unchanged(&file)) {
        return Ok(None);
    }
    seal(writer)?;
    let hash = *hasher.finalize().as_bytes();
    // Same content as a stored photo, found only once fully read: dropping `pending`
    // removes the temporary object.
    if let Some(id) = lock(dedup).find(&hash) {
        return settled(Outcome::Duplicate(id));
    }

    let modified = meta.modified().ok().and_then(format_system_time);
    // ffmpeg needs to seek in most videos: give it the user's file rather than a pipe.
    let original = if in_memory && media.kind != MediaKind::Video {
        Original::Bytes(&bytes)
    } else {
        Original::File(path)
    };
    let name = path.file_name().and_then(|n| n.to_str());
    let file = media::FileFacts {
        name,
        modified: modified.as_deref(),
        rotation: 0,
    };
    let analysis = media::analyse(original, media, file);
    let item = new_item(
        path,
        size,
        hash,
        media,
        modified,
        analysis.info,
        &analysis.notes,
        analysis.render_error,
    );
    Ok(Some(Prepared::Ready(Box::new(Ready {
        pending,
        item,
        renditions: analysis.renditions,
    }))))
}

/// Encrypts `source` into the object `writer` makes, hashing it on the way: its size, or
/// why the source could not be read (the vault's own failures are the outer error).
fn write_hashed(
    writer: &mut ObjectWriter<File>,
    hasher: &mut blake3::Hasher,
    source: &mut impl Read,
) -> Result<io::Result<u64>, VaultError> {
    match writer.write_from(source, |b| {
        hasher.update(b);
    }) {
        Ok(size) => Ok(Ok(size)),
        Err(ObjectError::Read(e)) => Ok(Err(e)),
        Err(e) => Err(VaultError::from_object_write("writing an object", e)),
    }
}

/// Ends a temporary object and makes it durable (before it is renamed into place).
fn seal(writer: ObjectWriter<File>) -> Result<(), VaultError> {
    let tmp = writer
        .finish()
        .map_err(|e| VaultError::from_object_write("writing an object", e))?;
    tmp.sync_all()
        .map_err(|e| VaultError::io("syncing an object to disk", e))
}

#[allow(clippy::too_many_arguments)]
fn new_item(
    path: &Path,
    size: u64,
    hash: [u8; 32],
    media: MediaType,
    modified: Option<String>,
    info: media::MediaInfo,
    notes: &[String],
    render_error: Option<String>,
) -> Item {
    Item {
        id: ObjectId([0; 16]), // given at commit
        name: path
            .file_name()
            .map_or_else(|| "unnamed".into(), |n| n.to_string_lossy().into_owned()),
        source_path: path.to_string_lossy().into_owned(),
        size,
        content_hash: hash,
        media_type: media.mime.to_string(),
        kind: media.kind,
        file_modified_at: modified,
        imported_at: format_system_time(SystemTime::now()).unwrap_or_default(),
        note: (!notes.is_empty()).then(|| notes.join("; ")),
        media: info,
        render_error,
        pipeline_version: media::PIPELINE_VERSION,
        caption: None,
        rotation: 0,
        stack: None,
    }
}

pub fn format_system_time(time: SystemTime) -> Option<String> {
    let ts = jiff::Timestamp::try_from(time).ok()?;
    Some(ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// Back to the start of a file: a seek, or (for what cannot seek) a fresh open.
fn reopen(file: &mut File, path: &Path) -> io::Result<()> {
    use std::io::Seek;
    if file.rewind().is_err() {
        *file = File::open(path)?;
    }
    Ok(())
}

fn read_up_to(file: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
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
fn collect(inputs: &[PathBuf], cancel: &Cancel, report: &mut ImportReport) -> Vec<Candidate> {
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
                        unreadable: true,
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
                        unreadable: true,
                    });
                    continue;
                }
            };
            let format = archive::format_of(entry.path()).filter(|_| meta.is_file());
            if let Some(format) = format {
                let listed = match format {
                    Format::Zip => archive::entries(entry.path()),
                    // Sidecars and manifests are kept as it is listed: it is read only in order.
                    Format::TarGz => archive::tgz_entries(entry.path(), cancel, |place, size| {
                        takeout::may_be_takeout(place, size) || icloud::may_be_icloud(place, size)
                    }),
                };
                match listed {
                    Ok(inside) => files.extend(inside.into_iter().map(|e| Candidate {
                        path: e.shown_path(),
                        size: e.size,
                        entry: Some(e),
                    })),
                    Err(e) => {
                        report.unreadable += 1;
                        report.skipped.push(Skipped {
                            path: entry.into_path(),
                            reason: format!("could not read the archive: {e}"),
                            unreadable: true,
                        });
                    }
                }
            } else if meta.is_file() {
                files.push(Candidate {
                    path: entry.into_path(),
                    size: meta.len(),
                    entry: None,
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
                    unreadable: false,
                });
            }
        }
    }
    files
}

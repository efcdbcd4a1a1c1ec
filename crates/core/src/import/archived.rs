//! Importing files from inside archives: a zip's entries by index, in any order, on every
//! worker; a tar.gz's in order, from one reader that hands small files (in memory) to the
//! workers and streams large ones itself into the encrypting writer.

use super::{
    IN_MEMORY_MAX, Outcome, Prepared, Ready, lock, new_item, read_up_to, seal, write_hashed,
};
use crate::archive::{self, Archives, Entry};
use crate::catalog::DedupIndex;
use crate::media::{self, Original};
use crate::sniff::{MediaType, SNIFF_LEN, sniff};
use crate::store::ObjectStore;
use crate::{Cancel, VaultError};
use keepsake_crypto::Keyring;
use std::io::{self, Read};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{SyncSender, TrySendError};
use std::time::Duration;

fn unreadable(e: io::Error) -> Result<Prepared, VaultError> {
    Ok(Prepared::Settled(Outcome::Unreadable(format!(
        "could not read it from the archive: {e}"
    ))))
}

fn not_media() -> Result<Prepared, VaultError> {
    Ok(Prepared::Settled(Outcome::NotMedia(
        "not a photo or video (unrecognised content)".into(),
    )))
}

/// A zip's entry: small ones read into memory; a large one sniffed, hashed first when a
/// file of its size is in the vault already (a duplicate is never written), then streamed.
pub(super) fn prepare_zip_entry(
    key: &Keyring,
    store: &ObjectStore,
    dedup: &Mutex<DedupIndex>,
    archives: &mut Archives,
    entry: &Entry,
) -> Result<Prepared, VaultError> {
    if entry.size <= IN_MEMORY_MAX {
        return prepare_in_memory(key, store, dedup, entry, archives.read(entry));
    }
    let mut head = [0u8; SNIFF_LEN];
    let n = match archives
        .open(entry)
        .and_then(|mut r| read_up_to(&mut r, &mut head))
    {
        Ok(n) => n,
        Err(e) => return unreadable(e),
    };
    let Some(media) = sniff(&head[..n]) else {
        return not_media();
    };
    if lock(dedup).has_size(entry.size) {
        let mut hasher = key.content_hasher();
        let hashed = archives
            .open(entry)
            .and_then(|mut r| hasher.update_reader(&mut r).map(|_| ()));
        if let Err(e) = hashed {
            return unreadable(e);
        }
        if let Some(id) = lock(dedup).find(hasher.finalize().as_bytes()) {
            return Ok(Prepared::Settled(Outcome::Duplicate(id)));
        }
    }
    match archives.open(entry) {
        Ok(mut reader) => prepare_streamed(key, store, dedup, entry, media, &mut reader),
        Err(e) => unreadable(e),
    }
}

/// An entry read into memory (`bytes`, or why it could not be): hashed, encrypted and
/// rendered from there.
fn prepare_in_memory(
    key: &Keyring,
    store: &ObjectStore,
    dedup: &Mutex<DedupIndex>,
    entry: &Entry,
    bytes: io::Result<Vec<u8>>,
) -> Result<Prepared, VaultError> {
    let bytes = match bytes {
        Ok(bytes) => bytes,
        Err(e) => return unreadable(e),
    };
    let Some(media) = sniff(&bytes[..bytes.len().min(SNIFF_LEN)]) else {
        return not_media();
    };
    let analyse = |file: media::FileFacts| media::analyse(Original::Bytes(&bytes), media, file);
    encrypt(key, store, dedup, entry, media, &mut &bytes[..], analyse)
}

/// An entry too large to hold, streamed into the vault; `keepsake rethumb` renders it.
fn prepare_streamed(
    key: &Keyring,
    store: &ObjectStore,
    dedup: &Mutex<DedupIndex>,
    entry: &Entry,
    media: MediaType,
    reader: &mut dyn Read,
) -> Result<Prepared, VaultError> {
    let why = format!(
        "read from an archive, too large to render on the way in ({} MB): `keepsake \
         rethumb` renders it from the vault",
        entry.size >> 20
    );
    let analyse = |file: media::FileFacts| media::unread(file, why);
    encrypt(key, store, dedup, entry, media, reader, analyse)
}

/// Encrypts an entry from `reader` into a temporary object, hashing it; then, unless it is
/// a duplicate, analyses it (`analyse`) for the catalog.
fn encrypt(
    key: &Keyring,
    store: &ObjectStore,
    dedup: &Mutex<DedupIndex>,
    entry: &Entry,
    media: MediaType,
    mut reader: &mut dyn Read,
    analyse: impl FnOnce(media::FileFacts) -> media::Analysis,
) -> Result<Prepared, VaultError> {
    let (pending, mut writer) = store.create(key)?;
    let mut hasher = key.content_hasher();
    let size = match write_hashed(&mut writer, &mut hasher, &mut reader)? {
        Ok(size) => size,
        Err(e) => return unreadable(e),
    };
    if size != entry.size {
        return unreadable(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("the archive says {} bytes and holds {size}", entry.size),
        ));
    }
    seal(writer)?;
    let hash = *hasher.finalize().as_bytes();
    if let Some(id) = lock(dedup).find(&hash) {
        return Ok(Prepared::Settled(Outcome::Duplicate(id)));
    }
    let analysis = analyse(media::FileFacts {
        name: entry.inner.file_name().and_then(|n| n.to_str()),
        modified: None,
        rotation: 0,
    });
    let item = new_item(
        &entry.shown_path(),
        size,
        hash,
        media,
        None,
        analysis.info,
        &analysis.notes,
        analysis.render_error,
    );
    Ok(Prepared::Ready(Box::new(Ready {
        pending,
        item,
        renditions: analysis.renditions,
    })))
}

/// A small file of a tar.gz, read by the feeder, for a worker to prepare.
pub(super) struct TarFile {
    pub candidate: usize,
    pub entry: Entry,
    pub bytes: io::Result<Vec<u8>>,
}

impl TarFile {
    pub fn prepare(
        self,
        key: &Keyring,
        store: &ObjectStore,
        dedup: &Mutex<DedupIndex>,
    ) -> Result<Prepared, VaultError> {
        prepare_in_memory(key, store, dedup, &self.entry, self.bytes)
    }
}

/// What the feeder works with: the vault's writer, and where prepared files go.
pub(super) struct Feed<'a> {
    pub key: &'a Keyring,
    pub store: &'a ObjectStore,
    pub dedup: &'a Mutex<DedupIndex>,
    /// Small files, to the workers.
    pub files: SyncSender<TarFile>,
    /// Large files the feeder prepared itself, to the committer.
    pub results: SyncSender<(usize, Result<Prepared, VaultError>)>,
    pub stop: &'a AtomicBool,
    pub cancel: &'a Cancel,
    /// Workers still taking files (none left: a bug stopped them all).
    pub workers: &'a AtomicUsize,
}

impl Feed<'_> {
    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
            || self.cancel.is_cancelled()
            || self.workers.load(Ordering::Relaxed) == 0
    }

    /// Reads each tar.gz through once, in order, handing on the files imported from it:
    /// `wanted` holds each archive's candidates (their index in the import and entry).
    pub fn run(self, wanted: Vec<Vec<(usize, Entry)>>) {
        for files in wanted {
            let Some((_, first)) = files.first() else {
                continue;
            };
            let path = first.archive.clone();
            let mut next = files.into_iter().peekable();
            let read = archive::each_tgz_file(&path, |index, _, _, bytes| {
                let Some((candidate, entry)) = next.next_if(|(_, e)| e.index == index) else {
                    return Ok(!self.stopped());
                };
                if entry.size <= IN_MEMORY_MAX {
                    let mut held = Vec::with_capacity(entry.size as usize);
                    let read = bytes.take(entry.size + 1).read_to_end(&mut held);
                    let file = TarFile {
                        candidate,
                        entry,
                        bytes: read.map(|_| held),
                    };
                    self.hand_on(file);
                } else {
                    let prepared = prepare_tar_streamed(&self, &entry, bytes);
                    // The committer stops receiving only once every sender is gone.
                    let _ = self.results.send((candidate, prepared));
                }
                Ok(!self.stopped() && next.peek().is_some())
            });
            // A damaged archive (cut short, corrupt), or one changed since it was listed,
            // settles what it did not get to: every file ends in the report.
            let why = match read {
                Err(e) => Some(format!("could not read it from the archive: {e}")),
                Ok(()) if !self.stopped() => {
                    Some("the archive changed since it was listed: import it again".into())
                }
                Ok(()) => None,
            };
            if let Some(why) = why {
                for (candidate, _) in next {
                    let settled = Prepared::Settled(Outcome::Unreadable(why.clone()));
                    let _ = self.results.send((candidate, Ok(settled)));
                }
            }
            if self.stopped() {
                return;
            }
        }
    }

    /// Gives a worker the file, waiting while they are all busy (but not once they stop).
    fn hand_on(&self, mut file: TarFile) {
        loop {
            match self.files.try_send(file) {
                Ok(()) | Err(TrySendError::Disconnected(_)) => return,
                Err(TrySendError::Full(back)) if !self.stopped() => {
                    file = back;
                    std::thread::sleep(Duration::from_millis(2));
                }
                Err(TrySendError::Full(_)) => return,
            }
        }
    }
}

/// Counts a worker out of `Feed::workers` when it ends, by returning or by a panic.
pub(super) struct Working<'a>(pub &'a AtomicUsize);

impl Drop for Working<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A large file of a tar.gz, read once (there is no second reading to hash it first).
fn prepare_tar_streamed(
    feed: &Feed,
    entry: &Entry,
    mut bytes: &mut dyn Read,
) -> Result<Prepared, VaultError> {
    let mut head = [0u8; SNIFF_LEN];
    let n = match read_up_to(&mut bytes, &mut head) {
        Ok(n) => n,
        Err(e) => return unreadable(e),
    };
    let Some(media) = sniff(&head[..n]) else {
        return not_media();
    };
    let mut whole = (&head[..n]).chain(bytes.take(entry.size + 1 - n as u64));
    prepare_streamed(feed.key, feed.store, feed.dedup, entry, media, &mut whole)
}

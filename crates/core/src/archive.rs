//! Zip archives given to import (Google Takeout's parts, 2–50 GB each): their entries are
//! read one by one straight into the encrypting writer, never extracted, so no photo's
//! plaintext lands on disk. An entry's name is only ever shown and matched (sidecars,
//! album folders), never used to write a file.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use zip::ZipArchive;

/// One file inside an archive.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub archive: Arc<PathBuf>,
    pub index: usize,
    /// Its path inside the archive ("Takeout/Google Photos/Trip/IMG_1.jpg"): several parts
    /// of one export share folders by it.
    pub inner: PathBuf,
    /// As the archive declares it; reading never goes past it.
    pub size: u64,
}

impl Entry {
    /// How reports name it: the archive's path, then the path inside.
    pub fn shown_path(&self) -> PathBuf {
        self.archive.join(&self.inner)
    }
}

/// Whether `path` names a zip archive (by its name, as Takeout and every OS name them).
pub(crate) fn is_zip(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
}

fn damaged(e: zip::result::ZipError) -> io::Error {
    match e {
        zip::result::ZipError::Io(e) => e,
        other => io::Error::new(io::ErrorKind::InvalidData, other.to_string()),
    }
}

/// The files an archive holds, in its order (folders, links and encrypted entries left out:
/// Takeout has none).
pub(crate) fn entries(path: &Path) -> io::Result<Vec<Entry>> {
    let archive_path = Arc::new(path.to_path_buf());
    let archive = ZipArchive::new(File::open(path)?).map_err(damaged)?;
    let mut found = Vec::with_capacity(archive.len());
    for index in 0..archive.len() {
        let entry = archive.by_index_data(index).map_err(damaged)?;
        if !entry.is_file() || entry.encrypted() {
            continue;
        }
        // A name that climbs out ("../x") or is absolute is shown by its last part only.
        let inner = entry.enclosed_name().unwrap_or_else(|| {
            entry
                .mangled_name()
                .ok()
                .and_then(|n| n.file_name().map(PathBuf::from))
                .unwrap_or_else(|| PathBuf::from("unnamed"))
        });
        found.push(Entry {
            archive: archive_path.clone(),
            index,
            inner,
            size: entry.size(),
        });
    }
    Ok(found)
}

/// Archives kept open by one reader (each import worker has its own).
#[derive(Default)]
pub(crate) struct Archives {
    open: HashMap<Arc<PathBuf>, ZipArchive<File>>,
}

impl Archives {
    /// The entry, decompressed as it is read; the zip reader checks its CRC at the end.
    /// One byte past the declared size may come: the caller compares what it read with
    /// `entry.size` (reading stops there, which is also what lets the check run).
    pub fn open(&mut self, entry: &Entry) -> io::Result<impl Read + '_> {
        let archive = match self.open.entry(entry.archive.clone()) {
            std::collections::hash_map::Entry::Occupied(open) => open.into_mut(),
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(ZipArchive::new(File::open(&*entry.archive)?).map_err(damaged)?)
            }
        };
        let file = archive.by_index(entry.index).map_err(damaged)?;
        Ok(file.take(entry.size.saturating_add(1)))
    }

    /// The whole entry in memory (at most its declared size; one that decompresses to
    /// less is refused).
    pub fn read(&mut self, entry: &Entry) -> io::Result<Vec<u8>> {
        let mut bytes = Vec::with_capacity(entry.size as usize);
        self.open(entry)?.read_to_end(&mut bytes)?;
        if bytes.len() as u64 != entry.size {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "the archive says {} bytes and holds {}",
                    entry.size,
                    bytes.len()
                ),
            ));
        }
        Ok(bytes)
    }
}

//! Archives given to import (Google Takeout's parts, 2–50 GB each, as .zip or .tgz): their
//! entries are read one by one straight into the encrypting writer, never extracted, so no
//! photo's plaintext lands on disk. An entry's name is only ever shown and matched
//! (sidecars, album folders), never used to write a file. A zip is read entry by entry in
//! any order (its central directory says where each is); a tar.gz only from start to end,
//! so it is read through twice: once to list it (keeping its sidecars and manifests in
//! memory), once, in order, to import it.

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
    pub format: Format,
    /// Its place among the archive's files (a zip's entry index; a tar's count of files).
    pub index: usize,
    /// Its path inside the archive ("Takeout/Google Photos/Trip/IMG_1.jpg"): several parts
    /// of one export share folders by it.
    pub inner: PathBuf,
    /// As the archive declares it; reading never goes past it.
    pub size: u64,
    /// A tar.gz's sidecar or manifest, read while listing it (there is no going back).
    pub kept: Option<Arc<Vec<u8>>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Zip,
    TarGz,
}

impl Entry {
    /// How reports name it: the archive's path, then the path inside.
    pub fn shown_path(&self) -> PathBuf {
        self.archive.join(&self.inner)
    }
}

/// The archive format `path` names (by its name, as Takeout and every OS name them).
pub(crate) fn format_of(path: &Path) -> Option<Format> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    if name.ends_with(".zip") {
        Some(Format::Zip)
    } else if name.ends_with(".tgz") || name.ends_with(".tar.gz") {
        Some(Format::TarGz)
    } else {
        None
    }
}

/// A path inside an archive as it is shown: one that climbs out ("../x") or is absolute
/// is shown by its last part only.
fn enclosed(path: &Path) -> PathBuf {
    use std::path::Component;
    if path
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return path.to_path_buf();
    }
    last_part(path)
}

fn last_part(path: &Path) -> PathBuf {
    path.file_name()
        .map_or_else(|| PathBuf::from("unnamed"), PathBuf::from)
}

/// Reads tar.gz `path` through, calling `each` with every regular file in order (its
/// index, path inside and size, and its bytes to read) until it returns false.
pub(crate) fn each_tgz_file(
    path: &Path,
    mut each: impl FnMut(usize, PathBuf, u64, &mut dyn Read) -> io::Result<bool>,
) -> io::Result<()> {
    let file = io::BufReader::with_capacity(1 << 20, File::open(path)?);
    // Multi-member: a gzip written in parallel (pigz) is several streams end to end.
    let mut archive = tar::Archive::new(flate2::read::MultiGzDecoder::new(file));
    // The archive is untrusted: a bug its bytes find in the reader is a damaged archive.
    crate::guard::untrusted(|| {
        let mut index = 0;
        for entry in archive.entries()? {
            let mut entry = entry?;
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let inner = enclosed(&entry.path()?);
            let size = entry.size();
            if !each(index, inner, size, &mut entry)? {
                break;
            }
            index += 1;
        }
        Ok(())
    })
    .unwrap_or_else(|panic| {
        Err(io::Error::other(format!(
            "the archive reader failed: {panic}"
        )))
    })
}

/// The files a tar.gz holds, in its order, with the bytes of those `keep` wants (small
/// ones: sidecars, manifests), read on the way; cut short by `cancel`.
pub(crate) fn tgz_entries(
    path: &Path,
    cancel: &crate::Cancel,
    keep: impl Fn(&Path, u64) -> bool,
) -> io::Result<Vec<Entry>> {
    let archive = Arc::new(path.to_path_buf());
    let mut found = Vec::new();
    each_tgz_file(path, |index, inner, size, bytes| {
        let kept = if keep(&inner, size) {
            let mut kept = Vec::with_capacity(size as usize);
            bytes.take(size).read_to_end(&mut kept)?;
            Some(Arc::new(kept))
        } else {
            None
        };
        found.push(Entry {
            archive: archive.clone(),
            format: Format::TarGz,
            index,
            inner,
            size,
            kept,
        });
        Ok(!cancel.is_cancelled())
    })?;
    Ok(found)
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
        let inner = entry
            .enclosed_name()
            .unwrap_or_else(|| last_part(&entry.mangled_name().unwrap_or_default()));
        found.push(Entry {
            archive: archive_path.clone(),
            format: Format::Zip,
            index,
            inner,
            size: entry.size(),
            kept: None,
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
        if entry.format != Format::Zip {
            return Err(io::Error::other(
                "a tar.gz is read in order, not entry by entry",
            ));
        }
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

//! Export: originals back out, byte for byte, under their original names. Each file is
//! decrypted to a hidden partial file and linked into place only once fully authenticated,
//! so a damaged object never leaves a partial or garbage file, and nothing is overwritten.
//! Optionally into a folder per album, each with a sidecar of what Keepsake knows
//! (docs/FORMAT.md, section 12), so that leaving Keepsake loses no organisation.

use crate::catalog::Item;
use crate::sidecar::{SidecarFacts, SidecarFormat};
use crate::{Contents, VaultError};
use keepsake_crypto::{ObjectError, ObjectId};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// What a failure to write says when the destination has no room left.
const DESTINATION_FULL: &str = "the destination is full";

#[derive(Debug, Serialize)]
pub struct Exported {
    #[serde(serialize_with = "crate::report_json::id")]
    pub id: ObjectId,
    pub path: PathBuf,
}

#[derive(Debug, Serialize)]
pub struct ExportFailure {
    #[serde(serialize_with = "crate::report_json::id")]
    pub id: ObjectId,
    pub name: Option<String>,
    pub reason: String,
    /// True when the stored object itself is damaged (not, say, the destination full).
    pub damaged: bool,
}

/// How an export lays its files out.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExportOptions {
    /// A folder per album (an item in several is written into each).
    pub albums: bool,
    pub sidecars: Option<SidecarFormat>,
}

#[derive(Debug, Default, Serialize)]
pub struct ExportReport {
    pub exported: Vec<Exported>,
    pub failed: Vec<ExportFailure>,
}

impl Contents {
    /// Exports the given items (all when `ids` is None) into `dest`, creating it.
    /// The originals `export` with these `ids` reads: every item's for None, and for each
    /// id its whole stack (a stack's main item stands for the stack).
    pub fn export_originals(&self, ids: Option<&[ObjectId]>) -> Result<Vec<ObjectId>, VaultError> {
        let Some(ids) = ids else {
            return Ok(self.catalog.items()?.iter().map(|item| item.id).collect());
        };
        let mut originals = Vec::new();
        for id in ids {
            for member in self.catalog.stack_members(id)? {
                if !originals.contains(&member) {
                    originals.push(member);
                }
            }
        }
        Ok(originals)
    }

    pub fn export(
        &self,
        ids: Option<&[ObjectId]>,
        dest: &Path,
        options: ExportOptions,
    ) -> Result<ExportReport, VaultError> {
        // A folder Keepsake makes for plaintext is private (0700); one that exists is the
        // user's choice and stays as it is.
        crate::fsutil::create_private_dir(dest)
            .map_err(|e| VaultError::io(format!("creating {}", dest.display()), e))?;
        let items = self.catalog.items()?;
        let mut report = ExportReport::default();
        let selected: Vec<_> = match ids {
            None => items.iter().collect(),
            Some(ids) => {
                let mut chosen = Vec::new();
                for id in ids {
                    match items.iter().find(|item| item.id == *id) {
                        // A stack's main item stands for the stack: every original goes.
                        Some(item) => {
                            for member in self.catalog.stack_members(&item.id)? {
                                if let Some(found) = items.iter().find(|i| i.id == member)
                                    && !chosen.iter().any(|c: &&Item| c.id == member)
                                {
                                    chosen.push(found);
                                }
                            }
                        }
                        None => report.failed.push(ExportFailure {
                            id: *id,
                            name: None,
                            reason: "no such item in this vault".into(),
                            damaged: false,
                        }),
                    }
                }
                chosen
            }
        };
        let album_names: HashMap<i64, String> = self
            .catalog
            .albums()?
            .into_iter()
            .map(|album| (album.id, album.name))
            .collect();
        let mut taken = HashSet::new();
        let mut full = None;
        for item in selected {
            let albums: Vec<&str> = self
                .catalog
                .albums_of(&item.id)?
                .iter()
                .filter_map(|id| album_names.get(id).map(String::as_str))
                .collect();
            let folders: Vec<PathBuf> = if options.albums && !albums.is_empty() {
                albums
                    .iter()
                    .map(|name| dest.join(safe_name(name)))
                    .collect()
            } else {
                vec![dest.to_path_buf()]
            };
            let facts = SidecarFacts {
                name: &item.name,
                taken_at: item.media.taken_at.as_deref(),
                latitude: item.media.latitude,
                longitude: item.media.longitude,
                altitude: item.media.altitude,
                place: item.media.place.as_ref(),
                favourite: self.catalog.is_favourite(&item.id)?,
                albums: albums.clone(),
                caption: item.caption.as_deref(),
                orientation: item.media.orientation,
                rotation: item.rotation,
            };
            for folder in &folders {
                // Once the destination is full, every later file would fail the same way.
                let result = match &full {
                    Some(reason) => Err((format!("not exported: {reason}"), false)),
                    None => {
                        self.export_one(item, folder, &mut taken).and_then(|path| {
                            match options.sidecars {
                                Some(format) => write_sidecar(&path, &facts, format).map(|()| path),
                                None => Ok(path),
                            }
                        })
                    }
                };
                match result {
                    Ok(path) => report.exported.push(Exported { id: item.id, path }),
                    Err((reason, damaged)) => {
                        if reason.contains(DESTINATION_FULL) && full.is_none() {
                            full = Some(DESTINATION_FULL.to_string());
                        }
                        report.failed.push(ExportFailure {
                            id: item.id,
                            name: Some(item.name.clone()),
                            reason,
                            damaged,
                        })
                    }
                }
            }
        }
        Ok(report)
    }

    fn export_one(
        &self,
        item: &crate::Item,
        dest: &Path,
        taken: &mut HashSet<PathBuf>,
    ) -> Result<PathBuf, (String, bool)> {
        crate::fsutil::create_private_dir(dest)
            .map_err(|e| (format!("could not create {}: {e}", dest.display()), false))?;
        let partial = dest.join(format!(".keepsake-{}.partial", item.id));
        let write_err = |e: io::Error| {
            let why = write_failure(&e);
            (
                format!("could not write to {}: {why}", dest.display()),
                false,
            )
        };
        let out = crate::fsutil::create_new_private(&partial).map_err(write_err)?;
        let mut out = BufWriter::with_capacity(1 << 20, out);
        let decrypted = self.store.decrypt(&item.id, &self.key, &mut out);
        let finished = match decrypted {
            Ok(_) => out
                .flush()
                .map_err(write_err)
                .and_then(|()| out.get_ref().sync_all().map_err(write_err)),
            Err(ObjectError::Write(e)) => Err(write_err(e)),
            Err(ObjectError::Read(e)) => Err((
                format!("the stored object is missing or unreadable: {e}"),
                true,
            )),
            Err(e) => Err((format!("the stored object is damaged: {e}"), true)),
        };
        if let Err(failure) = finished {
            drop(out);
            let _ = fs::remove_file(&partial);
            return Err(failure);
        }
        if let Some(modified) = item
            .file_modified_at
            .as_deref()
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
            .and_then(|t| u64::try_from(t.as_second()).ok())
        {
            let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(modified);
            let _ = out.get_ref().set_modified(when);
        }
        drop(out);
        let result = link_unique(&partial, dest, &item.name, taken);
        let _ = fs::remove_file(&partial);
        result.map_err(write_err)
    }
}

/// Writes `facts` as a sidecar beside the exported `file` (`F` gets `F.xmp` or `F.json`),
/// never over an existing file.
fn write_sidecar(
    file: &Path,
    facts: &SidecarFacts,
    format: SidecarFormat,
) -> Result<(), (String, bool)> {
    let mut name = file.as_os_str().to_owned();
    name.push(".");
    name.push(format.extension());
    let path = PathBuf::from(name);
    let failed = |e: io::Error| {
        let why = write_failure(&e);
        (
            format!("could not write the sidecar {}: {why}", path.display()),
            false,
        )
    };
    let mut out = crate::fsutil::create_new_private(&path).map_err(failed)?;
    let written = out
        .write_all(facts.render(format).as_bytes())
        .and_then(|()| out.sync_all());
    if let Err(e) = written {
        // Ours alone (created new): no half a sidecar left behind.
        drop(out);
        let _ = fs::remove_file(&path);
        return Err(failed(e));
    }
    Ok(())
}

/// Why a write failed, in words; a full destination always in the same words, which stop
/// the export (every later file would fail the same way).
fn write_failure(e: &io::Error) -> String {
    if e.kind() == io::ErrorKind::StorageFull {
        DESTINATION_FULL.to_string()
    } else {
        e.to_string()
    }
}

/// Gives the partial file its final name without ever replacing an existing file:
/// `name.jpg`, then `name (2).jpg`, `name (3).jpg`, ...
fn link_unique(
    partial: &Path,
    dest: &Path,
    name: &str,
    taken: &mut HashSet<PathBuf>,
) -> io::Result<PathBuf> {
    let name = safe_name(name);
    let (stem, ext) = match name.rfind('.') {
        Some(dot) if dot > 0 => (&name[..dot], &name[dot..]),
        _ => (name.as_str(), ""),
    };
    for n in 1u32.. {
        let candidate = dest.join(numbered(stem, n, ext));
        if taken.contains(&candidate) {
            continue;
        }
        match place_new(partial, &candidate) {
            Ok(()) => {
                taken.insert(candidate.clone());
                return Ok(candidate);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other("no free file name"))
}

/// Gives `partial` the name `candidate`, failing with `AlreadyExists` rather than replace
/// a file. A hard link does it in one step. File systems without hard links (FAT and exFAT
/// USB sticks, some network shares) get an exclusive create of the name, which the
/// partial file then replaces: ours alone, since we created it.
fn place_new(partial: &Path, candidate: &Path) -> io::Result<()> {
    match fs::hard_link(partial, candidate) {
        Ok(()) => return Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Err(e),
        Err(_) => {}
    }
    crate::fsutil::create_new_private(candidate)?;
    fs::rename(partial, candidate).inspect_err(|_| {
        let _ = fs::remove_file(candidate);
    })
}

/// The longest file name (in bytes) common file systems take.
const NAME_MAX: usize = 255;

/// `stem.ext`, then `stem (n).ext`, with the stem shortened (at a character boundary) so
/// that the name fits in NAME_MAX bytes.
fn numbered(stem: &str, n: u32, ext: &str) -> String {
    let suffix = if n == 1 {
        String::new()
    } else {
        format!(" ({n})")
    };
    let mut end = stem
        .len()
        .min(NAME_MAX.saturating_sub(suffix.len() + ext.len()));
    while !stem.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{suffix}{ext}", &stem[..end])
}

/// A stored name (a photo's or an album's) as a single, harmless path component that
/// Windows and exFAT (the USB sticks people export to) accept too: no separators, no
/// drive prefix (`D:x` would leave the destination on Windows), none of `*?"<>|`, no
/// trailing dot or space, no reserved device name, at most NAME_MAX bytes.
fn safe_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    let trimmed = cleaned.trim_start().trim_end_matches(['.', ' ']);
    let mut safe = match trimmed {
        "" => "unnamed".to_string(),
        t => t.to_string(),
    };
    let stem = safe
        .split('.')
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    let numbered_device = stem.len() == 4
        && (stem.starts_with("COM") || stem.starts_with("LPT"))
        && stem.as_bytes()[3].is_ascii_digit();
    if matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL") || numbered_device {
        safe.insert(0, '_');
    }
    let mut end = safe.len().min(NAME_MAX);
    while !safe.is_char_boundary(end) {
        end -= 1;
    }
    safe.truncate(end);
    safe
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_never_escape_the_destination() {
        assert_eq!(safe_name("../../etc/passwd"), ".._.._etc_passwd");
        assert_eq!(safe_name(".."), "unnamed");
        assert_eq!(safe_name("a\nb.jpg"), "a_b.jpg");
        assert_eq!(safe_name("IMG (1).jpg"), "IMG (1).jpg");
        assert_eq!(safe_name("D:Backup"), "D_Backup");
        assert_eq!(safe_name("Trip: Paris?"), "Trip_ Paris_");
        assert_eq!(safe_name("Summer..."), "Summer");
        assert_eq!(safe_name("con.jpg"), "_con.jpg");
        assert_eq!(safe_name("COM1"), "_COM1");
        assert_eq!(safe_name("Compose"), "Compose");
        let long = safe_name(&"東".repeat(200));
        assert!(
            long.len() <= NAME_MAX && long.starts_with('東'),
            "{} bytes",
            long.len()
        );
    }

    #[test]
    fn numbered_names_still_fit_a_file_system() {
        let stem = "é".repeat(125) + "x"; // 251 bytes
        let name = format!("{stem}.jpg");
        assert_eq!(numbered(&stem, 1, ".jpg"), name);
        let second = numbered(&stem, 2, ".jpg");
        assert!(second.len() <= NAME_MAX, "{} bytes", second.len());
        assert!(second.ends_with(" (2).jpg"));
        let dir = tempfile::tempdir().unwrap();
        let partial = dir.path().join("p");
        fs::write(&partial, b"new").unwrap();
        fs::write(dir.path().join(&name), b"old").unwrap();
        let placed = link_unique(&partial, dir.path(), &name, &mut HashSet::new()).unwrap();
        assert_eq!(placed.file_name().unwrap().to_str().unwrap(), second);
    }

    #[test]
    fn collisions_get_numbered_and_nothing_is_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let partial = dir.path().join("p");
        fs::write(&partial, b"new").unwrap();
        fs::write(dir.path().join("IMG.jpg"), b"old").unwrap();
        let mut taken = HashSet::new();
        let first = link_unique(&partial, dir.path(), "IMG.jpg", &mut taken).unwrap();
        let second = link_unique(&partial, dir.path(), "IMG.jpg", &mut taken).unwrap();
        assert_eq!(first.file_name().unwrap(), "IMG (2).jpg");
        assert_eq!(second.file_name().unwrap(), "IMG (3).jpg");
        assert_eq!(fs::read(dir.path().join("IMG.jpg")).unwrap(), b"old");
    }
}

//! The library as a photo app shows it: timeline, favourites, albums, the trash (emptied
//! for good after 30 days), originals opened in memory, and watch folders.

use crate::catalog::{
    self, Album, Catalog, Item, LibraryFilter, RemoteConfig, StoredRendition, TimelineEntry,
};
use crate::import::{ImportProgress, ImportReport, format_system_time};
use crate::media::RenditionKind;
use crate::store::ObjectStore;
use crate::{Cancel, Contents, VaultError};
use keepsake_crypto::{Keyring, ObjectError, ObjectId};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

/// A remote as the Sync screen shows it.
#[derive(Debug, Clone)]
pub struct RemoteStatus {
    pub remote: RemoteConfig,
    /// Items it does not hold yet.
    pub pending: u64,
    /// Files the library stopped using that stay on it through the retention (the version
    /// history), and their plaintext bytes where known: what prune will reclaim.
    pub kept_files: u64,
    pub kept_bytes: u64,
}

/// How long the trash keeps an item before it is purged.
pub const TRASH_RETENTION: Duration = Duration::from_secs(30 * 24 * 3600);

/// Originals above this are exported, not opened in memory by a viewer.
pub const VIEW_MAX_BYTES: u64 = 512 << 20;
/// The most one range of an original returns: a video player asks for more as it plays,
/// and an open-ended range must not decrypt a whole film into memory.
pub const RANGE_MAX_BYTES: u64 = 8 << 20;

fn now() -> String {
    format_system_time(SystemTime::now()).unwrap_or_default()
}

/// The library as the UI browses and organises it: a connection of its own to the
/// catalog, so the timeline, thumbnails, favourites and albums keep answering while an
/// import or a sync writes through the `UnlockedVault` (SQLite serialises the short
/// writes). Holds its own copy of the key, zeroized when dropped.
pub struct Library {
    pub(crate) key: Keyring,
    pub(crate) catalog: Catalog,
    pub(crate) store: ObjectStore,
    proxies: ObjectStore,
}

impl std::fmt::Debug for Library {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Library").finish_non_exhaustive()
    }
}

impl Library {
    pub fn timeline(&self, filter: &LibraryFilter) -> Result<Vec<TimelineEntry>, VaultError> {
        self.catalog.timeline(filter)
    }

    pub fn is_favourite(&self, id: &ObjectId) -> Result<bool, VaultError> {
        self.catalog.is_favourite(id)
    }

    pub fn set_favourite(&mut self, ids: &[ObjectId], favourite: bool) -> Result<(), VaultError> {
        self.catalog.set_favourite(ids, favourite)
    }

    /// Moves items to the trash. Their objects stay, locally and on remotes, until purged.
    pub fn trash(&mut self, ids: &[ObjectId]) -> Result<(), VaultError> {
        self.catalog.set_trashed(ids, Some(&now()))
    }

    pub fn restore_from_trash(&mut self, ids: &[ObjectId]) -> Result<(), VaultError> {
        self.catalog.set_trashed(ids, None)
    }

    pub fn item(&self, id: &ObjectId) -> Result<Option<Item>, VaultError> {
        self.catalog.item(id)
    }

    pub fn rendition(
        &self,
        id: &ObjectId,
        kind: RenditionKind,
    ) -> Result<Option<StoredRendition>, VaultError> {
        self.catalog.rendition(id, kind)
    }

    pub fn albums(&self) -> Result<Vec<Album>, VaultError> {
        self.catalog.albums()
    }

    /// The items of the stack `main` heads, itself first (just itself when alone).
    pub fn stack_members(&self, main: &ObjectId) -> Result<Vec<Item>, VaultError> {
        let mut members = Vec::new();
        for id in self.catalog.stack_members(main)? {
            members.extend(self.catalog.item(&id)?);
        }
        Ok(members)
    }

    pub fn albums_of(&self, id: &ObjectId) -> Result<Vec<i64>, VaultError> {
        self.catalog.albums_of(id)
    }

    pub fn create_album(&mut self, name: &str) -> Result<i64, VaultError> {
        self.catalog.create_album(name, &now())
    }

    pub fn rename_album(&mut self, id: i64, name: &str) -> Result<(), VaultError> {
        self.catalog.rename_album(id, name)
    }

    pub fn delete_album(&mut self, id: i64) -> Result<(), VaultError> {
        self.catalog.delete_album(id)
    }

    pub fn add_to_album(&mut self, album: i64, ids: &[ObjectId]) -> Result<(), VaultError> {
        self.catalog.add_to_album(album, ids, &now())
    }

    pub fn remove_from_album(&mut self, album: i64, ids: &[ObjectId]) -> Result<(), VaultError> {
        self.catalog.remove_from_album(album, ids)
    }

    pub fn watch_folders(&self) -> Result<Vec<String>, VaultError> {
        self.catalog.watch_folders()
    }

    pub fn set_watch_folder(&mut self, path: &str, watched: bool) -> Result<(), VaultError> {
        self.catalog.set_watch_folder(path, watched)
    }

    /// The configured remotes, each with what it does not hold yet and what prune will
    /// delete from it once the retention is over.
    pub fn remotes(&self) -> Result<Vec<RemoteStatus>, VaultError> {
        let mut remotes = Vec::new();
        for remote in self.catalog.remotes()? {
            let pending = self.catalog.pending_on(&remote.name)?;
            let (kept_files, kept_bytes) = self.catalog.garbage_waiting(&remote.name)?;
            remotes.push(RemoteStatus {
                remote,
                pending,
                kept_files,
                kept_bytes,
            });
        }
        Ok(remotes)
    }

    /// Whether `id`'s original is on a remote only, this device keeping originals on
    /// demand (then it is fetched before it is shown).
    pub fn original_away(&self, id: &ObjectId) -> Result<bool, VaultError> {
        Ok(self.catalog.originals_on_demand()?.is_some() && !self.store.path_of(id).exists())
    }

    /// The original, decrypted and authenticated in memory (never on disk), for a viewer.
    pub fn original(&self, id: &ObjectId) -> Result<(Item, Vec<u8>), VaultError> {
        open_original(&self.catalog, &self.store, &self.key, id)
    }

    /// Bytes `range` of an original, cut to its size and to `RANGE_MAX_BYTES`, decrypting
    /// only the chunks they touch: seeking in a video of any size costs a few MiB. With
    /// the item, whose `size` is the original's whole length.
    pub fn original_range(
        &self,
        id: &ObjectId,
        range: std::ops::Range<u64>,
    ) -> Result<(Item, Vec<u8>), VaultError> {
        let item = self.catalog.item(id)?.ok_or(VaultError::NoSuchItem(*id))?;
        let bytes = read_range(&self.store, &self.key, id, item.size, range)?;
        Ok((item, bytes))
    }
}

impl Library {
    /// Bytes `range` of a proxy stream, cut as `original_range` cuts.
    pub(crate) fn proxy_range(
        &self,
        stream: &crate::PlayableStream,
        range: std::ops::Range<u64>,
    ) -> Result<Vec<u8>, VaultError> {
        read_range(&self.proxies, &self.key, &stream.id, stream.size, range)
    }
}

/// Bytes `range` of object `id` in `store`, cut to `size` (what the catalog lists) and to
/// `RANGE_MAX_BYTES`, decrypting only the chunks they touch; an object of another length
/// is damage (swapped or rolled back).
fn read_range(
    store: &ObjectStore,
    key: &Keyring,
    id: &ObjectId,
    size: u64,
    range: std::ops::Range<u64>,
) -> Result<Vec<u8>, VaultError> {
    let end = range.end.min(size).min(range.start + RANGE_MAX_BYTES);
    let mut bytes = Vec::new();
    let whole = store
        .decrypt_range(id, key, range.start..end, &mut bytes)
        .map_err(|e| object_error(id, e))?;
    if whole != size {
        return Err(VaultError::ObjectDamaged {
            id: *id,
            reason: format!(
                "it holds {whole} bytes, the catalog lists {size} (swapped or rolled back)"
            ),
        });
    }
    Ok(bytes)
}

impl Contents {
    pub fn library(&self) -> Result<Library, VaultError> {
        Ok(Library {
            key: self.key.clone(),
            catalog: Catalog::open(&self.dir.join(catalog::FILE_NAME), &self.key.catalog_key())?
                .for_browsing()?,
            store: ObjectStore::new(&self.dir),
            proxies: ObjectStore::proxies(&self.dir),
        })
    }

    /// Deletes trashed items for good: everything in the trash when `older_than` is None,
    /// else what has been there longer. Returns how many were purged.
    ///
    /// The catalog row goes first, then the object: a crash in between leaves an orphan
    /// object (harmless; `verify --repair` removes it), never an item without its original.
    /// Remote copies stay: sync never deletes remote data.
    pub fn purge_trash(&mut self, older_than: Option<Duration>) -> Result<usize, VaultError> {
        let cutoff = older_than.map(|age| {
            let then = SystemTime::now()
                .checked_sub(age)
                .unwrap_or(SystemTime::UNIX_EPOCH);
            format_system_time(then).unwrap_or_default()
        });
        let ids = self.catalog.trashed_before(cutoff.as_deref())?;
        let mut proxies = Vec::new();
        for id in &ids {
            proxies.extend(self.catalog.proxy(id)?.map(|proxy| proxy.id));
        }
        self.catalog.delete_items(&ids)?;
        let proxy_store = ObjectStore::proxies(&self.dir);
        let objects = ids.iter().map(|id| (&self.store, id));
        for (store, id) in objects.chain(proxies.iter().map(|id| (&proxy_store, id))) {
            match store.remove(id) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(VaultError::io(format!("removing object {id}"), e)),
            }
        }
        Ok(ids.len())
    }

    /// What is new in the watch folders: files not offered before at their current size
    /// and time.
    pub fn watched_fresh(&self) -> Result<Vec<WatchedFile>, VaultError> {
        let mut fresh = Vec::new();
        for folder in self.catalog.watch_folders()? {
            for entry in walkdir::WalkDir::new(&folder).into_iter().flatten() {
                let Ok(meta) = entry.metadata() else { continue };
                if !meta.is_file() {
                    continue;
                }
                let path = entry.path().to_string_lossy().into_owned();
                let modified = meta.modified().ok().and_then(format_system_time);
                if !self
                    .catalog
                    .watch_seen(&path, meta.len(), modified.as_deref())?
                {
                    fresh.push(WatchedFile {
                        path,
                        size: meta.len(),
                        modified,
                    });
                }
            }
        }
        Ok(fresh)
    }

    /// Imports files from `watched_fresh`, stopping at the next file once `cancel` is
    /// cancelled. Files that could not be read, or were not reached, are offered again
    /// next time; the rest are marked as seen.
    pub fn import_watched(
        &mut self,
        files: &[WatchedFile],
        cancel: &Cancel,
        progress: &mut dyn FnMut(ImportProgress),
    ) -> (ImportReport, Option<VaultError>) {
        if files.is_empty() {
            return (ImportReport::default(), None);
        }
        let paths: Vec<PathBuf> = files.iter().map(|f| PathBuf::from(&f.path)).collect();
        let (report, error) = self.import_cancellable(&paths, cancel, progress);
        let settled_paths: std::collections::HashSet<_> = (report.imported.iter())
            .chain(&report.duplicates)
            .map(|i| &i.path)
            .chain(
                report
                    .skipped
                    .iter()
                    .filter(|s| !s.unreadable)
                    .map(|s| &s.path),
            )
            .collect();
        let settled: Vec<_> = files
            .iter()
            .filter(|f| settled_paths.contains(&PathBuf::from(&f.path)))
            .map(|f| (f.path.clone(), f.size, f.modified.clone()))
            .collect();
        if let Err(e) = self.catalog.mark_watch_seen(&settled) {
            return (report, error.or(Some(e)));
        }
        (report, error)
    }
}

/// A file in a watch folder, as it was when the folder was scanned.
#[derive(Debug, Clone)]
pub struct WatchedFile {
    pub path: String,
    pub size: u64,
    pub modified: Option<String>,
}

fn open_original(
    catalog: &Catalog,
    store: &ObjectStore,
    key: &Keyring,
    id: &ObjectId,
) -> Result<(Item, Vec<u8>), VaultError> {
    let item = catalog.item(id)?.ok_or(VaultError::NoSuchItem(*id))?;
    if item.size > VIEW_MAX_BYTES {
        return Err(VaultError::TooLargeToView(*id, item.size >> 20));
    }
    let mut bytes = Vec::with_capacity(item.size as usize);
    store
        .decrypt(id, key, &mut bytes)
        .map_err(|e| object_error(id, e))?;
    Ok((item, bytes))
}

pub(crate) fn object_error(id: &ObjectId, e: ObjectError) -> VaultError {
    match e {
        ObjectError::Read(e) => VaultError::io(format!("reading object {id}"), e),
        other => VaultError::ObjectDamaged {
            id: *id,
            reason: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::FAST;
    use crate::{MediaKind, Password, Vault};
    use std::path::Path;

    fn samples() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/photos/exif-samples")
    }

    fn vault_with(files: &[&str]) -> (tempfile::TempDir, crate::UnlockedVault, Vec<ObjectId>) {
        let root = tempfile::tempdir().unwrap();
        let password = Password::new("long enough password".into());
        let (mut vault, _) = Vault::create(&root.path().join("v"), &password, Some(FAST)).unwrap();
        let paths: Vec<_> = files.iter().map(|f| samples().join(f)).collect();
        let (report, error) = vault.import(&paths, &mut |_| {});
        assert!(error.is_none());
        let ids = report.imported.iter().map(|i| i.id).collect();
        (root, vault, ids)
    }

    const CANON: &str = "jpg__Canon_40D.jpg";
    const IPHONE: &str = "heic__mobile__iphone_13_pro_max.HEIC";

    fn ids(entries: &[TimelineEntry]) -> Vec<ObjectId> {
        entries.iter().map(|e| e.id).collect()
    }

    /// Cancel stops an import at the next file: what was imported stays, nothing is half
    /// there, and importing the same folder again brings in the rest exactly once.
    #[test]
    fn a_cancelled_import_keeps_what_it_did_and_the_next_finishes_it() {
        let (_root, mut vault, _) = vault_with(&[]);
        let folder = samples();
        let cancel = Cancel::default();
        let (first, error) =
            vault.import_cancellable(std::slice::from_ref(&folder), &cancel, &mut |p| {
                if p.files_done == 3 {
                    cancel.cancel();
                }
            });
        assert!(error.is_none(), "{error:?}");
        assert!(first.cancelled);
        let listed = vault.items().unwrap().len();
        assert_eq!(listed, first.imported.len());
        let total = std::fs::read_dir(&folder).unwrap().count();
        let reached = first.imported.len() + first.duplicates.len() + first.skipped.len();
        assert!(reached >= 3 && reached < total, "{reached} of {total}");

        let (second, error) = vault.import(std::slice::from_ref(&folder), &mut |_| {});
        assert!(error.is_none() && !second.cancelled);
        assert_eq!(second.duplicates.len(), first.imported.len());
        assert_eq!(
            vault.items().unwrap().len(),
            first.imported.len() + second.imported.len()
        );
        assert!(vault.verify(false, &mut |_, _| {}).unwrap().is_clean());
    }

    /// Suggestions follow every change to the catalog, made through this connection or
    /// another.
    #[test]
    fn suggestions_follow_what_the_library_holds() {
        let (_root, mut vault, imported) = vault_with(&[CANON]);
        let mut lib = vault.library().unwrap();
        let labels = |lib: &Library, typed: &str| -> Vec<String> {
            lib.suggest(typed)
                .unwrap()
                .into_iter()
                .map(|s| format!("{} ({})", s.label, s.items))
                .collect()
        };
        assert_eq!(labels(&lib, "canon eos"), ["Canon EOS 40D (1)"]);
        assert!(labels(&lib, "iphone").is_empty());

        let (_, error) = vault.import(&[samples().join(IPHONE)], &mut |_| {});
        assert!(error.is_none());
        assert_eq!(
            labels(&lib, "iphone"),
            [
                "Apple iPhone 13 Pro Max (1)",
                "iPhone 13 Pro Max back triple camera 5.7mm f/1.5 (1)"
            ]
        );

        let album = lib.create_album("Summer").unwrap();
        assert!(
            labels(&lib, "summ").is_empty(),
            "an empty album finds nothing"
        );
        lib.add_to_album(album, &imported).unwrap();
        assert_eq!(labels(&lib, "summ"), ["Summer (1)"]);
        lib.trash(&imported).unwrap();
        assert!(labels(&lib, "canon eos").is_empty());
    }

    #[test]
    fn storage_counts_items_and_bytes_by_year_and_kind_outside_the_trash() {
        let (_root, vault, imported) = vault_with(&[CANON, IPHONE]);
        let mut lib = vault.library().unwrap();
        let sizes: Vec<u64> = vault.items().unwrap().iter().map(|i| i.size).collect();
        let storage = lib.storage().unwrap();
        let years: Vec<(&str, u64)> = storage
            .years
            .iter()
            .map(|y| (y.label.as_str(), y.items))
            .collect();
        assert_eq!(years, [("2022", 1), ("2008", 1)], "newest first");
        assert_eq!(storage.total.items, 2);
        assert_eq!(storage.total.bytes, sizes.iter().sum::<u64>());
        assert_eq!(storage.kinds.len(), 1);
        assert_eq!(storage.kinds[0].label, "photo");
        assert!(storage.remotes.is_empty());

        lib.trash(&imported[..1]).unwrap();
        let storage = lib.storage().unwrap();
        assert_eq!(storage.total.items, 1);
        assert_eq!(storage.years.len(), 1);
    }

    #[test]
    fn the_map_places_photos_with_gps_and_its_area_filters_the_timeline() {
        let (_root, vault, _) = vault_with(&["jpg__gps__DSCN0010.jpg", CANON]);
        let lib = vault.library().unwrap();
        let points = lib.map_points().unwrap();
        assert_eq!(points.len(), 1, "only one of them has GPS");
        let (lat, lon) = (points[0].latitude, points[0].longitude);
        assert!(
            (43.0..44.0).contains(&lat) && (11.0..12.5).contains(&lon),
            "{lat} {lon}"
        );
        let within = |south, west, north, east| {
            let area = crate::MapArea {
                south,
                west,
                north,
                east,
            };
            lib.timeline(&LibraryFilter {
                area: Some(area),
                ..LibraryFilter::default()
            })
            .unwrap()
            .len()
        };
        assert_eq!(within(40.0, 10.0, 45.0, 13.0), 1, "Tuscany");
        assert_eq!(within(-40.0, 10.0, -30.0, 13.0), 0, "south of the equator");
        assert_eq!(within(40.0, 12.5, 45.0, 20.0), 0, "east of it");
        // West greater than east: an area across the antimeridian, which holds every
        // longitude from 12.5 eastwards and from 11 westwards, so not 11.88.
        assert_eq!(within(40.0, 12.5, 45.0, 11.0), 0);
        assert_eq!(within(40.0, 11.5, 45.0, 5.0), 1);
    }

    #[test]
    fn timeline_is_newest_first_and_filters_by_text_kind_and_date() {
        let (_root, vault, imported) = vault_with(&[CANON, IPHONE]);
        let lib = vault.library().unwrap();
        let all = lib.timeline(&LibraryFilter::default()).unwrap();
        assert_eq!(all.len(), 2);
        let dates: Vec<_> = all.iter().map(|e| e.taken_at.clone().unwrap()).collect();
        assert!(dates[0] > dates[1], "newest first: {dates:?}");
        assert!(
            all.iter()
                .all(|e| e.no_thumbnail.is_none() && e.kind == MediaKind::Photo)
        );

        let first = LibraryFilter {
            limit: Some(1),
            ..Default::default()
        };
        assert_eq!(ids(&lib.timeline(&first).unwrap()), vec![all[0].id]);
        let canon = LibraryFilter {
            text: Some("canon".into()),
            ..Default::default()
        };
        assert_eq!(ids(&lib.timeline(&canon).unwrap()), vec![imported[0]]);
        let old = LibraryFilter {
            to: Some(dates[1][..10].to_string()),
            ..Default::default()
        };
        assert_eq!(lib.timeline(&old).unwrap().len(), 1);
        let videos = LibraryFilter {
            kind: Some(MediaKind::Video),
            ..Default::default()
        };
        assert!(lib.timeline(&videos).unwrap().is_empty());
    }

    #[test]
    fn favourites_and_albums_never_touch_the_photos() {
        let (_root, vault, imported) = vault_with(&[CANON, IPHONE]);
        let mut lib = vault.library().unwrap();
        lib.set_favourite(&imported[..1], true).unwrap();
        let favourites = LibraryFilter {
            favourites: true,
            ..Default::default()
        };
        assert_eq!(ids(&lib.timeline(&favourites).unwrap()), vec![imported[0]]);

        let trip = lib.create_album("Trip").unwrap();
        assert!(matches!(
            lib.create_album(" Trip "),
            Err(VaultError::AlbumExists(_))
        ));
        assert!(matches!(
            lib.create_album("  "),
            Err(VaultError::InvalidName(_))
        ));
        lib.add_to_album(trip, &imported).unwrap();
        lib.add_to_album(trip, &imported[..1]).unwrap(); // twice is once
        lib.remove_from_album(trip, &imported[1..]).unwrap();
        lib.rename_album(trip, "Summer trip").unwrap();
        let albums = lib.albums().unwrap();
        assert_eq!(albums.len(), 1);
        assert_eq!(
            (albums[0].name.as_str(), albums[0].items),
            ("Summer trip", 1)
        );
        assert_eq!(albums[0].cover, Some(imported[0]));
        assert_eq!(lib.albums_of(&imported[0]).unwrap(), vec![trip]);
        let in_album = LibraryFilter {
            album: Some(trip),
            ..Default::default()
        };
        assert_eq!(ids(&lib.timeline(&in_album).unwrap()), vec![imported[0]]);

        lib.delete_album(trip).unwrap();
        assert!(lib.albums().unwrap().is_empty());
        assert_eq!(lib.timeline(&LibraryFilter::default()).unwrap().len(), 2);
        assert!(matches!(
            lib.delete_album(trip),
            Err(VaultError::NoSuchAlbum(_))
        ));
    }

    #[test]
    fn trash_hides_restores_and_purges_only_what_is_old_enough() {
        let (root, mut vault, imported) = vault_with(&[CANON, IPHONE]);
        let mut lib = vault.library().unwrap();
        lib.trash(&imported[..1]).unwrap();
        let trash = LibraryFilter {
            trash: true,
            ..Default::default()
        };
        assert_eq!(ids(&lib.timeline(&trash).unwrap()), vec![imported[0]]);
        assert_eq!(
            ids(&lib.timeline(&LibraryFilter::default()).unwrap()),
            vec![imported[1]]
        );

        lib.restore_from_trash(&imported[..1]).unwrap();
        assert_eq!(lib.timeline(&LibraryFilter::default()).unwrap().len(), 2);

        lib.trash(&imported[..1]).unwrap();
        assert_eq!(vault.purge_trash(Some(TRASH_RETENTION)).unwrap(), 0);
        let object = root
            .path()
            .join("v/objects")
            .join(&imported[0].to_string()[..2]);
        assert!(object.join(imported[0].to_string()).exists());
        assert_eq!(vault.purge_trash(None).unwrap(), 1);
        assert!(!object.join(imported[0].to_string()).exists());
        assert!(lib.timeline(&trash).unwrap().is_empty());
        assert!(matches!(
            lib.original(&imported[0]),
            Err(VaultError::NoSuchItem(_))
        ));
        assert!(vault.verify(false, &mut |_, _| {}).unwrap().is_clean());
    }

    #[test]
    fn originals_open_in_memory_byte_exact_and_damage_is_named() {
        let (root, vault, imported) = vault_with(&[CANON]);
        let lib = vault.library().unwrap();
        let (item, bytes) = lib.original(&imported[0]).unwrap();
        assert_eq!(item.name, CANON);
        assert_eq!(bytes, std::fs::read(samples().join(CANON)).unwrap());

        let id = imported[0].to_string();
        let path = root.path().join("v/objects").join(&id[..2]).join(&id);
        let mut stored = std::fs::read(&path).unwrap();
        let middle = stored.len() / 2;
        stored[middle] ^= 1;
        std::fs::write(&path, stored).unwrap();
        let err = lib.original(&imported[0]).unwrap_err();
        assert!(matches!(err, VaultError::ObjectDamaged { .. }), "{err}");
        assert_eq!(err.code(), crate::ErrorCode::Integrity);
    }

    #[test]
    fn watch_folders_import_only_what_is_new() {
        let (root, mut vault, _) = vault_with(&[]);
        let watched = root.path().join("phone");
        std::fs::create_dir(&watched).unwrap();
        std::fs::copy(samples().join(CANON), watched.join("a.jpg")).unwrap();
        std::fs::write(watched.join("notes.txt"), "not a photo").unwrap();
        let mut lib = vault.library().unwrap();
        lib.set_watch_folder(&watched.to_string_lossy(), true)
            .unwrap();

        let fresh = vault.watched_fresh().unwrap();
        let (first, error) = vault.import_watched(&fresh, &Cancel::default(), &mut |_| {});
        assert!(error.is_none());
        assert_eq!((first.imported.len(), first.skipped.len()), (1, 1));
        let fresh = vault.watched_fresh().unwrap();
        let (again, _) = vault.import_watched(&fresh, &Cancel::default(), &mut |_| {});
        assert_eq!(
            again.imported.len() + again.skipped.len() + again.duplicates.len(),
            0
        );

        std::fs::copy(samples().join(IPHONE), watched.join("b.heic")).unwrap();
        let fresh = vault.watched_fresh().unwrap();
        let (second, _) = vault.import_watched(&fresh, &Cancel::default(), &mut |_| {});
        assert_eq!(second.imported.len(), 1);
        assert_eq!(second.imported[0].path, watched.join("b.heic"));

        lib.set_watch_folder(&watched.to_string_lossy(), false)
            .unwrap();
        assert!(lib.watch_folders().unwrap().is_empty());
    }

    #[test]
    fn the_library_answers_while_an_import_writes() {
        let (_root, mut vault, _) = vault_with(&[]);
        let lib = vault.library().unwrap();
        let photo = samples().join(CANON);
        let (report, _) = vault.import(std::slice::from_ref(&photo), &mut |_| {
            lib.timeline(&LibraryFilter::default()).unwrap();
        });
        let id = report.imported[0].id;
        assert_eq!(lib.timeline(&LibraryFilter::default()).unwrap().len(), 1);
        assert!(lib.rendition(&id, RenditionKind::Grid).unwrap().is_some());
    }
}

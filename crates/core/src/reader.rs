//! A read-only second view of an unlocked vault, for a UI: the timeline, thumbnails and
//! originals keep flowing while an import or sync writes through the `UnlockedVault`.
//! It has its own catalog connection (WAL readers never wait for the writer) and its own
//! copy of the key, zeroized when it is dropped.

use crate::catalog::{self, Album, Catalog, Item, LibraryFilter, StoredRendition, TimelineEntry};
use crate::library::open_original;
use crate::media::RenditionKind;
use crate::store::ObjectStore;
use crate::{UnlockedVault, VaultError};
use keepsake_crypto::{ObjectId, VaultKey};

pub struct VaultReader {
    key: VaultKey,
    catalog: Catalog,
    store: ObjectStore,
}

impl UnlockedVault {
    pub fn reader(&self) -> Result<VaultReader, VaultError> {
        let catalog =
            Catalog::open_reader(&self.dir.join(catalog::FILE_NAME), &self.key.catalog_key())?;
        Ok(VaultReader {
            key: self.key.clone(),
            catalog,
            store: ObjectStore::new(&self.dir),
        })
    }
}

impl VaultReader {
    pub fn timeline(&self, filter: &LibraryFilter) -> Result<Vec<TimelineEntry>, VaultError> {
        self.catalog.timeline(filter)
    }

    pub fn item(&self, id: &ObjectId) -> Result<Option<Item>, VaultError> {
        self.catalog.item(id)
    }

    pub fn is_favourite(&self, id: &ObjectId) -> Result<bool, VaultError> {
        self.catalog.is_favourite(id)
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

    pub fn albums_of(&self, id: &ObjectId) -> Result<Vec<i64>, VaultError> {
        self.catalog.albums_of(id)
    }

    /// The original, decrypted and authenticated in memory (never on disk).
    pub fn original(&self, id: &ObjectId) -> Result<(Item, Vec<u8>), VaultError> {
        open_original(&self.catalog, &self.store, &self.key, id)
    }
}

impl std::fmt::Debug for VaultReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaultReader").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::FAST;
    use crate::{LibraryFilter, Password, Vault};
    use std::path::Path;

    #[test]
    fn a_reader_sees_what_the_writer_commits_and_reads_during_writes() {
        let root = tempfile::tempdir().unwrap();
        let password = Password::new("long enough password".into());
        let (mut vault, _) = Vault::create(&root.path().join("v"), &password, Some(FAST)).unwrap();
        let reader = vault.reader().unwrap();
        assert!(
            reader
                .timeline(&LibraryFilter::default())
                .unwrap()
                .is_empty()
        );
        let photo = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/testdata/photos/exif-samples/jpg__Canon_40D.jpg");
        let (report, _) = vault.import(std::slice::from_ref(&photo), &mut |_| {
            // Mid-import, the reader still answers.
            reader.timeline(&LibraryFilter::default()).unwrap();
        });
        let id = report.imported[0].id;
        assert_eq!(reader.timeline(&LibraryFilter::default()).unwrap().len(), 1);
        let (_, bytes) = reader.original(&id).unwrap();
        assert_eq!(bytes, std::fs::read(&photo).unwrap());
        assert!(
            reader
                .rendition(&id, crate::RenditionKind::Grid)
                .unwrap()
                .is_some()
        );
    }
}

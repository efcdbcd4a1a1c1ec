//! Re-running the media pipeline over stored originals (after a pipeline upgrade, or to
//! retry what failed): decrypt into memory, analyse, replace metadata and renditions.

use crate::catalog::{Catalog, Item, Redrawn, StoredRendition};
use crate::media::{self, Original, RenditionKind};
use crate::sniff::{SNIFF_LEN, sniff};
use crate::store::ObjectStore;
use crate::{Contents, VaultError};
use keepsake_crypto::{Keyring, ObjectError, ObjectId};

/// Originals above this size are not held in memory to re-render.
const RERENDER_MAX: u64 = 256 << 20;

#[derive(Debug, Default)]
pub struct RethumbReport {
    pub updated: Vec<ObjectId>,
    pub failed: Vec<(ObjectId, String)>,
    /// Missing proxies made (videos this platform's viewer cannot play).
    pub proxies: crate::ProxyReport,
}

impl Contents {
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

    /// Re-renders the given items (all when `ids` is None).
    pub fn rethumb(
        &mut self,
        ids: Option<&[ObjectId]>,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<RethumbReport, VaultError> {
        let items: Vec<Item> = match ids {
            None => self.catalog.items()?,
            Some(ids) => {
                let mut items = Vec::new();
                for id in ids {
                    match self.catalog.item(id)? {
                        Some(item) => items.push(item),
                        None => return Err(VaultError::NoSuchItem(*id)),
                    }
                }
                items
            }
        };
        let mut report = RethumbReport::default();
        let total = items.len() as u64;
        for (done, item) in items.iter().enumerate() {
            progress(done as u64, total);
            match rerender(&mut self.catalog, &self.store, &self.key, item) {
                Ok(()) => report.updated.push(item.id),
                Err(reason) => report.failed.push((item.id, reason)),
            }
        }
        // Motion Photos imported before their videos were looked for become stacks now.
        let mut fresh = Vec::new();
        for id in &report.updated {
            fresh.extend(self.catalog.item(id)?);
        }
        self.catalog
            .set_stacks(&crate::stacks::motion_photos(&fresh))?;
        report.proxies = self.make_proxies(ids, &crate::Cancel::default())?;
        progress(total, total);
        Ok(report)
    }
}

/// Renders an item again from its original: metadata, renditions, and the user's fixes
/// put back in force over them.
pub(crate) fn rerender(
    catalog: &mut Catalog,
    store: &ObjectStore,
    key: &Keyring,
    item: &Item,
) -> Result<(), String> {
    let redrawn = redraw(catalog, store, key, item, item.rotation)?;
    catalog
        .replace_media(&item.id, &redrawn)
        .map_err(|e| e.to_string())
}

/// What the pipeline makes of an item's original now, turned by `rotation` (the user's):
/// nothing is stored. A thumbnail that cannot be made again is not lost: an error.
pub(crate) fn redraw(
    catalog: &Catalog,
    store: &ObjectStore,
    key: &Keyring,
    item: &Item,
    rotation: u16,
) -> Result<Redrawn, String> {
    if item.size > RERENDER_MAX {
        return Err(format!(
            "too large to re-render in memory ({} MB)",
            item.size >> 20
        ));
    }
    let mut original = Vec::with_capacity(item.size as usize);
    store
        .decrypt(&item.id, key, &mut original)
        .map_err(|e| match e {
            ObjectError::Read(e) => format!("the stored object is unreadable: {e}"),
            other => format!("the stored object is damaged: {other}"),
        })?;
    let media = sniff(&original[..original.len().min(SNIFF_LEN)])
        .ok_or("no longer recognised as a photo or video")?;
    let file = media::FileFacts {
        name: Some(&item.name),
        modified: item.file_modified_at.as_deref(),
        rotation,
    };
    let analysis = media::analyse(Original::Bytes(&original), media, file);
    if let Some(error) = &analysis.render_error
        && catalog
            .rendition(&item.id, RenditionKind::Grid)
            .map_err(|e| e.to_string())?
            .is_some()
    {
        return Err(format!("{error} (kept the previous thumbnail)"));
    }
    Ok(Redrawn {
        note: (!analysis.notes.is_empty()).then(|| analysis.notes.join("; ")),
        info: analysis.info,
        render_error: analysis.render_error,
        renditions: analysis.renditions,
    })
}

#[cfg(test)]
mod tests {
    use crate::media::RenditionKind;
    use crate::test_support::FAST;
    use crate::{Password, Vault};
    use std::path::Path;

    #[test]
    fn rethumb_renders_again_what_an_older_pipeline_left_out() {
        let root = tempfile::tempdir().unwrap();
        let password = Password::new("long enough password".into());
        let (mut vault, _) = Vault::create(&root.path().join("v"), &password, Some(FAST)).unwrap();
        let photo = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/testdata/photos/exif-samples/jpg__Canon_40D.jpg");
        let (report, error) = vault.import(&[photo], &mut |_| {});
        assert!(error.is_none());
        let id = report.imported[0].id;
        // What an older pipeline left: no metadata, no thumbnail, a reason.
        vault
            .catalog
            .replace_media(
                &id,
                &crate::catalog::Redrawn {
                    render_error: Some("not yet".into()),
                    ..Default::default()
                },
            )
            .unwrap();
        assert!(vault.rendition(&id, RenditionKind::Grid).unwrap().is_none());

        let report = vault.rethumb(None, &mut |_, _| {}).unwrap();
        assert_eq!((report.updated.len(), report.failed.len()), (1, 0));
        let item = vault.item(&id).unwrap().unwrap();
        assert_eq!(item.pipeline_version, crate::media::PIPELINE_VERSION);
        assert_eq!(item.render_error, None);
        assert_eq!(item.media.camera_model.as_deref(), Some("Canon EOS 40D"));
        let grid = vault
            .rendition(&id, RenditionKind::Grid)
            .unwrap()
            .expect("a thumbnail");
        let long_side = item.media.width.unwrap().max(item.media.height.unwrap());
        assert_eq!(
            grid.width.max(grid.height),
            long_side.min(crate::media::GRID_SIDE)
        );
        assert!(grid.jpeg.starts_with(b"\xFF\xD8\xFF"));
    }
}

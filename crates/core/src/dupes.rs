//! Near-duplicates: photos that are the same picture at another size or quality, a little
//! brighter or darker, or slightly cropped (a messaging app's copy, an edited export), found
//! by their grid thumbnails' perceptual hashes (`media::dhash`). Grouping compares pairs:
//! fine for tens of thousands of photos; a million would want a BK-tree.

use crate::catalog::Item;
use crate::media::dhash::{self, LEN};
use crate::sniff::MediaKind;
use crate::{Contents, ObjectId, RenditionKind, VaultError};
use serde::Serialize;
use std::collections::HashSet;

/// Photos whose hashes differ in at most this many of 128 bits are the same picture.
/// Tuned on the sample photos (the 14 full-size JPEGs, each with a half-size q70 copy, a
/// +10% brightness copy and a 95% centre crop, beside the 60 EXIF samples): half-size and
/// brighter copies differ by at most 2 bits, crops by up to 19, and two different photos
/// by at least 37. 28 sits in the middle of that gap.
pub const MAX_DISTANCE: u32 = 28;

/// Hashes with fewer set (or unset) bits than this say too little to compare.
const MIN_SET_BITS: u32 = 8;

fn set_bits(hash: &[u8; LEN]) -> u32 {
    hash.iter().map(|b| b.count_ones()).sum()
}

/// Photos that show the same picture: `keep` is the best copy (the most pixels, then the
/// most metadata, then the largest file, then the first imported).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DuplicateGroup {
    #[serde(serialize_with = "crate::report_json::id")]
    pub keep: ObjectId,
    #[serde(serialize_with = "crate::report_json::ids")]
    pub others: Vec<ObjectId>,
    /// The most bits any other differs from `keep` in.
    pub distance: u32,
}

impl Contents {
    /// Groups of near-duplicates among the photos outside the trash, within
    /// `max_distance` bits (`MAX_DISTANCE` by default). Photos imported before hashes were
    /// kept get theirs now, from their stored thumbnails.
    pub fn near_duplicates(
        &mut self,
        max_distance: Option<u32>,
    ) -> Result<Vec<DuplicateGroup>, VaultError> {
        let max = max_distance.unwrap_or(MAX_DISTANCE);
        let trashed: HashSet<ObjectId> = self.catalog.trashed_before(None)?.into_iter().collect();
        let mut photos = Vec::new();
        for item in self.catalog.items()? {
            // A stack's other files go with its main item: "keep the best" must never
            // trash a Live Photo's JPEG (and so its whole stack) for its RAW.
            let stacked_under_another = item
                .stack
                .as_ref()
                .is_some_and(|(main, _)| *main != item.id);
            if item.kind == MediaKind::Video || trashed.contains(&item.id) || stacked_under_another
            {
                continue;
            }
            // A flat picture (a dark frame, a blank screen) hashes to nearly all zeros,
            // like every other flat picture: no evidence of a copy.
            if let Some(hash) = self.hash_of(&item)?
                && (MIN_SET_BITS..=128 - MIN_SET_BITS).contains(&set_bits(&hash))
            {
                photos.push((item, hash));
            }
        }
        // Best copies first; each photo not yet in a group gathers the others within
        // `max` of itself (never a chain: in a burst, each shot near the next is not a
        // copy of the first).
        photos.sort_by(|a, b| rank(&b.0).cmp(&rank(&a.0)).then(a.0.id.cmp(&b.0.id)));
        let mut grouped = vec![false; photos.len()];
        let mut found = Vec::new();
        for keep in 0..photos.len() {
            if grouped[keep] {
                continue;
            }
            let mut others = Vec::new();
            let mut distance = 0;
            for other in keep + 1..photos.len() {
                let apart = dhash::distance(&photos[keep].1, &photos[other].1);
                if !grouped[other] && apart <= max {
                    grouped[other] = true;
                    others.push(photos[other].0.id);
                    distance = distance.max(apart);
                }
            }
            if !others.is_empty() {
                found.push(DuplicateGroup {
                    keep: photos[keep].0.id,
                    others,
                    distance,
                });
            }
        }
        found.sort_by_key(|group| group.keep);
        Ok(found)
    }

    /// `item`'s hash: kept in the catalog, or made now from its grid thumbnail and kept.
    /// None when it has no thumbnail.
    fn hash_of(&mut self, item: &Item) -> Result<Option<[u8; LEN]>, VaultError> {
        if let Some(hash) = item.media.dhash {
            return Ok(Some(hash));
        }
        let Some(grid) = self.catalog.rendition(&item.id, RenditionKind::Grid)? else {
            return Ok(None);
        };
        let Ok(decoded) = crate::media::decode_jpeg(&grid.jpeg) else {
            return Ok(None);
        };
        let hash = dhash::dhash(&decoded);
        self.catalog.set_dhash(&item.id, &hash)?;
        Ok(Some(hash))
    }
}

/// What makes a copy the one to keep, best last: heading a stack (trashing it would take
/// its Live Photo motion or RAW along), pixels, metadata, bytes, then the earliest import
/// (reversed, so that earlier ranks higher).
fn rank(item: &Item) -> (bool, u64, usize, u64, std::cmp::Reverse<String>) {
    let m = &item.media;
    let pixels = u64::from(m.width.unwrap_or(0)) * u64::from(m.height.unwrap_or(0));
    let metadata = [
        m.taken_at.is_some() && m.date_source.as_deref() != Some("file-time"),
        m.camera_model.is_some(),
        m.lens.is_some(),
        m.exposure_time.is_some(),
        m.latitude.is_some(),
    ]
    .into_iter()
    .filter(|known| *known)
    .count();
    (
        item.stack.is_some(),
        pixels,
        metadata,
        item.size,
        std::cmp::Reverse(item.imported_at.clone()),
    )
}

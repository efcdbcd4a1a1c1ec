//! Near-duplicates: photos that are the same picture at another size or quality, a little
//! brighter or darker, or slightly cropped (a messaging app's copy, an edited export), found
//! by their grid thumbnails' perceptual hashes (`media::dhash`). Grouping is pairwise:
//! fine for tens of thousands of photos; a million would want a BK-tree.

use crate::catalog::Item;
use crate::media::dhash::{self, LEN};
use crate::sniff::MediaKind;
use crate::{Contents, ObjectId, RenditionKind, VaultError};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// Photos whose hashes differ in at most this many of 128 bits are the same picture.
/// Tuned on the sample photos (the 14 full-size JPEGs, each with a half-size q70 copy, a
/// +10% brightness copy and a 95% centre crop, beside the 60 EXIF samples): half-size and
/// brighter copies differ by at most 2 bits, crops by up to 19, and two different photos
/// by at least 37. 28 sits in the middle of that gap.
pub const MAX_DISTANCE: u32 = 28;

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
            if item.kind == MediaKind::Video || trashed.contains(&item.id) {
                continue;
            }
            if let Some(hash) = self.hash_of(&item)? {
                photos.push((item, hash));
            }
        }
        // Union-find over every close pair.
        let mut parent: Vec<usize> = (0..photos.len()).collect();
        fn root(parent: &mut [usize], mut i: usize) -> usize {
            while parent[i] != i {
                parent[i] = parent[parent[i]];
                i = parent[i];
            }
            i
        }
        for a in 0..photos.len() {
            for b in a + 1..photos.len() {
                if dhash::distance(&photos[a].1, &photos[b].1) <= max {
                    let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
                    parent[ra.max(rb)] = ra.min(rb);
                }
            }
        }
        let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
        for i in 0..photos.len() {
            groups.entry(root(&mut parent, i)).or_default().push(i);
        }
        let mut found: Vec<DuplicateGroup> = groups
            .into_values()
            .filter(|members| members.len() > 1)
            .map(|mut members| {
                members.sort_by(|&a, &b| rank(&photos[b].0).cmp(&rank(&photos[a].0)));
                let keep = &photos[members[0]];
                let distance = members[1..]
                    .iter()
                    .map(|&i| dhash::distance(&keep.1, &photos[i].1))
                    .max()
                    .unwrap_or(0);
                DuplicateGroup {
                    keep: keep.0.id,
                    others: members[1..].iter().map(|&i| photos[i].0.id).collect(),
                    distance,
                }
            })
            .collect();
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

/// What makes a copy the one to keep, best last: pixels, metadata, bytes, then the
/// earliest import (reversed, so that earlier ranks higher).
fn rank(item: &Item) -> (u64, usize, u64, std::cmp::Reverse<String>) {
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
        pixels,
        metadata,
        item.size,
        std::cmp::Reverse(item.imported_at.clone()),
    )
}

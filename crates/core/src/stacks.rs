//! Stacks: one moment kept as several files shows as one (docs/FORMAT.md, schema 13). A
//! Live Photo (a photo and its short video with the same Apple identifier, schema 15, or
//! else of the same name), a RAW beside the JPEG the
//! camera made, and bursts (three or more photos from one camera, each within a second of
//! the one before, not all the same picture), and a Motion Photo, whose video is inside
//! it (schema 14). Found among the items of one import; each original stays its own.

use crate::catalog::{FoundStack, Item};
use crate::sniff::MediaKind;
use crate::{Contents, ImportReport, VaultError};
use keepsake_crypto::ObjectId;
use std::collections::BTreeMap;
use std::collections::HashSet;
use std::path::Path;

/// A Live Photo's motion lasts about 3 s; a longer video of the same name is a video.
const LIVE_MAX_MS: u64 = 10_000;
/// Burst shots follow each other within this many seconds.
const BURST_GAP_S: i64 = 1;
const BURST_MIN: usize = 3;

/// The stacks among `items`.
pub(crate) fn find(items: &[Item]) -> Vec<FoundStack> {
    let mut stacks = motion_photos(items);
    stacks.extend(live_photos_by_id(items));
    let mut stacked: HashSet<ObjectId> = stacks.iter().flat_map(|s| s.members.clone()).collect();
    let mut by_name: BTreeMap<(String, String), Vec<&Item>> = BTreeMap::new();
    for item in items.iter().filter(|i| !stacked.contains(&i.id)) {
        let path = Path::new(&item.source_path);
        let folder = path.parent().map(|p| p.to_string_lossy().into_owned());
        let stem = path.file_stem().map(|s| s.to_string_lossy().to_lowercase());
        if let (Some(folder), Some(stem)) = (folder, stem) {
            by_name.entry((folder, stem)).or_default().push(item);
        }
    }
    for same_name in by_name.values() {
        let of = |wanted: Shot| -> Vec<&Item> {
            same_name
                .iter()
                .copied()
                .filter(|i| shot(i) == wanted)
                .collect()
        };
        let (photos, raws, videos) = (of(Shot::Photo), of(Shot::Raw), of(Shot::Video));
        match (photos.as_slice(), raws.as_slice(), videos.as_slice()) {
            ([photo], [], [video]) if short(video) => stacks.push(stack(photo, "live", &[video])),
            ([photo], [raw], []) => stacks.push(stack(photo, "raw+jpeg", &[raw])),
            _ => {}
        }
    }
    stacked.extend(stacks.iter().flat_map(|s| s.members.clone()));
    let loose: Vec<&Item> = items
        .iter()
        .filter(|i| shot(i) == Shot::Photo && !stacked.contains(&i.id))
        .collect();
    stacks.extend(bursts(&loose));
    stacks
}

/// Whether a video is short enough to be a Live Photo's motion.
fn short(video: &Item) -> bool {
    video.media.duration_ms.is_none_or(|ms| ms <= LIVE_MAX_MS)
}

/// Live Photos paired by Apple's identifier (schema 15), whatever their names: one photo
/// and one short video carrying it.
fn live_photos_by_id(items: &[Item]) -> Vec<FoundStack> {
    let mut by_id: BTreeMap<&str, (Vec<&Item>, Vec<&Item>)> = BTreeMap::new();
    for item in items.iter().filter(|i| i.media.motion_length.is_none()) {
        if let Some(id) = item.media.content_id.as_deref() {
            let (photos, videos) = by_id.entry(id).or_default();
            match shot(item) {
                Shot::Photo => photos.push(item),
                Shot::Video => videos.push(item),
                Shot::Raw => {}
            }
        }
    }
    by_id
        .values()
        .filter_map(
            |(photos, videos)| match (photos.as_slice(), videos.as_slice()) {
                ([photo], [video]) if short(video) => Some(stack(photo, "live", &[video])),
                _ => None,
            },
        )
        .collect()
}

/// Motion Photos: each a stack of its own (its video is inside it), in no other.
pub(crate) fn motion_photos(items: &[Item]) -> Vec<FoundStack> {
    items
        .iter()
        .filter(|item| item.media.motion_length.is_some())
        .map(|item| stack(item, "motion", &[]))
        .collect()
}

/// RAW files by their extension: most are TIFFs to a content sniff (NEF, ARW, DNG…).
const RAW_EXTENSIONS: &[&str] = &[
    "3fr", "arw", "cr2", "cr3", "crw", "dng", "erf", "iiq", "kdc", "mrw", "nef", "nrw", "orf",
    "pef", "raf", "rw2", "rwl", "sr2", "srf", "srw", "x3f",
];

#[derive(Clone, Copy, PartialEq)]
enum Shot {
    Photo,
    Raw,
    Video,
}

fn shot(item: &Item) -> Shot {
    let raw_name = Path::new(&item.name)
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| RAW_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()));
    match item.kind {
        MediaKind::Video => Shot::Video,
        MediaKind::Raw => Shot::Raw,
        MediaKind::Photo if raw_name => Shot::Raw,
        MediaKind::Photo => Shot::Photo,
    }
}

fn stack(main: &Item, kind: &'static str, others: &[&Item]) -> FoundStack {
    FoundStack {
        main: main.id,
        kind,
        members: std::iter::once(main.id)
            .chain(others.iter().map(|o| o.id))
            .collect(),
    }
}

/// A photo as a burst sees it: where, by which camera at which picture size, and when.
struct BurstShot<'a> {
    /// Folder, make, model, width, height: a burst's shots share all of them (a resized or
    /// cropped copy of a photo, with its EXIF, is not another shot).
    sequence: (String, String, String, Option<u32>, Option<u32>),
    second: i64,
    item: &'a Item,
}

impl<'a> BurstShot<'a> {
    fn of(item: &'a Item) -> Option<Self> {
        let folder = Path::new(&item.source_path).parent()?;
        let m = &item.media;
        let taken = m.taken_at.as_deref()?.get(..19)?;
        let civil: jiff::civil::DateTime = taken.parse().ok()?;
        let second = civil
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .ok()?
            .timestamp()
            .as_second();
        Some(Self {
            sequence: (
                folder.to_string_lossy().into_owned(),
                m.camera_make.clone()?,
                m.camera_model.clone()?,
                m.width,
                m.height,
            ),
            second,
            item,
        })
    }
}

/// Runs of photos from one camera at one size in one folder, each within `BURST_GAP_S` of
/// the last.
fn bursts(photos: &[&Item]) -> Vec<FoundStack> {
    let mut shots: Vec<BurstShot> = photos
        .iter()
        .filter_map(|item| BurstShot::of(item))
        .collect();
    shots.sort_by(|a, b| {
        (&a.sequence, a.second, &a.item.name).cmp(&(&b.sequence, b.second, &b.item.name))
    });
    let mut found = Vec::new();
    let mut run: Vec<&BurstShot> = Vec::new();
    let mut close = |run: &mut Vec<&BurstShot>| {
        // Copies of one picture (the same dhash throughout) are duplicates, not a burst;
        // shots without a thumbnail (no dhash) cannot tell, and count as different.
        let hashes: Vec<_> = run.iter().map(|shot| shot.item.media.dhash).collect();
        let copies = hashes.iter().all(|h| h.is_some() && *h == hashes[0]);
        if run.len() >= BURST_MIN && !copies {
            let items: Vec<&Item> = run.iter().map(|shot| shot.item).collect();
            found.push(stack(items[0], "burst", &items[1..]));
        }
        run.clear();
    };
    for shot in &shots {
        let follows = run.last().is_some_and(|last| {
            last.sequence == shot.sequence && shot.second - last.second <= BURST_GAP_S
        });
        if !follows {
            close(&mut run);
        }
        run.push(shot);
    }
    close(&mut run);
    found
}

impl Contents {
    /// After an import: the stacks among the files it brought in, or found already in
    /// (an import killed before this step makes them when it runs again).
    pub(crate) fn stack_imported(&mut self, report: &ImportReport) -> Result<usize, VaultError> {
        let mut items = Vec::with_capacity(report.imported.len() + report.duplicates.len());
        let mut seen = std::collections::HashSet::new();
        for imported in report.imported.iter().chain(&report.duplicates) {
            if seen.insert(imported.id) {
                items.extend(self.catalog.item(&imported.id)?);
            }
        }
        self.catalog.set_stacks(&find(&items))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MediaInfo;

    fn item(n: u8, path: &str, kind: MediaKind, taken_at: &str) -> Item {
        let mut item = crate::test_support::item(
            n,
            path,
            MediaInfo {
                taken_at: Some(taken_at.into()),
                camera_make: Some("Apple".into()),
                camera_model: Some("iPhone 13".into()),
                duration_ms: (kind == MediaKind::Video).then_some(2_900),
                dhash: Some([n; crate::media::dhash::LEN]),
                ..MediaInfo::default()
            },
        );
        item.kind = kind;
        item
    }

    fn ids(stack: &FoundStack) -> Vec<u8> {
        stack.members.iter().map(|id| id.0[0]).collect()
    }

    #[test]
    fn live_photos_raw_pairs_and_bursts_are_found_and_nothing_else() {
        use MediaKind::{Photo, Raw, Video};
        let items = [
            item(1, "/p/IMG_0001.HEIC", Photo, "2019-07-14T18:00:00"),
            item(2, "/p/IMG_0001.MOV", Video, "2019-07-14T16:00:01Z"),
            item(3, "/p/DSC_0002.JPG", Photo, "2019-07-14T18:05:00"),
            item(4, "/p/DSC_0002.NEF", Raw, "2019-07-14T18:05:00"),
            // The same stem in another folder is another photo.
            item(5, "/q/IMG_0001.MOV", Video, "2019-07-14T16:00:01Z"),
            // A burst of three, then a shot two seconds later (not in it).
            item(6, "/p/IMG_0010.HEIC", Photo, "2019-07-14T18:10:00"),
            item(7, "/p/IMG_0011.HEIC", Photo, "2019-07-14T18:10:00"),
            item(8, "/p/IMG_0012.HEIC", Photo, "2019-07-14T18:10:01"),
            item(9, "/p/IMG_0013.HEIC", Photo, "2019-07-14T18:10:03"),
            // Two quick shots are not a burst.
            item(10, "/p/IMG_0020.HEIC", Photo, "2019-07-14T19:00:00"),
            item(11, "/p/IMG_0021.HEIC", Photo, "2019-07-14T19:00:00"),
        ];
        let mut motion = item(12, "/p/PXL_0030.MP.jpg", Photo, "2019-07-14T18:10:00");
        motion.media.motion_length = Some(1_000);
        // A Live Photo renamed apart, paired by Apple's identifier; an identifier on two
        // photos pairs nothing.
        let mut still = item(
            13,
            "/p/2019-07-14 20.00.00.heic",
            Photo,
            "2019-07-14T20:00:00",
        );
        let mut clip = item(14, "/q/Live clip.mov", Video, "2019-07-14T18:00:00Z");
        still.media.content_id = Some("A1".into());
        clip.media.content_id = Some("A1".into());
        let mut twice = [
            item(15, "/p/a.heic", Photo, "2019-07-14T21:00:00"),
            item(16, "/p/b.heic", Photo, "2019-07-14T21:05:00"),
            item(17, "/p/c.mov", Video, "2019-07-14T21:00:00Z"),
        ];
        for shared in &mut twice {
            shared.media.content_id = Some("B2".into());
        }
        let items: Vec<Item> = items
            .into_iter()
            .chain([motion, still, clip])
            .chain(twice)
            .collect();
        let found = find(&items);
        let summary: Vec<(&str, Vec<u8>)> = found.iter().map(|s| (s.kind, ids(s))).collect();
        assert_eq!(
            summary,
            [
                ("motion", vec![12]),
                ("live", vec![13, 14]),
                ("raw+jpeg", vec![3, 4]),
                ("live", vec![1, 2]),
                ("burst", vec![6, 7, 8])
            ]
        );
        assert!(found.iter().all(|s| s.main == s.members[0]));

        // Copies of one picture at burst speed are duplicates, not a burst.
        let copies: Vec<Item> = items[5..8]
            .iter()
            .map(|shot| {
                let mut copy = shot.clone();
                copy.media.dhash = items[5].media.dhash;
                copy
            })
            .collect();
        assert_eq!(find(&copies), []);
        // Nor is a photo with a resized copy and a crop of it (same camera, same time).
        let resized: Vec<Item> = items[5..8]
            .iter()
            .zip([4000, 2000, 3800])
            .map(|(shot, width)| {
                let mut copy = shot.clone();
                copy.media.width = Some(width);
                copy
            })
            .collect();
        assert_eq!(find(&resized), []);

        // A long video of the same name is not a Live Photo's motion.
        let mut long = item(2, "/p/IMG_0001.MOV", Video, "2019-07-14T16:00:01Z");
        long.media.duration_ms = Some(60_000);
        assert_eq!(find(&[items[0].clone(), long]), []);
    }
}

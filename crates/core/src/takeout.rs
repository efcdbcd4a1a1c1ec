//! Google Takeout: the JSON sidecar beside each photo (when it was taken, where, its
//! description, whether it was a favourite: what the photo's own metadata often lacks,
//! since Google strips or never had it) and each album folder's `metadata.json` (the
//! album's title). Read at import; what a photo's file says itself always wins.

use crate::import::Skipped;
use crate::migration::{ExportFile, Said};
use crate::{Contents, ImportReport, ObjectId, VaultError};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// The source the catalog records for what a sidecar said (docs/FORMAT.md, schema 12).
pub const SOURCE: &str = "takeout";

/// Sidecars are a few hundred bytes; anything past this is not one.
pub(crate) const SIDECAR_MAX: u64 = 1 << 20;

/// What a photo's sidecar says, and the photo's name as uploaded.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Sidecar {
    pub said: Said,
    pub title: Option<String>,
}

#[derive(Deserialize)]
struct Time {
    timestamp: String,
}

#[derive(Deserialize)]
struct Geo {
    latitude: f64,
    longitude: f64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Json {
    title: Option<String>,
    description: Option<String>,
    photo_taken_time: Option<Time>,
    creation_time: Option<Time>,
    geo_data: Option<Geo>,
    #[serde(default)]
    favorited: bool,
    date: Option<Time>,
    access: Option<String>,
}

/// What a Takeout JSON file is.
#[derive(Debug, PartialEq)]
enum Found {
    Sidecar(Sidecar),
    /// An album folder's `metadata.json`, with the album's title.
    Album(String),
}

/// Whether a file by this name and size may be Takeout's (worth reading).
pub(crate) fn may_be_takeout(path: &Path, size: u64) -> bool {
    size <= SIDECAR_MAX
        && path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

/// What the JSON file at `path` (in a folder, or inside an archive) holding `bytes` is.
fn read_json(path: &Path, bytes: &[u8]) -> Option<Found> {
    let json: Json = serde_json::from_slice(bytes).ok()?;
    if json.photo_taken_time.is_some() {
        let taken_at = json
            .photo_taken_time
            .and_then(|t| t.timestamp.trim().parse::<i64>().ok())
            .filter(|&seconds| seconds > 0)
            .and_then(|seconds| jiff::Timestamp::from_second(seconds).ok())
            .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string());
        // Google writes 0,0 for "no position".
        let position = json
            .geo_data
            .map(|g| (g.latitude, g.longitude))
            .filter(|&(lat, lon)| {
                (lat, lon) != (0.0, 0.0)
                    && (-90.0..=90.0).contains(&lat)
                    && (-180.0..=180.0).contains(&lon)
            });
        return Some(Found::Sidecar(Sidecar {
            said: Said {
                taken_at,
                position,
                description: json.description.filter(|d| !d.trim().is_empty()),
                favourite: json.favorited,
                deleted: false,
            },
            title: json.title,
        }));
    }
    let is_album = path.file_name().is_some_and(|n| n == "metadata.json")
        && (json.date.is_some() || json.access.is_some() || json.creation_time.is_some());
    match json.title.map(|t| t.trim().to_string()) {
        Some(title) if is_album && !title.is_empty() => Some(Found::Album(title)),
        _ => None,
    }
}

/// A sidecar found, by its name in its folder.
#[derive(Debug)]
struct SidecarFile {
    name: String,
    shown: PathBuf,
    sidecar: Sidecar,
}

/// The Takeout files among an import's inputs, by folder.
#[derive(Debug, Default)]
pub(crate) struct Takeout {
    sidecars: BTreeMap<PathBuf, Vec<SidecarFile>>,
    /// Album folders and their titles.
    albums: HashMap<PathBuf, String>,
    album_files: Vec<PathBuf>,
}

impl Takeout {
    /// Takes the Takeout JSON files out of an import's files (other JSON files stay: they
    /// will be skipped as not photos). `json` reads a file that may be one.
    pub(crate) fn take_from<T>(
        files: &mut Vec<T>,
        mut json: impl FnMut(&T) -> Option<ExportFile>,
    ) -> Self {
        let mut takeout = Self::default();
        files.retain(|file| {
            let Some(ExportFile {
                place,
                shown,
                bytes,
            }) = json(file)
            else {
                return true;
            };
            let (Some(found), Some(folder), Some(name)) = (
                read_json(&place, &bytes),
                place.parent(),
                place.file_name().and_then(|n| n.to_str()),
            ) else {
                return true;
            };
            match found {
                Found::Sidecar(sidecar) => takeout
                    .sidecars
                    .entry(folder.to_path_buf())
                    .or_default()
                    .push(SidecarFile {
                        name: name.to_string(),
                        shown,
                        sidecar,
                    }),
                Found::Album(title) => {
                    takeout.albums.insert(folder.to_path_buf(), title);
                    takeout.album_files.push(shown);
                }
            }
            false
        });
        takeout
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.sidecars.is_empty() && self.albums.is_empty()
    }

    /// The album a file in this folder belongs to, by its `metadata.json`.
    pub(crate) fn album_of(&self, path: &Path) -> Option<&str> {
        self.albums.get(path.parent()?).map(String::as_str)
    }

    /// The sidecar of the photo or video at `path`: its index in its folder's list.
    fn sidecar_for(&self, path: &Path) -> Option<usize> {
        let sidecars = self.sidecars.get(path.parent()?)?;
        let name = path.file_name()?.to_str()?;
        let find = |name: &str| {
            let names: Vec<&str> = sidecars.iter().map(|f| f.name.as_str()).collect();
            described_by(name, &names)
        };
        find(name).or_else(|| find(&unedited(name)?)).or_else(|| {
            // Last, by the title inside: the photo's name as uploaded, if only one says so.
            let mut titled = sidecars
                .iter()
                .enumerate()
                .filter(|(_, f)| f.sidecar.title.as_deref() == Some(name));
            match (titled.next(), titled.next()) {
                (Some((index, _)), None) => Some(index),
                _ => None,
            }
        })
    }
}

/// The sidecar (among `names`, in one folder) that describes the file called `name`:
/// `NAME.json` or `NAME.supplemental-metadata.json` (the latter cut short when long:
/// `NAME.supplemental-me.json`, `NAME.suppl.json`); `STEM(1).EXT` is described by
/// `STEM.EXT(1).json` or `STEM.EXT.supplemental-metadata(1).json`; a long name is cut
/// (the sidecar's whole name at most 51 characters).
fn described_by(name: &str, names: &[&str]) -> Option<usize> {
    let (wanted, copy) = split_copy_number(name);
    let mut by_prefix = None;
    for (index, sidecar) in names.iter().enumerate() {
        let Some((described, sidecar_copy)) = described_name(sidecar) else {
            continue;
        };
        // "photo(1).jpg" may be a name of its own, described by "photo(1).jpg.json".
        if sidecar_copy.is_none() && described.iter().any(|d| d == name) {
            return Some(index);
        }
        if sidecar_copy != copy {
            continue;
        }
        if described.contains(&wanted) {
            return Some(index);
        }
        // A cut name: the sidecar's name is at its longest, and the file's starts with it.
        let longest = sidecar.chars().count() >= 46;
        if longest
            && described
                .iter()
                .any(|d| d.len() >= 20 && wanted.starts_with(d.as_str()))
        {
            by_prefix = match by_prefix {
                None => Some(Some(index)),
                Some(_) => Some(None), // two candidates: neither
            };
        }
    }
    by_prefix.flatten()
}

/// "IMG_1(2).jpg" -> ("IMG_1.jpg", Some(2)).
fn split_copy_number(name: &str) -> (String, Option<u32>) {
    let (stem, extension) = match name.rfind('.') {
        Some(dot) if dot > 0 => (&name[..dot], &name[dot..]),
        _ => (name, ""),
    };
    match trailing_copy_number(stem) {
        Some((base, n)) => (format!("{base}{extension}"), Some(n)),
        None => (name.to_string(), None),
    }
}

/// "NAME(3)" -> ("NAME", 3).
fn trailing_copy_number(text: &str) -> Option<(&str, u32)> {
    let open = text.strip_suffix(')')?.rfind('(')?;
    let digits = &text[open + 1..text.len() - 1];
    let n = digits.parse().ok().filter(|_| !digits.is_empty())?;
    Some((&text[..open], n))
}

/// The file names a sidecar's name can describe (with and without a cut
/// ".supplemental-metadata"), and the copy number it carries.
fn described_name(sidecar: &str) -> Option<(Vec<String>, Option<u32>)> {
    let stem = sidecar
        .strip_suffix(".json")
        .or_else(|| sidecar.strip_suffix(".JSON"))?;
    let (stem, copy) = match trailing_copy_number(stem) {
        Some((base, n)) => (base, Some(n)),
        None => (stem, None),
    };
    let mut names = vec![stem.to_string()];
    const SUPPLEMENTAL: &str = ".supplemental-metadata";
    for cut in (2..=SUPPLEMENTAL.len()).rev() {
        if let Some(base) = stem.strip_suffix(&SUPPLEMENTAL[..cut]) {
            names.insert(0, base.to_string());
            break;
        }
    }
    Some((names, copy))
}

/// "IMG_1-edited.jpg" -> "IMG_1.jpg": Google's edited copy shares its original's sidecar.
fn unedited(name: &str) -> Option<String> {
    let dot = name.rfind('.').unwrap_or(name.len());
    let stem = name[..dot].strip_suffix("-edited")?;
    Some(format!("{stem}{}", &name[dot..]))
}

impl Contents {
    /// After an import: what the Takeout sidecars say where each photo's own metadata is
    /// silent (its date, its position), its description and favourite, and its album
    /// folder's title as an album. Sidecars that describe none of the files are skipped
    /// with the reason. Applying them again changes nothing, so an import killed before
    /// this is finished by running it again (its photos are then duplicates).
    /// `places`: where each reported file from an archive is inside it.
    pub(crate) fn apply_takeout(
        &mut self,
        takeout: &Takeout,
        places: &HashMap<PathBuf, PathBuf>,
        report: &mut ImportReport,
    ) -> Result<(), VaultError> {
        let mut used: HashMap<&Path, Vec<bool>> = takeout
            .sidecars
            .iter()
            .map(|(folder, list)| (folder.as_path(), vec![false; list.len()]))
            .collect();
        let mut said: Vec<(ObjectId, &Said)> = Vec::new();
        let mut albums: BTreeMap<String, Vec<ObjectId>> = BTreeMap::new();
        for entry in report.imported.iter().chain(&report.duplicates) {
            let path = places.get(&entry.path).unwrap_or(&entry.path);
            if let Some(title) = takeout.album_of(path) {
                albums.entry(title.to_string()).or_default().push(entry.id);
            }
            let (Some(folder), Some(index)) = (path.parent(), takeout.sidecar_for(path)) else {
                continue;
            };
            if let Some(marks) = used.get_mut(folder) {
                marks[index] = true;
            }
            said.push((entry.id, &takeout.sidecars[folder][index].sidecar.said));
        }
        self.apply_said(SOURCE, &said, &albums)?;
        report.sidecars.extend(takeout.album_files.iter().cloned());
        for (folder, list) in &takeout.sidecars {
            for (found, used) in list.iter().zip(&used[folder.as_path()]) {
                let path = found.shown.clone();
                if *used {
                    report.sidecars.push(path);
                } else if !report.cancelled {
                    // (A cancelled import did not reach every photo: its sidecar waits.)
                    report.skipped.push(Skipped {
                        path,
                        reason: "a Google Takeout sidecar whose photo is not beside it".into(),
                        unreadable: false,
                    });
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn described(name: &str, sidecars: &[&str]) -> Option<String> {
        described_by(name, sidecars).map(|i| sidecars[i].to_string())
    }

    #[test]
    fn each_photo_finds_its_sidecar_by_every_name_google_gives_it() {
        let folder = [
            "IMG_1.jpg.json",
            "IMG_2.jpg.supplemental-metadata.json",
            "IMG_3.jpg.json",
            "IMG_3.jpg(1).json",
            "IMG_4.HEIC.supplemental-metadata(2).json",
            "PXL_20190714_180211123.NIGHT.supplemental-m.json",
            "a_very_long_file_name_from_a_camera_roll_abcdefg.json",
        ];
        let cases = [
            ("IMG_1.jpg", Some("IMG_1.jpg.json")),
            ("IMG_2.jpg", Some("IMG_2.jpg.supplemental-metadata.json")),
            ("IMG_3.jpg", Some("IMG_3.jpg.json")),
            ("IMG_3(1).jpg", Some("IMG_3.jpg(1).json")),
            (
                "IMG_4(2).HEIC",
                Some("IMG_4.HEIC.supplemental-metadata(2).json"),
            ),
            ("IMG_4.HEIC", None),
            ("IMG_9.jpg", None),
            (
                "PXL_20190714_180211123.NIGHT.jpg",
                Some("PXL_20190714_180211123.NIGHT.supplemental-m.json"),
            ),
            (
                "a_very_long_file_name_from_a_camera_roll_abcdefghij.jpg",
                Some("a_very_long_file_name_from_a_camera_roll_abcdefg.json"),
            ),
        ];
        for (photo, expected) in cases {
            assert_eq!(described(photo, &folder).as_deref(), expected, "{photo}");
        }
        assert_eq!(unedited("IMG_5-edited.jpg").as_deref(), Some("IMG_5.jpg"));
        assert_eq!(unedited("IMG_5.jpg"), None);
    }

    #[test]
    fn sidecars_and_album_titles_are_read_and_anything_else_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        let sidecar = write(
            "a.jpg.json",
            r#"{"title": "a.jpg", "description": "At the beach",
                "photoTakenTime": {"timestamp": "1563127331", "formatted": "x"},
                "geoData": {"latitude": 38.7223, "longitude": -9.1393, "altitude": 0.0},
                "favorited": true}"#,
        );
        let nowhere = write(
            "b.jpg.json",
            r#"{"title": "b.jpg", "description": "",
                "photoTakenTime": {"timestamp": "0"},
                "geoData": {"latitude": 0.0, "longitude": 0.0}}"#,
        );
        let album = write(
            "metadata.json",
            r#"{"title": "Lisbon 2019", "access": "protected", "date": {"timestamp": "1"}}"#,
        );
        let other = write("package.json", r#"{"name": "x"}"#);
        let read = |path: &Path| read_json(path, &std::fs::read(path).unwrap());
        assert_eq!(
            read(&sidecar),
            Some(Found::Sidecar(Sidecar {
                said: Said {
                    taken_at: Some("2019-07-14T18:02:11Z".into()),
                    position: Some((38.7223, -9.1393)),
                    description: Some("At the beach".into()),
                    favourite: true,
                    deleted: false,
                },
                title: Some("a.jpg".into()),
            }))
        );
        assert_eq!(
            read(&nowhere),
            Some(Found::Sidecar(Sidecar {
                title: Some("b.jpg".into()),
                ..Sidecar::default()
            }))
        );
        assert_eq!(read(&album), Some(Found::Album("Lisbon 2019".into())));
        assert_eq!(read(&other), None);
        let mut paths = vec![sidecar, nowhere, album, other.clone()];
        let takeout = Takeout::take_from(&mut paths, |p| {
            Some(ExportFile {
                place: p.clone(),
                shown: p.clone(),
                bytes: std::fs::read(p).ok()?,
            })
        });
        assert_eq!(paths, [other], "what is not Takeout's stays to be skipped");
        assert_eq!(
            takeout.album_of(&dir.path().join("c.jpg")),
            Some("Lisbon 2019")
        );
    }
}

//! iCloud Photos' data copy (from privacy.apple.com: "iCloud Photos Part 1 of N.zip"):
//! each part's `Photo Details.csv` (when each photo was taken, whether it was a favourite
//! or in Recently Deleted) and the album CSVs under `Albums/` (the photos of each album,
//! by file name). Photos exported this way often have no date of their own.

use crate::migration::{ExportFile, Said};
use crate::{Contents, ImportReport, ObjectId, VaultError};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// The source the catalog records for what the manifests said (docs/FORMAT.md, schema 12).
pub const SOURCE: &str = "icloud";

/// A Photo Details file lists a part's photos (tens of thousands at most).
pub(crate) const CSV_MAX: u64 = 64 << 20;

/// Whether a file may be one of iCloud's manifests (worth reading): `Photo Details*.csv`,
/// or a CSV in a folder named `Albums`.
pub(crate) fn may_be_icloud(path: &Path, size: u64) -> bool {
    let csv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let details = path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with("Photo Details"));
    let album = path
        .parent()
        .and_then(|p| p.file_name())
        .is_some_and(|n| n == "Albums");
    size <= CSV_MAX && csv && (details || album)
}

/// The manifests among an import's files.
#[derive(Debug, Default)]
pub(crate) struct ICloud {
    /// By photo file name; None where two manifests disagree about one name.
    details: HashMap<String, Option<Said>>,
    /// Album name -> file names.
    albums: BTreeMap<String, Vec<String>>,
    files: Vec<PathBuf>,
}

impl ICloud {
    /// Takes iCloud's manifests out of an import's files (other CSV files stay: they will
    /// be skipped as not photos). `read` reads a file that may be one.
    pub(crate) fn take_from<T>(
        files: &mut Vec<T>,
        mut read: impl FnMut(&T) -> Option<ExportFile>,
    ) -> Self {
        let mut icloud = Self::default();
        files.retain(|file| {
            let Some(found) = read(file) else {
                return true;
            };
            let name = found.place.file_name().and_then(|n| n.to_str());
            let taken = if name.is_some_and(|n| n.starts_with("Photo Details")) {
                photo_details(&found.bytes).map(|rows| icloud.add_details(rows))
            } else {
                let album = found.place.file_stem().and_then(|n| n.to_str());
                album.zip(album_photos(&found.bytes)).map(|(album, names)| {
                    icloud
                        .albums
                        .entry(album.to_string())
                        .or_default()
                        .extend(names)
                })
            };
            if taken.is_some() {
                icloud.files.push(found.shown);
            }
            taken.is_none()
        });
        icloud
    }

    fn add_details(&mut self, rows: Vec<(String, Said)>) {
        for (name, said) in rows {
            self.details
                .entry(name)
                .and_modify(|known| {
                    if known.as_ref() != Some(&said) {
                        *known = None;
                    }
                })
                .or_insert(Some(said));
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// The rows of a `Photo Details.csv`: `imgName`, `originalCreationDate`, and `favorite`
/// and `deleted` ("yes"/"no") where present. None if it is not one.
fn photo_details(bytes: &[u8]) -> Option<Vec<(String, Said)>> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let headers = reader.headers().ok()?.clone();
    let column = |name: &str| headers.iter().position(|h| h.trim() == name);
    let (name, date) = (column("imgName")?, column("originalCreationDate")?);
    let (favourite, deleted) = (column("favorite"), column("deleted"));
    let yes = |row: &csv::StringRecord, at: Option<usize>| {
        at.and_then(|i| row.get(i))
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("yes"))
    };
    let mut rows = Vec::new();
    // A row that cannot be read (not UTF-8) costs that photo its details, not the others.
    for row in reader.records().flatten() {
        let Some(file) = row.get(name).map(str::trim).filter(|n| !n.is_empty()) else {
            continue;
        };
        let said = Said {
            taken_at: row.get(date).and_then(icloud_date),
            favourite: yes(&row, favourite),
            deleted: yes(&row, deleted),
            ..Said::default()
        };
        rows.push((file.to_string(), said));
    }
    Some(rows)
}

/// The photos of an album CSV: a column `Images`, a file name a row.
fn album_photos(bytes: &[u8]) -> Option<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let at = reader
        .headers()
        .ok()?
        .iter()
        .position(|h| h.trim() == "Images")?;
    let mut names = Vec::new();
    for row in reader.records().flatten() {
        if let Some(name) = row.get(at).map(str::trim).filter(|n| !n.is_empty()) {
            names.push(name.to_string());
        }
    }
    Some(names)
}

/// "Saturday June 5,2021 2:48 PM GMT" -> "2021-06-05T14:48:00Z".
fn icloud_date(text: &str) -> Option<String> {
    let (_weekday, rest) = text.trim().split_once(' ')?;
    let rest = rest
        .strip_suffix(" GMT")
        .or_else(|| rest.strip_suffix(" UTC"))?;
    let civil = jiff::civil::DateTime::strptime("%B %d,%Y %I:%M %p", rest).ok()?;
    Some(civil.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
}

impl Contents {
    /// After an import: what iCloud's manifests say of the photos it brought in, matched
    /// by file name (a name two manifests disagree about is left alone), and its albums.
    pub(crate) fn apply_icloud(
        &mut self,
        icloud: &ICloud,
        report: &mut ImportReport,
    ) -> Result<(), VaultError> {
        let mut by_name: HashMap<&str, Option<ObjectId>> = HashMap::new();
        for entry in report.imported.iter().chain(&report.duplicates) {
            let Some(name) = entry.path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            by_name
                .entry(name)
                .and_modify(|known| {
                    if *known != Some(entry.id) {
                        *known = None;
                    }
                })
                .or_insert(Some(entry.id));
        }
        let said: Vec<(ObjectId, &Said)> = by_name
            .iter()
            .filter_map(|(name, id)| Some(((*id)?, icloud.details.get(*name)?.as_ref()?)))
            .collect();
        let albums: BTreeMap<String, Vec<ObjectId>> = icloud
            .albums
            .iter()
            .map(|(album, names)| {
                let ids = names
                    .iter()
                    .filter_map(|n| by_name.get(n.as_str()).copied().flatten())
                    .collect();
                (album.clone(), ids)
            })
            .collect();
        self.apply_said(SOURCE, &said, &albums)?;
        report.sidecars.extend(icloud.files.iter().cloned());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icloud_dates_are_utc() {
        assert_eq!(
            icloud_date("Saturday June 5,2021 2:48 PM GMT").as_deref(),
            Some("2021-06-05T14:48:00Z")
        );
        assert_eq!(
            icloud_date("Monday October 9,2017 12:07 AM GMT").as_deref(),
            Some("2017-10-09T00:07:00Z")
        );
        assert_eq!(icloud_date("yesterday"), None);
        assert_eq!(icloud_date(""), None);
    }

    #[test]
    fn manifests_are_read_and_other_csv_files_left() {
        let details = b"imgName,fileChecksum,favorite,hidden,deleted,originalCreationDate,viewCount,importDate\n\
                       IMG_1.HEIC,x,yes,no,no,\"Saturday June 5,2021 2:48 PM GMT\",1,\"x\"\n\
                       IMG_\xff.JPG,z,no,no,no,\"Sunday June 6,2021 9:00 AM GMT\",1,\"x\"\n\
                       IMG_2.JPG,y,no,no,yes,\"Sunday June 6,2021 9:00 AM GMT\",1,\"x\"\n";
        let rows = photo_details(details).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[0].1,
            Said {
                taken_at: Some("2021-06-05T14:48:00Z".into()),
                favourite: true,
                ..Said::default()
            }
        );
        assert!(rows[1].1.deleted);
        assert_eq!(
            album_photos(b"Images\nIMG_1.HEIC\nIMG_\xff.JPG\nIMG_2.JPG\n").unwrap(),
            ["IMG_1.HEIC", "IMG_2.JPG"]
        );
        assert_eq!(photo_details(b"name,size\na,1\n"), None);
        assert_eq!(album_photos(b"name\na\n"), None);
        assert!(may_be_icloud(Path::new("x/Photo Details-1.csv"), 10));
        assert!(may_be_icloud(Path::new("x/Albums/Summer.csv"), 10));
        assert!(!may_be_icloud(Path::new("x/budget.csv"), 10));
    }
}

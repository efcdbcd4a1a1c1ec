//! Albums from folders: after an import, each photo found inside a folder goes into an
//! album named after that folder, the way people (and Google Takeout's album folders)
//! organise photos on disk. Files given one by one make no album, nor do Takeout's
//! "Photos from 2019" folders, which hold a year, not an album.

use crate::catalog::ALBUM_NAME_MAX;
use crate::{ImportReport, Library, ObjectId, VaultError};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

impl Library {
    /// Files the import took or found already here (`report`), from the paths it was
    /// given (`given`), into albums named after their folders, made when missing.
    /// Returns each album's name and how many items it was given.
    pub fn albums_from_folders(
        &mut self,
        report: &ImportReport,
        given: &[PathBuf],
    ) -> Result<Vec<(String, usize)>, VaultError> {
        // Takeout's album folders are albums already, by the title in their metadata.json.
        let titled: HashSet<&Path> = report
            .sidecars
            .iter()
            .filter(|p| p.file_name().is_some_and(|n| n == "metadata.json"))
            .filter_map(|p| p.parent())
            .collect();
        let mut wanted: BTreeMap<String, Vec<ObjectId>> = BTreeMap::new();
        for entry in report.imported.iter().chain(&report.duplicates) {
            if entry.path.parent().is_some_and(|f| titled.contains(f)) {
                continue;
            }
            if let Some(album) = folder_album(&entry.path, given) {
                wanted.entry(album).or_default().push(entry.id);
            }
        }
        let mut filled = Vec::with_capacity(wanted.len());
        for (name, ids) in wanted {
            let existing = self.albums()?.into_iter().find(|a| a.name == name);
            let album = match existing {
                Some(album) => album.id,
                None => self.create_album(&name)?,
            };
            self.add_to_album(album, &ids)?;
            filled.push((name, ids.len()));
        }
        Ok(filled)
    }
}

/// The album for a file at `path`: its folder's name (cut to the longest album name),
/// unless the file was given by itself or its folder is one of Takeout's years. Folders
/// of the same name in different places (`2019/01`, `2020/01`) make one album.
fn folder_album(path: &Path, given: &[PathBuf]) -> Option<String> {
    if given.iter().any(|g| g == path) {
        return None;
    }
    let name = path.parent()?.file_name()?.to_str()?.trim();
    let year_folder = name
        .strip_prefix("Photos from ")
        .is_some_and(|year| year.len() == 4 && year.bytes().all(|b| b.is_ascii_digit()));
    let name: String = name.chars().take(ALBUM_NAME_MAX).collect();
    let name = name.trim_end();
    (!name.is_empty() && !year_folder).then(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_found_in_a_folder_goes_into_an_album_named_after_it() {
        let given = [
            PathBuf::from("/home/ana/Takeout"),
            PathBuf::from("/tmp/one.jpg"),
        ];
        let album = |p: &str| folder_album(Path::new(p), &given);
        assert_eq!(
            album("/home/ana/Takeout/Google Photos/Lisbon 2019/IMG_1.jpg").as_deref(),
            Some("Lisbon 2019")
        );
        assert_eq!(
            album("/home/ana/Takeout/Google Photos/Photos from 2019/IMG_1.jpg"),
            None
        );
        assert_eq!(
            album("/home/ana/Takeout/Google Photos/Photos from the beach/a.jpg").as_deref(),
            Some("Photos from the beach")
        );
        assert_eq!(album("/tmp/one.jpg"), None, "a file given by itself");
        let long = format!("/x/{}/a.jpg", "n".repeat(255));
        assert_eq!(album(&long).map(|a| a.len()), Some(ALBUM_NAME_MAX));
    }
}

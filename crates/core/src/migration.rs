//! What another photo app's export says of its photos (Google Takeout's sidecars, iCloud's
//! Photo Details), applied once they are imported: a date and a position where the photo's
//! own metadata is silent, a description, a favourite, albums, and what was deleted there.

use crate::catalog::Fix;
use crate::{Contents, ObjectId, VaultError};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;

/// A metadata file among an import's files: where it is (its folder, or inside an archive
/// its path there: the parts of one export share these), how reports name it, its bytes.
pub(crate) struct ExportFile {
    pub place: PathBuf,
    pub shown: PathBuf,
    pub bytes: Vec<u8>,
}

/// A file's bytes, if there are at most `max`.
pub(crate) fn read_at_most(file: impl Read, max: u64) -> Option<Vec<u8>> {
    let mut bytes = Vec::new();
    file.take(max + 1).read_to_end(&mut bytes).ok()?;
    (bytes.len() as u64 <= max).then_some(bytes)
}

/// What an export says of one photo.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Said {
    /// "YYYY-MM-DDTHH:MM:SSZ" (UTC).
    pub taken_at: Option<String>,
    pub position: Option<(f64, f64)>,
    pub description: Option<String>,
    pub favourite: bool,
    /// Deleted there (in its "Recently Deleted"): it goes to the trash here.
    pub deleted: bool,
}

impl Contents {
    /// Applies what the export `source` said of each item, and its albums (made when
    /// missing). Applying it again changes nothing, so an import killed before this is
    /// finished by running it again.
    pub(crate) fn apply_said(
        &mut self,
        source: &str,
        said: &[(ObjectId, &Said)],
        albums: &BTreeMap<String, Vec<ObjectId>>,
    ) -> Result<(), VaultError> {
        let mut fixes: Vec<(ObjectId, Fix)> = Vec::new();
        let (mut favourites, mut deleted) = (Vec::new(), Vec::new());
        for (id, said) in said {
            let (own_date, own_position) = self.catalog.file_says(id)?;
            if let Some(taken_at) = &said.taken_at
                && !own_date
            {
                fixes.push((*id, Fix::TakenAt(taken_at.clone())));
            }
            if let Some(position) = said.position
                && !own_position
            {
                fixes.push((*id, Fix::Position(Some(position))));
            }
            if let Some(description) = &said.description {
                fixes.push((*id, Fix::Caption(description.clone())));
            }
            if said.favourite {
                favourites.push(*id);
            }
            if said.deleted {
                deleted.push(*id);
            }
        }
        let now =
            crate::import::format_system_time(std::time::SystemTime::now()).unwrap_or_default();
        self.catalog.set_overrides(&fixes, source, &now)?;
        self.catalog.set_favourite(&favourites, true)?;
        self.catalog.set_trashed(&deleted, Some(&now))?;
        for (name, ids) in albums {
            let existing = self.catalog.albums()?.into_iter().find(|a| &a.name == name);
            let album = match existing {
                Some(album) => album.id,
                None => self.catalog.create_album(name, &now)?,
            };
            self.catalog.add_to_album(album, ids, &now)?;
        }
        Ok(())
    }
}

//! Organising from the command line, as the app does: favourites, albums by name, the
//! trash. Scripts and tests drive the library through these.

use crate::Failure;
use crate::commands::{Context, EXIT_OK, Outcome, parse_ids, print_items};
use crate::output::count;
use clap::{Args, Subcommand};
use keepsake_core::{Library, LibraryFilter, ObjectId, VaultError};
use serde_json::json;
use std::collections::{HashMap, HashSet};

#[derive(Args)]
pub struct FavArgs {
    /// Ids of the items (from `keepsake ls`)
    #[arg(value_name = "ID", required = true)]
    ids: Vec<String>,
    /// Take them out of Favourites instead
    #[arg(long)]
    off: bool,
}

pub fn fav(ctx: &Context, args: FavArgs) -> Outcome {
    let ids = parse_ids(&args.ids)?;
    let vault = ctx.unlock()?;
    vault.library()?.set_favourite(&ids, !args.off)?;
    let n = count(ids.len(), "item");
    if args.off {
        out!("{n} taken out of Favourites");
    } else {
        out!("{n} in Favourites");
    }
    Ok(EXIT_OK)
}

#[derive(Args)]
pub struct IdsArgs {
    /// Ids of the items (from `keepsake ls`)
    #[arg(value_name = "ID", required = true)]
    ids: Vec<String>,
}

/// To the trash: hidden from `ls`, kept for 30 days, then deleted for good.
pub fn rm(ctx: &Context, args: IdsArgs) -> Outcome {
    let ids = parse_ids(&args.ids)?;
    let vault = ctx.unlock()?;
    vault.library()?.trash(&ids)?;
    out!(
        "{} moved to the trash (deleted for good after 30 days, or by `keepsake trash empty`)",
        count(ids.len(), "item")
    );
    Ok(EXIT_OK)
}

#[derive(Subcommand)]
pub enum TrashCommand {
    /// List what the trash holds
    Ls(crate::commands::JsonArgs),
    /// Bring items back from the trash
    Restore(IdsArgs),
    /// Delete everything in the trash for good (remote copies are kept)
    Empty,
}

pub fn trash(ctx: &Context, command: TrashCommand) -> Outcome {
    let mut vault = ctx.unlock()?;
    match command {
        TrashCommand::Ls(args) => {
            let marks = Marks::of(&vault.library()?)?;
            let items: Vec<_> = vault
                .items()?
                .into_iter()
                .filter(|item| marks.trashed.contains_key(&item.id))
                .collect();
            print_items(&items, &marks, args.json)
        }
        TrashCommand::Restore(args) => {
            let ids = parse_ids(&args.ids)?;
            vault.library()?.restore_from_trash(&ids)?;
            out!("{} back from the trash", count(ids.len(), "item"));
            Ok(EXIT_OK)
        }
        TrashCommand::Empty => {
            let purged = vault.purge_trash(None)?;
            out!("{} deleted for good", count(purged, "item"));
            Ok(EXIT_OK)
        }
    }
}

#[derive(Subcommand)]
pub enum AlbumCommand {
    /// Make a new, empty album
    Create {
        /// The album's name
        name: String,
    },
    /// Give an album another name
    Rename {
        /// Its name now
        name: String,
        /// The new name
        new_name: String,
    },
    /// Delete an album (its photos stay in the library)
    Delete {
        /// The album's name
        name: String,
    },
    /// Put items in an album
    Add {
        /// The album's name
        name: String,
        /// Ids of the items (from `keepsake ls`)
        #[arg(value_name = "ID", required = true)]
        ids: Vec<String>,
    },
    /// Take items out of an album (they stay in the library)
    Rm {
        /// The album's name
        name: String,
        /// Ids of the items
        #[arg(value_name = "ID", required = true)]
        ids: Vec<String>,
    },
    /// List the albums and what each holds
    Ls(crate::commands::JsonArgs),
}

pub fn album(ctx: &Context, command: AlbumCommand) -> Outcome {
    let vault = ctx.unlock()?;
    let mut library = vault.library()?;
    match command {
        AlbumCommand::Create { name } => {
            library.create_album(&name)?;
            out!("Album {name:?} made");
        }
        AlbumCommand::Rename { name, new_name } => {
            library.rename_album(album_named(&library, &name)?, &new_name)?;
            out!("Album {name:?} is now {new_name:?}");
        }
        AlbumCommand::Delete { name } => {
            library.delete_album(album_named(&library, &name)?)?;
            out!("Album {name:?} deleted (its photos stay in the library)");
        }
        AlbumCommand::Add { name, ids } => {
            let ids = parse_ids(&ids)?;
            library.add_to_album(album_named(&library, &name)?, &ids)?;
            out!("{} in album {name:?}", count(ids.len(), "item"));
        }
        AlbumCommand::Rm { name, ids } => {
            let ids = parse_ids(&ids)?;
            library.remove_from_album(album_named(&library, &name)?, &ids)?;
            out!("{} taken out of album {name:?}", count(ids.len(), "item"));
        }
        AlbumCommand::Ls(args) => {
            let mut listed = Vec::new();
            for album in library.albums()? {
                let filter = LibraryFilter {
                    album: Some(album.id),
                    ..LibraryFilter::default()
                };
                let mut ids: Vec<String> = library
                    .timeline(&filter)?
                    .iter()
                    .map(|entry| entry.id.to_string())
                    .collect();
                ids.sort();
                listed.push((album.name, ids));
            }
            if args.json {
                let albums: Vec<_> = listed
                    .iter()
                    .map(|(name, ids)| json!({ "name": name, "items": ids }))
                    .collect();
                crate::output::json(&albums)?;
            } else {
                for (name, ids) in &listed {
                    out!(
                        "{:<30}  {}",
                        crate::output::printable(name),
                        count(ids.len(), "item")
                    );
                }
            }
        }
    }
    Ok(EXIT_OK)
}

fn album_named(library: &Library, name: &str) -> Result<i64, Failure> {
    let albums = library.albums()?;
    match albums.iter().find(|album| album.name == name) {
        Some(album) => Ok(album.id),
        None => Err(Failure::Missing(format!(
            "no album named {name:?} (`keepsake album ls` lists them)"
        ))),
    }
}

/// What `ls` and `trash ls` tell of each item beyond its file: favourite, the albums it is
/// in (by name), and when it went to the trash.
pub struct Marks {
    pub favourites: HashSet<ObjectId>,
    pub albums: HashMap<ObjectId, Vec<String>>,
    pub trashed: HashMap<ObjectId, Option<String>>,
}

impl Marks {
    pub fn of(library: &Library) -> Result<Self, VaultError> {
        let shown = library.timeline(&LibraryFilter::default())?;
        let in_trash = library.timeline(&LibraryFilter {
            trash: true,
            ..LibraryFilter::default()
        })?;
        let favourites = shown
            .iter()
            .chain(&in_trash)
            .filter(|entry| entry.favourite)
            .map(|entry| entry.id)
            .collect();
        let all_albums = library.albums()?;
        let mut albums: HashMap<ObjectId, Vec<String>> = HashMap::new();
        for album in &all_albums {
            let filter = LibraryFilter {
                album: Some(album.id),
                ..LibraryFilter::default()
            };
            for entry in library.timeline(&filter)? {
                albums.entry(entry.id).or_default().push(album.name.clone());
            }
        }
        // The album views leave the trash out: ask for those items one by one.
        for entry in &in_trash {
            for id in library.albums_of(&entry.id)? {
                if let Some(album) = all_albums.iter().find(|album| album.id == id) {
                    albums.entry(entry.id).or_default().push(album.name.clone());
                }
            }
        }
        for names in albums.values_mut() {
            names.sort();
        }
        let trashed = in_trash
            .into_iter()
            .map(|entry| (entry.id, entry.trashed_at))
            .collect();
        Ok(Self {
            favourites,
            albums,
            trashed,
        })
    }
}

#[derive(Args)]
pub struct SearchArgs {
    /// Words (found in names, places, cameras, lenses, albums and months; accents and
    /// case do not matter; "quoted phrases") and filters: year:2019, month:2019-07,
    /// type:photo|raw|video, fav:yes|no
    #[arg(value_name = "QUERY", required = true)]
    query: Vec<String>,
    /// Print JSON instead of text
    #[arg(long)]
    json: bool,
}

/// What matches a search, newest first, as `ls` prints items.
pub fn search(ctx: &Context, args: SearchArgs) -> Outcome {
    let vault = ctx.unlock()?;
    let library = vault.library()?;
    let found = library.timeline(&LibraryFilter {
        text: Some(args.query.join(" ")),
        ..LibraryFilter::default()
    })?;
    let mut items = Vec::with_capacity(found.len());
    for entry in &found {
        items.extend(library.item(&entry.id)?);
    }
    print_items(&items, &Marks::of(&library)?, args.json)
}

#[derive(Args)]
pub struct DupesArgs {
    /// How many of the 128 bits of two photos' perceptual hashes may differ (default:
    /// the tuned value; lower finds only closer copies)
    #[arg(long, value_name = "BITS")]
    max_distance: Option<u32>,
    /// Print JSON instead of text
    #[arg(long)]
    json: bool,
}

/// Near-duplicates: the same picture at another size, quality or brightness, or slightly
/// cropped; each group with the copy to keep first.
pub fn dupes(ctx: &Context, args: DupesArgs) -> Outcome {
    let mut vault = ctx.unlock()?;
    let groups = vault.near_duplicates(args.max_distance)?;
    if args.json {
        crate::output::json(&groups)?;
        return Ok(EXIT_OK);
    }
    let names: HashMap<ObjectId, String> = vault
        .items()?
        .into_iter()
        .map(|item| (item.id, item.name))
        .collect();
    let name = |id: &ObjectId| crate::output::printable(names.get(id).map_or("?", String::as_str));
    for group in &groups {
        out!("keep {}  {}", group.keep, name(&group.keep));
        for other in &group.others {
            out!("     {other}  {}", name(other));
        }
    }
    out!("{} of near-duplicates", count(groups.len(), "group"));
    Ok(EXIT_OK)
}

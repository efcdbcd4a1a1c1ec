//! One function per command: gather input, call the core, print. Nothing here decides
//! anything about the vault.

use crate::organise_commands::Marks;
use crate::output::{count, printable};
use crate::progress::{bytes_bar, count_bar};
use crate::{Failure, secrets};
use clap::Args;
use keepsake_api::OsUnlockError;
use keepsake_api::Repair;
use keepsake_core::{
    Item, KdfParams, ObjectId, Playable, RenditionKind, SeenKdf, UnlockedVault, Vault, VaultError,
};
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

pub struct Context {
    pub vault: PathBuf,
    pub password_stdin: bool,
    pub allow_costly_kdf: bool,
}

pub type Outcome = Result<u8, Failure>;

pub const EXIT_OK: u8 = 0;
pub const EXIT_FAILED: u8 = 1;
pub const EXIT_DAMAGED: u8 = 4;

/// Why OS unlock did not open the vault, in a few words: the keyring's own error (a D-Bus
/// name, say) helps nobody who only forgot to give a password.
fn os_unlock_reason(why: &OsUnlockError) -> String {
    match why {
        OsUnlockError::Unavailable(_) => "no system keyring is available here".into(),
        other => other.to_string(),
    }
}

impl Context {
    pub fn unlock(&self) -> Result<UnlockedVault, Failure> {
        let vault = self.unlock_any()?;
        self.remember_kdf(&vault);
        Ok(vault)
    }

    fn unlock_any(&self) -> Result<UnlockedVault, Failure> {
        // Open first: "no vault here" beats a password prompt for a vault that isn't there.
        let vault = Vault::open(&self.vault)?;
        if self.password_stdin || std::env::var_os("KEEPSAKE_PASSWORD").is_some() {
            let password = secrets::password(self.password_stdin)?;
            return Ok(self.for_password(vault).unlock(&password)?);
        }
        // No password given: this device may have been remembered for OS unlock.
        let os = match keepsake_api::unlock_with_os(vault) {
            Ok(vault) => return Ok(vault),
            Err(OsUnlockError::Vault(e)) => return Err(e.into()),
            Err(why) => why,
        };
        let vault = Vault::open(&self.vault)?;
        match secrets::password(false) {
            Ok(password) => Ok(self.for_password(vault).unlock(&password)?),
            // This device's credential was refused: a failed unlock, not a missing one.
            Err(Failure::NoCredentials(_)) if matches!(os, OsUnlockError::Revoked) => {
                Err(VaultError::DeviceRevoked.into())
            }
            Err(Failure::NoCredentials(message)) => Err(Failure::NoCredentials(format!(
                "{message}; OS unlock: {}",
                os_unlock_reason(&os)
            ))),
            Err(other) => Err(other),
        }
    }

    /// A vault about to derive a password key: warns first if the header asks for other
    /// KDF parameters than this device last used, and passes on `--allow-costly-kdf`.
    pub fn for_password(&self, vault: Vault) -> Vault {
        if let Some(change) = SeenKdf::default_location().and_then(|seen| seen.changed(&vault)) {
            eprintln!("warning: {change}");
        }
        if self.allow_costly_kdf {
            vault.allow_costly_kdf()
        } else {
            vault
        }
    }

    /// Notes the KDF parameters of a vault whose header just authenticated. A record
    /// that cannot be written costs only a later warning.
    pub fn remember_kdf(&self, vault: &UnlockedVault) {
        if let Some(Err(e)) = SeenKdf::default_location().map(|seen| seen.record(vault)) {
            eprintln!("warning: {e}");
        }
    }

    /// Unlocks with the password only, for what changes who can open the vault or where
    /// its copies go (`passwd`, `device enable`, `remote add`): someone at an unlocked
    /// session with OS unlock on must not be able to take the vault over.
    pub fn unlock_with_password(&self, to: &str) -> Result<UnlockedVault, Failure> {
        Ok(self.unlock_keeping_password(to)?.0)
    }

    /// As `unlock_with_password`, for a command that needs the password again (revoking
    /// a device wraps the new vault key under it).
    pub fn unlock_keeping_password(
        &self,
        to: &str,
    ) -> Result<(UnlockedVault, keepsake_core::Password), Failure> {
        let vault = Vault::open(&self.vault)?;
        let password = secrets::password(self.password_stdin).map_err(|e| match e {
            Failure::NoCredentials(message) => Failure::NoCredentials(format!(
                "{message}: to {to} the password is needed, the OS keyring is not enough \
                 (forgot it? `keepsake recover` takes the recovery key)"
            )),
            other => other,
        })?;
        let vault = self.for_password(vault).unlock(&password)?;
        self.remember_kdf(&vault);
        Ok((vault, password))
    }
}

#[derive(Args)]
pub struct JsonArgs {
    /// Print JSON instead of text
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct InitArgs {
    /// Argon2id memory in MiB [default: 256]. Lower only for small devices or tests.
    #[arg(long, value_name = "MIB", requires = "kdf_passes")]
    kdf_memory_mib: Option<u32>,
    /// Argon2id passes [default: calibrated to this machine, at least 3]
    #[arg(long, value_name = "N", requires = "kdf_memory_mib")]
    kdf_passes: Option<u32>,
}

pub fn init(ctx: &Context, args: InitArgs) -> Outcome {
    let kdf = args
        .kdf_memory_mib
        .zip(args.kdf_passes)
        .map(|(mib, passes)| KdfParams {
            memory_kib: mib.saturating_mul(1024),
            iterations: passes,
            parallelism: KdfParams::DEFAULT.parallelism,
        });
    if let Some(kdf) = kdf.filter(|kdf| !kdf.is_everyday()) {
        let max = KdfParams::EVERYDAY_MAX;
        return Err(Failure::Usage(format!(
            "{kdf} is more than Keepsake derives without asking: use at most \
             --kdf-memory-mib {} --kdf-passes {}",
            max.memory_kib / 1024,
            max.iterations
        )));
    }
    let password = if ctx.password_stdin {
        secrets::password(true)?
    } else {
        secrets::new_password(false, "KEEPSAKE_PASSWORD")?
    };
    // The key is printed, and must reach its reader, before the vault exists.
    let (vault, _) = Vault::create_revealing(&ctx.vault, &password, kdf, |recovery| {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "Creating a vault at {}", ctx.vault.display())?;
        writeln!(stdout)?;
        writeln!(
            stdout,
            "Your recovery key (shown only this once; write it down and keep it safe):"
        )?;
        writeln!(stdout)?;
        writeln!(stdout, "    {}", recovery.to_words().as_str())?;
        writeln!(stdout)?;
        stdout.flush()
    })?;
    ctx.remember_kdf(&vault);
    let info = vault.info()?;
    out!("Created the vault at {}.", info.path.display());
    out!(
        "With the recovery key you can set a new password if you forget yours (`keepsake recover`)."
    );
    out!("Without the password or this key, nobody, including you, can open the vault.");
    Ok(EXIT_OK)
}

#[derive(Args)]
pub struct ImportArgs {
    /// Files and folders to import
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Put each photo found in a folder into an album named after the folder (not
    /// Google Takeout's "Photos from YYYY" folders)
    #[arg(long)]
    albums_from_folders: bool,
    /// Print the summary as JSON
    #[arg(long)]
    json: bool,
}

pub fn import(ctx: &Context, args: ImportArgs) -> Outcome {
    let mut vault = ctx.unlock()?;
    let bar = bytes_bar("Importing");
    let started = Instant::now();
    let (report, fatal) = vault.import(&args.paths, &mut |p| {
        bar.set_length(p.bytes_total);
        bar.set_position(p.bytes_done);
        let rate = p.files_done as f64 / started.elapsed().as_secs_f64().max(1e-3);
        bar.set_message(format!(
            "{}/{} files, {rate:.0} files/s",
            p.files_done, p.files_total
        ));
    });
    bar.finish_and_clear();
    // After a whole import only: the next run after one cut short finds its files as
    // duplicates, and files them all.
    let albums = match (&fatal, args.albums_from_folders) {
        (None, true) => vault.library()?.albums_from_folders(&report, &args.paths)?,
        _ => Vec::new(),
    };
    if args.json {
        crate::output::json(&report)?;
    } else {
        for (name, items) in &albums {
            out!("album {}: {}", printable(name), count(*items, "item"));
        }
        for item in report.imported.iter().filter(|i| i.note.is_some()) {
            out!(
                "stored, with a note: {}: {}",
                item.path.display(),
                item.note.as_deref().unwrap_or_default()
            );
        }
        for skipped in &report.skipped {
            out!(
                "skipped: {}: {}",
                printable(&skipped.path.to_string_lossy()),
                skipped.reason
            );
        }
        for (id, reason) in &report.proxies.failed {
            out!("no playable copy of video {id}: {reason}");
        }
        out!(
            "Imported {}, already in the vault {}, skipped {} ({:.1} s)",
            report.imported.len(),
            report.duplicates.len(),
            report.skipped.len(),
            started.elapsed().as_secs_f64()
        );
        if report.stacks > 0 {
            out!(
                "Shown as one: {} (Live Photos, RAW+JPEG pairs, bursts)",
                count(report.stacks, "stack")
            );
        }
        if !report.sidecars.is_empty() {
            out!(
                "Read {} from Google Takeout (dates, places, descriptions, favourites, \
                 album titles)",
                count(report.sidecars.len(), "sidecar")
            );
        }
        if report.proxies.made > 0 {
            out!(
                "Made playable copies of {} this platform's viewer cannot play",
                count(report.proxies.made as usize, "video")
            );
        }
    }
    if let Some(fatal) = fatal {
        eprintln!("error: import stopped: {fatal}");
        eprintln!(
            "Everything listed as imported is safely stored; run the import again to finish."
        );
        return Ok(EXIT_FAILED);
    }
    if report.unreadable > 0 {
        eprintln!(
            "error: {} could not be read (listed as skipped)",
            count(report.unreadable, "file")
        );
        return Ok(EXIT_FAILED);
    }
    Ok(EXIT_OK)
}

/// The library, oldest first; the trash is left out (`keepsake trash ls` lists it).
pub fn ls(ctx: &Context, args: JsonArgs) -> Outcome {
    let vault = ctx.unlock()?;
    let marks = Marks::of(&vault.library()?)?;
    let items: Vec<Item> = vault
        .items()?
        .into_iter()
        .filter(|item| !marks.trashed.contains_key(&item.id))
        .collect();
    print_items(&items, &marks, args.json)
}

#[derive(Args)]
pub struct MemoriesArgs {
    /// The day to look back from (YYYY-MM-DD; default: today)
    #[arg(long, value_name = "YYYY-MM-DD")]
    date: Option<String>,
    /// Print JSON instead of text
    #[arg(long)]
    json: bool,
}

/// On this day: photos taken within three days of the date in earlier years.
pub fn memories(ctx: &Context, args: MemoriesArgs) -> Outcome {
    let date = parse_day(args.date.as_deref())?;
    let vault = ctx.unlock()?;
    let marks = Marks::of(&vault.library()?)?;
    print_items(&vault.memories(date)?, &marks, args.json)
}

/// Recent trips: runs of photos taken far from home in the year up to the date.
pub fn trips(ctx: &Context, args: MemoriesArgs) -> Outcome {
    let date = parse_day(args.date.as_deref())?;
    let vault = ctx.unlock()?;
    let trips = vault.library()?.recent_trips(date)?;
    if args.json {
        let listed: Vec<_> = trips
            .iter()
            .map(|trip| {
                json!({
                    "title": trip.title,
                    "first": trip.first,
                    "last": trip.last,
                    "items": trip.entries.iter().map(|e| e.id.to_string()).collect::<Vec<_>>(),
                })
            })
            .collect();
        crate::output::json(&listed)?;
        return Ok(EXIT_OK);
    }
    for trip in &trips {
        out!(
            "{}  {} to {}  {}",
            crate::output::printable(&trip.title),
            trip.first.get(..10).unwrap_or(&trip.first),
            trip.last.get(..10).unwrap_or(&trip.last),
            crate::output::count(trip.entries.len(), "item"),
        );
    }
    out!("{}", crate::output::count(trips.len(), "trip"));
    Ok(EXIT_OK)
}

/// `--date`, or today.
fn parse_day(text: Option<&str>) -> Result<jiff::civil::Date, Failure> {
    match text {
        Some(text) => text.parse::<jiff::civil::Date>().map_err(|e| {
            Failure::Usage(format!("--date {text:?} is not a date (YYYY-MM-DD): {e}"))
        }),
        None => Ok(jiff::ZonedDateTime::now().date()),
    }
}

/// Items as `ls` prints them: a line each, or JSON objects (with `trashed_at` for those
/// in the trash).
pub(crate) fn print_items(items: &[Item], marks: &Marks, json: bool) -> Outcome {
    if json {
        let listed: Vec<_> = items
            .iter()
            .map(|i| {
                let mut record = json!({
                    "id": i.id.to_string(),
                    "name": i.name,
                    "size": i.size,
                    "taken_at": i.media.taken_at,
                    "type": i.media_type,
                    "kind": i.kind.as_str(),
                    "note": i.note,
                    "favourite": marks.favourites.contains(&i.id),
                    "albums": marks.albums.get(&i.id).cloned().unwrap_or_default(),
                    "caption": i.caption,
                    "stack": i.stack.as_ref().map(|(main, _)| main.to_string()),
                });
                if let Some(when) = marks.trashed.get(&i.id) {
                    record["trashed_at"] = json!(when);
                }
                record
            })
            .collect();
        crate::output::json(&listed)?;
    } else {
        for i in items {
            out!(
                "{}  {:<25}  {:>10}  {}",
                i.id,
                i.media.taken_at.as_deref().unwrap_or("-"),
                i.size,
                printable(&i.name)
            );
        }
    }
    Ok(EXIT_OK)
}

#[derive(Args)]
pub struct ExportArgs {
    /// Export everything
    #[arg(long, conflicts_with = "ids")]
    all: bool,
    /// Ids of the items to export (from `keepsake ls`)
    #[arg(value_name = "ID", required_unless_present = "all")]
    ids: Vec<String>,
    /// Destination folder (created if missing; existing files are never overwritten)
    #[arg(long, value_name = "DIR")]
    to: PathBuf,
    /// A folder per album (an item in several albums is written into each)
    #[arg(long)]
    albums: bool,
    /// Beside each file, a sidecar of its date, place, favourite and albums: XMP (F.xmp,
    /// for darktable, digiKam, exiftool) or Google Takeout's JSON (F.json)
    #[arg(long, value_name = "FORMAT")]
    sidecars: Option<Sidecars>,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Sidecars {
    Xmp,
    Json,
}

pub fn export(ctx: &Context, args: ExportArgs) -> Outcome {
    let ids = if args.all {
        None
    } else {
        Some(parse_ids(&args.ids)?)
    };
    let mut vault = ctx.unlock()?;
    let originals = vault.export_originals(ids.as_deref())?;
    keepsake_api::originals_here(&mut vault, &originals)?;
    let options = keepsake_core::ExportOptions {
        albums: args.albums,
        sidecars: args.sidecars.map(|format| match format {
            Sidecars::Xmp => keepsake_core::SidecarFormat::Xmp,
            Sidecars::Json => keepsake_core::SidecarFormat::Json,
        }),
    };
    let report = vault.export(ids.as_deref(), &args.to, options)?;
    if args.json {
        crate::output::json(&report)?;
    } else {
        out!(
            "Exported {} to {}",
            count(report.exported.len(), "file"),
            args.to.display()
        );
    }
    // Damage is named file by file; a reason many files share (a full destination) is
    // said once.
    let mut shared: Vec<(&str, usize)> = Vec::new();
    for failure in &report.failed {
        let others = report.failed.iter().filter(|f| f.reason == failure.reason);
        if failure.damaged || others.count() == 1 {
            eprintln!(
                "error: {} ({}): {}",
                printable(failure.name.as_deref().unwrap_or("?")),
                failure.id,
                failure.reason
            );
        } else if let Some(entry) = shared.iter_mut().find(|(r, _)| *r == failure.reason) {
            entry.1 += 1;
        } else {
            shared.push((&failure.reason, 1));
        }
    }
    for (reason, n) in shared {
        eprintln!("error: {}: {reason}", count(n, "file"));
    }
    Ok(if report.failed.iter().any(|f| f.damaged) {
        EXIT_DAMAGED
    } else if report.failed.is_empty() {
        EXIT_OK
    } else {
        EXIT_FAILED
    })
}

fn parse_id(id: &str) -> Result<ObjectId, Failure> {
    id.parse().map_err(|_| {
        Failure::Usage(format!(
            "{id:?} is not an id: ids are 32 lowercase hex digits, as `keepsake ls` prints"
        ))
    })
}

pub(crate) fn parse_ids(ids: &[String]) -> Result<Vec<ObjectId>, Failure> {
    ids.iter().map(|id| parse_id(id)).collect()
}

fn item_json(item: &Item) -> serde_json::Value {
    json!({
        "id": item.id.to_string(),
        "name": item.name,
        "size": item.size,
        "type": item.media_type,
        "kind": item.kind.as_str(),
        "source_path": item.source_path,
        "file_modified_at": item.file_modified_at,
        "imported_at": item.imported_at,
        "note": item.note,
        "render_error": item.render_error,
        "caption": item.caption,
        "rotation": item.rotation,
        "stack": item.stack.as_ref().map(|(main, kind)| json!({"main": main.to_string(), "kind": kind})),
        "metadata": item.media,
    })
}

#[derive(Args)]
pub struct ShowArgs {
    /// The item's id (from `keepsake ls`)
    id: String,
    /// Print JSON instead of text
    #[arg(long)]
    json: bool,
}

pub fn show(ctx: &Context, args: ShowArgs) -> Outcome {
    let id = parse_id(&args.id)?;
    let vault = ctx.unlock()?;
    let item = vault
        .item(&id)?
        .ok_or(keepsake_core::VaultError::NoSuchItem(id))?;
    let mut record = item_json(&item);
    record["playable"] = json!(vault.playable(&item)?.map(Playable::as_str));
    // Items imported before places were kept are placed now (nothing is stored).
    let place = item.media.place.clone().or_else(|| {
        let (lat, lon) = (item.media.latitude?, item.media.longitude?);
        keepsake_core::place_at(lat, lon)
    });
    if args.json {
        record["place"] = json!(place);
        crate::output::json(&record)?;
    } else {
        if let Some(place) = &place {
            record["place"] = json!(place.label());
        }
        let flat = record
            .as_object()
            .into_iter()
            .flatten()
            .chain(record["metadata"].as_object().into_iter().flatten());
        for (key, value) in flat.filter(|(k, v)| !v.is_null() && *k != "metadata") {
            let text = value
                .as_str()
                .map_or_else(|| value.to_string(), String::from);
            out!("{key:<17} {}", printable(&text));
        }
    }
    Ok(EXIT_OK)
}

#[derive(Args)]
pub struct ThumbArgs {
    /// The item's id (from `keepsake ls`)
    id: String,
    /// The large preview instead of the grid thumbnail
    #[arg(long, conflicts_with = "playable")]
    preview: bool,
    /// For a video: the stream the viewer plays (the original where this platform's
    /// viewer plays it, else its playable copy), decrypted; for a Motion Photo, its video
    #[arg(long)]
    playable: bool,
    /// Where to write the JPEG (or the video)
    #[arg(long, value_name = "FILE")]
    out: std::path::PathBuf,
}

/// Writes a new file at `out` with `write`, never over an existing one (it may be the
/// exported original); a file left half-written by a failure is removed.
fn write_new<T>(
    out: &std::path::Path,
    write: impl FnOnce(&mut std::fs::File) -> Result<T, Failure>,
) -> Result<T, Failure> {
    let mut file = keepsake_core::create_new_private(out).map_err(|e| {
        let why = if e.kind() == std::io::ErrorKind::AlreadyExists {
            "it exists already, and Keepsake never replaces a file".to_string()
        } else {
            e.to_string()
        };
        Failure::Missing(format!("could not write {}: {why}", out.display()))
    })?;
    let written = write(&mut file);
    if written.is_err() {
        drop(file);
        let _ = std::fs::remove_file(out);
    }
    written
}

fn thumb_playable(vault: &UnlockedVault, id: &ObjectId, out: &std::path::Path) -> Outcome {
    let (playable, bytes) = write_new(out, |file| {
        let mut buffered = std::io::BufWriter::with_capacity(1 << 20, file);
        let written = vault.write_playable(id, &mut buffered)?;
        buffered
            .flush()
            .map_err(|e| Failure::Missing(format!("could not write {}: {e}", out.display())))?;
        Ok(written)
    })?;
    out!(
        "{} ({} bytes) written to {}",
        playable.as_str(),
        bytes,
        out.display()
    );
    Ok(EXIT_OK)
}

pub fn thumb(ctx: &Context, args: ThumbArgs) -> Outcome {
    let id = parse_id(&args.id)?;
    let mut vault = ctx.unlock()?;
    if args.playable {
        keepsake_api::originals_here(&mut vault, &[id])?;
        return thumb_playable(&vault, &id, &args.out);
    }
    let kind = if args.preview {
        RenditionKind::Preview
    } else {
        RenditionKind::Grid
    };
    let item = vault
        .item(&id)?
        .ok_or(keepsake_core::VaultError::NoSuchItem(id))?;
    let Some(rendition) = vault.rendition(&id, kind)? else {
        let why = match (&item.render_error, args.preview) {
            (Some(error), _) => format!("no {} for {}: {error}", kind.as_str(), item.name),
            (None, true) => format!(
                "{} needs no preview: the viewer shows the original",
                item.name
            ),
            (None, false) => format!(
                "no thumbnail for {} yet (run `keepsake rethumb {id}`)",
                item.name
            ),
        };
        return Err(Failure::Missing(why));
    };
    write_new(&args.out, |file| {
        file.write_all(&rendition.jpeg)
            .map_err(|e| Failure::Missing(format!("could not write {}: {e}", args.out.display())))
    })?;
    out!(
        "{}x{} JPEG written to {}",
        rendition.width,
        rendition.height,
        args.out.display()
    );
    Ok(EXIT_OK)
}

#[derive(Args)]
pub struct RethumbArgs {
    /// Regenerate for every item
    #[arg(long, conflicts_with = "ids")]
    all: bool,
    /// Ids of the items to regenerate
    #[arg(value_name = "ID", required_unless_present = "all")]
    ids: Vec<String>,
}

pub fn rethumb(ctx: &Context, args: RethumbArgs) -> Outcome {
    let ids = if args.all {
        None
    } else {
        Some(parse_ids(&args.ids)?)
    };
    let mut vault = ctx.unlock()?;
    let originals = match &ids {
        Some(ids) => ids.clone(),
        None => vault.items()?.iter().map(|item| item.id).collect(),
    };
    keepsake_api::originals_here(&mut vault, &originals)?;
    let bar = count_bar("Rendering");
    let report = vault.rethumb(ids.as_deref(), &mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })?;
    bar.finish_and_clear();
    for (id, reason) in report.failed.iter().chain(&report.proxies.failed) {
        eprintln!("error: {id}: {reason}");
    }
    out!(
        "Regenerated {} items, {} failed; made {} playable copies of videos",
        report.updated.len(),
        report.failed.len(),
        report.proxies.made
    );
    Ok(
        if report.failed.is_empty() && report.proxies.failed.is_empty() {
            EXIT_OK
        } else {
            EXIT_FAILED
        },
    )
}

#[derive(Args)]
pub struct VerifyArgs {
    /// Repair what can be: list again photos the catalog does not name, set aside second
    /// copies, restore damaged objects from a remote's copy (with --remote: re-upload what
    /// the remote lacks or holds damaged). Nothing is ever deleted.
    #[arg(long)]
    repair: bool,
    /// Check a remote instead: every object listed with its size
    #[arg(long, value_name = "NAME")]
    remote: Option<String>,
    /// With --remote: download and authenticate every object
    #[arg(long, requires = "remote")]
    deep: bool,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

pub fn verify(ctx: &Context, args: VerifyArgs) -> Outcome {
    if let Some(name) = &args.remote {
        return crate::sync_commands::verify_remote(ctx, name, args.deep, args.repair, args.json);
    }
    let mut vault = ctx.unlock()?;
    let bar = count_bar("Verifying");
    let mut repairs = Vec::new();
    let verified = keepsake_api::verify(
        &mut vault,
        args.repair,
        &mut |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        },
        // Printed after the report: what was repaired to stdout, what was not to stderr.
        &mut |repair| {
            repairs.push(match repair {
                Repair::Repaired { id, from } => Ok(format!("REPAIRED {id} from remote {from}")),
                Repair::NotFrom { id, from, why } => {
                    Err(format!("note: {id}: not repaired from {from}: {why}"))
                }
            })
        },
    )?;
    bar.finish_and_clear();
    let report = verified.report;
    if args.json {
        crate::output::json(&report)?;
    } else {
        for d in &report.damaged {
            let id =
                d.id.map(|id| id.to_string())
                    .unwrap_or_else(|| "catalog".into());
            out!(
                "DAMAGED {id} {}: {}",
                printable(d.name.as_deref().unwrap_or("")),
                d.problem
            );
        }
        for d in &report.damaged_proxies {
            let id = d.id.map(|id| id.to_string()).unwrap_or_default();
            out!(
                "DAMAGED {id} {}: {} (`keepsake verify --repair` makes it again)",
                printable(d.name.as_deref().unwrap_or("")),
                d.problem
            );
        }
        if !report.proxies_remade.is_empty() {
            out!(
                "Made again the playable copies of {}.",
                count(report.proxies_remade.len(), "video")
            );
        }
        for (id, why) in &report.unreadable {
            out!(
                "UNREADABLE {id}: not listed, and does not open with this vault's key \
                 (another vault's object, or damaged): {why}; left in place"
            );
        }
        let unlisted = report.unlisted.len() - report.relisted.len();
        if !report.relisted.is_empty() {
            out!(
                "Listed again {} photos the catalog did not name (as recovered-…).",
                report.relisted.len()
            );
        }
        if unlisted > 0 {
            out!(
                "{unlisted} photos of this vault are not in the catalog (an interrupted import \
                 or a catalog restored from an older copy); `keepsake verify --repair` lists \
                 them again."
            );
        }
        if !report.redundant.is_empty() && !args.repair {
            out!(
                "{} stored copies of photos that are listed under another object; \
                 `keepsake verify --repair` moves them to quarantine/.",
                report.redundant.len()
            );
        }
        if !report.quarantined.is_empty() {
            out!(
                "note: {} holds {} objects set aside by a repair (copies of listed photos); \
                 Keepsake never deletes them: remove the folder when you no longer want them.",
                ctx.vault.join(keepsake_core::QUARANTINE).display(),
                report.quarantined.len()
            );
        }
        for stray in &report.strays {
            out!(
                "note: {} is not a Keepsake object (left alone)",
                stray.display()
            );
        }
        if report.away > 0 {
            out!(
                "{} originals are on a remote only (this device keeps originals on demand);                  `keepsake verify --remote NAME --deep` checks them there.",
                report.away
            );
        }
        out!(
            "Checked {} items ({:.1} MB): {}",
            report.checked,
            report.bytes as f64 / 1e6,
            if report.is_clean() {
                "all intact".to_string()
            } else {
                format!(
                    "{} damaged",
                    report.damaged.len() + report.damaged_proxies.len()
                )
            }
        );
    }
    if args.repair && !report.is_clean() {
        for line in &repairs {
            match line {
                Ok(repaired) => out!("{repaired}"),
                Err(note) => eprintln!("{note}"),
            }
        }
        let unrepaired = verified.unrepaired.len();
        if unrepaired > 0 {
            out!(
                "{unrepaired} damaged items could not be repaired (no remote holds an authentic copy)"
            );
        }
        let catalog_damage = report.damaged.iter().any(|d| d.id.is_none());
        return Ok(
            if unrepaired == 0
                && !catalog_damage
                && report.unreadable.is_empty()
                && report.damaged_proxies.is_empty()
            {
                EXIT_OK
            } else {
                EXIT_DAMAGED
            },
        );
    }
    Ok(if report.is_clean() {
        EXIT_OK
    } else {
        EXIT_DAMAGED
    })
}

pub fn info(ctx: &Context, args: JsonArgs) -> Outcome {
    let vault = ctx.unlock()?;
    let info = vault.info()?;
    if args.json {
        crate::output::json(&info)?;
    } else {
        out!("vault      {}", info.path.display());
        out!("id         {}", info.vault_id);
        out!(
            "format     {} (catalog schema {})",
            info.format_version,
            info.catalog_schema
        );
        out!(
            "items      {} ({:.1} MB)",
            info.items,
            info.bytes as f64 / 1e6
        );
        out!("password   {}", info.kdf);
    }
    Ok(EXIT_OK)
}

#[derive(Args)]
pub struct PasswdArgs {
    /// Read the new password from standard input (after the current one, if that is read
    /// from standard input too); else KEEPSAKE_NEW_PASSWORD, else a prompt
    #[arg(long)]
    new_password_stdin: bool,
}

pub fn passwd(ctx: &Context, args: PasswdArgs) -> Outcome {
    let mut vault = ctx.unlock_with_password("change the password")?;
    let new = secrets::new_password(args.new_password_stdin, "KEEPSAKE_NEW_PASSWORD")?;
    let shown = std::cell::Cell::new(false);
    keepsake_api::keeping_this_device(&mut vault, None, |vault| {
        vault.change_password(&new, |recovery| reveal_new_recovery_key(recovery, &shown))
    })
    .map_err(crate::device_commands::os_failure)?;
    out!(
        "Password changed, with a new vault key: photos added from now on cannot be read with \
         the old password, even with an old copy of the vault header. Photos added before stay \
         readable to whoever has the old password and such a copy. Devices remembered for \
         unlock through the OS keyring ask for the new password once."
    );
    recovery_key_unchanged(&shown)
}

/// Shows a recovery key a new key epoch had to replace (a vault made before key epochs),
/// once, before anything is written; `shown` notes that it was.
pub fn reveal_new_recovery_key(
    recovery: &keepsake_core::RecoveryKey,
    shown: &std::cell::Cell<bool>,
) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
        "Your recovery key changes too; the old one no longer opens this vault. The new one \
         (shown only this once; write it down and keep it safe):"
    )?;
    writeln!(stdout)?;
    writeln!(stdout, "    {}", recovery.to_words().as_str())?;
    writeln!(stdout)?;
    stdout.flush()?;
    shown.set(true);
    Ok(())
}

/// Says the recovery key still works, unless a new one was shown.
pub fn recovery_key_unchanged(shown: &std::cell::Cell<bool>) -> Outcome {
    if !shown.get() {
        out!("The recovery key is unchanged and still works.");
    }
    Ok(EXIT_OK)
}

#[derive(Args)]
pub struct RecoverArgs {
    /// Read the recovery key from standard input (else KEEPSAKE_RECOVERY_KEY, else a prompt)
    #[arg(long)]
    recovery_key_stdin: bool,
    /// Read the new password from standard input, after the recovery key (else
    /// KEEPSAKE_NEW_PASSWORD, else a prompt)
    #[arg(long)]
    new_password_stdin: bool,
}

pub fn recover(ctx: &Context, args: RecoverArgs) -> Outcome {
    let vault = Vault::open(&ctx.vault)?;
    let words = secrets::recovery_key(args.recovery_key_stdin)?;
    let new = secrets::new_password(args.new_password_stdin, "KEEPSAKE_NEW_PASSWORD")?;
    let vault = vault.recover(&words, &new)?;
    ctx.remember_kdf(&vault);
    out!("New password set. The recovery key is unchanged and still works.");
    Ok(EXIT_OK)
}

//! `keepsake`: the command-line shell over keepsake-core. Each command is a few lines that
//! gather input, call the core and print; exit codes are part of the contract:
//! 0 ok, 1 other failure, 2 usage, 3 wrong password or recovery key, 4 integrity problem.

#[macro_use]
mod output;
mod commands;
mod device_commands;
mod edit_commands;
mod organise_commands;
mod originals_commands;
mod progress;
mod secrets;
mod sync_commands;

use clap::{Parser, Subcommand};
use keepsake_core::VaultError;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "keepsake",
    version,
    about = "An encrypted vault for your photos and videos"
)]
struct Cli {
    /// The vault folder [default: the OS data folder, e.g. ~/.local/share/keepsake/vault]
    #[arg(long, global = true, env = "KEEPSAKE_VAULT", value_name = "DIR")]
    vault: Option<PathBuf>,
    /// Read the password from the first line of standard input (else KEEPSAKE_PASSWORD,
    /// else a prompt)
    #[arg(long, global = true)]
    password_stdin: bool,
    /// Derive the password key even with settings above the everyday bounds (1 GiB,
    /// 10 passes, 8 lanes), for a vault an older Keepsake made that way; they are then
    /// lowered into the bounds
    #[arg(long, global = true)]
    allow_costly_kdf: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a new vault and print its recovery key (once)
    Init(commands::InitArgs),
    /// Import photos and videos (files or folders, recursively)
    Import(commands::ImportArgs),
    /// List what the vault holds
    Ls(commands::JsonArgs),
    /// On this day: items taken within three days of a date in earlier years
    Memories(commands::MemoriesArgs),
    /// Recent trips: photos taken far from home in the year up to a date
    Trips(commands::MemoriesArgs),
    /// Copy originals out of the vault, byte for byte
    Export(commands::ExportArgs),
    /// Show everything known about one item
    Show(commands::ShowArgs),
    /// Write an item's thumbnail or preview (decrypted JPEG), or a video's playable
    /// stream, to a file
    Thumb(commands::ThumbArgs),
    /// Regenerate metadata, thumbnails and previews from the stored originals
    Rethumb(commands::RethumbArgs),
    /// Mark items as favourites (or not, with --off)
    Fav(organise_commands::FavArgs),
    /// Fix the date, place, caption or rotation (the originals are never touched), or
    /// take the fixes back with --undo
    Edit(edit_commands::EditArgs),
    /// Albums: create, rename, delete, add, rm, ls
    #[command(subcommand)]
    Album(organise_commands::AlbumCommand),
    /// Move items to the trash
    Rm(organise_commands::IdsArgs),
    /// Find items by words (name, place, camera, album, month) and year:, month:, type:,
    /// fav: filters, newest first
    Search(organise_commands::SearchArgs),
    /// Near-duplicates: the same photo at another size, quality or brightness, or cropped
    Dupes(organise_commands::DupesArgs),
    /// The trash: ls, restore, empty
    #[command(subcommand)]
    Trash(organise_commands::TrashCommand),
    /// Manage remotes (S3, WebDAV, SFTP, a folder)
    #[command(subcommand)]
    Remote(sync_commands::RemoteCommand),
    /// Unlock through the OS keyring on this device: enable, disable, ls, revoke
    #[command(subcommand)]
    Device(device_commands::DeviceCommand),
    /// Two-way sync: merge the other devices' changes, then send what the remotes lack
    Sync(sync_commands::SyncArgs),
    /// Keep every original on this device, or on demand from the remotes
    Originals(originals_commands::OriginalsArgs),
    /// Delete the local originals that a remote holds intact (each checked there first)
    FreeUpSpace(originals_commands::FreeArgs),
    /// Sync, then delete from the remotes what the library has not needed for a while
    Prune(sync_commands::PruneArgs),
    /// Rebuild a vault in --vault DIR from a remote, with the password or recovery key
    Restore(sync_commands::RestoreArgs),
    /// Rebuild a damaged catalog from the stored photos (and a remote's snapshot with --from)
    RebuildCatalog(sync_commands::RebuildArgs),
    /// Decrypt and authenticate everything; exit 4 if anything is damaged
    Verify(commands::VerifyArgs),
    /// Show facts about the vault
    Info(commands::JsonArgs),
    /// Change the password (the photos are not re-encrypted)
    Passwd(commands::PasswdArgs),
    /// Set a new password using the recovery key
    Recover(commands::RecoverArgs),
}

/// Why a command failed, carrying its exit code.
pub enum Failure {
    Vault(VaultError),
    /// The command was understood but cannot run as asked.
    Usage(String),
    /// Nothing to unlock with was given, and none can be asked for (no terminal): exit 2,
    /// as for any other missing argument. A credential that was given and refused is a
    /// `VaultError` (exit 3).
    NoCredentials(String),
    /// Understood, but what was asked for is not there (exit 1).
    Missing(String),
    /// The operating system refused (its keyring, say): exit 1.
    System(String),
    /// Standard output could not be written (exit 1; a closed pipe ends quietly, 141).
    Output(std::io::Error),
}

impl From<VaultError> for Failure {
    fn from(e: VaultError) -> Self {
        Self::Vault(e)
    }
}

impl Failure {
    fn exit_code(&self) -> u8 {
        match self {
            Failure::Vault(e) => e.code().exit_code(),
            Failure::Usage(_) | Failure::NoCredentials(_) => 2,
            Failure::Missing(_) | Failure::System(_) => 1,
            // 128 + SIGPIPE: what a shell reports for a reader that went away.
            Failure::Output(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 141,
            Failure::Output(_) => 1,
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Vault(e) => write!(f, "{e}"),
            Failure::Usage(m)
            | Failure::NoCredentials(m)
            | Failure::Missing(m)
            | Failure::System(m) => f.write_str(m),
            Failure::Output(e) => write!(f, "writing the output: {e}"),
        }
    }
}

fn main() -> ExitCode {
    keepsake_core::install_panic_hook();
    // For the tests of the tests only: a panic that `no_panic` in tests/ must see.
    if std::env::var_os("KEEPSAKE_TEST_PANIC").is_some() {
        panic!("planted by KEEPSAKE_TEST_PANIC");
    }
    let wants_json = std::env::args_os().any(|arg| arg == "--json");
    let cli = Cli::parse();
    let vault = match cli.vault.clone().or_else(default_vault_dir) {
        Some(dir) => dir,
        None => {
            eprintln!("error: no home folder found; pass --vault DIR");
            return ExitCode::from(2);
        }
    };
    let ctx = commands::Context {
        vault,
        password_stdin: cli.password_stdin,
        allow_costly_kdf: cli.allow_costly_kdf,
    };
    let result = match cli.command {
        Command::Init(args) => commands::init(&ctx, args),
        Command::Import(args) => commands::import(&ctx, args),
        Command::Ls(args) => commands::ls(&ctx, args),
        Command::Memories(args) => commands::memories(&ctx, args),
        Command::Trips(args) => commands::trips(&ctx, args),
        Command::Export(args) => commands::export(&ctx, args),
        Command::Show(args) => commands::show(&ctx, args),
        Command::Thumb(args) => commands::thumb(&ctx, args),
        Command::Fav(args) => organise_commands::fav(&ctx, args),
        Command::Edit(args) => edit_commands::edit(&ctx, args),
        Command::Album(command) => organise_commands::album(&ctx, command),
        Command::Rm(args) => organise_commands::rm(&ctx, args),
        Command::Search(args) => organise_commands::search(&ctx, args),
        Command::Dupes(args) => organise_commands::dupes(&ctx, args),
        Command::Trash(command) => organise_commands::trash(&ctx, command),
        Command::Rethumb(args) => commands::rethumb(&ctx, args),
        Command::Verify(args) => commands::verify(&ctx, args),
        Command::Remote(command) => sync_commands::remote(&ctx, command),
        Command::Device(command) => device_commands::device(&ctx, command),
        Command::Sync(args) => sync_commands::sync(&ctx, args),
        Command::Prune(args) => sync_commands::prune(&ctx, args),
        Command::Originals(args) => originals_commands::originals(&ctx, args),
        Command::FreeUpSpace(args) => originals_commands::free_up_space(&ctx, args),
        Command::Restore(args) => sync_commands::restore(&ctx, args),
        Command::RebuildCatalog(args) => sync_commands::rebuild_catalog(&ctx, args),
        Command::Info(args) => commands::info(&ctx, args),
        Command::Passwd(args) => commands::passwd(&ctx, args),
        Command::Recover(args) => commands::recover(&ctx, args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(Failure::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            // The reader has all it wanted (`keepsake ls | head -1`): nothing to say.
            ExitCode::from(Failure::Output(e).exit_code())
        }
        Err(failure) => {
            // One line, with what to do next where there is something to do.
            // Core messages fit both shells; the command to run is the CLI's to add.
            let hint = match &failure {
                Failure::Vault(VaultError::CatalogDamaged(_)) => {
                    "; `keepsake rebuild-catalog` rebuilds it from the stored photos \
                     (add --from URL to start from a remote's catalog snapshot)"
                }
                Failure::Vault(VaultError::NotAVault(_)) => " (create one with `keepsake init`)",
                Failure::Vault(VaultError::ObjectDamaged { .. }) => " (`keepsake verify --repair`)",
                Failure::Vault(VaultError::NoSuchRemote(_)) => " (see `keepsake remote ls`)",
                Failure::Vault(VaultError::NoSuchDevice(_)) => " (see `keepsake device ls`)",
                Failure::Vault(VaultError::KdfTooCostly(_)) => {
                    "; if an older Keepsake made this vault with `init --kdf-memory-mib \
                     --kdf-passes`, open it once with `--allow-costly-kdf` (a restore: use the \
                     recovery key)"
                }
                _ => "",
            };
            eprintln!("error: {failure}{hint}");
            if wants_json {
                // A script that asked for JSON gets JSON, also when the command fails.
                let error = serde_json::json!({
                    "error": failure.to_string(),
                    "exit_code": failure.exit_code(),
                });
                let _ = writeln!(std::io::stdout(), "{error}");
            }
            ExitCode::from(failure.exit_code())
        }
    }
}

fn default_vault_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("app", "Keepsake", "Keepsake")
        .map(|d| d.data_dir().join("vault"))
}

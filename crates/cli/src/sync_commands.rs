//! Remotes, sync, restore and remote verification: arguments and credentials in, one
//! `keepsake_api` call, the report out.

use crate::commands::{Context, EXIT_DAMAGED, EXIT_FAILED, EXIT_OK, Outcome};
use crate::progress::count_bar;
use crate::{Failure, secrets};
use clap::{Args, Subcommand};
use keepsake_core::{RemoteConfig, RestoreSecret, SyncControl, SyncReport};
use serde_json::json;

/// A remote for a URL, with credentials from the environment (documented in the
/// README): S3 takes AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; WebDAV the URL's user
/// and KEEPSAKE_REMOTE_PASSWORD. SFTP uses SSH keys (`?key=` in the URL). What each
/// scheme needs is keepsake-api's to check: every URL or credential that cannot make a
/// remote is a usage error.
fn credentials(url: &str, allow_insecure: bool) -> Result<RemoteConfig, Failure> {
    let url = if allow_insecure {
        let mut parsed = url::Url::parse(url)
            .map_err(|e| Failure::Usage(format!("not a remote URL {url:?}: {e}")))?;
        parsed.query_pairs_mut().append_pair("insecure", "1");
        parsed.to_string()
    } else {
        url.to_string()
    };
    let env = |name: &str| std::env::var(name).ok();
    let scheme = url.split(':').next().unwrap_or_default();
    let (user, secret) = match scheme {
        "s3" => (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")),
        "webdav" | "webdav+http" => (None, env("KEEPSAKE_REMOTE_PASSWORD")),
        _ => (None, None),
    };
    let keys_missing = scheme == "s3" && (user.is_none() || secret.is_none());
    keepsake_api::remote_config("", &url, user, secret).map_err(|e| {
        let hint = if keys_missing {
            " (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
        } else {
            ""
        };
        Failure::Usage(format!("{e}{hint}"))
    })
}

/// A report for one remote, as `--json` prints it: the remote's name beside its fields.
#[derive(serde::Serialize)]
struct Named<'a, T> {
    remote: &'a str,
    #[serde(flatten)]
    report: &'a T,
}

#[derive(Subcommand)]
pub enum RemoteCommand {
    /// Add a remote: s3://bucket/prefix?endpoint=..&region=.., webdav://[user@]host/path,
    /// sftp://user@host:port/path?key=PATH, file:///path
    Add {
        name: String,
        url: String,
        /// Allow plain http to a host that is not this machine
        #[arg(long)]
        allow_insecure: bool,
    },
    /// List remotes
    Ls {
        #[arg(long)]
        json: bool,
    },
    /// Forget a remote (its data on the remote is left alone)
    Rm { name: String },
    /// Check that the remote can be reached, written and read with its credentials
    Test { name: String },
}

pub fn remote(ctx: &Context, command: RemoteCommand) -> Outcome {
    match command {
        RemoteCommand::Add {
            name,
            url,
            allow_insecure,
        } => {
            // A URL that cannot work (bad URL, plain http) is refused before the password
            // is asked for, and before anything is stored.
            let mut config = credentials(&url, allow_insecure)?;
            config.name = name;
            let mut vault = ctx.unlock_with_password("add a remote")?;
            keepsake_api::add_remote(&mut vault, config.clone())?;
            out!("Added remote {} ({})", config.name, config.url);
        }
        RemoteCommand::Ls { json } => {
            let remotes = ctx.unlock()?.library()?.remotes()?;
            if json {
                crate::output::json(&json!(
                    remotes
                        .iter()
                        .map(|s| json!({
                            "name": s.remote.name, "url": s.remote.url, "user": s.remote.user,
                            "pending": s.pending, "kept_files": s.kept_files,
                            "kept_bytes": s.kept_bytes,
                        }))
                        .collect::<Vec<_>>()
                ))?;
            } else {
                for s in remotes {
                    out!(
                        "{:<12} {}  ({} pending)",
                        s.remote.name,
                        s.remote.url,
                        s.pending
                    );
                }
            }
        }
        RemoteCommand::Rm { name } => {
            ctx.unlock_with_password("remove a remote")?
                .remove_remote(&name)?;
            out!("Forgot remote {name}; nothing on it was deleted.");
        }
        RemoteCommand::Test { name } => {
            keepsake_api::test_remote(&ctx.unlock()?.remote(&name)?)?;
            out!("Remote {name} is reachable, writable and readable.");
        }
    }
    Ok(EXIT_OK)
}

#[derive(Args)]
pub struct SyncArgs {
    /// Remotes to sync [default: all]
    names: Vec<String>,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
    /// Send a catalog snapshot (where a new device starts) even if the change log since
    /// the last one is short
    #[arg(long)]
    snapshot: bool,
}

pub fn sync(ctx: &Context, args: SyncArgs) -> Outcome {
    let mut vault = ctx.unlock()?;
    let (snapshot, json) = (args.snapshot, args.json);
    each_remote(
        &mut vault,
        args.names,
        args.json,
        |vault, config, progress| {
            if snapshot {
                vault.want_snapshot(&config.name)?;
            }
            let report = keepsake_api::sync(vault, config, &SyncControl::default(), progress)?;
            let failed = sync_said(&config.name, &report, json)?;
            Ok((json!(report), failed))
        },
    )
}

#[derive(Args)]
pub struct PruneArgs {
    /// Remotes to prune [default: all]
    names: Vec<String>,
    /// Keep what the library stopped needing (photos emptied from the trash, replaced
    /// thumbnails, old catalog snapshots) this many days: until then it can come back
    #[arg(long, value_name = "DAYS", default_value_t = 30)]
    older_than: u32,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

pub fn prune(ctx: &Context, args: PruneArgs) -> Outcome {
    let mut vault = ctx.unlock()?;
    let retention = std::time::Duration::from_secs(u64::from(args.older_than) * 86_400);
    let json = args.json;
    each_remote(
        &mut vault,
        args.names,
        args.json,
        |vault, config, progress| {
            let name = &config.name;
            let report =
                keepsake_api::prune(vault, config, retention, &SyncControl::default(), progress)?;
            let failed = sync_said(name, &report.sync, json)?;
            if let Some(why) = &report.sweep_error {
                eprintln!("error: {name}: deleting stopped: {why}");
            }
            if !json {
                if report.swept {
                    out!(
                        "{name}: deleted {} files and {} old catalog snapshots ({:.1} MB)",
                        report.files_deleted,
                        report.snapshots_deleted,
                        report.bytes_deleted as f64 / 1e6
                    );
                } else if report.sweep_error.is_none() {
                    out!("{name}: the sync did not finish, so nothing was deleted");
                }
                if report.files_waiting > 0 {
                    out!(
                        "{name}: {} files (at least {:.1} MB) stay until they are {} days unused",
                        report.files_waiting,
                        report.bytes_waiting as f64 / 1e6,
                        args.older_than
                    );
                }
            }
            Ok((json!(report), failed || !report.swept))
        },
    )
}

/// Runs `work` on each of `names` (every remote when empty) with a progress bar, and
/// prints what each said as JSON when asked. `work` returns its report and whether it
/// failed.
fn each_remote(
    vault: &mut keepsake_core::Contents,
    names: Vec<String>,
    json: bool,
    mut work: impl FnMut(
        &mut keepsake_core::Contents,
        &RemoteConfig,
        &mut (dyn FnMut(&keepsake_core::SyncProgress) + Send),
    ) -> Result<(serde_json::Value, bool), Failure>,
) -> Outcome {
    let names: Vec<String> = if names.is_empty() {
        vault.remotes()?.into_iter().map(|r| r.name).collect()
    } else {
        names
    };
    if names.is_empty() {
        return Err(Failure::Missing(
            "no remotes yet: add one with `keepsake remote add NAME URL`".into(),
        ));
    }
    let mut summaries = Vec::new();
    let mut failed = false;
    for name in names {
        let config = vault.remote(&name)?;
        let bar = crate::progress::bytes_bar(&format!("Syncing {name}"));
        let result = work(vault, &config, &mut |p| {
            bar.set_length(p.bytes_total);
            bar.set_position(p.bytes_done);
            bar.set_message(format!("{}/{} objects", p.objects_done, p.objects_total));
        });
        bar.finish_and_clear();
        match result {
            Ok((report, its_failure)) => {
                failed |= its_failure;
                summaries.push(json!(Named {
                    remote: &name,
                    report: &report
                }));
            }
            Err(Failure::Vault(e)) => {
                eprintln!("error: {name}: {e}");
                failed = true;
                summaries.push(json!({"remote": name, "error": e.to_string()}));
            }
            Err(other) => return Err(other),
        }
    }
    if json {
        crate::output::json(&json!(summaries))?;
    }
    Ok(if failed { EXIT_FAILED } else { EXIT_OK })
}

/// Says what a sync with `name` did (errors always, the summary unless JSON was asked
/// for, which `each_remote` prints); true when an upload failed.
fn sync_said(name: &str, report: &SyncReport, json: bool) -> Result<bool, Failure> {
    for (id, reason) in &report.failed {
        eprintln!("error: {name}: {id}: {reason}");
    }
    if !json {
        out!(
            "{name}: uploaded {} objects ({:.1} MB), {} already there, {} failed{}",
            report.uploaded,
            report.uploaded_bytes as f64 / 1e6,
            report.skipped,
            report.failed.len(),
            report
                .snapshot
                .as_ref()
                .map(|s| format!(", catalog snapshot {s}"))
                .unwrap_or_default()
        );
        if report.header_adopted {
            out!(
                "{name}: the vault's password or remembered devices were changed on another \
                 device; this device now has that header too (unlock with the new password)"
            );
        }
        let log = &report.log;
        if log.changes_merged > 0 {
            out!(
                "{name}: merged {} changes from other devices ({} photos added, {} removed)",
                log.changes_merged,
                log.photos_received,
                log.photos_removed
            );
        }
    }
    Ok(!report.failed.is_empty())
}

#[derive(Args)]
pub struct RestoreArgs {
    /// The remote's URL (credentials from the environment, as for `remote add`)
    url: String,
    /// The name the restored vault gives this remote
    #[arg(long, default_value = "origin")]
    name: String,
    /// Unlock with the recovery key instead of the password (then set a new password)
    #[arg(long)]
    recovery_key: bool,
    /// Allow plain http to a host that is not this machine
    #[arg(long)]
    allow_insecure: bool,
    /// Fetch every original now, or only thumbnails and previews (originals then come
    /// from the remote when something needs them)
    #[arg(long, value_enum, default_value = "all")]
    originals: crate::originals_commands::Keep,
    /// On demand: megabytes of fetched originals to keep here
    #[arg(long, value_name = "MB", default_value_t = crate::originals_commands::DEFAULT_CACHE_MB)]
    cache_mb: u64,
}

pub fn restore(ctx: &Context, args: RestoreArgs) -> Outcome {
    let mut config = credentials(&args.url, args.allow_insecure)?;
    config.name = args.name;
    let (password, words);
    let secret = if args.recovery_key {
        words = secrets::recovery_key(ctx.password_stdin)?;
        password = secrets::new_password(false, "KEEPSAKE_NEW_PASSWORD")?;
        RestoreSecret::Recovery {
            words: &words,
            new_password: &password,
        }
    } else {
        password = secrets::password(ctx.password_stdin)?;
        RestoreSecret::Password(&password)
    };
    let bar = count_bar("Restoring");
    let on_demand = match args.originals {
        crate::originals_commands::Keep::All => None,
        crate::originals_commands::Keep::OnDemand => Some(args.cache_mb.saturating_mul(1 << 20)),
    };
    let result =
        keepsake_api::restore(config, &ctx.vault, secret, on_demand, &mut |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        });
    bar.finish_and_clear();
    let (vault, report) = result?;
    ctx.remember_kdf(&vault);
    for (id, reason) in &report.failed {
        eprintln!("error: {id}: {reason}");
    }
    for (name, reason) in &report.rejected_snapshots {
        eprintln!("error: snapshot {name} refused: {reason}");
    }
    if !report.rejected_snapshots.is_empty() {
        eprintln!(
            "warning: restored from the older snapshot {}; {} photos added after it came back \
             from the change log, and {} were listed again from their content (as \
             recovered-…: their names were in the refused one)",
            report.snapshot, report.log.photos_received, report.relisted
        );
    }
    out!(
        "Restored {} items ({:.1} MB) into {} from {}",
        report.restored,
        report.bytes as f64 / 1e6,
        ctx.vault.display(),
        report.snapshot
    );
    if report.log.changes_merged > 0 {
        out!(
            "Merged {} later changes from the library's devices ({} photos added, {} removed)",
            report.log.changes_merged,
            report.log.photos_received,
            report.log.photos_removed
        );
    }
    drop(vault);
    Ok(
        if report.failed.is_empty() && report.rejected_snapshots.is_empty() {
            EXIT_OK
        } else {
            EXIT_DAMAGED
        },
    )
}

/// `verify --remote NAME [--deep] [--repair]`.
pub fn verify_remote(
    ctx: &Context,
    name: &str,
    deep: bool,
    repair: bool,
    json_out: bool,
) -> Outcome {
    let mut vault = ctx.unlock()?;
    let config = vault.remote(name)?;
    let check = keepsake_api::check_remote(&vault, &config, deep)?;
    if json_out {
        let mut out = json!(Named {
            remote: name,
            report: &check
        });
        out["deep"] = json!(deep);
        crate::output::json(&out)?;
    } else {
        for (id, problem) in &check.missing {
            out!("MISSING {id} {problem}");
        }
        for (id, problem) in &check.damaged {
            out!("DAMAGED {id} {problem}");
        }
        if !check.has_header {
            out!("MISSING the vault header on the remote (run `keepsake sync {name}`)");
        }
        if check.snapshots == 0 {
            out!("MISSING a catalog snapshot on the remote (run `keepsake sync {name}`)");
        }
        out!(
            "Checked {} items on {name}{}: {}",
            check.checked,
            if deep {
                " (downloaded and authenticated)"
            } else {
                " (listing and sizes)"
            },
            if check.is_clean() {
                "all there"
            } else {
                "problems found"
            }
        );
    }
    if repair && !check.is_clean() {
        let ids: Vec<_> = check
            .missing
            .iter()
            .chain(&check.damaged)
            .map(|(id, _)| *id)
            .collect();
        // Uploaded again, then a sync brings the header and a snapshot up to date too.
        let (results, report) = keepsake_api::repair_remote(&mut vault, &config, &ids)?;
        let mut fixed = 0;
        for (id, result) in results {
            match result {
                Ok(()) => {
                    fixed += 1;
                    out!("REPAIRED {id} on {name} from the local copy");
                }
                Err(problem) => eprintln!("error: {id}: {problem}"),
            }
        }
        let all_fixed = fixed == ids.len() && report.failed.is_empty();
        return Ok(if all_fixed { EXIT_OK } else { EXIT_DAMAGED });
    }
    Ok(if check.is_clean() {
        EXIT_OK
    } else {
        EXIT_DAMAGED
    })
}

#[derive(Args)]
pub struct RebuildArgs {
    /// Start from this remote's newest authentic catalog snapshot (credentials from the
    /// environment, as for `remote add`); without it, only the photos' own metadata is
    /// recovered: names, albums and favourites are not
    #[arg(long, value_name = "URL")]
    from: Option<String>,
    /// The name the rebuilt catalog gives the remote
    #[arg(long, default_value = "origin", requires = "from")]
    name: String,
    /// Allow plain http to a host that is not this machine
    #[arg(long, requires = "from")]
    allow_insecure: bool,
}

pub fn rebuild_catalog(ctx: &Context, args: RebuildArgs) -> Outcome {
    let vault = ctx.for_password(keepsake_core::Vault::open(&ctx.vault)?);
    let password = secrets::password(ctx.password_stdin)?;
    let bar = count_bar("Listing objects");
    let mut progress = |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    };
    let from_remote = args.from.is_some();
    let from = match args.from {
        Some(url) => {
            let mut config = credentials(&url, args.allow_insecure)?;
            config.name = args.name;
            Some(config)
        }
        None => None,
    };
    let result = keepsake_api::rebuild_catalog(vault, &password, from, &mut progress);
    bar.finish_and_clear();
    let (vault, report) = result?;
    if let Some(aside) = &report.set_aside {
        out!("The damaged catalog was kept as {}", aside.display());
    }
    for (name, reason) in &report.rejected_snapshots {
        eprintln!("error: snapshot {name} refused: {reason}");
    }
    match &report.snapshot {
        Some(name) => out!(
            "Rebuilt from snapshot {name}: {} items kept, {} fetched from the remote",
            report.from_snapshot,
            report.fetched.len()
        ),
        None if from_remote => {
            out!("No usable snapshot on the remote: rebuilt from the objects alone")
        }
        None => {}
    }
    out!(
        "Listed {} objects again from their content",
        report.relisted.len()
    );
    for (id, reason) in &report.missing {
        eprintln!("error: {id}: missing here and on the remote: {reason}");
    }
    for (id, reason) in &report.unreadable {
        eprintln!("error: {id}: the object does not authenticate, left unlisted: {reason}");
    }
    drop(vault);
    let clean = report.rejected_snapshots.is_empty()
        && report.missing.is_empty()
        && report.unreadable.is_empty();
    Ok(if clean { EXIT_OK } else { EXIT_DAMAGED })
}

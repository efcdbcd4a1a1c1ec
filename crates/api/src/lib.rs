//! What the app and the CLI both do with remotes, written once: each function opens the
//! remote store, runs the core's async work to completion on this crate's runtime, and
//! applies the policy (which remote repairs what, what a restore or rebuild starts from).
//! The shells parse, call one function, and print or return; they name no store type and
//! own no runtime.
//!
//! Every function blocks: call it from a thread that may wait (the CLI's main thread, a
//! blocking task in the app). The core's futures are not `Send`, so they run on the
//! calling thread, driven by the shared runtime's I/O and timers.

use keepsake_core::{
    Contents, FreedSpace, ObjectId, Password, PruneReport, RebuildReport, RebuildSource,
    RemoteCheck, RemoteConfig, RestoreReport, RestoreSecret, SyncControl, SyncProgress, SyncReport,
    UnlockedVault, Vault, VaultError, VerifyReport,
};
use keepsake_remote::OpendalStore;
use std::future::Future;
use std::path::Path;
use std::sync::OnceLock;

mod devices;

pub use devices::{
    Device, OsUnlockError, devices, forget_this_device, keeping_this_device, os_unlock_enabled,
    remember_this_device, unlock_with_os,
};

fn block_on<T>(work: impl Future<Output = Result<T, VaultError>>) -> Result<T, VaultError> {
    static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    let runtime = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("could not start the network runtime: {e}"))
    });
    match runtime {
        Ok(runtime) => runtime.block_on(work),
        Err(why) => Err(VaultError::Remote(why.clone())),
    }
}

fn open(remote: &RemoteConfig) -> Result<OpendalStore, VaultError> {
    keepsake_remote::open(remote).map_err(|e| VaultError::Remote(e.to_string()))
}

/// Whether `url` names a remote Keepsake can use (scheme, host, absolute path, https or
/// loopback), without contacting it.
fn check_url(url: &str) -> Result<(), VaultError> {
    keepsake_remote::check_url(url).map_err(|e| VaultError::Remote(e.to_string()))
}

/// A remote from what the user gave, with what its scheme needs: the URL checked as
/// given (scheme, host, absolute path, https or loopback; nothing is contacted); S3 an
/// access key id and a secret key; WebDAV a user (given, or the URL's `user@`, taken out
/// of the URL so it is stored once) and a password. SFTP names its SSH key in the URL;
/// a folder needs nothing. Empty strings count as not given.
pub fn remote_config(
    name: &str,
    url: &str,
    user: Option<String>,
    secret: Option<String>,
) -> Result<RemoteConfig, VaultError> {
    let given = |v: Option<String>| v.filter(|v| !v.trim().is_empty());
    let (mut user, secret) = (given(user), given(secret));
    let url = url.trim();
    check_url(url)?;
    let mut parsed = url::Url::parse(url)
        .map_err(|e| VaultError::Remote(format!("not a remote URL {url:?}: {e}")))?;
    // A file URL is kept as given: parsing turns `file:photos` into file:///photos.
    let mut url = url.to_string();
    match parsed.scheme() {
        "s3" if user.is_none() || secret.is_none() => {
            return Err(VaultError::Remote(
                "an S3 remote needs an access key id and a secret key".into(),
            ));
        }
        "webdav" | "webdav+http" if !parsed.username().is_empty() => {
            user = user.or_else(|| Some(parsed.username().to_string()));
            let _ = parsed.set_username("");
            url = parsed.to_string();
        }
        _ => {}
    }
    Ok(RemoteConfig {
        name: name.trim().to_string(),
        url,
        user,
        secret,
    })
}

/// Adds a remote once its URL and transport are known to be usable.
pub fn add_remote(vault: &mut UnlockedVault, remote: RemoteConfig) -> Result<(), VaultError> {
    open(&remote)?;
    vault.add_remote(remote)
}

/// Writes a small file to the remote and reads it back.
pub fn test_remote(remote: &RemoteConfig) -> Result<(), VaultError> {
    let store = open(remote)?;
    block_on(async {
        keepsake_core::probe_remote(&store)
            .await
            .map_err(|e| VaultError::Remote(e.to_string()))
    })
}

/// Uploads what the remote lacks, then the catalog snapshot and the header. On contents
/// of its own (`UnlockedVault::contents`) it holds nothing else: photos imported meanwhile
/// go up in a further round before the snapshot that names them.
pub fn sync(
    vault: &mut Contents,
    remote: &RemoteConfig,
    control: &SyncControl,
    progress: &mut (dyn FnMut(&SyncProgress) + Send),
) -> Result<SyncReport, VaultError> {
    let store = open(remote)?;
    block_on(vault.sync(&remote.name, &store, control, progress))
}

/// Syncs, then deletes from the remote what the library has not needed for `retention`.
pub fn prune(
    vault: &mut Contents,
    remote: &RemoteConfig,
    retention: std::time::Duration,
    control: &SyncControl,
    progress: &mut (dyn FnMut(&SyncProgress) + Send),
) -> Result<PruneReport, VaultError> {
    let store = open(remote)?;
    block_on(vault.prune(&remote.name, &store, retention, control, progress))
}

/// A whole vault back from a remote into `dir` (new or empty); with `on_demand` (a cache
/// limit in bytes), without the originals, which are fetched when needed.
pub fn restore(
    remote: RemoteConfig,
    dir: &Path,
    secret: RestoreSecret<'_>,
    on_demand: Option<u64>,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<(UnlockedVault, RestoreReport), VaultError> {
    let store = open(&remote)?;
    block_on(keepsake_core::restore(
        &store, dir, remote, secret, on_demand, progress,
    ))
}

/// Rebuilds a damaged or lost catalog: from the newest authentic snapshot on `from`, or
/// from the stored photos alone.
pub fn rebuild_catalog(
    vault: Vault,
    password: &Password,
    from: Option<RemoteConfig>,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<(UnlockedVault, RebuildReport), VaultError> {
    match from {
        Some(remote) => {
            let store = open(&remote)?;
            let source = RebuildSource::Remote(&store, remote);
            block_on(vault.rebuild_catalog(password, source, progress))
        }
        None => block_on(vault.rebuild_catalog::<OpendalStore>(
            password,
            RebuildSource::Objects,
            progress,
        )),
    }
}

/// What happened to one damaged object in `repair_from_remotes`.
pub enum Repair<'a> {
    Repaired {
        id: ObjectId,
        from: &'a str,
    },
    /// This remote had no authentic copy; the next one is tried.
    NotFrom {
        id: ObjectId,
        from: &'a str,
        why: String,
    },
}

/// Replaces damaged local objects from the first remote holding an authentic copy, trying
/// the remotes in turn (one that cannot be opened is skipped). Returns what stays damaged.
pub fn repair_from_remotes(
    vault: &mut Contents,
    ids: &[ObjectId],
    report: &mut dyn FnMut(Repair),
) -> Result<Vec<ObjectId>, VaultError> {
    let mut left = ids.to_vec();
    for remote in vault.remotes()? {
        if left.is_empty() {
            break;
        }
        let Ok(store) = open(&remote) else { continue };
        for (id, result) in block_on(vault.repair_from_remote(&store, &left))? {
            match result {
                Ok(()) => {
                    left.retain(|l| *l != id);
                    report(Repair::Repaired {
                        id,
                        from: &remote.name,
                    });
                }
                Err(why) => report(Repair::NotFrom {
                    id,
                    from: &remote.name,
                    why,
                }),
            }
        }
    }
    Ok(left)
}

/// Makes sure the originals of `ids` are on this device before something reads them. On
/// a device keeping originals on demand, each one away is fetched from the first remote
/// holding an authentic copy, and the fetched ones beyond the cache limit are dropped
/// (least recently used, never one of `ids`). A device keeping every original is left as
/// it is: a missing original there is damage, for `verify --repair`.
pub fn originals_here(vault: &mut Contents, ids: &[ObjectId]) -> Result<(), VaultError> {
    if vault.originals_on_demand()?.is_none() {
        return Ok(());
    }
    let away = vault.originals_away(ids)?;
    let mut why = std::collections::HashMap::new();
    let left = repair_from_remotes(vault, &away, &mut |repair| {
        if let Repair::NotFrom {
            id,
            from,
            why: reason,
        } = repair
        {
            why.insert(id, format!("{from}: {reason}"));
        }
    })?;
    if let Some(id) = left.first() {
        return Err(VaultError::OriginalAway {
            id: *id,
            why: why
                .remove(id)
                .unwrap_or_else(|| "no remote is configured".into()),
        });
    }
    vault.originals_used(&away, ids)?;
    Ok(())
}

/// Deletes the local copy of every original a remote holds intact (each downloaded and
/// authenticated first), remote by remote; the device keeps originals on demand from then
/// on. Returns what each remote's pass did.
pub fn free_up_space(
    vault: &mut Contents,
    cache_limit: u64,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<Vec<(String, FreedSpace)>, VaultError> {
    let mut passes = Vec::new();
    for remote in vault.remotes()? {
        let store = open(&remote)?;
        let freed = block_on(vault.free_up_space(&remote.name, &store, cache_limit, progress))?;
        passes.push((remote.name, freed));
    }
    Ok(passes)
}

/// What `verify` found, and which damaged photos no remote could repair.
pub struct Verified {
    pub report: VerifyReport,
    /// Damaged objects still damaged: all of them without `repair`, else those no remote
    /// held an authentic copy of.
    pub unrepaired: Vec<ObjectId>,
}

/// Checks every stored photo against the catalog. With `repair`: photos of this vault the
/// catalog does not list are listed again, second copies go to `quarantine/`, and each
/// damaged photo is replaced from the first remote holding an authentic copy
/// (`repair_from_remotes`). Nothing is ever deleted.
pub fn verify(
    vault: &mut UnlockedVault,
    repair: bool,
    progress: &mut dyn FnMut(u64, u64),
    on_repair: &mut dyn FnMut(Repair),
) -> Result<Verified, VaultError> {
    let report = vault.verify(repair, progress)?;
    let damaged: Vec<ObjectId> = report.damaged.iter().filter_map(|d| d.id).collect();
    let unrepaired = if repair && !damaged.is_empty() {
        repair_from_remotes(vault, &damaged, on_repair)?
    } else {
        damaged
    };
    Ok(Verified { report, unrepaired })
}

/// Compares a remote with the catalog; `deep` downloads and authenticates every object.
pub fn check_remote(
    vault: &UnlockedVault,
    remote: &RemoteConfig,
    deep: bool,
) -> Result<RemoteCheck, VaultError> {
    let store = open(remote)?;
    block_on(vault.check_remote(&store, deep))
}

/// Per object, whether it was repaired (or why not).
pub type Repaired = Vec<(ObjectId, Result<(), String>)>;

/// Uploads again, from authentic local copies, what a remote lacks or holds damaged, then
/// syncs (header and catalog snapshot). Returns per id whether it was repaired, and the
/// sync's report.
pub fn repair_remote(
    vault: &mut UnlockedVault,
    remote: &RemoteConfig,
    ids: &[ObjectId],
) -> Result<(Repaired, SyncReport), VaultError> {
    let store = open(remote)?;
    let repaired = block_on(vault.repair_remote(&remote.name, &store, ids))?;
    let report = block_on(vault.sync(&remote.name, &store, &SyncControl::default(), &mut |_| {}))?;
    Ok((repaired, report))
}

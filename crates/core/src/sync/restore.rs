//! Restore: a whole vault back from a remote onto a new machine, with only the password or
//! the recovery key. Header first (to unlock), then the newest catalog snapshot, then every
//! object, each authenticated against the catalog before it is moved into place.

use super::engine::remote_error;
use super::{RemoteStore, layout, snapshot};
use crate::catalog::{self, RemoteConfig};
use crate::fsutil::{create_private_dir, write_atomic};
use crate::header::{self, Header};
use crate::rebuild::Relist;
use crate::store::ObjectStore;
use crate::{UnlockedVault, Vault, VaultError};
use futures::StreamExt;
use keepsake_crypto::{ObjectId, Password, RecoveryKey, max_encrypted_len};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// How to open the vault being restored.
pub enum RestoreSecret<'a> {
    Password(&'a Password),
    /// The recovery words, and the new password to set.
    Recovery {
        words: &'a str,
        new_password: &'a Password,
    },
}

#[derive(Debug, Default)]
pub struct RestoreReport {
    pub restored: u64,
    pub bytes: u64,
    pub snapshot: String,
    /// Newer snapshots that did not authenticate: photos added after `snapshot` are not
    /// in this restore.
    pub rejected_snapshots: Vec<(String, String)>,
    pub failed: Vec<(keepsake_crypto::ObjectId, String)>,
    /// Photos on the remote that the snapshot used does not list (added after it, when a
    /// newer one was refused): listed again from their content.
    pub relisted: u64,
    pub log: super::LogTraffic,
}

const PARALLEL: usize = 4;

/// Rebuilds the vault from `store` into `dir` (new or empty) and records the remote in it.
/// With `on_demand` (a cache limit in bytes) no original is fetched: each is confirmed on
/// the remote by its listed size, and fetched when something needs it.
pub async fn restore(
    store: &impl RemoteStore,
    dir: &Path,
    remote: RemoteConfig,
    secret: RestoreSecret<'_>,
    on_demand: Option<u64>,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<(UnlockedVault, RestoreReport), VaultError> {
    if std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some()) {
        return Err(VaultError::NotEmpty(dir.to_path_buf()));
    }
    // Bounded before it is fetched: nothing from the remote is trusted yet.
    if let Ok(Some(len)) = store.size(layout::HEADER).await
        && len > Header::MAX_LEN
    {
        return Err(VaultError::Remote(format!(
            "the remote's keepsake-vault.json is {len} bytes, far larger than any vault header: \
             refusing to fetch it"
        )));
    }
    let header_bytes = store.get(layout::HEADER).await.map_err(|e| match e {
        super::RemoteError::NotFound(_) => {
            VaultError::Remote("no Keepsake vault on this remote (no keepsake-vault.json)".into())
        }
        other => remote_error(other),
    })?;
    let header = Header::parse(&String::from_utf8_lossy(&header_bytes))?;
    let opened = match &secret {
        RestoreSecret::Password(password) => header.unlock_with_password(password, false)?,
        RestoreSecret::Recovery { words, .. } => {
            let recovery = RecoveryKey::parse(words)
                .map_err(|e| VaultError::RecoveryKeyFormat(e.to_string()))?;
            header.unlock_with_recovery(&recovery)?
        }
    };

    create_private_dir(dir)
        .map_err(|e| VaultError::io(format!("creating {}", dir.display()), e))?;
    let objects = ObjectStore::new(dir);
    objects
        .create_layout()
        .map_err(|e| VaultError::io("creating the object store", e))?;
    let fetched = snapshot::fetch_snapshot(
        store,
        &opened.keyring,
        &dir.join("tmp"),
        &dir.join(catalog::FILE_NAME),
    )
    .await?;
    let Some(snapshot) = fetched.name else {
        let _ = std::fs::remove_dir_all(dir.join("objects"));
        let _ = std::fs::remove_dir_all(dir.join("tmp"));
        return Err(match fetched.rejected.first() {
            Some((name, why)) => VaultError::CatalogDamaged(format!(
                "no catalog snapshot on the remote authenticates ({name}: {why})"
            )),
            None => VaultError::Remote(
                "the remote has no catalog snapshot yet: sync the original vault to it first"
                    .into(),
            ),
        });
    };
    write_atomic(&dir.join(header::FILE_NAME), &header_bytes)
        .map_err(|e| VaultError::io("writing the vault header", e))?;

    let mut vault = Vault::open(dir)?.unlock_with_key(opened)?;
    if let RestoreSecret::Recovery { new_password, .. } = secret {
        // As `recover`: a new password, every device revoked, a new key epoch.
        vault.recovered(new_password)?;
    }
    let mut report = RestoreReport {
        snapshot,
        rejected_snapshots: fetched.rejected,
        ..RestoreReport::default()
    };
    let items = vault.catalog.items()?;
    let total = items.len() as u64;
    progress(0, total);
    // A device keeping originals on demand takes none now.
    let listed = match on_demand {
        Some(_) => list_objects(store).await?,
        None => HashMap::new(),
    };
    let fetching: &[catalog::Item] = if on_demand.is_some() { &[] } else { &items };
    let vault_ref = &vault;
    let jobs = fetching.iter().map(|item| async move {
        let tmp = vault_ref.dir.join("tmp").join(item.id.to_string());
        let max_len = max_encrypted_len(item.size);
        let fetched = match store
            .download(&layout::object(&item.id), &tmp, max_len)
            .await
        {
            Ok(_) => vault_ref.authenticate_file(&tmp, item),
            Err(e) => Err(e.to_string()),
        };
        let placed = fetched.and_then(|()| {
            vault_ref
                .store
                .place(&tmp, &item.id)
                .map_err(|e| e.to_string())
        });
        if placed.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        (item.id, item.size, placed)
    });
    let mut results = futures::stream::iter(jobs).buffer_unordered(PARALLEL);
    let mut outcomes = Vec::new();
    while let Some(outcome) = results.next().await {
        outcomes.push(outcome);
        progress(outcomes.len() as u64, total);
    }
    drop(results);
    // The snapshot may name this remote already (with the old machine's settings), under
    // the name given to it there: keep that name rather than list one URL twice.
    let mut remote = remote;
    if let Some(known) = vault
        .catalog
        .remotes()?
        .into_iter()
        .find(|r| r.url == remote.url)
    {
        remote.name = known.name;
    }
    vault.catalog.upsert_remote(&remote)?;
    // Before the merge: the catalog's own device choice is the other device's.
    vault.catalog.become_new_device()?;
    // The header both now hold: what a later change on either side is told apart from.
    vault
        .catalog
        .set_header_base(&remote.name, &String::from_utf8_lossy(&header_bytes))?;
    if let Some(limit) = on_demand {
        vault.catalog.set_originals_on_demand(Some(limit))?;
        for item in &items {
            match listed.get(&layout::object(&item.id)) {
                Some(&size) if size <= max_encrypted_len(item.size) => {
                    vault.catalog.confirm_object(&remote.name, &item.id, size)?;
                    report.restored += 1;
                    report.bytes += item.size;
                    progress(report.restored, total);
                }
                _ => {
                    // Not counted as there (the snapshot's device may have said so).
                    vault.catalog.unconfirm_object(&remote.name, &item.id)?;
                    report
                        .failed
                        .push((item.id, "its original is not on the remote".into()));
                }
            }
        }
    }
    for (id, size, placed) in outcomes {
        match placed {
            Ok(()) => {
                report.restored += 1;
                report.bytes += size;
                let stored = std::fs::metadata(vault.store.path_of(&id))
                    .map(|m| m.len())
                    .unwrap_or(0);
                vault.catalog.confirm_object(&remote.name, &id, stored)?;
            }
            Err(problem) => report.failed.push((id, problem)),
        }
    }
    restore_proxies(&mut vault, store, &remote, &mut report).await?;
    // A new device of the same library: what other devices changed since the snapshot
    // comes from their change logs.
    vault.pull_log(&remote.name, store, &mut report.log).await?;
    report.restored += report.log.photos_received;
    if !report.rejected_snapshots.is_empty() {
        // After the log's merge: what it listed again is not to be listed from content.
        let listed: HashSet<ObjectId> = vault.catalog.items()?.iter().map(|i| i.id).collect();
        relist_the_rest(&mut vault, store, &remote, &listed, &mut report).await?;
    }
    Ok((vault, report))
}

/// The proxies the snapshot lists (videos' playable copies), each authenticated before it
/// is placed. One that cannot be fetched is reported; `rethumb` makes it again.
async fn restore_proxies(
    vault: &mut UnlockedVault,
    store: &impl RemoteStore,
    remote: &RemoteConfig,
    report: &mut RestoreReport,
) -> Result<(), VaultError> {
    let proxies = vault.catalog.proxies()?;
    if proxies.is_empty() {
        return Ok(());
    }
    let local = ObjectStore::proxies(&vault.dir);
    local
        .create_layout()
        .map_err(|e| VaultError::io("creating the proxy store", e))?;
    for (video, proxy) in proxies {
        let tmp = vault.dir.join("tmp").join(proxy.id.to_string());
        let fetched = match store
            .download(
                &layout::proxy(&proxy.id),
                &tmp,
                max_encrypted_len(proxy.size),
            )
            .await
        {
            Ok(_) => crate::verify::authenticate_proxy(&vault.key, &tmp, &proxy),
            Err(e) => Err(e.to_string()),
        };
        match fetched.and_then(|()| local.place(&tmp, &proxy.id).map_err(|e| e.to_string())) {
            Ok(()) => {
                let stored = std::fs::metadata(local.path_of(&proxy.id)).map_or(0, |m| m.len());
                vault
                    .catalog
                    .confirm_object(&remote.name, &proxy.id, stored)?;
            }
            Err(problem) => {
                let _ = std::fs::remove_file(&tmp);
                vault.catalog.remove_proxy(&video)?;
                report.failed.push((
                    video,
                    format!("its playable copy (proxy {}): {problem}", proxy.id),
                ));
            }
        }
    }
    Ok(())
}

/// After falling back to an older snapshot: the photos added since are still on the
/// remote. Each is fetched, authenticated and listed again from its content (its name was
/// in the refused snapshot), so a tampered snapshot costs names, never photos.
async fn relist_the_rest(
    vault: &mut UnlockedVault,
    store: &impl RemoteStore,
    remote: &RemoteConfig,
    listed: &HashSet<ObjectId>,
    report: &mut RestoreReport,
) -> Result<(), VaultError> {
    for (path, _) in store.list(layout::OBJECTS).await.map_err(remote_error)? {
        let Some(id) = path
            .rsplit('/')
            .next()
            .and_then(|n| n.parse::<ObjectId>().ok())
        else {
            continue;
        };
        // What the log emptied from the trash (remotes keep it until prune) stays gone.
        if listed.contains(&id) || layout::object(&id) != path || vault.catalog.log_knows(&id)? {
            continue;
        }
        let tmp = vault.dir.join("tmp").join(format!("{id}.unlisted"));
        // Not listed, so nothing bounds its size but the disk.
        let placed = match store.download(&path, &tmp, u64::MAX).await {
            Ok(_) => vault.store.place(&tmp, &id).map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        let _ = std::fs::remove_file(&tmp);
        let listed_again = match placed {
            Ok(()) => match vault.relist(id) {
                Ok(()) => Ok(()),
                Err(Relist::Unreadable(why)) => {
                    let _ = vault.store.remove(&id);
                    Err(why)
                }
                // A second copy of a listed photo: this download is not needed (the
                // remote keeps its copy).
                Err(Relist::Duplicate) => {
                    let _ = vault.store.remove(&id);
                    continue;
                }
                Err(Relist::Failed(e)) => return Err(e),
            },
            Err(why) => Err(why),
        };
        match listed_again {
            Ok(()) => {
                let stored = std::fs::metadata(vault.store.path_of(&id)).map_or(0, |m| m.len());
                vault.catalog.confirm_object(&remote.name, &id, stored)?;
                report.relisted += 1;
            }
            Err(problem) => report.failed.push((id, problem)),
        }
    }
    Ok(())
}

/// Every object on the remote, by path, with its listed size.
async fn list_objects(store: &impl RemoteStore) -> Result<HashMap<String, u64>, VaultError> {
    Ok(store
        .list(layout::OBJECTS)
        .await
        .map_err(remote_error)?
        .into_iter()
        .collect())
}

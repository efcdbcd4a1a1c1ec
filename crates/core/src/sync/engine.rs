//! Sync: upload what the remote lacks, in order objects -> catalog snapshot -> header, so
//! a remote never holds a snapshot that names objects it does not have. Idempotent: an
//! object is uploaded once, size-checked, then recorded as confirmed; a run killed at any
//! moment is finished by the next, which finds uploaded-but-unrecorded objects by size.

use super::{RemoteError, RemoteStore, SyncControl, SyncProgress, SyncState, layout};
use crate::catalog::{Item, RemoteConfig};
use crate::header::{Header, Opener};
use crate::store::ObjectStore;
use crate::{Contents, VaultError};
use futures::StreamExt;
use keepsake_crypto::{ObjectId, max_encrypted_len};
use serde::Serialize;
use std::collections::HashMap;
use std::path::PathBuf;

/// Transfers in flight at once.
const PARALLEL: usize = 4;
/// Upload rounds before a sync leaves the snapshot to the next one (each round sends
/// what an import added during the last).
const ROUNDS: usize = 3;

#[derive(Debug, Default, Serialize)]
pub struct SyncReport {
    pub uploaded: u64,
    pub uploaded_bytes: u64,
    /// Already on the remote (confirmed before, or found there by size).
    pub skipped: u64,
    #[serde(serialize_with = "crate::report_json::id_reasons")]
    pub failed: Vec<(ObjectId, String)>,
    pub snapshot: Option<String>,
    /// Stopped by `SyncControl::cancel`; what was confirmed stays confirmed.
    pub cancelled: bool,
    /// The remote held a header changed on another device (a password changed, a device
    /// revoked), now this device's too (with this device's own changes merged onto it).
    pub header_adopted: bool,
    #[serde(flatten)]
    pub log: super::LogTraffic,
}

/// What `check_remote` found.
#[derive(Debug, Default, Serialize)]
pub struct RemoteCheck {
    pub checked: u64,
    #[serde(serialize_with = "crate::report_json::id_problems")]
    pub missing: Vec<(ObjectId, String)>,
    #[serde(serialize_with = "crate::report_json::id_problems")]
    pub damaged: Vec<(ObjectId, String)>,
    #[serde(rename = "header")]
    pub has_header: bool,
    pub snapshots: usize,
}

impl RemoteCheck {
    pub fn is_clean(&self) -> bool {
        self.missing.is_empty() && self.damaged.is_empty() && self.has_header && self.snapshots > 0
    }
}

impl Contents {
    pub fn add_remote(&mut self, remote: RemoteConfig) -> Result<(), VaultError> {
        if self
            .catalog
            .remotes()?
            .iter()
            .any(|r| r.name == remote.name)
        {
            return Err(VaultError::RemoteExists(remote.name));
        }
        self.catalog.add_remote(&remote)
    }

    pub fn remotes(&self) -> Result<Vec<RemoteConfig>, VaultError> {
        self.catalog.remotes()
    }

    pub fn remote(&self, name: &str) -> Result<RemoteConfig, VaultError> {
        self.catalog
            .remotes()?
            .into_iter()
            .find(|r| r.name == name)
            .ok_or_else(|| VaultError::NoSuchRemote(name.to_string()))
    }

    /// The next sync to `name` sends a catalog snapshot whatever the log since the last.
    pub fn want_snapshot(&mut self, name: &str) -> Result<(), VaultError> {
        let remote = self.remote(name)?;
        self.catalog.want_snapshot(&remote.name)
    }

    /// Forgets a remote here. Its data on the remote is left alone.
    pub fn remove_remote(&mut self, name: &str) -> Result<(), VaultError> {
        if self.catalog.remove_remote(name)? {
            Ok(())
        } else {
            Err(VaultError::NoSuchRemote(name.to_string()))
        }
    }

    pub async fn sync(
        &mut self,
        name: &str,
        store: &impl RemoteStore,
        control: &SyncControl,
        progress: &mut (dyn FnMut(&SyncProgress) + Send),
    ) -> Result<SyncReport, VaultError> {
        let remote = self.remote(name)?;
        let mut report = SyncReport::default();
        // Syncing from here: the first thing said to the remote (the pull) can be slow.
        progress(&SyncProgress {
            state: SyncState::Transferring,
            objects_done: 0,
            objects_total: 0,
            bytes_done: 0,
            bytes_total: 0,
            last_error: None,
        });
        // This device's changes are frozen into a segment with their clocks before other
        // devices' are merged: a merge never overwrites an edit made here unrecorded.
        self.record_changes()?;
        // First the header: a key epoch another device started opens its segments.
        report.header_adopted = self.settle_header(&remote.name, store).await?;
        let mut on_remote = self.pull_log(&remote.name, store, &mut report.log).await?;
        // Photos imported while this runs are sent by the next round: the snapshot goes
        // only when it names nothing the remote lacks.
        for round in 0..ROUNDS {
            let (mut state, confirmed_before) = self
                .upload_pending(&remote.name, store, control, progress, &mut report)
                .await?;
            if round == 0 {
                report.skipped += confirmed_before;
            }
            if report.cancelled || !report.failed.is_empty() {
                // No snapshot that names objects the remote may not have.
                return Ok(report);
            }
            state.state = SyncState::Finishing;
            progress(&state);
            self.push_log(&remote.name, store, &mut on_remote, &mut report.log)
                .await?;
            let snapshots = store.list(layout::SNAPSHOTS).await.map_err(remote_error)?;
            // Every change is in the log: a snapshot is only where a new device starts,
            // sent when the log since the last one has grown (not with every photo).
            if snapshots.is_empty() || self.catalog.snapshot_due(&remote.name)? {
                let Some(sealed) = self.seal_snapshot(&remote.name)? else {
                    continue; // more photos came in meanwhile
                };
                store
                    .upload(&sealed.remote_path, &sealed.file)
                    .await
                    .map_err(remote_error)?;
                let size = std::fs::metadata(&sealed.file).map_or(0, |m| m.len());
                report.log.bytes_uploaded += size;
                self.catalog.snapshot_sent(&remote.name, size)?;
                report.snapshot = Some(sealed.remote_path.clone());
            }
            report.header_adopted |= self.settle_header(&remote.name, store).await?;
            state.state = SyncState::Done;
            progress(&state);
            return Ok(report);
        }
        // The library kept growing: what was sent is confirmed, the next sync finishes.
        Ok(report)
    }

    /// Uploads every item not yet confirmed on `remote`, adding to `report`; returns the
    /// last progress and how many items were confirmed before. Stops at the first error
    /// that would fail every other object too (a full remote, refused credentials), and
    /// when cancelled.
    async fn upload_pending(
        &mut self,
        remote: &str,
        store: &impl RemoteStore,
        control: &SyncControl,
        progress: &mut (dyn FnMut(&SyncProgress) + Send),
        report: &mut SyncReport,
    ) -> Result<(SyncProgress, u64), VaultError> {
        let confirmed = self.catalog.confirmed_objects(remote)?;
        let items = self.catalog.items()?;
        let proxies = self.catalog.proxies()?;
        let proxy_store = ObjectStore::proxies(&self.dir);
        // Originals, then the proxies of videos (played from them where the original
        // does not play).
        let objects = items
            .iter()
            .map(|i| (i.id, self.store.path_of(&i.id), layout::object(&i.id)));
        let proxy_objects = proxies
            .iter()
            .map(|(_, p)| (p.id, proxy_store.path_of(&p.id), layout::proxy(&p.id)));
        let all: Vec<_> = objects.chain(proxy_objects).collect();
        let away = self.confirm_away(remote, store, &all, &confirmed).await?;
        let pending: Vec<(ObjectId, PathBuf, String, u64)> = all
            .iter()
            .filter(|(id, _, _)| !confirmed.contains_key(id) && !away.contains(id))
            .map(|(id, local, remote_path)| {
                let size = std::fs::metadata(local).map(|m| m.len()).unwrap_or(0);
                (*id, local.clone(), remote_path.clone(), size)
            })
            .collect();
        let confirmed_before = (all.len() - pending.len()) as u64;
        let mut state = SyncProgress {
            state: SyncState::Transferring,
            objects_done: 0,
            objects_total: pending.len() as u64,
            bytes_done: 0,
            bytes_total: pending.iter().map(|(_, _, _, size)| size).sum(),
            last_error: None,
        };
        progress(&state);

        let jobs = pending
            .iter()
            .map(|(id, local, remote_path, _)| async move {
                if !control.gate().await {
                    return (*id, None);
                }
                let result = control
                    .patiently(|| upload_object(store, remote_path, local.clone()))
                    .await;
                if let Ok((size, true)) = &result {
                    control.throttle(*size).await;
                }
                (*id, Some(result))
            });
        let mut results = futures::stream::iter(jobs).buffer_unordered(PARALLEL);
        let mut stopped_by = None;
        while let Some((id, result)) = results.next().await {
            match result {
                None => continue, // cancelled before it started
                Some(Ok((size, uploaded))) => {
                    if self.catalog.confirm_object(remote, &id, size).is_err()
                        && self.remote(remote).is_err()
                    {
                        // Removed while this ran: nothing more to send it.
                        report.cancelled = true;
                        return Ok((state, confirmed_before));
                    }
                    if uploaded {
                        report.uploaded += 1;
                        report.uploaded_bytes += size;
                        report.log.bytes_uploaded += size;
                    } else {
                        report.skipped += 1;
                    }
                    state.bytes_done += size;
                }
                Some(Err(e)) if e.stops_a_sync() => {
                    stopped_by = Some(e);
                    break;
                }
                // Purged from the trash while this ran: not a failure, nothing to send.
                Some(Err(_)) if !self.still_listed(&id)? => {}
                Some(Err(e)) => {
                    state.last_error = Some(e.to_string());
                    report.failed.push((id, e.to_string()));
                }
            }
            state.objects_done += 1;
            state.state = control.state();
            progress(&state);
        }
        // Dropping the stream abandons uploads in flight: none was confirmed, so none is
        // recorded, and the next sync sends them again.
        drop(results);
        if let Some(e) = stopped_by {
            return Err(VaultError::Remote(format!(
                "{e}; stopped after {} of {} objects (the rest stay pending)",
                report.uploaded + report.skipped,
                all.len()
            )));
        }
        if control.is_cancelled() {
            report.cancelled = true;
            state.state = SyncState::Cancelled;
            progress(&state);
        }
        Ok((state, confirmed_before))
    }

    /// On a device keeping originals on demand, the originals not here that `remote` is
    /// not confirmed to hold: this device cannot send them. Each the remote lists (another
    /// device sent it) is confirmed by its size; the rest wait for a device that has them.
    async fn confirm_away(
        &mut self,
        remote: &str,
        store: &impl RemoteStore,
        all: &[(ObjectId, PathBuf, String)],
        confirmed: &HashMap<ObjectId, u64>,
    ) -> Result<Vec<ObjectId>, VaultError> {
        if self.catalog.originals_on_demand()?.is_none() {
            return Ok(Vec::new());
        }
        let mut away = Vec::new();
        for (id, local, remote_path) in all {
            if confirmed.contains_key(id) || local.exists() {
                continue;
            }
            away.push(*id);
            if let Some(size) = store.size(remote_path).await.map_err(remote_error)? {
                self.catalog.confirm_object(remote, id, size)?;
            }
        }
        Ok(away)
    }

    /// Whether object `id` is still an original or a proxy the catalog lists.
    fn still_listed(&self, id: &ObjectId) -> Result<bool, VaultError> {
        Ok(self.catalog.item(id)?.is_some()
            || self.catalog.proxies()?.iter().any(|(_, p)| p.id == *id))
    }

    /// Settles the header with the remote's (docs/FORMAT.md sections 3.10 and 3.11):
    /// uploads this device's, adopts the remote's, or merges the two, learning the keys
    /// of a key epoch another device started. True when the local header changed.
    async fn settle_header(
        &mut self,
        remote: &str,
        store: &impl RemoteStore,
    ) -> Result<bool, VaultError> {
        let local = Header::load(&self.dir)?;
        // Another session of this vault may have started a key epoch since this one began.
        if !self.adopt_keys_of(&local) {
            return Err(VaultError::KeyChangedElsewhere);
        }
        let base = self
            .catalog
            .header_base(remote)?
            .and_then(|text| Header::parse(&text).ok());
        let (settled, keys) = match self.remote_header(store, &local.body.vault_id).await? {
            // None there, damaged, or another vault's: replaced.
            None => (local.clone(), None),
            Some(theirs) if theirs.same_as(&local) => {
                self.catalog.set_header_base(remote, &local.to_text()?)?;
                return Ok(false);
            }
            Some(theirs) if theirs.is_sealed_by(self.key.current()) => {
                let settled = match &base {
                    Some(base)
                        if theirs.same_as(base)
                            || theirs.body.generation < base.body.generation =>
                    {
                        local.clone()
                    }
                    Some(base) => local.merged_with(&theirs, base, self.key.current())?,
                    // No base (a header synced before bases were kept): the devices theirs
                    // has or lacks count as its changes.
                    None => local.merged_with(&theirs, &local, self.key.current())?,
                };
                (settled, None)
            }
            // An earlier epoch's: this device started a later one, which that header's
            // changes (a device remembered there) cannot reach without their secrets.
            Some(theirs) if theirs.sealing_key(&self.key).is_some() => (local.clone(), None),
            // A later epoch another device started: its password (or this device's) slot
            // opens with this session's secret, which also shows who made it.
            Some(theirs) => match theirs.open_with(&self.opener) {
                Ok(keys) if keys.extends(&self.key) => (theirs, Some(keys)),
                Ok(keys) if keys.root().expose() == self.key.root().expose() => {
                    let Opener::Password(kek) = &self.opener else {
                        // A device slot never outlives a key epoch.
                        theirs.save_next(&self.dir)?;
                        return Err(VaultError::KeyChangedElsewhere);
                    };
                    // Both devices changed the key between syncs: one more epoch, both keys.
                    let (merged, keys) =
                        theirs.merged_keys(&keys, &self.key, local.body.generation, kek)?;
                    (merged, Some(keys))
                }
                _ => {
                    theirs.save_next(&self.dir)?;
                    return Err(VaultError::KeyChangedElsewhere);
                }
            },
        };
        let changed = !settled.same_as(&local);
        if changed {
            let writing = self.header_writes_owned();
            let _writing = writing.lock().unwrap_or_else(|p| p.into_inner());
            // Not over a header this vault's session wrote meanwhile (a new password): the
            // next sync settles that one.
            if !Header::load(&self.dir)?.same_as(&local) {
                return Ok(false);
            }
            settled.save(&self.dir)?;
            Header::remove_next(&self.dir);
            // Keys change only once a header holding them is saved: nothing is ever
            // sealed under a key no header keeps.
            if let Some(keys) = keys {
                self.key = keys;
            }
        }
        let text = settled.to_text()?;
        store
            .put(layout::HEADER, text.clone().into_bytes())
            .await
            .map_err(remote_error)?;
        self.catalog.set_header_base(remote, &text)?;
        Ok(changed)
    }

    /// The remote's header when it is one of this vault's (its MAC is checked by the
    /// caller, against the key epochs it knows); None when there is none, or it is
    /// damaged or another vault's.
    async fn remote_header(
        &self,
        store: &impl RemoteStore,
        vault_id: &str,
    ) -> Result<Option<Header>, VaultError> {
        // Fetched only if it could be a header: a remote cannot make sync read gigabytes.
        let bytes = match store.size(layout::HEADER).await.map_err(remote_error)? {
            Some(len) if len <= Header::MAX_LEN => match store.get(layout::HEADER).await {
                Ok(bytes) => bytes,
                Err(RemoteError::NotFound(_)) => return Ok(None),
                Err(e) => return Err(remote_error(e)),
            },
            _ => return Ok(None),
        };
        Ok(Header::parse(&String::from_utf8_lossy(&bytes))
            .ok()
            .filter(|header| header.body.vault_id == vault_id))
    }

    /// Compares the remote with the catalog: every object present with its size, a header
    /// and a snapshot. `deep` downloads each object and authenticates it.
    pub async fn check_remote(
        &self,
        store: &impl RemoteStore,
        deep: bool,
    ) -> Result<RemoteCheck, VaultError> {
        let mut check = RemoteCheck::default();
        let listed: HashMap<String, u64> = store
            .list(layout::OBJECTS)
            .await
            .map_err(remote_error)?
            .into_iter()
            .collect();
        check.has_header = store
            .size(layout::HEADER)
            .await
            .map_err(remote_error)?
            .is_some();
        check.snapshots = store
            .list(layout::SNAPSHOTS)
            .await
            .map_err(remote_error)?
            .len();
        let items = self.catalog.items()?;
        let scratch = self.dir.join("tmp");
        for item in &items {
            check.checked += 1;
            let path = layout::object(&item.id);
            let local_size = std::fs::metadata(self.store.path_of(&item.id))
                .map(|m| m.len())
                .ok();
            match listed.get(&path) {
                None => check
                    .missing
                    .push((item.id, format!("{} is not on the remote", item.name))),
                Some(size) if Some(*size) != local_size && local_size.is_some() => {
                    check.damaged.push((
                        item.id,
                        format!(
                            "{}: remote size {size}, local {}",
                            item.name,
                            local_size.unwrap_or(0)
                        ),
                    ))
                }
                Some(_) if deep => {
                    if let Err(problem) = self.check_remote_object(store, item, &scratch).await {
                        check
                            .damaged
                            .push((item.id, format!("{}: {problem}", item.name)));
                    }
                }
                Some(_) => {}
            }
        }
        Ok(check)
    }

    /// Replaces damaged or missing local objects with authentic copies from a remote.
    /// Returns, per id, whether it was repaired (or why not).
    pub async fn repair_from_remote(
        &mut self,
        store: &impl RemoteStore,
        ids: &[ObjectId],
    ) -> Result<Vec<(ObjectId, Result<(), String>)>, VaultError> {
        let mut results = Vec::new();
        for id in ids {
            let Some(item) = self.catalog.item(id)? else {
                results.push((*id, Err("not in the catalog".to_string())));
                continue;
            };
            let tmp = self.dir.join("tmp").join(format!("{id}.repair"));
            let max_len = max_encrypted_len(item.size);
            let fetched = match store.download(&layout::object(id), &tmp, max_len).await {
                Ok(_) => self.authenticate_file(&tmp, &item),
                Err(e) => Err(e.to_string()),
            };
            let placed =
                fetched.and_then(|()| self.store.place(&tmp, id).map_err(|e| e.to_string()));
            if placed.is_err() {
                let _ = std::fs::remove_file(&tmp);
            }
            results.push((*id, placed));
        }
        Ok(results)
    }

    /// Re-uploads objects a remote lacks or holds damaged, from authentic local copies.
    pub async fn repair_remote(
        &mut self,
        name: &str,
        store: &impl RemoteStore,
        ids: &[ObjectId],
    ) -> Result<Vec<(ObjectId, Result<(), String>)>, VaultError> {
        let remote = self.remote(name)?;
        let mut results = Vec::new();
        for id in ids {
            let Some(item) = self.catalog.item(id)? else {
                results.push((*id, Err("not in the catalog".to_string())));
                continue;
            };
            let local = self.store.path_of(id);
            let outcome = match self.authenticate_file(&local, &item) {
                Err(problem) => Err(format!("the local copy is damaged too: {problem}")),
                Ok(()) => {
                    let size = std::fs::metadata(&local).map(|m| m.len()).unwrap_or(0);
                    match store.upload(&layout::object(id), &local).await {
                        Ok(())
                            if store.size(&layout::object(id)).await.ok().flatten()
                                == Some(size) =>
                        {
                            self.catalog.confirm_object(&remote.name, id, size)?;
                            Ok(())
                        }
                        Ok(()) => Err("the re-upload was not confirmed".to_string()),
                        Err(e) => Err(e.to_string()),
                    }
                }
            };
            results.push((*id, outcome));
        }
        Ok(results)
    }

    async fn check_remote_object(
        &self,
        store: &impl RemoteStore,
        item: &Item,
        scratch: &std::path::Path,
    ) -> Result<(), String> {
        let tmp = scratch.join(format!("{}.check", item.id));
        let downloaded = store
            .download(
                &layout::object(&item.id),
                &tmp,
                max_encrypted_len(item.size),
            )
            .await;
        let verdict = match downloaded {
            Ok(_) => self.authenticate_file(&tmp, item),
            Err(e) => Err(e.to_string()),
        };
        let _ = std::fs::remove_file(&tmp);
        verdict
    }
}

/// Uploads one object (or proxy) to `path` unless the remote already has it whole.
/// Returns its size and whether it was sent now.
async fn upload_object(
    store: &impl RemoteStore,
    path: &str,
    local: PathBuf,
) -> Result<(u64, bool), RemoteError> {
    let size = tokio::fs::metadata(&local).await?.len();
    if store.size(path).await? == Some(size) {
        return Ok((size, false));
    }
    store.upload(path, &local).await?;
    match store.size(path).await? {
        Some(stored) if stored == size => Ok((size, true)),
        other => Err(RemoteError::Other(format!(
            "upload of {path} not confirmed: the remote holds {} bytes of {size}",
            other.unwrap_or(0)
        ))),
    }
}

pub(crate) fn remote_error(e: RemoteError) -> VaultError {
    VaultError::Remote(e.to_string())
}

//! Prune: deletes from a remote what the library no longer needs, once it has not needed
//! it for the retention period (the version history). Only what this catalog knows to be
//! garbage goes (docs/FORMAT.md, schema 17): an object it never heard of may be another
//! device's photo whose segment is still on its way.

use super::engine::remote_error;
use super::snapshot::snapshot_id;
use super::{RemoteStore, SyncControl, SyncProgress, SyncReport, layout};
use crate::{Contents, VaultError};
use serde::Serialize;
use std::time::Duration;

/// How long a purged photo stays on a remote, restorable, unless the user says otherwise.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(30 * 86_400);

#[derive(Debug, Default, Serialize)]
pub struct PruneReport {
    /// The sync that ran first, so that every device learns of a purge before its objects go.
    pub sync: SyncReport,
    /// False when that sync did not finish (cancelled, an upload failed, or the library
    /// kept growing): nothing was deleted, the next prune does it.
    pub swept: bool,
    pub files_deleted: u64,
    pub bytes_deleted: u64,
    pub snapshots_deleted: u64,
    /// Garbage still within its retention: files, and their plaintext bytes where known.
    pub files_waiting: u64,
    pub bytes_waiting: u64,
    /// Why deleting stopped (a remote that refuses deletes, say); the sync before it
    /// finished.
    pub sweep_error: Option<String>,
}

impl Contents {
    /// Syncs with remote `name`, then deletes there the garbage older than `retention`
    /// and the catalog snapshots older than it except the newest.
    pub async fn prune(
        &mut self,
        name: &str,
        store: &impl RemoteStore,
        retention: Duration,
        control: &SyncControl,
        progress: &mut (dyn FnMut(&SyncProgress) + Send),
    ) -> Result<PruneReport, VaultError> {
        let remote = self.remote(name)?;
        let cutoff_ms = jiff::Timestamp::now()
            .as_millisecond()
            .saturating_sub(i64::try_from(retention.as_millis()).unwrap_or(i64::MAX));
        // The snapshot where new devices start must not hold what goes, thumbnails
        // included: a new one goes up with this sync unless the newest was taken after the
        // last of it stopped being used.
        let snapshot_needed = match self.catalog.garbage_due_since(&remote.name, cutoff_ms)? {
            Some(since) => {
                let newest = newest_snapshot(store).await?;
                newest.as_deref().and_then(snapshot_millis) < Some(since)
            }
            None => false,
        };
        if snapshot_needed {
            self.catalog.want_snapshot(&remote.name)?;
        }
        let sync = self.sync(name, store, control, progress).await?;
        let finished = !sync.cancelled
            && sync.failed.is_empty()
            && (!snapshot_needed || sync.snapshot.is_some());
        let mut report = PruneReport {
            sync,
            swept: finished,
            ..PruneReport::default()
        };
        if finished
            && let Err(e) = self
                .sweep(&remote.name, store, cutoff_ms, control, &mut report)
                .await
        {
            // The sync's report stands (another device's changes were merged); what
            // could not be deleted is deleted by a later prune.
            report.swept = false;
            report.sweep_error = Some(e.to_string());
        }
        (report.files_waiting, report.bytes_waiting) =
            self.catalog.garbage_waiting(&remote.name)?;
        Ok(report)
    }

    async fn sweep(
        &mut self,
        remote: &str,
        store: &impl RemoteStore,
        cutoff_ms: i64,
        control: &SyncControl,
        report: &mut PruneReport,
    ) -> Result<(), VaultError> {
        for path in self.catalog.garbage_due(remote, cutoff_ms)? {
            if control.is_cancelled() {
                report.swept = false;
                return Ok(());
            }
            // A photo brought back uses its objects again.
            let deleted = !self.catalog.references(&path)?;
            if deleted {
                let size = store.size(&path).await.map_err(remote_error)?;
                store.delete(&path).await.map_err(remote_error)?;
                if let Some(size) = size {
                    report.files_deleted += 1;
                    report.bytes_deleted += size;
                }
            }
            self.catalog.garbage_settled(remote, &path, deleted)?;
        }
        let mut snapshots: Vec<(String, u64)> = store
            .list(layout::SNAPSHOTS)
            .await
            .map_err(remote_error)?
            .into_iter()
            .filter(|(path, _)| snapshot_id(path).is_some())
            .collect();
        snapshots.sort();
        // The newest is where a new device starts, however old it is; the one this sync
        // sent is known whole (a newer name may be another device's, or a wrong clock's).
        snapshots.pop();
        let sent = report.sync.snapshot.clone();
        for (path, size) in snapshots {
            if Some(&path) != sent.as_ref()
                && snapshot_millis(&path).is_some_and(|ms| ms < cutoff_ms)
            {
                store.delete(&path).await.map_err(remote_error)?;
                report.snapshots_deleted += 1;
                report.bytes_deleted += size;
            }
        }
        Ok(())
    }
}

/// When a snapshot was taken, from its name (`catalog/<20-digit ms>-<id>`).
fn snapshot_millis(path: &str) -> Option<i64> {
    path.strip_prefix(layout::SNAPSHOTS)?
        .get(..20)?
        .parse()
        .ok()
}

/// The name of the newest catalog snapshot on `store`, if any.
async fn newest_snapshot(store: &impl RemoteStore) -> Result<Option<String>, VaultError> {
    Ok(store
        .list(layout::SNAPSHOTS)
        .await
        .map_err(remote_error)?
        .into_iter()
        .map(|(path, _)| path)
        .filter(|path| snapshot_id(path).is_some())
        .max())
}

//! The change log (docs/FORMAT.md, schema 16): one library on every device. Each device
//! appends its own segments below `log/<device>/`; pulling merges every other device's
//! new segments (checked against their names and the chain before them), pushing sends
//! renditions and then this device's pending segments.

mod clock;
pub mod segment;

pub use clock::Clock;
pub use segment::Segment;

use super::engine::remote_error;
use super::{RemoteStore, layout};
use crate::catalog::{HeldSegment, ObjectRef, WantedOriginal, WantedRendition};
use crate::{Contents, VaultError};
use futures::StreamExt;
use keepsake_crypto::{
    DEFAULT_CHUNK_LOG2, ObjectId, ObjectWriter, decrypt_object, encrypted_len, max_encrypted_len,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};

/// One change: the new value of one register.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Op {
    pub hlc: String,
    pub entity: String,
    pub field: String,
    pub value: Value,
}

/// What a sync or a restore moved through the change log.
#[derive(Debug, Default, Serialize)]
pub struct LogTraffic {
    /// Every byte sent: originals, renditions, segments, snapshot.
    pub bytes_uploaded: u64,
    /// Every byte fetched: segments, originals and renditions of other devices' photos.
    pub bytes_downloaded: u64,
    /// This device's changes sent in segments.
    pub changes_sent: u64,
    /// Other devices' changes merged here.
    pub changes_merged: u64,
    /// Photos other devices added, now here.
    pub photos_received: u64,
    /// Photos other devices emptied from the trash, now gone here.
    pub photos_removed: u64,
}

/// Which segments of each device's log a remote holds, with their sizes.
pub(crate) type RemoteLog = BTreeMap<String, BTreeMap<u64, u64>>;

/// Transfers in flight at once.
const PARALLEL: usize = 8;
/// The largest rendition object fetched (a preview is a few hundred KB).
const MAX_RENDITION: u64 = 32 << 20;

fn log_error(what: String) -> VaultError {
    VaultError::Remote(format!("the remote's change log: {what}"))
}

impl Contents {
    /// Turns what changed here since the last sync into the next segment to send.
    pub(crate) fn record_changes(&mut self) -> Result<(), VaultError> {
        let now = jiff::Timestamp::now().as_millisecond().max(0) as u64;
        self.catalog.record_changes(now)?;
        Ok(())
    }

    /// Merges every other device's segments that are new here, and returns which
    /// segments the remote holds (what `push_log` then completes).
    pub(crate) async fn pull_log(
        &mut self,
        remote: &str,
        store: &impl RemoteStore,
        traffic: &mut LogTraffic,
    ) -> Result<RemoteLog, VaultError> {
        let me = self.catalog.sync_device()?.device;
        let mut on_remote = RemoteLog::new();
        for (path, size) in store.list(layout::LOG).await.map_err(remote_error)? {
            if let Some((device, seq)) = segment::parse_name(&path) {
                on_remote.entry(device).or_default().insert(seq, size);
            }
        }
        let top = |device: &str| {
            on_remote
                .get(device)
                .and_then(|s| s.keys().next_back().copied())
        };
        let now = jiff::Timestamp::now().as_millisecond().max(0) as u64;
        for (device, seen) in self.catalog.remote_log_tops(remote)? {
            if top(&device).unwrap_or(0) < seen {
                return Err(log_error(format!(
                    "device {device}'s log ends at segment {}, but segment {seen} was seen                      there before: the remote was rolled back or segments were withheld",
                    top(&device).unwrap_or(0)
                )));
            }
        }
        let heads = self.catalog.log_heads()?;
        let mut segments = Vec::new();
        let mut fetched = Vec::new();
        for (device, seqs) in &on_remote {
            if device == &me {
                continue;
            }
            let (held, hash) = heads.get(device).cloned().unwrap_or((0, String::new()));
            let last = seqs.keys().next_back().copied().unwrap_or(0);
            let mut prev = (held > 0).then_some(hash);
            for seq in held + 1..=last {
                let name = segment::name(device, seq);
                if !seqs.contains_key(&seq) {
                    return Err(log_error(format!("{name} is missing")));
                }
                let sealed = self
                    .fetch_small(store, &name, segment::MAX_SEALED)
                    .await
                    .map_err(|e| log_error(format!("{name} cannot be fetched ({e})")))?;
                traffic.bytes_downloaded += sealed.len() as u64;
                let opened = segment::open(&name, &sealed, &self.key)
                    .map_err(|why| log_error(format!("{name} is refused: {why}")))?;
                if opened.segment.prev != prev {
                    return Err(log_error(format!(
                        "{name} does not follow the segment before it: reordered or replaced"
                    )));
                }
                if let Some(op) = opened
                    .segment
                    .ops
                    .iter()
                    .find(|op| !Clock::is_valid(&op.hlc, device, now))
                {
                    return Err(log_error(format!(
                        "{name} is refused: a change clocked {:?}, not by its device or \
                         more than a day ahead",
                        op.hlc
                    )));
                }
                prev = Some(opened.hash.clone());
                fetched.push(HeldSegment {
                    device: device.clone(),
                    seq,
                    hash: opened.hash,
                    zipped: opened.zipped,
                });
                segments.push(opened.segment);
            }
        }
        for segment in &segments {
            for (device, seen) in &segment.seen {
                let here = heads.get(device).map_or(0, |(seq, _)| *seq);
                if top(device).unwrap_or(0).max(here) < *seen {
                    return Err(log_error(format!(
                        "{} had merged segment {seen} of device {device}, which neither the \
                         remote nor this device holds: withheld",
                        segment::name(&segment.device, segment.seq)
                    )));
                }
            }
        }
        let mut ops: Vec<Op> = segments.into_iter().flat_map(|s| s.ops).collect();
        ops.sort_by(|a, b| a.hlc.cmp(&b.hlc));
        let placed = self.fetch_originals(remote, store, &ops, traffic).await?;
        let listable: HashSet<ObjectId> = placed.iter().copied().collect();
        let merged = match self.catalog.merge(&ops, &fetched, &listable, now) {
            Ok(merged) => merged,
            Err(e) => {
                for id in placed {
                    let _ = self.store.remove(&id);
                }
                return Err(e);
            }
        };
        for id in &merged.purged {
            // The catalog no longer lists it: a leftover file is only unlisted.
            let _ = self.store.remove(id);
        }
        for (device, seqs) in &on_remote {
            if let Some(last) = seqs.keys().next_back() {
                self.catalog.set_remote_log_top(remote, device, *last)?;
            }
        }
        traffic.changes_merged += merged.applied as u64;
        traffic.photos_received += merged.added.len() as u64;
        traffic.photos_removed += merged.purged.len() as u64;
        self.fetch_renditions(remote, store, traffic).await?;
        Ok(on_remote)
    }

    /// A small file from the remote, refused before it is fetched if listed larger.
    async fn fetch_small(
        &self,
        store: &impl RemoteStore,
        path: &str,
        max: u64,
    ) -> Result<Vec<u8>, VaultError> {
        match store.size(path).await.map_err(remote_error)? {
            Some(len) if len > max => Err(log_error(format!(
                "{path} is {len} bytes, more than it can be: not fetched"
            ))),
            _ => store.get(path).await.map_err(remote_error),
        }
    }

    /// Fetches and authenticates the originals of photos other devices added (for a file
    /// listed under several ids, the first that the remote holds); returns them (placed,
    /// not yet listed). On any failure none stays and nothing is merged. A device keeping
    /// originals on demand only sees that the remote lists each, and fetches it when it
    /// is needed.
    async fn fetch_originals(
        &mut self,
        remote: &str,
        store: &impl RemoteStore,
        ops: &[Op],
        traffic: &mut LogTraffic,
    ) -> Result<Vec<ObjectId>, VaultError> {
        let groups = self.catalog.originals_to_fetch(ops)?;
        let on_demand = self.catalog.originals_on_demand()?.is_some();
        let this = &*self;
        let jobs = groups.iter().map(|group| async move {
            let mut last_problem = String::new();
            for wanted in group {
                let found = if on_demand {
                    listed_original(store, wanted).await
                } else {
                    this.fetch_original(store, wanted).await
                };
                match found {
                    Ok(len) => return Ok((wanted.id, len)),
                    Err(problem) => last_problem = format!("photo {}: {problem}", wanted.id),
                }
            }
            Err(last_problem)
        });
        let results: Vec<_> = futures::stream::iter(jobs)
            .buffer_unordered(PARALLEL)
            .collect()
            .await;
        let mut placed = Vec::new();
        let mut failed = None;
        for result in results {
            match result {
                Ok((id, len)) => {
                    if !on_demand {
                        traffic.bytes_downloaded += len;
                    }
                    placed.push((id, len));
                }
                Err(why) => failed = Some(why),
            }
        }
        if let Some(why) = failed {
            for (id, _) in &placed {
                let _ = self.store.remove(id);
            }
            return Err(log_error(format!(
                "an added photo cannot be fetched ({why})"
            )));
        }
        for (id, len) in &placed {
            self.catalog.confirm_object(remote, id, *len)?;
        }
        Ok(placed.into_iter().map(|(id, _)| id).collect())
    }

    /// One original, downloaded, authenticated and placed; returns its stored size.
    async fn fetch_original(
        &self,
        store: &impl RemoteStore,
        wanted: &WantedOriginal,
    ) -> Result<u64, String> {
        let tmp = self.dir.join("tmp").join(format!("{}.pull", wanted.id));
        let object = ObjectRef {
            id: wanted.id,
            size: wanted.size,
            content_hash: wanted.content_hash,
        };
        let placed = match store
            .download(
                &layout::object(&wanted.id),
                &tmp,
                max_encrypted_len(wanted.size),
            )
            .await
        {
            Ok(len) => crate::verify::authenticate(&self.key, &tmp, &object)
                .and_then(|()| {
                    self.store
                        .place(&tmp, &wanted.id)
                        .map_err(|e| e.to_string())
                })
                .map(|()| len),
            Err(e) => Err(e.to_string()),
        };
        if placed.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        placed
    }

    /// Fetches the thumbnails and previews other devices made. One that cannot be fetched
    /// is tried again at the next sync (the tile shows without it meanwhile).
    async fn fetch_renditions(
        &mut self,
        remote: &str,
        store: &impl RemoteStore,
        traffic: &mut LogTraffic,
    ) -> Result<(), VaultError> {
        let wanted = self.catalog.renditions_to_fetch()?;
        let this = &*self;
        let jobs = wanted.into_iter().map(|w: WantedRendition| async move {
            let fetched = this
                .fetch_small(store, &layout::rendition(&w.object), MAX_RENDITION)
                .await;
            (w, fetched)
        });
        let results: Vec<_> = futures::stream::iter(jobs)
            .buffer_unordered(PARALLEL)
            .collect()
            .await;
        for (wanted, fetched) in results {
            let Ok(sealed) = fetched else { continue };
            traffic.bytes_downloaded += sealed.len() as u64;
            let mut jpeg = Vec::new();
            if decrypt_object(&sealed[..], &mut jpeg, &self.key, Some(&wanted.object)).is_err() {
                continue;
            }
            self.catalog.store_synced_rendition(&wanted, &jpeg)?;
            self.catalog
                .confirm_object(remote, &wanted.object, sealed.len() as u64)?;
        }
        Ok(())
    }

    /// Sends the renditions the remote lacks, then the segments it lacks.
    pub(crate) async fn push_log(
        &mut self,
        remote: &str,
        store: &impl RemoteStore,
        on_remote: &mut RemoteLog,
        traffic: &mut LogTraffic,
    ) -> Result<(), VaultError> {
        let me = self.catalog.sync_device()?.device;
        let unsent = self.catalog.renditions_to_send(remote)?;
        for batch in unsent.chunks(64) {
            let mut sealed = Vec::new();
            for (item, kind, object) in batch {
                let Some(jpeg) = self.catalog.rendition_jpeg(item, kind)? else {
                    continue;
                };
                let seal_error =
                    |e| VaultError::from_object_write("sealing a thumbnail for the remote", e);
                let mut writer =
                    ObjectWriter::new(Vec::new(), &self.key, *object).map_err(seal_error)?;
                writer
                    .write_from(&mut &jpeg[..], |_| {})
                    .map_err(seal_error)?;
                sealed.push((*object, writer.finish().map_err(seal_error)?));
            }
            let jobs = sealed.into_iter().map(|(object, bytes)| async move {
                let len = bytes.len() as u64;
                let path = layout::rendition(&object);
                let sent = store.put(&path, bytes).await;
                (object, len, sent)
            });
            let results: Vec<_> = futures::stream::iter(jobs)
                .buffer_unordered(PARALLEL)
                .collect()
                .await;
            for (object, len, sent) in results {
                sent.map_err(remote_error)?;
                self.catalog.confirm_object(remote, &object, len)?;
                traffic.bytes_uploaded += len;
            }
        }
        // Every segment held here that the remote lacks, this device's and those of others
        // (a remote only one of them syncs with still gets the whole library), in order.
        for (device, seqs) in self.catalog.held_segments()? {
            for seq in seqs {
                let name = segment::name(&device, seq);
                let zipped = self.catalog.segment_zipped(&device, seq)?;
                // Held whole already (a put cut short leaves a shorter file: sent again).
                let whole = encrypted_len(zipped.len() as u64, DEFAULT_CHUNK_LOG2);
                if on_remote.get(&device).and_then(|s| s.get(&seq)) == Some(&whole) {
                    continue;
                }
                let sealed = segment::seal(&zipped, &self.key)?;
                let len = sealed.len() as u64;
                store.put(&name, sealed).await.map_err(remote_error)?;
                if store.size(&name).await.map_err(remote_error)? != Some(len) {
                    return Err(log_error(format!("the upload of {name} was not confirmed")));
                }
                self.catalog.set_remote_log_top(remote, &device, seq)?;
                self.catalog.log_sent(remote, len)?;
                on_remote
                    .entry(device.clone())
                    .or_default()
                    .insert(seq, len);
                traffic.bytes_uploaded += len;
                if device == me {
                    traffic.changes_sent += segment::unzip(&zipped)
                        .ok()
                        .and_then(|json| serde_json::from_slice::<Segment>(&json).ok())
                        .map_or(0, |s| s.ops.len() as u64);
                }
            }
        }
        Ok(())
    }
}

/// The size the remote lists for a wanted original, when it lists one that can be it.
async fn listed_original(store: &impl RemoteStore, wanted: &WantedOriginal) -> Result<u64, String> {
    match store.size(&layout::object(&wanted.id)).await {
        Ok(Some(len)) if len <= max_encrypted_len(wanted.size) => Ok(len),
        Ok(Some(len)) => Err(format!("the remote lists {len} bytes, more than it can be")),
        Ok(None) => Err("not on the remote".into()),
        Err(e) => Err(e.to_string()),
    }
}

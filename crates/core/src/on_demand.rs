//! Originals on demand (docs/FORMAT.md, schema 18): a device that keeps its originals on
//! its remotes fetches one when something needs its bytes, keeps what it fetched up to a
//! limit, and frees space only for originals a remote is seen to hold intact.

use crate::sync::{RemoteStore, layout};
use crate::{Contents, VaultError};
use keepsake_crypto::{ObjectId, max_encrypted_len};
use serde::Serialize;

/// What `free_up_space` did with one remote's copies.
#[derive(Debug, Default, Serialize)]
pub struct FreedSpace {
    /// Local originals deleted, each after its copy on the remote authenticated.
    pub freed: u64,
    pub bytes: u64,
    /// Originals kept here: not on this remote yet, or its copy did not authenticate
    /// (named, as for `verify`).
    pub kept: u64,
    #[serde(serialize_with = "crate::report_json::id_reasons")]
    pub refused: Vec<(ObjectId, String)>,
}

impl Contents {
    /// Keep originals on demand, with fetched ones kept up to `cache_limit` bytes, or
    /// (None) keep them all; then every missing original is fetched by the caller.
    pub fn set_originals_on_demand(&mut self, cache_limit: Option<u64>) -> Result<(), VaultError> {
        self.catalog.set_originals_on_demand(cache_limit)
    }

    /// The cache limit in bytes when this device keeps originals on demand; None when it
    /// keeps them all.
    pub fn originals_on_demand(&self) -> Result<Option<u64>, VaultError> {
        self.catalog.originals_on_demand()
    }

    /// Which of `ids` are listed items whose original is not on this device.
    pub fn originals_away(&self, ids: &[ObjectId]) -> Result<Vec<ObjectId>, VaultError> {
        let mut away = Vec::new();
        for id in ids {
            if !self.store.path_of(id).exists() && self.catalog.item(id)?.is_some() {
                away.push(*id);
            }
        }
        Ok(away)
    }

    /// Notes that the originals of `fetched` were just fetched (they join the cache) and
    /// those of `needed` were just needed (the cached ones among them are used again),
    /// then deletes the least recently used cached ones beyond the cache limit, never one
    /// of `needed`. An original that was here before, imported or kept, never joins the
    /// cache: only "Free up space", after a deep check, removes it. Returns how many
    /// were deleted.
    pub fn originals_used(
        &mut self,
        fetched: &[ObjectId],
        needed: &[ObjectId],
    ) -> Result<u64, VaultError> {
        let Some(limit) = self.catalog.originals_on_demand()? else {
            return Ok(0);
        };
        let now = jiff::Timestamp::now().as_millisecond();
        self.catalog.cache_used(fetched, needed, now)?;
        let mut dropped = 0;
        for id in self.catalog.cache_overflow(limit)? {
            if needed.contains(&id) {
                continue;
            }
            self.drop_original(&id)?;
            dropped += 1;
        }
        Ok(dropped)
    }

    /// Deletes the local copy of every original that remote `name` holds intact and every
    /// other remote holds too (a remote still waiting for it would never get it): each is
    /// downloaded from `name` and authenticated first. A copy that does not authenticate
    /// is no longer counted as on `name` (`verify --remote NAME --repair` sends it again).
    /// The device keeps originals on demand from now on (with `cache_limit` when it kept
    /// them all).
    pub async fn free_up_space(
        &mut self,
        name: &str,
        store: &impl RemoteStore,
        cache_limit: u64,
        progress: &mut (dyn FnMut(u64, u64) + Send),
    ) -> Result<FreedSpace, VaultError> {
        let remote = self.remote(name)?;
        if self.catalog.originals_on_demand()?.is_none() {
            self.catalog.set_originals_on_demand(Some(cache_limit))?;
        }
        let items = self.catalog.items()?;
        let mut report = FreedSpace::default();
        let scratch = self.dir.join("tmp");
        let total = items.len() as u64;
        for (done, item) in items.iter().enumerate() {
            progress(done as u64, total);
            let local = self.store.path_of(&item.id);
            let Ok(meta) = std::fs::metadata(&local) else {
                continue; // away already
            };
            if !self.catalog.confirmed_everywhere(&item.id)? {
                report.kept += 1;
                continue;
            }
            let tmp = scratch.join(format!("{}.free", item.id));
            let checked = match store
                .download(
                    &layout::object(&item.id),
                    &tmp,
                    max_encrypted_len(item.size),
                )
                .await
            {
                Ok(_) => self.authenticate_file(&tmp, item),
                Err(e) => Err(e.to_string()),
            };
            let _ = std::fs::remove_file(&tmp);
            match checked {
                Ok(()) => {
                    self.drop_original(&item.id)?;
                    report.freed += 1;
                    report.bytes += meta.len();
                }
                Err(problem) => {
                    self.catalog.unconfirm_object(&remote.name, &item.id)?;
                    report.kept += 1;
                    report.refused.push((item.id, problem));
                }
            }
        }
        progress(total, total);
        Ok(report)
    }

    fn drop_original(&mut self, id: &ObjectId) -> Result<(), VaultError> {
        match self.store.remove(id) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(VaultError::io(format!("removing the original {id}"), e)),
        }
        self.catalog.uncache(id)
    }
}

//! Originals on demand (docs/FORMAT.md, schema 18): whether this device keeps every
//! original, and which originals it fetched when they were needed.

use super::{Catalog, parse_id};
use crate::VaultError;
use keepsake_crypto::ObjectId;
use rusqlite::{OptionalExtension, params};
use std::collections::HashSet;

impl Catalog {
    /// The cache limit in bytes when this device keeps originals on demand; None when it
    /// keeps them all.
    pub fn originals_on_demand(&self) -> Result<Option<u64>, VaultError> {
        Ok(self
            .conn
            .query_row("SELECT cache_limit FROM originals_policy", [], |r| {
                r.get::<_, i64>(0)
            })
            .optional()?
            .map(|limit| limit.max(0) as u64))
    }

    pub(crate) fn set_originals_on_demand(
        &mut self,
        cache_limit: Option<u64>,
    ) -> Result<(), VaultError> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM originals_policy", [])?;
        match cache_limit {
            Some(limit) => {
                tx.execute(
                    "INSERT INTO originals_policy (one, cache_limit) VALUES (1, ?1)",
                    [i64::try_from(limit).unwrap_or(i64::MAX)],
                )?;
            }
            // Keeping every original: none is the cache's to drop.
            None => {
                tx.execute("DELETE FROM originals_cached", [])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Every object confirmed on at least one remote.
    pub(crate) fn confirmed_anywhere(&self) -> Result<HashSet<ObjectId>, VaultError> {
        let mut stmt = self
            .conn
            .prepare("SELECT DISTINCT object_id FROM remote_objects")?;
        let ids: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        ids.iter().map(|id| parse_id(id)).collect()
    }

    /// Whether every configured remote is confirmed to hold `id`.
    pub(crate) fn confirmed_everywhere(&self, id: &ObjectId) -> Result<bool, VaultError> {
        Ok(self.conn.query_row(
            "SELECT NOT EXISTS (SELECT 1 FROM remotes r WHERE NOT EXISTS
                (SELECT 1 FROM remote_objects o WHERE o.remote = r.name AND o.object_id = ?1))",
            [id.to_string()],
            |r| r.get(0),
        )?)
    }

    /// `remote` is no longer counted as holding `id` (its copy did not authenticate).
    pub(crate) fn unconfirm_object(
        &mut self,
        remote: &str,
        id: &ObjectId,
    ) -> Result<(), VaultError> {
        self.conn.execute(
            "DELETE FROM remote_objects WHERE remote = ?1 AND object_id = ?2",
            params![remote, id.to_string()],
        )?;
        Ok(())
    }

    /// Notes at `now_ms` that the originals of `fetched` were fetched (they join the
    /// cache) and those of `needed` were asked for (only cached ones are touched).
    pub(crate) fn cache_used(
        &mut self,
        fetched: &[ObjectId],
        needed: &[ObjectId],
        now_ms: i64,
    ) -> Result<(), VaultError> {
        let tx = self.conn.transaction()?;
        for id in fetched {
            tx.execute(
                "INSERT INTO originals_cached (item_id, used) VALUES (?1, ?2)
                 ON CONFLICT (item_id) DO UPDATE SET used = excluded.used",
                params![id.to_string(), now_ms],
            )?;
        }
        for id in needed {
            tx.execute(
                "UPDATE originals_cached SET used = ?2 WHERE item_id = ?1",
                params![id.to_string(), now_ms],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The fetched originals beyond the cache limit, least recently used first, that are
    /// confirmed on a remote (so can be fetched again).
    pub(crate) fn cache_overflow(&self, limit: u64) -> Result<Vec<ObjectId>, VaultError> {
        let mut stmt = self.conn.prepare(
            "SELECT c.item_id, i.size FROM originals_cached c JOIN items i ON i.id = c.item_id
             WHERE EXISTS (SELECT 1 FROM remote_objects r WHERE r.object_id = c.item_id)
             ORDER BY c.used DESC, c.item_id",
        )?;
        let cached: Vec<(String, i64)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let mut kept = 0u64;
        let mut over = Vec::new();
        for (id, size) in cached {
            kept = kept.saturating_add(size.max(0) as u64);
            if kept > limit {
                over.push(parse_id(&id)?);
            }
        }
        Ok(over)
    }

    /// The original of `id` is no longer here.
    pub(crate) fn uncache(&mut self, id: &ObjectId) -> Result<(), VaultError> {
        self.conn.execute(
            "DELETE FROM originals_cached WHERE item_id = ?1",
            [id.to_string()],
        )?;
        Ok(())
    }
}

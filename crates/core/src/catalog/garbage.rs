//! What `prune` may delete from a remote: objects this catalog referenced and no longer
//! does, recorded by the schema 17 triggers (docs/FORMAT.md).

use super::Catalog;
use crate::VaultError;
use rusqlite::params;

impl Catalog {
    /// The garbage paths on `remote` that stopped being referenced before `cutoff_ms`.
    pub(crate) fn garbage_due(
        &self,
        remote: &str,
        cutoff_ms: i64,
    ) -> Result<Vec<String>, VaultError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT path FROM sync_garbage WHERE remote = ?1 AND since < ?2 ORDER BY path",
            )?
            .query_map(params![remote, cutoff_ms], |r| r.get(0))?
            .collect::<Result<_, _>>()?)
    }

    /// When the last of the garbage on `remote` due before `cutoff_ms` stopped being used.
    pub(crate) fn garbage_due_since(
        &self,
        remote: &str,
        cutoff_ms: i64,
    ) -> Result<Option<i64>, VaultError> {
        Ok(self.conn.query_row(
            "SELECT max(since) FROM sync_garbage WHERE remote = ?1 AND since < ?2",
            params![remote, cutoff_ms],
            |r| r.get(0),
        )?)
    }

    /// How many garbage files wait on `remote` for their retention to end, and their
    /// plaintext bytes as far as known.
    pub(crate) fn garbage_waiting(&self, remote: &str) -> Result<(u64, u64), VaultError> {
        Ok(self.conn.query_row(
            "SELECT count(*), coalesce(sum(size), 0) FROM sync_garbage WHERE remote = ?1",
            [remote],
            |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)),
        )?)
    }

    /// Whether the library uses what is at a remote `path` again (a photo brought back):
    /// then it is not garbage after all.
    pub(crate) fn references(&self, path: &str) -> Result<bool, VaultError> {
        let id = path.rsplit('/').next().unwrap_or_default();
        let sql = match path.split('/').next() {
            Some("objects") => "SELECT 1 FROM items WHERE id = ?1",
            Some("renditions") => "SELECT 1 FROM rendition_objects WHERE object_id = ?1",
            Some("proxies") => "SELECT 1 FROM proxies WHERE object_id = ?1",
            _ => return Ok(true), // not ours to judge: kept
        };
        Ok(self.conn.prepare_cached(sql)?.exists([id])?)
    }

    /// `path` is no longer garbage on `remote`: deleted there (and so no longer confirmed
    /// there either), or referenced again.
    pub(crate) fn garbage_settled(
        &mut self,
        remote: &str,
        path: &str,
        deleted: bool,
    ) -> Result<(), VaultError> {
        let id = path.rsplit('/').next().unwrap_or_default();
        let tx = self.conn.transaction()?;
        tx.execute(
            "DELETE FROM sync_garbage WHERE remote = ?1 AND path = ?2",
            params![remote, path],
        )?;
        if deleted {
            tx.execute(
                "DELETE FROM remote_objects WHERE remote = ?1 AND object_id = ?2",
                params![remote, id],
            )?;
        }
        tx.commit()?;
        Ok(())
    }
}

//! Which videos have a proxy (a playable copy, see `playback`), and where it is.

use super::{Catalog, parse_id};
use crate::VaultError;
use keepsake_crypto::ObjectId;
use rusqlite::{OptionalExtension, params};

/// A video's proxy: object `id` under `proxies/`, `size` bytes of H.264/AAC MP4.
#[derive(Debug, Clone, PartialEq)]
pub struct Proxy {
    pub id: ObjectId,
    pub size: u64,
    pub width: u32,
    pub height: u32,
}

impl Catalog {
    pub fn proxy(&self, item: &ObjectId) -> Result<Option<Proxy>, VaultError> {
        let row = self
            .conn
            .prepare_cached(
                "SELECT object_id, size, width, height FROM proxies WHERE item_id = ?1",
            )?
            .query_row([item.to_string()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get(2)?,
                    r.get(3)?,
                ))
            })
            .optional()?;
        row.map(|(id, size, width, height)| {
            Ok(Proxy {
                id: parse_id(&id)?,
                size: size as u64,
                width,
                height,
            })
        })
        .transpose()
    }

    /// Records `proxy` for `item` (replacing any before; the caller removes its object).
    pub fn set_proxy(&mut self, item: &ObjectId, proxy: &Proxy) -> Result<(), VaultError> {
        self.conn.execute(
            "INSERT OR REPLACE INTO proxies (item_id, object_id, size, width, height)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                item.to_string(),
                proxy.id.to_string(),
                proxy.size as i64,
                proxy.width,
                proxy.height
            ],
        )?;
        Ok(())
    }

    pub fn remove_proxy(&mut self, item: &ObjectId) -> Result<(), VaultError> {
        self.conn
            .execute("DELETE FROM proxies WHERE item_id = ?1", [item.to_string()])?;
        Ok(())
    }

    /// Every proxy, as (video, proxy).
    pub fn proxies(&self) -> Result<Vec<(ObjectId, Proxy)>, VaultError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT item_id, object_id, size, width, height FROM proxies")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get(3)?,
                r.get(4)?,
            ))
        })?;
        let mut proxies = Vec::new();
        for row in rows {
            let (item, id, size, width, height) = row?;
            let proxy = Proxy {
                id: parse_id(&id)?,
                size: size as u64,
                width,
                height,
            };
            proxies.push((parse_id(&item)?, proxy));
        }
        Ok(proxies)
    }
}

//! Stacks (schema 13): which items show as one, and under which.

use super::Catalog;
use crate::VaultError;
use keepsake_crypto::ObjectId;
use rusqlite::params;

/// Items to show as one: `members` (the main item among them) under `main`.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundStack {
    pub main: ObjectId,
    pub kind: &'static str,
    pub members: Vec<ObjectId>,
}

impl Catalog {
    /// Makes the stacks, each in full or (one of its items is in a stack already) not at
    /// all; returns how many were made.
    pub fn set_stacks(&mut self, stacks: &[FoundStack]) -> Result<usize, VaultError> {
        let tx = self.conn.transaction()?;
        let mut made = 0;
        for stack in stacks {
            let mut taken = tx.prepare_cached(
                "SELECT 1 FROM items WHERE id = ?1 AND (stack_of IS NOT NULL OR trashed_at IS NOT NULL)",
            )?;
            let mut free = true;
            for member in &stack.members {
                free &= !taken.exists([member.to_string()])?;
            }
            if !free {
                continue;
            }
            let mut join =
                tx.prepare_cached("UPDATE items SET stack_of = ?2, stack_kind = ?3 WHERE id = ?1")?;
            for member in &stack.members {
                join.execute(params![
                    member.to_string(),
                    stack.main.to_string(),
                    stack.kind
                ])?;
            }
            made += 1;
        }
        tx.commit()?;
        Ok(made)
    }

    /// The items of the stack `main` heads (itself first), or just `main` when alone.
    pub fn stack_members(&self, main: &ObjectId) -> Result<Vec<ObjectId>, VaultError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id FROM items WHERE stack_of = ?1 AND id != ?1 ORDER BY taken_at, name",
        )?;
        let others = stmt.query_map([main.to_string()], |r| r.get::<_, String>(0))?;
        let mut members = vec![*main];
        for id in others {
            members.push(super::parse_id(&id?)?);
        }
        Ok(members)
    }
}

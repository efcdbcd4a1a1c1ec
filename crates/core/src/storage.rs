//! Storage at a glance: what the library holds by year and by kind, and what each remote
//! holds. From the counts the catalog keeps (catalog/facets.rs), so instant at any size.

use crate::catalog::Usage;
use crate::{Library, VaultError};

#[derive(Debug, Clone, PartialEq)]
pub struct Storage {
    /// Outside the trash, by the year taken, newest first; "Undated" last.
    pub years: Vec<Usage>,
    /// Outside the trash: photo, raw, video.
    pub kinds: Vec<Usage>,
    /// Outside the trash.
    pub total: Usage,
    /// Originals and proxies each remote is confirmed to hold.
    pub remotes: Vec<Usage>,
}

impl Library {
    pub fn storage(&self) -> Result<Storage, VaultError> {
        let kinds = self.catalog.usage_by("kind")?;
        let total = kinds.iter().fold(usage("All"), add);
        let mut years: Vec<Usage> = Vec::new();
        for month in self.catalog.usage_by("month")? {
            let year = month.label.get(..4).unwrap_or("?").to_string();
            match years.last_mut() {
                Some(last) if last.label == year => *last = add(last.clone(), &month),
                _ => years.push(Usage {
                    label: year,
                    ..month
                }),
            }
        }
        let dated = years.iter().fold(usage(""), add);
        years.reverse();
        if total.items > dated.items {
            years.push(Usage {
                label: "Undated".into(),
                items: total.items - dated.items,
                bytes: total.bytes.saturating_sub(dated.bytes),
            });
        }
        Ok(Storage {
            years,
            kinds,
            total,
            remotes: self.catalog.usage_by_remote()?,
        })
    }
}

fn usage(label: &str) -> Usage {
    Usage {
        label: label.into(),
        items: 0,
        bytes: 0,
    }
}

fn add(sum: Usage, more: &Usage) -> Usage {
    Usage {
        items: sum.items + more.items,
        bytes: sum.bytes + more.bytes,
        ..sum
    }
}

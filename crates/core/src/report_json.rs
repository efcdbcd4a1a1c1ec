//! How the reports look as JSON (the CLI's `--json`): an object id as its 32 hex digits,
//! an (id, text) pair as an object naming both. Used through `serialize_with`, because
//! `ObjectId` lives in the crypto crate, which knows nothing of serde.

use keepsake_crypto::ObjectId;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};

pub(crate) fn id<S: Serializer>(id: &ObjectId, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(id)
}

pub(crate) fn maybe_id<S: Serializer>(id: &Option<ObjectId>, s: S) -> Result<S::Ok, S::Error> {
    match id {
        Some(id) => s.collect_str(id),
        None => s.serialize_none(),
    }
}

pub(crate) fn ids<S: Serializer>(ids: &[ObjectId], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(ids.iter().map(ToString::to_string))
}

/// `[{"id": ..., "reason": ...}]`
pub(crate) fn id_reasons<S: Serializer>(
    pairs: &[(ObjectId, String)],
    s: S,
) -> Result<S::Ok, S::Error> {
    pairs_named(pairs, "reason", s)
}

/// `[{"id": ..., "problem": ...}]`
pub(crate) fn id_problems<S: Serializer>(
    pairs: &[(ObjectId, String)],
    s: S,
) -> Result<S::Ok, S::Error> {
    pairs_named(pairs, "problem", s)
}

fn pairs_named<S: Serializer>(
    pairs: &[(ObjectId, String)],
    text: &'static str,
    s: S,
) -> Result<S::Ok, S::Error> {
    struct Pair<'a>(&'a ObjectId, &'a str, &'static str);
    impl serde::Serialize for Pair<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut map = s.serialize_map(Some(2))?;
            map.serialize_entry("id", &self.0.to_string())?;
            map.serialize_entry(self.2, self.1)?;
            map.end()
        }
    }
    let mut seq = s.serialize_seq(Some(pairs.len()))?;
    for (id, why) in pairs {
        seq.serialize_element(&Pair(id, why, text))?;
    }
    seq.end()
}

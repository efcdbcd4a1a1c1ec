//! Change-log segments (docs/FORMAT.md, schema 16): JSON, gzipped, sealed as an object.
//! What a segment says about itself (device, seq, previous segment) is checked against
//! its name and against the segments merged before it.

use super::Op;
use crate::VaultError;
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use keepsake_crypto::{Keyring, ObjectId, ObjectWriter, decrypt_object};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{Read, Write};

pub const FORMAT: &str = "keepsake-log";
pub const VERSION: u32 = 1;
/// The largest segment JSON a reader unzips.
const MAX_JSON: u64 = 256 << 20;
/// The largest sealed segment a reader downloads.
pub const MAX_SEALED: u64 = 300 << 20;

#[derive(Debug, Serialize, Deserialize)]
pub struct Segment {
    pub format: String,
    pub version: u32,
    pub device: String,
    pub seq: u64,
    pub prev: Option<String>,
    pub seen: BTreeMap<String, u64>,
    pub ops: Vec<Op>,
}

impl Segment {
    /// The JSON bytes, and their hash (what the next segment's `prev` names).
    pub fn to_json(&self) -> Result<(Vec<u8>, String), VaultError> {
        let json = serde_json::to_vec(self)
            .map_err(|e| VaultError::Remote(format!("writing a change-log segment: {e}")))?;
        let hash = blake3::hash(&json).to_hex().to_string();
        Ok((json, hash))
    }
}

/// The remote name of a device's segment.
pub fn name(device: &str, seq: u64) -> String {
    format!("{}{device}/{seq:020}", crate::sync::layout::LOG)
}

/// (device, seq) from a remote name below `log/`, if it is one.
pub fn parse_name(path: &str) -> Option<(String, u64)> {
    let rest = path.strip_prefix(crate::sync::layout::LOG)?;
    let (device, seq) = rest.split_once('/')?;
    let device_ok = device.len() == 32 && device.bytes().all(|b| b.is_ascii_hexdigit());
    let seq_ok = seq.len() == 20 && seq.bytes().all(|b| b.is_ascii_digit());
    (device_ok && seq_ok).then(|| Some((device.to_string(), seq.parse().ok()?)))?
}

/// A segment's JSON, gzipped: how it is kept here and sealed for the remote.
pub fn zip(json: &[u8]) -> Result<Vec<u8>, VaultError> {
    let zip_error = |e: std::io::Error| VaultError::io("compressing a change-log segment", e);
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(json).map_err(zip_error)?;
    gz.finish().map_err(zip_error)
}

/// A gzipped segment's JSON, at most 256 MiB of it.
pub fn unzip(zipped: &[u8]) -> Result<Vec<u8>, String> {
    let mut json = Vec::new();
    GzDecoder::new(zipped)
        .take(MAX_JSON + 1)
        .read_to_end(&mut json)
        .map_err(|e| format!("it does not unzip ({e})"))?;
    if json.len() as u64 > MAX_JSON {
        return Err("it unzips to more than 256 MiB".into());
    }
    Ok(json)
}

/// Seals a gzipped segment as an object with a random id.
pub fn seal(zipped: &[u8], key: &Keyring) -> Result<Vec<u8>, VaultError> {
    let seal_error = |e| VaultError::from_object_write("sealing a change-log segment", e);
    let id = ObjectId::random().map_err(|e| VaultError::Remote(e.to_string()))?;
    let mut writer = ObjectWriter::new(Vec::new(), key, id).map_err(seal_error)?;
    writer
        .write_from(&mut &zipped[..], |_| {})
        .map_err(seal_error)?;
    writer.finish().map_err(seal_error)
}

/// A segment as read from the remote, checked to be the one its name promises.
pub struct Opened {
    pub segment: Segment,
    /// BLAKE3 of its JSON: what the next segment's `prev` names.
    pub hash: String,
    pub zipped: Vec<u8>,
}

/// Authenticates and reads a downloaded segment stored as `name`.
pub fn open(name: &str, sealed: &[u8], key: &Keyring) -> Result<Opened, String> {
    let (device, seq) = parse_name(name).ok_or("not a segment name")?;
    let mut zipped = Vec::new();
    decrypt_object(sealed, &mut zipped, key, None)
        .map_err(|e| format!("it does not authenticate ({e})"))?;
    let json = unzip(&zipped)?;
    let segment: Segment =
        serde_json::from_slice(&json).map_err(|e| format!("it is not a segment ({e})"))?;
    if segment.format != FORMAT || segment.version != VERSION {
        return Err(format!(
            "it is {} version {}, which this Keepsake does not read",
            segment.format, segment.version
        ));
    }
    if segment.device != device || segment.seq != seq {
        return Err(format!(
            "it holds seq {} of device {}: renamed or replayed",
            segment.seq, segment.device
        ));
    }
    let hash = blake3::hash(&json).to_hex().to_string();
    Ok(Opened {
        segment,
        hash,
        zipped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_device_and_seq() {
        let device = "0123456789abcdef0123456789abcdef";
        assert_eq!(
            parse_name(&name(device, 42)),
            Some((device.to_string(), 42))
        );
        assert_eq!(parse_name("log/abc/00000000000000000001"), None);
        assert_eq!(parse_name(&format!("log/{device}/42")), None);
    }

    #[test]
    fn a_segment_that_unzips_past_the_bound_is_refused() {
        let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..(MAX_JSON >> 20) {
            gz.write_all(&zeros).unwrap();
        }
        let at_bound = gz.finish().unwrap();
        assert!(unzip(&at_bound).is_ok());
        let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
        for _ in 0..(MAX_JSON >> 20) {
            gz.write_all(&zeros).unwrap();
        }
        gz.write_all(b"!").unwrap();
        let past = gz.finish().unwrap();
        assert!(unzip(&past).unwrap_err().contains("more than 256 MiB"));
    }

    #[test]
    fn a_segment_under_another_name_is_refused() {
        let key = Keyring::new(keepsake_crypto::VaultKey::random().unwrap());
        let device = "0123456789abcdef0123456789abcdef";
        let segment = Segment {
            format: FORMAT.into(),
            version: VERSION,
            device: device.into(),
            seq: 3,
            prev: None,
            seen: BTreeMap::new(),
            ops: Vec::new(),
        };
        let (json, hash) = segment.to_json().unwrap();
        let sealed = seal(&zip(&json).unwrap(), &key).unwrap();
        assert_eq!(open(&name(device, 3), &sealed, &key).unwrap().hash, hash);
        let Err(moved) = open(&name(device, 4), &sealed, &key) else {
            panic!("a renamed segment opened")
        };
        assert!(moved.contains("renamed or replayed"), "{moved}");
        let mut damaged = sealed.clone();
        let last = damaged.len() - 1;
        damaged[last] ^= 1;
        assert!(open(&name(device, 3), &damaged, &key).is_err());
        let other = Keyring::new(keepsake_crypto::VaultKey::random().unwrap());
        assert!(open(&name(device, 3), &sealed, &other).is_err());
    }
}

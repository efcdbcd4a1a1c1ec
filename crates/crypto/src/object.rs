//! The encrypted object format: one self-contained file per original.
//!
//! ```text
//! header (100 bytes)
//!   0..8    magic "KSAKEOBJ"
//!   8       format version (1)
//!   9       log2 of the chunk size (16..=22, i.e. 64 KiB..4 MiB)
//!   10..16  zero
//!   16..24  key id of the vault key (tells a wrong key from a damaged header)
//!   24..40  object id (16 random bytes; also the file name)
//!   40..100 the object's file key wrapped under the vault's object-wrapping key,
//!           nonce(12) || ciphertext(32) || tag(16), associated data = bytes 0..40
//! chunks: each plaintext chunk of exactly `chunk size` bytes (the last one 0..=chunk size,
//!   empty only when the whole plaintext is) as ciphertext || 16-byte tag, AES-256-GCM
//!   under the file key with
//!   nonce = chunk index as 11-byte big-endian || final flag (0x01 on the last chunk)
//!   aad   = object id (16) || chunk index as u64 big-endian || final flag (1 byte)
//! ```
//! As in age's STREAM, the counter and final flag in the nonce make reordering, dropping
//! and truncation fail authentication; the per-object file key and the object id in the
//! AAD make chunks from another object fail too.

#[cfg(test)]
use crate::VaultKey;
#[cfg(test)]
use crate::wrap::wrap_key_with_nonce;
use crate::wrap::{WRAPPED_KEY_LEN, unwrap_key, wrap_key};
use crate::{CryptoError, FileKey, KeyId, ObjectError, ObjectKeys};
use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{AeadInOut, KeyInit, Nonce, Tag};
use std::fmt;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::str::FromStr;

pub const MAGIC: [u8; 8] = *b"KSAKEOBJ";
pub const VERSION: u8 = 1;
pub const HEADER_LEN: usize = 40 + WRAPPED_KEY_LEN;
pub const TAG_LEN: usize = 16;
const MIN_CHUNK_LOG2: u8 = 16;
const MAX_CHUNK_LOG2: u8 = 22;
/// 1 MiB: large enough that per-chunk overhead (16 bytes, one GHASH finalisation) is
/// noise, small enough that streaming needs only a couple of MiB per transfer.
pub const DEFAULT_CHUNK_LOG2: u8 = 20;
/// How far either side of a failed chunk `decrypt_object` looks to explain the failure.
const DIAGNOSIS_WINDOW: u64 = 64;

/// 16 random bytes naming one object; written as 32 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectId(pub [u8; 16]);

impl ObjectId {
    pub fn random() -> Result<Self, CryptoError> {
        Ok(Self(crate::random_bytes()?))
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ObjectId({self})")
    }
}

impl FromStr for ObjectId {
    type Err = hex::FromHexError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut id = [0u8; 16];
        // Lowercase only, so every id has exactly one spelling (it is also a file name).
        if s.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(hex::FromHexError::InvalidHexCharacter { c: 'A', index: 0 });
        }
        hex::decode_to_slice(s, &mut id)?;
        Ok(Self(id))
    }
}

/// The parsed, not yet authenticated, header of an object.
#[derive(Debug, Clone)]
pub struct ObjectHeader {
    pub chunk_log2: u8,
    pub key_id: KeyId,
    pub id: ObjectId,
    /// Bytes 0..40 as read, reserved bytes included: all of them are authenticated.
    prefix: [u8; 40],
    wrapped_file_key: [u8; WRAPPED_KEY_LEN],
}

impl ObjectHeader {
    pub fn parse(bytes: &[u8]) -> Result<Self, ObjectError> {
        if bytes.len() >= MAGIC.len() && bytes[..MAGIC.len()] != MAGIC {
            return Err(ObjectError::NotAnObject);
        }
        if bytes.len() < HEADER_LEN {
            return Err(ObjectError::HeaderTruncated(bytes.len()));
        }
        if bytes[8] != VERSION {
            return Err(ObjectError::UnsupportedVersion(bytes[8]));
        }
        let chunk_log2 = bytes[9];
        if !(MIN_CHUNK_LOG2..=MAX_CHUNK_LOG2).contains(&chunk_log2) {
            return Err(ObjectError::BadChunkSize(chunk_log2));
        }
        let mut key_id = [0u8; 8];
        key_id.copy_from_slice(&bytes[16..24]);
        let mut id = [0u8; 16];
        id.copy_from_slice(&bytes[24..40]);
        let mut prefix = [0u8; 40];
        prefix.copy_from_slice(&bytes[..40]);
        let mut wrapped_file_key = [0u8; WRAPPED_KEY_LEN];
        wrapped_file_key.copy_from_slice(&bytes[40..HEADER_LEN]);
        Ok(Self {
            chunk_log2,
            key_id: KeyId(key_id),
            id: ObjectId(id),
            prefix,
            wrapped_file_key,
        })
    }

    fn authenticated_prefix(chunk_log2: u8, key_id: KeyId, id: ObjectId) -> [u8; 40] {
        let mut prefix = [0u8; 40];
        prefix[..8].copy_from_slice(&MAGIC);
        prefix[8] = VERSION;
        prefix[9] = chunk_log2;
        prefix[16..24].copy_from_slice(&key_id.0);
        prefix[24..40].copy_from_slice(&id.0);
        prefix
    }

    fn chunk_size(&self) -> usize {
        1 << self.chunk_log2
    }

    /// Unwraps the file key, after telling a wrong vault key apart from a damaged header.
    fn open(&self, keys: &impl ObjectKeys) -> Result<FileKey, ObjectError> {
        let vault_key = keys.key_for(self.key_id).ok_or(ObjectError::WrongKey)?;
        let key = unwrap_key(
            &vault_key.object_wrapping_key(),
            &self.wrapped_file_key,
            &self.prefix,
        )
        .map_err(|_| ObjectError::HeaderTampered)?;
        Ok(FileKey::from_bytes(*key))
    }
}

/// The most an object holding `plaintext_len` bytes can take on disk, whatever chunk size
/// it was written with (the smallest chunks carry the most tags): a bound on what a
/// remote may send for it.
pub fn max_encrypted_len(plaintext_len: u64) -> u64 {
    encrypted_len(plaintext_len, MIN_CHUNK_LOG2)
}

/// The size on disk of an object holding `plaintext_len` bytes.
pub fn encrypted_len(plaintext_len: u64, chunk_log2: u8) -> u64 {
    let chunk = 1u64 << chunk_log2;
    let chunks = plaintext_len.div_ceil(chunk).max(1);
    HEADER_LEN as u64 + plaintext_len + chunks * TAG_LEN as u64
}

fn chunk_nonce(index: u64, last: bool) -> Nonce<Aes256Gcm> {
    let mut nonce = [0u8; 12];
    nonce[3..11].copy_from_slice(&index.to_be_bytes());
    nonce[11] = u8::from(last);
    Nonce::<Aes256Gcm>::from(nonce)
}

fn chunk_aad(id: &ObjectId, index: u64, last: bool) -> [u8; 25] {
    let mut aad = [0u8; 25];
    aad[..16].copy_from_slice(&id.0);
    aad[16..24].copy_from_slice(&index.to_be_bytes());
    aad[24] = u8::from(last);
    aad
}

/// Encrypts one object as a stream: the header first, then each chunk as soon as it is
/// full, so memory stays at one chunk whatever the size of the original.
pub struct ObjectWriter<W: Write> {
    inner: W,
    cipher: Aes256Gcm,
    id: ObjectId,
    buf: Vec<u8>,
    filled: usize,
    index: u64,
}

impl<W: Write> ObjectWriter<W> {
    /// A new object under `keys`' writing key (a keyring's newest epoch).
    pub fn new(inner: W, keys: &impl ObjectKeys, id: ObjectId) -> Result<Self, ObjectError> {
        let vault_key = keys.writing_key();
        let file_key = FileKey::random().map_err(|e| ObjectError::Write(io::Error::other(e)))?;
        let prefix = ObjectHeader::authenticated_prefix(DEFAULT_CHUNK_LOG2, vault_key.key_id(), id);
        let wrapped = wrap_key(&vault_key.object_wrapping_key(), file_key.expose(), &prefix)
            .map_err(|e| ObjectError::Write(io::Error::other(e)))?;
        Self::start(inner, id, DEFAULT_CHUNK_LOG2, &file_key, &prefix, &wrapped)
    }

    /// For known-answer tests and small-chunk tamper tests: every random input given.
    #[cfg(test)]
    pub(crate) fn deterministic(
        inner: W,
        vault_key: &VaultKey,
        id: ObjectId,
        chunk_log2: u8,
        file_key: &FileKey,
        wrap_nonce: [u8; 12],
    ) -> Result<Self, ObjectError> {
        let prefix = ObjectHeader::authenticated_prefix(chunk_log2, vault_key.key_id(), id);
        let wrapped = wrap_key_with_nonce(
            &vault_key.object_wrapping_key(),
            file_key.expose(),
            &prefix,
            wrap_nonce,
        )
        .map_err(|e| ObjectError::Write(io::Error::other(e)))?;
        Self::start(inner, id, chunk_log2, file_key, &prefix, &wrapped)
    }

    fn start(
        mut inner: W,
        id: ObjectId,
        chunk_log2: u8,
        file_key: &FileKey,
        prefix: &[u8; 40],
        wrapped: &[u8; WRAPPED_KEY_LEN],
    ) -> Result<Self, ObjectError> {
        inner.write_all(prefix).map_err(ObjectError::Write)?;
        inner.write_all(wrapped).map_err(ObjectError::Write)?;
        Ok(Self {
            inner,
            cipher: Aes256Gcm::new(file_key.expose().into()),
            id,
            buf: vec![0u8; (1 << chunk_log2) + TAG_LEN],
            filled: 0,
            index: 0,
        })
    }

    fn chunk_size(&self) -> usize {
        self.buf.len() - TAG_LEN
    }

    /// Reads `src` to its end straight into the chunk buffer, showing every plaintext
    /// byte to `observe` (for hashing) before it is encrypted. Returns the bytes read.
    pub fn write_from(
        &mut self,
        src: &mut impl Read,
        mut observe: impl FnMut(&[u8]),
    ) -> Result<u64, ObjectError> {
        let mut total = 0u64;
        loop {
            let chunk_size = self.chunk_size();
            if self.filled == chunk_size {
                // Only now, with more data possibly coming, is a full chunk known not to be
                // the last: peek one byte to decide.
                let mut next = [0u8; 1];
                let n = read_some(src, &mut next).map_err(ObjectError::Read)?;
                if n == 0 {
                    return Ok(total);
                }
                self.seal(false)?;
                self.buf[0] = next[0];
                observe(&next);
                self.filled = 1;
                total += 1;
            }
            let n = read_some(src, &mut self.buf[self.filled..chunk_size])
                .map_err(ObjectError::Read)?;
            if n == 0 {
                return Ok(total);
            }
            observe(&self.buf[self.filled..self.filled + n]);
            self.filled += n;
            total += n as u64;
        }
    }

    fn seal(&mut self, last: bool) -> Result<(), ObjectError> {
        let (plain, tag_space) = self.buf.split_at_mut(self.filled);
        let tag = self
            .cipher
            .encrypt_inout_detached(
                &chunk_nonce(self.index, last),
                &chunk_aad(&self.id, self.index, last),
                plain.into(),
            )
            .map_err(|_| ObjectError::Write(io::Error::other("chunk too large to encrypt")))?;
        tag_space[..TAG_LEN].copy_from_slice(&tag);
        self.inner
            .write_all(&self.buf[..self.filled + TAG_LEN])
            .map_err(ObjectError::Write)?;
        self.index += 1;
        self.filled = 0;
        Ok(())
    }

    /// Seals the final chunk and hands back the sink (for fsync and rename).
    pub fn finish(mut self) -> Result<W, ObjectError> {
        self.seal(true)?;
        self.inner.flush().map_err(ObjectError::Write)?;
        Ok(self.inner)
    }
}

/// `read` that retries on `Interrupted`.
fn read_some(src: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match src.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// Reads until `buf` is full or the stream ends.
fn read_full(src: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        let n = read_some(src, &mut buf[filled..])?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    Ok(filled)
}

/// Reads and opens an object's header: its file key, and the check that it is the object
/// `expected` (a header copied from another object is named as such).
fn read_header(
    src: &mut impl Read,
    keys: &impl ObjectKeys,
    expected: Option<&ObjectId>,
) -> Result<(ObjectHeader, FileKey), ObjectError> {
    let mut header_bytes = [0u8; HEADER_LEN];
    let got = read_full(src, &mut header_bytes).map_err(ObjectError::Read)?;
    let header = ObjectHeader::parse(&header_bytes[..got])?;
    let file_key = header.open(keys)?;
    if let Some(expected) = expected
        && *expected != header.id
    {
        return Err(ObjectError::WrongObject { found: header.id });
    }
    Ok((header, file_key))
}

/// Decrypts and authenticates a whole object from `src`, writing plaintext to `dst` one
/// authenticated chunk at a time. On error, what was already written is authentic but
/// incomplete: callers write to a temporary place and discard it on error.
/// `expected` is the id the object is stored under; a header from another object is
/// reported as such.
pub fn decrypt_object(
    mut src: impl Read,
    dst: &mut impl Write,
    keys: &impl ObjectKeys,
    expected: Option<&ObjectId>,
) -> Result<u64, ObjectError> {
    let (header, file_key) = read_header(&mut src, keys, expected)?;
    let cipher = Aes256Gcm::new(file_key.expose().into());
    let unit = header.chunk_size() + TAG_LEN;
    // One byte of look-ahead tells whether the chunk in hand is the last one.
    let mut buf = vec![0u8; unit + 1];
    let mut have = read_full(&mut src, &mut buf).map_err(ObjectError::Read)?;
    let mut index = 0u64;
    let mut written = 0u64;
    loop {
        let last = have <= unit;
        let len = have.min(unit);
        if len < TAG_LEN {
            return Err(ObjectError::Truncated {
                after_chunks: index,
            });
        }
        let (body, rest) = buf[..len].split_at_mut(len - TAG_LEN);
        let tag = Tag::<Aes256Gcm>::try_from(&rest[..TAG_LEN])
            .map_err(|_| ObjectError::ChunkCorrupt { index })?;
        let opened = cipher.decrypt_inout_detached(
            &chunk_nonce(index, last),
            &chunk_aad(&header.id, index, last),
            body.into(),
            &tag,
        );
        if opened.is_err() {
            return Err(diagnose(&cipher, &header.id, body, &tag, index, last));
        }
        dst.write_all(body).map_err(ObjectError::Write)?;
        written += body.len() as u64;
        if last {
            return Ok(written);
        }
        buf[0] = buf[unit];
        have = 1 + read_full(&mut src, &mut buf[1..]).map_err(ObjectError::Read)?;
        index += 1;
    }
}

/// Decrypts only the chunks that plaintext bytes `range` touch, and writes those bytes to
/// `dst`: seeking in a video costs the chunks it reads, not the whole original. Each chunk
/// is authenticated on its own (its index and final flag are in its nonce, so a chunk moved,
/// dropped or cut off fails as in `decrypt_object`). Which chunk is final follows from the
/// file's length; a file cut at a chunk boundary therefore fails at its new last chunk,
/// which was not sealed as final. Returns the object's whole plaintext length; a range
/// reaching past it is cut to it.
pub fn decrypt_range<R: Read + Seek>(
    mut src: R,
    dst: &mut impl Write,
    keys: &impl ObjectKeys,
    expected: Option<&ObjectId>,
    range: Range<u64>,
) -> Result<u64, ObjectError> {
    let (header, file_key) = read_header(&mut src, keys, expected)?;
    let file_len = src.seek(SeekFrom::End(0)).map_err(ObjectError::Read)?;
    let body = file_len.saturating_sub(HEADER_LEN as u64);
    let unit = (header.chunk_size() + TAG_LEN) as u64;
    let chunks = body.div_ceil(unit);
    // Every chunk carries a tag, the last one possibly nothing else.
    if chunks == 0 || body - (chunks - 1) * unit < TAG_LEN as u64 {
        return Err(ObjectError::Truncated {
            after_chunks: chunks.saturating_sub(1),
        });
    }
    let plaintext_len = body - chunks * TAG_LEN as u64;
    let (start, end) = (range.start.min(plaintext_len), range.end.min(plaintext_len));
    if start >= end {
        return Ok(plaintext_len);
    }
    let cipher = Aes256Gcm::new(file_key.expose().into());
    let chunk = header.chunk_size() as u64;
    let mut buf = vec![0u8; unit as usize];
    for index in start / chunk..=(end - 1) / chunk {
        let offset = index * unit;
        let len = unit.min(body - offset) as usize;
        src.seek(SeekFrom::Start(HEADER_LEN as u64 + offset))
            .map_err(ObjectError::Read)?;
        if read_full(&mut src, &mut buf[..len]).map_err(ObjectError::Read)? < len {
            return Err(ObjectError::Truncated {
                after_chunks: index,
            });
        }
        let last = index == chunks - 1;
        let (text, rest) = buf[..len].split_at_mut(len - TAG_LEN);
        let tag = Tag::<Aes256Gcm>::try_from(&rest[..TAG_LEN])
            .map_err(|_| ObjectError::ChunkCorrupt { index })?;
        cipher
            .decrypt_inout_detached(
                &chunk_nonce(index, last),
                &chunk_aad(&header.id, index, last),
                (&mut *text).into(),
                &tag,
            )
            .map_err(|_| ObjectError::ChunkCorrupt { index })?;
        let chunk_start = index * chunk;
        let from = start.saturating_sub(chunk_start) as usize;
        let to = ((end - chunk_start) as usize).min(text.len());
        dst.write_all(&text[from..to]).map_err(ObjectError::Write)?;
    }
    Ok(plaintext_len)
}

/// Explains why chunk `index` failed: cut short, extended, out of place, or altered. Runs
/// only on the error path; the ciphertext is untouched because GCM checks the tag before
/// decrypting.
fn diagnose(
    cipher: &Aes256Gcm,
    id: &ObjectId,
    ciphertext: &[u8],
    tag: &Tag<Aes256Gcm>,
    index: u64,
    last: bool,
) -> ObjectError {
    // A failed open leaves `scratch` as it was; a successful one ends the search.
    let mut scratch = ciphertext.to_vec();
    let mut opens = |at: u64, as_last: bool| {
        cipher
            .decrypt_inout_detached(
                &chunk_nonce(at, as_last),
                &chunk_aad(id, at, as_last),
                scratch.as_mut_slice().into(),
                tag,
            )
            .is_ok()
    };
    if opens(index, !last) {
        return if last {
            ObjectError::Truncated {
                after_chunks: index + 1,
            }
        } else {
            ObjectError::TrailingData {
                after_chunks: index,
            }
        };
    }
    let from = index.saturating_sub(DIAGNOSIS_WINDOW);
    for at in (from..=index + DIAGNOSIS_WINDOW).filter(|&at| at != index) {
        if opens(at, false) || opens(at, true) {
            return ObjectError::ChunkOutOfPlace {
                position: index,
                belongs_at: at,
            };
        }
    }
    ObjectError::ChunkCorrupt { index }
}

#[cfg(test)]
mod tests;

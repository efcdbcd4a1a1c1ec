use crate::object::ObjectId;
use std::io;

/// Failures of key handling: derivation, wrapping, recovery keys.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("the operating system's random number generator failed: {0}")]
    Random(String),
    #[error("invalid key-derivation parameters: {0}")]
    KdfParams(String),
    /// The key-encryption key did not open the wrapped key: wrong password or recovery key,
    /// or the wrapped copy was altered.
    #[error("the key could not be unwrapped (wrong password or recovery key)")]
    Unwrap,
    #[error("not a valid recovery key: {0}")]
    RecoveryKeyFormat(String),
}

/// Why an encrypted object could not be decrypted. Each variant names a different kind of
/// damage, so `verify` can tell the user what happened and where; none of them ever comes
/// with plaintext that was not authenticated.
#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    #[error("could not read the object: {0}")]
    Read(#[source] io::Error),
    #[error("could not write the decrypted data: {0}")]
    Write(#[source] io::Error),
    #[error("not a Keepsake object (unknown magic bytes)")]
    NotAnObject,
    #[error("the object header is cut short ({0} of {len} bytes)", len = crate::HEADER_LEN)]
    HeaderTruncated(usize),
    #[error("object format version {0} is not supported by this Keepsake")]
    UnsupportedVersion(u8),
    #[error("the object header names an invalid chunk size (2^{0})")]
    BadChunkSize(u8),
    #[error("the object was encrypted under a different vault key (or its key id was altered)")]
    WrongKey,
    #[error("the header belongs to another object ({found})")]
    WrongObject { found: ObjectId },
    #[error("the object header was altered (its wrapped file key does not authenticate)")]
    HeaderTampered,
    #[error("chunk {index} failed authentication (altered, or moved in from another object)")]
    ChunkCorrupt { index: u64 },
    #[error(
        "chunk {belongs_at} was found at position {position} (chunks reordered, duplicated or dropped)"
    )]
    ChunkOutOfPlace { position: u64, belongs_at: u64 },
    #[error("the object is truncated: it ends after {after_chunks} chunks without its final chunk")]
    Truncated { after_chunks: u64 },
    #[error("unexpected data after the final chunk (chunk {after_chunks} was the last)")]
    TrailingData { after_chunks: u64 },
}

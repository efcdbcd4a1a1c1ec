use keepsake_crypto::{CryptoError, ObjectError};
use std::io;
use std::path::PathBuf;

/// What went wrong, as a shell branches on it: the app's IPC `code` (a union type in
/// TypeScript, generated from this) and the CLI's exit code both come from here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ErrorCode {
    /// A wrong password or recovery key, or a device whose unlock was revoked.
    WrongPassword,
    /// Something stored was damaged or altered.
    Integrity,
    /// The catalog is damaged and can be rebuilt from the photos (the app offers it).
    CatalogDamaged,
    NoVault,
    Busy,
    NotFound,
    Exists,
    InvalidInput,
    Remote,
    DiskFull,
    Io,
    /// The app's session is locked.
    Locked,
    /// The OS keyring refused or is missing.
    OsUnlock,
    Internal,
}

impl ErrorCode {
    /// The CLI's exit code: 3 for credentials, 4 for damage, 1 for the rest (2, usage, is
    /// the CLI's own).
    pub fn exit_code(self) -> u8 {
        match self {
            Self::WrongPassword => 3,
            Self::Integrity | Self::CatalogDamaged => 4,
            _ => 1,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("no vault at {0}")]
    NotAVault(PathBuf),
    #[error("a vault already exists at {0}")]
    AlreadyExists(PathBuf),
    #[error("{0} is not empty; choose an empty or new folder for a vault")]
    NotEmpty(PathBuf),
    #[error("the vault at {0} is in use by another Keepsake process")]
    Busy(PathBuf),
    #[error("no item {0} in this vault")]
    NoSuchItem(keepsake_crypto::ObjectId),
    #[error("no album {0} in this vault")]
    NoSuchAlbum(i64),
    #[error("an album named {0:?} already exists")]
    AlbumExists(String),
    #[error("{0}")]
    InvalidName(String),
    #[error(
        "the stored original of {id} is damaged: {reason}; checking and repairing the vault \
         brings it back from a remote that holds it"
    )]
    ObjectDamaged {
        id: keepsake_crypto::ObjectId,
        reason: String,
    },
    #[error(
        "the original of {id} is not on this device (it keeps originals on demand) and no \
         remote gave it: {why}"
    )]
    OriginalAway {
        id: keepsake_crypto::ObjectId,
        why: String,
    },
    #[error("{0} is too large to open in memory ({1} MB); export it instead")]
    TooLargeToView(keepsake_crypto::ObjectId, u64),
    #[error("{0}")]
    NotPlayable(String),
    #[error("no remote named {0:?}")]
    NoSuchRemote(String),
    #[error("a remote named {0:?} already exists")]
    RemoteExists(String),
    #[error("{0}")]
    Remote(String),
    #[error("wrong password")]
    WrongPassword,
    #[error("this device's OS unlock was revoked (unlock with the password)")]
    DeviceRevoked,
    #[error("the device secret in the system keyring does not open this vault")]
    WrongDeviceKey,
    #[error("no device {0:?} can unlock this vault")]
    NoSuchDevice(String),
    #[error("wrong recovery key")]
    WrongRecoveryKey,
    #[error("{0}")]
    RecoveryKeyFormat(String),
    #[error("the password is too short: use at least {0} characters")]
    WeakPassword(usize),
    #[error("the vault header {path} is damaged: {reason}")]
    HeaderDamaged { path: PathBuf, reason: String },
    #[error("the vault header was altered: its authentication code does not match")]
    HeaderTampered,
    /// A remote's header is of a key epoch this session cannot open with its own secret.
    #[error(
        "the vault's key was changed on another device (a new password, a revoked device or \
         a recovery), or the remote's header was altered: unlock with the vault's current \
         password to go on syncing (this device keeps that header as \
         keepsake-vault.next.json until then)"
    )]
    KeyChangedElsewhere,
    #[error(
        "changing the vault key needs the password: unlock with the password once (not \
         through the OS), then try again"
    )]
    RotationNeedsPassword,
    #[error("the vault was made by a newer Keepsake (format {0}); update Keepsake to open it")]
    UnsupportedFormat(u32),
    #[error(
        "the vault header asks for a password derivation of {0}, more than Keepsake does \
         without asking ({max}): an older Keepsake may have made it so when asked to; if \
         not, the header was edited",
        max = keepsake_crypto::KdfParams::EVERYDAY_MAX
    )]
    KdfTooCostly(keepsake_crypto::KdfParams),
    #[error(
        "unlocking needs {needed_mib} MiB of memory for the password derivation, and only \
         {available_mib} MiB is available: close other programs, or raise the memory limit"
    )]
    NotEnoughMemory { needed_mib: u64, available_mib: u64 },
    /// An edit that cannot apply to an item as it is (a shift of an undated photo).
    #[error("{0}")]
    CannotEdit(String),
    #[error("not a search Keepsake understands: {0}")]
    BadQuery(String),
    #[error("the catalog cannot be read: {0}")]
    CatalogDamaged(String),
    #[error("catalog error: {0}")]
    Catalog(#[from] rusqlite::Error),
    #[error("the disk is full: {0}")]
    DiskFull(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: io::Error,
    },
    #[error("{0}")]
    Crypto(#[from] CryptoError),
}

impl VaultError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::WrongPassword
            | Self::WrongRecoveryKey
            | Self::RecoveryKeyFormat(_)
            | Self::DeviceRevoked
            | Self::WrongDeviceKey
            | Self::KeyChangedElsewhere
            | Self::RotationNeedsPassword => ErrorCode::WrongPassword,
            Self::CatalogDamaged(_) => ErrorCode::CatalogDamaged,
            Self::HeaderDamaged { .. }
            | Self::HeaderTampered
            | Self::KdfTooCostly(_)
            | Self::ObjectDamaged { .. } => ErrorCode::Integrity,
            Self::NotAVault(_) => ErrorCode::NoVault,
            Self::Busy(_) => ErrorCode::Busy,
            Self::NoSuchItem(_) | Self::NoSuchAlbum(_) | Self::NoSuchRemote(_) => {
                ErrorCode::NotFound
            }
            Self::NoSuchDevice(_) | Self::NotPlayable(_) => ErrorCode::NotFound,
            Self::AlreadyExists(_)
            | Self::NotEmpty(_)
            | Self::AlbumExists(_)
            | Self::RemoteExists(_) => ErrorCode::Exists,
            Self::WeakPassword(_)
            | Self::InvalidName(_)
            | Self::TooLargeToView(..)
            | Self::BadQuery(_)
            | Self::CannotEdit(_) => ErrorCode::InvalidInput,
            Self::Remote(_) | Self::OriginalAway { .. } => ErrorCode::Remote,
            Self::DiskFull(_) => ErrorCode::DiskFull,
            Self::Io { .. } | Self::NotEnoughMemory { .. } => ErrorCode::Io,
            Self::UnsupportedFormat(_) | Self::Catalog(_) | Self::Crypto(_) => ErrorCode::Internal,
        }
    }

    /// Wraps an I/O error with what was being done, turning "no space" into its own
    /// variant so every shell can say so plainly.
    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> Self {
        let context = context.into();
        if is_disk_full(&source) {
            Self::DiskFull(context)
        } else {
            Self::Io { context, source }
        }
    }

    pub(crate) fn from_object_write(context: impl Into<String>, err: ObjectError) -> Self {
        match err {
            ObjectError::Write(e) | ObjectError::Read(e) => Self::io(context, e),
            other => Self::io(context, io::Error::other(other)),
        }
    }
}

pub(crate) fn is_disk_full(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded
    )
}

use keepsake_crypto::{CryptoError, ObjectError};
use std::io;
use std::path::PathBuf;

/// What the user must tell apart, whatever the shell: each kind maps to one CLI exit code
/// and one stable error code in the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Wrong password or recovery key.
    Credentials,
    /// Something stored was damaged or altered.
    Integrity,
    /// Anything else: missing vault, busy vault, I/O, full disk.
    Other,
}

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("no vault at {0} (create one with `keepsake init`)")]
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
    #[error("the stored original of {id} is damaged: {reason} (run `keepsake verify --repair`)")]
    ObjectDamaged {
        id: keepsake_crypto::ObjectId,
        reason: String,
    },
    #[error("{0} is too large to open in memory ({1} MB); export it instead")]
    TooLargeToView(keepsake_crypto::ObjectId, u64),
    #[error("no remote named {0:?} (see `keepsake remote ls`)")]
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
    #[error("no device {0:?} can unlock this vault (see `keepsake device ls`)")]
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
    #[error("the vault was made by a newer Keepsake (format {0}); update Keepsake to open it")]
    UnsupportedFormat(u32),
    #[error(
        "the vault header asks for a password derivation of {0}, more than Keepsake does \
         without asking ({max}): if an older Keepsake made this vault with `init \
         --kdf-memory-mib --kdf-passes`, open it once with `--allow-costly-kdf` (a restore: \
         use the recovery key); if not, the header was edited",
        max = keepsake_crypto::KdfParams::EVERYDAY_MAX
    )]
    KdfTooCostly(keepsake_crypto::KdfParams),
    #[error(
        "unlocking needs {needed_mib} MiB of memory for the password derivation, and only \
         {available_mib} MiB is available: close other programs, or raise the memory limit"
    )]
    NotEnoughMemory { needed_mib: u64, available_mib: u64 },
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
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::WrongPassword
            | Self::WrongRecoveryKey
            | Self::RecoveryKeyFormat(_)
            | Self::DeviceRevoked
            | Self::WrongDeviceKey => ErrorKind::Credentials,
            Self::HeaderDamaged { .. }
            | Self::HeaderTampered
            | Self::CatalogDamaged(_)
            | Self::KdfTooCostly(_)
            | Self::ObjectDamaged { .. } => ErrorKind::Integrity,
            _ => ErrorKind::Other,
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

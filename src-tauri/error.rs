//! One error type across IPC: a stable `code` the UI branches on, and a message for people.

use keepsake_core::{ErrorKind, VaultError};
use serde::Serialize;
use ts_rs::TS;

#[derive(Debug, Clone, Serialize, TS, PartialEq)]
pub struct AppError {
    /// One of: wrong_password, integrity, catalog_damaged, locked, no_vault, busy, not_found, exists,
    /// invalid_input, remote, os_unlock, disk_full, io, internal.
    pub code: &'static str,
    pub message: String,
}

impl AppError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    pub fn locked() -> Self {
        Self::new("locked", "the vault is locked")
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new("invalid_input", message)
    }
}

impl From<VaultError> for AppError {
    fn from(e: VaultError) -> Self {
        let code = match (&e, e.kind()) {
            (_, ErrorKind::Credentials) => "wrong_password",
            // The one integrity problem the app can repair: it offers rebuild_catalog.
            (VaultError::CatalogDamaged(_), _) => "catalog_damaged",
            (_, ErrorKind::Integrity) => "integrity",
            (VaultError::NotAVault(_), _) => "no_vault",
            (VaultError::Busy(_), _) => "busy",
            (VaultError::NoSuchItem(_) | VaultError::NoSuchAlbum(_), _)
            | (VaultError::NoSuchRemote(_), _) => "not_found",
            (
                VaultError::AlreadyExists(_)
                | VaultError::NotEmpty(_)
                | VaultError::AlbumExists(_)
                | VaultError::RemoteExists(_),
                _,
            ) => "exists",
            (
                VaultError::WeakPassword(_)
                | VaultError::InvalidName(_)
                | VaultError::TooLargeToView(..),
                _,
            ) => "invalid_input",
            (VaultError::Remote(_), _) => "remote",
            (VaultError::DiskFull(_), _) => "disk_full",
            (VaultError::Io { .. }, _) => "io",
            _ => "internal",
        };
        Self::new(code, e.to_string())
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

pub type AppResult<T> = Result<T, AppError>;

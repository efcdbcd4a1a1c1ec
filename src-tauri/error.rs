//! One error type across IPC: a stable `code` the UI branches on, and a message for people.

use keepsake_core::{ErrorCode, VaultError};
use serde::Serialize;
use ts_rs::TS;

#[derive(Debug, Clone, Serialize, TS, PartialEq)]
pub struct AppError {
    /// What the UI branches on: `ErrorCode`, the same codes the CLI's exit codes come from.
    pub code: ErrorCode,
    pub message: String,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    pub fn locked() -> Self {
        Self::new(ErrorCode::Locked, "the vault is locked")
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidInput, message)
    }
}

impl From<VaultError> for AppError {
    fn from(e: VaultError) -> Self {
        Self::new(e.code(), e.to_string())
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({:?})", self.message, self.code)
    }
}

pub type AppResult<T> = Result<T, AppError>;

//! Events the core's work sends to the UI.

pub const IMPORT_PROGRESS: &str = "import-progress";
pub const IMPORT_FINISHED: &str = "import-finished";
/// Items were added or removed outside the UI's own commands (watch folder, import).
pub const LIBRARY_CHANGED: &str = "library-changed";
pub const SYNC_STATUS: &str = "sync-status";
/// The vault was locked (button, tray, idle): the UI drops what it holds.
pub const LOCKED: &str = "locked";

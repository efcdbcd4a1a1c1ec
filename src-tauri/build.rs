// The app's own commands are declared so that each one is denied unless a capability
// (src-tauri/capabilities/) allows it.
const COMMANDS: &[&str] = &[
    "app_status",
    "create_vault",
    "open_vault",
    "unlock",
    "unlock_with_os",
    "rebuild_catalog",
    "lock",
    "restore_vault",
    "change_password",
    "activity",
    "timeline",
    "memories",
    "recent_trips",
    "suggest_searches",
    "near_duplicates",
    "storage",
    "map_photos",
    "item_details",
    "media_server",
    "set_favourite",
    "move_to_trash",
    "restore_from_trash",
    "empty_trash",
    "export_items",
    "export_library",
    "verify_vault",
    "albums",
    "create_album",
    "rename_album",
    "delete_album",
    "add_to_album",
    "remove_from_album",
    "import_paths",
    "cancel_import",
    "remotes",
    "add_remote",
    "test_remote",
    "remove_remote",
    "sync_now",
    "pause_sync",
    "resume_sync",
    "sync_status",
    "settings",
    "save_settings",
    "enable_os_unlock",
    "disable_os_unlock",
    "devices",
    "revoke_device",
];

fn main() {
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("src-tauri/capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    tauri_build::try_build(attributes).expect("tauri build step failed");
}

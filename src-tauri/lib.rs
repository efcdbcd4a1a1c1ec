//! Keepsake's desktop app: a thin Tauri 2 shell over keepsake-core. Commands (one module
//! per screen) and the `vault://` image protocol are the whole interface to the web UI.

mod background;
pub mod commands;
pub mod dto;
pub mod error;
pub mod events;
#[cfg(target_os = "linux")]
pub mod media_server;
mod os_lock;
pub mod protocol;
pub mod readers;
pub mod state;
pub mod tiles;
mod tray;

use state::AppState;
use tauri::{Manager, Runtime, WindowEvent};

/// Everything but the platform integrations (tray, plugins): what the IPC tests drive on
/// Tauri's mock runtime.
pub fn builder<R: Runtime>(state: AppState) -> tauri::Builder<R> {
    tauri::Builder::<R>::new()
        .manage(state)
        .register_asynchronous_uri_scheme_protocol(protocol::SCHEME, |ctx, request, responder| {
            let app = ctx.app_handle().clone();
            if request.uri().path().starts_with("/tile/") {
                tauri::async_runtime::spawn(async move {
                    responder.respond(tiles::respond(&app, &request).await)
                });
                return;
            }
            tauri::async_runtime::spawn_blocking(move || {
                responder.respond(protocol::respond(&app, &request))
            });
        })
        .invoke_handler(tauri::generate_handler![
            commands::vault::app_status,
            commands::vault::create_vault,
            commands::vault::open_vault,
            commands::vault::unlock,
            commands::vault::unlock_with_os,
            commands::vault::rebuild_catalog,
            commands::vault::lock,
            commands::vault::restore_vault,
            commands::vault::change_password,
            commands::vault::activity,
            commands::library::timeline,
            commands::library::memories,
            commands::library::recent_trips,
            commands::library::suggest_searches,
            commands::library::near_duplicates,
            commands::library::storage,
            commands::library::map_photos,
            commands::library::item_details,
            commands::edits::edit_items,
            commands::edits::undo_edits,
            commands::library::media_server,
            commands::library::set_favourite,
            commands::library::move_to_trash,
            commands::library::restore_from_trash,
            commands::library::empty_trash,
            commands::library::export_items,
            commands::library::export_library,
            commands::library::verify_vault,
            commands::originals::originals_setting,
            commands::originals::set_originals,
            commands::originals::free_up_space,
            commands::originals::bring_originals,
            commands::albums::albums,
            commands::albums::create_album,
            commands::albums::rename_album,
            commands::albums::delete_album,
            commands::albums::add_to_album,
            commands::albums::remove_from_album,
            commands::import::import_paths,
            commands::import::cancel_import,
            commands::sync::remotes,
            commands::sync::add_remote,
            commands::sync::test_remote,
            commands::sync::remove_remote,
            commands::sync::sync_now,
            commands::sync::pause_sync,
            commands::sync::resume_sync,
            commands::sync::sync_status,
            commands::settings::settings,
            commands::settings::save_settings,
            commands::devices::enable_os_unlock,
            commands::devices::disable_os_unlock,
            commands::devices::devices,
            commands::devices::revoke_device,
        ])
}

pub fn run() {
    keepsake_core::install_panic_hook();
    let context = tauri::generate_context!();
    // Where Tauri keeps app config too: the OS config folder, under the identifier.
    let config_dir = directories::BaseDirs::new()
        .map(|dirs| dirs.config_dir().join(&context.config().identifier))
        .unwrap_or_else(|| std::env::temp_dir().join("keepsake"));
    let seen_kdf = keepsake_core::SeenKdf::default_location();
    builder::<tauri::Wry>(AppState::new(config_dir.join("settings.json"), seen_kdf))
        // First, so a second launch only brings the running one forward.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            tray::show_main_window(app)
        }))
        .plugin(tauri_plugin_window_state::Builder::new().build())
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec!["--minimized"]),
        ))
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_dialog::init())
        .setup(|app| {
            tray::create(app.handle())?;
            // Without it, videos cannot play on Linux; everything else still works.
            #[cfg(target_os = "linux")]
            match media_server::MediaServer::start(app.handle().clone()) {
                Ok(server) => {
                    app.manage(server);
                }
                Err(e) => eprintln!("Keepsake: videos cannot play: no loopback server ({e})"),
            }
            background::start_ticker(app.handle());
            os_lock::watch(app.handle());
            if std::env::args().any(|a| a == "--minimized")
                && let Some(window) = app.get_webview_window("main")
            {
                window.hide()?;
            }
            Ok(())
        })
        .on_window_event(|window, event| {
            // Closing the window keeps Keepsake (and sync) running in the tray.
            if let WindowEvent::CloseRequested { api, .. } = event
                && window.label() == "main"
            {
                api.prevent_close();
                let _ = window.hide();
            }
        })
        .run(context)
        .expect("Keepsake could not start its window");
}

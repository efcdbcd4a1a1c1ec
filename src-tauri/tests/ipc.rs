//! The app's commands over real IPC on Tauri's mock runtime (no webview): the same
//! serialisation, state and error codes the UI sees, on real photos.

use keepsake_app::dto::bindings;
use keepsake_app::state::AppState;
use keepsake_core::SeenKdf;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{MockRuntime, mock_context, noop_assets};
use tauri::webview::InvokeRequest;
use tauri::{App, Manager, WebviewWindow, WebviewWindowBuilder};

const PASSWORD: &str = "correct horse battery staple";

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata/photos/exif-samples")
}

struct TestApp {
    _app: App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
    root: tempfile::TempDir,
}

impl TestApp {
    fn new() -> Self {
        let root = tempfile::tempdir().unwrap();
        let state = AppState::new(
            root.path().join("config/settings.json"),
            Some(SeenKdf::at(root.path().join("data"))),
        );
        let app = keepsake_app::builder::<MockRuntime>(state)
            .build(mock_context(noop_assets()))
            .unwrap();
        let window = WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .unwrap();
        Self {
            _app: app,
            window,
            root,
        }
    }

    /// A new app with a new vault holding these sample photos.
    fn with_photos(names: &[&str]) -> (Self, Vec<PathBuf>) {
        let app = Self::new();
        app.ok(
            "create_vault",
            json!({"path": app.vault_path(), "password": PASSWORD}),
        );
        let photos: Vec<PathBuf> = names.iter().map(|name| samples().join(name)).collect();
        app.import(&photos, photos.len());
        (app, photos)
    }

    fn call(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        tauri::test::get_ipc_response(
            &self.window,
            InvokeRequest {
                cmd: cmd.into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                url: "tauri://localhost".parse().unwrap(),
                body: InvokeBody::Json(args),
                headers: Default::default(),
                invoke_key: self.window.app_handle().invoke_key().to_string(),
            },
        )
        .map(|body| body.deserialize::<Value>().unwrap())
    }

    fn ok(&self, cmd: &str, args: Value) -> Value {
        self.call(cmd, args)
            .unwrap_or_else(|e| panic!("{cmd} failed: {e}"))
    }

    fn error_code(&self, cmd: &str, args: Value) -> String {
        let error = self.call(cmd, args).expect_err(cmd);
        error["code"].as_str().unwrap_or_default().to_string()
    }

    fn vault_path(&self) -> String {
        self.root.path().join("vault").display().to_string()
    }

    fn timeline(&self, filter: Value) -> Vec<Value> {
        self.ok("timeline", json!({ "filter": filter }))
            .as_array()
            .unwrap()
            .clone()
    }

    /// Imports through the same command the drop handler calls, and waits for it.
    fn import(&self, paths: &[PathBuf], expect_items: usize) {
        self.ok("import_paths", json!({ "paths": paths }));
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.timeline(json!({})).len() < expect_items {
            assert!(Instant::now() < deadline, "import did not finish");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

#[test]
fn bindings_ts_matches_the_rust_types() {
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/src/lib/bindings.ts");
    let generated = bindings();
    if std::env::var_os("KEEPSAKE_BLESS").is_some() {
        std::fs::write(&committed, &generated).unwrap();
    }
    let on_disk = std::fs::read_to_string(&committed).unwrap_or_default();
    assert!(
        on_disk == generated,
        "ui/src/lib/bindings.ts is out of date: run `KEEPSAKE_BLESS=1 cargo test --test app-ipc`"
    );
}

#[test]
fn a_new_vault_unlocks_only_with_its_password_and_locks_cleanly() {
    let app = TestApp::new();
    assert_eq!(app.ok("app_status", json!({}))["state"], "no_vault");
    assert_eq!(app.error_code("timeline", json!({"filter": {}})), "locked");
    assert_eq!(
        app.error_code(
            "create_vault",
            json!({"path": app.vault_path(), "password": "short"})
        ),
        "invalid_input"
    );

    let created = app.ok(
        "create_vault",
        json!({"path": app.vault_path(), "password": PASSWORD}),
    );
    let words = created["recovery_key"].as_str().unwrap();
    assert_eq!(words.split_whitespace().count(), 24);
    assert_eq!(app.ok("app_status", json!({}))["state"], "unlocked");

    assert_eq!(app.ok("lock", json!({}))["state"], "locked");
    assert_eq!(app.error_code("timeline", json!({"filter": {}})), "locked");
    assert_eq!(
        app.error_code("unlock", json!({"password": "not the password"})),
        "wrong_password"
    );
    assert_eq!(
        app.ok("unlock", json!({"password": PASSWORD}))["state"],
        "unlocked"
    );

    // The settings file names the vault and nothing about any photo.
    let settings = std::fs::read_to_string(app.root.path().join("config/settings.json")).unwrap();
    assert!(settings.contains("vault"), "{settings}");
}

#[test]
fn an_unlock_whose_kdf_parameters_changed_since_last_time_carries_a_warning() {
    let app = TestApp::new();
    app.ok(
        "create_vault",
        json!({"path": app.vault_path(), "password": PASSWORD}),
    );
    app.ok("lock", json!({}));
    let unlocked = app.ok("unlock", json!({"password": PASSWORD}));
    assert_eq!(unlocked["warning"], Value::Null, "{unlocked}");
    app.ok("lock", json!({}));

    // What this device remembers says fewer passes than the header now asks for: as if
    // the header had been edited since.
    let seen_path = app.root.path().join("data/seen-kdf.json");
    let mut seen: Value = serde_json::from_slice(&std::fs::read(&seen_path).unwrap()).unwrap();
    let (_, params) = seen.as_object_mut().unwrap().iter_mut().next().unwrap();
    let passes = params["iterations"].as_u64().unwrap();
    params["iterations"] = json!(passes + 1);
    std::fs::write(&seen_path, serde_json::to_vec(&seen).unwrap()).unwrap();

    let warned = app.ok("unlock", json!({"password": PASSWORD}));
    let warning = warned["warning"].as_str().unwrap_or_default();
    assert!(warning.contains("password settings changed"), "{warned}");
    app.ok("lock", json!({}));
    let again = app.ok("unlock", json!({"password": PASSWORD}));
    assert_eq!(
        again["warning"],
        Value::Null,
        "recorded after the unlock: {again}"
    );
}

#[test]
fn browse_organise_and_export_real_photos() {
    let (app, photos) = TestApp::with_photos(&[
        "jpg__Canon_40D.jpg",
        "jpg__gps__DSCN0010.jpg",
        "heic__mobile__iphone_13_pro_max.HEIC",
    ]);
    let all = app.timeline(json!({}));
    let ids: Vec<String> = all
        .iter()
        .map(|i| i["id"].as_str().unwrap().into())
        .collect();
    assert!(all.iter().all(|i| i["no_thumbnail"].is_null()), "{all:?}");

    let gps = all
        .iter()
        .find(|i| i["name"] == "jpg__gps__DSCN0010.jpg")
        .unwrap();
    let details = app.ok("item_details", json!({"id": gps["id"]}));
    assert!(details["latitude"].as_f64().unwrap() > 43.0, "{details}");
    assert!(
        details["camera"].as_str().unwrap().contains("NIKON"),
        "{details}"
    );

    app.ok("set_favourite", json!({"ids": [ids[0]], "favourite": true}));
    assert_eq!(app.timeline(json!({"favourites": true})).len(), 1);

    let album = app.ok("create_album", json!({"name": "Holidays"}));
    assert_eq!(
        app.error_code("create_album", json!({"name": "Holidays"})),
        "exists"
    );
    app.ok("add_to_album", json!({"album": album, "ids": &ids[..2]}));
    assert_eq!(app.timeline(json!({"album": album})).len(), 2);
    assert_eq!(app.ok("albums", json!({}))[0]["items"], 2);

    app.ok("move_to_trash", json!({"ids": [ids[1]]}));
    assert_eq!(app.timeline(json!({})).len(), 2);
    assert_eq!(app.timeline(json!({"trash": true})).len(), 1);
    app.ok("restore_from_trash", json!({"ids": [ids[1]]}));
    assert_eq!(app.timeline(json!({})).len(), 3);

    let out = app.root.path().join("exported");
    let summary = app.ok(
        "export_items",
        json!({"ids": [gps["id"]], "folder": out.display().to_string()}),
    );
    assert_eq!(summary["exported"], 1);
    assert_eq!(
        std::fs::read(out.join("jpg__gps__DSCN0010.jpg")).unwrap(),
        std::fs::read(&photos[1]).unwrap()
    );

    app.ok("move_to_trash", json!({"ids": [ids[2]]}));
    assert_eq!(app.ok("empty_trash", json!({})), 1);
    assert_eq!(app.timeline(json!({})).len(), 2);
    assert_eq!(
        app.error_code("item_details", json!({"id": ids[2]})),
        "not_found"
    );
    assert_eq!(
        app.error_code("item_details", json!({"id": "nonsense"})),
        "invalid_input"
    );
}

#[test]
fn images_are_served_only_while_unlocked() {
    use tauri::http::Request;
    let (app, photos) = TestApp::with_photos(&["jpg__Canon_40D.jpg"]);
    let photo = &photos[0];
    let id = app.timeline(json!({}))[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let handle = app.window.app_handle();
    let get = |path: &str, range: Option<&str>| {
        let mut request = Request::builder().uri(format!("vault://localhost{path}"));
        if let Some(range) = range {
            request = request.header("Range", range);
        }
        keepsake_app::protocol::respond(handle, &request.body(Vec::new()).unwrap())
    };

    let thumb = get(&format!("/thumb/{id}"), None);
    assert_eq!(thumb.status(), 200);
    assert_eq!(thumb.headers()["content-type"], "image/jpeg");
    assert_eq!(thumb.headers()["cache-control"], "no-store");
    assert!(thumb.body().starts_with(b"\xFF\xD8\xFF"));

    let bytes = std::fs::read(photo).unwrap();
    let original = get(&format!("/original/{id}"), None);
    assert_eq!(original.body(), &bytes);
    // A range from the middle (what a video element asks for when seeking): the very bytes,
    // and a Content-Range that says which.
    let part = get(&format!("/original/{id}"), Some("bytes=1000-1999"));
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 1000-1999/{}", bytes.len()).as_str()
    );
    assert_eq!(part.body().as_slice(), &bytes[1000..2000]);
    // The app's page may fetch originals (the Linux video path); another origin may not.
    let from = |origin: &str| {
        let request = Request::builder()
            .uri(format!("vault://localhost/original/{id}"))
            .header("Origin", origin)
            .body(Vec::new())
            .unwrap();
        keepsake_app::protocol::respond(handle, &request)
            .headers()
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap().to_string())
    };
    assert_eq!(
        from("tauri://localhost").as_deref(),
        Some("tauri://localhost")
    );
    assert_eq!(from("https://evil.example"), None);

    assert_eq!(
        get("/thumb/00000000000000000000000000000000", None).status(),
        404
    );
    app.ok("lock", json!({}));
    assert_eq!(get(&format!("/thumb/{id}"), None).status(), 403);
}

#[test]
fn a_lost_catalog_is_reported_as_such_and_rebuilt_from_the_photos() {
    let (app, _) = TestApp::with_photos(&["jpg__Canon_40D.jpg", "jpg__gps__DSCN0010.jpg"]);
    app.ok("lock", json!({}));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}/catalog.db{suffix}", app.vault_path()));
    }
    assert_eq!(
        app.error_code("unlock", json!({"password": PASSWORD})),
        "catalog_damaged"
    );
    assert_eq!(
        app.error_code("rebuild_catalog", json!({"password": "not the password"})),
        "wrong_password"
    );
    assert_eq!(
        app.ok("rebuild_catalog", json!({"password": PASSWORD}))["state"],
        "unlocked"
    );
    let items = app.timeline(json!({}));
    assert_eq!(items.len(), 2);
    assert!(
        items
            .iter()
            .all(|i| i["name"].as_str().unwrap().starts_with("recovered-")),
        "{items:?}"
    );
}

#[test]
fn locking_stops_a_watch_folder_import_and_the_next_unlock_finishes_it() {
    const FILES: usize = 240;
    let app = TestApp::new();
    app.ok(
        "create_vault",
        json!({"path": app.vault_path(), "password": PASSWORD}),
    );
    // Distinct photos: one JPEG with different bytes after its end, which decoders ignore.
    let phone = app.root.path().join("phone");
    std::fs::create_dir(&phone).unwrap();
    let jpeg = std::fs::read(samples().join("jpg__Canon_40D.jpg")).unwrap();
    for n in 0..FILES {
        let mut bytes = jpeg.clone();
        bytes.extend_from_slice(format!("copy {n}").as_bytes());
        std::fs::write(phone.join(format!("IMG_{n:04}.jpg")), bytes).unwrap();
    }
    let mut settings = app.ok("settings", json!({}));
    settings["watch_folders"] = json!([phone]);
    app.ok("save_settings", json!({ "settings": settings }));
    let deadline = Instant::now() + Duration::from_secs(60);
    while app.timeline(json!({})).is_empty() {
        assert!(Instant::now() < deadline, "the watch import did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    app.ok("lock", json!({}));

    // The import stops after the batch in flight, and with it the last use of the keys.
    let state = app.window.app_handle().state::<AppState>();
    let deadline = Instant::now() + Duration::from_secs(20);
    while state
        .import_running
        .load(std::sync::atomic::Ordering::SeqCst)
    {
        assert!(
            Instant::now() < deadline,
            "the watch import went on after lock"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let vault = keepsake_core::Vault::open(Path::new(&app.vault_path()))
        .expect("the app let go of the vault")
        .unlock(&keepsake_core::Password::new(PASSWORD.into()))
        .expect("no session holds the vault after lock");
    let imported = vault.items().unwrap().len();
    assert!(imported < FILES, "all {FILES} imported after lock");
    drop(vault.lock());

    app.ok("unlock", json!({"password": PASSWORD}));
    let deadline = Instant::now() + Duration::from_secs(120);
    while app.timeline(json!({})).len() < FILES {
        assert!(Instant::now() < deadline, "the rest was not imported");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(app.timeline(json!({})).len(), FILES, "each photo once");
}

#[test]
fn check_and_repair_in_settings_mend_a_damaged_photo_from_a_remote() {
    let (app, _) = TestApp::with_photos(&["jpg__Canon_40D.jpg", "jpg__Nikon_D70.jpg"]);
    let clean = app.ok("verify_vault", json!({"repair": false}));
    assert_eq!(clean["checked"], 2, "{clean}");
    assert_eq!(clean["damaged"], json!([]));

    // A folder remote holding authentic copies: its header arrives last in a sync.
    let usb = app.root.path().join("usb");
    app.ok(
        "add_remote",
        json!({"remote": {"name": "usb", "url": format!("file://{}", usb.display()), "user": null, "secret": null}}),
    );
    app.ok("sync_now", json!({}));
    let deadline = Instant::now() + Duration::from_secs(60);
    while !usb.join("keepsake-vault.json").exists() {
        assert!(Instant::now() < deadline, "the sync did not finish");
        std::thread::sleep(Duration::from_millis(100));
    }

    // One stored original damaged on this disk.
    let objects = Path::new(&app.vault_path()).join("objects");
    let shard = std::fs::read_dir(&objects)
        .unwrap()
        .flatten()
        .next()
        .unwrap();
    let object = std::fs::read_dir(shard.path())
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    let mut bytes = std::fs::read(&object).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(&object, &bytes).unwrap();

    let found = app.ok("verify_vault", json!({"repair": false}));
    assert_eq!(found["damaged"].as_array().unwrap().len(), 1, "{found}");
    assert_eq!(found["damaged"][0]["repaired"], false);
    let repaired = app.ok("verify_vault", json!({"repair": true}));
    assert_eq!(repaired["damaged"][0]["repaired"], true, "{repaired}");
    let after = app.ok("verify_vault", json!({"repair": false}));
    assert_eq!(after["damaged"], json!([]), "{after}");
}

/// The app's commands are named in four hand-kept places: the handler (src-tauri/lib.rs),
/// the permission list (src-tauri/build.rs), the capability (capabilities/main.json) and
/// the TypeScript wrappers (ui/src/lib/api.ts). A command missing from one is denied,
/// unregistered or unreachable from the UI: they must all name the same set.
#[test]
fn every_command_is_registered_declared_allowed_and_wrapped() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |path: &str| std::fs::read_to_string(root.join(path)).unwrap();
    let between = |text: &str, start: &str, end: &str| -> String {
        let from = &text[text.find(start).unwrap_or_else(|| panic!("{start}"))..];
        from[..from.find(end).unwrap()].to_string()
    };
    let build = read("src-tauri/build.rs");
    let declared: BTreeSet<String> = between(&build, "const COMMANDS", "];")
        .split('"')
        .skip(1)
        .step_by(2)
        .map(String::from)
        .collect();
    let lib = read("src-tauri/lib.rs");
    let registered: BTreeSet<String> = between(&lib, "generate_handler![", "])")
        .split(',')
        .filter_map(|entry| entry.trim().rsplit("::").next())
        .filter(|name| !name.is_empty())
        .map(String::from)
        .collect();
    let capability: Value =
        serde_json::from_str(&read("src-tauri/capabilities/main.json")).unwrap();
    let allowed: BTreeSet<String> = capability["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p.as_str()?.strip_prefix("allow-"))
        .map(|p| p.replace('-', "_"))
        .collect();
    let api = read("ui/src/lib/api.ts");
    let wrapped: BTreeSet<String> = api
        .match_indices("invoke<")
        .filter_map(|(at, _)| {
            let call = &api[at..];
            let name = &call[call.find("('")? + 2..];
            Some(name[..name.find('\'')?].to_string())
        })
        .collect();
    assert!(declared.len() >= 40, "{declared:?}");
    assert_eq!(registered, declared, "lib.rs's handler vs build.rs");
    assert_eq!(allowed, declared, "capabilities/main.json vs build.rs");
    assert_eq!(wrapped, declared, "ui/src/lib/api.ts vs build.rs");
}

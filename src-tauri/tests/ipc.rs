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

    /// An app with `names` imported and a folder remote named "usb": the app, the
    /// photos, the remote's URL and its folder.
    fn with_usb_remote(names: &[&str]) -> (Self, Vec<PathBuf>, String, PathBuf) {
        let (app, photos) = Self::with_photos(names);
        let usb = app.root.path().join("usb");
        let url = format!("file://{}", usb.display());
        app.ok(
            "add_remote",
            json!({"remote": {"name": "usb", "url": url, "user": null, "secret": null}}),
        );
        (app, photos, url, usb)
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

    /// Starts Linux's video server as the app does at start; its base URL and secret.
    #[cfg(target_os = "linux")]
    fn start_media_server(&self) -> (String, String) {
        let handle = self.window.app_handle().clone();
        handle.manage(keepsake_app::media_server::MediaServer::start(handle.clone()).unwrap());
        let base = self
            .ok("media_server", json!({}))
            .as_str()
            .unwrap()
            .to_string();
        let token = base.rsplit('/').next().unwrap().to_string();
        (base, token)
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

    // Everything, in a folder per album, with XMP sidecars (tests/media.rs checks what
    // exiftool reads from them).
    let everything = app.root.path().join("everything");
    let summary = app.ok(
        "export_library",
        json!({"folder": everything.display().to_string(), "albums": true, "sidecars": "xmp"}),
    );
    assert_eq!(summary["exported"], 3, "{summary}");
    let mut written: Vec<String> = walk(&everything);
    written.sort();
    let names: Vec<String> = ids
        .iter()
        .map(|id| {
            app.ok("item_details", json!({"id": id}))["name"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let mut expected = vec![
        format!("Holidays/{}", names[0]),
        format!("Holidays/{}", names[1]),
        names[2].clone(),
    ];
    expected = expected
        .into_iter()
        .flat_map(|f| [format!("{f}.xmp"), f])
        .collect();
    expected.sort();
    assert_eq!(written, expected);
    assert_eq!(
        app.error_code(
            "export_library",
            json!({"folder": everything.display().to_string(), "albums": false, "sidecars": "docx"})
        ),
        "invalid_input"
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

/// The Library's "on this day" strip: photos from around a date in earlier years.
#[test]
fn memories_are_the_photos_from_around_the_date_in_earlier_years() {
    // Taken 2008-05-30, 2004-08-27 and 2004-08-31.
    let (app, _) = TestApp::with_photos(&[
        "jpg__Canon_40D.jpg",
        "jpg__Canon_DIGITAL_IXUS_400.jpg",
        "jpg__Ricoh_Caplio_RR330.jpg",
    ]);
    let names = |date: &str| -> Vec<String> {
        app.ok("memories", json!({ "date": date }))
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names("2026-06-02"), ["jpg__Canon_40D.jpg"]);
    assert_eq!(
        names("2026-08-28"),
        [
            "jpg__Ricoh_Caplio_RR330.jpg",
            "jpg__Canon_DIGITAL_IXUS_400.jpg"
        ]
    );
    assert_eq!(names("2026-08-24"), ["jpg__Canon_DIGITAL_IXUS_400.jpg"]);
    assert!(names("2026-06-03").is_empty(), "four days is not around");
    assert!(
        names("2008-05-30").is_empty(),
        "the same year is not a memory"
    );
    let trashed = app
        .timeline(json!({}))
        .into_iter()
        .find(|i| i["name"] == "jpg__Canon_40D.jpg")
        .unwrap();
    app.ok("move_to_trash", json!({"ids": [trashed["id"]]}));
    assert!(names("2026-06-02").is_empty(), "the trash is not a memory");
    assert_eq!(
        app.error_code("memories", json!({"date": "2026-02-30"})),
        "invalid_input"
    );
    app.ok("memories", json!({})); // today
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

    // The import stops at the next file, and with it the last use of the keys.
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
    // Copies of one photo taken in the same second show as bursts: count what each
    // tile holds.
    let photos = |app: &TestApp| -> usize {
        app.timeline(json!({}))
            .iter()
            .map(|tile| tile["stack_size"].as_u64().unwrap_or(0).max(1) as usize)
            .sum()
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    while photos(&app) < FILES {
        assert!(Instant::now() < deadline, "the rest was not imported");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(photos(&app), FILES, "each photo once");
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

/// What each kind of remote needs is the API's to check, for the app as for the CLI: an
/// S3 remote without keys is refused before it is stored, a WebDAV user in the URL is
/// kept once, as the user.
#[test]
fn remotes_get_what_their_scheme_needs_before_they_are_stored() {
    let (app, _) = TestApp::with_photos(&["jpg__Canon_40D.jpg"]);
    let add = |name: &str, url: &str, user: Value, secret: Value| {
        app.call(
            "add_remote",
            json!({"remote": {"name": name, "url": url, "user": user, "secret": secret}}),
        )
    };
    let refused = add(
        "cloud",
        "s3://bucket/photos?endpoint=https://s3.example.com&region=eu-west-1",
        json!("AKIDEXAMPLE"),
        json!(""),
    )
    .expect_err("an S3 remote without a secret key");
    assert_eq!(refused["code"], "remote", "{refused}");
    assert!(
        refused["message"].as_str().unwrap().contains("secret key"),
        "{refused}"
    );
    let refused = add(
        "far",
        "webdav+http://nas.example.com/dav",
        json!(null),
        json!(null),
    )
    .expect_err("plain http to another machine");
    assert_eq!(refused["code"], "remote", "{refused}");
    assert!(app.ok("remotes", json!({})).as_array().unwrap().is_empty());

    add(
        "nas",
        "webdav://alice@nas.example.com/dav/photos",
        json!(null),
        json!("nas password"),
    )
    .unwrap();
    let remotes = app.ok("remotes", json!({}));
    assert_eq!(remotes[0]["user"], "alice", "{remotes}");
    assert_eq!(
        remotes[0]["url"], "webdav://nas.example.com/dav/photos",
        "{remotes}"
    );
}

/// A remote that accepts connections and never answers: every request a sync makes to it
/// stalls (until OpenDAL's own timeout, a minute later). The deliberately slow remote.
/// Waits up to a minute for `done`, failing with `what`.
fn until(what: &str, done: &dyn Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "{what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn start_stalled_remote() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    port
}

fn sync_phase(app: &TestApp) -> String {
    app.ok("sync_status", json!({}))["phase"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Settings, organising, export, the trash and the password never wait for a sync: here
/// one stalled on its first upload, which would hold them for minutes if they did.
#[test]
fn a_sync_stalled_on_a_slow_remote_holds_up_nothing_else() {
    let (app, photos) = TestApp::with_photos(&[
        "jpg__Canon_40D.jpg",
        "jpg__Nikon_D70.jpg",
        "jpg__Kodak_CX7530.jpg",
    ]);
    let ids: Vec<String> = app
        .timeline(json!({}))
        .iter()
        .map(|i| i["id"].as_str().unwrap().into())
        .collect();
    let timed = |cmd: &str, args: Value| {
        let started = Instant::now();
        let answer = app.ok(cmd, args);
        (answer, started.elapsed())
    };
    // What the two commands that do more than a catalog write cost on their own: a
    // password change derives twice (calibrated to this machine), the device list asks
    // the OS keyring which device this is.
    let (_, passwd_alone) = timed(
        "change_password",
        json!({"current": PASSWORD, "new": "a second long password"}),
    );
    let (_, devices_alone) = timed("devices", json!({}));

    let port = start_stalled_remote();
    app.ok(
        "add_remote",
        json!({"remote": {"name": "slow", "url": format!("s3://bucket/v?endpoint=http://127.0.0.1:{port}&region=us-east-1"), "user": "keepsake", "secret": "keepsake-secret"}}),
    );
    app.ok("sync_now", json!({}));
    let deadline = Instant::now() + Duration::from_secs(30);
    while sync_phase(&app) != "syncing" {
        assert!(Instant::now() < deadline, "the sync did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200)); // its uploads are on the wire

    let quick = |cmd: &str, args: Value, alone: Duration| {
        let (answer, took) = timed(cmd, args);
        assert!(
            took < alone + Duration::from_secs(1),
            "{cmd} took {took:?} during the sync ({alone:?} on its own)"
        );
        eprintln!("{cmd}: {took:?} during the stalled sync, {alone:?} measured alone");
        answer
    };
    let none = Duration::ZERO; // not measured alone: a catalog write or two
    assert_eq!(
        quick("devices", json!({}), devices_alone)
            .as_array()
            .unwrap()
            .len(),
        0
    );
    let usb = app.root.path().join("usb");
    quick(
        "add_remote",
        json!({"remote": {"name": "usb", "url": format!("file://{}", usb.display()), "user": null, "secret": null}}),
        none,
    );
    quick("remove_remote", json!({"name": "usb"}), none);
    quick(
        "set_favourite",
        json!({"ids": [ids[0]], "favourite": true}),
        none,
    );
    let out = app.root.path().join("exported");
    let exported = quick(
        "export_items",
        json!({"ids": [ids[0]], "folder": out.display().to_string()}),
        none,
    );
    assert_eq!(exported["exported"], 1, "{exported}");
    let name = app.ok("item_details", json!({"id": ids[0]}))["name"]
        .as_str()
        .unwrap()
        .to_string();
    let source = photos.iter().find(|p| p.ends_with(&name)).unwrap();
    assert_eq!(
        std::fs::read(out.join(&name)).unwrap(),
        std::fs::read(source).unwrap()
    );
    app.ok("move_to_trash", json!({"ids": [ids[2]]}));
    assert_eq!(quick("empty_trash", json!({}), none), 1);
    quick(
        "change_password",
        json!({"current": "a second long password", "new": PASSWORD}),
        passwd_alone,
    );
    // Still the same stalled sync: nothing above waited for it to end.
    assert_eq!(sync_phase(&app), "syncing");
    app.ok("lock", json!({}));
}

/// The video element's requests for a large video (successive ranges, as it plays) and the
/// grid's thumbnails are served side by side: no thumbnail waits more than a moment.
/// `KEEPSAKE_VIDEO_STREAM_MIB` sets the video's size (1024 by default).
#[test]
fn thumbnails_keep_coming_while_a_large_video_streams() {
    use std::io::{Read, Seek, SeekFrom, Write};
    use tauri::http::Request;
    let mib: u64 = std::env::var("KEEPSAKE_VIDEO_STREAM_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    let (app, _) = TestApp::with_photos(&[
        "jpg__Canon_40D.jpg",
        "jpg__Nikon_D70.jpg",
        "jpg__gps__DSCN0010.jpg",
    ]);
    // An MP4 signature, then noise: stored and served like any video.
    let video = app.root.path().join("film.mp4");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&video).unwrap());
    file.write_all(b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom")
        .unwrap();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut block = vec![0u8; 1 << 20];
    for _ in 0..mib {
        for word in block.chunks_exact_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            word.copy_from_slice(&state.to_le_bytes());
        }
        file.write_all(&block).unwrap();
    }
    drop(file);
    let len = std::fs::metadata(&video).unwrap().len();
    app.import(std::slice::from_ref(&video), 4);
    let all = app.timeline(json!({}));
    let id_of = |i: &Value| i["id"].as_str().unwrap().to_string();
    let film = id_of(all.iter().find(|i| i["name"] == "film.mp4").unwrap());
    let photos: Vec<String> = all
        .iter()
        .filter(|i| i["name"] != "film.mp4")
        .map(id_of)
        .collect();

    let handle = app.window.app_handle().clone();
    let get = move |path: &str, range: Option<String>| {
        let mut request = Request::builder().uri(format!("vault://localhost{path}"));
        if let Some(range) = range {
            request = request.header("Range", range);
        }
        keepsake_app::protocol::respond(&handle, &request.body(Vec::new()).unwrap())
    };
    let streamer = {
        let get = get.clone();
        let (film, video) = (film.clone(), video.clone());
        std::thread::spawn(move || {
            let mut source = std::fs::File::open(&video).unwrap();
            let mut offset = 0u64;
            while offset < len {
                let part = get(
                    &format!("/original/{film}"),
                    Some(format!("bytes={offset}-")),
                );
                assert_eq!(part.status(), 206);
                let mut expected = vec![0u8; part.body().len()];
                source.seek(SeekFrom::Start(offset)).unwrap();
                source.read_exact(&mut expected).unwrap();
                assert!(part.body() == &expected, "wrong bytes at {offset}");
                offset += part.body().len() as u64;
            }
            offset
        })
    };
    let (mut served, mut slowest) = (0, Duration::ZERO);
    while !streamer.is_finished() {
        for id in &photos {
            let started = Instant::now();
            let thumb = get(&format!("/thumb/{id}"), None);
            assert_eq!(thumb.status(), 200);
            slowest = slowest.max(started.elapsed());
            served += 1;
        }
    }
    assert_eq!(streamer.join().unwrap(), len, "the whole video streamed");
    assert!(
        served >= photos.len(),
        "no thumbnail came while it streamed"
    );
    assert!(
        slowest < Duration::from_secs(1),
        "a thumbnail waited {slowest:?} while the video streamed ({served} served)"
    );
    eprintln!("{mib} MiB video streamed; {served} thumbnails, the slowest in {slowest:?}");
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

/// One HTTP/1.1 GET to the loopback media server: (status, headers, body).
#[cfg(target_os = "linux")]
fn http_get(
    base: &str,
    path: &str,
    host: Option<&str>,
    range: Option<&str>,
) -> (u16, String, Vec<u8>) {
    use std::io::{Read, Write};
    let address = base.trim_start_matches("http://");
    let (address, _) = address.split_once('/').unwrap();
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    let mut request = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
        host.unwrap_or(address)
    );
    if let Some(range) = range {
        request.push_str(&format!("Range: {range}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&answer[..split]).to_string();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head, answer[split + 4..].to_vec())
}

/// Linux's video path (media_server.rs): ranges of a video's playable stream, byte-exact,
/// only with the secret path and the server's own Host, never a photo, nothing once locked.
#[cfg(target_os = "linux")]
#[test]
fn videos_stream_to_the_linux_player_with_the_secret_while_unlocked() {
    let (app, _) = TestApp::with_photos(&["jpg__Canon_40D.jpg"]);
    let video = samples().join("../formats/mp4__with-gps.mp4");
    app.import(std::slice::from_ref(&video), 2);
    assert_eq!(
        app.ok("media_server", json!({})),
        Value::Null,
        "not started yet"
    );
    let (base, token) = app.start_media_server();
    assert_eq!(token.len(), 64, "a 256-bit secret in the path");

    let all = app.timeline(json!({}));
    let id = |name: &str| {
        all.iter().find(|i| i["name"] == name).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (film, photo) = (id("mp4__with-gps.mp4"), id("jpg__Canon_40D.jpg"));
    let details = app.ok("item_details", json!({ "id": film }));
    assert_eq!(details["playable"], "original", "{details}");
    let original = std::fs::read(&video).unwrap();
    let path = format!("/{token}/playable/{film}");

    let (status, head, body) = http_get(&base, &path, None, Some("bytes=100-"));
    assert_eq!(status, 206, "{head}");
    assert!(body == original[100..], "the range, byte for byte");
    assert!(
        head.contains(&format!(
            "Content-Range: bytes 100-{}/{}",
            original.len() - 1,
            original.len()
        )),
        "{head}"
    );
    assert!(head.contains("Cache-Control: no-store"), "{head}");
    let (status, _, body) = http_get(&base, &path, None, None);
    assert_eq!((status, body == original), (200, true), "the whole video");

    let wrong = format!("/{}/playable/{film}", "0".repeat(64));
    assert_eq!(http_get(&base, &wrong, None, None).0, 403, "a wrong secret");
    assert_eq!(
        http_get(&base, &format!("/playable/{film}"), None, None).0,
        403
    );
    let rebinding = http_get(&base, &path, Some("attacker.example:80"), None).0;
    assert_eq!(rebinding, 403, "another Host (DNS rebinding)");
    let photo_path = format!("/{token}/playable/{photo}");
    assert_eq!(
        http_get(&base, &photo_path, None, None).0,
        404,
        "photos are not served"
    );
    let original_path = format!("/{token}/original/{film}");
    assert_eq!(
        http_get(&base, &original_path, None, None).0,
        404,
        "only playable streams"
    );

    app.ok("lock", json!({}));
    let (status, _, body) = http_get(&base, &path, None, Some("bytes=0-"));
    assert_eq!((status, body.len()), (403, 0), "nothing once locked");
}

/// A stream longer than one window (8 MiB) comes whole and byte-exact while unlocked, and
/// locking cuts it off mid-way: the next window is never decrypted.
#[cfg(target_os = "linux")]
#[test]
fn locking_cuts_a_video_stream_off_mid_way() {
    use std::io::{Read, Write};
    let (app, _) = TestApp::with_photos(&["jpg__Canon_40D.jpg"]);
    // An MP4 signature, then 40 MiB of noise: stored and streamed like any video.
    let video = app.root.path().join("long.mp4");
    let mut bytes = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom".to_vec();
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    while bytes.len() < 40 << 20 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    std::fs::write(&video, &bytes).unwrap();
    app.import(std::slice::from_ref(&video), 2);
    let (base, token) = app.start_media_server();
    let id = app
        .timeline(json!({}))
        .iter()
        .find(|i| i["name"] == "long.mp4")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/{token}/playable/{id}");

    let (status, _, body) = http_get(&base, &path, None, Some("bytes=0-"));
    assert_eq!(status, 206);
    assert!(body == bytes, "every window, byte for byte");

    let address = base
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap();
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nRange: bytes=0-\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut first = vec![0u8; 1 << 20];
    stream.read_exact(&mut first).unwrap();
    app.ok("lock", json!({}));
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest); // cut off: EOF or a reset
    let received = first.len() + rest.len();
    assert!(
        received < bytes.len() / 2,
        "{received} of {} bytes after locking",
        bytes.len()
    );
}

/// What a test server was asked: each request's first line and User-Agent.
type Requests = std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>;

/// A tile server on this machine that records what it is asked (the boundary the test
/// cannot reach: a real tile server on the internet): each request's first line and
/// User-Agent, answered with a small PNG.
fn tile_server() -> (String, Requests) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = Requests::default();
    let log = seen.clone();
    let mut png = Vec::new();
    image::RgbImage::from_pixel(256, 256, image::Rgb([10, 120, 200]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let (mut first, mut agent, mut line) = (String::new(), String::new(), String::new());
            reader.read_line(&mut first).unwrap();
            while reader.read_line(&mut line).unwrap() > 2 {
                if let Some(value) = line.to_ascii_lowercase().strip_prefix("user-agent:") {
                    agent = value.trim().to_string();
                }
                line.clear();
            }
            log.lock().unwrap().push((first.trim().to_string(), agent));
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                png.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&png);
        }
    });
    (base, seen)
}

/// The detailed map asks nothing of any server until the user turns it on; then its tiles
/// come through vault://tile/ from the server in Settings, with Keepsake's User-Agent, once
/// each (kept in memory); locking or turning it off stops every request.
#[test]
fn map_tiles_are_fetched_only_with_the_online_map_on_and_while_unlocked() {
    use tauri::http::Request;
    let (app, _) = TestApp::with_photos(&["jpg__Canon_40D.jpg"]);
    let (server, seen) = tile_server();
    let handle = app.window.app_handle().clone();
    let get = |path: &str| {
        let request = Request::builder()
            .uri(format!("vault://localhost/tile/{path}"))
            .body(Vec::new())
            .unwrap();
        tauri::async_runtime::block_on(keepsake_app::tiles::respond(&handle, &request))
    };
    let asked = || seen.lock().unwrap().len();

    let mut settings = app.ok("settings", json!({}));
    assert_eq!(
        settings["online_map"], false,
        "off until the user turns it on"
    );
    settings["map_tile_url"] = json!(format!("{server}/{{z}}/{{x}}/{{y}}.png"));
    app.ok("save_settings", json!({ "settings": settings }));
    assert_eq!(get("3/4/2").status(), 403);
    assert_eq!(asked(), 0);

    settings["online_map"] = json!(true);
    app.ok("save_settings", json!({ "settings": settings }));
    let tile = get("3/4/2");
    assert_eq!(tile.status(), 200);
    assert_eq!(tile.headers()["content-type"], "image/png");
    assert_eq!(tile.headers()["cache-control"], "no-store");
    assert_eq!(image::load_from_memory(tile.body()).unwrap().width(), 256);
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen[0].0, "GET /3/4/2.png HTTP/1.1");
        assert!(seen[0].1.starts_with("keepsake/"), "{:?}", seen[0].1);
    }
    assert_eq!(get("3/4/2").status(), 200);
    assert_eq!(asked(), 1, "a tile seen once comes from memory");
    assert_eq!(get("3/8/2").status(), 404, "outside zoom 3's grid");
    assert_eq!(asked(), 1);

    let mut bad = settings.clone();
    bad["map_tile_url"] = json!("https://tiles.example/{z}.png");
    assert_eq!(
        app.error_code("save_settings", json!({ "settings": bad })),
        "invalid_input"
    );

    // A tile server that does not answer: 502, saying why, and nothing kept.
    let mut dead = settings.clone();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    dead["map_tile_url"] = json!(format!("http://127.0.0.1:{port}/{{z}}/{{x}}/{{y}}.png"));
    app.ok("save_settings", json!({ "settings": dead }));
    let failed = get("3/5/2");
    assert_eq!(failed.status(), 502);
    assert!(!failed.body().is_empty(), "a 502 says why");
    app.ok("save_settings", json!({ "settings": settings }));
    // Changing the server forgot what the other one sent.
    assert_eq!(get("3/4/2").status(), 200);
    assert_eq!(asked(), 2);

    app.ok("lock", json!({}));
    assert_eq!(get("3/4/3").status(), 403);
    app.ok("unlock", json!({"password": PASSWORD}));
    settings["online_map"] = json!(false);
    app.ok("save_settings", json!({ "settings": settings }));
    assert_eq!(get("3/4/3").status(), 403);
    assert_eq!(asked(), 2);
}

/// The files under `dir`, as paths relative to it.
fn walk(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            let sub = path.file_name().unwrap().to_string_lossy().into_owned();
            found.extend(walk(&path).into_iter().map(|f| format!("{sub}/{f}")));
        } else {
            found.push(path.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    found
}

/// Two computers, one library: a favourite made on the laptop shows on the desktop after
/// its next sync, and the grid is told to refresh (it does not wait for the user).
#[test]
fn another_devices_changes_arrive_and_the_grid_is_told() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tauri::Listener;
    let (desktop, _, url, usb) =
        TestApp::with_usb_remote(&["jpg__Canon_40D.jpg", "jpg__Nikon_D70.jpg"]);
    desktop.ok("sync_now", json!({}));
    until("the desktop's first sync", &|| {
        usb.join("keepsake-vault.json").exists()
    });

    let laptop = TestApp::new();
    laptop.ok(
        "restore_vault",
        json!({"url": url, "user": null, "secret": null, "password": PASSWORD,
               "path": laptop.vault_path()}),
    );
    let photo = laptop.timeline(json!({}))[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    laptop.ok("set_favourite", json!({"ids": [photo], "favourite": true}));

    let told = Arc::new(AtomicUsize::new(0));
    let counter = told.clone();
    desktop._app.listen("library-changed", move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    let favourite_on_desktop = || {
        desktop
            .timeline(json!({}))
            .iter()
            .any(|i| i["id"] == photo.as_str() && i["favourite"] == true)
    };
    until("the laptop's favourite on the desktop", &|| {
        laptop.ok("sync_now", json!({}));
        desktop.ok("sync_now", json!({}));
        favourite_on_desktop()
    });
    until("the grid told to refresh", &|| {
        told.load(Ordering::SeqCst) > 0
    });
}

/// The app prunes after each sync: what the library stopped using goes from the remote
/// once its 30 days are over (an old catalog snapshot here), while a photo emptied from
/// the trash today stays there, counted on the Sync screen.
#[test]
fn the_app_prunes_after_each_sync_and_shows_what_it_keeps() {
    let (app, _, _, usb) = TestApp::with_usb_remote(&["jpg__Canon_40D.jpg", "jpg__Nikon_D70.jpg"]);
    app.ok("sync_now", json!({}));
    until("the first sync", &|| {
        usb.join("keepsake-vault.json").exists()
    });
    until("the first sync's end", &|| {
        app.ok("remotes", json!({}))[0]["last_sync"].is_string()
    });
    // A snapshot from long ago, as an earlier sync would have left it.
    let old = usb.join("catalog/00000000000000000001-00112233445566778899aabbccddeeff");
    std::fs::write(&old, b"an old snapshot").unwrap();
    let gone = app.timeline(json!({}))[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.ok("move_to_trash", json!({"ids": [gone]}));
    assert_eq!(app.ok("empty_trash", json!({})), 1);
    let original = usb.join(format!("objects/{}/{gone}", &gone[..2]));
    assert!(original.exists());

    app.ok("sync_now", json!({}));
    until("the old snapshot pruned", &|| !old.exists());
    assert!(original.exists(), "deleted before its 30 days");
    let remotes = app.ok("remotes", json!({}));
    assert!(remotes[0]["kept_files"].as_u64().unwrap() >= 2, "{remotes}");
    assert!(remotes[0]["kept_bytes"].as_u64().unwrap() > 0, "{remotes}");
}

/// Settings' "Free up space" leaves originals on the remote only, each checked there
/// first; the viewer's details say so, `bring_originals` fetches one, an export fetches
/// what it needs byte for byte, and keeping all originals again fetches the rest.
#[test]
fn free_up_space_keeps_originals_on_the_remote_and_fetches_them_when_needed() {
    let (app, photos, _, _) =
        TestApp::with_usb_remote(&["jpg__Canon_40D.jpg", "jpg__Nikon_D70.jpg"]);
    let before = app.ok("originals_setting", json!({}));
    assert_eq!(before["on_demand"], false, "{before}");
    assert_eq!(before["here"], 2, "{before}");
    // Nothing is on the remote yet: nothing can go.
    let nothing = app.ok("free_up_space", json!({}));
    assert_eq!(nothing["freed"], 0, "{nothing}");
    app.ok("sync_now", json!({}));
    until("the sync's end", &|| {
        app.ok("remotes", json!({}))[0]["last_sync"].is_string()
    });

    let freed = app.ok("free_up_space", json!({}));
    assert_eq!(freed["freed"], 2, "{freed}");
    assert_eq!(freed["setting"]["on_demand"], true, "{freed}");
    assert_eq!(freed["setting"]["away"], 2, "{freed}");
    let ids: Vec<String> = app
        .timeline(json!({}))
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(app.ok("item_details", json!({"id": ids[0]}))["away"], true);
    app.ok("bring_originals", json!({"ids": [ids[0]]}));
    assert_eq!(app.ok("item_details", json!({"id": ids[0]}))["away"], false);

    let out = app.root.path().join("out");
    app.ok(
        "export_items",
        json!({"ids": ids, "folder": out.to_str().unwrap()}),
    );
    let mut exported: Vec<Vec<u8>> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    let mut originals: Vec<Vec<u8>> = photos.iter().map(|p| std::fs::read(p).unwrap()).collect();
    exported.sort();
    originals.sort();
    assert_eq!(exported, originals);

    let all = app.ok("set_originals", json!({"onDemand": false, "cacheMb": 0}));
    assert_eq!(all["on_demand"], false, "{all}");
    assert_eq!(all["here"], 2, "{all}");
}

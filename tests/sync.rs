//! Sync and restore against real servers: rclone's S3 server (with authentication) and
//! its WebDAV server, started by the tests on loopback; the folder backend on a temp dir.

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use support::rclone::*;
use support::*;

/// A vault holding the EXIF samples and the other formats.
fn library() -> TestVault {
    let vault = TestVault::new();
    let input = vault.path("in");
    fs::create_dir_all(&input).unwrap();
    copy_samples("exif-samples", &input);
    copy_samples("formats", &input);
    vault.import(&[&input]);
    vault
}

fn exported(vault: &TestVault, name: &str) -> BTreeMap<String, String> {
    let out = vault.path(name);
    vault.run_ok(&["export", "--all", "--to", out.to_str().unwrap()]);
    files_under(&out)
        .iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                sha256(p),
            )
        })
        .collect()
}

#[test]
fn sync_then_restore_with_the_password_gives_back_every_photo_byte_for_byte() {
    let server = Server::start("s3");
    let vault = library();
    let url = server.s3_url("family");
    ok_s3(&vault, &["remote", "add", "cloud", &url]);
    ok_s3(&vault, &["remote", "test", "cloud"]);
    let first: serde_json::Value =
        serde_json::from_slice(&ok_s3(&vault, &["sync", "--json"]).stdout).unwrap();
    let items = vault.json(&["ls"]).as_array().unwrap().len() as u64;
    assert_eq!(first[0]["uploaded"], items);
    assert!(first[0]["snapshot"].is_string());
    // Idempotent: nothing is uploaded twice.
    let second: serde_json::Value =
        serde_json::from_slice(&ok_s3(&vault, &["sync", "--json"]).stdout).unwrap();
    assert_eq!(
        (
            second[0]["uploaded"].as_u64(),
            second[0]["skipped"].as_u64()
        ),
        (Some(0), Some(items))
    );
    let verify = ok_s3(&vault, &["verify", "--remote", "cloud", "--deep"]);
    assert!(stdout(&verify).contains("all there"));

    let restored = new_machine("restored");
    let out = ok_s3(&restored, &["restore", &url, "--name", "cloud"]);
    assert!(
        stdout(&out).contains(&format!("Restored {items} items")),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        exported(&restored, "out-restored"),
        exported(&vault, "out-original")
    );
    restored.run_ok(&["verify"]);
    // The restored vault knows its remote and has nothing left to upload.
    let again: serde_json::Value =
        serde_json::from_slice(&ok_s3(&restored, &["sync", "--json"]).stdout).unwrap();
    assert_eq!(again[0]["uploaded"], 0);

    // Restored under the default name, the remote is still listed once, by its old name.
    let other = new_machine("other");
    ok_s3(&other, &["restore", &url]);
    let remotes = other.json(&["remote", "ls"]);
    let names: Vec<&str> = remotes
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["cloud"], "{remotes}");
}

#[test]
fn restore_with_the_recovery_key_sets_a_new_password() {
    let server = Server::start("s3");
    let vault = library();
    let url = server.s3_url("recover-me");
    ok_s3(&vault, &["remote", "add", "cloud", &url]);
    ok_s3(&vault, &["sync"]);
    let restored = new_machine("restored");
    let out = with_s3_keys(restored.command(&["restore", &url, "--recovery-key"]))
        .env_remove("KEEPSAKE_PASSWORD")
        .env("KEEPSAKE_RECOVERY_KEY", &vault.recovery_key)
        .env(
            "KEEPSAKE_NEW_PASSWORD",
            "a new password after a lost laptop",
        )
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let ls = restored
        .command(&["ls"])
        .env("KEEPSAKE_PASSWORD", "a new password after a lost laptop")
        .output()
        .unwrap();
    assert!(ls.status.success());
    let wrong = with_s3_keys(new_machine("again").command(&["restore", &url]))
        .env("KEEPSAKE_PASSWORD", "not the password")
        .output()
        .unwrap();
    assert_eq!(wrong.status.code(), Some(3), "{}", stderr(&wrong));
}

#[test]
fn the_bucket_holds_nothing_readable() {
    let server = Server::start("s3");
    let vault = library();
    ok_s3(&vault, &["remote", "add", "cloud", &server.s3_url("p")]);
    ok_s3(&vault, &["sync"]);
    let needles: Vec<&[u8]> = vec![
        b"Canon_40D",
        b"DSCN0010",
        b"iphone_13",
        b"exif-samples",
        b"Canon EOS",
        b"NIKON",
        b"Apple",
        b"Exif\0\0",
        b"JFIF\0",
        b"ftypheic",
        b"ftypmif1",
        b"\x89PNG",
        b"SQLite format",
        PASSWORD.as_bytes(),
        SECRET_KEY.as_bytes(),
    ];
    let files = files_under(&server.data);
    assert!(files.len() > 50);
    for file in files {
        let bytes = fs::read(&file).unwrap();
        for needle in &needles {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == *needle),
                "{} holds {:?}",
                file.display(),
                String::from_utf8_lossy(needle)
            );
        }
        let name = file.to_string_lossy();
        assert!(
            !name.contains(".jpg") && !name.contains(".HEIC"),
            "revealing name {name}"
        );
    }
}

#[test]
fn sync_killed_midway_finishes_on_the_next_run_without_duplicates() {
    let server = Server::start("s3");
    let vault = TestVault::new();
    let input = vault.path("in");
    fs::create_dir_all(&input).unwrap();
    for i in 0..24 {
        synthetic_file(
            &input.join(format!("IMG_{i:03}.jpg")),
            JPEG_SIGNATURE,
            2 << 20,
            1000 + i,
        );
    }
    vault.import(&[&input]);
    // Each round syncs to a fresh prefix and is killed at a seeded moment inside a sync;
    // the next sync must finish the job with every object stored exactly once.
    let rounds: u64 = std::env::var("KEEPSAKE_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    assert!(
        rounds >= 10,
        "KEEPSAKE_CRASH_ROUNDS={rounds}: at least 10, or the kill test proves nothing"
    );
    let mut rng = Lcg(20261127);
    ok_s3(&vault, &["remote", "add", "probe", &server.s3_url("probe")]);
    // Kill moments fall within one sync's run (timing `remote add` too made half of them
    // land after the sync had finished, and the kill count marginal under load).
    let started = std::time::Instant::now();
    ok_s3(&vault, &["sync", "probe"]);
    let full = started.elapsed().as_micros().max(1) as u64;
    let mut kills = 0;
    for round in 0..rounds {
        let (name, prefix) = (format!("cloud{round}"), format!("k{round}"));
        ok_s3(&vault, &["remote", "add", &name, &server.s3_url(&prefix)]);
        let delay = Duration::from_micros(rng.below(full));
        if kill_after(&mut with_s3_keys(vault.command(&["sync", &name])), delay) {
            kills += 1;
        }
        ok_s3(&vault, &["sync", &name]);
        let check: serde_json::Value =
            serde_json::from_slice(&ok_s3(&vault, &["verify", "--remote", &name, "--json"]).stdout)
                .unwrap();
        assert_eq!(check["checked"], 24, "round {round}: {check}");
        assert_eq!(
            check["missing"].as_array().unwrap().len() + check["damaged"].as_array().unwrap().len(),
            0,
            "round {round}: {check}"
        );
        let objects = files_under(&server.data.join("bucket").join(&prefix).join("objects"));
        assert_eq!(
            objects.len(),
            24,
            "round {round}: each object stored exactly once"
        );
        ok_s3(&vault, &["remote", "rm", &name]);
    }
    assert!(
        kills * 2 >= rounds,
        "only {kills} of {rounds} syncs were killed mid-way"
    );
    // One deep check: every byte of the last round authenticates.
    ok_s3(
        &vault,
        &[
            "remote",
            "add",
            "last",
            &server.s3_url(&format!("k{}", rounds - 1)),
        ],
    );
    let deep: serde_json::Value = serde_json::from_slice(
        &ok_s3(&vault, &["verify", "--remote", "last", "--deep", "--json"]).stdout,
    )
    .unwrap();
    assert_eq!(deep["damaged"].as_array().unwrap().len(), 0, "{deep}");
}

#[test]
fn remote_damage_is_found_by_verify() {
    let server = Server::start("s3");
    let vault = library();
    ok_s3(&vault, &["remote", "add", "cloud", &server.s3_url("d")]);
    ok_s3(&vault, &["sync"]);
    let objects = files_under(&server.data.join("bucket/d/objects"));
    fs::remove_file(&objects[0]).unwrap();
    let mut bytes = fs::read(&objects[1]).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    fs::write(&objects[1], bytes).unwrap();
    std::thread::sleep(Duration::from_millis(1500)); // rclone's directory cache
    let shallow = run_s3(&vault, &["verify", "--remote", "cloud"]);
    assert_eq!(shallow.status.code(), Some(4));
    assert!(stdout(&shallow).contains("MISSING"), "{}", stdout(&shallow));
    let deep = run_s3(&vault, &["verify", "--remote", "cloud", "--deep"]);
    assert_eq!(deep.status.code(), Some(4));
    assert!(
        stdout(&deep).contains("failed authentication"),
        "{}",
        stdout(&deep)
    );
}

#[test]
fn a_remote_that_returns_another_objects_bytes_is_caught() {
    let server = Server::start("s3");
    let vault = library();
    ok_s3(&vault, &["remote", "add", "cloud", &server.s3_url("swap")]);
    ok_s3(&vault, &["sync"]);
    // The remote answers for one object with another's (intact, authentic) bytes: the
    // object id bound into each header and chunk gives it away.
    let objects = files_under(&server.data.join("bucket/swap/objects"));
    let (a, b) = (&objects[0], &objects[1]);
    let (bytes_a, bytes_b) = (fs::read(a).unwrap(), fs::read(b).unwrap());
    fs::write(a, &bytes_b).unwrap();
    fs::write(b, &bytes_a).unwrap();
    std::thread::sleep(Duration::from_millis(1500)); // rclone's directory cache
    let deep = run_s3(&vault, &["verify", "--remote", "cloud", "--deep", "--json"]);
    assert_eq!(deep.status.code(), Some(4), "{}", stderr(&deep));
    let report: serde_json::Value = serde_json::from_slice(&deep.stdout).unwrap();
    let damaged: Vec<String> = report["damaged"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.to_string())
        .collect();
    for swapped in [a, b] {
        let id = swapped.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            damaged.iter().any(|d| d.contains(&id)),
            "{id} not named in {report}"
        );
    }
    // A restore from that remote names those two and brings back only authentic photos.
    let restored = new_machine("restored");
    let out = with_s3_keys(restored.command(&["restore", &server.s3_url("swap")]))
        .output()
        .unwrap();
    no_panic(&out);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    // The two stay listed but missing: export says so and writes only authentic photos.
    let back = restored.path("back");
    let out = restored.run(&["export", "--all", "--to", back.to_str().unwrap()]);
    no_panic(&out);
    assert_ne!(out.status.code(), Some(0));
    assert_eq!(
        stderr(&out).matches("missing").count(),
        2,
        "{}",
        stderr(&out)
    );
    let originals = exported(&vault, "originals");
    let written = files_under(&back);
    assert_eq!(
        written.len(),
        originals.len() - 2,
        "all but the two swapped"
    );
    for file in written {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(originals.get(&name), Some(&sha256(&file)), "{name} differs");
    }
}

/// A proxy in front of `upstream` that may answer object uploads itself: `answer` sees
/// each object PUT's body and returns the whole HTTP response to send instead, or None to
/// pass the upload on. Everything else passes through.
fn start_object_proxy(
    upstream: u16,
    answer: impl Fn(&str, &[u8]) -> Option<String> + Send + Sync + 'static,
) -> u16 {
    use std::io::{Read, Write};
    let answer = std::sync::Arc::new(answer);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let answer = answer.clone();
            std::thread::spawn(move || {
                let mut client = client;
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if client.read(&mut byte).unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(byte[0]);
                }
                let text = String::from_utf8_lossy(&head).into_owned();
                let first = text.lines().next().unwrap_or_default().to_string();
                let length: usize = text
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse().ok())?
                    })
                    .unwrap_or(0);
                let mut body = vec![0u8; length];
                if client.read_exact(&mut body).is_err() {
                    return;
                }
                if first.starts_with("PUT ")
                    && first.contains("/objects/")
                    && let Some(response) = answer(&text, &body)
                {
                    let _ = client.write_all(response.as_bytes());
                    return;
                }
                // Anything else: one request upstream, on a connection that then closes.
                let Ok(mut server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                    return;
                };
                let head = text.replacen("\r\n", "\r\nConnection: close\r\n", 1);
                let _ = server.write_all(head.as_bytes());
                let _ = server.write_all(&body);
                let mut answer = Vec::new();
                let _ = server.read_to_end(&mut answer);
                let _ = client.write_all(&answer);
            });
        }
    });
    port
}

/// A remote that lies: it answers every object upload "200 OK" (with the right ETag, as a
/// careful liar would) and stores nothing.
fn start_lying_remote(upstream: u16) -> u16 {
    use md5::{Digest, Md5};
    start_object_proxy(upstream, |_, body| {
        let etag = format!("{:x}", Md5::digest(body));
        Some(format!(
            "HTTP/1.1 200 OK\r\nETag: \"{etag}\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        ))
    })
}

/// A remote with a storage quota, answering as Ceph's RGW and other S3 services do once
/// it is used up: 403 with the S3 error code QuotaExceeded.
fn start_quota_remote(upstream: u16, quota: std::sync::Arc<AtomicUsize>) -> u16 {
    start_object_proxy(upstream, move |_, body| {
        let fits = quota
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(body.len())
            })
            .is_ok();
        let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>QuotaExceeded</Code>\
                   <Message>The quota for this account is used up.</Message></Error>";
        (!fits).then(|| {
            format!(
                "HTTP/1.1 403 Forbidden\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{xml}",
                xml.len()
            )
        })
    })
}

#[test]
fn a_remote_that_acknowledges_uploads_but_stores_nothing_is_caught() {
    let server = Server::start("s3");
    let liar = start_lying_remote(server.port);
    let vault = library();
    let lying_url = format!("s3://bucket/lie?endpoint=http://127.0.0.1:{liar}&region=us-east-1");
    ok_s3(&vault, &["remote", "add", "liar", &lying_url]);
    let out = run_s3(&vault, &["sync", "--json"]);
    assert_ne!(
        out.status.code(),
        Some(0),
        "a sync to a lying remote must not pass"
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let said = format!("{}{report}", stderr(&out));
    // The check after each upload finds nothing there (however the backend words it).
    assert!(
        said.contains("not confirmed") || said.contains("not found on the remote"),
        "{said}"
    );
    // Nothing was recorded as stored there: the honest endpoint gets everything.
    ok_s3(&vault, &["remote", "add", "honest", &server.s3_url("lie")]);
    ok_s3(&vault, &["sync", "honest"]);
    let check: serde_json::Value = serde_json::from_slice(
        &ok_s3(
            &vault,
            &["verify", "--remote", "honest", "--deep", "--json"],
        )
        .stdout,
    )
    .unwrap();
    assert_eq!(check["missing"].as_array().unwrap().len(), 0, "{check}");
    assert_eq!(check["damaged"].as_array().unwrap().len(), 0, "{check}");
}

#[test]
fn bad_credentials_dead_endpoints_and_plain_http_are_clear_errors() {
    let server = Server::start("s3");
    let vault = library();
    let before = exported(&vault, "before");
    ok_s3(&vault, &["remote", "add", "cloud", &server.s3_url("x")]);
    let wrong = vault
        .command(&["sync"])
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", "wrong-secret-wrong-secret")
        .output()
        .unwrap();
    // The stored credentials are the ones used: the environment does not override them.
    assert!(wrong.status.success(), "{}", stderr(&wrong));

    let bad_keys = TestVault::new();
    let out = bad_keys
        .command(&["remote", "add", "cloud", &server.s3_url("y")])
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", "wrong-secret-wrong-secret")
        .output()
        .unwrap();
    assert!(out.status.success());
    bad_keys.import(&[&samples().join("exif-samples/jpg__Canon_40D.jpg")]);
    let refused = run_s3(&bad_keys, &["sync"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).to_lowercase().contains("credentials"),
        "{}",
        stderr(&refused)
    );

    let dead_port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    ok_s3(
        &vault,
        &[
            "remote",
            "add",
            "dead",
            &format!("s3://bucket/z?endpoint=http://127.0.0.1:{dead_port}"),
        ],
    );
    let started = Instant::now();
    let dead = run_s3(&vault, &["remote", "test", "dead"]);
    assert_eq!(dead.status.code(), Some(1));
    assert!(stderr(&dead).lines().count() <= 2, "{}", stderr(&dead));
    assert!(started.elapsed() < Duration::from_secs(120));

    ok_s3(
        &vault,
        &[
            "remote",
            "add",
            "nobucket",
            &format!(
                "s3://missing-bucket/p?endpoint=http://127.0.0.1:{}",
                server.port
            ),
        ],
    );
    let missing_bucket = run_s3(&vault, &["sync", "nobucket"]);
    assert_eq!(missing_bucket.status.code(), Some(1));

    let insecure = run_s3(
        &vault,
        &[
            "remote",
            "add",
            "far",
            "s3://b/p?endpoint=http://198.51.100.9:9000",
        ],
    );
    // Refused before anything else, as every URL Keepsake will not use: a usage error.
    assert_eq!(insecure.status.code(), Some(2));
    assert!(
        stderr(&insecure).contains("refusing plain http"),
        "{}",
        stderr(&insecure)
    );
    assert_eq!(exported(&vault, "after"), before, "nothing changed locally");
    // What the user sees is short and carries no secret: no key, no password, no request
    // signature or response headers.
    for out in [&refused, &dead, &missing_bucket, &insecure] {
        let said = format!("{}{}", stdout(out), stderr(out));
        for secret in [
            SECRET_KEY,
            "wrong-secret-wrong-secret",
            PASSWORD,
            "Signature",
        ] {
            assert!(!said.contains(secret), "{secret:?} shown: {said}");
        }
        assert!(said.lines().all(|line| line.len() < 300), "{said}");
    }
}

#[test]
fn webdav_and_folder_remotes_round_trip() {
    let server = Server::start("webdav");
    let vault = library();
    let dav = format!("webdav+http://ana@127.0.0.1:{}/photos", server.port);
    let out = vault
        .command(&["remote", "add", "nas", &dav])
        .env("KEEPSAKE_REMOTE_PASSWORD", "webdav-password")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let folder = vault.path("usb-disk");
    vault.run_ok(&[
        "remote",
        "add",
        "usb",
        &format!("file://{}", folder.display()),
    ]);
    vault.run_ok(&["sync"]);
    vault.run_ok(&["verify", "--remote", "nas", "--deep"]);
    vault.run_ok(&["verify", "--remote", "usb", "--deep"]);
    let original = exported(&vault, "orig");
    let restored = new_machine("r");
    restored.run_ok(&["restore", &format!("file://{}", folder.display())]);
    assert_eq!(exported(&restored, "out"), original);
    let restored = new_machine("r2");
    let out = restored
        .command(&["restore", &dav])
        .env("KEEPSAKE_REMOTE_PASSWORD", "webdav-password")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(exported(&restored, "out"), original);
    assert!(Path::new(&folder).join("keepsake-vault.json").exists());
}

#[test]
fn damage_on_either_side_is_repaired_from_the_other() {
    let server = Server::start("s3");
    let vault = library();
    ok_s3(&vault, &["remote", "add", "cloud", &server.s3_url("r")]);
    ok_s3(&vault, &["sync"]);
    let original = exported(&vault, "before");

    // A local object rots: verify finds it, --repair fetches the remote's authentic copy.
    let local = vault.object_files()[3].clone();
    let mut bytes = fs::read(&local).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    fs::write(&local, bytes).unwrap();
    assert_eq!(run_s3(&vault, &["verify"]).status.code(), Some(4));
    let repaired = ok_s3(&vault, &["verify", "--repair"]);
    assert!(
        stdout(&repaired).contains("REPAIRED"),
        "{}",
        stdout(&repaired)
    );
    ok_s3(&vault, &["verify"]);
    assert_eq!(exported(&vault, "after-local"), original);

    // A remote object disappears and another rots: re-uploaded from the local copies.
    let objects = files_under(&server.data.join("bucket/r/objects"));
    fs::remove_file(&objects[0]).unwrap();
    let mut bytes = fs::read(&objects[1]).unwrap();
    bytes[200] ^= 0x01;
    fs::write(&objects[1], bytes).unwrap();
    std::thread::sleep(Duration::from_millis(1500)); // rclone's directory cache
    assert_eq!(
        run_s3(&vault, &["verify", "--remote", "cloud", "--deep"])
            .status
            .code(),
        Some(4)
    );
    let repaired = ok_s3(
        &vault,
        &["verify", "--remote", "cloud", "--deep", "--repair"],
    );
    assert_eq!(
        stdout(&repaired).matches("REPAIRED").count(),
        2,
        "{}",
        stdout(&repaired)
    );
    std::thread::sleep(Duration::from_millis(1500));
    ok_s3(&vault, &["verify", "--remote", "cloud", "--deep"]);
}

/// A TCP proxy in front of the S3 server that breaks connections on purpose: resets,
/// 500/503 answers, stalls and truncated responses, on connections a seeded generator picks, at most
/// `budget` of them. Counts what it injected, by kind.
struct FaultProxy {
    port: u16,
    injected: std::sync::Arc<[std::sync::atomic::AtomicUsize; FAULT_KINDS.len()]>,
}

/// What `FaultProxy` injects, in turn.
const FAULT_KINDS: [&str; 4] = ["reset", "503", "500", "stall and truncation"];

impl FaultProxy {
    /// How many faults of each kind were injected.
    fn injected(&self) -> Vec<(&'static str, usize)> {
        FAULT_KINDS
            .iter()
            .zip(self.injected.iter())
            .map(|(kind, n)| (*kind, n.load(std::sync::atomic::Ordering::SeqCst)))
            .collect()
    }
}

impl FaultProxy {
    fn start(upstream: u16, seed: u64, budget: usize) -> Self {
        use std::io::{Read, Write};
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::{Arc, Mutex};
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let injected: Arc<[AtomicUsize; FAULT_KINDS.len()]> = Arc::new(Default::default());
        let rng = Arc::new(Mutex::new(seed | 1));
        let counters = injected.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let roll = {
                    let mut state = rng.lock().unwrap();
                    *state ^= *state << 13;
                    *state ^= *state >> 7;
                    *state ^= *state << 17;
                    *state % 10
                };
                let total: usize = counters.iter().map(|c| c.load(Ordering::SeqCst)).sum();
                let fault = roll < 6 && total < budget;
                // Kinds take turns, so that any four faults include one of each.
                let kind = total % FAULT_KINDS.len();
                if fault {
                    counters[kind].fetch_add(1, Ordering::SeqCst);
                }
                std::thread::spawn(move || {
                    let mut client = client;
                    let answer = |client: &mut TcpStream, status: &str| {
                        let mut head = [0u8; 4096];
                        let _ = client.read(&mut head);
                        let _ = write!(
                            client,
                            "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        );
                    };
                    match (fault, kind) {
                        (true, 0) => drop(client), // reset
                        (true, 1) => answer(&mut client, "503 Service Unavailable"),
                        (true, 2) => answer(&mut client, "500 Internal Server Error"),
                        (true, _) => {
                            // Forward the request, but cut the response short.
                            let Ok(mut server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                                return;
                            };
                            let mut buf = vec![0u8; 1 << 16];
                            if let Ok(n) = client.read(&mut buf) {
                                let _ = server.write_all(&buf[..n]);
                            }
                            std::thread::sleep(Duration::from_millis(300)); // a stall, too
                            if let Ok(n) = server.read(&mut buf) {
                                let _ = client.write_all(&buf[..n.min(40)]);
                            }
                        }
                        (false, _) => {
                            let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                                return;
                            };
                            let (mut c2, mut s2) =
                                (client.try_clone().unwrap(), server.try_clone().unwrap());
                            let up = std::thread::spawn(move || {
                                let _ = std::io::copy(&mut c2, &mut s2);
                                let _ = s2.shutdown(std::net::Shutdown::Write);
                            });
                            let (mut server, mut client) = (server, client);
                            let _ = std::io::copy(&mut server, &mut client);
                            let _ = client.shutdown(std::net::Shutdown::Write);
                            let _ = up.join();
                        }
                    }
                });
            }
        });
        FaultProxy { port, injected }
    }
}

#[test]
fn sync_and_restore_complete_through_resets_errors_stalls_and_truncation() {
    let server = Server::start("s3");
    let proxy = FaultProxy::start(server.port, 20261127, 25);
    let vault = library();
    let url = format!(
        "s3://bucket/faulty?endpoint=http://127.0.0.1:{}&region=us-east-1",
        proxy.port
    );
    ok_s3(&vault, &["remote", "add", "cloud", &url]);
    ok_s3(&vault, &["sync"]);
    ok_s3(&vault, &["verify", "--remote", "cloud", "--deep"]);
    let items = vault.json(&["ls"]).as_array().unwrap().len();
    assert_eq!(
        files_under(&server.data.join("bucket/faulty/objects")).len(),
        items,
        "each object stored once"
    );
    let restored = new_machine("restored");
    ok_s3(&restored, &["restore", &url]);
    assert_eq!(exported(&restored, "out"), exported(&vault, "orig"));
    // A run that met no fault proves nothing: each kind must have been met.
    let injected = proxy.injected();
    eprintln!("faults injected: {injected:?}");
    assert!(
        injected.iter().all(|(_, n)| *n >= 1),
        "some kind of fault was never injected: {injected:?}"
    );
}

#[test]
fn large_videos_go_up_in_checksummed_parts() {
    let server = Server::start("s3");
    let vault = TestVault::new();
    let video = vault.path("holiday.mp4");
    synthetic_file(&video, b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom", 21 << 20, 7);
    vault.import(&[&video]);
    let url = server.s3_url("big");
    // Three 8 MiB parts; each upload's ETag is checked against the MD5s of what was sent.
    // A proxy records the part uploads on their way to the server.
    let parts = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = parts.clone();
    let recorder = start_object_proxy(server.port, move |head, body| {
        if let Some(part) = head.split("partNumber=").nth(1) {
            let number: String = part.chars().take_while(char::is_ascii_digit).collect();
            seen.lock().unwrap().push((number, body.len()));
        }
        None
    });
    let recorded_url =
        format!("s3://bucket/big?endpoint=http://127.0.0.1:{recorder}&region=us-east-1");
    ok_s3(&vault, &["remote", "add", "cloud", &recorded_url]);
    ok_s3(&vault, &["sync"]);
    let mut parts = parts.lock().unwrap().clone();
    parts.sort();
    let sizes: Vec<usize> = parts.iter().map(|(_, len)| *len).collect();
    assert_eq!(
        parts.len(),
        3,
        "a multipart upload of three parts: {parts:?}"
    );
    let id = vault.json(&["ls"])[0]["id"].as_str().unwrap().to_string();
    let stored = fs::metadata(vault.object_file(&id)).unwrap().len();
    assert_eq!(sizes.iter().sum::<usize>() as u64, stored, "{parts:?}");
    ok_s3(&vault, &["verify", "--remote", "cloud", "--deep"]);

    // A part whose ETag is not the MD5 of what was sent fails the upload.
    let liar = start_object_proxy(server.port, |head, _| {
        head.contains("partNumber=2").then(|| {
            "HTTP/1.1 200 OK\r\nETag: \"00000000000000000000000000000000\"\r\n\
             Content-Length: 0\r\nConnection: close\r\n\r\n"
                .to_string()
        })
    });
    let lying_url = format!("s3://bucket/bigger?endpoint=http://127.0.0.1:{liar}&region=us-east-1");
    ok_s3(&vault, &["remote", "add", "lying", &lying_url]);
    let refused = run_s3(&vault, &["sync", "lying"]);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert_eq!(
        pending_on(&vault, "lying"),
        1,
        "the object was recorded as stored"
    );
    let restored = new_machine("restored");
    ok_s3(&restored, &["restore", &url]);
    let out = restored.path("out");
    restored.run_ok(&["export", "--all", "--to", out.to_str().unwrap()]);
    assert_eq!(sha256(&out.join("holiday.mp4")), sha256(&video));
}

#[test]
fn sftp_remotes_round_trip_with_an_ssh_key() {
    let server = Server::start("sftp");
    let vault = library();
    let key = server.root.path().join("id_ed25519");
    let url = format!(
        "sftp://ana@127.0.0.1:{}/backup?key={}&known_hosts=accept",
        server.port,
        key.display()
    );
    vault.run_ok(&["remote", "add", "box", &url]);
    let out = vault.run(&["sync"]);
    assert!(
        out.status.success(),
        "{}",
        &stderr(&out)[..stderr(&out).len().min(600)]
    );
    vault.run_ok(&["verify", "--remote", "box", "--deep"]);
    let restored = new_machine("restored");
    restored.run_ok(&["restore", &url]);
    assert_eq!(exported(&restored, "out"), exported(&vault, "orig"));
}

/// Imports each batch of EXIF samples (from its own folder under `in/`) and syncs after
/// each of the first `synced`, each sync making a snapshot. Returns the ids by file name.
fn import_in_batches(
    vault: &TestVault,
    batches: &[&[&str]],
    synced: usize,
) -> BTreeMap<String, String> {
    let mut ids = BTreeMap::new();
    for (n, batch) in batches.iter().enumerate() {
        let dir = vault.path(&format!("in/{n}"));
        fs::create_dir_all(&dir).unwrap();
        for name in *batch {
            fs::copy(samples().join("exif-samples").join(name), dir.join(name)).unwrap();
        }
        for entry in vault.import(&[&dir])["imported"].as_array().unwrap() {
            let path = Path::new(entry["path"].as_str().unwrap());
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            ids.insert(name, entry["id"].as_str().unwrap().to_string());
        }
        if n < synced {
            ok_s3(vault, &["sync", "--snapshot"]);
            std::thread::sleep(Duration::from_millis(5)); // distinct snapshot names
        }
    }
    ids
}

/// A restore onto a new machine: refuses `snapshot` by name, restores `items` from the
/// one before, brings back the `later` photos added since from the change log (names and
/// all), and exits 4.
fn restore_past_a_refused_snapshot(
    url: &str,
    snapshot: &str,
    (items, later): (usize, usize),
    damage: &str,
) {
    let restored = new_machine("restored");
    let out = with_s3_keys(restored.command(&["restore", url]))
        .output()
        .unwrap();
    no_panic(&out);
    assert_eq!(out.status.code(), Some(4), "{damage}: {}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("snapshot {snapshot} refused")),
        "{damage}: {}",
        stderr(&out)
    );
    assert!(
        stdout(&out).contains(&format!("Restored {} items", items + later)),
        "{damage}: {}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains(&format!(
            "{later} photos added after it came back from the change log, and 0 were listed"
        )),
        "{damage}: {}",
        stderr(&out)
    );
    let names = restored.json(&["ls"]);
    assert!(
        !names.to_string().contains("recovered-"),
        "{damage}: a name was lost: {names}"
    );
    // Nothing authentic on the remote is left behind, and all of it verifies.
    assert_eq!(
        restored.json(&["ls"]).as_array().unwrap().len(),
        items + later
    );
    assert_eq!(restored.run(&["verify"]).status.code(), Some(0), "{damage}");
}

#[test]
fn a_tampered_snapshot_is_refused_and_a_damaged_catalog_is_rebuilt_from_the_last_good_one() {
    let server = Server::start("s3");
    let url = server.s3_url("rebuild");
    let vault = TestVault::new();
    ok_s3(&vault, &["remote", "add", "cloud", &url]);
    // Three batches: the first in snapshot 1, the second in snapshot 2 (then tampered
    // with), the third never synced.
    let batches: [&[&str]; 3] = [
        &["jpg__Canon_40D.jpg", "jpg__gps__DSCN0010.jpg"],
        &["jpg__mobile__jolla.jpg"],
        &["heic__IMG_5195.HEIC"],
    ];
    let ids = import_in_batches(&vault, &batches, 2);
    let everything = content_multiset(&vault.path("in"));
    let snapshots = files_under(&server.data.join("bucket/rebuild/catalog"));
    assert_eq!(snapshots.len(), 2);
    let name_of = |p: &Path| format!("catalog/{}", p.file_name().unwrap().to_string_lossy());
    let (older, newest) = (name_of(&snapshots[0]), name_of(&snapshots[1]));
    let mut bytes = fs::read(&snapshots[1]).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x04;
    fs::write(&snapshots[1], bytes).unwrap();
    std::thread::sleep(Duration::from_millis(1500)); // rclone's directory cache

    // A restore from that remote names the tampered snapshot and uses the one before.
    restore_past_a_refused_snapshot(&url, &newest, (2, 1), "flipped");

    // Here: the catalog is damaged and one photo of the first batch is gone from disk.
    fs::remove_file(vault.object_file(&ids["jpg__Canon_40D.jpg"])).unwrap();
    let catalog = vault.dir.join("catalog.db");
    let mut bytes = fs::read(&catalog).unwrap();
    bytes[5000] ^= 0x01;
    fs::write(&catalog, bytes).unwrap();
    let out = run_s3(
        &vault,
        &["rebuild-catalog", "--from", &url, "--name", "cloud"],
    );
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("snapshot {newest} refused")),
        "{}",
        stderr(&out)
    );
    assert!(
        stdout(&out).contains(&format!(
            "Rebuilt from snapshot {older}: 1 items kept, 1 fetched from the remote"
        )),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("Listed 2 objects again"),
        "{}",
        stdout(&out)
    );

    // Names from the good snapshot survive; the later photos are back under new names;
    // every photo is there byte for byte.
    let names: Vec<String> = vault
        .json(&["ls"])
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_string())
        .collect();
    assert!(
        names.contains(&"jpg__Canon_40D.jpg".to_string()),
        "{names:?}"
    );
    assert!(
        names.contains(&"jpg__gps__DSCN0010.jpg".to_string()),
        "{names:?}"
    );
    assert_eq!(
        names.iter().filter(|n| n.starts_with("recovered-")).count(),
        2
    );
    let out = vault.path("out");
    vault.run_ok(&["export", "--all", "--to", out.to_str().unwrap()]);
    assert_eq!(content_multiset(&out), everything);
    let verify: serde_json::Value = vault.json(&["verify"]);
    assert_eq!(verify["damaged"].as_array().unwrap().len(), 0, "{verify}");
    assert_eq!(verify["unlisted"].as_array().unwrap().len(), 0, "{verify}");
    assert_eq!(
        verify["unreadable"].as_array().unwrap().len(),
        0,
        "{verify}"
    );

    // The next sync puts a good snapshot on top: a restore is whole again.
    ok_s3(&vault, &["sync"]);
    let again = new_machine("again");
    let out = ok_s3(&again, &["restore", &url]);
    assert!(
        stdout(&out).contains("Restored 4 items"),
        "{}",
        stdout(&out)
    );
    assert_eq!(exported(&again, "again-out").len(), 4);
}

/// Counts what the remote is recorded as holding: the confirmed objects of `ls`-listed items
/// are what `sync --json` reports as skipped on a run that uploads nothing.
fn pending_on(vault: &TestVault, remote: &str) -> u64 {
    let status = vault.json(&["remote", "ls"]);
    status
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == remote)
        .and_then(|r| r["pending"].as_u64())
        .unwrap_or_else(|| panic!("no pending count for {remote} in {status}"))
}

#[test]
fn a_remote_over_its_quota_stops_the_sync_with_one_clear_error_and_nothing_is_lost() {
    let server = Server::start("s3");
    let quota = std::sync::Arc::new(AtomicUsize::new(2 << 20));
    let proxy = start_quota_remote(server.port, quota.clone());
    let vault = library();
    let items = vault.json(&["ls"]).as_array().unwrap().len() as u64;
    let url = format!("s3://bucket/quota?endpoint=http://127.0.0.1:{proxy}&region=us-east-1");
    ok_s3(&vault, &["remote", "add", "cloud", &url]);
    let out = run_s3(&vault, &["sync"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let said = stderr(&out);
    assert_eq!(
        said.lines().count(),
        1,
        "one line, not one per object: {said}"
    );
    assert!(
        said.contains("the remote is full (or over its quota)"),
        "{said}"
    );
    assert!(said.contains("QuotaExceeded"), "{said}");
    assert!(said.len() < 300, "{said}");
    // What went up is recorded; the rest is pending; no snapshot names missing objects.
    let pending = pending_on(&vault, "cloud");
    assert!(pending > 0 && pending < items, "{pending} of {items}");
    assert!(!server.data.join("bucket/quota/catalog").exists());

    // More room: the next sync finishes the job, and everything is there.
    quota.store(usize::MAX, Ordering::SeqCst);
    ok_s3(&vault, &["sync"]);
    assert_eq!(pending_on(&vault, "cloud"), 0);
    let check = vault_check(&vault, "cloud");
    assert_eq!(check["missing"].as_array().unwrap().len(), 0, "{check}");
    assert_eq!(check["damaged"].as_array().unwrap().len(), 0, "{check}");
}

#[test]
fn a_remote_whose_disk_fills_up_records_only_what_it_stored() {
    // A real server on a real full disk: rclone's S3 on a 3 MiB tmpfs. It says only
    // "500 InternalError", so each object fails on its own; none may be recorded.
    let root = tempfile::tempdir().unwrap();
    let disk = SmallDisk::mount(&root.path().join("disk"), 3);
    let server = Server::start_in("s3", &root.path().join("disk"));
    // 4.9 MB of photos: some fit, some cannot. Few, because rclone's 500s are retried.
    let vault = TestVault::new();
    let input = vault.path("in");
    fs::create_dir_all(&input).unwrap();
    for name in [
        "heic__mobile__iphone_13_pro_max.HEIC",
        "heic__IMG_5195.HEIC",
        "jpg__mobile__jolla.jpg",
        "jpg__Reconyx_HC500_Hyperfire.jpg",
        "tiff__BSG1.tiff",
        "jpg__xmp__no_exif.jpg",
        "jpg__gps__DSCN0010.jpg",
    ] {
        fs::copy(samples().join("exif-samples").join(name), input.join(name)).unwrap();
    }
    vault.import(&[&input]);
    let items = vault.json(&["ls"]).as_array().unwrap().len() as u64;
    ok_s3(&vault, &["remote", "add", "nas", &server.s3_url("full")]);
    let out = run_s3(&vault, &["sync"]);
    assert_ne!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("HTTP 500"), "{}", stderr(&out));
    assert!(
        stderr(&out).lines().all(|l| l.len() < 300),
        "short errors: {}",
        stderr(&out)
    );
    let pending = pending_on(&vault, "nas");
    assert!(pending > 0 && pending < items, "{pending} of {items}");
    // Every object recorded as stored is there, whole.
    let check = vault_check(&vault, "nas");
    assert_eq!(check["damaged"].as_array().unwrap().len(), 0, "{check}");
    assert_eq!(
        check["missing"].as_array().unwrap().len() as u64,
        pending,
        "{check}"
    );

    disk.grow(64);
    ok_s3(&vault, &["sync"]);
    assert_eq!(pending_on(&vault, "nas"), 0);
    let check = vault_check(&vault, "nas");
    assert_eq!(check["missing"].as_array().unwrap().len(), 0, "{check}");
    assert_eq!(check["damaged"].as_array().unwrap().len(), 0, "{check}");
}

/// `verify --remote NAME --deep --json`, whatever its exit code.
fn vault_check(vault: &TestVault, remote: &str) -> serde_json::Value {
    let out = run_s3(vault, &["verify", "--remote", remote, "--deep", "--json"]);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", stderr(&out)))
}

#[test]
fn every_kind_of_damage_to_the_newest_snapshot_is_refused_and_named() {
    let server = Server::start("s3");
    let url = server.s3_url("snapshots");
    let vault = TestVault::new();
    ok_s3(&vault, &["remote", "add", "cloud", &url]);
    import_in_batches(
        &vault,
        &[&["jpg__Canon_40D.jpg"], &["jpg__mobile__jolla.jpg"]],
        2,
    );
    let snapshots = files_under(&server.data.join("bucket/snapshots/catalog"));
    let (older, newest) = (&snapshots[0], &snapshots[1]);
    let pristine = fs::read(newest).unwrap();
    let older_bytes = fs::read(older).unwrap();
    let newest_name = format!("catalog/{}", newest.file_name().unwrap().to_string_lossy());
    let damages: [(&str, Vec<u8>); 4] = [
        ("truncated", pristine[..pristine.len() / 2].to_vec()),
        ("extended", [&pristine[..], &[0u8; 100]].concat()),
        ("emptied", Vec::new()),
        // Another authentic snapshot under this one's name: its id gives it away.
        ("swapped", older_bytes),
    ];
    for (kind, bytes) in damages {
        fs::write(newest, bytes).unwrap();
        std::thread::sleep(Duration::from_millis(1500)); // rclone's directory cache
        restore_past_a_refused_snapshot(&url, &newest_name, (1, 1), kind);
    }
}

#[test]
fn a_dead_remote_costs_one_line_and_the_other_remotes_still_sync() {
    let vault = library();
    let items = vault.json(&["ls"]).as_array().unwrap().len();
    let dead_port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dead = format!("s3://bucket/z?endpoint=http://127.0.0.1:{dead_port}");
    ok_s3(&vault, &["remote", "add", "dead", &dead]);
    let nas = vault.path("nas");
    vault.run_ok(&["remote", "add", "nas", &format!("file://{}", nas.display())]);
    let out = run_s3(&vault, &["sync"]);
    no_panic(&out);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let said = stderr(&out);
    let about_dead: Vec<&str> = said.lines().filter(|l| l.contains("dead")).collect();
    assert_eq!(
        about_dead.len(),
        1,
        "one line for the dead remote, not one per object:\n{said}"
    );
    assert!(
        about_dead[0].contains("cannot be reached"),
        "{}",
        about_dead[0]
    );
    assert!(stdout(&out).contains("nas: uploaded"), "{}", stdout(&out));
    assert_eq!(files_under(&nas.join("objects")).len(), items);
    vault.run_ok(&["verify", "--remote", "nas", "--deep"]);
}

#[test]
fn a_remote_header_too_large_to_be_one_is_not_fetched() {
    let remote = tempfile::tempdir().unwrap();
    // What a hostile or broken remote could serve: gigabytes, here two MiB.
    fs::write(
        remote.path().join("keepsake-vault.json"),
        vec![b'{'; 2 << 20],
    )
    .unwrap();
    let restored = new_machine("restored");
    let url = format!("file://{}", remote.path().display());
    let out = restored.run(&["restore", &url]);
    no_panic(&out);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("larger than any vault header"),
        "{}",
        stderr(&out)
    );
    assert!(!restored.dir.join("keepsake-vault.json").exists());
}

#[test]
fn a_remote_listing_an_object_larger_than_it_can_be_is_not_downloaded() {
    let vault = TestVault::new();
    vault.import(&[
        &samples().join("exif-samples/jpg__Canon_40D.jpg"),
        &samples().join("exif-samples/jpg__Nikon_D70.jpg"),
    ]);
    let folder = vault.path("usb-disk");
    let url = format!("file://{}", folder.display());
    vault.run_ok(&["remote", "add", "usb", &url]);
    vault.run_ok(&["sync"]);
    // A hostile or broken remote lists one object as 2 GiB (sparse here: nothing is
    // written). Restore must refuse it from the listing, not fetch it and then find out.
    let objects = files_under(&folder.join("objects"));
    let victim = objects.first().unwrap();
    fs::OpenOptions::new()
        .write(true)
        .open(victim)
        .unwrap()
        .set_len(2 << 30)
        .unwrap();
    let restored = new_machine("restored");
    let out = restored.run(&["restore", &url]);
    no_panic(&out);
    assert_ne!(out.status.code(), Some(0), "{}", stderr(&out));
    let id = victim.file_name().unwrap().to_string_lossy().into_owned();
    let line = stderr(&out)
        .lines()
        .find(|line| line.contains(&id))
        .map(str::to_string)
        .unwrap_or_else(|| panic!("{id} not named: {}", stderr(&out)));
    assert!(line.contains("not downloaded"), "{line}");
    // The other photo came back; nothing of the refused one was written.
    let restored_objects = files_under(&restored.dir.join("objects"));
    assert_eq!(restored_objects.len(), 1, "{restored_objects:?}");
    assert!(files_under(&restored.dir.join("tmp")).is_empty());
}

#[test]
fn every_url_that_cannot_name_a_remote_is_a_usage_error() {
    let vault = TestVault::new();
    for url in [
        "garbage",
        "",
        "s3://",
        "ftp://example.com/photos",
        "webdav://",
        "sftp:///photos",
        "file:photos",
        "file://nas/photos",
    ] {
        let out = run_s3(&vault, &["remote", "add", "r", url]);
        no_panic(&out);
        assert_eq!(out.status.code(), Some(2), "{url:?}: {}", stderr(&out));
        assert_eq!(stderr(&out).trim().lines().count(), 1, "{url:?}");
        let restore = run_s3(&new_machine("n"), &["restore", url]);
        assert_eq!(
            restore.status.code(),
            Some(2),
            "{url:?}: {}",
            stderr(&restore)
        );
    }
    let listed = vault.json(&["remote", "ls"]);
    assert_eq!(listed, serde_json::json!([]), "nothing was added");
}

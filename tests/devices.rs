//! One library on two devices (#13), through rclone's S3 server with authentication: each
//! device appends its own change log, and sync merges the other's.

mod support;

use serde_json::Value;
use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use support::rclone::*;
use support::*;

/// Sample names: X is the first twelve, Y overlaps X in five and adds eight.
fn sample_names() -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(samples().join("exif-samples"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn copy_some(names: &[String], into: &Path) {
    fs::create_dir_all(into).unwrap();
    for name in names {
        fs::copy(samples().join("exif-samples").join(name), into.join(name)).unwrap();
    }
}

fn sha256s(dir: &Path) -> BTreeSet<String> {
    files_under(dir).iter().map(|p| sha256(p)).collect()
}

fn json_s3(vault: &TestVault, args: &[&str]) -> Value {
    let mut args = args.to_vec();
    args.push("--json");
    serde_json::from_slice(&ok_s3(vault, &args).stdout).unwrap()
}

/// What a user sees of a library: the timeline, the albums and the trash.
fn library_view(vault: &TestVault) -> (Value, Value, Value) {
    (
        vault.json(&["ls"]),
        vault.json(&["album", "ls"]),
        vault.json(&["trash", "ls"]),
    )
}

fn ids_named(vault: &TestVault, names: &[String]) -> Vec<String> {
    let listed = vault.json(&["ls"]);
    names
        .iter()
        .map(|name| {
            listed
                .as_array()
                .unwrap()
                .iter()
                .find(|i| i["name"] == name.as_str())
                .unwrap_or_else(|| panic!("{name} is not listed"))["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

/// Device A with the first `count` samples, synced to `prefix` on `server`, and device B
/// joined from there: two devices of one library.
fn two_devices(server: &Server, prefix: &str, count: usize) -> (TestVault, TestVault, String) {
    let url = server.s3_url(prefix);
    let a = TestVault::new();
    copy_some(&sample_names()[..count], &a.path("x"));
    a.import(&[&a.path("x")]);
    ok_s3(&a, &["remote", "add", prefix, &url]);
    ok_s3(&a, &["sync"]);
    let b = new_machine("laptop");
    ok_s3(&b, &["restore", &url, "--name", prefix]);
    (a, b, url)
}

fn export_hashes(vault: &TestVault, name: &str) -> BTreeSet<String> {
    let out = vault.path(name);
    vault.run_ok(&["export", "--all", "--to", out.to_str().unwrap()]);
    sha256s(&out)
}

#[test]
fn two_devices_make_one_library_whatever_order_they_sync_in() {
    let server = Server::start("s3");
    let url = server.s3_url("family");
    let names = sample_names();
    let (x, y) = (&names[..12], &names[7..20]);

    let a = TestVault::new();
    copy_some(x, &a.path("x"));
    a.import(&[&a.path("x")]);
    a.run_ok(&["album", "create", "Trip"]);
    let trip: Vec<String> = ids_named(&a, &x[..1]);
    a.run_ok(&["album", "add", "Trip", &trip[0]]);
    ok_s3(&a, &["remote", "add", "family", &url]);
    ok_s3(&a, &["sync"]);

    // B joins from the remote, then imports Y: the five photos A has are not doubled.
    let b = new_machine("laptop");
    ok_s3(&b, &["restore", &url, "--name", "family"]);
    copy_some(y, &b.path("y"));
    let imported = b.import(&[&b.path("y")]);
    assert_eq!(
        imported["imported"].as_array().unwrap().len(),
        8,
        "{imported}"
    );
    assert_eq!(
        imported["duplicates"].as_array().unwrap().len(),
        5,
        "{imported}"
    );

    // A favourites three and renames the album while B puts two of them in it (under its
    // old name) and trashes a fourth.
    let faves = ids_named(&a, &x[1..4]);
    let mut fav = vec!["fav"];
    fav.extend(faves.iter().map(String::as_str));
    a.run_ok(&fav);
    a.run_ok(&["album", "rename", "Trip", "Lisbon 2025"]);
    b.run_ok(&["album", "add", "Trip", &faves[0], &faves[1]]);
    let trashed = ids_named(&b, &x[4..5]).remove(0);
    b.run_ok(&["rm", &trashed]);

    for vault in [&a, &b, &a] {
        ok_s3(vault, &["sync"]);
    }
    let seen = library_view(&a);
    assert_eq!(
        seen,
        library_view(&b),
        "the two devices show different libraries"
    );
    let albums = &seen.1;
    let lisbon = albums
        .as_array()
        .unwrap()
        .iter()
        .find(|al| al["name"] == "Lisbon 2025")
        .unwrap_or_else(|| panic!("the renamed album is missing: {albums}"));
    assert_eq!(lisbon["items"].as_array().unwrap().len(), 3, "{lisbon}");
    assert_eq!(albums.as_array().unwrap().len(), 1, "{albums}");
    let favourites: Vec<&Value> = seen
        .0
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["favourite"] == true)
        .collect();
    assert_eq!(favourites.len(), 3);
    assert_eq!(seen.2.as_array().unwrap().len(), 1);
    assert_eq!(seen.2[0]["id"], trashed.as_str());

    // Every original, byte for byte, on both: X ∪ Y.
    let mut everything = sha256s(&a.path("x"));
    everything.extend(sha256s(&b.path("y")));
    assert_eq!(export_hashes(&a, "export-a"), everything);
    assert_eq!(export_hashes(&b, "export-b"), everything);

    // B's photos arrived on A with their thumbnails: the same JPEG on both.
    for id in ids_named(&b, &y[5..]) {
        let (ta, tb) = (a.path("a.jpg"), b.path("b.jpg"));
        a.run_ok(&["thumb", &id, "--out", ta.to_str().unwrap()]);
        b.run_ok(&["thumb", &id, "--out", tb.to_str().unwrap()]);
        assert_eq!(sha256(&ta), sha256(&tb), "thumbnail of {id}");
        fs::remove_file(ta).unwrap();
        fs::remove_file(tb).unwrap();
    }

    // Both edit one caption; the later edit wins on both, in either sync order.
    let photo = &faves[2];
    a.run_ok(&["edit", photo, "--caption", "from the desktop"]);
    b.run_ok(&["edit", photo, "--caption", "from the laptop"]);
    for vault in [&b, &a, &b] {
        ok_s3(vault, &["sync"]);
    }
    assert_eq!(library_view(&a), library_view(&b));
    let shown = a.json(&["show", photo]);
    assert_eq!(shown["caption"], "from the laptop", "{shown}");

    // A renames the album to a name B gives a new album meanwhile: both show both, the
    // same way round.
    a.run_ok(&["album", "rename", "Lisbon 2025", "Porto"]);
    b.run_ok(&["album", "create", "Porto"]);
    for vault in [&b, &a, &b] {
        ok_s3(vault, &["sync"]);
    }
    assert_eq!(library_view(&a), library_view(&b));
    let names: BTreeSet<String> = a
        .json(&["album", "ls"])
        .as_array()
        .unwrap()
        .iter()
        .map(|al| al["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        names,
        BTreeSet::from(["Porto".to_string(), "Porto (2)".to_string()])
    );

    // Emptying the trash on B removes the photo from A too, original and all.
    b.run_ok(&["trash", "empty"]);
    let synced = json_s3(&b, &["sync"]);
    assert!(
        synced[0]["bytes_uploaded"].as_u64().unwrap() > 0,
        "{synced}"
    );
    let pulled = json_s3(&a, &["sync"]);
    assert_eq!(pulled[0]["photos_removed"], 1, "{pulled}");
    assert!(
        pulled[0]["bytes_downloaded"].as_u64().unwrap() > 0,
        "{pulled}"
    );
    assert_eq!(library_view(&a), library_view(&b));
    assert!(a.json(&["trash", "ls"]).as_array().unwrap().is_empty());
    let gone = a.run(&["show", &trashed]);
    assert!(!gone.status.success(), "the purged photo is still on A");
    a.run_ok(&["verify"]);
    assert_eq!(export_hashes(&a, "export-a2").len(), everything.len() - 1);

    // A sync with nothing new sends nothing.
    let idle = json_s3(&a, &["sync"]);
    assert_eq!(idle[0]["bytes_uploaded"], 0, "{idle}");
    assert_eq!(idle[0]["changes_merged"], 0, "{idle}");
}

/// Waits out rclone's directory cache (1 s) after the bucket was changed behind its back.
fn settle() {
    std::thread::sleep(std::time::Duration::from_millis(1500));
}

/// The segment files of the remote's change log, by device.
fn segments(server: &Server, prefix: &str) -> Vec<std::path::PathBuf> {
    let mut found = files_under(&server.data.join("bucket").join(prefix).join("log"));
    found.sort();
    found
}

#[test]
fn a_replayed_withheld_or_damaged_segment_is_refused_and_named() {
    let server = Server::start("s3");
    let names = sample_names();
    let (a, b, _) = two_devices(&server, "lib", 3);
    // Three more segments from A: a favourite, a caption, a trash.
    let ids = ids_named(&a, &names[..3]);
    a.run_ok(&["fav", &ids[0]]);
    ok_s3(&a, &["sync"]);
    a.run_ok(&["edit", &ids[1], "--caption", "harbour"]);
    ok_s3(&a, &["sync"]);
    a.run_ok(&["rm", &ids[2]]);
    ok_s3(&a, &["sync"]);
    let log = segments(&server, "lib");
    assert_eq!(log.len(), 4, "{log:?}");
    let (second, third, fourth) = (&log[1], &log[2], &log[3]);
    let keep = |p: &Path| fs::read(p).unwrap();
    let (second_bytes, third_bytes) = (keep(second), keep(third));

    let refused = |what: &str, needle: &str| {
        settle();
        let out = run_s3(&b, &["sync"]);
        assert!(!out.status.success(), "{what}: sync succeeded");
        assert!(stderr(&out).contains(needle), "{what}: {}", stderr(&out));
        // Nothing of it was merged.
        assert_eq!(
            b.json(&["ls"])
                .as_array()
                .unwrap()
                .iter()
                .filter(|i| i["favourite"] == true)
                .count(),
            0,
            "{what}: merged anyway"
        );
    };
    // Replayed: the second segment's bytes under the third's name.
    fs::write(third, &second_bytes).unwrap();
    refused("replayed", "renamed or replayed");
    // Withheld: the third is gone, the fourth follows a gap.
    fs::remove_file(third).unwrap();
    refused(
        "withheld",
        &format!("{}", third.file_name().unwrap().to_string_lossy()),
    );
    // Damaged: one bit of the third.
    let mut damaged = third_bytes.clone();
    let middle = damaged.len() / 2;
    damaged[middle] ^= 0x10;
    fs::write(third, &damaged).unwrap();
    refused("damaged", "does not authenticate");
    // Reordered: the fourth's bytes swapped with the third's.
    let fourth_bytes = keep(fourth);
    fs::write(third, &fourth_bytes).unwrap();
    fs::write(fourth, &third_bytes).unwrap();
    refused("reordered", "renamed or replayed");

    // Put right, the same sync merges all of it.
    fs::write(third, &third_bytes).unwrap();
    fs::write(fourth, &fourth_bytes).unwrap();
    settle();
    ok_s3(&b, &["sync"]);
    assert_eq!(library_view(&a).0, library_view(&b).0);
    assert_eq!(b.json(&["trash", "ls"]).as_array().unwrap().len(), 1);

    // Rolled back after B merged it all: the last segment withheld is named.
    fs::remove_file(fourth).unwrap();
    settle();
    let out = run_s3(&b, &["sync"]);
    assert!(!out.status.success(), "a rolled-back log was accepted");
    assert!(stderr(&out).contains("rolled back"), "{}", stderr(&out));
}

#[test]
fn a_remote_one_device_never_syncs_with_still_gets_its_photos() {
    let server = Server::start("s3");
    let (home, offsite) = (server.s3_url("home"), server.s3_url("offsite"));
    let names = sample_names();
    let desktop = TestVault::new();
    copy_some(&names[..4], &desktop.path("x"));
    desktop.import(&[&desktop.path("x")]);
    ok_s3(&desktop, &["remote", "add", "home", &home]);
    ok_s3(&desktop, &["remote", "add", "offsite", &offsite]);
    ok_s3(&desktop, &["sync"]);
    // The laptop syncs with the home remote only.
    let laptop = new_machine("laptop");
    ok_s3(&laptop, &["restore", &home, "--name", "home"]);
    copy_some(&names[4..7], &laptop.path("y"));
    laptop.import(&[&laptop.path("y")]);
    // A photo new here goes straight into a new album: it arrives in it.
    let new_photo = ids_named(&laptop, &names[4..5]).remove(0);
    laptop.run_ok(&["album", "create", "Beach"]);
    laptop.run_ok(&["album", "add", "Beach", &new_photo]);
    let favourite = ids_named(&laptop, &names[..1]).remove(0);
    laptop.run_ok(&["fav", &favourite]);
    ok_s3(&laptop, &["sync"]);
    // The desktop passes the laptop's log and photos on to the offsite remote.
    ok_s3(&desktop, &["sync"]);
    let logs = fs::read_dir(server.data.join("bucket/offsite/log"))
        .unwrap()
        .count();
    assert_eq!(logs, 2, "the offsite remote lacks the laptop's log");
    let fresh = new_machine("fresh");
    ok_s3(&fresh, &["restore", &offsite, "--name", "offsite"]);
    assert_eq!(library_view(&fresh), library_view(&laptop));
    let beach = fresh.json(&["album", "ls"]);
    assert_eq!(beach[0]["name"], "Beach", "{beach}");
    assert_eq!(beach[0]["items"], serde_json::json!([new_photo]), "{beach}");
    let mut everything = sha256s(&desktop.path("x"));
    everything.extend(sha256s(&laptop.path("y")));
    assert_eq!(export_hashes(&fresh, "export"), everything);
}

fn bucket_bytes(server: &Server, prefix: &str) -> u64 {
    files_under(&server.data.join("bucket").join(prefix))
        .iter()
        .map(|p| fs::metadata(p).unwrap().len())
        .sum()
}

#[test]
fn one_more_photo_costs_that_photo_not_the_catalog() {
    let server = Server::start("s3");
    let url = server.s3_url("cost");
    let names = sample_names();
    let vault = TestVault::new();
    copy_some(&names[1..], &vault.path("library"));
    vault.import(&[&vault.path("library")]);
    ok_s3(&vault, &["remote", "add", "cost", &url]);
    let first = json_s3(&vault, &["sync"]);
    assert!(first[0]["snapshot"].is_string(), "{first}");
    let before = bucket_bytes(&server, "cost");

    copy_some(&names[..1], &vault.path("one"));
    vault.import(&[&vault.path("one")]);
    let photo = fs::metadata(vault.path("one").join(&names[0]))
        .unwrap()
        .len();
    let synced = json_s3(&vault, &["sync"]);
    let grown = bucket_bytes(&server, "cost") - before;
    let sent = synced[0]["bytes_uploaded"].as_u64().unwrap();
    assert!(
        synced[0]["snapshot"].is_null(),
        "a snapshot for one photo: {synced}"
    );
    // Its object (a few hundred bytes more than the photo), its thumbnail and preview,
    // and one small segment.
    let allowance = photo + 512 + (1 << 20) + (256 << 10);
    assert!(
        sent <= allowance,
        "sent {sent} bytes for a {photo}-byte photo"
    );
    assert_eq!(grown, sent, "the bucket grew by other than what was sent");

    let idle = json_s3(&vault, &["sync"]);
    assert_eq!(idle[0]["bytes_uploaded"], 0, "{idle}");
    assert_eq!(bucket_bytes(&server, "cost"), before + grown);
}

/// Both devices' syncs killed at seeded moments, round after round, while both keep
/// changing the library: the next clean syncs always agree, every photo is whole, and
/// nothing either side did is lost.
#[test]
fn two_devices_killed_mid_sync_agree_after_the_next() {
    let server = Server::start("s3");
    let (a, b, _) = two_devices(&server, "kills", 6);
    // Kill moments fall within a sync with nothing to send (the shortest a round's is).
    let started = std::time::Instant::now();
    ok_s3(&a, &["sync"]);
    let full = started.elapsed().as_micros().max(1) as u64;
    let rounds: u64 = std::env::var("KEEPSAKE_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(6, |r: u64| r / 4)
        .max(4);
    let mut rng = Lcg(20261130);
    let mut kills = 0;
    let mut captions = Vec::new();
    for round in 0..rounds {
        let ids = ids_of(&a);
        // A imports a new photo and favourites one; B captions one.
        let new = a.path(&format!("new{round}"));
        fs::create_dir_all(&new).unwrap();
        synthetic_file(&new.join("IMG.jpg"), JPEG_SIGNATURE, 300 << 10, 700 + round);
        a.import(&[&new]);
        a.run_ok(&["fav", &ids[rng.below(ids.len() as u64) as usize]]);
        let captioned = &ids[rng.below(ids.len() as u64) as usize];
        let caption = format!("round {round}");
        b.run_ok(&["edit", captioned, "--caption", &caption]);
        captions.push((captioned.clone(), caption));
        for vault in [&a, &b] {
            let delay = std::time::Duration::from_micros(rng.below(full));
            if kill_after(&mut with_s3_keys(vault.command(&["sync"])), delay) {
                kills += 1;
            }
        }
        for vault in [&a, &b, &a] {
            ok_s3(vault, &["sync"]);
        }
        assert_eq!(library_view(&a), library_view(&b), "round {round}");
        for vault in [&a, &b] {
            vault.run_ok(&["verify"]);
        }
    }
    assert!(
        kills * 2 >= rounds,
        "only {kills} of {} syncs were killed",
        rounds * 2
    );
    // Nothing lost: every photo A imported is on B, and B's last caption of each is on A.
    assert_eq!(export_hashes(&a, "export-a"), export_hashes(&b, "export-b"));
    assert_eq!(
        a.json(&["ls"]).as_array().unwrap().len(),
        6 + rounds as usize
    );
    let mut last: std::collections::BTreeMap<&str, &str> = Default::default();
    for (id, caption) in &captions {
        last.insert(id, caption);
    }
    for (id, caption) in last {
        assert_eq!(a.json(&["show", id])["caption"], caption, "{id}");
    }
}

/// Both devices sync at the same moment, round after round, each with changes of its
/// own: no change is lost, and no photo is stored twice on the remote.
#[test]
fn two_devices_syncing_at_once_lose_nothing_and_store_nothing_twice() {
    let server = Server::start("s3");
    let (a, b, _) = two_devices(&server, "together", 4);
    let rounds: u64 = std::env::var("KEEPSAKE_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(8, |r: u64| r / 3)
        .max(6);
    let mut rng = Lcg(20261201);
    for round in 0..rounds {
        for (vault, side) in [(&a, "a"), (&b, "b")] {
            let dir = vault.path(&format!("{side}{round}"));
            fs::create_dir_all(&dir).unwrap();
            let seed = 900 + round * 2 + u64::from(side == "b");
            synthetic_file(&dir.join("IMG.jpg"), JPEG_SIGNATURE, 200 << 10, seed);
            vault.import(&[&dir]);
            let ids = ids_of(vault);
            vault.run_ok(&["fav", &ids[rng.below(ids.len() as u64) as usize]]);
        }
        let both: Vec<std::process::Child> = [&a, &b]
            .iter()
            .map(|v| {
                with_s3_keys(v.command(&["sync"]))
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut child in both {
            assert!(child.wait().unwrap().success(), "round {round}");
        }
    }
    for vault in [&a, &b, &a] {
        ok_s3(vault, &["sync"]);
    }
    assert_eq!(library_view(&a), library_view(&b));
    assert_eq!(ids_of(&a).len(), 4 + 2 * rounds as usize);
    let objects = files_under(&server.data.join("bucket/together/objects"));
    assert_eq!(
        objects.len(),
        4 + 2 * rounds as usize,
        "a photo stored twice"
    );
}

fn ids_of(vault: &TestVault) -> Vec<String> {
    vault
        .json(&["ls"])
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

/// The files below `folder` (objects, renditions, catalog …) of the remote at `prefix`.
fn remote_files(server: &Server, prefix: &str, folder: &str) -> Vec<String> {
    let root = server.data.join("bucket").join(prefix);
    let mut found: Vec<String> = files_under(&root.join(folder))
        .iter()
        .map(|p| {
            p.strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    found.sort();
    found
}

/// A photo emptied from the trash on A leaves B at its next sync; its original and
/// thumbnails stay on the remote through the retention (the version history), and
/// `prune --older-than 0` deletes them and every older catalog snapshot, leaving a remote
/// that a new device restores whole.
#[test]
fn a_purged_photo_leaves_every_device_then_prune_deletes_it_from_the_remote() {
    let server = Server::start("s3");
    let (a, b, url) = two_devices(&server, "prune", 6);
    let gone = ids_of(&a)[2].clone();
    let objects_before = remote_files(&server, "prune", "objects");
    let renditions_before = remote_files(&server, "prune", "renditions");
    assert!(objects_before.iter().any(|p| p.ends_with(&gone)));
    a.run_ok(&["rm", &gone]);
    a.run_ok(&["trash", "empty"]);

    // The default retention keeps everything of it on the remote.
    let kept = json_s3(&a, &["prune"]);
    assert_eq!(kept[0]["swept"], true, "{kept}");
    assert_eq!(kept[0]["files_deleted"], 0, "{kept}");
    assert!(kept[0]["files_waiting"].as_u64().unwrap() >= 2, "{kept}");
    assert_eq!(remote_files(&server, "prune", "objects"), objects_before);
    assert_eq!(
        remote_files(&server, "prune", "renditions"),
        renditions_before
    );
    ok_s3(&b, &["sync"]);
    assert!(!ids_of(&b).contains(&gone));
    assert_eq!(b.json(&["trash", "ls"]), serde_json::json!([]));

    // A second snapshot, so that prune has an older one to delete; and an object nobody
    // has named yet (as another device's upload before its segment): never deleted.
    ok_s3(&b, &["sync", "--snapshot"]);
    let stranger = "objects/ab/ab0123456789abcdef0123456789abcd";
    let stranger_file = server.data.join("bucket/prune").join(stranger);
    fs::create_dir_all(stranger_file.parent().unwrap()).unwrap();
    fs::write(&stranger_file, b"not yet named by any segment").unwrap();
    settle();
    let pruned = json_s3(&a, &["prune", "--older-than", "0"]);
    assert_eq!(pruned[0]["swept"], true, "{pruned}");
    assert_eq!(pruned[0]["files_waiting"], 0, "{pruned}");
    assert!(
        pruned[0]["snapshots_deleted"].as_u64().unwrap() >= 2,
        "{pruned}"
    );
    let objects = remote_files(&server, "prune", "objects");
    let renditions = remote_files(&server, "prune", "renditions");
    assert!(!objects.iter().any(|p| p.ends_with(&gone)), "{objects:?}");
    assert!(objects.iter().any(|p| p == stranger), "{objects:?}");
    fs::remove_file(&stranger_file).unwrap();
    settle();
    let objects = remote_files(&server, "prune", "objects");
    assert_eq!(objects.len(), objects_before.len() - 1);
    assert!(renditions.len() < renditions_before.len());
    assert!(renditions.iter().all(|p| renditions_before.contains(p)));
    assert_eq!(
        pruned[0]["files_deleted"].as_u64().unwrap() as usize,
        1 + renditions_before.len() - renditions.len()
    );
    // One snapshot is left, made after the purge: where a new device starts.
    assert_eq!(remote_files(&server, "prune", "catalog").len(), 1);

    // Nothing anyone still uses went: B, and a device joining now, are whole.
    ok_s3(&b, &["sync"]);
    ok_s3(&b, &["verify", "--remote", "prune", "--deep"]);
    b.run_ok(&["verify"]);
    let c = new_machine("tablet");
    ok_s3(&c, &["restore", &url, "--name", "prune"]);
    c.run_ok(&["verify"]);
    assert_eq!(library_view(&c), library_view(&a));
    assert_eq!(export_hashes(&c, "export-c"), export_hashes(&a, "export-a"));
    // A second prune finds nothing more to do.
    let again = json_s3(&a, &["prune", "--older-than", "0"]);
    assert_eq!(again[0]["files_deleted"], 0, "{again}");
    assert_eq!(again[0]["snapshots_deleted"], 0, "{again}");

    // Thumbnails drawn again are new objects; the old ones are garbage once B has the new.
    let redrawn = ids_of(&a)[0].clone();
    a.run_ok(&["rethumb", &redrawn]);
    ok_s3(&a, &["sync"]);
    ok_s3(&b, &["sync"]);
    settle();
    let replaced = json_s3(&a, &["prune", "--older-than", "0"]);
    assert!(
        replaced[0]["files_deleted"].as_u64().unwrap() >= 1,
        "{replaced}"
    );
    assert_eq!(
        remote_files(&server, "prune", "renditions").len(),
        renditions.len()
    );
    ok_s3(&b, &["sync"]);
    ok_s3(&b, &["verify", "--remote", "prune", "--deep"]);
    let d = new_machine("phone");
    ok_s3(&d, &["restore", &url, "--name", "prune"]);
    assert_eq!(library_view(&d), library_view(&a));
}

/// Prune killed at seeded moments, a photo purged each round: the next prune finishes,
/// every remaining photo is whole on both devices and on the remote, and nothing of the
/// purged ones stays behind.
#[test]
fn prune_killed_midway_is_finished_by_the_next() {
    let server = Server::start("s3");
    let (a, b, _) = two_devices(&server, "killprune", 8);
    let started = std::time::Instant::now();
    ok_s3(&a, &["prune", "--older-than", "0"]);
    let full = started.elapsed().as_micros().max(1) as u64;
    let rounds: u64 = std::env::var("KEEPSAKE_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(4, |r: u64| r / 3)
        .max(4);
    let mut rng = Lcg(20261201);
    let mut kills = 0;
    let mut purged = Vec::new();
    for round in 0..rounds {
        let (device, other) = if round % 2 == 0 { (&a, &b) } else { (&b, &a) };
        let ids = ids_of(device);
        let gone = ids[rng.below(ids.len() as u64) as usize].clone();
        device.run_ok(&["rm", &gone]);
        device.run_ok(&["trash", "empty"]);
        purged.push(gone);
        let delay = std::time::Duration::from_micros(rng.below(full * 2));
        let mut prune = with_s3_keys(device.command(&["prune", "--older-than", "0"]));
        if kill_after(&mut prune, delay) {
            kills += 1;
        }
        ok_s3(device, &["prune", "--older-than", "0"]);
        ok_s3(other, &["sync"]);
        assert_eq!(library_view(&a), library_view(&b), "round {round}");
        for vault in [&a, &b] {
            vault.run_ok(&["verify"]);
            ok_s3(vault, &["verify", "--remote", "killprune"]);
        }
    }
    assert!(
        kills * 2 >= rounds,
        "only {kills} of {rounds} prunes were killed"
    );
    let objects = remote_files(&server, "killprune", "objects");
    assert_eq!(objects.len(), 8 - purged.len(), "{objects:?}");
    for id in &purged {
        assert!(!objects.iter().any(|p| p.ends_with(id.as_str())), "{id}");
    }
}

fn dir_bytes(dir: &Path) -> u64 {
    files_under(dir)
        .iter()
        .map(|p| fs::metadata(p).map_or(0, |m| m.len()))
        .sum()
}

/// A laptop joins with originals on demand: it holds a fraction of the library's bytes,
/// shows every photo and thumbnail with the network down, fetches originals (each
/// authenticated) once it is back, keeps fetched ones within its cache, and learns of new
/// photos without fetching them. The desktop frees its space only for originals the
/// remote holds intact.
#[test]
fn an_on_demand_device_shows_everything_offline_and_fetches_originals_when_needed() {
    let mut server = Server::start("s3");
    let url = server.s3_url("lazy");
    let a = TestVault::new();
    let library = a.path("library");
    copy_samples("exif-samples", &library.join("exif"));
    copy_samples("full-size", &library.join("full"));
    a.import(&[&library]);
    ok_s3(&a, &["remote", "add", "lazy", &url]);
    ok_s3(&a, &["sync"]);
    let b = new_machine("laptop");
    ok_s3(
        &b,
        &[
            "restore",
            &url,
            "--name",
            "lazy",
            "--originals",
            "on-demand",
        ],
    );
    let (a_bytes, b_bytes) = (dir_bytes(&a.dir), dir_bytes(&b.dir));
    eprintln!("desktop {a_bytes} bytes, on-demand laptop {b_bytes} bytes");
    assert!(b_bytes * 100 < a_bytes * 15, "{b_bytes} of {a_bytes}");
    let ids = ids_of(&a);
    let status = b.json(&["originals"]);
    assert_eq!(status["keep"], "on-demand", "{status}");
    assert_eq!(status["here"], 0, "{status}");
    let originals = status["away"].as_u64().unwrap();
    assert!(originals >= ids.len() as u64, "{status}");
    let verified = b.json(&["verify"]);
    assert_eq!(verified["away"], originals, "{verified}");

    // Offline: everything listed, every thumbnail shown, an original refused clearly.
    server.stop();
    assert_eq!(library_view(&b), library_view(&a));
    for id in &ids {
        let out = b.path("thumb.jpg");
        let _ = fs::remove_file(&out);
        b.run_ok(&["thumb", id, "--out", out.to_str().unwrap()]);
        assert!(fs::metadata(&out).unwrap().len() > 0);
    }
    let offline = run_s3(
        &b,
        &[
            "export",
            &ids[0],
            "--to",
            b.path("offline").to_str().unwrap(),
        ],
    );
    assert!(!offline.status.success());
    assert!(
        stderr(&offline).contains("not on this device"),
        "{}",
        stderr(&offline)
    );

    // Back online: byte-identical originals, each authenticated on the way in.
    server.start_again("s3");
    assert_eq!(export_hashes(&b, "export-b"), export_hashes(&a, "export-a"));
    assert_eq!(b.json(&["originals"])["away"], 0);
    b.run_ok(&["verify"]);
    // A cache of 0 MB keeps only what was asked for last.
    b.run_ok(&["originals", "on-demand", "--cache-mb", "0"]);
    let one = b.path("one");
    b.run_ok(&["export", &ids[1], "--to", one.to_str().unwrap()]);
    let status = b.json(&["originals"]);
    assert_eq!(status["here"], files_under(&one).len(), "{status}");

    // A new photo on the desktop arrives on the laptop as its thumbnail only.
    let new = a.path("new");
    fs::create_dir_all(&new).unwrap();
    synthetic_file(&new.join("IMG_NEW.jpg"), JPEG_SIGNATURE, 3 << 20, 99);
    a.import(&[&new]);
    ok_s3(&a, &["sync"]);
    let pulled = json_s3(&b, &["sync"]);
    assert_eq!(pulled[0]["photos_received"], 1, "{pulled}");
    assert!(
        pulled[0]["bytes_downloaded"].as_u64().unwrap() < 1 << 20,
        "{pulled}"
    );
    assert_eq!(library_view(&b), library_view(&a));

    // The desktop frees its space: each original checked on the remote first; one the
    // remote holds damaged stays.
    let everything = export_hashes(&a, "export-all");
    let damaged = &ids[3];
    let remote_copy = server
        .data
        .join("bucket/lazy/objects")
        .join(&damaged[..2])
        .join(damaged);
    let mut bytes = fs::read(&remote_copy).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 1;
    fs::write(&remote_copy, bytes).unwrap();
    settle();
    let freed = run_s3(&a, &["free-up-space", "--json"]);
    assert!(
        !freed.status.success(),
        "a damaged remote copy was not reported"
    );
    let freed: Value = serde_json::from_slice(&freed.stdout).unwrap();
    assert_eq!(freed[0]["report"]["freed"], originals, "{freed}");
    assert_eq!(freed[0]["report"]["kept"], 1, "{freed}");
    assert!(a.object_file(damaged).exists());
    assert_eq!(a.json(&["originals"])["here"], 1);
    assert_eq!(export_hashes(&a, "export-a2"), everything);

    // With the smallest cache, what is fetched goes again; a photo imported here, and
    // the one whose remote copy is damaged, never do: only a deep check frees them.
    a.run_ok(&["originals", "on-demand", "--cache-mb", "0"]);
    let fresh = a.path("fresh");
    fs::create_dir_all(&fresh).unwrap();
    synthetic_file(&fresh.join("IMG_FRESH.jpg"), JPEG_SIGNATURE, 1 << 20, 7);
    a.import(&[&fresh]);
    let fresh_id = ids_named(&a, &["IMG_FRESH.jpg".to_string()]).remove(0);
    ok_s3(&a, &["sync"]);
    for id in [&fresh_id, damaged, &ids[5], &ids[6]] {
        let out = a.path(&format!("one-{id}"));
        a.run_ok(&["export", id, "--to", out.to_str().unwrap()]);
    }
    assert!(
        a.object_file(&fresh_id).exists(),
        "an imported original was evicted"
    );
    assert!(
        a.object_file(damaged).exists(),
        "the only intact copy was evicted"
    );
    assert!(
        !a.object_file(&ids[5]).exists(),
        "the cache kept more than its limit"
    );
}

/// Runs the Python reference reader (written from docs/FORMAT.md alone) on `dir`, a
/// copy of a remote, with `password`.
fn reference_decrypt(dir: &Path, out: &Path, password: &str) -> std::process::Output {
    let python = std::env::var("KEEPSAKE_PYTHON").unwrap_or_else(|_| "python3".into());
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/reference/keepsake_decrypt.py");
    std::process::Command::new(python)
        .arg(script)
        .arg(dir)
        .arg(out)
        .env("KEEPSAKE_PASSWORD", password)
        .output()
        .unwrap()
}

/// A password change is a new key epoch (docs/FORMAT.md section 3.11): a photo imported
/// afterwards cannot be decrypted with the old password and a header saved before, while
/// the new password opens every photo, old and new. A device restored before the change
/// syncs afterwards: it stops and says so instead of putting its header back, and once
/// unlocked with the new password it takes the new header and the new photo. An older
/// header put back on the remote is replaced by the newer one at the next sync.
#[test]
fn a_password_change_locks_out_the_old_password_and_no_stale_device_undoes_it() {
    let server = Server::start("s3");
    let (mut a, mut b, url) = two_devices(&server, "rollback", 3);
    let bucket = server.data.join("bucket/rollback");
    let header = bucket.join("keepsake-vault.json");
    let old_header = fs::read(&header).unwrap();
    let new_password = "a new password for everyone";
    let mut passwd = with_s3_keys(a.command(&["passwd"]));
    passwd.env("KEEPSAKE_NEW_PASSWORD", new_password);
    let changed = passwd.output().unwrap();
    assert!(changed.status.success(), "{}", stderr(&changed));
    let with_new = |vault: &TestVault, args: &[&str]| {
        let mut cmd = with_s3_keys(vault.command(args));
        cmd.env("KEEPSAKE_PASSWORD", new_password);
        let out = cmd.output().unwrap();
        no_panic(&out);
        out
    };
    // A photo imported after the change, on the device that made it.
    let before = remote_files(&server, "rollback", "objects");
    copy_some(&sample_names()[3..4], &a.path("later"));
    assert!(
        with_new(&a, &["import", a.path("later").to_str().unwrap()])
            .status
            .success()
    );
    assert!(with_new(&a, &["sync"]).status.success());
    assert_ne!(fs::read(&header).unwrap(), old_header);
    let added: Vec<String> = remote_files(&server, "rollback", "objects")
        .into_iter()
        .filter(|f| !before.contains(f))
        .collect();
    assert_eq!(added.len(), 1, "{added:?}");
    let added_id = added[0].rsplit('/').next().unwrap().to_string();

    // Whoever kept the old header and the old password (a backup, the storage operator,
    // a lost laptop) reads the photos of before, and not the new one.
    let stolen = a.path("stolen");
    fs::create_dir_all(&stolen).unwrap();
    fs::write(stolen.join("keepsake-vault.json"), &old_header).unwrap();
    for file in remote_files(&server, "rollback", "objects") {
        let to = stolen.join(&file);
        fs::create_dir_all(to.parent().unwrap()).unwrap();
        fs::copy(bucket.join(&file), to).unwrap();
    }
    let read = reference_decrypt(&stolen, &a.path("stolen-out"), PASSWORD);
    assert_eq!(read.status.code(), Some(4), "{}", stderr(&read));
    let failures: Vec<&str> = std::str::from_utf8(&read.stderr)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("warning"))
        .collect();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(
        failures[0].starts_with(&added_id) && failures[0].contains("wrong key"),
        "{failures:?}"
    );
    // The new header and password open every one of them.
    fs::copy(&header, stolen.join("keepsake-vault.json")).unwrap();
    let read = reference_decrypt(&stolen, &a.path("all-out"), new_password);
    assert!(read.status.success(), "{}", stderr(&read));
    assert_eq!(files_under(&a.path("all-out")).len(), 4);

    // B still has the old header and password: its sync stops, says why, and leaves the
    // remote's header alone.
    b.run_ok(&["fav", &ids_of(&b)[0]]);
    let newest = fs::read(&header).unwrap();
    let stopped = run_s3(&b, &["sync"]);
    assert!(!stopped.status.success());
    assert!(
        stderr(&stopped).contains("changed on another device"),
        "{}",
        stderr(&stopped)
    );
    assert_eq!(fs::read(&header).unwrap(), newest);
    let c = new_machine("tablet");
    let refused = run_s3(&c, &["restore", &url, "--name", "rollback"]);
    assert_eq!(refused.status.code(), Some(3), "{}", stderr(&refused));
    let c = new_machine("tablet2");
    assert!(
        with_new(&c, &["restore", &url, "--name", "rollback"])
            .status
            .success()
    );
    // Unlocked with the new password, B takes the new header, then syncs both ways.
    let synced = with_new(&b, &["sync"]);
    assert!(synced.status.success(), "{}", stderr(&synced));
    assert_eq!(
        b.run(&["info"]).status.code(),
        Some(3),
        "the old password still opens B"
    );
    (a.password, b.password) = (new_password, new_password);
    assert_eq!(
        ids_of(&b).len(),
        4,
        "B did not get the photo added after the change"
    );
    assert_eq!(export_hashes(&b, "b-out"), export_hashes(&a, "a-out"));
    assert!(with_new(&a, &["sync"]).status.success());
    assert_eq!(library_view(&a), library_view(&b));

    // B changes the password in turn; A, unlocked with the second password, stops at its
    // next sync and takes B's header when unlocked with the third.
    let third = "the third password";
    let mut passwd = with_s3_keys(b.command(&["passwd"]));
    passwd
        .env("KEEPSAKE_PASSWORD", new_password)
        .env("KEEPSAKE_NEW_PASSWORD", third);
    assert!(passwd.output().unwrap().status.success());
    let mut sync = with_s3_keys(b.command(&["sync"]));
    sync.env("KEEPSAKE_PASSWORD", third);
    assert!(sync.output().unwrap().status.success());
    let stopped = with_new(&a, &["sync"]);
    assert!(
        stderr(&stopped).contains("changed on another device"),
        "{}",
        stderr(&stopped)
    );
    let mut info = a.command(&["info"]);
    info.env("KEEPSAKE_PASSWORD", third);
    assert!(
        info.output().unwrap().status.success(),
        "A did not learn B's change"
    );
    (a.password, b.password) = (third, third);
    let with_new = |vault: &TestVault, args: &[&str]| {
        let mut cmd = with_s3_keys(vault.command(args));
        cmd.env("KEEPSAKE_PASSWORD", third);
        let out = cmd.output().unwrap();
        no_panic(&out);
        out
    };

    // The storage operator puts the old header back: the next sync replaces it.
    fs::write(&header, &old_header).unwrap();
    settle();
    assert!(with_new(&a, &["sync"]).status.success());
    assert_ne!(fs::read(&header).unwrap(), old_header);
    let d = new_machine("phone");
    assert_eq!(
        run_s3(&d, &["restore", &url, "--name", "rollback"])
            .status
            .code(),
        Some(3)
    );
}

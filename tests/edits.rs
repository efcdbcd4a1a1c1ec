//! Fixes that never touch the original: `keepsake edit` changes what `show`, `ls`, search,
//! the thumbnail and exports say, keeps it through `rethumb`, and `--undo` brings back
//! what the file says; the stored objects never change.

mod support;

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::process::Command;
use support::*;

const CANON: &str = "jpg__Canon_40D.jpg";
const GPS: &str = "jpg__gps__DSCN0010.jpg";

fn thumbnail(vault: &TestVault, id: &str, name: &str) -> image::RgbImage {
    let out = vault.path(name);
    vault.run_ok(&["thumb", id, "--out", out.to_str().unwrap()]);
    image::open(&out).expect("a decodable JPEG").to_rgb8()
}

fn object_hashes(vault: &TestVault) -> BTreeMap<String, String> {
    vault
        .object_files()
        .iter()
        .map(|path| (path.to_string_lossy().into_owned(), sha256(path)))
        .collect()
}

fn names_found(vault: &TestVault, query: &str) -> Vec<String> {
    vault
        .json(&["search", query])
        .as_array()
        .expect("a list of items")
        .iter()
        .map(|item| item["name"].as_str().unwrap().to_string())
        .collect()
}

fn listed_names(vault: &TestVault) -> Vec<String> {
    vault
        .json(&["ls"])
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn fixes_show_everywhere_survive_rethumb_and_undo_back_to_the_file() {
    let vault = TestVault::new();
    vault.import_exif_samples(&[CANON, GPS]);
    let (canon, gps) = (vault.id_of(CANON), vault.id_of(GPS));
    let as_imported = (vault.json(&["show", &canon]), vault.json(&["show", &gps]));
    let objects = object_hashes(&vault);
    let upright = thumbnail(&vault, &canon, "upright.jpg");
    assert_eq!(
        listed_names(&vault),
        [CANON, GPS],
        "oldest first: 2008-05-30, then 2008-10-22"
    );

    // An unknown id among known ones: refused, and nothing changes.
    let refused = vault.run(&["edit", &canon, &"0".repeat(32), "--caption", "x"]);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert_eq!(vault.json(&["show", &canon]), as_imported.0);

    vault.run_ok(&["edit", &canon, "--date", "2019-07-14T18:02:11+02:00"]);
    vault.run_ok(&["edit", &gps, "--shift", "-1d12h"]);
    vault.run_ok(&["edit", &canon, "--place", "38.7223,-9.1393"]);
    vault.run_ok(&["edit", &gps, "--place", "none"]);
    vault.run_ok(&[
        "edit",
        &canon,
        "--caption",
        "Pastéis de Belém",
        "--rotate",
        "90",
    ]);

    let canon_shown = vault.json(&["show", &canon]);
    assert_eq!(
        canon_shown["metadata"]["taken_at"],
        "2019-07-14T18:02:11+02:00"
    );
    assert_eq!(canon_shown["metadata"]["date_source"], "edited");
    assert_eq!(canon_shown["metadata"]["latitude"], 38.7223);
    assert_eq!(canon_shown["metadata"]["longitude"], -9.1393);
    assert_eq!(canon_shown["place"]["city"], "Lisbon");
    assert_eq!(canon_shown["caption"], "Pastéis de Belém");
    assert_eq!(canon_shown["rotation"], 90);
    let before = &as_imported.0["metadata"];
    assert_eq!(
        (
            &canon_shown["metadata"]["width"],
            &canon_shown["metadata"]["height"]
        ),
        (&before["height"], &before["width"]),
        "a quarter turn swaps the sides"
    );
    let gps_shown = vault.json(&["show", &gps]);
    assert_eq!(gps_shown["metadata"]["taken_at"], "2008-10-21T04:28:39");
    assert_eq!(as_imported.1["metadata"]["taken_at"], "2008-10-22T16:28:39");
    assert_eq!(gps_shown["metadata"]["latitude"], Value::Null);
    assert_eq!(gps_shown["place"], Value::Null, "the place is hidden too");

    // The timeline, search and the listing follow.
    assert_eq!(
        listed_names(&vault),
        [GPS, CANON],
        "the 2019 photo is now last"
    );
    assert_eq!(names_found(&vault, "lisbon"), [CANON]);
    assert_eq!(
        names_found(&vault, "pasteis"),
        [CANON],
        "captions are searched"
    );
    assert_eq!(names_found(&vault, "year:2019"), [CANON]);
    let listed = vault.json(&["ls"]);
    assert_eq!(listed[1]["caption"], "Pastéis de Belém");
    assert_eq!(listed[0]["caption"], Value::Null);

    // The thumbnail is the upright one turned a quarter clockwise.
    let turned = thumbnail(&vault, &canon, "turned.jpg");
    let expected = image::imageops::rotate90(&upright);
    assert!(
        difference(&turned, &expected) < 6.0,
        "{}",
        difference(&turned, &expected)
    );

    // Rendering again from the originals keeps every fix.
    let fixed = (canon_shown, gps_shown);
    vault.run_ok(&["rethumb", "--all"]);
    assert_eq!(vault.json(&["show", &canon]), fixed.0);
    assert_eq!(vault.json(&["show", &gps]), fixed.1);

    // Exported sidecars carry the fixes for other software.
    let out = vault.path("export");
    vault.run_ok(&[
        "export",
        &canon,
        "--to",
        out.to_str().unwrap(),
        "--sidecars",
        "xmp",
    ]);
    let read = Command::new("exiftool")
        .args(["-json", "-n", "-XMP:DateTimeOriginal", "-XMP:GPSLatitude"])
        .args(["-XMP:GPSLongitude", "-XMP:Description", "-XMP:Orientation"])
        .arg(out.join(format!("{CANON}.xmp")))
        .output()
        .expect("exiftool (libimage-exiftool-perl) is installed by scripts/setup.sh");
    let read: Value = serde_json::from_slice(&read.stdout).expect("exiftool JSON");
    let sidecar = &read[0];
    assert_eq!(sidecar["DateTimeOriginal"], "2019:07:14 18:02:11+02:00");
    assert!((sidecar["GPSLatitude"].as_f64().unwrap() - 38.7223).abs() < 1e-6);
    assert!((sidecar["GPSLongitude"].as_f64().unwrap() + 9.1393).abs() < 1e-6);
    assert_eq!(sidecar["Description"], "Pastéis de Belém");
    assert_eq!(
        sidecar["Orientation"], 6,
        "the file's 1, turned 90° clockwise"
    );
    assert_eq!(
        sha256(&out.join(CANON)),
        sha256(&samples().join("exif-samples").join(CANON)),
        "the export is the original, byte for byte"
    );

    // Undo: what the files say, everywhere.
    vault.run_ok(&["edit", &canon, &gps, "--undo"]);
    assert_eq!(vault.json(&["show", &canon]), as_imported.0);
    assert_eq!(vault.json(&["show", &gps]), as_imported.1);
    assert_eq!(listed_names(&vault), [CANON, GPS]);
    assert_eq!(names_found(&vault, "pasteis"), Vec::<String>::new());
    let back = thumbnail(&vault, &canon, "back.jpg");
    assert!(difference(&back, &upright) < 1.0);
    assert_eq!(object_hashes(&vault), objects, "no object file changed");
    assert_eq!(
        vault.json(&["ls"])[0]["caption"],
        json!(null),
        "the caption went with the undo"
    );
}

#[test]
fn edits_that_cannot_apply_are_refused_whole_with_a_reason() {
    let vault = TestVault::new();
    vault.import_exif_samples(&[CANON]);
    let canon = vault.id_of(CANON);
    let shown = vault.json(&["show", &canon]);
    for (args, says) in [
        (vec!["--date", "14/07/2019"], "is not a date"),
        (vec!["--shift", "2h"], "is not a shift"),
        (vec!["--place", "91,0"], "off the globe"),
        (vec!["--rotate", "45"], "invalid value"),
        (
            vec!["--date", "2019-07-14", "--shift", "+1h"],
            "cannot be used with",
        ),
        (vec![], "required arguments"),
    ] {
        let mut all = vec!["edit", canon.as_str()];
        all.extend(&args);
        let out = vault.run(&all);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
        no_panic(&out);
    }
    let long = "x".repeat(2001);
    let out = vault.run(&["edit", &canon, "--caption", &long]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("at most 2000"), "{}", stderr(&out));
    assert_eq!(vault.json(&["show", &canon]), shown, "nothing changed");
}

/// The time zone of the place: a camera's wall-clock time gains the offset it had there
/// (Tuscany in October 2008: summer time, +02:00); a photo with no place is refused, unless
/// the same edit places it.
#[test]
fn the_time_zone_comes_from_the_place() {
    let vault = TestVault::new();
    vault.import_exif_samples(&[CANON, GPS]);
    let (canon, gps) = (vault.id_of(CANON), vault.id_of(GPS));
    let taken_at = |id: &str| vault.json(&["show", id])["metadata"]["taken_at"].clone();
    assert_eq!(taken_at(&gps), "2008-10-22T16:28:39");
    vault.run_ok(&["edit", &gps, "--zone-from-place"]);
    assert_eq!(taken_at(&gps), "2008-10-22T16:28:39+02:00");

    let before = taken_at(&canon);
    let out = vault.run(&["edit", &canon, &gps, "--zone-from-place"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("has no place to take its time zone from"),
        "{}",
        stderr(&out)
    );
    assert_eq!(taken_at(&canon), before, "refused whole");
    vault.run_ok(&[
        "edit",
        &canon,
        "--place",
        "35.6762,139.6503",
        "--zone-from-place",
    ]);
    assert_eq!(taken_at(&canon), "2008-05-30T15:56:01+09:00");
    let out = vault.run(&["edit", &canon, "--zone-from-place", "--shift", "+1h"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

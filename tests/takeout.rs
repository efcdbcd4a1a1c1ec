//! Coming from Google Photos: a Takeout folder's JSON sidecars give each photo the date,
//! position, description and favourite its own metadata lacks (never over what the file
//! says), under every name Google gives a sidecar; album folders become albums by the
//! title in their metadata.json; "Photos from YYYY" folders do not.

mod support;

use serde_json::{Value, json};
use std::fs;
use std::path::Path;
use std::process::Command;
use support::*;

/// A Takeout sidecar: taken at `seconds` (UTC), at `position`.
fn sidecar(
    title: &str,
    seconds: i64,
    position: (f64, f64),
    description: &str,
    fav: bool,
) -> String {
    json!({
        "title": title,
        "description": description,
        "imageViews": "3",
        "creationTime": {"timestamp": "1700000000", "formatted": "14 Nov 2023"},
        "photoTakenTime": {"timestamp": seconds.to_string(), "formatted": "whatever"},
        "geoData": {"latitude": position.0, "longitude": position.1, "altitude": 0.0,
                    "latitudeSpan": 0.0, "longitudeSpan": 0.0},
        "favorited": fav,
    })
    .to_string()
}

/// A copy of an EXIF sample with every bit of metadata stripped (as Google does to some
/// downloads), under `name`.
fn stripped_copy(sample: &str, to: &Path) {
    fs::copy(samples().join("exif-samples").join(sample), to).unwrap();
    let out = Command::new("exiftool")
        .args(["-q", "-overwrite_original", "-all="])
        .arg(to)
        .output()
        .expect("exiftool (libimage-exiftool-perl) is installed by scripts/setup.sh");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn shown(vault: &TestVault, name: &str) -> Value {
    vault.json(&["show", &vault.id_of(name)])
}

#[test]
fn takeout_sidecars_fill_in_what_the_photos_lack_and_album_folders_become_albums() {
    let vault = TestVault::new();
    let photos = vault.path("Takeout/Google Photos");
    let year = photos.join("Photos from 2019");
    let album = photos.join("Lisbon_ July");
    fs::create_dir_all(&year).unwrap();
    fs::create_dir_all(&album).unwrap();

    // Stripped of its metadata: everything comes from the old-style sidecar.
    stripped_copy("jpg__Canon_40D.jpg", &year.join("IMG_1.jpg"));
    fs::write(
        year.join("IMG_1.jpg.json"),
        sidecar(
            "IMG_1.jpg",
            1_563_127_331,
            (38.7223, -9.1393),
            "Pastéis de Belém",
            true,
        ),
    )
    .unwrap();
    // Its own EXIF date and GPS win over the (new-style) sidecar's.
    fs::copy(
        samples().join("exif-samples/jpg__gps__DSCN0010.jpg"),
        year.join("DSCN0010.jpg"),
    )
    .unwrap();
    fs::write(
        year.join("DSCN0010.jpg.supplemental-metadata.json"),
        sidecar("DSCN0010.jpg", 1_600_000_000, (1.0, 2.0), "", false),
    )
    .unwrap();
    // A second photo of the same name: NAME(1).jpg and NAME.jpg(1).json.
    stripped_copy("jpg__Nikon_D70.jpg", &year.join("IMG_1(1).jpg"));
    fs::write(
        year.join("IMG_1.jpg(1).json"),
        sidecar("IMG_1.jpg", 1_262_304_000, (0.0, 0.0), "", false),
    )
    .unwrap();
    // A long name, its sidecar's name cut at 51 characters.
    let long = "Screenshot_from_the_family_chat_with_grandma_and_the_cousins.jpg";
    stripped_copy("jpg__Canon_PowerShot_S40.jpg", &year.join(long));
    let cut: String = format!("{long}.supplemental-metadata")
        .chars()
        .take(46)
        .collect();
    fs::write(
        year.join(format!("{cut}.json")),
        sidecar(long, 1_451_606_400, (48.8566, 2.3522), "", false),
    )
    .unwrap();
    // An edited copy shares its original's sidecar.
    stripped_copy(
        "jpg__Fujifilm_FinePix_E500.jpg",
        &year.join("IMG_2-edited.jpg"),
    );
    fs::write(
        year.join("IMG_2.jpg.supplemental-metad.json"),
        sidecar("IMG_2.jpg", 1_420_070_400, (41.9028, 12.4964), "", false),
    )
    .unwrap();
    // The album folder holds the first photo again, with its sidecar, and a title.
    fs::copy(year.join("IMG_1.jpg"), album.join("IMG_1.jpg")).unwrap();
    fs::copy(year.join("IMG_1.jpg.json"), album.join("IMG_1.jpg.json")).unwrap();
    fs::write(
        album.join("metadata.json"),
        json!({"title": "Lisbon: July", "description": "", "access": "protected",
               "date": {"timestamp": "1563127331", "formatted": "x"}})
        .to_string(),
    )
    .unwrap();

    let report = vault.import(&[&vault.path("Takeout")]);
    assert_eq!(report["imported"].as_array().unwrap().len(), 5, "{report}");
    assert_eq!(
        report["duplicates"].as_array().unwrap().len(),
        1,
        "{report}"
    );
    assert_eq!(
        report["skipped"],
        json!([]),
        "no sidecar is skipped: {report}"
    );
    assert_eq!(report["sidecars"].as_array().unwrap().len(), 7, "{report}");

    let first = shown(&vault, "IMG_1.jpg");
    assert_eq!(first["metadata"]["taken_at"], "2019-07-14T18:02:11Z");
    assert_eq!(first["metadata"]["date_source"], "takeout");
    assert_eq!(first["metadata"]["latitude"], 38.7223);
    assert_eq!(first["place"]["city"], "Lisbon");
    assert_eq!(first["caption"], "Pastéis de Belém");
    let own = shown(&vault, "DSCN0010.jpg");
    assert_eq!(own["metadata"]["taken_at"], "2008-10-22T16:28:39");
    assert_eq!(own["metadata"]["date_source"], "exif");
    assert!((own["metadata"]["latitude"].as_f64().unwrap() - 43.4674).abs() < 1e-3);
    let second = shown(&vault, "IMG_1(1).jpg");
    assert_eq!(second["metadata"]["taken_at"], "2010-01-01T00:00:00Z");
    assert_eq!(
        second["metadata"]["latitude"],
        Value::Null,
        "0,0 is no position"
    );
    assert_eq!(
        shown(&vault, long)["metadata"]["taken_at"],
        "2016-01-01T00:00:00Z"
    );
    assert_eq!(
        shown(&vault, "IMG_2-edited.jpg")["metadata"]["taken_at"],
        "2015-01-01T00:00:00Z"
    );

    let listed = vault.json(&["ls"]);
    let favourites: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["favourite"] == true)
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(favourites, ["IMG_1.jpg"]);
    assert_eq!(
        vault.json(&["album", "ls"]),
        json!([{"name": "Lisbon: July", "items": [vault.id_of("IMG_1.jpg")]}]),
        "the album by its title; no album for the year folder"
    );

    // What the sidecars gave stays through a re-render, and the user's undo leaves it.
    vault.run_ok(&["rethumb", "--all"]);
    let id = vault.id_of("IMG_1.jpg");
    vault.run_ok(&["edit", &id, "--date", "2020-02-02"]);
    assert_eq!(
        shown(&vault, "IMG_1.jpg")["metadata"]["date_source"],
        "edited"
    );
    vault.run_ok(&["edit", &id, "--undo"]);
    assert_eq!(shown(&vault, "IMG_1.jpg"), first);

    // A sidecar whose photo is not there is named; the next import of the same export
    // changes nothing.
    let orphan = year.join("gone.jpg.json");
    fs::write(&orphan, sidecar("gone.jpg", 1, (1.0, 1.0), "", false)).unwrap();
    let again = vault.import(&[&vault.path("Takeout")]);
    assert_eq!(again["imported"], json!([]));
    let skipped = again["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{again}");
    assert_eq!(skipped[0]["path"], orphan.to_str().unwrap());
    assert!(
        skipped[0]["reason"]
            .as_str()
            .unwrap()
            .contains("not beside it"),
        "{again}"
    );
    assert_eq!(shown(&vault, "IMG_1.jpg"), first);
}

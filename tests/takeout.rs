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

/// A Takeout export made from the samples under `root`: returns the long file name.
fn takeout_tree(root: &Path) -> &'static str {
    let photos = root.join("Takeout/Google Photos");
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

    long
}

/// What importing the export above must give, whichever way it came in.
fn check_takeout_import(vault: &TestVault, report: &Value, long: &str) -> Value {
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

    let first = shown(vault, "IMG_1.jpg");
    assert_eq!(first["metadata"]["taken_at"], "2019-07-14T18:02:11Z");
    assert_eq!(first["metadata"]["date_source"], "takeout");
    assert_eq!(first["metadata"]["latitude"], 38.7223);
    assert_eq!(first["place"]["city"], "Lisbon");
    assert_eq!(first["caption"], "Pastéis de Belém");
    let own = shown(vault, "DSCN0010.jpg");
    assert_eq!(own["metadata"]["taken_at"], "2008-10-22T16:28:39");
    assert_eq!(own["metadata"]["date_source"], "exif");
    assert!((own["metadata"]["latitude"].as_f64().unwrap() - 43.4674).abs() < 1e-3);
    let second = shown(vault, "IMG_1(1).jpg");
    assert_eq!(second["metadata"]["taken_at"], "2010-01-01T00:00:00Z");
    assert_eq!(
        second["metadata"]["latitude"],
        Value::Null,
        "0,0 is no position"
    );
    assert_eq!(
        shown(vault, long)["metadata"]["taken_at"],
        "2016-01-01T00:00:00Z"
    );
    assert_eq!(
        shown(vault, "IMG_2-edited.jpg")["metadata"]["taken_at"],
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

    first
}

#[test]
fn takeout_sidecars_fill_in_what_the_photos_lack_and_album_folders_become_albums() {
    let vault = TestVault::new();
    let long = takeout_tree(&vault.path("."));
    let year = vault.path("Takeout/Google Photos/Photos from 2019");
    let report = vault.import(&[&vault.path("Takeout")]);
    let first = check_takeout_import(&vault, &report, long);

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

/// Puts `files` (paths under `root`) into `archive` (a .zip, else a .tgz), named by their
/// path under `root` (long ones in PAX headers, as Python's tarfile writes them).
fn pack(root: &Path, archive: &Path, files: &[std::path::PathBuf]) {
    let names: Vec<String> = files
        .iter()
        .map(|f| f.strip_prefix(root).unwrap().to_string_lossy().into_owned())
        .collect();
    let out = Command::new("python3")
        .args([
            "-c",
            "import sys, tarfile, zipfile\n\
             root, archive, names = sys.argv[1], sys.argv[2], sys.argv[3:]\n\
             if archive.endswith('.zip'):\n\
             \x20   with zipfile.ZipFile(archive, 'w', zipfile.ZIP_DEFLATED) as z:\n\
             \x20       for n in names: z.write(root + '/' + n, n)\n\
             else:\n\
             \x20   with tarfile.open(archive, 'w:gz') as t:\n\
             \x20       for n in names: t.add(root + '/' + n, n)\n",
        ])
        .arg(root)
        .arg(archive)
        .args(&names)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every file a traced run opened for writing, from an strace log.
fn written_paths(log: &str) -> Vec<String> {
    log.lines()
        .filter(|l| {
            l.contains("open")
                && ["O_WRONLY", "O_RDWR", "O_CREAT"]
                    .iter()
                    .any(|f| l.contains(f))
        })
        .filter_map(|l| Some(l.split('"').nth(1)?.to_string()))
        .collect()
}

/// Takeout as Google delivers it: zip parts, here with every sidecar in the other part than
/// its photo. Given together, the parts import as one export, straight from the archives:
/// nothing is written anywhere but the vault (strace watches every file opened for
/// writing), and each original is stored byte for byte. An entry too large to hold in
/// memory is streamed in and rendered later.
#[test]
fn takeout_zip_parts_import_as_one_export_without_extracting_anything() {
    takeout_parts_import_as_one_export_without_extracting_anything("zip");
}

/// The same with Takeout's other choice, .tgz parts: read only in order, and still never
/// extracted.
#[test]
fn takeout_tgz_parts_import_as_one_export_without_extracting_anything() {
    takeout_parts_import_as_one_export_without_extracting_anything("tgz");
}

fn takeout_parts_import_as_one_export_without_extracting_anything(ext: &str) {
    let vault = TestVault::new();
    let tree = vault.path("export");
    let long = takeout_tree(&tree);
    let files = files_under(&tree);
    let (json, photos): (Vec<_>, Vec<_>) = files
        .iter()
        .cloned()
        .partition(|f| f.extension().is_some_and(|e| e == "json"));
    let parts = [
        vault.path(&format!("takeout-001.{ext}")),
        vault.path(&format!("takeout-002.{ext}")),
    ];
    pack(&tree, &parts[0], &photos);
    pack(&tree, &parts[1], &json);

    let log = vault.path("strace.log");
    let import = vault.command(&[
        "import",
        "--json",
        parts[0].to_str().unwrap(),
        parts[1].to_str().unwrap(),
    ]);
    let out = Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=open,openat,creat", "-o"])
        .arg(&log)
        .arg(import.get_program())
        .args(import.get_args())
        .envs(import.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .stdin(std::process::Stdio::null())
        .output()
        .expect("strace (scripts/setup.sh installs it)");
    assert!(out.status.success(), "{}", stderr(&out));
    no_panic(&out);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    check_takeout_import(&vault, &report, long);
    let written = written_paths(&fs::read_to_string(&log).unwrap());
    assert!(!written.is_empty(), "strace saw no file written");
    let allowed = [vault.dir.clone(), vault.path("xdg-data")];
    let elsewhere: Vec<&String> = written
        .iter()
        .filter(|p| !p.starts_with("/dev/") && !allowed.iter().any(|a| Path::new(p).starts_with(a)))
        .collect();
    assert!(
        elsewhere.is_empty(),
        "written outside the vault: {elsewhere:?}"
    );
    let shown_path = report["imported"][0]["path"].as_str().unwrap();
    assert!(
        shown_path.starts_with(parts[0].to_str().unwrap()),
        "{shown_path}"
    );

    // Byte for byte: every photo exported is one of the files zipped.
    let out_dir = vault.path("out");
    vault.run_ok(&["export", "--all", "--to", out_dir.to_str().unwrap()]);
    let zipped: std::collections::BTreeSet<String> = photos.iter().map(|p| sha256(p)).collect();
    let exported: std::collections::BTreeSet<String> =
        files_under(&out_dir).iter().map(|p| sha256(p)).collect();
    assert_eq!(exported, zipped, "the album's copy is the same photo");

    // Importing the parts again finds everything there (a killed import resumes so); a
    // part given twice is read twice.
    let again = vault.import(&[&parts[0], &parts[1], &parts[0]]);
    assert_eq!(again["imported"], json!([]));
    assert_eq!(again["duplicates"].as_array().unwrap().len(), 12, "{again}");

    // Past what is read into memory: streamed in, stored whole, its thumbnail left to
    // rethumb (a JPEG signature on noise: rethumb then says why it has none).
    let big = vault.path("big/scan.jpg");
    fs::create_dir_all(big.parent().unwrap()).unwrap();
    synthetic_file(&big, JPEG_SIGNATURE, (64 << 20) + 4096, 7);
    let big_archive = vault.path(&format!("big.{ext}"));
    pack(&vault.path("big"), &big_archive, std::slice::from_ref(&big));
    let report = vault.import(&[&big_archive]);
    let note = report["imported"][0]["note"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(note.contains("rethumb"), "{report}");
    let id = vault.id_of("scan.jpg");
    let exported = vault.path("big-out");
    vault.run_ok(&["export", &id, "--to", exported.to_str().unwrap()]);
    assert_eq!(sha256(&exported.join("scan.jpg")), sha256(&big));
}

/// A zip that is none, and a tgz cut short (a download that stopped): each is named as
/// unreadable, and nothing of it is kept.
#[test]
fn a_damaged_archive_is_named_and_nothing_of_it_is_kept() {
    let vault = TestVault::new();
    let bad_zip = vault.path("takeout-003.zip");
    fs::write(&bad_zip, b"PK\x03\x04 this is not really a zip").unwrap();
    let tree = vault.path("export");
    takeout_tree(&tree);
    let cut_tgz = vault.path("takeout-004.tgz");
    pack(&tree, &cut_tgz, &files_under(&tree));
    let whole = fs::read(&cut_tgz).unwrap();
    fs::write(&cut_tgz, &whole[..whole.len() * 2 / 3]).unwrap();
    for bad in [bad_zip, cut_tgz] {
        let out = vault.run(&["import", bad.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let said = stdout(&out);
        assert!(
            said.contains("could not read the archive") && said.contains(bad.to_str().unwrap()),
            "{said}"
        );
        no_panic(&out);
        assert_eq!(vault.json(&["ls"]), json!([]));
    }
}

/// iCloud Photos' data copy, in two parts: the dates of `Photo Details.csv` where the photos
/// have none, its favourites, its Recently Deleted (to the trash), and its album CSVs (in
/// the other part) as albums.
#[test]
fn an_icloud_data_copy_brings_dates_favourites_albums_and_what_was_deleted() {
    let vault = TestVault::new();
    let tree = vault.path("icloud");
    let photos = tree.join("iCloud Photos/Photos");
    let albums = tree.join("iCloud Photos/Albums");
    fs::create_dir_all(&photos).unwrap();
    fs::create_dir_all(&albums).unwrap();
    stripped_copy("jpg__Canon_40D.jpg", &photos.join("IMG_0001.JPG"));
    stripped_copy("jpg__Nikon_D70.jpg", &photos.join("IMG_0002.JPG"));
    fs::copy(
        samples().join("exif-samples/jpg__gps__DSCN0010.jpg"),
        photos.join("IMG_0003.JPG"),
    )
    .unwrap();
    fs::write(
        tree.join("iCloud Photos/Photo Details.csv"),
        "imgName,fileChecksum,favorite,hidden,deleted,originalCreationDate,viewCount,importDate\n\
         IMG_0001.JPG,a,yes,no,no,\"Saturday June 5,2021 2:48 PM GMT\",3,\"Saturday June 5,2021 2:49 PM GMT\"\n\
         IMG_0002.JPG,b,no,no,yes,\"Sunday June 6,2021 9:00 AM GMT\",0,\"Sunday June 6,2021 9:01 AM GMT\"\n\
         IMG_0003.JPG,c,no,no,no,\"Monday June 7,2021 9:00 AM GMT\",0,\"Monday June 7,2021 9:01 AM GMT\"\n",
    )
    .unwrap();
    fs::write(
        albums.join("Summer Trip.csv"),
        "Images\nIMG_0001.JPG\nIMG_0003.JPG\n",
    )
    .unwrap();
    let files = files_under(&tree);
    let (manifests, media): (Vec<_>, Vec<_>) = files
        .iter()
        .cloned()
        .partition(|f| f.extension().is_some_and(|e| e == "csv"));
    let parts = [
        vault.path("iCloud Photos Part 1 of 2.zip"),
        vault.path("iCloud Photos Part 2 of 2.zip"),
    ];
    pack(&tree, &parts[0], &media);
    pack(&tree, &parts[1], &manifests);

    let report = vault.import(&[&parts[0], &parts[1]]);
    assert_eq!(report["imported"].as_array().unwrap().len(), 3, "{report}");
    assert_eq!(report["skipped"], json!([]), "{report}");
    assert_eq!(report["sidecars"].as_array().unwrap().len(), 2, "{report}");

    let first = shown(&vault, "IMG_0001.JPG");
    assert_eq!(first["metadata"]["taken_at"], "2021-06-05T14:48:00Z");
    assert_eq!(first["metadata"]["date_source"], "icloud");
    let own = shown(&vault, "IMG_0003.JPG");
    assert_eq!(
        own["metadata"]["taken_at"], "2008-10-22T16:28:39",
        "its own EXIF date"
    );
    let listed = vault.json(&["ls"]);
    let names: Vec<(&str, bool)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["name"].as_str().unwrap(), i["favourite"] == true))
        .collect();
    assert_eq!(
        names,
        [("IMG_0003.JPG", false), ("IMG_0001.JPG", true)],
        "the deleted one is not listed"
    );
    let trashed = vault.json(&["trash", "ls"]);
    assert_eq!(
        trashed[0]["name"], "IMG_0002.JPG",
        "Recently Deleted goes to the trash"
    );
    let mut in_album: Vec<String> = vec![vault.id_of("IMG_0001.JPG"), vault.id_of("IMG_0003.JPG")];
    in_album.sort();
    assert_eq!(
        vault.json(&["album", "ls"]),
        json!([{"name": "Summer Trip", "items": in_album}])
    );
}

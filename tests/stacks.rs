//! Stacks: a Live Photo (a photo and its short video), a RAW beside its JPEG and a burst
//! each list as one stack, show as one in the timeline, go to the trash and come back as
//! one, and export as every original, byte for byte.

mod support;

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;
use support::*;

fn run(program: &str, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        out.status.success(),
        "{program}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A copy of an EXIF sample as one shot of a burst: the same camera, at `at`.
fn shot(into: &Path, name: &str, at: &str) {
    let path = into.join(name);
    fs::copy(samples().join("exif-samples/jpg__Canon_40D.jpg"), &path).unwrap();
    let date = format!("-DateTimeOriginal={at}");
    let unique = format!("-ImageUniqueID={name}");
    run(
        "exiftool",
        &[
            "-q",
            "-overwrite_original",
            &date,
            &unique,
            path.to_str().unwrap(),
        ],
    );
}

#[test]
fn live_photos_raw_pairs_and_bursts_are_one_stack_each() {
    let vault = TestVault::new();
    let card = vault.path("card");
    fs::create_dir_all(&card).unwrap();
    fs::copy(
        samples().join("formats/heic__IMG_1034.heic"),
        card.join("IMG_0001.HEIC"),
    )
    .unwrap();
    run(
        "ffmpeg",
        &[
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=duration=3:size=320x240:rate=15",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            card.join("IMG_0001.MOV").to_str().unwrap(),
        ],
    );
    fs::copy(
        samples().join("formats/nef__Issue 247-1.nef"),
        card.join("DSC_0002.NEF"),
    )
    .unwrap();
    fs::copy(
        samples().join("exif-samples/jpg__Nikon_D70.jpg"),
        card.join("DSC_0002.JPG"),
    )
    .unwrap();
    for (n, second) in ["10", "10", "11"].iter().enumerate() {
        shot(
            &card,
            &format!("BURST_{n}.JPG"),
            &format!("2019:07:14 18:10:{second}"),
        );
    }
    shot(&card, "LATER.JPG", "2019:07:14 18:10:14");

    let report = vault.import(&[&card]);
    assert_eq!(report["imported"].as_array().unwrap().len(), 8, "{report}");
    let listed = vault.json(&["ls"]);
    let stack_of: BTreeMap<String, Value> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["name"].as_str().unwrap().to_string(), i["stack"].clone()))
        .collect();
    let id = |name: &str| json!(vault.id_of(name));
    let expected: BTreeMap<String, Value> = [
        ("IMG_0001.HEIC", id("IMG_0001.HEIC")),
        ("IMG_0001.MOV", id("IMG_0001.HEIC")),
        ("DSC_0002.JPG", id("DSC_0002.JPG")),
        ("DSC_0002.NEF", id("DSC_0002.JPG")),
        ("BURST_0.JPG", id("BURST_0.JPG")),
        ("BURST_1.JPG", id("BURST_0.JPG")),
        ("BURST_2.JPG", id("BURST_0.JPG")),
        ("LATER.JPG", Value::Null),
    ]
    .into_iter()
    .map(|(name, stack)| (name.to_string(), stack))
    .collect();
    assert_eq!(stack_of, expected);
    let live = vault.json(&["show", &vault.id_of("IMG_0001.MOV")]);
    assert_eq!(
        live["stack"],
        json!({"main": vault.id_of("IMG_0001.HEIC"), "kind": "live"})
    );
    assert_eq!(
        vault.json(&["show", &vault.id_of("BURST_2.JPG")])["stack"]["kind"],
        "burst"
    );

    // The timeline (here through search) shows each stack as its main item.
    let shown: Vec<String> = vault
        .json(&["search", "year:2019"])
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_string())
        .collect();
    assert!(!shown.contains(&"BURST_1.JPG".to_string()), "{shown:?}");
    assert!(
        shown.contains(&"BURST_0.JPG".to_string()) && shown.contains(&"LATER.JPG".to_string()),
        "{shown:?}"
    );

    // The trash takes and gives back the whole stack.
    let main = vault.id_of("IMG_0001.HEIC");
    vault.run_ok(&["rm", &main]);
    let trashed = vault.json(&["trash", "ls"]);
    assert_eq!(trashed.as_array().unwrap().len(), 2, "{trashed}");
    vault.run_ok(&["trash", "restore", &main]);
    assert_eq!(vault.json(&["trash", "ls"]), json!([]));

    // Exporting the main item exports every original of its stack, byte for byte.
    for (main, members) in [
        ("IMG_0001.HEIC", ["IMG_0001.HEIC", "IMG_0001.MOV"]),
        ("DSC_0002.JPG", ["DSC_0002.JPG", "DSC_0002.NEF"]),
    ] {
        let out = vault.path(&format!("export-{main}"));
        vault.run_ok(&["export", &vault.id_of(main), "--to", out.to_str().unwrap()]);
        let mut written: Vec<String> = fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        written.sort();
        let mut wanted: Vec<String> = members.iter().map(|m| m.to_string()).collect();
        wanted.sort();
        assert_eq!(written, wanted);
        for member in members {
            assert_eq!(
                sha256(&out.join(member)),
                sha256(&card.join(member)),
                "{member}"
            );
        }
    }
}

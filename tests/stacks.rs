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

/// A short H.264 video of ffmpeg's test pattern at `path`, with ffmpeg's `options`.
fn test_video(path: &Path, seconds: u32, options: &[&str]) {
    let source = format!("testsrc=duration={seconds}:size=320x240:rate=15");
    let input = ["-loglevel", "error", "-f", "lavfi", "-i", &source];
    let codec = ["-c:v", "libx264", "-pix_fmt", "yuv420p"];
    let out = [path.to_str().unwrap()];
    run("ffmpeg", &[&input[..], &codec, options, &out].concat());
}

/// A copy of `sample` (one of one camera's photos) as a shot of a burst taken at `at`.
fn shot(into: &Path, name: &str, sample: &str, at: &str) {
    let path = into.join(name);
    fs::copy(samples().join("exif-samples").join(sample), &path).unwrap();
    let date = format!("-DateTimeOriginal={at}");
    run(
        "exiftool",
        &["-q", "-overwrite_original", &date, path.to_str().unwrap()],
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
    test_video(&card.join("IMG_0001.MOV"), 3, &[]);
    // A RAW with the JPEG it holds: one picture twice, but one stack, not duplicates.
    let nef = card.join("DSC_0002.NEF");
    fs::copy(samples().join("formats/nef__Issue 247-1.nef"), &nef).unwrap();
    let preview = Command::new("exiftool")
        .args(["-b", "-PreviewImage", nef.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(preview.status.success() && preview.stdout.len() > 1000);
    fs::write(card.join("DSC_0002.JPG"), &preview.stdout).unwrap();
    // Four photos from one Nikon: three a second apart, and one three seconds later.
    for (name, dscn, second) in [
        ("BURST_0.JPG", "0010", "10"),
        ("BURST_1.JPG", "0012", "10"),
        ("BURST_2.JPG", "0021", "11"),
        ("LATER.JPG", "0025", "14"),
    ] {
        let sample = format!("jpg__gps__DSCN{dscn}.jpg");
        shot(&card, name, &sample, &format!("2019:07:14 18:10:{second}"));
    }
    // Copies of one picture at burst speed are no burst (they are duplicates).
    for (n, second) in ["20", "20", "21"].iter().enumerate() {
        let name = format!("COPY_{n}.JPG");
        shot(
            &card,
            &name,
            "jpg__gps__DSCN0027.jpg",
            &format!("2019:07:14 18:10:{second}"),
        );
        let unique = format!("-ImageUniqueID={name}");
        let path = card.join(&name);
        run(
            "exiftool",
            &["-q", "-overwrite_original", &unique, path.to_str().unwrap()],
        );
    }

    // A file in the vault already (as after an import killed before it made its stacks)
    // joins its stack when it is imported again with the others.
    vault.import(&[&card.join("IMG_0001.HEIC")]);
    let report = vault.import(&[&card]);
    assert_eq!(report["imported"].as_array().unwrap().len(), 10, "{report}");
    assert_eq!(report["stacks"], 3, "{report}");
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
        ("COPY_0.JPG", Value::Null),
        ("COPY_1.JPG", Value::Null),
        ("COPY_2.JPG", Value::Null),
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

    // The copies are the only duplicates: "keep the best" of a RAW and its own JPEG
    // would trash the JPEG and with it, as the stack's main item, the RAW too.
    let groups = vault.json(&["dupes"]);
    let mut copies: Vec<Value> = groups
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|group| {
            std::iter::once(group["keep"].clone())
                .chain(group["others"].as_array().unwrap().clone())
        })
        .collect();
    copies.sort_by_key(|id| id.to_string());
    let mut wanted: Vec<Value> = (0..3).map(|n| id(&format!("COPY_{n}.JPG"))).collect();
    wanted.sort_by_key(|id| id.to_string());
    assert_eq!(
        (groups.as_array().unwrap().len(), copies),
        (1, wanted),
        "{groups}"
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

    // Memories show a stack once, as its main item.
    let memories = vault.json(&["memories", "--date", "2021-07-14"]);
    let remembered = memories.to_string();
    assert!(
        remembered.contains("BURST_0.JPG") && !remembered.contains("BURST_1.JPG"),
        "{memories}"
    );

    // A view asking for what only another file of a stack is shows that file: the
    // favourite RAW of a pair among the favourites; a Live Photo's video is never one of
    // the videos.
    let names_of = |found: Value| -> Vec<String> {
        let mut names: Vec<String> = found
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap().to_string())
            .collect();
        names.sort();
        names
    };
    vault.run_ok(&[
        "fav",
        &vault.id_of("DSC_0002.NEF"),
        &vault.id_of("BURST_0.JPG"),
    ]);
    assert_eq!(
        names_of(vault.json(&["search", "fav:yes"])),
        ["BURST_0.JPG", "DSC_0002.NEF"]
    );
    assert_eq!(
        names_of(vault.json(&["search", "type:video"])),
        Vec::<String>::new()
    );
    vault.run_ok(&[
        "fav",
        "--off",
        &vault.id_of("DSC_0002.NEF"),
        &vault.id_of("BURST_0.JPG"),
    ]);

    // The trash takes and gives back the whole stack.
    let main = vault.id_of("IMG_0001.HEIC");
    vault.run_ok(&["rm", &main]);
    let trashed = vault.json(&["trash", "ls"]);
    assert_eq!(trashed.as_array().unwrap().len(), 2, "{trashed}");
    vault.run_ok(&["trash", "restore", &main]);
    assert_eq!(vault.json(&["trash", "ls"]), json!([]));

    // Another file of a stack goes to the trash alone; put back while its main item is
    // in the trash too, it brings the main item back, or it could not be seen anywhere.
    let raw = vault.id_of("DSC_0002.NEF");
    vault.run_ok(&["rm", &raw]);
    assert_eq!(vault.json(&["trash", "ls"]).as_array().unwrap().len(), 1);
    vault.run_ok(&["rm", &vault.id_of("DSC_0002.JPG")]);
    vault.run_ok(&["trash", "restore", &raw]);
    assert_eq!(vault.json(&["trash", "ls"]), json!([]));
    // Only its main item: a shot of a burst deleted on purpose stays in the trash.
    let (second, third) = (vault.id_of("BURST_1.JPG"), vault.id_of("BURST_2.JPG"));
    vault.run_ok(&["rm", &third]);
    vault.run_ok(&["rm", &second]);
    vault.run_ok(&["trash", "restore", &second]);
    let left = vault.json(&["trash", "ls"]);
    assert_eq!(left.as_array().unwrap().len(), 1, "{left}");
    assert_eq!(left[0]["id"], json!(third), "{left}");
    vault.run_ok(&["trash", "restore", &third]);

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

/// A Motion Photo: `photo` from the samples with `mp4` after it, its XMP saying so the
/// older way (`MicroVideo`) or, given `directory`, the newer (`MotionPhoto`).
fn motion_photo(into: &Path, name: &str, photo: &str, mp4: &[u8], directory: bool) {
    let path = into.join(name);
    fs::copy(samples().join("exif-samples").join(photo), &path).unwrap();
    let file = path.to_str().unwrap();
    if directory {
        let xmp = into.join(format!("{name}.xmp"));
        fs::write(
            &xmp,
            format!(
                r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:GCamera="http://ns.google.com/photos/1.0/camera/"
 xmlns:Container="http://ns.google.com/photos/1.0/container/"
 xmlns:Item="http://ns.google.com/photos/1.0/container/item/"
 GCamera:MotionPhoto="1" GCamera:MotionPhotoVersion="1">
<Container:Directory><rdf:Seq>
<rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="image/jpeg" Item:Semantic="Primary" Item:Length="0" Item:Padding="0"/></rdf:li>
<rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="video/mp4" Item:Semantic="MotionPhoto" Item:Length="{}" Item:Padding="0"/></rdf:li>
</rdf:Seq></Container:Directory></rdf:Description></rdf:RDF></x:xmpmeta>"#,
                mp4.len()
            ),
        )
        .unwrap();
        let from = format!("-xmp<={}", xmp.to_str().unwrap());
        run("exiftool", &["-q", "-overwrite_original", &from, file]);
        fs::remove_file(xmp).unwrap();
    } else {
        let offset = format!("-XMP-GCamera:MicroVideoOffset={}", mp4.len());
        let args = [
            "-q",
            "-overwrite_original",
            "-XMP-GCamera:MicroVideo=1",
            &offset,
            file,
        ];
        run("exiftool", &args);
    }
    let mut bytes = fs::read(&path).unwrap();
    bytes.extend_from_slice(mp4);
    fs::write(&path, bytes).unwrap();
}

#[test]
fn a_motion_photo_is_a_stack_whose_video_plays_from_inside_it() {
    let vault = TestVault::new();
    let card = vault.path("card");
    fs::create_dir_all(&card).unwrap();
    let mp4 = vault.path("motion.mp4");
    test_video(&mp4, 2, &[]);
    let video = fs::read(&mp4).unwrap();
    motion_photo(
        &card,
        "PXL_20190714_181000.MP.jpg",
        "jpg__gps__DSCN0029.jpg",
        &video,
        true,
    );
    motion_photo(
        &card,
        "MVIMG_20190714_181500.jpg",
        "jpg__gps__DSCN0038.jpg",
        &video,
        false,
    );
    // Said, but what it points at is no MP4: a photo.
    motion_photo(
        &card,
        "NOT_MOTION.jpg",
        "jpg__gps__DSCN0040.jpg",
        b"not a video at all",
        false,
    );

    let report = vault.import(&[&card]);
    assert_eq!(report["stacks"], 2, "{report}");
    for name in ["PXL_20190714_181000.MP.jpg", "MVIMG_20190714_181500.jpg"] {
        let id = vault.id_of(name);
        let shown = vault.json(&["show", &id]);
        assert_eq!(
            shown["stack"],
            json!({"main": id, "kind": "motion"}),
            "{name}"
        );
        assert_eq!(shown["playable"], "motion", "{name}");
        assert_eq!(shown["metadata"]["motion_length"], video.len(), "{name}");
        // Its video, from the byte range inside the original, is the MP4 it was given.
        let out = vault.path(&format!("{name}.mp4"));
        vault.run_ok(&["thumb", &id, "--playable", "--out", out.to_str().unwrap()]);
        assert_eq!(fs::read(&out).unwrap(), video, "{name}");
        // It is one photo, exported byte for byte.
        let exported = vault.path(&format!("export-{name}"));
        vault.run_ok(&["export", &id, "--to", exported.to_str().unwrap()]);
        assert_eq!(sha256(&exported.join(name)), sha256(&card.join(name)));
    }
    let listed = vault.json(&["ls"]);
    let stack_of = |name: &str| {
        listed
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["name"] == name)
            .unwrap()["stack"]
            .clone()
    };
    assert_eq!(
        stack_of("MVIMG_20190714_181500.jpg"),
        json!(vault.id_of("MVIMG_20190714_181500.jpg"))
    );
    assert_eq!(stack_of("NOT_MOTION.jpg"), Value::Null);
    let plain = vault.json(&["show", &vault.id_of("NOT_MOTION.jpg")]);
    assert_eq!(
        (plain["playable"].clone(), plain["stack"].clone()),
        (Value::Null, Value::Null)
    );
}

/// A Live Photo whose two files were renamed apart (a download named by date, the video in
/// another folder) is still one: the still's Apple MakerNote and the video's QuickTime key
/// carry the same identifier.
#[test]
fn a_live_photo_renamed_apart_is_paired_by_apples_identifier() {
    let vault = TestVault::new();
    let phone = vault.path("phone");
    fs::create_dir_all(phone.join("clips")).unwrap();
    let still = phone.join("2019-07-14 20.00.00.heic");
    fs::copy(samples().join("exif-samples/heic__IMG_5195.HEIC"), &still).unwrap();
    let said = Command::new("exiftool")
        .args(["-s3", "-MediaGroupUUID", still.to_str().unwrap()])
        .output()
        .unwrap();
    let id = String::from_utf8_lossy(&said.stdout).trim().to_string();
    assert_eq!(id.len(), 36, "the sample's identifier: {id:?}");
    let clip = phone.join("clips/Live clip.mov");
    let key = format!("com.apple.quicktime.content.identifier={id}");
    test_video(
        &clip,
        2,
        &["-movflags", "use_metadata_tags", "-metadata", &key],
    );

    let report = vault.import(&[&phone]);
    assert_eq!(report["stacks"], 1, "{report}");
    let video = vault.json(&["show", &vault.id_of("Live clip.mov")]);
    assert_eq!(
        video["stack"],
        json!({"main": vault.id_of("2019-07-14 20.00.00.heic"), "kind": "live"}),
        "{video}"
    );
    assert_eq!(video["metadata"]["content_id"], json!(id));
}

//! The media pipeline on the real samples: upright thumbnails, metadata that agrees with
//! exiftool, a thumbnail of the right shape for every format, and malformed files that
//! import cleanly.

mod support;

use serde_json::Value;
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::*;

/// A vault holding copies of the given sample folders, and the import summary.
fn vault_with(subs: &[&str]) -> (TestVault, Value) {
    let vault = TestVault::new();
    let input = vault.path("in");
    fs::create_dir_all(&input).unwrap();
    for sub in subs {
        copy_samples(sub, &input);
    }
    let summary = vault.import(&[&input]);
    (vault, summary)
}

fn id_of(summary: &Value, file_name: &str) -> String {
    summary["imported"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| Path::new(e["path"].as_str().unwrap()).file_name().unwrap() == file_name)
        .unwrap_or_else(|| panic!("{file_name} was not imported"))["id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn thumbnail(vault: &TestVault, id: &str, preview: bool) -> image::RgbImage {
    let out = vault.path(&format!("{id}-{preview}.jpg"));
    let _ = fs::remove_file(&out); // `thumb` never replaces a file
    let mut args = vec!["thumb", id, "--out", out.to_str().unwrap()];
    if preview {
        args.push("--preview");
    }
    vault.run_ok(&args);
    image::open(&out).expect("a decodable JPEG").to_rgb8()
}

#[test]
fn every_exif_orientation_gives_an_upright_thumbnail() {
    let (vault, summary) = vault_with(&["exif-samples"]);
    for shape in ["landscape", "portrait"] {
        let upright = thumbnail(
            &vault,
            &id_of(&summary, &format!("jpg__orientation__{shape}_1.jpg")),
            false,
        );
        let (w, h) = upright.dimensions();
        assert_eq!(w > h, shape == "landscape");
        for tag in 2..=8 {
            let oriented = thumbnail(
                &vault,
                &id_of(&summary, &format!("jpg__orientation__{shape}_{tag}.jpg")),
                false,
            );
            assert_eq!(oriented.dimensions(), (w, h), "{shape} {tag}");
            // The samples are one photo stored 8 ways, each with its number drawn on it:
            // the right turn must be far closer to the upright one than any wrong turn
            // (flips and half-turn keep the size, so they are the ones to rule out).
            let right = difference(&oriented, &upright);
            let wrong = [
                image::imageops::flip_horizontal(&upright),
                image::imageops::flip_vertical(&upright),
                image::imageops::rotate180(&upright),
            ]
            .iter()
            .map(|turned| difference(&oriented, turned))
            .fold(f64::INFINITY, f64::min);
            assert!(
                right < 0.6 * wrong,
                "{shape} orientation {tag}: {right:.1} from upright, {wrong:.1} from a wrong turn"
            );
        }
    }
}

fn exiftool(files: &[PathBuf]) -> Vec<Value> {
    let out = Command::new("exiftool")
        .args([
            "-json",
            "-n",
            "-ImageWidth",
            "-ImageHeight",
            "-Orientation",
            "-Rotation",
        ])
        .args([
            "-DateTimeOriginal",
            "-OffsetTimeOriginal",
            "-Make",
            "-Model",
            "-LensModel",
        ])
        .args([
            "-GPSLatitude",
            "-GPSLongitude",
            "-GPSAltitude",
            "-ISO",
            "-FNumber",
            "-FocalLength",
        ])
        .args(files)
        .output()
        .expect("exiftool (libimage-exiftool-perl) is installed by scripts/setup.sh");
    serde_json::from_slice(&out.stdout).expect("exiftool JSON")
}

fn close(a: &Value, b: &Value, tolerance: f64) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => (x - y).abs() <= tolerance,
        _ => a.is_null() && b.is_null(),
    }
}

#[test]
fn dates_cameras_and_places_agree_with_exiftool() {
    let (vault, summary) = vault_with(&["exif-samples"]);
    let gps: Vec<PathBuf> = files_under(&vault.path("in"))
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("jpg__gps__"))
        .collect();
    assert!(gps.len() >= 9);
    for reference in exiftool(&gps) {
        let file = Path::new(reference["SourceFile"].as_str().unwrap());
        let name = file.file_name().unwrap().to_str().unwrap();
        let shown = vault.json(&["show", &id_of(&summary, name)]);
        let ours = &shown["metadata"];
        let date = reference["DateTimeOriginal"].as_str().unwrap();
        let iso = format!("{}T{}", date[..10].replace(':', "-"), &date[11..]);
        assert_eq!(ours["taken_at"].as_str().unwrap()[..19], iso, "{name}");
        assert_eq!(ours["date_source"], "exif", "{name}");
        assert_eq!(ours["camera_make"], reference["Make"], "{name}");
        assert_eq!(ours["camera_model"], reference["Model"], "{name}");
        for (field, theirs, tolerance) in [
            ("latitude", "GPSLatitude", 1e-6),
            ("longitude", "GPSLongitude", 1e-6),
            ("altitude", "GPSAltitude", 1e-3),
            ("f_number", "FNumber", 1e-6),
            ("focal_length_mm", "FocalLength", 1e-6),
            ("iso", "ISO", 0.0),
        ] {
            assert!(
                close(&ours[field], &reference[theirs], tolerance),
                "{name} {field}: {} vs {}",
                ours[field],
                reference[theirs]
            );
        }
        assert!(ours["latitude"].is_f64(), "{name} has GPS");
    }
}

#[test]
fn every_format_gets_a_thumbnail_of_the_right_shape() {
    let (vault, summary) = vault_with(&["formats", "exif-samples"]);
    let mut files: Vec<PathBuf> = files_under(&vault.path("in/formats"));
    files.extend(
        [
            "heic__mobile__iphone_13_pro_max.HEIC",
            "heic__IMG_5195.HEIC",
            "tiff__BSG1.tiff",
            "jpg__Canon_40D.jpg",
        ]
        .iter()
        .map(|f| vault.path("in/exif-samples").join(f)),
    );
    for reference in exiftool(&files) {
        let file = Path::new(reference["SourceFile"].as_str().unwrap());
        let name = file.file_name().unwrap().to_str().unwrap();
        let (mut w, mut h) = (
            reference["ImageWidth"].as_f64().unwrap(),
            reference["ImageHeight"].as_f64().unwrap(),
        );
        // HEIF and video rotate by their container; other formats by EXIF orientation.
        let turned =
            if name.starts_with("heic") || name.starts_with("mov") || name.starts_with("mp4") {
                reference["Rotation"].as_i64().unwrap_or(0) % 180 == 90
            } else {
                reference["Orientation"].as_i64().is_some_and(|o| o >= 5)
            };
        if turned {
            (w, h) = (h, w);
        }
        let id = id_of(&summary, name);
        let thumb = thumbnail(&vault, &id, false);
        let (tw, th) = thumb.dimensions();
        assert_eq!(tw.max(th), 512.min(w.max(h) as u32), "{name}: long side");
        let expected = w / h;
        let got = tw as f64 / th as f64;
        // Rounding to whole pixels at 512 moves the ratio by at most ~1/256.
        assert!(
            (got - expected).abs() / expected < 0.01,
            "{name}: aspect {got:.3}, original {expected:.3}"
        );
        let shown = vault.json(&["show", &id]);
        assert_eq!(
            shown["metadata"]["width"].as_f64(),
            Some(w),
            "{name}: recorded width"
        );
        assert_eq!(
            shown["metadata"]["height"].as_f64(),
            Some(h),
            "{name}: recorded height"
        );
    }
}

#[test]
fn formats_the_webview_cannot_show_get_a_preview_and_jpegs_do_not() {
    let (vault, summary) = vault_with(&["formats"]);
    let heic = id_of(&summary, "heic__IMG_1034.heic");
    let preview = thumbnail(&vault, &heic, true);
    assert_eq!(preview.dimensions(), (2048, 1536));
    let video = id_of(&summary, "mov__with-gps.mov");
    let shown = vault.json(&["show", &video]);
    assert_eq!(shown["metadata"]["duration_ms"], 4002);
    assert_eq!(shown["metadata"]["latitude"], 32.0929);
    assert!(
        shown["metadata"]["taken_at"]
            .as_str()
            .unwrap()
            .starts_with("2019-07-24T")
    );
    let jpeg = id_of(&summary, "webp__Photo (1).webp");
    let out = vault.path("none.jpg");
    let none = vault.run(&["thumb", &jpeg, "--preview", "--out", out.to_str().unwrap()]);
    assert_eq!(none.status.code(), Some(1));
    assert!(
        stderr(&none).contains("needs no preview"),
        "{}",
        stderr(&none)
    );
}

#[test]
fn malformed_files_import_or_skip_cleanly_with_a_reason() {
    let (vault, summary) = vault_with(&["malformed", "exif-samples"]);
    for entry in summary["imported"].as_array().unwrap() {
        let path = entry["path"].as_str().unwrap();
        if path.contains("fuzzing__") {
            assert!(
                entry["note"].is_string(),
                "{path}: stored, and the note says what could not be read"
            );
        }
    }
    for entry in summary["skipped"].as_array().unwrap() {
        assert!(entry["reason"].is_string());
    }
    let corrupted = id_of(&summary, "jpg__corrupted.jpg");
    let shown = vault.json(&["show", &corrupted]);
    assert_eq!(
        shown["metadata"]["camera_make"], "OLYMPUS IMAGING CORP.",
        "what parses is kept"
    );
    // Everything can be listed, verified and exported after all that.
    vault.run_ok(&["verify"]);
    let out = vault.path("out");
    vault.run_ok(&["export", "--all", "--to", out.to_str().unwrap()]);
    assert_eq!(
        files_under(&out).len(),
        summary["imported"].as_array().unwrap().len()
    );
}

#[test]
fn rethumb_regenerates_from_the_stored_originals() {
    let (vault, summary) = vault_with(&["formats"]);
    let heic = id_of(&summary, "heic__cheers_1440x960.heic");
    let before = thumbnail(&vault, &heic, false);
    let out = vault.run_ok(&["rethumb", "--all"]);
    let count = summary["imported"].as_array().unwrap().len();
    assert!(
        stdout(&out).contains(&format!("Regenerated {count} items, 0 failed")),
        "{}",
        stdout(&out)
    );
    let after = thumbnail(&vault, &heic, false);
    assert_eq!(before.dimensions(), after.dimensions());
    assert!(difference(&before, &after) < 1.0);
    for video in ["mp4__with-gps.mp4", "mov__with-gps.mov"] {
        // Re-rendered from decrypted bytes in memory, not from the user's file.
        let id = id_of(&summary, video);
        let shown = vault.json(&["show", &id]);
        assert!(
            shown["metadata"]["duration_ms"].as_u64().unwrap() > 0,
            "{video}"
        );
        assert!(
            shown["render_error"].is_null(),
            "{video}: {}",
            shown["render_error"]
        );
        let (w, h) = thumbnail(&vault, &id, false).dimensions();
        assert_eq!(w.max(h), 512, "{video}: poster frame");
    }
    let missing = vault.run(&["rethumb", "0123456789abcdef0123456789abcdef"]);
    assert_eq!(missing.status.code(), Some(1));
}

#[test]
fn wide_gamut_photos_keep_their_colour_profile_in_thumbnails() {
    let (vault, summary) = vault_with(&["exif-samples"]);
    let id = id_of(&summary, "heic__mobile__iphone_13_pro_max.HEIC");
    let out = vault.path("p3.jpg");
    vault.run_ok(&["thumb", &id, "--out", out.to_str().unwrap()]);
    let tags = Command::new("exiftool")
        .args(["-json", "-ProfileDescription"])
        .arg(&out)
        .output()
        .unwrap();
    let tags: Value = serde_json::from_slice(&tags.stdout).unwrap();
    assert_eq!(tags[0]["ProfileDescription"], "Display P3");
}

#[test]
fn ffmpeg_and_ffprobe_get_no_secrets_no_network_and_a_named_demuxer() {
    use std::os::unix::fs::PermissionsExt;
    let vault = TestVault::new();
    // Stand-ins for the tools, first on PATH, that record what they were given: the real
    // tools cannot tell their environment (they run in every other video test).
    let bin = vault.path("bin");
    let log = vault.path("tools.log");
    fs::create_dir_all(&bin).unwrap();
    for tool in ["ffprobe", "ffmpeg"] {
        let script = bin.join(tool);
        fs::write(
            &script,
            format!(
                "#!/bin/sh\n{{ echo \"{tool} $*\"; env; }} >> '{}'\nexit 1\n",
                log.display()
            ),
        )
        .unwrap();
        fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    }
    let video = samples().join("formats/mp4__with-gps.mp4");
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let out = vault
        .command(&["import", video.to_str().unwrap(), "--json"])
        .env("PATH", path)
        .env("AWS_SECRET_ACCESS_KEY", "s3-secret-never-shared")
        .env("KEEPSAKE_REMOTE_PASSWORD", "webdav-secret-never-shared")
        .output()
        .unwrap();
    no_panic(&out);
    assert!(out.status.success(), "{}", stderr(&out));
    let seen = fs::read_to_string(&log).expect("the tools ran");
    for secret in [
        PASSWORD,
        "s3-secret-never-shared",
        "webdav-secret-never-shared",
    ] {
        assert!(
            !seen.contains(secret),
            "a tool was given {secret:?}:\n{seen}"
        );
    }
    for tool in ["ffprobe", "ffmpeg"] {
        let call = seen
            .lines()
            .find(|l| l.starts_with(&format!("{tool} ")))
            .unwrap_or_else(|| panic!("{tool} did not run:\n{seen}"));
        assert!(call.contains("-protocol_whitelist file,pipe,fd"), "{call}");
        assert!(call.contains("-f mov -i "), "{call}");
    }
    // The tools failed: the video is stored all the same, with a note why.
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        summary["imported"].as_array().unwrap().len(),
        1,
        "{summary}"
    );
}

#[test]
fn thumb_never_writes_over_an_existing_file() {
    let (vault, summary) = vault_with(&["formats"]);
    let id = id_of(&summary, "heic__cheers_1440x960.heic");
    let exported = vault.path("cheers.heic");
    fs::write(&exported, b"the exported original").unwrap();
    let out = vault.run(&["thumb", &id, "--out", exported.to_str().unwrap()]);
    no_panic(&out);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("never replaces"), "{}", stderr(&out));
    assert_eq!(fs::read(&exported).unwrap(), b"the exported original");
}

/// CRC-32 (IEEE), as PNG chunks carry it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(kind: &[u8], data: &[u8]) -> Vec<u8> {
    let mut chunk = (data.len() as u32).to_be_bytes().to_vec();
    let body: Vec<u8> = kind.iter().chain(data).copied().collect();
    chunk.extend_from_slice(&body);
    chunk.extend_from_slice(&crc32(&body).to_be_bytes());
    chunk
}

/// A real JPEG whose frame header now declares `width` x `height`.
fn jpeg_declaring(width: u16, height: u16) -> Vec<u8> {
    let mut bytes = fs::read(samples().join("exif-samples/jpg__Canon_40D.jpg")).unwrap();
    let mut at = 2;
    // Walk the segments (the EXIF thumbnail inside APP1 is skipped whole) to the frame.
    while !matches!(bytes[at + 1], 0xC0..=0xC2) {
        at += 2 + u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]) as usize;
    }
    bytes[at + 5..at + 7].copy_from_slice(&height.to_be_bytes());
    bytes[at + 7..at + 9].copy_from_slice(&width.to_be_bytes());
    bytes
}

#[test]
fn decompression_bombs_are_stored_with_a_note_in_little_memory() {
    let vault = TestVault::new();
    let input = vault.path("bombs");
    fs::create_dir_all(&input).unwrap();
    // A PNG declaring 100000 x 100000 (30 GB of RGB) in a few dozen bytes.
    let mut ihdr = 100_000u32.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(png_chunk(b"IHDR", &ihdr));
    png.extend(png_chunk(b"IDAT", &[0x78, 0x9C, 0x63, 0, 0, 0, 1, 0, 1]));
    png.extend(png_chunk(b"IEND", b""));
    fs::write(input.join("bomb.png"), png).unwrap();
    fs::write(input.join("bomb.jpg"), jpeg_declaring(65000, 65000)).unwrap();

    // Each decode must fit in far less than what the files declare.
    let mut import = Command::new("prlimit");
    import
        .arg("--as=2147483648")
        .arg("--")
        .args([support::keepsake_bin().to_str().unwrap(), "--vault"])
        .arg(&vault.dir)
        .args(["import", input.to_str().unwrap(), "--json"])
        .env("KEEPSAKE_PASSWORD", PASSWORD);
    let out = import.output().expect("prlimit (util-linux)");
    no_panic(&out);
    assert!(out.status.success(), "{}", stderr(&out));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    let imported = summary["imported"].as_array().unwrap();
    assert_eq!(imported.len(), 2, "{summary}");
    for entry in imported {
        let note = entry["note"].as_str().unwrap_or_default();
        assert!(note.contains("too large to preview"), "{entry}");
    }
}

#[test]
fn metadata_and_thumbnails_are_read_for_photos_over_64_mib() {
    let vault = TestVault::new();
    // A real photo grown past the import's in-memory size, as a scan or a medium-format
    // file would be (decoders ignore what follows the image).
    let mut bytes = fs::read(samples().join("exif-samples/jpg__Canon_40D.jpg")).unwrap();
    bytes.resize(bytes.len() + (65 << 20), 0);
    let big = vault.path("scan.jpg");
    fs::write(&big, &bytes).unwrap();
    let summary = vault.import(&[&big]);
    let id = id_of(&summary, "scan.jpg");
    let shown = vault.json(&["show", &id]);
    assert_eq!(
        shown["metadata"]["camera_model"], "Canon EOS 40D",
        "{shown}"
    );
    assert_eq!(shown["metadata"]["date_source"], "exif", "{shown}");
    assert!(shown["render_error"].is_null(), "{shown}");
    // The sample is small: its thumbnail is its own size.
    let (w, h) = thumbnail(&vault, &id, false).dimensions();
    let width = shown["metadata"]["width"].as_u64().unwrap() as u32;
    let height = shown["metadata"]["height"].as_u64().unwrap() as u32;
    assert_eq!((w, h), (width.min(512), height.min(512)), "{shown}");
}

/// A photo whose metadata has no date takes it from its name (a phone's, a screenshot's,
/// a messaging app's), not from when the file was copied; one with an EXIF date keeps it.
#[test]
fn a_date_in_the_file_name_is_the_fallback_before_the_file_time() {
    let vault = TestVault::new();
    let source = samples().join("exif-samples/jpg__Canon_40D.jpg");
    let stripped = vault.path("IMG_20190714_180211.jpg");
    std::fs::copy(&source, &stripped).unwrap();
    let removed = Command::new("exiftool")
        .args(["-q", "-all=", "-overwrite_original"])
        .arg(&stripped)
        .status()
        .unwrap();
    assert!(removed.success());
    let whatsapp = vault.path("IMG-20180301-WA0007.jpg");
    std::fs::copy(&stripped, &whatsapp).unwrap();
    // Same bytes as the stripped copy would be a duplicate: change one byte of padding.
    let mut bytes = std::fs::read(&whatsapp).unwrap();
    bytes.push(0);
    std::fs::write(&whatsapp, bytes).unwrap();
    let dated_exif = vault.path("IMG_20000101_000000.jpg");
    std::fs::copy(&source, &dated_exif).unwrap();
    vault.import(&[&stripped, &whatsapp, &dated_exif]);
    let shown = |name: &str| {
        let id = vault.id_of(name);
        let metadata = vault.json(&["show", &id])["metadata"].clone();
        (
            metadata["taken_at"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            metadata["date_source"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        )
    };
    assert_eq!(
        shown("IMG_20190714_180211.jpg"),
        ("2019-07-14T18:02:11".into(), "filename".into())
    );
    assert_eq!(
        shown("IMG-20180301-WA0007.jpg"),
        ("2018-03-01T00:00:00".into(), "filename".into())
    );
    let (taken, from) = shown("IMG_20000101_000000.jpg");
    assert_eq!(
        (taken.get(..10), from.as_str()),
        (Some("2008-05-30"), "exif")
    );
}

/// Near-duplicates: each full-size sample grouped with a half-size q70 copy, a +10%
/// brightness copy and a 95% crop of it (made here with vips), the copy kept never one of
/// the smaller ones; and no two different photos grouped among them and the EXIF samples
/// (whose orientation test set is one picture stored eight ways: one group each).
#[test]
fn dupes_groups_copies_of_a_photo_and_nothing_else() {
    let vault = TestVault::new();
    let folder = vault.path("copies");
    fs::create_dir_all(&folder).unwrap();
    let vips = |args: &[&str]| {
        let ok = Command::new("vips").args(args).status().expect("vips runs");
        assert!(ok.success(), "vips {args:?}");
    };
    let header = |file: &Path, field: &str| -> u64 {
        let out = Command::new("vipsheader")
            .args(["-f", field])
            .arg(file)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
    };
    let mut originals = Vec::new();
    for (n, entry) in fs::read_dir(samples().join("full-size"))
        .unwrap()
        .enumerate()
    {
        let source = entry.unwrap().path();
        let stem = format!("p{n}");
        let original = folder.join(format!("{stem}.jpg"));
        fs::copy(&source, &original).unwrap();
        let out = |variant: &str, options: &str| {
            format!(
                "{}[{options}]",
                folder.join(format!("{stem}-{variant}.jpg")).display()
            )
        };
        let src = original.to_str().unwrap();
        vips(&["resize", src, &out("half", "Q=70"), "0.5"]);
        vips(&["linear", src, &out("bright", "Q=90"), "1.1", "0", "--uchar"]);
        let (w, h) = (header(&original, "width"), header(&original, "height"));
        let (cw, ch) = (w * 95 / 100, h * 95 / 100);
        let crop = [(w - cw) / 2, (h - ch) / 2, cw, ch].map(|v| v.to_string());
        vips(&[
            "crop",
            src,
            &out("crop", "Q=90"),
            &crop[0],
            &crop[1],
            &crop[2],
            &crop[3],
        ]);
        originals.push(stem);
    }
    let exif = samples().join("exif-samples");
    vault.import(&[&folder, &exif]);
    let names: std::collections::HashMap<String, String> = vault
        .json(&["ls"])
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["id"].as_str().unwrap().into(),
                i["name"].as_str().unwrap().into(),
            )
        })
        .collect();
    // Which picture a file is: pN for the copies, the orientation family, else itself.
    let picture = |name: &str| -> String {
        if let Some(rest) = name.strip_prefix("jpg__orientation__") {
            return rest.split('_').next().unwrap().to_string();
        }
        name.split(['-', '.']).next().unwrap().to_string()
    };
    let groups = vault.json(&["dupes"]);
    let mut grouped = std::collections::HashMap::new();
    for group in groups.as_array().unwrap() {
        let keep = names[group["keep"].as_str().unwrap()].clone();
        let members: Vec<String> = std::iter::once(keep.clone())
            .chain(
                group["others"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|id| names[id.as_str().unwrap()].clone()),
            )
            .collect();
        let pictures: std::collections::BTreeSet<String> =
            members.iter().map(|m| picture(m)).collect();
        assert_eq!(pictures.len(), 1, "different photos grouped: {members:?}");
        assert!(group["distance"].as_u64().unwrap() <= 28, "{group}");
        assert!(
            !keep.contains("-half") && !keep.contains("-crop"),
            "kept a smaller copy: {members:?}"
        );
        grouped.insert(pictures.into_iter().next().unwrap(), members.len());
    }
    for stem in &originals {
        assert_eq!(
            grouped.get(stem),
            Some(&4),
            "{stem} and its three copies: {grouped:?}"
        );
    }
}

/// Every sample photo with GPS is named offline: its place is the nearest of the GeoNames
/// places the app bundles, found here by brute force (haversine over the same table, read
/// from the crate's source where cargo unpacked it), with the country's name.
#[test]
fn photos_with_gps_are_named_by_the_nearest_place_in_the_bundled_table() {
    // The crate's own copy of the table, where cargo unpacked the version Cargo.lock names.
    let lock =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.lock")).unwrap();
    let version = lock
        .split("name = \"reverse_geocoder\"\nversion = \"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("reverse_geocoder in Cargo.lock");
    let wanted = format!("reverse_geocoder-{version}");
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cargo"));
    let table_path = fs::read_dir(cargo_home.join("registry/src"))
        .unwrap()
        .flat_map(|index| fs::read_dir(index.unwrap().path()).unwrap())
        .map(|entry| entry.unwrap().path())
        .find(|dir| {
            dir.file_name()
                .is_some_and(|n| n.to_string_lossy() == wanted)
        })
        .expect("the geocoder crate's source")
        .join("cities.csv");
    let table = fs::read_to_string(table_path).unwrap();
    let places: Vec<(f64, f64, String, String)> = table
        .lines()
        .skip(1)
        .filter_map(|line| {
            // lat,lon,name,admin1,admin2,cc (names may be quoted and hold commas)
            let mut fields = Vec::new();
            let mut field = String::new();
            let mut quoted = false;
            for c in line.chars() {
                match c {
                    '"' => quoted = !quoted,
                    ',' if !quoted => fields.push(std::mem::take(&mut field)),
                    other => field.push(other),
                }
            }
            fields.push(field);
            Some((
                fields[0].parse().ok()?,
                fields[1].parse().ok()?,
                fields[2].clone(),
                fields[5].clone(),
            ))
        })
        .collect();
    assert!(places.len() > 100_000);
    let haversine = |(a, b): (f64, f64), (c, d): (f64, f64)| {
        let (p1, p2) = (a.to_radians(), c.to_radians());
        let h = ((p2 - p1) / 2.0).sin().powi(2)
            + p1.cos() * p2.cos() * ((d - b).to_radians() / 2.0).sin().powi(2);
        2.0 * 6371.0 * h.sqrt().asin()
    };

    let (vault, _) = vault_with(&["exif-samples"]);
    let mut named = 0;
    for item in vault.json(&["ls"]).as_array().unwrap() {
        let shown = vault.json(&["show", item["id"].as_str().unwrap()]);
        let (Some(lat), Some(lon)) = (
            shown["metadata"]["latitude"].as_f64(),
            shown["metadata"]["longitude"].as_f64(),
        ) else {
            assert!(shown["place"].is_null(), "a place without GPS: {shown}");
            continue;
        };
        let (_, _, city, cc) = places
            .iter()
            .min_by(|x, y| {
                haversine((lat, lon), (x.0, x.1)).total_cmp(&haversine((lat, lon), (y.0, y.1)))
            })
            .unwrap();
        let place = &shown["place"];
        assert_eq!(
            (&place["city"], &place["country_code"]),
            (&Value::from(city.as_str()), &Value::from(cc.as_str())),
            "{}",
            shown["name"]
        );
        assert!(
            place["country"].as_str().is_some_and(|c| !c.is_empty()),
            "{place}"
        );
        named += 1;
    }
    assert!(named >= 9, "only {named} photos with GPS");
    let tuscany = vault.json(&["ls"]);
    let id = tuscany
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "jpg__gps__DSCN0010.jpg")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let place = &vault.json(&["show", &id])["place"];
    assert_eq!(
        (&place["region"], &place["country"]),
        (&Value::from("Tuscany"), &Value::from("Italy"))
    );
}

/// Search finds what filtering the listing finds, newest first: by year, by camera, and by
/// the city, region and country of each photo with GPS, with accents and case ignored.
#[test]
fn search_finds_what_filtering_the_listing_finds_newest_first() {
    let vault = TestVault::new();
    let input = vault.path("in");
    fs::create_dir_all(&input).unwrap();
    let samples = copy_samples("exif-samples", &input);
    // For accents: samples given the coordinates of São Paulo (the bundled table writes
    // "Sao Paulo") and of Willemstad, Curaçao (ISO 3166 writes the accent).
    for (name, lat, lon) in [
        ("centro.jpg", "23.5505 S", "46.6333 W"),
        ("willemstad.jpg", "12.1084 N", "68.9335 W"),
    ] {
        let copy = input.join(name);
        fs::copy(samples.join("jpg__Canon_40D.jpg"), &copy).unwrap();
        let (lat, lat_ref) = lat.split_once(' ').unwrap();
        let (lon, lon_ref) = lon.split_once(' ').unwrap();
        let tagged = Command::new("exiftool")
            .args(["-q", "-overwrite_original"])
            .arg(format!("-GPSLatitude={lat}"))
            .arg(format!("-GPSLatitudeRef={lat_ref}"))
            .arg(format!("-GPSLongitude={lon}"))
            .arg(format!("-GPSLongitudeRef={lon_ref}"))
            .arg(&copy)
            .status()
            .unwrap();
        assert!(tagged.success());
    }
    vault.import(&[&input]);

    let shown: Vec<Value> = vault
        .json(&["ls"])
        .as_array()
        .unwrap()
        .iter()
        .map(|item| vault.json(&["show", item["id"].as_str().unwrap()]))
        .collect();
    let text = |v: &Value| v.as_str().unwrap_or("").to_string();
    // What the search looks in, as words: name, kind, camera, lens, place, year and month.
    let words_of = |item: &Value| -> Vec<String> {
        let m = &item["metadata"];
        let taken = text(&m["taken_at"]);
        let month = taken
            .get(5..7)
            .and_then(|mm| mm.parse::<usize>().ok())
            .map(|mm| MONTHS[mm - 1].to_string());
        [
            text(&item["name"]),
            text(&item["kind"]),
            text(&m["camera_make"]),
            text(&m["camera_model"]),
            text(&m["lens"]),
            text(&item["place"]["city"]),
            text(&item["place"]["region"]),
            text(&item["place"]["country"]),
            taken.get(..4).unwrap_or("").to_string(),
            month.unwrap_or_default(),
        ]
        .join(" ")
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(String::from)
        .collect()
    };
    let ids = |items: Vec<&Value>| -> BTreeSet<String> {
        items.into_iter().map(|i| text(&i["id"])).collect()
    };
    let search = |query: &str| -> BTreeSet<String> {
        let found = vault.json(&["search", query]);
        let found = found.as_array().unwrap();
        let taken: Vec<String> = found
            .iter()
            .map(|i| text(&i["taken_at"]).chars().take(19).collect())
            .collect();
        assert!(
            taken.windows(2).all(|w| w[0] >= w[1]),
            "{query}: not newest first: {taken:?}"
        );
        ids(found.iter().collect())
    };
    let matching_words = |query: &str| {
        ids(shown
            .iter()
            .filter(|item| {
                let words = words_of(item);
                query
                    .split_whitespace()
                    .all(|q| words.iter().any(|w| w.starts_with(q)))
            })
            .collect())
    };

    let in_2008 = ids(shown
        .iter()
        .filter(|i| text(&i["metadata"]["taken_at"]).starts_with("2008"))
        .collect());
    assert!(in_2008.len() >= 10);
    assert_eq!(search("year:2008"), in_2008);
    let nikon = matching_words("nikon");
    assert!(nikon.len() >= 10, "{nikon:?}");
    assert_eq!(search("nikon"), nikon);
    assert_eq!(search("NIKON"), nikon);

    let mut places = 0;
    for item in shown.iter().filter(|i| !i["place"].is_null()) {
        for field in ["city", "region", "country"] {
            let name = text(&item["place"][field]);
            if name.is_empty() {
                continue;
            }
            let found = search(&name.to_uppercase());
            assert!(found.contains(&text(&item["id"])), "{name} not found");
            if name.is_ascii() {
                assert_eq!(found, matching_words(&name.to_lowercase()), "{name}");
            }
            places += 1;
        }
    }
    assert!(places >= 9, "{places}");
    let named = |file: &str| ids(shown.iter().filter(|i| i["name"] == file).collect());
    let place_of = |file: &str| shown.iter().find(|i| i["name"] == file).unwrap()["place"].clone();
    assert_eq!(place_of("centro.jpg")["city"], "Sao Paulo");
    assert_eq!(search("São Paulo"), named("centro.jpg"));
    assert_eq!(search("sao paulo brazil"), named("centro.jpg"));
    assert_eq!(search("sao year:2007"), BTreeSet::new());
    assert_eq!(place_of("willemstad.jpg")["country"], "Curaçao");
    assert_eq!(search("curacao"), named("willemstad.jpg"));

    let bad = vault.run(&["search", "colour:red"]);
    assert!(!bad.status.success());
    assert!(
        stderr(&bad).contains("year:, month:, type: and fav:"),
        "{}",
        stderr(&bad)
    );
}

/// `trips --date D` lists the runs of photos taken far from home in the year up to D,
/// newest first, each named by the city most of it was in; home photos, a two-photo
/// outing and a trip older than a year are not trips.
#[test]
fn trips_are_the_runs_of_photos_far_from_home_in_the_last_year() {
    let vault = TestVault::new();
    let input = vault.path("in");
    fs::create_dir_all(&input).unwrap();
    let sample = samples().join("exif-samples/jpg__Canon_40D.jpg");
    let shots: &[(&str, &str, (f64, f64))] = &[
        ("home-1", "2026:01:05 10:00:00", (47.3769, 8.5417)), // Zurich
        ("home-2", "2026:02:07 10:00:00", (47.3769, 8.5417)),
        ("home-3", "2026:03:09 10:00:00", (47.3700, 8.5300)),
        ("home-4", "2026:05:02 10:00:00", (47.3769, 8.5417)),
        ("home-5", "2026:06:20 10:00:00", (47.4000, 8.6000)),
        ("lisbon-1", "2026:04:10 09:00:00", (38.7223, -9.1393)),
        ("lisbon-2", "2026:04:10 15:00:00", (38.7139, -9.1334)),
        ("lisbon-3", "2026:04:11 10:00:00", (38.7223, -9.1393)),
        ("lisbon-4", "2026:04:12 18:00:00", (41.1579, -8.6291)), // Porto
        ("rome-1", "2026:05:20 10:00:00", (41.9028, 12.4964)),
        ("rome-2", "2026:05:20 11:00:00", (41.9028, 12.4964)),
        ("tokyo-1", "2026:06:01 09:00:00", (35.6895, 139.6917)),
        ("tokyo-2", "2026:06:02 09:00:00", (35.6895, 139.6917)),
        ("tokyo-3", "2026:06:03 09:00:00", (35.6895, 139.6917)),
        ("new-york-1", "2025:03:01 09:00:00", (40.7128, -74.0060)),
        ("new-york-2", "2025:03:01 10:00:00", (40.7128, -74.0060)),
        ("new-york-3", "2025:03:02 10:00:00", (40.7128, -74.0060)),
    ];
    for (name, taken, (lat, lon)) in shots {
        let file = input.join(format!("{name}.jpg"));
        fs::copy(&sample, &file).unwrap();
        let out = Command::new("exiftool")
            .args(["-q", "-overwrite_original"])
            .arg(format!("-DateTimeOriginal={taken}"))
            .arg(format!("-GPSLatitude={}", lat.abs()))
            .arg(format!(
                "-GPSLatitudeRef={}",
                if *lat < 0.0 { "S" } else { "N" }
            ))
            .arg(format!("-GPSLongitude={}", lon.abs()))
            .arg(format!(
                "-GPSLongitudeRef={}",
                if *lon < 0.0 { "W" } else { "E" }
            ))
            .arg(&file)
            .output()
            .expect("exiftool (libimage-exiftool-perl) is installed by scripts/setup.sh");
        assert!(out.status.success(), "{}", stderr(&out));
    }
    vault.import(&[&input]);
    let id = |name: &str| vault.id_of(&format!("{name}.jpg"));
    let ids = |prefix: &str| -> BTreeSet<String> {
        shots
            .iter()
            .filter(|(name, _, _)| name.starts_with(prefix))
            .map(|(name, _, _)| id(name))
            .collect()
    };
    let city_of = |name: &str| {
        let place = &vault.json(&["show", &id(name)])["place"];
        format!(
            "{}, {}",
            place["city"].as_str().unwrap(),
            place["country"].as_str().unwrap()
        )
    };

    let trips = vault.json(&["trips", "--date", "2026-06-30"]);
    let trips = trips.as_array().unwrap();
    let titles: Vec<&str> = trips.iter().map(|t| t["title"].as_str().unwrap()).collect();
    assert_eq!(titles, [city_of("tokyo-1"), city_of("lisbon-1")]);
    assert!(titles[1].contains("Lisbon"), "{titles:?}");
    let members = |trip: &Value| -> BTreeSet<String> {
        trip["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|id| id.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(members(&trips[0]), ids("tokyo"));
    assert_eq!(members(&trips[1]), ids("lisbon"));
    assert_eq!(trips[1]["first"], "2026-04-10T09:00:00");
    assert_eq!(trips[1]["last"], "2026-04-12T18:00:00");

    // A year earlier, New York was the only place photographed: home, not a trip.
    assert_eq!(
        vault.json(&["trips", "--date", "2025-12-31"]),
        serde_json::json!([])
    );
    let refused = vault.run(&["trips", "--date", "2026-02-30"]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
}

/// Finding photos again happens on this machine: naming places at import, showing,
/// searching, near-duplicates and memories open no network socket (strace sees every
/// socket(2) and connect(2) of the process and its children).
#[test]
fn finding_photos_again_opens_no_network_socket() {
    let vault = TestVault::new();
    let input = vault.path("in");
    fs::create_dir_all(&input).unwrap();
    copy_samples("exif-samples", &input);
    let traced = |args: &[&str]| -> (bool, String) {
        let log = vault.path("strace.log");
        let keepsake = vault.command(args);
        let out = Command::new("strace")
            .args(["-f", "-qq", "-e", "trace=socket,connect", "-o"])
            .arg(&log)
            .arg(keepsake.get_program())
            .args(keepsake.get_args())
            .envs(keepsake.get_envs().filter_map(|(k, v)| Some((k, v?))))
            .stdin(std::process::Stdio::null())
            .output()
            .expect("strace (scripts/setup.sh installs it)");
        no_panic(&out);
        (out.status.success(), fs::read_to_string(&log).unwrap())
    };
    let network = |calls: &str| -> Vec<String> {
        calls
            .lines()
            .filter(|l| l.contains("AF_INET"))
            .map(String::from)
            .collect()
    };

    let (imported, mut calls) = traced(&["import", input.to_str().unwrap()]);
    assert!(imported);
    let id = vault.id_of("jpg__gps__DSCN0010.jpg");
    for args in [
        &["show", &id, "--json"][..],
        &["search", "tuscany"],
        &["dupes"],
        &["memories", "--date", "2020-10-22"],
        &["trips", "--date", "2009-01-01"],
    ] {
        let (ok, more) = traced(args);
        assert!(ok, "{args:?}");
        calls += &more;
    }
    assert_eq!(network(&calls), Vec::<String>::new());

    // The trace does see a network socket where there is one: a remote on this machine.
    vault.run_ok(&["remote", "add", "here", "webdav+http://127.0.0.1:9/photos"]);
    let (_, calls) = traced(&["remote", "test", "here"]);
    assert!(!network(&calls).is_empty(), "strace saw no socket: {calls}");
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// `export --albums --sidecars xmp` writes each original byte-exact into a folder per album
/// (twice for a photo in two albums, at the top for one in none), beside an XMP sidecar
/// from which exiftool reads the date, position, place, favourite and albums that `show`
/// gives; `--sidecars json` writes Google Takeout's shape with the same facts.
#[test]
fn export_keeps_albums_and_writes_sidecars_other_software_reads() {
    let vault = TestVault::new();
    let samples = samples().join("exif-samples");
    let files = [
        "jpg__Canon_40D.jpg",
        "jpg__Nikon_D70.jpg",
        "jpg__gps__DSCN0010.jpg",
    ];
    vault.import_exif_samples(&files);
    let (canon, gps) = (vault.id_of(files[0]), vault.id_of(files[2]));
    vault.run_ok(&["album", "create", "Summer"]);
    vault.run_ok(&["album", "create", "Tom & Jerry"]);
    vault.run_ok(&["album", "add", "Summer", &canon, &gps]);
    vault.run_ok(&["album", "add", "Tom & Jerry", &gps]);
    vault.run_ok(&["fav", &gps]);
    let shown = vault.json(&["show", &gps]);

    let out = vault.path("export");
    let report = vault.json(&[
        "export",
        "--all",
        "--to",
        out.to_str().unwrap(),
        "--albums",
        "--sidecars",
        "xmp",
    ]);
    assert_eq!(report["failed"], serde_json::json!([]), "{report}");
    let written: BTreeSet<String> = files_under(&out)
        .iter()
        .map(|p| p.strip_prefix(&out).unwrap().to_string_lossy().into_owned())
        .collect();
    let expected: BTreeSet<String> = [
        "Summer/jpg__Canon_40D.jpg",
        "Summer/jpg__gps__DSCN0010.jpg",
        "Tom & Jerry/jpg__gps__DSCN0010.jpg",
        "jpg__Nikon_D70.jpg",
    ]
    .iter()
    .flat_map(|f| [f.to_string(), format!("{f}.xmp")])
    .collect();
    assert_eq!(written, expected);
    for file in expected.iter().filter(|f| !f.ends_with(".xmp")) {
        let name = Path::new(file).file_name().unwrap();
        assert_eq!(
            sha256(&out.join(file)),
            sha256(&samples.join(name)),
            "{file}"
        );
    }

    let read = Command::new("exiftool")
        .args([
            "-json",
            "-n",
            "-DateTimeOriginal",
            "-GPSLatitude",
            "-GPSLongitude",
        ])
        .args(["-City", "-Country", "-CountryCode", "-Rating", "-Subject"])
        .args(["-HierarchicalSubject"])
        .arg(out.join("Tom & Jerry/jpg__gps__DSCN0010.jpg.xmp"))
        .arg(out.join("Summer/jpg__Canon_40D.jpg.xmp"))
        .output()
        .expect("exiftool (libimage-exiftool-perl) is installed by scripts/setup.sh");
    let read: Value = serde_json::from_slice(&read.stdout).expect("exiftool JSON");
    let (located, plain) = (&read[0], &read[1]);
    let original = &exiftool(&[samples.join(files[2])])[0];
    assert_eq!(located["DateTimeOriginal"], original["DateTimeOriginal"]);
    for axis in ["GPSLatitude", "GPSLongitude"] {
        let (a, b) = (
            located[axis].as_f64().unwrap(),
            original[axis].as_f64().unwrap(),
        );
        assert!(
            (a - b).abs() < 1e-6,
            "{axis}: {a} in the sidecar, {b} in the photo"
        );
    }
    assert_eq!(located["City"], shown["place"]["city"]);
    assert_eq!(located["Country"], shown["place"]["country"]);
    assert_eq!(located["CountryCode"], shown["place"]["country_code"]);
    assert_eq!(located["Rating"], 5);
    assert_eq!(
        located["Subject"],
        serde_json::json!(["Summer", "Tom & Jerry"])
    );
    assert_eq!(
        located["HierarchicalSubject"],
        serde_json::json!(["Albums|Summer", "Albums|Tom & Jerry"])
    );
    assert!(
        plain.get("GPSLatitude").is_none() && plain.get("Rating").is_none(),
        "{plain}"
    );
    assert_eq!(plain["Subject"], "Summer");

    let takeout = vault.path("takeout");
    vault.run_ok(&[
        "export",
        &gps,
        "--to",
        takeout.to_str().unwrap(),
        "--sidecars",
        "json",
    ]);
    let sidecar: Value =
        serde_json::from_slice(&fs::read(takeout.join("jpg__gps__DSCN0010.jpg.json")).unwrap())
            .unwrap();
    assert_eq!(sidecar["title"], "jpg__gps__DSCN0010.jpg");
    assert_eq!(sidecar["favorited"], true);
    assert_eq!(
        sidecar["geoData"]["latitude"],
        shown["metadata"]["latitude"]
    );
    assert_eq!(
        sidecar["geoData"]["longitude"],
        shown["metadata"]["longitude"]
    );
    assert_eq!(
        sidecar["photoTakenTime"]["formatted"],
        shown["metadata"]["taken_at"]
    );
    assert_eq!(
        sidecar["keepsake"]["albums"],
        serde_json::json!(["Summer", "Tom & Jerry"])
    );
    assert_eq!(
        files_under(&takeout).len(),
        2,
        "the photo and its sidecar, no album folder"
    );

    // A sidecar already where one would go is kept: the photo is exported, the failure said.
    let again = vault.path("again");
    fs::create_dir(&again).unwrap();
    let theirs = again.join("jpg__gps__DSCN0010.jpg.json");
    fs::write(&theirs, b"someone else's").unwrap();
    let refused = vault.run(&[
        "export",
        &gps,
        "--to",
        again.to_str().unwrap(),
        "--sidecars",
        "json",
    ]);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("could not write the sidecar"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(fs::read(&theirs).unwrap(), b"someone else's");
    assert_eq!(
        sha256(&again.join("jpg__gps__DSCN0010.jpg")),
        sha256(&samples.join(files[2]))
    );
}

//! The media pipeline on the real samples: upright thumbnails, metadata that agrees with
//! exiftool, a thumbnail of the right shape for every format, and malformed files that
//! import cleanly.

mod support;

use serde_json::Value;
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
    let mut args = vec!["thumb", id, "--out", out.to_str().unwrap()];
    if preview {
        args.push("--preview");
    }
    vault.run_ok(&args);
    image::open(&out).expect("a decodable JPEG").to_rgb8()
}

/// Mean absolute difference per channel, 0-255.
fn difference(a: &image::RgbImage, b: &image::RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let total: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| x.abs_diff(*y) as u64)
        .sum();
    total as f64 / a.as_raw().len() as f64
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

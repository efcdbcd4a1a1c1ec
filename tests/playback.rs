//! Videos that play: which stream the viewer plays for each video (`show --json`'s
//! `playable`, `thumb --playable`), the proxy made for one this platform's viewer cannot
//! play, and that proxy through sync, restore, verify and tampering. The videos are made
//! here by ffmpeg from a test pattern.

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::*;

/// A 2 s video from ffmpeg's test pattern and a tone, with these codec options.
fn make_video(path: &Path, size: &str, codecs: &[&str]) -> PathBuf {
    let made = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg(format!("testsrc=size={size}:rate=25"))
        .args(["-f", "lavfi", "-i", "sine=frequency=440", "-t", "2"])
        .args(codecs)
        .arg(path)
        .status()
        .expect("ffmpeg runs");
    assert!(made.success(), "ffmpeg made {}", path.display());
    path.to_path_buf()
}

/// ffprobe's view of a file: (container, video codec, width, height, audio codec).
fn probe(path: &Path) -> (String, String, u64, u64, String) {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
        ])
        .arg(path)
        .output()
        .unwrap();
    let info: Value = serde_json::from_slice(&out.stdout).unwrap();
    let streams = info["streams"].as_array().unwrap();
    let of = |kind: &str| streams.iter().find(|s| s["codec_type"] == kind).unwrap();
    (
        info["format"]["format_name"].as_str().unwrap().to_string(),
        of("video")["codec_name"].as_str().unwrap().to_string(),
        of("video")["width"].as_u64().unwrap(),
        of("video")["height"].as_u64().unwrap(),
        of("audio")["codec_name"].as_str().unwrap().to_string(),
    )
}

/// The index (`moov`) comes before the media (`mdat`): a player starts at once.
fn index_first(mp4: &[u8]) -> bool {
    let at = |atom: &[u8]| mp4.windows(4).position(|w| w == atom);
    matches!((at(b"moov"), at(b"mdat")), (Some(moov), Some(mdat)) if moov < mdat)
}

#[test]
fn each_video_plays_as_it_is_or_from_a_proxy_made_for_it() {
    let vault = TestVault::new();
    let h264 = make_video(
        &vault.path("clip.mp4"),
        "640x360",
        &["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac"],
    );
    // Windows Media: no webview Keepsake runs in plays it.
    let wmv = make_video(
        &vault.path("old-phone.wmv"),
        "1440x1080",
        &["-c:v", "wmv2", "-c:a", "wmav2"],
    );
    let photo = samples().join("exif-samples/jpg__Canon_40D.jpg");
    let report = vault.import(&[&h264, &wmv, &photo]);
    assert_eq!(report["proxies"]["made"], 1, "{report}");

    let (mp4_id, wmv_id, photo_id) = (
        vault.id_of("clip.mp4"),
        vault.id_of("old-phone.wmv"),
        vault.id_of("jpg__Canon_40D.jpg"),
    );
    let playable = |id: &str| vault.json(&["show", id])["playable"].clone();
    assert_eq!(playable(&mp4_id), "original");
    assert_eq!(playable(&wmv_id), "proxy");
    assert_eq!(playable(&photo_id), Value::Null);
    let shown = vault.json(&["show", &wmv_id]);
    assert_eq!(
        (
            &shown["metadata"]["video_codec"],
            &shown["metadata"]["audio_codec"]
        ),
        (&Value::from("wmv2"), &Value::from("wmav2"))
    );

    // The original, byte for byte, where it plays as it is.
    let out = vault.path("played.mp4");
    vault.run_ok(&[
        "thumb",
        &mp4_id,
        "--playable",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(sha256(&out), sha256(&h264));

    // The proxy: H.264 and AAC in an MP4, index first, 1080 px on its long side.
    let proxy = vault.path("played-wmv.mp4");
    vault.run_ok(&[
        "thumb",
        &wmv_id,
        "--playable",
        "--out",
        proxy.to_str().unwrap(),
    ]);
    let (container, video, width, height, audio) = probe(&proxy);
    assert!(container.contains("mp4"), "{container}");
    assert_eq!((video.as_str(), audio.as_str()), ("h264", "aac"));
    assert_eq!((width, height), (1440 * 1080 / 1440, 1080 * 1080 / 1440));
    assert!(index_first(&std::fs::read(&proxy).unwrap()), "faststart");

    // A photo has no stream to play, and nothing is written.
    let not_video = vault.path("photo.out");
    let refused = vault.run(&[
        "thumb",
        &photo_id,
        "--playable",
        "--out",
        not_video.to_str().unwrap(),
    ]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("not a video"),
        "{}",
        stderr(&refused)
    );
    assert!(!not_video.exists());

    // Nothing of the proxy is readable in the vault: it is an encrypted object.
    let proxies = files_under(&vault.dir.join("proxies"));
    assert_eq!(proxies.len(), 1, "{proxies:?}");
    let stored = std::fs::read(&proxies[0]).unwrap();
    assert!(!index_first(&stored) && !stored.windows(4).any(|w| w == b"ftyp"));

    // Sync carries it, and a restored device plays the WMV from it at once.
    let remote = vault.path("nas");
    let url = format!("file://{}", remote.display());
    vault.run_ok(&["remote", "add", "nas", &url]);
    vault.run_ok(&["sync"]);
    assert_eq!(files_under(&remote.join("proxies")).len(), 1);
    let root = tempfile::tempdir().unwrap();
    let restored = TestVault {
        dir: root.path().join("vault"),
        root,
        recovery_key: String::new(),
        password: PASSWORD,
    };
    restored.run_ok(&["restore", &url]);
    assert_eq!(restored.json(&["show", &wmv_id])["playable"], "proxy");
    let again = restored.path("again.mp4");
    restored.run_ok(&[
        "thumb",
        &wmv_id,
        "--playable",
        "--out",
        again.to_str().unwrap(),
    ]);
    assert_eq!(sha256(&again), sha256(&proxy));

    // A tampered proxy is named by verify, and --repair makes it again.
    let mut bytes = stored.clone();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(&proxies[0], &bytes).unwrap();
    let verify = vault.run(&["verify", "--json"]);
    assert!(!verify.status.success(), "a damaged proxy fails verify");
    assert!(
        stdout(&verify).contains("playable copy"),
        "{}",
        stdout(&verify)
    );
    vault.run_ok(&["verify", "--repair"]);
    vault.run_ok(&["verify"]);
    let remade = vault.path("remade.mp4");
    vault.run_ok(&[
        "thumb",
        &wmv_id,
        "--playable",
        "--out",
        remade.to_str().unwrap(),
    ]);
    assert_eq!(probe(&remade).1, "h264");
}

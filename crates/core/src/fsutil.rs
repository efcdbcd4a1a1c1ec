//! The write-ordering primitives every durable change goes through: write a temporary
//! file, fsync it, rename it into place, fsync the folder. After a crash at any point the
//! destination holds either the old content or the new, never a mix.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::Path;

/// Makes a directory entry change (create, rename, delete) durable.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    // Windows cannot open a folder as a file; NTFS journals renames itself.
    if cfg!(windows) {
        return Ok(());
    }
    File::open(dir)?.sync_all()
}

/// The folder holding `path`: "." for a bare relative name, whose parent is the empty path
/// (which no system call accepts).
pub fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// Renames a fully written and fsynced file into place and makes the rename durable.
pub fn commit_rename(tmp: &Path, dest: &Path) -> io::Result<()> {
    fs::rename(tmp, dest)?;
    sync_dir(parent_dir(dest))
}

/// The temporary name `write_atomic` uses for `dest`.
pub fn atomic_temp(dest: &Path) -> std::path::PathBuf {
    dest.with_extension("tmp")
}

/// Replaces `dest` atomically with `bytes`.
pub fn write_atomic(dest: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = atomic_temp(dest);
    let mut file = File::create(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    let name = dest.file_name().unwrap_or_default().to_string_lossy();
    crate::probe::phase(&format!("written {name}"));
    commit_rename(&tmp, dest)?;
    crate::probe::phase(&format!("replaced {name}"));
    Ok(())
}

/// Creates a folder (and any missing parents) only its owner can enter, and makes each
/// new entry durable by fsyncing the folder that holds it: a file renamed into a folder
/// whose own entry was lost to a power cut would be lost with it.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    let missing: Vec<&Path> = dir
        .ancestors()
        .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
        .collect();
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)?;
    for made in missing.iter().rev() {
        sync_dir(parent_dir(made))?;
    }
    Ok(())
}

/// Makes a folder that already existed private (0700) if others could enter it: a vault
/// folder made by hand, or by an older Keepsake, with the usual 0755.
pub fn make_private(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(dir)?.permissions().mode();
        if mode & 0o077 != 0 {
            fs::set_permissions(dir, fs::Permissions::from_mode(mode & !0o077))?;
        }
    }
    Ok(())
}

/// Creates a file that must not exist yet, readable only by its owner: exported
/// plaintext is the user's photos, not for the other accounts on the machine.
pub fn create_new_private(path: &Path) -> io::Result<File> {
    let mut options = File::options();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_name_lives_in_the_current_folder() {
        assert_eq!(parent_dir(Path::new("vault")), Path::new("."));
        assert_eq!(parent_dir(Path::new("a/vault")), Path::new("a"));
        assert_eq!(parent_dir(Path::new("/")), Path::new("."));
    }
}

//! The vault as a typestate: a locked `Vault` knows only its folder and header; unlocking
//! yields an `UnlockedVault` holding the vault key and the open catalog. Locking (or
//! dropping) it zeroizes the key.

use crate::VaultError;
use crate::catalog::{self, Catalog};
use crate::fsutil::{atomic_temp, create_private_dir, make_private};
use crate::header::{self, Header, Opened, Opener, Rotation};
use crate::store::ObjectStore;
use keepsake_crypto::{KdfParams, Keyring, Password, RecoveryKey, VaultKey};
use serde::Serialize;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The shortest password `init`, `passwd` and `recover` accept.
pub const MIN_PASSWORD_LEN: usize = 8;
const LOCK_FILE: &str = "lock";
/// How long one password derivation should take on the machine that creates the vault.
const KDF_TARGET: Duration = Duration::from_millis(750);

/// A vault on disk, locked.
pub struct Vault {
    dir: PathBuf,
    pub(crate) header: Header,
    /// Derive with parameters beyond the everyday bounds (FORMAT.md 3.6): only when the
    /// user asked, for a vault an older Keepsake made that way.
    pub(crate) costly_kdf_allowed: bool,
}

/// A vault with its key in memory: its header (password, devices) and its `Contents`,
/// whose methods it offers too. One process writes to a vault at a time: the vault's
/// write lock is held while this or any `Contents` taken from it lives.
pub struct UnlockedVault {
    pub(crate) header: Header,
    pub(crate) contents: Contents,
}

/// What an unlocked vault holds besides its header: the keys, a connection to the
/// catalog, the objects. A long job (a sync, an export) runs on contents of its own
/// (`UnlockedVault::contents`), so changing the password, revoking a device or emptying
/// the trash never waits behind it; SQLite serialises the short catalog writes.
pub struct Contents {
    pub(crate) dir: PathBuf,
    /// Every key epoch's key; new objects go under the newest.
    pub(crate) key: Keyring,
    /// The secret of the slot that unlocked this session: it opens a header another
    /// device rotated (docs/FORMAT.md section 3.11).
    pub(crate) opener: Opener,
    pub(crate) catalog: Catalog,
    pub(crate) store: ObjectStore,
    /// Held while the header file is read, changed and written (a sync settling it, a
    /// new password), so neither writes over the other's; shared by every `Contents`.
    header_write: Arc<std::sync::Mutex<()>>,
    _lock: Arc<File>,
}

impl std::ops::Deref for UnlockedVault {
    type Target = Contents;
    fn deref(&self) -> &Contents {
        &self.contents
    }
}

impl std::ops::DerefMut for UnlockedVault {
    fn deref_mut(&mut self) -> &mut Contents {
        &mut self.contents
    }
}

#[derive(Debug, Serialize)]
pub struct VaultInfo {
    pub path: PathBuf,
    pub vault_id: String,
    pub format_version: u32,
    pub catalog_schema: usize,
    pub items: u64,
    pub bytes: u64,
    pub kdf: String,
}

fn check_password(password: &Password) -> Result<(), VaultError> {
    if password.expose().chars().count() < MIN_PASSWORD_LEN {
        return Err(VaultError::WeakPassword(MIN_PASSWORD_LEN));
    }
    Ok(())
}

impl Vault {
    /// Creates a vault in `dir` (new or empty). Returns it unlocked, with the recovery key
    /// that must be shown to the user once. `kdf` None calibrates on this machine.
    pub fn create(
        dir: &Path,
        password: &Password,
        kdf: Option<KdfParams>,
    ) -> Result<(UnlockedVault, RecoveryKey), VaultError> {
        Self::create_revealing(dir, password, kdf, |_| Ok(()))
    }

    /// As `create`, showing the recovery key through `reveal` before the vault exists: if
    /// it cannot be shown (output to a full disk, a closed pipe), everything written is
    /// removed again and there is no vault whose recovery key nobody saw.
    pub fn create_revealing(
        dir: &Path,
        password: &Password,
        kdf: Option<KdfParams>,
        reveal: impl FnOnce(&RecoveryKey) -> std::io::Result<()>,
    ) -> Result<(UnlockedVault, RecoveryKey), VaultError> {
        check_password(password)?;
        // Checked before anything is written.
        let kdf = match kdf {
            Some(params) if !params.is_everyday() => {
                return Err(VaultError::KdfTooCostly(params));
            }
            Some(params) => {
                params.validate()?;
                params
            }
            None => KdfParams::calibrated(KDF_TARGET)?,
        };
        if dir.join(header::FILE_NAME).exists() {
            return Err(VaultError::AlreadyExists(dir.to_path_buf()));
        }
        let not_empty = fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some());
        if not_empty {
            return Err(VaultError::NotEmpty(dir.to_path_buf()));
        }
        create_private_dir(dir)
            .and_then(|()| make_private(dir))
            .map_err(|e| VaultError::io(format!("creating {}", dir.display()), e))?;
        let recovery = RecoveryKey::generate()?;
        let key = VaultKey::random()?;
        let (header, opener) = Header::create(&key, password, &recovery, kdf)?;
        let key = Keyring::new(key);
        let store = ObjectStore::new(dir);
        store
            .create_layout()
            .map_err(|e| VaultError::io("creating the object store", e))?;
        let lock = acquire_lock(dir)?;
        let catalog = Catalog::create(&dir.join(catalog::FILE_NAME), &key.catalog_key())?;
        if let Err(e) = reveal(&recovery) {
            drop((catalog, lock));
            remove_unfinished(dir);
            return Err(VaultError::io(
                "showing the recovery key (so no vault was created)",
                e,
            ));
        }
        // The header goes last: its presence is what makes the folder a vault.
        header.save(dir)?;
        let vault = UnlockedVault {
            header,
            contents: Contents {
                dir: dir.to_path_buf(),
                key,
                opener,
                catalog,
                store,
                header_write: Arc::default(),
                _lock: Arc::new(lock),
            },
        };
        Ok((vault, recovery))
    }

    pub fn open(dir: &Path) -> Result<Self, VaultError> {
        let header = Header::load(dir)?;
        Ok(Self {
            dir: dir.to_path_buf(),
            header,
            costly_kdf_allowed: false,
        })
    }

    /// Lets a password unlock derive with parameters beyond the everyday bounds; after
    /// it, the password is wrapped again within them, so this is needed once.
    pub fn allow_costly_kdf(mut self) -> Self {
        self.costly_kdf_allowed = true;
        self
    }

    /// The KDF parameters this header asks a password to be derived with.
    pub fn kdf_params(&self) -> KdfParams {
        self.header.kdf_params()
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn unlock(mut self, password: &Password) -> Result<UnlockedVault, VaultError> {
        let lock = acquire_lock(&self.dir)?;
        // As it is now that no other process can write it.
        self.header = Header::load(&self.dir)?;
        self.take_next_header(password)?;
        let opened = self
            .header
            .unlock_with_password(password, self.costly_kdf_allowed)?;
        let params = self.header.kdf_params();
        let mut vault = self.into_unlocked_holding(opened, lock)?;
        if !params.is_everyday() {
            // Once: from now on this vault derives within the everyday bounds.
            vault.rewrap_password(password, params.everyday())?;
        }
        Ok(vault)
    }

    /// Unlocks with the recovery key and sets a new password at once, as after a
    /// forgotten password.
    pub fn recover(
        self,
        recovery_words: &str,
        new_password: &Password,
    ) -> Result<UnlockedVault, VaultError> {
        check_password(new_password)?;
        let recovery = RecoveryKey::parse(recovery_words)
            .map_err(|e| VaultError::RecoveryKeyFormat(e.to_string()))?;
        let opened = self.header.unlock_with_recovery(&recovery)?;
        let mut vault = self.into_unlocked(opened)?;
        vault.recovered(new_password)?;
        Ok(vault)
    }

    /// The header of a key epoch another device started, which a sync kept aside because
    /// this session's secret did not open it (docs/FORMAT.md section 3.11): taken when
    /// `password` opens it and it continues this vault's header (the same first key, and
    /// the key that sealed the local header among its own); when the local header holds
    /// keys it lacks (both devices changed the key), the two become one more epoch.
    /// Called with the vault's lock held.
    fn take_next_header(&mut self, password: &Password) -> Result<(), VaultError> {
        let Ok(next) = Header::load_next(&self.dir) else {
            return Ok(());
        };
        let Ok(opened) = next.unlock_with_password(password, self.costly_kdf_allowed) else {
            return Ok(());
        };
        let local = match self
            .header
            .unlock_with_password(password, self.costly_kdf_allowed)
        {
            Ok(local) => local.keyring,
            Err(_) => match self.header.sealing_key(&opened.keyring) {
                Some(key) => self.header.keyring_under(key)?,
                // It does not continue this header: left aside, this one opens as it is.
                None => return Ok(()),
            },
        };
        if local.root().expose() != opened.keyring.root().expose() {
            return Ok(());
        }
        let header = match &opened.opener {
            Opener::Password(kek) if !opened.keyring.holds_all_of(&local) => {
                next.merged_keys(&opened.keyring, &local, self.header.body.generation, kek)?
                    .0
            }
            _ => next,
        };
        header.save(&self.dir)?;
        self.header = header;
        Header::remove_next(&self.dir);
        Ok(())
    }

    /// Unlocks with a slot already opened from a copy of this header (restore).
    pub(crate) fn unlock_with_key(self, opened: Opened) -> Result<UnlockedVault, VaultError> {
        self.into_unlocked(opened)
    }

    pub(crate) fn into_unlocked(self, opened: Opened) -> Result<UnlockedVault, VaultError> {
        let lock = acquire_lock(&self.dir)?;
        self.into_unlocked_holding(opened, lock)
    }

    /// As `into_unlocked`, for a caller that took the vault's write lock already.
    pub(crate) fn into_unlocked_holding(
        self,
        opened: Opened,
        lock: File,
    ) -> Result<UnlockedVault, VaultError> {
        let Opened {
            keyring: key,
            opener,
        } = opened;
        make_private(&self.dir).map_err(|e| {
            VaultError::io(format!("making {} private (0700)", self.dir.display()), e)
        })?;
        let store = ObjectStore::new(&self.dir);
        store
            .clear_temp()
            .map_err(|e| VaultError::io("clearing the vault's temporary folder", e))?;
        // A header write interrupted before its rename; the real header is intact.
        let _ = fs::remove_file(atomic_temp(&self.dir.join(header::FILE_NAME)));
        // Refuses a missing or empty catalog: set up afresh, it would list nothing.
        let catalog = Catalog::open(&self.dir.join(catalog::FILE_NAME), &key.catalog_key())?;
        let mut vault = UnlockedVault {
            header: self.header,
            contents: Contents {
                dir: self.dir,
                key,
                opener,
                catalog,
                store,
                header_write: Arc::default(),
                _lock: Arc::new(lock),
            },
        };
        if vault.header.is_outdated(&vault.opener) {
            vault.upgrade_header()?;
        }
        Ok(vault)
    }
}

/// Removes what `create_revealing` wrote before its header, and the folder if that leaves
/// it empty (it was empty or new). Best effort: nothing here is a photo.
fn remove_unfinished(dir: &Path) {
    for file in [
        catalog::FILE_NAME,
        "catalog.db-wal",
        "catalog.db-shm",
        LOCK_FILE,
    ] {
        let _ = fs::remove_file(dir.join(file));
    }
    for folder in ["objects", "tmp"] {
        let _ = fs::remove_dir(dir.join(folder));
    }
    let _ = fs::remove_dir(dir);
}

pub(crate) fn acquire_lock(dir: &Path) -> Result<File, VaultError> {
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(LOCK_FILE))
        .map_err(|e| VaultError::io("opening the vault lock", e))?;
    // A lock just released in this process can stay held for a moment: a child process
    // started meanwhile by another thread (ffmpeg) holds a copy of the lock file until it
    // has started. So the lock is tried for a second before the vault counts as busy.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(fs::TryLockError::WouldBlock) => return Err(VaultError::Busy(dir.to_path_buf())),
            Err(fs::TryLockError::Error(e)) => return Err(VaultError::io("locking the vault", e)),
        }
    }
}

impl UnlockedVault {
    pub fn lock(self) -> Vault {
        // Dropping `key` zeroizes it; the catalog connection closes with it.
        Vault {
            dir: self.contents.dir,
            header: self.header,
            costly_kdf_allowed: false,
        }
    }

    /// Contents of their own for a long job: a new catalog connection and a copy of the
    /// key (zeroized when dropped). They hold the vault's write lock while they live.
    pub fn contents(&self) -> Result<Contents, VaultError> {
        Ok(Contents {
            dir: self.dir.clone(),
            key: self.key.clone(),
            opener: self.opener.clone(),
            catalog: Catalog::open(&self.dir.join(catalog::FILE_NAME), &self.key.catalog_key())?,
            store: ObjectStore::new(&self.dir),
            header_write: self.contents.header_write.clone(),
            _lock: self.contents._lock.clone(),
        })
    }

    /// Before the next header is made from this session's: takes the one on disk when a
    /// sync adopted a newer one meanwhile (docs/FORMAT.md sections 3.10 and 3.11), with
    /// its keys when another device started a key epoch. Whether it took one.
    pub fn refresh_header(&mut self) -> bool {
        let Ok(on_disk) = Header::load(&self.dir) else {
            return false;
        };
        let newer = !on_disk.same_as(&self.header)
            && if on_disk.is_sealed_by(self.key.current()) {
                on_disk.supersedes(&self.header)
            } else {
                // Another epoch's (a sync took it): newer when it holds every key of ours.
                self.contents.adopt_keys_of(&on_disk)
            };
        if newer {
            self.header = on_disk;
        }
        newer
    }

    /// A new password, and a new key epoch: photos added from now on cannot be read with
    /// the old password and a copy of the old header (docs/FORMAT.md section 3.11).
    /// `reveal` shows a new recovery key before anything is written, when the old one's
    /// slot could not be carried over (a vault made before key epochs); if it cannot be
    /// shown, nothing changes.
    pub fn change_password(
        &mut self,
        new_password: &Password,
        reveal: impl FnOnce(&RecoveryKey) -> std::io::Result<()>,
    ) -> Result<(), VaultError> {
        check_password(new_password)?;
        // Same cost as before (calibrated at creation, within the everyday bounds), fresh
        // salt.
        let kdf = self.header.kdf_params().everyday();
        self.rotate_key(
            Rotation {
                password: new_password,
                new_kdf: Some(kdf),
                revoking: None,
            },
            reveal,
        )
    }

    /// After a recovery: a new password, every device revoked (whoever needed the
    /// recovery key may have lost one), a new key epoch. The recovery key's slot was
    /// sealed at the unlock, so it carries over.
    pub(crate) fn recovered(&mut self, new_password: &Password) -> Result<(), VaultError> {
        self.change_password(new_password, |_| Ok(()))?;
        self.catalog.forget_device(None)
    }

    /// Starts a new key epoch (docs/FORMAT.md section 3.11); see `change_password` for
    /// `reveal`.
    pub(crate) fn rotate_key(
        &mut self,
        change: Rotation,
        reveal: impl FnOnce(&RecoveryKey) -> std::io::Result<()>,
    ) -> Result<(), VaultError> {
        let writing = self.header_writes_owned();
        let _writing = writing.lock().unwrap_or_else(|p| p.into_inner());
        self.refresh_header();
        let rotated = self.header.rotated(&self.key, change)?;
        if let Some(recovery) = &rotated.new_recovery {
            reveal(recovery).map_err(|e| {
                VaultError::io("showing the new recovery key (so nothing was changed)", e)
            })?;
        }
        rotated.header.save(&self.dir)?;
        self.header = rotated.header;
        self.contents.key = rotated.keyring;
        self.contents.opener = rotated.opener;
        Ok(())
    }

    /// The same key under the same password with other KDF parameters.
    fn rewrap_password(&mut self, password: &Password, kdf: KdfParams) -> Result<(), VaultError> {
        let writing = self.header_writes_owned();
        let _writing = writing.lock().unwrap_or_else(|p| p.into_inner());
        self.refresh_header();
        let (header, opener) = self.header.with_new_password(&self.key, password, kdf)?;
        header.save(&self.dir)?;
        self.header = header;
        if let Opener::Password(_) = self.opener {
            self.contents.opener = opener;
        }
        Ok(())
    }

    /// Checks a password against the header without changing anything (before a UI lets
    /// someone change it, for instance).
    pub fn check_password(&self, password: &Password) -> Result<(), VaultError> {
        self.header.unlock_with_password(password, true).map(drop)
    }

    pub fn info(&self) -> Result<VaultInfo, VaultError> {
        let (items, bytes) = self.catalog.totals()?;
        let kdf = self.header.kdf_params();
        Ok(VaultInfo {
            path: self.dir.clone(),
            vault_id: self.header.body.vault_id.clone(),
            format_version: self.header.body.version,
            catalog_schema: self.catalog.schema_version()?,
            items,
            bytes,
            kdf: format!(
                "argon2id, {} MiB, {} passes, {} lanes",
                kdf.memory_kib / 1024,
                kdf.iterations,
                kdf.parallelism
            ),
        })
    }
}

impl Contents {
    pub fn items(&self) -> Result<Vec<crate::Item>, VaultError> {
        self.catalog.items()
    }

    /// The lock held while the header file is read, changed and written (see
    /// `header_write`).
    pub(crate) fn header_writes_owned(&self) -> Arc<std::sync::Mutex<()>> {
        self.header_write.clone()
    }

    /// Whether `header` is sealed by this session's current key, or by a later one it
    /// now holds: opened with this session's secret, its keyring holding every key of
    /// this session's, which it then takes.
    pub(crate) fn adopt_keys_of(&mut self, header: &Header) -> bool {
        if header.is_sealed_by(self.key.current()) {
            return true;
        }
        match header.open_with(&self.opener) {
            Ok(keyring) if keyring.extends(&self.key) => {
                self.key = keyring;
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_support::FAST;

    #[test]
    fn one_process_at_a_time_and_lock_releases_the_vault() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path().join("v");
        let password = Password::new("long enough password".into());
        let (first, _) = Vault::create(&dir, &password, Some(FAST)).unwrap();
        let second = Vault::open(&dir).unwrap().unlock(&password);
        assert!(matches!(second, Err(VaultError::Busy(_))));
        let locked = first.lock();
        let again = locked.unlock(&password).unwrap();
        assert_eq!(again.info().unwrap().items, 0);
    }

    #[test]
    fn short_passwords_are_refused_before_anything_is_written() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("v");
        let result = Vault::create(&dir, &Password::new("short".into()), Some(FAST));
        assert!(matches!(result, Err(VaultError::WeakPassword(8))));
        assert!(!dir.exists());
    }

    #[test]
    fn a_recovery_key_that_could_not_be_shown_leaves_no_vault() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("v");
        let password = Password::new("long enough password".into());
        let result = Vault::create_revealing(&dir, &password, Some(FAST), |_| {
            Err(std::io::Error::other("the terminal went away"))
        });
        assert!(
            matches!(result, Err(VaultError::Io { .. })),
            "{:?}",
            result.err()
        );
        let left: Vec<_> =
            fs::read_dir(&dir).map_or(Vec::new(), |d| d.flatten().map(|e| e.file_name()).collect());
        assert!(!dir.exists(), "a vault folder was left behind: {left:?}");
        // The same folder takes a vault afterwards.
        Vault::create(&dir, &password, Some(FAST)).unwrap();
    }
}

//! Files and folders tahsil creates are private whatever the umask: files 0600 and folders
//! 0700, or — for the exchange folders, when `exchange_group` names the bank's transfer
//! account's group — files 0640 and folders 0750 owned by that group. The modes are set
//! explicitly after creation (`set_permissions`), so a umask of 0022 or 0000 changes
//! nothing. Used for the database file (and its `-wal`/`-shm`), the key file, the mail
//! folder and its `.eml` files, and the exchange folders and every file written or moved
//! into them.
//!
//! Must not know: what the files hold.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::Path;

/// Who may read what tahsil writes: the owner alone, or the owner and one group.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Access {
    group: Option<u32>,
}

impl Access {
    /// The owner alone: files 0600, folders 0700.
    pub const PRIVATE: Access = Access { group: None };

    /// The owner, and `gid` read-only: files 0640, folders 0750, group `gid`.
    pub fn shared_with(gid: u32) -> Access {
        Access { group: Some(gid) }
    }

    pub fn group(self) -> Option<u32> {
        self.group
    }

    pub fn file_mode(self) -> u32 {
        if self.group.is_some() { 0o640 } else { 0o600 }
    }

    pub fn dir_mode(self) -> u32 {
        if self.group.is_some() { 0o750 } else { 0o700 }
    }

    fn set(self, path: &Path, mode: u32) -> io::Result<()> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            if let Some(gid) = self.group {
                std::os::unix::fs::chown(path, None, Some(gid))?;
            }
            fs::set_permissions(path, fs::Permissions::from_mode(mode))?;
        }
        #[cfg(not(unix))]
        let _ = (path, mode);
        Ok(())
    }

    /// Gives an existing file this access (a file moved in from elsewhere).
    pub fn apply_to_file(self, path: &Path) -> io::Result<()> {
        self.set(path, self.file_mode())
    }

    /// Creates `dir` and its missing parents, each with this access; an existing folder is
    /// left as it is (the operator may have set it up on purpose).
    pub fn create_dir_all(self, dir: &Path) -> io::Result<()> {
        if dir.as_os_str().is_empty() || dir.is_dir() {
            return Ok(());
        }
        if let Some(parent) = dir.parent() {
            self.create_dir_all(parent)?;
        }
        let mut builder = fs::DirBuilder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(self.dir_mode());
        }
        match builder.create(dir) {
            Ok(()) => self.set(dir, self.dir_mode()),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
            Err(e) => Err(e),
        }
    }

    fn open(self, path: &Path, options: &mut OpenOptions) -> io::Result<File> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(self.file_mode());
        }
        let file = options.open(path)?;
        self.apply_to_file(path)?;
        Ok(file)
    }

    /// Creates (or truncates) `path` for writing, with this access.
    pub fn create(self, path: &Path) -> io::Result<File> {
        self.open(
            path,
            OpenOptions::new().write(true).create(true).truncate(true),
        )
    }

    /// Creates `path` for writing with this access; fails if it exists (never overwrites).
    pub fn create_new(self, path: &Path) -> io::Result<File> {
        self.open(path, OpenOptions::new().write(true).create_new(true))
    }
}

/// The group id of `name` (a number, or a name in `/etc/group`).
pub fn group_id(name: &str) -> anyhow::Result<u32> {
    let name = name.trim();
    if let Ok(gid) = name.parse::<u32>() {
        return Ok(gid);
    }
    let groups = fs::read_to_string("/etc/group").unwrap_or_default();
    groups
        .lines()
        .find_map(|line| {
            let mut fields = line.split(':');
            (fields.next() == Some(name))
                .then(|| fields.nth(1).and_then(|gid| gid.parse().ok()))
                .flatten()
        })
        .ok_or_else(|| {
            anyhow::anyhow!(
                "exchange_group {name:?} is not a group of this machine: give a group name from /etc/group or a numeric group id"
            )
        })
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    #[test]
    fn modes_do_not_follow_the_umask_and_a_group_reads_only() {
        let dir = tempfile::tempdir().unwrap();
        let private = dir.path().join("a/b");
        Access::PRIVATE.create_dir_all(&private).unwrap();
        let file = private.join("f");
        Access::PRIVATE.create(&file).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir.path().join("a")), 0o700);
        assert_eq!(mode(&private), 0o700);
        assert_eq!(mode(&file), 0o600);
        assert!(
            Access::PRIVATE.create_new(&file).is_err(),
            "never overwrites"
        );

        let gid = fs::metadata(&file).unwrap().gid();
        let shared = Access::shared_with(gid);
        let folder = dir.path().join("shared");
        shared.create_dir_all(&folder).unwrap();
        let file = folder.join("g");
        shared.create(&file).unwrap();
        assert_eq!(mode(&folder), 0o750);
        assert_eq!(mode(&file), 0o640);
        assert_eq!(fs::metadata(&file).unwrap().gid(), gid);
        assert_eq!(group_id(&gid.to_string()).unwrap(), gid);
        assert!(group_id("no-such-group-here").is_err());
    }
}

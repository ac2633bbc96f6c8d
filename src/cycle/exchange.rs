//! The drop folders banks exchange files through (SFTP-style): per institution an
//! `outbox` (our debit files, each with a `.sha256` beside it), an `inbox` (their
//! reports), `archive` (reports imported) and `quarantine` (files that could not be read
//! or matched, kept with their error).
//!
//! Files appear in the outbox only whole: written under a hidden temporary name, synced,
//! then renamed (atomic on one file system), and the folder synced. Folders and files are
//! private whatever the umask ([`Access`]: 0700/0600, or 0750/0640 with `exchange_group`).
//! Quarantine never overwrites: each file gets a name of its own (`quarantine_name`).

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use sha2::{Digest, Sha256};

pub use crate::private::Access;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Folder {
    Outbox,
    Inbox,
    Archive,
    Quarantine,
}

impl Folder {
    pub fn as_str(self) -> &'static str {
        match self {
            Folder::Outbox => "outbox",
            Folder::Inbox => "inbox",
            Folder::Archive => "archive",
            Folder::Quarantine => "quarantine",
        }
    }
}

/// The hidden temporary name a file is written under before it is renamed into place.
pub fn temporary_path(final_path: &Path) -> PathBuf {
    let name = final_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    final_path.with_file_name(format!(".{name}.tmp"))
}

/// A `Write` that hashes and counts what goes through it.
#[derive(Debug)]
pub struct HashingWriter<W: Write> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> HashingWriter<W> {
    pub fn new(inner: W) -> HashingWriter<W> {
        HashingWriter {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }
    /// The inner writer, the hex SHA-256 and the size of everything written.
    pub fn finish(self) -> (W, String, u64) {
        (self.inner, hex::encode(self.hasher.finalize()), self.bytes)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Opens `path`'s temporary file for writing (creating the folder).
pub fn create_temporary(
    final_path: &Path,
    access: Access,
) -> anyhow::Result<HashingWriter<io::BufWriter<File>>> {
    if let Some(dir) = final_path.parent() {
        access
            .create_dir_all(dir)
            .with_context(|| format!("cannot create the folder {}", dir.display()))?;
    }
    let tmp = temporary_path(final_path);
    let file = access
        .create(&tmp)
        .with_context(|| format!("cannot create {}", tmp.display()))?;
    Ok(HashingWriter::new(io::BufWriter::with_capacity(
        256 * 1024,
        file,
    )))
}

/// Flushes and syncs a finished temporary file.
pub fn sync_temporary(writer: io::BufWriter<File>) -> anyhow::Result<()> {
    let file = writer.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    Ok(())
}

/// Renames a synced temporary file into place, writes its `.sha256` beside it (same
/// way), and syncs the folder.
pub fn publish(final_path: &Path, sha256: &str, access: Access) -> anyhow::Result<()> {
    let tmp = temporary_path(final_path);
    std::fs::rename(&tmp, final_path)
        .with_context(|| format!("cannot move {} into place", final_path.display()))?;
    let name = final_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let sum_path = final_path.with_file_name(format!("{name}.sha256"));
    write_atomically(&sum_path, format!("{sha256}  {name}\n").as_bytes(), access)?;
    sync_folder(final_path)
}

/// A file written whole under its hidden temporary name beside `path`, synced and hashed,
/// not yet visible in the outbox: what a caller records before it publishes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StagedFile {
    /// Where it will appear (`publish` renames the temporary file there).
    pub path: PathBuf,
    /// The hex SHA-256 of its bytes, as the `.sha256` beside it will say.
    pub sha256: String,
    pub size_bytes: u64,
}

/// How any outbound file other than a run's debit files — a refund batch (pain.001) first
/// — lands in an outbox, the way debit files do, with no store in sight:
///
/// 1. `stage(outbox.join(name), &bytes, access)` writes the bytes under the hidden
///    temporary name, syncs them and hashes them (nothing visible yet);
/// 2. the caller records the file — name, SHA-256, size, count and control sum, and its
///    transactions' new state — in **one store transaction**;
/// 3. only after that commit, `staged.publish(access)` renames it into place, writes the
///    `.sha256` beside it and syncs the folder.
///
/// A crash before 2 leaves a temporary file (`remove_temporaries` clears it, nothing was
/// recorded); between 2 and 3 the file is recorded but not visible: regenerate it from
/// the records, `stage` it again, check its hash against the recorded one, and publish.
/// Files written from the same records are byte-identical (the writers are pure), which
/// is what makes that check hold.
pub fn stage(final_path: &Path, bytes: &[u8], access: Access) -> anyhow::Result<StagedFile> {
    let mut out = create_temporary(final_path, access)?;
    out.write_all(bytes)
        .with_context(|| format!("cannot write {}", temporary_path(final_path).display()))?;
    let (buffered, sha256, size_bytes) = out.finish();
    sync_temporary(buffered)?;
    Ok(StagedFile {
        path: final_path.to_path_buf(),
        sha256,
        size_bytes,
    })
}

impl StagedFile {
    /// Step 3 of [`stage`]: the file appears whole, with its `.sha256`.
    pub fn publish(&self, access: Access) -> anyhow::Result<()> {
        publish(&self.path, &self.sha256, access)
    }
}

/// Writes small content atomically (temporary file, sync, rename, folder sync).
pub fn write_atomically(path: &Path, bytes: &[u8], access: Access) -> anyhow::Result<()> {
    let tmp = temporary_path(path);
    if let Some(dir) = path.parent() {
        access
            .create_dir_all(dir)
            .with_context(|| format!("cannot create the folder {}", dir.display()))?;
    }
    let mut file = access
        .create(&tmp)
        .with_context(|| format!("cannot create {}", tmp.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
        .with_context(|| format!("cannot move {} into place", path.display()))?;
    sync_folder(path)
}

fn sync_folder(path: &Path) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .with_context(|| format!("cannot sync the folder {}", dir.display()))?;
    }
    Ok(())
}

/// The hex SHA-256 of a file on disk.
pub fn sha256_of(path: &Path) -> anyhow::Result<String> {
    let mut file = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut hasher = Sha256::new();
    io::copy(&mut file, &mut hasher)?;
    Ok(hex::encode(hasher.finalize()))
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A reader that hashes (SHA-256) and counts every byte it hands on: a file hashed while
/// it is read, never held whole.
pub struct Hashing<R> {
    inner: R,
    hasher: Sha256,
    read: u64,
}

impl<R> Hashing<R> {
    pub fn new(inner: R) -> Hashing<R> {
        Hashing {
            inner,
            hasher: Sha256::new(),
            read: 0,
        }
    }

    /// How many bytes were read so far.
    pub fn bytes_read(&self) -> u64 {
        self.read
    }

    /// The hash of the bytes read, in hexadecimal.
    pub fn hex(self) -> String {
        hex::encode(self.hasher.finalize())
    }
}

impl<R> std::fmt::Debug for Hashing<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hashing")
            .field("read", &self.read)
            .finish_non_exhaustive()
    }
}

impl<R: io::Read> io::Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.read += n as u64;
        Ok(n)
    }
}

/// Removes temporary files left by a run that died before recording (their names start
/// with `.PREFIX` and end with `.tmp`).
pub fn remove_temporaries(dir: &Path, prefix: &str) -> anyhow::Result<u64> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(0);
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(&format!(".{prefix}")) && name.ends_with(".tmp") {
            std::fs::remove_file(entry.path())
                .with_context(|| format!("cannot remove {}", entry.path().display()))?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Files waiting in a folder (not hidden, not `.sha256`), in name order.
pub fn waiting_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            !name.starts_with('.') && !name.ends_with(".sha256")
        })
        .collect();
    files.sort();
    files
}

/// Moves `path` into `dir` (keeping its name; a numbered suffix if taken), with `access`.
/// Returns the new path.
pub fn move_into(path: &Path, dir: &Path, access: Access) -> anyhow::Result<PathBuf> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".to_owned());
    move_as(path, dir, &name, access)
}

/// Moves `path` into `dir` as `name` (a numbered suffix if taken), with `access`.
pub fn move_as(path: &Path, dir: &Path, name: &str, access: Access) -> anyhow::Result<PathBuf> {
    access
        .create_dir_all(dir)
        .with_context(|| format!("cannot create the folder {}", dir.display()))?;
    // A hard link never replaces an existing file (unlike a rename): taken names are
    // skipped, and the original is removed once linked.
    let mut n = 0;
    let target = loop {
        let target = if n == 0 {
            dir.join(name)
        } else {
            dir.join(format!("{name}.{n}"))
        };
        match std::fs::hard_link(path, &target) {
            Ok(()) => {
                std::fs::remove_file(path)
                    .with_context(|| format!("cannot remove {}", path.display()))?;
                break target;
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => n += 1,
            // Another file system (or no hard links): copy, sync, then remove.
            Err(_) => {
                let target = copy_as(path, dir, name, access)?;
                std::fs::remove_file(path)
                    .with_context(|| format!("cannot remove {}", path.display()))?;
                break target;
            }
        }
    };
    // A file the bank's account wrote may not be ours to change: it keeps its mode then.
    if let Err(err) = access.apply_to_file(&target) {
        tracing::warn!(file = %target.display(), error = %err, "cannot set the mode of a moved file");
    }
    sync_folder(&target)?;
    Ok(target)
}

/// Copies `path` into `dir` as `name` (a numbered suffix if taken; never overwriting),
/// with `access`. Returns the new path.
pub fn copy_as(path: &Path, dir: &Path, name: &str, access: Access) -> anyhow::Result<PathBuf> {
    access
        .create_dir_all(dir)
        .with_context(|| format!("cannot create the folder {}", dir.display()))?;
    let mut source = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut n = 0;
    loop {
        let target = if n == 0 {
            dir.join(name)
        } else {
            dir.join(format!("{name}.{n}"))
        };
        match access.create_new(&target) {
            Ok(mut file) => {
                io::copy(&mut source, &mut file).with_context(|| {
                    format!("cannot copy {} to {}", path.display(), target.display())
                })?;
                file.sync_all()?;
                sync_folder(&target)?;
                return Ok(target);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => n += 1,
            Err(e) => {
                return Err(e).with_context(|| format!("cannot create {}", target.display()));
            }
        }
    }
}

/// The name a file gets in quarantine: the moment (from the clock), the start of its
/// SHA-256 and the name it came with, so two different files of one name never meet.
pub fn quarantine_name(now: chrono::DateTime<chrono::Utc>, sha256: &str, name: &str) -> String {
    format!(
        "{}-{}-{name}",
        now.format("%Y%m%dT%H%M%S%3fZ"),
        sha256.get(..12).unwrap_or(sha256)
    )
}

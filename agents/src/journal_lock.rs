//! One daemon per journal: an exclusive OS lock on `<journal>.lock`, next to the journal.
//!
//! The lock is the operating system's (`flock` on Unix, `LockFileEx` on Windows), taken with
//! [`File::try_lock`]: it is held for as long as the file stays open, and released by the OS on
//! any exit, SIGKILL included, so a crash never leaves a stale lock behind. The file's content
//! (JSON: pid, host, start time, version) only serves the error message of the instance that
//! is refused; it is never what decides.
//!
//! Only processes that share the file system's locks see each other: two hosts that each have
//! their own copy of a journal, or a network file system that does not forward locks, are not
//! stopped by it.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Who holds a journal's lock (the lock file's content).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct Holder {
    /// Format version (1).
    pub version: u32,
    /// The holder's process id.
    pub pid: u32,
    /// The holder's host name.
    pub host: String,
    /// When it took the lock, unix seconds.
    pub started_at: u64,
    /// The holder's `proofgate-agent` version.
    pub binary_version: String,
}

/// Why a journal's lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds it.
    #[error("journal {} is in use by {}: one daemon per journal; stop it first (lock file {})",
        journal.display(), describe_holder(holder, unreadable), path.display())]
    Held {
        /// The journal.
        journal: PathBuf,
        /// The lock file.
        path: PathBuf,
        /// The holder, when its lock file could be read.
        holder: Option<Box<Holder>>,
        /// Why it could not, when it could not.
        unreadable: Option<String>,
    },
    /// The lock file (or its directory) could not be created, read or written.
    #[error("cannot use the journal's lock file {}", path.display())]
    Io {
        /// The lock file (or directory).
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl LockError {
    /// The holder's process id, when known.
    pub fn holder_pid(&self) -> Option<u32> {
        match self {
            LockError::Held { holder: Some(holder), .. } => Some(holder.pid),
            _ => None,
        }
    }
}

fn describe_holder(holder: &Option<Box<Holder>>, unreadable: &Option<String>) -> String {
    match (holder, unreadable) {
        (Some(h), _) => format!(
            "proofgate-agent {} pid {} on host {} since {}",
            h.binary_version,
            h.pid,
            h.host,
            utc_text(h.started_at)
        ),
        (None, Some(why)) => format!("another process (who is not known: {why})"),
        (None, None) => "another process".into(),
    }
}

/// An exclusive lock on a journal, held until dropped (or the process ends, however it ends).
#[derive(Debug)]
pub struct JournalLock {
    file: File,
    path: PathBuf,
}

impl JournalLock {
    /// The lock file of `journal`: `<journal file name>.lock` in the same directory.
    pub fn path_of(journal: &Path) -> PathBuf {
        let mut name = journal.file_name().map(|n| n.to_os_string()).unwrap_or_default();
        name.push(".lock");
        journal.with_file_name(name)
    }

    /// Takes the lock of `journal` (creating its directory and lock file when missing) and
    /// records this process in it; refuses with [`LockError::Held`], naming the holder, when
    /// another open lock file holds it.
    pub fn acquire(journal: &Path) -> Result<Self, LockError> {
        let path = Self::path_of(journal);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|source| LockError::Io { path: dir.to_path_buf(), source })?;
        }
        let io = |source| LockError::Io { path: path.clone(), source };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let (holder, unreadable) = match read_holder(&mut file) {
                    Ok(holder) => (Some(Box::new(holder)), None),
                    Err(why) => (None, Some(why)),
                };
                return Err(LockError::Held {
                    journal: journal.to_path_buf(),
                    path,
                    holder,
                    unreadable,
                });
            }
            Err(TryLockError::Error(source)) => return Err(io(source)),
        }
        let holder = Holder {
            version: 1,
            pid: std::process::id(),
            host: host_name(),
            started_at: SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()),
            binary_version: env!("CARGO_PKG_VERSION").to_string(),
        };
        let text = serde_json::to_string(&holder).unwrap_or_default();
        file.set_len(0).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        file.write_all(text.as_bytes()).map_err(io)?;
        file.sync_data().map_err(io)?;
        Ok(Self { file, path })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What this lock recorded about its holder.
    pub fn holder(&self) -> Result<Holder, String> {
        let mut file = self.file.try_clone().map_err(|e| e.to_string())?;
        read_holder(&mut file)
    }
}

fn read_holder(file: &mut File) -> Result<Holder, String> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).map_err(|e| e.to_string())?;
    file.read_to_string(&mut text).map_err(|e| format!("its lock file cannot be read: {e}"))?;
    if text.trim().is_empty() {
        return Err("its lock file is empty (it may be starting)".into());
    }
    serde_json::from_str(&text).map_err(|e| format!("its lock file is not understood: {e}"))
}

/// This machine's name (`unknown` when it cannot be read).
pub fn host_name() -> String {
    let from_file = |path: &str| std::fs::read_to_string(path).ok();
    from_file("/proc/sys/kernel/hostname")
        .or_else(|| from_file("/etc/hostname"))
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// Unix seconds as `YYYY-MM-DDTHH:MM:SSZ` (the journal's history uses the same).
pub fn utc_text(unix: u64) -> String {
    crate::journal::utc(unix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_naming_the_holder_and_released_on_drop(
    ) -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let journal = dir.path().join("state").join("journal.sqlite");
        let first = JournalLock::acquire(&journal)?;
        assert_eq!(first.path(), dir.path().join("state").join("journal.sqlite.lock"));
        assert_eq!(first.holder()?.pid, std::process::id());
        // flock locks belong to the open file description: a second open in this same process
        // is refused like another process would be.
        let refused = JournalLock::acquire(&journal).expect_err("already held");
        assert_eq!(refused.holder_pid(), Some(std::process::id()));
        let message = refused.to_string();
        let pid = format!("pid {}", std::process::id());
        let host = format!("on host {}", host_name());
        for expected in [journal.display().to_string(), pid, host, "one daemon per journal".into()]
        {
            assert!(message.contains(&expected), "{expected:?} not in {message}");
        }
        drop(first);
        let again = JournalLock::acquire(&journal)?;
        drop(again);
        Ok(())
    }

    #[test]
    fn an_unreadable_holder_still_gives_a_clear_message() -> Result<(), Box<dyn std::error::Error>>
    {
        let dir = tempfile::tempdir()?;
        let journal = dir.path().join("journal.sqlite");
        let path = JournalLock::path_of(&journal);
        let held = File::create(&path)?;
        held.try_lock()?;
        std::fs::write(&path, "garbage")?;
        let message = JournalLock::acquire(&journal).expect_err("held").to_string();
        assert!(message.contains("in use by another process"), "{message}");
        assert!(message.contains("not understood"), "{message}");
        assert!(message.contains("one daemon per journal"), "{message}");
        Ok(())
    }

    #[test]
    fn utc_text_is_iso_8601() {
        assert_eq!(utc_text(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_text(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc_text(1_790_000_000), "2026-09-21T14:13:20Z");
    }
}

//! Reading the project's files with errors that name the file and the problem, and writing
//! several files all or nothing.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use ark_bn254::Bn254;
use ark_groth16::VerifyingKey;
use proofgate_prover::files::{self, VerifyingKeyFile};
use proofgate_prover::snark::ProverKey;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The proving key's file name in a keys directory.
pub const PROVING_KEY: &str = "proving.key";
/// The verifying key's file name in a keys directory.
pub const VERIFYING_KEY: &str = "verifying_key.json";
/// The circuit configuration's file name in a keys directory.
pub const CIRCUIT: &str = "circuit.json";

/// Reads and parses a JSON file; `what` names its kind in errors ("model", "statement").
pub fn read_json<T: DeserializeOwned>(path: &Path, what: &str) -> Result<T> {
    let bytes = fs::read(path)
        .with_context(|| format!("cannot read the {what} file {}", path.display()))?;
    serde_json::from_slice(&bytes)
        .with_context(|| format!("{} is not a valid {what} file", path.display()))
}

/// Reads and decodes a proving key.
pub fn load_proving_key(path: &Path) -> Result<ProverKey> {
    let bytes = fs::read(path)
        .with_context(|| format!("cannot read the proving key {}", path.display()))?;
    files::decode_proving_key(&bytes)
        .with_context(|| format!("{} is not a usable proving key", path.display()))
}

/// Reads and decodes a verifying-key file (points checked on the curve and in the subgroup).
pub fn load_verifying_key(path: &Path) -> Result<(VerifyingKeyFile, VerifyingKey<Bn254>)> {
    let file: VerifyingKeyFile = read_json(path, "verifying key")?;
    let vk = files::decode_verifying_key(&file)
        .with_context(|| format!("{} is not a usable verifying key", path.display()))?;
    Ok((file, vk))
}

/// Fails unless `path` can be written as a file: its directory exists and it is not a directory.
pub fn check_writable_file(path: &Path) -> Result<()> {
    if path.is_dir() {
        bail!("{} is a directory, not a file", path.display());
    }
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !dir.is_dir() {
        bail!("cannot write {}: directory {} does not exist", path.display(), dir.display());
    }
    Ok(())
}

/// Fails if any of `names` exists in `dir` (unless `force`), before any work is done.
pub fn check_no_overwrite(dir: &Path, names: &[&str], force: bool) -> Result<()> {
    if dir.exists() && !dir.is_dir() {
        bail!("{} exists and is not a directory", dir.display());
    }
    if force {
        return Ok(());
    }
    let existing: Vec<String> = names
        .iter()
        .map(|n| dir.join(n))
        .filter(|p| p.exists())
        .map(|p| p.display().to_string())
        .collect();
    if !existing.is_empty() {
        let verb = if existing.len() == 1 { "exists" } else { "exist" };
        bail!("{} already {verb}; pass --force to overwrite", existing.join(", "));
    }
    Ok(())
}

/// Files written to temporary names first and renamed into place together by [`Staged::commit`];
/// dropped uncommitted, it removes its temporary files and any directories it created, so a
/// failed command leaves nothing behind.
#[derive(Debug, Default)]
pub struct Staged {
    /// `(temporary, destination)` pairs.
    files: Vec<(PathBuf, PathBuf)>,
    /// Directories created for the files, outermost first.
    created_dirs: Vec<PathBuf>,
    committed: bool,
}

impl Staged {
    /// Stages into `dir`, creating it (and missing parents) if needed.
    pub fn in_dir(dir: &Path) -> Result<Self> {
        let mut staged = Self::default();
        let mut missing = Vec::new();
        let mut cursor = Some(dir);
        while let Some(d) = cursor.filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
            missing.push(d.to_path_buf());
            cursor = d.parent();
        }
        for d in missing.iter().rev() {
            fs::create_dir(d)
                .with_context(|| format!("cannot create directory {}", d.display()))?;
            staged.created_dirs.push(d.clone());
        }
        Ok(staged)
    }

    /// Writes `bytes` to a temporary file beside `dest`.
    pub fn add(&mut self, dest: &Path, bytes: &[u8]) -> Result<()> {
        let dir = dest.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
        self.files.push((tmp.clone(), dest.to_path_buf()));
        let write = || -> std::io::Result<()> {
            let mut file = fs::File::create(&tmp)?;
            file.write_all(bytes)?;
            file.sync_all()
        };
        write().with_context(|| format!("cannot write {}", dest.display()))
    }

    /// Writes `value` as pretty JSON to a temporary file beside `dest`.
    pub fn add_json<T: Serialize>(&mut self, dest: &Path, value: &T) -> Result<()> {
        let mut bytes = serde_json::to_vec_pretty(value)?;
        bytes.push(b'\n');
        self.add(dest, &bytes)
    }

    /// Renames every file into place. If a rename fails, the files already renamed are removed
    /// (a file they replaced under `--force` is not restored).
    pub fn commit(mut self) -> Result<Vec<PathBuf>> {
        let mut done: Vec<PathBuf> = Vec::new();
        for (tmp, dest) in &self.files {
            if let Err(e) = fs::rename(tmp, dest) {
                for path in &done {
                    let _ = fs::remove_file(path);
                }
                return Err(e).with_context(|| format!("cannot write {}", dest.display()));
            }
            done.push(dest.clone());
        }
        self.committed = true;
        Ok(done)
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        for (tmp, _) in &self.files {
            let _ = fs::remove_file(tmp);
        }
        for dir in self.created_dirs.iter().rev() {
            let _ = fs::remove_dir(dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staged_files_appear_together_or_not_at_all() {
        let root = tempfile::tempdir().expect("tempdir");
        let dir = root.path().join("a/b");
        {
            let mut staged = Staged::in_dir(&dir).expect("dirs");
            staged.add(&dir.join("x"), b"x").expect("stage");
            assert!(!dir.join("x").exists());
        }
        assert!(!root.path().join("a").exists(), "an abandoned stage removes what it created");
        let mut staged = Staged::in_dir(&dir).expect("dirs");
        staged.add(&dir.join("x"), b"x").expect("stage");
        staged.add_json(&dir.join("y.json"), &[1, 2]).expect("stage");
        let written = staged.commit().expect("commit");
        assert_eq!(written.len(), 2);
        assert_eq!(fs::read(dir.join("x")).expect("read"), b"x");
        assert_eq!(fs::read_dir(&dir).expect("list").count(), 2, "no temporary files are left");
    }
}

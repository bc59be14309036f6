//! The real daemon binary as a child process: started with a configuration, killed with SIGKILL
//! or asked to stop with SIGTERM, its output in a log file.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::BoxError;

/// The daemon binary of this package.
pub const BINARY: &str = env!("CARGO_BIN_EXE_proofgate-agent");

/// A running `proofgate-agent run --config FILE`; killed when dropped.
pub struct DaemonProcess {
    child: Child,
    log: PathBuf,
    status: Option<ExitStatus>,
}

impl DaemonProcess {
    /// Starts the daemon on `config` with `env` set, its stdout and stderr appended to `log`.
    pub fn spawn(config: &Path, env: &[(&str, &str)], log: &Path) -> Result<Self, BoxError> {
        let out = File::options().create(true).append(true).open(log)?;
        let child = Command::new(BINARY)
            .arg("run")
            .arg("--config")
            .arg(config)
            .envs(env.iter().copied())
            .env("RUST_LOG", std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()))
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()?;
        Ok(Self { child, log: log.to_path_buf(), status: None })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM (a request to drain and exit).
    pub fn sigterm(&self) -> Result<(), BoxError> {
        let status = Command::new("kill").arg("-TERM").arg(self.pid().to_string()).status()?;
        match status.success() {
            true => Ok(()),
            false => Err(format!("kill -TERM {} failed: {status}", self.pid()).into()),
        }
    }

    /// Kills the process with SIGKILL and reaps it.
    pub fn sigkill(&mut self) -> Result<ExitStatus, BoxError> {
        if let Some(status) = self.try_status()? {
            return Ok(status);
        }
        self.child.kill()?;
        let status = self.child.wait()?;
        self.status = Some(status);
        Ok(status)
    }

    /// The exit status, if the process has exited.
    pub fn try_status(&mut self) -> Result<Option<ExitStatus>, BoxError> {
        if self.status.is_none() {
            self.status = self.child.try_wait()?;
        }
        Ok(self.status)
    }

    /// Waits up to `limit` for the process to exit.
    pub async fn wait_timeout(&mut self, limit: Duration) -> Result<Option<ExitStatus>, BoxError> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.try_status()? {
                return Ok(Some(status));
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Everything the process wrote so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for DaemonProcess {
    fn drop(&mut self) {
        if self.status.is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

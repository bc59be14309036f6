//! Helpers for the daemon's operation tests: a deployment on a fresh anvil, the daemon binary
//! run as a child process with its stderr in a file, signals, and scraping its metrics.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use alloy::signers::local::PrivateKeySigner;
use alloy::transports::http::reqwest::Url;
use proofgate_agents::chain::LocalAnvil;
use proofgate_agents::config::DaemonConfig;
use proofgate_agents::system_demo::{self, DemoOptions, Endpoint, Prepared};
use proofgate_toolchain::Toolchain;
use tempfile::TempDir;

/// A test's error.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// A test's result.
pub type TestResult<T = ()> = Result<T, BoxError>;

/// anvil's well-known development keys (public: the "test … junk" mnemonic).
pub const DEV_KEYS: [&str; 3] = [
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
];

/// A deployment on its own anvil, in its own directory.
pub struct Setup {
    /// The directory (keys, model, deployment, journal, configuration, logs).
    pub dir: TempDir,
    /// The node.
    pub anvil: LocalAnvil,
    /// anvil's keys: deployer and the two agents.
    pub endpoint: Endpoint,
    /// What was deployed, and the daemon's configuration.
    pub prepared: Prepared,
}

/// Deploys the demo system on a fresh anvil.
pub async fn setup() -> TestResult<Setup> {
    let dir = tempfile::tempdir()?;
    let anvil = LocalAnvil::spawn(&Toolchain::discover()?)?;
    let key = |i: usize| DEV_KEYS[i].parse::<PrivateKeySigner>();
    let endpoint = Endpoint {
        url: anvil.endpoint_url(),
        label: "anvil".into(),
        deployer: key(0)?,
        agents: [key(1)?, key(2)?],
    };
    let options = DemoOptions {
        steps: 1,
        seed: 7,
        work_dir: dir.path().to_path_buf(),
        force_invalid_every: 0,
        settle_timeout: Duration::from_secs(60),
        solvency: false,
    };
    let prepared = system_demo::prepare(&endpoint, &options).await?;
    Ok(Setup { dir, anvil, endpoint, prepared })
}

impl Setup {
    /// Writes the daemon's configuration, changed by `change`, to `<dir>/<name>.toml`.
    pub fn write_config(
        &self,
        name: &str,
        change: impl FnOnce(&mut DaemonConfig),
    ) -> TestResult<PathBuf> {
        let mut config = self.prepared.daemon_config.clone();
        change(&mut config);
        let path = self.dir.path().join(format!("{name}.toml"));
        std::fs::write(&path, config.to_toml())?;
        Ok(path)
    }

    /// The node's URL with `user:s3cretpass` credentials and an `apikey` query.
    pub fn secret_url(&self) -> TestResult<Url> {
        let url = self.anvil.endpoint_url();
        let port = url.port().ok_or("anvil's URL has a port")?;
        Ok(format!("http://user:s3cretpass@127.0.0.1:{port}/?apikey=SECRETKEY123").parse()?)
    }
}

/// `proofgate-agent run` as a child process.
pub struct Daemon {
    /// The process.
    pub child: Child,
    /// Where its stderr goes.
    pub stderr: PathBuf,
}

impl Daemon {
    /// Starts `proofgate-agent run --config <config>` with the agents' keys in
    /// `PROOFGATE_AGENT_KEY_1/2` and `env` set; stderr to `<config>.<label>.stderr`.
    pub fn spawn(config: &Path, label: &str, env: &[(&str, &str)]) -> TestResult<Self> {
        let stderr = config.with_extension(format!("{label}.stderr"));
        let mut command = Command::new(env!("CARGO_BIN_EXE_proofgate-agent"));
        command
            .args(["run", "--config"])
            .arg(config)
            .env("PROOFGATE_AGENT_KEY_1", DEV_KEYS[1])
            .env("PROOFGATE_AGENT_KEY_2", DEV_KEYS[2])
            .env("RUST_LOG", "info")
            .env_remove("PROOFGATE_FAULT")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr)?);
        for (name, value) in env {
            command.env(name, value);
        }
        Ok(Self { child: command.spawn()?, stderr })
    }

    /// What it wrote on stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Waits until its stderr contains `text`; fails if it exits first or `timeout` passes.
    pub fn wait_for_log(&mut self, text: &str, timeout: Duration) -> TestResult<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let log = self.log();
            if log.contains(text) {
                return Ok(log);
            }
            if let Some(status) = self.child.try_wait()? {
                return Err(format!("exited ({status}) before logging {text:?}:\n{log}").into());
            }
            if Instant::now() > deadline {
                return Err(format!("no {text:?} in the log within {timeout:?}:\n{log}").into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sends `signal` (`TERM`, `INT`, `KILL`).
    pub fn signal(&self, signal: &str) -> TestResult {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()?;
        if !status.success() {
            return Err(format!("kill -{signal} failed: {status}").into());
        }
        Ok(())
    }

    /// Waits for its exit, at most `timeout` (then kills it and fails).
    pub fn wait_exit(&mut self, timeout: Duration) -> TestResult<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                return Err(format!("did not exit within {timeout:?}:\n{}", self.log()).into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The metrics address a daemon logged (`metrics at http://ADDR/metrics`).
pub fn metrics_addr(log: &str) -> TestResult<String> {
    let start = log.find("metrics at http://").ok_or("no metrics address logged")?;
    let rest = &log[start + "metrics at http://".len()..];
    let end = rest.find("/metrics").ok_or("malformed metrics line")?;
    Ok(rest[..end].to_string())
}

/// `GET /metrics` from `addr`: the response's body.
pub fn scrape(addr: &str) -> TestResult<String> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.write_all(b"GET /metrics HTTP/1.1\r\nhost: test\r\n\r\n")?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let (_, body) = response.split_once("\r\n\r\n").ok_or("no HTTP body")?;
    Ok(body.to_string())
}

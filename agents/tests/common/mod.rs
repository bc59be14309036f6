//! The fault-injection kit: anvil controls, a switchable RPC proxy and a hanging node, the daemon
//! binary as a child process, and the journal-equals-chain invariants.

pub mod anvil;
pub mod invariants;
pub mod lifecycle;
pub mod process;
pub mod proxy;

use std::path::Path;
use std::time::{Duration, Instant};

use alloy::primitives::Address;
use alloy::signers::local::PrivateKeySigner;
use alloy::transports::http::reqwest::Url;
use proofgate_agents::agent::{AgentEvent, Crash, Faults};
use proofgate_agents::config::DaemonConfig;
use proofgate_agents::daemon::{self, DaemonHandle};
use proofgate_agents::journal::{Journal, Status};
use proofgate_agents::system_demo::{DemoOptions, Endpoint};
use tokio::sync::mpsc;

/// Errors of the kit and the tests (`Send`, so they cross tasks).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A test's result.
pub type TestResult = Result<(), BoxError>;

/// anvil's well-known development keys (public: the "test … junk" mnemonic).
pub const DEV_KEYS: [&str; 3] = [
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
];

/// The demo's options for a fault test in `dir`.
pub fn options(dir: &Path) -> DemoOptions {
    DemoOptions {
        steps: 1,
        seed: 7,
        work_dir: dir.to_path_buf(),
        force_invalid_every: 0,
        settle_timeout: Duration::from_secs(60),
        solvency: false,
    }
}

/// The demo's endpoint on `url`, with anvil's development keys.
pub fn endpoint(url: Url) -> Result<Endpoint, BoxError> {
    let key = |i: usize| DEV_KEYS[i].parse::<PrivateKeySigner>();
    Ok(Endpoint { url, label: "anvil".into(), deployer: key(0)?, agents: [key(1)?, key(2)?] })
}

/// Starts the daemon in-process with the first `agents` agents of `config`.
pub async fn start_daemon(
    config: &DaemonConfig,
    endpoint: &Endpoint,
    agents: usize,
    crash: Crash,
) -> Result<(DaemonHandle, mpsc::UnboundedReceiver<AgentEvent>), BoxError> {
    let mut config = config.clone();
    config.agents.truncate(agents);
    let (events_tx, events) = mpsc::unbounded_channel();
    let faults = Faults { crash, ..Faults::default() };
    let signers = endpoint.agents[..config.agents.len()].to_vec();
    let handle = daemon::start_with_signers(&config, signers, faults, Some(events_tx)).await?;
    Ok((handle, events))
}

/// Waits up to `limit` for an event `pick` accepts.
pub async fn wait_for(
    events: &mut mpsc::UnboundedReceiver<AgentEvent>,
    what: &str,
    limit: Duration,
    pick: impl Fn(&AgentEvent) -> bool,
) -> Result<AgentEvent, BoxError> {
    let deadline = Instant::now() + limit;
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(remaining, events.recv()).await {
            Ok(Some(event)) if pick(&event) => return Ok(event),
            Ok(Some(_)) => {}
            Ok(None) => return Err(format!("the daemon stopped before {what}").into()),
            Err(_) => return Err(format!("timed out after {limit:?} waiting for {what}").into()),
        }
    }
}

/// Polls `check` every 50 ms until it returns a value, for up to `limit`.
pub async fn poll<T>(
    what: &str,
    limit: Duration,
    mut check: impl FnMut() -> Result<Option<T>, BoxError>,
) -> Result<T, BoxError> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = check()? {
            return Ok(value);
        }
        if Instant::now() >= deadline {
            return Err(format!("timed out after {limit:?} waiting for {what}").into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The first entry of `agent` (any agent: none) in `status`, by id.
pub fn first_in(
    journal: &Journal,
    agent: Option<Address>,
    status: Status,
) -> Result<Option<i64>, BoxError> {
    let entries = journal.history(agent, usize::MAX)?;
    Ok(entries.iter().filter(|e| e.status == status).map(|e| e.id).min())
}

/// Whether `agents` have nothing in flight: no pending entry and no executed entry short of
/// final.
pub fn settled(journal: &Journal, agents: &[Address]) -> Result<bool, BoxError> {
    for &agent in agents {
        if !journal.pending(agent)?.is_empty()
            || !lifecycle::unconfirmed(journal, agent)?.is_empty()
        {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Waits until `agents` are [`settled`] (a miner must be running when confirmations are
/// needed), then stops the daemon and waits for it.
pub async fn settle_and_stop(
    handle: DaemonHandle,
    agents: &[Address],
    limit: Duration,
) -> Result<std::sync::Arc<Journal>, BoxError> {
    let journal = handle.journal.clone();
    let waited =
        poll("the daemon to settle", limit, || Ok(settled(&journal, agents)?.then_some(())));
    let outcome = waited.await;
    handle.stop();
    handle.join().await?;
    outcome.map(|()| journal)
}

/// `config` written as TOML to `path`.
pub fn write_config(config: &DaemonConfig, path: &Path) -> Result<(), BoxError> {
    std::fs::write(path, config.to_toml())?;
    Ok(())
}

/// A fresh anvil with the whole system deployed and certified (the demo's `prepare`).
pub struct Chain {
    /// The anvil (stopped when dropped).
    pub anvil: proofgate_agents::chain::LocalAnvil,
    /// Its test controls.
    pub control: anvil::AnvilControl,
    /// The demo's endpoint on it.
    pub endpoint: Endpoint,
    /// The deployment and the daemon's configuration.
    pub prepared: proofgate_agents::system_demo::Prepared,
    /// The work directory (keys, deployment, journal).
    pub dir: tempfile::TempDir,
}

impl Chain {
    /// Starts anvil and prepares the system on it.
    pub async fn start() -> Result<Self, BoxError> {
        let dir = tempfile::tempdir()?;
        let toolchain = proofgate_toolchain::Toolchain::discover()?;
        let anvil = proofgate_agents::chain::LocalAnvil::spawn(&toolchain)?;
        let endpoint = endpoint(anvil.endpoint_url())?;
        let prepared =
            proofgate_agents::system_demo::prepare(&endpoint, &options(dir.path())).await?;
        let control = anvil::AnvilControl::new(anvil.endpoint_url())?;
        Ok(Self { anvil, control, endpoint, prepared, dir })
    }

    /// Agent `index`'s address.
    pub fn agent(&self, index: usize) -> Address {
        self.endpoint.agents[index].address()
    }

    /// The agent's metric counters in `handle`.
    pub fn counters(handle: &DaemonHandle, name: &str) -> proofgate_agents::metrics::AgentCounters {
        handle.metrics.snapshot().get(name).cloned().unwrap_or_default()
    }
}

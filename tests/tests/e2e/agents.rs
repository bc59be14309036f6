//! The agent daemon on a real anvil: deployment and certification through the timelock, gated
//! trades executed, a forced invalid trade reverted on chain and journaled, balances on chain
//! equal to the journal's; crashes between proving and submitting (and between submitting and
//! the receipt) neither lose nor repeat a trade; an RPC outage is retried through.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use alloy::primitives::Address;
use alloy::signers::local::PrivateKeySigner;
use alloy::transports::http::reqwest::Url;
use proofgate_agents::agent::{AgentEvent, Crash, EventKind, Faults};
use proofgate_agents::bindings::vault::IProofGateVault;
use proofgate_agents::chain::{Artifact, LocalAnvil};
use proofgate_agents::daemon::{self, DaemonHandle};
use proofgate_agents::feeds::PricePath;
use proofgate_agents::journal::{Journal, Status};
use proofgate_agents::system_demo::{self, DemoOptions, Endpoint, Prepared};
use proofgate_toolchain::{repo_root, Toolchain};
use tokio::sync::mpsc;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// anvil's well-known development keys (public: the "test … junk" mnemonic).
const DEV_KEYS: [&str; 3] = [
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
];

pub(crate) fn options(dir: &Path, steps: u32, force_invalid_every: u64) -> DemoOptions {
    DemoOptions {
        steps,
        seed: 7,
        work_dir: dir.to_path_buf(),
        force_invalid_every,
        settle_timeout: Duration::from_secs(90),
        // The solvency gate has its own tests (solvency.rs).
        solvency: false,
    }
}

/// The demo's endpoint on `url`, with anvil's development keys.
pub(crate) fn endpoint(url: Url) -> Result<Endpoint, Box<dyn std::error::Error>> {
    let key = |i: usize| DEV_KEYS[i].parse::<PrivateKeySigner>();
    Ok(Endpoint { url, label: "anvil".into(), deployer: key(0)?, agents: [key(1)?, key(2)?] })
}

/// Starts the daemon with only the rebalancing agent.
async fn start_rebalancer(
    prepared: &Prepared,
    endpoint: &Endpoint,
    crash: Crash,
) -> Result<(DaemonHandle, mpsc::UnboundedReceiver<AgentEvent>), Box<dyn std::error::Error>> {
    let mut config = prepared.daemon_config.clone();
    config.agents.truncate(1);
    let (events_tx, events) = mpsc::unbounded_channel();
    let faults = Faults { crash, ..Faults::default() };
    let signers = vec![endpoint.agents[0].clone()];
    let handle = daemon::start_with_signers(&config, signers, faults, Some(events_tx)).await?;
    Ok((handle, events))
}

/// Waits for an event `pick` accepts.
pub(crate) async fn wait_for(
    events: &mut mpsc::UnboundedReceiver<AgentEvent>,
    what: &str,
    pick: impl Fn(&AgentEvent) -> bool,
) -> Result<AgentEvent, Box<dyn std::error::Error>> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(remaining, events.recv()).await {
            Ok(Some(event)) if pick(&event) => return Ok(event),
            Ok(Some(_)) => {}
            Ok(None) => return Err(format!("the daemon stopped before {what}").into()),
            Err(_) => return Err(format!("timed out waiting for {what}").into()),
        }
    }
}

/// Polls the journal until an entry of `status` exists.
async fn wait_for_status(
    journal: &Journal,
    status: Status,
) -> Result<i64, Box<dyn std::error::Error>> {
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        if let Some(entry) = journal.history(None, 1_000)?.into_iter().find(|e| e.status == status)
        {
            return Ok(entry.id);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(format!("no journal entry became {status}").into())
}

async fn vault_nonce(
    prepared: &Prepared,
    agent: Address,
) -> Result<u64, Box<dyn std::error::Error>> {
    let vault = IProofGateVault::new(prepared.deployment.vault, &prepared.provider);
    Ok(u64::try_from(vault.nonces(agent).call().await?)?)
}

/// Every executed entry has its own nonce, and the vault consumed exactly that many.
async fn assert_exactly_once(prepared: &Prepared, journal: &Journal, agent: Address) -> TestResult {
    let mut nonces = journal.executed_nonces(agent)?;
    nonces.sort_unstable();
    let expected: Vec<u64> = (0..nonces.len() as u64).collect();
    assert_eq!(nonces, expected, "executed nonces are 0..n without gaps or repeats");
    assert_eq!(
        vault_nonce(prepared, agent).await?,
        nonces.len() as u64,
        "the vault consumed one nonce per executed trade"
    );
    let matches = system_demo::journal_matches_chain(
        &prepared.provider,
        &prepared.deployment,
        &prepared.plan,
        journal,
    )
    .await?;
    assert!(matches, "the vault's holdings equal deposits plus the journal's executed trades");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_executes_gated_trades_and_reverts_a_forced_invalid_one() -> TestResult {
    let dir = tempfile::tempdir()?;
    let anvil = LocalAnvil::spawn(&Toolchain::discover()?)?;
    let endpoint = endpoint(anvil.endpoint_url())?;
    let report = system_demo::run(&endpoint, &options(dir.path(), 3, 2)).await?;

    let executed: u64 = report
        .agents
        .values()
        .map(|a| a.statuses.get(&Status::Executed).copied().unwrap_or(0))
        .sum();
    assert!(executed >= 3, "at least 3 gated trades executed, got {executed}: {report}");
    assert_eq!(report.trade_gas.len() as u64, executed);
    let forced = &report.agents["momentum"].forced_reverts;
    assert!(!forced.is_empty(), "a forced invalid trade was submitted: {report}");
    assert!(forced.iter().all(|r| r.contains("InvalidProof")), "{forced:?}");
    assert!(report.journal_matches_chain, "{report}");
    // Agents take turns on the vault: few proofs go stale while proving (issue 16: under 10 %).
    let (stale, entries) = report.stale_of_entries;
    assert!(stale * 10 < entries.max(1), "{stale} of {entries} entries stale: {report}");

    // The journal records the forced trade as reverted on chain, with its transaction.
    let journal = Journal::open(&report.journal_path)?;
    let reverted: Vec<_> = journal
        .history(None, 1_000)?
        .into_iter()
        .filter(|e| e.forced && e.status == Status::Reverted)
        .collect();
    assert!(!reverted.is_empty());
    for entry in &reverted {
        let hash = entry.tx_hash.ok_or("a forced trade is sent")?;
        let receipt = alloy::providers::Provider::get_transaction_receipt(&anvil.provider()?, hash)
            .await?
            .ok_or("mined")?;
        assert!(!receipt.status(), "the forced trade reverted on chain");
    }
    anvil.stop();
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_between_proving_and_submitting_neither_loses_nor_repeats_a_trade() -> TestResult {
    let dir = tempfile::tempdir()?;
    let anvil = LocalAnvil::spawn(&Toolchain::discover()?)?;
    let endpoint = endpoint(anvil.endpoint_url())?;
    let prepared = system_demo::prepare(&endpoint, &options(dir.path(), 1, 0)).await?;
    let agent = endpoint.agents[0].address();

    // Crash after the proof is journaled, before it is sent.
    let (handle, _events) = start_rebalancer(&prepared, &endpoint, Crash::HaltAfterProve).await?;
    let journal = handle.journal.clone();
    let proved = wait_for_status(&journal, Status::Proved).await?;
    handle.stop();
    handle.join().await?;
    assert_eq!(vault_nonce(&prepared, agent).await?, 0, "nothing was sent");

    // Restart: the journaled proof is resubmitted and executes once.
    let (handle, mut events) = start_rebalancer(&prepared, &endpoint, Crash::Never).await?;
    wait_for(&mut events, "the recovered trade", |e| {
        e.entry == Some(proved) && matches!(e.kind, EventKind::Executed { .. })
    })
    .await?;
    // Crash after the next trade is sent, before its receipt is journaled.
    handle.stop();
    handle.join().await?;
    assert_eq!(journal.get(proved)?.status, Status::Executed);
    assert_exactly_once(&prepared, &journal, agent).await?;

    // Arbitrage brings the pool the first trade moved back to the oracle's price.
    system_demo::align_pools(&prepared).await?;
    let (handle, _events) = start_rebalancer(&prepared, &endpoint, Crash::HaltAfterSubmit).await?;
    let submitted = wait_for_status(&journal, Status::Submitted).await?;
    handle.stop();
    handle.join().await?;
    let sent = journal.get(submitted)?.tx_hash.ok_or("journaled with its hash")?;

    // Restart: recovery finds the trade executed on chain and records it, without resending.
    let (handle, _events) = start_rebalancer(&prepared, &endpoint, Crash::Never).await?;
    let deadline = Instant::now() + Duration::from_secs(60);
    while journal.get(submitted)?.status == Status::Submitted && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    handle.stop();
    handle.join().await?;
    let entry = journal.get(submitted)?;
    assert_eq!(entry.status, Status::Executed);
    assert_eq!(entry.tx_hash, Some(sent), "the original transaction, not a second one");
    assert_exactly_once(&prepared, &journal, agent).await?;
    anvil.stop();
    Ok(())
}

/// An anvil whose state survives a restart on the same port (`--state`, dumped every second).
struct DurableAnvil {
    binary: std::path::PathBuf,
    port: u16,
    state: std::path::PathBuf,
    child: Option<Child>,
}

impl DurableAnvil {
    fn start(binary: &Path, state: &Path) -> Result<Self, Box<dyn std::error::Error>> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let mut anvil =
            Self { binary: binary.to_path_buf(), port, state: state.to_path_buf(), child: None };
        anvil.restart()?;
        Ok(anvil)
    }

    fn url(&self) -> Result<Url, Box<dyn std::error::Error>> {
        Ok(format!("http://127.0.0.1:{}", self.port).parse()?)
    }

    fn restart(&mut self) -> TestResult {
        let child = Command::new(&self.binary)
            .args(["--port", &self.port.to_string(), "--state-interval", "1", "--silent"])
            .arg("--state")
            .arg(&self.state)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if Instant::now() > deadline {
                return Err("anvil did not listen".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for DurableAnvil {
    fn drop(&mut self) {
        self.kill();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_retries_through_an_rpc_outage_and_resumes() -> TestResult {
    let dir = tempfile::tempdir()?;
    let toolchain = Toolchain::discover()?;
    let mut anvil = DurableAnvil::start(&toolchain.anvil, &dir.path().join("anvil-state.json"))?;
    let endpoint = endpoint(anvil.url()?)?;
    let prepared = system_demo::prepare(&endpoint, &options(dir.path(), 4, 0)).await?;
    let agent = endpoint.agents[0].address();

    let (handle, mut events) = start_rebalancer(&prepared, &endpoint, Crash::Never).await?;
    wait_for(&mut events, "a first trade", |e| matches!(e.kind, EventKind::Executed { .. }))
        .await?;
    // Settled: nothing to do, or nothing the bounds let it do (its own trade moved the pool).
    wait_for(&mut events, "the agent to settle", |e| {
        matches!(e.kind, EventKind::Idle | EventKind::Refused { .. })
    })
    .await?;
    let before = handle.journal.history(None, 10_000)?;
    // Let anvil dump the settled state, then take the node away.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    anvil.kill();
    let down = Instant::now();
    while handle.metrics.snapshot()["rebalancer"].rpc_errors < 2
        && down.elapsed() < Duration::from_secs(30)
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let errors = handle.metrics.snapshot()["rebalancer"].rpc_errors;
    assert!(errors >= 2, "the outage was seen and retried ({errors} errors)");

    // The node comes back with its state; a price move makes the agent trade again.
    anvil.restart()?;
    let path = PricePath::with_midway_shock(7, 4);
    system_demo::push_prices(&prepared, &path, 2).await?;
    system_demo::push_prices(&prepared, &path, 3).await?;
    wait_for(&mut events, "a trade after the outage", |e| {
        matches!(e.kind, EventKind::Executed { .. })
    })
    .await?;
    handle.stop();
    let journal = handle.journal.clone();
    handle.join().await?;

    let after = journal.history(None, 10_000)?;
    for entry in &before {
        let kept = after.iter().find(|e| e.id == entry.id).ok_or("no journal entry lost")?;
        if entry.status.is_final() {
            assert_eq!(kept.status, entry.status, "final entries are unchanged");
        }
    }
    assert!(after.len() > before.len());
    assert_exactly_once(&prepared, &journal, agent).await?;
    Ok(())
}

#[test]
fn the_vault_bindings_match_forges_abi() -> TestResult {
    use IProofGateVault::{IProofGateVaultCalls, IProofGateVaultErrors, IProofGateVaultEvents};
    let artifact = Artifact::forge(&repo_root(), "ProofGateVault.sol", "ProofGateVault")?;
    let abi = &artifact.abi;
    // Every call, error and event of the hand-kept mirror is in the contract's ABI.
    let calls: Vec<[u8; 4]> = abi.functions().map(|f| f.selector().0).collect();
    for selector in IProofGateVaultCalls::SELECTORS {
        assert!(calls.contains(selector), "call {selector:02x?} is not in forge's ABI");
    }
    let errors: Vec<[u8; 4]> = abi.errors().map(|e| e.selector().0).collect();
    for selector in IProofGateVaultErrors::SELECTORS {
        assert!(errors.contains(selector), "error {selector:02x?} is not in forge's ABI");
    }
    let topics: Vec<[u8; 32]> = abi.events().map(|e| e.selector().0).collect();
    for topic in IProofGateVaultEvents::SELECTORS {
        assert!(topics.contains(topic), "event {topic:02x?} is not in forge's ABI");
    }
    // The venue's calls and errors (its reverts bubble up through the vault) likewise.
    use proofgate_agents::bindings::venue::IQuotingVenue::{
        IQuotingVenueCalls, IQuotingVenueErrors,
    };
    let venue = Artifact::forge(&repo_root(), "UniswapV2Venue.sol", "UniswapV2Venue")?;
    let venue_calls: Vec<[u8; 4]> = venue.abi.functions().map(|f| f.selector().0).collect();
    for selector in IQuotingVenueCalls::SELECTORS {
        assert!(venue_calls.contains(selector), "venue call {selector:02x?} is not in forge's ABI");
    }
    let venue_errors: Vec<[u8; 4]> = venue.abi.errors().map(|e| e.selector().0).collect();
    for selector in IQuotingVenueErrors::SELECTORS {
        assert!(
            venue_errors.contains(selector),
            "venue error {selector:02x?} is not in forge's ABI"
        );
    }
    // And the errors a hostile agent meets are mirrored (decoded in the journal by name).
    for name in ["LossBudgetExceeded", "AgentNotRegistered", "SequencerDown", "InvalidProof"] {
        let error = abi.errors.get(name).and_then(|e| e.first()).ok_or(name)?;
        assert!(IProofGateVaultErrors::SELECTORS.contains(&error.selector().0), "{name}");
    }
    Ok(())
}

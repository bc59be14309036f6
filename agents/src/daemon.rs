//! The daemon: loads and checks everything a configuration names (deployment, proving key,
//! models, parameters, keys, the node), then runs one task per agent, each under a supervisor
//! (`daemon/supervise.rs`: a panicking agent is restarted with backoff, or stops the daemon), the
//! metrics endpoint, and stops them all on request.
//!
//! Checks at start, each with an error that names the file or field: no other daemon holds the
//! journal ([`JournalLock`], taken before the journal is opened, held until the handle is
//! dropped); no two agents sign with one account; the node answers and is on the configured
//! chain; the deployment is for that chain; the proving key's circuit matches the vault's asset
//! count and its verifying key is the one the deployed verifier embeds; each model and parameter
//! file fits the circuit and commits to what the deployment certified. The RPC URL's secrets
//! are registered for redaction ([`crate::redact`]) before anything can log them.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use alloy::primitives::{Address, B256};
use alloy::providers::Provider;
use alloy::signers::local::PrivateKeySigner;
use proofgate_prover::files;
use proofgate_prover::pipeline::{Engine, NatsOptions};
use proofgate_prover::snark::ProverKey;
use proofgate_prover::solvency::SolvencyKeys;
use proofgate_prover::{Model, RiskParams};
use tokio::sync::{mpsc, watch, Semaphore};
use tokio::task::JoinSet;
use tracing::{error, info};

use crate::agent::{AgentEvent, Faults, Shared};
use crate::chain;
use crate::config::{AgentConfig, DaemonConfig};
use crate::deploy::DeploymentFile;
use crate::journal::Journal;
use crate::journal_lock::JournalLock;
use crate::market::fr_from_u256;
use crate::metrics::{self, Metrics};
use crate::redact::{self, redact, redact_url};
use crate::solvency::{Attester, Book, UploadFaults};
use crate::{Error, Result};

mod supervise;

use supervise::{AgentSpec, Running, Supervised};

/// A running daemon. It holds the journal's lock ([`JournalLock`]) until it is dropped.
pub struct DaemonHandle {
    shutdown: watch::Sender<bool>,
    tasks: JoinSet<(String, Result<()>)>,
    running: Running,
    drain_timeout: Duration,
    failure: Option<Error>,
    _lock: JournalLock,
    /// The journal the agents write.
    pub journal: Arc<Journal>,
    /// The agents' counters.
    pub metrics: Arc<Metrics>,
    /// Where metrics are served, when configured.
    pub metrics_addr: Option<SocketAddr>,
    /// Each agent's name and address.
    pub agents: Vec<(String, Address)>,
}

/// How a drain ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Drain {
    /// Every agent finished its step and stopped.
    Drained,
    /// These agents had not stopped when the time ran out (their tasks were aborted).
    TimedOut {
        /// Their names.
        running: Vec<String>,
    },
}

impl DaemonHandle {
    /// Asks every agent to stop after its current step (in-flight proofs finish and are
    /// journaled; unsent ones are abandoned).
    pub fn stop(&self) {
        let _ = self.shutdown.send(true);
    }

    /// The agents still running.
    pub fn running(&self) -> Vec<String> {
        self.running.names()
    }

    /// Waits until every agent has stopped, or one has failed beyond its restarts: then every
    /// other agent is stopped (waited for up to the drain timeout, then aborted) and the
    /// failure ([`Error::AgentFailed`]) returned. Cancel-safe: a failure seen is kept for the
    /// next call.
    pub async fn wait(&mut self) -> Result<()> {
        while self.failure.is_none() {
            let Some(done) = self.tasks.join_next().await else { break };
            let (agent, outcome) = match done {
                Ok(done) => done,
                Err(e) if e.is_cancelled() => continue,
                Err(e) => ("(supervisor)".to_string(), Err(supervisor_failed(e))),
            };
            if let Err(e) = outcome {
                error!(target: "proofgate::daemon", %agent, error = %e, "stopping every agent");
                self.stop();
                self.failure = Some(e);
            }
        }
        if self.failure.is_some() {
            let deadline = tokio::time::Instant::now() + self.drain_timeout;
            while let Ok(Some(_)) = tokio::time::timeout_at(deadline, self.tasks.join_next()).await
            {
            }
            let left = self.running();
            if !left.is_empty() {
                error!(target: "proofgate::daemon", agents = ?left, "agents did not stop in time; aborted");
            }
            self.tasks.abort_all();
            while self.tasks.join_next().await.is_some() {}
        }
        match self.failure.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Waits until every agent has stopped; an agent that failed beyond its restarts is the
    /// error ([`Error::AgentFailed`]), after the others were stopped.
    pub async fn join(mut self) -> Result<()> {
        self.wait().await
    }

    /// Stops every agent and waits up to `timeout` for them; those still running then are
    /// aborted and named in [`Drain::TimedOut`].
    pub async fn drain(mut self, timeout: Duration) -> Result<Drain> {
        self.stop();
        let running = self.running.clone();
        match tokio::time::timeout(timeout, self.wait()).await {
            Ok(outcome) => outcome.map(|()| Drain::Drained),
            Err(_) => Ok(Drain::TimedOut { running: running.names() }),
        }
    }
}

fn supervisor_failed(e: tokio::task::JoinError) -> Error {
    let message = match e.try_into_panic() {
        Ok(payload) => payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default(),
        Err(e) => e.to_string(),
    };
    Error::AgentFailed { agent: "(supervisor)".into(), restarts: 0, message }
}

fn config_error(path: &Path, what: impl std::fmt::Display) -> Error {
    Error::Config(format!("{}: {what}", path.display()))
}

/// The solvency proving key, when the configuration names one: it must fit the vault's asset
/// count, and the deployment must have an attestor.
pub fn load_solvency_key(
    config: &DaemonConfig,
    deployment: &DeploymentFile,
) -> Result<Option<Arc<SolvencyKeys>>> {
    let Some(path) = &config.solvency_key else { return Ok(None) };
    if deployment.attestor.is_none() {
        return Err(config_error(path, "the deployment has no solvency attestor"));
    }
    let bytes = files::read(path).map_err(|e| config_error(path, e))?;
    let keys = SolvencyKeys::decode(&bytes).map_err(|e| config_error(path, e))?;
    if keys.shape.n_assets != deployment.assets.len() {
        return Err(config_error(
            path,
            format!(
                "key for {} assets, the vault has {}",
                keys.shape.n_assets,
                deployment.assets.len()
            ),
        ));
    }
    Ok(Some(Arc::new(keys)))
}

/// Where the daemon's solvency batch proofs are made: workers on `solvency_nats` (with the
/// queue's default options) when the configuration names a server, else this process.
pub fn solvency_engine(config: &DaemonConfig) -> Engine {
    match &config.solvency_nats {
        Some(url) => Engine::Nats { url: url.clone(), options: NatsOptions::default() },
        None => Engine::InProcess,
    }
}

/// An agent's attester: its book, with the daemon's solvency key and the deployment's attestor
/// (none when the agent has no `solvency` section).
pub fn attester_for(
    agent: &AgentConfig,
    deployment: &DeploymentFile,
    keys: &Option<Arc<SolvencyKeys>>,
) -> Result<Option<Attester>> {
    let Some(solvency) = &agent.solvency else { return Ok(None) };
    let (Some(keys), Some(attestor)) = (keys, deployment.attestor) else {
        return Err(Error::Config(format!(
            "agent {:?} attests solvency: the configuration needs solvency_key and the deployment an attestor",
            agent.name
        )));
    };
    let book = Book::load(&solvency.book)?;
    if book.depositors.n_assets() != keys.shape.n_assets {
        return Err(config_error(
            &solvency.book,
            format!("{} assets, the vault has {}", book.depositors.n_assets(), keys.shape.n_assets),
        ));
    }
    Ok(Some(Attester {
        keys: keys.clone(),
        book: Arc::new(book),
        attestor,
        engine: Engine::InProcess,
        faults: UploadFaults::default(),
    }))
}

/// Loads and checks `config`, then starts its agents, signing with their configured keys.
pub async fn start(
    config: &DaemonConfig,
    faults: Faults,
    events: Option<mpsc::UnboundedSender<AgentEvent>>,
) -> Result<DaemonHandle> {
    let signers = config.agents.iter().map(|a| a.signer()).collect::<Result<Vec<_>>>()?;
    start_with_signers(config, signers, faults, events).await
}

/// [`start`], with the agents' signers given (one per configured agent, in order): for embedding
/// the daemon (the demo) where keys are already in memory.
///
/// First the RPC URL's secrets are registered for redaction, the signers checked (one account
/// per agent) and the journal's lock taken (before the journal is opened: a second daemon on
/// one journal is refused, naming the first); then everything the configuration names is
/// checked, and each agent starts under a supervisor.
pub async fn start_with_signers(
    config: &DaemonConfig,
    signers: Vec<PrivateKeySigner>,
    faults: Faults,
    events: Option<mpsc::UnboundedSender<AgentEvent>>,
) -> Result<DaemonHandle> {
    redact::register_url(&config.rpc_url);
    if let Some(url) = &config.solvency_nats {
        redact::register_nats_url(url);
    }
    check_signers(config, &signers)?;
    let lock = JournalLock::acquire(&config.journal).map_err(Box::new)?;
    let (deployment, key) = load_checked(config)?;
    let circuit = key.config.clone();
    let solvency_keys = load_solvency_key(config, &deployment)?;

    let journal =
        Arc::new(Journal::open(&config.journal).map_err(|e| config_error(&config.journal, e))?);
    let metrics = Metrics::new();
    let (shutdown, shutdown_rx) = watch::channel(false);
    let shared = Shared {
        circuit,
        key: Arc::new(key),
        deployment: Arc::new(deployment),
        journal: journal.clone(),
        metrics: metrics.clone(),
        proof_slots: Arc::new(Semaphore::new(config.max_concurrent_proofs)),
        gas: config.gas.clone(),
        fee_cap: config.max_fee_cap_wei(),
        rpc_url: config.rpc_url.clone(),
        chain_id: config.chain_id,
        rpc: config.rpc.clone(),
        tx: config.tx.clone(),
        vault_turn: Arc::new(tokio::sync::Mutex::new(())),
        poll: Duration::from_millis(config.poll_interval_ms.max(10)),
        events,
        faults,
    };
    let mut specs = Vec::new();
    for (agent_config, signer) in config.agents.iter().zip(signers) {
        specs.push(agent_spec(config, agent_config, signer, &shared, &solvency_keys).await?);
    }

    let metrics_addr = match config.metrics_listen {
        Some(addr) => Some(
            metrics::spawn(addr, metrics.clone(), shutdown_rx.clone())
                .await
                .map_err(|e| Error::Config(format!("metrics_listen {addr}: {e}")))?,
        ),
        None => None,
    };
    let agents = specs.iter().map(|s| (s.config.name.clone(), s.address)).collect();
    let (tasks, running) = spawn_supervised(specs, &shared, config, &shutdown_rx);
    Ok(DaemonHandle {
        shutdown,
        tasks,
        running,
        drain_timeout: Duration::from_secs(config.supervision.drain_timeout_s),
        failure: None,
        _lock: lock,
        journal,
        metrics,
        metrics_addr,
        agents,
    })
}

/// Starts each agent under its supervisor.
fn spawn_supervised(
    specs: Vec<AgentSpec>,
    shared: &Shared,
    config: &DaemonConfig,
    shutdown: &watch::Receiver<bool>,
) -> (JoinSet<(String, Result<()>)>, Running) {
    let running = Running::default();
    let mut tasks = JoinSet::new();
    for spec in specs {
        info!(target: "proofgate::daemon", agent = %spec.config.name, address = %spec.address, strategy = ?spec.config.strategy, "agent starting");
        tasks.spawn(supervise::supervise(Supervised {
            spec,
            shared: shared.clone(),
            policy: config.supervision.clone(),
            shutdown: shutdown.clone(),
            running: running.clone(),
        }));
    }
    (tasks, running)
}

/// One signer per agent, and no account shared by two agents (two variables or files may
/// hold one key): their transactions would take each other's nonces.
fn check_signers(config: &DaemonConfig, signers: &[PrivateKeySigner]) -> Result<()> {
    if signers.len() != config.agents.len() {
        return Err(Error::Config(format!(
            "{} signers for {} agents",
            signers.len(),
            config.agents.len()
        )));
    }
    let mut seen: std::collections::BTreeMap<Address, &str> = Default::default();
    for (agent, signer) in config.agents.iter().zip(signers) {
        if let Some(other) = seen.insert(signer.address(), &agent.name) {
            return Err(Error::Config(format!(
                "agents {other:?} and {:?} sign with one key (account {}): one key per agent, \
                 or their transactions take each other's nonces",
                agent.name,
                signer.address()
            )));
        }
    }
    Ok(())
}

/// The deployment and the proving key, checked against each other and the configuration.
fn load_checked(config: &DaemonConfig) -> Result<(DeploymentFile, ProverKey)> {
    let deployment = DeploymentFile::read(&config.deployment)?;
    if deployment.chain_id != config.chain_id {
        return Err(config_error(
            &config.deployment,
            format!(
                "deployment is for chain {}, the configuration says {}",
                deployment.chain_id, config.chain_id
            ),
        ));
    }
    let path = &config.proving_key;
    let bytes = files::read(path).map_err(|e| config_error(path, e))?;
    let key = files::decode_proving_key(&bytes).map_err(|e| config_error(path, e))?;
    if key.config.n_assets != deployment.assets.len() {
        return Err(config_error(
            path,
            format!(
                "key for {} assets, the vault has {}",
                key.config.n_assets,
                deployment.assets.len()
            ),
        ));
    }
    let vk_hash =
        proofgate_verifier_codegen::key_hash(&key.pk.vk).map_err(|e| config_error(path, e))?;
    if B256::from(vk_hash) != deployment.verifier_key_hash {
        return Err(config_error(
            path,
            format!(
                "its verifying key hash {} is not the deployed verifier's {}",
                B256::from(vk_hash),
                deployment.verifier_key_hash
            ),
        ));
    }
    Ok((deployment, key))
}

/// One agent's model and parameters (checked against the circuit and what the deployment
/// certified), its strategy, its connection to the node (on the configured chain) and its
/// attester.
async fn agent_spec(
    config: &DaemonConfig,
    agent_config: &AgentConfig,
    signer: PrivateKeySigner,
    shared: &Shared,
    solvency_keys: &Option<Arc<SolvencyKeys>>,
) -> Result<AgentSpec> {
    let (circuit, certified) = (&shared.circuit, &shared.deployment);
    let address = signer.address();
    let (model_path, params_path) = (&agent_config.model, &agent_config.params);
    let model: Model = files::read_json(model_path).map_err(|e| config_error(model_path, e))?;
    model.check_against(circuit).map_err(|e| config_error(model_path, e))?;
    let params: RiskParams =
        files::read_json(params_path).map_err(|e| config_error(params_path, e))?;
    params.check_against(circuit).map_err(|e| config_error(params_path, e))?;
    check_slippage(agent_config, &params, &shared.faults)?;
    let model_commitment = model.commitment(circuit).map_err(|e| config_error(model_path, e))?;
    if model_commitment != fr_from_u256(certified.model_commitment) {
        return Err(config_error(model_path, "is not the model the deployment certified"));
    }
    let params_commitment = params.commitment(circuit).map_err(|e| config_error(params_path, e))?;
    if params_commitment != fr_from_u256(certified.params_commitment) {
        return Err(config_error(params_path, "are not the parameters the deployment certified"));
    }
    agent_config
        .strategy
        .validate(circuit.n_assets)
        .map_err(|e| Error::Config(format!("agent {:?}: {e}", agent_config.name)))?;
    let provider = chain::connect_reader(config.rpc_url.clone(), &config.rpc);
    let node = redact_url(&config.rpc_url);
    let chain_id = provider.get_chain_id().await.map_err(|e| {
        let cause = crate::agent::chain_of(&e);
        let hint = if cause.contains("timed out") {
            format!(
                " (no answer within rpc.request_timeout_ms = {} ms, or no connection within \
                 rpc.connect_timeout_ms = {} ms)",
                config.rpc.request_timeout_ms, config.rpc.connect_timeout_ms
            )
        } else {
            String::new()
        };
        Error::Config(format!("cannot reach the node at {node}: {}{hint}", redact(&cause)))
    })?;
    if chain_id != config.chain_id {
        return Err(Error::Config(format!(
            "the node at {node} is on chain {chain_id}, the configuration says {}",
            config.chain_id
        )));
    }
    let attester = attester_for(agent_config, certified, solvency_keys)?
        .map(|attester| Attester { engine: solvency_engine(config), ..attester });
    Ok(AgentSpec { config: agent_config.clone(), address, signer, model, params, attester })
}

/// Refuses an agent whose venue slippage allowance is above the governed execution-price bound:
/// every trade it sized would ask the venue for less than the circuit lets it prove, so it
/// could only ever be refused. (`faults.skip_slippage_check` lets tests force such an agent
/// through, to watch the chain refuse its trades.)
fn check_slippage(agent: &AgentConfig, params: &RiskParams, faults: &Faults) -> Result<()> {
    let (asked, bound) = (u64::from(agent.slippage_bps), params.max_slippage_bps);
    if asked <= bound || faults.skip_slippage_check {
        return Ok(());
    }
    Err(Error::Config(format!(
        "agent {:?}: slippage_bps = {asked} is above the governed max_slippage_bps = {bound} of \
         its risk parameters ({}): the vault refuses any trade that sells for less than \
         {} bps below its oracle value, so lower slippage_bps to at most {bound}",
        agent.name,
        agent.params.display(),
        bound,
    )))
}

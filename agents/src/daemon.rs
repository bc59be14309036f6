//! The daemon: loads and checks everything a configuration names (deployment, proving key,
//! models, parameters, keys, the node), then runs one task per agent, the metrics endpoint, and
//! stops them all on request.
//!
//! Checks at start, each with an error that names the file or field: the node answers and is on
//! the configured chain; the deployment is for that chain; the proving key's circuit matches the
//! vault's asset count and its verifying key is the one the deployed verifier embeds; each model
//! and parameter file fits the circuit and commits to what the deployment certified.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use alloy::primitives::B256;
use alloy::providers::Provider;
use proofgate_prover::files;
use proofgate_prover::pipeline::{Engine, NatsOptions};
use proofgate_prover::solvency::SolvencyKeys;
use proofgate_prover::{Model, RiskParams};
use tokio::sync::{mpsc, watch, Semaphore};
use tokio::task::JoinSet;
use tracing::info;

use crate::agent::{Agent, AgentEvent, Faults, Shared};
use crate::chain;
use crate::config::{AgentConfig, DaemonConfig};
use crate::deploy::DeploymentFile;
use crate::journal::Journal;
use crate::market::fr_from_u256;
use crate::metrics::{self, Metrics};
use crate::solvency::{Attester, Book, UploadFaults};
use crate::{Error, Result};

/// A running daemon.
pub struct DaemonHandle {
    shutdown: watch::Sender<bool>,
    tasks: JoinSet<()>,
    /// The journal the agents write.
    pub journal: Arc<Journal>,
    /// The agents' counters.
    pub metrics: Arc<Metrics>,
    /// Where metrics are served, when configured.
    pub metrics_addr: Option<SocketAddr>,
    /// Each agent's name and address.
    pub agents: Vec<(String, alloy::primitives::Address)>,
}

impl DaemonHandle {
    /// Asks every agent to stop after its current step (in-flight proofs finish and are
    /// journaled; unsent ones are abandoned).
    pub fn stop(&self) {
        let _ = self.shutdown.send(true);
    }

    /// Waits until every agent has stopped.
    pub async fn join(mut self) {
        while self.tasks.join_next().await.is_some() {}
    }
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
pub async fn start_with_signers(
    config: &DaemonConfig,
    signers: Vec<alloy::signers::local::PrivateKeySigner>,
    faults: Faults,
    events: Option<mpsc::UnboundedSender<AgentEvent>>,
) -> Result<DaemonHandle> {
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
    let bytes =
        files::read(&config.proving_key).map_err(|e| config_error(&config.proving_key, e))?;
    let key =
        files::decode_proving_key(&bytes).map_err(|e| config_error(&config.proving_key, e))?;
    let circuit = key.config.clone();
    if circuit.n_assets != deployment.assets.len() {
        return Err(config_error(
            &config.proving_key,
            format!(
                "key for {} assets, the vault has {}",
                circuit.n_assets,
                deployment.assets.len()
            ),
        ));
    }
    let vk_hash = proofgate_verifier_codegen::key_hash(&key.pk.vk)
        .map_err(|e| config_error(&config.proving_key, e))?;
    if B256::from(vk_hash) != deployment.verifier_key_hash {
        return Err(config_error(
            &config.proving_key,
            format!(
                "its verifying key hash {} is not the deployed verifier's {}",
                B256::from(vk_hash),
                deployment.verifier_key_hash
            ),
        ));
    }

    let solvency_keys = load_solvency_key(config, &deployment)?;

    let journal =
        Arc::new(Journal::open(&config.journal).map_err(|e| config_error(&config.journal, e))?);
    let metrics = Metrics::new();
    let (shutdown, shutdown_rx) = watch::channel(false);
    let shared = Shared {
        circuit: circuit.clone(),
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
        poll: std::time::Duration::from_millis(config.poll_interval_ms.max(10)),
        events,
        faults,
    };

    if signers.len() != config.agents.len() {
        return Err(Error::Config(format!(
            "{} signers for {} agents",
            signers.len(),
            config.agents.len()
        )));
    }
    let mut agents = Vec::new();
    for (agent_config, signer) in config.agents.iter().zip(signers) {
        let model: Model = files::read_json(&agent_config.model)
            .map_err(|e| config_error(&agent_config.model, e))?;
        model.check_against(&circuit).map_err(|e| config_error(&agent_config.model, e))?;
        let params: RiskParams = files::read_json(&agent_config.params)
            .map_err(|e| config_error(&agent_config.params, e))?;
        params.check_against(&circuit).map_err(|e| config_error(&agent_config.params, e))?;
        check_slippage(agent_config, &params, &shared.faults)?;
        let certified = &shared.deployment;
        let model_commitment =
            model.commitment(&circuit).map_err(|e| config_error(&agent_config.model, e))?;
        if model_commitment != fr_from_u256(certified.model_commitment) {
            return Err(config_error(
                &agent_config.model,
                "is not the model the deployment certified",
            ));
        }
        let params_commitment =
            params.commitment(&circuit).map_err(|e| config_error(&agent_config.params, e))?;
        if params_commitment != fr_from_u256(certified.params_commitment) {
            return Err(config_error(
                &agent_config.params,
                "are not the parameters the deployment certified",
            ));
        }
        agent_config
            .strategy
            .validate(circuit.n_assets)
            .map_err(|e| Error::Config(format!("agent {:?}: {e}", agent_config.name)))?;
        let provider = chain::connect_reader(config.rpc_url.clone(), &config.rpc)?;
        let chain_id = provider.get_chain_id().await.map_err(|e| {
            Error::Config(format!("cannot reach the node at {}: {e}", config.rpc_url))
        })?;
        if chain_id != config.chain_id {
            return Err(Error::Config(format!(
                "the node at {} is on chain {chain_id}, the configuration says {}",
                config.rpc_url, config.chain_id
            )));
        }
        let mut agent = Agent::new(agent_config.clone(), signer, model, params, shared.clone())?;
        if let Some(attester) = attester_for(agent_config, &shared.deployment, &solvency_keys)? {
            agent = agent.with_attester(Attester { engine: solvency_engine(config), ..attester });
        }
        agents.push(agent);
    }

    let metrics_addr = match config.metrics_listen {
        Some(addr) => Some(
            metrics::spawn(addr, metrics.clone(), shutdown_rx.clone())
                .await
                .map_err(|e| Error::Config(format!("metrics_listen {addr}: {e}")))?,
        ),
        None => None,
    };
    let mut tasks = JoinSet::new();
    let names = agents.iter().map(|a| (a.config.name.clone(), a.address())).collect();
    for agent in agents {
        info!(target: "proofgate::daemon", agent = %agent.config.name, address = %agent.address(), strategy = ?agent.config.strategy, "agent starting");
        tasks.spawn(agent.run(shutdown_rx.clone()));
    }
    Ok(DaemonHandle { shutdown, tasks, journal, metrics, metrics_addr, agents: names })
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

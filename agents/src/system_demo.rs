//! The demo: the whole system on one chain, end to end.
//!
//! A development setup of the risk circuit; a model and risk limits; the whole system deployed
//! and the model certified through the timelock ([`crate::deploy`]); two agents (rebalancing and
//! momentum) run by the daemon in this process; a seeded price path with a volatility shock
//! pushed to the feeds, one update of every feed per step; and a report of what happened:
//! trades executed, refused by the reference, forced invalid trades reverted on chain, gas and
//! proving time per trade, and the latency from a price update to the mined trade.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use alloy::primitives::{Address, U256};
use alloy::signers::local::PrivateKeySigner;
use alloy::transports::http::reqwest::Url;
use proofgate_prover::snark;
use proofgate_prover::statement::Binding;
use proofgate_prover::valuation::{AssetSnapshot, TradeAmounts, VaultSnapshot};
use proofgate_prover::{evaluate, files, onnx, CircuitConfig, Model, RiskParams};
use tokio::sync::mpsc;
use tracing::info;

use crate::agent::{AgentEvent, EventKind, Faults};
use crate::bindings::vault::IProofGateVault;
use crate::chain;
use crate::config::{
    AgentConfig, DaemonConfig, GasPolicy, RpcPolicy, SolvencyConfig, SupervisionPolicy, TxPolicy,
    CONFIG_VERSION,
};
use crate::daemon;
use crate::demo_keeper;
use crate::demo_solvency;
use crate::deploy::{self, AssetPlan, Certification, DeploymentFile, LossBudget, SystemPlan};
use crate::feeds::{self, PricePath};
use crate::journal::{Journal, Status};
use crate::market;
use crate::solvency;
use crate::strategy::StrategyConfig;
use crate::{Error, Result};

/// Where the demo runs.
pub struct Endpoint {
    /// The node.
    pub url: Url,
    /// What the node is, in words.
    pub label: String,
    /// The deployer (vault owner, governor, feed owner).
    pub deployer: PrivateKeySigner,
    /// The two agents' keys.
    pub agents: [PrivateKeySigner; 2],
}

/// The demo's settings.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    /// Price updates (of every feed) to run through.
    pub steps: u32,
    /// Seed of the price path and the agents' books.
    pub seed: u64,
    /// Where keys, model, parameters, deployment, configuration and journal are written.
    pub work_dir: PathBuf,
    /// The momentum agent submits every n-th decision as a deliberately invalid trade.
    pub force_invalid_every: u64,
    /// Longest wait for the agents to settle after a price update.
    pub settle_timeout: Duration,
    /// Deploy the solvency attestor and have the agents attest (a healthy attestation, then a
    /// stale one pausing an agent, then a fresh one resuming it).
    pub solvency: bool,
}

/// One agent's figures.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AgentSummary {
    /// Its address.
    pub address: Address,
    /// Its strategy.
    pub strategy: String,
    /// Journal entries per status.
    pub statuses: BTreeMap<Status, u64>,
    /// Revert reasons of forced submissions.
    pub forced_reverts: Vec<String>,
    /// Risk-increasing proposals the solvency gate held back.
    pub solvency_paused: u64,
    /// Proposals the execution-price bound refused (the venue's price was further below the
    /// vault's oracle value than `max_slippage_bps`, at every size tried).
    pub price_bound_refused: u64,
    /// Its loss budget at the end.
    pub loss_budget: LossBudgetUse,
}

/// How much of an agent's loss budget its trades used.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LossBudgetUse {
    /// Sum of its executed trades' shortfalls (USD at 1e8), from the vault's events.
    pub charged: u128,
    /// What its bucket holds spent now, after refilling (USD at 1e8).
    pub spent_now: u128,
    /// The bucket's capacity at the vault's net asset value now (USD at 1e8).
    pub capacity: u128,
}

/// What the demo measured.
#[derive(Clone, Debug)]
pub struct DemoReport {
    /// The node.
    pub endpoint: String,
    /// The chain id.
    pub chain_id: u64,
    /// The circuit's constraints.
    pub constraints: usize,
    /// Seconds of the development setup.
    pub setup_s: f64,
    /// The deployment.
    pub deployment: DeploymentFile,
    /// Where the deployment file was written.
    pub deployment_path: PathBuf,
    /// Per agent.
    pub agents: BTreeMap<String, AgentSummary>,
    /// Gas of every executed gated trade.
    pub trade_gas: Vec<u64>,
    /// Proving seconds of every executed gated trade.
    pub prove_s: Vec<f64>,
    /// Seconds from a price update to the first mined gated trade after it.
    pub latency_s: Vec<f64>,
    /// Whether the vault's holdings equal the deposits plus the journal's executed trades.
    pub journal_matches_chain: bool,
    /// Steps whose agents did not settle in time.
    pub unsettled_steps: u32,
    /// Journal entries, and those abandoned because the vault's state moved while proving (a
    /// wasted proof).
    pub stale_of_entries: (u64, u64),
    /// Where the journal is.
    pub journal_path: PathBuf,
    /// What happened to solvency attestations, in order (attested, went stale, paused, resumed).
    pub solvency_log: Vec<String>,
}

/// The demo's model, made by `scripts/train_risk_model.py` (the round-trip tests read it too).
pub const DEMO_ONNX_MODEL: &str = "prover/tests/fixtures/onnx/risk_mlp_8a.onnx";

/// The demo's circuit: the default (8 assets).
fn circuit() -> CircuitConfig {
    CircuitConfig::default()
}

/// Risk limits for the demo: typical ones, with a tighter concentration limit (so the momentum
/// agent runs into it) and a score limit a little above the model's score on the opening
/// portfolio.
fn demo_params(config: &CircuitConfig, model: &Model, assets: &[AssetPlan]) -> Result<RiskParams> {
    let mut params = RiskParams::typical(config);
    params.max_concentration_bps = 2_000;
    let snapshot = VaultSnapshot {
        assets: assets
            .iter()
            .map(|a| {
                let scale = 10u128.pow(a.decimals.into());
                AssetSnapshot {
                    balance: a.deposit_tokens * scale,
                    debt: a.debt_tokens * scale,
                    price_1e8: u64::try_from(a.feed.initial_answer).unwrap_or(0),
                    decimals: a.decimals,
                }
            })
            .collect(),
        trade: TradeAmounts { sell_asset: 0, buy_asset: 1, amount_in: 1, amount_out: 0 },
        binding: Binding { agent: [0; 20], vault: [0; 20], chain_id: 0, nonce: 0, deadline: 0 },
        model_commitment: model.commitment(config).map_err(prover("model commitment"))?,
        params_commitment: params.commitment(config).map_err(prover("params commitment"))?,
    };
    let statement = snapshot.statement().map_err(prover("opening statement"))?;
    let score =
        evaluate(config, model, &params, &statement).map_err(prover("reference"))?.metrics.score;
    let score = i64::try_from(score).map_err(|_| Error::Config("score out of range".into()))?;
    // The score is the model's 95 % ten-day drawdown in units of 10 % of gross exposure: the
    // limit leaves a quarter of a unit (2.5 % drawdown) above the opening book.
    params.max_score = score.max(0) + (1 << (config.activation_frac_bits - 2));
    Ok(params)
}

fn prover<E: fmt::Display>(what: &'static str) -> impl Fn(E) -> Error {
    move |e| Error::Config(format!("{what}: {e}"))
}

fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<()> {
    files::write_json(path, value).map_err(|e| Error::Config(format!("{}: {e}", path.display())))
}

/// Everything the demo sets up before its agents start.
pub struct Prepared {
    /// The circuit's constraints.
    pub constraints: usize,
    /// Seconds of the development setup.
    pub setup_s: f64,
    /// The chain id.
    pub chain_id: u64,
    /// What was deployed.
    pub plan: SystemPlan,
    /// The deployment.
    pub deployment: DeploymentFile,
    /// Where it was written.
    pub deployment_path: PathBuf,
    /// The daemon's configuration (also written as `daemon.toml`, keys from the environment).
    pub daemon_config: DaemonConfig,
    /// The journal's path (emptied).
    pub journal_path: PathBuf,
    /// A provider signing as the deployer.
    pub provider: chain::ChainProvider,
    /// The vault's proof-of-reserve feeds (refreshed with every price update).
    pub reserve_feeds: Vec<demo_solvency::DemoReserveFeed>,
}

/// Keys, model and limits, the whole system deployed and certified, and the daemon's
/// configuration for the two agents.
pub async fn prepare(endpoint: &Endpoint, options: &DemoOptions) -> Result<Prepared> {
    let config = circuit();
    let dir = &options.work_dir;
    std::fs::create_dir_all(dir).map_err(|e| Error::Config(format!("{}: {e}", dir.display())))?;

    // Keys: a single-party development setup (NOT for production).
    let constraints: usize = snark::constraint_breakdown(&config)
        .map_err(prover("circuit"))?
        .iter()
        .map(|(_, c)| c)
        .sum();
    info!(target: "proofgate::demo", constraints, "development setup of the risk circuit (single party: not for production)");
    let started = Instant::now();
    let setup_config = config.clone();
    let (key, vk) = tokio::task::spawn_blocking(move || snark::setup_fresh(&setup_config))
        .await
        .map_err(|e| Error::Config(format!("setup task: {e}")))?
        .map_err(prover("setup"))?;
    let setup_s = started.elapsed().as_secs_f64();
    let key_path = dir.join("risk.pk");
    let key_bytes = files::encode_proving_key(&key).map_err(prover("proving key"))?;
    files::write_atomic(&key_path, &key_bytes).map_err(prover("writing the proving key"))?;
    let vk_file = files::encode_verifying_key(&vk, &config).map_err(prover("verifying key"))?;
    write_json(&dir.join("risk.vk.json"), &vk_file)?;

    // The certified model and the risk limits.
    let assets = deploy::demo_assets();
    // The certified model: trained and exported to ONNX by scripts/train_risk_model.py (seeded),
    // imported at the circuit's scale.
    let onnx_path = proofgate_toolchain::repo_root().join(DEMO_ONNX_MODEL);
    let onnx_file = std::fs::read(&onnx_path)
        .map_err(|e| Error::Config(format!("{}: {e}", onnx_path.display())))?;
    let (model, imported) = onnx::import(&onnx_file, config.n_assets, onnx::Scale::of(&config))
        .map_err(prover("importing the demo model"))?;
    if imported != config {
        return Err(Error::Config(format!(
            "{DEMO_ONNX_MODEL} does not fit the demo's circuit ({imported:?})"
        )));
    }
    let params = demo_params(&config, &model, &assets)?;
    let (model_path, params_path) = (dir.join("model.json"), dir.join("risk_params.json"));
    write_json(&model_path, &model)?;
    write_json(&params_path, &params)?;

    // The system, deployed and certified through the timelock.
    let deployer = endpoint.deployer.address();
    let provider = chain::connect(endpoint.url.clone(), endpoint.deployer.clone());
    let chain_id = alloy::providers::Provider::get_chain_id(&provider).await?;
    let verifier = deploy::compile_verifier(&vk, &config)?;
    let plan = SystemPlan {
        assets: assets.clone(),
        // Deep enough for the agents' trades to move prices by well under the execution-price
        // bound (1 %): a 3 % rebalance of the vault costs about 1 % of impact.
        pair_liquidity_usd: 20_000_000,
        heartbeat: 3_600,
        timelock_delay: 3_600,
        guardian: deployer,
        verifier_bytecode: verifier.bytecode,
        verifier_key_hash: verifier.key_hash,
        certification: Certification::new(
            &config,
            &model,
            &params,
            ("proofgate-demo-mlp".into(), "1.0.0".into()),
            "demo limits: typical, concentration 20 %".into(),
            (
                &std::fs::read(&model_path).map_err(|e| Error::Config(e.to_string()))?,
                &std::fs::read(&params_path).map_err(|e| Error::Config(e.to_string()))?,
            ),
            Some(&onnx_file),
        )?,
        agents: endpoint.agents.iter().map(PrivateKeySigner::address).collect(),
        loss_budget: LossBudget::DEFAULT,
    };
    let root = proofgate_toolchain::repo_root();
    let mut deployment = deploy::deploy_system(&provider, deployer, &root, &plan).await?;

    // Solvency: the attestor and the vault's reserve feed, governed through the timelock, and
    // the vault's book of depositors.
    let solvency = match options.solvency {
        true => {
            Some(demo_solvency::set_up(&provider, &mut deployment, &plan, dir, options.seed).await?)
        }
        false => None,
    };
    let reserve_feeds =
        solvency.as_ref().map(|set_up| set_up.reserve_feeds.clone()).unwrap_or_default();
    let deployment_path = DeploymentFile::path_in(&dir.join("deployments"), chain_id);
    deployment.write(&deployment_path)?;

    // The daemon, with both agents.
    let journal_path = dir.join("journal.sqlite");
    for stale in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{stale}", journal_path.display()));
    }
    let n = assets.len();
    let agent = |name: &str,
                 key_env: &str,
                 strategy: StrategyConfig,
                 shrink: u32,
                 force: u64,
                 scheduled: bool| {
        AgentConfig {
            name: name.into(),
            key_env: Some(key_env.into()),
            keystore: None,
            password_env: None,
            model: model_path.clone(),
            params: params_path.clone(),
            deadline_s: 120,
            slippage_bps: 30,
            max_shrink_steps: shrink,
            force_invalid_every: force,
            strategy,
            solvency: solvency.as_ref().map(|set_up| SolvencyConfig {
                book: set_up.book.clone(),
                schedule: scheduled,
                refresh_before_s: 600,
                // A failure in the demo is a feed left stale by the jump in time: cleared by the
                // next price update.
                retry_after_s: 1,
            }),
        }
    };
    let equal = u32::try_from(10_000 / n).unwrap_or(0);
    let mut weights = vec![equal; n];
    weights[0] += 10_000 - equal * u32::try_from(n).unwrap_or(0);
    let daemon_config = DaemonConfig {
        version: CONFIG_VERSION,
        rpc_url: endpoint.url.clone(),
        chain_id,
        deployment: deployment_path.clone(),
        proving_key: key_path,
        solvency_key: solvency.as_ref().map(|set_up| set_up.key_path.clone()),
        solvency_nats: None,
        journal: journal_path.clone(),
        metrics_listen: None,
        max_concurrent_proofs: 1,
        poll_interval_ms: 50,
        gas: GasPolicy::default(),
        rpc: RpcPolicy::default(),
        // anvil mines only on transactions: a shallow depth lets the demo's trades become
        // final within its run (price updates mine the blocks on top).
        tx: TxPolicy { confirmations: 2, ..TxPolicy::default() },
        supervision: SupervisionPolicy::default(),
        agents: vec![
            agent(
                "rebalancer",
                "PROOFGATE_AGENT_KEY_1",
                StrategyConfig::Rebalance {
                    target_weights_bps: weights,
                    threshold_bps: 150,
                    max_trade_bps: 300,
                },
                4,
                0,
                // Attests on a schedule.
                true,
            ),
            agent(
                "momentum",
                "PROOFGATE_AGENT_KEY_2",
                StrategyConfig::Momentum {
                    lookback: 1,
                    threshold_bps: 100,
                    trade_bps: 6_000,
                    contrarian: false,
                },
                // Aggressive: at its full size the execution-price bound and the risk reference
                // refuse it; halved up to three times, some of its trades pass.
                3,
                options.force_invalid_every,
                // Attests only on demand (the vault's gate is shared: the rebalancer's scheduled
                // attestations keep it open for both).
                false,
            ),
        ],
    };
    let toml_path = dir.join("daemon.toml");
    std::fs::write(&toml_path, daemon_config.to_toml())
        .map_err(|e| Error::Config(format!("{}: {e}", toml_path.display())))?;
    Ok(Prepared {
        constraints,
        setup_s,
        chain_id,
        plan,
        deployment,
        deployment_path,
        daemon_config,
        journal_path,
        provider,
        reserve_feeds,
    })
}

/// Pushes step `step` (1-based) of the demo's price path to every feed; returns the block of
/// the last update. The pools move first, as markets lead oracles: the demo's arbitrageur
/// ([`demo_keeper`]) swaps every pair to the new prices, then the feeds report them.
pub async fn push_prices(prepared: &Prepared, path: &PricePath, step: usize) -> Result<u64> {
    let answers = prepared
        .plan
        .assets
        .iter()
        .enumerate()
        .map(|(index, spec)| {
            path.answers(&spec.feed, index)
                .get(step.saturating_sub(1))
                .copied()
                .ok_or_else(|| Error::Config(format!("the price path has no step {step}")))
        })
        .collect::<Result<Vec<i128>>>()?;
    demo_keeper::align_pools(&prepared.provider, &prepared.deployment, &answers).await?;
    let mut block = 0;
    for (asset, &answer) in prepared.deployment.assets.iter().zip(&answers) {
        let submitted =
            feeds::submit(&prepared.provider, asset.feed, &asset.symbol, answer).await?;
        block = submitted.block_number.unwrap_or(block);
    }
    // The custodian's reporter attests its reserves as often as the price feeds report.
    demo_solvency::refresh_reserves(&prepared.provider, &prepared.reserve_feeds).await?;
    Ok(block)
}

/// The demo's arbitrageur brings every pool back to the feeds' current prices (after the
/// agents' own trades have moved them); returns how many pools it moved.
pub async fn align_pools(prepared: &Prepared) -> Result<usize> {
    let prices = demo_keeper::oracle_prices(&prepared.provider, &prepared.deployment).await?;
    demo_keeper::align_pools(&prepared.provider, &prepared.deployment, &prices).await
}

/// Runs the demo on `endpoint`.
pub async fn run(endpoint: &Endpoint, options: &DemoOptions) -> Result<DemoReport> {
    let prepared = prepare(endpoint, options).await?;
    let Prepared { constraints, setup_s, chain_id, .. } = prepared;
    let (plan, deployment, daemon_config) =
        (&prepared.plan, &prepared.deployment, &prepared.daemon_config);
    let provider = &prepared.provider;
    let mut solvency_log = Vec::new();
    let attesting = prepared.deployment.attestor.is_some();
    if attesting {
        for reserve in &prepared.reserve_feeds {
            solvency_log.push(format!(
                "{}: {} token units held at a custodian count toward solvency through the proof-of-reserve feed {} (read by the attestor)",
                reserve.label, reserve.answer, reserve.feed
            ));
        }
        // Healthy opening attestations, on demand, for both agents.
        for index in 0..endpoint.agents.len() {
            solvency_log.push(attest_on_demand(&prepared, endpoint, index, 0).await?);
        }
    }
    // Halfway through, more than the maximum age passes: the vault's gate closes for
    // risk-increasing trades until the scheduled agent attests again, which reopens it for both
    // (the gate is the vault's). An on-demand attestation while both agents trade would race
    // their trades (an attestation proves the holdings of its block), so the operators attest
    // on demand only at the start, before the daemon runs.
    let stale_step = (attesting && options.steps >= 3).then_some(options.steps as usize / 2);
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let handle = daemon::start_with_signers(
        daemon_config,
        endpoint.agents.to_vec(),
        Faults::default(),
        Some(events_tx),
    )
    .await?;

    // The price path: one update of every feed per step; then wait for both agents to settle.
    let path = PricePath::with_midway_shock(options.seed, options.steps);
    let mut trade_gas = Vec::new();
    let mut prove_s = Vec::new();
    let mut latency_s = Vec::new();
    let mut forced_reverts: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut unsettled_steps = 0;
    let names: Vec<String> = handle.agents.iter().map(|(name, _)| name.clone()).collect();
    let scheduled = daemon_config
        .agents
        .iter()
        .find(|a| a.solvency.as_ref().is_some_and(|s| s.schedule))
        .map(|a| a.name.clone());
    // Let the agents settle on the opening state first.
    let mut updated_block = alloy::providers::Provider::get_block_number(&provider).await?;
    let mut updated_at = Instant::now();
    let mut solvency_paused: BTreeMap<String, u64> = BTreeMap::new();
    for step in 0..=options.steps as usize {
        if stale_step == Some(step) {
            chain::advance_time(provider, demo_solvency::DEMO_MAX_AGE + 1).await?;
            solvency_log.push(format!(
                "step {step}: {} h of chain time pass: every attestation is stale",
                (demo_solvency::DEMO_MAX_AGE + 1) / 3_600
            ));
        }
        if step > 0 {
            updated_block = push_prices(&prepared, &path, step).await?;
            updated_at = Instant::now();
            info!(target: "proofgate::demo", step, block = updated_block, "prices updated");
        }
        let mut settled: BTreeMap<String, bool> =
            names.iter().map(|n| (n.clone(), false)).collect();
        // At the stale step the scheduled agent settles only once it has attested again (prices
        // hold still meanwhile: an attestation proves the prices of its block).
        let mut awaiting_attestation =
            if stale_step == Some(step) { scheduled.clone() } else { None };
        let mut first_trade_seen = false;
        let deadline = Instant::now() + options.settle_timeout;
        while settled.values().any(|s| !s) {
            let remaining = deadline.saturating_duration_since(Instant::now());
            let Ok(Some(event)) = tokio::time::timeout(remaining, events.recv()).await else {
                unsettled_steps += 1;
                break;
            };
            let AgentEvent { agent, block, kind, .. } = event;
            match kind {
                EventKind::Executed { gas_used, prove_s: proving } => {
                    trade_gas.push(gas_used);
                    prove_s.push(proving);
                    if step > 0 && !first_trade_seen {
                        latency_s.push(updated_at.elapsed().as_secs_f64());
                        first_trade_seen = true;
                    }
                }
                EventKind::Reverted { reason, forced: true } => {
                    forced_reverts.entry(agent.clone()).or_default().push(reason);
                    if block >= updated_block {
                        settled.insert(agent, true);
                    }
                }
                EventKind::Attested { epoch, valid_until } => {
                    solvency_log.push(format!(
                        "step {step}: {agent} attested epoch {epoch} on its schedule, fresh until {valid_until}"
                    ));
                    if awaiting_attestation.as_ref() == Some(&agent) {
                        awaiting_attestation = None;
                    }
                }
                EventKind::AttestationFailed { reason } => {
                    solvency_log.push(format!(
                        "step {step}: {agent}'s scheduled attestation failed: {reason}"
                    ));
                    if awaiting_attestation.as_ref() == Some(&agent) {
                        // Agents act on new blocks, and anvil mines only on transactions: the
                        // chain moves on past the agent's retry delay, as a real one would.
                        tokio::time::sleep(Duration::from_millis(1_100)).await;
                        chain::mine(provider).await?;
                    }
                }
                EventKind::SolvencyPaused { valid_until } if block >= updated_block => {
                    let paused = solvency_paused.entry(agent.clone()).or_default();
                    if *paused == 0 {
                        solvency_log.push(format!(
                            "step {step}: {agent} paused for risk-increasing trades (attestation stale since {valid_until})"
                        ));
                    }
                    *paused += 1;
                    if awaiting_attestation.as_ref() != Some(&agent) {
                        settled.insert(agent, true);
                    }
                }
                EventKind::Idle | EventKind::Refused { .. } | EventKind::Reverted { .. }
                    if block >= updated_block && awaiting_attestation.as_ref() != Some(&agent) =>
                {
                    settled.insert(agent, true);
                }
                _ => {}
            }
        }
    }
    handle.stop();
    let journal = handle.journal.clone();
    let agent_addresses = handle.agents.clone();
    handle.join().await?;

    let journal_matches_chain = journal_matches_chain(provider, deployment, plan, &journal).await?;
    let stale_of_entries = stale_proofs(&journal)?;
    let mut agents = BTreeMap::new();
    for ((name, address), config) in agent_addresses.iter().zip(&daemon_config.agents) {
        let statuses = journal.counts(Some(*address)).map_err(prover("journal"))?;
        agents.insert(
            name.clone(),
            AgentSummary {
                address: *address,
                strategy: config.strategy.build().name().to_string(),
                statuses,
                forced_reverts: forced_reverts.remove(name).unwrap_or_default(),
                solvency_paused: solvency_paused.get(name).copied().unwrap_or(0),
                price_bound_refused: journal_refusals(&journal, *address, "Slippage")?,
                loss_budget: loss_budget_use(&prepared, *address, &journal).await?,
            },
        );
    }
    Ok(DemoReport {
        endpoint: format!("{} ({})", endpoint.label, endpoint.url),
        chain_id,
        constraints,
        setup_s,
        deployment: prepared.deployment.clone(),
        deployment_path: prepared.deployment_path.clone(),
        agents,
        trade_gas,
        prove_s,
        latency_s,
        journal_matches_chain,
        unsettled_steps,
        stale_of_entries,
        journal_path: prepared.journal_path.clone(),
        solvency_log,
    })
}

/// How many journal entries were abandoned because the vault's state moved while proving, and
/// how many entries there are.
fn stale_proofs(journal: &Journal) -> Result<(u64, u64)> {
    let entries = journal.history(None, usize::MAX).map_err(prover("journal"))?;
    let stale = entries
        .iter()
        .filter(|e| e.status == Status::Abandoned && e.reason.contains("state moved"))
        .count();
    Ok((stale as u64, entries.len() as u64))
}

/// How many of `agent`'s journaled refusals name `violation`.
fn journal_refusals(journal: &Journal, agent: Address, violation: &str) -> Result<u64> {
    let entries = journal.history(Some(agent), usize::MAX).map_err(prover("journal"))?;
    Ok(entries
        .iter()
        .filter(|e| e.status == Status::Refused && e.reason.contains(violation))
        .count() as u64)
}

/// `agent`'s loss budget: what its trades were charged (journal), and its bucket and capacity
/// now as the vault would compute them (chain).
async fn loss_budget_use(
    prepared: &Prepared,
    agent: Address,
    journal: &Journal,
) -> Result<LossBudgetUse> {
    let charged = journal
        .history(Some(agent), usize::MAX)
        .map_err(prover("journal"))?
        .iter()
        .filter_map(|e| e.settlement)
        .map(|s| u128::try_from(s.shortfall).unwrap_or(u128::MAX))
        .fold(0u128, u128::saturating_add);
    let block = alloy::providers::Provider::get_block_number(&prepared.provider).await?;
    let state = market::read_state(&prepared.provider, &prepared.deployment, agent, block).await?;
    let nav = state.net_asset_value();
    let budget = state.loss_budget;
    let capacity = nav * u128::from(budget.budget_bps) / 10_000;
    let spent_now = capacity - budget.available(nav, state.timestamp);
    Ok(LossBudgetUse { charged, spent_now, capacity })
}

/// Agent `index`'s operator attests its solvency now (what `proofgate-agent attest` does);
/// returns a line for the report.
async fn attest_on_demand(
    prepared: &Prepared,
    endpoint: &Endpoint,
    index: usize,
    step: usize,
) -> Result<String> {
    let config = &prepared.daemon_config;
    let agent = config
        .agents
        .get(index)
        .ok_or_else(|| Error::Config(format!("the demo has no agent {index}")))?;
    let signer = endpoint.agents[index].clone();
    let keys = daemon::load_solvency_key(config, &prepared.deployment)?;
    let attester = daemon::attester_for(agent, &prepared.deployment, &keys)?
        .ok_or_else(|| Error::Config(format!("agent {:?} has no solvency book", agent.name)))?;
    let address = signer.address();
    let provider = chain::connect(endpoint.url.clone(), signer);
    let done =
        solvency::attest_retrying(&provider, &prepared.deployment, address, &attester, 5).await?;
    Ok(format!(
        "step {step}: {} attested epoch {} on demand ({} batches), fresh until {} (proved in {:.2} s, {} gas)",
        agent.name,
        done.epoch,
        done.batch_count,
        done.valid_until,
        done.prove_s,
        done.gas.total()
    ))
}

/// Whether each asset's holding in the vault equals its deposit plus what the journal's executed
/// trades bought minus what they sold.
pub async fn journal_matches_chain<P: alloy::providers::Provider>(
    provider: &P,
    deployment: &DeploymentFile,
    plan: &SystemPlan,
    journal: &Journal,
) -> Result<bool> {
    let mut expected: Vec<U256> = Vec::new();
    for (asset, spec) in deployment.assets.iter().zip(&plan.assets) {
        expected.push(deploy::whole_tokens(spec.deposit_tokens, asset.decimals)?);
    }
    for address in &plan.agents {
        for entry in journal.history(Some(*address), usize::MAX).map_err(prover("journal"))? {
            if entry.status == Status::Executed {
                let (sell, buy) = (usize::from(entry.sell_asset), usize::from(entry.buy_asset));
                expected[sell] -= entry.amount_in;
                // The vault credits what the venue delivered (at least the least amount out).
                expected[buy] += entry.settlement.map_or(entry.amount_out, |s| s.amount_received);
            }
        }
    }
    let vault = IProofGateVault::new(deployment.vault, provider);
    for (index, want) in expected.iter().enumerate() {
        let holding = vault.asset(U256::from(index)).call().await?.holding;
        if holding != *want {
            info!(target: "proofgate::demo", index, %holding, expected = %want, "holding differs from the journal");
            return Ok(false);
        }
    }
    Ok(true)
}

fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied()
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

impl fmt::Display for DemoReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.deployment;
        writeln!(f, "ProofGate demo on {} (chain {})", self.endpoint, self.chain_id)?;
        writeln!(f, "  circuit: {} constraints, development setup in {:.2} s (single party: NOT for production)", self.constraints, self.setup_s)?;
        writeln!(
            f,
            "  deployed: vault {}, registry {} (owned by timelock {}, delay {} s), verifier {}",
            d.vault, d.registry, d.timelock, d.timelock_delay, d.verifier
        )?;
        writeln!(
            f,
            "  {} assets with Chainlink-shaped feeds, {} Uniswap V2 pairs; addresses in {}",
            d.assets.len(),
            d.pairs.len(),
            self.deployment_path.display()
        )?;
        writeln!(f, "  model {} certified through the timelock", d.model_commitment)?;
        writeln!(f)?;
        for (name, agent) in &self.agents {
            let count = |s: Status| agent.statuses.get(&s).copied().unwrap_or(0);
            writeln!(
                f,
                "  agent {name} ({}, {}): executed {}, refused by the reference {}, reverted {}, stale {}, skipped {}",
                agent.strategy,
                agent.address,
                count(Status::Executed),
                count(Status::Refused),
                count(Status::Reverted),
                count(Status::Abandoned),
                count(Status::Skipped),
            )?;
            let usd = |v: u128| v as f64 / 1e8;
            let budget = &agent.loss_budget;
            writeln!(
                f,
                "    loss budget: charged {:.2} USD over the run; {:.2} of {:.2} USD spent now ({:.1} %); refused by the execution-price bound: {}",
                usd(budget.charged),
                usd(budget.spent_now),
                usd(budget.capacity),
                if budget.capacity == 0 { 0.0 } else { 100.0 * budget.spent_now as f64 / budget.capacity as f64 },
                agent.price_bound_refused,
            )?;
            if agent.solvency_paused > 0 {
                writeln!(
                    f,
                    "    risk-increasing proposals held back by the solvency gate: {}",
                    agent.solvency_paused
                )?;
            }
            let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
            for reason in &agent.forced_reverts {
                *reasons.entry(reason.as_str()).or_default() += 1;
            }
            for (reason, count) in reasons {
                writeln!(f, "    forced invalid trades reverted on chain: {count} x {reason}")?;
            }
        }
        writeln!(f)?;
        let gas: Vec<f64> = self.trade_gas.iter().map(|g| *g as f64).collect();
        match (mean(&gas), self.trade_gas.iter().min(), self.trade_gas.iter().max()) {
            (Some(mean), Some(min), Some(max)) => writeln!(
                f,
                "  gas per gated trade (transaction, with the 21,000 base and calldata): mean {mean:.0}, min {min}, max {max} ({} trades)",
                gas.len()
            )?,
            _ => writeln!(f, "  no gated trade executed")?,
        }
        if let Some(mean) = mean(&self.prove_s) {
            writeln!(f, "  proving time per trade: mean {mean:.3} s")?;
        }
        if let Some(median) = median(&self.latency_s) {
            writeln!(
                f,
                "  price update to mined gated trade: median {median:.3} s over {} updates",
                self.latency_s.len()
            )?;
        }
        writeln!(
            f,
            "  vault holdings match the journal: {}",
            if self.journal_matches_chain { "yes" } else { "NO" }
        )?;
        let (stale, entries) = self.stale_of_entries;
        writeln!(
            f,
            "  proofs abandoned because the vault's state moved while proving: {stale} of {entries} journal entries ({:.1} %)",
            if entries == 0 { 0.0 } else { 100.0 * stale as f64 / entries as f64 }
        )?;
        if self.unsettled_steps > 0 {
            writeln!(f, "  {} price steps ended before the agents settled", self.unsettled_steps)?;
        }
        if let Some(attestor) = d.attestor {
            writeln!(f, "  solvency attestations (attestor {attestor}):")?;
            for line in &self.solvency_log {
                writeln!(f, "    {line}")?;
            }
        }
        write!(
            f,
            "  journal: {} (`proofgate-agent history --journal {}`)",
            self.journal_path.display(),
            self.journal_path.display()
        )
    }
}

//! `proofgate-agent`: the agent daemon (`run`), solvency attestations on demand (`attest`), its
//! journal (`history`), and deployment of the whole system to any RPC endpoint (`deploy`).
//!
//! Keys never come from the command line: agents' keys come from the environment variables or
//! keystores their configuration names, the deployer's from `PROOFGATE_PRIVATE_KEY`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use alloy::primitives::Address;
use alloy::providers::Provider;
use alloy::transports::http::reqwest::Url;
use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use proofgate_agents::agent::{Crash, Faults};
use proofgate_agents::chain::{self, PRIVATE_KEY_VAR};
use proofgate_agents::config::DaemonConfig;
use proofgate_agents::daemon::{self, Drain};
use proofgate_agents::deploy::{self, Certification, DeploymentFile, LossBudget, SystemPlan};
use proofgate_agents::journal::{format_history, Journal};
use proofgate_agents::redact::{self, redact};
use proofgate_agents::solvency::{self, ReserveFeedPlan, SolvencyPlan};
use proofgate_agents::Error;
use proofgate_prover::files::{self, VerifyingKeyFile};
use proofgate_prover::solvency::SolvencyKeys;
use proofgate_prover::{Model, RiskParams};
use tokio::signal::unix::{signal, SignalKind};
use tracing::{error, info, warn};

/// The environment variable that injects faults (tests only): `exit-after-prove` (the process
/// exits right after a proof is journaled) or `panic-once` (each agent's task panics once, at
/// its first step, and is restarted by its supervisor).
const FAULT_VAR: &str = "PROOFGATE_FAULT";

/// ProofGate's agent daemon.
#[derive(Debug, Parser)]
#[command(name = "proofgate-agent", version)]
struct Cli {
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// What to do.
    #[command(subcommand)]
    command: Command,
}

/// Log formats.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the agents of a configuration until SIGTERM or SIGINT (Ctrl-C), which drain them:
    /// exit 0 when drained, 4 when the drain timed out, 130 on a second signal, 3 when an agent
    /// failed beyond its restarts, 2 on any other error.
    Run(RunArgs),
    /// Attest the configured agents' solvency now (those with a `solvency` section).
    Attest(AttestArgs),
    /// Print the journal.
    History(HistoryArgs),
    /// Deploy and certify the whole system on a node, and write its addresses.
    Deploy(Box<DeployArgs>),
}

#[derive(Debug, Args)]
struct RunArgs {
    /// The daemon's TOML configuration.
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// Demos and tests: submit every decision as a deliberately invalid trade, to watch the vault
    /// revert it.
    #[arg(long)]
    force_invalid: bool,
}

#[derive(Debug, Args)]
struct AttestArgs {
    /// The daemon's TOML configuration (its `solvency_key` and the agents' `solvency` books).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// Only the agent of this name (default: every agent with a `solvency` section).
    #[arg(long, value_name = "NAME")]
    agent: Option<String>,
}

#[derive(Debug, Args)]
struct HistoryArgs {
    /// The journal database.
    #[arg(long, value_name = "FILE")]
    journal: PathBuf,
    /// Only this agent's entries.
    #[arg(long, value_name = "ADDRESS")]
    agent: Option<Address>,
    /// At most this many entries, newest first.
    #[arg(long, default_value_t = 50)]
    limit: usize,
    /// JSON instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct DeployArgs {
    /// The node. The deployer's key is read from PROOFGATE_PRIVATE_KEY.
    #[arg(long, value_name = "URL")]
    rpc_url: Url,
    /// The verifying key file (`proofgate setup`).
    #[arg(long, value_name = "FILE")]
    vk: PathBuf,
    /// The model to certify.
    #[arg(long, value_name = "FILE")]
    model: PathBuf,
    /// The risk parameters to certify.
    #[arg(long, value_name = "FILE")]
    params: PathBuf,
    /// The ONNX export the model was imported from (`proofgate model import`): the registry
    /// entry's artifacts hash then binds it and the quantised model file.
    #[arg(long, value_name = "FILE")]
    onnx: Option<PathBuf>,
    /// An agent to register (repeat for several).
    #[arg(long = "agent", value_name = "ADDRESS", required = true)]
    agents: Vec<Address>,
    /// Who may pause (default: nobody but the owners).
    #[arg(long, value_name = "ADDRESS")]
    guardian: Option<Address>,
    /// The timelock's delay in seconds (anvil's clock is moved past it; elsewhere it is waited).
    #[arg(long, value_name = "SECONDS", default_value_t = 3_600)]
    timelock_delay: u64,
    /// USD per side of each seeded Uniswap V2 pair.
    #[arg(long, value_name = "USD", default_value_t = 5_000_000)]
    liquidity_usd: u128,
    /// The feeds' heartbeat in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 3_600)]
    heartbeat: u32,
    /// The model's name and version in the registry.
    #[arg(long, default_value = "proofgate-risk-mlp")]
    model_name: String,
    /// The model's version in the registry.
    #[arg(long, default_value = "1.0.0")]
    model_version: String,
    /// Where to write `<chainId>.json`.
    #[arg(long, value_name = "DIR", default_value = "deployments")]
    out: PathBuf,
    /// Also deploy the solvency attestor, with the verifier of this solvency proving key
    /// (`proofgate solvency setup`), and require every agent to attest.
    #[arg(long, value_name = "FILE")]
    solvency_key: Option<PathBuf>,
    /// Largest age of a solvency attestation, seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 86_400)]
    attestation_max_age: u64,
    /// Margin over the liabilities' value, basis points.
    #[arg(long, value_name = "BPS", default_value_t = 500)]
    solvency_margin_bps: u16,
    /// How long an epoch's batch upload may stay unsealed on the attestor, seconds (60 to
    /// 604800).
    #[arg(long, value_name = "S", default_value_t = solvency::DEFAULT_UPLOAD_WINDOW_S)]
    upload_window: u64,
    /// Every asset's haircut, basis points.
    #[arg(long, value_name = "BPS", default_value_t = 9_000)]
    haircut_bps: u16,
    /// A reserve asset's index: agents may buy it without a fresh attestation (repeat).
    #[arg(long = "reserve-asset", value_name = "INDEX")]
    reserve_assets: Vec<u8>,
    /// A proof-of-reserve feed (Chainlink Proof of Reserve's shape) for positions of asset
    /// INDEX the vault holds elsewhere, with the largest age of its answer (repeat; at most one
    /// per asset): the only way such positions count toward solvency.
    #[arg(long = "reserve-feed", value_name = "INDEX:ADDRESS:HEARTBEAT", value_parser = parse_reserve_feed)]
    reserve_feeds: Vec<ReserveFeedPlan>,
    /// Each agent's loss budget: the most the vault lets it lose to execution (what it sells
    /// minus what it receives, at the vault's oracle prices), basis points of the vault's net
    /// asset value.
    #[arg(long, value_name = "BPS", default_value_t = LossBudget::DEFAULT.budget_bps,
          value_parser = clap::value_parser!(u16).range(0..=10_000))]
    loss_budget_bps: u16,
    /// Seconds over which a spent loss budget refills (at least an hour, the registry's minimum).
    #[arg(long, value_name = "SECONDS", default_value_t = LossBudget::DEFAULT.window_s,
          value_parser = clap::value_parser!(u32).range(3_600..))]
    loss_window: u32,
}

/// Parses `INDEX:ADDRESS:HEARTBEAT`.
fn parse_reserve_feed(text: &str) -> std::result::Result<ReserveFeedPlan, String> {
    let parts: Vec<&str> = text.split(':').collect();
    let [asset, feed, heartbeat] = parts[..] else {
        return Err(format!("{text:?} is not INDEX:ADDRESS:HEARTBEAT"));
    };
    let asset = asset.parse().map_err(|e| format!("asset index {asset:?}: {e}"))?;
    let feed = feed.parse().map_err(|e| format!("feed address {feed:?}: {e}"))?;
    let heartbeat: u32 = heartbeat.parse().map_err(|e| format!("heartbeat {heartbeat:?}: {e}"))?;
    if heartbeat == 0 {
        return Err("a reserve feed's heartbeat must be at least one second".into());
    }
    Ok(ReserveFeedPlan { asset, feed, heartbeat })
}

/// Exit codes of `run` (and of any command that fails).
mod exit {
    /// A command failed (configuration, node, journal in use, …).
    pub const FAILED: u8 = 2;
    /// An agent failed more often than the supervision policy allows.
    pub const AGENT_FAILED: u8 = 3;
    /// SIGTERM or SIGINT: the agents did not stop within the drain timeout.
    pub const DRAIN_TIMED_OUT: u8 = 4;
    /// A second SIGTERM or SIGINT during the drain: exited at once.
    pub const INTERRUPTED: u8 = 130;
}

/// How a command ended, when it did not fail outright.
enum Outcome {
    /// Done (exit 0).
    Done,
    /// The daemon ended as this exit code says.
    Exit(u8),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    proofgate_agents::logging::init(matches!(cli.log_format, LogFormat::Json));
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(exit::FAILED);
        }
    };
    let outcome = runtime.block_on(run(cli.command));
    // Agent tasks aborted by a timed-out drain must not hold the exit up.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    match outcome {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::Exit(code)) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {}", redact(&format!("{e:#}")));
            let agent_failed = matches!(e.downcast_ref::<Error>(), Some(Error::AgentFailed { .. }));
            ExitCode::from(if agent_failed { exit::AGENT_FAILED } else { exit::FAILED })
        }
    }
}

async fn run(command: Command) -> Result<Outcome> {
    match command {
        Command::Run(args) => run_daemon(args).await,
        Command::Attest(args) => attest(args).await.map(|()| Outcome::Done),
        Command::History(args) => history(args).map(|()| Outcome::Done),
        Command::Deploy(args) => deploy_system(*args).await.map(|()| Outcome::Done),
    }
}

/// The faults `PROOFGATE_FAULT` asks for (tests only).
fn faults_from_env(force_invalid: bool) -> Result<Faults> {
    let mut faults = Faults { force_invalid_every: u64::from(force_invalid), ..Faults::default() };
    match std::env::var(FAULT_VAR).ok().as_deref() {
        None | Some("") => {}
        Some("exit-after-prove") => faults.crash = Crash::ExitAfterProve,
        Some("panic-once") => faults.panic_on_step = 1,
        Some(other) => {
            bail!("{FAULT_VAR}={other:?}: the faults are exit-after-prove and panic-once")
        }
    }
    Ok(faults)
}

async fn run_daemon(args: RunArgs) -> Result<Outcome> {
    let config = DaemonConfig::load(&args.config)?;
    let faults = faults_from_env(args.force_invalid)?;
    let mut terminate = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("listening for SIGINT")?;
    let mut handle = daemon::start(&config, faults, None).await?;
    if let Some(addr) = handle.metrics_addr {
        info!(target: "proofgate::daemon", %addr, "metrics at http://{addr}/metrics");
    }
    let name = tokio::select! {
        outcome = handle.wait() => {
            outcome?;
            info!(target: "proofgate::daemon", "every agent stopped");
            return Ok(Outcome::Done);
        }
        _ = terminate.recv() => "SIGTERM",
        _ = interrupt.recv() => "SIGINT",
    };
    let timeout = Duration::from_secs(config.supervision.drain_timeout_s);
    warn!(target: "proofgate::daemon", signal = name, timeout_s = timeout.as_secs(), "draining: every agent stops after its current step");
    let drain = tokio::select! {
        drain = handle.drain(timeout) => drain?,
        _ = terminate.recv() => return Ok(interrupted("SIGTERM")),
        _ = interrupt.recv() => return Ok(interrupted("SIGINT")),
    };
    match drain {
        Drain::Drained => {
            info!(target: "proofgate::daemon", "drained");
            Ok(Outcome::Done)
        }
        Drain::TimedOut { running } => {
            error!(target: "proofgate::daemon", agents = ?running, timeout_s = timeout.as_secs(), "drain timed out: these agents did not stop");
            Ok(Outcome::Exit(exit::DRAIN_TIMED_OUT))
        }
    }
}

fn interrupted(signal: &str) -> Outcome {
    warn!(target: "proofgate::daemon", signal, "second signal during the drain: exiting at once");
    Outcome::Exit(exit::INTERRUPTED)
}

async fn attest(args: AttestArgs) -> Result<()> {
    let config = DaemonConfig::load(&args.config)?;
    redact::register_url(&config.rpc_url);
    let deployment = DeploymentFile::read(&config.deployment)?;
    let keys = daemon::load_solvency_key(&config, &deployment)?
        .context("the configuration names no solvency_key")?;
    let mut attested = 0;
    for agent in &config.agents {
        if args.agent.as_ref().is_some_and(|name| name != &agent.name) || agent.solvency.is_none() {
            continue;
        }
        let mut attester = daemon::attester_for(agent, &deployment, &Some(keys.clone()))?
            .context("the agent has no solvency section")?;
        attester.engine = daemon::solvency_engine(&config);
        let signer = agent.signer()?;
        let address = signer.address();
        let provider = chain::connect(config.rpc_url.clone(), signer);
        let outcome = solvency::attest_retrying(&provider, &deployment, address, &attester, 5)
            .await
            .with_context(|| format!("agent {:?} ({address}) could not attest", agent.name))?;
        let gas = &outcome.gas;
        println!(
            "{}: epoch {} attested ({} batches), fresh until {}, root {:#x}, proved in {:.2} s; gas {} (begin {}, batches {}, seal {})",
            agent.name,
            outcome.epoch,
            outcome.batch_count,
            outcome.valid_until,
            outcome.root,
            outcome.prove_s,
            gas.total(),
            gas.begin,
            gas.batches.iter().map(|b| b.gas.to_string()).collect::<Vec<_>>().join("/"),
            gas.seal
        );
        attested += 1;
    }
    if attested == 0 {
        bail!("no agent to attest: none has a solvency section (or none has that name)");
    }
    Ok(())
}

fn history(args: HistoryArgs) -> Result<()> {
    if !args.journal.exists() {
        bail!("{}: no journal there", args.journal.display());
    }
    let journal = Journal::open(&args.journal)?;
    let entries = journal.history(args.agent, args.limit)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&entries)?);
    } else {
        print!("{}", format_history(&entries));
    }
    Ok(())
}

async fn deploy_system(args: DeployArgs) -> Result<()> {
    redact::register_url(&args.rpc_url);
    let signer = chain::signer_from_env(PRIVATE_KEY_VAR)?;
    let deployer = signer.address();
    let vk_file: VerifyingKeyFile = files::read_json(&args.vk).context("the verifying key")?;
    let vk = files::decode_verifying_key(&vk_file)
        .with_context(|| format!("{} is not a valid verifying key", args.vk.display()))?;
    let circuit = vk_file.config.clone();
    let model: Model = files::read_json(&args.model).context("the model")?;
    let onnx = match &args.onnx {
        Some(path) => Some(
            std::fs::read(path)
                .with_context(|| format!("cannot read the ONNX model {}", path.display()))?,
        ),
        None => None,
    };
    model.check_against(&circuit).with_context(|| format!("{}", args.model.display()))?;
    let params: RiskParams = files::read_json(&args.params).context("the risk parameters")?;
    params.check_against(&circuit).with_context(|| format!("{}", args.params.display()))?;
    let assets = deploy::demo_assets();
    if assets.len() != circuit.n_assets {
        bail!(
            "the verifying key is for {} assets; the deployment has {}",
            circuit.n_assets,
            assets.len()
        );
    }
    let verifier = deploy::compile_verifier(&vk, &circuit)?;
    let provider = chain::connect(args.rpc_url.clone(), signer);
    let chain_id = provider.get_chain_id().await.with_context(|| {
        format!("cannot reach the node at {}", redact::redact_url(&args.rpc_url))
    })?;
    let plan = SystemPlan {
        assets,
        pair_liquidity_usd: args.liquidity_usd,
        heartbeat: args.heartbeat,
        timelock_delay: args.timelock_delay,
        guardian: args.guardian.unwrap_or(Address::ZERO),
        verifier_bytecode: verifier.bytecode,
        verifier_key_hash: verifier.key_hash,
        certification: Certification::new(
            &circuit,
            &model,
            &params,
            (args.model_name.clone(), args.model_version.clone()),
            format!("risk limits from {}", args.params.display()),
            (&std::fs::read(&args.model)?, &std::fs::read(&args.params)?),
            onnx.as_deref(),
        )?,
        agents: args.agents.clone(),
        loss_budget: LossBudget { budget_bps: args.loss_budget_bps, window_s: args.loss_window },
    };
    let solvency_keys = match &args.solvency_key {
        Some(path) => {
            let keys = SolvencyKeys::decode(&files::read(path)?)
                .with_context(|| format!("{} is not a valid solvency key", path.display()))?;
            let shape = keys.shape;
            if shape.n_assets != plan.assets.len() {
                bail!(
                    "the solvency key is for {} assets; the deployment has {}",
                    shape.n_assets,
                    plan.assets.len()
                );
            }
            Some(keys)
        }
        None => None,
    };
    let mut reserve_assets = 0u16;
    for &index in &args.reserve_assets {
        if usize::from(index) >= plan.assets.len() {
            bail!("--reserve-asset {index}: the deployment has {} assets", plan.assets.len());
        }
        reserve_assets |= 1 << index;
    }
    let mut deployment =
        deploy::deploy_system(&provider, deployer, &proofgate_toolchain::repo_root(), &plan)
            .await?;
    if let Some(keys) = &solvency_keys {
        let solvency_plan = SolvencyPlan {
            max_age: args.attestation_max_age,
            margin_bps: args.solvency_margin_bps,
            haircuts: vec![args.haircut_bps; plan.assets.len()],
            reserve_assets,
            reserve_feeds: args.reserve_feeds.clone(),
            upload_window: args.upload_window,
        };
        deployment.attestor =
            Some(solvency::deploy_attestor(&provider, &deployment, keys, &solvency_plan).await?);
        deploy::refresh_feeds(&provider, &deployment.assets, &plan).await?;
    }
    let path = DeploymentFile::path_in(&args.out, chain_id);
    deployment.write(&path)?;
    println!("{}", path.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn a_reserve_feed_flag_names_what_is_wrong() {
        let feed = "0x00000000000000000000000000000000000000aa";
        let parsed = parse_reserve_feed(&format!("2:{feed}:86400")).expect("valid");
        assert_eq!((parsed.asset, parsed.heartbeat), (2, 86_400));
        assert!(parse_reserve_feed("2:0xaa").expect_err("short").contains("INDEX:ADDRESS"));
        assert!(parse_reserve_feed(&format!("x:{feed}:1")).expect_err("index").contains("index"));
        assert!(parse_reserve_feed("1:0xzz:1").expect_err("address").contains("feed address"));
        assert!(parse_reserve_feed(&format!("1:{feed}:0"))
            .expect_err("zero")
            .contains("heartbeat"));
    }

    #[test]
    fn there_is_no_private_key_flag() {
        let args = ["proofgate-agent", "deploy", "--private-key", "0x01"];
        assert!(Cli::try_parse_from(args).is_err());
    }
}

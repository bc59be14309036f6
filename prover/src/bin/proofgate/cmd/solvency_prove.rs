//! `proofgate solvency prove` and `proofgate solvency worker`: an epoch's batch proofs on the
//! work queue, in this process (the default) or on workers sharing a NATS JetStream server.
//!
//! Running workers on several machines: start one `nats-server -js -sd DIR` (with
//! `max_payload: 8MB` in its configuration file when batches are large: a job carries its
//! batch's witness, about 400 bytes per depositor at 8 assets), then `proofgate solvency worker
//! --nats nats://HOST:4222 --keys solvency.pk` on each machine, and `proofgate solvency prove
//! --nats nats://HOST:4222 ..` wherever the depositors file is.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy::primitives::Address;
use anyhow::{bail, Context, Result};
use clap::Args;
use proofgate_prover::pipeline::nats::{self, redact_url};
use proofgate_prover::pipeline::{json_handler, Engine, Handler, NatsOptions};
use proofgate_prover::solvency::epoch_proving::prove_epoch_with;
use proofgate_prover::solvency::{
    BatchJob, BatchResult, Depositors, EpochBinding, EpochProofs, EpochRun, EpochTree, SolvencyKeys,
};
use serde_json::json;
use tracing::{info, warn};

use crate::io;
use crate::ui;

/// Test fault hook (tests only, like the agents' `PROOFGATE_FAULT`): a worker sleeps this many
/// milliseconds after taking a batch and before proving it, so that a test can kill it while
/// it holds the batch unacknowledged.
pub const PROVE_DELAY_VAR: &str = "PROOFGATE_TEST_PROVE_DELAY_MS";

/// The work queue's flags, shared by `prove` and `worker`.
#[derive(Debug, Args, Clone, Copy)]
pub struct QueueArgs {
    /// Seconds a taken batch may go without an acknowledgement before NATS redelivers it to
    /// another worker (workers send progress every third of it while proving, so only a dead
    /// or stalled worker's batch is redelivered). The last process to connect sets it for all.
    #[arg(long, value_name = "S", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub ack_wait: u64,
    /// How many times a batch is delivered before the run fails on it. The last process to
    /// connect sets it for all.
    #[arg(long, value_name = "N", default_value_t = 3,
          value_parser = clap::value_parser!(i64).range(1..=1000))]
    pub max_deliver: i64,
}

impl QueueArgs {
    fn options(self, name: Option<String>) -> NatsOptions {
        NatsOptions {
            ack_wait: Duration::from_secs(self.ack_wait),
            max_deliver: self.max_deliver,
            name,
            ..NatsOptions::default()
        }
    }
}

/// Prove every batch of an epoch and write the epoch file: the shape and verifying key, the
/// context every proof binds, each batch's root, sums, public inputs and proof (verifier
/// calldata) in order, and the accumulator and totals (the attestor's liabilitiesRoot and
/// totals once the epoch is sealed). Every result is checked (its statement is the batch's and
/// its proof verifies) before it is accepted. Without --nats the batches are proved here, one
/// after another; with --nats they are published to the NATS JetStream server and proved by
/// `proofgate solvency worker` processes, and a batch whose worker dies is redelivered.
#[derive(Debug, Args)]
pub struct ProveArgs {
    /// The solvency proving key (`proofgate solvency setup`); its shape is the epoch's.
    #[arg(long, value_name = "FILE")]
    pub keys: PathBuf,
    /// The depositors file: {"version":1,"assets":[..],"depositors":[{"id":..,"balances":[..]}]}.
    #[arg(long, value_name = "FILE")]
    pub depositors: PathBuf,
    /// The agent attesting.
    #[arg(long, value_name = "ADDRESS")]
    pub agent: Address,
    /// The attestor contract.
    #[arg(long, value_name = "ADDRESS")]
    pub attestor: Address,
    /// The vault.
    #[arg(long, value_name = "ADDRESS")]
    pub vault: Address,
    /// The chain id.
    #[arg(long, value_name = "ID")]
    pub chain_id: u64,
    /// The epoch (above the vault's last attested and last begun epoch).
    #[arg(long, value_name = "N")]
    pub epoch: u64,
    /// The last block timestamp (unix seconds) at which the attestor accepts the proofs.
    #[arg(long, value_name = "UNIX")]
    pub deadline: u64,
    /// Prove on the workers of this NATS server (nats://[user:password@]host:port; the
    /// credentials are never printed) instead of in this process.
    #[arg(long, value_name = "URL")]
    pub nats: Option<String>,
    #[command(flatten)]
    pub queue: QueueArgs,
    /// Seconds the whole run may take (publishing, proving, collecting).
    #[arg(long, value_name = "S", default_value_t = 86_400,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: u64,
    /// The epoch file to write (refused if it exists, unless --force).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Replace an existing epoch file.
    #[arg(long)]
    pub force: bool,
}

/// Reads and decodes a solvency proving key.
fn load_keys(path: &std::path::Path) -> Result<SolvencyKeys> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read the solvency key {}", path.display()))?;
    SolvencyKeys::decode(&bytes)
        .with_context(|| format!("{} is not a usable solvency key", path.display()))
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

impl ProveArgs {
    /// Proves the epoch and writes the file.
    pub fn run(self) -> Result<()> {
        io::check_writable_file(&self.out)?;
        if self.out.exists() && !self.force {
            bail!("{} exists (use --force to replace it)", self.out.display());
        }
        let keys = Arc::new(load_keys(&self.keys)?);
        let depositors: Depositors = io::read_json(&self.depositors, "depositors")?;
        let shape = keys.shape;
        if depositors.n_assets() != shape.n_assets {
            bail!(
                "{} has {} assets, the key {} proves {}",
                self.depositors.display(),
                depositors.n_assets(),
                self.keys.display(),
                shape.n_assets
            );
        }
        let tree = EpochTree::build(&depositors, shape)
            .with_context(|| format!("cannot build the epoch of {}", self.depositors.display()))?;
        let binding = EpochBinding {
            agent: self.agent.into_array(),
            attestor: self.attestor.into_array(),
            vault: self.vault.into_array(),
            chain_id: self.chain_id,
            epoch: self.epoch,
            deadline: self.deadline,
        };
        let run = EpochRun::new(&tree, &binding, &keys).context("cannot make the batch jobs")?;
        let (engine, shown) = match &self.nats {
            Some(url) => (
                Engine::Nats { url: url.clone(), options: self.queue.options(None) },
                Some(redact_url(url)),
            ),
            None => (Engine::InProcess, None),
        };
        let count = run.jobs.len();
        info!(run = %run.id, batches = count, depositors = depositors.len(),
            engine = shown.as_deref().unwrap_or("in-process"), "proving the epoch");
        let bar = ui::bar(count as u64, "batches proved");
        let on_accept = |r: &BatchResult| {
            bar.inc(1);
            info!(batch = r.batch_index, worker = %r.worker, prove_s = r.prove_s, "batch accepted");
        };
        let started = Instant::now();
        let results = runtime()?.block_on(prove_epoch_with(
            Arc::clone(&keys),
            run.jobs.clone(),
            &engine,
            Duration::from_secs(self.timeout),
            &on_accept,
        ));
        bar.finish_and_clear();
        let results = results.with_context(|| match &shown {
            Some(url) => format!("proving epoch {} on the workers of {url} failed", self.epoch),
            None => format!("proving epoch {} failed", self.epoch),
        })?;
        let seconds = started.elapsed().as_secs_f64();
        let file = EpochProofs::new(&tree, &binding, keys.vk_hash()?, &run.id, results)?;
        let mut bytes = serde_json::to_vec_pretty(&file)?;
        bytes.push(b'\n');
        proofgate_prover::files::write_atomic(&self.out, &bytes)?;
        emit_prove(&self, &file, shown.as_deref(), seconds)
    }
}

fn emit_prove(
    args: &ProveArgs,
    file: &EpochProofs,
    nats: Option<&str>,
    seconds: f64,
) -> Result<()> {
    let totals: Vec<String> = file.totals.iter().map(ToString::to_string).collect();
    let accumulator = format!("0x{}", hex::encode(file.accumulator));
    let workers = file.workers();
    let batch_prove_s: f64 = file.batches.iter().map(|r| r.prove_s).sum();
    ui::emit(
        &json!({
            "out": args.out,
            "run": file.run,
            "engine": if nats.is_some() { "nats" } else { "in-process" },
            "nats": nats,
            "shape": file.shape,
            "vk_hash": file.vk_hash,
            "epoch": file.context.epoch,
            "depositors": file.depositors,
            "batch_count": file.batch_count,
            "accumulator": accumulator,
            "totals": totals,
            "workers": workers,
            "seconds": seconds,
            "batch_prove_seconds": batch_prove_s,
        }),
        || {
            let named: Vec<String> =
                file.assets.iter().zip(&totals).map(|(a, t)| format!("{a} {t}")).collect();
            let by: Vec<String> = workers.iter().map(|(w, n)| format!("{w} {n}")).collect();
            format!(
                "epoch {} of {} depositors: {} batches of 2^{} proved in {seconds:.1} s ({}) \
                 and written to {}\n\
                 accumulator: {accumulator} (the attestor's liabilitiesRoot once sealed)\n\
                 totals:      {}\n\
                 batches by:  {}",
                file.context.epoch,
                file.depositors,
                file.batch_count,
                file.shape.batch_depth,
                nats.map_or_else(|| "in process".to_string(), |u| format!("on the workers of {u}")),
                args.out.display(),
                named.join(", "),
                by.join(", "),
            )
        },
    )
}

/// Prove batches for `proofgate solvency prove --nats` runs: take one batch at a time from the
/// NATS JetStream server, prove it with the key (a batch of another shape or key is refused,
/// failing its run), publish the result, acknowledge the batch. Runs until SIGTERM or Ctrl-C,
/// which stop it after the batch it is proving. Start as many as there are machines (each
/// proof uses every core of its machine).
#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// The NATS server (nats://[user:password@]host:port; the credentials are never printed).
    #[arg(long, value_name = "URL")]
    pub nats: String,
    /// The solvency proving key; it proves only batches of its shape and verifying key.
    #[arg(long, value_name = "FILE")]
    pub keys: PathBuf,
    /// This worker's name in results and logs (default: <host>-<pid>).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    #[command(flatten)]
    pub queue: QueueArgs,
}

/// The test fault hook's delay, if set.
fn prove_delay() -> Result<Option<Duration>> {
    match std::env::var(PROVE_DELAY_VAR).ok().as_deref() {
        None | Some("") => Ok(None),
        Some(ms) => {
            let ms: u64 = ms.parse().with_context(|| {
                format!("{PROVE_DELAY_VAR}={ms:?}: milliseconds (a test fault hook) expected")
            })?;
            warn!("{PROVE_DELAY_VAR}={ms}: test fault hook, sleeping {ms} ms before each proof");
            Ok(Some(Duration::from_millis(ms)))
        }
    }
}

/// The worker's handler: logs each batch as it starts and with its prove time when done.
fn worker_handler(
    keys: Arc<SolvencyKeys>,
    worker: String,
    delay: Option<Duration>,
) -> impl Handler {
    json_handler(move |job: BatchJob| {
        let batch = job.statement.batch_index;
        info!(run = %job.run, batch, batch_count = job.statement.batch_count, "proving batch");
        if let Some(delay) = delay {
            std::thread::sleep(delay);
        }
        let started = Instant::now();
        match keys.prove_job(&job, &worker, &mut rand::rngs::OsRng) {
            Ok(result) => {
                info!(run = %job.run, batch, prove_s = result.prove_s, "batch proved");
                Ok(result)
            }
            Err(e) => {
                warn!(run = %job.run, batch, secs = started.elapsed().as_secs_f64(), error = %e,
                    "batch refused");
                Err(format!("batch {batch}: {e}"))
            }
        }
    })
}

impl WorkerArgs {
    /// Runs the worker until a signal stops it.
    pub fn run(self) -> Result<()> {
        let keys = Arc::new(load_keys(&self.keys)?);
        let delay = prove_delay()?;
        let options = self.queue.options(self.name.clone());
        let name = options.process_name();
        let shown = redact_url(&self.nats);
        info!(worker = %name, nats = %shown, shape = ?keys.shape, "solvency worker starting");
        let handler: Arc<dyn Handler> =
            Arc::new(worker_handler(Arc::clone(&keys), name.clone(), delay));
        let stats = runtime()?
            .block_on(nats::run_worker(&self.nats, &options, handler))
            .with_context(|| format!("the worker on {shown} stopped"))?;
        ui::emit(
            &json!({
                "worker": name, "nats": shown, "done": stats.done, "failed": stats.failed,
                "malformed": stats.malformed,
            }),
            || {
                format!(
                    "worker {name} stopped: {} batches proved, {} refused, {} malformed messages",
                    stats.done, stats.failed, stats.malformed
                )
            },
        )
    }
}

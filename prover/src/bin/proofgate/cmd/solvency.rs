//! `proofgate solvency setup`, `build` and `check-inclusion`: the batch circuit's keys, an
//! epoch's batches of a fund's liabilities to its depositors (see
//! [`proofgate_prover::solvency`] for the hashing and the chain), and a depositor's check that
//! its balances are counted in the published accumulator and totals.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use proofgate_prover::solvency::{
    Depositors, EpochSummary, EpochTree, SolvencyKeys, SolvencyShape, DEFAULT_BALANCE_BITS,
    DEFAULT_BATCH_DEPTH,
};
use serde_json::json;
use tracing::{info, warn};

use crate::io::{self, Staged};
use crate::ui;

#[path = "solvency_chain.rs"]
mod solvency_chain;
#[path = "solvency_check.rs"]
mod solvency_check;
#[path = "solvency_prove.rs"]
mod solvency_prove;
pub use solvency_check::{CheckInclusionArgs, CHECK_EXIT_STATUS, REVEALS};

/// The summary's file name in a build's directory.
pub const SUMMARY: &str = "summary.json";
/// The directory of inclusion proofs (`<index>.json`) in a build's directory.
pub const INCLUSION: &str = "inclusion";

/// Solvency attestations: an epoch's batches and depositors' inclusion proofs.
#[derive(Debug, Subcommand)]
pub enum SolvencyCommand {
    /// Generate the batch circuit's proving key (single-party: development only) for N assets,
    /// balances of B bits and batches of 2^K depositors; the agent daemon proves attestations
    /// with it and `proofgate-agent deploy --solvency-key` deploys its verifier.
    Setup(SetupArgs),
    /// Build an epoch of a depositors file: write the summary (every batch's root and sums, the
    /// accumulator and totals) and every depositor's inclusion proof.
    Build(BuildArgs),
    /// Check a depositor's inclusion proof against the attestation on chain (--rpc-url), an
    /// explicit accumulator and totals, or the operator's build output (--summary).
    #[command(after_help = format!("{REVEALS}\n\n{CHECK_EXIT_STATUS}"))]
    CheckInclusion(CheckInclusionArgs),
    /// Prove an epoch's batches, in this process or on workers of a NATS server (--nats), and
    /// write the epoch file (every batch's proof, the accumulator and totals).
    Prove(solvency_prove::ProveArgs),
    /// Prove batches for `solvency prove --nats` runs until SIGTERM or Ctrl-C.
    Worker(solvency_prove::WorkerArgs),
}

impl SolvencyCommand {
    /// Runs the subcommand.
    pub fn run(self) -> Result<()> {
        match self {
            SolvencyCommand::Setup(args) => args.run(),
            SolvencyCommand::Build(args) => args.run(),
            SolvencyCommand::CheckInclusion(args) => args.run(),
            SolvencyCommand::Prove(args) => args.run(),
            SolvencyCommand::Worker(args) => args.run(),
        }
    }
}

/// The batch shape's flags.
#[derive(Debug, Args, Clone, Copy)]
pub struct ShapeArgs {
    /// Bit width of a balance: every balance is below 2^B (64 is only about 18.4 whole tokens
    /// of an 18-decimal asset; up to 128).
    #[arg(long, value_name = "B", default_value_t = DEFAULT_BALANCE_BITS)]
    pub balance_bits: u32,
    /// Depth of a batch: 2^K depositors per batch proof (0..=20).
    #[arg(long, value_name = "K", default_value_t = DEFAULT_BATCH_DEPTH)]
    pub batch_depth: u32,
}

impl ShapeArgs {
    /// The shape for `n_assets` assets.
    fn shape(self, n_assets: usize) -> Result<SolvencyShape> {
        SolvencyShape::new(n_assets, self.balance_bits, self.batch_depth)
            .context("the batch shape is not supported")
    }
}

/// Write the solvency proving key file (it embeds its verifying key).
#[derive(Debug, Args)]
pub struct SetupArgs {
    /// Number of assets (the vault's).
    #[arg(long, value_name = "N")]
    pub assets: usize,
    #[command(flatten)]
    pub shape: ShapeArgs,
    /// The key file to write (refused if it exists, unless --force).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Replace an existing key file.
    #[arg(long)]
    pub force: bool,
}

impl SetupArgs {
    /// Runs the setup.
    pub fn run(self) -> Result<()> {
        let shape = self.shape.shape(self.assets)?;
        io::check_writable_file(&self.out)?;
        if self.out.exists() && !self.force {
            bail!("{} exists (use --force to replace it)", self.out.display());
        }
        warn!("single-party setup: whoever knows its randomness can forge attestations; for development only");
        let mut rng = rand::rngs::OsRng;
        let (keys, setup_s) =
            ui::timed("generating the solvency keys", || SolvencyKeys::setup(shape, &mut rng));
        let keys = keys.context("solvency key generation failed")?;
        let bytes = keys.encode().context("cannot encode the solvency key")?;
        proofgate_prover::files::write_atomic(&self.out, &bytes)?;
        let vk_hash = keys.vk_hash()?;
        ui::emit(
            &json!({
                "key": self.out, "shape": shape, "public_inputs": shape.public_input_count(),
                "bytes": bytes.len(), "vk_hash": vk_hash, "setup_s": setup_s,
            }),
            || {
                format!(
                    "wrote {} ({}, {} assets, {}-bit balances, batches of 2^{}), verifying key \
                     {vk_hash}, in {setup_s:.1} s",
                    self.out.display(),
                    ui::bytes(bytes.len() as u64),
                    shape.n_assets,
                    shape.balance_bits,
                    shape.batch_depth
                )
            },
        )
    }
}

/// Write DIR/summary.json (the shape, every batch's root and sums, the accumulator, which the
/// attestor stores as liabilitiesRoot, and the totals) and DIR/inclusion/<j>.json for depositor
/// j (in file order). All files or none are written.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The depositors file: {"version":1,"assets":[..],"depositors":[{"id":..,"balances":[..]}]}.
    #[arg(long, value_name = "FILE")]
    pub depositors: PathBuf,
    #[command(flatten)]
    pub shape: ShapeArgs,
    /// Directory to write to (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Replace a previous build in DIR: its summary and its whole inclusion/ directory.
    #[arg(long)]
    pub force: bool,
}

impl BuildArgs {
    /// Builds the epoch and writes the files.
    pub fn run(self) -> Result<()> {
        let depositors: Depositors = io::read_json(&self.depositors, "depositors")?;
        let shape = self.shape.shape(depositors.n_assets())?;
        io::check_no_overwrite(&self.out, &[SUMMARY, INCLUSION], self.force)?;
        let (tree, seconds) =
            ui::timed("building the batches", || EpochTree::build(&depositors, shape));
        let tree = tree
            .with_context(|| format!("cannot build the epoch of {}", self.depositors.display()))?;
        let summary = tree.summary();

        // Declared first, dropped last: an abandoned build removes the proofs, then the summary.
        let mut staged = Staged::in_dir(&self.out)?;
        let mut proofs = StagedDir::new(&self.out.join(INCLUSION))?;
        let start = std::time::Instant::now();
        write_proofs(&tree, &proofs)?;
        staged.add_json(&self.out.join(SUMMARY), &summary)?;
        proofs.swap()?;
        staged.commit()?;
        proofs.finish();
        let write_seconds = start.elapsed().as_secs_f64();
        info!(
            out = %self.out.display(),
            depositors = depositors.len(),
            batches = tree.batch_count(),
            seconds,
            write_seconds,
            "epoch written"
        );
        emit_build(&self, &summary, seconds, write_seconds)
    }
}

fn emit_build(
    args: &BuildArgs,
    summary: &EpochSummary,
    seconds: f64,
    write_seconds: f64,
) -> Result<()> {
    let totals: Vec<String> = summary.chain.totals.iter().map(ToString::to_string).collect();
    let accumulator = format!("0x{}", hex::encode(summary.chain.accumulator));
    ui::emit(
        &json!({
            "out": args.out,
            "summary": args.out.join(SUMMARY),
            "inclusion": args.out.join(INCLUSION),
            "shape": summary.shape,
            "assets": summary.assets,
            "depositors": summary.depositors,
            "batch_count": summary.batch_count,
            "accumulator": accumulator,
            "totals": totals,
            "build_seconds": seconds,
            "write_seconds": write_seconds,
        }),
        || {
            let named: Vec<String> =
                summary.assets.iter().zip(&totals).map(|(a, t)| format!("{a} {t}")).collect();
            format!(
                "epoch of {} depositors over {} assets in {} batches of 2^{} written to {}: \
                 {SUMMARY} and {INCLUSION}/<index>.json\n\
                 accumulator: {accumulator} (the attestor's liabilitiesRoot)\n\
                 totals:      {}",
                summary.depositors,
                summary.shape.n_assets,
                summary.batch_count,
                summary.shape.batch_depth,
                args.out.display(),
                named.join(", "),
            )
        },
    )
}

/// Writes every depositor's proof into `dir`, each file synced, on [`WRITERS`] threads (syncs
/// of many small files overlap on the disk; one at a time they take milliseconds each).
fn write_proofs(tree: &EpochTree, dir: &StagedDir) -> Result<()> {
    let count = tree.depositors().len();
    let bar = ui::bar(count as u64, "writing inclusion proofs");
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let write_one = |k: usize| -> Result<()> {
        let proof = tree.inclusion_proof(k)?;
        let mut bytes = serde_json::to_vec_pretty(&proof)?;
        bytes.push(b'\n');
        let name = format!("{k}.json");
        let write = || -> std::io::Result<()> {
            let mut file = fs::File::create(dir.tmp.join(&name))?;
            file.write_all(&bytes)?;
            file.sync_all()
        };
        write().with_context(|| format!("cannot write {}", dir.dest.join(&name).display()))
    };
    let result = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..WRITERS.min(count))
            .map(|_| {
                scope.spawn(|| -> Result<()> {
                    loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        if k >= count || failed.load(Ordering::Relaxed) {
                            return Ok(());
                        }
                        write_one(k).inspect_err(|_| failed.store(true, Ordering::Relaxed))?;
                        bar.inc(1);
                    }
                })
            })
            .collect();
        workers.into_iter().try_for_each(|worker| match worker.join() {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        })
    });
    bar.finish_and_clear();
    result
}

/// Threads writing proofs.
const WRITERS: usize = 16;

/// A directory written under a temporary name beside `dest` and swapped in whole, so readers
/// see the previous directory or the new one, never a mix. Dropped before [`StagedDir::finish`],
/// it removes what it wrote and puts back the directory it replaced.
#[derive(Debug)]
struct StagedDir {
    tmp: PathBuf,
    dest: PathBuf,
    /// The replaced directory, once swapped.
    backup: Option<PathBuf>,
    swapped: bool,
    finished: bool,
}

impl StagedDir {
    /// Creates the temporary directory beside `dest` (whose parent must exist).
    fn new(dest: &Path) -> Result<Self> {
        if dest.exists() && !dest.is_dir() {
            bail!("{} exists and is not a directory", dest.display());
        }
        let tmp = beside(dest, "tmp");
        fs::create_dir(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
        let dest = dest.to_path_buf();
        Ok(Self { tmp, dest, backup: None, swapped: false, finished: false })
    }

    /// Moves the directory into place, keeping the one it replaces until [`Self::finish`].
    fn swap(&mut self) -> Result<()> {
        let sync = || fs::File::open(&self.tmp).and_then(|dir| dir.sync_all());
        sync().with_context(|| format!("cannot write {}", self.dest.display()))?;
        if self.dest.exists() {
            let backup = beside(&self.dest, "old");
            fs::rename(&self.dest, &backup)
                .with_context(|| format!("cannot replace {}", self.dest.display()))?;
            self.backup = Some(backup);
        }
        fs::rename(&self.tmp, &self.dest)
            .with_context(|| format!("cannot write {}", self.dest.display()))?;
        self.swapped = true;
        Ok(())
    }

    /// Removes the replaced directory (a failure only leaves it behind, named in a warning).
    fn finish(mut self) {
        self.finished = true;
        if let Some(backup) = self.backup.take() {
            if let Err(e) = fs::remove_dir_all(&backup) {
                warn!(dir = %backup.display(), "cannot remove the replaced proofs: {e}");
            }
        }
    }
}

impl Drop for StagedDir {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        if self.swapped {
            let _ = fs::remove_dir_all(&self.dest);
        } else {
            let _ = fs::remove_dir_all(&self.tmp);
        }
        if let Some(backup) = &self.backup {
            let _ = fs::rename(backup, &self.dest);
        }
    }
}

/// `.<name>.<what>-<pid>` beside `path`.
fn beside(path: &Path, what: &str) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    dir.join(format!(".{name}.{what}-{}", std::process::id()))
}

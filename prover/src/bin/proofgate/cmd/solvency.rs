//! `proofgate solvency setup`, `build` and `check-inclusion`: the solvency circuit's keys, the
//! Merkle-sum tree of a fund's liabilities to its depositors (see [`proofgate_prover::solvency`]
//! for the hashing), and a depositor's check that its balances are counted in the published root.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use alloy::primitives::Address;
use anyhow::{bail, Context, Result};
use ark_bn254::Fr;
use clap::{ArgGroup, Args, Subcommand};
use proofgate_prover::serde_fr::{parse_decimal, to_decimal};
use proofgate_prover::solvency::{
    check_assets, check_inclusion, check_shape, parse_hex, Depositors, InclusionProof, NotIncluded,
    SolvencyKeys, SumTree, TreeRoot, TreeSummary, DEFAULT_DEPTH,
};
use proofgate_prover::statement::fr_to_hex;
use proofgate_prover::Error;
use serde_json::{json, Value};
use tracing::{info, warn};

use crate::io::{self, Staged};
use crate::ui::{self, Rejected};

#[path = "solvency_chain.rs"]
mod solvency_chain;
use solvency_chain::{BlockChoice, ChainAttestation, ChainSource};

/// The summary's file name in a build's directory.
pub const SUMMARY: &str = "summary.json";
/// The directory of inclusion proofs (`<index>.json`) in a build's directory.
pub const INCLUSION: &str = "inclusion";

/// The exit statuses of `check-inclusion`, for its `--help`.
pub const CHECK_EXIT_STATUS: &str = "\
Exit status:
  0  INCLUDED: the proof recomputes the root hash and totals checked against
  1  NOT INCLUDED: the path leads to another root hash, a total or the depth differs, a balance
     is 2^64 or more, a sibling's sum or the path's running sum exceeds a total, or (with
     --rpc-url) a column of the proof names another asset than the vault's token symbol there
  2  bad input: a file is unreadable or malformed, a value is not a field element, the summary
     or the proof is inconsistent or of an old version; with --rpc-url: the node is unreachable,
     there is no contract code at the vault, its registry or the attestor address, the vault's
     registry names another attestor than --attestor, the vault has no attestation (of the
     epoch) at the block read, there is no SolvencyAttested event for the epoch, or the event
     disagrees with the attestor's storage";

/// Solvency attestations: the liabilities tree and depositors' inclusion proofs.
#[derive(Debug, Subcommand)]
pub enum SolvencyCommand {
    /// Generate the solvency circuit's proving key (single-party: development only) for N
    /// assets and a tree of depth D; the agent daemon proves attestations with it and
    /// `proofgate-agent deploy --solvency-key` deploys its verifier.
    Setup(SetupArgs),
    /// Build the liabilities tree of a depositors file: write the summary (root hash and
    /// totals) and every depositor's inclusion proof.
    Build(BuildArgs),
    /// Check a depositor's inclusion proof against the attestation on chain (--rpc-url), an
    /// explicit root hash and totals, or the operator's build output (--summary).
    #[command(after_help = format!("{REVEALS}\n\n{CHECK_EXIT_STATUS}"))]
    CheckInclusion(CheckInclusionArgs),
}

impl SolvencyCommand {
    /// Runs the subcommand.
    pub fn run(self) -> Result<()> {
        match self {
            SolvencyCommand::Setup(args) => args.run(),
            SolvencyCommand::Build(args) => args.run(),
            SolvencyCommand::CheckInclusion(args) => args.run(),
        }
    }
}

/// Write the solvency proving key file (it embeds its verifying key).
#[derive(Debug, Args)]
pub struct SetupArgs {
    /// Number of assets (the vault's).
    #[arg(long, value_name = "N")]
    pub assets: usize,
    /// The tree's depth: 2^D depositors.
    #[arg(long, value_name = "D", default_value_t = DEFAULT_DEPTH)]
    pub depth: u32,
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
        check_shape(self.depth, self.assets).context("the solvency circuit is not supported")?;
        io::check_writable_file(&self.out)?;
        if self.out.exists() && !self.force {
            bail!("{} exists (use --force to replace it)", self.out.display());
        }
        warn!("single-party setup: whoever knows its randomness can forge attestations; for development only");
        let mut rng = rand::rngs::OsRng;
        let (keys, setup_s) = ui::timed("generating the solvency keys", || {
            SolvencyKeys::setup(self.assets, self.depth, &mut rng)
        });
        let keys = keys.context("solvency key generation failed")?;
        let bytes = keys.encode().context("cannot encode the solvency key")?;
        proofgate_prover::files::write_atomic(&self.out, &bytes)?;
        let vk_hash = keys.vk_hash()?;
        ui::emit(
            &json!({
                "key": self.out, "assets": self.assets, "depth": self.depth,
                "bytes": bytes.len(), "vk_hash": vk_hash, "setup_s": setup_s,
            }),
            || {
                format!(
                    "wrote {} ({}, {} assets, depth {}), verifying key {vk_hash}, in {setup_s:.1} s",
                    self.out.display(),
                    ui::bytes(bytes.len() as u64),
                    self.assets,
                    self.depth
                )
            },
        )
    }
}

/// Write DIR/summary.json (depth, root hash and per-asset totals: what the agent attests, the
/// attestor storing the root hash as liabilitiesRoot) and DIR/inclusion/<k>.json for depositor
/// k (in file order). All files or none are written.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The depositors file: {"version":1,"assets":[..],"depositors":[{"id":..,"balances":[..]}]}.
    #[arg(long, value_name = "FILE")]
    pub depositors: PathBuf,
    /// The tree's depth: 2^D leaves, at most 32.
    #[arg(long, value_name = "D", default_value_t = DEFAULT_DEPTH)]
    pub depth: u32,
    /// Directory to write to (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Replace a previous build in DIR: its summary and its whole inclusion/ directory.
    #[arg(long)]
    pub force: bool,
}

impl BuildArgs {
    /// Builds the tree and writes the files.
    pub fn run(self) -> Result<()> {
        let depositors: Depositors = io::read_json(&self.depositors, "depositors")?;
        check_shape(self.depth, depositors.n_assets()).context("the tree is not supported")?;
        io::check_no_overwrite(&self.out, &[SUMMARY, INCLUSION], self.force)?;
        let (tree, seconds) =
            ui::timed("building the tree", || SumTree::build(&depositors, self.depth));
        let tree = tree
            .with_context(|| format!("cannot build the tree of {}", self.depositors.display()))?;
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
            depth = self.depth,
            seconds,
            write_seconds,
            "liabilities tree written"
        );
        emit_build(&self, &summary, seconds, write_seconds)
    }
}

fn emit_build(
    args: &BuildArgs,
    summary: &TreeSummary,
    seconds: f64,
    write_seconds: f64,
) -> Result<()> {
    let totals: Vec<String> = summary.totals.iter().map(to_decimal).collect();
    let root = fr_to_hex(&summary.root);
    ui::emit(
        &json!({
            "out": args.out,
            "summary": args.out.join(SUMMARY),
            "inclusion": args.out.join(INCLUSION),
            "depth": summary.depth,
            "assets": summary.assets,
            "depositors": summary.depositors,
            "root": root,
            "totals": totals,
            "build_seconds": seconds,
            "write_seconds": write_seconds,
        }),
        || {
            let named: Vec<String> =
                summary.assets.iter().zip(&totals).map(|(a, t)| format!("{a} {t}")).collect();
            format!(
                "liabilities tree of {} depositors over {} assets (depth {}) written to {}: \
                 {SUMMARY} and {INCLUSION}/<index>.json\n\
                 root hash: {root} (the attestor's liabilitiesRoot)\n\
                 totals:    {}",
                summary.depositors,
                summary.n_assets,
                summary.depth,
                args.out.display(),
                named.join(", "),
            )
        },
    )
}

/// Writes every depositor's proof into `dir`, each file synced, on [`WRITERS`] threads (syncs
/// of many small files overlap on the disk; one at a time they take milliseconds each).
fn write_proofs(tree: &SumTree, dir: &StagedDir) -> Result<()> {
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

/// What an inclusion proof reveals, for `check-inclusion --help`.
pub const REVEALS: &str = "\
What an inclusion proof reveals (to whoever holds the file):
  - the depositor's id string and balances;
  - each sibling's hash and per-asset sums up the path. The level-0 sibling is one neighbouring
    leaf, so its sums ARE that neighbour's balances; its identity stays behind its leaf hash,
    which commits to a hash of its id. That hides the id only as well as the id is hard to guess
    (a guess can be hashed with the revealed balances and compared), so operators should give
    depositors salted ids. Higher siblings reveal the sums of ever larger groups of depositors.";

/// Check a depositor's inclusion proof: recompute the path from the depositor's leaf, with
/// every level's sums hashed into its node and checked against the totals, and compare the
/// result with the root hash and totals of the attestation on chain (--rpc-url), given
/// explicitly (--root/--totals), or in the operator's build output (--summary). Prints INCLUDED
/// or NOT INCLUDED with the reason.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("against").required(true).args(["rpc_url", "summary", "root"])))]
pub struct CheckInclusionArgs {
    /// The depositor's inclusion proof (inclusion/<index>.json, as `build` writes it).
    #[arg(long, value_name = "FILE")]
    pub proof: PathBuf,
    /// Check against the attestation on chain: the JSON-RPC URL of a node (with --attestor and
    /// --vault). The attestor must be the one the vault's registry names (vault.REGISTRY(),
    /// registry.attestor()). The root hash and totals are those of the attestor's
    /// SolvencyAttested event (for the latest attestation, checked against the root hash and
    /// totals hash it stores); the proof's asset columns must be the symbols of the vault's
    /// tokens, in order. Every read is pinned to one block (--block).
    #[arg(long, value_name = "URL", requires_all = ["attestor", "vault"])]
    pub rpc_url: Option<String>,
    /// The solvency attestor you expect (with --rpc-url): refused unless the vault's registry
    /// names it.
    #[arg(long, value_name = "ADDRESS", requires = "rpc_url")]
    pub attestor: Option<Address>,
    /// The vault's address (with --rpc-url).
    #[arg(long, value_name = "ADDRESS", requires = "rpc_url")]
    pub vault: Option<Address>,
    /// The attestation's epoch (with --rpc-url; default: the vault's latest attestation).
    #[arg(long, value_name = "N", requires = "rpc_url")]
    pub epoch: Option<u64>,
    /// The first block to search for the attestor's events (with --rpc-url; default 0).
    #[arg(long, value_name = "B", requires = "rpc_url")]
    pub from_block: Option<u64>,
    /// The block every chain read is pinned to (with --rpc-url): finalized (the latest block
    /// when the node reports no finalized block), safe, latest, or a block number. An
    /// attestation newer than the finalized block is not seen until it is final.
    #[arg(long, value_name = "TAG|N", requires = "rpc_url", default_value_t = BlockChoice::Finalized)]
    pub block: BlockChoice,
    /// Check against the operator's build output (summary.json): its depth, root hash and
    /// totals. This trusts the file the operator hands out; --rpc-url checks against the chain.
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
    /// Check against this root hash (with --totals): the attestor's liabilitiesRoot.
    #[arg(long, value_name = "0x..", requires = "totals", value_parser = hex_arg)]
    pub root: Option<Fr>,
    /// The per-asset totals, decimal, comma separated (with --root).
    #[arg(long, value_name = "T,T,..", value_delimiter = ',', requires = "root", value_parser = decimal_arg)]
    pub totals: Vec<Fr>,
    /// The tree's depth, with --root or --rpc-url (default: the proof's path length, which the
    /// root hash binds).
    #[arg(long, value_name = "D", conflicts_with = "summary")]
    pub depth: Option<u32>,
}

fn hex_arg(s: &str) -> Result<Fr, String> {
    parse_hex(s).map_err(|e| e.to_string())
}

fn decimal_arg(s: &str) -> Result<Fr, String> {
    parse_decimal(s).map_err(|e| e.to_string())
}

/// Where the root hash and totals checked against came from.
enum Against {
    Chain(ChainAttestation),
    Explicit,
    Summary(PathBuf),
}

impl CheckInclusionArgs {
    /// Runs the check.
    pub fn run(self) -> Result<()> {
        let proof: InclusionProof = io::read_json(&self.proof, "inclusion proof")?;
        proof
            .check_version()
            .with_context(|| format!("{} is not a usable inclusion proof", self.proof.display()))?;
        let (expected, against) = self.expected(&proof)?;
        // Against the chain, the proof's columns must be the vault's assets before its sums
        // mean anything.
        let assets = match &against {
            Against::Chain(chain) => {
                let symbols: Vec<String> = chain.assets.iter().map(|a| a.symbol.clone()).collect();
                check_assets(&proof, &symbols)
            }
            _ => Ok(()),
        };
        let reason = match assets
            .map_err(Error::NotIncluded)
            .and_then(|()| check_inclusion(&proof, &expected))
        {
            Ok(()) => None,
            Err(Error::NotIncluded(reason)) => Some(reason),
            Err(other) => {
                return Err(other).with_context(|| format!("cannot check {}", self.proof.display()))
            }
        };
        info!(proof = %self.proof.display(), included = reason.is_none(), "inclusion checked");
        self.emit(&proof, &expected, &against, reason.as_ref())?;
        match reason {
            None => Ok(()),
            Some(why) => {
                Err(Rejected(format!("{} is NOT INCLUDED: {why}", self.proof.display())).into())
            }
        }
    }

    /// The root hash and totals to check against, and where they came from.
    fn expected(&self, proof: &InclusionProof) -> Result<(TreeRoot, Against)> {
        let depth = || -> Result<u32> {
            match self.depth {
                Some(depth) => Ok(depth),
                None => u32::try_from(proof.path.len()).context("the path is too long"),
            }
        };
        let checked = |root: TreeRoot| -> Result<TreeRoot> {
            root.check_shape().context("the root checked against is not supported")?;
            Ok(root)
        };
        if let (Some(rpc_url), Some(attestor), Some(vault)) =
            (&self.rpc_url, self.attestor, self.vault)
        {
            let source = ChainSource {
                rpc_url: rpc_url.clone(),
                attestor,
                vault,
                epoch: self.epoch,
                from_block: self.from_block,
                block: self.block,
            };
            let chain = solvency_chain::read(&source)?;
            let root = checked(TreeRoot {
                depth: depth()?,
                hash: chain.root,
                totals: chain.totals.clone(),
            })
            .with_context(|| format!("the attestation of epoch {}", chain.epoch))?;
            return Ok((root, Against::Chain(chain)));
        }
        if let Some(path) = &self.summary {
            let summary: TreeSummary = io::read_json(path, "tree summary")?;
            let root = summary
                .tree_root()
                .with_context(|| format!("{} is not a usable tree summary", path.display()))?;
            return Ok((root, Against::Summary(path.clone())));
        }
        if let Some(hash) = self.root {
            let root = checked(TreeRoot { depth: depth()?, hash, totals: self.totals.clone() })?;
            return Ok((root, Against::Explicit));
        }
        bail!("name --rpc-url with --attestor and --vault, --root with --totals, or --summary")
    }

    fn emit(
        &self,
        proof: &InclusionProof,
        root: &TreeRoot,
        against: &Against,
        reason: Option<&NotIncluded>,
    ) -> Result<()> {
        let balances: Vec<String> = proof.balances.iter().map(to_decimal).collect();
        let totals: Vec<String> = root.totals.iter().map(to_decimal).collect();
        let hash = fr_to_hex(&root.hash);
        // The chain's token columns, when the proof's columns are the vault's assets.
        let chain_columns = match against {
            Against::Chain(c)
                if !matches!(reason, Some(NotIncluded::AssetMismatch { .. }))
                    && c.assets.len() == balances.len()
                    && c.assets.len() == totals.len() =>
            {
                Some(&c.assets)
            }
            _ => None,
        };
        let (balance_lines, totals_line) = match chain_columns {
            Some(assets) => (
                balances
                    .iter()
                    .zip(assets)
                    .enumerate()
                    .map(|(i, (b, a))| {
                        format!(
                            "balance:     {} {} (token {}, column {i})",
                            whole_tokens(b, a.decimals),
                            a.symbol,
                            a.token
                        )
                    })
                    .collect::<Vec<_>>(),
                totals
                    .iter()
                    .zip(assets)
                    .map(|(t, a)| format!("{} {}", whole_tokens(t, a.decimals), a.symbol))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            None => (
                vec![format!(
                    "balances:    {} (token units)",
                    balances
                        .iter()
                        .zip(&proof.assets)
                        .map(|(b, a)| format!("{b} {a}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )],
                if totals.len() == proof.assets.len() {
                    let named = totals.iter().zip(&proof.assets).map(|(t, a)| format!("{t} {a}"));
                    named.collect::<Vec<_>>().join(", ")
                } else {
                    totals.join(", ")
                },
            ),
        };
        let (source, chain_json, source_lines) = match against {
            Against::Chain(c) => {
                let vault = self.vault.map(|v| v.to_string()).unwrap_or_default();
                let mut lines = vec![
                    format!("registry:    {} (vault {vault}'s REGISTRY())", c.registry),
                    format!(
                        "attestor:    {} (the registry's attestor(), as --attestor expects)",
                        c.attestor
                    ),
                    format!("block:       {} ({})", c.pinned_block, c.pinned_how),
                    format!(
                        "attestation: epoch {} by agent {} (block {}), chain {}",
                        c.epoch,
                        c.agent,
                        c.block.map_or("unknown".into(), |b| b.to_string()),
                        c.chain_id,
                    ),
                ];
                if !c.latest() {
                    lines.push(format!(
                        "latest:      epoch {} is not the vault's latest attestation (latest: epoch {})",
                        c.epoch, c.latest_epoch
                    ));
                }
                lines.push(if c.fresh {
                    format!(
                        "solvency:    vault {vault} is solvent now: its latest attestation (epoch {}) is fresh under its current configuration",
                        c.latest_epoch
                    )
                } else {
                    format!(
                        "solvency:    vault {vault} is NOT solvent now: its latest attestation (epoch {}) is not fresh under its current configuration",
                        c.latest_epoch
                    )
                });
                let assets: Vec<Value> = c
                    .assets
                    .iter()
                    .enumerate()
                    .map(|(i, a)| {
                        json!({
                            "column": i, "token": a.token, "symbol": a.symbol,
                            "decimals": a.decimals,
                            "balance": balances.get(i).map(|b| whole_tokens(b, a.decimals)),
                        })
                    })
                    .collect();
                (
                    "chain",
                    json!({
                        "chain_id": c.chain_id, "registry": c.registry, "attestor": c.attestor,
                        "vault": self.vault, "block": c.pinned_block, "block_tag": c.pinned_how,
                        "epoch": c.epoch, "agent": c.agent, "event_block": c.block,
                        "latest": c.latest(), "latest_epoch": c.latest_epoch,
                        "fresh": c.fresh, "assets": assets,
                    }),
                    lines,
                )
            }
            Against::Explicit => (
                "explicit",
                Value::Null,
                vec!["against:     the root hash and totals given".into()],
            ),
            Against::Summary(path) => (
                "summary",
                json!({ "summary": path }),
                vec![format!("against:     the operator's build output {}", path.display())],
            ),
        };
        let reason_text = reason.map(ToString::to_string);
        let reason_kind = reason.map(kind);
        ui::emit(
            &json!({
                "included": reason.is_none(),
                "reason": reason_text,
                "reason_kind": reason_kind,
                "proof": self.proof,
                "id": proof.id,
                "index": proof.index,
                "assets": proof.assets,
                "balances": balances,
                "depth": root.depth,
                "root_hash": hash,
                "totals": totals,
                "source": source,
                "attestation": chain_json,
            }),
            || {
                let verdict = match &reason_text {
                    None => "INCLUDED".to_string(),
                    Some(why) => format!("NOT INCLUDED: {why}"),
                };
                let mut lines =
                    vec![verdict, format!("depositor:   {:?} (leaf {})", proof.id, proof.index)];
                lines.extend(balance_lines.iter().cloned());
                lines.push(format!("root hash:   {hash} (depth {})", root.depth));
                lines.push(format!("totals:      {totals_line}"));
                lines.extend(source_lines.iter().cloned());
                lines.join("\n")
            },
        )
    }
}

/// The variant name of a reason (`AssetMismatch`, `WrongRoot`, ..), for `--json`.
fn kind(reason: &NotIncluded) -> String {
    let debug = format!("{reason:?}");
    debug.split([' ', '{', '(']).next().unwrap_or_default().to_string()
}

/// `units` (a decimal string of token units) in whole tokens of `decimals` decimals, exactly:
/// `1500000` at 6 decimals is `1.5`, `2000000` is `2`, `5` at 6 decimals is `0.000005`.
fn whole_tokens(units: &str, decimals: u8) -> String {
    let decimals = usize::from(decimals);
    if decimals == 0 {
        return units.to_string();
    }
    let padded = format!("{units:0>width$}", width = decimals + 1);
    let (whole, fraction) = padded.split_at(padded.len() - decimals);
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() {
        whole.to_string()
    } else {
        format!("{whole}.{fraction}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_units_are_printed_in_whole_tokens_exactly() {
        assert_eq!(whole_tokens("1500000", 6), "1.5");
        assert_eq!(whole_tokens("2000000", 6), "2");
        assert_eq!(whole_tokens("5", 6), "0.000005");
        assert_eq!(whole_tokens("0", 18), "0");
        assert_eq!(whole_tokens("123", 0), "123");
        assert_eq!(whole_tokens("332123456789012345678", 18), "332.123456789012345678");
    }

    #[test]
    fn a_reason_is_named_by_its_variant() {
        let mismatch =
            NotIncluded::AssetMismatch { asset: 1, proof: "USDC".into(), chain: "DAI".into() };
        assert_eq!(kind(&mismatch), "AssetMismatch");
        assert_eq!(kind(&NotIncluded::BalanceOutOfRange { asset: 0 }), "BalanceOutOfRange");
    }
}

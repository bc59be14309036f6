//! `proofgate solvency check-inclusion`: a depositor's check that its balances are counted in
//! an epoch's published accumulator and totals, read from the chain (--rpc-url), given
//! (--accumulator/--totals) or from the operator's build output (--summary).

use std::path::PathBuf;

use alloy::primitives::{Address, U256};
use anyhow::{bail, Context, Result};
use clap::{ArgGroup, Args};
use proofgate_prover::solvency::{
    check_assets, check_inclusion, parse_hex32, parse_u256, EpochSummary, InclusionProof,
    NotIncluded, Published, SolvencyShape,
};
use proofgate_prover::Error;
use serde_json::{json, Value};
use tracing::info;

use super::solvency_chain::{self, BlockChoice, ChainAttestation, ChainSource};
use crate::io;
use crate::ui::{self, Rejected};

/// The exit statuses of `check-inclusion`, for its `--help`.
pub const CHECK_EXIT_STATUS: &str = "\
Exit status:
  0  INCLUDED: the proof recomputes its batch root, that batch is in the chain, and the chain
     gives the accumulator and totals checked against
  1  NOT INCLUDED: the path leads to another batch root, the chain gives another accumulator or
     other totals, a balance is 2^B or more, the proof's shape is not the attestor's (or the
     summary's), or (with --rpc-url) a column of the proof
     names another asset than the vault's token symbol there, or the proof's chain is not the
     attestor's batch events
  2  bad input: a file is unreadable or malformed, a value is not a field element, the summary
     or the proof is inconsistent or of an old version; with --rpc-url: the node is unreachable,
     there is no contract code at the vault, its registry or the attestor address, the vault's
     registry names another attestor than --attestor, the vault has no attestation (of the
     epoch) at the block read, its events are missing or disagree with the attestor's storage";

/// What an inclusion proof reveals, for `check-inclusion --help`.
pub const REVEALS: &str = "\
What an inclusion proof reveals (to whoever holds the file):
  - the depositor's id string and balances;
  - the hashes of its neighbours up its batch's tree (three leaves at the bottom, each a hash
    of a hashed id and balances: operators should give depositors salted ids, so that a guess
    cannot be confirmed); nodes carry no sums, so no neighbour's balances are revealed;
  - every batch's root and per-asset sums (public on chain anyway).";

/// Check a depositor's inclusion proof: recompute the depositor's leaf, its batch root (which
/// must be the chain's root of its batch), and the accumulator and totals of the proof's chain,
/// and compare them with those of the attestation on chain (--rpc-url), given explicitly
/// (--accumulator/--totals with the shape), or in the operator's build output (--summary).
/// Prints INCLUDED or NOT INCLUDED with the reason.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("against").required(true).args(["rpc_url", "summary", "accumulator"])))]
pub struct CheckInclusionArgs {
    /// The depositor's inclusion proof (inclusion/<index>.json, as `build` writes it).
    #[arg(long, value_name = "FILE")]
    pub proof: PathBuf,
    /// Check against the chain: the node's JSON-RPC URL (with --attestor and --vault). The
    /// attestor must be the one the vault's registry names (vault.REGISTRY(),
    /// registry.attestor()); its shape (ASSET_COUNT, BALANCE_BITS, BATCH_DEPTH) must be the
    /// proof's; the accumulator and totals are those of its SolvencyAttested event (for the
    /// latest attestation, checked against the liabilitiesRoot and totalsHash it stores), and
    /// the proof's chain must be the epoch's SolvencyBatchAccepted events; the proof's asset
    /// columns must be the symbols of the vault's tokens, in order. Every read is pinned to one
    /// block (--block).
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
    /// when the node reports no finalized block), safe, latest, or a block number.
    #[arg(long, value_name = "TAG|N", requires = "rpc_url", default_value_t = BlockChoice::Finalized)]
    pub block: BlockChoice,
    /// Check against the operator's build output (summary.json): its shape, accumulator and
    /// totals. This trusts the file the operator hands out; --rpc-url checks against the chain.
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
    /// Check against this accumulator (the attestor's liabilitiesRoot, 0x and 64 hex digits;
    /// with --totals, --balance-bits and --batch-depth).
    #[arg(long, value_name = "0x..", requires_all = ["totals", "balance_bits", "batch_depth"], value_parser = hex32_arg)]
    pub accumulator: Option<[u8; 32]>,
    /// The per-asset totals, decimal, comma separated (with --accumulator).
    #[arg(long, value_name = "T,T,..", value_delimiter = ',', requires = "accumulator", value_parser = u256_arg)]
    pub totals: Vec<U256>,
    /// The attestor's balance width (with --accumulator): the proof's shape must have it.
    #[arg(long, value_name = "B", requires = "accumulator")]
    pub balance_bits: Option<u32>,
    /// The attestor's batch depth (with --accumulator): the proof's shape must have it.
    #[arg(long, value_name = "K", requires = "accumulator")]
    pub batch_depth: Option<u32>,
}

fn hex32_arg(s: &str) -> Result<[u8; 32], String> {
    parse_hex32(s).map_err(|e| e.to_string())
}

fn u256_arg(s: &str) -> Result<U256, String> {
    parse_u256(s).map_err(|e| e.to_string())
}

/// Where the accumulator and totals checked against came from.
enum Against {
    Chain(Box<ChainAttestation>),
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
        let (expected, shape, against) = self.expected(&proof)?;
        let reason = match self.judge(&proof, &expected, shape, &against) {
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

    /// The shape, the chain's asset columns and batches (against the chain), then the proof.
    fn judge(
        &self,
        proof: &InclusionProof,
        expected: &Published,
        shape: SolvencyShape,
        against: &Against,
    ) -> Result<(), Error> {
        if proof.shape != shape {
            // Before the asset columns: a proof of another shape may not even have n columns.
            return Err(NotIncluded::WrongShape { proof: proof.shape, expected: shape }.into());
        }
        if let Against::Chain(chain) = against {
            let symbols: Vec<String> = chain.assets.iter().map(|a| a.symbol.clone()).collect();
            check_assets(proof, &symbols)?;
        }
        check_inclusion(proof, &shape, expected)?;
        if let Against::Chain(chain) = against {
            // Implied by the accumulator (keccak), checked outright against the events.
            if proof.chain != chain.batches {
                return Err(NotIncluded::WrongAccumulator {
                    computed: proof.accumulator,
                    expected: chain.accumulator,
                }
                .into());
            }
        }
        Ok(())
    }

    /// The accumulator and totals to check against, the shape they are of, and their source.
    fn expected(&self, proof: &InclusionProof) -> Result<(Published, SolvencyShape, Against)> {
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
            let published =
                Published { accumulator: chain.accumulator, totals: chain.totals.clone() };
            return Ok((published, chain.shape, Against::Chain(Box::new(chain))));
        }
        if let Some(path) = &self.summary {
            let summary: EpochSummary = io::read_json(path, "epoch summary")?;
            let published = summary
                .published()
                .with_context(|| format!("{} is not a usable epoch summary", path.display()))?;
            return Ok((published, summary.shape, Against::Summary(path.clone())));
        }
        if let (Some(accumulator), Some(bits), Some(depth)) =
            (self.accumulator, self.balance_bits, self.batch_depth)
        {
            let shape = SolvencyShape::new(self.totals.len(), bits, depth)
                .context("the shape checked against is not supported")?;
            let _ = proof;
            let published = Published { accumulator, totals: self.totals.clone() };
            return Ok((published, shape, Against::Explicit));
        }
        bail!(
            "name --rpc-url with --attestor and --vault, --accumulator with --totals, \
             --balance-bits and --batch-depth, or --summary"
        )
    }

    fn emit(
        &self,
        proof: &InclusionProof,
        expected: &Published,
        against: &Against,
        reason: Option<&NotIncluded>,
    ) -> Result<()> {
        let balances: Vec<String> = proof.balances.iter().map(ToString::to_string).collect();
        let totals: Vec<String> = expected.totals.iter().map(ToString::to_string).collect();
        let accumulator = format!("0x{}", hex::encode(expected.accumulator));
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
                    .zip(assets.iter())
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
                    .zip(assets.iter())
                    .map(|(t, a)| format!("{} {}", whole_tokens(t, a.decimals), a.symbol))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            None => (
                vec![format!("balances:    {} (token units)", named(&balances, &proof.assets))],
                named(&totals, &proof.assets),
            ),
        };
        let (source, chain_json, source_lines) = source_description(self.vault, against, &balances);
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
                "batch_index": proof.batch_index,
                "shape": proof.shape,
                "assets": proof.assets,
                "balances": balances,
                "accumulator": accumulator,
                "totals": totals,
                "source": source,
                "attestation": chain_json,
            }),
            || {
                let verdict = match &reason_text {
                    None => "INCLUDED".to_string(),
                    Some(why) => format!("NOT INCLUDED: {why}"),
                };
                let mut lines = vec![
                    verdict,
                    format!(
                        "depositor:   {:?} (#{}, batch {} of {})",
                        proof.id,
                        proof.index,
                        proof.batch_index,
                        proof.chain.len()
                    ),
                ];
                lines.extend(balance_lines.iter().cloned());
                lines.push(format!("accumulator: {accumulator}"));
                lines.push(format!("totals:      {totals_line}"));
                lines.extend(source_lines.iter().cloned());
                lines.join("\n")
            },
        )
    }
}

/// `v a, v a, ..` when there is one name per value, else the values.
fn named(values: &[String], names: &[String]) -> String {
    if values.len() == names.len() {
        let pairs = values.iter().zip(names).map(|(v, a)| format!("{v} {a}"));
        pairs.collect::<Vec<_>>().join(", ")
    } else {
        values.join(", ")
    }
}

/// The source's name, its JSON and its lines for the human output.
fn source_description(
    vault: Option<Address>,
    against: &Against,
    balances: &[String],
) -> (&'static str, Value, Vec<String>) {
    match against {
        Against::Chain(c) => {
            let vault = vault.map(|v| v.to_string()).unwrap_or_default();
            let mut lines = vec![
                format!("registry:    {} (vault {vault}'s REGISTRY())", c.registry),
                format!(
                    "attestor:    {} (the registry's attestor(), as --attestor expects)",
                    c.attestor
                ),
                format!("block:       {} ({})", c.pinned_block, c.pinned_how),
                format!(
                    "attestation: epoch {} by agent {} (block {}), {} batches, chain {}",
                    c.epoch,
                    c.agent,
                    c.block.map_or("unknown".into(), |b| b.to_string()),
                    c.batches.len(),
                    c.chain_id,
                ),
            ];
            if !c.latest() {
                lines.push(format!(
                    "latest:      epoch {} is not the vault's latest attestation (latest: epoch {})",
                    c.epoch, c.latest_epoch
                ));
            }
            let solvent = if c.fresh { "solvent" } else { "NOT solvent" };
            let fresh = if c.fresh { "is" } else { "is not" };
            lines.push(format!(
                "solvency:    vault {vault} is {solvent} now: its latest attestation (epoch {}) {fresh} fresh under its current configuration",
                c.latest_epoch
            ));
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
                    "vault": vault, "block": c.pinned_block, "block_tag": c.pinned_how,
                    "epoch": c.epoch, "agent": c.agent, "event_block": c.block,
                    "batch_count": c.batches.len(),
                    "latest": c.latest(), "latest_epoch": c.latest_epoch,
                    "fresh": c.fresh, "assets": assets,
                }),
                lines,
            )
        }
        Against::Explicit => {
            ("explicit", Value::Null, vec!["against:     the accumulator and totals given".into()])
        }
        Against::Summary(path) => (
            "summary",
            json!({ "summary": path }),
            vec![format!("against:     the operator's build output {}", path.display())],
        ),
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
        assert_eq!(
            kind(&NotIncluded::BalanceOutOfRange { asset: 0, bits: 64 }),
            "BalanceOutOfRange"
        );
    }
}

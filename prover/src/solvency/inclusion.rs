//! Inclusion proofs: a depositor's leaf, the siblings up its batch, the published chain, and the
//! depositor's check.
//!
//! ```json
//! {"version": 3, "shape": {"n_assets": 2, "balance_bits": 64, "batch_depth": 3},
//!  "index": 9, "id": "carol", "assets": ["WETH", "USDC"], "balances": ["5", "0"],
//!  "batch_index": 1, "path": [["0x..", "0x..", "0x.."], ["0x.."]],
//!  "chain": [{"root": "0x..", "sums": ["..", ".."]}, ..], "accumulator": "0x..",
//!  "totals": ["..", ".."]}
//! ```
//!
//! `path[l]` holds the siblings at level `l` (0: the leaf's) in slot order, the path's own slot
//! left out: 3 per 4-ary level, 1 for the binary top of an odd-depth batch. The depositor's
//! position in its batch (`index mod 2^k`), in base 4 from the bottom, gives its slot at each
//! 4-ary level; the binary level uses the remaining bit. `chain` is every batch of the epoch
//! (root and sums, as the attestor's `SolvencyBatchAccepted` events publish them), so the
//! depositor recomputes the accumulator and totals the attestor stores.
//!
//! What a proof reveals: the depositor's id and balances, the hashes of its neighbours (three
//! leaves at level 0, each committing to a hash of an id and to balances: operators give
//! depositors salted ids so that a guess cannot be confirmed), and every batch's root and sums
//! (public on chain anyway). Nodes carry no sums, so no neighbour's balances are revealed.

use alloy::primitives::U256;
use ark_bn254::Fr;
use serde::{Deserialize, Serialize};

use super::chain::{ChainLink, Published, PublishedChain};
use super::files::{dec_u128s, dec_u256s, hex32};
use super::hash::{id_element, leaf_hash, node_hash};
use super::SolvencyShape;
use crate::statement::fr_to_hex;
use crate::Error;

/// Format version of an inclusion proof. Version 3: a path through the depositor's batch and
/// the epoch's chain; version 2 proofs (one Merkle-sum tree) are refused.
pub const INCLUSION_VERSION: u64 = 3;

/// Depositor `index`'s inclusion proof (`inclusion/<index>.json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InclusionProof {
    /// File format version ([`INCLUSION_VERSION`]).
    pub version: u64,
    /// The shape of the epoch's batches.
    pub shape: SolvencyShape,
    /// The depositor's position in the depositors file.
    pub index: u64,
    /// The depositor's id (the leaf holds [`id_element`] of it).
    pub id: String,
    /// The asset of each column (balances, sums, totals), in the vault's order.
    pub assets: Vec<String>,
    /// The depositor's balances, token units.
    #[serde(with = "dec_u128s")]
    pub balances: Vec<u128>,
    /// The depositor's batch (`index div 2^k`).
    pub batch_index: u32,
    /// The siblings per level, bottom first.
    #[serde(with = "path_hex")]
    pub path: Vec<Vec<Fr>>,
    /// Every batch of the epoch.
    pub chain: Vec<ChainLink>,
    /// The accumulator the proof claims.
    #[serde(with = "hex32")]
    pub accumulator: [u8; 32],
    /// The totals the proof claims.
    #[serde(with = "dec_u256s")]
    pub totals: Vec<U256>,
}

/// Why an inclusion proof does not check: a definite "no", as opposed to unreadable input.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotIncluded {
    /// The path does not have the shape's levels (or a level has the wrong number of siblings).
    #[error("the path has {found} levels of siblings, a batch of depth {depth} has {expected}")]
    WrongDepth {
        /// The batch depth.
        depth: u32,
        /// The levels expected.
        expected: usize,
        /// The path's levels (or, at a wrong level, its position).
        found: usize,
    },
    /// The batch index is not the depositor's index divided by the batch size, or not in the
    /// chain.
    #[error("batch {batch} does not hold depositor {index} (the chain has {batches} batches)")]
    WrongBatch {
        /// The proof's index.
        index: u64,
        /// The proof's batch.
        batch: u32,
        /// The chain's length.
        batches: usize,
    },
    /// Balances, a batch's sums or the totals are not one per asset.
    #[error("{what} has {found} values for {expected} assets")]
    WrongAssetCount {
        /// What has the wrong count.
        what: String,
        /// The number of assets.
        expected: usize,
        /// The number of values.
        found: usize,
    },
    /// A balance is `2^B` or more: no leaf of the circuit can hold it.
    #[error("the balance of asset {asset} is 2^{bits} or more")]
    BalanceOutOfRange {
        /// The asset's position.
        asset: usize,
        /// `B`.
        bits: u32,
    },
    /// A batch's sum is `2^S` or more: no batch proof can state it.
    #[error("batch {batch} sums 2^{bits} or more of asset {asset}")]
    SumOutOfRange {
        /// The batch.
        batch: usize,
        /// The asset.
        asset: usize,
        /// `S`.
        bits: u32,
    },
    /// The path leads to another batch root than the chain's.
    #[error("the path leads to batch root {}, the chain's batch {batch} is {}", fr_to_hex(.computed), fr_to_hex(.expected))]
    WrongRoot {
        /// The batch.
        batch: u32,
        /// The root the path computes.
        computed: Fr,
        /// The chain's root of the batch.
        expected: Fr,
    },
    /// The chain gives another accumulator than the one checked against.
    #[error("the chain accumulates to 0x{}, not 0x{}", hex::encode(.computed), hex::encode(.expected))]
    WrongAccumulator {
        /// The chain's accumulator.
        computed: [u8; 32],
        /// The accumulator checked against.
        expected: [u8; 32],
    },
    /// The chain adds up to other totals.
    #[error("the chain adds up to {computed} of asset {asset}, the total is {expected}")]
    WrongTotals {
        /// The first asset that differs.
        asset: usize,
        /// What the chain adds up to (decimal).
        computed: String,
        /// The total checked against (decimal).
        expected: String,
    },
    /// A column of the proof names another asset than the vault's asset at that position.
    #[error("column {asset} of the proof is {proof:?}, the vault's asset {asset} is {chain:?}")]
    AssetMismatch {
        /// The column (the vault's asset index).
        asset: usize,
        /// The proof's name of the column.
        proof: String,
        /// The symbol of the vault's token at that index.
        chain: String,
    },
    /// The proof claims another accumulator or totals than those checked against.
    #[error("the proof claims accumulator 0x{} or totals other than those checked", hex::encode(.claimed))]
    OtherClaim {
        /// The accumulator the proof claims.
        claimed: [u8; 32],
    },
    /// The proof's shape is not the one checked against (the attestor's).
    #[error("the proof is for {proof:?}, the attestation for {expected:?}")]
    WrongShape {
        /// The proof's shape.
        proof: SolvencyShape,
        /// The expected shape.
        expected: SolvencyShape,
    },
}

impl InclusionProof {
    /// Checks the file's version, its shape and that it names one asset per balance (another
    /// version or a malformed file is unreadable input, not a "no").
    pub fn check_version(&self) -> Result<(), Error> {
        if self.version != INCLUSION_VERSION {
            return Err(Error::Corrupt(format!(
                "inclusion proof format version {} (this build reads {INCLUSION_VERSION}: a path \
                 through a batch and the epoch's chain); ask the operator for proofs built by \
                 `proofgate solvency build` of this version",
                self.version
            )));
        }
        self.shape.check()?;
        if self.assets.len() != self.balances.len() {
            return Err(Error::Corrupt(format!(
                "the proof names {} assets for {} balances",
                self.assets.len(),
                self.balances.len()
            )));
        }
        Ok(())
    }

    /// What the proof claims was published.
    pub fn claimed(&self) -> Published {
        Published { accumulator: self.accumulator, totals: self.totals.clone() }
    }
}

/// Checks that the proof's columns are the vault's assets: `symbols` are the vault's token
/// symbols in its order (read from the chain), compared exactly with the proof's `assets`.
pub fn check_assets(proof: &InclusionProof, symbols: &[String]) -> Result<(), NotIncluded> {
    if proof.assets.len() != symbols.len() {
        return Err(NotIncluded::WrongAssetCount {
            what: "the proof's asset columns".into(),
            expected: symbols.len(),
            found: proof.assets.len(),
        });
    }
    match proof.assets.iter().zip(symbols).position(|(p, c)| p != c) {
        Some(asset) => Err(NotIncluded::AssetMismatch {
            asset,
            proof: proof.assets[asset].clone(),
            chain: symbols[asset].clone(),
        }),
        None => Ok(()),
    }
}

/// Checks that `proof` puts its depositor's balances in the epoch `expected` publishes: every
/// balance below `2^B`; the path, of the shape's levels, recomputes the leaf's batch root, which
/// is the chain's root of batch `index div 2^k`; every batch sum below `2^S`; the chain
/// recomputes `expected`'s accumulator and totals; and the proof claims those.
///
/// Why that suffices: each batch proof, verified on chain before its link is accumulated, shows
/// that its sums add up every leaf under its root, each balance range-checked; the accumulator
/// binds the chain of those links; so the depositor's balances are counted in the totals.
///
/// The proof must be of `shape`, the attestation's (read from the attestor): the leaf packing
/// and the sums' ranges follow the shape, so a proof claiming another one could re-read one
/// asset's balance as another's.
///
/// A failed check is [`Error::NotIncluded`]; an unsupported shape is [`Error::InvalidConfig`].
pub fn check_inclusion(
    proof: &InclusionProof,
    shape: &SolvencyShape,
    expected: &Published,
) -> Result<(), Error> {
    shape.check()?;
    if proof.shape != *shape {
        return Err(NotIncluded::WrongShape { proof: proof.shape, expected: *shape }.into());
    }
    Ok(check_proof(proof, expected)?)
}

fn check_proof(proof: &InclusionProof, expected: &Published) -> Result<(), NotIncluded> {
    let shape = &proof.shape;
    let n = shape.n_assets;
    let count = |what: &str, found: usize| {
        (found != n).then(|| NotIncluded::WrongAssetCount { what: what.into(), expected: n, found })
    };
    if let Some(wrong) = count("balances", proof.balances.len())
        .or_else(|| count("the totals checked against", expected.totals.len()))
    {
        return Err(wrong);
    }
    let bits = shape.balance_bits;
    if let Some(asset) = proof.balances.iter().position(|&b| bits < 128 && b >> bits != 0) {
        return Err(NotIncluded::BalanceOutOfRange { asset, bits });
    }
    let arities = shape.arities();
    if proof.path.len() != arities.len() {
        return Err(NotIncluded::WrongDepth {
            depth: shape.batch_depth,
            expected: arities.len(),
            found: proof.path.len(),
        });
    }
    let per_batch = shape.leaves_per_batch() as u64;
    let batch = proof.batch_index as usize;
    if proof.index / per_batch != u64::from(proof.batch_index) || batch >= proof.chain.len() {
        return Err(NotIncluded::WrongBatch {
            index: proof.index,
            batch: proof.batch_index,
            batches: proof.chain.len(),
        });
    }

    let mut hash = leaf_hash(shape, id_element(&proof.id), &proof.balances);
    let mut position = (proof.index % per_batch) as usize;
    for (level, (siblings, &arity)) in proof.path.iter().zip(&arities).enumerate() {
        if siblings.len() != arity - 1 {
            return Err(NotIncluded::WrongDepth {
                depth: shape.batch_depth,
                expected: arities.len(),
                found: level,
            });
        }
        let mut children = siblings.clone();
        children.insert(position % arity, hash);
        hash = node_hash(&children);
        position /= arity;
    }
    let root = proof.chain[batch].root;
    if hash != root {
        return Err(NotIncluded::WrongRoot {
            batch: proof.batch_index,
            computed: hash,
            expected: root,
        });
    }

    let sum_bits = shape.sum_bits();
    for (b, link) in proof.chain.iter().enumerate() {
        if let Some(wrong) = count(&format!("the sums of batch {b}"), link.sums.len()) {
            return Err(wrong);
        }
        if let Some(asset) = link.sums.iter().position(|s| s.bit_len() > sum_bits as usize) {
            return Err(NotIncluded::SumOutOfRange { batch: b, asset, bits: sum_bits });
        }
    }
    let chain = PublishedChain::new(proof.chain.clone(), n);
    if chain.accumulator != expected.accumulator {
        return Err(NotIncluded::WrongAccumulator {
            computed: chain.accumulator,
            expected: expected.accumulator,
        });
    }
    if let Some(asset) = (0..n).find(|&a| chain.totals[a] != expected.totals[a]) {
        return Err(NotIncluded::WrongTotals {
            asset,
            computed: chain.totals[asset].to_string(),
            expected: expected.totals[asset].to_string(),
        });
    }
    if proof.claimed() != *expected {
        return Err(NotIncluded::OtherClaim { claimed: proof.accumulator });
    }
    Ok(())
}

/// `#[serde(with = "path_hex")]` for `Vec<Vec<Fr>>`: lists of `0x` hex strings.
mod path_hex {
    use ark_bn254::Fr;
    use serde::{de::Error as _, Deserialize, Deserializer, Serialize, Serializer};

    use crate::statement::fr_to_hex;

    pub fn serialize<S: Serializer>(path: &[Vec<Fr>], s: S) -> Result<S::Ok, S::Error> {
        let hex: Vec<Vec<String>> =
            path.iter().map(|level| level.iter().map(fr_to_hex).collect()).collect();
        hex.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<Fr>>, D::Error> {
        let hex = Vec::<Vec<String>>::deserialize(d)?;
        hex.iter()
            .map(|level| {
                level.iter().map(|h| super::super::parse_hex(h).map_err(D::Error::custom)).collect()
            })
            .collect()
    }
}

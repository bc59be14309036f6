//! Inclusion proofs: a depositor's leaf, the siblings up its path, and the depositor's check.
//!
//! ```json
//! {"version": 2, "index": 2, "id": "carol", "assets": ["WETH", "USDC"], "balances": ["5", "0"],
//!  "path": [{"hash": "0x..", "sums": ["7", "1"]}, ...], "root": "0x..", "totals": ["..", ".."]}
//! ```
//!
//! `assets` names the columns (the depositors file's asset names, in the vault's order): column
//! `a` of the balances, of every sibling's sums and of the totals is asset `a`. A depositor
//! checking against the chain compares them with the symbols of the vault's tokens
//! ([`check_assets`]): a proof whose columns are not the vault's assets counts its balances as
//! other tokens than the depositor holds. `path[l]` is the sibling at level `l` (0: the leaf's
//! sibling); `root` and `totals` are the
//! root hash and totals the proof claims. A depositor checks the proof against the root hash and
//! totals the chain holds (the attestor's `liabilitiesRoot` and its `SolvencyAttested` event's
//! totals), not against the ones the proof claims.
//!
//! What a proof reveals to whoever reads it: the depositor's id and balances, and every
//! sibling's hash and sums. The level-0 sibling is one neighbouring leaf, so its sums are that
//! neighbour's balances; its identity stays behind its leaf hash, which commits to the hash of
//! its id string. That hides the id only as well as the id is hard to guess (anyone can hash a
//! guess with the revealed balances and compare), so operators give depositors salted ids (an
//! account reference with a random suffix). Higher siblings reveal the sums of ever larger
//! groups of depositors.

use ark_bn254::Fr;
use serde::{Deserialize, Serialize};

use super::files::{decimals, hex_fr};
use super::hash::{id_element, leaf_hash, node_hash, to_fields, to_u128};
use super::tree::TreeRoot;
use super::{pow2, BALANCE_BITS};
use crate::statement::fr_to_hex;
use crate::Error;

/// Format version of an inclusion proof. Version 2 names the asset columns (`assets`); version
/// 1 proofs did not, and are refused.
pub const INCLUSION_VERSION: u64 = 2;

/// A sibling on the path: its hash and its subtree's per-asset sums.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sibling {
    /// The sibling node's hash.
    #[serde(with = "hex_fr")]
    pub hash: Fr,
    /// The sums of the sibling's subtree, per asset.
    #[serde(with = "decimals")]
    pub sums: Vec<Fr>,
}

/// Depositor `index`'s inclusion proof (`inclusion/<index>.json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InclusionProof {
    /// File format version ([`INCLUSION_VERSION`]).
    pub version: u64,
    /// The leaf's index: bit `l` is 1 when the path is the right child at level `l`.
    pub index: u64,
    /// The depositor's id (the leaf holds [`id_element`] of it).
    pub id: String,
    /// The asset of each column (balances, sums, totals), in the vault's order: the depositors
    /// file's asset names. (Absent in version 1 proofs, which are refused by their version.)
    #[serde(default)]
    pub assets: Vec<String>,
    /// The depositor's balances, token units (below 2^64 for the proof to check).
    #[serde(with = "decimals")]
    pub balances: Vec<Fr>,
    /// The siblings from the leaf's up to the root's child's.
    pub path: Vec<Sibling>,
    /// The root hash the proof claims.
    #[serde(with = "hex_fr")]
    pub root: Fr,
    /// The totals the proof claims.
    #[serde(with = "decimals")]
    pub totals: Vec<Fr>,
}

/// Why an inclusion proof does not check: a definite "no", as opposed to unreadable input.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotIncluded {
    /// The path is not as long as the tree is deep.
    #[error("the path has {found} levels, the tree has depth {expected}")]
    WrongDepth {
        /// The tree's depth.
        expected: u32,
        /// The path's length.
        found: usize,
    },
    /// The leaf index does not fit the tree.
    #[error("leaf index {index} does not fit a tree of depth {depth}")]
    IndexOutOfRange {
        /// The proof's index.
        index: u64,
        /// The tree's depth.
        depth: u32,
    },
    /// Balances or a sibling's sums are not one per asset.
    #[error("{what} has {found} values for {expected} assets")]
    WrongAssetCount {
        /// What has the wrong count ("balances", "sibling at level 3").
        what: String,
        /// The number of assets.
        expected: usize,
        /// The number of values.
        found: usize,
    },
    /// A balance is 2^64 or more: no leaf of the circuit's tree can hold it.
    #[error("the balance of asset {asset} is 2^64 or more")]
    BalanceOutOfRange {
        /// The asset's position.
        asset: usize,
    },
    /// A total is `2^(64+d)` or more, more than `2^d` balances below 2^64 can add up to.
    #[error("the total of asset {asset} is 2^{bits} or more, impossible for the tree's depth")]
    TotalOutOfRange {
        /// The asset's position.
        asset: usize,
        /// `64 + d`.
        bits: u32,
    },
    /// The path's running sum (the depositor's balance plus the siblings' sums up to this level)
    /// exceeds the total.
    #[error("the path sums {sum} of asset {asset} up to level {level}, above the total {total}")]
    PathSumAboveTotal {
        /// The level whose sibling was just added (0: the leaf's sibling).
        level: usize,
        /// The asset's position.
        asset: usize,
        /// The running sum (decimal).
        sum: String,
        /// The asset's total (decimal).
        total: String,
    },
    /// A sibling's sum exceeds the total: only a negative balance elsewhere could make it add up.
    #[error("the sibling at level {level} sums {sum} of asset {asset}, above the total {total}")]
    SiblingSumAboveTotal {
        /// The sibling's level (0: the leaf's sibling).
        level: usize,
        /// The asset's position.
        asset: usize,
        /// The sibling's sum (decimal).
        sum: String,
        /// The asset's total (decimal).
        total: String,
    },
    /// The path leads to another root hash.
    #[error("the path leads to root {}, not {}", fr_to_hex(.computed), fr_to_hex(.expected))]
    WrongRoot {
        /// The root the path computes.
        computed: Fr,
        /// The root checked against.
        expected: Fr,
    },
    /// The path adds up to other totals.
    #[error("the path adds up to {computed} of asset {asset}, the total is {expected}")]
    WrongTotals {
        /// The first asset that differs.
        asset: usize,
        /// What the path adds up to (decimal).
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
    /// The proof claims another root or totals than those checked against.
    #[error("the proof claims root {} with other totals or another root than the one checked", fr_to_hex(.claimed))]
    OtherClaim {
        /// The root the proof claims.
        claimed: Fr,
    },
}

impl InclusionProof {
    /// Checks the file's version and that it names one asset per balance (another version or
    /// a malformed file is unreadable input, not a "no").
    pub fn check_version(&self) -> Result<(), Error> {
        if self.version == 1 {
            return Err(Error::Corrupt(format!(
                "inclusion proof format version 1 does not name its asset columns (this build \
                 reads version {INCLUSION_VERSION}, whose \"assets\" are checked against the \
                 vault's tokens); ask the operator for proofs built by `proofgate solvency build` \
                 of this version"
            )));
        }
        if self.version != INCLUSION_VERSION {
            return Err(Error::Corrupt(format!(
                "inclusion proof format version {} (this build reads {INCLUSION_VERSION})",
                self.version
            )));
        }
        if self.assets.len() != self.balances.len() {
            return Err(Error::Corrupt(format!(
                "the proof names {} assets for {} balances",
                self.assets.len(),
                self.balances.len()
            )));
        }
        Ok(())
    }

    /// The root the proof claims, at depth `depth` (the path's length if `None`).
    pub fn claimed_root(&self, depth: Option<u32>) -> Result<TreeRoot, Error> {
        let depth = match depth {
            Some(depth) => depth,
            None => u32::try_from(self.path.len()).map_err(|_| {
                Error::InvalidConfig(format!("a path of {} levels", self.path.len()))
            })?,
        };
        let root = TreeRoot { depth, hash: self.root, totals: self.totals.clone() };
        root.check_shape()?;
        Ok(root)
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

/// Checks that `proof` puts its depositor's balances in the tree `expected`: the path has the
/// tree's depth, every balance is below 2^64, every total below `2^(64+d)`, at every level the
/// sibling's sums and the path's running sums at most the totals (see [`super`] for why), the
/// path recomputes `expected`'s root hash (every level's sums hashed into its node) and totals,
/// and the proof claims that root and those totals.
///
/// A failed check is [`Error::NotIncluded`]; an unsupported `expected` shape is
/// [`Error::InvalidConfig`].
pub fn check_inclusion(proof: &InclusionProof, expected: &TreeRoot) -> Result<(), Error> {
    expected.check_shape()?;
    Ok(check_path(proof, expected)?)
}

fn check_path(proof: &InclusionProof, expected: &TreeRoot) -> Result<(), NotIncluded> {
    let (depth, n) = (expected.depth, expected.n_assets());
    if proof.path.len() != depth as usize {
        return Err(NotIncluded::WrongDepth { expected: depth, found: proof.path.len() });
    }
    if proof.index >= 1u64 << depth {
        return Err(NotIncluded::IndexOutOfRange { index: proof.index, depth });
    }
    let count = |what: String, found: usize| {
        (found != n).then_some(NotIncluded::WrongAssetCount { what, expected: n, found })
    };
    if let Some(wrong) = count("balances".into(), proof.balances.len()) {
        return Err(wrong);
    }
    let bits = BALANCE_BITS + depth;
    let totals = expected
        .totals
        .iter()
        .enumerate()
        .map(|(asset, t)| {
            to_u128(t)
                .filter(|&t| t < pow2(bits))
                .ok_or(NotIncluded::TotalOutOfRange { asset, bits })
        })
        .collect::<Result<Vec<u128>, _>>()?;
    // Each balance is below 2^64 and each sum at most its total (< 2^96) once checked: no
    // overflow, no wrap.
    let mut sums = proof
        .balances
        .iter()
        .enumerate()
        .map(|(asset, b)| {
            to_u128(b)
                .filter(|&b| b < pow2(BALANCE_BITS))
                .ok_or(NotIncluded::BalanceOutOfRange { asset })
        })
        .collect::<Result<Vec<u128>, _>>()?;

    let mut hash = leaf_hash(id_element(&proof.id), &proof.balances);
    for (level, sibling) in proof.path.iter().enumerate() {
        if let Some(wrong) = count(format!("the sibling at level {level}"), sibling.sums.len()) {
            return Err(wrong);
        }
        for (asset, (sum, s)) in sums.iter_mut().zip(&sibling.sums).enumerate() {
            let value = to_u128(s).filter(|&s| s <= totals[asset]).ok_or_else(|| {
                NotIncluded::SiblingSumAboveTotal {
                    level,
                    asset,
                    sum: crate::serde_fr::to_decimal(s),
                    total: totals[asset].to_string(),
                }
            })?;
            *sum += value;
            if *sum > totals[asset] {
                return Err(NotIncluded::PathSumAboveTotal {
                    level,
                    asset,
                    sum: sum.to_string(),
                    total: totals[asset].to_string(),
                });
            }
        }
        let fields = to_fields(&sums);
        hash = if (proof.index >> level) & 1 == 0 {
            node_hash(hash, sibling.hash, &fields)
        } else {
            node_hash(sibling.hash, hash, &fields)
        };
    }
    if hash != expected.hash {
        return Err(NotIncluded::WrongRoot { computed: hash, expected: expected.hash });
    }
    if let Some(asset) = (0..n).find(|&a| sums[a] != totals[a]) {
        return Err(NotIncluded::WrongTotals {
            asset,
            computed: sums[asset].to_string(),
            expected: totals[asset].to_string(),
        });
    }
    if proof.root != expected.hash || proof.totals != expected.totals {
        return Err(NotIncluded::OtherClaim { claimed: proof.root });
    }
    Ok(())
}

//! Building the Merkle-sum tree and reading inclusion proofs off it.
//!
//! Only the nodes above real depositors are stored: a subtree of padding leaves is the same at
//! every position of a level, so it is hashed once per level. Building costs one hash per
//! depositor and about one per depositor for the nodes, plus `d` for the padding, so a deep tree
//! of few depositors is cheap.

use ark_bn254::Fr;
use ark_ff::Zero;

use super::files::{TreeSummary, SUMMARY_VERSION};
use super::hash::to_fields;
use super::hash::{id_element, leaf_hash, node_hash, padding_leaf};
use super::inclusion::{InclusionProof, Sibling, INCLUSION_VERSION};
use super::{check_shape, Depositors};
use crate::Error;

/// What a tree publishes: its depth, root hash and per-asset totals (the attestor stores the
/// root hash as `liabilitiesRoot` and emits the totals in its `SolvencyAttested` event).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeRoot {
    /// The tree's depth `d` (`2^d` leaves).
    pub depth: u32,
    /// The root node's hash.
    pub hash: Fr,
    /// The root's sums: the liabilities in each asset, in token units.
    pub totals: Vec<Fr>,
}

impl TreeRoot {
    /// The number of assets.
    pub fn n_assets(&self) -> usize {
        self.totals.len()
    }

    /// Checks the depth and the asset count against the supported ranges.
    pub fn check_shape(&self) -> Result<(), Error> {
        check_shape(self.depth, self.n_assets())
    }
}

/// The nodes of one level, left to right: the first `len` positions; the rest are padding.
#[derive(Clone, Debug, Default)]
struct Level {
    hashes: Vec<Fr>,
    /// Node `i`'s sums are `sums[i * n_assets..(i + 1) * n_assets]`.
    sums: Vec<u128>,
}

/// A depositors list's Merkle-sum tree.
#[derive(Clone, Debug)]
pub struct SumTree {
    depth: u32,
    depositors: Depositors,
    /// `levels[0]` are the leaves, `levels[depth]` holds the root (if any depositor).
    levels: Vec<Level>,
    /// `padding[l]`: the hash of a height-`l` subtree of padding leaves (its sums are zero).
    padding: Vec<Fr>,
}

impl SumTree {
    /// Builds the depth-`depth` tree of `depositors` (depositor `k` is leaf `k`). Fails if the
    /// shape is unsupported or the depositors do not fit in `2^depth` leaves.
    pub fn build(depositors: &Depositors, depth: u32) -> Result<Self, Error> {
        let n = depositors.n_assets();
        check_shape(depth, n)?;
        let capacity = 1u64 << depth;
        if depositors.len() as u64 > capacity {
            return Err(Error::InvalidDepositors(format!(
                "{} depositors do not fit a tree of depth {depth} ({capacity} leaves)",
                depositors.len()
            )));
        }
        let zeros = vec![Fr::zero(); n];
        let mut padding = vec![padding_leaf(n)];
        for l in 0..depth as usize {
            padding.push(node_hash(padding[l], padding[l], &zeros));
        }

        let list = depositors.depositors();
        let leaves = Level {
            hashes: par_map(list.len(), |k| {
                let balances: Vec<Fr> = list[k].balances.iter().map(|&b| Fr::from(b)).collect();
                leaf_hash(id_element(&list[k].id), &balances)
            }),
            sums: list.iter().flat_map(|d| d.balances.iter().map(|&b| u128::from(b))).collect(),
        };
        let mut levels = vec![leaves];
        for l in 0..depth as usize {
            let below = &levels[l];
            let nodes = par_map(below.hashes.len().div_ceil(2), |i| {
                let (left, left_sums) = node(below, n, padding[l], 2 * i);
                let (right, right_sums) = node(below, n, padding[l], 2 * i + 1);
                let sums: Vec<u128> =
                    left_sums.iter().zip(&right_sums).map(|(a, b)| a + b).collect();
                (node_hash(left, right, &to_fields(&sums)), sums)
            });
            let mut level = Level::default();
            for (hash, sums) in nodes {
                level.hashes.push(hash);
                level.sums.extend(sums);
            }
            levels.push(level);
        }
        Ok(Self { depth, depositors: depositors.clone(), levels, padding })
    }

    /// The tree's depth.
    pub fn depth(&self) -> u32 {
        self.depth
    }

    /// The number of assets.
    pub fn n_assets(&self) -> usize {
        self.depositors.n_assets()
    }

    /// The depositors, in leaf order.
    pub fn depositors(&self) -> &Depositors {
        &self.depositors
    }

    /// The node at `index` of level `level` (0 = leaves): its hash and sums.
    fn node(&self, level: usize, index: usize) -> (Fr, Vec<u128>) {
        node(&self.levels[level], self.n_assets(), self.padding[level], index)
    }

    /// The root hash and totals.
    pub fn root(&self) -> TreeRoot {
        let (hash, totals) = self.node(self.depth as usize, 0);
        TreeRoot { depth: self.depth, hash, totals: to_fields(&totals) }
    }

    /// Depositor `index`'s inclusion proof.
    pub fn inclusion_proof(&self, index: usize) -> Result<InclusionProof, Error> {
        let depositor = self.depositors.depositors().get(index).ok_or_else(|| {
            Error::ValueOutOfRange(format!(
                "depositor index {index} (the tree holds {})",
                self.depositors.len()
            ))
        })?;
        let path = (0..self.depth as usize)
            .map(|level| {
                let (hash, sums) = self.node(level, (index >> level) ^ 1);
                Sibling { hash, sums: to_fields(&sums) }
            })
            .collect();
        let root = self.root();
        Ok(InclusionProof {
            version: INCLUSION_VERSION,
            index: index as u64,
            id: depositor.id.clone(),
            assets: self.depositors.assets().to_vec(),
            balances: depositor.balances.iter().map(|&b| Fr::from(b)).collect(),
            path,
            root: root.hash,
            totals: root.totals,
        })
    }

    /// The summary file's contents: the root hash and totals.
    pub fn summary(&self) -> TreeSummary {
        let root = self.root();
        TreeSummary {
            version: SUMMARY_VERSION,
            depth: self.depth,
            n_assets: self.n_assets(),
            assets: self.depositors.assets().to_vec(),
            root: root.hash,
            totals: root.totals,
            depositors: self.depositors.len(),
        }
    }
}

/// Node `index` of `level`, or the padding subtree (zero sums) past the stored nodes.
fn node(level: &Level, n_assets: usize, padding: Fr, index: usize) -> (Fr, Vec<u128>) {
    match level.hashes.get(index) {
        Some(&hash) => (hash, level.sums[index * n_assets..(index + 1) * n_assets].to_vec()),
        None => (padding, vec![0; n_assets]),
    }
}

/// `(0..len).map(f)`, on every core when `len` is large enough to pay for the threads.
fn par_map<U: Send>(len: usize, f: impl Fn(usize) -> U + Sync) -> Vec<U> {
    const MIN_PER_THREAD: usize = 256;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = cores.min(len / MIN_PER_THREAD).max(1);
    if threads == 1 {
        return (0..len).map(f).collect();
    }
    let chunk = len.div_ceil(threads);
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let range = t * chunk..((t + 1) * chunk).min(len);
                scope.spawn(move || range.map(f).collect::<Vec<U>>())
            })
            .collect();
        let mut out = Vec::with_capacity(len);
        for handle in handles {
            match handle.join() {
                Ok(part) => out.extend(part),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        out
    })
}

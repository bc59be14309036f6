//! One batch's public statement (what the attestor computes for `submitBatch`), its private
//! witness, and the native reference of the batch circuit's checks.
//!
//! # What a batch proof says
//!
//! "The `2^k` leaves I know, every balance in `[0, 2^B)`, hash to the public batch root, and
//! their per-asset sums, packed, are the public words." The attestor chains the batch roots and
//! sums into its keccak accumulator and adds the sums into the epoch's totals; the assets that
//! cover the totals are checked on chain when the epoch is sealed.
//!
//! # Public inputs (in order, `2 + ceil(n / L)`)
//!
//! 1. `binding = keccak256(abi.encode(agent, attestor, vault, chainId, epoch, deadline,
//!    batchIndex, batchCount)) & (2^253 - 1)`: eight 32-byte ABI words (`address` x3,
//!    `uint256`, `uint64` x2, `uint32` x2);
//! 2. the batch root (see [`super`]);
//! 3. the sums, `L = floor(253 / S)` per word: `word_j = sum_{i < L} sum_{jL+i} * 2^(S*i)`.

use alloy::primitives::U256;
use ark_bn254::Fr;
use serde::{Deserialize, Serialize};

use super::files::{dec_u128s, dec_u256s, hex_fr};
use super::hash::{leaf_hash, node_hash, u256_to_fr};
use super::SolvencyShape;
use crate::serde_fr::address;
use crate::Error;

/// The public statement of one batch proof.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchStatement {
    /// The agent attesting.
    #[serde(with = "address")]
    pub agent: [u8; 20],
    /// The attestor contract that accepts the proof.
    #[serde(with = "address")]
    pub attestor: [u8; 20],
    /// The agent's vault.
    #[serde(with = "address")]
    pub vault: [u8; 20],
    /// The chain.
    pub chain_id: u64,
    /// The epoch being uploaded.
    pub epoch: u64,
    /// The last block timestamp (unix seconds) at which the attestor accepts the proof.
    pub deadline: u64,
    /// The batch's position in the epoch (`0..batch_count`).
    pub batch_index: u32,
    /// The epoch's number of batches.
    pub batch_count: u32,
    /// The batch root.
    #[serde(with = "hex_fr")]
    pub root: Fr,
    /// The batch's per-asset sums, token units (each below `2^S`).
    #[serde(with = "dec_u256s")]
    pub sums: Vec<U256>,
}

/// The private witness of one batch: every leaf (`2^k`, padding included), its id element and
/// balances.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchWitness {
    /// `(id, balances)` per leaf, in leaf order.
    pub leaves: Vec<Leaf>,
}

/// One leaf of a witness.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Leaf {
    /// The id element ([`super::id_element`]; 0 for padding).
    #[serde(with = "hex_fr")]
    pub id: Fr,
    /// Token units per asset.
    #[serde(with = "dec_u128s")]
    pub balances: Vec<u128>,
}

/// A failed check of the native reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SolvencyViolation {
    /// The leaves do not hash to the statement's root, or do not add up to its sums.
    TreeMismatch,
    /// A value does not fit its width, or the witness is not the shape's (named).
    OutOfRange(String),
}

impl BatchStatement {
    /// `keccak256(abi.encode(agent, attestor, vault, chainId, epoch, deadline, batchIndex,
    /// batchCount))` masked to 253 bits (the attestor's `binding(..)`).
    pub fn binding(&self) -> Fr {
        let mut words = [[0u8; 32]; 8];
        words[0][12..].copy_from_slice(&self.agent);
        words[1][12..].copy_from_slice(&self.attestor);
        words[2][12..].copy_from_slice(&self.vault);
        words[3][24..].copy_from_slice(&self.chain_id.to_be_bytes());
        words[4][24..].copy_from_slice(&self.epoch.to_be_bytes());
        words[5][24..].copy_from_slice(&self.deadline.to_be_bytes());
        words[6][28..].copy_from_slice(&self.batch_index.to_be_bytes());
        words[7][28..].copy_from_slice(&self.batch_count.to_be_bytes());
        crate::statement::masked_keccak(&words)
    }

    /// Checks the sums (one per asset, each below `2^S`) and the index (below the count).
    pub fn check_ranges(&self, shape: &SolvencyShape) -> Result<(), Error> {
        if self.sums.len() != shape.n_assets {
            return Err(Error::StatementMismatch(format!(
                "{} sums, the shape has {} assets",
                self.sums.len(),
                shape.n_assets
            )));
        }
        let bits = shape.sum_bits() as usize;
        if let Some(a) = self.sums.iter().position(|s| s.bit_len() > bits) {
            return Err(Error::ValueOutOfRange(format!(
                "the sum of asset {a} is 2^{bits} or more (a batch of 2^{} balances below 2^{} \
                 sums below 2^{bits})",
                shape.batch_depth, shape.balance_bits
            )));
        }
        if self.batch_index >= self.batch_count {
            return Err(Error::ValueOutOfRange(format!(
                "batch index {} of {} batches",
                self.batch_index, self.batch_count
            )));
        }
        Ok(())
    }

    /// The public inputs, in the circuit's order (see the module's docs).
    pub fn public_inputs(&self, shape: &SolvencyShape) -> Result<Vec<Fr>, Error> {
        self.check_ranges(shape)?;
        let mut inputs = Vec::with_capacity(shape.public_input_count());
        inputs.push(self.binding());
        inputs.push(self.root);
        inputs.extend(pack_words(shape, &self.sums)?);
        Ok(inputs)
    }
}

/// The sums packed `L` per word: `word_j = sum_i sums[jL+i] * 2^(S*i)` (each sum below `2^S`,
/// so every word is below `2^253`).
pub fn pack_words(shape: &SolvencyShape, sums: &[U256]) -> Result<Vec<Fr>, Error> {
    let s = shape.sum_bits() as usize;
    sums.chunks(shape.lanes())
        .map(|lanes| {
            let word = lanes.iter().enumerate().fold(U256::ZERO, |w, (i, v)| w | (*v << (s * i)));
            u256_to_fr(&word).ok_or_else(|| Error::ValueOutOfRange("a packed sum word".into()))
        })
        .collect()
}

/// The root of a batch over `leaves` (`2^k` leaf hashes): 4-ary levels, a binary top for odd
/// `k`. `adjust(level, index, hash)` may change each hash before its parent reads it (level 0:
/// the leaves); the reference passes a no-op, tests a tamper. `None` unless `2^k` leaves.
pub(crate) fn fold_batch(
    shape: &SolvencyShape,
    leaves: &[Fr],
    adjust: &dyn Fn(usize, usize, &mut Fr),
) -> Option<Fr> {
    if leaves.len() != shape.leaves_per_batch() {
        return None;
    }
    let mut level: Vec<Fr> = leaves.to_vec();
    for (l, arity) in shape.arities().into_iter().enumerate() {
        for (i, h) in level.iter_mut().enumerate() {
            adjust(l, i, h);
        }
        level = level.chunks(arity).map(node_hash).collect();
    }
    let mut root = level.pop()?;
    adjust(shape.arities().len(), 0, &mut root);
    Some(root)
}

/// The batch root and per-asset sums of `witness` (the leaves hashed as given; sums as
/// integers), or `None` when the witness is not `2^k` leaves of `n` balances.
pub fn witness_root(shape: &SolvencyShape, witness: &BatchWitness) -> Option<(Fr, Vec<U256>)> {
    if witness.leaves.iter().any(|l| l.balances.len() != shape.n_assets) {
        return None;
    }
    let hashes: Vec<Fr> =
        witness.leaves.iter().map(|l| leaf_hash(shape, l.id, &l.balances)).collect();
    let root = fold_batch(shape, &hashes, &|_, _, _| {})?;
    let mut sums = vec![U256::ZERO; shape.n_assets];
    for leaf in &witness.leaves {
        for (s, &b) in sums.iter_mut().zip(&leaf.balances) {
            *s += U256::from(b);
        }
    }
    Some((root, sums))
}

/// The native reference: every check the batch circuit enforces, with the failures found: the
/// statement's sums in range, the witness of the shape, every balance below `2^B`, and the
/// leaves hashing to the root with sums equal to the statement's.
pub fn check(
    shape: &SolvencyShape,
    statement: &BatchStatement,
    witness: &BatchWitness,
) -> Vec<SolvencyViolation> {
    if let Err(e) = shape.check().and_then(|()| statement.check_ranges(shape)) {
        return vec![SolvencyViolation::OutOfRange(e.to_string())];
    }
    let mut violations = Vec::new();
    let bits = shape.balance_bits;
    let wide = witness.leaves.iter().enumerate().find_map(|(k, leaf)| {
        let a = leaf.balances.iter().position(|&b| bits < 128 && b >> bits != 0)?;
        Some((k, a))
    });
    if let Some((k, a)) = wide {
        violations.push(SolvencyViolation::OutOfRange(format!(
            "the balance of asset {a} at leaf {k} is 2^{bits} or more"
        )));
    }
    match witness_root(shape, witness) {
        Some((root, sums)) if root == statement.root && sums == statement.sums => {}
        Some(_) => violations.push(SolvencyViolation::TreeMismatch),
        None => violations.push(SolvencyViolation::OutOfRange(format!(
            "the witness is not {} leaves of {} balances",
            shape.leaves_per_batch(),
            shape.n_assets
        ))),
    }
    violations
}

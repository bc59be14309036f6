//! A solvency attestation: its public statement (what the attestor contract computes), the
//! private witness, and the native reference of the circuit's checks.
//!
//! # What the proof says
//!
//! "The `2^d` leaves I know, every balance in `[0, 2^64)`, hash to the public root, and their
//! per-asset sums are the public totals." Nothing else: the assets that cover the totals
//! (holdings, debts, registered proof-of-reserve feeds), the haircuts, the margin and the prices
//! are read and checked on chain by the attestor, against the totals this proof makes public.
//!
//! # Public inputs (in order, `2 + ceil(N/2)` for `N` assets)
//!
//! 1. `binding = keccak256(abi.encode(agent, attestor, vault, chainId, epoch, deadline)) &
//!    (2^253 - 1)`, six 32-byte ABI words (`address, address, address, uint256, uint64,
//!    uint64`): a proof names the agent that submits it, the attestor contract that accepts it
//!    (so it cannot be replayed on another attestor deployment of the same chain), the vault, the
//!    chain, the epoch, and the last second (`block.timestamp <= deadline`) the attestor accepts
//!    it (so a proof of a book held back cannot be submitted long after it was built);
//! 2. the liabilities tree's root hash (the root node's Poseidon hash, see [`super`]);
//! 3. the totals, two per element: `T_{2i} | T_{2i+1} << 96` (the last high half is 0 for an
//!    odd `N`).

use ark_bn254::Fr;
use ark_ff::PrimeField;
use num_bigint::BigUint;

use super::{leaf_hash, node_hash, MAX_ASSETS};
use crate::Error;

/// Width of a total in the packed public inputs (token units).
pub const AMOUNT_BITS: usize = 96;

/// The public statement of an attestation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SolvencyStatement {
    /// The agent attesting.
    pub agent: [u8; 20],
    /// The attestor contract that accepts the proof.
    pub attestor: [u8; 20],
    /// The agent's vault.
    pub vault: [u8; 20],
    /// The chain.
    pub chain_id: u64,
    /// The attestation's epoch (strictly increasing on chain).
    pub epoch: u64,
    /// The last block timestamp (unix seconds) at which the attestor accepts the proof.
    pub deadline: u64,
    /// The liabilities tree's root hash.
    pub root: Fr,
    /// The liabilities' per-asset totals, token units (below 2^96).
    pub totals: Vec<u128>,
}

/// The private witness: every leaf of the liabilities tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SolvencyWitness {
    /// Every leaf (`2^depth`, padding included): id element and balances (field elements, so
    /// that tests can hide a "negative" balance; honest ones are below 2^64).
    pub leaves: Vec<(Fr, Vec<Fr>)>,
}

/// A failed check of the native reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SolvencyViolation {
    /// The leaves do not hash to the statement's root, or do not add up to its totals.
    TreeMismatch,
    /// A value does not fit its width (named).
    OutOfRange(String),
}

impl SolvencyStatement {
    /// `keccak256(abi.encode(agent, attestor, vault, chainId, epoch, deadline))` masked to
    /// 253 bits (what the attestor's `binding(agent, vault, epoch, deadline)` returns).
    pub fn binding(&self) -> Fr {
        let mut words = [[0u8; 32]; 6];
        words[0][12..].copy_from_slice(&self.agent);
        words[1][12..].copy_from_slice(&self.attestor);
        words[2][12..].copy_from_slice(&self.vault);
        words[3][24..].copy_from_slice(&self.chain_id.to_be_bytes());
        words[4][24..].copy_from_slice(&self.epoch.to_be_bytes());
        words[5][24..].copy_from_slice(&self.deadline.to_be_bytes());
        crate::statement::masked_keccak(&words)
    }

    /// Checks the totals: `1..=16` of them, each below 2^96 (the contract refuses the same).
    pub fn check_ranges(&self) -> Result<(), Error> {
        if !(1..=MAX_ASSETS).contains(&self.totals.len()) {
            return Err(Error::ValueOutOfRange(format!(
                "{} totals (a statement has 1..={MAX_ASSETS})",
                self.totals.len()
            )));
        }
        if let Some(a) = self.totals.iter().position(|t| t >> AMOUNT_BITS != 0) {
            return Err(Error::ValueOutOfRange(format!("total of asset {a} exceeds 96 bits")));
        }
        Ok(())
    }

    /// The public inputs, in the circuit's order (see the module's docs).
    pub fn public_inputs(&self) -> Result<Vec<Fr>, Error> {
        self.check_ranges()?;
        let mut inputs = Vec::with_capacity(public_input_count(self.totals.len()));
        inputs.push(self.binding());
        inputs.push(self.root);
        for pair in self.totals.chunks(2) {
            let high = pair.get(1).copied().unwrap_or(0);
            let word = BigUint::from(pair[0]) | BigUint::from(high) << AMOUNT_BITS;
            inputs.push(Fr::from(word));
        }
        Ok(inputs)
    }
}

/// The witness leaves of `depositors` in a tree of `depth`: depositor `k` at leaf `k`, then
/// padding (id 0, zero balances).
pub fn witness_leaves(depositors: &super::Depositors, depth: u32) -> Vec<(Fr, Vec<Fr>)> {
    let n = depositors.n_assets();
    let mut leaves: Vec<(Fr, Vec<Fr>)> = depositors
        .depositors()
        .iter()
        .map(|d| (super::id_element(&d.id), d.balances.iter().map(|&b| Fr::from(b)).collect()))
        .collect();
    leaves.resize(1usize << depth, (Fr::from(0u64), vec![Fr::from(0u64); n]));
    leaves
}

/// The number of public inputs for `n_assets` assets: `2 + ceil(n/2)`.
pub fn public_input_count(n_assets: usize) -> usize {
    2 + n_assets.div_ceil(2)
}

/// Whether a field element is below 2^64.
fn is_balance(value: &Fr) -> bool {
    value.into_bigint().0[1..].iter().all(|limb| *limb == 0)
}

/// The root hash and per-asset sums of `leaves` (field arithmetic, as the circuit computes them),
/// or `None` when the leaves are not a power of two in number or not `n_assets` balances each.
/// `adjust(level, node, sums)` may change each node's sums before it is hashed (level 1 are the
/// leaves' parents, level `d` the root); the reference passes a no-op, tests a tamper.
pub(crate) fn fold_tree(
    leaves: &[(Fr, Vec<Fr>)],
    n_assets: usize,
    adjust: &dyn Fn(usize, usize, &mut [Fr]),
) -> Option<(Fr, Vec<Fr>)> {
    if !leaves.len().is_power_of_two() || leaves.iter().any(|(_, b)| b.len() != n_assets) {
        return None;
    }
    let mut level: Vec<(Fr, Vec<Fr>)> =
        leaves.iter().map(|(id, balances)| (leaf_hash(*id, balances), balances.clone())).collect();
    let mut height = 0;
    while level.len() > 1 {
        height += 1;
        level = level
            .chunks(2)
            .enumerate()
            .map(|(node, pair)| {
                let mut sums: Vec<Fr> =
                    pair[0].1.iter().zip(&pair[1].1).map(|(l, r)| *l + r).collect();
                adjust(height, node, &mut sums);
                (node_hash(pair[0].0, pair[1].0, &sums), sums)
            })
            .collect();
    }
    level.pop()
}

/// The root hash and per-asset sums of `leaves` (see [`check`]), or `None` when they are not
/// a tree of `n_assets` assets.
pub fn leaves_root(leaves: &[(Fr, Vec<Fr>)], n_assets: usize) -> Option<(Fr, Vec<Fr>)> {
    fold_tree(leaves, n_assets, &|_, _, _| {})
}

/// The native reference: every check the circuit enforces, with the failures found: the totals'
/// ranges, every balance below 2^64, and the leaves hashing to the root with sums equal to the
/// totals.
pub fn check(statement: &SolvencyStatement, witness: &SolvencyWitness) -> Vec<SolvencyViolation> {
    let mut violations = Vec::new();
    if let Err(e) = statement.check_ranges() {
        violations.push(SolvencyViolation::OutOfRange(e.to_string()));
        return violations;
    }
    if !witness.leaves.iter().flat_map(|(_, b)| b).all(is_balance) {
        violations.push(SolvencyViolation::OutOfRange("a depositor balance".into()));
    }
    let totals: Vec<Fr> = statement.totals.iter().map(|&t| Fr::from(t)).collect();
    let matches = leaves_root(&witness.leaves, statement.totals.len())
        .is_some_and(|(root, sums)| root == statement.root && sums == totals);
    if !matches {
        violations.push(SolvencyViolation::TreeMismatch);
    }
    violations
}

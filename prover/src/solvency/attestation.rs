//! A solvency attestation: its public statement (what the contract computes and checks), the
//! private witness, and the native reference of the circuit's checks.
//!
//! # Checks (for `N` assets, haircuts `h_a` and margin `m` in basis points)
//!
//! With `A_a = vault_a + offVault_a` (token units) and `L_a` the tree's total of asset `a`:
//!
//! 1. per asset, in units: `A_a >= L_a`;
//! 2. per asset, in value: `h_a · A_a >= (10_000 + m) · L_a` (the price cancels: it is positive);
//! 3. in total value: `Σ h_a · A_a · p_a · s_a >= (10_000 + m) · Σ L_a · p_a · s_a`, where `p_a` is
//!    the feed's price at 1e8 and `s_a = 10^(18 - decimals_a)` brings every token to 18 decimals.
//!
//! Checking (2) for every asset, not only (3), defeats the "dummy user" trick: liabilities in a
//! cheap asset cannot be netted against a shortfall in a dear one.
//!
//! # Public inputs (in order)
//!
//! 1. `binding = keccak256(abi.encode(agent, vault, chainId, epoch)) mod 2^253`;
//! 2. the liabilities tree's root hash (which commits to the totals through the root's sums);
//! 3. the previous off-vault commitment (0 before the first attestation);
//! 4. the new off-vault commitment `H("proofgate.solvency.offv", [previous, epoch, o_1..o_N,
//!    blinding])`, chained so that positions cannot be swapped silently between attestations;
//! 5. `epoch | margin << 64`;
//! 6. one element per asset: `vault_a | p_a << 96 | h_a << 160 | s_a << 176`;
//! 7. the totals, two per element: `T_{2i} | T_{2i+1} << 96`.

use ark_bn254::Fr;
use num_bigint::BigUint;
use serde::{Deserialize, Serialize};

use crate::poseidon::hash_with_domain;
use crate::Error;

/// Domain tag of the off-vault position commitment.
pub const DOMAIN_OFF_VAULT: &str = "proofgate.solvency.offv";
/// Width of a vault holding, an off-vault position and a total (token units).
pub const AMOUNT_BITS: usize = 96;
/// Width of a price (USD at 1e8).
pub const PRICE_BITS: usize = 64;
/// Width of a haircut or the margin (basis points).
pub const BPS_BITS: usize = 16;
/// Width of a decimal scale `10^(18 - decimals)`.
pub const SCALE_BITS: usize = 64;
/// Width of the epoch.
pub const EPOCH_BITS: usize = 64;
/// Basis points in one.
pub const BPS: u128 = 10_000;

/// One asset as the attestation contract reads it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttestedAsset {
    /// The vault's holding, token units (below 2^96).
    pub vault_holding: u128,
    /// The feed's price, USD at 1e8 (positive, below 2^64).
    pub price_1e8: u64,
    /// The governed haircut, basis points (at most 10,000).
    pub haircut_bps: u16,
    /// `10^(18 - decimals)`.
    pub scale: u64,
}

/// The public statement of an attestation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SolvencyStatement {
    /// The agent attesting.
    pub agent: [u8; 20],
    /// Its vault.
    pub vault: [u8; 20],
    /// The chain.
    pub chain_id: u64,
    /// The attestation's epoch (strictly increasing on chain).
    pub epoch: u64,
    /// The governed margin, basis points.
    pub margin_bps: u16,
    /// Per asset.
    pub assets: Vec<AttestedAsset>,
    /// The liabilities tree's root hash.
    pub root: Fr,
    /// The liabilities' per-asset totals (below 2^96).
    pub totals: Vec<u128>,
    /// The previous off-vault commitment.
    pub previous_commitment: Fr,
    /// The new off-vault commitment.
    pub new_commitment: Fr,
}

/// The private witness.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SolvencyWitness {
    /// Every leaf (`2^depth`, padding included): id element and balances (field elements, so
    /// that tests can hide a "negative" balance; honest ones are below 2^64).
    pub leaves: Vec<(Fr, Vec<Fr>)>,
    /// Positions held outside the vault, token units (below 2^96).
    pub off_vault: Vec<u128>,
    /// The commitment's blinding factor.
    pub blinding: Fr,
}

/// A failed check of the native reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SolvencyViolation {
    /// The leaves do not hash to the statement's root and totals.
    TreeMismatch,
    /// The new commitment does not open to the witness.
    CommitmentMismatch,
    /// A value does not fit its width (named).
    OutOfRange(String),
    /// Asset `a` has fewer units than its liabilities.
    Units(usize),
    /// Asset `a`'s haircut value is below its liabilities plus margin.
    AssetValue(usize),
    /// The haircut value of everything is below the liabilities plus margin.
    TotalValue,
}

/// The off-vault commitment `H("proofgate.solvency.offv", [previous, epoch, o..., blinding])`.
pub fn off_vault_commitment(previous: Fr, epoch: u64, off_vault: &[u128], blinding: Fr) -> Fr {
    let mut elements = vec![previous, Fr::from(epoch)];
    elements.extend(off_vault.iter().map(|&o| Fr::from(o)));
    elements.push(blinding);
    hash_with_domain(DOMAIN_OFF_VAULT, &elements)
}

fn field(value: BigUint) -> Fr {
    Fr::from(value)
}

impl SolvencyStatement {
    /// `keccak256(abi.encode(agent, vault, chainId, epoch))` masked to 253 bits.
    pub fn binding(&self) -> Fr {
        let mut words = [[0u8; 32]; 4];
        words[0][12..].copy_from_slice(&self.agent);
        words[1][12..].copy_from_slice(&self.vault);
        words[2][24..].copy_from_slice(&self.chain_id.to_be_bytes());
        words[3][24..].copy_from_slice(&self.epoch.to_be_bytes());
        crate::statement::masked_keccak(&words)
    }

    /// Checks every width; the contract refuses the same values.
    pub fn check_ranges(&self) -> Result<(), Error> {
        let bad = |what: String| Err(Error::ValueOutOfRange(what));
        if self.assets.len() != self.totals.len() || self.assets.is_empty() {
            return bad(format!("{} assets and {} totals", self.assets.len(), self.totals.len()));
        }
        for (a, asset) in self.assets.iter().enumerate() {
            if asset.vault_holding >> AMOUNT_BITS != 0 {
                return bad(format!("vault holding of asset {a} exceeds 96 bits"));
            }
            if asset.price_1e8 == 0 {
                return bad(format!("asset {a} has a zero price"));
            }
            if u128::from(asset.haircut_bps) > BPS {
                return bad(format!("haircut of asset {a} above 10000 bps"));
            }
        }
        if let Some(a) = self.totals.iter().position(|t| t >> AMOUNT_BITS != 0) {
            return bad(format!("total of asset {a} exceeds 96 bits"));
        }
        Ok(())
    }

    /// The public inputs, in the circuit's order (see the module's docs).
    pub fn public_inputs(&self) -> Result<Vec<Fr>, Error> {
        self.check_ranges()?;
        let mut inputs =
            vec![self.binding(), self.root, self.previous_commitment, self.new_commitment];
        inputs
            .push(field(BigUint::from(self.epoch) | BigUint::from(self.margin_bps) << EPOCH_BITS));
        for asset in &self.assets {
            let word = BigUint::from(asset.vault_holding)
                | BigUint::from(asset.price_1e8) << AMOUNT_BITS
                | BigUint::from(asset.haircut_bps) << (AMOUNT_BITS + PRICE_BITS)
                | BigUint::from(asset.scale) << (AMOUNT_BITS + PRICE_BITS + BPS_BITS);
            inputs.push(field(word));
        }
        for pair in self.totals.chunks(2) {
            let high = pair.get(1).copied().unwrap_or(0);
            inputs.push(field(BigUint::from(pair[0]) | BigUint::from(high) << AMOUNT_BITS));
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

/// The number of public inputs for `n_assets` assets.
pub fn public_input_count(n_assets: usize) -> usize {
    5 + n_assets + n_assets.div_ceil(2)
}

/// The native reference: every check the circuit enforces, with the failures found.
pub fn check(statement: &SolvencyStatement, witness: &SolvencyWitness) -> Vec<SolvencyViolation> {
    use super::{leaf_hash, node_hash};
    let mut violations = Vec::new();
    if let Err(e) = statement.check_ranges() {
        violations.push(SolvencyViolation::OutOfRange(e.to_string()));
        return violations;
    }
    let n = statement.assets.len();
    // The tree, level by level.
    let balance_range = witness.leaves.iter().flat_map(|(_, b)| b).all(|b| {
        use ark_ff::PrimeField;
        b.into_bigint().0[1..].iter().all(|limb| *limb == 0)
    });
    if !balance_range {
        violations.push(SolvencyViolation::OutOfRange("a depositor balance".into()));
    }
    let mut level: Vec<(Fr, Vec<Fr>)> = witness
        .leaves
        .iter()
        .map(|(id, balances)| (leaf_hash(*id, balances), balances.clone()))
        .collect();
    let shaped =
        witness.leaves.len().is_power_of_two() && witness.leaves.iter().all(|(_, b)| b.len() == n);
    while shaped && level.len() > 1 {
        level = level
            .chunks(2)
            .map(|pair| {
                let sums: Vec<Fr> = pair[0].1.iter().zip(&pair[1].1).map(|(l, r)| *l + r).collect();
                (node_hash(pair[0].0, pair[1].0, &sums), sums)
            })
            .collect();
    }
    let totals: Vec<Fr> = statement.totals.iter().map(|&t| Fr::from(t)).collect();
    if !shaped
        || level.first().is_none_or(|(root, sums)| *root != statement.root || *sums != totals)
    {
        violations.push(SolvencyViolation::TreeMismatch);
    }
    if witness.off_vault.len() != n
        || off_vault_commitment(
            statement.previous_commitment,
            statement.epoch,
            &witness.off_vault,
            witness.blinding,
        ) != statement.new_commitment
    {
        violations.push(SolvencyViolation::CommitmentMismatch);
        return violations;
    }
    if let Some(a) = witness.off_vault.iter().position(|o| o >> AMOUNT_BITS != 0) {
        violations.push(SolvencyViolation::OutOfRange(format!("off-vault position {a}")));
        return violations;
    }
    let margin = BigUint::from(BPS + u128::from(statement.margin_bps));
    let (mut assets_value, mut liabilities_value) = (BigUint::default(), BigUint::default());
    for (a, asset) in statement.assets.iter().enumerate() {
        let units = BigUint::from(asset.vault_holding) + witness.off_vault[a];
        let owed = BigUint::from(statement.totals[a]);
        if units < owed {
            violations.push(SolvencyViolation::Units(a));
        }
        let haircut = BigUint::from(asset.haircut_bps);
        if &haircut * &units < &margin * &owed {
            violations.push(SolvencyViolation::AssetValue(a));
        }
        let value = BigUint::from(asset.price_1e8) * asset.scale;
        assets_value += &haircut * &units * &value;
        liabilities_value += &owed * &value;
    }
    if assets_value < margin * liabilities_value {
        violations.push(SolvencyViolation::TotalValue);
    }
    violations
}

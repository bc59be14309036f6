//! The solvency circuit: "these `2^d` range-checked leaves hash to the public root and totals,
//! the new off-vault commitment opens to positions chained from the previous one, and vault plus
//! off-vault holdings cover the liabilities per asset, per asset in haircut value, and in total
//! haircut value with the margin". It enforces exactly [`super::attestation::check`].

use ark_bn254::Fr;
use ark_r1cs_std::prelude::*;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};

use super::attestation::{
    SolvencyStatement, SolvencyWitness, AMOUNT_BITS, BPS, BPS_BITS, DOMAIN_OFF_VAULT, EPOCH_BITS,
    PRICE_BITS, SCALE_BITS,
};
use super::{DOMAIN_LEAF, DOMAIN_NODE};
use crate::circuit::gadgets::{enforce_bits, enforce_le, hash_with_domain, pow2, Fp};

/// Width of a depositor's balance.
const BALANCE_BITS: usize = 64;
/// Headroom of the total-value comparison: each side is below `2^(17+97+64+64) · 16 = 2^246`.
const TOTAL_VALUE_BITS: usize = 247;
/// Headroom of the per-asset value comparison: each side is below `2^(17+97)`.
const ASSET_VALUE_BITS: usize = 115;
/// Headroom of the per-asset unit comparison.
const UNIT_BITS: usize = 98;

/// The solvency circuit for `n_assets` assets and `2^depth` leaves; without an assignment it
/// only has a shape (for key generation).
#[derive(Clone, Debug)]
pub struct SolvencyCircuit {
    /// Number of assets.
    pub n_assets: usize,
    /// Tree depth.
    pub depth: u32,
    /// The statement and witness, when proving.
    pub assignment: Option<(SolvencyStatement, SolvencyWitness)>,
}

fn field_witness(cs: &ConstraintSystemRef<Fr>, value: Option<Fr>) -> Result<Fp, SynthesisError> {
    Fp::new_witness(cs.clone(), || value.ok_or(SynthesisError::AssignmentMissing))
}

/// Witnesses `bits` bits of `value` and returns their sum (range-checked by construction).
fn bits_field(
    cs: &ConstraintSystemRef<Fr>,
    value: Option<u128>,
    bits: usize,
) -> Result<Fp, SynthesisError> {
    let v = Fp::new_witness(cs.clone(), || {
        value.map(Fr::from).ok_or(SynthesisError::AssignmentMissing)
    })?;
    enforce_bits(&v, bits)?;
    Ok(v)
}

impl ConstraintSynthesizer<Fr> for SolvencyCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let n = self.n_assets;
        let leaves = 1usize << self.depth;
        let st = self.assignment.as_ref().map(|(s, _)| s);
        let wi = self.assignment.as_ref().map(|(_, w)| w);
        if let (Some(s), Some(w)) = (st, wi) {
            if s.assets.len() != n
                || s.totals.len() != n
                || w.leaves.len() != leaves
                || w.off_vault.len() != n
            {
                return Err(SynthesisError::Unsatisfiable);
            }
        }
        let public =
            st.map(|s| s.public_inputs()).transpose().map_err(|_| SynthesisError::Unsatisfiable)?;
        let input = |i: usize| -> Result<Fp, SynthesisError> {
            Fp::new_input(cs.clone(), || {
                public
                    .as_ref()
                    .and_then(|p| p.get(i).copied())
                    .ok_or(SynthesisError::AssignmentMissing)
            })
        };
        // 1-4: binding, root, previous and new commitments.
        let binding = input(0)?;
        let root_public = input(1)?;
        let previous = input(2)?;
        let new_commitment = input(3)?;
        // The binding takes part in a constraint, so it cannot be dropped from the statement.
        let _ = binding.square()?;

        // 5: epoch | margin << 64.
        let header = input(4)?;
        let epoch = bits_field(&cs, st.map(|s| u128::from(s.epoch)), EPOCH_BITS)?;
        let margin = bits_field(&cs, st.map(|s| u128::from(s.margin_bps)), BPS_BITS)?;
        header.enforce_equal(&(&epoch + &margin * pow2(EPOCH_BITS)))?;

        // 6: per asset, vault | price << 96 | haircut << 160 | scale << 176.
        let mut vault_holdings = Vec::with_capacity(n);
        let mut prices = Vec::with_capacity(n);
        let mut haircuts = Vec::with_capacity(n);
        let mut scales = Vec::with_capacity(n);
        for a in 0..n {
            let word = input(5 + a)?;
            let asset = st.map(|s| &s.assets[a]);
            let holding = bits_field(&cs, asset.map(|x| x.vault_holding), AMOUNT_BITS)?;
            let price = bits_field(&cs, asset.map(|x| u128::from(x.price_1e8)), PRICE_BITS)?;
            let haircut = bits_field(&cs, asset.map(|x| u128::from(x.haircut_bps)), BPS_BITS)?;
            let scale = bits_field(&cs, asset.map(|x| u128::from(x.scale)), SCALE_BITS)?;
            // Haircuts are at most 10,000 bps.
            enforce_le(&haircut, &Fp::constant(Fr::from(BPS)), BPS_BITS + 1)?;
            let packed = &holding
                + &price * pow2(AMOUNT_BITS)
                + &haircut * pow2(AMOUNT_BITS + PRICE_BITS)
                + &scale * pow2(AMOUNT_BITS + PRICE_BITS + BPS_BITS);
            word.enforce_equal(&packed)?;
            vault_holdings.push(holding);
            prices.push(price);
            haircuts.push(haircut);
            scales.push(scale);
        }

        // The tree: range-checked leaves, hashed up to the root; sums are linear.
        let mut level: Vec<(Fp, Vec<Fp>)> = Vec::with_capacity(leaves);
        for k in 0..leaves {
            let leaf = wi.map(|w| &w.leaves[k]);
            let id = field_witness(&cs, leaf.map(|(id, _)| *id))?;
            let balances = (0..n)
                .map(|a| {
                    let b = field_witness(&cs, leaf.map(|(_, b)| b[a]))?;
                    enforce_bits(&b, BALANCE_BITS)?;
                    Ok(b)
                })
                .collect::<Result<Vec<_>, SynthesisError>>()?;
            let mut elements = vec![id];
            elements.extend(balances.iter().cloned());
            level.push((hash_with_domain(&cs, DOMAIN_LEAF, &[], &elements)?, balances));
        }
        while level.len() > 1 {
            let mut next = Vec::with_capacity(level.len() / 2);
            for pair in level.chunks(2) {
                // Each sum is a fresh variable (one constraint), not the growing linear combination
                // of every balance below it: that would make the matrices quadratic in the leaves.
                let sums = pair[0]
                    .1
                    .iter()
                    .zip(&pair[1].1)
                    .map(|(l, r)| {
                        let lc = l + r;
                        let sum = Fp::new_witness(cs.clone(), || lc.value())?;
                        sum.enforce_equal(&lc)?;
                        Ok(sum)
                    })
                    .collect::<Result<Vec<Fp>, SynthesisError>>()?;
                let mut elements = vec![pair[0].0.clone(), pair[1].0.clone()];
                elements.extend(sums.iter().cloned());
                next.push((hash_with_domain(&cs, DOMAIN_NODE, &[], &elements)?, sums));
            }
            level = next;
        }
        let (root, totals) = level.pop().ok_or(SynthesisError::Unsatisfiable)?;
        root.enforce_equal(&root_public)?;
        // 7: totals, two per element (each below 2^(64+depth) <= 2^96, so the packing is exact).
        for (i, pair) in totals.chunks(2).enumerate() {
            let word = input(5 + n + i)?;
            let packed = match pair.get(1) {
                Some(high) => &pair[0] + high * pow2(AMOUNT_BITS),
                None => pair[0].clone(),
            };
            word.enforce_equal(&packed)?;
        }

        // The off-vault positions and their chained commitment.
        let off_vault = (0..n)
            .map(|a| bits_field(&cs, wi.map(|w| w.off_vault[a]), AMOUNT_BITS))
            .collect::<Result<Vec<_>, _>>()?;
        let blinding = field_witness(&cs, wi.map(|w| w.blinding))?;
        let mut elements = vec![previous, epoch];
        elements.extend(off_vault.iter().cloned());
        elements.push(blinding);
        hash_with_domain(&cs, DOMAIN_OFF_VAULT, &[], &elements)?.enforce_equal(&new_commitment)?;

        // The checks.
        let factor = &margin + Fr::from(BPS);
        let (mut assets_value, mut liabilities_value) = (Fp::zero(), Fp::zero());
        for a in 0..n {
            let units = &vault_holdings[a] + &off_vault[a];
            enforce_le(&totals[a], &units, UNIT_BITS)?;
            let covered = &haircuts[a] * &units;
            enforce_le(&(&factor * &totals[a]), &covered, ASSET_VALUE_BITS)?;
            let value = &prices[a] * &scales[a];
            assets_value += &covered * &value;
            liabilities_value += &totals[a] * &value;
        }
        enforce_le(&(&factor * &liabilities_value), &assets_value, TOTAL_VALUE_BITS)?;
        Ok(())
    }
}

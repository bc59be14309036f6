//! The solvency circuit: "these `2^d` leaves, every balance range-checked to 64 bits, hash to
//! the public root, and their sums are the public totals". It enforces exactly
//! [`super::attestation::check`]; coverage of the totals is the attestor contract's.
//!
//! Constraint families, in the order they are emitted (a test can name the family of any
//! unsatisfied constraint through [`ConstraintLayout`]):
//!
//! | family          | constraints                                          |
//! |-----------------|------------------------------------------------------|
//! | binding         | 1: the binding input squared                         |
//! | balance range   | 65 per balance (64 booleans, one packing)            |
//! | leaf hash       | one Poseidon hash per leaf                           |
//! | node sum        | 1 per asset per node: `sum = left + right`           |
//! | node hash       | one Poseidon hash per node (children and sums)       |
//! | root            | 1: the root node's hash equals input 2               |
//! | totals          | 1 per pair of assets: the root's sums packed equal the input |

use std::ops::Range;

use ark_bn254::Fr;
use ark_r1cs_std::prelude::*;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};

use super::attestation::{public_input_count, SolvencyStatement, SolvencyWitness, AMOUNT_BITS};
use super::{check_shape, BALANCE_BITS, DOMAIN_LEAF, DOMAIN_NODE};
use crate::circuit::gadgets::{enforce_bits, hash_with_domain, pow2, Fp};
use crate::Error;

/// A family of constraints of the solvency circuit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// The binding input's square.
    Binding,
    /// Every balance's 64-bit range check.
    BalanceRange,
    /// The leaves' Poseidon hashes.
    LeafHash,
    /// Each node's sums: `sum = left + right`.
    NodeSum,
    /// The nodes' Poseidon hashes.
    NodeHash,
    /// The root hash equals the public root.
    Root,
    /// The root's sums, packed, equal the public totals.
    Totals,
}

impl Family {
    /// Every family, in emission order.
    pub const ALL: [Family; 7] = [
        Family::Binding,
        Family::BalanceRange,
        Family::LeafHash,
        Family::NodeSum,
        Family::NodeHash,
        Family::Root,
        Family::Totals,
    ];

    /// The family's name ("balance range").
    pub fn name(self) -> &'static str {
        match self {
            Family::Binding => "binding",
            Family::BalanceRange => "balance range",
            Family::LeafHash => "leaf hash",
            Family::NodeSum => "node sum",
            Family::NodeHash => "node hash",
            Family::Root => "root",
            Family::Totals => "totals",
        }
    }
}

/// The constraint index ranges each family emitted, in order (consecutive ranges of one family
/// are merged).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConstraintLayout {
    ranges: Vec<(Family, Range<usize>)>,
}

impl ConstraintLayout {
    fn record(&mut self, family: Family, range: Range<usize>) {
        if range.is_empty() {
            return;
        }
        match self.ranges.last_mut() {
            Some((last, r)) if *last == family && r.end == range.start => r.end = range.end,
            _ => self.ranges.push((family, range)),
        }
    }

    /// The ranges, in order.
    pub fn ranges(&self) -> &[(Family, Range<usize>)] {
        &self.ranges
    }

    /// The family that emitted constraint `index`.
    pub fn family_of(&self, index: usize) -> Option<Family> {
        self.ranges.iter().find(|(_, r)| r.contains(&index)).map(|(f, _)| *f)
    }

    /// Constraints per family, in [`Family::ALL`] order.
    pub fn counts(&self) -> Vec<(Family, usize)> {
        Family::ALL
            .iter()
            .map(|&f| (f, self.ranges.iter().filter(|(g, _)| *g == f).map(|(_, r)| r.len()).sum()))
            .collect()
    }

    /// Every constraint.
    pub fn total(&self) -> usize {
        self.ranges.iter().map(|(_, r)| r.len()).sum()
    }
}

/// Test-only: one node sum's witness is the honest sum plus `delta` (the constraint
/// `sum = left + right` then fails; the tree above hashes the tampered value).
#[cfg(test)]
#[derive(Clone, Copy, Debug)]
pub(crate) struct NodeSumTamper {
    /// The node's level: 1 for the leaves' parents, `depth` for the root.
    pub level: usize,
    /// The node's index within its level.
    pub node: usize,
    /// The asset.
    pub asset: usize,
    /// Added to the honest sum.
    pub delta: Fr,
}

/// An assigned statement and witness, with the public inputs they give.
#[derive(Clone, Debug)]
struct Assignment {
    statement: SolvencyStatement,
    witness: SolvencyWitness,
    inputs: Vec<Fr>,
}

/// The solvency circuit for `n_assets` assets and `2^depth` leaves; without an assignment it
/// only has a shape (for key generation).
#[derive(Clone, Debug)]
pub struct SolvencyCircuit {
    n_assets: usize,
    depth: u32,
    assignment: Option<Assignment>,
    #[cfg(test)]
    tamper: Option<NodeSumTamper>,
}

impl SolvencyCircuit {
    /// The circuit's shape: `n_assets` assets, `2^depth` leaves, no assignment.
    pub fn shape(n_assets: usize, depth: u32) -> Result<Self, Error> {
        check_shape(depth, n_assets)?;
        Ok(Self {
            n_assets,
            depth,
            assignment: None,
            #[cfg(test)]
            tamper: None,
        })
    }

    /// The circuit with `statement` and `witness` assigned. Refuses a statement whose totals are
    /// not one per asset or out of range, and a witness that is not `2^depth` leaves of one
    /// balance per asset (shapes the circuit cannot hold; any other fault only makes the
    /// constraints unsatisfied).
    pub fn assigned(
        n_assets: usize,
        depth: u32,
        statement: SolvencyStatement,
        witness: SolvencyWitness,
    ) -> Result<Self, Error> {
        let mut circuit = Self::shape(n_assets, depth)?;
        if statement.totals.len() != n_assets {
            return Err(Error::StatementMismatch(format!(
                "{} totals, the circuit has {n_assets} assets",
                statement.totals.len()
            )));
        }
        let leaves = 1usize << depth;
        if witness.leaves.len() != leaves || witness.leaves.iter().any(|(_, b)| b.len() != n_assets)
        {
            return Err(Error::StatementMismatch(format!(
                "the witness is not {leaves} leaves of {n_assets} balances"
            )));
        }
        let inputs = statement.public_inputs()?;
        circuit.assignment = Some(Assignment { statement, witness, inputs });
        Ok(circuit)
    }

    /// The number of assets.
    pub fn n_assets(&self) -> usize {
        self.n_assets
    }

    /// The tree's depth.
    pub fn depth(&self) -> u32 {
        self.depth
    }

    /// Test-only: overrides one node sum's witness (see [`NodeSumTamper`]).
    #[cfg(test)]
    pub(crate) fn with_tamper(mut self, tamper: NodeSumTamper) -> Self {
        self.tamper = Some(tamper);
        self
    }

    /// The delta the tamper hook adds to node `(level, node)`'s sum of `asset` (zero outside
    /// tests).
    #[allow(unused_variables)]
    fn tampered(&self, level: usize, node: usize, asset: usize) -> Option<Fr> {
        #[cfg(test)]
        if let Some(t) = self.tamper {
            if (t.level, t.node, t.asset) == (level, node, asset) {
                return Some(t.delta);
            }
        }
        None
    }

    /// Emits the constraints and returns which family emitted which.
    pub fn synthesize(
        &self,
        cs: ConstraintSystemRef<Fr>,
    ) -> Result<ConstraintLayout, SynthesisError> {
        let mut layout = ConstraintLayout::default();
        let mut at = cs.num_constraints();
        let mut mark = |layout: &mut ConstraintLayout, family: Family| {
            let now = cs.num_constraints();
            layout.record(family, at..now);
            at = now;
        };
        let n = self.n_assets;
        let st = self.assignment.as_ref().map(|a| &a.statement);
        let wi = self.assignment.as_ref().map(|a| &a.witness);
        let inputs = self.assignment.as_ref().map(|a| &a.inputs);
        let input = |i: usize| -> Result<Fp, SynthesisError> {
            Fp::new_input(cs.clone(), || {
                inputs.and_then(|p| p.get(i).copied()).ok_or(SynthesisError::AssignmentMissing)
            })
        };
        let binding = input(0)?;
        let root_public = input(1)?;
        let totals_public =
            (0..n.div_ceil(2)).map(|i| input(2 + i)).collect::<Result<Vec<_>, _>>()?;
        debug_assert_eq!(2 + totals_public.len(), public_input_count(n));
        debug_assert!(st.is_none_or(|s| s.totals.len() == n));

        // The binding takes part in a constraint, so it cannot be dropped from the statement.
        let _ = binding.square()?;
        mark(&mut layout, Family::Binding);

        // The leaves: range-checked balances, hashed with the id.
        let mut level: Vec<(Fp, Vec<Fp>)> = Vec::with_capacity(1 << self.depth);
        for k in 0..1usize << self.depth {
            let leaf = wi.map(|w| &w.leaves[k]);
            let id = Fp::new_witness(cs.clone(), || {
                leaf.map(|(id, _)| *id).ok_or(SynthesisError::AssignmentMissing)
            })?;
            let mut balances = Vec::with_capacity(n);
            for a in 0..n {
                let b = Fp::new_witness(cs.clone(), || {
                    leaf.map(|(_, b)| b[a]).ok_or(SynthesisError::AssignmentMissing)
                })?;
                enforce_bits(&b, BALANCE_BITS as usize)?;
                balances.push(b);
            }
            mark(&mut layout, Family::BalanceRange);
            let mut elements = vec![id];
            elements.extend(balances.iter().cloned());
            let hash = hash_with_domain(&cs, DOMAIN_LEAF, &[], &elements)?;
            mark(&mut layout, Family::LeafHash);
            level.push((hash, balances));
        }

        // The nodes. Each sum is a fresh variable with one constraint, not the growing linear
        // combination of every balance below it (that would make the matrices quadratic).
        let mut height = 0;
        while level.len() > 1 {
            height += 1;
            let mut next = Vec::with_capacity(level.len() / 2);
            for (node, pair) in level.chunks(2).enumerate() {
                let mut sums = Vec::with_capacity(n);
                for (asset, (l, r)) in pair[0].1.iter().zip(&pair[1].1).enumerate() {
                    let lc = l + r;
                    let delta = self.tampered(height, node, asset).unwrap_or_default();
                    let sum = Fp::new_witness(cs.clone(), || Ok(lc.value()? + delta))?;
                    sum.enforce_equal(&lc)?;
                    sums.push(sum);
                }
                mark(&mut layout, Family::NodeSum);
                let mut elements = vec![pair[0].0.clone(), pair[1].0.clone()];
                elements.extend(sums.iter().cloned());
                let hash = hash_with_domain(&cs, DOMAIN_NODE, &[], &elements)?;
                mark(&mut layout, Family::NodeHash);
                next.push((hash, sums));
            }
            level = next;
        }
        let (root, totals) = level.pop().ok_or(SynthesisError::Unsatisfiable)?;
        root.enforce_equal(&root_public)?;
        mark(&mut layout, Family::Root);

        // Totals, two per element (each below 2^(64+depth) <= 2^96, so the packing is exact).
        for (pair, word) in totals.chunks(2).zip(&totals_public) {
            let packed = match pair.get(1) {
                Some(high) => &pair[0] + high * pow2(AMOUNT_BITS),
                None => pair[0].clone(),
            };
            word.enforce_equal(&packed)?;
        }
        mark(&mut layout, Family::Totals);
        Ok(layout)
    }
}

impl ConstraintSynthesizer<Fr> for SolvencyCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        self.synthesize(cs).map(|_| ())
    }
}

//! The batch circuit: "the `2^k` leaves (ids free, every balance the linear combination of its
//! `B` boolean bits) hash to the public batch root, and their per-asset sums, packed, equal the
//! public words". It enforces exactly [`super::attestation::check`].
//!
//! Constraint families, in the order they are emitted (a test can name the family of any
//! unsatisfied constraint through [`ConstraintLayout`]):
//!
//! | family        | constraints                                                          |
//! |---------------|----------------------------------------------------------------------|
//! | binding       | 1: the binding input squared                                         |
//! | balance range | `B` per balance: `bit * bit = bit` (the balance IS `sum bit_i 2^i`)  |
//! | leaf hash     | per leaf: one tagged Poseidon over `[id, limbs..]`, and its output   |
//! | node hash     | per node: one tagged Poseidon over its children, and its output      |
//! | root          | 1: the root equals input 2                                           |
//! | sums          | 1 per public word: the flat sum of the balances' bits, packed        |
//!
//! A leaf's limbs are linear combinations of its bits (bit `i` of asset `a` sits at position
//! `a*B + i` of the packed integer, limb `floor(p / 253)`), and each sum word is one linear
//! combination of every bit of the batch, so neither costs a constraint. Each hash output is a
//! witness equal to the permutation's output (one constraint): the hashes a level reads are
//! named variables.

use std::ops::Range;

use ark_bn254::Fr;
use ark_r1cs_std::fields::fp::AllocatedFp;
use ark_r1cs_std::prelude::*;
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystemRef, LinearCombination, SynthesisError, Variable,
};

use super::attestation::{BatchStatement, BatchWitness};
use super::{SolvencyShape, DOMAIN_LEAF, DOMAIN_NODE2, DOMAIN_NODE4, LIMB_BITS};
use crate::circuit::gadgets::{hash_tagged, pow2, Fp};
use crate::Error;

/// A family of constraints of the batch circuit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// The binding input's square.
    Binding,
    /// Every balance bit's boolean constraint.
    BalanceRange,
    /// The leaves' Poseidon hashes and their outputs.
    LeafHash,
    /// The nodes' Poseidon hashes and their outputs.
    NodeHash,
    /// The root equals the public root.
    Root,
    /// The sums, packed, equal the public words.
    Sums,
}

impl Family {
    /// Every family, in emission order.
    pub const ALL: [Family; 6] = [
        Family::Binding,
        Family::BalanceRange,
        Family::LeafHash,
        Family::NodeHash,
        Family::Root,
        Family::Sums,
    ];

    /// The family's name ("balance range").
    pub fn name(self) -> &'static str {
        match self {
            Family::Binding => "binding",
            Family::BalanceRange => "balance range",
            Family::LeafHash => "leaf hash",
            Family::NodeHash => "node hash",
            Family::Root => "root",
            Family::Sums => "sums",
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

/// Test-only: one witness value overridden, everything else honest.
#[cfg(test)]
#[derive(Clone, Copy, Debug)]
pub(crate) enum Tamper {
    /// Bit `bit` of leaf `leaf`'s balance of `asset` holds `value`.
    Bit { leaf: usize, asset: usize, bit: usize, value: Fr },
    /// Leaf `leaf`'s hash output is the honest hash plus `delta`.
    LeafHash { leaf: usize, delta: Fr },
    /// Node `node` of level `level` (1: the leaves' parents)'s output plus `delta`.
    NodeHash { level: usize, node: usize, delta: Fr },
}

/// An assigned witness with the public inputs of its statement.
#[derive(Clone, Debug)]
struct Assignment {
    witness: BatchWitness,
    inputs: Vec<Fr>,
}

/// The batch circuit of a shape; without an assignment it only has a shape (for key
/// generation).
#[derive(Clone, Debug)]
pub struct BatchCircuit {
    shape: SolvencyShape,
    assignment: Option<Assignment>,
    #[cfg(test)]
    tamper: Option<Tamper>,
}

impl BatchCircuit {
    /// The circuit of `shape`, with no assignment.
    pub fn shape(shape: SolvencyShape) -> Result<Self, Error> {
        shape.check()?;
        Ok(Self {
            shape,
            assignment: None,
            #[cfg(test)]
            tamper: None,
        })
    }

    /// The circuit with `statement` and `witness` assigned. Refuses a statement whose sums are
    /// not one per asset or out of range, and a witness that is not `2^k` leaves of `n`
    /// balances (shapes the circuit cannot hold; any other fault, a balance of `2^B` or more
    /// included, only makes the constraints unsatisfied).
    pub fn assigned(
        shape: SolvencyShape,
        statement: &BatchStatement,
        witness: &BatchWitness,
    ) -> Result<Self, Error> {
        let mut circuit = Self::shape(shape)?;
        let leaves = shape.leaves_per_batch();
        if witness.leaves.len() != leaves
            || witness.leaves.iter().any(|l| l.balances.len() != shape.n_assets)
        {
            return Err(Error::StatementMismatch(format!(
                "the witness is not {leaves} leaves of {} balances",
                shape.n_assets
            )));
        }
        let inputs = statement.public_inputs(&shape)?;
        circuit.assignment = Some(Assignment { witness: witness.clone(), inputs });
        Ok(circuit)
    }

    /// The shape.
    pub fn batch_shape(&self) -> SolvencyShape {
        self.shape
    }

    /// Test-only: overrides one witness value (see [`Tamper`]).
    #[cfg(test)]
    pub(crate) fn with_tamper(mut self, tamper: Tamper) -> Self {
        self.tamper = Some(tamper);
        self
    }

    /// The value of bit `bit` of leaf `leaf`'s balance of `asset`: bits `0..B-1` of the balance,
    /// and the rest of it (`b >> (B-1)`) in the top bit, so the bits always add up to the
    /// balance and a balance of `2^B` or more leaves a non-boolean top bit.
    fn bit_value(&self, leaf: usize, asset: usize, bit: usize) -> Option<Fr> {
        #[cfg(test)]
        if let Some(Tamper::Bit { leaf: l, asset: a, bit: i, value }) = self.tamper {
            if (l, a, i) == (leaf, asset, bit) {
                return Some(value);
            }
        }
        let b = *self.assignment.as_ref()?.witness.leaves[leaf].balances.get(asset)?;
        let top = self.shape.balance_bits as usize - 1;
        Some(if bit < top { Fr::from((b >> bit) & 1) } else { Fr::from(b >> top) })
    }

    /// The delta the tamper hook adds to a hash output at `(level, index)` (level 0: leaves).
    #[allow(unused_variables)]
    fn hash_delta(&self, level: usize, index: usize) -> Fr {
        #[cfg(test)]
        match self.tamper {
            Some(Tamper::LeafHash { leaf, delta }) if level == 0 && leaf == index => return delta,
            Some(Tamper::NodeHash { level: l, node, delta }) if (l, node) == (level, index) => {
                return delta
            }
            _ => {}
        }
        Fr::from(0u64)
    }

    /// A hash output as a witness equal to the permutation's output (one constraint).
    fn output(&self, hash: Fp, level: usize, index: usize) -> Result<Fp, SynthesisError> {
        let delta = self.hash_delta(level, index);
        let out = Fp::new_witness(hash.cs(), || Ok(hash.value()? + delta))?;
        out.enforce_equal(&hash)?;
        Ok(out)
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
        let shape = self.shape;
        let (n, b) = (shape.n_assets, shape.balance_bits as usize);
        let (s, lanes) = (shape.sum_bits() as usize, shape.lanes());
        let inputs = self.assignment.as_ref().map(|a| &a.inputs);
        let input = |i: usize| -> Result<Fp, SynthesisError> {
            Fp::new_input(cs.clone(), || {
                inputs.and_then(|p| p.get(i).copied()).ok_or(SynthesisError::AssignmentMissing)
            })
        };
        let binding = input(0)?;
        let root_public = input(1)?;
        let words_public =
            (0..shape.words()).map(|j| input(2 + j)).collect::<Result<Vec<_>, _>>()?;

        // The binding takes part in a constraint, so it cannot be dropped from the statement.
        let _ = binding.square()?;
        mark(&mut layout, Family::Binding);

        let mut word_terms: Vec<Vec<(Fr, Variable)>> =
            vec![Vec::with_capacity(shape.leaves_per_batch() * lanes * b); shape.words()];
        let mut word_values = vec![Some(Fr::from(0u64)); shape.words()];
        let mut level = Vec::with_capacity(shape.leaves_per_batch());
        for k in 0..shape.leaves_per_batch() {
            let leaf = self.assignment.as_ref().map(|a| &a.witness.leaves[k]);
            let id = Fp::new_witness(cs.clone(), || {
                leaf.map(|l| l.id).ok_or(SynthesisError::AssignmentMissing)
            })?;
            let mut limbs = vec![(Vec::new(), Some(Fr::from(0u64))); shape.limbs()];
            for a in 0..n {
                for i in 0..b {
                    let value = self.bit_value(k, a, i);
                    let bit =
                        cs.new_witness_variable(|| value.ok_or(SynthesisError::AssignmentMissing))?;
                    cs.enforce_r1cs_constraint(|| bit.into(), || bit.into(), || bit.into())?;
                    let p = a * b + i;
                    let coeff = pow2(p % LIMB_BITS as usize);
                    let limb = &mut limbs[p / LIMB_BITS as usize];
                    limb.0.push((coeff, bit));
                    limb.1 = limb.1.zip(value).map(|(sum, v)| sum + v * coeff);
                    let coeff = pow2(s * (a % lanes) + i);
                    word_terms[a / lanes].push((coeff, bit));
                    let word = &mut word_values[a / lanes];
                    *word = word.zip(value).map(|(sum, v)| sum + v * coeff);
                }
            }
            mark(&mut layout, Family::BalanceRange);
            let mut elements = vec![id];
            for (terms, value) in limbs {
                let var = cs.new_lc(|| LinearCombination(terms))?;
                elements.push(Fp::Var(AllocatedFp::new(value, var, cs.clone())));
            }
            let hash = hash_tagged(&cs, DOMAIN_LEAF, &elements)?;
            level.push(self.output(hash, 0, k)?);
            mark(&mut layout, Family::LeafHash);
        }

        for (l, arity) in shape.arities().into_iter().enumerate() {
            let tag = if arity == 2 { DOMAIN_NODE2 } else { DOMAIN_NODE4 };
            let mut next = Vec::with_capacity(level.len() / arity);
            for (node, children) in level.chunks(arity).enumerate() {
                let hash = hash_tagged(&cs, tag, children)?;
                next.push(self.output(hash, l + 1, node)?);
            }
            level = next;
            mark(&mut layout, Family::NodeHash);
        }
        let root = level.pop().ok_or(SynthesisError::Unsatisfiable)?;
        root.enforce_equal(&root_public)?;
        mark(&mut layout, Family::Root);

        // The sums: each word one flat combination of every bit of its lanes' assets.
        for ((terms, value), public) in word_terms.into_iter().zip(word_values).zip(&words_public) {
            let mut lc = LinearCombination(terms);
            lc.compactify();
            let var = cs.new_lc(|| lc)?;
            let packed = Fp::Var(AllocatedFp::new(value, var, cs.clone()));
            packed.enforce_equal(public)?;
        }
        mark(&mut layout, Family::Sums);
        Ok(layout)
    }
}

impl ConstraintSynthesizer<Fr> for BatchCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        self.synthesize(cs).map(|_| ())
    }
}

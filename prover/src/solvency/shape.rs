//! The shape of a batched solvency book: assets, balance width and batch depth, and what follows
//! from them (sum width, lanes per public word, public inputs, tree levels).

use serde::{Deserialize, Serialize};

use super::{LIMB_BITS, MAX_ASSETS, MAX_BALANCE_BITS, MAX_BATCHES, MAX_BATCH_DEPTH};
use crate::Error;

/// The shape every batch proof of a key has: `n_assets` balances per depositor, each below
/// `2^balance_bits`, and `2^batch_depth` leaves per batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SolvencyShape {
    /// Number of assets `n` (`1..=16`).
    pub n_assets: usize,
    /// Bit width `B` of a balance (`1..=128`).
    pub balance_bits: u32,
    /// Depth `k` of a batch (`0..=20`): `2^k` leaves.
    pub batch_depth: u32,
}

impl SolvencyShape {
    /// A checked shape.
    pub fn new(n_assets: usize, balance_bits: u32, batch_depth: u32) -> Result<Self, Error> {
        let shape = Self { n_assets, balance_bits, batch_depth };
        shape.check()?;
        Ok(shape)
    }

    /// Refuses `n` outside `1..=16`, `B` outside `1..=128` and `k` above 20.
    pub fn check(&self) -> Result<(), Error> {
        if !(1..=MAX_ASSETS).contains(&self.n_assets) {
            return Err(Error::InvalidConfig(format!(
                "{} assets (a solvency book covers 1..={MAX_ASSETS})",
                self.n_assets
            )));
        }
        if !(1..=MAX_BALANCE_BITS).contains(&self.balance_bits) {
            return Err(Error::InvalidConfig(format!(
                "balance width {} bits (must be 1..={MAX_BALANCE_BITS})",
                self.balance_bits
            )));
        }
        if self.batch_depth > MAX_BATCH_DEPTH {
            return Err(Error::InvalidConfig(format!(
                "batch depth {} (must be 0..={MAX_BATCH_DEPTH})",
                self.batch_depth
            )));
        }
        Ok(())
    }

    /// `S = B + k`: a batch's per-asset sum is below `2^S`.
    pub fn sum_bits(&self) -> u32 {
        self.balance_bits + self.batch_depth
    }

    /// `L = floor(253 / S)`: sums per public word.
    pub fn lanes(&self) -> usize {
        (LIMB_BITS / self.sum_bits()) as usize
    }

    /// `ceil(n / L)`: public words of sums.
    pub fn words(&self) -> usize {
        self.n_assets.div_ceil(self.lanes())
    }

    /// `2 + words`: binding, batch root, then the packed sums.
    pub fn public_input_count(&self) -> usize {
        2 + self.words()
    }

    /// `2^k`.
    pub fn leaves_per_batch(&self) -> usize {
        1usize << self.batch_depth
    }

    /// `ceil(n * B / 253)`: the 253-bit limbs of a leaf's packed balances.
    pub fn limbs(&self) -> usize {
        (self.n_assets * self.balance_bits as usize).div_ceil(LIMB_BITS as usize)
    }

    /// The arity of each level of a batch tree, bottom first: 4 for `floor(k/2)` levels, then 2
    /// when `k` is odd.
    pub fn arities(&self) -> Vec<usize> {
        let mut arities = vec![4; (self.batch_depth / 2) as usize];
        if self.batch_depth % 2 == 1 {
            arities.push(2);
        }
        arities
    }

    /// `max(1, ceil(depositors / 2^k))` batches, refused above 2^16.
    pub fn batch_count(&self, depositors: usize) -> Result<usize, Error> {
        let count = depositors.div_ceil(self.leaves_per_batch()).max(1);
        if count > MAX_BATCHES {
            return Err(Error::InvalidDepositors(format!(
                "{depositors} depositors need {count} batches of 2^{} leaves (at most \
                 {MAX_BATCHES}); choose a larger batch depth",
                self.batch_depth
            )));
        }
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_examples_hold() {
        let s = SolvencyShape::new(8, 64, 10).expect("valid");
        assert_eq!((s.sum_bits(), s.lanes(), s.public_input_count(), s.limbs()), (74, 3, 5, 3));
        let s = SolvencyShape::new(8, 128, 10).expect("valid");
        assert_eq!((s.sum_bits(), s.lanes(), s.public_input_count(), s.limbs()), (138, 1, 10, 5));
        let s = SolvencyShape::new(8, 96, 2).expect("valid");
        assert_eq!((s.sum_bits(), s.lanes(), s.public_input_count(), s.limbs()), (98, 2, 6, 4));
        assert_eq!(SolvencyShape::new(1, 1, 0).expect("valid").arities(), Vec::<usize>::new());
        assert_eq!(SolvencyShape::new(1, 1, 3).expect("valid").arities(), vec![4, 2]);
        assert_eq!(SolvencyShape::new(1, 1, 4).expect("valid").arities(), vec![4, 4]);
        assert_eq!(s.batch_count(0).expect("one"), 1);
        assert_eq!(s.batch_count(9).expect("three"), 3);
        assert!(SolvencyShape::new(1, 1, 0).expect("valid").batch_count(65_537).is_err());
        for (n, b, k) in [(0, 64, 2), (17, 64, 2), (8, 0, 2), (8, 129, 2), (8, 64, 21)] {
            assert!(SolvencyShape::new(n, b, k).is_err(), "{n} {b} {k}");
        }
    }
}

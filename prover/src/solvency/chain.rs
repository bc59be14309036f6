//! The published chain of an epoch: every batch's root and sums, the keccak accumulator the
//! attestor computes over them, and the per-asset totals.

use alloy::primitives::U256;
use ark_bn254::Fr;
use serde::{Deserialize, Serialize};
use sha3::{Digest, Keccak256};

use super::files::{dec_u256s, hex32, hex_fr};
use super::hash::fr_to_u256;

/// One batch as the attestor's `SolvencyBatchAccepted` event publishes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainLink {
    /// The batch root.
    #[serde(with = "hex_fr")]
    pub root: Fr,
    /// The batch's per-asset sums.
    #[serde(with = "dec_u256s")]
    pub sums: Vec<U256>,
}

/// What an epoch publishes: the accumulator (the attestor's `liabilitiesRoot`) and the totals
/// (hashed into its `totalsHash`). A depositor checks an inclusion proof against these.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Published {
    /// `acc_m`.
    #[serde(with = "hex32")]
    pub accumulator: [u8; 32],
    /// `sum_i sums_i`, per asset.
    #[serde(with = "dec_u256s")]
    pub totals: Vec<U256>,
}

/// Every batch of an epoch, in order, with the accumulator and totals they give.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishedChain {
    /// The batches, in upload order.
    pub batches: Vec<ChainLink>,
    /// `acc_m` over the batches.
    #[serde(with = "hex32")]
    pub accumulator: [u8; 32],
    /// The per-asset totals.
    #[serde(with = "dec_u256s")]
    pub totals: Vec<U256>,
}

/// `keccak256(abi.encodePacked(bytes32 acc, uint256 root, uint256[] sums))`: one step of the
/// attestor's chain (`accumulate` on chain).
pub fn accumulate(acc: &[u8; 32], root: &Fr, sums: &[U256]) -> [u8; 32] {
    let mut hasher = Keccak256::new();
    hasher.update(acc);
    hasher.update(fr_to_u256(root).to_be_bytes::<32>());
    for s in sums {
        hasher.update(s.to_be_bytes::<32>());
    }
    hasher.finalize().into()
}

impl PublishedChain {
    /// The chain of `batches` (`n_assets` sums each): `acc_0 = 0`, one [`accumulate`] per
    /// batch, totals summed (exact: at most 2^16 sums below 2^148).
    pub fn new(batches: Vec<ChainLink>, n_assets: usize) -> Self {
        let mut accumulator = [0u8; 32];
        let mut totals = vec![U256::ZERO; n_assets];
        for link in &batches {
            accumulator = accumulate(&accumulator, &link.root, &link.sums);
            for (t, s) in totals.iter_mut().zip(&link.sums) {
                *t = t.saturating_add(*s);
            }
        }
        Self { batches, accumulator, totals }
    }

    /// The accumulator and totals.
    pub fn published(&self) -> Published {
        Published { accumulator: self.accumulator, totals: self.totals.clone() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chain_starts_at_zero_and_hashes_acc_root_and_sums_packed() {
        let link = ChainLink { root: Fr::from(5u64), sums: vec![U256::from(1u8), U256::from(2u8)] };
        let chain = PublishedChain::new(vec![link.clone(), link], 2);
        let mut bytes = vec![0u8; 32];
        bytes.extend(U256::from(5u8).to_be_bytes::<32>());
        bytes.extend(U256::from(1u8).to_be_bytes::<32>());
        bytes.extend(U256::from(2u8).to_be_bytes::<32>());
        let first: [u8; 32] = Keccak256::digest(&bytes).into();
        bytes[..32].copy_from_slice(&first);
        let second: [u8; 32] = Keccak256::digest(&bytes).into();
        assert_eq!(chain.accumulator, second);
        assert_eq!(chain.totals, vec![U256::from(2u8), U256::from(4u8)]);
    }
}

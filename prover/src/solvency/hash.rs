//! The tree's hashes, as the module documentation defines them.

use alloy::primitives::U256;
use ark_bn254::Fr;
use ark_ff::{PrimeField, Zero};
use num_bigint::BigUint;

use super::LIMB_BITS;
use super::{SolvencyShape, DOMAIN_ID, DOMAIN_LEAF, DOMAIN_NODE2, DOMAIN_NODE4, ID_CHUNK_BYTES};
use crate::poseidon::{hash_tagged, hash_with_domain};

/// A depositor id's field element: `H("proofgate.solvency.id", [31-byte big-endian chunks of
/// the UTF-8 bytes..., byte length])` (the domain absorbed first, as before batching).
pub fn id_element(id: &str) -> Fr {
    let bytes = id.as_bytes();
    let mut elements: Vec<Fr> =
        bytes.chunks(ID_CHUNK_BYTES).map(Fr::from_be_bytes_mod_order).collect();
    elements.push(Fr::from(bytes.len() as u64));
    hash_with_domain(DOMAIN_ID, &elements)
}

/// The 253-bit limbs of `sum_a b_a * 2^(a*B)`, lowest first (`shape.limbs()` of them). Balances
/// must be below `2^B` for the packing to be injective (the tree and the circuit ensure it).
pub fn leaf_limbs(shape: &SolvencyShape, balances: &[u128]) -> Vec<Fr> {
    let b = shape.balance_bits as usize;
    let packed = balances
        .iter()
        .enumerate()
        .fold(BigUint::zero(), |acc, (a, &v)| acc | (BigUint::from(v) << (a * b)));
    let mask = (BigUint::from(1u8) << LIMB_BITS) - 1u8;
    (0..shape.limbs())
        .map(|j| {
            let limb = (&packed >> (j * LIMB_BITS as usize)) & &mask;
            Fr::from_le_bytes_mod_order(&limb.to_bytes_le())
        })
        .collect()
}

/// A leaf: `hash_tagged("proofgate.solvency.leaf", [id, c_0, c_1, ..])` over the limbs of the
/// packed balances.
pub fn leaf_hash(shape: &SolvencyShape, id: Fr, balances: &[u128]) -> Fr {
    leaf_hash_of_limbs(id, &leaf_limbs(shape, balances))
}

/// A leaf from its id and limbs.
pub fn leaf_hash_of_limbs(id: Fr, limbs: &[Fr]) -> Fr {
    let mut elements = Vec::with_capacity(1 + limbs.len());
    elements.push(id);
    elements.extend_from_slice(limbs);
    hash_tagged(DOMAIN_LEAF, &elements)
}

/// The padding leaf: id 0, every balance 0.
pub fn padding_leaf(shape: &SolvencyShape) -> Fr {
    leaf_hash(shape, Fr::zero(), &vec![0; shape.n_assets])
}

/// An inner node over its children in slot order: `hash_tagged("proofgate.solvency.node4",
/// [c0, c1, c2, c3])`, or `hash_tagged("proofgate.solvency.node2", [c0, c1])` for the binary
/// top of an odd-depth batch.
pub fn node_hash(children: &[Fr]) -> Fr {
    let tag = if children.len() == 2 { DOMAIN_NODE2 } else { DOMAIN_NODE4 };
    debug_assert!(children.len() == 2 || children.len() == 4);
    hash_tagged(tag, children)
}

/// The integer a field element holds, if it is below 2^128.
pub fn to_u128(f: &Fr) -> Option<u128> {
    let limbs = f.into_bigint().0;
    (limbs[2] == 0 && limbs[3] == 0).then(|| u128::from(limbs[0]) | (u128::from(limbs[1]) << 64))
}

/// A word as a field element; `None` at or above r (never reduced).
pub fn u256_to_fr(w: &U256) -> Option<Fr> {
    Fr::from_bigint(ark_ff::BigInt(w.into_limbs()))
}

/// A field element as a word.
pub fn fr_to_u256(f: &Fr) -> U256 {
    U256::from_limbs(f.into_bigint().0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_pack_31_bytes_per_element_and_end_with_the_length() {
        let id = "a".repeat(40);
        let chunks = [
            Fr::from_be_bytes_mod_order(&[b'a'; 31]),
            Fr::from_be_bytes_mod_order(&[b'a'; 9]),
            Fr::from(40u64),
        ];
        assert_eq!(id_element(&id), hash_with_domain(DOMAIN_ID, &chunks));
        assert_ne!(id_element("a"), id_element("\0a"));
        assert_ne!(id_element("alice"), id_element("alicf"));
    }

    #[test]
    fn balances_pack_into_253_bit_limbs() {
        let shape = SolvencyShape::new(8, 64, 2).expect("shape");
        let mut balances = vec![0u128; 8];
        balances[3] = u128::from(u64::MAX); // bits 192..256: crosses limb 0 into limb 1
        balances[4] = 1; // bit 256: limb 1, bit 3
        let limbs = leaf_limbs(&shape, &balances);
        assert_eq!(limbs.len(), 3);
        let low = (BigUint::from(u64::MAX) << 192u32) & ((BigUint::from(1u8) << 253u32) - 1u8);
        assert_eq!(limbs[0], Fr::from(low));
        assert_eq!(limbs[1], Fr::from((1u64 << 3) | 0b111));
        assert_eq!(limbs[2], Fr::zero());
        assert_eq!(
            leaf_hash(&shape, Fr::from(9u64), &balances),
            hash_tagged(DOMAIN_LEAF, &[Fr::from(9u64), limbs[0], limbs[1], limbs[2]])
        );
    }

    #[test]
    fn domains_keep_leaves_and_nodes_apart() {
        let x = [Fr::from(1u64), Fr::from(2u64), Fr::from(3u64), Fr::from(4u64)];
        assert_ne!(leaf_hash_of_limbs(x[0], &x[1..]), node_hash(&x));
        assert_ne!(node_hash(&x[..2]), hash_tagged(DOMAIN_NODE4, &x[..2]));
    }

    #[test]
    fn small_field_elements_convert_to_integers() {
        assert_eq!(to_u128(&Fr::from(u128::MAX)), Some(u128::MAX));
        assert_eq!(to_u128(&-Fr::from(1u64)), None);
        let w = U256::from(1u8) << 200;
        assert_eq!(fr_to_u256(&u256_to_fr(&w).expect("below r")), w);
        assert_eq!(u256_to_fr(&U256::MAX), None);
    }
}

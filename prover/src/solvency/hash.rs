//! The tree's hashes, as the module documentation defines them.

use ark_bn254::Fr;
use ark_ff::{PrimeField, Zero};

use super::{DOMAIN_ID, DOMAIN_LEAF, DOMAIN_NODE, ID_CHUNK_BYTES};
use crate::poseidon::hash_with_domain;

/// A depositor id's field element: `H("proofgate.solvency.id", [31-byte big-endian chunks of
/// the UTF-8 bytes..., byte length])`.
pub fn id_element(id: &str) -> Fr {
    let bytes = id.as_bytes();
    let mut elements: Vec<Fr> =
        bytes.chunks(ID_CHUNK_BYTES).map(Fr::from_be_bytes_mod_order).collect();
    elements.push(Fr::from(bytes.len() as u64));
    hash_with_domain(DOMAIN_ID, &elements)
}

/// A leaf: `H("proofgate.solvency.leaf", [id, b_1, ..., b_N])`.
pub fn leaf_hash(id: Fr, balances: &[Fr]) -> Fr {
    let mut elements = Vec::with_capacity(1 + balances.len());
    elements.push(id);
    elements.extend_from_slice(balances);
    hash_with_domain(DOMAIN_LEAF, &elements)
}

/// The padding leaf of an `n_assets` tree: id 0, every balance 0.
pub fn padding_leaf(n_assets: usize) -> Fr {
    leaf_hash(Fr::zero(), &vec![Fr::zero(); n_assets])
}

/// An inner node: `H("proofgate.solvency.node", [left, right, s_1, ..., s_N])`, where `sums`
/// are the node's own (its subtree's) per-asset sums.
pub fn node_hash(left: Fr, right: Fr, sums: &[Fr]) -> Fr {
    let mut elements = Vec::with_capacity(2 + sums.len());
    elements.push(left);
    elements.push(right);
    elements.extend_from_slice(sums);
    hash_with_domain(DOMAIN_NODE, &elements)
}

/// The integer a field element holds, if it is below 2^128.
pub fn to_u128(f: &Fr) -> Option<u128> {
    let limbs = f.into_bigint().0;
    (limbs[2] == 0 && limbs[3] == 0).then(|| u128::from(limbs[0]) | (u128::from(limbs[1]) << 64))
}

/// Field elements of integer sums (exact: every sum is below 2^128 < r).
pub(super) fn to_fields(values: &[u128]) -> Vec<Fr> {
    values.iter().map(|&v| Fr::from(v)).collect()
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
        assert_eq!(
            id_element("alice"),
            hash_with_domain(DOMAIN_ID, &[Fr::from_be_bytes_mod_order(b"alice"), Fr::from(5u64)])
        );
        // A leading zero byte changes the length, so the element.
        assert_ne!(id_element("a"), id_element("\0a"));
        assert_ne!(id_element("alice"), id_element("alicf"));
    }

    #[test]
    fn domains_keep_leaves_and_nodes_apart() {
        let x = [Fr::from(1u64), Fr::from(2u64), Fr::from(3u64)];
        assert_ne!(leaf_hash(x[0], &x[1..]), node_hash(x[0], x[1], &x[2..]));
    }

    #[test]
    fn small_field_elements_convert_to_integers() {
        assert_eq!(to_u128(&Fr::from(u128::MAX)), Some(u128::MAX));
        assert_eq!(to_u128(&Fr::from(7u64)), Some(7));
        assert_eq!(to_u128(&-Fr::from(1u64)), None);
    }
}

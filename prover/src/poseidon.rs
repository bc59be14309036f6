//! Poseidon over BN254 for ProofGate's commitments: one parameter set, domain-separated hashes.
//!
//! Width 5 (rate 4, capacity 1), x^5 S-box, 8 full and 60 partial rounds (the Poseidon paper's
//! choice for t = 5 over a 254-bit field at 128-bit security), round constants and MDS matrix from
//! the reference Grain LFSR as implemented by ark-crypto-primitives.

use std::sync::OnceLock;

use ark_bn254::Fr;
use ark_crypto_primitives::sponge::poseidon::PoseidonSponge;
use ark_crypto_primitives::sponge::poseidon::{find_poseidon_ark_and_mds, PoseidonConfig};
use ark_crypto_primitives::sponge::CryptographicSponge;
use ark_ff::PrimeField;

/// Sponge rate.
pub const RATE: usize = 4;
/// Full rounds.
pub const FULL_ROUNDS: usize = 8;
/// Partial rounds.
pub const PARTIAL_ROUNDS: usize = 60;
/// S-box exponent.
pub const ALPHA: u64 = 5;

/// Domain tag of model commitments.
pub const DOMAIN_MODEL: &str = "proofgate.model";
/// Domain tag of risk-parameter commitments.
pub const DOMAIN_RISK_PARAMS: &str = "proofgate.risk-params";

/// The Poseidon parameters, computed once.
pub fn config() -> &'static PoseidonConfig<Fr> {
    static CONFIG: OnceLock<PoseidonConfig<Fr>> = OnceLock::new();
    CONFIG.get_or_init(|| {
        let (ark, mds) = find_poseidon_ark_and_mds::<Fr>(
            u64::from(Fr::MODULUS_BIT_SIZE),
            RATE,
            FULL_ROUNDS as u64,
            PARTIAL_ROUNDS as u64,
            0,
        );
        PoseidonConfig::new(FULL_ROUNDS, PARTIAL_ROUNDS, ALPHA, mds, ark, RATE, 1)
    })
}

/// A domain tag as a field element: its ASCII bytes, big-endian (tags are under 31 bytes).
pub fn domain_tag(tag: &str) -> Fr {
    debug_assert!(tag.len() < 31);
    Fr::from_be_bytes_mod_order(tag.as_bytes())
}

/// The tagged sponge: the capacity element starts at [`domain_tag`]`(tag)` instead of 0, then
/// `elements` are absorbed (no length prefix, no padding) and one element is squeezed. Up to
/// [`RATE`] elements cost one permutation (the tag takes no rate slot).
pub fn hash_tagged(tag: &str, elements: &[Fr]) -> Fr {
    let mut sponge = PoseidonSponge::new(config());
    // arkworks keeps the capacity first: `state[0]` with capacity 1.
    sponge.state[0] = domain_tag(tag);
    sponge.absorb(&elements.to_vec());
    sponge.squeeze_field_elements::<Fr>(1)[0]
}

/// `Poseidon(tag, elements...)`, squeezing one element.
pub fn hash_with_domain(tag: &str, elements: &[Fr]) -> Fr {
    let mut sponge = PoseidonSponge::new(config());
    sponge.absorb(&domain_tag(tag));
    sponge.absorb(&elements.to_vec());
    sponge.squeeze_field_elements::<Fr>(1)[0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_separate_equal_inputs() {
        let input = [Fr::from(1u64), Fr::from(2u64)];
        assert_ne!(
            hash_with_domain(DOMAIN_MODEL, &input),
            hash_with_domain(DOMAIN_RISK_PARAMS, &input)
        );
        assert_eq!(hash_with_domain(DOMAIN_MODEL, &input), hash_with_domain(DOMAIN_MODEL, &input));
    }

    #[test]
    fn tagged_hashes_start_the_capacity_at_the_tag() {
        let input = [Fr::from(1u64), Fr::from(2u64), Fr::from(3u64), Fr::from(4u64)];
        assert_ne!(hash_tagged("a", &input), hash_tagged("b", &input));
        // Not the tag absorbed as a first element (that is `hash_with_domain`).
        assert_ne!(hash_tagged("a", &input), hash_with_domain("a", &input));
        // Tag 0 is the plain sponge.
        let mut sponge = PoseidonSponge::new(config());
        sponge.absorb(&input.to_vec());
        assert_eq!(hash_tagged("", &input), sponge.squeeze_field_elements::<Fr>(1)[0]);
    }
}

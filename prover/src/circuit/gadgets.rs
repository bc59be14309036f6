//! Small R1CS gadgets the risk circuit is built from: range checks, comparisons, floor division
//! and packed fields. Each documents what it enforces.

use ark_bn254::Fr;
use ark_crypto_primitives::sponge::constraints::CryptographicSpongeVar;
use ark_crypto_primitives::sponge::poseidon::constraints::PoseidonSpongeVar;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::prelude::*;
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};
use num_bigint::BigInt;

use crate::fixed::{from_field, pack_layout, to_field};
use crate::poseidon;

/// A field variable over BN254's scalar field.
pub type Fp = FpVar<Fr>;

/// `2^k` as a field element.
pub fn pow2(k: usize) -> Fr {
    use ark_ff::Field;
    Fr::from(2u64).pow([k as u64])
}

/// A witness holding the integer `value` (absent while generating keys).
pub fn witness(cs: &ConstraintSystemRef<Fr>, value: Option<&BigInt>) -> Result<Fp, SynthesisError> {
    Fp::new_witness(cs.clone(), || value.map(to_field).ok_or(SynthesisError::AssignmentMissing))
}

/// A boolean witness.
pub fn witness_bool(
    cs: &ConstraintSystemRef<Fr>,
    value: Option<bool>,
) -> Result<Boolean<Fr>, SynthesisError> {
    Boolean::new_witness(cs.clone(), || value.ok_or(SynthesisError::AssignmentMissing))
}

/// Enforces `0 <= v < 2^bits` (for `bits` below the field size) and returns `v`'s bits,
/// little-endian. Costs `bits + 1` constraints.
pub fn enforce_bits(v: &Fp, bits: usize) -> Result<Vec<Boolean<Fr>>, SynthesisError> {
    let cs = v.cs();
    let value = v.value().ok().map(|f| from_field(&f));
    let bits = (0..bits)
        .map(|k| {
            Boolean::new_witness(cs.clone(), || {
                value.as_ref().map(|x| x.bit(k as u64)).ok_or(SynthesisError::AssignmentMissing)
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Boolean::le_bits_to_fp(&bits)?.enforce_equal(v)?;
    Ok(bits)
}

/// Enforces `-2^(bits-1) <= v < 2^(bits-1)`; the last returned bit is 1 exactly when `v >= 0`.
pub fn enforce_signed_bits(v: &Fp, bits: usize) -> Result<Vec<Boolean<Fr>>, SynthesisError> {
    enforce_bits(&(v + pow2(bits - 1)), bits)
}

/// Enforces `a <= b`, for `|a|, |b| < 2^(bits-1)` guaranteed by the caller: then `b - a` is in
/// `[0, 2^bits)` exactly when `a <= b`, and a wrapped difference (near the field's order) never is.
pub fn enforce_le(a: &Fp, b: &Fp, bits: usize) -> Result<(), SynthesisError> {
    enforce_bits(&(b - a), bits).map(|_| ())
}

/// Witnesses `q = floor(num / den)` for `den > 0` and enforces `num = q·den + r` with
/// `0 <= r < den < 2^rem_bits` and `|q| < 2^(quotient_bits-1)`. The caller guarantees that
/// `|q·den| + r` stays far below the field's order, so the equation holds over the integers.
pub fn floor_div(
    num: &Fp,
    den: &Fp,
    quotient: Option<&BigInt>,
    remainder: Option<&BigInt>,
    quotient_bits: usize,
    rem_bits: usize,
) -> Result<Fp, SynthesisError> {
    let cs = num.cs().or(den.cs());
    let q = witness(&cs, quotient)?;
    let r = witness(&cs, remainder)?;
    q.mul_equals(den, &(num - &r))?;
    enforce_bits(&r, rem_bits)?;
    enforce_bits(&(den - &r - Fr::from(1u64)), rem_bits)?;
    enforce_signed_bits(&q, quotient_bits)?;
    Ok(q)
}

/// Allocates unsigned fields of the given widths as witness bits and returns the packed elements
/// (linear combinations of the bits, see [`crate::fixed::pack`]) and the fields. Every field is
/// range-checked by construction; costs one constraint per bit.
pub fn alloc_packed(
    cs: &ConstraintSystemRef<Fr>,
    widths: &[usize],
    values: Option<&[u64]>,
) -> Result<(Vec<Fp>, Vec<Fp>), SynthesisError> {
    let slots = pack_layout(widths);
    let n_elements = slots.last().map_or(0, |s| s.element + 1);
    let mut elements = vec![Fp::zero(); n_elements];
    let mut fields = Vec::with_capacity(widths.len());
    for (index, slot) in slots.iter().enumerate() {
        let value = values.map(|v| v[index]);
        let bits = (0..slot.bits)
            .map(|k| {
                Boolean::new_witness(cs.clone(), || {
                    value.map(|v| (v >> k) & 1 == 1).ok_or(SynthesisError::AssignmentMissing)
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let field = Boolean::le_bits_to_fp(&bits)?;
        elements[slot.element] += &field * pow2(slot.offset);
        fields.push(field);
    }
    Ok((elements, fields))
}

/// `Poseidon(tag, header..., elements...)` in the circuit, as [`poseidon::hash_with_domain`].
pub fn hash_with_domain(
    cs: &ConstraintSystemRef<Fr>,
    tag: &str,
    header: &[Fr],
    elements: &[Fp],
) -> Result<Fp, SynthesisError> {
    let mut sponge = PoseidonSpongeVar::new(cs.clone(), poseidon::config());
    let mut input: Vec<Fp> = header.iter().map(|&h| Fp::constant(h)).collect();
    input.extend_from_slice(elements);
    sponge.absorb(&Fp::constant(poseidon::domain_tag(tag)))?;
    sponge.absorb(&input)?;
    Ok(sponge.squeeze_field_elements(1)?.remove(0))
}

/// The tagged sponge in the circuit, as [`poseidon::hash_tagged`]: the capacity starts at the
/// tag's constant, `elements` are absorbed and one element squeezed. Up to four elements cost one
/// permutation (about 300 constraints: the constant capacity's first S-box is free).
pub fn hash_tagged(
    cs: &ConstraintSystemRef<Fr>,
    tag: &str,
    elements: &[Fp],
) -> Result<Fp, SynthesisError> {
    let mut sponge = PoseidonSpongeVar::new(cs.clone(), poseidon::config());
    sponge.state[0] = Fp::constant(poseidon::domain_tag(tag));
    sponge.absorb(&elements.to_vec())?;
    Ok(sponge.squeeze_field_elements(1)?.remove(0))
}

/// The value `field - 2^(bits-1)` of an offset-encoded signed field.
pub fn decode_signed(field: &Fp, bits: usize) -> Fp {
    field - pow2(bits - 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_relations::gr1cs::ConstraintSystem;

    fn cs() -> ConstraintSystemRef<Fr> {
        ConstraintSystem::<Fr>::new_ref()
    }

    fn var(cs: &ConstraintSystemRef<Fr>, v: i64) -> Fp {
        witness(cs, Some(&BigInt::from(v))).expect("alloc")
    }

    #[test]
    fn range_checks_accept_inside_and_reject_outside() {
        for (v, bits, ok) in [(0, 8, true), (255, 8, true), (256, 8, false), (-1, 8, false)] {
            let cs = cs();
            enforce_bits(&var(&cs, v), bits).expect("synthesise");
            assert_eq!(cs.is_satisfied().expect("sat"), ok, "{v} in {bits} bits");
        }
    }

    #[test]
    fn comparisons_do_not_wrap() {
        for (a, b, ok) in
            [(3, 5, true), (5, 5, true), (6, 5, false), (-7, -3, true), (-3, -7, false)]
        {
            let cs = cs();
            enforce_le(&var(&cs, a), &var(&cs, b), 16).expect("synthesise");
            assert_eq!(cs.is_satisfied().expect("sat"), ok, "{a} <= {b}");
        }
    }

    #[test]
    fn floor_division_accepts_only_the_true_quotient_and_remainder() {
        let check = |q: i64, r: i64| {
            let cs = cs();
            let (n, d) = (var(&cs, -7), var(&cs, 2));
            let _quotient = floor_div(&n, &d, Some(&BigInt::from(q)), Some(&BigInt::from(r)), 8, 8)
                .expect("synthesise");
            cs.is_satisfied().expect("sat")
        };
        assert!(check(-4, 1));
        assert!(!check(-3, -1), "a negative remainder");
        assert!(!check(-5, 3), "a remainder not below the divisor");
    }

    #[test]
    fn packed_fields_match_the_native_packing() {
        let cs = cs();
        let widths = [63, 63, 63, 63, 63, 8];
        let values = [1u64, 2, 3, (1 << 63) - 1, 5, 200];
        let (elements, fields) = alloc_packed(&cs, &widths, Some(&values)).expect("alloc");
        let native = crate::fixed::pack(&values.iter().copied().zip(widths).collect::<Vec<_>>());
        for (e, n) in elements.iter().zip(&native) {
            assert_eq!(e.value().expect("value"), *n);
        }
        assert_eq!(fields[5].value().expect("value"), Fr::from(200u64));
        assert!(cs.is_satisfied().expect("sat"));
    }

    #[test]
    fn the_hash_gadget_matches_the_native_hash() {
        let cs = cs();
        let elements = [Fr::from(7u64), Fr::from(9u64)];
        let vars: Vec<Fp> = elements
            .iter()
            .map(|&e| Fp::new_witness(cs.clone(), || Ok(e)).expect("alloc"))
            .collect();
        let header = [Fr::from(1u64)];
        let hashed = hash_with_domain(&cs, poseidon::DOMAIN_MODEL, &header, &vars).expect("hash");
        let native = poseidon::hash_with_domain(
            poseidon::DOMAIN_MODEL,
            &[header[0], elements[0], elements[1]],
        );
        assert_eq!(hashed.value().expect("value"), native);
        assert!(cs.is_satisfied().expect("sat"));
    }

    #[test]
    fn the_tagged_hash_gadget_matches_the_native_hash_at_one_permutation() {
        for len in [1usize, 4, 6] {
            let cs = cs();
            let elements: Vec<Fr> = (0..len as u64).map(|i| Fr::from(i * 7 + 1)).collect();
            let vars: Vec<Fp> = elements
                .iter()
                .map(|&e| Fp::new_witness(cs.clone(), || Ok(e)).expect("alloc"))
                .collect();
            let hashed = hash_tagged(&cs, "proofgate.test", &vars).expect("hash");
            let native = poseidon::hash_tagged("proofgate.test", &elements);
            assert_eq!(hashed.value().expect("value"), native);
            assert!(cs.is_satisfied().expect("sat"));
            let permutations = if len <= 4 { 1 } else { 2 };
            assert!(cs.num_constraints() <= 300 * permutations, "{}", cs.num_constraints());
        }
        let cs = cs();
        let x = Fp::new_witness(cs.clone(), || Ok(Fr::from(5u64))).expect("alloc");
        let hashed = hash_tagged(&cs, "proofgate.test", &[x]).expect("hash");
        let wrong = Fp::new_witness(cs.clone(), || Ok(Fr::from(1u64))).expect("alloc");
        hashed.enforce_equal(&wrong).expect("enforce");
        assert!(!cs.is_satisfied().expect("sat"), "a wrong output is refused");
    }
}

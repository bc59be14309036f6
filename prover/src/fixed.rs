//! Fixed-point and packing rules, written once for the native reference and the circuit.
//!
//! - Division rounds toward negative infinity: `n = q·d + r` with `0 <= r < d`. The circuit
//!   witnesses `q` and `r` and range-checks both, so the result is unique.
//! - A signed value of width `w` is stored offset-encoded, `v + 2^(w-1)`, in `w` unsigned bits.
//! - Packing: fields of given widths are laid out little-endian into field elements of at most
//!   [`PACK_CAPACITY_BITS`] bits; a field never straddles two elements. Since 2^252 is below the
//!   BN254 scalar order, every packed element is below it and packing is injective.

use ark_bn254::Fr;
use ark_ff::{BigInteger, PrimeField};
use num_bigint::{BigInt, BigUint, Sign};
use num_integer::Integer;

/// Bits of one packed field element.
pub const PACK_CAPACITY_BITS: usize = 252;

/// Where one field sits in a packed sequence of elements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    /// Index of the element.
    pub element: usize,
    /// Bit offset inside the element.
    pub offset: usize,
    /// Width in bits.
    pub bits: usize,
}

/// The slots of fields of the given widths, packed greedily.
pub fn pack_layout(widths: &[usize]) -> Vec<Slot> {
    let mut slots = Vec::with_capacity(widths.len());
    let (mut element, mut offset) = (0usize, 0usize);
    for &bits in widths {
        debug_assert!(bits <= 64 && bits > 0, "fields are 1..=64 bits");
        if offset + bits > PACK_CAPACITY_BITS {
            element += 1;
            offset = 0;
        }
        slots.push(Slot { element, offset, bits });
        offset += bits;
    }
    slots
}

/// Number of elements that `widths` pack into.
pub fn packed_len(widths: &[usize]) -> usize {
    pack_layout(widths).last().map_or(0, |s| s.element + 1)
}

/// Packs unsigned `(value, width)` fields. Each value must fit its width (the callers check).
pub fn pack(fields: &[(u64, usize)]) -> Vec<Fr> {
    let widths: Vec<usize> = fields.iter().map(|&(_, w)| w).collect();
    let slots = pack_layout(&widths);
    let mut elements = vec![BigUint::default(); packed_len(&widths)];
    for (&(value, _), slot) in fields.iter().zip(&slots) {
        elements[slot.element] += BigUint::from(value) << slot.offset;
    }
    elements.iter().map(|e| Fr::from_le_bytes_mod_order(&e.to_bytes_le())).collect()
}

/// Unpacks fields of the given widths; `None` if an element is not exactly a packing of them.
pub fn unpack(elements: &[Fr], widths: &[usize]) -> Option<Vec<u64>> {
    let slots = pack_layout(widths);
    if elements.len() != packed_len(widths) {
        return None;
    }
    let big: Vec<BigUint> = elements.iter().map(|e| BigUint::from(e.into_bigint())).collect();
    let mut used = vec![0usize; elements.len()];
    let mut values = Vec::with_capacity(widths.len());
    for slot in &slots {
        let mask = (BigUint::from(1u8) << slot.bits) - 1u8;
        let value = (&big[slot.element] >> slot.offset) & mask;
        values.push(u64::try_from(value).ok()?);
        used[slot.element] = slot.offset + slot.bits;
    }
    // Bits above the last field of each element must be zero.
    let clean = big.iter().zip(&used).all(|(e, &u)| (e >> u) == BigUint::default());
    clean.then_some(values)
}

/// `v + 2^(bits-1)` if `|v| < 2^(bits-1)`.
pub fn offset_encode(v: i64, bits: usize) -> Option<u64> {
    let half = 1i128 << (bits - 1);
    let encoded = i128::from(v) + half;
    (0..2 * half).contains(&encoded).then_some(encoded as u64)
}

/// The inverse of [`offset_encode`].
pub fn offset_decode(u: u64, bits: usize) -> i64 {
    (i128::from(u) - (1i128 << (bits - 1))) as i64
}

/// Floor division `n = q·d + r`, `0 <= r < d`; `d` must be positive.
pub fn floor_div(n: &BigInt, d: &BigInt) -> (BigInt, BigInt) {
    debug_assert!(d.sign() == Sign::Plus);
    n.div_mod_floor(d)
}

/// Whether `0 <= v < 2^bits`.
pub fn fits_unsigned(v: &BigInt, bits: usize) -> bool {
    v.sign() != Sign::Minus && v.bits() <= bits as u64
}

/// Whether `-2^(bits-1) <= v < 2^(bits-1)` (the range an offset-encoded `bits`-bit value covers).
pub fn fits_signed(v: &BigInt, bits: usize) -> bool {
    fits_unsigned(&(v + (BigInt::from(1) << (bits - 1))), bits)
}

/// The field element of an integer (negative values map to `r - |v|`).
pub fn to_field(v: &BigInt) -> Fr {
    let (sign, magnitude) = v.to_bytes_le();
    let f = Fr::from_le_bytes_mod_order(&magnitude);
    if sign == Sign::Minus {
        -f
    } else {
        f
    }
}

/// The canonical integer of a field element, in `0..r`.
pub fn from_field(f: &Fr) -> BigUint {
    BigUint::from_bytes_le(&f.into_bigint().to_bytes_le())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_63_bit_values_share_an_element() {
        let slots = pack_layout(&[63; 9]);
        assert_eq!(slots[3], Slot { element: 0, offset: 189, bits: 63 });
        assert_eq!(slots[4], Slot { element: 1, offset: 0, bits: 63 });
        assert_eq!(packed_len(&[63; 9]), 3);
    }

    #[test]
    fn pack_then_unpack_round_trips_and_rejects_dirty_elements() {
        let fields = [(u64::MAX >> 1, 63), (5, 8), (0, 63), (123_456, 41)];
        let widths: Vec<usize> = fields.iter().map(|f| f.1).collect();
        let packed = pack(&fields);
        let values = unpack(&packed, &widths).expect("clean");
        assert_eq!(values, fields.iter().map(|f| f.0).collect::<Vec<_>>());
        let dirty = vec![packed[0] + crate::circuit::gadgets::pow2(250)];
        assert_eq!(unpack(&dirty, &widths), None);
    }

    #[test]
    fn offset_encoding_covers_exactly_the_signed_range() {
        assert_eq!(offset_encode(-128, 8), Some(0));
        assert_eq!(offset_encode(127, 8), Some(255));
        assert_eq!(offset_encode(128, 8), None);
        assert_eq!(offset_encode(-129, 8), None);
        assert_eq!(offset_decode(offset_encode(-77, 8).expect("fits"), 8), -77);
    }

    #[test]
    fn floor_division_rounds_down_for_negative_numerators() {
        let (q, r) = floor_div(&BigInt::from(-7), &BigInt::from(2));
        assert_eq!((q, r), (BigInt::from(-4), BigInt::from(1)));
        assert!(fits_signed(&BigInt::from(-128), 8) && !fits_signed(&BigInt::from(128), 8));
        assert_eq!(to_field(&BigInt::from(-1)), -Fr::from(1u64));
    }
}

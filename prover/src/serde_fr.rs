//! Serde helpers: field elements as decimal strings (strict: a value >= r is an error, never
//! reduced) and addresses as `0x`-prefixed hex.

use ark_bn254::Fr;
use ark_ff::PrimeField;
use num_bigint::BigUint;

use crate::Error;

/// Parses a decimal field element strictly.
pub fn parse_decimal(s: &str) -> Result<Fr, Error> {
    let bad = || Error::InvalidFieldElement(s.to_string());
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return Err(bad());
    }
    let value = s.parse::<BigUint>().map_err(|_| bad())?;
    if value >= BigUint::from(Fr::MODULUS) {
        return Err(bad());
    }
    Ok(Fr::from_le_bytes_mod_order(&value.to_bytes_le()))
}

/// The decimal string of a field element.
pub fn to_decimal(f: &Fr) -> String {
    BigUint::from(f.into_bigint()).to_string()
}

/// `#[serde(with = "serde_fr::decimal")]` for `Fr`.
pub mod decimal {
    use super::*;
    use serde::{de::Error as _, Deserialize, Deserializer, Serializer};

    /// Serialises as a decimal string.
    pub fn serialize<S: Serializer>(f: &Fr, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&to_decimal(f))
    }

    /// Deserialises a decimal string strictly.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Fr, D::Error> {
        let s = String::deserialize(d)?;
        parse_decimal(&s).map_err(D::Error::custom)
    }
}

/// `#[serde(with = "serde_fr::address")]` for `[u8; 20]`.
pub mod address {
    use serde::{de::Error as _, Deserialize, Deserializer, Serializer};

    /// Serialises as `0x` and 40 hex digits.
    pub fn serialize<S: Serializer>(a: &[u8; 20], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("0x{}", hex::encode(a)))
    }

    /// Deserialises `0x` and 40 hex digits.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 20], D::Error> {
        let s = String::deserialize(d)?;
        let digits = s
            .strip_prefix("0x")
            .ok_or_else(|| D::Error::custom(format!("address {s:?} must start with 0x")))?;
        let bytes =
            hex::decode(digits).map_err(|e| D::Error::custom(format!("address {s:?}: {e}")))?;
        bytes.try_into().map_err(|_| D::Error::custom(format!("address {s:?} must be 20 bytes")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_at_or_above_the_modulus_are_refused() {
        let r = BigUint::from(Fr::MODULUS).to_string();
        assert!(parse_decimal(&r).is_err());
        let r_minus_1 = (BigUint::from(Fr::MODULUS) - 1u8).to_string();
        assert_eq!(parse_decimal(&r_minus_1).expect("below r"), -Fr::from(1u64));
        for bad in ["", "-1", "0x10", "01", "1.5", " 1"] {
            assert!(parse_decimal(bad).is_err(), "{bad:?}");
        }
        assert_eq!(to_decimal(&Fr::from(42u64)), "42");
    }
}

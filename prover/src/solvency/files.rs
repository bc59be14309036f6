//! The epoch summary file and the serde helpers of the solvency files: hashes as `0x` hex,
//! balances, sums and totals as decimal strings (strict: no sign, no leading zero, never
//! reduced).

use alloy::primitives::U256;
use ark_bn254::Fr;
use ark_ff::PrimeField;
use num_bigint::BigUint;
use serde::{Deserialize, Serialize};

use super::chain::{Published, PublishedChain};
use super::SolvencyShape;
use crate::Error;

/// Format version of the epoch summary. Version 3: batches chained by keccak (the accumulator
/// and totals are what the attestor stores); version 2 had one Merkle-sum root and is refused.
pub const SUMMARY_VERSION: u64 = 3;

/// The epoch summary (`summary.json`): the operator's build output, every batch's root and sums,
/// the accumulator and totals (a depositor checks against the chain's copy of them, or this
/// file).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EpochSummary {
    /// File format version ([`SUMMARY_VERSION`]).
    pub version: u64,
    /// The shape the batches were built for.
    pub shape: SolvencyShape,
    /// Asset names, in order.
    pub assets: Vec<String>,
    /// The number of depositors (the other leaves are padding).
    pub depositors: usize,
    /// The number of batches.
    pub batch_count: usize,
    /// Every batch, the accumulator and the totals.
    pub chain: PublishedChain,
}

impl EpochSummary {
    /// What the summary publishes, once the file is checked: its version and shape, its counts
    /// agreeing, and its chain giving its accumulator and totals.
    pub fn published(&self) -> Result<Published, Error> {
        if self.version != SUMMARY_VERSION {
            return Err(Error::Corrupt(format!(
                "summary format version {} (this build reads {SUMMARY_VERSION}: batched epochs); \
                 rebuild with `proofgate solvency build`",
                self.version
            )));
        }
        self.shape.check()?;
        let n = self.shape.n_assets;
        let per_batch = self.shape.leaves_per_batch();
        let counts_agree = self.assets.len() == n
            && self.chain.batches.len() == self.batch_count
            && self.batch_count == self.shape.batch_count(self.depositors)?
            && self.chain.batches.iter().all(|b| b.sums.len() == n);
        if !counts_agree {
            return Err(Error::Corrupt(format!(
                "summary of {} depositors in {} batches of {per_batch} leaves has {} asset names \
                 and {} chained batches for {n} assets",
                self.depositors,
                self.batch_count,
                self.assets.len(),
                self.chain.batches.len()
            )));
        }
        let recomputed = PublishedChain::new(self.chain.batches.clone(), n);
        if recomputed != self.chain {
            return Err(Error::Corrupt(
                "the summary's accumulator or totals are not those of its chain".into(),
            ));
        }
        Ok(self.chain.published())
    }
}

/// Parses `0x` and 1 to 64 hex digits as a field element below r (strict: never reduced).
pub fn parse_hex(s: &str) -> Result<Fr, Error> {
    let bad = || Error::InvalidHexFieldElement(s.to_string());
    let digits = s.strip_prefix("0x").ok_or_else(bad)?;
    if digits.is_empty() || digits.len() > 64 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let value = BigUint::parse_bytes(digits.as_bytes(), 16).ok_or_else(bad)?;
    if value >= BigUint::from(Fr::MODULUS) {
        return Err(bad());
    }
    Ok(Fr::from_le_bytes_mod_order(&value.to_bytes_le()))
}

/// Parses `0x` and exactly 64 hex digits as 32 bytes.
pub fn parse_hex32(s: &str) -> Result<[u8; 32], Error> {
    let bad = || Error::Corrupt(format!("{s:?} is not 0x and 64 hex digits"));
    let digits = s.strip_prefix("0x").ok_or_else(bad)?;
    let bytes = hex::decode(digits).map_err(|_| bad())?;
    bytes.try_into().map_err(|_| bad())
}

/// Parses a plain decimal (digits only, no sign, no leading zero) below `2^256`.
pub fn parse_u256(s: &str) -> Result<U256, Error> {
    let bad = || Error::ValueOutOfRange(format!("{s:?} is not a plain decimal below 2^256"));
    let plain = !s.is_empty()
        && s.bytes().all(|b| b.is_ascii_digit())
        && (s.len() == 1 || !s.starts_with('0'));
    if !plain {
        return Err(bad());
    }
    U256::from_str_radix(s, 10).map_err(|_| bad())
}

/// `#[serde(with = "hex_fr")]` for `Fr`: `0x` and 64 hex digits, as the EVM's `bytes32`.
pub mod hex_fr {
    use ark_bn254::Fr;
    use serde::{de::Error as _, Deserialize, Deserializer, Serializer};

    /// Serialises as `0x` and 64 hex digits.
    pub fn serialize<S: Serializer>(f: &Fr, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::statement::fr_to_hex(f))
    }

    /// Deserialises `0x` and 1 to 64 hex digits, below r.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Fr, D::Error> {
        let s = String::deserialize(d)?;
        super::parse_hex(&s).map_err(D::Error::custom)
    }
}

/// `#[serde(with = "hex_frs")]` for `Vec<Fr>`: a list of `0x` hex strings.
pub mod hex_frs {
    use ark_bn254::Fr;
    use serde::{de::Error as _, Deserialize, Deserializer, Serialize, Serializer};

    /// Serialises as a list of `0x` and 64 hex digits.
    pub fn serialize<S: Serializer>(values: &[Fr], s: S) -> Result<S::Ok, S::Error> {
        values.iter().map(crate::statement::fr_to_hex).collect::<Vec<_>>().serialize(s)
    }

    /// Deserialises a list of hex field elements, strictly.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Fr>, D::Error> {
        let strings = Vec::<String>::deserialize(d)?;
        strings.iter().map(|s| super::parse_hex(s).map_err(D::Error::custom)).collect()
    }
}

/// `#[serde(with = "hex32")]` for `[u8; 32]`: `0x` and 64 hex digits.
pub mod hex32 {
    use serde::{de::Error as _, Deserialize, Deserializer, Serializer};

    /// Serialises as `0x` and 64 hex digits.
    pub fn serialize<S: Serializer>(bytes: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("0x{}", hex::encode(bytes)))
    }

    /// Deserialises `0x` and 64 hex digits.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let s = String::deserialize(d)?;
        super::parse_hex32(&s).map_err(D::Error::custom)
    }
}

/// `#[serde(with = "dec_u256s")]` for `Vec<U256>`: decimal strings.
pub mod dec_u256s {
    use alloy::primitives::U256;
    use serde::{de::Error as _, Deserialize, Deserializer, Serialize, Serializer};

    /// Serialises as a list of decimal strings.
    pub fn serialize<S: Serializer>(values: &[U256], s: S) -> Result<S::Ok, S::Error> {
        values.iter().map(ToString::to_string).collect::<Vec<_>>().serialize(s)
    }

    /// Deserialises a list of plain decimal strings below 2^256.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<U256>, D::Error> {
        let strings = Vec::<String>::deserialize(d)?;
        strings.iter().map(|s| super::parse_u256(s).map_err(D::Error::custom)).collect()
    }
}

/// `#[serde(with = "dec_u128s")]` for `Vec<u128>`: decimal strings below 2^128.
pub mod dec_u128s {
    use serde::{de::Error as _, Deserialize, Deserializer, Serialize, Serializer};

    /// Serialises as a list of decimal strings.
    pub fn serialize<S: Serializer>(values: &[u128], s: S) -> Result<S::Ok, S::Error> {
        values.iter().map(ToString::to_string).collect::<Vec<_>>().serialize(s)
    }

    /// Deserialises a list of plain decimal strings below 2^128.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u128>, D::Error> {
        let strings = Vec::<String>::deserialize(d)?;
        strings
            .iter()
            .map(|s| {
                super::parse_u128(s)
                    .ok_or_else(|| D::Error::custom(format!("{s:?} is not a decimal below 2^128")))
            })
            .collect()
    }
}

/// A plain decimal below 2^128: digits only, no sign, no leading zero.
pub fn parse_u128(s: &str) -> Option<u128> {
    let plain = !s.is_empty()
        && s.bytes().all(|b| b.is_ascii_digit())
        && (s.len() == 1 || !s.starts_with('0'));
    plain.then(|| s.parse::<u128>().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::statement::fr_to_hex;

    #[test]
    fn hex_and_decimals_are_strict() {
        let r_minus_1 = -Fr::from(1u64);
        assert_eq!(parse_hex(&fr_to_hex(&r_minus_1)).expect("below r"), r_minus_1);
        assert_eq!(parse_hex("0x2a").expect("short"), Fr::from(42u64));
        let r = format!("0x{}", BigUint::from(Fr::MODULUS).to_str_radix(16));
        for bad in ["", "0x", "2a", "0x2g", "0x-1", &r, &format!("0x{}", "0".repeat(65))] {
            assert!(parse_hex(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_u128(&u128::MAX.to_string()), Some(u128::MAX));
        for bad in ["", "01", "-1", "1.0", "340282366920938463463374607431768211456"] {
            assert_eq!(parse_u128(bad), None, "{bad:?}");
            assert!(bad.len() > 30 || parse_u256(bad).is_err(), "{bad:?}");
        }
        let two_128 = parse_u256("340282366920938463463374607431768211456").expect("2^128");
        assert_eq!(two_128, U256::from(1u8) << 128);
        assert!(parse_hex32(&format!("0x{}", "ab".repeat(32))).is_ok());
        assert!(parse_hex32("0xab").is_err());
    }
}

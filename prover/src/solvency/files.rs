//! The tree summary file and the serde helpers of the solvency files: hashes as `0x` hex,
//! balances, sums and totals as decimal strings (both strict: a value at or above the field's
//! order is refused, never reduced).

use ark_bn254::Fr;
use ark_ff::PrimeField;
use num_bigint::BigUint;
use serde::{Deserialize, Serialize};

use super::tree::TreeRoot;
use crate::Error;

/// Format version of the tree summary. Version 1 also carried a "liabilities commitment" (a
/// hash of the root hash and the totals) that nothing on chain holds; version 2 has only the root
/// hash and the totals, which the attestor stores and emits.
pub const SUMMARY_VERSION: u64 = 2;

/// The tree summary (`summary.json`): the operator's build output, the root hash and totals
/// it attests (a depositor checks against the chain's copy of them, or against this file).
///
/// ```json
/// {"version": 2, "depth": 10, "n_assets": 2, "assets": ["WETH", "USDC"], "root": "0x..",
///  "totals": ["..", ".."], "depositors": 3}
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreeSummary {
    /// File format version ([`SUMMARY_VERSION`]).
    pub version: u64,
    /// The tree's depth `d` (`2^d` leaves).
    pub depth: u32,
    /// The number of assets.
    pub n_assets: usize,
    /// Asset names, in order.
    pub assets: Vec<String>,
    /// The root hash.
    #[serde(with = "hex_fr")]
    pub root: Fr,
    /// The liabilities in each asset, token units.
    #[serde(with = "decimals")]
    pub totals: Vec<Fr>,
    /// The number of depositors (the other leaves are padding).
    pub depositors: usize,
}

impl TreeSummary {
    /// The published root, once the file is checked: its version, its shape and its counts
    /// agreeing.
    pub fn tree_root(&self) -> Result<TreeRoot, Error> {
        if self.version == 1 {
            return Err(Error::Corrupt(
                "summary format version 1 carries a liabilities commitment, which is gone: the \
                 chain stores the root hash itself and emits the totals (this build reads \
                 version 2); rebuild the tree with `proofgate solvency build`"
                    .into(),
            ));
        }
        if self.version != SUMMARY_VERSION {
            return Err(Error::Corrupt(format!(
                "summary format version {} (this build reads {SUMMARY_VERSION})",
                self.version
            )));
        }
        let root = TreeRoot { depth: self.depth, hash: self.root, totals: self.totals.clone() };
        root.check_shape()?;
        if self.n_assets != self.totals.len() || self.n_assets != self.assets.len() {
            return Err(Error::Corrupt(format!(
                "summary has n_assets = {} but {} totals and {} asset names",
                self.n_assets,
                self.totals.len(),
                self.assets.len()
            )));
        }
        if self.depositors as u128 > 1u128 << self.depth {
            return Err(Error::Corrupt(format!(
                "summary counts {} depositors in a tree of 2^{} leaves",
                self.depositors, self.depth
            )));
        }
        Ok(root)
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

/// `#[serde(with = "decimals")]` for `Vec<Fr>`: decimal strings, strictly below r.
pub(super) mod decimals {
    use ark_bn254::Fr;
    use serde::{de::Error as _, Deserialize, Deserializer, Serialize, Serializer};

    use crate::serde_fr::{parse_decimal, to_decimal};

    /// Serialises as a list of decimal strings.
    pub fn serialize<S: Serializer>(values: &[Fr], s: S) -> Result<S::Ok, S::Error> {
        values.iter().map(to_decimal).collect::<Vec<_>>().serialize(s)
    }

    /// Deserialises a list of decimal strings strictly.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Fr>, D::Error> {
        let strings = Vec::<String>::deserialize(d)?;
        strings.iter().map(|s| parse_decimal(s).map_err(D::Error::custom)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::statement::fr_to_hex;

    #[test]
    fn hex_is_strict() {
        let r_minus_1 = -Fr::from(1u64);
        assert_eq!(parse_hex(&fr_to_hex(&r_minus_1)).expect("below r"), r_minus_1);
        assert_eq!(parse_hex("0x2a").expect("short"), Fr::from(42u64));
        assert_eq!(parse_hex("0xFF").expect("upper case"), Fr::from(255u64));
        let r = format!("0x{}", BigUint::from(Fr::MODULUS).to_str_radix(16));
        for bad in ["", "0x", "2a", "0x2g", "0x-1", &r, &format!("0x{}", "0".repeat(65))] {
            assert!(parse_hex(bad).is_err(), "{bad:?}");
        }
    }
}

//! The depositors file: each depositor's id and balances, validated when read.
//!
//! ```json
//! {"version": 1, "assets": ["WETH", "USDC"],
//!  "depositors": [{"id": "alice", "balances": ["1000000000000000000", "250000000"]}]}
//! ```
//!
//! Balances are decimal strings of token units below 2^128 (the balance width `B` of the
//! shape is checked when the epoch is built, naming the depositor). Reading refuses an unknown field,
//! another version, an asset count outside `1..=16`, a repeated asset name, an empty or repeated
//! id, a wrong balance count and a balance that is not a plain decimal below 2^128, naming the
//! depositor.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::MAX_ASSETS;
use crate::config::FORMAT_VERSION;
use crate::Error;

/// One depositor's claims.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Depositor {
    /// The depositor's id (its leaf holds [`super::id_element`] of it).
    pub id: String,
    /// Token units of each asset, in the file's asset order.
    pub balances: Vec<u128>,
}

/// A validated depositors list: at least one asset, every depositor with one balance per asset,
/// ids distinct and non-empty.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "DepositorsFile", into = "DepositorsFile")]
pub struct Depositors {
    assets: Vec<String>,
    depositors: Vec<Depositor>,
}

/// The depositors file as written (`depositors.json`), before validation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepositorsFile {
    /// File format version ([`FORMAT_VERSION`]).
    pub version: u64,
    /// Asset names, in the vault's order.
    pub assets: Vec<String>,
    /// The depositors; the k-th is leaf k.
    pub depositors: Vec<DepositorEntry>,
}

/// One depositor in the file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepositorEntry {
    /// The depositor's id.
    pub id: String,
    /// Token units of each asset, decimal.
    pub balances: Vec<String>,
}

impl Depositors {
    /// Validates a list (see the module documentation for what is refused).
    pub fn new(assets: Vec<String>, depositors: Vec<Depositor>) -> Result<Self, Error> {
        if !(1..=MAX_ASSETS).contains(&assets.len()) {
            return Err(Error::InvalidDepositors(format!(
                "{} assets (a solvency tree covers 1..={MAX_ASSETS})",
                assets.len()
            )));
        }
        let mut seen = HashMap::new();
        for (i, name) in assets.iter().enumerate() {
            if let Some(first) = seen.insert(name.as_str(), i) {
                return Err(Error::InvalidDepositors(format!(
                    "asset {name:?} is listed twice (positions {first} and {i})"
                )));
            }
        }
        let mut ids = HashMap::new();
        for (k, depositor) in depositors.iter().enumerate() {
            if depositor.id.is_empty() {
                return Err(Error::InvalidDepositors(format!("depositor #{k} has an empty id")));
            }
            if let Some(first) = ids.insert(depositor.id.as_str(), k) {
                return Err(Error::InvalidDepositors(format!(
                    "duplicate depositor id {:?} (entries #{first} and #{k})",
                    depositor.id
                )));
            }
            if depositor.balances.len() != assets.len() {
                return Err(Error::InvalidDepositors(format!(
                    "depositor {:?} has {} balances for {} assets",
                    depositor.id,
                    depositor.balances.len(),
                    assets.len()
                )));
            }
        }
        Ok(Self { assets, depositors })
    }

    /// Asset names, in order.
    pub fn assets(&self) -> &[String] {
        &self.assets
    }

    /// The number of assets.
    pub fn n_assets(&self) -> usize {
        self.assets.len()
    }

    /// The depositors, in leaf order.
    pub fn depositors(&self) -> &[Depositor] {
        &self.depositors
    }

    /// The number of depositors.
    pub fn len(&self) -> usize {
        self.depositors.len()
    }

    /// Whether there are no depositors.
    pub fn is_empty(&self) -> bool {
        self.depositors.is_empty()
    }
}

use super::files::parse_u128 as parse_balance;

impl TryFrom<DepositorsFile> for Depositors {
    type Error = Error;

    fn try_from(file: DepositorsFile) -> Result<Self, Error> {
        if file.version != FORMAT_VERSION {
            return Err(Error::InvalidDepositors(format!(
                "format version {} (this build reads {FORMAT_VERSION})",
                file.version
            )));
        }
        let mut depositors = Vec::with_capacity(file.depositors.len());
        for entry in file.depositors {
            let mut balances = Vec::with_capacity(entry.balances.len());
            for (a, s) in entry.balances.iter().enumerate() {
                let asset = file.assets.get(a).map_or_else(|| format!("#{a}"), Clone::clone);
                let balance = parse_balance(s).ok_or_else(|| {
                    Error::InvalidDepositors(format!(
                        "depositor {:?}: balance of {asset} is {s:?}, not a whole number of \
                         token units below 2^128",
                        entry.id
                    ))
                })?;
                balances.push(balance);
            }
            depositors.push(Depositor { id: entry.id, balances });
        }
        Depositors::new(file.assets, depositors)
    }
}

impl From<Depositors> for DepositorsFile {
    fn from(list: Depositors) -> Self {
        DepositorsFile {
            version: FORMAT_VERSION,
            assets: list.assets,
            depositors: list
                .depositors
                .into_iter()
                .map(|d| DepositorEntry {
                    id: d.id,
                    balances: d.balances.iter().map(u128::to_string).collect(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(value: serde_json::Value) -> Result<Depositors, String> {
        serde_json::from_value::<Depositors>(value).map_err(|e| e.to_string())
    }

    #[test]
    fn a_valid_file_round_trips() {
        let value = json!({"version": 1, "assets": ["WETH", "USDC"], "depositors": [
            {"id": "alice", "balances": ["340282366920938463463374607431768211455", "0"]},
        ]});
        let list = parse(value.clone()).expect("valid");
        assert_eq!(list.depositors()[0].balances, vec![u128::MAX, 0]);
        assert_eq!(serde_json::to_value(&list).expect("encode"), value);
    }

    #[test]
    fn balances_of_2_128_or_more_are_refused_when_read() {
        let err = parse(json!({"version": 1, "assets": ["WETH"], "depositors": [
            {"id": "bob", "balances": ["340282366920938463463374607431768211456"]},
        ]}))
        .expect_err("2^128");
        assert!(err.contains("\"bob\"") && err.contains("WETH") && err.contains("2^128"), "{err}");
        for bad in ["-1", "01", "1.5", " 1", "", "0x10", "1e3"] {
            let value = json!({"version": 1, "assets": ["A"], "depositors": [
                {"id": "x", "balances": [bad]},
            ]});
            assert!(parse(value).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn duplicate_ids_and_wrong_balance_counts_name_the_depositor() {
        let err = parse(json!({"version": 1, "assets": ["A"], "depositors": [
            {"id": "alice", "balances": ["1"]}, {"id": "bob", "balances": ["2"]},
            {"id": "alice", "balances": ["3"]},
        ]}))
        .expect_err("duplicate");
        assert!(err.contains("duplicate depositor id \"alice\""), "{err}");
        let err = parse(json!({"version": 1, "assets": ["A", "B"], "depositors": [
            {"id": "carol", "balances": ["1"]},
        ]}))
        .expect_err("count");
        assert!(err.contains("\"carol\" has 1 balances for 2 assets"), "{err}");
    }

    #[test]
    fn bad_shapes_versions_and_fields_are_refused() {
        let entry = json!({"id": "a", "balances": []});
        let seventeen: Vec<String> = (0..17).map(|i| format!("A{i}")).collect();
        for value in [
            json!({"version": 1, "assets": [], "depositors": [entry]}),
            json!({"version": 1, "assets": seventeen, "depositors": []}),
            json!({"version": 1, "assets": ["A", "A"], "depositors": []}),
            json!({"version": 2, "assets": ["A"], "depositors": []}),
            json!({"version": 1, "assets": ["A"], "depositors": [], "extra": 1}),
            json!({"version": 1, "assets": ["A"], "depositors": [{"id": "", "balances": ["1"]}]}),
        ] {
            assert!(parse(value.clone()).is_err(), "{value}");
        }
    }
}

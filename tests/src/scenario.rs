//! The forge tests' scenario (`contracts/test/fixtures/scenario.json`, written with the Solidity
//! tests): the vault's assets, balances, debts and prices, the agents, and the trades to prove.
//!
//! Format (version 1; fields not listed here are ignored, so the Solidity side may add some):
//! `{"version":1, "chain_id":31337, "vault":"0x…", "agent":"0x…", "other_agent":"0x…",
//! "deadline":<unix>, "timestamp":<unix>, "assets":[{"symbol":"WETH", "decimals":18,
//! "balance":"<token units>", "debt":"<token units>", "price":"<USD at 1e8>"}, …],
//! "trades":[{"name":"…", "sell":0, "buy":1, "amount_in":"<token units>",
//! "amount_out":"<token units>", "nonce":0}, …]}`. Amounts and prices are decimal strings.

use std::path::Path;

use ark_bn254::Fr;
use proofgate_prover::serde_fr::address;
use proofgate_prover::statement::{Binding, Statement};
use proofgate_prover::valuation::{AssetSnapshot, TradeAmounts, VaultSnapshot};
use serde::{Deserialize, Deserializer};

use crate::{prover_err, Error};

/// The scenario format this crate reads.
pub const SCENARIO_VERSION: u64 = 1;

/// The vault's state and the trades the forge tests execute.
#[derive(Clone, Debug, Deserialize)]
pub struct Scenario {
    /// Format version ([`SCENARIO_VERSION`]).
    pub version: u64,
    /// The chain id the vault runs on.
    pub chain_id: u64,
    /// The vault's address.
    #[serde(with = "address")]
    pub vault: [u8; 20],
    /// The registered agent that submits the honest trades.
    #[serde(with = "address")]
    pub agent: [u8; 20],
    /// Another account, for proofs bound to the wrong agent.
    #[serde(with = "address")]
    pub other_agent: [u8; 20],
    /// Deadline of every trade (unix seconds).
    pub deadline: u64,
    /// The block timestamp the forge tests execute at (unix seconds).
    pub timestamp: u64,
    /// The vault's assets, in the vault's order.
    pub assets: Vec<ScenarioAsset>,
    /// The trades, in the order the forge tests execute them.
    pub trades: Vec<ScenarioTrade>,
}

/// One asset of the vault.
#[derive(Clone, Debug, Deserialize)]
pub struct ScenarioAsset {
    /// The token's symbol (for messages only).
    pub symbol: String,
    /// The token's ERC-20 decimals.
    pub decimals: u8,
    /// The vault's balance in token units.
    #[serde(deserialize_with = "decimal")]
    pub balance: u128,
    /// The vault's debt in token units.
    #[serde(deserialize_with = "decimal")]
    pub debt: u128,
    /// The feed's answer, USD per whole token at 1e8.
    #[serde(deserialize_with = "decimal")]
    pub price: u64,
}

/// One trade an agent submits.
#[derive(Clone, Debug, Deserialize)]
pub struct ScenarioTrade {
    /// The trade's name (the honest fixture case carries it).
    pub name: String,
    /// Index of the asset sold.
    pub sell: u8,
    /// Index of the asset bought.
    pub buy: u8,
    /// Amount sold, in the sold token's units.
    #[serde(deserialize_with = "decimal")]
    pub amount_in: u128,
    /// Amount bought, in the bought token's units.
    #[serde(deserialize_with = "decimal")]
    pub amount_out: u128,
    /// The agent's nonce for this trade.
    pub nonce: u64,
}

/// A canonical unsigned decimal string (digits only, no leading zero).
fn decimal<'de, D: Deserializer<'de>, T: std::str::FromStr>(d: D) -> Result<T, D::Error> {
    use serde::de::Error as _;
    let s = String::deserialize(d)?;
    let canonical = !s.is_empty()
        && s.bytes().all(|b| b.is_ascii_digit())
        && !(s.len() > 1 && s.starts_with('0'));
    canonical.then(|| s.parse().ok()).flatten().ok_or_else(|| {
        D::Error::custom(format!("{s:?} is not an unsigned decimal string in range"))
    })
}

impl Scenario {
    /// Reads and checks a scenario file.
    pub fn read(path: &Path) -> Result<Self, Error> {
        let bytes =
            std::fs::read(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
        let scenario: Scenario = serde_json::from_slice(&bytes)
            .map_err(|e| Error::Scenario(format!("{}: {e}", path.display())))?;
        scenario.check()?;
        Ok(scenario)
    }

    /// Checks what the file format cannot: the version, at least one trade, trade assets that
    /// exist, and a deadline not before the execution time.
    pub fn check(&self) -> Result<(), Error> {
        let bad = |what: String| Err(Error::Scenario(what));
        if self.version != SCENARIO_VERSION {
            return bad(format!(
                "version {} (this generator reads {SCENARIO_VERSION})",
                self.version
            ));
        }
        if self.trades.is_empty() {
            return bad("no trades".into());
        }
        if self.deadline < self.timestamp {
            return bad(format!(
                "deadline {} is before the execution time {}",
                self.deadline, self.timestamp
            ));
        }
        let n = self.assets.len();
        for t in &self.trades {
            if usize::from(t.sell) >= n || usize::from(t.buy) >= n {
                return bad(format!("trade {:?} names an asset beyond the {n} assets", t.name));
            }
        }
        Ok(())
    }

    /// The binding of an honest submission of `trade`.
    pub fn binding(&self, trade: &ScenarioTrade) -> Binding {
        Binding {
            agent: self.agent,
            vault: self.vault,
            chain_id: self.chain_id,
            nonce: trade.nonce,
            deadline: self.deadline,
        }
    }

    /// The statement the vault computes for `trade` submitted under `binding`, with the pinned
    /// commitments (see [`proofgate_prover::valuation`] for the rounding).
    pub fn statement(
        &self,
        trade: &ScenarioTrade,
        binding: Binding,
        model_commitment: Fr,
        params_commitment: Fr,
    ) -> Result<Statement, Error> {
        let snapshot = VaultSnapshot {
            assets: self
                .assets
                .iter()
                .map(|a| AssetSnapshot {
                    balance: a.balance,
                    debt: a.debt,
                    price_1e8: a.price,
                    decimals: a.decimals,
                })
                .collect(),
            trade: TradeAmounts {
                sell_asset: trade.sell,
                buy_asset: trade.buy,
                amount_in: trade.amount_in,
                amount_out: trade.amount_out,
            },
            binding,
            model_commitment,
            params_commitment,
        };
        snapshot.statement().map_err(prover_err(format!("statement of trade {:?}", trade.name)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"{"version":1,"chain_id":31337,
        "vault":"0x00000000000000000000000000000000000000aa",
        "agent":"0x00000000000000000000000000000000000000bb",
        "other_agent":"0x00000000000000000000000000000000000000cc",
        "deadline":200,"timestamp":100,"pairs":[{"anything":true}],
        "assets":[{"symbol":"A","decimals":18,"balance":"1000000000000000000","debt":"0","price":"100000000"},
                  {"symbol":"B","decimals":6,"balance":"5","debt":"1","price":"99999999","feed":"0x01"}],
        "trades":[{"name":"t","sell":0,"buy":1,"amount_in":"1","amount_out":"2","nonce":3}]}"#;

    #[test]
    fn unknown_fields_are_ignored_and_amounts_are_read_exactly() {
        let s: Scenario = serde_json::from_str(MINIMAL).expect("parses");
        s.check().expect("valid");
        assert_eq!(s.assets[0].balance, 1_000_000_000_000_000_000);
        assert_eq!(s.assets[1].price, 99_999_999);
        assert_eq!(s.binding(&s.trades[0]).nonce, 3);
        assert_eq!(s.vault[19], 0xaa);
    }

    #[test]
    fn malformed_amounts_and_inconsistent_scenarios_are_refused() {
        for bad in
            [r#""balance":"1e18""#, r#""balance":"-1""#, r#""balance":"01""#, r#""balance":1"#]
        {
            let text = MINIMAL.replace(r#""balance":"1000000000000000000""#, bad);
            assert!(serde_json::from_str::<Scenario>(&text).is_err(), "{bad}");
        }
        let too_big =
            MINIMAL.replace(r#""price":"100000000""#, r#""price":"18446744073709551616""#);
        assert!(serde_json::from_str::<Scenario>(&too_big).is_err());
        let mut s: Scenario = serde_json::from_str(MINIMAL).expect("parses");
        s.trades[0].buy = 2;
        assert!(matches!(s.check(), Err(Error::Scenario(_))));
        let mut late: Scenario = serde_json::from_str(MINIMAL).expect("parses");
        late.deadline = 99;
        assert!(matches!(late.check(), Err(Error::Scenario(_))));
    }
}

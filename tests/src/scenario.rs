//! The forge tests' scenario (`contracts/test/fixtures/scenario.json`, written with the Solidity
//! tests): the vault's assets, balances, debts and prices, the agents, and the trades to prove.
//!
//! Format (version 1; fields not listed here are ignored, so the Solidity side may add some):
//! `{"version":1, "chain_id":31337, "vault":"0x…", "agent":"0x…", "other_agent":"0x…",
//! "solvency_attestor":"0x…", "deadline":<unix>, "timestamp":<unix>, "assets":[{"symbol":"WETH", "decimals":18,
//! "balance":"<token units>", "debt":"<token units>", "price":"<USD at 1e8>"}, …],
//! "trades":[{"name":"…", "sell":0, "buy":1, "amount_in":"<token units>",
//! "amount_out":"<token units>", "nonce":0, "after":"<name>"}, …]}`. Amounts and prices are
//! decimal strings.
//!
//! `after` is optional. Without it a trade is proven against the scenario's state as deployed.
//! With it, the trade is the same agent's next one after the earlier trade it names (its nonce
//! is that trade's plus one), and it is proven against the state that trade leaves: the named
//! trade, and what it was itself `after`, applied in order (the vault holds `amount_in` less of
//! the sold asset and `amount_out` more of the bought one; debts and prices are unchanged). The
//! vault credits what the venue delivers, the pool's whole quote, so a trade that others follow
//! asks for exactly that quote.

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
    /// The solvency attestor the forge tests deploy (`SolvencyAttestor.real.t.sol`): the
    /// solvency fixtures' proofs are bound to it.
    #[serde(with = "address")]
    pub solvency_attestor: [u8; 20],
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
    /// The earlier trade this one follows, by name (see the module docs); `None` for a trade on
    /// the state as deployed.
    #[serde(default)]
    pub after: Option<String>,
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
    /// exist, a deadline not before the execution time, and for a trade `after` another: that
    /// the other comes earlier in the list and that the nonce is the other's plus one.
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
        for (i, t) in self.trades.iter().enumerate() {
            if usize::from(t.sell) >= n || usize::from(t.buy) >= n {
                return bad(format!("trade {:?} names an asset beyond the {n} assets", t.name));
            }
            let Some(after) = &t.after else { continue };
            let Some(previous) = self.trades[..i].iter().find(|p| &p.name == after) else {
                return bad(format!("trade {:?} is after {after:?}, no earlier trade", t.name));
            };
            if previous.nonce.checked_add(1) != Some(t.nonce) {
                return bad(format!(
                    "trade {:?} has nonce {}, after {after:?} (nonce {}) it must be the next",
                    t.name, t.nonce, previous.nonce
                ));
            }
        }
        Ok(())
    }

    /// The vault's balances (token units) when `trade` executes: the deployed ones, with the
    /// trades it comes `after` applied in order. Reads a checked scenario (see [`Self::check`]).
    pub fn balances_before(&self, trade: &ScenarioTrade) -> Result<Vec<u128>, Error> {
        let mut chain = Vec::new();
        let mut next = trade.after.as_deref();
        while let Some(name) = next {
            let previous = self.trades.iter().find(|t| t.name == name).ok_or_else(|| {
                Error::Scenario(format!("trade {:?} is after {name:?}, no such trade", trade.name))
            })?;
            if chain.len() >= self.trades.len() {
                return Err(Error::Scenario(format!("trade {:?}: `after` loops", trade.name)));
            }
            chain.push(previous);
            next = previous.after.as_deref();
        }
        let mut balances: Vec<u128> = self.assets.iter().map(|a| a.balance).collect();
        for previous in chain.iter().rev() {
            let (sell, buy) = (usize::from(previous.sell), usize::from(previous.buy));
            let out_of_range = || {
                Error::Scenario(format!("trade {:?} leaves a balance out of range", previous.name))
            };
            balances[sell] =
                balances[sell].checked_sub(previous.amount_in).ok_or_else(out_of_range)?;
            balances[buy] =
                balances[buy].checked_add(previous.amount_out).ok_or_else(out_of_range)?;
        }
        Ok(balances)
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
    /// commitments, on the state [`Self::balances_before`] gives (see
    /// [`proofgate_prover::valuation`] for the rounding).
    pub fn statement(
        &self,
        trade: &ScenarioTrade,
        binding: Binding,
        model_commitment: Fr,
        params_commitment: Fr,
    ) -> Result<Statement, Error> {
        let balances = self.balances_before(trade)?;
        let snapshot = VaultSnapshot {
            assets: self
                .assets
                .iter()
                .zip(balances)
                .map(|(a, balance)| AssetSnapshot {
                    balance,
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
        "solvency_attestor":"0x00000000000000000000000000000000000000dd",
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
        assert_eq!(s.solvency_attestor[19], 0xdd);
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

    #[test]
    fn a_trade_after_another_is_valued_on_the_state_that_one_leaves() {
        let second = r#"{"name":"u","sell":1,"buy":0,"amount_in":"3","amount_out":"4","nonce":4,"after":"t"}"#;
        let text = MINIMAL.replace(r#""nonce":3}]"#, &format!(r#""nonce":3}},{second}]"#));
        let s: Scenario = serde_json::from_str(&text).expect("parses");
        s.check().expect("valid");
        assert_eq!(s.trades[0].after, None);
        let deployed = s.balances_before(&s.trades[0]).expect("balances");
        assert_eq!(deployed, [1_000_000_000_000_000_000, 5]);
        let after_t = s.balances_before(&s.trades[1]).expect("balances");
        assert_eq!(after_t, [1_000_000_000_000_000_000 - 1, 5 + 2]);

        for (from, to) in
            [(r#""nonce":4,"#, r#""nonce":5,"#), (r#""after":"t""#, r#""after":"nope""#)]
        {
            let bad: Scenario = serde_json::from_str(&text.replace(from, to)).expect("parses");
            assert!(matches!(bad.check(), Err(Error::Scenario(_))), "{to}");
        }
        let mut backwards: Scenario = serde_json::from_str(&text).expect("parses");
        backwards.trades.swap(0, 1);
        assert!(matches!(backwards.check(), Err(Error::Scenario(_))), "after a later trade");
        let mut overdrawn: Scenario = serde_json::from_str(&text).expect("parses");
        overdrawn.trades[0].amount_in = 2_000_000_000_000_000_000;
        assert!(matches!(overdrawn.balances_before(&overdrawn.trades[1]), Err(Error::Scenario(_))));
    }
}

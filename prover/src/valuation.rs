//! USD valuation of token amounts at 1e8, and the statement a vault snapshot gives: written once
//! for Rust; the vault's Solidity follows the same rules.
//!
//! # Rule
//! `value = amount · price / 10^decimals`, where `amount` is in the token's smallest units,
//! `price` is the feed's answer at 8 decimals (USD per whole token at 1e8) and `decimals` is the
//! token's ERC-20 decimals. The product is exact (below 2^192), the division is rounded as the
//! value's role asks, and the result must fit [`VALUE_BITS`] bits (below 2^63, about $92 billion).
//! The vault reads feeds of any decimals as `amount · answer · 10^8 / 10^(token + feed decimals)`,
//! which is this rule for 8-decimal feeds (the Chainlink USD convention, and every scenario feed).
//!
//! # Rounding (against the trade, and exact on the holding)
//! - holdings: [`Rounding::Down`] (collateral is never overstated);
//! - debts: [`Rounding::Up`] (liabilities are never understated);
//! - the trade's `value_in` (what is sold): `value(H) - value(H - amount_in)`, both
//!   [`Rounding::Down`], with `H` the vault's accounted holding of the sold asset. The post-trade
//!   holding's value `value(H) - value_in` is then exactly the rounded-down value of what remains,
//!   and `value_in <= value(H)` always: selling the whole holding (`amount_in == H`) gives
//!   `value_in == value(H)`, so a full exit is provable. (`value_in` is never below
//!   `value(amount_in)` rounded down and never above it rounded up.) Selling more than `H` is an
//!   error;
//! - the trade's `value_out` (what is bought): [`Rounding::Down`].

use ark_bn254::Fr;
use num_bigint::BigUint;
use num_integer::Integer;
use num_traits::{ToPrimitive, Zero};

use crate::config::{FORMAT_VERSION, VALUE_BITS};
use crate::statement::{Binding, Statement, Trade};
use crate::Error;

/// How a valuation's division is rounded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rounding {
    /// Toward zero (the floor: values are non-negative).
    Down,
    /// Away from zero (the ceiling).
    Up,
}

/// `amount · price_1e8 / 10^token_decimals`, rounded as asked: the USD value at 1e8 of `amount`
/// smallest units of a token with `token_decimals` decimals at the feed price `price_1e8`.
/// Fails if the value does not fit [`VALUE_BITS`] bits.
pub fn value_usd(
    amount: u128,
    price_1e8: u64,
    token_decimals: u8,
    rounding: Rounding,
) -> Result<u64, Error> {
    let product = BigUint::from(amount) * price_1e8;
    let (quotient, remainder) = product.div_rem(&BigUint::from(10u8).pow(token_decimals.into()));
    let value = match rounding {
        Rounding::Up if !remainder.is_zero() => quotient + 1u8,
        _ => quotient,
    };
    value.to_u64().filter(|v| v >> VALUE_BITS == 0).ok_or_else(|| {
        Error::ValueOutOfRange(format!(
            "{amount} units at {price_1e8} (1e8) with {token_decimals} decimals is worth {value} \
             (1e8), which does not fit {VALUE_BITS} bits"
        ))
    })
}

/// One asset of a vault as the vault reads it at execution time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetSnapshot {
    /// The vault's balance, in the token's smallest units.
    pub balance: u128,
    /// The vault's debt in this asset, in the token's smallest units.
    pub debt: u128,
    /// The feed's answer: USD per whole token at 1e8. Must be positive (the vault reverts on a
    /// non-positive answer).
    pub price_1e8: u64,
    /// The token's ERC-20 decimals.
    pub decimals: u8,
}

impl AssetSnapshot {
    /// The holding's value, rounded down.
    pub fn holding_value(&self) -> Result<u64, Error> {
        value_usd(self.balance, self.price_1e8, self.decimals, Rounding::Down)
    }

    /// The debt's value, rounded up.
    pub fn debt_value(&self) -> Result<u64, Error> {
        value_usd(self.debt, self.price_1e8, self.decimals, Rounding::Up)
    }
}

/// A trade in token units: sell exactly `amount_in` of asset `sell_asset` for exactly
/// `amount_out` of asset `buy_asset`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TradeAmounts {
    /// Index of the asset sold.
    pub sell_asset: u8,
    /// Index of the asset bought.
    pub buy_asset: u8,
    /// Amount sold, in the sold token's smallest units.
    pub amount_in: u128,
    /// Amount bought, in the bought token's smallest units.
    pub amount_out: u128,
}

/// Everything the vault reads to build the statement of one trade.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VaultSnapshot {
    /// The vault's assets, in the vault's order (the statement's asset indices).
    pub assets: Vec<AssetSnapshot>,
    /// The proposed trade.
    pub trade: TradeAmounts,
    /// The call context.
    pub binding: Binding,
    /// The model commitment pinned for the agent.
    pub model_commitment: Fr,
    /// The risk-parameter commitment pinned for the agent.
    pub params_commitment: Fr,
}

impl VaultSnapshot {
    /// The asset at `index`, or an error naming it.
    fn asset(&self, index: u8, role: &str) -> Result<&AssetSnapshot, Error> {
        self.assets.get(usize::from(index)).ok_or_else(|| {
            Error::StatementMismatch(format!(
                "{role} asset {index}, but the vault has {} assets",
                self.assets.len()
            ))
        })
    }

    /// The statement the vault computes: holdings rounded down, debts rounded up,
    /// `value_in = value(H) - value(H - amount_in)` (both rounded down, `H` the sold asset's
    /// balance), `value_out` rounded down. Fails on a trade asset the vault does not have, a
    /// non-positive price, a sale above the holding, or a value that does not fit
    /// [`VALUE_BITS`] bits.
    pub fn statement(&self) -> Result<Statement, Error> {
        if let Some(i) = self.assets.iter().position(|a| a.price_1e8 == 0) {
            return Err(Error::ValueOutOfRange(format!("asset {i} has a zero price")));
        }
        let holdings =
            self.assets.iter().map(AssetSnapshot::holding_value).collect::<Result<_, _>>()?;
        let debts = self.assets.iter().map(AssetSnapshot::debt_value).collect::<Result<_, _>>()?;
        let t = &self.trade;
        let (sold, bought) =
            (self.asset(t.sell_asset, "sold")?, self.asset(t.buy_asset, "bought")?);
        let remaining = sold.balance.checked_sub(t.amount_in).ok_or_else(|| {
            Error::ValueOutOfRange(format!(
                "amount_in = {} units of asset {} is above the vault's holding of {} units",
                t.amount_in, t.sell_asset, sold.balance
            ))
        })?;
        let remaining_value = value_usd(remaining, sold.price_1e8, sold.decimals, Rounding::Down)?;
        let trade = Trade {
            sell_asset: t.sell_asset,
            buy_asset: t.buy_asset,
            value_in: sold.holding_value()? - remaining_value,
            value_out: value_usd(t.amount_out, bought.price_1e8, bought.decimals, Rounding::Down)?,
        };
        Ok(Statement {
            version: FORMAT_VERSION,
            holdings,
            debts,
            trade,
            binding: self.binding.clone(),
            model_commitment: self.model_commitment,
            params_commitment: self.params_commitment,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MAX_VALUE: u64 = (1 << VALUE_BITS) - 1;
    const WETH: u8 = 18;
    const USDC: u8 = 6;

    fn both(amount: u128, price: u64, decimals: u8) -> (u64, u64) {
        let down = value_usd(amount, price, decimals, Rounding::Down).expect("fits");
        let up = value_usd(amount, price, decimals, Rounding::Up).expect("fits");
        (down, up)
    }

    #[test]
    fn exact_values_round_the_same_both_ways() {
        // 2.5 WETH at $3,000.12345678 = $7,500.30864195.
        assert_eq!(
            both(2_500_000_000_000_000_000, 300_012_345_678, WETH),
            (750_030_864_195, 750_030_864_195)
        );
        // 1 USDC unit ($0.000001) at $1 = 100 at 1e8.
        assert_eq!(both(1, 100_000_000, USDC), (100, 100));
        // Zero amount is worth zero either way.
        assert_eq!(both(0, 300_000_000_000, WETH), (0, 0));
        // A token with no decimals: amount · price.
        assert_eq!(both(7, 123, 0), (861, 861));
    }

    #[test]
    fn a_remainder_rounds_down_to_the_floor_and_up_to_the_next_unit() {
        // 1 wei at $3,000 is worth 3e-7 at 1e8: 0 down, 1 up.
        assert_eq!(both(1, 300_000_000_000, WETH), (0, 1));
        // 1 satoshi-unit (8 decimals) at $0.00000001 would be 1e-8 at 1e8.
        assert_eq!(both(1, 1, 8), (0, 1));
        // Just below and above a whole unit.
        assert_eq!(both(999_999_999_999_999_999, 100_000_000, WETH), (99_999_999, 100_000_000));
        assert_eq!(both(1_000_000_000_000_000_001, 100_000_000, WETH), (100_000_000, 100_000_001));
        // Large decimals: 10^36 units of a 36-decimal token at $1.
        assert_eq!(both(10u128.pow(36), 100_000_000, 36), (100_000_000, 100_000_000));
        assert_eq!(both(10u128.pow(36) + 1, 100_000_000, 36), (100_000_000, 100_000_001));
    }

    #[test]
    fn values_must_fit_63_bits_after_rounding() {
        // Exactly the largest value, with no remainder: fits both ways.
        assert_eq!(both(u128::from(MAX_VALUE), 1, 0), (MAX_VALUE, MAX_VALUE));
        // One above: refused.
        let over = value_usd(u128::from(MAX_VALUE) + 1, 1, 0, Rounding::Down);
        assert!(matches!(over, Err(Error::ValueOutOfRange(_))));
        // A floor of exactly the largest value with a remainder: down fits, up does not.
        let amount = u128::from(MAX_VALUE) * 10 + 5;
        assert_eq!(value_usd(amount, 1, 1, Rounding::Down).expect("fits"), MAX_VALUE);
        assert!(matches!(value_usd(amount, 1, 1, Rounding::Up), Err(Error::ValueOutOfRange(_))));
        // The largest inputs do not overflow the arithmetic, they are just refused.
        assert!(value_usd(u128::MAX, u64::MAX, 0, Rounding::Up).is_err());
        // ...and the largest decimals make anything small.
        assert_eq!(both(u128::MAX, u64::MAX, u8::MAX), (0, 1));
    }

    proptest! {
        #[test]
        fn up_is_down_plus_one_exactly_when_there_is_a_remainder(
            amount in 0u128..(1 << 87),
            price in 1u64..(1 << 40),
            decimals in 0u8..=30,
        ) {
            let product = amount * u128::from(price); // below 2^127: u128 is exact here
            let scale = 10u128.pow(decimals.into());
            let floor = product / scale;
            let exact = product % scale == 0;
            match (
                value_usd(amount, price, decimals, Rounding::Down),
                value_usd(amount, price, decimals, Rounding::Up),
            ) {
                (Ok(down), Ok(up)) => {
                    prop_assert_eq!(u128::from(down), floor);
                    prop_assert_eq!(up, if exact { down } else { down + 1 });
                }
                (Ok(down), Err(_)) => {
                    prop_assert_eq!(u128::from(down), floor);
                    prop_assert!(!exact && down == MAX_VALUE);
                }
                (Err(_), Err(_)) => prop_assert!(floor > u128::from(MAX_VALUE)),
                (Err(_), Ok(_)) => prop_assert!(false, "up fits but down does not"),
            }
        }
    }

    fn snapshot() -> VaultSnapshot {
        let asset = |balance, debt, price_1e8, decimals| AssetSnapshot {
            balance,
            debt,
            price_1e8,
            decimals,
        };
        VaultSnapshot {
            assets: vec![
                // 10 WETH + 1 wei at $3,000; debt 1 WETH + 1 wei.
                asset(10_000_000_000_000_000_001, 1_000_000_000_000_000_001, 300_000_000_000, WETH),
                // 50,000.000001 USDC at $0.99999999; no debt.
                asset(50_000_000_001, 0, 99_999_999, USDC),
            ],
            trade: TradeAmounts {
                sell_asset: 0,
                buy_asset: 1,
                amount_in: 1_000_000_000_000_000_001,
                amount_out: 2_999_000_001,
            },
            binding: Binding {
                agent: [1; 20],
                vault: [2; 20],
                chain_id: 31_337,
                nonce: 0,
                deadline: 9,
            },
            model_commitment: Fr::from(5u64),
            params_commitment: Fr::from(6u64),
        }
    }

    #[test]
    fn the_statement_rounds_every_value_against_the_trade() {
        let s = snapshot().statement().expect("statement");
        // Holdings down: 10 WETH + 1 wei = $30,000 + 3e-15 → 3,000,000,000,000.
        // 50,000.000001 USDC at $0.99999999 = $49,999.9995009999...99 → 4,999,999,950,099.
        assert_eq!(s.holdings, vec![3_000_000_000_000, 4_999_999_950_099]);
        // Debts up: 1 WETH + 1 wei → $3,000 + one unit.
        assert_eq!(s.debts, vec![300_000_000_001, 0]);
        // value_in = value(H) - value(H - amount_in): selling 1 WETH + 1 wei of 10 WETH + 1 wei
        // leaves exactly 9 WETH ($27,000), so value_in = $3,000 (value(amount_in) rounded up would
        // be one unit more). value_out down: 2,999.000001 USDC at $0.99999999
        // = $2,998.9999710099...99 → 299,899,997,100.
        assert_eq!((s.trade.value_in, s.trade.value_out), (300_000_000_000, 299_899_997_100));
        assert_eq!((s.trade.sell_asset, s.trade.buy_asset), (0, 1));
        assert_eq!(s.binding, snapshot().binding);
        assert_eq!((s.model_commitment, s.params_commitment), (Fr::from(5u64), Fr::from(6u64)));
        assert_eq!(s.version, FORMAT_VERSION);
    }

    #[test]
    fn a_snapshot_the_vault_would_refuse_gives_no_statement() {
        let mut unknown_asset = snapshot();
        unknown_asset.trade.buy_asset = 2;
        assert!(matches!(unknown_asset.statement(), Err(Error::StatementMismatch(_))));
        let mut zero_price = snapshot();
        zero_price.assets[1].price_1e8 = 0;
        assert!(matches!(zero_price.statement(), Err(Error::ValueOutOfRange(_))));
        let mut huge = snapshot();
        huge.assets[0].balance = u128::MAX;
        assert!(matches!(huge.statement(), Err(Error::ValueOutOfRange(_))));
        let mut oversold = snapshot();
        oversold.trade.amount_in = oversold.assets[0].balance + 1;
        let err = oversold.statement().expect_err("sells more than the holding");
        assert!(
            matches!(&err, Error::ValueOutOfRange(m) if m.contains("amount_in = 10000000000000000002")),
            "{err}"
        );
    }

    #[test]
    fn a_full_exit_sells_exactly_the_holding_value() {
        let mut exit = snapshot();
        exit.trade.amount_in = exit.assets[0].balance; // 10 WETH + 1 wei: a remainder at $3,000
        let s = exit.statement().expect("statement");
        assert_eq!(s.trade.value_in, s.holdings[0]);
        // The rule before: value(amount_in) rounded up, one unit above the holding's value.
        let ceil = value_usd(exit.trade.amount_in, 300_000_000_000, WETH, Rounding::Up);
        assert_eq!(ceil.expect("fits"), s.holdings[0] + 1);
    }

    proptest! {
        #[test]
        fn value_in_leaves_exactly_the_value_of_what_remains(
            holding in 0u128..(1 << 80),
            sold_share in 0u128..=1_000,
            price in 1u64..(1 << 40),
            decimals in 0u8..=24,
        ) {
            let mut snap = snapshot();
            snap.assets[0] = AssetSnapshot { balance: holding, debt: 0, price_1e8: price, decimals };
            snap.trade.amount_in = holding / 1_000 * sold_share;
            let remaining = AssetSnapshot { balance: holding - snap.trade.amount_in, ..snap.assets[0].clone() };
            match snap.statement() {
                Ok(s) => {
                    let value_in = s.trade.value_in;
                    prop_assert_eq!(s.holdings[0] - value_in, remaining.holding_value().expect("fits"));
                    let (down, up) = both(snap.trade.amount_in, price, decimals);
                    prop_assert!(down <= value_in && value_in <= up, "{} not in [{}, {}]", value_in, down, up);
                }
                Err(_) => prop_assert!(snap.assets[0].holding_value().is_err()),
            }
        }
    }
}

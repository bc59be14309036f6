//! Trading strategies: what an agent proposes from what it sees on chain. A strategy only
//! proposes; the daemon then checks the proposal against the native risk reference (shrinking or
//! skipping it), quotes it on the venue, proves it and submits it.
//!
//! Two ship: [`Rebalance`] to target weights, and [`Momentum`] (or, contrarian, mean
//! reversion) on recent price moves. Users add their own by implementing [`Strategy`].

use serde::{Deserialize, Serialize};

/// Basis points in one.
pub const BPS: u128 = 10_000;

/// One asset as an agent sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetState {
    /// The token's symbol.
    pub symbol: String,
    /// The token's decimals.
    pub decimals: u8,
    /// The vault's holding, in token units.
    pub holding: u128,
    /// The vault's debt, in token units.
    pub debt: u128,
    /// The feed's answer, USD per whole token at 1e8.
    pub price_1e8: u64,
}

impl AssetState {
    /// The holding's USD value at 1e8 (rounded down; saturating).
    pub fn value_1e8(&self) -> u128 {
        self.holding.saturating_mul(u128::from(self.price_1e8)) / 10u128.pow(self.decimals.into())
    }

    /// Token units worth `value_1e8` (rounded down; saturating).
    pub fn units_for(&self, value_1e8: u128) -> u128 {
        if self.price_1e8 == 0 {
            return 0;
        }
        value_1e8.saturating_mul(10u128.pow(self.decimals.into())) / u128::from(self.price_1e8)
    }
}

/// What a strategy sees: the vault now and each asset's recent prices.
#[derive(Clone, Copy, Debug)]
pub struct MarketView<'a> {
    /// The block the state was read at.
    pub block: u64,
    /// The assets, in the vault's order.
    pub assets: &'a [AssetState],
    /// Per asset, the prices seen at earlier updates, oldest first, ending with the current one.
    pub price_history: &'a [Vec<u64>],
}

/// A proposed trade: sell `amount_in` units of `sell_asset` for as much `buy_asset` as the venue
/// gives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proposal {
    /// Index of the asset sold.
    pub sell_asset: u8,
    /// Index of the asset bought.
    pub buy_asset: u8,
    /// Token units sold.
    pub amount_in: u128,
    /// Why, in words (logged and journaled).
    pub reason: String,
}

/// A trading rule.
pub trait Strategy: Send + Sync {
    /// The strategy's name, for logs and the journal.
    fn name(&self) -> &'static str;

    /// A trade to make now, or `None` to stay put.
    fn propose(&mut self, view: &MarketView<'_>) -> Option<Proposal>;
}

/// A strategy's settings in the agent's TOML configuration.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum StrategyConfig {
    /// [`Rebalance`].
    Rebalance {
        /// Target weight of each asset, in basis points; must sum to 10,000.
        target_weights_bps: Vec<u32>,
        /// Smallest deviation from a target worth trading, in basis points of the portfolio.
        threshold_bps: u32,
        /// Largest trade, in basis points of the portfolio.
        max_trade_bps: u32,
    },
    /// [`Momentum`].
    Momentum {
        /// Number of price updates to look back over.
        lookback: usize,
        /// Smallest spread between the best and worst returns worth trading, in basis points.
        threshold_bps: u32,
        /// Share of the sold asset's holding to sell, in basis points.
        trade_bps: u32,
        /// Mean reversion: buy the loser and sell the winner instead.
        #[serde(default)]
        contrarian: bool,
    },
}

impl StrategyConfig {
    /// Checks what can be checked without knowing the vault.
    pub fn validate_shape(&self) -> Result<(), String> {
        match self {
            Self::Rebalance { target_weights_bps, .. } => self.validate(target_weights_bps.len()),
            Self::Momentum { .. } => self.validate(0),
        }
    }

    /// Checks the settings against a vault of `n_assets` assets.
    pub fn validate(&self, n_assets: usize) -> Result<(), String> {
        match self {
            Self::Rebalance { target_weights_bps, threshold_bps, max_trade_bps } => {
                if target_weights_bps.len() != n_assets {
                    return Err(format!(
                        "rebalance: {} target weights for {n_assets} assets",
                        target_weights_bps.len()
                    ));
                }
                let sum: u64 = target_weights_bps.iter().map(|w| u64::from(*w)).sum();
                if sum != 10_000 {
                    return Err(format!("rebalance: target weights sum to {sum} bps, not 10000"));
                }
                if *threshold_bps == 0 || *max_trade_bps == 0 || *max_trade_bps > 10_000 {
                    return Err(
                        "rebalance: threshold_bps and max_trade_bps must be in 1..=10000".into()
                    );
                }
            }
            Self::Momentum { lookback, trade_bps, .. } => {
                if *lookback == 0 {
                    return Err("momentum: lookback must be at least 1".into());
                }
                if *trade_bps == 0 || *trade_bps > 10_000 {
                    return Err("momentum: trade_bps must be in 1..=10000".into());
                }
            }
        }
        Ok(())
    }

    /// The strategy these settings describe.
    pub fn build(&self) -> Box<dyn Strategy> {
        match self.clone() {
            Self::Rebalance { target_weights_bps, threshold_bps, max_trade_bps } => {
                Box::new(Rebalance { target_weights_bps, threshold_bps, max_trade_bps })
            }
            Self::Momentum { lookback, threshold_bps, trade_bps, contrarian } => {
                Box::new(Momentum { lookback, threshold_bps, trade_bps, contrarian })
            }
        }
    }
}

/// Rebalances toward target weights: sells the most overweight asset for the most underweight,
/// by the smaller of the two deviations, capped at `max_trade_bps` of the portfolio.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rebalance {
    /// Target weight per asset, in basis points (summing to 10,000).
    pub target_weights_bps: Vec<u32>,
    /// Smallest deviation worth trading, in basis points of the portfolio.
    pub threshold_bps: u32,
    /// Largest trade, in basis points of the portfolio.
    pub max_trade_bps: u32,
}

impl Strategy for Rebalance {
    fn name(&self) -> &'static str {
        "rebalance"
    }

    fn propose(&mut self, view: &MarketView<'_>) -> Option<Proposal> {
        let values: Vec<u128> = view.assets.iter().map(AssetState::value_1e8).collect();
        let total: u128 = values.iter().sum();
        if total == 0 || self.target_weights_bps.len() != values.len() {
            return None;
        }
        // Signed deviation of each asset from its target, in USD at 1e8.
        let deviation = |k: usize| {
            let target = total * u128::from(self.target_weights_bps[k]) / BPS;
            i128::try_from(values[k]).unwrap_or(i128::MAX)
                - i128::try_from(target).unwrap_or(i128::MAX)
        };
        let (over, under) = (0..values.len()).fold((0, 0), |(o, u), k| {
            (
                if deviation(k) > deviation(o) { k } else { o },
                if deviation(k) < deviation(u) { k } else { u },
            )
        });
        let excess = deviation(over).min(-deviation(under));
        let threshold = i128::try_from(total * u128::from(self.threshold_bps) / BPS).ok()?;
        if over == under || excess <= threshold {
            return None;
        }
        let value = u128::try_from(excess).ok()?.min(total * u128::from(self.max_trade_bps) / BPS);
        let sold = &view.assets[over];
        let amount_in = sold.units_for(value).min(sold.holding);
        (amount_in > 0).then(|| Proposal {
            sell_asset: u8::try_from(over).unwrap_or(u8::MAX),
            buy_asset: u8::try_from(under).unwrap_or(u8::MAX),
            amount_in,
            reason: format!(
                "rebalance: {} is {:.2}% over target, {} {:.2}% under",
                sold.symbol,
                pct(deviation(over), total),
                view.assets[under].symbol,
                pct(-deviation(under), total)
            ),
        })
    }
}

/// Follows (or, contrarian, fades) recent moves: over the last `lookback` updates, sells the
/// asset with the worst return for the one with the best (or the reverse), when their spread
/// exceeds `threshold_bps`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Momentum {
    /// Number of updates to look back over.
    pub lookback: usize,
    /// Smallest spread of returns worth trading, in basis points.
    pub threshold_bps: u32,
    /// Share of the sold asset's holding to sell, in basis points.
    pub trade_bps: u32,
    /// Mean reversion instead of momentum.
    pub contrarian: bool,
}

impl Strategy for Momentum {
    fn name(&self) -> &'static str {
        if self.contrarian {
            "mean-reversion"
        } else {
            "momentum"
        }
    }

    fn propose(&mut self, view: &MarketView<'_>) -> Option<Proposal> {
        // Return of each asset over the lookback, in basis points.
        let returns: Vec<Option<i128>> = view
            .price_history
            .iter()
            .map(|prices| {
                let now = i128::from(*prices.last()?);
                let then = i128::from(*prices.get(prices.len().checked_sub(self.lookback + 1)?)?);
                (then > 0).then(|| (now - then) * 10_000 / then)
            })
            .collect();
        let known: Vec<(usize, i128)> =
            returns.iter().enumerate().filter_map(|(k, r)| r.map(|r| (k, r))).collect();
        let best = known.iter().max_by_key(|(_, r)| *r)?;
        let worst = known.iter().min_by_key(|(_, r)| *r)?;
        if best.0 == worst.0 || best.1 - worst.1 <= i128::from(self.threshold_bps) {
            return None;
        }
        let (sell, buy) = if self.contrarian { (best, worst) } else { (worst, best) };
        let sold = view.assets.get(sell.0)?;
        let amount_in = sold.holding * u128::from(self.trade_bps) / BPS;
        (amount_in > 0).then(|| Proposal {
            sell_asset: u8::try_from(sell.0).unwrap_or(u8::MAX),
            buy_asset: u8::try_from(buy.0).unwrap_or(u8::MAX),
            amount_in,
            reason: format!(
                "{}: {} {:+.2}% vs {} {:+.2}% over {} updates",
                self.name(),
                view.assets[buy.0].symbol,
                buy.1 as f64 / 100.0,
                sold.symbol,
                sell.1 as f64 / 100.0,
                self.lookback
            ),
        })
    }
}

fn pct(value: i128, total: u128) -> f64 {
    value as f64 * 100.0 / total as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asset(symbol: &str, holding_whole: u128, price_usd: u64) -> AssetState {
        AssetState {
            symbol: symbol.into(),
            decimals: 18,
            holding: holding_whole * 10u128.pow(18),
            debt: 0,
            price_1e8: price_usd * 100_000_000,
        }
    }

    #[test]
    fn rebalance_sells_the_overweight_for_the_underweight() {
        // $7,000 of A, $3,000 of B against 50/50 targets: sell $2,000 of A (capped at 20 %).
        let assets = [asset("A", 7, 1_000), asset("B", 3_000, 1)];
        let history = [vec![], vec![]];
        let view = MarketView { block: 1, assets: &assets, price_history: &history };
        let mut strategy = Rebalance {
            target_weights_bps: vec![5_000, 5_000],
            threshold_bps: 100,
            max_trade_bps: 2_000,
        };
        let proposal = strategy.propose(&view).expect("a trade");
        assert_eq!((proposal.sell_asset, proposal.buy_asset), (0, 1));
        assert_eq!(proposal.amount_in, 2 * 10u128.pow(18));
        // Within the threshold: nothing.
        let balanced = [asset("A", 5, 1_000), asset("B", 5_000, 1)];
        let view = MarketView { block: 1, assets: &balanced, price_history: &history };
        assert_eq!(strategy.propose(&view), None);
    }

    #[test]
    fn momentum_buys_the_winner_and_mean_reversion_the_loser() {
        let assets = [asset("A", 10, 110), asset("B", 10, 90)];
        let history = [vec![100, 105, 110], vec![100, 95, 90]];
        let view = MarketView { block: 1, assets: &assets, price_history: &history };
        let mut momentum =
            Momentum { lookback: 2, threshold_bps: 500, trade_bps: 1_000, contrarian: false };
        let p = momentum.propose(&view).expect("a trade");
        assert_eq!((p.sell_asset, p.buy_asset, p.amount_in), (1, 0, 10u128.pow(18)));
        let mut reversion = Momentum { contrarian: true, ..momentum.clone() };
        let p = reversion.propose(&view).expect("a trade");
        assert_eq!((p.sell_asset, p.buy_asset), (0, 1));
        // Not enough history, or a spread under the threshold: nothing.
        let short = [vec![110], vec![90]];
        assert_eq!(momentum.propose(&MarketView { price_history: &short, ..view }), None);
        let mut strict = Momentum { threshold_bps: 5_000, ..momentum };
        assert_eq!(strict.propose(&view), None);
    }

    #[test]
    fn settings_are_validated() {
        let bad = StrategyConfig::Rebalance {
            target_weights_bps: vec![5_000, 4_000],
            threshold_bps: 100,
            max_trade_bps: 1_000,
        };
        assert!(bad.validate(2).expect_err("bad weights").contains("sum to 9000"));
        assert!(bad.validate(3).is_err());
        let parsed: StrategyConfig = toml::from_str(
            "kind = \"momentum\"\nlookback = 3\nthreshold_bps = 50\ntrade_bps = 500\n",
        )
        .expect("parses");
        assert!(parsed.validate(8).is_ok());
        assert!(toml::from_str::<StrategyConfig>("kind = \"momentum\"\nlookback = 3\nbogus = 1\n")
            .is_err());
    }
}

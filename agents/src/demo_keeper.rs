//! The demo's arbitrageur: on a real network, arbitrage keeps every Uniswap V2 pair near the
//! market price, so a vault trading there pays the pool's fee and its own price impact, not a
//! stale pool price. On a local anvil nobody arbitrages, so the demo and the end-to-end tests
//! do it themselves: before the oracle reports a new price (as markets lead oracles), each pair
//! is swapped back to the ratio of its two prices, with tokens the deployer mints. Without it,
//! the execution-price bound would rightly refuse most trades after the pools drift.

use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use tracing::{debug, warn};

use crate::bindings::token::IDemoToken;
use crate::bindings::uniswap::IUniswapV2Pair;
use crate::chain;
use crate::deploy::DeploymentFile;
use crate::{Error, Result};

/// Pairs within this many basis points of the oracle ratio are left alone.
const TOLERANCE_BPS: f64 = 5.0;

/// The swap that moves a pair with reserves `(reserve_in, reserve_out)` to a price of `target`
/// units of the output token per unit of the input token (fee-free constant product:
/// `reserve_in' = sqrt(k / target)`); `None` when the pair already sells the input token at or
/// below `target`, or is within [`TOLERANCE_BPS`] of it.
fn realigning_input(reserve_in: f64, reserve_out: f64, target: f64) -> Option<f64> {
    let price = reserve_out / reserve_in;
    if price <= target * (1.0 + TOLERANCE_BPS / 10_000.0) {
        return None;
    }
    let input = (reserve_in * reserve_out / target).sqrt() - reserve_in;
    (input >= 1.0).then_some(input)
}

/// Uniswap V2's `getAmountOut` (0.3 % fee).
fn amount_out(amount_in: U256, reserve_in: U256, reserve_out: U256) -> U256 {
    let with_fee = amount_in * U256::from(997u16);
    with_fee * reserve_out / (reserve_in * U256::from(1_000u16) + with_fee)
}

/// Swaps every seeded pair of `deployment` back to the ratio of `prices_1e8` (USD at 1e8 per
/// whole token, in the vault's asset order), minting the input with the deployer's key
/// (`provider` must sign as the deployment's deployer, the demo tokens' owner). Returns how
/// many pairs were moved.
pub async fn align_pools<P: Provider>(
    provider: &P,
    deployment: &DeploymentFile,
    prices_1e8: &[i128],
) -> Result<usize> {
    if prices_1e8.len() != deployment.assets.len() || prices_1e8.iter().any(|p| *p <= 0) {
        return Err(Error::Config(format!("{} positive prices needed", deployment.assets.len())));
    }
    let mut moved = 0;
    for pair in &deployment.pairs {
        let (a, b) = (usize::from(pair.a), usize::from(pair.b));
        let (asset_a, asset_b) = (&deployment.assets[a], &deployment.assets[b]);
        let contract = IUniswapV2Pair::new(pair.pair, provider);
        let reserves = contract.getReserves().call().await?;
        let a_is_0 = contract.token0().call().await? == asset_a.token;
        let (r0, r1) = (U256::from(reserves.reserve0), U256::from(reserves.reserve1));
        let (reserve_a, reserve_b) = if a_is_0 { (r0, r1) } else { (r1, r0) };
        // Units of b per unit of a at the oracle's prices.
        let target = prices_1e8[a] as f64 / prices_1e8[b] as f64
            * 10f64.powi(i32::from(asset_b.decimals) - i32::from(asset_a.decimals));
        let (fa, fb) = (reserve_a.to::<u128>() as f64, reserve_b.to::<u128>() as f64);
        let (input, token_in, reserve_in, reserve_out, in_is_0) =
            match (realigning_input(fa, fb, target), realigning_input(fb, fa, 1.0 / target)) {
                (Some(x), _) => (x, asset_a.token, reserve_a, reserve_b, a_is_0),
                (_, Some(x)) => (x, asset_b.token, reserve_b, reserve_a, !a_is_0),
                (None, None) => continue,
            };
        let amount_in = U256::from(input as u128);
        let out = amount_out(amount_in, reserve_in, reserve_out);
        if out.is_zero() {
            continue;
        }
        // The agents trade while the arbitrageur works, and its input sits in the pair between the
        // mint and the swap: a vault swap through the same pair in between takes that input as its
        // own (the venue swaps everything the pair received) and the arbitrage swap then reverts.
        // The pool stays a little off until the next step realigns it.
        match swap_in(provider, deployment.deployer, pair.pair, token_in, amount_in, out, in_is_0)
            .await
        {
            Ok(()) => {
                debug!(target: "proofgate::demo", pair = %pair.pair, %amount_in, %out, "pool realigned to the oracle");
                moved += 1;
            }
            Err(e) => {
                warn!(target: "proofgate::demo", pair = %pair.pair, error = %e, "an agent's trade went through the pool mid-arbitrage; realigning it at the next step");
            }
        }
    }
    Ok(moved)
}

/// Mints `amount_in` of `token_in` into `pair` and takes `out` of the other token.
async fn swap_in<P: Provider>(
    provider: &P,
    to: Address,
    pair: Address,
    token_in: Address,
    amount_in: U256,
    out: U256,
    in_is_0: bool,
) -> Result<()> {
    let mint = IDemoToken::new(token_in, provider).mint(pair, amount_in).send().await?;
    chain::confirm(mint, "arbitrage input").await?;
    let (out0, out1) = if in_is_0 { (U256::ZERO, out) } else { (out, U256::ZERO) };
    let contract = IUniswapV2Pair::new(pair, provider);
    let swap = contract.swap(out0, out1, to, Default::default()).send().await?;
    chain::confirm(swap, "arbitrage swap").await?;
    Ok(())
}

/// The feeds' latest answers, in the vault's asset order.
pub async fn oracle_prices<P: Provider>(
    provider: &P,
    deployment: &DeploymentFile,
) -> Result<Vec<i128>> {
    let mut prices = Vec::with_capacity(deployment.assets.len());
    for asset in &deployment.assets {
        let round = crate::feeds::latest_round(provider, asset.feed).await?;
        prices.push(i128::try_from(round.answer).map_err(|_| {
            Error::Config(format!("{}: feed answer {} out of range", asset.symbol, round.answer))
        })?);
    }
    Ok(prices)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_realigning_swap_lands_on_the_target_price() {
        // 1,000 a against 2,000,000 b (2,000 b per a); the market says 1,800.
        let input = realigning_input(1_000.0, 2_000_000.0, 1_800.0).expect("a is dear in the pool");
        let (ra, rb) = (1_000.0 + input, 1_000.0 * 2_000_000.0 / (1_000.0 + input));
        assert!((rb / ra - 1_800.0).abs() < 1e-6, "{}", rb / ra);
        assert_eq!(realigning_input(1_000.0, 2_000_000.0, 2_200.0), None, "a is cheap: sell b");
        assert_eq!(realigning_input(1_000.0, 2_000_000.0, 1_999.5), None, "within tolerance");
        assert_eq!(
            amount_out(U256::from(1_000u32), U256::from(1_000u32), U256::from(1_000u32)),
            U256::from(499u32)
        );
    }
}

//! What an agent reads from the chain before deciding: the vault's holdings and debts, each
//! feed's latest answer, the agent's nonce and binding, and the venue's quote; and the statement
//! the vault will compute for a trade, built with the prover's valuation rules and checked
//! against the vault's own `publicInputs` view.

use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use ark_bn254::Fr;
use ark_ff::PrimeField;
use proofgate_prover::statement::{Binding, Statement};
use proofgate_prover::valuation::{AssetSnapshot, Rounding, TradeAmounts, VaultSnapshot};
use proofgate_prover::CircuitConfig;

use crate::bindings::registry::IProofGateRegistry;
use crate::bindings::vault::IProofGateVault;
use crate::bindings::venue::IQuotingVenue;
use crate::deploy::{latest_timestamp, DeploymentFile};
use crate::feeds::AggregatorV3Interface;
use crate::solvency::SolvencyGate;
use crate::strategy::AssetState;
use crate::{Error, Result};

/// The vault and its feeds as one agent sees them at one block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MarketState {
    /// The block read.
    pub block: u64,
    /// That block's timestamp.
    pub timestamp: u64,
    /// The assets, in the vault's order.
    pub assets: Vec<AssetState>,
    /// The agent's next nonce in the vault.
    pub nonce: u64,
    /// The model commitment the registry binds the agent to.
    pub model_commitment: U256,
    /// The parameters' commitment the registry binds the agent to.
    pub params_commitment: U256,
    /// Whether the registry has the agent active.
    pub active: bool,
    /// The vault's solvency gate.
    pub gate: SolvencyGate,
    /// The agent's loss budget in the vault.
    pub loss_budget: LossBudgetState,
}

/// An agent's loss budget in the vault: the registry's terms and the vault's bucket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LossBudgetState {
    /// Capacity, basis points of the vault's net asset value.
    pub budget_bps: u16,
    /// Seconds over which a spent budget refills.
    pub window_s: u32,
    /// What the bucket held spent at its last charge (USD at 1e8).
    pub spent: u128,
    /// When it was last charged.
    pub updated_at: u64,
}

impl LossBudgetState {
    /// What the vault would still let the agent lose at `timestamp` when its net asset value is
    /// `nav` (USD at 1e8): the vault's arithmetic, rounded as it rounds.
    pub fn available(&self, nav: u128, timestamp: u64) -> u128 {
        let capacity = nav.saturating_mul(u128::from(self.budget_bps)) / 10_000;
        let elapsed = u128::from(timestamp.saturating_sub(self.updated_at));
        // A window of 0 never refills (the vault's rule).
        let refill = match self.window_s {
            0 => 0,
            window => capacity.saturating_mul(elapsed) / u128::from(window),
        };
        capacity.saturating_sub(self.spent.saturating_sub(refill))
    }
}

impl MarketState {
    /// The vault's net asset value as it computes it for a trade: holdings (rounded down) minus
    /// debts (rounded up), USD at 1e8, 0 if negative.
    pub fn net_asset_value(&self) -> u128 {
        let value = |amount: u128, a: &AssetState, rounding: Rounding| {
            let v =
                proofgate_prover::valuation::value_usd(amount, a.price_1e8, a.decimals, rounding);
            u128::from(v.unwrap_or(u64::MAX))
        };
        let holdings: u128 = self.assets.iter().map(|a| value(a.holding, a, Rounding::Down)).sum();
        let debts: u128 = self.assets.iter().map(|a| value(a.debt, a, Rounding::Up)).sum();
        holdings.saturating_sub(debts)
    }
}

/// What the vault would charge the loss budget for `statement`'s trade if it received
/// `received` units of the bought asset: the sold value minus the received value (rounded
/// down, at the same price), USD at 1e8.
pub fn expected_shortfall(statement: &Statement, state: &MarketState, received: u128) -> u128 {
    let buy = &state.assets[usize::from(statement.trade.buy_asset)];
    let value = proofgate_prover::valuation::value_usd(
        received,
        buy.price_1e8,
        buy.decimals,
        Rounding::Down,
    )
    .unwrap_or(u64::MAX);
    u128::from(statement.trade.value_in.saturating_sub(value))
}

/// Reads the vault, its feeds and the agent's registration; `block` is the latest block number,
/// which the caller has just read.
pub async fn read_state<P: Provider>(
    provider: &P,
    deployment: &DeploymentFile,
    agent: Address,
    block: u64,
) -> Result<MarketState> {
    let timestamp = latest_timestamp(provider).await?;
    let vault = IProofGateVault::new(deployment.vault, provider);
    let mut assets = Vec::with_capacity(deployment.assets.len());
    for (index, deployed) in deployment.assets.iter().enumerate() {
        let view = vault.asset(U256::from(index)).call().await?;
        let round =
            AggregatorV3Interface::new(view.feed, provider).latestRoundData().call().await?;
        let price = u64::try_from(round.answer)
            .ok()
            .filter(|p| *p > 0 && view.feedDecimals == 8)
            .ok_or_else(|| {
            Error::Config(format!(
                "{}: feed answer {} at {} decimals is not a positive 8-decimal price",
                deployed.symbol, round.answer, view.feedDecimals
            ))
        })?;
        assets.push(AssetState {
            symbol: deployed.symbol.clone(),
            decimals: view.tokenDecimals,
            holding: to_u128(view.holding, "holding")?,
            debt: to_u128(view.debt, "debt")?,
            price_1e8: price,
        });
    }
    let nonce = u64::try_from(vault.nonces(agent).call().await?)
        .map_err(|_| Error::Config("the agent's nonce exceeds 64 bits".into()))?;
    // The vault's own registry read: binding, certification, the solvency gate and the loss
    // budget's terms in one call; then the agent's bucket in the vault.
    let status = IProofGateRegistry::new(deployment.registry, provider)
        .tradingStatus(deployment.vault, agent)
        .call()
        .await?;
    let bucket = vault.lossBucket(agent).call().await?;
    let generation = vault.configGeneration().call().await?;
    Ok(MarketState {
        block,
        timestamp,
        assets,
        nonce,
        model_commitment: status.modelCommitment,
        params_commitment: status.paramsCommitment,
        active: status.active,
        gate: SolvencyGate::from_trading_status(
            status.solventUntil,
            status.reserveAssets,
            status.solvencyGeneration,
            generation,
        ),
        loss_budget: LossBudgetState {
            budget_bps: status.lossBudgetBps,
            window_s: status.lossWindow,
            spent: to_u128(bucket.spent, "loss bucket")?,
            updated_at: bucket.updatedAt,
        },
    })
}

fn to_u128(value: U256, what: &str) -> Result<u128> {
    u128::try_from(value).map_err(|_| Error::Config(format!("{what} {value} exceeds 128 bits")))
}

/// The amount of `buy` the venue gives for `amount_in` of `sell` now.
pub async fn quote<P: Provider>(
    provider: &P,
    deployment: &DeploymentFile,
    sell: u8,
    buy: u8,
    amount_in: u128,
) -> Result<u128> {
    let token = |i: u8| {
        deployment
            .assets
            .get(usize::from(i))
            .map(|a| a.token)
            .ok_or_else(|| Error::Config(format!("asset {i} is not in the deployment")))
    };
    let venue = IQuotingVenue::new(deployment.venue, provider);
    let out = venue.quote(token(sell)?, token(buy)?, U256::from(amount_in)).call().await?;
    to_u128(out, "quote")
}

/// A BN254 scalar from a 256-bit word (reduced; commitments are below the order).
pub fn fr_from_u256(value: U256) -> Fr {
    Fr::from_be_bytes_mod_order(&value.to_be_bytes::<32>())
}

/// The statement the vault will compute for `trade` by `agent` at `state`'s nonce, with
/// `deadline`.
pub fn statement_for(
    deployment: &DeploymentFile,
    state: &MarketState,
    agent: Address,
    trade: TradeAmounts,
    deadline: u64,
) -> Result<Statement> {
    let snapshot = VaultSnapshot {
        assets: state
            .assets
            .iter()
            .map(|a| AssetSnapshot {
                balance: a.holding,
                debt: a.debt,
                price_1e8: a.price_1e8,
                decimals: a.decimals,
            })
            .collect(),
        trade,
        binding: Binding {
            agent: agent.into_array(),
            vault: deployment.vault.into_array(),
            chain_id: deployment.chain_id,
            nonce: state.nonce,
            deadline,
        },
        model_commitment: fr_from_u256(state.model_commitment),
        params_commitment: fr_from_u256(state.params_commitment),
    };
    snapshot.statement().map_err(|e| Error::Config(format!("statement: {e}")))
}

/// The statement's public inputs as words.
pub fn input_words(config: &CircuitConfig, statement: &Statement) -> Result<Vec<U256>> {
    let inputs = statement
        .public_inputs(config)
        .map_err(|e| Error::Config(format!("public inputs: {e}")))?;
    Ok(proofgate_verifier_codegen::calldata::input_words(&inputs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_loss_budget_refills_linearly_and_never_beyond_its_capacity() {
        // 1 % of a $1,000,000 vault (USD at 1e8): capacity $10,000, refilled over 100 s.
        let nav = 1_000_000 * 100_000_000u128;
        let capacity = 10_000 * 100_000_000u128;
        let bucket =
            LossBudgetState { budget_bps: 100, window_s: 100, spent: capacity, updated_at: 1_000 };
        assert_eq!(bucket.available(nav, 1_000), 0, "just spent");
        assert_eq!(bucket.available(nav, 1_025), capacity / 4, "a quarter of the window");
        assert_eq!(bucket.available(nav, 1_100), capacity, "a whole window");
        assert_eq!(bucket.available(nav, 9_999), capacity, "never beyond the capacity");
        assert_eq!(bucket.available(0, 9_999), 0, "nothing to lose in an empty vault");
        let revoked = LossBudgetState { budget_bps: 0, ..bucket };
        assert_eq!(revoked.available(nav, 9_999), 0, "a revoked budget");
        let no_refill = LossBudgetState { window_s: 0, spent: capacity / 2, ..bucket };
        assert_eq!(no_refill.available(nav, 9_999), capacity / 2, "a window of 0 never refills");
    }
}

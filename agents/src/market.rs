//! What an agent reads from the chain before deciding: the vault's holdings and debts, each
//! feed's latest answer, the agent's nonce and binding, and the venue's quote; and the statement
//! the vault will compute for a trade, built with the prover's valuation rules and checked
//! against the vault's own `publicInputs` view.

use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use ark_bn254::Fr;
use ark_ff::PrimeField;
use proofgate_prover::statement::{Binding, Statement};
use proofgate_prover::valuation::{AssetSnapshot, TradeAmounts, VaultSnapshot};
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
    /// The agent's solvency gate.
    pub gate: SolvencyGate,
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
    // The vault's own registry read: binding, certification and the solvency gate in one call.
    let status =
        IProofGateRegistry::new(deployment.registry, provider).tradingStatus(agent).call().await?;
    Ok(MarketState {
        block,
        timestamp,
        assets,
        nonce,
        model_commitment: status.modelCommitment,
        params_commitment: status.paramsCommitment,
        active: status.active,
        gate: SolvencyGate::from_trading_status(status.solventUntil, status.reserveAssets),
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

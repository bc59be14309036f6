//! Deploys the whole system to any RPC endpoint and writes its addresses: demo tokens and their
//! Chainlink-shaped feeds, the real Uniswap V2 factory (bytecode from `@uniswap/v2-core`) with
//! seeded pairs, the generated verifier, the `TimelockController` that owns the registry, the
//! registry, the vault with its deposits and debts, and the Uniswap V2 venue. The model and the
//! risk parameters are certified and the agents registered *through the timelock*: the batch is
//! scheduled, the delay waited out (on anvil by moving its clock, elsewhere by waiting), then
//! executed.
//!
//! The result is a [`DeploymentFile`] (JSON, versioned), which the agent daemon reads.

use std::path::{Path, PathBuf};
use std::time::Duration;

use alloy::network::TransactionBuilder;
use alloy::primitives::{keccak256, Address, Bytes, FixedBytes, B256, U256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use alloy::sol_types::SolCall;
use serde::{Deserialize, Serialize};
use tracing::info;

use crate::bindings::constructors;
use crate::bindings::registry::IProofGateRegistry;
use crate::bindings::timelock::ITimelockController;
use crate::bindings::token::IDemoToken;
use crate::bindings::uniswap::{IUniswapV2Factory, IUniswapV2Pair};
use crate::bindings::vault::IProofGateVault;
use crate::chain::{self, Artifact};
use crate::feeds::{self, FeedSpec};
use crate::{Error, Result};

/// The deployment file format this crate writes and reads.
pub const DEPLOYMENT_VERSION: u64 = 1;

/// One asset to deploy: a demo token, its feed, the vault's balance and debt in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetPlan {
    /// The feed (symbol, description, initial price at 8 decimals).
    pub feed: FeedSpec,
    /// The token's ERC-20 decimals.
    pub decimals: u8,
    /// The vault's deposit, in whole tokens.
    pub deposit_tokens: u128,
    /// The vault's debt, in whole tokens.
    pub debt_tokens: u128,
}

/// The demo's eight assets (the default circuit's count): prices near today's, per-step
/// volatility and a crash at the shock, token decimals as on mainnet, deposits of roughly $1M
/// each (skewed, so that rebalancing has work to do) and small debts.
pub fn demo_assets() -> Vec<AssetPlan> {
    let asset = |symbol: &str,
                 pair: &str,
                 price: i128,
                 vol: u32,
                 jump: i32,
                 decimals: u8,
                 deposit: u128,
                 debt: u128| AssetPlan {
        feed: FeedSpec::usd(symbol, &format!("{pair} / USD"), price, vol, jump),
        decimals,
        deposit_tokens: deposit,
        debt_tokens: debt,
    };
    vec![
        asset("WETH", "ETH", 3_000, 80, -1_800, 18, 500, 20),
        asset("WBTC", "BTC", 60_000, 60, -1_200, 8, 20, 1),
        asset("LINK", "LINK", 15, 120, -2_500, 18, 60_000, 2_000),
        asset("USDC", "USDC", 1, 5, -150, 6, 1_300_000, 50_000),
        asset("DAI", "DAI", 1, 5, -100, 18, 700_000, 0),
        asset("UNI", "UNI", 8, 130, -2_200, 18, 110_000, 5_000),
        asset("AAVE", "AAVE", 150, 110, -2_000, 18, 6_000, 100),
        asset("ARB", "ARB", 1, 150, -2_800, 18, 900_000, 30_000),
    ]
}

/// Governance's certification of the model and parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Certification {
    /// The model commitment.
    pub model_commitment: U256,
    /// The model's name.
    pub model_name: String,
    /// The model's version.
    pub model_version: String,
    /// The model's architecture, in words.
    pub architecture: String,
    /// Keccak-256 of the model file (the off-chain artifact).
    pub model_artifacts_hash: B256,
    /// The risk parameters' commitment.
    pub params_commitment: U256,
    /// What the parameters are.
    pub params_description: String,
    /// Keccak-256 of the parameter file.
    pub params_document_hash: B256,
}

impl Certification {
    /// The certification of `model` and `params` for `circuit`: their commitments, the model's
    /// architecture, and the hashes of the files they were read from (the off-chain artifacts
    /// governance certifies). A model imported from ONNX (`onnx_file`, which must be the one its
    /// provenance records) is certified with [`proofgate_prover::onnx::artifacts_hash`] of the
    /// ONNX export and the model file; any other with the Keccak-256 of the model file.
    pub fn new(
        circuit: &proofgate_prover::CircuitConfig,
        model: &proofgate_prover::Model,
        params: &proofgate_prover::RiskParams,
        (model_name, model_version): (String, String),
        params_description: String,
        (model_file, params_file): (&[u8], &[u8]),
        onnx_file: Option<&[u8]>,
    ) -> Result<Self> {
        use proofgate_prover::onnx::provenance;
        let model_artifacts_hash = match (onnx_file, &model.provenance) {
            (None, _) => keccak256(model_file),
            (Some(_), None) => {
                return Err(Error::Config(
                    "the model records no ONNX provenance (not made by `proofgate model import`)"
                        .into(),
                ))
            }
            (Some(onnx), Some(recorded)) => {
                if provenance::keccak_hex(onnx) != recorded.onnx_keccak256 {
                    return Err(Error::Config(format!(
                        "the ONNX file is not the one the model was imported from (its provenance records {})",
                        recorded.onnx_keccak256
                    )));
                }
                provenance::artifacts_hash(onnx, model_file).into()
            }
        };
        let word = |what: &str, fr: std::result::Result<ark_bn254::Fr, proofgate_prover::Error>| {
            fr.map(|fr| proofgate_verifier_codegen::calldata::input_words(&[fr]))
                .map_err(|e| Error::Config(format!("{what} commitment: {e}")))?
                .first()
                .copied()
                .ok_or_else(|| Error::Config(format!("{what} commitment: no word")))
        };
        Ok(Self {
            model_commitment: word("model", model.commitment(circuit))?,
            model_name,
            model_version,
            architecture: provenance::architecture(circuit),
            model_artifacts_hash,
            params_commitment: word("params", params.commitment(circuit))?,
            params_description,
            params_document_hash: keccak256(params_file),
        })
    }
}

/// Everything [`deploy_system`] deploys and configures.
#[derive(Clone, Debug)]
pub struct SystemPlan {
    /// The assets, in the vault's order.
    pub assets: Vec<AssetPlan>,
    /// USD value (whole dollars) of each side of every seeded Uniswap V2 pair.
    pub pair_liquidity_usd: u128,
    /// Largest accepted age of a feed answer, in seconds.
    pub heartbeat: u32,
    /// The timelock's minimum delay, in seconds.
    pub timelock_delay: u64,
    /// Who may pause the vault and agents (zero: only the owners).
    pub guardian: Address,
    /// The generated verifier's creation bytecode.
    pub verifier_bytecode: Bytes,
    /// Keccak-256 of the verifying key the verifier embeds (recorded, for audits).
    pub verifier_key_hash: B256,
    /// The model and parameters to certify.
    pub certification: Certification,
    /// The agents to register for the vault, bound to the certified model and parameters.
    pub agents: Vec<Address>,
    /// Each agent's loss budget in the vault.
    pub loss_budget: LossBudget,
}

/// An agent's loss budget in a vault: the vault charges each trade's shortfall (what it sold
/// minus what it received, both at its oracle prices) against a bucket of `budget_bps` of its
/// net asset value, refilled linearly over `window_s`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LossBudget {
    /// Capacity, basis points of the vault's net asset value.
    pub budget_bps: u16,
    /// Seconds over which an empty bucket refills.
    pub window_s: u32,
}

impl LossBudget {
    /// The demo's and the deploy command's default: 1 % of the vault's value a day.
    pub const DEFAULT: Self = Self { budget_bps: 100, window_s: 86_400 };
}

/// A deployed asset.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployedAsset {
    /// The token's symbol.
    pub symbol: String,
    /// The token.
    pub token: Address,
    /// Its USD feed.
    pub feed: Address,
    /// The token's decimals.
    pub decimals: u8,
}

/// A seeded Uniswap V2 pair.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployedPair {
    /// Index of one asset.
    pub a: u8,
    /// Index of the other.
    pub b: u8,
    /// The pair contract.
    pub pair: Address,
}

/// Addresses and facts of a deployment: `deployments/<chainId>.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentFile {
    /// Format version ([`DEPLOYMENT_VERSION`]).
    pub version: u64,
    /// The chain's id.
    pub chain_id: u64,
    /// Who deployed (the vault's owner and the timelock's proposer and executor).
    pub deployer: Address,
    /// The block of the last deployment transaction.
    pub block: u64,
    /// The vault.
    pub vault: Address,
    /// The registry.
    pub registry: Address,
    /// The timelock that owns the registry.
    pub timelock: Address,
    /// The timelock's delay, in seconds.
    pub timelock_delay: u64,
    /// The generated verifier.
    pub verifier: Address,
    /// Keccak-256 of the verifying key the verifier embeds.
    pub verifier_key_hash: B256,
    /// The Uniswap V2 venue adapter.
    pub venue: Address,
    /// The Uniswap V2 factory.
    pub uniswap_factory: Address,
    /// The feeds' heartbeat, in seconds.
    pub heartbeat: u32,
    /// The assets, in the vault's order.
    pub assets: Vec<DeployedAsset>,
    /// The seeded pairs.
    pub pairs: Vec<DeployedPair>,
    /// The certified model commitment (decimal).
    pub model_commitment: U256,
    /// The certified parameters' commitment (decimal).
    pub params_commitment: U256,
    /// The registered agents.
    pub agents: Vec<Address>,
    /// The solvency attestor, when one is deployed (see [`crate::solvency`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestor: Option<Address>,
}

impl DeploymentFile {
    /// The conventional path: `<dir>/<chainId>.json`.
    pub fn path_in(dir: &Path, chain_id: u64) -> PathBuf {
        dir.join(format!("{chain_id}.json"))
    }

    /// Reads and checks a deployment file.
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Config(format!("cannot read {}: {e}", path.display())))?;
        let file: Self = serde_json::from_str(&text).map_err(|e| {
            Error::Config(format!("{} is not a deployment file: {e}", path.display()))
        })?;
        if file.version != DEPLOYMENT_VERSION {
            return Err(Error::Config(format!(
                "{}: deployment format version {}, this build reads {DEPLOYMENT_VERSION}",
                path.display(),
                file.version
            )));
        }
        Ok(file)
    }

    /// Writes the file atomically (a temporary file renamed over the target).
    pub fn write(&self, path: &Path) -> Result<()> {
        let json = serde_json::to_string_pretty(self)
            .map_err(|e| Error::Config(format!("cannot encode the deployment: {e}")))?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::Config(format!("cannot create {}: {e}", dir.display())))?;
        }
        proofgate_prover::files::write_atomic(path, json.as_bytes())
            .map_err(|e| Error::Config(format!("cannot write {}: {e}", path.display())))
    }
}

/// `amount` whole tokens in the smallest units of a token with `decimals` decimals.
pub fn whole_tokens(amount: u128, decimals: u8) -> Result<U256> {
    U256::from(10u8)
        .checked_pow(U256::from(decimals))
        .and_then(|scale| scale.checked_mul(U256::from(amount)))
        .ok_or_else(|| Error::Config(format!("{amount} tokens at {decimals} decimals overflow")))
}

/// Token units worth `usd` whole dollars at `price_1e8` (8-decimal USD per whole token).
fn units_for_usd(usd: u128, price_1e8: i128, decimals: u8) -> Result<U256> {
    let price = u128::try_from(price_1e8)
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| Error::Config(format!("non-positive price {price_1e8}")))?;
    let numerator = whole_tokens(usd, decimals)?
        .checked_mul(U256::from(100_000_000u64))
        .ok_or_else(|| Error::Config("liquidity overflows".into()))?;
    Ok(numerator / U256::from(price))
}

/// The contracts' artifacts: forge's build of `contracts/`, and Uniswap V2 from npm.
struct Artifacts {
    token: Artifact,
    feed: Artifact,
    timelock: Artifact,
    registry: Artifact,
    vault: Artifact,
    venue: Artifact,
    uniswap_factory: Artifact,
    uniswap_pair: Artifact,
}

impl Artifacts {
    fn load(root: &Path) -> Result<Self> {
        let uniswap = |name: &str| {
            let path = root.join(format!("node_modules/@uniswap/v2-core/build/{name}.json"));
            Artifact::load_npm(name, &path)
        };
        Ok(Self {
            token: Artifact::forge(root, "DemoToken.sol", "DemoToken")?,
            feed: Artifact::forge(root, "PriceFeed.sol", "PriceFeed")?,
            timelock: Artifact::forge(root, "TimelockController.sol", "TimelockController")?,
            registry: Artifact::forge(root, "ProofGateRegistry.sol", "ProofGateRegistry")?,
            vault: Artifact::forge(root, "ProofGateVault.sol", "ProofGateVault")?,
            venue: Artifact::forge(root, "UniswapV2Venue.sol", "UniswapV2Venue")?,
            uniswap_factory: uniswap("UniswapV2Factory")?,
            uniswap_pair: uniswap("UniswapV2Pair")?,
        })
    }
}

/// Sends a call and waits for a successful receipt.
async fn send<P: Provider>(
    provider: &P,
    to: Address,
    call: impl SolCall,
    what: &str,
) -> Result<()> {
    let tx = TransactionRequest::default().with_to(to).with_input(call.abi_encode());
    chain::confirm(provider.send_transaction(tx).await?, what).await?;
    Ok(())
}

/// Deploys and configures the whole system of `plan` with the provider's signer as deployer,
/// owner and governor (`deployer` must be the provider's signer), and returns its [`DeploymentFile`] (not yet written).
pub async fn deploy_system<P: Provider>(
    provider: &P,
    deployer: Address,
    repo_root: &Path,
    plan: &SystemPlan,
) -> Result<DeploymentFile> {
    if plan.assets.len() < 2 {
        return Err(Error::Config(format!(
            "{} assets: a vault needs at least 2",
            plan.assets.len()
        )));
    }
    let artifacts = Artifacts::load(repo_root)?;
    let chain_id = provider.get_chain_id().await?;
    info!(target: "proofgate::deploy", chain_id, %deployer, assets = plan.assets.len(), "deploying the system");

    // Tokens and feeds.
    let mut assets = Vec::with_capacity(plan.assets.len());
    for asset in &plan.assets {
        let symbol = asset.feed.symbol.clone();
        let args = constructors::DemoToken::constructorCall {
            name_: format!("ProofGate demo {symbol}"),
            symbol_: symbol.clone(),
            decimals_: asset.decimals,
            owner_: deployer,
        };
        let token = chain::deploy(provider, &artifacts.token, &args).await?.address;
        let feed = feeds::deploy_feed(provider, &artifacts.feed, &asset.feed).await?.address;
        assets.push(DeployedAsset { symbol, token, feed, decimals: asset.decimals });
    }

    // Uniswap V2, every pair seeded with the same USD value on each side.
    let factory_args = constructors::UniswapV2Factory::constructorCall { feeToSetter: deployer };
    let uniswap_factory =
        chain::deploy(provider, &artifacts.uniswap_factory, &factory_args).await?;
    let uniswap_factory = uniswap_factory.address;
    let factory = IUniswapV2Factory::new(uniswap_factory, provider);
    let mut pairs = Vec::new();
    for a in 0..assets.len() {
        for b in a + 1..assets.len() {
            let what = format!("createPair({}, {})", assets[a].symbol, assets[b].symbol);
            let pending = factory.createPair(assets[a].token, assets[b].token).send().await?;
            chain::confirm(pending, &what).await?;
            let pair = factory.getPair(assets[a].token, assets[b].token).call().await?;
            for side in [a, b] {
                let units = units_for_usd(
                    plan.pair_liquidity_usd,
                    plan.assets[side].feed.initial_answer,
                    assets[side].decimals,
                )?;
                let call = IDemoToken::mintCall { to: pair, amount: units };
                send(provider, assets[side].token, call, &format!("seed {what}")).await?;
            }
            let pending = IUniswapV2Pair::new(pair, provider).mint(deployer).send().await?;
            chain::confirm(pending, &format!("mint liquidity of {what}")).await?;
            pairs.push(DeployedPair { a: index_u8(a)?, b: index_u8(b)?, pair });
        }
    }

    // Verifier, governance, registry, vault and venue.
    let verifier = chain::deploy_code(provider, plan.verifier_bytecode.clone(), "verifier").await?;
    let timelock_args = constructors::TimelockController::constructorCall {
        minDelay: U256::from(plan.timelock_delay),
        proposers: vec![deployer],
        executors: vec![deployer],
        admin: Address::ZERO,
    };
    let timelock = chain::deploy(provider, &artifacts.timelock, &timelock_args).await?.address;
    let registry_args =
        constructors::ProofGateRegistry::constructorCall { timelock, guardian: plan.guardian };
    let registry = chain::deploy(provider, &artifacts.registry, &registry_args).await?.address;
    let vault_args = constructors::ProofGateVault::constructorCall {
        owner: deployer,
        governance: timelock,
        guardian: plan.guardian,
        registry,
        verifier,
        assetCount: U256::from(assets.len()),
    };
    let vault = chain::deploy(provider, &artifacts.vault, &vault_args).await?.address;
    let venue_args = constructors::UniswapV2Venue::constructorCall {
        factory: uniswap_factory,
        vault,
        pairInitCodeHash: keccak256(&artifacts.uniswap_pair.bytecode),
    };
    let venue = chain::deploy(provider, &artifacts.venue, &venue_args).await?.address;

    // Governance, through the timelock: the vault's assets, venue and debts (everything its
    // statement is computed from), the certification, and the agents' authority in this vault.
    let mut calls = vault_configuration(vault, &assets, plan, venue)?;
    calls.extend(certification_calls(registry, vault, plan));
    govern(provider, timelock, calls).await?;

    // Each pair's first `sync` after its seeding block starts Uniswap's price accumulators, as
    // any pool with a history has them: otherwise the first swap in a pair (a gated trade)
    // pays about 34,000 gas to start them.
    for pair in &pairs {
        let pending = IUniswapV2Pair::new(pair.pair, provider).sync().send().await?;
        chain::confirm(pending, "sync a pair").await?;
    }

    // The owner's deposits, once the assets exist.
    let vault_contract = IProofGateVault::new(vault, provider);
    for (index, (asset, spec)) in assets.iter().zip(&plan.assets).enumerate() {
        let deposit = whole_tokens(spec.deposit_tokens, asset.decimals)?;
        let symbol = &asset.symbol;
        send(provider, asset.token, IDemoToken::mintCall { to: deployer, amount: deposit }, symbol)
            .await?;
        let approve = IDemoToken::approveCall { spender: vault, amount: deposit };
        send(provider, asset.token, approve, &format!("approve {symbol}")).await?;
        let pending = vault_contract.deposit(U256::from(index), deposit).send().await?;
        chain::confirm(pending, &format!("deposit {symbol}")).await?;
    }
    let c = &plan.certification;

    // The feeds' answers may have aged while governance waited: refresh them.
    refresh_feeds(provider, &assets, plan).await?;
    let block = provider.get_block_number().await?;
    info!(target: "proofgate::deploy", %vault, %registry, %timelock, %verifier, block, "system deployed and certified");
    Ok(DeploymentFile {
        version: DEPLOYMENT_VERSION,
        chain_id,
        deployer,
        block,
        vault,
        registry,
        timelock,
        timelock_delay: plan.timelock_delay,
        verifier,
        verifier_key_hash: plan.verifier_key_hash,
        venue,
        uniswap_factory,
        heartbeat: plan.heartbeat,
        assets,
        pairs,
        model_commitment: c.model_commitment,
        params_commitment: c.params_commitment,
        agents: plan.agents.clone(),
        attestor: None,
    })
}

/// The vault's configuration calls (the timelock's to make): every asset with its feed, the
/// venue, and the debts.
pub fn vault_configuration(
    vault: Address,
    assets: &[DeployedAsset],
    plan: &SystemPlan,
    venue: Address,
) -> Result<Vec<(Address, Bytes)>> {
    let mut calls: Vec<(Address, Bytes)> = assets
        .iter()
        .map(|asset| {
            let call = IProofGateVault::addAssetCall {
                token: asset.token,
                feed: asset.feed,
                heartbeat: plan.heartbeat,
            };
            (vault, call.abi_encode().into())
        })
        .collect();
    calls.push((vault, IProofGateVault::setVenueCall { newVenue: venue }.abi_encode().into()));
    for (index, (asset, spec)) in assets.iter().zip(&plan.assets).enumerate() {
        let debt = whole_tokens(spec.debt_tokens, asset.decimals)?;
        if !debt.is_zero() {
            let call = IProofGateVault::setDebtCall { index: U256::from(index), debt };
            calls.push((vault, call.abi_encode().into()));
        }
    }
    Ok(calls)
}

/// The registry calls that certify the plan's model and parameters and give each agent
/// authority in `vault`, with its loss budget.
fn certification_calls(
    registry: Address,
    vault: Address,
    plan: &SystemPlan,
) -> Vec<(Address, Bytes)> {
    let c = &plan.certification;
    let mut payloads: Vec<Bytes> = vec![
        IProofGateRegistry::certifyModelCall {
            commitment: c.model_commitment,
            metadata: IProofGateRegistry::ModelMetadata {
                name: c.model_name.clone(),
                version: c.model_version.clone(),
                architecture: c.architecture.clone(),
                artifactsHash: c.model_artifacts_hash,
            },
        }
        .abi_encode()
        .into(),
        IProofGateRegistry::certifyParamsCall {
            commitment: c.params_commitment,
            description: c.params_description.clone(),
            documentHash: c.params_document_hash,
        }
        .abi_encode()
        .into(),
    ];
    for &agent in &plan.agents {
        let register = IProofGateRegistry::registerAgentCall {
            vault,
            agent,
            modelCommitment: c.model_commitment,
            paramsCommitment: c.params_commitment,
        };
        payloads.push(register.abi_encode().into());
        let budget = IProofGateRegistry::setLossBudgetCall {
            vault,
            agent,
            budgetBps: plan.loss_budget.budget_bps,
            window: plan.loss_budget.window_s,
        };
        payloads.push(budget.abi_encode().into());
    }
    payloads.into_iter().map(|p| (registry, p)).collect()
}

/// Submits every feed's opening answer again: governance moves the clock past the timelock's
/// delay, which can leave the feeds older than their heartbeat.
pub async fn refresh_feeds<P: Provider>(
    provider: &P,
    assets: &[DeployedAsset],
    plan: &SystemPlan,
) -> Result<()> {
    for (asset, spec) in assets.iter().zip(&plan.assets) {
        feeds::submit(provider, asset.feed, &asset.symbol, spec.feed.initial_answer).await?;
    }
    Ok(())
}

/// The generated verifier of a verifying key, compiled with the toolchain's solc.
#[derive(Clone, Debug)]
pub struct CompiledVerifier {
    /// Creation bytecode.
    pub bytecode: Bytes,
    /// Size of the runtime bytecode, in bytes.
    pub runtime_bytes: usize,
    /// Keccak-256 of the verifying key it embeds.
    pub key_hash: B256,
}

/// Generates the Solidity verifier of `vk` for `config` and compiles it (foundry-compilers on the
/// repository's solc).
pub fn compile_verifier(
    vk: &ark_groth16::VerifyingKey<ark_bn254::Bn254>,
    config: &proofgate_prover::CircuitConfig,
) -> Result<CompiledVerifier> {
    let inputs = proofgate_prover::statement::public_input_count(config);
    compile_named_verifier(vk, "RiskVerifier", inputs)
}

/// Generates the Solidity verifier of `vk` as contract `name`, for `public_inputs` inputs, and
/// compiles it (the risk verifier, the solvency verifier).
pub fn compile_named_verifier(
    vk: &ark_groth16::VerifyingKey<ark_bn254::Bn254>,
    name: &str,
    public_inputs: usize,
) -> Result<CompiledVerifier> {
    use proofgate_verifier_codegen::{
        compile_contract, generate, CompileSettings, VerifierOptions,
    };
    let failed = |what: &str, e: &dyn std::fmt::Display| Error::Config(format!("{what}: {e}"));
    let options =
        VerifierOptions { contract_name: name.into(), expected_public_inputs: public_inputs };
    let generated = generate(vk, &options).map_err(|e| failed("verifier generation", &e))?;
    let toolchain = proofgate_toolchain::Toolchain::discover()?;
    let sources = std::collections::BTreeMap::from([(format!("{name}.sol"), generated.source)]);
    let compiled = compile_contract(&toolchain, &sources, name, &CompileSettings::default())
        .map_err(|e| failed(&format!("compiling {name}"), &e))?;
    let key_hash =
        proofgate_verifier_codegen::key_hash(vk).map_err(|e| failed("verifying key hash", &e))?;
    Ok(CompiledVerifier {
        bytecode: compiled.bytecode.into(),
        runtime_bytes: compiled.deployed_bytecode.len(),
        key_hash: key_hash.into(),
    })
}

fn index_u8(index: usize) -> Result<u8> {
    u8::try_from(index).map_err(|_| Error::Config(format!("asset index {index} exceeds 255")))
}

/// Schedules `calls` (target, calldata) as one batch on the timelock, waits out its delay and
/// executes it. Nothing takes effect before the execution, and then all of it does.
pub async fn govern<P: Provider>(
    provider: &P,
    timelock: Address,
    calls: Vec<(Address, Bytes)>,
) -> Result<()> {
    let contract = ITimelockController::new(timelock, provider);
    let delay = contract.getMinDelay().call().await?;
    let (targets, payloads): (Vec<Address>, Vec<Bytes>) = calls.into_iter().unzip();
    let values = vec![U256::ZERO; payloads.len()];
    // A fresh salt per batch: the same calls may be governed again later.
    let mut preimage = provider.get_block_number().await?.to_be_bytes().to_vec();
    payloads.iter().for_each(|p| preimage.extend_from_slice(p));
    let salt = keccak256(&preimage);
    let predecessor = FixedBytes::ZERO;
    let schedule = contract.scheduleBatch(
        targets.clone(),
        values.clone(),
        payloads.clone(),
        predecessor,
        salt,
        delay,
    );
    chain::confirm(schedule.send().await?, "timelock scheduleBatch").await?;
    let id = contract
        .hashOperationBatch(targets.clone(), values.clone(), payloads.clone(), predecessor, salt)
        .call()
        .await?;
    let ready_at = contract.getTimestamp(id).call().await?;
    info!(target: "proofgate::deploy", operation = %id, %ready_at, %delay, "governance batch scheduled");
    wait_until(provider, ready_at).await?;
    let execute = contract.executeBatch(targets, values, payloads, predecessor, salt);
    chain::confirm(execute.send().await?, "timelock executeBatch").await?;
    info!(target: "proofgate::deploy", operation = %id, "governance batch executed");
    Ok(())
}

/// Waits until the chain's next block can have a timestamp of at least `timestamp`: on anvil by
/// moving its clock (`evm_setNextBlockTimestamp`), elsewhere by polling the latest block.
async fn wait_until<P: Provider>(provider: &P, timestamp: U256) -> Result<()> {
    let target = u64::try_from(timestamp)
        .map_err(|_| Error::Config(format!("timelock timestamp {timestamp} out of range")))?;
    let client: String = provider.get_client_version().await.unwrap_or_default();
    if client.to_ascii_lowercase().contains("anvil") {
        let now = latest_timestamp(provider).await?;
        if now < target {
            chain::advance_time(provider, target - now).await?;
        }
        return Ok(());
    }
    loop {
        let now = latest_timestamp(provider).await?;
        if now >= target {
            return Ok(());
        }
        info!(target: "proofgate::deploy", wait_s = target - now, "waiting out the timelock delay");
        tokio::time::sleep(Duration::from_secs((target - now).clamp(1, 30))).await;
    }
}

/// The latest block's timestamp.
pub async fn latest_timestamp<P: Provider>(provider: &P) -> Result<u64> {
    let block = provider
        .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
        .await?
        .ok_or_else(|| Error::Config("the node returned no latest block".into()))?;
    Ok(block.header.timestamp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_amounts_scale_and_refuse_overflow() {
        assert_eq!(whole_tokens(3, 6).ok(), Some(U256::from(3_000_000u64)));
        assert!(whole_tokens(u128::MAX, 77).is_err());
    }

    #[test]
    fn liquidity_is_the_usd_value_at_the_price() {
        // $1,000,000 of an 18-decimal token at $2,000.
        let units = units_for_usd(1_000_000, 2_000 * 100_000_000, 18).ok();
        assert_eq!(units, Some(U256::from(500u64) * U256::from(10u8).pow(U256::from(18u8))));
        assert!(units_for_usd(1, 0, 18).is_err());
    }

    #[test]
    fn the_file_round_trips_and_refuses_other_versions(
    ) -> std::result::Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let file = DeploymentFile {
            version: DEPLOYMENT_VERSION,
            chain_id: 31337,
            deployer: Address::repeat_byte(1),
            block: 9,
            vault: Address::repeat_byte(2),
            registry: Address::repeat_byte(3),
            timelock: Address::repeat_byte(4),
            timelock_delay: 60,
            verifier: Address::repeat_byte(5),
            verifier_key_hash: B256::repeat_byte(6),
            venue: Address::repeat_byte(7),
            uniswap_factory: Address::repeat_byte(8),
            heartbeat: 3600,
            assets: vec![],
            pairs: vec![],
            model_commitment: U256::from(11u8),
            params_commitment: U256::from(12u8),
            agents: vec![Address::repeat_byte(9)],
            attestor: Some(Address::repeat_byte(10)),
        };
        let path = DeploymentFile::path_in(dir.path(), 31337);
        file.write(&path)?;
        assert_eq!(DeploymentFile::read(&path)?, file);
        let text = std::fs::read_to_string(&path)?.replace("\"version\": 1", "\"version\": 99");
        std::fs::write(&path, text)?;
        let error = DeploymentFile::read(&path).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("version 99"), "{error}");
        std::fs::write(&path, "{")?;
        assert!(DeploymentFile::read(&path).is_err());
        Ok(())
    }
}

//! Solvency attestations from the agent's side: deploying and governing the attestor, and
//! attesting — the vault's holdings and the feeds' prices read from the chain, the agent's
//! private book (its depositors and its positions held elsewhere) proved to cover them, the
//! statement checked against the attestor's own `publicInputs` before the proof is sent.
//!
//! The registry keeps, in each agent's word, until when its last attestation is fresh; the vault
//! refuses the agent's risk-increasing trades (any trade that buys an asset outside its reserve
//! assets) after that. An agent with a schedule re-attests before its attestation goes stale.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use alloy::eips::BlockId;
use alloy::primitives::{Address, Bytes, U256};
use alloy::providers::Provider;
use alloy::sol_types::SolCall;
use ark_bn254::Fr;
use ark_ff::UniformRand;
use proofgate_prover::solvency::attestation::{
    off_vault_commitment, public_input_count, witness_leaves, AttestedAsset, SolvencyStatement,
    SolvencyWitness,
};
use proofgate_prover::solvency::{to_u128, Depositors, SolvencyKeys, SumTree};
use proofgate_verifier_codegen::calldata::{input_words, proof_words};
use serde::{Deserialize, Serialize};
use tracing::info;

use crate::bindings::attestor::ISolvencyAttestor;
use crate::bindings::constructors::SolvencyAttestor;
use crate::bindings::registry::IProofGateRegistry;
use crate::bindings::vault::IProofGateVault;
use crate::chain::{self, Artifact};
use crate::deploy::{compile_named_verifier, govern, DeploymentFile};
use crate::error::{Error, Result};
use crate::feeds::AggregatorV3Interface;

/// Version of the book file.
pub const BOOK_VERSION: u64 = 1;

/// Prices in a statement are USD at 1e8.
const PRICE_DECIMALS: u32 = 8;
/// Holdings are scaled to 18 decimals in the value checks.
const SCALED_DECIMALS: u32 = 18;

/// Governance's solvency set-up for a deployment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SolvencyPlan {
    /// Largest age of an attestation, seconds.
    pub max_age: u64,
    /// Margin over the liabilities' value, basis points.
    pub margin_bps: u16,
    /// Per-asset haircuts, basis points (at most 10,000), in the vault's order.
    pub haircuts: Vec<u16>,
    /// Bit mask of the assets the vault's agents may buy without a fresh attestation (its
    /// reserves; 0: every trade needs one). The gate is the vault's: whichever of its agents
    /// attests opens it for all of them.
    pub reserve_assets: u16,
}

/// The agent's private book file (`book.json`): where its depositors are, and what it holds
/// outside the vault. Never leaves the agent's machine; only commitments go on chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookFile {
    /// Format version ([`BOOK_VERSION`]).
    pub version: u64,
    /// The depositors file (as `proofgate solvency build` reads it), relative to the book.
    pub depositors: PathBuf,
    /// Token units of each asset held outside the vault, decimal, in the vault's order.
    pub off_vault: Vec<String>,
}

/// A loaded book.
#[derive(Clone, Debug)]
pub struct Book {
    /// The depositors (validated).
    pub depositors: Depositors,
    /// Token units held outside the vault, per asset.
    pub off_vault: Vec<u128>,
}

fn book_error(path: &Path, what: impl std::fmt::Display) -> Error {
    Error::Config(format!("solvency book {}: {what}", path.display()))
}

impl Book {
    /// Reads and validates a book file and the depositors file it names.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| book_error(path, e))?;
        let file: BookFile = serde_json::from_str(&text).map_err(|e| book_error(path, e))?;
        if file.version != BOOK_VERSION {
            return Err(book_error(
                path,
                format!("version {} (this build reads {BOOK_VERSION})", file.version),
            ));
        }
        let base = path.parent().unwrap_or(Path::new("."));
        let depositors_path = base.join(&file.depositors);
        let depositors_text = std::fs::read_to_string(&depositors_path)
            .map_err(|e| book_error(path, format!("{}: {e}", depositors_path.display())))?;
        let depositors: Depositors = serde_json::from_str(&depositors_text)
            .map_err(|e| book_error(path, format!("{}: {e}", depositors_path.display())))?;
        if file.off_vault.len() != depositors.n_assets() {
            return Err(book_error(
                path,
                format!(
                    "{} off-vault positions for {} assets",
                    file.off_vault.len(),
                    depositors.n_assets()
                ),
            ));
        }
        let off_vault = file
            .off_vault
            .iter()
            .enumerate()
            .map(|(a, s)| {
                s.parse::<u128>()
                    .map_err(|e| book_error(path, format!("off_vault[{a}] = {s:?}: {e}")))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { depositors, off_vault })
    }
}

/// What one attestation did.
#[derive(Clone, Debug, PartialEq)]
pub struct AttestationOutcome {
    /// The epoch attested.
    pub epoch: u64,
    /// Until when it is fresh (block timestamp).
    pub valid_until: u64,
    /// The liabilities root published (depositors check inclusion against it).
    pub root: U256,
    /// Gas used by `attestSolvency`.
    pub gas_used: u64,
    /// Seconds spent proving.
    pub prove_s: f64,
}

/// An agent's attester: the solvency proving key, its book and the attestor.
#[derive(Clone)]
pub struct Attester {
    /// The solvency proving key.
    pub keys: Arc<SolvencyKeys>,
    /// The agent's book.
    pub book: Arc<Book>,
    /// The attestor contract.
    pub attestor: Address,
}

/// Names the attestor's custom error when a call reverts with one (a stale feed, a replayed
/// epoch, a value out of range); other failures stay contract errors.
fn attestor_error(what: &'static str) -> impl Fn(alloy::contract::Error) -> Error {
    move |e| match e.as_decoded_interface_error::<ISolvencyAttestor::ISolvencyAttestorErrors>() {
        Some(decoded) => Error::Config(format!("{what}: the attestor reverted with {decoded:?}")),
        None => Error::Contract(e),
    }
}

/// Reads what the attestor reads for `vault`'s assets now: holdings, prices at 1e8 (converted
/// from the feed's decimals as the contract does), governed haircuts and decimal scales.
async fn attested_assets<P: Provider>(
    provider: &P,
    attestor: Address,
    vault: Address,
    n: usize,
    block: BlockId,
) -> Result<Vec<AttestedAsset>> {
    let vault = IProofGateVault::new(vault, provider);
    let contract = ISolvencyAttestor::new(attestor, provider);
    let mut assets = Vec::with_capacity(n);
    for i in 0..n {
        let view = vault.asset(U256::from(i)).block(block).call().await?;
        let round = AggregatorV3Interface::new(view.feed, provider)
            .latestRoundData()
            .block(block)
            .call()
            .await?;
        let haircut = contract.haircut(U256::from(i)).block(block).call().await?;
        let out_of_range = |what: &str| Error::Config(format!("asset {i}: {what} out of range"));
        let answer = u128::try_from(round.answer).map_err(|_| out_of_range("price"))?;
        let feed_decimals = u32::from(view.feedDecimals);
        let price = if feed_decimals >= PRICE_DECIMALS {
            answer / 10u128.pow(feed_decimals - PRICE_DECIMALS)
        } else {
            answer.saturating_mul(10u128.pow(PRICE_DECIMALS - feed_decimals))
        };
        let token_decimals = u32::from(view.tokenDecimals);
        if token_decimals > SCALED_DECIMALS {
            return Err(out_of_range("token decimals"));
        }
        assets.push(AttestedAsset {
            vault_holding: u128::try_from(view.holding).map_err(|_| out_of_range("holding"))?,
            price_1e8: u64::try_from(price).map_err(|_| out_of_range("price"))?,
            haircut_bps: haircut,
            scale: 10u64.pow(SCALED_DECIMALS - token_decimals),
        });
    }
    Ok(assets)
}

/// Attests `agent`'s solvency now (the provider signs as the agent). The native reference runs
/// first: an insolvent book is [`Error::Config`] naming every failed check, and nothing is sent.
/// The statement must equal the attestor's `publicInputs`, else nothing is sent either.
pub async fn attest<P: Provider>(
    provider: &P,
    deployment: &DeploymentFile,
    agent: Address,
    attester: &Attester,
) -> Result<AttestationOutcome> {
    let contract = ISolvencyAttestor::new(attester.attestor, provider);
    let n = deployment.assets.len();
    let keys = &attester.keys;
    if keys.n_assets != n {
        return Err(Error::Config(format!(
            "the solvency key is for {} assets, the vault has {n}",
            keys.n_assets
        )));
    }
    // Every read at one block, so that the statement is the chain's at that block.
    let block = BlockId::number(provider.get_block_number().await?);
    // Attestations are the vault's: whichever of its agents attests continues its epochs.
    let vault = deployment.vault;
    let last = contract.attestation(vault).block(block).call().await?;
    let margin_bps = contract.margin().block(block).call().await?;
    let assets = attested_assets(provider, attester.attestor, vault, n, block).await?;

    let book = &attester.book;
    let tree = SumTree::build(&book.depositors, keys.depth)
        .map_err(|e| Error::Config(format!("liabilities tree: {e}")))?;
    let root = tree.root();
    let totals = root
        .totals
        .iter()
        .map(|t| {
            to_u128(t).ok_or_else(|| Error::Config("a liabilities total exceeds 2^128".into()))
        })
        .collect::<Result<Vec<u128>>>()?;
    let epoch = last.epoch + 1;
    let previous = crate::market::fr_from_u256(last.offVaultCommitment);
    let blinding = Fr::rand(&mut rand::rngs::OsRng);
    let statement = SolvencyStatement {
        agent: agent.into_array(),
        vault: vault.into_array(),
        chain_id: deployment.chain_id,
        epoch,
        margin_bps,
        assets,
        root: root.hash,
        totals: totals.clone(),
        previous_commitment: previous,
        new_commitment: off_vault_commitment(previous, epoch, &book.off_vault, blinding),
    };
    let witness = SolvencyWitness {
        leaves: witness_leaves(&book.depositors, keys.depth),
        off_vault: book.off_vault.clone(),
        blinding,
    };
    let inputs = statement.public_inputs().map_err(|e| Error::Config(format!("statement: {e}")))?;
    debug_assert_eq!(inputs.len(), public_input_count(n));
    let words = input_words(&inputs);
    let totals_words: Vec<U256> = totals.iter().map(|&t| U256::from(t)).collect();
    let on_chain = contract
        .publicInputs(agent, vault, epoch, words[1], totals_words.clone(), words[3])
        .block(block)
        .call()
        .await
        .map_err(attestor_error("the attestor's statement"))?;
    if on_chain != words {
        return Err(Error::Config(
            "the attestor's statement differs from the agent's (state moved, or a layout mismatch)"
                .into(),
        ));
    }

    let started = Instant::now();
    let keys = keys.clone();
    let proved = tokio::task::spawn_blocking(move || {
        keys.prove(&statement, &witness, &mut rand::rngs::OsRng)
    })
    .await
    .map_err(|e| Error::Config(format!("solvency prover task: {e}")))?;
    let (proof, _) = proved.map_err(|e| Error::Config(format!("no attestation: {e}")))?;
    let prove_s = started.elapsed().as_secs_f64();
    // Prices and holdings are read at attestation time: if they moved while proving, the proof
    // is of a statement the attestor no longer computes. Checked here, so that the failure is
    // named (and retried) rather than sent to revert.
    let now = contract
        .publicInputs(agent, vault, epoch, words[1], totals_words.clone(), words[3])
        .call()
        .await
        .map_err(attestor_error("the attestor's statement"))?;
    if now != words {
        return Err(Error::AttestationRaced);
    }

    let call = contract.attestSolvency(
        vault,
        epoch,
        words[1],
        totals_words,
        words[3],
        proof_words(&proof),
    );
    let pending = call.send().await.map_err(attestor_error("attestSolvency"))?;
    let receipt = chain::confirm(pending, "attestSolvency").await?;
    let valid_until = contract.attestation(vault).call().await?.validUntil;
    info!(target: "proofgate::solvency", %agent, epoch, valid_until, prove_s, gas = receipt.gas_used, "solvency attested");
    Ok(AttestationOutcome {
        epoch,
        valid_until,
        root: words[1],
        gas_used: receipt.gas_used,
        prove_s,
    })
}

/// [`attest`], again (at most `attempts` times in all) while trades or price updates move the
/// statement during proving.
pub async fn attest_retrying<P: Provider>(
    provider: &P,
    deployment: &DeploymentFile,
    agent: Address,
    attester: &Attester,
    attempts: u32,
) -> Result<AttestationOutcome> {
    let mut attempt = 1;
    loop {
        match attest(provider, deployment, agent, attester).await {
            Err(Error::AttestationRaced) if attempt < attempts => {
                info!(target: "proofgate::solvency", %agent, attempt, "the statement moved while proving; attesting again");
                attempt += 1;
            }
            outcome => return outcome,
        }
    }
}

/// Deploys the solvency verifier (generated from `keys`) and the attestor, owned by the
/// deployment's timelock, then governs through it: the attestor's margin, haircuts and agents'
/// vaults, and in the registry the attestor and every agent's solvency requirement. Returns the
/// attestor's address.
pub async fn deploy_attestor<P: Provider>(
    provider: &P,
    deployment: &DeploymentFile,
    keys: &SolvencyKeys,
    plan: &SolvencyPlan,
) -> Result<Address> {
    let n = deployment.assets.len();
    if plan.haircuts.len() != n {
        return Err(Error::Config(format!("{} haircuts for {n} assets", plan.haircuts.len())));
    }
    let compiled = compile_named_verifier(keys.vk(), "SolvencyVerifier", public_input_count(n))?;
    let verifier = chain::deploy_code(provider, compiled.bytecode, "SolvencyVerifier").await?;

    let artifact = Artifact::forge(
        &proofgate_toolchain::repo_root(),
        "SolvencyAttestor.sol",
        "SolvencyAttestor",
    )?;
    let args = SolvencyAttestor::constructorCall {
        owner: deployment.timelock,
        guardian: deployment.deployer,
        verifier,
        assetCount: U256::from(n),
        maxAge: plan.max_age,
        registry: deployment.registry,
    };
    let attestor = chain::deploy(provider, &artifact, &args).await?.address;

    let mut calls: Vec<Bytes> =
        vec![ISolvencyAttestor::setMarginCall { marginBps: plan.margin_bps }.abi_encode().into()];
    for (asset, &haircut) in plan.haircuts.iter().enumerate() {
        let call =
            ISolvencyAttestor::setHaircutCall { asset: U256::from(asset), haircutBps: haircut };
        calls.push(call.abi_encode().into());
    }
    let mut calls: Vec<(Address, Bytes)> = calls.into_iter().map(|c| (attestor, c)).collect();
    let registry = deployment.registry;
    calls.push((
        registry,
        IProofGateRegistry::setAttestorCall { newAttestor: attestor }.abi_encode().into(),
    ));
    let requirement = IProofGateRegistry::setSolvencyRequirementCall {
        vault: deployment.vault,
        required: true,
        reserveAssets: plan.reserve_assets,
    };
    calls.push((registry, requirement.abi_encode().into()));
    govern(provider, deployment.timelock, calls).await?;
    info!(target: "proofgate::solvency", %attestor, %verifier, max_age = plan.max_age, "solvency attestor deployed and governed");
    Ok(attestor)
}

/// The registry's solvency gate for an agent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SolvencyGate {
    /// Whether risk-increasing trades need a fresh attestation.
    pub required: bool,
    /// Bit mask of the assets it may buy without one.
    pub reserve_assets: u16,
    /// Until when its attestation is fresh (0: none).
    pub valid_until: u64,
}

impl SolvencyGate {
    /// The gate from the registry's `tradingStatus` (the vault's own read): `solventUntil` is
    /// `u64::MAX` when no attestation is required.
    pub fn from_trading_status(solvent_until: u64, reserve_assets: u16) -> Self {
        match solvent_until {
            u64::MAX => Self::default(),
            valid_until => Self { required: true, reserve_assets, valid_until },
        }
    }

    /// Whether the vault would let the agent buy `buy_asset` at `timestamp`.
    pub fn allows(&self, buy_asset: u8, timestamp: u64) -> bool {
        !self.required
            || timestamp <= self.valid_until
            || (buy_asset < 16 && self.reserve_assets >> buy_asset & 1 == 1)
    }

    /// Whether an attestation is due: required, and fresh for less than `margin_s` more.
    pub fn due(&self, timestamp: u64, margin_s: u64) -> bool {
        self.required && self.valid_until < timestamp.saturating_add(margin_s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gate_allows_reserves_always_and_risk_only_while_fresh() {
        let gate = SolvencyGate { required: true, reserve_assets: 0b1000, valid_until: 100 };
        assert!(gate.allows(0, 100), "fresh (inclusive)");
        assert!(!gate.allows(0, 101), "stale");
        assert!(gate.allows(3, 101), "a reserve asset");
        assert!(SolvencyGate::default().allows(0, u64::MAX), "not required");
        assert!(gate.due(50, 60) && !gate.due(30, 60));
        assert!(!SolvencyGate::default().due(0, 60));
        assert_eq!(SolvencyGate::from_trading_status(u64::MAX, 7), SolvencyGate::default());
        assert_eq!(SolvencyGate::from_trading_status(100, 0b1000), gate);
    }

    #[test]
    fn a_bad_book_names_the_problem() {
        let dir = tempfile::tempdir().expect("tempdir");
        let depositors = dir.path().join("depositors.json");
        std::fs::write(
            &depositors,
            r#"{"version":1,"assets":["A","B"],"depositors":[{"id":"x","balances":["1","2"]}]}"#,
        )
        .expect("write");
        let book = dir.path().join("book.json");
        let write = |text: &str| std::fs::write(&book, text).expect("write");
        write(r#"{"version":1,"depositors":"depositors.json","off_vault":["0","5"]}"#);
        let loaded = Book::load(&book).expect("a good book");
        assert_eq!(loaded.off_vault, vec![0, 5]);
        write(r#"{"version":1,"depositors":"depositors.json","off_vault":["0"]}"#);
        let e = Book::load(&book).expect_err("wrong width").to_string();
        assert!(e.contains("1 off-vault positions for 2 assets"), "{e}");
        write(r#"{"version":1,"depositors":"depositors.json","off_vault":["0","-1"]}"#);
        let e = Book::load(&book).expect_err("negative").to_string();
        assert!(e.contains("off_vault[1]"), "{e}");
        write(r#"{"version":2,"depositors":"depositors.json","off_vault":["0","1"]}"#);
        assert!(Book::load(&book).expect_err("version").to_string().contains("version 2"));
        write(r#"{"version":1,"depositors":"missing.json","off_vault":["0","1"]}"#);
        assert!(Book::load(&book).expect_err("missing").to_string().contains("missing.json"));
    }
}

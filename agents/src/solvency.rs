//! Solvency attestations from the agent's side: deploying and governing the attestor, and
//! attesting — the agent proves only its liabilities (the depositors cut into fixed-size
//! batches, each batch proof showing its tree's root and per-asset sums, every balance range
//! checked); the attestor chains the batches into the epoch's accumulator and totals, reads
//! everything on the asset side from the chain (the vault's holdings and debts, the governed
//! proof-of-reserve feeds for positions held elsewhere, the price feeds) and checks the coverage
//! itself when the epoch is sealed. The agent runs the attestor's own coverage check and
//! statements before it proves, so an insolvent book or a layout mismatch is named and nothing is
//! sent; it proves every batch before the upload begins ([`attest`], [`upload`]).
//!
//! The registry keeps, per vault, until when its last attestation is fresh and the vault's
//! configuration generation it was made at; the vault refuses risk-increasing trades (any trade
//! that buys an asset outside its reserve assets) once the attestation is stale or governance has
//! changed the vault since. An agent with a schedule re-attests before then.

mod attest;
mod prove;
pub mod upload;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use alloy::eips::BlockId;
use alloy::primitives::{Address, Bytes, U256};
use alloy::providers::Provider;
use alloy::sol_types::SolCall;
use proofgate_prover::pipeline::Engine;
use proofgate_prover::solvency::{Depositors, SolvencyKeys};
use serde::{Deserialize, Serialize};
use tracing::info;

use crate::bindings::attestor::ISolvencyAttestor;
use crate::bindings::constructors::SolvencyAttestor;
use crate::bindings::registry::IProofGateRegistry;
use crate::bindings::token::IDemoToken;
use crate::bindings::vault::IProofGateVault::{self, IProofGateVaultErrors};
use crate::chain::{self, Artifact};
use crate::deploy::{compile_named_verifier, govern, DeploymentFile};
use crate::error::{Error, Result};

pub use attest::{attest, attest_retrying, ATTESTATION_DEADLINE_S, DEADLINE_PER_BATCH_S};
pub use upload::{BatchGas, UploadFaults, UploadGas};

/// Version of the book file. Version 1 books also listed positions held outside the vault, as
/// private numbers; those now count only through proof-of-reserve feeds governance registers.
pub const BOOK_VERSION: u64 = 2;

/// A proof-of-reserve feed governance registers for one of the vault's assets: positions the
/// vault holds elsewhere (a custodian, another chain), in token units at the feed's decimals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReserveFeedPlan {
    /// The asset's index in the vault.
    pub asset: usize,
    /// The feed (Chainlink Proof of Reserve's `AggregatorV3Interface` shape).
    pub feed: Address,
    /// Largest accepted age of its answer, seconds.
    pub heartbeat: u32,
}

/// Governance's solvency set-up for a vault.
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
    /// The vault's proof-of-reserve feeds (at most one per asset).
    pub reserve_feeds: Vec<ReserveFeedPlan>,
    /// How long an epoch's upload may stay unsealed, seconds (60 s to 7 days; the attestor's
    /// default is [`DEFAULT_UPLOAD_WINDOW_S`]).
    pub upload_window: u64,
}

/// The attestor's default upload window: one hour.
pub const DEFAULT_UPLOAD_WINDOW_S: u64 = 3_600;

/// The agent's book file (`book.json`): where the vault's depositors are. Only the batches'
/// roots and sums go on chain; the depositors stay on the agent's machine unless it proves on
/// NATS workers (`solvency_nats`), which receive each batch's witness.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookFile {
    /// Format version ([`BOOK_VERSION`]).
    pub version: u64,
    /// The depositors file (as `proofgate solvency build` reads it), relative to the book.
    pub depositors: PathBuf,
}

/// A loaded book.
#[derive(Clone, Debug)]
pub struct Book {
    /// The depositors (validated).
    pub depositors: Depositors,
}

fn book_error(path: &Path, what: impl std::fmt::Display) -> Error {
    Error::Config(format!("solvency book {}: {what}", path.display()))
}

impl Book {
    /// Reads and validates a book file and the depositors file it names.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| book_error(path, e))?;
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| book_error(path, e))?;
        match value.get("version").and_then(serde_json::Value::as_u64) {
            Some(BOOK_VERSION) => {}
            Some(1) => {
                return Err(book_error(
                    path,
                    "version 1 lists positions held outside the vault (off_vault) as private \
                     numbers; they now count only through proof-of-reserve feeds governance \
                     registers with the attestor: drop off_vault and write version 2",
                ))
            }
            other => {
                return Err(book_error(
                    path,
                    format!("version {other:?} (this build reads {BOOK_VERSION})"),
                ))
            }
        }
        let file: BookFile = serde_json::from_value(value).map_err(|e| book_error(path, e))?;
        let base = path.parent().unwrap_or(Path::new("."));
        let depositors_path = base.join(&file.depositors);
        let depositors_text = std::fs::read_to_string(&depositors_path)
            .map_err(|e| book_error(path, format!("{}: {e}", depositors_path.display())))?;
        let depositors: Depositors = serde_json::from_str(&depositors_text)
            .map_err(|e| book_error(path, format!("{}: {e}", depositors_path.display())))?;
        Ok(Self { depositors })
    }
}

/// What one attestation did.
#[derive(Clone, Debug, PartialEq)]
pub struct AttestationOutcome {
    /// The epoch attested.
    pub epoch: u64,
    /// Until when it is fresh (block timestamp).
    pub valid_until: u64,
    /// The liabilities root published: the epoch's accumulator over its batches (depositors
    /// check inclusion against it through their batch's root).
    pub root: U256,
    /// The epoch's number of batches.
    pub batch_count: u32,
    /// The batch the upload started at (0 unless it continued an interrupted upload).
    pub resumed_at: u32,
    /// Gas of each transaction of the upload (begin, each batch, seal).
    pub gas: UploadGas,
    /// Seconds spent proving (every batch, wall time).
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
    /// Where the batch proofs are made: in this process (the default) or by workers on a NATS
    /// server (the daemon configuration's `solvency_nats`).
    pub engine: Engine,
    /// Test hooks of the upload (none in production).
    pub faults: UploadFaults,
}

/// Names the attestor's custom error when a call reverts with one (a stale feed, a replayed
/// epoch, a value out of range); other failures stay contract errors.
pub(crate) fn attestor_error(what: impl Into<String>) -> impl Fn(alloy::contract::Error) -> Error {
    let what = what.into();
    move |e| {
        if let Some(decoded) =
            e.as_decoded_interface_error::<ISolvencyAttestor::ISolvencyAttestorErrors>()
        {
            return Error::Config(format!("{what}: the attestor reverted with {decoded:?}"));
        }
        // The vault's own refusals bubble up through the attestor (its `checkSettled`: an L2
        // sequencer down or in its grace period).
        match e.as_decoded_interface_error::<IProofGateVaultErrors>() {
            Some(decoded) => Error::Config(format!("{what}: the vault reverted with {decoded:?}")),
            None => Error::Contract(e),
        }
    }
}

/// Refuses a depositors file whose asset columns are not the vault's assets, in the vault's
/// order (by the tokens' symbols on chain): the circuit fixes the columns only by position, so a
/// misordered file would put one asset's liabilities under another's price and decimals.
pub(crate) async fn check_asset_columns<P: Provider>(
    provider: &P,
    vault: Address,
    depositors: &Depositors,
    block: BlockId,
) -> Result<()> {
    let contract = IProofGateVault::new(vault, provider);
    for (index, column) in depositors.assets().iter().enumerate() {
        let token = contract.asset(U256::from(index)).block(block).call().await?.token;
        let symbol = IDemoToken::new(token, provider).symbol().block(block).call().await?;
        if &symbol != column {
            return Err(Error::Config(format!(
                "the depositors file's column {index} is {column:?}, the vault's asset {index} is {symbol:?} (token {token}): the columns must be the vault's assets, in its order"
            )));
        }
    }
    Ok(())
}

/// Deploys the solvency verifier (generated from `keys`) and the attestor (of the key's shape:
/// assets, balance bits, batch depth), owned by the deployment's timelock, then governs through it in one batch: the vault's margin, maximum
/// attestation age, haircuts and proof-of-reserve feeds in the attestor, and in the registry the
/// attestor and the vault's solvency requirement. Returns the attestor's address.
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
    if let Some(feed) = plan.reserve_feeds.iter().find(|f| f.asset >= n) {
        return Err(Error::Config(format!(
            "a reserve feed for asset {}: the vault has {n} assets",
            feed.asset
        )));
    }
    let shape = keys.shape;
    if shape.n_assets != n {
        return Err(Error::Config(format!(
            "the solvency key is for {} assets, the vault has {n}",
            shape.n_assets
        )));
    }
    let compiled =
        compile_named_verifier(keys.vk(), "SolvencyVerifier", shape.public_input_count())?;
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
        balanceBits: U256::from(shape.balance_bits),
        batchDepth: U256::from(shape.batch_depth),
        registry: deployment.registry,
    };
    let attestor = chain::deploy(provider, &artifact, &args).await?.address;
    let mut calls = attestor_configuration(deployment.vault, plan)
        .into_iter()
        .map(|call| (attestor, call))
        .collect::<Vec<_>>();
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
    info!(target: "proofgate::solvency", %attestor, %verifier, balance_bits = shape.balance_bits, batch_depth = shape.batch_depth, upload_window = plan.upload_window, max_age = plan.max_age, reserve_feeds = plan.reserve_feeds.len(), "solvency attestor deployed and governed");
    Ok(attestor)
}

/// The attestor's configuration calls for `vault` (the timelock's to make): margin, maximum
/// age, upload window, every haircut and every proof-of-reserve feed.
pub fn attestor_configuration(vault: Address, plan: &SolvencyPlan) -> Vec<Bytes> {
    let mut calls: Vec<Bytes> = vec![
        ISolvencyAttestor::setMarginCall { vault, marginBps: plan.margin_bps }.abi_encode().into(),
        ISolvencyAttestor::setMaxAttestationAgeCall { vault, maxAge: plan.max_age }
            .abi_encode()
            .into(),
        ISolvencyAttestor::setUploadWindowCall { vault, window: plan.upload_window }
            .abi_encode()
            .into(),
    ];
    for (asset, &haircut) in plan.haircuts.iter().enumerate() {
        let call = ISolvencyAttestor::setHaircutCall {
            vault,
            asset: U256::from(asset),
            haircutBps: haircut,
        };
        calls.push(call.abi_encode().into());
    }
    for reserve in &plan.reserve_feeds {
        let call = ISolvencyAttestor::setReserveFeedCall {
            vault,
            asset: U256::from(reserve.asset),
            feed: reserve.feed,
            heartbeat: reserve.heartbeat,
        };
        calls.push(call.abi_encode().into());
    }
    calls
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
    /// `u64::MAX` when no attestation is required; an attestation made at another configuration
    /// generation than the vault's now (`vault_generation`) counts as none, as in the vault.
    pub fn from_trading_status(
        solvent_until: u64,
        reserve_assets: u16,
        attested_generation: u64,
        vault_generation: u64,
    ) -> Self {
        match solvent_until {
            u64::MAX => Self::default(),
            _ if attested_generation != vault_generation => {
                Self { required: true, reserve_assets, valid_until: 0 }
            }
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
        assert_eq!(SolvencyGate::from_trading_status(u64::MAX, 7, 0, 3), SolvencyGate::default());
        assert_eq!(SolvencyGate::from_trading_status(100, 0b1000, 2, 2), gate);
        let ended = SolvencyGate::from_trading_status(100, 0b1000, 2, 3);
        assert_eq!(ended.valid_until, 0, "governance changed the vault since");
        assert!(!ended.allows(0, 1) && ended.allows(3, 1));
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
        write(r#"{"version":2,"depositors":"depositors.json"}"#);
        let loaded = Book::load(&book).expect("a good book");
        assert_eq!(loaded.depositors.n_assets(), 2);
        write(r#"{"version":1,"depositors":"depositors.json","off_vault":["0","5"]}"#);
        let e = Book::load(&book).expect_err("version 1").to_string();
        assert!(e.contains("proof-of-reserve feeds"), "{e}");
        write(r#"{"version":2,"depositors":"depositors.json","off_vault":["0","5"]}"#);
        let e = Book::load(&book).expect_err("no private positions").to_string();
        assert!(e.contains("off_vault"), "{e}");
        write(r#"{"version":3,"depositors":"depositors.json"}"#);
        assert!(Book::load(&book).expect_err("version").to_string().contains("version Some(3)"));
        write(r#"{"version":2,"depositors":"missing.json"}"#);
        assert!(Book::load(&book).expect_err("missing").to_string().contains("missing.json"));
        write("not json");
        assert!(Book::load(&book).expect_err("malformed").to_string().contains("book.json"));
    }
}

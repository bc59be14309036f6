//! Reading an attestation from the chain for `proofgate solvency check-inclusion --rpc-url`: the
//! vault's latest attestation from the attestor's storage, or the one of an epoch from its
//! `SolvencyAttested` events; the root hash and totals come from the event, and for the latest
//! attestation they must match what storage holds (`liabilitiesRoot`, and `totalsHash =
//! keccak256(abi.encodePacked(totals))`).

use std::time::Duration;

use alloy::primitives::{keccak256, Address, B256, U256};
use alloy::providers::{Provider, ProviderBuilder};
use alloy::rpc::types::Filter;
use alloy::sol_types::SolEvent;
use anyhow::{bail, Context, Result};
use ark_bn254::Fr;
use proofgate_prover::solvency::parse_hex;

#[allow(clippy::too_many_arguments)] // the generated constructor of SolvencyAttested
mod bindings {
    alloy::sol! {
        /// The attestor items `check-inclusion` reads (`contracts/src/interfaces/ISolvencyAttestor.sol`).
        #[sol(rpc)]
        interface ISolvencyAttestor {
            struct Attestation {
                uint64 epoch;
                uint64 attestedAt;
                uint64 validUntil;
                uint64 generation;
                uint256 liabilitiesRoot;
                bytes32 totalsHash;
            }

            event SolvencyAttested(
                address indexed agent,
                address indexed vault,
                uint64 indexed epoch,
                uint256 liabilitiesRoot,
                uint256[] totals,
                uint64 generation,
                uint256 haircutValue,
                uint256 requiredValue,
                bytes32 inputsHash
            );

            function attestation(address vault) external view returns (Attestation memory);
            function isSolvent(address vault) external view returns (bool);
        }
    }
}
use bindings::ISolvencyAttestor;

/// How long the whole chain read may take.
const CHAIN_TIMEOUT: Duration = Duration::from_secs(60);

/// Where to read the attestation.
#[derive(Debug, Clone)]
pub struct ChainSource {
    /// The node's JSON-RPC URL.
    pub rpc_url: String,
    /// The solvency attestor.
    pub attestor: Address,
    /// The vault attested.
    pub vault: Address,
    /// The epoch (the latest attestation if `None`).
    pub epoch: Option<u64>,
    /// The first block to search for the event (0 if `None`).
    pub from_block: Option<u64>,
}

/// An attestation as read from the chain.
#[derive(Debug, Clone)]
pub struct ChainAttestation {
    /// The chain id.
    pub chain_id: u64,
    /// The epoch.
    pub epoch: u64,
    /// The agent that attested.
    pub agent: Address,
    /// The block of the `SolvencyAttested` event.
    pub block: Option<u64>,
    /// Whether it is the vault's latest attestation (checked against storage).
    pub latest: bool,
    /// `isSolvent(vault)` now: the vault's latest attestation is fresh under its current
    /// configuration (of this epoch's attestation only when `latest`).
    pub fresh: bool,
    /// The liabilities tree's root hash (`liabilitiesRoot`).
    pub root: Fr,
    /// The totals of the event.
    pub totals: Vec<Fr>,
}

/// Reads the attestation `source` names. Every failure is bad input (exit status 2).
pub fn read(source: &ChainSource) -> Result<ChainAttestation> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        tokio::time::timeout(CHAIN_TIMEOUT, read_async(source)).await.with_context(|| {
            format!("reading the attestation from {} took over {CHAIN_TIMEOUT:?}", source.rpc_url)
        })?
    })
}

async fn read_async(source: &ChainSource) -> Result<ChainAttestation> {
    let url = source
        .rpc_url
        .parse()
        .with_context(|| format!("--rpc-url {:?} is not a URL", source.rpc_url))?;
    let provider = ProviderBuilder::new().connect_http(url);
    let chain_id = provider
        .get_chain_id()
        .await
        .with_context(|| format!("cannot reach the RPC node at {}", source.rpc_url))?;
    let code = provider
        .get_code_at(source.attestor)
        .await
        .with_context(|| format!("cannot read the code at {}", source.attestor))?;
    if code.is_empty() {
        bail!("no contract code at the attestor address {} on chain {chain_id}", source.attestor);
    }
    let attestor = ISolvencyAttestor::new(source.attestor, &provider);
    let stored = attestor.attestation(source.vault).call().await.with_context(|| {
        format!(
            "{} did not answer attestation({}): is it the solvency attestor?",
            source.attestor, source.vault
        )
    })?;
    let epoch = match source.epoch {
        Some(epoch) => epoch,
        None if stored.epoch == 0 => {
            bail!("vault {} has no attestation at the attestor {}", source.vault, source.attestor)
        }
        None => stored.epoch,
    };
    let from = source.from_block.unwrap_or(0);
    let filter = Filter::new()
        .address(source.attestor)
        .event_signature(ISolvencyAttestor::SolvencyAttested::SIGNATURE_HASH)
        .topic2(source.vault.into_word())
        .topic3(B256::from(U256::from(epoch)))
        .from_block(from);
    let logs = provider
        .get_logs(&filter)
        .await
        .with_context(|| format!("cannot read the attestor's events from {}", source.rpc_url))?;
    let Some(log) = logs.last() else {
        bail!(
            "no SolvencyAttested event for vault {} at epoch {epoch} from the attestor {} (searched from block {from})",
            source.vault,
            source.attestor
        );
    };
    let block = log.block_number;
    let event = log
        .log_decode::<ISolvencyAttestor::SolvencyAttested>()
        .context("a SolvencyAttested event that does not decode")?
        .inner
        .data;
    let latest = epoch == stored.epoch;
    if latest {
        if event.liabilitiesRoot != stored.liabilitiesRoot {
            bail!(
                "the attestor's stored root hash {:#x} differs from its event's {:#x} for epoch {epoch}",
                stored.liabilitiesRoot,
                event.liabilitiesRoot
            );
        }
        let packed: Vec<u8> = event.totals.iter().flat_map(|t| t.to_be_bytes::<32>()).collect();
        let hash = keccak256(&packed);
        if hash != stored.totalsHash {
            bail!(
                "the event's totals hash to {hash}, the attestor stores totalsHash {} for epoch {epoch}",
                stored.totalsHash
            );
        }
    }
    let fresh = attestor.isSolvent(source.vault).call().await.with_context(|| {
        format!("{} did not answer isSolvent({})", source.attestor, source.vault)
    })?;
    Ok(ChainAttestation {
        chain_id,
        epoch,
        agent: event.agent,
        block,
        latest,
        fresh,
        root: field(&event.liabilitiesRoot, "the root hash")?,
        totals: event
            .totals
            .iter()
            .enumerate()
            .map(|(a, t)| field(t, &format!("the total of asset {a}")))
            .collect::<Result<_>>()?,
    })
}

/// A word read from the chain as a field element (below r, never reduced).
fn field(word: &U256, what: &str) -> Result<Fr> {
    parse_hex(&format!("{word:#x}"))
        .with_context(|| format!("{what} on chain is not a field element"))
}

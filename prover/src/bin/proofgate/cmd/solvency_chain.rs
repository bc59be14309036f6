//! Reading an attestation from the chain for `proofgate solvency check-inclusion --rpc-url`.
//!
//! Every read is pinned to one block (`--block`: the `finalized` block by default, or the latest
//! when the node reports none), so the attestor, the registry, the vault and its tokens are read
//! in one state. The attestor is authenticated first: the vault names its registry
//! (`REGISTRY()`), the registry names the solvency attestor (`attestor()`), and that must be the
//! `--attestor` the depositor expects. Then: the vault's latest attestation from the attestor's
//! storage, or the one of an epoch from its `SolvencyAttested` events; the accumulator
//! (`liabilitiesRoot`) and totals come from the event, and for the latest attestation they must
//! match what storage holds (`liabilitiesRoot`, and `totalsHash =
//! keccak256(abi.encodePacked(totals))`). The epoch's `SolvencyBatchAccepted` events, in index
//! order, are its published chain: they must be `batchCount` batches `0..batchCount`, each
//! event's accumulator the chain's after it, the last the attestation's, and the summed sums
//! its totals. The attestor's shape (`ASSET_COUNT`, `BALANCE_BITS`, `BATCH_DEPTH`) is read too.
//! Last, each of the vault's assets (`asset(i).token`): its ERC-20 `symbol()` and `decimals()`,
//! which the proof's asset columns must match.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use alloy::eips::{BlockId, BlockNumberOrTag};
use alloy::primitives::{keccak256, Address, B256, U256};
use alloy::providers::{Provider, ProviderBuilder};
use alloy::rpc::types::Filter;
use alloy::sol_types::SolEvent;
use anyhow::{bail, Context, Result};
use proofgate_prover::solvency::u256_to_fr;
use proofgate_prover::solvency::{accumulate, ChainLink, SolvencyShape};

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
                uint32 batchCount,
                uint64 generation,
                uint256 haircutValue,
                uint256 requiredValue
            );

            event SolvencyBatchAccepted(
                address indexed vault,
                uint64 indexed epoch,
                uint32 indexed batchIndex,
                uint256 batchRoot,
                uint256[] sums,
                bytes32 accumulator
            );

            function ASSET_COUNT() external view returns (uint256);
            function BALANCE_BITS() external view returns (uint256);
            function BATCH_DEPTH() external view returns (uint256);

            function attestation(address vault) external view returns (Attestation memory);
            function isSolvent(address vault) external view returns (bool);
        }

        /// The vault items read (`contracts/src/interfaces/IProofGateVault.sol`).
        #[sol(rpc)]
        interface IVault {
            function REGISTRY() external view returns (address);
            function asset(uint256 index) external view returns (
                address token,
                address feed,
                uint32 heartbeat,
                uint8 tokenDecimals,
                uint8 feedDecimals,
                uint256 holding,
                uint256 debt
            );
        }

        /// The registry item read (`contracts/src/interfaces/IProofGateRegistry.sol`).
        #[sol(rpc)]
        interface IRegistry {
            function attestor() external view returns (address);
        }

        /// The ERC-20 metadata read.
        #[sol(rpc)]
        interface IERC20Metadata {
            function symbol() external view returns (string);
            function decimals() external view returns (uint8);
        }
    }
}
use bindings::{IERC20Metadata, IRegistry, ISolvencyAttestor, IVault};

/// How long the whole chain read may take.
const CHAIN_TIMEOUT: Duration = Duration::from_secs(60);

/// The block every read is pinned to (`--block`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BlockChoice {
    /// The `finalized` block, or the latest when the node reports no finalized block.
    #[default]
    Finalized,
    /// The `safe` block.
    Safe,
    /// The latest block.
    Latest,
    /// This block number.
    Number(u64),
}

impl FromStr for BlockChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "finalized" => Ok(Self::Finalized),
            "safe" => Ok(Self::Safe),
            "latest" => Ok(Self::Latest),
            n => n
                .parse()
                .map(Self::Number)
                .map_err(|_| format!("{n:?} is not finalized, safe, latest or a block number")),
        }
    }
}

impl fmt::Display for BlockChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Finalized => f.write_str("finalized"),
            Self::Safe => f.write_str("safe"),
            Self::Latest => f.write_str("latest"),
            Self::Number(n) => write!(f, "{n}"),
        }
    }
}

/// Where to read the attestation.
#[derive(Debug, Clone)]
pub struct ChainSource {
    /// The node's JSON-RPC URL.
    pub rpc_url: String,
    /// The solvency attestor the depositor expects (checked against the vault's registry's).
    pub attestor: Address,
    /// The vault attested.
    pub vault: Address,
    /// The epoch (the latest attestation if `None`).
    pub epoch: Option<u64>,
    /// The first block to search for the event (0 if `None`).
    pub from_block: Option<u64>,
    /// The block every read is pinned to.
    pub block: BlockChoice,
}

/// One of the vault's assets, as read from the chain.
#[derive(Debug, Clone)]
pub struct ChainAsset {
    /// The token (`vault.asset(i).token`).
    pub token: Address,
    /// Its ERC-20 `symbol()`.
    pub symbol: String,
    /// Its ERC-20 `decimals()`.
    pub decimals: u8,
}

/// An attestation as read from the chain.
#[derive(Debug, Clone)]
pub struct ChainAttestation {
    /// The chain id.
    pub chain_id: u64,
    /// The block every read was pinned to.
    pub pinned_block: u64,
    /// How that block was chosen (`finalized`, `latest; the node reports no finalized block`, ..).
    pub pinned_how: String,
    /// The vault's registry (`vault.REGISTRY()`).
    pub registry: Address,
    /// The registry's solvency attestor (`registry.attestor()`, equal to `--attestor`).
    pub attestor: Address,
    /// The epoch.
    pub epoch: u64,
    /// The agent that attested.
    pub agent: Address,
    /// The block of the `SolvencyAttested` event.
    pub block: Option<u64>,
    /// The vault's latest attested epoch (`attestation(vault).epoch` at the pinned block).
    pub latest_epoch: u64,
    /// `isSolvent(vault)` at the pinned block: the vault's LATEST attestation is fresh under its
    /// current configuration (said of epoch `latest_epoch`, whatever epoch was read).
    pub fresh: bool,
    /// The attestor's batch shape.
    pub shape: SolvencyShape,
    /// The epoch's accumulator (`liabilitiesRoot`).
    pub accumulator: [u8; 32],
    /// The totals of the event.
    pub totals: Vec<U256>,
    /// The epoch's batches, from its `SolvencyBatchAccepted` events.
    pub batches: Vec<ChainLink>,
    /// The vault's assets `0..totals.len()`.
    pub assets: Vec<ChainAsset>,
}

impl ChainAttestation {
    /// Whether the epoch read is the vault's latest attestation.
    pub fn latest(&self) -> bool {
        self.epoch == self.latest_epoch
    }
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

/// The block number every read is pinned to, and how it was chosen.
async fn pin_block<P: Provider>(provider: &P, choice: BlockChoice) -> Result<(u64, String)> {
    let by_tag = |tag: BlockNumberOrTag| async move {
        provider.get_block_by_number(tag).await.map(|b| b.map(|b| b.header.number))
    };
    let latest = || async {
        provider.get_block_number().await.context("cannot read the latest block number")
    };
    Ok(match choice {
        BlockChoice::Finalized => match by_tag(BlockNumberOrTag::Finalized).await {
            Ok(Some(number)) => (number, "finalized".into()),
            _ => (latest().await?, "latest; the node reports no finalized block".into()),
        },
        BlockChoice::Safe => match by_tag(BlockNumberOrTag::Safe).await {
            Ok(Some(number)) => (number, "safe".into()),
            Ok(None) => bail!("the node reports no safe block"),
            Err(e) => return Err(e).context("cannot read the safe block"),
        },
        BlockChoice::Latest => (latest().await?, "latest".into()),
        BlockChoice::Number(number) => {
            let head = latest().await?;
            if number > head {
                bail!("--block {number} is beyond the chain's latest block {head}");
            }
            (number, "--block".into())
        }
    })
}

/// What to add to "not found at block N" when N is not the latest block.
fn not_final_hint(pinned_how: &str) -> &'static str {
    if pinned_how == "finalized" || pinned_how == "safe" {
        " (newer blocks may not be final yet: --block latest reads the latest block)"
    } else {
        ""
    }
}

/// Fails unless `address` holds code at `block` (`hint` appended to the refusal).
async fn require_code<P: Provider>(
    provider: &P,
    address: Address,
    what: &str,
    (block, hint): (u64, &str),
    chain_id: u64,
) -> Result<()> {
    let code = provider
        .get_code_at(address)
        .block_id(BlockId::number(block))
        .await
        .with_context(|| format!("cannot read the code at {address}"))?;
    if code.is_empty() {
        bail!(
            "no contract code at the {what} address {address} on chain {chain_id} at block \
             {block}{hint}"
        );
    }
    Ok(())
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
    let (pinned, pinned_how) = pin_block(&provider, source.block).await?;
    let at = BlockId::number(pinned);
    let hint = not_final_hint(&pinned_how);

    // Authenticate the attestor: the vault's registry names it.
    require_code(&provider, source.vault, "vault", (pinned, hint), chain_id).await?;
    let vault = IVault::new(source.vault, &provider);
    let registry = vault.REGISTRY().block(at).call().await.with_context(|| {
        format!("{} did not answer REGISTRY(): is it a ProofGate vault?", source.vault)
    })?;
    require_code(&provider, registry, "vault's registry", (pinned, hint), chain_id).await?;
    let named =
        IRegistry::new(registry, &provider).attestor().block(at).call().await.with_context(
            || format!("the vault's registry {registry} did not answer attestor()"),
        )?;
    if named.is_zero() {
        bail!(
            "the vault's registry {registry} names no solvency attestor at block {pinned} \
             ({pinned_how}){hint}"
        );
    }
    if named != source.attestor {
        bail!(
            "the vault's registry {registry} names the solvency attestor {named} at block \
             {pinned} ({pinned_how}), not {} (--attestor): refusing to read an attestation from \
             another contract than the one the vault's registry uses{hint}",
            source.attestor
        );
    }
    require_code(&provider, source.attestor, "attestor", (pinned, hint), chain_id).await?;

    let attestor = ISolvencyAttestor::new(source.attestor, &provider);
    let stored = attestor.attestation(source.vault).block(at).call().await.with_context(|| {
        format!(
            "{} did not answer attestation({}): is it the solvency attestor?",
            source.attestor, source.vault
        )
    })?;
    let epoch = match source.epoch {
        Some(epoch) if epoch > stored.epoch => bail!(
            "vault {} has no attestation of epoch {epoch} at block {pinned}: its latest is epoch \
             {}{hint}",
            source.vault,
            stored.epoch
        ),
        Some(epoch) => epoch,
        None if stored.epoch == 0 => bail!(
            "vault {} has no attestation at the attestor {} at block {pinned}{hint}",
            source.vault,
            source.attestor
        ),
        None => stored.epoch,
    };
    let from = source.from_block.unwrap_or(0);
    if from > pinned {
        bail!("--from-block {from} is after the block read, {pinned}");
    }
    let filter = Filter::new()
        .address(source.attestor)
        .event_signature(ISolvencyAttestor::SolvencyAttested::SIGNATURE_HASH)
        .topic2(source.vault.into_word())
        .topic3(B256::from(U256::from(epoch)))
        .from_block(from)
        .to_block(pinned);
    let logs = provider
        .get_logs(&filter)
        .await
        .with_context(|| format!("cannot read the attestor's events from {}", source.rpc_url))?;
    let Some(log) = logs.last() else {
        bail!(
            "no SolvencyAttested event for vault {} at epoch {epoch} from the attestor {} (searched blocks {from} to {pinned})",
            source.vault,
            source.attestor
        );
    };
    let block = log.block_number;
    let shape = read_shape(&attestor, at).await?;
    let event = log
        .log_decode::<ISolvencyAttestor::SolvencyAttested>()
        .context("a SolvencyAttested event that does not decode")?
        .inner
        .data;
    if epoch == stored.epoch {
        if event.liabilitiesRoot != stored.liabilitiesRoot {
            bail!(
                "the attestor's stored accumulator {:#x} differs from its event's {:#x} for epoch {epoch}",
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
    let batch_filter = Filter::new()
        .address(source.attestor)
        .event_signature(ISolvencyAttestor::SolvencyBatchAccepted::SIGNATURE_HASH)
        .topic1(source.vault.into_word())
        .topic2(B256::from(U256::from(epoch)))
        .from_block(from)
        .to_block(pinned);
    let batch_logs = provider.get_logs(&batch_filter).await.with_context(|| {
        format!("cannot read the attestor's batch events from {}", source.rpc_url)
    })?;
    let batches = chain_of(
        &batch_logs,
        event.batchCount,
        &event.liabilitiesRoot.to_be_bytes::<32>(),
        &event.totals,
    )
    .with_context(|| format!("the published chain of epoch {epoch}"))?;
    let fresh = attestor.isSolvent(source.vault).block(at).call().await.with_context(|| {
        format!("{} did not answer isSolvent({})", source.attestor, source.vault)
    })?;

    let mut assets = Vec::with_capacity(event.totals.len());
    for index in 0..event.totals.len() {
        let token = vault
            .asset(U256::from(index))
            .block(at)
            .call()
            .await
            .with_context(|| format!("vault {} did not answer asset({index})", source.vault))?;
        let token = token.token;
        let erc20 = IERC20Metadata::new(token, &provider);
        let symbol = erc20.symbol().block(at).call().await.with_context(|| {
            format!("token {token} (the vault's asset {index}) did not answer symbol() as a string")
        })?;
        let decimals = erc20.decimals().block(at).call().await.with_context(|| {
            format!("token {token} (the vault's asset {index}) did not answer decimals()")
        })?;
        assets.push(ChainAsset { token, symbol, decimals });
    }

    Ok(ChainAttestation {
        chain_id,
        pinned_block: pinned,
        pinned_how,
        registry,
        attestor: named,
        epoch,
        agent: event.agent,
        block,
        latest_epoch: stored.epoch,
        fresh,
        shape,
        accumulator: event.liabilitiesRoot.to_be_bytes::<32>(),
        totals: event.totals.clone(),
        batches,
        assets,
    })
}

/// The attestor's batch shape.
async fn read_shape<P: Provider>(
    attestor: &ISolvencyAttestor::ISolvencyAttestorInstance<&P>,
    at: BlockId,
) -> Result<SolvencyShape> {
    let word = |w: U256, what: &str| -> Result<u64> {
        u64::try_from(w).with_context(|| format!("the attestor's {what} {w} is not a shape"))
    };
    let n = word(attestor.ASSET_COUNT().block(at).call().await?, "ASSET_COUNT")?;
    let b = word(attestor.BALANCE_BITS().block(at).call().await?, "BALANCE_BITS")?;
    let k = word(attestor.BATCH_DEPTH().block(at).call().await?, "BATCH_DEPTH")?;
    let shape = SolvencyShape::new(n as usize, b as u32, k as u32);
    shape.context("the attestor's shape (ASSET_COUNT, BALANCE_BITS, BATCH_DEPTH) is not supported")
}

/// The epoch's `SolvencyBatchAccepted` events as its chain, checked: `batch_count` batches in
/// index order, each event's accumulator the chain's after it, ending at `accumulator`, and the
/// sums adding up to `totals`.
fn chain_of(
    logs: &[alloy::rpc::types::Log],
    batch_count: u32,
    accumulator: &[u8; 32],
    totals: &[U256],
) -> Result<Vec<ChainLink>> {
    let mut events = logs
        .iter()
        .map(|log| {
            log.log_decode::<ISolvencyAttestor::SolvencyBatchAccepted>()
                .map(|l| l.inner.data)
                .context("a SolvencyBatchAccepted event that does not decode")
        })
        .collect::<Result<Vec<_>>>()?;
    events.sort_by_key(|e| e.batchIndex);
    if events.len() != batch_count as usize
        || events.iter().enumerate().any(|(i, e)| e.batchIndex as usize != i)
    {
        bail!(
            "the epoch's SolvencyBatchAccepted events are batches {:?}, its attestation counts {batch_count}",
            events.iter().map(|e| e.batchIndex).collect::<Vec<_>>()
        );
    }
    let mut acc = [0u8; 32];
    let mut sums = vec![U256::ZERO; totals.len()];
    let mut links = Vec::with_capacity(events.len());
    for e in &events {
        let root = u256_to_fr(&e.batchRoot)
            .with_context(|| format!("batch {}'s root is not a field element", e.batchIndex))?;
        acc = accumulate(&acc, &root, &e.sums);
        if acc != e.accumulator.0 {
            bail!("batch {}'s event accumulator is not its chain's", e.batchIndex);
        }
        if e.sums.len() != totals.len() {
            bail!("batch {} has {} sums for {} totals", e.batchIndex, e.sums.len(), totals.len());
        }
        for (t, s) in sums.iter_mut().zip(&e.sums) {
            *t = t.saturating_add(*s);
        }
        links.push(ChainLink { root, sums: e.sums.clone() });
    }
    if acc != *accumulator || sums != totals {
        bail!("the epoch's batch events do not give its attested accumulator and totals");
    }
    Ok(links)
}

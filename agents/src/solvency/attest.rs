//! One attestation: read the chain at one block, choose the epoch (or continue this agent's
//! interrupted upload), run the attestor's own checks, prove every batch, check nothing moved,
//! then upload and seal ([`upload`](super::upload)).

use alloy::eips::{BlockId, BlockNumberOrTag};
use alloy::primitives::{Address, B256, U256};
use alloy::providers::Provider;
use tracing::info;

use super::upload::{self, BatchUpload, EpochUpload};
use super::{attestor_error, check_asset_columns, AttestationOutcome, Attester};
use crate::bindings::attestor::ISolvencyAttestor::{
    self, Attestation, ISolvencyAttestorInstance, Upload, UploadState,
};
use crate::deploy::DeploymentFile;
use crate::error::{Error, Result};

/// How long after the block it reads an attestation may still be uploaded: every batch proof
/// binds this deadline, so proofs held back longer are refused on chain (`DeadlinePassed`).
/// Generous against proving time; an epoch of many batches gets [`DEADLINE_PER_BATCH_S`] more
/// per batch.
pub const ATTESTATION_DEADLINE_S: u64 = 1_800;

/// Seconds of deadline added per batch of an epoch (proving and uploading it).
pub const DEADLINE_PER_BATCH_S: u64 = 120;

/// What the attestor showed at the block an attestation reads.
pub(super) struct ChainView {
    /// The block every read is at.
    pub block: BlockId,
    /// Its timestamp.
    pub timestamp: u64,
    /// The vault's last attestation.
    pub last: Attestation,
    /// The vault's last upload.
    pub record: Upload,
}

impl ChainView {
    /// Reads the attestor's attestation and upload of `vault` at the latest block.
    pub(super) async fn read<P: Provider>(
        provider: &P,
        contract: &ISolvencyAttestorInstance<&P>,
        vault: Address,
    ) -> Result<Self> {
        let latest = provider
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await?
            .ok_or_else(|| Error::Config("the node returned no latest block".into()))?;
        let block = BlockId::number(latest.header.number);
        let last = contract.attestation(vault).block(block).call().await?;
        let record = contract.upload(vault).block(block).call().await?;
        Ok(Self { block, timestamp: latest.header.timestamp, last, record })
    }

    /// The epoch and deadline to attest with `batch_count` batches, and how many batches the
    /// attestor already holds: this agent's open upload is continued when it has that batch
    /// count, its deadline is still ahead and its accumulator is `prefix(received)` (the same
    /// book's first batches); otherwise the next epoch above both the last attested and the
    /// last begun one, with a fresh deadline and nothing held (an open upload of this agent's
    /// is then abandoned by the upload).
    pub(super) fn choose_epoch(
        &self,
        agent: Address,
        batch_count: u32,
        prefix: impl Fn(u32) -> B256,
    ) -> (u64, u64, u32) {
        let r = &self.record;
        let resumable = r.state == UploadState::Open
            && r.agent == agent
            && r.batchCount == batch_count
            && r.received <= batch_count
            && r.deadline > self.timestamp + DEADLINE_PER_BATCH_S
            && r.accumulator == prefix(r.received);
        if resumable {
            return (r.epoch, r.deadline, r.received);
        }
        let allowance = DEADLINE_PER_BATCH_S * u64::from(batch_count);
        let deadline = self.timestamp + ATTESTATION_DEADLINE_S + allowance;
        (self.last.epoch.max(r.epoch).saturating_add(1), deadline, 0)
    }
}

/// Runs the attestor's own coverage check of `totals` against `vault` at `block`; an
/// uncovered asset or value, a stale feed or a value out of range is [`Error::Config`] naming it.
pub(super) async fn check_coverage<P: Provider>(
    contract: &ISolvencyAttestorInstance<&P>,
    vault: Address,
    totals: &[U256],
    block: BlockId,
) -> Result<()> {
    contract
        .checkCoverage(vault, totals.to_vec())
        .block(block)
        .call()
        .await
        .map_err(attestor_error("the attestor's coverage check"))?;
    Ok(())
}

/// After proving: [`Error::AttestationRaced`] when another attestation or upload began since
/// `view`, or the vault no longer covers `totals` (a trade or a price moved while proving), so
/// that the failure is named and retried rather than sent to revert. A node that does not
/// answer is an outage, reported as such.
async fn check_unmoved<P: Provider>(
    contract: &ISolvencyAttestorInstance<&P>,
    vault: Address,
    view: &ChainView,
    totals: &[U256],
) -> Result<()> {
    let now = BlockId::latest();
    let last = contract.attestation(vault).block(now).call().await?;
    let record = contract.upload(vault).block(now).call().await?;
    if last.epoch != view.last.epoch || record.epoch != view.record.epoch {
        return Err(Error::AttestationRaced);
    }
    match check_coverage(contract, vault, totals, now).await {
        Err(Error::Config(_)) => Err(Error::AttestationRaced),
        other => other,
    }
}

/// What proving an epoch gives: its epoch and deadline, the batches to upload and the totals
/// they sum to.
pub(super) struct ProvedEpoch {
    /// The epoch the proofs bind.
    pub epoch: u64,
    /// The deadline they bind.
    pub deadline: u64,
    /// Every batch, in index order.
    pub batches: Vec<BatchUpload>,
    /// Per-asset totals of the epoch.
    pub totals: Vec<U256>,
    /// Seconds spent proving.
    pub prove_s: f64,
}

/// Attests `vault`'s solvency now as `agent` (the provider signs as the agent): the attestor's
/// coverage check and statements run first, at one block, and an uncovered book, a stale feed
/// or a statement that differs from the agent's is [`Error::Config`] naming it, with nothing
/// sent. Every batch is proved before the upload begins; an upload of this agent's that was
/// interrupted is continued.
pub async fn attest<P: Provider>(
    provider: &P,
    deployment: &DeploymentFile,
    agent: Address,
    attester: &Attester,
) -> Result<AttestationOutcome> {
    let contract = ISolvencyAttestor::new(attester.attestor, provider);
    // Attestations are the vault's: whichever of its agents attests continues its epochs.
    let vault = deployment.vault;
    let view = ChainView::read(provider, &contract, vault).await?;
    check_asset_columns(provider, vault, &attester.book.depositors, view.block).await?;
    let proved = super::prove::prove_epoch(&contract, deployment, agent, attester, &view).await?;
    check_unmoved(&contract, vault, &view, &proved.totals).await?;

    let (epoch, deadline) = (proved.epoch, proved.deadline);
    let batches = &proved.batches;
    let plan = EpochUpload { vault, epoch, deadline, batches };
    let receipt =
        upload::upload(provider, attester.attestor, agent, &plan, attester.faults).await?;
    let valid_until = contract.attestation(vault).call().await?.validUntil;
    let root = U256::from_be_bytes(receipt.accumulator.0);
    info!(target: "proofgate::solvency", %agent, epoch, valid_until, batches = batches.len(), prove_s = proved.prove_s, gas = receipt.gas.total(), "solvency attested");
    Ok(AttestationOutcome {
        epoch,
        valid_until,
        root,
        batch_count: plan.batch_count()?,
        resumed_at: receipt.resumed_at,
        gas: receipt.gas,
        prove_s: proved.prove_s,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn view(state: UploadState, agent: Address, epoch: u64, deadline: u64) -> ChainView {
        ChainView {
            block: BlockId::latest(),
            timestamp: 1_000,
            last: Attestation { epoch: 3, ..Default::default() },
            record: Upload {
                state,
                agent,
                epoch,
                deadline,
                expiresAt: 2_000,
                batchCount: 4,
                received: 1,
                accumulator: B256::ZERO,
                totals: vec![],
            },
        }
    }

    #[test]
    fn the_epoch_continues_an_open_upload_of_ours_or_goes_above_both_epochs() {
        let (ours, theirs) = (Address::repeat_byte(1), Address::repeat_byte(2));
        let fresh = 1_000 + ATTESTATION_DEADLINE_S + 4 * DEADLINE_PER_BATCH_S;
        let zero = |_: u32| B256::ZERO;
        let choose = |v: ChainView, count: u32| v.choose_epoch(ours, count, zero);
        assert_eq!(choose(view(UploadState::Open, ours, 5, 9_000), 4), (5, 9_000, 1));
        assert_eq!(choose(view(UploadState::Open, ours, 5, 9_000), 3), (6, fresh - 120, 0));
        assert_eq!(choose(view(UploadState::Open, theirs, 5, 9_000), 4), (6, fresh, 0));
        assert_eq!(choose(view(UploadState::Abandoned, ours, 5, 9_000), 4).0, 6);
        assert_eq!(choose(view(UploadState::Open, ours, 5, 1_050), 4).0, 6, "deadline");
        assert_eq!(choose(view(UploadState::None, Address::ZERO, 0, 0), 4), (4, fresh, 0));
        let other_book = view(UploadState::Open, ours, 5, 9_000);
        assert_eq!(other_book.choose_epoch(ours, 4, |_| B256::repeat_byte(9)).0, 6, "book");
    }
}

//! Uploading an epoch's batch proofs to the attestor over several transactions: `beginEpoch`,
//! `submitBatch` for every batch in index order, `sealEpoch`; each confirmed before the next.
//!
//! The proofs are made before anything is sent, so an upload is open on chain only as long as
//! its transactions take. An upload interrupted between transactions (the agent crashed) is
//! continued from the attestor's `received` count when the same epoch is uploaded again: the
//! attestor's accumulator over the batches it already holds must be the one these batches give,
//! or the open upload was of another book. An open upload of this agent's of another epoch is
//! abandoned first (its epoch stays burnt); another agent's open upload is an error naming when
//! it expires.

use alloy::primitives::{keccak256, Address, B256, U256};
use alloy::providers::Provider;
use tracing::{info, warn};

use super::attestor_error;
use crate::bindings::attestor::ISolvencyAttestor::{self, Upload, UploadState};
use crate::chain;
use crate::error::{Error, Result};

/// One proved batch as the attestor takes it: what `submitBatch` sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchUpload {
    /// The batch's index in the epoch.
    pub batch_index: u32,
    /// The batch tree's root hash (a BN254 scalar).
    pub root: U256,
    /// The batch's per-asset sums, token units.
    pub sums: Vec<U256>,
    /// The Groth16 proof as the verifier's calldata words.
    pub proof: [U256; 8],
}

/// An epoch to upload: every batch of it, in index order.
#[derive(Clone, Copy, Debug)]
pub struct EpochUpload<'a> {
    /// The vault attested.
    pub vault: Address,
    /// The epoch.
    pub epoch: u64,
    /// The deadline every batch proof binds.
    pub deadline: u64,
    /// The epoch's batches (`batches[i].batch_index == i`).
    pub batches: &'a [BatchUpload],
}

/// Test hooks of an upload.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UploadFaults {
    /// Stop with [`Error::Halted`] once this many batches are on chain, before the next
    /// transaction (the in-process equivalent of a crash between `submitBatch` transactions,
    /// or, with every batch on chain, before `sealEpoch`).
    pub halt_after_batches: Option<u32>,
}

/// Gas of one accepted batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchGas {
    /// The batch's index.
    pub batch_index: u32,
    /// Gas used by its `submitBatch`.
    pub gas: u64,
}

/// Gas of every transaction an upload sent (a continued upload sends no `beginEpoch` and only
/// the batches the attestor did not hold yet).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UploadGas {
    /// `abandonUpload` of this agent's stale open upload of another epoch (0: none).
    pub abandon: u64,
    /// `beginEpoch` (0: the upload was continued).
    pub begin: u64,
    /// Each `submitBatch` sent, in index order.
    pub batches: Vec<BatchGas>,
    /// `sealEpoch`.
    pub seal: u64,
}

impl UploadGas {
    /// Gas of every transaction together.
    pub fn total(&self) -> u64 {
        self.abandon + self.begin + self.batches.iter().map(|b| b.gas).sum::<u64>() + self.seal
    }
}

/// What an upload did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadReceipt {
    /// The sealed epoch's accumulator (its `liabilitiesRoot`).
    pub accumulator: B256,
    /// The batch the upload started at (0 unless it continued an interrupted one).
    pub resumed_at: u32,
    /// Gas of each transaction.
    pub gas: UploadGas,
}

/// One link of the published chain: `keccak256(acc ‖ root ‖ sums)` over 32-byte big-endian
/// words, as the attestor's `accumulate`.
pub fn accumulate(acc: B256, root: U256, sums: &[U256]) -> B256 {
    let mut bytes = Vec::with_capacity(32 * (2 + sums.len()));
    bytes.extend_from_slice(acc.as_slice());
    bytes.extend_from_slice(&root.to_be_bytes::<32>());
    for sum in sums {
        bytes.extend_from_slice(&sum.to_be_bytes::<32>());
    }
    keccak256(bytes)
}

/// The accumulator after the first `count` batches (zero before the first).
pub fn accumulator_after(batches: &[BatchUpload], count: usize) -> B256 {
    batches.iter().take(count).fold(B256::ZERO, |acc, b| accumulate(acc, b.root, &b.sums))
}

/// Where an upload starts, from the attestor's record of the vault's last upload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    /// No open upload: begin the epoch.
    Begin,
    /// This agent's open upload of another epoch: abandon it, then begin.
    AbandonThenBegin {
        /// The open upload's epoch.
        epoch: u64,
    },
    /// This agent's open upload of this epoch: continue at batch `received`.
    Continue {
        /// Batches the attestor holds.
        received: u32,
    },
}

impl EpochUpload<'_> {
    /// The epoch's batch count, checked: `1..=2^16` batches, each at its index.
    pub fn batch_count(&self) -> Result<u32> {
        let count = u32::try_from(self.batches.len())
            .ok()
            .filter(|&c| (1..=1 << 16).contains(&c))
            .ok_or_else(|| {
                Error::Config(format!("an epoch of {} batches (1..=65536)", self.batches.len()))
            })?;
        match self.batches.iter().enumerate().find(|(i, b)| b.batch_index as usize != *i) {
            Some((i, b)) => Err(Error::Config(format!(
                "batch {i} of the upload is batch {} of its epoch: batches go in index order",
                b.batch_index
            ))),
            None => Ok(count),
        }
    }

    /// Where to start given the attestor's `record` of the vault's last upload, for `agent`:
    /// another agent's open upload is [`Error::UploadInProgress`]; this agent's open upload of
    /// this epoch is continued only when it is of this deadline and batch count and its
    /// accumulator is what these batches give (else [`Error::Config`] naming the difference).
    pub fn start(&self, record: &Upload, agent: Address) -> Result<Start> {
        if record.state != UploadState::Open {
            return Ok(Start::Begin);
        }
        if record.agent != agent {
            return Err(Error::UploadInProgress {
                uploader: record.agent,
                epoch: record.epoch,
                expires_at: record.expiresAt,
            });
        }
        // Only an older upload of ours is stale; a newer one is another instance's with this
        // key (issue 16's single writer), which must not be abandoned under it.
        if record.epoch < self.epoch {
            return Ok(Start::AbandonThenBegin { epoch: record.epoch });
        }
        if record.epoch > self.epoch {
            return Err(Error::AttestationRaced);
        }
        let count = self.batch_count()?;
        if record.deadline != self.deadline || record.batchCount != count {
            return Err(Error::Config(format!(
                "the open upload of epoch {} has deadline {} and {} batches; these proofs bind deadline {} and {count} batches",
                self.epoch, record.deadline, record.batchCount, self.deadline
            )));
        }
        let received = record.received.min(count);
        if record.accumulator != accumulator_after(self.batches, received as usize) {
            return Err(Error::Config(format!(
                "the open upload of epoch {} holds {received} batches of another book (its accumulator differs): abandon it and attest a new epoch",
                self.epoch
            )));
        }
        Ok(Start::Continue { received })
    }
}

/// Uploads `epoch` to `attestor` as `agent` (the provider signs as the agent) and seals it,
/// continuing this agent's interrupted upload of the same epoch; returns the sealed accumulator
/// and the gas of each transaction. A refusal by the attestor is [`Error::Config`] naming its
/// custom error.
pub async fn upload<P: Provider>(
    provider: &P,
    attestor: Address,
    agent: Address,
    epoch: &EpochUpload<'_>,
    faults: UploadFaults,
) -> Result<UploadReceipt> {
    let contract = ISolvencyAttestor::new(attestor, provider);
    let count = epoch.batch_count()?;
    let record = contract.upload(epoch.vault).call().await?;
    let mut gas = UploadGas::default();
    let resumed_at = match epoch.start(&record, agent)? {
        Start::Continue { received } => {
            info!(target: "proofgate::solvency", epoch = epoch.epoch, received, count, "continuing the interrupted upload");
            received
        }
        Start::AbandonThenBegin { epoch: stale } => {
            warn!(target: "proofgate::solvency", stale, epoch = epoch.epoch, "abandoning this agent's open upload of another epoch");
            let pending = contract
                .abandonUpload(epoch.vault)
                .send()
                .await
                .map_err(attestor_error("abandonUpload"))?;
            gas.abandon = chain::confirm(pending, "abandonUpload").await?.gas_used;
            gas.begin = begin(&contract, epoch, count).await?;
            0
        }
        Start::Begin => {
            gas.begin = begin(&contract, epoch, count).await?;
            0
        }
    };
    for batch in &epoch.batches[resumed_at as usize..] {
        if faults.halt_after_batches.is_some_and(|n| batch.batch_index >= n) {
            warn!(target: "proofgate::solvency", epoch = epoch.epoch, at = batch.batch_index, "fault injection: halting the upload between batches");
            return Err(Error::Halted);
        }
        let used = submit(&contract, epoch, batch).await?;
        gas.batches.push(BatchGas { batch_index: batch.batch_index, gas: used });
    }
    if faults.halt_after_batches.is_some_and(|n| n >= count) {
        warn!(target: "proofgate::solvency", epoch = epoch.epoch, "fault injection: halting the upload before the seal");
        return Err(Error::Halted);
    }
    let pending = contract
        .sealEpoch(epoch.vault, epoch.epoch)
        .send()
        .await
        .map_err(attestor_error("sealEpoch"))?;
    gas.seal = chain::confirm(pending, "sealEpoch").await?.gas_used;
    let accumulator = accumulator_after(epoch.batches, epoch.batches.len());
    info!(target: "proofgate::solvency", epoch = epoch.epoch, count, resumed_at, gas_begin = gas.begin, gas_seal = gas.seal, gas_total = gas.total(), "epoch uploaded and sealed");
    Ok(UploadReceipt { accumulator, resumed_at, gas })
}

/// Sends and confirms `beginEpoch`; returns its gas.
async fn begin<P: Provider>(
    contract: &ISolvencyAttestor::ISolvencyAttestorInstance<&P>,
    epoch: &EpochUpload<'_>,
    count: u32,
) -> Result<u64> {
    let pending = contract
        .beginEpoch(epoch.vault, epoch.epoch, epoch.deadline, count)
        .send()
        .await
        .map_err(attestor_error("beginEpoch"))?;
    Ok(chain::confirm(pending, "beginEpoch").await?.gas_used)
}

/// Sends and confirms one `submitBatch`; returns its gas.
async fn submit<P: Provider>(
    contract: &ISolvencyAttestor::ISolvencyAttestorInstance<&P>,
    epoch: &EpochUpload<'_>,
    batch: &BatchUpload,
) -> Result<u64> {
    let what = format!("submitBatch {} of epoch {}", batch.batch_index, epoch.epoch);
    let pending = contract
        .submitBatch(
            epoch.vault,
            epoch.epoch,
            batch.batch_index,
            batch.root,
            batch.sums.clone(),
            batch.proof,
        )
        .send()
        .await
        .map_err(attestor_error(what.clone()))?;
    let receipt = chain::confirm(pending, &what).await?;
    info!(target: "proofgate::solvency", epoch = epoch.epoch, batch = batch.batch_index, gas = receipt.gas_used, "batch accepted");
    Ok(receipt.gas_used)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(index: u32, root: u64) -> BatchUpload {
        BatchUpload {
            batch_index: index,
            root: U256::from(root),
            sums: vec![U256::from(root * 10), U256::from(1u8)],
            proof: [U256::ZERO; 8],
        }
    }

    fn record(state: UploadState, agent: Address, epoch: u64, received: u32) -> Upload {
        Upload {
            state,
            agent,
            epoch,
            deadline: 100,
            expiresAt: 50,
            batchCount: 3,
            received,
            accumulator: B256::ZERO,
            totals: vec![],
        }
    }

    #[test]
    fn the_accumulator_is_the_keccak_chain_of_the_spec() {
        let b = batch(0, 7);
        let mut bytes = [0u8; 128];
        bytes[63] = 7;
        bytes[95] = 70;
        bytes[127] = 1;
        assert_eq!(accumulate(B256::ZERO, b.root, &b.sums), keccak256(bytes));
        assert_eq!(accumulator_after(&[b], 0), B256::ZERO);
    }

    #[test]
    fn an_upload_starts_continues_or_abandons_by_the_attestors_record() {
        let (ours, theirs) = (Address::repeat_byte(1), Address::repeat_byte(2));
        let batches = [batch(0, 1), batch(1, 2), batch(2, 3)];
        let epoch =
            EpochUpload { vault: Address::ZERO, epoch: 5, deadline: 100, batches: &batches };
        let start = |r: &Upload| epoch.start(r, ours);
        for state in [UploadState::None, UploadState::Expired, UploadState::Sealed] {
            assert_eq!(start(&record(state, theirs, 5, 1)).ok(), Some(Start::Begin));
        }
        let stale = record(UploadState::Open, ours, 4, 1);
        assert_eq!(start(&stale).ok(), Some(Start::AbandonThenBegin { epoch: 4 }));
        // A newer open upload of this key is another instance's: never abandoned under it.
        let newer = start(&record(UploadState::Open, ours, 6, 1)).expect_err("a newer upload");
        assert!(matches!(newer, Error::AttestationRaced), "{newer}");
        // Every batch on chain, not sealed: continue at the end (only the seal is left).
        let mut complete = record(UploadState::Open, ours, 5, 3);
        complete.accumulator = accumulator_after(&batches, 3);
        assert_eq!(start(&complete).ok(), Some(Start::Continue { received: 3 }));
        let mut open = record(UploadState::Open, ours, 5, 2);
        let e = start(&open).expect_err("another book").to_string();
        assert!(e.contains("another book"), "{e}");
        open.accumulator = accumulator_after(&batches, 2);
        assert_eq!(start(&open).ok(), Some(Start::Continue { received: 2 }));
        open.deadline = 99;
        assert!(start(&open).expect_err("deadline").to_string().contains("deadline 99"));
        let other = start(&record(UploadState::Open, theirs, 5, 0)).expect_err("another agent's");
        assert!(
            matches!(other, Error::UploadInProgress { expires_at: 50, epoch: 5, .. }),
            "{other}"
        );
        assert!(other.to_string().contains("expires at 50"), "{other}");
    }

    #[test]
    fn batches_out_of_order_are_refused_before_anything_is_sent() {
        let batches = [batch(0, 1), batch(2, 2)];
        let epoch = EpochUpload { vault: Address::ZERO, epoch: 1, deadline: 1, batches: &batches };
        assert!(epoch.batch_count().expect_err("order").to_string().contains("index order"));
        let none = EpochUpload { batches: &[], ..epoch };
        assert!(none.batch_count().is_err());
    }
}

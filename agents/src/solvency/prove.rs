//! Proving an epoch: the book cut into batches of the key's shape ([`EpochTree`]), the
//! attestor's own coverage check of the epoch's totals and its statement of every batch run
//! first (at the attestation's block), then every batch job proved through the pipeline.

use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy::primitives::{Address, B256, U256};
use alloy::providers::Provider;
use proofgate_prover::pipeline::{Engine, RunId};
use proofgate_prover::solvency::{
    fr_to_u256, prove_epoch_with, BatchJob, BatchResult, BatchStatement, EpochBinding, EpochTree,
    SolvencyKeys,
};
use proofgate_verifier_codegen::calldata::input_words;
use tracing::info;

use super::attest::{check_coverage, ChainView, ProvedEpoch};
use super::upload::{accumulator_after, BatchUpload};
use super::{attestor_error, Attester};
use crate::bindings::attestor::ISolvencyAttestor::ISolvencyAttestorInstance;
use crate::deploy::DeploymentFile;
use crate::error::{Error, Result};

/// The epoch tree of the attester's book under its key's shape (built on the blocking pool:
/// one hash per depositor).
async fn build_tree(attester: &Attester) -> Result<EpochTree> {
    let (book, shape) = (attester.book.clone(), attester.keys.shape);
    tokio::task::spawn_blocking(move || EpochTree::build(&book.depositors, shape))
        .await
        .map_err(|e| Error::Config(format!("liabilities tree task: {e}")))?
        .map_err(|e| Error::Config(format!("liabilities tree: {e}")))
}

/// The chain's batches as the upload sends them, without proofs yet.
fn unproved(tree: &EpochTree) -> Vec<BatchUpload> {
    let links = &tree.chain().batches;
    links
        .iter()
        .zip(0u32..)
        .map(|(link, batch_index)| BatchUpload {
            batch_index,
            root: fr_to_u256(&link.root),
            sums: link.sums.clone(),
            proof: [U256::ZERO; 8],
        })
        .collect()
}

/// Checks the attestor's public inputs of every batch (at `view`'s block) against the agent's:
/// a difference is a layout mismatch between the key and the attestor, named with the batch.
async fn check_statements<P: Provider>(
    contract: &ISolvencyAttestorInstance<&P>,
    keys: &SolvencyKeys,
    statements: &[BatchStatement],
    view: &ChainView,
) -> Result<()> {
    for st in statements {
        let ours = st
            .public_inputs(&keys.shape)
            .map_err(|e| Error::Config(format!("batch {} statement: {e}", st.batch_index)))?;
        let on_chain = contract
            .publicInputs(
                Address::from(st.agent),
                Address::from(st.vault),
                st.epoch,
                st.deadline,
                st.batch_index,
                st.batch_count,
                fr_to_u256(&st.root),
                st.sums.clone(),
            )
            .block(view.block)
            .call()
            .await
            .map_err(attestor_error(format!(
                "the attestor's statement of batch {}",
                st.batch_index
            )))?;
        if on_chain != input_words(&ours) {
            return Err(Error::Config(format!(
                "the attestor's statement of batch {} differs from the agent's (a layout mismatch: the key is {:?})",
                st.batch_index, keys.shape
            )));
        }
    }
    Ok(())
}

/// How long a run of batch jobs may take before the missing batches are named.
const RUN_TIMEOUT: Duration = Duration::from_secs(6 * 3_600);

/// Proves `jobs` on `engine` (in this process one after the other, each proof using every
/// core; or by NATS workers), every result checked against its job before it is accepted
/// ([`prove_epoch_with`]: its statement, and its proof verified).
async fn prove_jobs(
    keys: &Arc<SolvencyKeys>,
    jobs: Vec<BatchJob>,
    engine: &Engine,
) -> Result<Vec<BatchResult>> {
    let log = |result: &BatchResult| {
        info!(target: "proofgate::solvency", batch = result.batch_index, worker = %result.worker, prove_s = result.prove_s, "batch proved");
    };
    prove_epoch_with(keys.clone(), jobs, engine, RUN_TIMEOUT, &log)
        .await
        .map_err(|e| Error::Config(format!("no attestation: proving the batches: {e}")))
}

/// Builds the epoch, runs the attestor's coverage check and statements at `view`'s block, and
/// proves every batch the attestor does not hold yet (all of them unless this agent's
/// interrupted upload of the same book is continued).
pub(super) async fn prove_epoch<P: Provider>(
    contract: &ISolvencyAttestorInstance<&P>,
    deployment: &DeploymentFile,
    agent: Address,
    attester: &Attester,
    view: &ChainView,
) -> Result<ProvedEpoch> {
    let keys = &attester.keys;
    let tree = build_tree(attester).await?;
    let published = tree.published();
    let vault = deployment.vault;
    check_coverage(contract, vault, &published.totals, view.block).await?;
    let mut batches = unproved(&tree);
    let count = u32::try_from(batches.len())
        .map_err(|_| Error::Config(format!("{} batches", batches.len())))?;
    let prefix = |received: u32| accumulator_after(&batches, received as usize);
    let (epoch, deadline, received) = view.choose_epoch(agent, count, prefix);
    let binding = EpochBinding {
        agent: agent.into_array(),
        attestor: attester.attestor.into_array(),
        vault: vault.into_array(),
        chain_id: deployment.chain_id,
        epoch,
        deadline,
    };
    let statements = (0..batches.len())
        .map(|i| tree.batch_statement(i, &binding))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::Config(format!("batch statements: {e}")))?;
    check_statements(contract, keys, &statements, view).await?;
    let run = RunId::fresh(&format!("e{epoch}"));
    let vk_hash = keys.vk_hash().map_err(|e| Error::Config(format!("solvency key: {e}")))?;
    let jobs = statements
        .into_iter()
        .skip(received as usize)
        .map(|st| {
            let witness = tree.batch_witness(st.batch_index as usize)?;
            Ok(BatchJob::new(run.to_string(), keys.shape, vk_hash.clone(), st, witness))
        })
        .collect::<std::result::Result<Vec<_>, proofgate_prover::Error>>()
        .map_err(|e| Error::Config(format!("batch jobs: {e}")))?;
    let started = Instant::now();
    // An upload with every batch on chain but not sealed (a crash or a refused seal) needs no
    // proof: only the seal.
    let results =
        if jobs.is_empty() { Vec::new() } else { prove_jobs(keys, jobs, &attester.engine).await? };
    for result in results {
        let slot = batches.get_mut(result.batch_index as usize).ok_or_else(|| {
            Error::Config(format!("a result for batch {} of {count}", result.batch_index))
        })?;
        slot.proof = result.proof;
    }
    let prove_s = started.elapsed().as_secs_f64();
    info!(target: "proofgate::solvency", epoch, count, proved = count - received, prove_s, accumulator = %B256::from(published.accumulator), "epoch proved");
    Ok(ProvedEpoch { epoch, deadline, batches, totals: published.totals, prove_s })
}

//! Proving an epoch's batches (interim: the whole tree as one batch, until the batched prover
//! lands).

use std::time::Instant;

use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use proofgate_prover::solvency::attestation::{witness_leaves, SolvencyStatement, SolvencyWitness};
use proofgate_prover::solvency::{to_u128, SumTree};
use proofgate_verifier_codegen::calldata::{input_words, proof_words};

use super::attest::{check_coverage, ChainView, ProvedEpoch};
use super::upload::BatchUpload;
use super::{attestor_error, Attester};
use crate::bindings::attestor::ISolvencyAttestor::ISolvencyAttestorInstance;
use crate::deploy::DeploymentFile;
use crate::error::{Error, Result};

/// Builds the tree, runs the attestor's coverage check and statement at `view`'s block, and
/// proves.
pub(super) async fn prove_epoch<P: Provider>(
    contract: &ISolvencyAttestorInstance<&P>,
    deployment: &DeploymentFile,
    agent: Address,
    attester: &Attester,
    view: &ChainView,
) -> Result<ProvedEpoch> {
    let keys = attester.keys.clone();
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
    let totals_words: Vec<U256> = totals.iter().map(|&t| U256::from(t)).collect();
    let vault = deployment.vault;
    check_coverage(contract, vault, &totals_words, view.block).await?;
    let (epoch, deadline, _) = view.choose_epoch(agent, 1, |_| alloy::primitives::B256::ZERO);
    let statement = SolvencyStatement {
        agent: agent.into_array(),
        attestor: attester.attestor.into_array(),
        vault: vault.into_array(),
        chain_id: deployment.chain_id,
        epoch,
        deadline,
        root: root.hash,
        totals,
    };
    let witness = SolvencyWitness { leaves: witness_leaves(&book.depositors, keys.depth) };
    let inputs = statement.public_inputs().map_err(|e| Error::Config(format!("statement: {e}")))?;
    let words = input_words(&inputs);
    let on_chain = contract
        .publicInputs(agent, vault, epoch, deadline, 0, 1, words[1], totals_words.clone())
        .block(view.block)
        .call()
        .await
        .map_err(attestor_error("the attestor's statement"))?;
    if on_chain != words {
        return Err(Error::Config(
            "the attestor's statement differs from the agent's (a layout mismatch)".into(),
        ));
    }
    let started = Instant::now();
    let proved = tokio::task::spawn_blocking(move || {
        keys.prove(&statement, &witness, &mut rand::rngs::OsRng)
    })
    .await
    .map_err(|e| Error::Config(format!("solvency prover task: {e}")))?;
    let (proof, _) = proved.map_err(|e| Error::Config(format!("no attestation: {e}")))?;
    let batch = BatchUpload {
        batch_index: 0,
        root: words[1],
        sums: totals_words.clone(),
        proof: proof_words(&proof),
    };
    Ok(ProvedEpoch {
        epoch,
        deadline,
        batches: vec![batch],
        totals: totals_words,
        prove_s: started.elapsed().as_secs_f64(),
    })
}

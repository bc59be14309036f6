//! Proving an epoch's batches on the work queue ([`crate::pipeline`]): one [`BatchJob`] per
//! batch, proved in this process ([`Engine::InProcess`]) or by `proofgate solvency worker`
//! processes sharing a NATS JetStream server ([`Engine::Nats`]), every result checked before it
//! is accepted, and the epoch file ([`EpochProofs`]) the accepted results make.
//!
//! A result is accepted only if its batch index, root, sums and public inputs are its job's
//! statement's and its Groth16 proof verifies under the run's key ([`BatchCheck`]). Delivery
//! to workers is at least once, so a batch may be proved twice: the second result is compared
//! in root, sums and inputs (proofs are randomised, so not byte for byte) and dropped.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use alloy::primitives::U256;
use serde::{Deserialize, Serialize};
use tracing::debug;

use super::batch_job::{BatchJob, BatchResult};
use super::chain::{ChainLink, PublishedChain};
use super::files::{dec_u256s, hex32};
use super::tree::{EpochBinding, EpochTree};
use super::{BatchStatement, SolvencyKeys, SolvencyShape};
use crate::pipeline::{self, json_handler, Engine, Handler, ResultCheck, Run, RunId};
use crate::Error;

/// Format version of the epoch file ([`EpochProofs`]).
pub const EPOCH_PROOFS_VERSION: u64 = 1;

/// One run of an epoch: its id (unique per run, so an epoch proved twice is two runs) and one
/// job per batch, job `i` for batch `i`.
#[derive(Clone, Debug)]
pub struct EpochRun {
    /// The run's id (a NATS subject token).
    pub id: RunId,
    /// The jobs, in batch order.
    pub jobs: Vec<BatchJob>,
}

impl EpochRun {
    /// The jobs of `tree` under `binding` for `keys`, with a fresh run id `e<epoch>-..`.
    pub fn new(
        tree: &EpochTree,
        binding: &EpochBinding,
        keys: &SolvencyKeys,
    ) -> Result<Self, Error> {
        Self::with_id(RunId::fresh(&format!("e{}", binding.epoch)), tree, binding, keys)
    }

    /// As [`EpochRun::new`] with the run id given.
    pub fn with_id(
        id: RunId,
        tree: &EpochTree,
        binding: &EpochBinding,
        keys: &SolvencyKeys,
    ) -> Result<Self, Error> {
        let jobs = batch_jobs(&id, tree, binding, keys)?;
        Ok(Self { id, jobs })
    }
}

/// One [`BatchJob`] per batch of `tree` (statement under `binding`, witness, the key's shape
/// and verifying-key hash), in batch order. Refuses a tree of another shape than the key's.
pub fn batch_jobs(
    run: &RunId,
    tree: &EpochTree,
    binding: &EpochBinding,
    keys: &SolvencyKeys,
) -> Result<Vec<BatchJob>, Error> {
    if tree.shape() != keys.shape {
        return Err(Error::InvalidKey(format!(
            "the epoch is of shape {:?}, the key proves {:?}",
            tree.shape(),
            keys.shape
        )));
    }
    let vk_hash = keys.vk_hash()?;
    (0..tree.batch_count())
        .map(|i| {
            Ok(BatchJob::new(
                run.to_string(),
                keys.shape,
                vk_hash.clone(),
                tree.batch_statement(i, binding)?,
                tree.batch_witness(i)?,
            ))
        })
        .collect()
}

/// The handler a worker (or this process) runs: decodes a [`BatchJob`], proves it with `keys`
/// as `worker` ([`SolvencyKeys::prove_job`]: a job of another shape or key is refused) and
/// encodes the [`BatchResult`].
pub fn batch_handler(keys: Arc<SolvencyKeys>, worker: impl Into<String>) -> impl Handler {
    let worker = worker.into();
    json_handler(move |job: BatchJob| {
        let batch = job.statement.batch_index;
        let result = keys
            .prove_job(&job, &worker, &mut rand::rngs::OsRng)
            .map_err(|e| format!("batch {batch}: {e}"))?;
        debug!(target: "proofgate::solvency", run = %job.run, batch, prove_s = result.prove_s,
            "batch proved");
        Ok(result)
    })
}

/// The collector's checks on batch results: the first result of a batch must be its job's
/// statement with a proof that verifies; a duplicate must have the same root, sums and inputs.
pub struct BatchCheck<'a> {
    keys: &'a SolvencyKeys,
    jobs: &'a [BatchJob],
    on_accept: &'a (dyn Fn(&BatchResult) + Send + Sync),
}

impl<'a> BatchCheck<'a> {
    /// Checks results of `jobs` (the run's job `i` is `jobs[i]`) against `keys`; `on_accept`
    /// sees each accepted result (progress).
    pub fn new(
        keys: &'a SolvencyKeys,
        jobs: &'a [BatchJob],
        on_accept: &'a (dyn Fn(&BatchResult) + Send + Sync),
    ) -> Self {
        Self { keys, jobs, on_accept }
    }
}

fn decode(batch: u32, bytes: &[u8]) -> Result<BatchResult, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("batch {batch}: undecodable result: {e}"))
}

impl ResultCheck for BatchCheck<'_> {
    fn accept(&self, batch: u32, bytes: &[u8]) -> Result<(), String> {
        let job = self
            .jobs
            .get(batch as usize)
            .ok_or_else(|| format!("a result for job {batch}, beyond the run's jobs"))?;
        let result = decode(batch, bytes)?;
        let expected = job.statement.batch_index;
        if result.batch_index != expected {
            return Err(format!(
                "a result for batch {} came for batch {expected}",
                result.batch_index
            ));
        }
        result.check(job, self.keys).map_err(|e| e.to_string())?;
        (self.on_accept)(&result);
        Ok(())
    }

    fn same(&self, batch: u32, accepted: &[u8], again: &[u8]) -> Result<(), String> {
        let (a, b) = (decode(batch, accepted)?, decode(batch, again)?);
        let differs = if a.batch_index != b.batch_index || a.run != b.run {
            Some("batch index or run")
        } else if a.root != b.root {
            Some("root")
        } else if a.sums != b.sums {
            Some("sums")
        } else if a.inputs != b.inputs {
            Some("public inputs")
        } else {
            None
        };
        match differs {
            Some(what) => Err(format!(
                "the results of workers {} and {} differ in their {what}",
                a.worker, b.worker
            )),
            None => Ok(()),
        }
    }
}

/// Checks that `jobs` are one run's consecutive batches `s..m` of an `m`-batch epoch (all of
/// them, or the rest of an upload that holds `0..s` already), of `keys`' shape and verifying
/// key.
fn check_jobs(keys: &SolvencyKeys, jobs: &[BatchJob]) -> Result<RunId, Error> {
    let first =
        jobs.first().ok_or_else(|| Error::ValueOutOfRange("an epoch of no batch".into()))?;
    let id = RunId::new(first.run.clone())?;
    let (start, count) = (first.statement.batch_index, first.statement.batch_count);
    let expected_len = count.checked_sub(start).map(|rest| rest as usize);
    if expected_len != Some(jobs.len()) {
        return Err(Error::StatementMismatch(format!(
            "{} jobs from batch {start} of {count}: an epoch's batches from one on, to its last",
            jobs.len()
        )));
    }
    let vk_hash = keys.vk_hash()?;
    for (i, job) in (start..).zip(jobs) {
        let st = &job.statement;
        if job.run != first.run || st.batch_index != i || st.batch_count != count {
            return Err(Error::StatementMismatch(format!(
                "batch {} of {} of run {:?} where batch {i} of {count} of run {:?} belongs",
                st.batch_index, st.batch_count, job.run, first.run
            )));
        }
        if job.shape != keys.shape || job.vk_hash != vk_hash {
            return Err(Error::InvalidKey(format!(
                "job {i} is for {:?} (verifying key {}), the key proves {:?} ({vk_hash})",
                job.shape, job.vk_hash, keys.shape
            )));
        }
    }
    Ok(id)
}

/// Proves every job of an epoch (all its batches, or the consecutive rest of an interrupted
/// upload) on `engine` and returns the results in batch order, each checked ([`BatchCheck`]). Fails naming the batch (a worker's refusal, exhausted
/// deliveries, a refused result) or the missing batches (`timeout`).
pub async fn prove_epoch(
    keys: Arc<SolvencyKeys>,
    jobs: Vec<BatchJob>,
    engine: &Engine,
    timeout: Duration,
) -> Result<Vec<BatchResult>, Error> {
    prove_epoch_with(keys, jobs, engine, timeout, &|_| {}).await
}

/// As [`prove_epoch`], calling `on_accept` with each batch's result when it is accepted (in
/// the order they come: any order on NATS).
pub async fn prove_epoch_with(
    keys: Arc<SolvencyKeys>,
    jobs: Vec<BatchJob>,
    engine: &Engine,
    timeout: Duration,
    on_accept: &(dyn Fn(&BatchResult) + Send + Sync),
) -> Result<Vec<BatchResult>, Error> {
    let id = check_jobs(&keys, &jobs)?;
    let run = Run::from_json(id, &jobs, timeout)?;
    let handler: Arc<dyn Handler> =
        Arc::new(batch_handler(Arc::clone(&keys), pipeline::local::IN_PROCESS_WORKER));
    let check = BatchCheck::new(&keys, &jobs, on_accept);
    let results = pipeline::execute(engine, &run, handler, &check).await?;
    results
        .iter()
        .map(|r| {
            r.json::<BatchResult>().map_err(|e| {
                Error::Corrupt(format!(
                    "batch {}: an accepted result does not decode: {e}",
                    r.batch
                ))
            })
        })
        .collect()
}

/// An epoch's proofs, as `proofgate solvency prove` writes them (`epoch.json`): the shape and
/// key, the context every statement binds, every batch's result in order, and the accumulator
/// and totals their chain gives (the attestor's `liabilitiesRoot` and totals once sealed).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EpochProofs {
    /// [`EPOCH_PROOFS_VERSION`].
    pub version: u64,
    /// The shape of every batch proof.
    pub shape: SolvencyShape,
    /// The verifying key's hash ([`SolvencyKeys::vk_hash`]).
    pub vk_hash: String,
    /// The asset names, in the vault's order.
    pub assets: Vec<String>,
    /// The number of depositors.
    pub depositors: usize,
    /// What every batch statement binds besides the batch.
    pub context: EpochBinding,
    /// The run that proved them.
    pub run: String,
    /// The number of batches.
    pub batch_count: u32,
    /// Batch `i`'s result at `i`.
    pub batches: Vec<BatchResult>,
    /// `acc_m` over the batches.
    #[serde(with = "hex32")]
    pub accumulator: [u8; 32],
    /// The per-asset totals.
    #[serde(with = "dec_u256s")]
    pub totals: Vec<U256>,
}

impl EpochProofs {
    /// The epoch file of `tree`'s accepted `results`; refuses results that are not the tree's
    /// batches, in order.
    pub fn new(
        tree: &EpochTree,
        binding: &EpochBinding,
        vk_hash: String,
        run: &RunId,
        results: Vec<BatchResult>,
    ) -> Result<Self, Error> {
        let expected = &tree.chain().batches;
        let agrees = results.len() == expected.len()
            && results.iter().zip(expected).enumerate().all(|(i, (r, link))| {
                r.batch_index as usize == i && r.root == link.root && r.sums == link.sums
            });
        if !agrees {
            return Err(Error::StatementMismatch(
                "the batch results are not the epoch's batches, in order".into(),
            ));
        }
        let count = u32::try_from(results.len())
            .map_err(|_| Error::ValueOutOfRange("batch count".into()))?;
        let published = tree.published();
        Ok(Self {
            version: EPOCH_PROOFS_VERSION,
            shape: tree.shape(),
            vk_hash,
            assets: tree.depositors().assets().to_vec(),
            depositors: tree.depositors().len(),
            context: *binding,
            run: run.to_string(),
            batch_count: count,
            batches: results,
            accumulator: published.accumulator,
            totals: published.totals,
        })
    }

    /// The chain of the batches' roots and sums (its accumulator and totals recomputed).
    pub fn chain(&self) -> PublishedChain {
        let links =
            self.batches.iter().map(|r| ChainLink { root: r.root, sums: r.sums.clone() }).collect();
        PublishedChain::new(links, self.shape.n_assets)
    }

    /// Batch `i`'s statement: the context, the index and count, the result's root and sums.
    pub fn statement(&self, i: usize) -> Result<BatchStatement, Error> {
        let r = self.batches.get(i).ok_or_else(|| {
            Error::ValueOutOfRange(format!("batch {i} of {}", self.batches.len()))
        })?;
        let c = &self.context;
        Ok(BatchStatement {
            agent: c.agent,
            attestor: c.attestor,
            vault: c.vault,
            chain_id: c.chain_id,
            epoch: c.epoch,
            deadline: c.deadline,
            batch_index: r.batch_index,
            batch_count: self.batch_count,
            root: r.root,
            sums: r.sums.clone(),
        })
    }

    /// Checks the file against `keys`: its version, shape and verifying key; batch `i` at `i`
    /// of `batch_count`, its public inputs those of its statement and its proof verifying; the
    /// accumulator and totals those of the chain.
    pub fn verify(&self, keys: &SolvencyKeys) -> Result<(), Error> {
        if self.version != EPOCH_PROOFS_VERSION {
            return Err(Error::Corrupt(format!(
                "epoch file version {} (this build reads {EPOCH_PROOFS_VERSION})",
                self.version
            )));
        }
        let vk_hash = keys.vk_hash()?;
        if self.shape != keys.shape || self.vk_hash != vk_hash {
            return Err(Error::InvalidKey(format!(
                "the epoch is for {:?} (verifying key {}), the key proves {:?} ({vk_hash})",
                self.shape, self.vk_hash, keys.shape
            )));
        }
        if self.batches.len() != self.batch_count as usize {
            return Err(Error::Corrupt(format!(
                "{} batch results for a batch count of {}",
                self.batches.len(),
                self.batch_count
            )));
        }
        for (i, r) in self.batches.iter().enumerate() {
            let st = self.statement(i)?;
            if r.batch_index as usize != i || r.inputs != st.public_inputs(&self.shape)? {
                return Err(Error::StatementMismatch(format!(
                    "the result at position {i} is not batch {i}'s statement"
                )));
            }
            if !keys.verify_batch(&st, &r.groth16_proof()?)? {
                return Err(Error::StatementMismatch(format!(
                    "the proof of batch {i} does not verify"
                )));
            }
        }
        let chain = self.chain();
        if chain.accumulator != self.accumulator || chain.totals != self.totals {
            return Err(Error::StatementMismatch(
                "the accumulator or totals are not those of the batches' chain".into(),
            ));
        }
        Ok(())
    }

    /// How many batches each worker proved.
    pub fn workers(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for r in &self.batches {
            *counts.entry(r.worker.clone()).or_insert(0) += 1;
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solvency::{Depositor, Depositors};
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    const BINDING: EpochBinding = EpochBinding {
        agent: [0xaa; 20],
        attestor: [0xbb; 20],
        vault: [0xcc; 20],
        chain_id: 31337,
        epoch: 7,
        deadline: 1_781_536_000,
    };

    fn setup() -> (Arc<SolvencyKeys>, EpochTree) {
        let shape = SolvencyShape::new(2, 16, 1).expect("shape");
        let keys = SolvencyKeys::setup(shape, &mut StdRng::seed_from_u64(1)).expect("setup");
        let list = (0..5u128)
            .map(|j| Depositor { id: format!("d{j}"), balances: vec![j * 10 + 1, 1000 - j] })
            .collect();
        let depositors = Depositors::new(vec!["A".into(), "B".into()], list).expect("depositors");
        let tree = EpochTree::build(&depositors, shape).expect("tree");
        (Arc::new(keys), tree)
    }

    #[tokio::test]
    async fn an_epoch_proves_in_process_and_its_file_verifies() {
        let (keys, tree) = setup();
        let run = EpochRun::new(&tree, &BINDING, &keys).expect("jobs");
        assert_eq!(run.jobs.len(), 3);
        let seen = std::sync::Mutex::new(Vec::new());
        let note = |r: &BatchResult| seen.lock().expect("lock").push(r.batch_index);
        let results = prove_epoch_with(
            Arc::clone(&keys),
            run.jobs.clone(),
            &Engine::InProcess,
            Duration::from_secs(60),
            &note,
        )
        .await
        .expect("proved");
        assert_eq!(*seen.lock().expect("lock"), vec![0, 1, 2]);
        let vk_hash = keys.vk_hash().expect("hash");
        let file = EpochProofs::new(&tree, &BINDING, vk_hash, &run.id, results).expect("file");
        file.verify(&keys).expect("verifies");
        assert_eq!(file.accumulator, tree.published().accumulator);
        assert_eq!(file.workers().get("in-process"), Some(&3));
        let back: EpochProofs =
            serde_json::from_str(&serde_json::to_string(&file).expect("encode")).expect("decode");
        assert_eq!(back, file);

        let mut forged = file.clone();
        forged.batches[1].sums[0] += U256::from(1u8);
        assert!(forged.verify(&keys).is_err(), "a forged sum");
        let mut swapped = file;
        swapped.batches.swap(0, 1);
        assert!(swapped.verify(&keys).is_err(), "batches out of order");
    }

    #[tokio::test]
    async fn the_rest_of_an_interrupted_upload_proves_alone_and_gaps_are_refused() {
        let (keys, tree) = setup();
        let run = EpochRun::new(&tree, &BINDING, &keys).expect("jobs");
        let prove = |jobs: Vec<BatchJob>| {
            prove_epoch(Arc::clone(&keys), jobs, &Engine::InProcess, Duration::from_secs(60))
        };
        let rest = prove(run.jobs[1..].to_vec()).await.expect("batches 1 and 2 of 3");
        let indices: Vec<u32> = rest.iter().map(|r| r.batch_index).collect();
        assert_eq!(indices, vec![1, 2]);
        for gap in [vec![run.jobs[0].clone(), run.jobs[2].clone()], run.jobs[..2].to_vec()] {
            let err = prove(gap).await.expect_err("not the consecutive rest of the epoch");
            assert!(matches!(err, Error::StatementMismatch(_)), "{err}");
        }
    }

    #[test]
    fn results_are_checked_and_duplicates_compared_without_their_proofs() {
        let (keys, tree) = setup();
        let run = EpochRun::new(&tree, &BINDING, &keys).expect("jobs");
        let none = |_: &BatchResult| {};
        let check = BatchCheck::new(&keys, &run.jobs, &none);
        let prove = |i: usize| {
            let r = keys.prove_job(&run.jobs[i], "w", &mut StdRng::seed_from_u64(i as u64));
            serde_json::to_vec(&r.expect("proves")).expect("encode")
        };
        let (first, again) = (prove(1), prove(1));
        assert_ne!(first, again, "proofs are randomised");
        check.accept(1, &first).expect("a good result");
        check.same(1, &first, &again).expect("the same statement");
        let err = check.accept(0, &first).expect_err("batch 1's result as batch 0");
        assert!(err.contains("came for batch 0"), "{err}");

        let mut other: BatchResult = serde_json::from_slice(&again).expect("decode");
        other.sums[1] += U256::from(1u8);
        let other = serde_json::to_vec(&other).expect("encode");
        assert!(check.same(1, &first, &other).expect_err("sums").contains("sums"));
        assert!(check.accept(1, &other).is_err(), "a result that is not the job's statement");

        let mut bad_proof: BatchResult = serde_json::from_slice(&first).expect("decode");
        let good_proof = bad_proof.proof;
        bad_proof.proof = prove_proof_of(&keys, &run.jobs[2]);
        assert_ne!(bad_proof.proof, good_proof);
        let bad = serde_json::to_vec(&bad_proof).expect("encode");
        let err = check.accept(1, &bad).expect_err("another batch's proof");
        assert!(err.contains("does not verify"), "{err}");
    }

    fn prove_proof_of(keys: &SolvencyKeys, job: &BatchJob) -> [U256; 8] {
        keys.prove_job(job, "w", &mut StdRng::seed_from_u64(9)).expect("proves").proof
    }

    #[test]
    fn jobs_of_another_key_or_out_of_order_are_refused() {
        let (keys, tree) = setup();
        let run = EpochRun::new(&tree, &BINDING, &keys).expect("jobs");
        let mut swapped = run.jobs.clone();
        swapped.swap(0, 2);
        assert!(check_jobs(&keys, &swapped).is_err());
        let other = SolvencyKeys::setup(keys.shape, &mut StdRng::seed_from_u64(2)).expect("setup");
        let err = check_jobs(&other, &run.jobs).expect_err("another key").to_string();
        assert!(err.contains("verifying key"), "{err}");
        assert!(check_jobs(&keys, &[]).is_err(), "no batch");
    }
}

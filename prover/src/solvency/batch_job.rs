//! The proving pipeline's messages: a batch job (statement and witness of one batch, for one
//! key) and its result (the proof as verifier calldata), and the [`BatchProver`] that turns one
//! into the other. Plain serde types with a `version`: field elements as `0x` hex, amounts as
//! decimal strings.

use std::time::Instant;

use alloy::primitives::U256;
use ark_bn254::{Bn254, Fr};
use ark_groth16::Proof;
use proofgate_verifier_codegen::calldata::{proof_from_words, proof_words};
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

use super::attestation::{BatchStatement, BatchWitness};
use super::files::{dec_u256s, hex_fr, hex_frs};
use super::{SolvencyKeys, SolvencyShape};
use crate::Error;

/// Format version of [`BatchJob`] and [`BatchResult`].
pub const BATCH_JOB_VERSION: u64 = 1;

/// One batch to prove.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchJob {
    /// [`BATCH_JOB_VERSION`].
    pub version: u64,
    /// The epoch run the job belongs to (unique per run).
    pub run: String,
    /// The shape of the key that must prove it.
    pub shape: SolvencyShape,
    /// The verifying-key hash of that key ([`SolvencyKeys::vk_hash`]).
    pub vk_hash: String,
    /// The batch's public statement.
    pub statement: BatchStatement,
    /// The batch's leaves.
    pub witness: BatchWitness,
}

/// A proved batch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchResult {
    /// [`BATCH_JOB_VERSION`].
    pub version: u64,
    /// The job's run.
    pub run: String,
    /// The job's batch index.
    pub batch_index: u32,
    /// The batch root proved.
    #[serde(with = "hex_fr")]
    pub root: Fr,
    /// The sums proved.
    #[serde(with = "dec_u256s")]
    pub sums: Vec<U256>,
    /// The public inputs.
    #[serde(with = "hex_frs")]
    pub inputs: Vec<Fr>,
    /// The proof as the verifier's calldata words (`proof_words`): A.x, A.y, B.x.c1, B.x.c0,
    /// B.y.c1, B.y.c0, C.x, C.y.
    #[serde(with = "proof_hex")]
    pub proof: [U256; 8],
    /// Who proved it.
    pub worker: String,
    /// Seconds the proof took.
    pub prove_s: f64,
}

/// Proves batch jobs.
pub trait BatchProver {
    /// Proves `job`, or says why not (another shape or key, a batch the reference refuses).
    fn prove(&self, job: &BatchJob) -> Result<BatchResult, Error>;
}

impl BatchJob {
    /// A job of the current version.
    pub fn new(
        run: String,
        shape: SolvencyShape,
        vk_hash: String,
        statement: BatchStatement,
        witness: BatchWitness,
    ) -> Self {
        Self { version: BATCH_JOB_VERSION, run, shape, vk_hash, statement, witness }
    }
}

impl BatchResult {
    /// The proof's curve points; refused where the verifier's precompiles would refuse them.
    pub fn groth16_proof(&self) -> Result<Proof<Bn254>, Error> {
        proof_from_words(&self.proof).ok_or_else(|| {
            Error::Corrupt(format!("batch {}: a proof off the curve", self.batch_index))
        })
    }

    /// Checks the result against its job before it is accepted: version, run, batch, root,
    /// sums and public inputs are the job's statement's, and the proof verifies under `keys`.
    pub fn check(&self, job: &BatchJob, keys: &SolvencyKeys) -> Result<(), Error> {
        let st = &job.statement;
        let inputs = st.public_inputs(&job.shape)?;
        let agrees = self.version == BATCH_JOB_VERSION
            && self.run == job.run
            && self.batch_index == st.batch_index
            && self.root == st.root
            && self.sums == st.sums
            && self.inputs == inputs;
        if !agrees {
            return Err(Error::StatementMismatch(format!(
                "the result for batch {} of run {:?} is not its job's statement",
                self.batch_index, self.run
            )));
        }
        if !keys.verify_batch(st, &self.groth16_proof()?)? {
            return Err(Error::StatementMismatch(format!(
                "the proof of batch {} does not verify",
                self.batch_index
            )));
        }
        Ok(())
    }
}

impl SolvencyKeys {
    /// Proves `job` as `worker`: refuses a job of another version, shape or verifying key, and
    /// a batch the native reference refuses ([`SolvencyKeys::prove_batch`]).
    pub fn prove_job<R: RngCore + CryptoRng>(
        &self,
        job: &BatchJob,
        worker: &str,
        rng: &mut R,
    ) -> Result<BatchResult, Error> {
        if job.version != BATCH_JOB_VERSION {
            return Err(Error::Corrupt(format!(
                "batch job version {} (this build reads {BATCH_JOB_VERSION})",
                job.version
            )));
        }
        if job.shape != self.shape {
            return Err(Error::StatementMismatch(format!(
                "the job is for {:?}, the key for {:?}",
                job.shape, self.shape
            )));
        }
        let vk_hash = self.vk_hash()?;
        if job.vk_hash != vk_hash {
            return Err(Error::InvalidKey(format!(
                "the job is for verifying key {}, this key's is {vk_hash}",
                job.vk_hash
            )));
        }
        let started = Instant::now();
        let (proof, inputs) = self.prove_batch(&job.statement, &job.witness, rng)?;
        Ok(BatchResult {
            version: BATCH_JOB_VERSION,
            run: job.run.clone(),
            batch_index: job.statement.batch_index,
            root: job.statement.root,
            sums: job.statement.sums.clone(),
            inputs,
            proof: proof_words(&proof),
            worker: worker.to_string(),
            prove_s: started.elapsed().as_secs_f64(),
        })
    }
}

impl BatchProver for SolvencyKeys {
    fn prove(&self, job: &BatchJob) -> Result<BatchResult, Error> {
        self.prove_job(job, "in-process", &mut rand::rngs::OsRng)
    }
}

/// `#[serde(with = "proof_hex")]` for `[U256; 8]`: eight `0x` hex strings.
mod proof_hex {
    use alloy::primitives::U256;
    use serde::{de::Error as _, Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(words: &[U256; 8], s: S) -> Result<S::Ok, S::Error> {
        words.iter().map(|w| format!("{w:#066x}")).collect::<Vec<_>>().serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[U256; 8], D::Error> {
        let strings = Vec::<String>::deserialize(d)?;
        let words = strings
            .iter()
            .map(|s| {
                let digits = s.strip_prefix("0x").unwrap_or("");
                if digits.is_empty() || digits.len() > 64 {
                    return Err(D::Error::custom(format!("{s:?} is not a 0x hex word")));
                }
                U256::from_str_radix(digits, 16).map_err(D::Error::custom)
            })
            .collect::<Result<Vec<U256>, _>>()?;
        words.try_into().map_err(|w: Vec<U256>| {
            D::Error::custom(format!("a proof is 8 words, not {}", w.len()))
        })
    }
}

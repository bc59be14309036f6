//! What travels through the queue: a run of jobs (opaque bytes, one per batch) and the results
//! workers report for them.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::RngCore;
use serde::{de::DeserializeOwned, Serialize};

use super::error::{Error, Result};

/// A run's id: unique per run (an epoch proved twice gets two ids). It is one token of the NATS
/// subjects `<prefix>.jobs.<run>` and `<prefix>.results.<run>`, so it holds 1 to 64 characters
/// from `A-Z a-z 0-9 - _`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RunId(String);

impl RunId {
    /// Checks that `id` is a usable subject token.
    pub fn new(id: impl Into<String>) -> Result<Self> {
        let id = id.into();
        let ok = (1..=64).contains(&id.len())
            && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(RunId(id))
        } else {
            Err(Error::InvalidRunId(id))
        }
    }

    /// A fresh id: `<prefix>-<unix milliseconds>-<64 random bits>` in hex, unique with
    /// overwhelming probability. `prefix` is kept only as far as it is a valid token (for
    /// example `e42` for epoch 42).
    pub fn fresh(prefix: &str) -> Self {
        let keep: String = prefix
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .take(24)
            .collect();
        let millis = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
        let nonce = rand::thread_rng().next_u64();
        let id = if keep.is_empty() {
            format!("{millis:x}-{nonce:016x}")
        } else {
            format!("{keep}-{millis:x}-{nonce:016x}")
        };
        RunId(id)
    }

    /// The id as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A run: its id, its jobs (job `i` is batch `i`) and how long the whole run may take.
#[derive(Clone, Debug)]
pub struct Run {
    /// The run's unique id.
    pub id: RunId,
    /// The jobs' payloads, in batch order: `jobs[i]` is batch `i`.
    pub jobs: Vec<Vec<u8>>,
    /// The overall limit: publishing, proving and collecting every batch.
    pub timeout: Duration,
}

impl Run {
    /// A run of byte payloads; refuses more than `u32::MAX` jobs.
    pub fn new(id: RunId, jobs: Vec<Vec<u8>>, timeout: Duration) -> Result<Self> {
        if u32::try_from(jobs.len()).is_err() {
            return Err(Error::TooManyJobs { given: jobs.len() });
        }
        Ok(Run { id, jobs, timeout })
    }

    /// A run of serde values, each encoded as JSON.
    pub fn from_json<J: Serialize>(id: RunId, jobs: &[J], timeout: Duration) -> Result<Self> {
        let mut encoded = Vec::with_capacity(jobs.len());
        for (i, job) in jobs.iter().enumerate() {
            let bytes = serde_json::to_vec(job).map_err(|e| Error::Publish {
                run: id.to_string(),
                batch: u32::try_from(i).unwrap_or(u32::MAX),
                reason: format!("encoding the job as JSON: {e}"),
            })?;
            encoded.push(bytes);
        }
        Run::new(id, encoded, timeout)
    }

    /// The number of batches.
    pub fn batch_count(&self) -> u32 {
        // `Run::new` bounds the length.
        u32::try_from(self.jobs.len()).unwrap_or(u32::MAX)
    }
}

/// What a worker did with a job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The job's result payload.
    Done(Vec<u8>),
    /// The worker cannot do the job (an undecodable payload, a job for other keys, a failed
    /// proof): the run fails with this message. Never retried.
    Failed(String),
}

/// The accepted result of one batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkResult {
    /// The batch index.
    pub batch: u32,
    /// The worker that produced it (`in-process` for the in-process engine).
    pub worker: String,
    /// The result payload.
    pub payload: Vec<u8>,
}

impl WorkResult {
    /// Decodes the payload as JSON.
    pub fn json<R: DeserializeOwned>(&self) -> serde_json::Result<R> {
        serde_json::from_slice(&self.payload)
    }
}

/// The work a worker does: a pure function of a job's payload, run on a blocking thread.
///
/// It must be deterministic in everything the caller's [`ResultCheck`] compares, because a job
/// may run more than once (at-least-once delivery). `Err` means the job can never succeed: the
/// run fails with that message.
pub trait Handler: Send + Sync + 'static {
    /// Does one job.
    fn handle(&self, job: &[u8]) -> std::result::Result<Vec<u8>, String>;
}

impl<F> Handler for F
where
    F: Fn(&[u8]) -> std::result::Result<Vec<u8>, String> + Send + Sync + 'static,
{
    fn handle(&self, job: &[u8]) -> std::result::Result<Vec<u8>, String> {
        self(job)
    }
}

/// A [`Handler`] over JSON: decodes the job as `J`, runs `f`, encodes its `R` as JSON. A
/// payload that does not decode is an `Err` (the run fails naming the batch).
pub fn json_handler<J, R, F>(f: F) -> impl Handler
where
    J: DeserializeOwned,
    R: Serialize,
    F: Fn(J) -> std::result::Result<R, String> + Send + Sync + 'static,
{
    move |bytes: &[u8]| {
        let job: J =
            serde_json::from_slice(bytes).map_err(|e| format!("undecodable job payload: {e}"))?;
        let result = f(job)?;
        serde_json::to_vec(&result).map_err(|e| format!("encoding the result: {e}"))
    }
}

/// The caller's checks on results, applied by the collector before a result is accepted.
///
/// Both default to accepting everything.
pub trait ResultCheck: Send + Sync {
    /// Checks the first result of `batch` (for a proof: the statement matches the job's and the
    /// proof verifies). `Err` fails the run ([`Error::Rejected`]).
    fn accept(&self, batch: u32, result: &[u8]) -> std::result::Result<(), String> {
        let _ = (batch, result);
        Ok(())
    }

    /// Compares a duplicate result of `batch` with the accepted one in the fields that matter
    /// (Groth16 proofs are randomised: compare the statement, not the proof bytes). The
    /// duplicate is dropped either way; `Err` fails the run ([`Error::Disagree`]).
    fn same(&self, batch: u32, accepted: &[u8], again: &[u8]) -> std::result::Result<(), String> {
        let _ = (batch, accepted, again);
        Ok(())
    }
}

/// A [`ResultCheck`] that accepts every result and every duplicate.
#[derive(Clone, Copy, Debug, Default)]
pub struct AcceptAll;

impl ResultCheck for AcceptAll {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_are_subject_tokens() {
        assert!(RunId::new("e42-abc_D").is_ok());
        for bad in ["", "a.b", "a*", "a>", "a b", &"x".repeat(65)] {
            assert!(RunId::new(bad).is_err(), "{bad:?}");
        }
        let fresh = RunId::fresh("epoch 42.x");
        assert!(RunId::new(fresh.as_str()).is_ok(), "{fresh}");
        assert!(fresh.as_str().starts_with("epoch42x-"));
        assert_ne!(RunId::fresh("e"), RunId::fresh("e"));
    }

    #[test]
    fn json_handler_refuses_an_undecodable_payload() {
        let h = json_handler(|x: u64| Ok::<_, String>(x + 1));
        assert_eq!(h.handle(b"41").as_deref(), Ok(&b"42"[..]));
        let err = h.handle(b"not json").expect_err("not json");
        assert!(err.contains("undecodable job payload"), "{err}");
    }
}

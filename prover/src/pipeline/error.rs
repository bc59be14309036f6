//! The pipeline's errors: each names the batch, the run or the (credential-free) server URL it
//! concerns.

use std::time::Duration;

/// Errors of the work queue. Every variant that concerns a server carries its URL with any
/// user, password or token removed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A run id is not usable as a NATS subject token.
    #[error("invalid run id {0:?}: 1 to 64 characters from A-Z, a-z, 0-9, '-' and '_' expected")]
    InvalidRunId(String),
    /// A run has more jobs than batch indices (`u32`).
    #[error("a run has at most {max} jobs, {given} given", max = u32::MAX)]
    TooManyJobs {
        /// The number of jobs given.
        given: usize,
    },
    /// The server could not be reached (refused, timed out, bad URL, authentication).
    #[error("cannot connect to NATS at {url}: {reason}")]
    Connect {
        /// The server URL, credentials removed.
        url: String,
        /// The client's reason.
        reason: String,
    },
    /// The server was reached, but setting up or using JetStream failed (JetStream not enabled,
    /// a stream or consumer that cannot be created or updated, a subscription refused).
    #[error("NATS at {url}: {what} failed: {reason}")]
    Server {
        /// The server URL, credentials removed.
        url: String,
        /// What was being done (for example "creating stream PROOFGATE_SOLVENCY_JOBS").
        what: String,
        /// The server's or client's reason, with a hint where one is known.
        reason: String,
    },
    /// Publishing a job failed (no publish acknowledgement from the jobs stream).
    #[error("run {run}: publishing the job of batch {batch} failed: {reason}")]
    Publish {
        /// The run.
        run: String,
        /// The batch.
        batch: u32,
        /// The reason.
        reason: String,
    },
    /// A worker reported that it cannot do a job: the run fails with the worker's message.
    #[error("run {run}: batch {batch} failed on worker {worker}: {message}")]
    JobFailed {
        /// The run.
        run: String,
        /// The batch.
        batch: u32,
        /// The worker that reported the failure.
        worker: String,
        /// The worker's message.
        message: String,
    },
    /// A job was delivered `max_deliver` times without being acknowledged (every worker that
    /// took it died or stalled): JetStream will not deliver it again.
    #[error(
        "run {run}: batch {batch} exhausted its {deliveries} deliveries without a result \
         (each worker that took it died or stalled past the ack wait)"
    )]
    MaxDeliveries {
        /// The run.
        run: String,
        /// The batch.
        batch: u32,
        /// How many times the job was delivered.
        deliveries: u64,
    },
    /// The caller's check refused the first result of a batch.
    #[error("run {run}: the result of batch {batch} from worker {worker} was refused: {reason}")]
    Rejected {
        /// The run.
        run: String,
        /// The batch.
        batch: u32,
        /// The worker that produced it.
        worker: String,
        /// The check's reason.
        reason: String,
    },
    /// A duplicate result of a batch differs from the accepted one in a field the caller's
    /// check compares.
    #[error("run {run}: two results of batch {batch} disagree: {reason}")]
    Disagree {
        /// The run.
        run: String,
        /// The batch.
        batch: u32,
        /// The check's reason.
        reason: String,
    },
    /// Not every batch had a result within the run's timeout.
    #[error(
        "run {run}: timed out after {:.0?} with {done} of {total} batches done; missing: {missing:?}",
        after
    )]
    Timeout {
        /// The run.
        run: String,
        /// The run's timeout.
        after: Duration,
        /// Batches with a result.
        done: usize,
        /// Batches in the run.
        total: usize,
        /// The batches without a result (at most the first 32).
        missing: Vec<u32>,
    },
    /// The in-process handler panicked on a job.
    #[error("run {run}: the handler panicked on batch {batch}: {reason}")]
    Panicked {
        /// The run.
        run: String,
        /// The batch.
        batch: u32,
        /// The panic's message, when it has one.
        reason: String,
    },
    /// The result stream or the advisory subscription ended before the run completed.
    #[error("run {run}: {what} ended before every batch had a result (connection to {url} lost?)")]
    Interrupted {
        /// The run.
        run: String,
        /// What ended.
        what: String,
        /// The server URL, credentials removed.
        url: String,
    },
}

/// `Result` with the pipeline's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

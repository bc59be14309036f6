//! The NATS JetStream engine: jobs on a work-queue stream, results on a second stream.
//!
//! - Jobs: stream [`QueueNames::jobs_stream`] (`PROOFGATE_SOLVENCY_JOBS`), subjects
//!   `proofgate.solvency.jobs.<run>`, work-queue retention, file storage. Each job carries the
//!   headers `Nats-Msg-Id: <run>.<batch>` (the server drops a republished job within its
//!   duplicate window), [`HEADER_RUN`] and [`HEADER_BATCH`].
//! - Workers share the durable pull consumer [`QueueNames::consumer`] (`provers`): explicit
//!   acks, `ack_wait` (default 30 s) and `max_deliver` (default 3). A job is delivered to one
//!   worker at a time and redelivered when its worker neither acks nor reports progress within
//!   `ack_wait`: delivery is at least once, and a result may arrive more than once.
//! - Results: stream [`QueueNames::results_stream`] (`PROOFGATE_SOLVENCY_RESULTS`), subjects
//!   `proofgate.solvency.results.<run>`, limits retention (kept for a day). The collector reads
//!   them from the start of the run, keeps the first per batch and drops the rest.
//! - A job delivered `max_deliver` times without an ack makes the server publish
//!   `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.<stream>.<consumer>`; the collector maps its
//!   `stream_seq` to the batch through the publish acknowledgements and fails the run.

mod collect;
mod server;
mod setup;
mod worker;

use std::time::Duration;

pub use collect::{publish_result, run};
pub use server::{LocalServer, ServerError};
pub use setup::{connect, redact_url, Queue};
pub use worker::{run_worker, run_worker_until, WorkerStats};

/// Header naming a message's run.
pub const HEADER_RUN: &str = "Proofgate-Run";
/// Header naming a message's batch index (decimal).
pub const HEADER_BATCH: &str = "Proofgate-Batch";
/// Header naming the worker that produced a result.
pub const HEADER_WORKER: &str = "Proofgate-Worker";
/// Header of a result: `ok` (the payload is the result) or `error` (the payload is the
/// worker's message, UTF-8).
pub const HEADER_STATUS: &str = "Proofgate-Status";

/// The names of the streams, subjects and consumer. The defaults are the solvency pipeline's;
/// another pipeline on the same server takes other names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueNames {
    /// The work-queue stream of jobs.
    pub jobs_stream: String,
    /// The stream of results.
    pub results_stream: String,
    /// Jobs are published on `<jobs_subject>.<run>`.
    pub jobs_subject: String,
    /// Results are published on `<results_subject>.<run>`.
    pub results_subject: String,
    /// The durable pull consumer the workers share.
    pub consumer: String,
}

impl Default for QueueNames {
    fn default() -> Self {
        QueueNames {
            jobs_stream: "PROOFGATE_SOLVENCY_JOBS".into(),
            results_stream: "PROOFGATE_SOLVENCY_RESULTS".into(),
            jobs_subject: "proofgate.solvency.jobs".into(),
            results_subject: "proofgate.solvency.results".into(),
            consumer: "provers".into(),
        }
    }
}

impl QueueNames {
    /// The subject of a run's jobs.
    pub fn jobs_of(&self, run: &str) -> String {
        format!("{}.{run}", self.jobs_subject)
    }

    /// The subject of a run's results.
    pub fn results_of(&self, run: &str) -> String {
        format!("{}.{run}", self.results_subject)
    }

    /// The advisory the server publishes when a job of the consumer exhausts its deliveries.
    pub fn max_deliveries_advisory(&self) -> String {
        format!("$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{}.{}", self.jobs_stream, self.consumer)
    }
}

/// Options of the NATS engine, for the publisher and the workers alike. Whoever connects
/// creates or updates the streams and the consumer with these values (so the last process to
/// start sets `ack_wait` and `max_deliver` for everyone; workers read the consumer's actual
/// `ack_wait` back for their progress acks).
#[derive(Clone, Debug)]
pub struct NatsOptions {
    /// How long a delivered job may go without an ack or progress before redelivery.
    pub ack_wait: Duration,
    /// How many times a job is delivered before the run fails on it.
    pub max_deliver: i64,
    /// The limit for connecting to the server.
    pub connect_timeout: Duration,
    /// This process's name (worker name in results, client name on the server); defaults to
    /// `<host>-<pid>`.
    pub name: Option<String>,
    /// How long one pull request of a worker waits for a job before it asks again.
    pub poll: Duration,
    /// Stream, subject and consumer names.
    pub names: QueueNames,
}

impl Default for NatsOptions {
    fn default() -> Self {
        NatsOptions {
            ack_wait: Duration::from_secs(30),
            max_deliver: 3,
            connect_timeout: Duration::from_secs(5),
            name: None,
            poll: Duration::from_secs(5),
            names: QueueNames::default(),
        }
    }
}

impl NatsOptions {
    /// The process's name: [`NatsOptions::name`] or `<host>-<pid>`.
    pub fn process_name(&self) -> String {
        if let Some(name) = &self.name {
            return name.clone();
        }
        let host = std::env::var("HOSTNAME")
            .ok()
            .filter(|h| !h.is_empty())
            .or_else(|| std::fs::read_to_string("/etc/hostname").ok().map(|h| h.trim().to_string()))
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "worker".to_string());
        format!("{host}-{}", std::process::id())
    }
}

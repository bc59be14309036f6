//! A transport-level work queue: a run of jobs (opaque payloads, one per batch) is done by
//! workers in this process or on NATS JetStream, and one result per batch comes back.
//!
//! Guarantees, for both engines:
//! - Every batch of a run ends with exactly one accepted result, or the run fails with an
//!   error naming the batch (a worker's refusal, exhausted deliveries, a result the caller's
//!   [`ResultCheck`] refuses) or the missing batches (timeout).
//! - Delivery to workers is at least once (NATS: a job is redelivered when its worker dies or
//!   stalls past `ack_wait`, up to `max_deliver` times); results are deduplicated by batch
//!   index: the first accepted result wins, later ones are compared with
//!   [`ResultCheck::same`] and dropped.
//!
//! The payloads are bytes; [`Run::from_json`], [`json_handler`] and [`WorkResult::json`] carry
//! serde types. The pipeline knows nothing of what a job is.

mod collect;
pub mod error;
pub mod job;
pub mod local;
pub mod nats;

use std::sync::Arc;

pub use error::{Error, Result};
pub use job::{json_handler, AcceptAll, Handler, Outcome, ResultCheck, Run, RunId, WorkResult};
pub use nats::NatsOptions;

/// Where a run's jobs are done.
#[derive(Clone, Debug, Default)]
#[allow(clippy::large_enum_variant)] // one per run: boxing the options would only burden callers
pub enum Engine {
    /// In this process, one job after another (the default).
    #[default]
    InProcess,
    /// On workers ([`nats::run_worker`]) sharing a NATS JetStream server.
    Nats {
        /// The server URL (may hold credentials; they are never logged or shown).
        url: String,
        /// Streams, consumer, ack wait and deliveries.
        options: NatsOptions,
    },
}

/// Does every job of `run` on `engine` and returns the accepted results in batch order.
///
/// `handler` does the jobs in process ([`Engine::InProcess`]); on NATS the workers run their
/// own and `handler` is unused. `check` vets each batch's first result and compares
/// duplicates. See the module documentation for the guarantees.
pub async fn execute(
    engine: &Engine,
    run: &Run,
    handler: Arc<dyn Handler>,
    check: &dyn ResultCheck,
) -> Result<Vec<WorkResult>> {
    match engine {
        Engine::InProcess => local::run(run, handler, check).await,
        Engine::Nats { url, options } => nats::run(url, options, run, check).await,
    }
}

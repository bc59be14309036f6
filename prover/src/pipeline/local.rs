//! The in-process engine: the run's jobs one after another on a blocking thread (the handler
//! may use every core itself, as arkworks does), through the same collector as NATS.

use std::sync::Arc;

use tracing::info;

use super::collect::{Arrival, Collector};
use super::error::{Error, Result};
use super::job::{Handler, Outcome, ResultCheck, Run, WorkResult};

/// The worker name in-process results carry.
pub const IN_PROCESS_WORKER: &str = "in-process";

/// Runs every job of `run` in batch order with `handler`, checking each result with `check`.
///
/// Fails on the first job the handler refuses ([`Error::JobFailed`]), on a result `check`
/// refuses, on a panic in the handler, or when the run's timeout passes (the job then running
/// finishes on its thread; its result is discarded).
pub async fn run(
    run: &Run,
    handler: Arc<dyn Handler>,
    check: &dyn ResultCheck,
) -> Result<Vec<WorkResult>> {
    let mut collector = Collector::new(run, check);
    let work = async {
        for (batch, job) in (0u32..).zip(&run.jobs) {
            let handler = Arc::clone(&handler);
            let job = job.clone();
            let started = std::time::Instant::now();
            let outcome =
                tokio::task::spawn_blocking(move || handler.handle(&job)).await.map_err(|e| {
                    Error::Panicked { run: run.id.to_string(), batch, reason: panic_message(e) }
                })?;
            info!(target: "proofgate::pipeline", run = %run.id, batch,
                secs = started.elapsed().as_secs_f64(), ok = outcome.is_ok(), "job done in process");
            let outcome = match outcome {
                Ok(payload) => Outcome::Done(payload),
                Err(message) => Outcome::Failed(message),
            };
            collector.offer(Arrival { batch, worker: IN_PROCESS_WORKER.to_string(), outcome })?;
        }
        Ok::<_, Error>(())
    };
    match tokio::time::timeout(run.timeout, work).await {
        Ok(outcome) => outcome?,
        Err(_) => {
            return Err(Error::Timeout {
                run: run.id.to_string(),
                after: run.timeout,
                done: collector.done(),
                total: run.jobs.len(),
                missing: collector.missing(),
            })
        }
    }
    collector.finish().ok_or_else(|| Error::Timeout {
        run: run.id.to_string(),
        after: run.timeout,
        done: 0,
        total: run.jobs.len(),
        missing: Vec::new(),
    })
}

/// The message of a panicked (or cancelled) blocking task.
pub(crate) fn panic_message(e: tokio::task::JoinError) -> String {
    match e.try_into_panic() {
        Ok(payload) => payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "non-string panic payload".to_string()),
        Err(e) => e.to_string(),
    }
}

//! The worker loop: one job at a time from the shared consumer, progress acks while it runs,
//! the result published before the job is acked.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, AckKind};
use futures_util::StreamExt;
use tracing::{info, warn};

use super::collect::publish_result;
use super::setup::Queue;
use super::{NatsOptions, HEADER_BATCH, HEADER_RUN};
use crate::pipeline::error::Result;
use crate::pipeline::job::{Handler, Outcome, RunId};
use crate::pipeline::local::panic_message;

/// What a worker did before it stopped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WorkerStats {
    /// Jobs whose result was published and acked.
    pub done: u64,
    /// Jobs the handler refused (error result published, job terminated).
    pub failed: u64,
    /// Messages that were not jobs of this pipeline (no run or batch header), terminated.
    pub malformed: u64,
}

/// Runs a worker against the server at `url` until SIGTERM or Ctrl-C.
///
/// A signal stops the worker after the job it is running: its result is published and acked
/// first (a second signal does not hurry it; SIGKILL does, and the job is then redelivered to
/// another worker after `ack_wait`). See [`run_worker_until`] for the loop's guarantees.
pub async fn run_worker(
    url: &str,
    options: &NatsOptions,
    handler: Arc<dyn Handler>,
) -> Result<WorkerStats> {
    run_worker_until(url, options, handler, shutdown_signal()).await
}

/// The longest interval between progress acks while a job runs.
const MAX_PROGRESS_INTERVAL: Duration = Duration::from_secs(5);

/// How often a running job is acknowledged as in progress: a third of the consumer's ack wait
/// read at start, at most [`MAX_PROGRESS_INTERVAL`] (another process may shorten the shared ack
/// wait later) and at least 100 ms.
fn progress_interval(ack_wait: Duration) -> Duration {
    (ack_wait / 3).clamp(Duration::from_millis(100), MAX_PROGRESS_INTERVAL)
}

/// Runs a worker until `shutdown` completes. The stop is graceful: the pull request in flight
/// (at most `options.poll`) and a job it brings or one already running are finished, the
/// result published and the job acked, before the worker returns.
///
/// Per job: the handler runs on a blocking thread while the worker sends `AckKind::Progress`
/// every third of the consumer's `ack_wait`, so a job longer than `ack_wait` is not
/// redelivered while its worker lives. Then the result is published (awaiting the stream's
/// acknowledgement) and only then the job is acked, so a worker that dies at any point loses
/// nothing: its job is redelivered and at worst produces a second result, which the collector
/// drops. A job the handler refuses (or panics on) gets an error result and `AckKind::Term`
/// (never redelivered; the run fails with the message). If publishing the result fails the job
/// is left unacked, to be redelivered.
pub async fn run_worker_until(
    url: &str,
    options: &NatsOptions,
    handler: Arc<dyn Handler>,
    shutdown: impl Future<Output = ()>,
) -> Result<WorkerStats> {
    let queue = Queue::open(url, options).await?;
    let name = options.process_name();
    let ack_wait = queue.ack_wait().await;
    // Every process that opens the queue sets the shared consumer's ack wait, so another one
    // (a collector with other options) may shorten it while this worker runs: progress is sent
    // at least every few seconds, whatever the ack wait read at start.
    let progress_every = progress_interval(ack_wait);
    info!(target: "proofgate::pipeline", worker = %name, url = %queue.url,
        ack_wait_s = ack_wait.as_secs_f64(), "worker started");
    let mut stats = WorkerStats::default();
    tokio::pin!(shutdown);
    let mut stopping = false;
    while !stopping {
        // A pull request in flight is let finish (at most `options.poll`): a job it brings is
        // already delivered to this worker, so it is done before stopping rather than left to
        // time out.
        let fetch = fetch_one(&queue);
        tokio::pin!(fetch);
        let next = loop {
            tokio::select! {
                biased;
                () = &mut shutdown, if !stopping => stopping = true,
                next = &mut fetch => break next,
            }
        };
        match next {
            Ok(Some(message)) => {
                let job = Job { queue: &queue, worker: &name, handler: &handler, progress_every };
                job.process(message, &mut stats).await;
            }
            Ok(None) => {}
            Err(e) if !stopping => {
                warn!(target: "proofgate::pipeline", worker = %name, error = %e,
                    "pulling a job failed; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(_) => {}
        }
    }
    info!(target: "proofgate::pipeline", worker = %name, done = stats.done,
        failed = stats.failed, "worker stopped");
    Ok(stats)
}

/// One pull request for one job, waiting at most `options.poll`.
async fn fetch_one(queue: &Queue) -> std::result::Result<Option<jetstream::Message>, String> {
    let mut batch = queue
        .consumer
        .fetch()
        .max_messages(1)
        .expires(queue.options.poll)
        .messages()
        .await
        .map_err(|e| e.to_string())?;
    match batch.next().await {
        Some(Ok(message)) => Ok(Some(message)),
        Some(Err(e)) => Err(e.to_string()),
        None => Ok(None),
    }
}

/// What a worker needs to process one delivered job.
struct Job<'a> {
    queue: &'a Queue,
    worker: &'a str,
    handler: &'a Arc<dyn Handler>,
    progress_every: Duration,
}

impl Job<'_> {
    async fn process(&self, message: jetstream::Message, stats: &mut WorkerStats) {
        let (attempt, delivered) = match message.info() {
            Ok(info) => (format!("{}-{}", info.stream_sequence, info.delivered), info.delivered),
            Err(_) => ("unknown".to_string(), 0),
        };
        let Some((run, batch)) = job_headers(&message) else {
            warn!(target: "proofgate::pipeline", worker = %self.worker, subject = %message.subject,
                "a message without valid run and batch headers; terminating it");
            stats.malformed += 1;
            if let Err(e) = message.ack_with(AckKind::Term).await {
                warn!(target: "proofgate::pipeline", error = %e, "terminating it failed");
            }
            return;
        };
        info!(target: "proofgate::pipeline", worker = %self.worker, run = %run, batch, delivered,
            "job started");
        let started = Instant::now();
        let outcome = self.run_with_progress(&message).await;
        let secs = started.elapsed().as_secs_f64();
        if let Err(e) =
            publish_result(self.queue, &run, batch, &attempt, self.worker, &outcome).await
        {
            warn!(target: "proofgate::pipeline", worker = %self.worker, run = %run, batch,
                error = %e, "publishing the result failed; the job will be redelivered");
            return;
        }
        let ack = match &outcome {
            Outcome::Done(_) => {
                stats.done += 1;
                info!(target: "proofgate::pipeline", worker = %self.worker, run = %run, batch, secs,
                    "job done");
                message.double_ack().await
            }
            Outcome::Failed(reason) => {
                stats.failed += 1;
                warn!(target: "proofgate::pipeline", worker = %self.worker, run = %run, batch, secs,
                    %reason, "job refused; error result published");
                message.ack_with(AckKind::Term).await
            }
        };
        if let Err(e) = ack {
            warn!(target: "proofgate::pipeline", worker = %self.worker, run = %run, batch,
                error = %e, "acking the job failed; it may be redelivered (its duplicate result is dropped)");
        }
    }

    /// Runs the handler on a blocking thread, sending progress acks until it returns.
    async fn run_with_progress(&self, message: &jetstream::Message) -> Outcome {
        let handler = Arc::clone(self.handler);
        let payload = message.payload.clone();
        let mut task = tokio::task::spawn_blocking(move || handler.handle(&payload));
        let mut ticks = tokio::time::interval_at(
            tokio::time::Instant::now() + self.progress_every,
            self.progress_every,
        );
        let joined = loop {
            tokio::select! {
                joined = &mut task => break joined,
                _ = ticks.tick() => {
                    if let Err(e) = message.ack_with(AckKind::Progress).await {
                        warn!(target: "proofgate::pipeline", worker = %self.worker, error = %e,
                            "sending a progress ack failed");
                    }
                }
            }
        };
        match joined {
            Ok(Ok(bytes)) => Outcome::Done(bytes),
            Ok(Err(reason)) => Outcome::Failed(reason),
            Err(e) => {
                Outcome::Failed(format!("the worker's handler panicked: {}", panic_message(e)))
            }
        }
    }
}

/// The run and batch headers of a job message.
fn job_headers(message: &jetstream::Message) -> Option<(RunId, u32)> {
    let headers = message.headers.as_ref()?;
    let run = RunId::new(headers.get(HEADER_RUN)?.as_str()).ok()?;
    let batch = headers.get(HEADER_BATCH)?.as_str().parse().ok()?;
    Some((run, batch))
}

/// Completes on Ctrl-C or (on Unix) SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    info!(target: "proofgate::pipeline", "stop requested; finishing the current job");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_comes_at_least_every_five_seconds_whatever_the_ack_wait() {
        assert_eq!(progress_interval(Duration::from_secs(600)), Duration::from_secs(5));
        assert_eq!(progress_interval(Duration::from_secs(3)), Duration::from_secs(1));
        assert_eq!(progress_interval(Duration::from_millis(30)), Duration::from_millis(100));
    }
}

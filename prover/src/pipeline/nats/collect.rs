//! The publishing side: publish a run's jobs, collect one result per batch.

use std::collections::HashMap;

use async_nats::jetstream::{self, consumer};
use async_nats::HeaderMap;
use futures_util::StreamExt;
use tracing::{debug, info, warn};

use super::setup::Queue;
use super::{NatsOptions, HEADER_BATCH, HEADER_RUN, HEADER_STATUS, HEADER_WORKER};
use crate::pipeline::collect::{Arrival, Collector};
use crate::pipeline::error::{Error, Result};
use crate::pipeline::job::{Outcome, ResultCheck, Run, RunId, WorkResult};

/// Publishes every job of `run` to the jobs stream and collects the results the workers
/// publish, until every batch has one.
///
/// Guarantees: the first result of each batch that `check` accepts is returned, in batch
/// order; later results of the same batch are compared with `check.same` and dropped. The run
/// fails, naming the batch, when a worker reports a job it cannot do, when a job exhausts
/// `max_deliver` deliveries, or when the run's timeout passes. Whatever the outcome, the run's
/// remaining jobs are purged from the stream (best effort), so no worker proves them later.
pub async fn run(
    url: &str,
    options: &NatsOptions,
    run: &Run,
    check: &dyn ResultCheck,
) -> Result<Vec<WorkResult>> {
    let queue = Queue::open(url, options).await?;
    let mut collector = Collector::new(run, check);
    let outcome =
        tokio::time::timeout(run.timeout, publish_and_collect(&queue, run, &mut collector)).await;
    purge_jobs(&queue, &run.id).await;
    match outcome {
        Ok(Ok(())) => collector.finish().ok_or_else(|| Error::Interrupted {
            run: run.id.to_string(),
            what: "the collection".into(),
            url: queue.url.clone(),
        }),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(Error::Timeout {
            run: run.id.to_string(),
            after: run.timeout,
            done: collector.done(),
            total: run.jobs.len(),
            missing: collector.missing(),
        }),
    }
}

async fn publish_and_collect(
    queue: &Queue,
    run: &Run,
    collector: &mut Collector<'_>,
) -> Result<()> {
    let names = &queue.options.names;
    let id = run.id.as_str();
    let server_err = |what: &str, e: String| Error::Server {
        url: queue.url.clone(),
        what: what.to_string(),
        reason: e,
    };
    // Subscribe before publishing: the advisory is not stored, and results are read from the
    // start of the run's subject anyway.
    let advisory = names.max_deliveries_advisory();
    let mut advisories = queue
        .client
        .subscribe(advisory.clone())
        .await
        .map_err(|e| server_err(&format!("subscribing to {advisory}"), e.to_string()))?;
    let results_stream = queue.js.get_stream(&names.results_stream).await.map_err(|e| {
        server_err(&format!("opening stream {}", names.results_stream), e.to_string())
    })?;
    let mut results = results_stream
        .create_consumer(consumer::pull::OrderedConfig {
            filter_subject: names.results_of(id),
            deliver_policy: consumer::DeliverPolicy::All,
            ..Default::default()
        })
        .await
        .map_err(|e| server_err("creating the results consumer", e.to_string()))?
        .messages()
        .await
        .map_err(|e| server_err("reading the results", e.to_string()))?;

    let batch_of_seq = publish_jobs(queue, run).await?;
    info!(target: "proofgate::pipeline", run = %id, batches = run.jobs.len(), url = %queue.url,
        "jobs published; collecting results");

    while !collector.complete() {
        tokio::select! {
            message = results.next() => {
                let message = match message {
                    Some(Ok(m)) => m,
                    Some(Err(e)) => {
                        warn!(target: "proofgate::pipeline", run = %id, error = %e,
                            "reading results failed; the ordered consumer resumes");
                        continue;
                    }
                    None => return Err(Error::Interrupted {
                        run: id.to_string(),
                        what: "the results stream".into(),
                        url: queue.url.clone(),
                    }),
                };
                match parse_result(&message, id) {
                    Some(arrival) => collector.offer(arrival)?,
                    None => warn!(target: "proofgate::pipeline", run = %id,
                        subject = %message.subject, "dropping a result without valid headers"),
                }
            }
            advisory = advisories.next() => {
                let Some(advisory) = advisory else {
                    return Err(Error::Interrupted {
                        run: id.to_string(),
                        what: "the max-deliveries advisory subscription".into(),
                        url: queue.url.clone(),
                    });
                };
                if let Some((seq, deliveries)) = parse_advisory(&advisory.payload) {
                    if let Some(&batch) = batch_of_seq.get(&seq) {
                        if !collector.has(batch) {
                            return Err(Error::MaxDeliveries {
                                run: id.to_string(),
                                batch,
                                deliveries,
                            });
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// Publishes the jobs (awaiting every publish acknowledgement) and returns the stream sequence
/// of each batch's job. A job the server already holds (same `Nats-Msg-Id` within the
/// duplicate window) is acknowledged with its original sequence.
async fn publish_jobs(queue: &Queue, run: &Run) -> Result<HashMap<u64, u32>> {
    let id = run.id.as_str();
    let subject = queue.options.names.jobs_of(id);
    let publish_err = |batch: u32, reason: String| Error::Publish {
        run: id.to_string(),
        batch,
        reason: if reason.contains("Payload size limit") {
            format!("{reason} (raise max_payload in the NATS server's configuration)")
        } else {
            reason
        },
    };
    let mut pending = Vec::with_capacity(run.jobs.len());
    for (batch, job) in (0u32..).zip(&run.jobs) {
        let mut headers = HeaderMap::new();
        headers.insert("Nats-Msg-Id", format!("{id}.{batch}").as_str());
        headers.insert(HEADER_RUN, id);
        headers.insert(HEADER_BATCH, batch.to_string().as_str());
        let ack = queue
            .js
            .publish_with_headers(subject.clone(), headers, job.clone().into())
            .await
            .map_err(|e| publish_err(batch, e.to_string()))?;
        pending.push((batch, ack));
    }
    let mut batch_of_seq = HashMap::with_capacity(pending.len());
    for (batch, ack) in pending {
        let ack = ack.await.map_err(|e| publish_err(batch, e.to_string()))?;
        if ack.duplicate {
            debug!(target: "proofgate::pipeline", run = %id, batch, "job already in the stream");
        }
        batch_of_seq.insert(ack.sequence, batch);
    }
    Ok(batch_of_seq)
}

/// Publishes a result of `batch` on the run's results subject and awaits the stream's
/// acknowledgement. `attempt` distinguishes deliveries of the same job (the worker uses
/// `<stream sequence>-<delivery count>`): republishing the same attempt is dropped by the
/// server, results of different attempts all reach the collector, which keeps the first.
pub async fn publish_result(
    queue: &Queue,
    run: &RunId,
    batch: u32,
    attempt: &str,
    worker: &str,
    outcome: &Outcome,
) -> Result<()> {
    let worker: String = worker.chars().filter(|c| !c.is_control()).collect();
    let mut headers = HeaderMap::new();
    headers.insert("Nats-Msg-Id", format!("{run}.{batch}.{attempt}").as_str());
    headers.insert(HEADER_RUN, run.as_str());
    headers.insert(HEADER_BATCH, batch.to_string().as_str());
    headers.insert(HEADER_WORKER, worker.as_str());
    let payload = match outcome {
        Outcome::Done(bytes) => {
            headers.insert(HEADER_STATUS, "ok");
            bytes.clone()
        }
        Outcome::Failed(message) => {
            headers.insert(HEADER_STATUS, "error");
            message.as_bytes().to_vec()
        }
    };
    let subject = queue.options.names.results_of(run.as_str());
    let server_err = |e: String| Error::Server {
        url: queue.url.clone(),
        what: format!("publishing the result of batch {batch} of run {run}"),
        reason: e,
    };
    queue
        .js
        .publish_with_headers(subject, headers, payload.into())
        .await
        .map_err(|e| server_err(e.to_string()))?
        .await
        .map_err(|e| server_err(e.to_string()))?;
    Ok(())
}

/// Reads a result message's headers; `None` when they are missing or for another run.
fn parse_result(message: &jetstream::Message, run: &str) -> Option<Arrival> {
    let headers = message.headers.as_ref()?;
    let header = |name: &str| headers.get(name).map(|v| v.as_str().to_string());
    if header(HEADER_RUN)? != run {
        return None;
    }
    let batch = header(HEADER_BATCH)?.parse().ok()?;
    let worker = header(HEADER_WORKER).unwrap_or_else(|| "unnamed".into());
    let payload = message.payload.to_vec();
    let outcome = match header(HEADER_STATUS)?.as_str() {
        "ok" => Outcome::Done(payload),
        "error" => Outcome::Failed(String::from_utf8_lossy(&payload).into_owned()),
        _ => return None,
    };
    Some(Arrival { batch, worker, outcome })
}

/// The `stream_seq` and `deliveries` of a max-deliveries advisory.
fn parse_advisory(payload: &[u8]) -> Option<(u64, u64)> {
    let v: serde_json::Value = serde_json::from_slice(payload).ok()?;
    let seq = v.get("stream_seq")?.as_u64()?;
    let deliveries = v.get("deliveries").and_then(|d| d.as_u64()).unwrap_or(0);
    Some((seq, deliveries))
}

/// Removes the run's jobs that are still in the stream (failed or timed-out runs leave some).
async fn purge_jobs(queue: &Queue, run: &RunId) {
    let subject = queue.options.names.jobs_of(run.as_str());
    match queue.jobs.purge().filter(subject).await {
        Ok(r) if r.purged > 0 => {
            info!(target: "proofgate::pipeline", run = %run, purged = r.purged, "left-over jobs purged")
        }
        Ok(_) => {}
        Err(e) => warn!(target: "proofgate::pipeline", run = %run, error = %e,
            "purging the run's left-over jobs failed"),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_advisory;

    #[test]
    fn reads_the_max_deliveries_advisory() {
        let json = br#"{"type":"io.nats.jetstream.advisory.v1.max_deliver","id":"x",
            "timestamp":"2024-01-01T00:00:00Z","stream":"S","consumer":"provers",
            "stream_seq":7,"deliveries":3}"#;
        assert_eq!(parse_advisory(json), Some((7, 3)));
        assert_eq!(parse_advisory(b"{}"), None);
    }
}

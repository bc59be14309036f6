//! Connecting and the idempotent set-up of the streams and the consumer.

use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};
use tracing::info;

use super::NatsOptions;
use crate::pipeline::error::{Error, Result};

/// `url` with any `user:password@` or `token@` removed from each server of a comma-separated
/// list, for messages and logs (`nats://alice:s3cret@host:4222` → `nats://***@host:4222`).
pub fn redact_url(url: &str) -> String {
    url.split(',')
        .map(|server| {
            let (scheme, rest) = match server.find("://") {
                Some(i) => server.split_at(i + 3),
                None => ("", server),
            };
            match rest.rfind('@') {
                Some(at) => format!("{scheme}***{}", &rest[at..]),
                None => server.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Connects to `url` (fails at once, naming the URL without credentials, when no server
/// answers within `options.connect_timeout`).
pub async fn connect(url: &str, options: &NatsOptions) -> Result<async_nats::Client> {
    async_nats::ConnectOptions::new()
        .name(options.process_name())
        .connection_timeout(options.connect_timeout)
        .connect(url)
        .await
        .map_err(|e| Error::Connect { url: redact_url(url), reason: e.to_string() })
}

/// A connection with the streams and the consumer in place.
pub struct Queue {
    pub(crate) client: async_nats::Client,
    pub(crate) js: jetstream::Context,
    pub(crate) url: String,
    pub(crate) options: NatsOptions,
    pub(crate) jobs: stream::Stream,
    pub(crate) consumer: consumer::PullConsumer,
}

impl Queue {
    /// Connects and creates or updates (idempotently) the jobs stream, the results stream and
    /// the workers' consumer from `options`.
    ///
    /// Errors name the URL (credentials removed) and the step: the connection, JetStream not
    /// enabled on the server, a stream or consumer whose existing configuration cannot be
    /// changed to this one.
    pub async fn open(url: &str, options: &NatsOptions) -> Result<Self> {
        let client = connect(url, options).await?;
        let js = jetstream::new(client.clone());
        let shown = redact_url(url);
        let names = &options.names;
        let server_err =
            |what: String, e: String| Error::Server { url: shown.clone(), what, reason: hint(&e) };
        js.query_account()
            .await
            .map_err(|e| server_err("querying the JetStream account".into(), e.to_string()))?;
        let jobs_config = stream::Config {
            name: names.jobs_stream.clone(),
            subjects: vec![format!("{}.*", names.jobs_subject)],
            retention: stream::RetentionPolicy::WorkQueue,
            storage: stream::StorageType::File,
            duplicate_window: Duration::from_secs(120),
            ..Default::default()
        };
        js.create_or_update_stream(jobs_config).await.map_err(|e| {
            server_err(format!("creating stream {}", names.jobs_stream), e.to_string())
        })?;
        let results_config = stream::Config {
            name: names.results_stream.clone(),
            subjects: vec![format!("{}.*", names.results_subject)],
            retention: stream::RetentionPolicy::Limits,
            storage: stream::StorageType::File,
            max_age: Duration::from_secs(24 * 3600),
            duplicate_window: Duration::from_secs(120),
            ..Default::default()
        };
        js.create_or_update_stream(results_config).await.map_err(|e| {
            server_err(format!("creating stream {}", names.results_stream), e.to_string())
        })?;
        let jobs = js.get_stream(&names.jobs_stream).await.map_err(|e| {
            server_err(format!("opening stream {}", names.jobs_stream), e.to_string())
        })?;
        let consumer_config = consumer::pull::Config {
            durable_name: Some(names.consumer.clone()),
            ack_policy: consumer::AckPolicy::Explicit,
            ack_wait: options.ack_wait,
            max_deliver: options.max_deliver,
            deliver_policy: consumer::DeliverPolicy::All,
            ..Default::default()
        };
        let consumer = jobs.create_consumer(consumer_config).await.map_err(|e| {
            server_err(
                format!("creating consumer {} on {}", names.consumer, names.jobs_stream),
                e.to_string(),
            )
        })?;
        info!(target: "proofgate::pipeline", url = %shown, stream = %names.jobs_stream,
            consumer = %names.consumer, ack_wait_s = options.ack_wait.as_secs_f64(),
            max_deliver = options.max_deliver, "queue ready");
        Ok(Queue { client, js, url: shown, options: options.clone(), jobs, consumer })
    }

    /// The server URL, credentials removed.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The options the queue was opened with.
    pub fn options(&self) -> &NatsOptions {
        &self.options
    }

    /// The core NATS client.
    pub fn client(&self) -> &async_nats::Client {
        &self.client
    }

    /// The JetStream context.
    pub fn jetstream(&self) -> &jetstream::Context {
        &self.js
    }

    /// The workers' durable pull consumer.
    pub fn consumer(&self) -> &consumer::PullConsumer {
        &self.consumer
    }

    /// The consumer's `ack_wait` as the server has it now (another process may have set it).
    pub async fn ack_wait(&self) -> Duration {
        let mut consumer = self.consumer.clone();
        match consumer.info().await {
            Ok(info) => info.config.ack_wait,
            Err(_) => self.options.ack_wait,
        }
    }
}

/// Adds what is known about a failure's cause.
fn hint(reason: &str) -> String {
    let lower = reason.to_ascii_lowercase();
    if lower.contains("no responders")
        || lower.contains("jetstream not enabled")
        || lower.contains("jetstream unavailable")
        || lower.contains("not available")
    {
        format!("{reason} (JetStream is not enabled on the server: start nats-server with -js)")
    } else {
        reason.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn credentials_never_show() {
        assert_eq!(redact_url("nats://alice:s3cret@host:4222"), "nats://***@host:4222");
        assert_eq!(redact_url("tok@host:4222"), "***@host:4222");
        assert_eq!(redact_url("nats://a:b@h1:1,nats://h2:2"), "nats://***@h1:1,nats://h2:2");
        assert_eq!(redact_url("nats://127.0.0.1:4222"), "nats://127.0.0.1:4222");
    }
}

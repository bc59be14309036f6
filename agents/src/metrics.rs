//! The daemon's counters, and a Prometheus text endpoint serving them (`GET /metrics`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tracing::{debug, info, warn};

/// One agent's counters.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AgentCounters {
    /// Proofs made.
    pub proofs: u64,
    /// Seconds spent proving.
    pub proving_seconds: f64,
    /// Gated trades mined successfully.
    pub executed: u64,
    /// Gated trades that reverted (on chain or in the pre-flight call).
    pub reverted: u64,
    /// Proposals skipped (nothing to do, inactive, or shrunk to nothing).
    pub skipped: u64,
    /// Proposals the native reference refused.
    pub refused: u64,
    /// Gas used by mined gated trades.
    pub gas_used: u64,
    /// RPC errors met (each followed by a retry with backoff).
    pub rpc_errors: u64,
    /// Solvency attestations made.
    pub attestations: u64,
    /// Solvency attestations that failed (insolvent book, statement mismatch, revert).
    pub attestation_failures: u64,
    /// Proposals held back by the solvency gate (stale or missing attestation).
    pub solvency_paused: u64,
    /// Gauge: seconds since the node's latest block was produced (its timestamp to now).
    pub head_age_s: f64,
    /// Gauge: journal entries proving, proved, submitted, or executed but not yet final.
    pub pending_entries: u64,
    /// Gauge: the agent account's balance, in ether.
    pub balance_eth: f64,
    /// Gauge: unix time of the last executed trade (0: none yet).
    pub last_executed_at: u64,
    /// Times the agent's task was restarted after a panic.
    pub restarts: u64,
    /// Transactions replaced with bumped fees.
    pub tx_replacements: u64,
    /// Journaled transactions broadcast again (after a restart or a drop).
    pub tx_rebroadcasts: u64,
    /// Executed trades a reorg removed.
    pub reorgs: u64,
}

/// Counters of every agent, shared between the agents and the endpoint.
#[derive(Debug, Default)]
pub struct Metrics {
    agents: Mutex<BTreeMap<String, AgentCounters>>,
}

impl Metrics {
    /// New, empty counters.
    pub fn new() -> Arc<Self> {
        Arc::default()
    }

    /// Updates `agent`'s counters.
    pub fn update(&self, agent: &str, change: impl FnOnce(&mut AgentCounters)) {
        let mut agents = self.agents.lock().unwrap_or_else(PoisonError::into_inner);
        change(agents.entry(agent.to_string()).or_default());
    }

    /// A copy of every agent's counters.
    pub fn snapshot(&self) -> BTreeMap<String, AgentCounters> {
        self.agents.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// The counters in Prometheus' text exposition format.
    pub fn render(&self) -> String {
        let agents = self.snapshot();
        let mut out = String::new();
        let families: [Family; 19] = [
            ("proofgate_proofs_total", "counter", "Proofs made.", |c| c.proofs as f64),
            ("proofgate_proving_seconds_total", "counter", "Seconds spent proving.", |c| {
                c.proving_seconds
            }),
            ("proofgate_trades_executed_total", "counter", "Gated trades executed.", |c| {
                c.executed as f64
            }),
            ("proofgate_trades_reverted_total", "counter", "Gated trades reverted.", |c| {
                c.reverted as f64
            }),
            ("proofgate_trades_skipped_total", "counter", "Proposals skipped.", |c| {
                c.skipped as f64
            }),
            ("proofgate_trades_refused_total", "counter", "Trades the reference refused.", |c| {
                c.refused as f64
            }),
            ("proofgate_gas_used_total", "counter", "Gas used by gated trades.", |c| {
                c.gas_used as f64
            }),
            ("proofgate_rpc_errors_total", "counter", "RPC errors (retried).", |c| {
                c.rpc_errors as f64
            }),
            ("proofgate_attestations_total", "counter", "Solvency attestations made.", |c| {
                c.attestations as f64
            }),
            ("proofgate_attestation_failures_total", "counter", "Failed attestations.", |c| {
                c.attestation_failures as f64
            }),
            (
                "proofgate_solvency_paused_total",
                "counter",
                "Proposals held back by the solvency gate.",
                |c| c.solvency_paused as f64,
            ),
            (
                "proofgate_head_age_seconds",
                "gauge",
                "Seconds since the node's latest block was produced.",
                |c| c.head_age_s,
            ),
            (
                "proofgate_pending_entries",
                "gauge",
                "Journal entries not yet final (proving, proved, submitted, or executed but not final).",
                |c| c.pending_entries as f64,
            ),
            ("proofgate_account_balance_eth", "gauge", "The agent account's balance, ether.", |c| {
                c.balance_eth
            }),
            (
                "proofgate_last_executed_trade_timestamp_seconds",
                "gauge",
                "Unix time of the last executed trade (0: none yet).",
                |c| c.last_executed_at as f64,
            ),
            (
                "proofgate_agent_restarts_total",
                "counter",
                "Restarts of the agent's task after a panic.",
                |c| c.restarts as f64,
            ),
            (
                "proofgate_tx_replacements_total",
                "counter",
                "Transactions replaced with bumped fees.",
                |c| c.tx_replacements as f64,
            ),
            (
                "proofgate_tx_rebroadcasts_total",
                "counter",
                "Journaled transactions broadcast again.",
                |c| c.tx_rebroadcasts as f64,
            ),
            ("proofgate_reorgs_total", "counter", "Executed trades a reorg removed.", |c| {
                c.reorgs as f64
            }),
        ];
        for (name, kind, help, value) in families {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for (agent, counters) in &agents {
                let _ = writeln!(out, "{name}{{agent=\"{}\"}} {}", escape(agent), value(counters));
            }
        }
        out
    }
}

/// A metric family: name, type, help and how to read it from an agent's counters.
type Family = (&'static str, &'static str, &'static str, fn(&AgentCounters) -> f64);

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Serves `metrics` on `listener` (`GET /metrics`; anything else is 404) until `shutdown`
/// turns true.
pub async fn serve(
    listener: TcpListener,
    metrics: Arc<Metrics>,
    mut shutdown: watch::Receiver<bool>,
) {
    if let Ok(addr) = listener.local_addr() {
        info!(target: "proofgate::metrics", %addr, "metrics endpoint listening");
    }
    loop {
        let (mut stream, peer) = tokio::select! {
            _ = shutdown.wait_for(|stop| *stop) => return,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    warn!(target: "proofgate::metrics", error = %e, "accept failed");
                    continue;
                }
            },
        };
        let metrics = metrics.clone();
        tokio::spawn(async move {
            let mut request = [0u8; 1024];
            let n = stream.read(&mut request).await.unwrap_or(0);
            let line = String::from_utf8_lossy(&request[..n]);
            let (status, body) = if line.starts_with("GET /metrics ") {
                ("200 OK", crate::redact::redact(&metrics.render()).into_owned())
            } else {
                ("404 Not Found", "try GET /metrics\n".to_string())
            };
            let response = format!(
                "HTTP/1.1 {status}\r\ncontent-type: text/plain; version=0.0.4\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            if let Err(e) = stream.write_all(response.as_bytes()).await {
                debug!(target: "proofgate::metrics", %peer, error = %e, "write failed");
            }
        });
    }
}

/// Binds `addr` and serves in the background; returns the bound address.
pub async fn spawn(
    addr: SocketAddr,
    metrics: Arc<Metrics>,
    shutdown: watch::Receiver<bool>,
) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    tokio::spawn(serve(listener, metrics, shutdown));
    Ok(bound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_endpoint_serves_every_agents_counters() -> Result<(), Box<dyn std::error::Error>> {
        let metrics = Metrics::new();
        metrics.update("alpha", |c| {
            c.proofs += 2;
            c.gas_used += 900_000;
        });
        metrics.update("beta \"b\"", |c| c.refused += 1);
        let (stop, shutdown) = watch::channel(false);
        let addr = spawn("127.0.0.1:0".parse()?, metrics, shutdown).await?;
        let mut stream = tokio::net::TcpStream::connect(addr).await?;
        stream.write_all(b"GET /metrics HTTP/1.1\r\nhost: x\r\n\r\n").await?;
        let mut response = String::new();
        stream.read_to_string(&mut response).await?;
        assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
        assert!(response.contains("proofgate_proofs_total{agent=\"alpha\"} 2"), "{response}");
        assert!(response.contains("proofgate_gas_used_total{agent=\"alpha\"} 900000"));
        assert!(response.contains("proofgate_trades_refused_total{agent=\"beta \\\"b\\\"\"} 1"));
        let _ = stop.send(true);
        Ok(())
    }

    #[test]
    fn gauges_and_lifecycle_counters_are_rendered_with_their_types() {
        let metrics = Metrics::new();
        metrics.update("a", |c| {
            c.head_age_s = 2.5;
            c.pending_entries = 3;
            c.balance_eth = 9.75;
            c.last_executed_at = 1_790_000_000;
            c.restarts = 1;
            c.tx_replacements = 4;
            c.tx_rebroadcasts = 5;
            c.reorgs = 6;
        });
        let text = metrics.render();
        for (name, kind, value) in [
            ("proofgate_head_age_seconds", "gauge", "2.5"),
            ("proofgate_pending_entries", "gauge", "3"),
            ("proofgate_account_balance_eth", "gauge", "9.75"),
            ("proofgate_last_executed_trade_timestamp_seconds", "gauge", "1790000000"),
            ("proofgate_agent_restarts_total", "counter", "1"),
            ("proofgate_tx_replacements_total", "counter", "4"),
            ("proofgate_tx_rebroadcasts_total", "counter", "5"),
            ("proofgate_reorgs_total", "counter", "6"),
        ] {
            assert!(text.contains(&format!("# TYPE {name} {kind}\n")), "{name} type: {text}");
            assert!(text.contains(&format!("{name}{{agent=\"a\"}} {value}\n")), "{name}: {text}");
        }
    }
}

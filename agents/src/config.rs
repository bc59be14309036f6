//! The daemon's TOML configuration, validated at start with errors that name the field.
//!
//! ```toml
//! version = 1
//! rpc_url = "http://127.0.0.1:8545"
//! chain_id = 31337
//! deployment = "deployments/31337.json"   # written by `proofgate-agent deploy`
//! proving_key = "keys/risk.pk"            # from `proofgate setup`
//! journal = ".proofgate/journal.sqlite"
//! metrics_listen = "127.0.0.1:9464"       # optional Prometheus endpoint
//! max_concurrent_proofs = 1
//! poll_interval_ms = 200
//!
//! [gas]
//! max_fee_gwei = 50            # the most any transaction (or replacement) may pay per gas
//! priority_fee_gwei = 1
//! gas_limit = 900000
//!
//! [rpc]                        # optional; defaults suit hosted RPC endpoints
//! connect_timeout_ms = 5000
//! request_timeout_ms = 20000
//! log_chunk_blocks = 500       # getLogs spans at most this many blocks per request
//!
//! [tx]                         # optional: the transaction lifecycle
//! confirmations = 12           # depth at which an executed trade is final
//! replace_after_blocks = 3     # a transaction not mined after this many blocks is re-priced
//! fee_bump_percent = 15        # a replacement raises both fees by at least this (geth: 10)
//!
//! [supervision]                # optional
//! max_restarts = 5             # a panicking agent task is restarted this often per window,
//! restart_window_s = 600       # then the daemon stops with a non-zero exit
//! drain_timeout_s = 30         # SIGTERM/SIGINT: longest wait for agents to finish their step
//!
//! [[agents]]
//! name = "rebalancer"
//! key_env = "PROOFGATE_AGENT_KEY_1"        # the key is read from this variable, never from here
//! model = "model.json"
//! params = "risk_params.json"
//! deadline_s = 120
//! slippage_bps = 30
//! strategy = { kind = "rebalance", target_weights_bps = [1250, 1250, 1250, 1250, 1250, 1250, 1250, 1250], threshold_bps = 100, max_trade_bps = 500 }
//! ```
//!
//! Relative paths are relative to the configuration file's directory.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use alloy::signers::local::PrivateKeySigner;
use alloy::transports::http::reqwest::Url;
use serde::{Deserialize, Serialize};

use crate::strategy::StrategyConfig;
use crate::{Error, Result};

/// The configuration format this build reads.
pub const CONFIG_VERSION: u64 = 1;

/// The daemon's configuration.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DaemonConfig {
    /// Format version ([`CONFIG_VERSION`]).
    pub version: u64,
    /// The node's JSON-RPC endpoint.
    pub rpc_url: Url,
    /// The chain id the node must report (guards against pointing at the wrong chain).
    pub chain_id: u64,
    /// The deployment file (addresses).
    pub deployment: PathBuf,
    /// The proving key file.
    pub proving_key: PathBuf,
    /// The solvency circuit's proving key (`solvency.pk`), for agents that attest; the
    /// deployment must name an attestor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub solvency_key: Option<PathBuf>,
    /// Where solvency batch proofs are made: a NATS server (`nats://host:port`) whose workers
    /// (`proofgate solvency worker --nats URL`) prove the batches; none: in this process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub solvency_nats: Option<String>,
    /// The journal database.
    pub journal: PathBuf,
    /// Where to serve Prometheus metrics (`host:port`); none when absent.
    #[serde(default)]
    pub metrics_listen: Option<SocketAddr>,
    /// Proofs made at once, across agents (each uses all cores).
    #[serde(default = "default_concurrency")]
    pub max_concurrent_proofs: usize,
    /// How often the chain is polled for new blocks, in milliseconds.
    #[serde(default = "default_poll")]
    pub poll_interval_ms: u64,
    /// Gas policy.
    #[serde(default)]
    pub gas: GasPolicy,
    /// Timeouts and limits of requests to the node.
    #[serde(default)]
    pub rpc: RpcPolicy,
    /// How transactions are followed, replaced and confirmed.
    #[serde(default)]
    pub tx: TxPolicy,
    /// How failed agent tasks are restarted, and how the daemon drains on a signal.
    #[serde(default)]
    pub supervision: SupervisionPolicy,
    /// The agents this daemon runs.
    pub agents: Vec<AgentConfig>,
}

/// Limits on what a transaction may cost.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GasPolicy {
    /// Largest max fee per gas, in gwei: no transaction or replacement pays more (default
    /// [`DEFAULT_MAX_FEE_GWEI`]).
    pub max_fee_gwei: Option<u64>,
    /// Priority fee per gas, in gwei.
    pub priority_fee_gwei: Option<u64>,
    /// Gas limit of a gated trade (estimated when absent).
    pub gas_limit: Option<u64>,
}

/// The default cap on the max fee per gas, in gwei.
pub const DEFAULT_MAX_FEE_GWEI: u64 = 300;

/// Timeouts and limits of JSON-RPC requests.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct RpcPolicy {
    /// Longest wait for a TCP (and TLS) connection to the node, milliseconds.
    pub connect_timeout_ms: u64,
    /// Longest wait for a whole request's answer, milliseconds.
    pub request_timeout_ms: u64,
    /// Most blocks one `eth_getLogs` request spans (hosted providers refuse wide ranges).
    pub log_chunk_blocks: u64,
}

impl Default for RpcPolicy {
    fn default() -> Self {
        Self { connect_timeout_ms: 5_000, request_timeout_ms: 20_000, log_chunk_blocks: 500 }
    }
}

/// The transaction lifecycle's settings.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct TxPolicy {
    /// Blocks on top of a trade's block (its own included) before it counts as final; until
    /// then it is re-checked, and a reorg that removes it is reconciled.
    pub confirmations: u64,
    /// A transaction not mined after this many new blocks is re-priced (replaced with bumped
    /// fees, within `gas.max_fee_gwei`).
    pub replace_after_blocks: u64,
    /// By how much a replacement raises both the max fee and the priority fee, percent (nodes
    /// refuse a replacement below their price bump: geth's is 10).
    pub fee_bump_percent: u64,
}

impl Default for TxPolicy {
    fn default() -> Self {
        Self { confirmations: 12, replace_after_blocks: 3, fee_bump_percent: 15 }
    }
}

/// Supervision of agent tasks and draining on a signal.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct SupervisionPolicy {
    /// Restarts of a panicking agent task allowed within `restart_window_s`; one more stops
    /// the daemon with a non-zero exit.
    pub max_restarts: u32,
    /// The window restarts are counted in, seconds.
    pub restart_window_s: u64,
    /// On SIGTERM or SIGINT, the longest wait for agents to finish their current step,
    /// seconds; then the daemon exits anyway (the journal stays consistent: every step is
    /// committed before the next).
    pub drain_timeout_s: u64,
}

impl Default for SupervisionPolicy {
    fn default() -> Self {
        Self { max_restarts: 5, restart_window_s: 600, drain_timeout_s: 30 }
    }
}

/// One agent.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AgentConfig {
    /// A name for logs and metrics.
    pub name: String,
    /// The environment variable holding the agent's private key (hex).
    #[serde(default)]
    pub key_env: Option<String>,
    /// A keystore file (Web3 Secret Storage) holding the agent's key, with its password in
    /// `password_env`.
    #[serde(default)]
    pub keystore: Option<PathBuf>,
    /// The environment variable holding the keystore's password.
    #[serde(default)]
    pub password_env: Option<String>,
    /// The certified model's file.
    pub model: PathBuf,
    /// The risk-parameter file.
    pub params: PathBuf,
    /// Seconds from submission to the trade's deadline.
    #[serde(default = "default_deadline")]
    pub deadline_s: u64,
    /// Tolerance below the venue's quote, in basis points.
    #[serde(default = "default_slippage")]
    pub slippage_bps: u32,
    /// How many times a refused trade is halved before it is skipped.
    #[serde(default = "default_shrink")]
    pub max_shrink_steps: u32,
    /// Demos and tests only: submit every n-th decision as a deliberately invalid trade (a trade
    /// that breaks a limit, with the proof of a smaller one), to show the vault reverting. 0: never.
    #[serde(default)]
    pub force_invalid_every: u64,
    /// The trading rule.
    pub strategy: StrategyConfig,
    /// Solvency attestations: the agent's book and when to attest (none: the agent never
    /// attests; `proofgate-agent attest` needs this too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub solvency: Option<SolvencyConfig>,
}

/// An agent's solvency attestations.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SolvencyConfig {
    /// The agent's private book (`book.json`: where the vault's depositors file is).
    pub book: PathBuf,
    /// Attest on a schedule: whenever the attestation is missing or fresh for less than
    /// `refresh_before_s` more. When false the agent attests only on demand
    /// (`proofgate-agent attest`), and a stale attestation pauses its risk-increasing trades.
    #[serde(default = "default_schedule")]
    pub schedule: bool,
    /// How long before the attestation goes stale a scheduled agent attests again, seconds.
    #[serde(default = "default_refresh_before")]
    pub refresh_before_s: u64,
    /// After a failed attestation, how long a scheduled agent waits before trying again,
    /// seconds (wall clock).
    #[serde(default = "default_retry_after")]
    pub retry_after_s: u64,
}

fn default_schedule() -> bool {
    true
}
fn default_refresh_before() -> u64 {
    600
}
fn default_retry_after() -> u64 {
    60
}

fn default_concurrency() -> usize {
    1
}
fn default_poll() -> u64 {
    200
}
fn default_deadline() -> u64 {
    120
}
fn default_slippage() -> u32 {
    30
}
fn default_shrink() -> u32 {
    4
}

fn invalid(path: &Path, what: impl std::fmt::Display) -> Error {
    Error::Config(format!("{}: {what}", path.display()))
}

impl DaemonConfig {
    /// Reads, resolves (relative paths against the file's directory) and validates `path`.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| invalid(path, e))?;
        let mut config = Self::parse(&text).map_err(|e| invalid(path, e))?;
        let base = path.parent().unwrap_or(Path::new("."));
        config.resolve(base);
        Ok(config)
    }

    /// Parses and validates configuration text (paths stay as written).
    pub fn parse(text: &str) -> std::result::Result<Self, String> {
        let config: Self = toml::from_str(text).map_err(|e| e.to_string())?;
        if config.version != CONFIG_VERSION {
            return Err(format!(
                "configuration version {}, this build reads {CONFIG_VERSION}",
                config.version
            ));
        }
        if config.agents.is_empty() {
            return Err("no [[agents]]".into());
        }
        if config.max_concurrent_proofs == 0 {
            return Err("max_concurrent_proofs must be at least 1".into());
        }
        if let Some(url) = &config.solvency_nats {
            check_nats_url(url)?;
        }
        config.check_policies()?;
        config.check_one_key_per_agent()?;
        let mut names = std::collections::BTreeSet::new();
        for agent in &config.agents {
            let name = &agent.name;
            if !names.insert(name.clone()) {
                return Err(format!("agent name {name:?} is used twice"));
            }
            match (&agent.key_env, &agent.keystore) {
                (Some(_), None) => {}
                (None, Some(_)) if agent.password_env.is_some() => {}
                (None, Some(_)) => {
                    return Err(format!("agent {name:?}: a keystore needs password_env"))
                }
                _ => return Err(format!("agent {name:?}: set exactly one of key_env, keystore")),
            }
            agent.strategy.validate_shape().map_err(|e| format!("agent {name:?}: {e}"))?;
            if agent.deadline_s == 0 || agent.slippage_bps >= 10_000 {
                return Err(format!(
                    "agent {name:?}: deadline_s must be positive, slippage_bps below 10000"
                ));
            }
        }
        Ok(config)
    }

    /// Refuses two agents with one key variable or one keystore file: they would sign with one
    /// account, and their transactions would take each other's nonces. (Two variables holding
    /// one key are caught at start, when the keys are read.)
    fn check_one_key_per_agent(&self) -> std::result::Result<(), String> {
        let mut variables = std::collections::BTreeMap::new();
        let mut keystores = std::collections::BTreeMap::new();
        for agent in &self.agents {
            if let Some(var) = &agent.key_env {
                if let Some(other) = variables.insert(var.clone(), &agent.name) {
                    return Err(format!(
                        "agents {other:?} and {:?} both use key_env = {var:?}: one key per agent \
                         (two agents on one account take each other's nonces)",
                        agent.name
                    ));
                }
            }
            if let Some(keystore) = &agent.keystore {
                let normal: PathBuf = keystore
                    .components()
                    .filter(|c| !matches!(c, std::path::Component::CurDir))
                    .collect();
                if let Some(other) = keystores.insert(normal, &agent.name) {
                    return Err(format!(
                        "agents {other:?} and {:?} both use keystore {}: one key per agent \
                         (two agents on one account take each other's nonces)",
                        agent.name,
                        keystore.display()
                    ));
                }
            }
        }
        Ok(())
    }

    /// Refuses timeouts, depths and bumps that cannot work.
    fn check_policies(&self) -> std::result::Result<(), String> {
        let (rpc, tx) = (&self.rpc, &self.tx);
        if rpc.connect_timeout_ms == 0 || rpc.request_timeout_ms == 0 {
            return Err("rpc: timeouts must be positive".into());
        }
        if rpc.log_chunk_blocks == 0 {
            return Err("rpc.log_chunk_blocks must be at least 1".into());
        }
        if tx.confirmations == 0 || tx.replace_after_blocks == 0 {
            return Err("tx: confirmations and replace_after_blocks must be at least 1".into());
        }
        if !(10..=1_000).contains(&tx.fee_bump_percent) {
            return Err(
                "tx.fee_bump_percent must be 10 to 1000 (nodes refuse smaller bumps)".into()
            );
        }
        if self.gas.max_fee_gwei == Some(0) {
            return Err("gas.max_fee_gwei must be positive".into());
        }
        Ok(())
    }

    /// The cap on the max fee per gas, in wei.
    pub fn max_fee_cap_wei(&self) -> u128 {
        u128::from(self.gas.max_fee_gwei.unwrap_or(DEFAULT_MAX_FEE_GWEI)) * 1_000_000_000
    }

    /// The configuration as TOML (what [`DaemonConfig::load`] reads).
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_else(|e| format!("# cannot encode: {e}\n"))
    }

    fn resolve(&mut self, base: &Path) {
        let join = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        join(&mut self.deployment);
        join(&mut self.proving_key);
        join(&mut self.journal);
        if let Some(key) = &mut self.solvency_key {
            join(key);
        }
        for agent in &mut self.agents {
            join(&mut agent.model);
            join(&mut agent.params);
            if let Some(solvency) = &mut agent.solvency {
                join(&mut solvency.book);
            }
            if let Some(keystore) = &mut agent.keystore {
                join(keystore);
            }
        }
    }
}

/// Refuses a `solvency_nats` that is not a `nats://` (or `tls://`) URL.
fn check_nats_url(url: &str) -> std::result::Result<(), String> {
    if url.starts_with("nats://") || url.starts_with("tls://") {
        return Ok(());
    }
    Err("solvency_nats: expected a nats:// or tls:// URL".into())
}

impl AgentConfig {
    /// The agent's signer, from its key variable or keystore. Errors name the variable or file,
    /// never the secret.
    pub fn signer(&self) -> Result<PrivateKeySigner> {
        let var = |name: &str| {
            std::env::var(name).map_err(|_| {
                Error::Config(format!(
                    "agent {:?}: environment variable {name} is not set",
                    self.name
                ))
            })
        };
        if let Some(name) = &self.key_env {
            return var(name)?.trim().parse().map_err(|_| {
                Error::Config(format!(
                    "agent {:?}: {name} does not hold a valid secp256k1 private key",
                    self.name
                ))
            });
        }
        match (&self.keystore, &self.password_env) {
            (Some(path), Some(password)) => {
                PrivateKeySigner::decrypt_keystore(path, var(password)?).map_err(|e| {
                    Error::Config(format!(
                        "agent {:?}: cannot decrypt keystore {}: {e}",
                        self.name,
                        path.display()
                    ))
                })
            }
            _ => Err(Error::Config(format!("agent {:?}: no key configured", self.name))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
version = 1
rpc_url = "http://127.0.0.1:8545"
chain_id = 31337
deployment = "deployments/31337.json"
proving_key = "keys/risk.pk"
journal = "journal.sqlite"

[[agents]]
name = "a"
key_env = "PROOFGATE_TEST_KEY_A"
model = "model.json"
params = "risk_params.json"
strategy = { kind = "momentum", lookback = 2, threshold_bps = 50, trade_bps = 500 }
"#;

    #[test]
    fn a_minimal_config_parses_with_defaults() {
        let config = DaemonConfig::parse(BASE).expect("parses");
        assert_eq!(config.max_concurrent_proofs, 1);
        assert_eq!(config.agents[0].deadline_s, 120);
        assert!(config.metrics_listen.is_none());
    }

    #[test]
    fn solvency_nats_must_be_a_nats_url() {
        let with = |url: &str| format!("solvency_nats = \"{url}\"\n{BASE}");
        let e = DaemonConfig::parse(&with("http://x")).expect_err("not nats");
        assert!(e.contains("nats://") && !e.contains("http://x"), "never shown: {e}");
        let config = DaemonConfig::parse(&with("nats://127.0.0.1:4222")).expect("a nats URL");
        assert_eq!(config.solvency_nats.as_deref(), Some("nats://127.0.0.1:4222"));
    }

    #[test]
    fn the_toml_written_reads_back() {
        let config = DaemonConfig::parse(BASE).expect("parses");
        let again = DaemonConfig::parse(&config.to_toml()).expect("reads back");
        assert_eq!(again.agents[0].strategy, config.agents[0].strategy);
        assert_eq!(again.rpc_url, config.rpc_url);
    }

    #[test]
    fn bad_configs_name_the_problem() {
        let cases = [
            (BASE.replace("version = 1", "version = 2"), "version 2"),
            (BASE.replace("chain_id = 31337", "chain_id = 31337\nbogus = 1"), "bogus"),
            (BASE.replace("key_env = \"PROOFGATE_TEST_KEY_A\"", ""), "exactly one of"),
            (BASE.replace("http://127.0.0.1:8545", "not a url"), "rpc_url"),
            (format!("{BASE}\n[[agents]]\nname = \"a\"\nkey_env = \"K\"\nmodel = \"m\"\nparams = \"p\"\nstrategy = {{ kind = \"momentum\", lookback = 1, threshold_bps = 1, trade_bps = 1 }}\n"), "used twice"),
        ];
        for (text, expected) in cases {
            let error = DaemonConfig::parse(&text).expect_err(expected);
            assert!(error.contains(expected), "{expected:?} not in {error:?}");
        }
    }

    #[test]
    fn two_agents_with_one_key_are_refused_naming_both() {
        let second = |key: &str| {
            format!(
                "{BASE}\n[[agents]]\nname = \"b\"\n{key}\nmodel = \"m\"\nparams = \"p\"\n\
                 strategy = {{ kind = \"momentum\", lookback = 1, threshold_bps = 1, trade_bps = 1 }}\n"
            )
        };
        let shared_env = second("key_env = \"PROOFGATE_TEST_KEY_A\"");
        let error = DaemonConfig::parse(&shared_env).expect_err("one key_env");
        assert!(
            error.contains("\"a\" and \"b\"") && error.contains("PROOFGATE_TEST_KEY_A"),
            "{error}"
        );
        let keystores = BASE.replace(
            "key_env = \"PROOFGATE_TEST_KEY_A\"",
            "keystore = \"keys/agent.json\"\npassword_env = \"P1\"",
        );
        let text = format!(
            "{keystores}\n[[agents]]\nname = \"b\"\nkeystore = \"./keys/agent.json\"\npassword_env = \"P2\"\n\
             model = \"m\"\nparams = \"p\"\n\
             strategy = {{ kind = \"momentum\", lookback = 1, threshold_bps = 1, trade_bps = 1 }}\n"
        );
        let error = DaemonConfig::parse(&text).expect_err("one keystore");
        assert!(error.contains("\"a\" and \"b\"") && error.contains("agent.json"), "{error}");
        DaemonConfig::parse(&second("key_env = \"PROOFGATE_TEST_KEY_B\"")).expect("two keys");
    }

    #[test]
    fn policies_that_cannot_work_are_refused_naming_the_setting() {
        let with = |section: &str| format!("{BASE}\n{section}\n");
        let cases = [
            ("[rpc]\nrequest_timeout_ms = 0", "timeouts must be positive"),
            ("[rpc]\nconnect_timeout_ms = 0", "timeouts must be positive"),
            ("[rpc]\nlog_chunk_blocks = 0", "rpc.log_chunk_blocks"),
            ("[tx]\nconfirmations = 0", "confirmations"),
            ("[tx]\nreplace_after_blocks = 0", "replace_after_blocks"),
            ("[tx]\nfee_bump_percent = 5", "tx.fee_bump_percent"),
            ("[gas]\nmax_fee_gwei = 0", "gas.max_fee_gwei"),
        ];
        for (section, expected) in cases {
            let error = DaemonConfig::parse(&with(section)).expect_err(expected);
            assert!(error.contains(expected), "{expected:?} not in {error:?}");
        }
        let defaults = DaemonConfig::parse(BASE).expect("defaults work");
        assert_eq!((defaults.tx.confirmations, defaults.tx.fee_bump_percent), (12, 15));
        assert_eq!(defaults.max_fee_cap_wei(), 300 * 1_000_000_000);
    }

    #[test]
    fn a_keystore_key_decrypts_with_the_password_from_the_environment() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = [7u8; 32];
        let (signer, _) = PrivateKeySigner::encrypt_keystore(
            dir.path(),
            &mut rand::thread_rng(),
            key,
            "correct horse",
            Some("agent.json"),
        )
        .expect("keystore written");
        let text = BASE.replace(
            "key_env = \"PROOFGATE_TEST_KEY_A\"",
            "keystore = \"agent.json\"\npassword_env = \"PROOFGATE_TEST_KEYSTORE_PASSWORD\"",
        );
        let path = dir.path().join("daemon.toml");
        std::fs::write(&path, text).expect("config written");
        let config = DaemonConfig::load(&path).expect("loads");
        let agent = &config.agents[0];
        let missing = agent.signer().expect_err("no password yet").to_string();
        assert!(missing.contains("PROOFGATE_TEST_KEYSTORE_PASSWORD"), "{missing}");
        // Only this test sets this variable.
        std::env::set_var("PROOFGATE_TEST_KEYSTORE_PASSWORD", "correct horse");
        assert_eq!(agent.signer().expect("decrypts").address(), signer.address());
        std::env::set_var("PROOFGATE_TEST_KEYSTORE_PASSWORD", "wrong");
        let wrong = agent.signer().expect_err("wrong password").to_string();
        assert!(wrong.contains("cannot decrypt keystore"), "{wrong}");
        assert!(!wrong.contains("wrong"), "the password is never shown: {wrong}");
    }

    #[test]
    fn a_missing_key_variable_is_named_not_shown() {
        let config = DaemonConfig::parse(BASE).expect("parses");
        let error = config.agents[0].signer().expect_err("unset").to_string();
        assert!(error.contains("PROOFGATE_TEST_KEY_A"), "{error}");
    }
}

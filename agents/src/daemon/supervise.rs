//! Supervision: each agent runs in its own task under a supervisor that notices a panic, logs
//! it, and rebuilds and restarts the agent after a backoff (1 s doubling to 30 s), at most
//! `max_restarts` times within `restart_window_s`; one more failure and the supervisor returns
//! [`Error::AgentFailed`], which stops the daemon. Nothing fails silently.

use std::collections::{BTreeSet, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use alloy::primitives::Address;
use proofgate_prover::{Model, RiskParams};
use tokio::sync::watch;
use tokio::task::AbortHandle;
use tracing::{error, info};

use crate::agent::{Agent, Shared};
use crate::config::{AgentConfig, SupervisionPolicy};
use crate::redact::redact;
use crate::solvency::Attester;
use crate::{Error, Result};
use alloy::signers::local::PrivateKeySigner;

/// The first wait before a restart; it doubles with each restart in the window.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// The longest wait before a restart.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Everything an agent is built from, kept to rebuild it after a panic.
pub(crate) struct AgentSpec {
    pub(crate) config: AgentConfig,
    pub(crate) address: Address,
    pub(crate) signer: PrivateKeySigner,
    pub(crate) model: Model,
    pub(crate) params: RiskParams,
    pub(crate) attester: Option<Attester>,
}

impl AgentSpec {
    fn build(&self, shared: Shared) -> Agent {
        let agent = Agent::new(
            self.config.clone(),
            self.signer.clone(),
            self.model.clone(),
            self.params.clone(),
            shared,
        );
        match &self.attester {
            Some(attester) => agent.with_attester(attester.clone()),
            None => agent,
        }
    }
}

/// The names of the agents whose supervisors are still running.
#[derive(Clone, Debug, Default)]
pub(crate) struct Running(Arc<Mutex<BTreeSet<String>>>);

impl Running {
    /// The running agents' names.
    pub(crate) fn names(&self) -> Vec<String> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).iter().cloned().collect()
    }

    fn enter(&self, name: &str) -> RunningGuard {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).insert(name.to_string());
        RunningGuard { running: self.clone(), name: name.to_string() }
    }
}

/// Removes its agent from [`Running`] when the supervisor ends, however it ends.
struct RunningGuard {
    running: Running,
    name: String,
}

impl Drop for RunningGuard {
    fn drop(&mut self) {
        self.running.0.lock().unwrap_or_else(PoisonError::into_inner).remove(&self.name);
    }
}

/// Aborts the agent's task if its supervisor is dropped (the daemon gave up waiting).
struct AbortOnDrop(AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// One agent under supervision.
pub(crate) struct Supervised {
    pub(crate) spec: AgentSpec,
    pub(crate) shared: Shared,
    pub(crate) policy: SupervisionPolicy,
    pub(crate) shutdown: watch::Receiver<bool>,
    pub(crate) running: Running,
}

/// Runs the agent until it stops (shutdown, or halted by fault injection: `Ok`) or fails more
/// often than the policy allows (`Err(AgentFailed)`). Returns the agent's name with the outcome.
pub(crate) async fn supervise(supervised: Supervised) -> (String, Result<()>) {
    let Supervised { spec, mut shared, policy, mut shutdown, running } = supervised;
    let name = spec.config.name.clone();
    let _running = running.enter(&name);
    let window = Duration::from_secs(policy.restart_window_s);
    let mut recent: VecDeque<Instant> = VecDeque::new();
    let mut backoff = FIRST_BACKOFF;
    loop {
        let task = tokio::spawn(spec.build(shared.clone()).run(shutdown.clone()));
        let _abort = AbortOnDrop(task.abort_handle());
        let message = match task.await {
            Ok(()) => return (name, Ok(())),
            Err(e) if e.is_panic() => panic_message(e.into_panic()),
            Err(e) => format!("the agent's task was cancelled ({e})"),
        };
        let now = Instant::now();
        while recent.front().is_some_and(|t| now.duration_since(*t) > window) {
            recent.pop_front();
        }
        if recent.is_empty() {
            backoff = FIRST_BACKOFF;
        }
        let restarts = recent.len() as u64;
        if restarts >= u64::from(policy.max_restarts) {
            error!(target: "proofgate::daemon", agent = %name, %message, restarts, max_restarts = policy.max_restarts, window_s = policy.restart_window_s, "agent task failed; restart limit reached: stopping the daemon");
            return (name.clone(), Err(Error::AgentFailed { agent: name, restarts, message }));
        }
        recent.push_back(now);
        shared.metrics.update(&name, |c| c.restarts += 1);
        // An injected panic happens once.
        shared.faults.panic_on_step = 0;
        error!(target: "proofgate::daemon", agent = %name, %message, restart = restarts + 1, max_restarts = policy.max_restarts, backoff_ms = backoff.as_millis() as u64, "agent task panicked; restarting after a backoff");
        tokio::select! {
            _ = shutdown.wait_for(|stop| *stop) => return (name, Ok(())),
            _ = tokio::time::sleep(backoff) => {}
        }
        info!(target: "proofgate::daemon", agent = %name, restart = restarts + 1, "agent restarting");
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// A panic's message (redacted).
fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    let text = match payload.downcast::<String>() {
        Ok(text) => *text,
        Err(payload) => match payload.downcast::<&'static str>() {
            Ok(text) => (*text).to_string(),
            Err(_) => "a panic without a message".to_string(),
        },
    };
    redact(&text).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_message_is_extracted_from_the_join_error() {
        let task = tokio::spawn(async { panic!("boom {}", 7) });
        let error = task.await.expect_err("panicked");
        assert!(error.is_panic());
        assert_eq!(panic_message(error.into_panic()), "boom 7");
        let task = tokio::spawn(async { std::panic::panic_any(5u8) });
        let error = task.await.expect_err("panicked");
        assert_eq!(panic_message(error.into_panic()), "a panic without a message");
    }

    #[test]
    fn running_names_leave_when_their_guard_drops() {
        let running = Running::default();
        let guard = running.enter("a");
        let _other = running.enter("b");
        assert_eq!(running.names(), ["a", "b"]);
        drop(guard);
        assert_eq!(running.names(), ["b"]);
    }
}

//! The daemon's operations, on a real anvil: supervision of a panicking agent (in process);
//! and the `proofgate-agent` binary as a process: SIGTERM drains and exits 0, a second daemon on
//! one journal is refused naming the first, a panicking agent is restarted, and neither the
//! logs nor the metrics ever show the RPC URL's credentials or API key.

mod support;

use std::time::{Duration, Instant};

use proofgate_agents::agent::{AgentEvent, Faults};
use proofgate_agents::daemon;
use proofgate_agents::journal::{Journal, Status};
use proofgate_agents::Error;
use support::{metrics_addr, scrape, setup, Daemon, Setup, TestResult};
use tokio::sync::mpsc;

/// Waits for an event of `agent`.
async fn next_event_of(
    events: &mut mpsc::UnboundedReceiver<AgentEvent>,
    agent: &str,
) -> TestResult<AgentEvent> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(remaining, events.recv()).await {
            Ok(Some(event)) if event.agent == agent => return Ok(event),
            Ok(Some(_)) => {}
            Ok(None) => return Err("the daemon stopped".into()),
            Err(_) => return Err(format!("no event of {agent} within 60 s").into()),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_agent_is_restarted_and_beyond_its_restarts_stops_the_daemon() -> TestResult {
    let Setup { prepared, endpoint, anvil, dir } = setup().await?;
    let mut config = prepared.daemon_config.clone();
    config.agents.truncate(1);
    let name = config.agents[0].name.clone();
    let signers = vec![endpoint.agents[0].clone()];
    let panic_once = Faults { panic_on_step: 1, ..Faults::default() };

    // Two agents on one account are refused, naming both.
    let both = prepared.daemon_config.clone();
    let one_key = vec![endpoint.agents[0].clone(), endpoint.agents[0].clone()];
    let refused = daemon::start_with_signers(&both, one_key, Faults::default(), None)
        .await
        .err()
        .ok_or("two agents on one key must be refused")?
        .to_string();
    for agent in &both.agents {
        assert!(refused.contains(&format!("{:?}", agent.name)), "{refused}");
    }

    // The agent panics at its first step; the supervisor restarts it and it goes on.
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let handle =
        daemon::start_with_signers(&config, signers.clone(), panic_once.clone(), Some(events_tx))
            .await?;
    next_event_of(&mut events, &name).await?;
    let restarts = handle.metrics.snapshot().get(&name).map(|c| c.restarts);
    assert_eq!(restarts, Some(1), "one restart counted");
    next_event_of(&mut events, &name).await?;

    // Meanwhile, a second daemon on the same journal is refused, naming this process.
    let second = daemon::start_with_signers(&config, signers.clone(), Faults::default(), None)
        .await
        .err()
        .ok_or("a second daemon on one journal must be refused")?;
    assert!(matches!(second, Error::JournalLock(_)), "{second}");
    let message = second.to_string();
    assert!(message.contains(&format!("pid {}", std::process::id())), "{message}");
    handle.stop();
    handle.join().await?;

    // No restarts allowed: the panic stops the daemon, and join names the agent.
    config.supervision.max_restarts = 0;
    let handle = daemon::start_with_signers(&config, signers, panic_once, None).await?;
    let failed = tokio::time::timeout(Duration::from_secs(60), handle.join())
        .await?
        .err()
        .ok_or("join must fail")?;
    match &failed {
        Error::AgentFailed { agent, restarts, message } => {
            assert_eq!((agent, *restarts), (&name, 0));
            assert!(message.contains("injected panic"), "{message}");
        }
        other => return Err(format!("expected AgentFailed, got {other}").into()),
    }
    anvil.stop();
    drop(dir);
    Ok(())
}

/// Entries left `proving` in the journal (a drain finishes or abandons every proof).
fn proving_entries(journal: &std::path::Path) -> TestResult<usize> {
    let journal = Journal::open(journal)?;
    Ok(journal.history(None, 10_000)?.iter().filter(|e| e.status == Status::Proving).count())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_drains_on_sigterm_refuses_a_second_daemon_and_restarts_a_panicking_agent(
) -> TestResult {
    let setup = setup().await?;
    let config = setup.write_config("daemon", |c| c.supervision.drain_timeout_s = 30)?;
    let journal = setup.prepared.journal_path.clone();

    let mut first = Daemon::spawn(&config, "first", &[])?;
    first.wait_for_log("agent starting", Duration::from_secs(60))?;

    // A second daemon on the same journal exits non-zero, naming the first one's pid.
    let mut second = Daemon::spawn(&config, "second", &[])?;
    let status = second.wait_exit(Duration::from_secs(30))?;
    let refused = second.log();
    assert!(!status.success(), "{refused}");
    assert!(refused.contains(&format!("pid {}", first.child.id())), "{refused}");
    assert!(refused.contains("one daemon per journal"), "{refused}");

    // Let the agents work, then SIGTERM: drained, exit 0, no proof left `proving`.
    std::thread::sleep(Duration::from_secs(2));
    first.signal("TERM")?;
    let status = first.wait_exit(Duration::from_secs(35))?;
    let log = first.log();
    assert!(status.success(), "{status}: {log}");
    assert!(log.contains("draining") && log.contains("drained"), "{log}");
    assert_eq!(proving_entries(&journal)?, 0, "{log}");

    // PROOFGATE_FAULT=panic-once: each agent panics at its first step, the panic and the
    // restart are logged, and the daemon keeps running until SIGTERM.
    let mut panicky = Daemon::spawn(&config, "panic", &[("PROOFGATE_FAULT", "panic-once")])?;
    panicky.wait_for_log("agent restarting", Duration::from_secs(60))?;
    std::thread::sleep(Duration::from_millis(500));
    assert!(panicky.child.try_wait()?.is_none(), "still running: {}", panicky.log());
    panicky.signal("TERM")?;
    let status = panicky.wait_exit(Duration::from_secs(35))?;
    let log = panicky.log();
    assert!(status.success(), "{status}: {log}");
    assert!(log.contains("injected panic") && log.contains("agent task panicked"), "{log}");
    assert_eq!(proving_entries(&journal)?, 0, "{log}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_in_the_rpc_url_appear_in_no_log_line_and_no_metric() -> TestResult {
    let setup = setup().await?;
    let url = setup.secret_url()?;
    let config = setup.write_config("secret", |c| {
        c.rpc_url = url;
        c.metrics_listen = "127.0.0.1:0".parse().ok();
        c.supervision.drain_timeout_s = 20;
    })?;
    let mut daemon = Daemon::spawn(&config, "secret", &[])?;
    // anvil answers POSTs on `/?apikey=…` (and ignores basic auth): the agents start.
    daemon.wait_for_log("agent starting", Duration::from_secs(60))?;
    let log = daemon.wait_for_log("/metrics", Duration::from_secs(10))?;
    let addr = metrics_addr(&log)?;
    let mut metrics = scrape(&addr)?;

    // The node goes away: the agents' errors (whose text carries the URL) are logged.
    let Setup { anvil, dir, .. } = setup;
    anvil.stop();
    daemon.wait_for_log("step failed", Duration::from_secs(30))?;
    metrics.push_str(&scrape(&addr)?);
    daemon.signal("TERM")?;
    daemon.wait_exit(Duration::from_secs(30))?;
    let log = daemon.log();
    assert!(log.contains("apikey=***"), "the URL is shown redacted: {log}");
    for secret in ["s3cretpass", "SECRETKEY123", "user:"] {
        for (i, line) in log.lines().enumerate() {
            assert!(!line.contains(secret), "{secret:?} in log line {i}: {line}");
        }
        assert!(!metrics.contains(secret), "{secret:?} in the metrics: {metrics}");
    }
    assert!(metrics.contains("proofgate_rpc_errors_total"), "{metrics}");
    drop(dir);
    Ok(())
}

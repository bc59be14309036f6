//! Bad RPC endpoints: a node that accepts connections and never answers, a proxy that hangs for
//! a while, a provider that refuses `getLogs` over more than a few blocks.

use std::time::{Duration, Instant};

use proofgate_agents::agent::{Crash, EventKind};
use proofgate_agents::feeds::PricePath;
use proofgate_agents::journal::Status;
use proofgate_agents::system_demo;

use crate::common::invariants::check_journal_equals_chain;
use crate::common::proxy::{HangingNode, ProxyMode, RpcProxy};
use crate::common::{
    first_in, poll, settle_and_stop, start_daemon, wait_for, BoxError, Chain, TestResult,
};

const MINUTE: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_never_answers_times_out_at_start_and_is_retried_while_running() -> TestResult {
    let started = Instant::now();
    let chain = Chain::start().await?;
    let mut failures: Vec<String> = Vec::new();
    if let Err(e) = start_against_a_hanging_node(&chain).await {
        failures.push(format!("start against a hanging node: {e}"));
    }
    if let Err(e) = a_running_daemon_retries_through_a_hang(&chain).await {
        failures.push(format!("a running daemon behind a hanging proxy: {e}"));
    }
    println!("never-answering node: {:.1} s", started.elapsed().as_secs_f64());
    match failures.is_empty() {
        true => Ok(()),
        false => Err(failures.join("\n").into()),
    }
}

/// The daemon's start fails within a few seconds, naming the timeout.
async fn start_against_a_hanging_node(chain: &Chain) -> Result<(), BoxError> {
    let node = HangingNode::start().await?;
    let mut config = chain.prepared.daemon_config.clone();
    config.rpc_url = node.url();
    config.rpc.request_timeout_ms = 1_000;
    config.rpc.connect_timeout_ms = 1_000;
    let started = Instant::now();
    let outcome = tokio::time::timeout(
        Duration::from_secs(30),
        start_daemon(&config, &chain.endpoint, 1, Crash::Never),
    )
    .await;
    let elapsed = started.elapsed();
    let error = match outcome {
        Err(_) => return Err(format!("start still hangs after {elapsed:?}").into()),
        Ok(Ok(_)) => return Err("the daemon started against a node that never answers".into()),
        Ok(Err(e)) => e.to_string(),
    };
    if node.accepted() == 0 {
        return Err(format!("the node was never contacted; error: {error}").into());
    }
    let lower = error.to_lowercase();
    if !(lower.contains("timed out") || lower.contains("timeout")) {
        return Err(
            format!("the error does not name the timeout (after {elapsed:.1?}): {error}").into()
        );
    }
    if elapsed > Duration::from_secs(8) {
        return Err(format!("start failed only after {elapsed:?}: {error}").into());
    }
    println!("start against a hanging node failed in {elapsed:.1?}: {error}");
    Ok(())
}

/// A proxy that hangs for about 3 s: the agent counts errors and retries, then trades again.
async fn a_running_daemon_retries_through_a_hang(chain: &Chain) -> Result<(), BoxError> {
    let proxy = RpcProxy::start(chain.anvil.endpoint_url()).await?;
    let mut config = chain.prepared.daemon_config.clone();
    config.rpc_url = proxy.url();
    config.rpc.request_timeout_ms = 1_000;
    let agent = chain.agent(0);
    let (handle, mut events) = start_daemon(&config, &chain.endpoint, 1, Crash::Never).await?;
    let miner = chain.control.start_miner(Duration::from_millis(300), None);
    let executed =
        |e: &proofgate_agents::agent::AgentEvent| matches!(e.kind, EventKind::Executed { .. });
    wait_for(&mut events, "a first trade", 2 * MINUTE, executed).await?;
    wait_for(&mut events, "the agent to settle", 2 * MINUTE, |e| {
        matches!(e.kind, EventKind::Idle | EventKind::Refused { .. })
    })
    .await?;

    let before = Chain::counters(&handle, "rebalancer").rpc_errors;
    proxy.set_mode(ProxyMode::Hang);
    let hung = Instant::now();
    while hung.elapsed() < Duration::from_secs(3)
        || (Chain::counters(&handle, "rebalancer").rpc_errors < before + 2
            && hung.elapsed() < Duration::from_secs(15))
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    proxy.set_mode(ProxyMode::Forward);
    let errors = Chain::counters(&handle, "rebalancer").rpc_errors - before;
    let hung_for = hung.elapsed();

    // A price move makes the agent trade again once the proxy answers.
    let path = PricePath::with_midway_shock(7, 4);
    system_demo::push_prices(&chain.prepared, &path, 2).await?;
    system_demo::push_prices(&chain.prepared, &path, 3).await?;
    while events.try_recv().is_ok() {}
    let again = wait_for(&mut events, "a trade after the hang", 2 * MINUTE, executed).await;
    let journal = settle_and_stop(handle, &[agent], 2 * MINUTE).await;
    miner.stop().await;
    if errors < 2 {
        return Err(format!("only {errors} RPC errors counted during a {hung_for:?} hang").into());
    }
    again?;
    let checked = check_journal_equals_chain(&chain.prepared, &*journal?, &[agent]).await?;
    let stats = proxy.stats();
    println!(
        "hang of {hung_for:.1?}: {errors} RPC errors, {} requests left unanswered, traded again; {checked}",
        stats.hung
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovery_reads_logs_in_chunks_a_hosted_provider_accepts() -> TestResult {
    const LIMIT: u64 = 5;
    const HISTORY: u64 = 200;
    let started = Instant::now();
    let chain = Chain::start().await?;
    let agent = chain.agent(0);
    let proxy = RpcProxy::start(chain.anvil.endpoint_url()).await?;
    proxy.set_log_limit(Some(LIMIT));
    let mut config = chain.prepared.daemon_config.clone();
    config.rpc_url = proxy.url();
    config.rpc.log_chunk_blocks = LIMIT;

    // Crash right after the trade is journaled and sent; it never reaches a block (dropped).
    chain.control.set_automine(false).await?;
    let (handle, _events) =
        start_daemon(&config, &chain.endpoint, 1, Crash::HaltAfterSubmit).await?;
    let journal = handle.journal.clone();
    let id = poll("a submitted trade", 2 * MINUTE, || {
        first_in(&journal, Some(agent), Status::Submitted)
    })
    .await?;
    handle.stop();
    handle.join().await?;
    let entry = journal.get(id)?;
    let sent = entry.tx_hash.ok_or("journaled with its hash")?;
    let deadline = entry.deadline.ok_or("proved with a deadline")?;
    chain.control.drop_transaction(sent).await?;
    // A long history after it, and its deadline passes.
    chain.control.set_automine(true).await?;
    let now = chain.control.head_timestamp().await?;
    chain.control.increase_time(deadline.saturating_sub(now) + 60).await?;
    chain.control.mine(HISTORY).await?;

    // Restart through the provider: before the entry becomes final as not executed, recovery
    // looks for its TradeExecuted from the entry's block, in chunks the provider accepts.
    let miner = chain.control.start_miner(Duration::from_millis(300), None);
    let (handle, _events) = start_daemon(&config, &chain.endpoint, 1, Crash::Never).await?;
    let recovered = poll("the entry to be recovered", 2 * MINUTE, || {
        let entry = journal.get(id)?;
        Ok(entry.status.is_final().then_some(entry))
    })
    .await;
    let settled = settle_and_stop(handle, &[agent], 2 * MINUTE).await;
    miner.stop().await;
    let stats = proxy.stats();
    assert_eq!(stats.refused_get_logs, 0, "no getLogs beyond {LIMIT} blocks was asked: {stats:?}");
    assert!(stats.largest_span_served <= LIMIT, "{stats:?}");
    assert!(
        stats.count("eth_getLogs") >= HISTORY / LIMIT,
        "the history since the entry's block was searched: {stats:?}"
    );
    let entry = recovered?;
    assert_eq!(entry.status, Status::Expired, "never mined, deadline passed: {entry:?}");
    let checked = check_journal_equals_chain(&chain.prepared, &*settled?, &[agent]).await?;
    println!(
        "getLogs limit {LIMIT}: {} getLogs served (widest {}), none refused; {checked}; {:.1} s",
        stats.count("eth_getLogs"),
        stats.largest_span_served,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

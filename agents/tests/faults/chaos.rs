//! The real daemon binary, both agents, killed with SIGKILL at seeded random points (some just
//! after a price step, so that kills land while it proves or submits), price steps between runs;
//! then a last run until everything is settled, SIGTERM, and the invariants.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use proofgate_agents::feeds::PricePath;
use proofgate_agents::journal::{Journal, Status};
use proofgate_agents::system_demo;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::common::invariants::check_journal_equals_chain;
use crate::common::process::DaemonProcess;
use crate::common::{settled, write_config, BoxError, Chain, TestResult, DEV_KEYS};

/// Kills per run of the test.
const KILLS: usize = 22;
/// The seed when `PROOFGATE_CHAOS_SEED` is not set.
const DEFAULT_SEED: u64 = 16;
/// Steps of the price path (cycled).
const STEPS: u32 = 12;

fn log_tail(process: &DaemonProcess) -> String {
    let log = process.log();
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

/// The ids of the journal's pending entries (the process must not be running).
fn pending_ids(path: &Path, chain: &Chain) -> Result<BTreeSet<i64>, BoxError> {
    let journal = Journal::open(path)?;
    let mut ids = BTreeSet::new();
    for agent in [chain.agent(0), chain.agent(1)] {
        ids.extend(journal.pending(agent)?.into_iter().map(|e| e.id));
    }
    Ok(ids)
}

/// How many of `ids` are no longer pending.
fn reconciled(path: &Path, ids: &BTreeSet<i64>) -> Result<usize, BoxError> {
    let journal = Journal::open(path)?;
    let mut count = 0;
    for &id in ids {
        count += usize::from(journal.get(id)?.status.is_final());
    }
    Ok(count)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_killed_at_random_points_neither_loses_nor_repeats_a_trade() -> TestResult {
    let seed = std::env::var("PROOFGATE_CHAOS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SEED);
    let started = Instant::now();
    let chain = Chain::start().await?;
    let mut rng = StdRng::seed_from_u64(seed);
    let path = PricePath::with_midway_shock(seed, STEPS);
    let journal_path = chain.prepared.journal_path.clone();
    let config_path = chain.dir.path().join("chaos.toml");
    write_config(&chain.prepared.daemon_config, &config_path)?;
    let log = chain.dir.path().join("daemon.log");
    let env = [("PROOFGATE_AGENT_KEY_1", DEV_KEYS[1]), ("PROOFGATE_AGENT_KEY_2", DEV_KEYS[2])];
    let mut step = 0usize;
    let mut next_step = || {
        step = step % STEPS as usize + 1;
        step
    };

    let (mut after_step, mut reconciled_per_run) = (0, Vec::new());
    let mut recovered_total = 0;
    for kill in 0..KILLS {
        let pending = pending_ids(&journal_path, &chain)?;
        let mut process = DaemonProcess::spawn(&config_path, &env, &log)?;
        if rng.gen_bool(0.4) {
            after_step += 1;
            tokio::time::sleep(Duration::from_millis(rng.gen_range(200..1_500))).await;
            system_demo::push_prices(&chain.prepared, &path, next_step()).await?;
            tokio::time::sleep(Duration::from_millis(rng.gen_range(0..1_500))).await;
        } else {
            tokio::time::sleep(Duration::from_millis(rng.gen_range(200..3_000))).await;
        }
        if let Some(status) = process.try_status()? {
            return Err(format!(
                "run {kill}: the daemon exited by itself ({status}) before its kill:\n{}",
                log_tail(&process)
            )
            .into());
        }
        process.sigkill()?;
        let count = reconciled(&journal_path, &pending)?;
        if kill > 0 {
            recovered_total += count;
            reconciled_per_run.push(count);
        }
        if rng.gen_bool(0.7) {
            system_demo::push_prices(&chain.prepared, &path, next_step()).await?;
        }
    }

    // The last run: until nothing is pending or short of final (blocks mined for the
    // confirmations), then SIGTERM.
    let before_last = pending_ids(&journal_path, &chain)?;
    let agents = [chain.agent(0), chain.agent(1)];
    let mut process = DaemonProcess::spawn(&config_path, &env, &log)?;
    let miner = chain.control.start_miner(Duration::from_millis(300), None);
    let last = Instant::now();
    let mut done = false;
    while !done && last.elapsed() < Duration::from_secs(90) {
        tokio::time::sleep(Duration::from_millis(250)).await;
        if let Some(status) = process.try_status()? {
            return Err(format!(
                "the last run exited by itself ({status}):\n{}",
                log_tail(&process)
            )
            .into());
        }
        // The daemon may hold the journal; a failed open is "not yet".
        let quiet = Journal::open(&journal_path).ok().map(|j| settled(&j, &agents));
        done = last.elapsed() > Duration::from_secs(3) && matches!(quiet, Some(Ok(true)));
    }
    process.sigterm()?;
    let exit = process.wait_timeout(Duration::from_secs(40)).await?;
    miner.stop().await;
    let Some(exit) = exit else {
        return Err(
            format!("SIGTERM: the daemon did not exit in 40 s:\n{}", log_tail(&process)).into()
        );
    };
    if !done {
        return Err(format!("the last run did not settle in 90 s:\n{}", log_tail(&process)).into());
    }
    let last_reconciled = reconciled(&journal_path, &before_last)?;
    recovered_total += last_reconciled;
    reconciled_per_run.push(last_reconciled);

    let journal = Journal::open(&journal_path)?;
    let checked = check_journal_equals_chain(&chain.prepared, &journal, &agents)
        .await
        .map_err(|e| format!("{e}\ndaemon log tail:\n{}", log_tail(&process)))?;
    for entry in journal.history(None, usize::MAX)?.iter().filter(|e| e.status == Status::Reverted)
    {
        println!(
            "chaos: entry {} ({}) reverted on chain in block {:?}: {}",
            entry.id,
            entry.strategy,
            entry.mined_block,
            entry.revert_reason.as_deref().unwrap_or("no reason")
        );
    }
    let executed: Vec<String> = checked.executed.values().map(u64::to_string).collect();
    println!(
        "chaos (seed {seed}): {KILLS} SIGKILLs ({after_step} just after a price step), then SIGTERM ({exit}); \
         recoveries reconciled {recovered_total} pending entries {reconciled_per_run:?}; journal {checked}; \
         executed per agent [{}]; journal equals chain and the vault's events; {:.1} s",
        executed.join(", "),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

//! Solvency at scale, end to end on anvil: a book of `2^N` depositors cut into batches of the
//! key's shape, every batch proved through the pipeline (in this process, or by NATS workers),
//! uploaded over `beginEpoch`, one `submitBatch` per batch and `sealEpoch`, and the sealed
//! accumulator and totals checked against the native reference.
//!
//! CI runs it at a small depth with the demo's key ([`forty_depositors_in_ten_batches_are_attested_end_to_end`]);
//! `scripts/solvency-scale` runs it at `2^16` depositors (tens of minutes here) through the
//! ignored [`an_epoch_at_scale_is_attested_end_to_end`], with its parameters in the environment:
//!
//! | variable                          | meaning                                                  |
//! |-----------------------------------|----------------------------------------------------------|
//! | `PROOFGATE_SCALE_DEPOSITORS_LOG2` | `N`: `2^N` depositors (default 16)                        |
//! | `PROOFGATE_SCALE_KEY`             | the batch key file (`proofgate solvency setup`; required) |
//! | `PROOFGATE_SCALE_NATS`            | prove on NATS workers at this URL (default: in process)   |
//! | `PROOFGATE_SCALE_REPORT`          | where to write the JSON report (default: stderr only)     |

use std::sync::Arc;
use std::time::{Duration, Instant};

use proofgate_agents::bindings::attestor::ISolvencyAttestor;
use proofgate_agents::bindings::vault::IProofGateVault;
use proofgate_agents::chain::LocalAnvil;
use proofgate_agents::demo_solvency::{self, demo_plan};
use proofgate_agents::deploy;
use proofgate_agents::solvency::{self, AttestationOutcome, Attester, Book, ReserveFeedPlan};
use proofgate_agents::system_demo::Prepared;
use proofgate_prover::pipeline::nats::LocalServer;
use proofgate_prover::pipeline::{Engine, NatsOptions};
use proofgate_prover::solvency::{EpochTree, SolvencyKeys};
use proofgate_toolchain::Toolchain;
use serde_json::json;

use super::solvency::{
    assert_sealed_as_the_reference, prepare_with_solvency, proofgate_binary, report_gas,
    seeded_depositors, AttestingAgent, TestResult,
};

/// How often the feeds are refreshed while a long epoch proves (their heartbeat is an hour).
const FEED_REFRESH: Duration = Duration::from_secs(300);

/// The demo's deployment with an attestor for `keys` governed in place of the demo's (when the
/// key is not the demo's), and the first agent attesting against it.
async fn attestor_for_key(
    prepared: &Prepared,
    agent: AttestingAgent,
    keys: Option<SolvencyKeys>,
) -> Result<AttestingAgent, Box<dyn std::error::Error>> {
    let Some(keys) = keys else { return Ok(agent) };
    let heartbeat = prepared.plan.heartbeat;
    let reserves = prepared
        .reserve_feeds
        .iter()
        .map(|f| ReserveFeedPlan { asset: 0, feed: f.feed, heartbeat })
        .collect();
    let plan = demo_plan(&prepared.plan.assets, reserves);
    let provider = &prepared.provider;
    let attestor = solvency::deploy_attestor(provider, &prepared.deployment, &keys, &plan).await?;
    refresh_feeds(prepared).await?;
    let attester = Attester { keys: Arc::new(keys), attestor, ..agent.attester };
    Ok(AttestingAgent { attester, attestor, ..agent })
}

/// Submits every price feed's and reserve feed's answer again (governance and long proofs move
/// the clock past their heartbeat).
async fn refresh_feeds(prepared: &Prepared) -> Result<(), Box<dyn std::error::Error>> {
    deploy::refresh_feeds(&prepared.provider, &prepared.deployment.assets, &prepared.plan).await?;
    demo_solvency::refresh_reserves(&prepared.provider, &prepared.reserve_feeds).await?;
    Ok(())
}

/// The peak resident memory of this process so far, in MB (`VmHWM`).
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// What one scale run measured.
fn report(depositors: usize, outcome: &AttestationOutcome, wall_s: f64) -> serde_json::Value {
    let gas = &outcome.gas;
    let batches: Vec<u64> = gas.batches.iter().map(|b| b.gas).collect();
    json!({
        "depositors": depositors,
        "batches": outcome.batch_count,
        "prove_s": outcome.prove_s,
        "end_to_end_s": wall_s,
        "peak_rss_mb_this_process": peak_rss_mb(),
        "gas": {
            "begin": gas.begin,
            "first_batch": batches.first(),
            "later_batch_min": batches.iter().skip(1).min(),
            "later_batch_max": batches.iter().skip(1).max(),
            "seal": gas.seal,
            "total": gas.total(),
        },
        "liabilities_root": format!("{:#x}", outcome.root),
    })
}

/// Attests a book of `depositors` seeded depositors with `keys` (the demo's key when `None`) on
/// `engine`, checks the sealed epoch against the native reference, and returns the report.
async fn attest_at_scale(
    depositors: usize,
    keys: Option<SolvencyKeys>,
    engine: Engine,
) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let anvil = LocalAnvil::spawn(&Toolchain::discover()?)?;
    let (endpoint, prepared) = prepare_with_solvency(&anvil, dir.path()).await?;
    let agent = AttestingAgent::of(&anvil, &endpoint, &prepared)?;
    let agent = attestor_for_key(&prepared, agent, keys).await?;
    let deployment = &prepared.deployment;
    let symbols = deployment.assets.iter().map(|a| a.symbol.clone()).collect();
    let vault = IProofGateVault::new(deployment.vault, &agent.provider);
    let book = seeded_depositors(&vault, symbols, depositors, 16).await?;
    let attester = Attester { book: Arc::new(Book { depositors: book }), engine, ..agent.attester };
    let tree = EpochTree::build(&attester.book.depositors, attester.keys.shape)?;

    let started = Instant::now();
    let attesting = solvency::attest(&agent.provider, deployment, agent.agent, &attester);
    tokio::pin!(attesting);
    let mut refresh =
        tokio::time::interval_at(tokio::time::Instant::now() + FEED_REFRESH, FEED_REFRESH);
    let outcome = loop {
        tokio::select! {
            outcome = &mut attesting => break outcome?,
            _ = refresh.tick() => refresh_feeds(&prepared).await?,
        }
    };
    let wall_s = started.elapsed().as_secs_f64();
    report_gas(&format!("{depositors} depositors"), &outcome);
    assert_eq!(outcome.batch_count as usize, tree.batch_count());
    assert_sealed_as_the_reference(
        &agent.provider,
        agent.attestor,
        deployment.vault,
        &outcome,
        &tree,
    )
    .await?;
    let contract = ISolvencyAttestor::new(agent.attestor, &agent.provider);
    assert!(contract.isSolvent(deployment.vault).call().await?, "the sealed epoch is fresh");
    assert_eq!(contract.attestation(deployment.vault).call().await?.liabilitiesRoot, outcome.root);
    anvil.stop();
    Ok(report(depositors, &outcome, wall_s))
}

/// The scale pipeline at CI's depth: 40 depositors in batches of the demo's 2^2 are ten batch
/// proofs (in process), uploaded in ten `submitBatch` transactions between `beginEpoch` and
/// `sealEpoch`; the sealed accumulator and totals equal the native reference's and the book's
/// column sums.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forty_depositors_in_ten_batches_are_attested_end_to_end() -> TestResult {
    let report = attest_at_scale(40, None, Engine::InProcess).await?;
    assert_eq!(report["batches"], 10);
    assert!(report["gas"]["seal"].as_u64().is_some_and(|g| g > 0));
    Ok(())
}

/// A `proofgate solvency worker` process, killed when dropped.
struct Worker(std::process::Child);

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The same pipeline with the agent proving on a real NATS server through two worker
/// processes (the daemon's `solvency_nats`): 12 depositors, three batches, every one proved by
/// a worker, sealed as the reference.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_epoch_is_proved_by_nats_workers_and_sealed() -> TestResult {
    let dir = tempfile::tempdir()?;
    let key = dir.path().join("solvency.pk");
    let keys = proofgate_agents::demo_solvency::setup_keys(8).await?;
    std::fs::write(&key, keys.encode()?)?;
    let server = LocalServer::start(&LocalServer::repo_binary(), &dir.path().join("nats"))?;
    let url = server.url();
    let workers = ["w1", "w2"]
        .iter()
        .map(|name| -> Result<Worker, Box<dyn std::error::Error>> {
            let child = std::process::Command::new(proofgate_binary()?)
                .args(["solvency", "worker", "--nats", &url, "--keys"])
                .arg(&key)
                .args(["--name", name])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()?;
            Ok(Worker(child))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let engine = Engine::Nats { url, options: NatsOptions::default() };
    let report = attest_at_scale(12, Some(keys), engine).await?;
    assert_eq!(report["batches"], 3);
    drop(workers);
    Ok(())
}

/// `scripts/solvency-scale`: `2^PROOFGATE_SCALE_DEPOSITORS_LOG2` depositors with the key at
/// `PROOFGATE_SCALE_KEY`, in process or on the NATS workers at `PROOFGATE_SCALE_NATS`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "tens of minutes: run by scripts/solvency-scale"]
async fn an_epoch_at_scale_is_attested_end_to_end() -> TestResult {
    let log2: u32 = match std::env::var("PROOFGATE_SCALE_DEPOSITORS_LOG2") {
        Ok(v) => v.parse()?,
        Err(_) => 16,
    };
    let key_path = std::env::var("PROOFGATE_SCALE_KEY")
        .map_err(|_| "PROOFGATE_SCALE_KEY must name the batch key (scripts/solvency-scale)")?;
    let keys = SolvencyKeys::decode(&std::fs::read(&key_path)?)?;
    let engine = match std::env::var("PROOFGATE_SCALE_NATS") {
        Ok(url) => Engine::Nats { url, options: NatsOptions::default() },
        Err(_) => Engine::InProcess,
    };
    let shape = serde_json::to_value(keys.shape)?;
    let mut report = attest_at_scale(1usize << log2, Some(keys), engine).await?;
    report["shape"] = shape;
    let text = serde_json::to_string_pretty(&report)?;
    eprintln!("{text}");
    if let Ok(path) = std::env::var("PROOFGATE_SCALE_REPORT") {
        std::fs::write(path, text)?;
    }
    Ok(())
}

//! The work queue against a real `nats-server` (installed by `scripts/setup` into
//! `.tools/nats`; these tests fail, not skip, without it) and in process.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use proofgate_prover::pipeline::nats::{self, LocalServer, Queue, WorkerStats};
use proofgate_prover::pipeline::{
    execute, json_handler, AcceptAll, Engine, Error, Handler, NatsOptions, Outcome, ResultCheck,
    Run, RunId, WorkResult,
};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

mod common;
use common::Server;

/// The server's URL.
fn url(server: &Server) -> String {
    server.server.url()
}

/// Short timings so redelivery happens within the test.
fn options(ack_wait_s: u64, max_deliver: i64) -> NatsOptions {
    NatsOptions {
        ack_wait: Duration::from_secs(ack_wait_s),
        max_deliver,
        poll: Duration::from_millis(500),
        ..NatsOptions::default()
    }
}

/// The result every test handler gives: `done:<job>`.
fn expected(job: &str) -> Vec<u8> {
    format!("done:{job}").into_bytes()
}

fn echo(job: &[u8]) -> Result<Vec<u8>, String> {
    Ok(expected(&String::from_utf8_lossy(job)))
}

fn run_of(jobs: &[&str], timeout_s: u64) -> Run {
    let jobs = jobs.iter().map(|j| j.as_bytes().to_vec()).collect();
    Run::new(RunId::fresh("test"), jobs, Duration::from_secs(timeout_s)).expect("run")
}

fn nats(server: &Server, options: &NatsOptions) -> Engine {
    Engine::Nats { url: url(server), options: options.clone() }
}

struct Worker {
    stop: oneshot::Sender<()>,
    task: JoinHandle<proofgate_prover::pipeline::Result<WorkerStats>>,
}

fn spawn_worker(url: &str, options: &NatsOptions, name: &str, handler: Arc<dyn Handler>) -> Worker {
    let (stop, stopped) = oneshot::channel::<()>();
    let url = url.to_string();
    let options = NatsOptions { name: Some(name.to_string()), ..options.clone() };
    let task = tokio::spawn(async move {
        let shutdown = async {
            let _ = stopped.await;
        };
        nats::run_worker_until(&url, &options, handler, shutdown).await
    });
    Worker { stop, task }
}

impl Worker {
    async fn stop(self) -> WorkerStats {
        let _ = self.stop.send(());
        self.task.await.expect("worker task").expect("worker")
    }
}

fn assert_echoed(results: &[WorkResult], jobs: &[&str]) {
    assert_eq!(results.len(), jobs.len());
    for (i, (result, job)) in results.iter().zip(jobs).enumerate() {
        assert_eq!(result.batch as usize, i);
        assert_eq!(result.payload, expected(job), "batch {i}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_do_every_batch_once() {
    let server = Server::start();
    let options = options(30, 3);
    let a = spawn_worker(&url(&server), &options, "a", Arc::new(echo));
    let b = spawn_worker(&url(&server), &options, "b", Arc::new(echo));
    let jobs = ["0", "1", "2", "3", "4", "5"];
    let results = execute(&nats(&server, &options), &run_of(&jobs, 30), Arc::new(echo), &AcceptAll)
        .await
        .expect("run completes");
    assert_echoed(&results, &jobs);
    assert!(results.iter().all(|r| r.worker == "a" || r.worker == "b"));
    let (a, b) = (a.stop().await, b.stop().await);
    assert_eq!(a.done + b.done, 6, "each job done once: {a:?} {b:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_worker_dying_mid_job_loses_nothing() {
    let server = Server::start();
    let options = options(2, 3);
    let (started_tx, mut started) = tokio::sync::mpsc::unbounded_channel::<Vec<u8>>();
    let release = Arc::new(AtomicBool::new(false));
    let hold = Arc::clone(&release);
    let doomed_handler = move |job: &[u8]| {
        let _ = started_tx.send(job.to_vec());
        while !hold.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(20));
        }
        echo(job)
    };
    let doomed = spawn_worker(&url(&server), &options, "doomed", Arc::new(doomed_handler));
    let jobs = ["0", "1", "2"];
    let run = run_of(&jobs, 60);
    let engine = nats(&server, &options);
    let collecting =
        tokio::spawn(async move { execute(&engine, &run, Arc::new(echo), &AcceptAll).await });
    let taken = tokio::time::timeout(Duration::from_secs(20), started.recv())
        .await
        .expect("the doomed worker takes a job")
        .expect("job");
    // The worker dies mid-job: no result, no ack, no more progress.
    doomed.task.abort();
    let died = Instant::now();
    let survivor = spawn_worker(&url(&server), &options, "survivor", Arc::new(echo));
    let results = collecting.await.expect("collector task").expect("run completes");
    release.store(true, Ordering::SeqCst);
    assert_echoed(&results, &jobs);
    let batch: usize = String::from_utf8_lossy(&taken).parse().expect("batch");
    assert_eq!(results[batch].worker, "survivor");
    assert!(
        died.elapsed() >= Duration::from_millis(1500),
        "the dead worker's job came back only after ack_wait ({:?})",
        died.elapsed()
    );
    assert_eq!(survivor.stop().await.done, 3);
}

/// Counts the duplicates it is shown; the fields that matter: the whole payload.
#[derive(Default)]
struct SamePayload {
    duplicates: AtomicUsize,
}

impl ResultCheck for SamePayload {
    fn same(&self, batch: u32, accepted: &[u8], again: &[u8]) -> Result<(), String> {
        self.duplicates.fetch_add(1, Ordering::SeqCst);
        if accepted == again {
            Ok(())
        } else {
            Err(format!("batch {batch}: payloads differ"))
        }
    }
}

/// Publishes results for `batch` of `run` from a ghost worker, before any real worker.
async fn ghost_results(server: &Server, options: &NatsOptions, run: &Run, payloads: &[&[u8]]) {
    let queue = Queue::open(&url(server), options).await.expect("queue");
    for (i, payload) in payloads.iter().enumerate() {
        let outcome = Outcome::Done(payload.to_vec());
        let attempt = format!("ghost-{i}");
        nats::publish_result(&queue, &run.id, 1, &attempt, "ghost", &outcome)
            .await
            .expect("ghost result");
        // The same attempt again is dropped by the server (Nats-Msg-Id).
        nats::publish_result(&queue, &run.id, 1, &attempt, "ghost", &outcome)
            .await
            .expect("ghost result again");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_duplicated_result_is_dropped() {
    let server = Server::start();
    let options = options(30, 3);
    let jobs = ["0", "1", "2"];
    let run = run_of(&jobs, 30);
    let same = expected("1");
    ghost_results(&server, &options, &run, &[&same, &same]).await;
    let worker = spawn_worker(&url(&server), &options, "w", Arc::new(echo));
    let check = SamePayload::default();
    let results = execute(&nats(&server, &options), &run, Arc::new(echo), &check)
        .await
        .expect("run completes");
    assert_echoed(&results, &jobs);
    assert_eq!(results[1].worker, "ghost", "the first result of a batch wins");
    let duplicates = check.duplicates.load(Ordering::SeqCst);
    assert!(
        (1..=2).contains(&duplicates),
        "one ghost duplicate (the resent attempt deduplicated by the server), maybe the worker's: {duplicates}"
    );
    worker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_duplicate_that_disagrees_fails_the_run() {
    let server = Server::start();
    let options = options(30, 3);
    let run = run_of(&["0", "1", "2"], 30);
    ghost_results(&server, &options, &run, &[&expected("1"), b"forged"]).await;
    let check = SamePayload::default();
    let err = execute(&nats(&server, &options), &run, Arc::new(echo), &check)
        .await
        .expect_err("the duplicates disagree");
    assert!(matches!(err, Error::Disagree { batch: 1, .. }), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn progress_acks_keep_a_long_job_from_redelivery() {
    let server = Server::start();
    let options = options(2, 3);
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    let slow = move |job: &[u8]| {
        counted.fetch_add(1, Ordering::SeqCst);
        std::thread::sleep(Duration::from_secs(5));
        echo(job)
    };
    let slow: Arc<dyn Handler> = Arc::new(slow);
    let a = spawn_worker(&url(&server), &options, "a", Arc::clone(&slow));
    let b = spawn_worker(&url(&server), &options, "b", Arc::clone(&slow));
    let started = Instant::now();
    let results = execute(&nats(&server, &options), &run_of(&["0"], 30), slow, &AcceptAll)
        .await
        .expect("run completes");
    assert_echoed(&results, &["0"]);
    assert!(started.elapsed() >= Duration::from_secs(5));
    assert_eq!(calls.load(Ordering::SeqCst), 1, "a 5 s job with a 2 s ack wait ran once");
    let (a, b) = (a.stop().await, b.stop().await);
    assert_eq!(a.done + b.done, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exhausted_deliveries_fail_the_run_naming_the_batch() {
    let server = Server::start();
    let options = options(1, 2);
    // A worker that takes jobs and dies with each: never acks, never reports.
    let queue = Queue::open(&url(&server), &options).await.expect("queue");
    let black_hole = tokio::spawn(async move {
        loop {
            let fetched = queue
                .consumer()
                .fetch()
                .max_messages(1)
                .expires(Duration::from_millis(500))
                .messages()
                .await;
            if let Ok(mut batch) = fetched {
                while let Some(message) = batch.next().await {
                    drop(message);
                }
            }
        }
    });
    let started = Instant::now();
    let err = execute(&nats(&server, &options), &run_of(&["0"], 30), Arc::new(echo), &AcceptAll)
        .await
        .expect_err("the job exhausts its deliveries");
    black_hole.abort();
    eprintln!("{err}");
    assert!(matches!(err, Error::MaxDeliveries { batch: 0, deliveries: 2, .. }), "{err}");
    assert!(err.to_string().contains("batch 0 exhausted its 2 deliveries"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(15));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_job_the_worker_refuses_fails_the_run() {
    let server = Server::start();
    let options = options(30, 3);
    let picky = |job: &[u8]| {
        if job == b"2" {
            Err("cannot prove: the job is for another shape".to_string())
        } else {
            echo(job)
        }
    };
    let worker = spawn_worker(&url(&server), &options, "picky", Arc::new(picky));
    let err = execute(
        &nats(&server, &options),
        &run_of(&["0", "1", "2"], 30),
        Arc::new(echo),
        &AcceptAll,
    )
    .await
    .expect_err("batch 2 is refused");
    eprintln!("{err}");
    assert!(matches!(err, Error::JobFailed { batch: 2, .. }), "{err}");
    assert!(
        err.to_string()
            .contains("batch 2 failed on worker picky: cannot prove: the job is for another shape"),
        "{err}"
    );
    assert_eq!(worker.stop().await.failed, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_result_within_the_timeout_names_the_missing_batches() {
    let server = Server::start();
    let err = execute(
        &nats(&server, &options(30, 3)),
        &run_of(&["0", "1"], 1),
        Arc::new(echo),
        &AcceptAll,
    )
    .await
    .expect_err("no worker");
    eprintln!("{err}");
    assert!(
        matches!(err, Error::Timeout { done: 0, total: 2, ref missing, .. } if *missing == [0, 1]),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_server_is_a_clear_error_without_credentials() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let options = NatsOptions { connect_timeout: Duration::from_secs(2), ..NatsOptions::default() };
    let engine = Engine::Nats { url: format!("nats://alice:s3cret@127.0.0.1:{port}"), options };
    let err = execute(&engine, &run_of(&["0"], 10), Arc::new(echo), &AcceptAll)
        .await
        .expect_err("nothing listens");
    let message = err.to_string();
    eprintln!("{message}");
    assert!(matches!(err, Error::Connect { .. }), "{message}");
    assert!(
        message.contains(&format!("cannot connect to NATS at nats://***@127.0.0.1:{port}")),
        "{message}"
    );
    assert!(!message.contains("s3cret"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_jetstream_is_a_clear_error() {
    let store = tempfile::tempdir().expect("temporary directory");
    let server = LocalServer::start_with(&LocalServer::repo_binary(), store.path(), false)
        .unwrap_or_else(|e| panic!("{e}"));
    let err = Queue::open(&server.url(), &options(30, 3)).await.err().expect("no JetStream");
    let message = err.to_string();
    eprintln!("{message}");
    assert!(matches!(err, Error::Server { .. }), "{message}");
    assert!(message.contains(&server.url()) && message.contains("-js"), "{message}");
}

#[test]
fn a_missing_server_binary_says_to_run_setup() {
    let err = LocalServer::start(
        std::path::Path::new("/nonexistent/nats-server"),
        std::path::Path::new("/tmp"),
    )
    .expect_err("missing");
    assert!(err.to_string().contains("run scripts/setup"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_process_does_every_batch_in_order() {
    let jobs = ["0", "1", "2"];
    let results = execute(&Engine::default(), &run_of(&jobs, 10), Arc::new(echo), &AcceptAll)
        .await
        .expect("run completes");
    assert_echoed(&results, &jobs);
    assert!(results.iter().all(|r| r.worker == "in-process"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_process_carries_serde_types_and_fails_on_a_refused_job() {
    let run =
        Run::from_json(RunId::fresh("json"), &[1u64, 2, 3], Duration::from_secs(10)).expect("run");
    let double = json_handler(|x: u64| Ok::<_, String>(x * 2));
    let results = execute(&Engine::InProcess, &run, Arc::new(double), &AcceptAll)
        .await
        .expect("run completes");
    let values: Vec<u64> = results.iter().map(|r| r.json().expect("json")).collect();
    assert_eq!(values, [2, 4, 6]);
    let refuse_two =
        json_handler(|x: u64| if x == 2 { Err("two is refused".to_string()) } else { Ok(x) });
    let err = execute(&Engine::InProcess, &run, Arc::new(refuse_two), &AcceptAll)
        .await
        .expect_err("batch 1 refused");
    assert!(matches!(err, Error::JobFailed { batch: 1, .. }), "{err}");
    let seen = Mutex::new(Vec::new());
    struct Record<'a>(&'a Mutex<Vec<u32>>);
    impl ResultCheck for Record<'_> {
        fn accept(&self, batch: u32, _: &[u8]) -> Result<(), String> {
            self.0.lock().map_err(|e| e.to_string())?.push(batch);
            Ok(())
        }
    }
    let double = json_handler(|x: u64| Ok::<_, String>(x * 2));
    execute(&Engine::InProcess, &run, Arc::new(double), &Record(&seen)).await.expect("run");
    assert_eq!(*seen.lock().expect("lock"), [0, 1, 2]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn large_jobs_pass_and_a_job_above_the_payload_limit_names_its_batch() {
    let server = Server::start();
    let options = options(30, 3);
    let size = |job: &[u8]| Ok(job.len().to_string().into_bytes());
    let worker = spawn_worker(&url(&server), &options, "w", Arc::new(size));
    let two_mib = vec![7u8; 2 << 20];
    let run = Run::new(RunId::fresh("big"), vec![two_mib], Duration::from_secs(30)).expect("run");
    let results = execute(&nats(&server, &options), &run, Arc::new(size), &AcceptAll)
        .await
        .expect("a 2 MiB job goes through");
    assert_eq!(results[0].payload, (2usize << 20).to_string().into_bytes());
    let too_big = vec![0u8; LocalServer::MAX_PAYLOAD + 1];
    let run = Run::new(RunId::fresh("big"), vec![b"0".to_vec(), too_big], Duration::from_secs(30))
        .expect("run");
    let err = execute(&nats(&server, &options), &run, Arc::new(size), &AcceptAll)
        .await
        .expect_err("above max_payload");
    eprintln!("{err}");
    assert!(matches!(err, Error::Publish { batch: 1, .. }), "{err}");
    assert!(err.to_string().contains("max_payload"), "{err}");
    worker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stopped_worker_finishes_its_job_first() {
    let server = Server::start();
    let options = options(30, 3);
    let (started_tx, mut started) = tokio::sync::mpsc::unbounded_channel::<()>();
    let slow = move |job: &[u8]| {
        let _ = started_tx.send(());
        std::thread::sleep(Duration::from_secs(1));
        echo(job)
    };
    let worker = spawn_worker(&url(&server), &options, "w", Arc::new(slow));
    let engine = nats(&server, &options);
    let collecting = tokio::spawn(async move {
        execute(&engine, &run_of(&["0"], 30), Arc::new(echo), &AcceptAll).await
    });
    started.recv().await.expect("the job starts");
    let stats = worker.stop().await;
    assert_eq!(stats.done, 1, "the running job was finished and acked");
    let results = collecting.await.expect("collector task").expect("run completes");
    assert_echoed(&results, &["0"]);
}

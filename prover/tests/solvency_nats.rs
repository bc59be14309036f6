//! `proofgate solvency prove --nats` and `proofgate solvency worker` as real processes against
//! a real `nats-server` (installed by `scripts/setup` into `.tools/nats`; these tests fail, not
//! skip, without it): workers prove an epoch exactly as the in-process engine does, a worker
//! SIGKILLed while it holds a batch loses nothing (the batch is redelivered to another worker
//! after the ack wait and the epoch comes out the same), a batch that exhausts its deliveries
//! fails the run naming it, and a worker with a key of another shape refuses the job and fails
//! the run with its reason.
//!
//! Proving a batch of 4 depositors takes well under a second here, too short to kill a worker
//! "mid-batch" by timing alone: the worker to be killed runs with the test fault hook
//! `PROOFGATE_TEST_PROVE_DELAY_MS` (it sleeps after taking a batch, before proving it), and is
//! killed with SIGKILL once it has logged that it is proving the batch. The batch is then
//! delivered and unacknowledged, exactly as when a worker dies during a long proof.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use proofgate_prover::solvency::{EpochProofs, SolvencyKeys};
use tempfile::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_proofgate");
const ADDRESS: &str = "0x00000000000000000000000000000000000000aa";
const DELAY_VAR: &str = "PROOFGATE_TEST_PROVE_DELAY_MS";
/// Depositors of the test epoch: 4 batches of 2^2 (the last one padded).
const DEPOSITORS: usize = 14;

mod common;
use common::Server;

/// The URL of `server` with credentials (it has no authorization and ignores them): no
/// output of the binary may show them.
fn url(server: &Server) -> String {
    format!("nats://alice:s3cret@127.0.0.1:{}", server.server.port())
}

/// A key for 2 assets, 64-bit balances and batches of 2^k, and a depositors file, in a
/// temporary directory.
struct Fixture {
    dir: TempDir,
    keys: PathBuf,
    depositors: PathBuf,
}

fn setup_key(dir: &Path, batch_depth: u32) -> PathBuf {
    let keys = dir.join(format!("k{batch_depth}.pk"));
    let out = Command::new(BIN)
        .args(["solvency", "setup", "--assets", "2", "--balance-bits", "64", "--batch-depth"])
        .arg(batch_depth.to_string())
        .arg("--out")
        .arg(&keys)
        .output()
        .expect("the proofgate binary runs");
    assert!(out.status.success(), "setup: {}", String::from_utf8_lossy(&out.stderr));
    keys
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let keys = setup_key(dir.path(), 2);
        let depositors = dir.path().join("depositors.json");
        let list: Vec<_> = (0..DEPOSITORS)
            .map(|j| {
                serde_json::json!({
                    "id": format!("depositor-{j}"),
                    "balances": [(1_000_000_007 * (j as u128 + 1)).to_string(),
                                 (u64::MAX as u128 - j as u128).to_string()],
                })
            })
            .collect();
        let file =
            serde_json::json!({"version": 1, "assets": ["WETH", "USDC"], "depositors": list});
        std::fs::write(&depositors, serde_json::to_vec(&file).expect("json")).expect("write");
        Fixture { dir, keys, depositors }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `solvency prove` of the fixture's epoch into `out`, with `extra` flags.
    fn prove(&self, out: &Path, extra: &[&str]) -> Command {
        let mut command = Command::new(BIN);
        command
            .args(["solvency", "prove", "--keys"])
            .arg(&self.keys)
            .arg("--depositors")
            .arg(&self.depositors)
            .args(["--agent", ADDRESS, "--attestor", ADDRESS, "--vault", ADDRESS])
            .args(["--chain-id", "31337", "--epoch", "9", "--deadline", "1781536000"])
            .args(["--timeout", "90"])
            .arg("--out")
            .arg(out)
            .args(extra);
        command
    }

    /// The epoch proved in process (the reference every NATS run must equal).
    fn in_process(&self) -> EpochProofs {
        let out = self.path("in-process.json");
        let mut command = self.prove(&out, &[]);
        let done = Proc::spawn(&mut command, "prove (in process)").finish(Duration::from_secs(60));
        assert!(done.status.success(), "in-process prove failed: {}", done.stderr);
        read_epoch(&out)
    }

    fn keys(&self) -> SolvencyKeys {
        SolvencyKeys::decode(&std::fs::read(&self.keys).expect("key file")).expect("key")
    }
}

fn read_epoch(path: &Path) -> EpochProofs {
    serde_json::from_slice(&std::fs::read(path).expect("epoch file")).expect("an epoch file")
}

/// A child process whose stdout and stderr are collected as they come (so a test can wait for
/// a log line), killed on drop.
struct Proc {
    name: String,
    child: Child,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

/// How a process ended.
struct Done {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

fn collect(stream: impl Read + Send + 'static) -> Arc<Mutex<String>> {
    let text = Arc::new(Mutex::new(String::new()));
    let sink = Arc::clone(&text);
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { return };
            let mut text = sink.lock().expect("lock");
            text.push_str(&line);
            text.push('\n');
        }
    });
    text
}

impl Proc {
    fn spawn(command: &mut Command, name: &str) -> Self {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the proofgate binary runs");
        let stdout = collect(child.stdout.take().expect("stdout"));
        let stderr = collect(child.stderr.take().expect("stderr"));
        Proc { name: name.to_string(), child, stdout, stderr }
    }

    /// `solvency worker` named `name` on `url`, with `extra` flags and environment.
    fn worker(url: &str, keys: &Path, name: &str, extra: &[&str], env: &[(&str, &str)]) -> Self {
        let mut command = Command::new(BIN);
        command
            .args(["solvency", "worker", "--nats", url, "--name", name, "--keys"])
            .arg(keys)
            .args(extra)
            .envs(env.iter().copied());
        let worker = Proc::spawn(&mut command, name);
        worker.wait_for("worker started", Duration::from_secs(20));
        worker
    }

    fn stderr(&self) -> String {
        self.stderr.lock().expect("lock").clone()
    }

    /// Waits until a line of stderr contains every one of `needles` (space separated), and
    /// returns that line.
    fn wait_for(&self, needles: &str, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let text = self.stderr();
            let found = text
                .lines()
                .find(|line| needles.split(' ').all(|n| line.contains(n)))
                .map(str::to_string);
            if let Some(line) = found {
                return line;
            }
            assert!(
                Instant::now() < deadline,
                "{}: no line with {needles:?} within {limit:?}; stderr:\n{text}",
                self.name
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits for the process to exit (killing it and failing after `limit`).
    fn finish(mut self, limit: Duration) -> Done {
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("{} did not exit within {limit:?}; stderr:\n{}", self.name, self.stderr());
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        // The readers end with the pipes; give them a moment to take the last lines.
        std::thread::sleep(Duration::from_millis(100));
        let stdout = self.stdout.lock().expect("lock").clone();
        Done { status, stdout, stderr: self.stderr() }
    }

    /// SIGKILL: the process dies at once, holding whatever it holds.
    fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }

    /// SIGTERM: a worker stops after the batch it is proving.
    fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -TERM {}", self.child.id());
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The proved epoch equals the in-process one in everything but the proofs (randomised) and
/// their provenance, and every proof verifies.
fn assert_same_epoch(fixture: &Fixture, got: &EpochProofs, reference: &EpochProofs) {
    got.verify(&fixture.keys()).expect("every proof verifies");
    assert_eq!(got.batch_count, 4);
    assert_eq!(got.batch_count, reference.batch_count);
    assert_eq!(got.accumulator, reference.accumulator, "accumulator");
    assert_eq!(got.totals, reference.totals, "totals");
    assert_eq!(got.context, reference.context);
    assert_eq!((got.shape, &got.vk_hash), (reference.shape, &reference.vk_hash));
    for (a, b) in got.batches.iter().zip(&reference.batches) {
        assert_eq!((a.batch_index, a.root, &a.sums), (b.batch_index, b.root, &b.sums));
        assert_eq!(a.inputs, b.inputs, "public inputs of batch {}", a.batch_index);
    }
    assert_ne!(got.run, reference.run, "each run has its own id");
}

fn no_credentials(text: &str) {
    assert!(!text.contains("s3cret") && !text.contains("alice"), "credentials shown:\n{text}");
}

#[test]
fn two_worker_processes_prove_the_epoch_the_in_process_engine_proves() {
    let fixture = Fixture::new();
    let reference = fixture.in_process();
    reference.verify(&fixture.keys()).expect("the in-process proofs verify");
    assert_eq!(reference.workers().get("in-process"), Some(&4));

    let server = Server::start();
    let url = url(&server);
    // A short delay per batch, so that both workers take some while the other proves.
    let slow = [(DELAY_VAR, "300")];
    let w1 = Proc::worker(&url, &fixture.keys, "w1", &[], &slow);
    let w2 = Proc::worker(&url, &fixture.keys, "w2", &[], &slow);
    let out = fixture.path("nats.json");
    let mut command = fixture.prove(&out, &["--nats", &url, "--json"]);
    let done = Proc::spawn(&mut command, "prove").finish(Duration::from_secs(60));
    assert!(done.status.success(), "prove --nats failed: {}", done.stderr);
    no_credentials(&done.stdout);
    no_credentials(&done.stderr);
    let summary: serde_json::Value = serde_json::from_str(&done.stdout).expect("JSON summary");
    assert_eq!(summary["engine"], "nats");
    assert_eq!(summary["batch_count"], 4);

    let got = read_epoch(&out);
    assert_same_epoch(&fixture, &got, &reference);
    let workers = got.workers();
    assert_eq!(workers.values().sum::<usize>(), 4);
    assert!(workers.keys().all(|w| w == "w1" || w == "w2"), "{workers:?}");
    assert!(workers.len() == 2, "both workers proved batches: {workers:?}");
    assert_eq!(summary["accumulator"], format!("0x{}", hex::encode(got.accumulator)));

    // SIGTERM stops a worker cleanly; it reports what it did.
    w1.terminate();
    w2.terminate();
    for (worker, name) in [(w1, "w1"), (w2, "w2")] {
        let stopped = worker.finish(Duration::from_secs(20));
        assert!(stopped.status.success(), "{name}: {}", stopped.stderr);
        assert!(stopped.stderr.contains("batch proved"), "{name} logs its batches");
        assert!(stopped.stderr.contains("prove_s="), "{name} logs the prove time");
        no_credentials(&stopped.stderr);
        assert!(
            stopped.stdout.contains(&format!("{} batches proved", workers[name])),
            "{name}: {}",
            stopped.stdout
        );
    }
}

#[test]
fn a_worker_killed_mid_batch_loses_nothing() {
    let fixture = Fixture::new();
    let reference = fixture.in_process();
    let server = Server::start();
    let url = url(&server);
    let queue = ["--ack-wait", "3"];

    // Worker A takes the first batch and sits on it (the fault hook) until it is killed.
    let a = Proc::worker(&url, &fixture.keys, "a", &queue, &[(DELAY_VAR, "120000")]);
    let out = fixture.path("nats.json");
    let mut command = fixture.prove(&out, &["--nats", &url, "--ack-wait", "3"]);
    let prove = Proc::spawn(&mut command, "prove");
    let line = a.wait_for("proving batch batch=", Duration::from_secs(30));
    let batch: u32 = line
        .split("batch=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a batch index in {line:?}"));
    a.kill();
    let killed_at = Instant::now();

    // Worker B proves the rest, and A's batch once JetStream redelivers it.
    let b = Proc::worker(&url, &fixture.keys, "b", &queue, &[]);
    let done = prove.finish(Duration::from_secs(60));
    assert!(done.status.success(), "prove --nats failed: {}", done.stderr);
    let redelivered = b.wait_for(&format!("job started batch={batch} delivered=2"), Duration::ZERO);
    assert!(redelivered.contains("worker=b"), "{redelivered}");
    assert!(
        killed_at.elapsed() >= Duration::from_secs(2),
        "the batch came back only after the ack wait"
    );

    let got = read_epoch(&out);
    assert_same_epoch(&fixture, &got, &reference);
    assert_eq!(got.workers().get("b"), Some(&4), "every batch by b: {:?}", got.workers());
}

#[test]
fn a_batch_that_exhausts_its_deliveries_fails_the_run_naming_it() {
    let fixture = Fixture::new();
    let server = Server::start();
    let url = url(&server);
    let queue = ["--ack-wait", "2", "--max-deliver", "1"];
    let a = Proc::worker(&url, &fixture.keys, "a", &queue, &[(DELAY_VAR, "120000")]);
    let out = fixture.path("nats.json");
    let mut flags = vec!["--nats", url.as_str()];
    flags.extend(queue);
    let mut command = fixture.prove(&out, &flags);
    let prove = Proc::spawn(&mut command, "prove");
    let line = a.wait_for("proving batch batch=0", Duration::from_secs(30));
    assert!(line.contains("batch_count=4"), "{line}");
    a.kill();

    let done = prove.finish(Duration::from_secs(60));
    assert_eq!(done.status.code(), Some(2), "{}", done.stderr);
    assert!(
        done.stderr.contains("batch 0 exhausted its 1 deliveries without a result"),
        "{}",
        done.stderr
    );
    no_credentials(&done.stderr);
    assert!(!out.exists(), "nothing is written when the run fails");
}

#[test]
fn a_worker_with_a_key_of_another_shape_refuses_and_the_run_fails_with_its_reason() {
    let fixture = Fixture::new();
    let other = setup_key(fixture.dir.path(), 1);
    let server = Server::start();
    let url = url(&server);
    let w = Proc::worker(&url, &other, "odd", &[], &[]);
    let out = fixture.path("nats.json");
    let mut command = fixture.prove(&out, &["--nats", &url, "--json"]);
    let done = Proc::spawn(&mut command, "prove").finish(Duration::from_secs(60));
    assert_eq!(done.status.code(), Some(2), "{}", done.stderr);
    for needle in
        ["batch 0 failed on worker odd", "batch_depth: 2", "the key for", "batch_depth: 1"]
    {
        assert!(done.stderr.contains(needle), "{needle:?} in:\n{}", done.stderr);
    }
    let error: serde_json::Value = serde_json::from_str(&done.stdout).expect("a JSON error");
    assert_eq!(error["ok"], false);
    no_credentials(&done.stderr);
    assert!(!out.exists(), "nothing is written when the run fails");
    let refused = w.wait_for("batch refused batch=0", Duration::from_secs(5));
    assert!(refused.contains("the key for"), "{refused}");
}

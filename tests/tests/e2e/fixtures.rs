//! The forge tests' committed proof fixtures (`RiskVerifier.sol`, `proofs.json`,
//! `SolvencyVerifier.sol`, `solvency.json`) are exactly what `scripts/regen-fixtures` writes for
//! the committed scenario, and their proofs are what they claim: honest ones verify, the invalid
//! ones verify only for their own statement; each solvency proof verifies for its own epoch's
//! statement on the scenario's chain, vault, agent, attestor and deadline, and for no other epoch,
//! attestor or deadline.
//!
//! One deterministic setup and the proofs are generated once per test binary run (a few seconds
//! in release, longer in a debug build: the setup of the default circuit dominates).

use std::sync::OnceLock;

use alloy::primitives::U256;
use proofgate_e2e::fixtures::{
    self, repo_root, Case, Expected, Fixtures, ProofsFile, PROOFS_PATH, REGEN_COMMAND,
    SCENARIO_PATH,
};
use proofgate_e2e::scenario::Scenario;
use proofgate_e2e::solvency::{
    self, deadline, SolvencyBatch, SolvencyCase, SolvencyFile, BALANCE_BITS, BATCH_DEPTH,
    SOLVENCY_PATH,
};
use proofgate_prover::serde_fr::parse_decimal;
use proofgate_prover::snark;
use proofgate_prover::solvency::{accumulate, BatchStatement, SolvencyShape};
use proofgate_verifier_codegen::calldata::{inputs_from_words, proof_from_words};

/// The fixtures regenerated in memory from the committed scenario.
fn regenerated() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let scenario = Scenario::read(&repo_root().join(SCENARIO_PATH)).expect("scenario");
        fixtures::generate(&scenario).expect("generate")
    })
}

/// The first line where `committed` and `fresh` differ, for the failure message.
fn first_difference(committed: &str, fresh: &str) -> String {
    let mut lines = committed.lines().zip(fresh.lines()).enumerate();
    match lines.find(|(_, (a, b))| a != b) {
        Some((i, (a, b))) => format!("line {}: committed {a:?}, regenerated {b:?}", i + 1),
        None => format!(
            "{} committed lines, {} regenerated",
            committed.lines().count(),
            fresh.lines().count()
        ),
    }
}

#[test]
fn the_committed_verifier_and_proofs_are_what_regen_fixtures_writes() {
    let fresh = regenerated();
    for (path, contents) in fresh.files().expect("render") {
        let committed = std::fs::read_to_string(repo_root().join(path))
            .unwrap_or_else(|e| panic!("fixtures are stale: run {REGEN_COMMAND} ({path}: {e})"));
        assert!(
            committed == contents,
            "fixtures are stale: run {REGEN_COMMAND} ({path} differs at {})",
            first_difference(&committed, &contents)
        );
    }
}

fn words(strings: &[String]) -> Vec<U256> {
    strings.iter().map(|s| s.parse().expect("decimal word")).collect()
}

/// Whether `case`'s proof verifies for `inputs` off-chain, read exactly as the verifier reads it.
fn verifies(case: &Case, inputs: &[String]) -> bool {
    let proof: [U256; 8] = words(&case.proof).try_into().expect("8 proof words");
    let proof = proof_from_words(&proof).expect("proof points on the curve");
    let inputs = inputs_from_words(&words(inputs)).expect("inputs below r");
    let pvk = snark::prepare(&regenerated().vk);
    snark::verify(&pvk, &inputs, &proof).expect("input count")
}

#[test]
fn honest_proofs_verify_and_invalid_ones_only_for_their_own_statement() {
    let committed = std::fs::read(repo_root().join(PROOFS_PATH)).expect("proofs.json");
    let file: ProofsFile = serde_json::from_slice(&committed).expect("proofs.json parses");
    let honest = |trade: &str| {
        file.cases
            .iter()
            .find(|c| c.expected == Expected::Valid && c.trade == trade)
            .unwrap_or_else(|| panic!("no honest case for trade {trade:?}"))
    };
    let invalid: Vec<&str> = file
        .cases
        .iter()
        .filter(|c| c.expected == Expected::Invalid)
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(invalid, ["uncertified_model", "other_vault", "other_agent", "other_chain"]);
    for case in &file.cases {
        assert!(verifies(case, &case.public_inputs), "{}: own statement", case.name);
        if case.expected == Expected::Invalid {
            let vaults_inputs = &honest(&case.trade).public_inputs;
            assert_ne!(&case.public_inputs, vaults_inputs, "{}", case.name);
            assert!(!verifies(case, vaults_inputs), "{} verifies on this vault", case.name);
        }
    }
    // Each invalid case differs from the vault's statement in exactly one input: the binding
    // (third from last) or the model commitment (second from last).
    for case in file.cases.iter().filter(|c| c.expected == Expected::Invalid) {
        let vaults_inputs = &honest(&case.trade).public_inputs;
        let n = vaults_inputs.len();
        assert_eq!(vaults_inputs[n - 2], file.model_commitment);
        assert_eq!(vaults_inputs[n - 1], file.params_commitment);
        let differing: Vec<usize> =
            (0..n).filter(|&i| case.public_inputs[i] != vaults_inputs[i]).collect();
        let expected = if case.name == "uncertified_model" { n - 2 } else { n - 3 };
        assert_eq!(differing, [expected], "{}", case.name);
        if case.name == "uncertified_model" {
            assert_eq!(case.public_inputs[n - 2], file.uncertified_model_commitment);
        }
    }
}

/// Whether a solvency batch's proof verifies for `inputs` under the solvency key.
fn solvency_verifies(batch: &SolvencyBatch, inputs: &[String]) -> bool {
    let proof: [U256; 8] = words(&batch.proof).try_into().expect("8 proof words");
    let proof = proof_from_words(&proof).expect("proof points on the curve");
    let inputs = inputs_from_words(&words(inputs)).expect("inputs below r");
    let pvk = snark::prepare(&regenerated().solvency.vk);
    snark::verify(&pvk, &inputs, &proof).expect("input count")
}

/// The statement of `batch` of `case` in `file`, bound as given.
fn batch_statement(
    file: &SolvencyFile,
    case: &SolvencyCase,
    batch: &SolvencyBatch,
    bind: (u64, [u8; 20], u64, u32),
) -> BatchStatement {
    let (epoch, attestor, deadline, batch_index) = bind;
    BatchStatement {
        agent: file.agent,
        attestor,
        vault: file.vault,
        chain_id: file.chain_id,
        epoch,
        deadline,
        batch_index,
        batch_count: case.batch_count,
        root: parse_decimal(&batch.root).expect("root"),
        sums: batch.sums.iter().map(|t| t.parse().expect("a sum")).collect(),
    }
}

/// Each batch's proof verifies for its own statement (the attestor's inputs) and for no other
/// epoch, attestor, deadline or batch index; the batches chain into the case's accumulator
/// and totals.
fn check_solvency_case(file: &SolvencyFile, shape: &SolvencyShape, case: &SolvencyCase) {
    assert_eq!(case.deadline, file.deadline, "{}", case.name);
    assert_eq!(case.batches.len(), case.batch_count as usize, "{}", case.name);
    let (mut acc, mut totals) = ([0u8; 32], vec![U256::ZERO; shape.n_assets]);
    for (i, batch) in case.batches.iter().enumerate() {
        assert_eq!(batch.index as usize, i, "{}: in index order", case.name);
        let inputs = |bind| -> Vec<String> {
            let st = batch_statement(file, case, batch, bind);
            let inputs = st.public_inputs(shape).expect("in range");
            inputs.iter().map(proofgate_prover::serde_fr::to_decimal).collect()
        };
        let own = (case.epoch, file.attestor, case.deadline, batch.index);
        assert_eq!(batch.public_inputs.len(), shape.public_input_count(), "{}", case.name);
        assert_eq!(batch.public_inputs, inputs(own), "{} batch {i}: the inputs", case.name);
        assert!(solvency_verifies(batch, &batch.public_inputs), "{} batch {i}", case.name);
        let mut other_attestor = file.attestor;
        other_attestor[19] ^= 1;
        for (what, bind) in [
            ("next epoch", (case.epoch + 1, file.attestor, case.deadline, batch.index)),
            ("another attestor", (case.epoch, other_attestor, case.deadline, batch.index)),
            ("another deadline", (case.epoch, file.attestor, case.deadline + 1, batch.index)),
        ] {
            assert!(!solvency_verifies(batch, &inputs(bind)), "{} batch {i}: {what}", case.name);
        }
        if case.batch_count > 1 {
            let other = (batch.index + 1) % case.batch_count;
            let bind = (case.epoch, file.attestor, case.deadline, other);
            assert!(!solvency_verifies(batch, &inputs(bind)), "{} batch {i}: index", case.name);
        }
        let st = batch_statement(file, case, batch, own);
        acc = accumulate(&acc, &st.root, &st.sums);
        totals.iter_mut().zip(&st.sums).for_each(|(t, s)| *t += *s);
    }
    assert_eq!(format!("0x{}", hex::encode(acc)), case.accumulator, "{}", case.name);
    let listed: Vec<U256> = case.totals.iter().map(|t| t.parse().expect("a total")).collect();
    assert_eq!(listed, totals, "{}: the totals are the batches' sums", case.name);
}

#[test]
fn solvency_proofs_verify_for_their_own_epoch_vault_agent_attestor_deadline_and_batch_only() {
    let committed = std::fs::read(repo_root().join(SOLVENCY_PATH)).expect("solvency.json");
    let file: SolvencyFile = serde_json::from_slice(&committed).expect("solvency.json parses");
    let scenario = Scenario::read(&repo_root().join(SCENARIO_PATH)).expect("scenario");
    let shape = solvency::shape(scenario.assets.len()).expect("the fixtures' shape");
    assert_eq!(
        (file.chain_id, file.vault, file.agent),
        (scenario.chain_id, scenario.vault, scenario.agent)
    );
    assert_eq!(
        (file.shape.n_assets, file.shape.balance_bits, file.shape.batch_depth),
        (shape.n_assets, BALANCE_BITS, BATCH_DEPTH)
    );
    assert_eq!(file.attestor, scenario.solvency_attestor);
    assert_eq!(file.deadline, deadline(&scenario).expect("deadline"));
    assert_eq!(file.deadline, 1_781_536_000, "the scenario's timestamp plus 365 days");
    let names: Vec<&str> = file.cases.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["book_epoch_1", "book_epoch_2", "small_epoch_3", "empty_epoch_1"]);
    for case in &file.cases {
        check_solvency_case(&file, &shape, case);
        if case.name.starts_with("empty") {
            assert!(case.totals.iter().all(|t| t == "0"), "{}", case.name);
        } else {
            assert!(case.totals.iter().all(|t| t != "0"), "{}", case.name);
        }
    }
}

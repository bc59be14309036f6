//! The solvency circuit against its native reference: a solvent book is satisfied and proves;
//! each failure family (units, per-asset value, total value, a hidden negative balance, a wrong
//! root or totals, a broken commitment chain) is caught by both; a proof verifies only for its
//! own public inputs.

use ark_bn254::{Bn254, Fr};
use ark_groth16::Groth16;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};
use ark_snark::SNARK;
use proofgate_prover::solvency::attestation::{
    check, off_vault_commitment, public_input_count, witness_leaves, AttestedAsset,
    SolvencyStatement, SolvencyViolation, SolvencyWitness,
};
use proofgate_prover::solvency::circuit::SolvencyCircuit;
use proofgate_prover::solvency::{Depositor, Depositors, SumTree};
use rand::rngs::StdRng;
use rand::SeedableRng;

const DEPTH: u32 = 2;
const N: usize = 3;

/// Three assets (18, 6 and 8 decimals), three depositors, and a vault that covers them with
/// room to spare.
fn solvent() -> (SolvencyStatement, SolvencyWitness) {
    let depositors = Depositors::new(
        vec!["WETH".into(), "USDC".into(), "WBTC".into()],
        vec![
            Depositor {
                id: "alice".into(),
                balances: vec![2_000_000_000_000_000_000, 1_000_000_000, 10_000_000],
            },
            Depositor {
                id: "bob".into(),
                balances: vec![500_000_000_000_000_000, 5_000_000_000, 0],
            },
            Depositor { id: "carol".into(), balances: vec![0, 250_000_000, 30_000_000] },
        ],
    )
    .expect("valid depositors");
    let tree = SumTree::build(&depositors, DEPTH).expect("tree");
    let root = tree.root();
    let totals: Vec<u128> = root
        .totals
        .iter()
        .map(|t| proofgate_prover::solvency::to_u128(t).expect("small"))
        .collect();
    let off_vault = vec![1_000_000_000_000_000_000u128, 0, 5_000_000];
    let blinding = Fr::from(987_654_321u64);
    let previous = Fr::from(42u64);
    let epoch = 7;
    let assets = vec![
        AttestedAsset {
            vault_holding: 3_000_000_000_000_000_000,
            price_1e8: 3_000 * 100_000_000,
            haircut_bps: 9_000,
            scale: 1,
        },
        AttestedAsset {
            vault_holding: 8_000_000_000,
            price_1e8: 100_000_000,
            haircut_bps: 9_800,
            scale: 1_000_000_000_000,
        },
        AttestedAsset {
            vault_holding: 50_000_000,
            price_1e8: 60_000 * 100_000_000,
            haircut_bps: 8_500,
            scale: 10_000_000_000,
        },
    ];
    let statement = SolvencyStatement {
        agent: [1; 20],
        vault: [2; 20],
        chain_id: 31_337,
        epoch,
        margin_bps: 500,
        assets,
        root: root.hash,
        totals,
        previous_commitment: previous,
        new_commitment: off_vault_commitment(previous, epoch, &off_vault, blinding),
    };
    let witness =
        SolvencyWitness { leaves: witness_leaves(&depositors, DEPTH), off_vault, blinding };
    (statement, witness)
}

fn satisfied(statement: &SolvencyStatement, witness: &SolvencyWitness) -> bool {
    let cs = ConstraintSystem::<Fr>::new_ref();
    let circuit = SolvencyCircuit {
        n_assets: N,
        depth: DEPTH,
        assignment: Some((statement.clone(), witness.clone())),
    };
    match circuit.generate_constraints(cs.clone()) {
        Ok(()) => cs.is_satisfied().expect("satisfiability is computable"),
        Err(_) => false,
    }
}

/// The circuit and the reference agree, and the reference reports `expected`.
fn assert_case(
    statement: &SolvencyStatement,
    witness: &SolvencyWitness,
    expected: &[SolvencyViolation],
) {
    let violations = check(statement, witness);
    for v in expected {
        assert!(violations.contains(v), "expected {v:?} in {violations:?}");
    }
    assert_eq!(violations.is_empty(), expected.is_empty(), "{violations:?}");
    assert_eq!(
        satisfied(statement, witness),
        violations.is_empty(),
        "circuit and reference disagree on {violations:?}"
    );
}

#[test]
fn a_solvent_book_satisfies_both() {
    let (statement, witness) = solvent();
    assert_case(&statement, &witness, &[]);
    assert_eq!(statement.public_inputs().expect("in range").len(), public_input_count(N));
}

#[test]
fn a_shortfall_in_one_asset_is_caught_in_units_and_value() {
    let (mut statement, mut witness) = solvent();
    // USDC: vault 8,000 + nothing elsewhere against 6,250 owed: fine; now owe more than held.
    statement.assets[1].vault_holding = 6_000_000_000;
    witness.off_vault[1] = 0;
    assert_case(
        &statement,
        &witness,
        &[SolvencyViolation::Units(1), SolvencyViolation::AssetValue(1)],
    );
}

#[test]
fn a_haircut_shortfall_in_one_asset_is_caught_even_when_units_cover() {
    let (mut statement, witness) = solvent();
    // 6,250 USDC owed, 8,000 held: units cover, but a 70 % haircut does not cover 105 %.
    statement.assets[1].haircut_bps = 7_000;
    assert_case(&statement, &witness, &[SolvencyViolation::AssetValue(1)]);
}

#[test]
fn a_total_shortfall_is_caught() {
    let (mut statement, witness) = solvent();
    // A margin so large that no asset and not the total covers it.
    statement.margin_bps = 60_000;
    let violations = check(&statement, &witness);
    assert!(violations.contains(&SolvencyViolation::TotalValue), "{violations:?}");
    assert!(!satisfied(&statement, &witness));
}

#[test]
fn a_negative_balance_hidden_in_the_tree_is_caught() {
    let (mut statement, mut witness) = solvent();
    // Carol "owes" 100 WETH: a balance of -100 WETH modulo the field, which lowers the total.
    let hidden = -Fr::from(100_000_000_000_000_000_000u128);
    witness.leaves[2].1[0] = hidden;
    // The operator publishes the root and totals of that tree (the WETH total wraps).
    let root = recompute_root(&witness);
    statement.root = root.0;
    statement.totals[0] = 0;
    assert!(check(&statement, &witness)
        .contains(&SolvencyViolation::OutOfRange("a depositor balance".into())));
    assert!(!satisfied(&statement, &witness));
}

fn recompute_root(witness: &SolvencyWitness) -> (Fr, Vec<Fr>) {
    use proofgate_prover::solvency::{leaf_hash, node_hash};
    let mut level: Vec<(Fr, Vec<Fr>)> =
        witness.leaves.iter().map(|(id, b)| (leaf_hash(*id, b), b.clone())).collect();
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|p| {
                let sums: Vec<Fr> = p[0].1.iter().zip(&p[1].1).map(|(l, r)| *l + r).collect();
                (node_hash(p[0].0, p[1].0, &sums), sums)
            })
            .collect();
    }
    level.remove(0)
}

#[test]
fn a_wrong_root_or_total_is_caught() {
    let (mut statement, witness) = solvent();
    statement.totals[2] -= 1;
    assert_case(&statement, &witness, &[SolvencyViolation::TreeMismatch]);
    let (mut statement, witness) = solvent();
    statement.root += Fr::from(1u64);
    assert_case(&statement, &witness, &[SolvencyViolation::TreeMismatch]);
}

#[test]
fn a_swapped_off_vault_position_breaks_the_commitment_chain() {
    let (statement, mut witness) = solvent();
    witness.off_vault[0] += 1;
    assert_case(&statement, &witness, &[SolvencyViolation::CommitmentMismatch]);
    let (mut statement, witness) = solvent();
    statement.previous_commitment += Fr::from(1u64);
    assert_case(&statement, &witness, &[SolvencyViolation::CommitmentMismatch]);
}

#[test]
fn a_proof_verifies_only_for_its_own_statement() {
    let (statement, witness) = solvent();
    let mut rng = StdRng::seed_from_u64(7);
    let shape = SolvencyCircuit { n_assets: N, depth: DEPTH, assignment: None };
    let (pk, vk) = Groth16::<Bn254>::circuit_specific_setup(shape, &mut rng).expect("setup");
    let circuit = SolvencyCircuit {
        n_assets: N,
        depth: DEPTH,
        assignment: Some((statement.clone(), witness)),
    };
    let proof = Groth16::<Bn254>::prove(&pk, circuit, &mut rng).expect("prove");
    let inputs = statement.public_inputs().expect("in range");
    assert!(Groth16::<Bn254>::verify(&vk, &inputs, &proof).expect("verify"));
    for i in 0..inputs.len() {
        let mut changed = inputs.clone();
        changed[i] += Fr::from(1u64);
        assert!(!Groth16::<Bn254>::verify(&vk, &changed, &proof).expect("verify"), "input {i}");
    }
    // Another epoch changes the binding and the header.
    let mut later = statement.clone();
    later.epoch += 1;
    let later_inputs = later.public_inputs().expect("in range");
    assert!(!Groth16::<Bn254>::verify(&vk, &later_inputs, &proof).expect("verify"));
}

#[test]
fn a_haircut_above_one_is_refused_by_the_range_check_alone() {
    let (mut statement, witness) = solvent();
    // The book is solvent at any haircut up to one; 100.01 % would count more than is held, and
    // only the haircut's range constraint stops it.
    statement.assets[0].haircut_bps = 10_001;
    let violations = check(&statement, &witness);
    assert!(
        matches!(violations.as_slice(), [SolvencyViolation::OutOfRange(what)] if what.contains("haircut")),
        "{violations:?}"
    );
    assert!(!satisfied(&statement, &witness), "the circuit must refuse a haircut above 10,000 bps");
    statement.assets[0].haircut_bps = 10_000;
    assert_case(&statement, &witness, &[]);
}

#[test]
fn the_prover_refuses_an_insolvent_book_with_its_reasons() {
    use proofgate_prover::solvency::SolvencyKeys;
    let keys = SolvencyKeys::setup(N, DEPTH, &mut StdRng::seed_from_u64(5)).expect("setup");
    let (mut statement, witness) = solvent();
    statement.assets[1].haircut_bps = 7_000;
    match keys.prove(&statement, &witness, &mut StdRng::seed_from_u64(6)) {
        Err(proofgate_prover::Error::Insolvent(reasons)) => {
            assert_eq!(reasons, vec![SolvencyViolation::AssetValue(1)]);
        }
        other => panic!("expected Insolvent, got {:?}", other.map(|_| ())),
    }
    statement.assets[1].haircut_bps = 9_000;
    let (proof, inputs) =
        keys.prove(&statement, &witness, &mut StdRng::seed_from_u64(7)).expect("solvent");
    assert!(Groth16::<Bn254>::verify(keys.vk(), &inputs, &proof).expect("verifies"));
}

//! The batch circuit against its native reference, through the public API: an honest batch
//! proves and verifies; a proof verifies only for its own binding (agent, attestor, vault,
//! chain, epoch, deadline, batch index and count), root and sums; the prover refuses a batch
//! the reference refuses; the shapes' public inputs; pinned binding and accumulator vectors
//! (the attestor's tests check the same); and the reference and the circuit agree on random
//! books, honest or tampered (property test).
//!
//! Each constraint family broken alone is tested inside the crate
//! (`solvency::circuit_tests`), where the test-only tamper hooks live.

use alloy::primitives::U256;
use ark_bn254::Fr;
use ark_ff::{BigInteger, PrimeField};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};
use proofgate_prover::solvency::attestation::{pack_words, witness_root};
use proofgate_prover::solvency::circuit::BatchCircuit;
use proofgate_prover::solvency::{
    accumulate, check, BatchJob, BatchProver, BatchStatement, BatchWitness, Depositor, Depositors,
    EpochBinding, EpochTree, SolvencyKeys, SolvencyShape, SolvencyViolation,
};
use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::SeedableRng;

const BINDING: EpochBinding = EpochBinding {
    agent: [1; 20],
    attestor: [3; 20],
    vault: [2; 20],
    chain_id: 31_337,
    epoch: 7,
    deadline: 1_781_536_000,
};

fn tiny() -> SolvencyShape {
    SolvencyShape::new(3, 16, 2).expect("shape")
}

/// Six depositors in two batches of four.
fn epoch() -> EpochTree {
    let depositors = (0..6u128)
        .map(|k| Depositor { id: format!("d{k}"), balances: vec![k, 65_535 - k, 1_000 * k] })
        .collect();
    let depositors =
        Depositors::new(vec!["A".into(), "B".into(), "C".into()], depositors).expect("valid");
    EpochTree::build(&depositors, tiny()).expect("tree")
}

fn satisfied(shape: SolvencyShape, statement: &BatchStatement, witness: &BatchWitness) -> bool {
    let Ok(circuit) = BatchCircuit::assigned(shape, statement, witness) else {
        return false;
    };
    let cs = ConstraintSystem::<Fr>::new_ref();
    circuit.generate_constraints(cs.clone()).expect("synthesis succeeds");
    cs.is_satisfied().expect("assigned")
}

#[test]
fn a_batch_proof_verifies_only_for_its_own_statement() {
    let tree = epoch();
    let keys = SolvencyKeys::setup(tiny(), &mut StdRng::seed_from_u64(7)).expect("setup");
    let statement = tree.batch_statement(1, &BINDING).expect("statement");
    assert_eq!((statement.batch_index, statement.batch_count), (1, 2));
    let witness = tree.batch_witness(1).expect("witness");
    let (proof, inputs) =
        keys.prove_batch(&statement, &witness, &mut StdRng::seed_from_u64(8)).expect("prove");
    assert_eq!(inputs, statement.public_inputs(&tiny()).expect("inputs"));
    assert!(keys.verify_batch(&statement, &proof).expect("verify"));
    type Change = fn(&mut BatchStatement);
    let others: [(&str, Change); 11] = [
        ("agent", |s| s.agent[19] ^= 1),
        ("attestor", |s| s.attestor[0] ^= 1),
        ("vault", |s| s.vault[0] ^= 1),
        ("chain", |s| s.chain_id = 1),
        ("epoch", |s| s.epoch += 1),
        ("deadline", |s| s.deadline += 1),
        ("batch index", |s| s.batch_index = 0),
        ("batch count", |s| s.batch_count = 3),
        ("agent and attestor swapped", |s| std::mem::swap(&mut s.agent, &mut s.attestor)),
        ("root", |s| s.root += Fr::from(1u64)),
        ("sum", |s| s.sums[2] += U256::from(1u8)),
    ];
    for (what, change) in others {
        let mut other = statement.clone();
        change(&mut other);
        assert!(!keys.verify_batch(&other, &proof).expect("verify"), "another {what}");
    }

    // The same through a job and its result, as the pipeline runs it.
    let job = BatchJob::new(
        "run-1".into(),
        tiny(),
        keys.vk_hash().expect("hash"),
        statement.clone(),
        witness.clone(),
    );
    let json = serde_json::to_string(&job).expect("encode");
    let job: BatchJob = serde_json::from_str(&json).expect("decode");
    let result = BatchProver::prove(&keys, &job).expect("proves");
    result.check(&job, &keys).expect("the result is its job's");
    let back =
        serde_json::from_value(serde_json::to_value(&result).expect("encode")).expect("decode");
    assert_eq!(result, back);
    let mut forged = result.clone();
    forged.sums[0] += U256::from(1u8);
    assert!(forged.check(&job, &keys).is_err());
    let mut other = job.clone();
    other.vk_hash = "0x00".into();
    assert!(BatchProver::prove(&keys, &other).is_err(), "another key's job");
}

#[test]
fn the_prover_refuses_a_batch_the_reference_refuses() {
    let tree = epoch();
    let keys = SolvencyKeys::setup(tiny(), &mut StdRng::seed_from_u64(5)).expect("setup");
    let mut statement = tree.batch_statement(0, &BINDING).expect("statement");
    let witness = tree.batch_witness(0).expect("witness");
    statement.sums[1] += U256::from(1u8);
    match keys.prove_batch(&statement, &witness, &mut StdRng::seed_from_u64(6)) {
        Err(proofgate_prover::Error::Insolvent(reasons)) => {
            assert_eq!(reasons, vec![SolvencyViolation::TreeMismatch]);
        }
        other => panic!("expected Insolvent, got {:?}", other.map(|_| ())),
    }
    let mut short = statement;
    short.sums.pop();
    let err = keys.prove_batch(&short, &witness, &mut StdRng::seed_from_u64(6)).map(|_| ());
    assert!(matches!(err, Err(proofgate_prover::Error::StatementMismatch(_))), "{err:?}");
}

/// Public inputs of the shapes the issue names: words of `L = floor(253 / S)` sums.
#[test]
fn the_shapes_pack_their_sums_into_the_specified_words() {
    for (b, k, lanes, count) in [
        (64, 10, 3, 5),
        (64, 2, 3, 5),
        (96, 4, 2, 6),
        (96, 3, 2, 6),
        (128, 10, 1, 10),
        (128, 0, 1, 10),
    ] {
        let shape = SolvencyShape::new(8, b, k).expect("shape");
        assert_eq!((shape.lanes(), shape.public_input_count()), (lanes, count), "B={b} k={k}");
        let s = shape.sum_bits() as usize;
        let max = (U256::from(1u8) << s) - U256::from(1u8);
        let sums: Vec<U256> =
            (0..8).map(|a| if a % 2 == 0 { max } else { U256::from(a) }).collect();
        let words = pack_words(&shape, &sums).expect("packs");
        assert_eq!(words.len(), count - 2);
        for (j, word) in words.iter().enumerate() {
            let mut expected = U256::ZERO;
            for i in 0..lanes {
                if let Some(v) = sums.get(j * lanes + i) {
                    expected += *v << (s * i);
                }
            }
            assert_eq!(word.into_bigint().to_bytes_be(), expected.to_be_bytes::<32>().to_vec());
        }
    }
    // k = 0: one leaf, the root is that leaf; satisfied at every width.
    for b in [64, 96, 128] {
        let shape = SolvencyShape::new(8, b, 0).expect("shape");
        let depositors = Depositors::new(
            (0..8).map(|a| format!("A{a}")).collect(),
            vec![Depositor { id: "x".into(), balances: vec![(1u128 << (b - 1)) | 1; 8] }],
        )
        .expect("valid");
        let tree = EpochTree::build(&depositors, shape).expect("tree");
        let st = tree.batch_statement(0, &BINDING).expect("statement");
        let wi = tree.batch_witness(0).expect("witness");
        assert!(satisfied(shape, &st, &wi), "B={b}");
    }
}

/// The binding is `keccak256(abi.encode(agent, attestor, vault, chainId, epoch, deadline,
/// batchIndex, batchCount))` masked to 253 bits: eight 32-byte words, written out by hand as
/// Solidity's `abi.encode` lays them out, and pinned (the spec's Decisions repeat it for the
/// attestor's tests).
#[test]
fn the_binding_and_the_accumulator_match_the_pinned_vectors() {
    use sha3::{Digest, Keccak256};
    let statement = BatchStatement {
        agent: [0xaa; 20],
        attestor: [0xbb; 20],
        vault: [0xcc; 20],
        chain_id: 31_337,
        epoch: 5,
        deadline: 1_781_536_000,
        batch_index: 2,
        batch_count: 3,
        root: Fr::from(0u64),
        sums: vec![U256::ZERO],
    };
    let encoded = format!(
        "{pad}{agent}{pad}{attestor}{pad}{vault}{chain:064x}{epoch:064x}{deadline:064x}{index:064x}{count:064x}",
        pad = "00".repeat(12),
        agent = "aa".repeat(20),
        attestor = "bb".repeat(20),
        vault = "cc".repeat(20),
        chain = 31_337,
        epoch = 5,
        deadline = 1_781_536_000u64,
        index = 2,
        count = 3,
    );
    let mut digest: [u8; 32] = Keccak256::digest(hex::decode(encoded).expect("hex")).into();
    digest[0] &= 0x1f;
    assert_eq!(statement.binding(), Fr::from_be_bytes_mod_order(&digest));
    assert_eq!(statement.binding().to_string(), BINDING_VECTOR);

    let acc1 = accumulate(&[0u8; 32], &Fr::from(1u64), &[U256::from(2u8), U256::from(3u8)]);
    assert_eq!(hex::encode(acc1), ACC1_VECTOR);
    let acc2 = accumulate(&acc1, &Fr::from(4u64), &[U256::from(5u8), U256::from(6u8)]);
    assert_eq!(hex::encode(acc2), ACC2_VECTOR);
}

/// `binding(0xaa..aa, 0xbb..bb, 0xcc..cc, 31337, 5, 1781536000, 2, 3)`, decimal.
const BINDING_VECTOR: &str =
    "10980071972421319697595669189290638665130054381828409056775361311847484118565";
/// `accumulate(0, 1, [2, 3])`.
const ACC1_VECTOR: &str = "4264985a7b193d369bf2635712f0f25f121ee53f9d0adad71390d0e7a7125215";
/// `accumulate(acc1, 4, [5, 6])`.
const ACC2_VECTOR: &str = "f01f4ba55f1af6726f44d1b86a06102fd0c06f17df86324beeac1e6fb9039be3";

/// How a random book is changed before both sides judge it.
#[derive(Clone, Debug)]
enum Change {
    None,
    /// Leaf `leaf`'s balance of `asset` becomes `2^B + extra`; root and sums restated.
    Wide {
        leaf: usize,
        asset: usize,
        extra: u64,
    },
    /// The public root plus one.
    Root,
    /// A public sum changed by `delta`.
    Sum {
        asset: usize,
        delta: u64,
    },
    /// A leaf's balance changed by one, the statement kept.
    Balance {
        leaf: usize,
        asset: usize,
    },
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        Just(Change::None),
        (0usize..8, 0usize..3, 0u64..4).prop_map(|(leaf, asset, extra)| Change::Wide {
            leaf,
            asset,
            extra
        }),
        Just(Change::Root),
        (0usize..3, 1u64..1_000).prop_map(|(asset, delta)| Change::Sum { asset, delta }),
        (0usize..8, 0usize..3).prop_map(|(leaf, asset)| Change::Balance { leaf, asset }),
    ]
}

/// A balance of `bits` bits: often an edge (0, 1, the largest).
fn balance(bits: u32) -> impl Strategy<Value = u128> {
    let max = (1u128 << bits) - 1;
    prop_oneof![Just(0u128), Just(1u128), Just(max), 0..=max]
}

fn apply(change: &Change, shape: &SolvencyShape, st: &mut BatchStatement, wi: &mut BatchWitness) {
    let (leaves, n) = (wi.leaves.len(), shape.n_assets);
    match *change {
        Change::None => {}
        Change::Wide { leaf, asset, extra } => {
            wi.leaves[leaf % leaves].balances[asset % n] =
                (1u128 << shape.balance_bits) + u128::from(extra);
            let (root, sums) = witness_root(shape, wi).expect("a batch");
            st.root = root;
            st.sums = sums;
        }
        Change::Root => st.root += Fr::from(1u64),
        Change::Sum { asset, delta } => {
            let sum = &mut st.sums[asset % n];
            let delta = U256::from(delta);
            *sum = if *sum >= delta { *sum - delta } else { *sum + delta };
        }
        Change::Balance { leaf, asset } => {
            let b = &mut wi.leaves[leaf % leaves].balances[asset % n];
            *b = if *b == 0 { 1 } else { *b - 1 };
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    /// The native reference and the circuit agree on every random book, honest or changed.
    #[test]
    fn the_reference_and_the_circuit_agree(
        n in 1usize..=3,
        bits in prop_oneof![Just(8u32), Just(16u32)],
        k in 0u32..=3,
        count in 0usize..=9,
        seed in proptest::collection::vec(proptest::collection::vec(balance(8), 3), 9),
        wide in proptest::collection::vec(balance(16), 9),
        change in change(),
    ) {
        let shape = SolvencyShape::new(n, bits, k).expect("shape");
        let depositors = (0..count)
            .map(|j| Depositor {
                id: format!("d{j}"),
                balances: (0..n).map(|a| if bits == 16 && a == 0 { wide[j] } else { seed[j][a] }).collect(),
            })
            .collect();
        let depositors = Depositors::new((0..n).map(|a| format!("A{a}")).collect(), depositors)
            .expect("valid");
        let tree = EpochTree::build(&depositors, shape).expect("tree");
        let batch = (count / shape.leaves_per_batch()).min(tree.batch_count() - 1);
        let mut st = tree.batch_statement(batch, &BINDING).expect("statement");
        let mut wi = tree.batch_witness(batch).expect("witness");
        apply(&change, &shape, &mut st, &mut wi);
        let violations = check(&shape, &st, &wi);
        if matches!(change, Change::None) {
            prop_assert!(violations.is_empty(), "{violations:?}");
        }
        prop_assert_eq!(satisfied(shape, &st, &wi), violations.is_empty(),
            "change {:?}: reference says {:?}", change, violations);
    }
}

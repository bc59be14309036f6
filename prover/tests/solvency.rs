//! The solvency circuit against its native reference, through the public API: an honest book
//! proves and verifies; a proof verifies only for its own binding (agent, attestor, vault, chain,
//! epoch, deadline), root and totals; the prover refuses a book the reference refuses; and the reference and the
//! circuit agree on random books, honest or tampered (property test).
//!
//! Each constraint family broken alone is tested inside the crate
//! (`solvency::circuit_tests`), where the test-only tamper hook lives.

use ark_bn254::{Bn254, Fr};
use ark_groth16::Groth16;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};
use ark_snark::SNARK;
use proofgate_prover::solvency::attestation::{
    check, leaves_root, public_input_count, witness_leaves, SolvencyStatement, SolvencyViolation,
    SolvencyWitness,
};
use proofgate_prover::solvency::circuit::SolvencyCircuit;
use proofgate_prover::solvency::{to_u128, Depositor, Depositors, SolvencyKeys, SumTree};
use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::SeedableRng;

const DEPTH: u32 = 2;
const N: usize = 3;

/// Three assets, three depositors, and the statement of their tree.
fn honest() -> (SolvencyStatement, SolvencyWitness) {
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
    statement_for(&depositors, DEPTH, 7)
}

fn statement_for(
    depositors: &Depositors,
    depth: u32,
    epoch: u64,
) -> (SolvencyStatement, SolvencyWitness) {
    let root = SumTree::build(depositors, depth).expect("tree").root();
    let statement = SolvencyStatement {
        agent: [1; 20],
        attestor: [3; 20],
        vault: [2; 20],
        chain_id: 31_337,
        epoch,
        deadline: 1_781_536_000,
        root: root.hash,
        totals: root.totals.iter().map(|t| to_u128(t).expect("small")).collect(),
    };
    (statement, SolvencyWitness { leaves: witness_leaves(depositors, depth) })
}

/// Whether the circuit is satisfied; synthesis itself must succeed.
fn satisfied(
    n: usize,
    depth: u32,
    statement: &SolvencyStatement,
    witness: &SolvencyWitness,
) -> bool {
    let cs = ConstraintSystem::<Fr>::new_ref();
    SolvencyCircuit::assigned(n, depth, statement.clone(), witness.clone())
        .expect("a shape the circuit holds")
        .generate_constraints(cs.clone())
        .expect("synthesis succeeds");
    cs.is_satisfied().expect("assigned")
}

#[test]
fn an_honest_book_satisfies_both_and_the_native_tree_agrees_with_the_builder() {
    let (statement, witness) = honest();
    assert_eq!(check(&statement, &witness), []);
    assert!(satisfied(N, DEPTH, &statement, &witness));
    let (root, totals) = leaves_root(&witness.leaves, N).expect("a tree");
    assert_eq!(root, statement.root);
    assert_eq!(totals, statement.totals.iter().map(|&t| Fr::from(t)).collect::<Vec<_>>());
    let inputs = statement.public_inputs().expect("in range");
    assert_eq!(inputs.len(), public_input_count(N));
    assert_eq!(public_input_count(8), 6);
    assert_eq!(public_input_count(7), 6);
    assert_eq!(public_input_count(1), 3);
    // Totals packed two per element: T0 | T1 << 96, then T2 alone.
    let t = &statement.totals;
    assert_eq!(inputs[2], Fr::from(t[0]) + Fr::from(t[1]) * Fr::from(1u128 << 96));
    assert_eq!(inputs[3], Fr::from(t[2]));
}

#[test]
fn totals_are_checked_for_range_and_count() {
    let (statement, _) = honest();
    let mut wide = statement.clone();
    wide.totals[1] = 1 << 96;
    assert!(wide.check_ranges().is_err());
    assert!(wide.public_inputs().is_err());
    let mut none = statement.clone();
    none.totals.clear();
    assert!(none.check_ranges().is_err());
    let mut many = statement;
    many.totals = vec![0; 17];
    assert!(many.check_ranges().is_err());
}

#[test]
fn a_proof_verifies_only_for_its_own_binding_root_and_totals() {
    let (statement, witness) = honest();
    let keys = SolvencyKeys::setup(N, DEPTH, &mut StdRng::seed_from_u64(7)).expect("setup");
    let (proof, inputs) =
        keys.prove(&statement, &witness, &mut StdRng::seed_from_u64(8)).expect("prove");
    let verifies = |inputs: &[Fr]| Groth16::<Bn254>::verify(keys.vk(), inputs, &proof).expect("ok");
    assert!(verifies(&inputs));
    for i in 0..inputs.len() {
        let mut changed = inputs.clone();
        changed[i] += Fr::from(1u64);
        assert!(!verifies(&changed), "input {i} changed");
    }
    type Change = fn(&mut SolvencyStatement);
    let others: [(&str, Change); 7] = [
        ("agent", |s| s.agent[19] ^= 1),
        ("attestor", |s| s.attestor[0] ^= 1),
        ("vault", |s| s.vault[0] ^= 1),
        ("chain", |s| s.chain_id = 1),
        ("epoch", |s| s.epoch += 1),
        ("deadline", |s| s.deadline += 1),
        ("agent and attestor swapped", |s| std::mem::swap(&mut s.agent, &mut s.attestor)),
    ];
    for (what, change) in others {
        let mut other = statement.clone();
        change(&mut other);
        assert_ne!(other.binding(), statement.binding(), "{what}");
        let other_inputs = other.public_inputs().expect("in range");
        assert_eq!(other_inputs[1..], inputs[1..], "{what}: only the binding differs");
        assert!(!verifies(&other_inputs), "the proof verifies for another {what}");
    }
}

/// The binding is `keccak256(abi.encode(agent, attestor, vault, chainId, epoch, deadline))`
/// masked to 253 bits: six 32-byte words, addresses and integers right-aligned, written out here
/// by hand as Solidity's `abi.encode` lays them out.
#[test]
fn the_binding_is_the_abi_encoding_of_agent_attestor_vault_chain_epoch_and_deadline() {
    use ark_ff::PrimeField;
    use sha3::{Digest, Keccak256};
    let statement = SolvencyStatement {
        agent: [0xaa; 20],
        attestor: [0xbb; 20],
        vault: [0xcc; 20],
        chain_id: 0x7a69,
        epoch: 0x0102_0304_0506_0708,
        deadline: 0x6a30_1c00,
        root: Fr::from(0u64),
        totals: vec![0],
    };
    let encoded = format!(
        "{pad}{agent}{pad}{attestor}{pad}{vault}{chain:064x}{epoch:064x}{deadline:064x}",
        pad = "00".repeat(12),
        agent = "aa".repeat(20),
        attestor = "bb".repeat(20),
        vault = "cc".repeat(20),
        chain = 0x7a69,
        epoch = 0x0102_0304_0506_0708u64,
        deadline = 0x6a30_1c00,
    );
    let mut digest: [u8; 32] = Keccak256::digest(hex::decode(encoded).expect("hex")).into();
    digest[0] &= 0x1f;
    assert_eq!(statement.binding(), Fr::from_be_bytes_mod_order(&digest));
}

#[test]
fn the_prover_refuses_a_book_the_reference_refuses() {
    let keys = SolvencyKeys::setup(N, DEPTH, &mut StdRng::seed_from_u64(5)).expect("setup");
    let (mut statement, witness) = honest();
    statement.totals[1] += 1;
    match keys.prove(&statement, &witness, &mut StdRng::seed_from_u64(6)) {
        Err(proofgate_prover::Error::Insolvent(reasons)) => {
            assert_eq!(reasons, vec![SolvencyViolation::TreeMismatch]);
        }
        other => panic!("expected Insolvent, got {:?}", other.map(|_| ())),
    }
    let mut short = statement.clone();
    short.totals.pop();
    let err = keys.prove(&short, &witness, &mut StdRng::seed_from_u64(6)).map(|_| ());
    assert!(matches!(err, Err(proofgate_prover::Error::StatementMismatch(_))), "{err:?}");
}

/// How a random book is changed before both sides judge it.
#[derive(Clone, Debug)]
enum Change {
    None,
    /// Leaf `k`'s balance of `asset` becomes `-value` (modulo the field); the root and totals
    /// are recomputed over the field values when they stay below 2^96.
    Negative {
        leaf: usize,
        asset: usize,
        value: u64,
    },
    /// A balance at or above 2^64 (`2^64 + extra`), root and totals recomputed.
    Wide {
        leaf: usize,
        asset: usize,
        extra: u64,
    },
    /// The public root plus one.
    Root,
    /// A public total changed by `delta` (kept in range).
    Total {
        asset: usize,
        delta: u64,
    },
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        Just(Change::None),
        (0usize..8, 0usize..3, 1u64..u64::MAX).prop_map(|(leaf, asset, value)| Change::Negative {
            leaf,
            asset,
            value
        }),
        (0usize..8, 0usize..3, any::<u64>()).prop_map(|(leaf, asset, extra)| Change::Wide {
            leaf,
            asset,
            extra
        }),
        Just(Change::Root),
        (0usize..3, 1u64..1_000).prop_map(|(asset, delta)| Change::Total { asset, delta }),
    ]
}

/// Applies `change` to an honest statement and witness of `n` assets.
fn apply(
    change: &Change,
    n: usize,
    statement: &mut SolvencyStatement,
    witness: &mut SolvencyWitness,
) {
    let leaves = witness.leaves.len();
    let mut set_leaf = |leaf: usize, asset: usize, value: Fr| {
        witness.leaves[leaf % leaves].1[asset % n] = value;
        let (root, sums) = leaves_root(&witness.leaves, n).expect("a tree");
        statement.root = root;
        // A total that wrapped (not a small integer) cannot be stated: keep the old one.
        for (total, sum) in statement.totals.iter_mut().zip(&sums) {
            if let Some(t) = to_u128(sum).filter(|t| t >> 96 == 0) {
                *total = t;
            }
        }
    };
    match *change {
        Change::None => {}
        Change::Negative { leaf, asset, value } => set_leaf(leaf, asset, -Fr::from(value)),
        Change::Wide { leaf, asset, extra } => {
            set_leaf(leaf, asset, Fr::from((1u128 << 64) + u128::from(extra)))
        }
        Change::Root => statement.root += Fr::from(1u64),
        Change::Total { asset, delta } => {
            let total = &mut statement.totals[asset % n];
            *total = if *total >= u128::from(delta) {
                *total - u128::from(delta)
            } else {
                *total + u128::from(delta)
            };
        }
    }
}

fn book(n: usize, depth: u32, balances: &[Vec<u64>]) -> Depositors {
    let capacity = 1usize << depth;
    let depositors = balances
        .iter()
        .take(capacity)
        .enumerate()
        .map(|(k, b)| Depositor { id: format!("d{k}"), balances: b[..n].to_vec() })
        .collect();
    Depositors::new((0..n).map(|a| format!("A{a}")).collect(), depositors).expect("valid")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// The native reference and the circuit agree on every random book, honest or changed.
    #[test]
    fn the_reference_and_the_circuit_agree(
        n in 1usize..=3,
        depth in 0u32..=3,
        balances in proptest::collection::vec(proptest::collection::vec(any::<u64>(), 3), 0..=8),
        change in change(),
    ) {
        let depositors = book(n, depth, &balances);
        let (mut statement, mut witness) = statement_for(&depositors, depth, 1);
        apply(&change, n, &mut statement, &mut witness);
        let violations = check(&statement, &witness);
        if matches!(change, Change::None) {
            prop_assert!(violations.is_empty(), "{violations:?}");
        }
        prop_assert_eq!(satisfied(n, depth, &statement, &witness), violations.is_empty(),
            "change {:?}: reference says {:?}", change, violations);
    }
}

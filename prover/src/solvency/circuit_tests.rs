//! Each constraint family of the solvency circuit broken alone: a malicious witness (or public
//! input) that is consistent everywhere else, whose unsatisfied constraints all lie in that
//! family's ranges. Synthesis must succeed for each (an error is not "unsatisfied").

use ark_bn254::Fr;
use ark_relations::gr1cs::{ConstraintSystem, SynthesisMode, R1CS_PREDICATE_LABEL};

use super::attestation::{
    check, fold_tree, witness_leaves, SolvencyStatement, SolvencyViolation, SolvencyWitness,
};
use super::circuit::{ConstraintLayout, Family, NodeSumTamper, SolvencyCircuit};
use super::{to_u128, Depositor, Depositors, BALANCE_BITS};

const N: usize = 3;
const DEPTH: u32 = 2;
const ETH: u64 = 1_000_000_000_000_000_000;

/// Three depositors over three assets in a depth-2 tree, and the statement of their tree.
fn honest() -> (SolvencyStatement, SolvencyWitness) {
    let depositors = Depositors::new(
        vec!["WETH".into(), "USDC".into(), "WBTC".into()],
        vec![
            Depositor { id: "alice".into(), balances: vec![2 * ETH, 1_000_000_000, 10_000_000] },
            Depositor { id: "bob".into(), balances: vec![ETH / 2, 5_000_000_000, 0] },
            Depositor { id: "carol".into(), balances: vec![0, 250_000_000, 30_000_000] },
        ],
    )
    .expect("valid depositors");
    let witness = SolvencyWitness { leaves: witness_leaves(&depositors, DEPTH) };
    let statement = statement_of(&witness, &|_, _, _| {});
    (statement, witness)
}

/// The statement whose root and totals are those of `witness`'s leaves, with `adjust` applied
/// to the node sums as the tamper hook applies it (see [`fold_tree`]).
fn statement_of(
    witness: &SolvencyWitness,
    adjust: &dyn Fn(usize, usize, &mut [Fr]),
) -> SolvencyStatement {
    let (root, sums) = fold_tree(&witness.leaves, N, adjust).expect("a tree");
    SolvencyStatement {
        agent: [1; 20],
        attestor: [3; 20],
        vault: [2; 20],
        chain_id: 31_337,
        epoch: 7,
        deadline: 1_781_536_000,
        root,
        totals: sums.iter().map(|s| to_u128(s).expect("a small total")).collect(),
    }
}

/// Synthesises `circuit` (which must succeed) and returns its layout and the index of every
/// unsatisfied constraint, in order.
fn unsatisfied(circuit: &SolvencyCircuit) -> (ConstraintLayout, Vec<usize>) {
    let cs = ConstraintSystem::<Fr>::new_ref();
    let layout = circuit.synthesize(cs.clone()).expect("synthesis succeeds");
    assert_eq!(layout.total(), cs.num_constraints(), "the layout covers every constraint");
    cs.finalize();
    let mut z = cs.instance_assignment().expect("assigned");
    z.extend(cs.witness_assignment().expect("assigned"));
    let matrices = cs.to_matrices().expect("matrices");
    let r1cs = &matrices[R1CS_PREDICATE_LABEL];
    let eval = |row: &Vec<(Fr, usize)>| row.iter().map(|(c, i)| *c * z[*i]).sum::<Fr>();
    let failing: Vec<usize> = (0..cs.num_constraints())
        .filter(|&k| eval(&r1cs[0][k]) * eval(&r1cs[1][k]) != eval(&r1cs[2][k]))
        .collect();
    // The same answer as arkworks' own check.
    assert_eq!(cs.is_satisfied().expect("assigned"), failing.is_empty());
    (layout, failing)
}

fn circuit(statement: &SolvencyStatement, witness: &SolvencyWitness) -> SolvencyCircuit {
    SolvencyCircuit::assigned(N, DEPTH, statement.clone(), witness.clone()).expect("assignable")
}

/// Asserts that `circuit` fails, and only in `family`.
fn breaks_only(circuit: &SolvencyCircuit, family: Family) {
    let (layout, failing) = unsatisfied(circuit);
    let first = *failing.first().unwrap_or_else(|| panic!("{} not broken", family.name()));
    assert_eq!(layout.family_of(first), Some(family), "first unsatisfied constraint {first}");
    for k in &failing {
        assert_eq!(layout.family_of(*k), Some(family), "constraint {k} of {failing:?}");
    }
}

#[test]
fn an_honest_book_satisfies_every_constraint() {
    let (statement, witness) = honest();
    assert_eq!(check(&statement, &witness), []);
    let (_, failing) = unsatisfied(&circuit(&statement, &witness));
    assert_eq!(failing, Vec::<usize>::new());
}

#[test]
fn each_family_emits_its_documented_number_of_constraints() {
    let shape = SolvencyCircuit::shape(N, DEPTH).expect("shape");
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_mode(SynthesisMode::Setup);
    let layout = shape.synthesize(cs.clone()).expect("synthesis");
    let leaves = 1usize << DEPTH;
    let count = |f: Family| layout.counts().into_iter().find(|(g, _)| *g == f).map(|(_, c)| c);
    assert_eq!(count(Family::Binding), Some(1));
    assert_eq!(count(Family::BalanceRange), Some(leaves * N * (BALANCE_BITS as usize + 1)));
    assert_eq!(count(Family::NodeSum), Some((leaves - 1) * N));
    assert_eq!(count(Family::Root), Some(1));
    assert_eq!(count(Family::Totals), Some(N.div_ceil(2)));
    assert!(count(Family::LeafHash).is_some_and(|c| c > 0 && c % leaves == 0));
    assert!(count(Family::NodeHash).is_some_and(|c| c > 0 && c % (leaves - 1) == 0));
    assert_eq!(layout.total(), cs.num_constraints());
}

/// Carol's WETH is -1 ETH (modulo the field), Alice holds 2: the WETH total is a consistent,
/// positive 1.5 ETH and the root is recomputed over those field values, so only the balance
/// range check stands in the way.
#[test]
fn a_hidden_negative_balance_breaks_only_the_balance_range() {
    let (_, mut witness) = honest();
    witness.leaves[2].1[0] = -Fr::from(ETH);
    let statement = statement_of(&witness, &|_, _, _| {});
    assert_eq!(statement.totals[0], u128::from(2 * ETH + ETH / 2 - ETH));
    assert_eq!(
        check(&statement, &witness),
        [SolvencyViolation::OutOfRange("a depositor balance".into())]
    );
    breaks_only(&circuit(&statement, &witness), Family::BalanceRange);
}

/// The tamper hook changes one intermediate sum (up, then down; at the leaves' parents and at
/// the root); the root and totals are recomputed over the tampered tree, so only that node's
/// sum constraint fails.
#[test]
fn a_tampered_node_sum_breaks_only_the_node_sums() {
    let (_, witness) = honest();
    let tampers = [
        NodeSumTamper { level: 1, node: 0, asset: 1, delta: Fr::from(1_000u64) },
        NodeSumTamper { level: 1, node: 0, asset: 0, delta: Fr::from(0u64) - Fr::from(1u64) },
        NodeSumTamper { level: 1, node: 1, asset: 2, delta: Fr::from(0u64) - Fr::from(5u64) },
        NodeSumTamper { level: 2, node: 0, asset: 2, delta: Fr::from(7u64) },
    ];
    for tamper in tampers {
        let adjust = |level: usize, node: usize, sums: &mut [Fr]| {
            if (level, node) == (tamper.level, tamper.node) {
                sums[tamper.asset] += tamper.delta;
            }
        };
        let statement = statement_of(&witness, &adjust);
        assert_eq!(check(&statement, &witness), [SolvencyViolation::TreeMismatch]);
        breaks_only(&circuit(&statement, &witness).with_tamper(tamper), Family::NodeSum);
    }
}

#[test]
fn a_wrong_public_root_breaks_only_the_root() {
    let (mut statement, witness) = honest();
    statement.root += Fr::from(1u64);
    assert_eq!(check(&statement, &witness), [SolvencyViolation::TreeMismatch]);
    breaks_only(&circuit(&statement, &witness), Family::Root);
}

#[test]
fn a_wrong_public_total_breaks_only_the_totals() {
    for asset in 0..N {
        let (mut statement, witness) = honest();
        statement.totals[asset] += 1;
        assert_eq!(check(&statement, &witness), [SolvencyViolation::TreeMismatch]);
        breaks_only(&circuit(&statement, &witness), Family::Totals);
    }
}

#[test]
fn shapes_the_circuit_cannot_hold_are_refused_before_synthesis() {
    let (statement, witness) = honest();
    let mut short = statement.clone();
    short.totals.pop();
    assert!(SolvencyCircuit::assigned(N, DEPTH, short, witness.clone()).is_err());
    let mut few = witness.clone();
    few.leaves.pop();
    assert!(SolvencyCircuit::assigned(N, DEPTH, statement.clone(), few).is_err());
    let mut wide = statement;
    wide.totals[0] = 1 << 96;
    assert!(SolvencyCircuit::assigned(N, DEPTH, wide, witness).is_err());
    assert!(SolvencyCircuit::shape(N, super::MAX_DEPTH + 1).is_err());
}

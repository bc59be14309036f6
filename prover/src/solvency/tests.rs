//! The tree against hand-computed hashes, every depositor's proof, and every tampering refused.

use ark_bn254::Fr;
use ark_ff::Zero;

use super::*;
use crate::statement::fr_to_hex;

fn fr(v: u64) -> Fr {
    Fr::from(v)
}

fn list(n_assets: usize, balances: &[(&str, &[u64])]) -> Depositors {
    let assets = (0..n_assets).map(|a| format!("T{a}")).collect();
    let depositors = balances
        .iter()
        .map(|(id, b)| Depositor { id: id.to_string(), balances: b.to_vec() })
        .collect();
    Depositors::new(assets, depositors).expect("valid depositors")
}

/// Alice (1, 2), Bob (3, 4), Carol (5, 0) in a depth-2 tree: one padding leaf.
fn small() -> SumTree {
    let depositors = list(2, &[("alice", &[1, 2]), ("bob", &[3, 4]), ("carol", &[5, 0])]);
    SumTree::build(&depositors, 2).expect("builds")
}

fn not_included(result: Result<(), Error>) -> NotIncluded {
    match result {
        Err(Error::NotIncluded(reason)) => reason,
        other => panic!("expected a definite no, got {other:?}"),
    }
}

#[test]
fn a_small_tree_hashes_as_specified() {
    let tree = small();
    let leaf = |id: &str, b: [u64; 2]| leaf_hash(id_element(id), &[fr(b[0]), fr(b[1])]);
    let padding = leaf_hash(Fr::zero(), &[Fr::zero(), Fr::zero()]);
    assert_eq!(padding_leaf(2), padding);
    let left = node_hash(leaf("alice", [1, 2]), leaf("bob", [3, 4]), &[fr(4), fr(6)]);
    let right = node_hash(leaf("carol", [5, 0]), padding, &[fr(5), fr(0)]);
    let root = node_hash(left, right, &[fr(9), fr(6)]);

    let published = tree.root();
    assert_eq!(published, TreeRoot { depth: 2, hash: root, totals: vec![fr(9), fr(6)] });
    // Pinned so the spec cannot drift from what the circuit mirrors.
    assert_eq!(
        fr_to_hex(&published.hash),
        "0x2e8c2f3113bd1a88b5c3fe23619d96bb2d80c927f2d7543b6607ff419b7f6126"
    );

    let summary = tree.summary();
    assert_eq!(summary.depositors, 3);
    assert_eq!(summary.tree_root().expect("consistent"), published);
}

#[test]
fn every_depositors_proof_checks() {
    for (depth, count) in [(0, 1), (1, 2), (3, 5), (3, 8), (4, 9)] {
        let ids: Vec<String> = (0..count).map(|k| format!("depositor-{k}")).collect();
        let balances: Vec<Vec<u64>> =
            (0..count as u64).map(|k| vec![k * 1_000 + 7, u64::MAX - k, 0]).collect();
        let entries: Vec<(&str, &[u64])> =
            ids.iter().zip(&balances).map(|(id, b)| (id.as_str(), b.as_slice())).collect();
        let tree = SumTree::build(&list(3, &entries), depth).expect("builds");
        let root = tree.root();
        for k in 0..count {
            let proof = tree.inclusion_proof(k).expect("a depositor");
            assert_eq!(proof.path.len(), depth as usize);
            check_inclusion(&proof, &root).unwrap_or_else(|e| panic!("depth {depth}, #{k}: {e}"));
            assert_eq!(proof.claimed_root(Some(depth)).expect("supported"), root);
        }
        assert!(tree.inclusion_proof(count).is_err(), "no proof for a padding leaf");
    }
}

#[test]
fn sums_reach_the_top_of_their_range_exactly() {
    let tree =
        SumTree::build(&list(1, &[("a", &[u64::MAX]), ("b", &[u64::MAX])]), 1).expect("builds");
    let expected = 2 * u128::from(u64::MAX);
    assert_eq!(to_u128(&tree.root().totals[0]), Some(expected));
}

#[test]
fn padding_is_one_subtree_per_level() {
    let n = 2;
    let zeros = [Fr::zero(); 2];
    let mut padding = padding_leaf(n);
    for _ in 0..3 {
        padding = node_hash(padding, padding, &zeros);
    }
    let empty = SumTree::build(&list(n, &[]), 3).expect("an empty tree");
    assert_eq!(empty.root(), TreeRoot { depth: 3, hash: padding, totals: zeros.to_vec() });

    // Carol's sibling is a padding leaf; Alice's level-2 sibling the padding subtree of height 2.
    let tree =
        SumTree::build(&list(n, &[("alice", &[1, 1]), ("carol", &[2, 0])]), 3).expect("builds");
    let alice = tree.inclusion_proof(0).expect("alice");
    let level2 = node_hash(
        node_hash(padding_leaf(n), padding_leaf(n), &zeros),
        node_hash(padding_leaf(n), padding_leaf(n), &zeros),
        &zeros,
    );
    assert_eq!(alice.path[2], Sibling { hash: level2, sums: zeros.to_vec() });

    let full: Vec<(String, Vec<u64>)> = (0..4).map(|k| (format!("d{k}"), vec![k, 1])).collect();
    let entries: Vec<(&str, &[u64])> =
        full.iter().map(|(id, b)| (id.as_str(), b.as_slice())).collect();
    assert!(SumTree::build(&list(n, &entries), 2).is_ok(), "2^d depositors fill the tree");
    let err = SumTree::build(&list(n, &entries), 1).expect_err("4 depositors in 2 leaves");
    assert!(err.to_string().contains("4 depositors do not fit a tree of depth 1"), "{err}");
}

#[test]
fn a_deep_tree_of_few_depositors_is_cheap_and_checks() {
    let tree = SumTree::build(&list(1, &[("a", &[1]), ("b", &[2])]), MAX_DEPTH).expect("builds");
    let proof = tree.inclusion_proof(1).expect("b");
    check_inclusion(&proof, &tree.root()).expect("checks");
    let err = SumTree::build(&list(1, &[]), MAX_DEPTH + 1).expect_err("too deep");
    assert!(matches!(err, Error::InvalidConfig(_)), "{err}");
}

#[test]
fn tampered_proofs_are_refused() {
    let tree = small();
    let root = tree.root();
    let proof = tree.inclusion_proof(2).expect("carol");
    let refused = |change: &dyn Fn(&mut InclusionProof)| {
        let mut tampered = proof.clone();
        change(&mut tampered);
        not_included(check_inclusion(&tampered, &root))
    };

    let reason = refused(&|p| p.balances[0] -= fr(1));
    assert!(matches!(reason, NotIncluded::WrongRoot { .. }), "changed balance: {reason}");
    // Carol's 5 WETH raised to 6: with Alice's and Bob's 4, the path adds up past the total 9.
    let reason = refused(&|p| p.balances[0] += fr(1));
    assert!(matches!(reason, NotIncluded::PathSumAboveTotal { level: 1, asset: 0, .. }));
    let reason = refused(&|p| p.path[1].hash += fr(1));
    assert!(matches!(reason, NotIncluded::WrongRoot { .. }), "changed sibling hash: {reason}");
    let reason = refused(&|p| p.path[1].sums[0] -= fr(1));
    assert!(matches!(reason, NotIncluded::WrongRoot { .. }), "changed sibling sum: {reason}");
    let reason = refused(&|p| p.path[0].sums[1] += fr(1));
    assert!(matches!(reason, NotIncluded::PathSumAboveTotal { level: 1, asset: 1, .. }));
    let reason = refused(&|p| p.id = "mallory".into());
    assert!(matches!(reason, NotIncluded::WrongRoot { .. }), "changed id: {reason}");
    let reason = refused(&|p| p.index = 3);
    assert!(matches!(reason, NotIncluded::WrongRoot { .. }), "changed index: {reason}");
    let reason = refused(&|p| p.index = 4);
    assert!(matches!(reason, NotIncluded::IndexOutOfRange { index: 4, depth: 2 }), "{reason}");
    let reason = refused(&|p| p.balances[1] = Fr::from(1u128 << 64));
    assert_eq!(reason, NotIncluded::BalanceOutOfRange { asset: 1 });
    let reason = refused(&|p| p.path[1].sums[0] = fr(10));
    assert!(matches!(reason, NotIncluded::SiblingSumAboveTotal { level: 1, asset: 0, .. }));
    let reason = refused(&|p| p.path.truncate(1));
    assert_eq!(reason, NotIncluded::WrongDepth { expected: 2, found: 1 });
    let reason = refused(&|p| p.balances.push(fr(0)));
    assert!(matches!(reason, NotIncluded::WrongAssetCount { expected: 2, found: 3, .. }));
    let reason = refused(&|p| p.root += fr(1));
    assert!(matches!(reason, NotIncluded::OtherClaim { .. }), "claimed root: {reason}");
}

#[test]
fn a_wrong_root_totals_or_depth_is_refused() {
    let tree = small();
    let root = tree.root();
    let proof = tree.inclusion_proof(0).expect("alice");
    let against = |change: &dyn Fn(&mut TreeRoot)| {
        let mut expected = root.clone();
        change(&mut expected);
        not_included(check_inclusion(&proof, &expected))
    };
    let reason = against(&|r| r.totals[1] += fr(1));
    assert_eq!(
        reason,
        NotIncluded::WrongTotals { asset: 1, computed: "6".into(), expected: "7".into() }
    );
    let reason = against(&|r| r.totals[0] = Fr::from(1u128 << 66));
    assert_eq!(reason, NotIncluded::TotalOutOfRange { asset: 0, bits: 66 });
    let reason = against(&|r| r.hash += fr(1));
    assert!(matches!(reason, NotIncluded::WrongRoot { .. }), "{reason}");
    let reason = against(&|r| r.depth = 3);
    assert_eq!(reason, NotIncluded::WrongDepth { expected: 3, found: 2 });

    let bad_shape = TreeRoot { depth: 33, ..root };
    assert!(matches!(check_inclusion(&proof, &bad_shape), Err(Error::InvalidConfig(_))));
}

/// An operator hides a debt as a "negative" balance (r - 7) beside Alice's 10: the totals say 3.
/// The circuit refuses that leaf outright; Alice sees a sibling sum above the total.
#[test]
fn a_negative_balance_beside_a_depositor_is_caught_on_its_path() {
    let alice = leaf_hash(id_element("alice"), &[fr(10)]);
    let negative = -fr(7);
    let mallory = leaf_hash(id_element("mallory"), &[negative]);
    let root = node_hash(alice, mallory, &[fr(3)]);
    let proof = InclusionProof {
        version: INCLUSION_VERSION,
        index: 0,
        id: "alice".into(),
        assets: vec!["WETH".into()],
        balances: vec![fr(10)],
        path: vec![Sibling { hash: mallory, sums: vec![negative] }],
        root,
        totals: vec![fr(3)],
    };
    let expected = TreeRoot { depth: 1, hash: root, totals: vec![fr(3)] };
    let reason = not_included(check_inclusion(&proof, &expected));
    assert!(matches!(reason, NotIncluded::SiblingSumAboveTotal { level: 0, asset: 0, .. }));
}

#[test]
fn proofs_and_summaries_round_trip_through_json() {
    let tree = small();
    let proof = tree.inclusion_proof(1).expect("bob");
    let json = serde_json::to_value(&proof).expect("encode");
    assert_eq!(json["balances"], serde_json::json!(["3", "4"]));
    assert!(json["root"].as_str().is_some_and(|r| r.starts_with("0x") && r.len() == 66));
    let back: InclusionProof = serde_json::from_value(json.clone()).expect("decode");
    assert_eq!(back, proof);
    let summary = tree.summary();
    let back: TreeSummary =
        serde_json::from_value(serde_json::to_value(&summary).expect("encode")).expect("decode");
    assert_eq!(back, summary);

    assert!(json_has_no_commitment(&serde_json::to_value(&summary).expect("encode")));
    let mut old = summary.clone();
    old.version = 1;
    let err = old.tree_root().expect_err("version 1").to_string();
    assert!(err.contains("liabilities commitment, which is gone"), "{err}");
    let mut wrong = summary;
    wrong.version = 3;
    assert!(wrong.tree_root().is_err());
    assert_eq!(json["assets"], serde_json::json!(["T0", "T1"]));
    assert_eq!(json["version"], INCLUSION_VERSION);
    proof.check_version().expect("the current version");
    let mut future = proof.clone();
    future.version = 3;
    assert!(matches!(future.check_version(), Err(Error::Corrupt(_))));
    let mut old = proof.clone();
    old.version = 1;
    let err = old.check_version().expect_err("version 1").to_string();
    assert!(err.contains("version 1 does not name its asset columns"), "{err}");
    let mut unnamed = proof;
    unnamed.assets.pop();
    let err = unnamed.check_version().expect_err("one name short").to_string();
    assert!(err.contains("names 1 assets for 2 balances"), "{err}");
}

/// The proof's columns are compared with the vault's token symbols, in order and exactly.
#[test]
fn the_proofs_asset_columns_must_be_the_vaults_assets() {
    let proof = small().inclusion_proof(0).expect("alice");
    let names = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(check_assets(&proof, &names(&["T0", "T1"])), Ok(()));
    assert_eq!(
        check_assets(&proof, &names(&["T1", "T0"])),
        Err(NotIncluded::AssetMismatch { asset: 0, proof: "T0".into(), chain: "T1".into() })
    );
    let reason = check_assets(&proof, &names(&["T0", "t1"])).expect_err("case differs");
    assert_eq!(
        reason.to_string(),
        "column 1 of the proof is \"T1\", the vault's asset 1 is \"t1\""
    );
    assert!(matches!(
        check_assets(&proof, &names(&["T0", "T1", "T2"])),
        Err(NotIncluded::WrongAssetCount { expected: 3, found: 2, .. })
    ));
}

fn json_has_no_commitment(json: &serde_json::Value) -> bool {
    json.as_object().is_some_and(|o| !o.contains_key("commitment") && o["version"] == 2)
}

/// Every sibling's sum is at most the total, but the path's running sum is not: Alice's 6 and
/// Bob's 5 against a total of 8, which only a negative subtree on the other side (-3) can make
/// add up. Caught at level 0, before the level-1 sibling is looked at.
#[test]
fn a_path_sum_above_the_total_is_refused() {
    let alice = leaf_hash(id_element("alice"), &[fr(6)]);
    let bob = leaf_hash(id_element("bob"), &[fr(5)]);
    let left = node_hash(alice, bob, &[fr(11)]);
    let negative = -fr(3);
    let other = node_hash(fr(1), fr(2), &[negative]);
    let root = node_hash(left, other, &[fr(8)]);
    let proof = InclusionProof {
        version: INCLUSION_VERSION,
        index: 0,
        id: "alice".into(),
        assets: vec!["WETH".into()],
        balances: vec![fr(6)],
        path: vec![
            Sibling { hash: bob, sums: vec![fr(5)] },
            Sibling { hash: other, sums: vec![negative] },
        ],
        root,
        totals: vec![fr(8)],
    };
    let expected = TreeRoot { depth: 2, hash: root, totals: vec![fr(8)] };
    let reason = not_included(check_inclusion(&proof, &expected));
    assert_eq!(
        reason,
        NotIncluded::PathSumAboveTotal { level: 0, asset: 0, sum: "11".into(), total: "8".into() }
    );
}

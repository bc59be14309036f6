//! The epoch against hand-computed hashes, every depositor's proof, and every tampering refused.

use alloy::primitives::U256;
use ark_bn254::Fr;
use ark_ff::Zero;

use super::attestation::witness_root;
use super::*;
use crate::poseidon::hash_tagged;

fn shape(n: usize, k: u32) -> SolvencyShape {
    SolvencyShape::new(n, 64, k).expect("shape")
}

fn list(n_assets: usize, balances: &[(&str, &[u128])]) -> Depositors {
    let assets = (0..n_assets).map(|a| format!("T{a}")).collect();
    let depositors = balances
        .iter()
        .map(|(id, b)| Depositor { id: id.to_string(), balances: b.to_vec() })
        .collect();
    Depositors::new(assets, depositors).expect("valid depositors")
}

fn numbered(n_assets: usize, count: usize) -> Depositors {
    let ids: Vec<String> = (0..count).map(|k| format!("depositor-{k}")).collect();
    let balances: Vec<Vec<u128>> = (0..count as u128)
        .map(|k| {
            (0..n_assets as u128)
                .map(|a| if k % 2 == 1 { u128::from(u64::MAX) - k - a } else { k * 1_000 + a })
                .collect()
        })
        .collect();
    let entries: Vec<(&str, &[u128])> =
        ids.iter().zip(&balances).map(|(id, b)| (id.as_str(), b.as_slice())).collect();
    list(n_assets, &entries)
}

fn not_included(result: Result<(), Error>) -> NotIncluded {
    match result {
        Err(Error::NotIncluded(reason)) => reason,
        other => panic!("expected a definite no, got {other:?}"),
    }
}

use crate::Error;

/// Five depositors in batches of depth 1 (binary): three batches, the last padded.
#[test]
fn a_small_epoch_hashes_and_chains_as_specified() {
    let s = shape(2, 1);
    let depositors = numbered(2, 5);
    let tree = EpochTree::build(&depositors, s).expect("builds");
    assert_eq!(tree.batch_count(), 3);
    let leaf = |j: usize| {
        let d = &depositors.depositors()[j];
        let packed = d.balances[0] + (d.balances[1] << 64);
        let limb = Fr::from(packed);
        hash_tagged(DOMAIN_LEAF, &[id_element(&d.id), limb])
    };
    let padding = hash_tagged(DOMAIN_LEAF, &[Fr::zero(), Fr::zero()]);
    assert_eq!(padding_leaf(&s), padding);
    let roots = [
        hash_tagged(DOMAIN_NODE2, &[leaf(0), leaf(1)]),
        hash_tagged(DOMAIN_NODE2, &[leaf(2), leaf(3)]),
        hash_tagged(DOMAIN_NODE2, &[leaf(4), padding]),
    ];
    let chain = tree.chain();
    let mut acc = [0u8; 32];
    let mut totals = vec![U256::ZERO; 2];
    for (i, link) in chain.batches.iter().enumerate() {
        assert_eq!(link.root, roots[i], "batch {i}");
        let batch = &depositors.depositors()[2 * i..(2 * i + 2).min(5)];
        let sums: Vec<U256> =
            (0..2).map(|a| batch.iter().map(|d| U256::from(d.balances[a])).sum()).collect();
        assert_eq!(link.sums, sums);
        acc = accumulate(&acc, &roots[i], &sums);
        for (t, s) in totals.iter_mut().zip(&sums) {
            *t += *s;
        }
    }
    assert_eq!(chain.accumulator, acc);
    assert_eq!(chain.totals, totals);
    // Each batch's witness gives its root and sums.
    for i in 0..3 {
        let (root, sums) =
            witness_root(&s, &tree.batch_witness(i).expect("witness")).expect("root");
        assert_eq!((root, sums), (chain.batches[i].root, chain.batches[i].sums.clone()));
    }
    let summary = tree.summary();
    assert_eq!(summary.published().expect("consistent"), tree.published());
}

#[test]
fn a_4_ary_batch_puts_children_in_base_4_slots() {
    let s = shape(1, 3);
    let depositors = numbered(1, 8);
    let tree = EpochTree::build(&depositors, s).expect("builds");
    let leaf = |j: usize| {
        let d = &depositors.depositors()[j];
        leaf_hash(&s, id_element(&d.id), &d.balances)
    };
    let low = hash_tagged(DOMAIN_NODE4, &[leaf(0), leaf(1), leaf(2), leaf(3)]);
    let high = hash_tagged(DOMAIN_NODE4, &[leaf(4), leaf(5), leaf(6), leaf(7)]);
    assert_eq!(tree.chain().batches[0].root, hash_tagged(DOMAIN_NODE2, &[low, high]));
    let proof = tree.inclusion_proof(6).expect("depositor 6");
    assert_eq!(proof.path, vec![vec![leaf(4), leaf(5), leaf(7)], vec![low]]);
}

#[test]
fn every_depositors_proof_checks() {
    for (k, count) in [(0, 1), (0, 3), (1, 2), (2, 5), (3, 8), (3, 9), (4, 17), (5, 40)] {
        let tree = EpochTree::build(&numbered(3, count), shape(3, k)).expect("builds");
        let published = tree.published();
        for j in 0..count {
            let proof = tree.inclusion_proof(j).expect("a depositor");
            assert_eq!(proof.path.len(), shape(3, k).arities().len());
            check_inclusion(&proof, &proof.shape, &published)
                .unwrap_or_else(|e| panic!("k {k}, #{j}: {e}"));
        }
        assert!(tree.inclusion_proof(count).is_err(), "no proof for a padding leaf");
    }
}

#[test]
fn balances_of_2_b_or_more_are_refused_naming_the_depositor() {
    let s = SolvencyShape::new(2, 8, 1).expect("shape");
    let err =
        EpochTree::build(&list(2, &[("a", &[1, 255]), ("bob", &[0, 256])]), s).expect_err("2^8");
    assert!(err.to_string().contains("\"bob\"") && err.to_string().contains("T1"), "{err}");
    let wide = SolvencyShape::new(1, 128, 0).expect("shape");
    let tree = EpochTree::build(&list(1, &[("a", &[u128::MAX]), ("b", &[u128::MAX])]), wide)
        .expect("2^128 - 1 fits 128 bits");
    assert_eq!(tree.published().totals, vec![U256::from(u128::MAX) * U256::from(2u8)]);
    let err = EpochTree::build(&list(2, &[("a", &[1, 1])]), shape(3, 1)).expect_err("asset count");
    assert!(err.to_string().contains("2 assets"), "{err}");
}

#[test]
fn an_empty_book_is_one_padded_batch() {
    let s = shape(2, 2);
    let tree = EpochTree::build(&list(2, &[]), s).expect("builds");
    assert_eq!(tree.batch_count(), 1);
    let p = padding_leaf(&s);
    assert_eq!(tree.chain().batches[0].root, node_hash(&[p; 4]));
    assert_eq!(tree.published().totals, vec![U256::ZERO; 2]);
}

#[test]
fn tampered_proofs_are_refused() {
    let tree = EpochTree::build(&numbered(2, 9), shape(2, 2)).expect("builds");
    let published = tree.published();
    let proof = tree.inclusion_proof(5).expect("depositor 5");
    let refused = |change: &dyn Fn(&mut InclusionProof)| {
        let mut tampered = proof.clone();
        change(&mut tampered);
        not_included(check_inclusion(&tampered, &tree.shape(), &published))
    };
    let reason = refused(&|p| p.balances[0] += 1);
    assert!(matches!(reason, NotIncluded::WrongRoot { batch: 1, .. }), "{reason}");
    // Another balance width re-reads the packed limbs: refused before any hashing.
    let reason = refused(&|p| p.shape.balance_bits = 32);
    assert!(matches!(reason, NotIncluded::WrongShape { .. }), "{reason}");
    let reason = refused(&|p| p.path[0][1] += Fr::from(1u64));
    assert!(matches!(reason, NotIncluded::WrongRoot { .. }), "{reason}");
    let reason = refused(&|p| p.id = "mallory".into());
    assert!(matches!(reason, NotIncluded::WrongRoot { .. }), "{reason}");
    let reason = refused(&|p| p.index = 6);
    assert!(matches!(reason, NotIncluded::WrongRoot { .. }), "{reason}");
    let reason = refused(&|p| p.index = 1);
    assert!(matches!(reason, NotIncluded::WrongBatch { index: 1, batch: 1, .. }), "{reason}");
    let reason = refused(&|p| p.batch_index = 7);
    assert!(matches!(reason, NotIncluded::WrongBatch { .. }), "{reason}");
    let reason = refused(&|p| p.balances[1] = 1 << 64);
    assert_eq!(reason, NotIncluded::BalanceOutOfRange { asset: 1, bits: 64 });
    let reason = refused(&|p| p.path.pop().map(|_| ()).unwrap_or(()));
    assert!(matches!(reason, NotIncluded::WrongDepth { .. }), "{reason}");
    let reason = refused(&|p| {
        p.path[0].pop();
    });
    assert!(matches!(reason, NotIncluded::WrongDepth { .. }), "{reason}");
    let reason = refused(&|p| p.balances.push(0));
    assert!(matches!(reason, NotIncluded::WrongAssetCount { expected: 2, found: 3, .. }));
    // A batch's sums changed: the accumulator differs.
    let reason = refused(&|p| p.chain[2].sums[0] += U256::from(1u8));
    assert!(matches!(reason, NotIncluded::WrongAccumulator { .. }), "{reason}");
    let reason = refused(&|p| p.chain[0].sums[0] = U256::from(1u8) << 66);
    assert!(matches!(reason, NotIncluded::SumOutOfRange { batch: 0, asset: 0, bits: 66 }));
    let reason = refused(&|p| {
        p.chain.pop();
    });
    assert!(matches!(reason, NotIncluded::WrongAccumulator { .. }), "{reason}");
    let reason = refused(&|p| p.totals[1] += U256::from(1u8));
    assert!(matches!(reason, NotIncluded::OtherClaim { .. }), "{reason}");
    let reason = refused(&|p| p.shape.batch_depth = 3);
    assert!(matches!(reason, NotIncluded::WrongShape { .. }), "{reason}");
    // A path of the wrong depth for the attestation's shape.
    let reason = refused(&|p| {
        p.path.pop();
    });
    assert!(matches!(reason, NotIncluded::WrongDepth { .. }), "{reason}");
}

#[test]
fn a_wrong_accumulator_or_totals_is_refused() {
    let tree = EpochTree::build(&numbered(2, 6), shape(2, 2)).expect("builds");
    let proof = tree.inclusion_proof(0).expect("depositor 0");
    let against = |change: &dyn Fn(&mut Published)| {
        let mut expected = tree.published();
        change(&mut expected);
        not_included(check_inclusion(&proof, &proof.shape, &expected))
    };
    assert!(matches!(against(&|p| p.accumulator[0] ^= 1), NotIncluded::WrongAccumulator { .. }));
    let reason = against(&|p| p.totals[1] += U256::from(1u8));
    assert!(matches!(reason, NotIncluded::WrongTotals { asset: 1, .. }), "{reason}");
    assert!(matches!(
        against(&|p| {
            p.totals.pop();
        }),
        NotIncluded::WrongAssetCount { .. }
    ));
}

#[test]
fn proofs_and_summaries_round_trip_through_json() {
    let tree = EpochTree::build(&numbered(2, 5), shape(2, 1)).expect("builds");
    let proof = tree.inclusion_proof(3).expect("depositor 3");
    let json = serde_json::to_value(&proof).expect("encode");
    assert_eq!(json["version"], 3);
    assert_eq!(
        json["shape"],
        serde_json::json!({"n_assets": 2, "balance_bits": 64, "batch_depth": 1})
    );
    assert!(json["accumulator"].as_str().is_some_and(|a| a.starts_with("0x") && a.len() == 66));
    assert!(json["balances"][0].is_string() && json["totals"][0].is_string());
    let back: InclusionProof = serde_json::from_value(json).expect("decode");
    assert_eq!(back, proof);
    proof.check_version().expect("the current version");
    let mut old = proof.clone();
    old.version = 2;
    assert!(matches!(old.check_version(), Err(Error::Corrupt(_))));

    let summary = tree.summary();
    let back: EpochSummary =
        serde_json::from_value(serde_json::to_value(&summary).expect("encode")).expect("decode");
    assert_eq!(back, summary);
    let mut old = summary.clone();
    old.version = 2;
    assert!(old.published().is_err());
    let mut forged = summary.clone();
    forged.chain.totals[0] += U256::from(1u8);
    assert!(forged.published().is_err(), "totals not those of the chain");
    let mut short = summary;
    short.batch_count = 2;
    assert!(short.published().is_err());
}

#[test]
fn the_proofs_asset_columns_must_be_the_vaults_assets() {
    let tree = EpochTree::build(&numbered(2, 2), shape(2, 1)).expect("builds");
    let proof = tree.inclusion_proof(0).expect("depositor 0");
    let names = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(check_assets(&proof, &names(&["T0", "T1"])), Ok(()));
    assert_eq!(
        check_assets(&proof, &names(&["T1", "T0"])),
        Err(NotIncluded::AssetMismatch { asset: 0, proof: "T0".into(), chain: "T1".into() })
    );
    assert!(matches!(
        check_assets(&proof, &names(&["T0", "T1", "T2"])),
        Err(NotIncluded::WrongAssetCount { expected: 3, found: 2, .. })
    ));
}

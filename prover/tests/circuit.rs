//! The circuit against the native reference: honest witnesses satisfy it, every constraint
//! family rejects a witness that violates it, and the two agree on random inputs and near the
//! execution-price bound.

use ark_bn254::Fr;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};
use num_bigint::BigInt;
use proofgate_prover::circuit::{Assignment, RiskCircuit, EXECUTION_PRICE};
use proofgate_prover::config::BPS;
use proofgate_prover::fixtures::Example;
use proofgate_prover::reference::Trace;
use proofgate_prover::valuation::{
    value_usd, AssetSnapshot, Rounding, TradeAmounts, VaultSnapshot,
};
use proofgate_prover::{evaluate, CircuitConfig, Violation};

fn small_config() -> CircuitConfig {
    CircuitConfig { n_assets: 4, hidden_layers: vec![8, 4], ..CircuitConfig::default() }
}

fn example() -> Example {
    let example = Example::passing(&small_config(), 11).expect("example");
    let evaluation =
        evaluate(&example.config, &example.model, &example.params, &example.statement).expect("ok");
    assert!(evaluation.passes(), "{:?}", evaluation.violations);
    example
}

fn trace_of(example: &Example) -> Trace {
    evaluate(&example.config, &example.model, &example.params, &example.statement)
        .expect("well-formed")
        .trace
}

fn satisfied_with(example: &Example, trace: Trace) -> bool {
    let assignment = Assignment {
        model: example.model.clone(),
        params: example.params.clone(),
        statement: example.statement.clone(),
        trace,
    };
    let cs = ConstraintSystem::<Fr>::new_ref();
    RiskCircuit::with_assignment(example.config.clone(), assignment)
        .generate_constraints(cs.clone())
        .expect("synthesise");
    cs.is_satisfied().expect("evaluate")
}

fn satisfied(example: &Example) -> bool {
    satisfied_with(example, trace_of(example))
}

/// The reference reports `expected` and the circuit is unsatisfiable.
fn assert_rejected(example: &Example, expected: &Violation) {
    let evaluation =
        evaluate(&example.config, &example.model, &example.params, &example.statement).expect("ok");
    assert!(evaluation.violations.contains(expected), "{:?}", evaluation.violations);
    assert!(!satisfied(example), "the circuit accepted {expected:?}");
}

fn with_params(change: impl FnOnce(&mut Example)) -> Example {
    let mut e = example();
    change(&mut e);
    e.recommit().expect("recommit");
    e
}

#[test]
fn an_honest_witness_satisfies_the_circuit() {
    for config in [small_config(), CircuitConfig::with_assets(2), CircuitConfig::default()] {
        let example = Example::passing(&config, 7).expect("example");
        assert!(satisfied(&example), "{config:?}");
    }
}

#[test]
fn a_score_over_the_limit_is_unprovable() {
    let mut e = example();
    let score = evaluate(&e.config, &e.model, &e.params, &e.statement).expect("ok").metrics.score;
    e.params.max_score = i64::try_from(score).expect("small") - 1;
    e.recommit().expect("recommit");
    assert_rejected(&e, &Violation::ScoreAboveLimit);
}

#[test]
fn a_health_factor_below_the_minimum_is_unprovable() {
    let e = with_params(|e| e.params.min_health_factor_bps = (1 << 24) - 1);
    assert_rejected(&e, &Violation::HealthFactor);
}

#[test]
fn leverage_above_the_maximum_is_unprovable() {
    let e = with_params(|e| e.params.max_leverage_bps = 9_999);
    assert_rejected(&e, &Violation::Leverage);
}

#[test]
fn concentration_above_the_maximum_is_unprovable() {
    let e = with_params(|e| e.params.max_concentration_bps = 1_000);
    assert_rejected(&e, &Violation::Concentration { asset: 0 });
}

#[test]
fn value_at_risk_above_the_limit_is_unprovable() {
    let e = with_params(|e| e.params.var_limit_bps = 10);
    assert_rejected(&e, &Violation::ValueAtRisk);
}

#[test]
fn negative_equity_is_unprovable() {
    let mut e = example();
    for k in 0..e.config.n_assets {
        e.statement.debts[k] = e.statement.holdings[k] + 1;
    }
    assert_rejected(&e, &Violation::EquityNotPositive);
}

#[test]
fn weights_other_than_the_committed_ones_are_unprovable() {
    let mut e = example();
    e.model.layers[0].weights[0][0] += 1; // the statement keeps the certified commitment
    assert_rejected(&e, &Violation::ModelCommitment);
}

#[test]
fn risk_parameters_other_than_the_committed_ones_are_unprovable() {
    let mut e = example();
    e.params.var_limit_bps += 1_000; // looser limits under the governed commitment
    assert_rejected(&e, &Violation::ParamsCommitment);
}

#[test]
fn a_trade_within_one_asset_is_unprovable() {
    let mut e = example();
    e.statement.trade.buy_asset = e.statement.trade.sell_asset;
    assert_rejected(&e, &Violation::SameAsset);
}

#[test]
fn an_asset_index_out_of_range_is_unprovable() {
    let mut e = example();
    e.statement.trade.buy_asset = e.config.n_assets as u8;
    assert_rejected(&e, &Violation::AssetIndexOutOfRange);
}

#[test]
fn selling_more_than_the_holding_is_unprovable() {
    let mut e = example();
    let sell = usize::from(e.statement.trade.sell_asset);
    e.statement.trade.value_in = e.statement.holdings[sell] + 1;
    assert_rejected(&e, &Violation::SellExceedsHolding);
}

#[test]
fn a_rescale_remainder_out_of_range_is_unprovable() {
    let e = example();
    let mut trace = trace_of(&e);
    let step = BigInt::from(1) << e.config.weight_frac_bits;
    // Same accumulator, quotient one lower, remainder one step higher: r >= 2^Fw.
    trace.layers[0].quotients[0] -= 1;
    trace.layers[0].remainders[0] += &step;
    trace.layers[0].outputs[0] = trace.layers[0].quotients[0].clone().max(BigInt::from(0));
    assert!(!satisfied_with(&e, trace));
}

#[test]
fn a_forged_relu_sign_is_unprovable() {
    let e = example();
    let trace = trace_of(&e);
    let layer = &trace.layers[0];
    let negative = layer.quotients.iter().position(|q| q < &BigInt::from(0)).expect("a negative");
    let positive = layer.quotients.iter().position(|q| q > &BigInt::from(0)).expect("a positive");
    let mut pass_negative = trace.clone();
    pass_negative.layers[0].outputs[negative] = layer.quotients[negative].clone();
    assert!(!satisfied_with(&e, pass_negative), "ReLU let a negative value through");
    let mut zero_positive = trace.clone();
    zero_positive.layers[0].outputs[positive] = BigInt::from(0);
    assert!(!satisfied_with(&e, zero_positive), "ReLU zeroed a positive value");
}

#[test]
fn a_forged_feature_is_unprovable() {
    let e = example();
    let mut trace = trace_of(&e);
    trace.weight_features[0] += 1; // remainder now off by G: negative or the equation fails
    assert!(!satisfied_with(&e, trace.clone()));
    let mut shares = trace_of(&e);
    shares.variance_shares[1] -= 1;
    assert!(!satisfied_with(&e, shares));
}

#[test]
fn a_forged_exposure_sign_is_unprovable() {
    let e = example();
    let mut trace = trace_of(&e);
    trace.exposure_negative[0] = !trace.exposure_negative[0];
    assert!(!satisfied_with(&e, trace));
}

/// The example with `value_out` set and `max_slippage_bps` pinned (recommitted).
fn with_trade(value_out: u64, max_slippage_bps: u64) -> Example {
    with_params(|e| {
        e.statement.trade.value_out = value_out;
        e.params.max_slippage_bps = max_slippage_bps;
    })
}

fn violations(e: &Example) -> Vec<Violation> {
    evaluate(&e.config, &e.model, &e.params, &e.statement).expect("well-formed").violations
}

/// The index of the first unsatisfied constraint, and the constraint range of the
/// execution-price bound, for the example's honest trace.
fn first_unsatisfied_and_bound(e: &Example) -> (Option<usize>, std::ops::Range<usize>) {
    let assignment = Assignment {
        model: e.model.clone(),
        params: e.params.clone(),
        statement: e.statement.clone(),
        trace: trace_of(e),
    };
    let cs = ConstraintSystem::<Fr>::new_ref();
    let breakdown = RiskCircuit::with_assignment(e.config.clone(), assignment)
        .synthesize(cs.clone())
        .expect("synthesise");
    let position = breakdown.iter().position(|(name, _)| *name == EXECUTION_PRICE).expect("bound");
    let start: usize = breakdown[..position].iter().map(|(_, c)| c).sum();
    // "<predicate> - <index>" (with no tracing layer installed).
    let first = cs.which_is_unsatisfied().expect("assigned").map(|trace| {
        trace.rsplit(" - ").next().and_then(|i| i.parse().ok()).expect("a constraint index")
    });
    (first, start..start + breakdown[position].1)
}

#[test]
fn a_trade_below_the_execution_price_bound_is_unprovable() {
    // An honest trace of a statement whose only fault is its price: 2 % below the oracle value
    // where 1 % is allowed; every other check passes with room to spare.
    let value_in = example().statement.trade.value_in;
    let e = with_trade(value_in - value_in / 50, 100);
    assert_eq!(violations(&e), [Violation::Slippage]);
    assert!(!satisfied(&e), "the circuit accepted a trade 2 % below the oracle value");
    let (first, bound) = first_unsatisfied_and_bound(&e);
    let first = first.expect("an unsatisfied constraint");
    assert!(bound.contains(&first), "constraint {first} is not in the bound's {bound:?}");

    // The same trade under a 2 % bound: nothing else was failing.
    let allowed = with_trade(value_in - value_in / 50, 200);
    assert_eq!(violations(&allowed), []);
    assert!(satisfied(&allowed));
    assert_eq!(first_unsatisfied_and_bound(&allowed).0, None);
}

#[test]
fn the_execution_price_bound_is_exact() {
    let value_in = example().statement.trade.value_in;
    assert_eq!(value_in % BPS, 0, "the example's value is a whole number of dollars");
    for max_slippage in [0, 1, 100, 9_999] {
        // value_out·BPS == value_in·(BPS - s_max): exactly at the bound.
        let at = value_in / BPS * (BPS - max_slippage);
        let e = with_trade(at, max_slippage);
        assert_eq!(violations(&e), [], "at the bound, s_max = {max_slippage}");
        assert!(satisfied(&e), "at the bound, s_max = {max_slippage}");
        let below = with_trade(at - 1, max_slippage);
        assert_eq!(violations(&below), [Violation::Slippage], "s_max = {max_slippage}");
        assert!(!satisfied(&below), "one unit below the bound, s_max = {max_slippage}");
    }
}

#[test]
fn a_full_exit_with_a_remainder_is_provable() {
    let usdc = |dollars: u128| AssetSnapshot {
        balance: dollars * 1_000_000,
        debt: 0,
        price_1e8: 100_000_000,
        decimals: 6,
    };
    // 10 WETH + 1 wei at $3,000.00000001: the holding's value has a remainder.
    let weth = AssetSnapshot {
        balance: 10_000_000_000_000_000_001,
        debt: 0,
        price_1e8: 300_000_000_001,
        decimals: 18,
    };
    let mut e = example();
    let snapshot = VaultSnapshot {
        assets: vec![weth.clone(), usdc(1_000_000), usdc(900_000), usdc(1_100_000)],
        trade: TradeAmounts {
            sell_asset: 0,
            buy_asset: 1,
            amount_in: weth.balance, // the whole holding
            amount_out: 29_900_000_000,
        },
        binding: e.statement.binding.clone(),
        model_commitment: e.statement.model_commitment,
        params_commitment: e.statement.params_commitment,
    };
    e.statement = snapshot.statement().expect("statement");
    let holding = e.statement.holdings[0];
    assert_eq!(e.statement.trade.value_in, holding);
    // The former rule, value(amount_in) rounded up, would sell one unit more than is held.
    let ceil = value_usd(weth.balance, weth.price_1e8, weth.decimals, Rounding::Up).expect("fits");
    assert!(ceil > holding, "{ceil} <= {holding}: the price leaves no remainder");

    // A score limit one unit above this portfolio's score; the other limits are the typical ones.
    let score = evaluate(&e.config, &e.model, &e.params, &e.statement).expect("ok").metrics.score;
    e.params.max_score =
        i64::try_from(score).expect("small") + (1 << e.config.activation_frac_bits);
    e.recommit().expect("recommit");
    assert_eq!(violations(&e), [], "the full exit");
    assert!(satisfied(&e), "the full exit");

    let mut old_rule = e.clone();
    old_rule.statement.trade.value_in = ceil;
    assert_rejected(&old_rule, &Violation::SellExceedsHolding);
}

mod lockstep {
    use super::*;
    use proofgate_prover::model::Model;
    use proptest::prelude::*;
    use rand::{rngs::StdRng, SeedableRng};

    fn config() -> CircuitConfig {
        CircuitConfig { n_assets: 3, hidden_layers: vec![4], ..CircuitConfig::default() }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

        /// For random portfolios, trades, limits and models, the circuit is satisfied exactly
        /// when the reference says every check passes.
        #[test]
        fn circuit_is_satisfied_iff_the_reference_passes(
            seed in any::<u64>(),
            holdings in prop::collection::vec((1u64 << 40)..(1 << 42), 3),
            debts in prop::collection::vec(0u64..(1 << 39), 3),
            sell in 0u8..8,
            buy in 0u8..8,
            sell_fraction_bps in 0u64..11_000,
            slippage_bps in 0u64..300,
            leverage in 10_000u64..40_000,
            concentration in 4_000u64..10_000,
            var_limit in 300u64..5_000,
            score_slack in -(1i64 << 14)..(1i64 << 18),
        ) {
            let cfg = config();
            let mut e = Example::passing(&cfg, seed).expect("example");
            e.model = Model::random(&cfg, &mut StdRng::seed_from_u64(seed ^ 0x5eed));
            // Mostly valid indices, sometimes the same asset or one out of range.
            let sell = if sell < 7 { sell % 3 } else { 3 };
            let buy = match buy { 7 => 3, 6 => sell, b => (sell + 1 + b % 2) % 3 };
            let held = holdings.get(usize::from(sell)).copied().unwrap_or(1 << 40);
            let value_in = held / 10_000 * sell_fraction_bps;
            e.statement.holdings = holdings;
            e.statement.debts = debts;
            e.statement.trade.sell_asset = sell;
            e.statement.trade.buy_asset = buy;
            e.statement.trade.value_in = value_in;
            e.statement.trade.value_out = value_in - value_in * slippage_bps / 10_000;
            e.params.max_leverage_bps = leverage;
            e.params.max_concentration_bps = concentration;
            e.params.var_limit_bps = var_limit;
            // Above every slippage drawn here: the execution-price bound has its own test below.
            e.params.max_slippage_bps = 300;
            e.recommit().expect("recommit");
            let score = evaluate(&e.config, &e.model, &e.params, &e.statement).expect("ok").metrics.score;
            let score = i64::try_from(score).unwrap_or(0);
            e.params.max_score = (score + score_slack).clamp(-(1 << 30), 1 << 30);
            e.recommit().expect("recommit");

            let evaluation = evaluate(&e.config, &e.model, &e.params, &e.statement).expect("ok");
            prop_assert_eq!(satisfied(&e), evaluation.passes(), "{:?}", evaluation.violations);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

        /// Within a few units of the execution-price bound, the reference reports a slippage
        /// violation exactly when `value_out·10^4 < value_in·(10^4 - s_max)`, and the circuit is
        /// satisfied exactly when the reference passes.
        #[test]
        fn the_execution_price_bound_agrees_near_its_boundary(
            seed in any::<u64>(),
            value_in in 1u64..(50_000 * 100_000_000),
            max_slippage in 0u64..=10_000,
            offset in -3i64..=3,
        ) {
            let cfg = config();
            let mut e = Example::passing(&cfg, seed).expect("example");
            let floor = u128::from(value_in) * u128::from(BPS - max_slippage);
            let least = u64::try_from(floor.div_ceil(u128::from(BPS))).expect("below value_in");
            let value_out = least.saturating_add_signed(offset);
            e.statement.trade.value_in = value_in;
            e.statement.trade.value_out = value_out;
            e.params.max_slippage_bps = max_slippage;
            e.recommit().expect("recommit");

            let evaluation = evaluate(&e.config, &e.model, &e.params, &e.statement).expect("ok");
            let below = u128::from(value_out) * u128::from(BPS) < floor;
            prop_assert_eq!(evaluation.violations.contains(&Violation::Slippage), below);
            prop_assert_eq!(satisfied(&e), evaluation.passes(), "{:?}", evaluation.violations);
        }
    }
}

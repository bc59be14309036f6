//! Risk-check violations in words, with the figures that broke the limit.

use num_bigint::BigInt;
use num_traits::ToPrimitive;
use proofgate_prover::config::{BPS, COV_SCALE, VALUE_SCALE};
use proofgate_prover::reference::Metrics;
use proofgate_prover::statement::fr_to_hex;
use proofgate_prover::{CircuitConfig, Model, RiskParams, Statement, Violation};

/// What a violation is checked against.
pub struct Context<'a> {
    /// The circuit.
    pub config: &'a CircuitConfig,
    /// The model.
    pub model: &'a Model,
    /// The parameters.
    pub params: &'a RiskParams,
    /// The statement.
    pub statement: &'a Statement,
    /// The reference's figures.
    pub metrics: &'a Metrics,
}

fn f64_of(v: &BigInt) -> f64 {
    v.to_f64().unwrap_or(f64::NAN)
}

fn usd(v: f64) -> String {
    format!("${:.2}", v / VALUE_SCALE as f64)
}

fn ratio(numerator: f64, denominator: f64) -> String {
    if denominator == 0.0 {
        "infinite".into()
    } else {
        format!("{:.4}", numerator / denominator)
    }
}

fn bps(v: u64) -> String {
    format!("{:.4}", v as f64 / BPS as f64)
}

/// A short name of the check, for JSON.
pub fn check_name(v: &Violation) -> &'static str {
    match v {
        Violation::ModelCommitment => "model_commitment",
        Violation::ParamsCommitment => "params_commitment",
        Violation::AssetIndexOutOfRange => "asset_index",
        Violation::SameAsset => "same_asset",
        Violation::SellExceedsHolding => "sell_exceeds_holding",
        Violation::EquityNotPositive => "equity",
        Violation::VarianceNotPositive => "variance",
        Violation::FeatureOutOfRange { .. } => "feature_range",
        Violation::ActivationOutOfRange { .. } => "activation_range",
        Violation::ScoreAboveLimit => "score",
        Violation::HealthFactor => "health_factor",
        Violation::Leverage => "leverage",
        Violation::Concentration { .. } => "concentration",
        Violation::ValueAtRisk => "value_at_risk",
        Violation::Slippage => "slippage",
    }
}

/// The violation in words, with its figures.
pub fn describe(v: &Violation, cx: &Context<'_>) -> String {
    let (s, m, p, n) = (cx.statement, cx.metrics, cx.params, cx.config.n_assets);
    let (sell, buy) = (usize::from(s.trade.sell_asset), usize::from(s.trade.buy_asset));
    let equity = f64_of(&m.equity);
    let gross = f64_of(&m.gross_exposure);
    match v {
        Violation::ModelCommitment => format!(
            "the statement's model_commitment {} is not the commitment of this model ({})",
            fr_to_hex(&s.model_commitment),
            cx.model.commitment(cx.config).map_or_else(|e| e.to_string(), |c| fr_to_hex(&c))
        ),
        Violation::ParamsCommitment => format!(
            "the statement's params_commitment {} is not the commitment of these risk parameters ({})",
            fr_to_hex(&s.params_commitment),
            cx.params.commitment(cx.config).map_or_else(|e| e.to_string(), |c| fr_to_hex(&c))
        ),
        Violation::AssetIndexOutOfRange => format!(
            "the trade's asset indices (sell {sell}, buy {buy}) must be below the asset count {n}"
        ),
        Violation::SameAsset => format!("the trade sells and buys the same asset ({sell})"),
        Violation::SellExceedsHolding => format!(
            "the trade sells {} of asset {sell}, but the vault holds only {}",
            usd(s.trade.value_in as f64),
            usd(s.holdings.get(sell).map_or(0.0, |&h| h as f64))
        ),
        Violation::EquityNotPositive => format!("equity after the trade is {}, not positive", usd(equity)),
        Violation::VarianceNotPositive => {
            "the portfolio variance after the trade is not positive (check the covariance matrix)".into()
        }
        Violation::FeatureOutOfRange { asset } => {
            format!("asset {asset}'s share of the portfolio variance is outside the model's feature range")
        }
        Violation::ActivationOutOfRange { layer, neuron } => {
            format!("the model's activation at layer {layer}, neuron {neuron} overflows its 32-bit range")
        }
        Violation::ScoreAboveLimit => {
            let one = (1u64 << cx.config.activation_frac_bits) as f64;
            format!(
                "the model's risk score {:.4} is above the limit {:.4}",
                f64_of(&m.score) / one,
                p.max_score as f64 / one
            )
        }
        Violation::HealthFactor => {
            let collateral: f64 = m
                .post_holdings
                .iter()
                .zip(&p.liquidation_thresholds_bps)
                .map(|(c, &lt)| f64_of(c) * lt as f64 / BPS as f64)
                .sum();
            let debt: f64 = s.debts.iter().map(|&d| d as f64).sum();
            format!(
                "health factor {} after the trade is below the minimum {}",
                ratio(collateral, debt),
                bps(p.min_health_factor_bps)
            )
        }
        Violation::Leverage => format!(
            "leverage {} (gross exposure {} over equity {}) is above the maximum {}",
            ratio(gross, equity),
            usd(gross),
            usd(equity),
            bps(p.max_leverage_bps)
        ),
        Violation::Concentration { asset } => {
            let post = m.post_holdings.get(*asset).map_or(0.0, f64_of);
            let debt = s.debts.get(*asset).map_or(0.0, |&d| d as f64);
            format!(
                "asset {asset} is {} of the gross exposure, above the maximum concentration {}",
                ratio((post - debt).abs(), gross),
                bps(p.max_concentration_bps)
            )
        }
        Violation::ValueAtRisk => {
            let var = (p.var_multiplier as f64 / BPS as f64 * f64_of(&m.variance) / COV_SCALE as f64).sqrt();
            let limit = p.var_limit_bps as f64 / BPS as f64 * equity;
            format!(
                "one-period value at risk {} is above the limit {} ({} of equity)",
                usd(var),
                usd(limit),
                bps(p.var_limit_bps)
            )
        }
        Violation::Slippage => {
            let (value_in, value_out) = (s.trade.value_in as f64, s.trade.value_out as f64);
            let shortfall = if value_in == 0.0 { 0.0 } else { 1.0 - value_out / value_in };
            format!(
                "the trade receives {} for {} sold at the vault's oracle prices, {:.2} % below, \
                 more than the maximum slippage {:.2} %",
                usd(value_out),
                usd(value_in),
                100.0 * shortfall,
                100.0 * p.max_slippage_bps as f64 / BPS as f64
            )
        }
    }
}

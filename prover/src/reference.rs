//! The native reference: exactly the circuit's fixed-point arithmetic, in plain integers.
//!
//! [`evaluate`] computes the post-trade portfolio, the model's features and score, every hard
//! check and the full witness trace. The circuit is satisfiable for a statement exactly when
//! `evaluate` reports no violation; the agent calls this before proving.
//!
//! # Features (input of the model, `2n` values at 2^activation_frac_bits)
//! With post-trade holdings `C'`, debts `D`, net exposures `x_k = C'_k - D_k`, gross exposure
//! `G = Σ|x_k|`, covariance `Σ` and portfolio variance `V = xᵀΣx`:
//! - `f_k = floor(x_k · 2^F / G)`: the signed weight of asset `k` in the portfolio (in [-1, 1]);
//! - `g_k = floor(x_k · (Σx)_k · 2^F / V)`: asset `k`'s share of the portfolio variance (Euler
//!   risk contribution; shares sum to 1 and hedges make them negative).
//!
//! # Checks, in the circuit's order
//! The trade's assets and `value_in <= holding`; equity and variance positive; the features and
//! activations in range; then the hard checks (score, health factor, leverage, concentration,
//! VaR) and last the execution-price bound
//! `value_in · BPS <= value_out · BPS + value_in · max_slippage_bps` (the trade receives, at the
//! vault's oracle prices, at least `1 - max_slippage_bps / BPS` of what it sells).

use num_bigint::BigInt;
use num_traits::{One, Signed, Zero};

use crate::config::*;
use crate::fixed::{fits_signed, floor_div};
use crate::model::Model;
use crate::risk_params::RiskParams;
use crate::statement::Statement;
use crate::Error;

/// A check that the statement fails; any violation means no proof can exist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Violation {
    /// The statement's model commitment is not the model's.
    ModelCommitment,
    /// The statement's risk-parameter commitment is not the parameters'.
    ParamsCommitment,
    /// An asset index of the trade is not below the asset count.
    AssetIndexOutOfRange,
    /// The trade sells and buys the same asset.
    SameAsset,
    /// The trade sells more than the vault holds.
    SellExceedsHolding,
    /// Equity after the trade is not positive.
    EquityNotPositive,
    /// The portfolio variance is not positive (the covariance is not positive definite here).
    VarianceNotPositive,
    /// A variance share is outside the feature range.
    FeatureOutOfRange {
        /// The asset.
        asset: usize,
    },
    /// An activation does not fit [`ACTIVATION_BITS`].
    ActivationOutOfRange {
        /// The layer.
        layer: usize,
        /// The neuron.
        neuron: usize,
    },
    /// The risk score is above `max_score`.
    ScoreAboveLimit,
    /// The health factor is below the minimum.
    HealthFactor,
    /// Leverage is above the maximum.
    Leverage,
    /// An asset's exposure is above the concentration limit.
    Concentration {
        /// The asset.
        asset: usize,
    },
    /// Value at risk is above the limit.
    ValueAtRisk,
    /// The trade receives less than `1 - max_slippage_bps / BPS` of the value it sells.
    Slippage,
}

/// One model layer's witness.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LayerTrace {
    /// `floor(acc / 2^weight_frac_bits)` per neuron.
    pub quotients: Vec<BigInt>,
    /// `acc - quotient · 2^weight_frac_bits`.
    pub remainders: Vec<BigInt>,
    /// `ReLU(quotient)` (the quotient itself in the last layer).
    pub outputs: Vec<BigInt>,
}

/// Every value the prover supplies beyond the statement, model and parameters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trace {
    /// `|x_k|`.
    pub abs_exposures: Vec<BigInt>,
    /// `x_k < 0`.
    pub exposure_negative: Vec<bool>,
    /// `f_k` and their remainders.
    pub weight_features: Vec<BigInt>,
    /// `x_k · 2^F - f_k · G`.
    pub weight_remainders: Vec<BigInt>,
    /// `g_k`.
    pub variance_shares: Vec<BigInt>,
    /// `x_k · (Σx)_k · 2^F - g_k · V`.
    pub variance_remainders: Vec<BigInt>,
    /// The model's layers.
    pub layers: Vec<LayerTrace>,
}

/// Headline figures of the post-trade portfolio.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Metrics {
    /// Post-trade holdings `C'`.
    pub post_holdings: Vec<BigInt>,
    /// Equity `E = ΣC' - ΣD`.
    pub equity: BigInt,
    /// Gross exposure `G = Σ|x|`.
    pub gross_exposure: BigInt,
    /// Portfolio variance `xᵀΣx` (USD² at 1e8·1e8·1e12).
    pub variance: BigInt,
    /// The model's risk score at 2^activation_frac_bits.
    pub score: BigInt,
}

/// The result of [`evaluate`].
#[derive(Clone, Debug)]
pub struct Evaluation {
    /// The witness trace.
    pub trace: Trace,
    /// Figures for logs and reports.
    pub metrics: Metrics,
    /// Every failed check; empty exactly when a proof exists.
    pub violations: Vec<Violation>,
}

impl Evaluation {
    /// Whether every check passes.
    pub fn passes(&self) -> bool {
        self.violations.is_empty()
    }
}

fn big(v: impl Into<BigInt>) -> BigInt {
    v.into()
}

/// Runs the model on features at 2^activation_frac_bits: each layer's witness, and an
/// [`Violation::ActivationOutOfRange`] for every activation that does not fit. The score is the
/// last layer's single output.
pub fn run_model(model: &Model, features: Vec<BigInt>) -> (Vec<LayerTrace>, Vec<Violation>) {
    let mut violations = Vec::new();
    let mut activations = features;
    let divisor = BigInt::one() << model.weight_frac_bits;
    let mut layers = Vec::with_capacity(model.layers.len());
    for (l, layer) in model.layers.iter().enumerate() {
        let last = l + 1 == model.layers.len();
        let mut trace = LayerTrace::default();
        for (neuron, (row, &bias)) in layer.weights.iter().zip(&layer.biases).enumerate() {
            let acc: BigInt =
                row.iter().zip(&activations).map(|(&w, a)| big(w) * a).sum::<BigInt>() + bias;
            let (q, r) = floor_div(&acc, &divisor);
            if !fits_signed(&q, ACTIVATION_BITS) {
                violations.push(Violation::ActivationOutOfRange { layer: l, neuron });
            }
            let out = if last || q.is_positive() { q.clone() } else { BigInt::zero() };
            trace.quotients.push(q);
            trace.remainders.push(r);
            trace.outputs.push(out);
        }
        activations = trace.outputs.clone();
        layers.push(trace);
    }
    (layers, violations)
}

/// Evaluates the statement natively. Returns an error for malformed input (shapes or widths
/// that do not match `config`), and the list of violations for a well-formed statement.
pub fn evaluate(
    config: &CircuitConfig,
    model: &Model,
    params: &RiskParams,
    statement: &Statement,
) -> Result<Evaluation, Error> {
    config.validate()?;
    model.check_against(config)?;
    params.check_against(config)?;
    statement.check_against(config)?;
    let n = config.n_assets;
    let mut violations = Vec::new();
    if model.commitment(config)? != statement.model_commitment {
        violations.push(Violation::ModelCommitment);
    }
    if params.commitment(config)? != statement.params_commitment {
        violations.push(Violation::ParamsCommitment);
    }

    // Post-trade portfolio.
    let trade = &statement.trade;
    let (sell, buy) = (usize::from(trade.sell_asset), usize::from(trade.buy_asset));
    if sell >= n || buy >= n {
        violations.push(Violation::AssetIndexOutOfRange);
    }
    if sell == buy {
        violations.push(Violation::SameAsset);
    }
    if sell < n && trade.value_in > statement.holdings[sell] {
        violations.push(Violation::SellExceedsHolding);
    }
    let post: Vec<BigInt> = (0..n)
        .map(|k| {
            let mut c = big(statement.holdings[k]);
            if k == sell {
                c -= trade.value_in;
            }
            if k == buy {
                c += trade.value_out;
            }
            c
        })
        .collect();
    let exposures: Vec<BigInt> = (0..n).map(|k| &post[k] - statement.debts[k]).collect();
    let equity: BigInt =
        post.iter().sum::<BigInt>() - statement.debts.iter().map(|&d| big(d)).sum::<BigInt>();
    let gross: BigInt = exposures.iter().map(|x| x.abs()).sum();
    if equity < BigInt::one() {
        violations.push(Violation::EquityNotPositive);
    }

    // Features.
    let one_f = BigInt::one() << config.activation_frac_bits;
    let divide = |num: BigInt, den: &BigInt| {
        if den.is_positive() {
            floor_div(&num, den)
        } else {
            (BigInt::zero(), BigInt::zero()) // unprovable anyway: a check above has failed
        }
    };
    let (weight_features, weight_remainders): (Vec<_>, Vec<_>) =
        exposures.iter().map(|x| divide(x * &one_f, &gross)).unzip();
    let cov_rows: Vec<BigInt> = (0..n)
        .map(|k| (0..n).map(|j| big(params.covariance[k][j]) * &exposures[j]).sum())
        .collect();
    let variance: BigInt = (0..n).map(|k| &exposures[k] * &cov_rows[k]).sum();
    if variance < BigInt::one() {
        violations.push(Violation::VarianceNotPositive);
    }
    let (variance_shares, variance_remainders): (Vec<_>, Vec<_>) =
        (0..n).map(|k| divide(&exposures[k] * &cov_rows[k] * &one_f, &variance)).unzip();
    let share_bits = config.activation_frac_bits as usize + VARIANCE_SHARE_HEADROOM_BITS + 1;
    for (asset, g) in variance_shares.iter().enumerate() {
        if !fits_signed(g, share_bits) {
            violations.push(Violation::FeatureOutOfRange { asset });
        }
    }

    // The model.
    let features = weight_features.iter().chain(&variance_shares).cloned().collect();
    let (layers, model_violations) = run_model(model, features);
    violations.extend(model_violations);
    let score = layers.last().and_then(|l| l.outputs.first()).cloned().unwrap_or_default();

    // Hard checks.
    if score > big(params.max_score) {
        violations.push(Violation::ScoreAboveLimit);
    }
    let total_debt: BigInt = statement.debts.iter().map(|&d| big(d)).sum();
    let collateral: BigInt = (0..n).map(|k| &post[k] * params.liquidation_thresholds_bps[k]).sum();
    if collateral < total_debt * params.min_health_factor_bps {
        violations.push(Violation::HealthFactor);
    }
    if &gross * BPS > &equity * params.max_leverage_bps {
        violations.push(Violation::Leverage);
    }
    for (asset, x) in exposures.iter().enumerate() {
        if x.abs() * BPS > &gross * params.max_concentration_bps {
            violations.push(Violation::Concentration { asset });
        }
    }
    let var_limit = &equity * params.var_limit_bps;
    if &variance * params.var_multiplier > &var_limit * &var_limit * VAR_RHS_SCALE {
        violations.push(Violation::ValueAtRisk);
    }

    // Execution-price bound: value_in·BPS <= value_out·BPS + value_in·s_max.
    let value_in = big(trade.value_in);
    if &value_in * BPS > big(trade.value_out) * BPS + &value_in * params.max_slippage_bps {
        violations.push(Violation::Slippage);
    }

    let trace = Trace {
        abs_exposures: exposures.iter().map(|x| x.abs()).collect(),
        exposure_negative: exposures.iter().map(|x| x.is_negative()).collect(),
        weight_features,
        weight_remainders,
        variance_shares,
        variance_remainders,
        layers,
    };
    let metrics = Metrics { post_holdings: post, equity, gross_exposure: gross, variance, score };
    Ok(Evaluation { trace, metrics, violations })
}

//! The post-trade portfolio, the model's features, the hard risk checks and the execution-price
//! bound, in the circuit.
//! Mirrors [`crate::reference::evaluate`] line by line.

use ark_bn254::Fr;
use ark_r1cs_std::prelude::*;
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};

use super::gadgets::{enforce_bits, enforce_le, floor_div, pow2, witness, witness_bool, Fp};
use super::ParamsVars;
use crate::config::*;
use crate::reference::Trace;

/// The portfolio's circuit variables that the checks need.
pub(crate) struct Portfolio {
    /// The trade's sold value.
    pub value_in: Fp,
    /// The trade's bought value.
    pub value_out: Fp,
    pub post: Vec<Fp>,
    pub abs_exposures: Vec<Fp>,
    pub total_debt: Fp,
    pub equity: Fp,
    pub gross: Fp,
    pub variance: Fp,
    /// `[f_0..f_n, g_0..g_n]`.
    pub features: Vec<Fp>,
}

/// One-hot selector of `index` over `0..n`; enforces `index < n`.
fn one_hot(index: &Fp, n: usize) -> Result<Vec<Boolean<Fr>>, SynthesisError> {
    let selectors = (0..n)
        .map(|k| index.is_eq(&Fp::constant(Fr::from(k as u64))))
        .collect::<Result<Vec<_>, _>>()?;
    let count: Fp = selectors.iter().map(|s| Fp::from(s.clone())).sum();
    count.enforce_equal(&Fp::one())?;
    Ok(selectors)
}

/// Post-trade portfolio and features from the statement's fields
/// (`holdings, debts, value_in, value_out, sell_asset, buy_asset`).
pub(crate) fn synthesize(
    cs: &ConstraintSystemRef<Fr>,
    config: &CircuitConfig,
    fields: &[Fp],
    params: &ParamsVars,
    trace: Option<&Trace>,
) -> Result<Portfolio, SynthesisError> {
    let n = config.n_assets;
    let (holdings, debts) = (&fields[..n], &fields[n..2 * n]);
    let (value_in, value_out) = (&fields[2 * n], &fields[2 * n + 1]);
    let (sell, buy) = (&fields[2 * n + 2], &fields[2 * n + 3]);

    // The trade: two different assets, both below n, selling at most what is held.
    let sell_sel = one_hot(sell, n)?;
    let buy_sel = one_hot(buy, n)?;
    sell.enforce_not_equal(buy)?;
    let sold: Vec<Fp> = sell_sel.iter().map(|s| Fp::from(s.clone()) * value_in).collect();
    let bought: Vec<Fp> = buy_sel.iter().map(|s| Fp::from(s.clone()) * value_out).collect();
    let sell_holding: Fp =
        sell_sel.iter().zip(holdings).map(|(s, c)| Fp::from(s.clone()) * c).sum();
    enforce_le(value_in, &sell_holding, VALUE_BITS)?;
    let post: Vec<Fp> = (0..n).map(|k| &holdings[k] - &sold[k] + &bought[k]).collect();

    // Exposures x_k = C'_k - D_k, |x_k| and their sums.
    let exposures: Vec<Fp> = (0..n).map(|k| &post[k] - &debts[k]).collect();
    let mut abs_exposures = Vec::with_capacity(n);
    for (k, x) in exposures.iter().enumerate() {
        let abs = witness(cs, trace.map(|t| &t.abs_exposures[k]))?;
        let negative = witness_bool(cs, trace.map(|t| t.exposure_negative[k]))?;
        enforce_bits(&abs, EXPOSURE_BITS)?;
        // x = abs - 2·negative·abs
        Fp::from(negative).mul_equals(&abs.double()?, &(&abs - x))?;
        abs_exposures.push(abs);
    }
    let total_debt: Fp = debts.iter().sum();
    let equity: Fp = post.iter().sum::<Fp>() - &total_debt;
    let gross: Fp = abs_exposures.iter().sum();
    enforce_bits(&(&equity - Fr::from(1u64)), SUM_BITS)?; // E >= 1

    // f_k = floor(x_k·2^F / G)
    let frac = config.activation_frac_bits as usize;
    let one_f = pow2(frac);
    let mut features = Vec::with_capacity(2 * n);
    for (k, x) in exposures.iter().enumerate() {
        features.push(floor_div(
            &(x * one_f),
            &gross,
            trace.map(|t| &t.weight_features[k]),
            trace.map(|t| &t.weight_remainders[k]),
            frac + 2,
            SUM_BITS,
        )?);
    }

    // g_k = floor(x_k·(Σx)_k·2^F / V), V = xᵀΣx >= 1
    let contributions: Vec<Fp> = (0..n)
        .map(|k| {
            let row: Fp = (0..n).map(|j| &params.covariance[k][j] * &exposures[j]).sum();
            &exposures[k] * row
        })
        .collect();
    let variance: Fp = contributions.iter().sum();
    enforce_bits(&(&variance - Fr::from(1u64)), VARIANCE_BITS)?;
    for (k, contribution) in contributions.iter().enumerate() {
        features.push(floor_div(
            &(contribution * one_f),
            &variance,
            trace.map(|t| &t.variance_shares[k]),
            trace.map(|t| &t.variance_remainders[k]),
            frac + VARIANCE_SHARE_HEADROOM_BITS + 1,
            VARIANCE_BITS,
        )?);
    }

    Ok(Portfolio {
        value_in: value_in.clone(),
        value_out: value_out.clone(),
        post,
        abs_exposures,
        total_debt,
        equity,
        gross,
        variance,
        features,
    })
}

/// The hard checks: score, health factor, leverage, concentration and VaR.
pub(crate) fn enforce_limits(
    portfolio: &Portfolio,
    params: &ParamsVars,
    score: &Fp,
) -> Result<(), SynthesisError> {
    let bps = Fr::from(BPS);
    enforce_le(score, &params.max_score, ACTIVATION_BITS + 1)?;

    // Σ C'_k·LT_k >= HF_min · Σ D_k
    let collateral: Fp =
        portfolio.post.iter().zip(&params.liquidation_thresholds).map(|(c, lt)| c * lt).sum();
    enforce_le(&(&portfolio.total_debt * &params.min_health_factor), &collateral, HF_CMP_BITS)?;

    // G·BPS <= L_max·E
    enforce_le(
        &(&portfolio.gross * bps),
        &(&params.max_leverage * &portfolio.equity),
        LEVERAGE_CMP_BITS,
    )?;

    // |x_k|·BPS <= c_max·G
    let concentration_cap = &params.max_concentration * &portfolio.gross;
    for abs in &portfolio.abs_exposures {
        enforce_le(&(abs * bps), &concentration_cap, CONCENTRATION_CMP_BITS)?;
    }

    // z²h·V <= 1e8·(v_max·E)²
    let var_cap = (&params.var_limit * &portfolio.equity).square()? * Fr::from(VAR_RHS_SCALE);
    enforce_le(&(&params.var_multiplier * &portfolio.variance), &var_cap, VAR_CMP_BITS)
}

/// The execution-price bound: the trade receives at least `1 - s_max` of what it sells.
pub(crate) fn enforce_execution_price(
    portfolio: &Portfolio,
    params: &ParamsVars,
) -> Result<(), SynthesisError> {
    let bps = Fr::from(BPS);
    let (value_in, value_out) = (&portfolio.value_in, &portfolio.value_out);

    // value_in·BPS <= value_out·BPS + value_in·s_max
    enforce_le(
        &(value_in * bps),
        &(value_out * bps + value_in * &params.max_slippage),
        SLIPPAGE_CMP_BITS,
    )
}

//! From the float MLP to the circuit's fixed-point [`Model`], and what the rounding costs.
//!
//! Every scale rule is [`crate::config`]'s: weights at 2^weight_frac_bits in `weight_bits`
//! signed bits, biases at 2^(activation_frac_bits + weight_frac_bits) in [`BIAS_BITS`], features
//! and activations at 2^activation_frac_bits. The integer score is [`run_model`]'s, the native
//! reference's own arithmetic.
//!
//! Before rounding, [`equalise`] (then [`fit_range`]) rescales each hidden neuron (its incoming
//! weights and bias by `1/s`, its outgoing weights by `s`, `s > 0`); ReLU commutes with positive
//! scaling, so the float function is unchanged while the layers' weight ranges are balanced and
//! fewer bits are lost.

use num_bigint::BigInt;
use num_traits::ToPrimitive;

use super::graph::FloatMlp;
use super::ImportError;
use crate::config::{
    CircuitConfig, BIAS_BITS, FORMAT_VERSION, MAX_ACTIVATION_FRAC_BITS, MAX_WEIGHT_FRAC_BITS,
    VARIANCE_SHARE_HEADROOM_BITS,
};
use crate::fixed::fits_signed;
use crate::model::{Layer, Model};
use crate::reference::run_model;

/// The fixed-point scale of a quantised model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scale {
    /// Fractional bits of features and activations.
    pub activation_frac_bits: u32,
    /// Fractional bits of weights.
    pub weight_frac_bits: u32,
    /// Signed width of a weight.
    pub weight_bits: u32,
}

impl Scale {
    /// The scale of a circuit.
    pub fn of(config: &CircuitConfig) -> Self {
        Self {
            activation_frac_bits: config.activation_frac_bits,
            weight_frac_bits: config.weight_frac_bits,
            weight_bits: config.weight_bits,
        }
    }

    /// The circuit of `n_assets` assets that the model quantised at this scale needs.
    pub fn circuit(&self, mlp: &FloatMlp, n_assets: usize) -> CircuitConfig {
        CircuitConfig {
            n_assets,
            hidden_layers: mlp.hidden_layers(),
            activation_frac_bits: self.activation_frac_bits,
            weight_frac_bits: self.weight_frac_bits,
            weight_bits: self.weight_bits,
        }
    }
}

fn max_abs<'a>(values: impl IntoIterator<Item = &'a f64>) -> f64 {
    values.into_iter().fold(0.0, |m, v| m.max(v.abs()))
}

/// Balances each hidden neuron's incoming and outgoing weight ranges (cross-layer
/// equalisation). The float function is unchanged up to rounding of `f64`.
pub fn equalise(mlp: &FloatMlp) -> FloatMlp {
    let mut out = mlp.clone();
    for _ in 0..4 {
        for l in 0..out.layers.len() - 1 {
            let (head, tail) = out.layers.split_at_mut(l + 1);
            let (this, next) = (&mut head[l], &mut tail[0]);
            for o in 0..this.biases.len() {
                let r_in = max_abs(&this.weights[o]);
                let r_out = max_abs(next.weights.iter().map(|row| &row[o]));
                if r_in <= 0.0 || r_out <= 0.0 {
                    continue;
                }
                let s = (r_in / r_out).sqrt();
                this.weights[o].iter_mut().for_each(|w| *w /= s);
                this.biases[o] /= s;
                next.weights.iter_mut().for_each(|row| row[o] *= s);
            }
        }
    }
    out
}

/// The largest real weight that rounds into `weight_bits` at 2^-weight_frac_bits.
fn weight_range(weight_bits: u32, weight_frac_bits: u32) -> f64 {
    ((1i64 << (weight_bits - 1)) as f64 - 0.5) / f64::from(1u32 << weight_frac_bits)
}

/// `mlp` with every weight below `range` in magnitude, if rescaling hidden neurons gets it
/// there: a neuron whose incoming weights are too large moves the excess to its outgoing ones.
pub fn fit_range(mlp: &FloatMlp, range: f64) -> Option<FloatMlp> {
    let mut out = mlp.clone();
    let target = range * (1.0 - 1e-9);
    for l in 0..out.layers.len() - 1 {
        let (head, tail) = out.layers.split_at_mut(l + 1);
        let (this, next) = (&mut head[l], &mut tail[0]);
        for o in 0..this.biases.len() {
            let r_in = max_abs(&this.weights[o]);
            if r_in >= target {
                let s = r_in / target;
                this.weights[o].iter_mut().for_each(|w| *w /= s);
                this.biases[o] /= s;
                next.weights.iter_mut().for_each(|row| row[o] *= s);
            }
        }
    }
    let largest = max_abs(out.layers.iter().flat_map(|l| l.weights.iter().flatten()));
    (largest < range).then_some(out)
}

/// The equalised model, fitted to the weight range of `scale` when it can be.
pub fn prepare(mlp: &FloatMlp, scale: Scale) -> FloatMlp {
    let equalised = equalise(mlp);
    fit_range(&equalised, weight_range(scale.weight_bits, scale.weight_frac_bits))
        .unwrap_or(equalised)
}

/// The largest `weight_frac_bits` at which every weight of `mlp`, rescaled by [`fit_range`],
/// rounds into `weight_bits`, and the rescaled model.
pub fn largest_weight_frac_bits(mlp: &FloatMlp, weight_bits: u32) -> Option<(u32, FloatMlp)> {
    let equalised = equalise(mlp);
    (0..=MAX_WEIGHT_FRAC_BITS).rev().find_map(|wf| {
        fit_range(&equalised, weight_range(weight_bits, wf)).map(|fitted| (wf, fitted))
    })
}

/// Rounds `mlp` to the nearest integers at `scale`; fails naming the first weight or bias that
/// does not fit.
pub fn quantise(mlp: &FloatMlp, scale: Scale) -> Result<Model, ImportError> {
    let w_one = f64::from(1u32 << scale.weight_frac_bits);
    let b_one = (2.0f64).powi((scale.activation_frac_bits + scale.weight_frac_bits) as i32);
    let round = |v: f64, one: f64, bits: u32, what: String| {
        let r = (v * one).round();
        let half = (1i64 << (bits - 1)) as f64;
        if r >= -half && r < half {
            Ok(r as i64)
        } else {
            Err(ImportError::Scale(format!(
                "{what} = {v} does not fit {bits} signed bits at 2^-{}",
                one.log2()
            )))
        }
    };
    let layers = mlp
        .layers
        .iter()
        .enumerate()
        .map(|(l, layer)| {
            let weights = layer
                .weights
                .iter()
                .enumerate()
                .map(|(o, row)| {
                    row.iter()
                        .enumerate()
                        .map(|(i, &w)| {
                            round(w, w_one, scale.weight_bits, format!("weight [{l}][{o}][{i}]"))
                        })
                        .collect::<Result<Vec<_>, _>>()
                })
                .collect::<Result<Vec<_>, _>>()?;
            let biases = layer
                .biases
                .iter()
                .enumerate()
                .map(|(o, &b)| round(b, b_one, BIAS_BITS as u32, format!("bias [{l}][{o}]")))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Layer { weights, biases })
        })
        .collect::<Result<Vec<_>, ImportError>>()?;
    Ok(Model {
        version: FORMAT_VERSION,
        activation_frac_bits: scale.activation_frac_bits,
        weight_frac_bits: scale.weight_frac_bits,
        weight_bits: scale.weight_bits,
        layers,
        provenance: None,
    })
}

/// Real features at 2^frac_bits, rounded down as the reference's divisions round. `None` if a
/// feature is outside the range the circuit accepts.
pub fn quantise_features(features: &[f64], frac_bits: u32) -> Option<Vec<BigInt>> {
    let one = (2.0f64).powi(frac_bits as i32);
    let bits = frac_bits as usize + VARIANCE_SHARE_HEADROOM_BITS + 1;
    features
        .iter()
        .map(|f| BigInt::from((f * one).floor() as i64))
        .map(|v| fits_signed(&v, bits).then_some(v))
        .collect()
}

/// The quantised model's integer score for real features; `None` if a feature or an
/// activation is out of the circuit's range.
pub fn integer_score(model: &Model, features: &[f64]) -> Option<BigInt> {
    let features = quantise_features(features, model.activation_frac_bits)?;
    let (layers, violations) = run_model(model, features);
    if !violations.is_empty() {
        return None;
    }
    layers.last()?.outputs.first().cloned()
}

/// What calibration measured at one scale.
#[derive(Clone, Debug, PartialEq)]
pub struct Measurement {
    /// The scale.
    pub scale: Scale,
    /// The score limit at 2^activation_frac_bits: `floor(limit · 2^activation_frac_bits)`.
    pub max_score: i64,
    /// Number of samples.
    pub samples: usize,
    /// Largest |quantised − float| score.
    pub max_abs_error: f64,
    /// Mean |quantised − float| score.
    pub mean_abs_error: f64,
    /// Samples whose decision (score ≤ limit accepts) the quantisation changes.
    pub flips: usize,
    /// A bound on |quantised − float| score for every input inside the samples' bounding box
    /// ([`error_bound`]): the error the calibration guarantees, not only the one it saw.
    pub error_bound: f64,
}

impl Measurement {
    /// The share of samples whose decision flips.
    pub fn flip_rate(&self) -> f64 {
        if self.samples == 0 {
            0.0
        } else {
            self.flips as f64 / self.samples as f64
        }
    }
}

/// Measures `model` against the float scores on `samples` at the real score `limit`. Fails if
/// a sample overflows the circuit's ranges at this scale.
pub fn measure(
    mlp: &FloatMlp,
    model: &Model,
    samples: &[Vec<f64>],
    float_scores: &[f64],
    limit: f64,
) -> Result<Measurement, ImportError> {
    let frac = model.activation_frac_bits;
    let one = (2.0f64).powi(frac as i32);
    let max_score = (limit * one).floor();
    if !max_score.is_finite() || max_score.abs() >= (1u64 << 31) as f64 {
        return Err(ImportError::Scale(format!("the limit {limit} does not fit at 2^-{frac}")));
    }
    let max_score = max_score as i64;
    let (mut max_err, mut sum_err, mut flips) = (0.0f64, 0.0f64, 0usize);
    for (index, (features, &float)) in samples.iter().zip(float_scores).enumerate() {
        let score = integer_score(model, features).and_then(|s| s.to_i64()).ok_or_else(|| {
            ImportError::Scale(format!(
                "sample {index} overflows the circuit's ranges at 2^-{frac}"
            ))
        })?;
        let err = (score as f64 / one - float).abs();
        max_err = max_err.max(err);
        sum_err += err;
        flips += usize::from((score <= max_score) != (float <= limit));
    }
    Ok(Measurement {
        scale: Scale {
            activation_frac_bits: frac,
            weight_frac_bits: model.weight_frac_bits,
            weight_bits: model.weight_bits,
        },
        max_score,
        samples: samples.len(),
        max_abs_error: max_err,
        mean_abs_error: if samples.is_empty() { 0.0 } else { sum_err / samples.len() as f64 },
        flips,
        error_bound: error_bound(mlp, model, samples),
    })
}

/// Slack for the float runtime's `f32` arithmetic against exact real arithmetic.
const FLOAT_RUNTIME_SLACK: f64 = 1e-4;

/// A bound on |quantised − float| score over the bounding box of `samples`, by interval
/// arithmetic: per layer, `e' = Σ|w̃|·e + Σ|w̃ − w|·max|a| + |b̃ − b| + 2^-F` (the last term for the
/// floor), with `e₀ = 2^-F` for the features' floor and `max|a|` from the float model's
/// interval of activations; ReLU does not increase either. `mlp` is the float model `model` was
/// rounded from.
pub fn error_bound(mlp: &FloatMlp, model: &Model, samples: &[Vec<f64>]) -> f64 {
    let width = mlp.input_width;
    let mut lo: Vec<f64> =
        (0..width).map(|i| samples.iter().map(|s| s[i]).fold(f64::INFINITY, f64::min)).collect();
    let mut hi: Vec<f64> = (0..width)
        .map(|i| samples.iter().map(|s| s[i]).fold(f64::NEG_INFINITY, f64::max))
        .collect();
    let ulp = (2.0f64).powi(-(model.activation_frac_bits as i32));
    let w_one = f64::from(1u32 << model.weight_frac_bits);
    let b_one = f64::from(1u32 << model.weight_frac_bits) / ulp;
    let mut err = vec![ulp; width];
    for (l, (float, fixed)) in mlp.layers.iter().zip(&model.layers).enumerate() {
        let last = l + 1 == mlp.layers.len();
        let (mut lo2, mut hi2, mut err2) = (Vec::new(), Vec::new(), Vec::new());
        for o in 0..float.biases.len() {
            let (mut z_lo, mut z_hi) = (float.biases[o], float.biases[o]);
            let mut e = (fixed.biases[o] as f64 / b_one - float.biases[o]).abs() + ulp;
            for i in 0..lo.len() {
                let (w, wq) = (float.weights[o][i], fixed.weights[o][i] as f64 / w_one);
                z_lo += (w * lo[i]).min(w * hi[i]);
                z_hi += (w * lo[i]).max(w * hi[i]);
                e += wq.abs() * err[i] + (wq - w).abs() * lo[i].abs().max(hi[i].abs());
            }
            let relu = |v: f64| if last { v } else { v.max(0.0) };
            lo2.push(relu(z_lo));
            hi2.push(relu(z_hi));
            err2.push(e);
        }
        (lo, hi, err) = (lo2, hi2, err2);
    }
    err.first().copied().unwrap_or_default() + FLOAT_RUNTIME_SLACK
}

/// Chooses the scale for `weight_bits`-bit weights: the largest `weight_frac_bits` the weights
/// fit, and the `activation_frac_bits` with the fewest decision flips, then the smallest error
/// bound, then the most bits. Returns the model and its measurement.
pub fn choose_scale(
    mlp: &FloatMlp,
    weight_bits: u32,
    samples: &[Vec<f64>],
    float_scores: &[f64],
    limit: f64,
) -> Result<(Model, Measurement), ImportError> {
    let (weight_frac_bits, mlp) = largest_weight_frac_bits(mlp, weight_bits).ok_or_else(|| {
        ImportError::Scale(format!("the weights do not fit {weight_bits}-bit integers"))
    })?;
    let mut best: Option<(Model, Measurement)> = None;
    for activation_frac_bits in 1..=MAX_ACTIVATION_FRAC_BITS {
        let scale = Scale { activation_frac_bits, weight_frac_bits, weight_bits };
        let Ok(model) = quantise(&mlp, scale) else { continue };
        let Ok(m) = measure(&mlp, &model, samples, float_scores, limit) else { continue };
        let better = best
            .as_ref()
            .is_none_or(|(_, b)| (m.flips, m.max_abs_error) <= (b.flips, b.max_abs_error));
        if better {
            best = Some((model, m));
        }
    }
    best.ok_or_else(|| {
        ImportError::Scale(format!(
            "no activation scale keeps every sample in the circuit's ranges with weights at 2^-{weight_frac_bits}"
        ))
    })
}

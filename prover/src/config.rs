//! The circuit's parameters and every fixed-point and bit-width rule, in one place.
//!
//! The native reference, the circuit and the Solidity side (through the documented layout in
//! [`crate::statement`]) all read these definitions; nothing else hard-codes a scale or a width.
//!
//! # Scales
//! - USD values: integers at [`VALUE_SCALE`] = 1e8 (Chainlink's convention).
//! - Ratios (liquidation thresholds, limits): basis points, [`BPS`] = 10,000.
//! - Covariance of daily returns: integers at [`COV_SCALE`] = 1e12.
//! - Model activations: signed integers at 2^`activation_frac_bits`; weights at
//!   2^`weight_frac_bits`; biases at 2^(`activation_frac_bits` + `weight_frac_bits`).
//!
//! The commitments' headers bind the scales their numbers are read at (see
//! [`crate::risk_params::params_header`] and [`crate::model::model_header`]), so committed numbers
//! cannot be re-read at another scale under the same commitment.

use serde::{Deserialize, Serialize};

use crate::Error;

/// Version of every ProofGate file format and of the model commitment's header, except the
/// risk parameters (see [`RISK_PARAMS_VERSION`]).
pub const FORMAT_VERSION: u64 = 1;
/// Version of the risk-parameter file format and of the risk-parameter commitment's header.
/// Version 2 added the committed `max_slippage_bps` and bound every scale in the header.
pub const RISK_PARAMS_VERSION: u64 = 2;

/// Fixed-point scale of USD values (1e8, as Chainlink's USD feeds).
pub const VALUE_SCALE: u64 = 100_000_000;
/// One in basis points.
pub const BPS: u64 = 10_000;
/// Fixed-point scale of the covariance matrix of daily returns.
pub const COV_SCALE: u64 = 1_000_000_000_000;
/// The VaR check multiplies its right side by this so that both sides have the same scale:
/// `var_multiplier (1e4) · xᵀΣx (1e8·1e8·1e12) <= VAR_RHS_SCALE · (var_limit (1e4) · E (1e8))²`.
pub const VAR_RHS_SCALE: u64 = 100_000_000;

/// Smallest and largest number of assets a circuit supports.
pub const MIN_ASSETS: usize = 2;
/// See [`MIN_ASSETS`].
pub const MAX_ASSETS: usize = 16;
/// `log2(MAX_ASSETS)`: the headroom a sum over assets needs.
pub const ASSET_SUM_BITS: usize = 4;

/// Bits of a pre-trade holding, debt or trade value (USD at 1e8): below 2^63, about $92 billion.
pub const VALUE_BITS: usize = 63;
/// Bits of a post-trade holding (a holding plus the bought value).
pub const POST_VALUE_BITS: usize = VALUE_BITS + 1;
/// Bits of an absolute net exposure |C - D|.
pub const EXPOSURE_BITS: usize = POST_VALUE_BITS;
/// Bits of a sum over assets of post-trade values or exposures (gross exposure, equity).
pub const SUM_BITS: usize = POST_VALUE_BITS + ASSET_SUM_BITS;
/// Bits of an asset index in the statement.
pub const ASSET_INDEX_BITS: usize = 8;

/// Bits of a liquidation threshold (bps).
pub const LT_BITS: usize = 16;
/// Bits of the minimum health factor (bps).
pub const HF_MIN_BITS: usize = 24;
/// Bits of the maximum leverage (bps).
pub const LEVERAGE_MAX_BITS: usize = 24;
/// Bits of the maximum concentration (bps).
pub const CONCENTRATION_MAX_BITS: usize = 16;
/// Bits of the VaR limit as a fraction of equity (bps).
pub const VAR_LIMIT_BITS: usize = 16;
/// Bits of the VaR multiplier z²·h (at 1e4).
pub const VAR_MULTIPLIER_BITS: usize = 24;
/// Bits of the maximum execution-price shortfall (bps); the native side refuses values above
/// [`MAX_SLIPPAGE_BPS`].
pub const SLIPPAGE_BITS: usize = 14;
/// Largest `max_slippage_bps`: 100 % (any price).
pub const MAX_SLIPPAGE_BPS: u64 = BPS;
/// Signed bits of a covariance entry (|cov| < 2^40 at 1e12).
pub const COV_BITS: usize = 41;

/// Signed bits of an activation or the score (|a| < 2^31).
pub const ACTIVATION_BITS: usize = 32;
/// Signed bits of a bias.
pub const BIAS_BITS: usize = 32;
/// A variance-share feature may be at most 2^8 times the whole (hedges make shares exceed 1).
pub const VARIANCE_SHARE_HEADROOM_BITS: usize = 8;
/// Largest `activation_frac_bits` (keeps every product far below the field size).
pub const MAX_ACTIVATION_FRAC_BITS: u32 = 20;
/// Largest `weight_frac_bits`.
pub const MAX_WEIGHT_FRAC_BITS: u32 = 12;
/// Allowed weight widths.
pub const WEIGHT_BITS_RANGE: std::ops::RangeInclusive<u32> = 4..=16;
/// Largest hidden layer.
pub const MAX_LAYER_WIDTH: usize = 256;

/// Bits of a covariance row product (Σx)_k: n · 2^40 · 2^64.
pub const COV_ROW_BITS: usize = (COV_BITS - 1) + EXPOSURE_BITS + ASSET_SUM_BITS;
/// Bits of the portfolio variance xᵀΣx.
pub const VARIANCE_BITS: usize = EXPOSURE_BITS + COV_ROW_BITS + ASSET_SUM_BITS;

/// Width of the health-factor comparison `HF_min·ΣD <= Σ C'·LT`.
pub const HF_CMP_BITS: usize = max(SUM_BITS + LT_BITS, SUM_BITS + HF_MIN_BITS) + 1;
/// Width of the leverage comparison `G·BPS <= L_max·E`.
pub const LEVERAGE_CMP_BITS: usize = SUM_BITS + LEVERAGE_MAX_BITS + 1;
/// Width of the concentration comparison `|x_k|·BPS <= c_max·G`.
pub const CONCENTRATION_CMP_BITS: usize = SUM_BITS + CONCENTRATION_MAX_BITS + 1;
/// Width of the execution-price comparison `value_in·BPS <= value_out·BPS + value_in·s_max`:
/// each product is below 2^(VALUE_BITS + SLIPPAGE_BITS) (BPS < 2^14), the right side a sum of two.
pub const SLIPPAGE_CMP_BITS: usize = VALUE_BITS + SLIPPAGE_BITS + 2;
// The slippage comparison's operands fit its width: BPS and s_max fit SLIPPAGE_BITS.
const _: () = assert!(BPS < 1 << SLIPPAGE_BITS && MAX_SLIPPAGE_BPS < 1 << SLIPPAGE_BITS);
/// Width of the VaR comparison.
pub const VAR_CMP_BITS: usize =
    max(VAR_MULTIPLIER_BITS + VARIANCE_BITS, 27 + 2 * (VAR_LIMIT_BITS + SUM_BITS)) + 2;

const fn max(a: usize, b: usize) -> usize {
    if a > b {
        a
    } else {
        b
    }
}

/// The shape of a risk circuit, fixed at setup: the asset count and the model's architecture.
///
/// The model's input width is always `2 · n_assets` (see [`crate::reference`] for the features)
/// and its output is the single risk score.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CircuitConfig {
    /// Number of assets, 2 to 16.
    pub n_assets: usize,
    /// Widths of the hidden layers (default `[32, 16]`).
    pub hidden_layers: Vec<usize>,
    /// Fractional bits of activations and features.
    pub activation_frac_bits: u32,
    /// Fractional bits of weights.
    pub weight_frac_bits: u32,
    /// Signed bit width of a weight.
    pub weight_bits: u32,
}

impl Default for CircuitConfig {
    fn default() -> Self {
        Self {
            n_assets: 8,
            hidden_layers: vec![32, 16],
            activation_frac_bits: 16,
            weight_frac_bits: 6,
            weight_bits: 8,
        }
    }
}

impl CircuitConfig {
    /// A default-shaped circuit for `n_assets` assets.
    pub fn with_assets(n_assets: usize) -> Self {
        Self { n_assets, ..Self::default() }
    }

    /// Checks every parameter against the bounds the circuit's arithmetic relies on.
    pub fn validate(&self) -> Result<(), Error> {
        let bad = |what: String| Err(Error::InvalidConfig(what));
        if !(MIN_ASSETS..=MAX_ASSETS).contains(&self.n_assets) {
            return bad(format!(
                "n_assets = {} (must be {MIN_ASSETS}..={MAX_ASSETS})",
                self.n_assets
            ));
        }
        if self.hidden_layers.iter().any(|&w| w == 0 || w > MAX_LAYER_WIDTH) {
            return bad(format!(
                "hidden layer widths {:?} (each must be 1..={MAX_LAYER_WIDTH})",
                self.hidden_layers
            ));
        }
        if self.activation_frac_bits == 0 || self.activation_frac_bits > MAX_ACTIVATION_FRAC_BITS {
            return bad(format!(
                "activation_frac_bits = {} (must be 1..={MAX_ACTIVATION_FRAC_BITS})",
                self.activation_frac_bits
            ));
        }
        if self.weight_frac_bits > MAX_WEIGHT_FRAC_BITS {
            return bad(format!(
                "weight_frac_bits = {} (must be 0..={MAX_WEIGHT_FRAC_BITS})",
                self.weight_frac_bits
            ));
        }
        if !WEIGHT_BITS_RANGE.contains(&self.weight_bits) {
            return bad(format!(
                "weight_bits = {} (must be {}..={})",
                self.weight_bits,
                WEIGHT_BITS_RANGE.start(),
                WEIGHT_BITS_RANGE.end()
            ));
        }
        Ok(())
    }

    /// Number of model features: per asset, its exposure weight and its variance share.
    pub fn n_features(&self) -> usize {
        2 * self.n_assets
    }

    /// Layer widths from input to output: `[2n, hidden..., 1]`.
    pub fn layer_sizes(&self) -> Vec<usize> {
        let mut sizes = Vec::with_capacity(self.hidden_layers.len() + 2);
        sizes.push(self.n_features());
        sizes.extend(&self.hidden_layers);
        sizes.push(1);
        sizes
    }

    /// Number of covariance entries committed (the upper triangle, diagonal included).
    pub fn n_cov_entries(&self) -> usize {
        self.n_assets * (self.n_assets + 1) / 2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_comparison_fits_far_below_the_field() {
        // BN254's scalar field has 254 bits; a comparison of width k is sound when both sides are
        // below 2^(k-1) and k < 253 (a wrapped difference then has its top bits set).
        for bits in [
            HF_CMP_BITS,
            LEVERAGE_CMP_BITS,
            CONCENTRATION_CMP_BITS,
            SLIPPAGE_CMP_BITS,
            VAR_CMP_BITS,
        ] {
            assert!(bits < 250, "{bits}");
        }
    }

    #[test]
    fn the_default_config_is_valid_and_others_are_refused() {
        CircuitConfig::default().validate().expect("default");
        assert_eq!(CircuitConfig::default().layer_sizes(), vec![16, 32, 16, 1]);
        for bad in [
            CircuitConfig::with_assets(1),
            CircuitConfig::with_assets(17),
            CircuitConfig { hidden_layers: vec![0], ..Default::default() },
            CircuitConfig { weight_bits: 20, ..Default::default() },
            CircuitConfig { activation_frac_bits: 30, ..Default::default() },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
    }
}

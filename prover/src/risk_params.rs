//! The governed risk parameters (private preimage) and their commitment.
//!
//! Commitment: `Poseidon("proofgate.risk-params", version, n_assets, packed fields)` with the
//! fields, in order: min health factor, max leverage, max concentration, VaR limit, VaR
//! multiplier, max score (offset-encoded), the liquidation thresholds, then the upper triangle of
//! the covariance matrix row by row (offset-encoded).

use ark_bn254::Fr;
use serde::{Deserialize, Serialize};

use crate::config::*;
use crate::fixed::{offset_encode, pack};
use crate::poseidon::{hash_with_domain, DOMAIN_RISK_PARAMS};
use crate::Error;

/// A risk-parameter file (`risk_params.json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskParams {
    /// File format version.
    pub version: u64,
    /// Per-asset liquidation threshold (bps), e.g. 8600 for WETH.
    pub liquidation_thresholds_bps: Vec<u64>,
    /// Daily covariance of returns at 1e12, symmetric, `n × n`.
    pub covariance: Vec<Vec<i64>>,
    /// `HF_min` (bps): `Σ C_i·LT_i >= HF_min · Σ D_i`.
    pub min_health_factor_bps: u64,
    /// `L_max` (bps): `Σ|x_i| <= L_max · E`.
    pub max_leverage_bps: u64,
    /// `c_max` (bps): `|x_i| <= c_max · Σ|x_j|` for every asset.
    pub max_concentration_bps: u64,
    /// `v_max` (bps of equity): `z²·h·xᵀΣx <= (v_max · E)²`.
    pub var_limit_bps: u64,
    /// `z²·h` at 1e4 (e.g. 2.326² · 1 day = 54,103).
    pub var_multiplier: u64,
    /// `s_max`: the largest risk score accepted, at 2^activation_frac_bits.
    pub max_score: i64,
}

impl RiskParams {
    /// Number of assets these parameters cover.
    pub fn n_assets(&self) -> usize {
        self.liquidation_thresholds_bps.len()
    }

    /// Checks the shape against `config` and every value against its width; the covariance
    /// must be symmetric.
    pub fn check_against(&self, config: &CircuitConfig) -> Result<(), Error> {
        let n = config.n_assets;
        if self.version != FORMAT_VERSION {
            return Err(Error::ParamsMismatch(format!("format version {}", self.version)));
        }
        if self.n_assets() != n
            || self.covariance.len() != n
            || self.covariance.iter().any(|r| r.len() != n)
        {
            return Err(Error::ParamsMismatch(format!(
                "parameters for {} assets (covariance {}x?), circuit has {n}",
                self.n_assets(),
                self.covariance.len()
            )));
        }
        for i in 0..n {
            for j in 0..i {
                if self.covariance[i][j] != self.covariance[j][i] {
                    return Err(Error::ParamsMismatch(format!(
                        "covariance is not symmetric at ({i}, {j})"
                    )));
                }
            }
        }
        self.commitment_fields().map(|_| ())
    }

    /// The packed fields of the commitment, each checked against its width.
    pub fn commitment_fields(&self) -> Result<Vec<(u64, usize)>, Error> {
        let unsigned = |name: &str, v: u64, bits: usize| {
            if bits < 64 && v >> bits != 0 {
                Err(Error::ValueOutOfRange(format!("{name} = {v} does not fit {bits} bits")))
            } else {
                Ok((v, bits))
            }
        };
        let signed = |name: &str, v: i64, bits: usize| {
            offset_encode(v, bits).map(|u| (u, bits)).ok_or_else(|| {
                Error::ValueOutOfRange(format!("{name} = {v} does not fit {bits} signed bits"))
            })
        };
        let mut fields = vec![
            unsigned("min_health_factor_bps", self.min_health_factor_bps, HF_MIN_BITS)?,
            unsigned("max_leverage_bps", self.max_leverage_bps, LEVERAGE_MAX_BITS)?,
            unsigned("max_concentration_bps", self.max_concentration_bps, CONCENTRATION_MAX_BITS)?,
            unsigned("var_limit_bps", self.var_limit_bps, VAR_LIMIT_BITS)?,
            unsigned("var_multiplier", self.var_multiplier, VAR_MULTIPLIER_BITS)?,
            signed("max_score", self.max_score, ACTIVATION_BITS)?,
        ];
        for (i, &lt) in self.liquidation_thresholds_bps.iter().enumerate() {
            fields.push(unsigned(&format!("liquidation_thresholds_bps[{i}]"), lt, LT_BITS)?);
        }
        for (i, row) in self.covariance.iter().enumerate() {
            for (j, &c) in row.iter().enumerate().skip(i) {
                fields.push(signed(&format!("covariance[{i}][{j}]"), c, COV_BITS)?);
            }
        }
        Ok(fields)
    }

    /// The risk-parameter commitment that governance pins.
    pub fn commitment(&self, config: &CircuitConfig) -> Result<Fr, Error> {
        self.check_against(config)?;
        let mut elements = params_header(config);
        elements.extend(pack(&self.commitment_fields()?));
        Ok(hash_with_domain(DOMAIN_RISK_PARAMS, &elements))
    }

    /// Typical parameters for `n` assets: LT 82.5 %, 5 % daily volatility with 0.5 correlation,
    /// HF_min 1.1, leverage 3x, concentration 60 %, 99 % one-day VaR at most 20 % of equity.
    pub fn typical(config: &CircuitConfig) -> Self {
        let n = config.n_assets;
        let variance = 2_500_000_000i64; // 0.05² at 1e12
        let covariance = (0..n)
            .map(|i| (0..n).map(|j| if i == j { variance } else { variance / 2 }).collect())
            .collect();
        Self {
            version: FORMAT_VERSION,
            liquidation_thresholds_bps: vec![8_250; n],
            covariance,
            min_health_factor_bps: 11_000,
            max_leverage_bps: 30_000,
            max_concentration_bps: 6_000,
            var_limit_bps: 2_000,
            var_multiplier: 54_103,
            max_score: 1i64 << (config.activation_frac_bits + 4),
        }
    }
}

/// Header of the risk-parameter commitment.
pub fn params_header(config: &CircuitConfig) -> Vec<Fr> {
    vec![Fr::from(FORMAT_VERSION), Fr::from(config.n_assets as u64)]
}

/// Widths of the packed fields for `config` (same order as [`RiskParams::commitment_fields`]).
pub fn params_field_widths(config: &CircuitConfig) -> Vec<usize> {
    let mut widths = vec![
        HF_MIN_BITS,
        LEVERAGE_MAX_BITS,
        CONCENTRATION_MAX_BITS,
        VAR_LIMIT_BITS,
        VAR_MULTIPLIER_BITS,
        ACTIVATION_BITS,
    ];
    widths.extend(std::iter::repeat_n(LT_BITS, config.n_assets));
    widths.extend(std::iter::repeat_n(COV_BITS, config.n_cov_entries()));
    widths
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typical_params_fit_and_asymmetry_is_refused() {
        let config = CircuitConfig::default();
        let params = RiskParams::typical(&config);
        params.commitment(&config).expect("fits");
        assert_eq!(
            params.commitment_fields().expect("ok").len(),
            params_field_widths(&config).len()
        );
        let mut skew = params.clone();
        skew.covariance[0][1] += 1;
        assert!(matches!(skew.check_against(&config), Err(Error::ParamsMismatch(_))));
        let mut wide = params;
        wide.max_concentration_bps = 1 << 16;
        assert!(matches!(wide.check_against(&config), Err(Error::ValueOutOfRange(_))));
    }
}

//! The governed risk parameters (private preimage) and their commitment.
//!
//! Commitment: `Poseidon("proofgate.risk-params", header, packed fields)`. The header
//! ([`params_header`]) is `[RISK_PARAMS_VERSION, n_assets, activation_frac_bits,
//! weight_frac_bits, VALUE_SCALE, BPS, COV_SCALE]`: every scale that gives a committed number
//! its meaning (`max_score` is read at 2^activation_frac_bits, limits in bps, covariance at
//! COV_SCALE), so the same numbers re-pinned for a circuit of other scales give another
//! commitment. The fields, in order: min health factor, max leverage, max concentration, VaR
//! limit, VaR multiplier, max score (offset-encoded), max slippage, the liquidation thresholds,
//! then the upper triangle of the covariance matrix row by row (offset-encoded).
//!
//! # File format
//! `risk_params.json` is at [`RISK_PARAMS_VERSION`] 2. Version 1 had no `max_slippage_bps` and a
//! header of `[version, n_assets]` only; a version-1 file is refused with an error that says so.

use ark_bn254::Fr;
use serde::{Deserialize, Serialize};

use crate::config::*;
use crate::fixed::{offset_encode, pack};
use crate::poseidon::{hash_with_domain, DOMAIN_RISK_PARAMS};
use crate::Error;

/// A risk-parameter file (`risk_params.json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RiskParamsFile")]
pub struct RiskParams {
    /// File format version ([`RISK_PARAMS_VERSION`]).
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
    /// The largest execution-price shortfall (bps, at most [`MAX_SLIPPAGE_BPS`]):
    /// `value_in · BPS <= value_out · BPS + value_in · max_slippage_bps`, with both values at the
    /// vault's oracle prices.
    pub max_slippage_bps: u64,
}

/// `risk_params.json` as read: `max_slippage_bps` may be missing so that a file of an older
/// format gets an error naming what changed rather than serde's "missing field".
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RiskParamsFile {
    version: u64,
    liquidation_thresholds_bps: Vec<u64>,
    covariance: Vec<Vec<i64>>,
    min_health_factor_bps: u64,
    max_leverage_bps: u64,
    max_concentration_bps: u64,
    var_limit_bps: u64,
    var_multiplier: u64,
    max_score: i64,
    max_slippage_bps: Option<u64>,
}

impl TryFrom<RiskParamsFile> for RiskParams {
    type Error = String;

    fn try_from(file: RiskParamsFile) -> Result<Self, String> {
        let RiskParamsFile {
            version,
            liquidation_thresholds_bps,
            covariance,
            min_health_factor_bps,
            max_leverage_bps,
            max_concentration_bps,
            var_limit_bps,
            var_multiplier,
            max_score,
            max_slippage_bps,
        } = file;
        if version != RISK_PARAMS_VERSION {
            return Err(version_error(version));
        }
        let max_slippage_bps = max_slippage_bps.ok_or_else(|| {
            format!(
                "risk parameters of format version {RISK_PARAMS_VERSION} need max_slippage_bps \
                 (the largest execution-price shortfall in bps, 0..={MAX_SLIPPAGE_BPS})"
            )
        })?;
        Ok(Self {
            version,
            liquidation_thresholds_bps,
            covariance,
            min_health_factor_bps,
            max_leverage_bps,
            max_concentration_bps,
            var_limit_bps,
            var_multiplier,
            max_score,
            max_slippage_bps,
        })
    }
}

/// Why a risk-parameter file of format `version` is refused.
fn version_error(version: u64) -> String {
    if version == 1 {
        format!(
            "risk-parameter format version 1 is no longer accepted: version \
             {RISK_PARAMS_VERSION} adds the committed max_slippage_bps (the largest \
             execution-price shortfall at the vault's oracle prices, in bps, 0..={MAX_SLIPPAGE_BPS}) \
             and binds the circuit's scales in the commitment; add max_slippage_bps, set version \
             to {RISK_PARAMS_VERSION} and pin the new commitment"
        )
    } else {
        format!("risk-parameter format version {version} (this build reads {RISK_PARAMS_VERSION})")
    }
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
        if self.version != RISK_PARAMS_VERSION {
            return Err(Error::ParamsMismatch(version_error(self.version)));
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
        if self.max_slippage_bps > MAX_SLIPPAGE_BPS {
            return Err(Error::ValueOutOfRange(format!(
                "max_slippage_bps = {} is above {MAX_SLIPPAGE_BPS} (100 %)",
                self.max_slippage_bps
            )));
        }
        let mut fields = vec![
            unsigned("min_health_factor_bps", self.min_health_factor_bps, HF_MIN_BITS)?,
            unsigned("max_leverage_bps", self.max_leverage_bps, LEVERAGE_MAX_BITS)?,
            unsigned("max_concentration_bps", self.max_concentration_bps, CONCENTRATION_MAX_BITS)?,
            unsigned("var_limit_bps", self.var_limit_bps, VAR_LIMIT_BITS)?,
            unsigned("var_multiplier", self.var_multiplier, VAR_MULTIPLIER_BITS)?,
            signed("max_score", self.max_score, ACTIVATION_BITS)?,
            unsigned("max_slippage_bps", self.max_slippage_bps, SLIPPAGE_BITS)?,
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
    /// HF_min 1.1, leverage 3x, concentration 60 %, 99 % one-day VaR at most 20 % of equity,
    /// trades at most 1 % below the oracle value.
    pub fn typical(config: &CircuitConfig) -> Self {
        let n = config.n_assets;
        let variance = 2_500_000_000i64; // 0.05² at 1e12
        let covariance = (0..n)
            .map(|i| (0..n).map(|j| if i == j { variance } else { variance / 2 }).collect())
            .collect();
        Self {
            version: RISK_PARAMS_VERSION,
            liquidation_thresholds_bps: vec![8_250; n],
            covariance,
            min_health_factor_bps: 11_000,
            max_leverage_bps: 30_000,
            max_concentration_bps: 6_000,
            var_limit_bps: 2_000,
            var_multiplier: 54_103,
            max_score: 1i64 << (config.activation_frac_bits + 4),
            max_slippage_bps: 100,
        }
    }
}

/// Header of the risk-parameter commitment: the format version, the asset count and every scale
/// the committed numbers are read at.
pub fn params_header(config: &CircuitConfig) -> Vec<Fr> {
    vec![
        Fr::from(RISK_PARAMS_VERSION),
        Fr::from(config.n_assets as u64),
        Fr::from(u64::from(config.activation_frac_bits)),
        Fr::from(u64::from(config.weight_frac_bits)),
        Fr::from(VALUE_SCALE),
        Fr::from(BPS),
        Fr::from(COV_SCALE),
    ]
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
        SLIPPAGE_BITS,
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

    #[test]
    fn max_slippage_is_at_most_one_hundred_percent() {
        let config = CircuitConfig::default();
        let mut params = RiskParams::typical(&config);
        params.max_slippage_bps = MAX_SLIPPAGE_BPS;
        params.commitment(&config).expect("100 % fits");
        params.max_slippage_bps = MAX_SLIPPAGE_BPS + 1;
        let err = params.commitment(&config).expect_err("above 100 %");
        assert!(
            matches!(&err, Error::ValueOutOfRange(m) if m.contains("max_slippage_bps = 10001"))
        );
    }

    #[test]
    fn the_header_binds_the_scales() {
        let config = CircuitConfig::default();
        let params = RiskParams::typical(&config);
        let pinned = params.commitment(&config).expect("commitment");
        let fewer_activation_bits = CircuitConfig { activation_frac_bits: 12, ..config.clone() };
        let other_weight_bits = CircuitConfig { weight_frac_bits: 4, ..config.clone() };
        for other in [fewer_activation_bits, other_weight_bits] {
            // The same numbers (max_score included) fit the other circuit, and its packing is the
            // same, so only the header tells the two commitments apart.
            assert_eq!(params_field_widths(&other), params_field_widths(&config));
            let repinned = params.commitment(&other).expect("fits the other circuit");
            assert_ne!(repinned, pinned, "{other:?}");
        }
        assert_eq!(
            params_header(&config),
            [RISK_PARAMS_VERSION, 8, 16, 6, VALUE_SCALE, BPS, COV_SCALE].map(Fr::from).to_vec()
        );
    }

    #[test]
    fn a_file_of_format_one_is_refused_naming_what_changed() {
        let config = CircuitConfig::with_assets(2);
        let params = RiskParams::typical(&config);
        let json = serde_json::to_value(&params).expect("serialise");
        let back: RiskParams = serde_json::from_value(json.clone()).expect("round trip");
        assert_eq!(back, params);

        let mut v1 = json.clone();
        v1["version"] = 1.into();
        v1.as_object_mut().expect("object").remove("max_slippage_bps");
        let err = serde_json::from_value::<RiskParams>(v1).expect_err("v1").to_string();
        assert!(err.contains("format version 1") && err.contains("max_slippage_bps"), "{err}");

        let mut missing = json.clone();
        missing.as_object_mut().expect("object").remove("max_slippage_bps");
        let err = serde_json::from_value::<RiskParams>(missing).expect_err("missing").to_string();
        assert!(err.contains("need max_slippage_bps"), "{err}");

        let mut unknown = json;
        unknown["max_slipage_bps"] = 5.into();
        assert!(serde_json::from_value::<RiskParams>(unknown).is_err());

        let old = RiskParams { version: 1, ..params };
        let err = old.check_against(&config).expect_err("v1 in memory");
        assert!(matches!(&err, Error::ParamsMismatch(m) if m.contains("max_slippage_bps")));
    }
}

//! Bring your own model: an ONNX export of dense layers and ReLUs, quantised into the circuit's
//! fixed-point [`Model`], with what the quantisation costs measured against the float model.
//!
//! - [`read_onnx`] reads the graph ([`graph`]); [`fit_circuit`] checks its input width against
//!   the circuit's feature vector (`2 · n_assets`).
//! - [`import`] quantises at a given scale; [`calibrate`] chooses the scale from sample feature
//!   vectors and measures max and mean score error and the decision-flip rate against the float
//!   model run by tract ([`runtime`]); [`Calibration::certify`] refuses above a flip rate.
//! - The model file records its [`Provenance`]; [`Artifacts`] and [`artifacts_hash`] are what
//!   the registry entry carries.

pub mod graph;
pub mod provenance;
pub mod quantise;
pub mod runtime;

pub use graph::{read_onnx, DenseLayer, FloatMlp};
pub use provenance::{artifacts_hash, Artifacts, CalibrationSummary, Provenance};
pub use quantise::{Measurement, Scale};
pub use runtime::{float_scores, parse_samples};

use crate::config::CircuitConfig;
use crate::model::Model;
use crate::serde_fr;

/// Why an ONNX file cannot become a certified model.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file is not an ONNX protobuf (truncated, corrupt, or another format).
    #[error("not a readable ONNX model (truncated or corrupt): {0}")]
    Decode(String),
    /// A node the circuit cannot compute.
    #[error(
        "unsupported operator {op} at node {node}: only dense layers (Gemm, MatMul + Add) and \
         ReLU are supported"
    )]
    UnsupportedOperator {
        /// The node.
        node: String,
        /// Its operator.
        op: String,
    },
    /// The feature width is symbolic.
    #[error("input {input:?} has a dynamic feature width; export it with a fixed width")]
    DynamicShape {
        /// The graph input.
        input: String,
    },
    /// The input width is not the circuit's feature vector.
    #[error(
        "input {input:?} takes {width} features, but a circuit of {n_assets} assets computes \
         {expected} (weight and variance share per asset)"
    )]
    InputWidth {
        /// The graph input.
        input: String,
        /// Its width.
        width: usize,
        /// The circuit's asset count.
        n_assets: usize,
        /// `2 · n_assets`.
        expected: usize,
    },
    /// A graph that is not one chain of dense layers and ReLUs.
    #[error("unsupported graph: {0}")]
    Graph(String),
    /// The weights or the samples do not fit the fixed-point scale.
    #[error("quantisation: {0}")]
    Scale(String),
    /// The ONNX runtime failed, or disagrees with the graph as read.
    #[error("ONNX runtime: {0}")]
    Runtime(String),
    /// The sample file is unusable.
    #[error("samples: {0}")]
    Samples(String),
    /// Quantisation changes too many accept/reject decisions.
    #[error(
        "quantisation flips {flips} of {samples} decisions ({rate:.2} %), above the allowed \
         {max:.2} %: not certifiable"
    )]
    FlipRate {
        /// Flipped decisions.
        flips: usize,
        /// Samples.
        samples: usize,
        /// The flip rate, percent.
        rate: f64,
        /// The allowed rate, percent.
        max: f64,
    },
    /// The quantised model does not fit the circuit.
    #[error(transparent)]
    Prover(#[from] crate::Error),
}

/// Checks that `mlp` takes the feature vector of an `n_assets` circuit.
pub fn fit_circuit(mlp: &FloatMlp, n_assets: usize) -> Result<(), ImportError> {
    if mlp.input_width != 2 * n_assets {
        return Err(ImportError::InputWidth {
            input: mlp.input_name.clone(),
            width: mlp.input_width,
            n_assets,
            expected: 2 * n_assets,
        });
    }
    Ok(())
}

/// Sets the model's provenance: the ONNX file's hash, the architecture and the commitment.
fn with_provenance(
    mut model: Model,
    config: &CircuitConfig,
    onnx_file: &[u8],
    calibration: Option<CalibrationSummary>,
) -> Result<Model, ImportError> {
    model.check_against(config)?;
    model.provenance = Some(Provenance {
        source: "onnx".into(),
        onnx_keccak256: provenance::keccak_hex(onnx_file),
        architecture: provenance::architecture(config),
        n_assets: config.n_assets,
        commitment: serde_fr::to_decimal(&model.commitment(config)?),
        calibration,
    });
    Ok(model)
}

/// Imports `onnx_file` for an `n_assets` circuit at `scale`: the model (with its provenance)
/// and the circuit it fits.
pub fn import(
    onnx_file: &[u8],
    n_assets: usize,
    scale: Scale,
) -> Result<(Model, CircuitConfig), ImportError> {
    let mlp = read_onnx(onnx_file)?;
    fit_circuit(&mlp, n_assets)?;
    let config = scale.circuit(&mlp, n_assets);
    config.validate()?;
    let model = quantise::quantise(&quantise::prepare(&mlp, scale), scale)?;
    Ok((with_provenance(model, &config, onnx_file, None)?, config))
}

/// What [`calibrate`] needs besides the files.
#[derive(Clone, Debug, PartialEq)]
pub struct CalibrateOptions {
    /// The circuit's asset count.
    pub n_assets: usize,
    /// Signed width of a weight (the scale search keeps it).
    pub weight_bits: u32,
    /// A fixed scale (the circuit's, when it is already set up) instead of a search.
    pub fixed_scale: Option<Scale>,
    /// The score limit: a score at or below it is accepted (real units).
    pub limit: f64,
}

/// The result of [`calibrate`].
#[derive(Clone, Debug)]
pub struct Calibration {
    /// The quantised model, with its provenance.
    pub model: Model,
    /// The circuit it fits.
    pub config: CircuitConfig,
    /// The figures at the chosen scale.
    pub measurement: Measurement,
}

impl Calibration {
    /// Refuses a model whose decision-flip rate is above `max_flip_rate` (a fraction).
    pub fn certify(&self, max_flip_rate: f64) -> Result<(), ImportError> {
        let m = &self.measurement;
        if m.flip_rate() > max_flip_rate {
            return Err(ImportError::FlipRate {
                flips: m.flips,
                samples: m.samples,
                rate: 100.0 * m.flip_rate(),
                max: 100.0 * max_flip_rate,
            });
        }
        Ok(())
    }
}

/// Chooses the scale (or takes the fixed one) from the samples in `samples_file` and measures
/// the quantised model against the float model that tract runs from `onnx_file`.
pub fn calibrate(
    onnx_file: &[u8],
    samples_file: &[u8],
    options: &CalibrateOptions,
) -> Result<Calibration, ImportError> {
    let mlp = read_onnx(onnx_file)?;
    fit_circuit(&mlp, options.n_assets)?;
    let samples = parse_samples(samples_file, mlp.input_width)?;
    let floats = float_scores(onnx_file, &mlp, &samples)?;
    let (model, measurement) = match options.fixed_scale {
        Some(scale) => {
            let prepared = quantise::prepare(&mlp, scale);
            let model = quantise::quantise(&prepared, scale)?;
            let m = quantise::measure(&prepared, &model, &samples, &floats, options.limit)?;
            (model, m)
        }
        None => {
            quantise::choose_scale(&mlp, options.weight_bits, &samples, &floats, options.limit)?
        }
    };
    let config = measurement.scale.circuit(&mlp, options.n_assets);
    config.validate()?;
    let ulp = (2.0f64).powi(measurement.scale.activation_frac_bits as i32);
    let summary = CalibrationSummary {
        samples_keccak256: provenance::keccak_hex(samples_file),
        samples: measurement.samples as u64,
        flips: measurement.flips as u64,
        max_abs_error_ulps: (measurement.max_abs_error * ulp).ceil() as u64,
        error_bound_ulps: (measurement.error_bound * ulp).ceil() as u64,
        max_score: measurement.max_score,
    };
    let model = with_provenance(model, &config, onnx_file, Some(summary))?;
    Ok(Calibration { model, config, measurement })
}

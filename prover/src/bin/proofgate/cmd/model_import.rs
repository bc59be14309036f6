//! `proofgate model import | calibrate`: a model from an ONNX export, quantised for the circuit,
//! and what the quantisation costs against the float model.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Args;
use proofgate_prover::onnx::{self, CalibrateOptions, Calibration, Scale};
use proofgate_prover::{CircuitConfig, Model, RiskParams};

use super::describe_config;
use crate::io;
use crate::ui::{self, Rejected};

/// The circuit the model must fit: its asset count, or the whole circuit (scale included).
#[derive(Debug, Clone, Args)]
#[group(required = true, multiple = false)]
pub struct TargetCircuit {
    /// Number of assets of the circuit: the model's input width must be twice this.
    #[arg(long, value_name = "N")]
    pub assets: Option<usize>,
    /// The circuit (circuit.json, as `setup` writes it): asset count, hidden layers and scale.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

impl TargetCircuit {
    /// The asset count and, with --config, the circuit.
    fn resolve(&self) -> Result<(usize, Option<CircuitConfig>)> {
        match (&self.config, self.assets) {
            (Some(path), _) => {
                let config: CircuitConfig = io::read_json(path, "circuit configuration")?;
                config.validate().context("the circuit is not supported")?;
                Ok((config.n_assets, Some(config)))
            }
            (None, Some(n)) => Ok((n, None)),
            (None, None) => bail!("name the circuit with --assets N or --config FILE"),
        }
    }
}

/// Fails unless the imported model's circuit is the one named by --config.
fn check_circuit(got: &CircuitConfig, wanted: Option<&CircuitConfig>) -> Result<()> {
    match wanted {
        Some(wanted) if wanted != got => bail!(
            "the model needs a circuit of {}, but the configuration is {}",
            describe_config(got),
            describe_config(wanted)
        ),
        _ => Ok(()),
    }
}

fn read(path: &Path, what: &str) -> Result<Vec<u8>> {
    fs::read(path).with_context(|| format!("cannot read the {what} {}", path.display()))
}

/// Writes the model and, if asked, its circuit, all or nothing.
fn write_outputs(
    out: &Path,
    model: &Model,
    circuit: Option<(&Path, &CircuitConfig)>,
) -> Result<()> {
    let dir = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut staged = io::Staged::in_dir(dir)?;
    staged.add_json(out, model)?;
    if let Some((path, config)) = circuit {
        staged.add_json(path, config)?;
    }
    staged.commit()?;
    Ok(())
}

/// Import an ONNX model (dense layers, ReLU) and write ProofGate's model file: the quantised
/// weights, the scale, and its provenance (ONNX hash, architecture, commitment).
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The ONNX file (Gemm or MatMul + Add layers with ReLU between them).
    #[arg(value_name = "MODEL.onnx")]
    pub onnx: PathBuf,
    /// The circuit the model must fit.
    #[command(flatten)]
    pub circuit: TargetCircuit,
    /// Fractional bits of activations (without --config).
    #[arg(long, value_name = "BITS", default_value_t = CircuitConfig::default().activation_frac_bits, conflicts_with = "config")]
    pub activation_frac_bits: u32,
    /// Fractional bits of weights (without --config).
    #[arg(long, value_name = "BITS", default_value_t = CircuitConfig::default().weight_frac_bits, conflicts_with = "config")]
    pub weight_frac_bits: u32,
    /// Signed bit width of a weight (without --config).
    #[arg(long, value_name = "BITS", default_value_t = CircuitConfig::default().weight_bits, conflicts_with = "config")]
    pub weight_bits: u32,
    /// Where to write the model file.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Also write the circuit the model fits (for `setup --config`).
    #[arg(long, value_name = "FILE")]
    pub circuit_out: Option<PathBuf>,
}

impl ImportArgs {
    /// Imports the model.
    pub fn run(self) -> Result<()> {
        let (n_assets, wanted) = self.circuit.resolve()?;
        io::check_writable_file(&self.out)?;
        let bytes = read(&self.onnx, "ONNX model")?;
        let scale = match &wanted {
            Some(config) => Scale::of(config),
            None => Scale {
                activation_frac_bits: self.activation_frac_bits,
                weight_frac_bits: self.weight_frac_bits,
                weight_bits: self.weight_bits,
            },
        };
        let (model, config) = onnx::import(&bytes, n_assets, scale)
            .with_context(|| format!("cannot import {}", self.onnx.display()))?;
        check_circuit(&config, wanted.as_ref())?;
        let circuit_out = self.circuit_out.as_deref().map(|p| (p, &config));
        write_outputs(&self.out, &model, circuit_out)?;
        let commitment = model.provenance.as_ref().map(|p| p.commitment.clone());
        ui::emit(
            &serde_json::json!({
                "model": self.out,
                "circuit": config,
                "commitment": commitment,
            }),
            || {
                format!(
                    "imported {} into {}\ncircuit: {}\ncommitment: {}",
                    self.onnx.display(),
                    self.out.display(),
                    describe_config(&config),
                    commitment.unwrap_or_default()
                )
            },
        )
    }
}

/// Choose the fixed-point scale from sample feature vectors and report, against the float
/// model run by the ONNX runtime (tract), the score's max and mean absolute error and the
/// decision-flip rate at the score limit. Refuses (exit status 1, nothing written) above
/// --max-flip-rate.
#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// The ONNX file.
    #[arg(value_name = "MODEL.onnx")]
    pub onnx: PathBuf,
    /// Sample feature vectors: CSV (one row of 2n numbers per line, an optional header) or a
    /// JSON array of arrays.
    #[arg(long, value_name = "FILE")]
    pub samples: PathBuf,
    /// The circuit the model must fit; with --config its scale is kept, not searched.
    #[command(flatten)]
    pub circuit: TargetCircuit,
    /// The score limit in real units: a score at or below it is accepted.
    #[arg(
        long,
        value_name = "SCORE",
        required_unless_present = "params",
        conflicts_with = "params"
    )]
    pub limit: Option<f64>,
    /// Take the limit from risk parameters (max_score, at the --config circuit's scale).
    #[arg(long, value_name = "FILE", requires = "config")]
    pub params: Option<PathBuf>,
    /// Signed bit width of a weight (the search keeps it; without --config).
    #[arg(long, value_name = "BITS", default_value_t = CircuitConfig::default().weight_bits, conflicts_with = "config")]
    pub weight_bits: u32,
    /// The largest share of decisions quantisation may flip (0.01 = 1 %).
    #[arg(long, value_name = "RATE", default_value_t = 0.01)]
    pub max_flip_rate: f64,
    /// Write the calibrated model file here (only if it is certifiable).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Also write the circuit the model fits (for `setup --config`).
    #[arg(long, value_name = "FILE", requires = "out")]
    pub circuit_out: Option<PathBuf>,
}

impl CalibrateArgs {
    /// Calibrates, reports and, if certifiable, writes the model.
    pub fn run(self) -> Result<()> {
        let (n_assets, wanted) = self.circuit.resolve()?;
        if !(0.0..=1.0).contains(&self.max_flip_rate) {
            bail!("--max-flip-rate {} is not a fraction in [0, 1]", self.max_flip_rate);
        }
        if let Some(out) = &self.out {
            io::check_writable_file(out)?;
        }
        let limit = match (&self.params, self.limit, &wanted) {
            (Some(path), _, Some(config)) => {
                let params: RiskParams = io::read_json(path, "risk parameters")?;
                params.max_score as f64 / f64::from(1u32 << config.activation_frac_bits)
            }
            (_, Some(limit), _) if limit.is_finite() => limit,
            _ => bail!("name the score limit with --limit SCORE or --params FILE --config FILE"),
        };
        let onnx_bytes = read(&self.onnx, "ONNX model")?;
        let samples = read(&self.samples, "sample file")?;
        let options = CalibrateOptions {
            n_assets,
            weight_bits: self.weight_bits,
            fixed_scale: wanted.as_ref().map(Scale::of),
            limit,
        };
        let calibration = onnx::calibrate(&onnx_bytes, &samples, &options)
            .with_context(|| format!("cannot calibrate {}", self.onnx.display()))?;
        check_circuit(&calibration.config, wanted.as_ref())?;
        let certified = calibration.certify(self.max_flip_rate);
        report(&calibration, limit, self.max_flip_rate, certified.is_ok())?;
        if let Err(refusal) = certified {
            return Err(Rejected(format!("{}: {refusal}", self.onnx.display())).into());
        }
        if let Some(out) = &self.out {
            let circuit_out = self.circuit_out.as_deref().map(|p| (p, &calibration.config));
            write_outputs(out, &calibration.model, circuit_out)?;
            tracing::info!(model = %out.display(), "calibrated model written");
        }
        Ok(())
    }
}

/// Prints the calibration's figures.
fn report(c: &Calibration, limit: f64, max_flip_rate: f64, certifiable: bool) -> Result<()> {
    let m = &c.measurement;
    let commitment = c.model.provenance.as_ref().map(|p| p.commitment.clone());
    ui::emit(
        &serde_json::json!({
            "circuit": c.config,
            "samples": m.samples,
            "limit": limit,
            "max_score": m.max_score,
            "max_abs_error": m.max_abs_error,
            "mean_abs_error": m.mean_abs_error,
            "error_bound": m.error_bound,
            "flips": m.flips,
            "flip_rate": m.flip_rate(),
            "max_flip_rate": max_flip_rate,
            "certifiable": certifiable,
            "commitment": commitment,
        }),
        || {
            format!(
                "circuit: {}\nsamples: {}\nscore error: max {:.6}, mean {:.6}, bound {:.6} (inside the \
                 samples' range)\ndecision flips at \
                 limit {limit} (max_score {}): {} ({:.2} %, allowed {:.2} %)\ncertifiable: {}\n\
                 commitment: {}",
                describe_config(&c.config),
                m.samples,
                m.max_abs_error,
                m.mean_abs_error,
                m.error_bound,
                m.max_score,
                m.flips,
                100.0 * m.flip_rate(),
                100.0 * max_flip_rate,
                if certifiable { "yes" } else { "NO" },
                commitment.unwrap_or_default()
            )
        },
    )
}

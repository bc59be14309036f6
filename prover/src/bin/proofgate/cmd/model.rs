//! `proofgate model commit | import | calibrate`: the commitment governance certifies for a
//! model, and models imported from ONNX ([`super::model_import`]).

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use proofgate_prover::onnx::Artifacts;
use proofgate_prover::{CircuitConfig, Model};

use super::emit_commitment;
use super::model_import::{CalibrateArgs, ImportArgs};
use crate::{io, ui};

/// Model files.
#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Print a model's commitment (decimal and 0x hex), as a statement carries it.
    Commit(ModelCommitArgs),
    /// Import an ONNX model (dense layers, ReLU) at a given scale and write the model file.
    Import(ImportArgs),
    /// Choose the scale from sample inputs, report the quantisation's score error and
    /// decision-flip rate, and write the model file if the flip rate is acceptable.
    Calibrate(CalibrateArgs),
}

impl ModelCommand {
    /// Runs the subcommand.
    pub fn run(self) -> Result<()> {
        match self {
            ModelCommand::Commit(args) => args.run(),
            ModelCommand::Import(args) => args.run(),
            ModelCommand::Calibrate(args) => args.run(),
        }
    }
}

/// Print a model's commitment. The commitment binds the weights, the layer sizes and every
/// scale, so the circuit is read off the model itself unless --config names one to check
/// against.
#[derive(Debug, Args)]
pub struct ModelCommitArgs {
    /// The model (model.json).
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,
    /// The circuit the model must fit (circuit.json, as `setup` writes it).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The ONNX file the model was imported from: also print the hashes governance's registry
    /// entry carries (ONNX file, model file, and their artifacts hash).
    #[arg(long, value_name = "FILE")]
    pub onnx: Option<PathBuf>,
}

/// The circuit a model has the shape of: `2n` inputs, the hidden layers, one output.
fn config_of(model: &Model) -> Result<CircuitConfig> {
    let sizes = model.layer_sizes();
    match sizes.as_slice() {
        [inputs, hidden @ .., 1] if inputs % 2 == 0 && !hidden.is_empty() => Ok(CircuitConfig {
            n_assets: inputs / 2,
            hidden_layers: hidden.to_vec(),
            activation_frac_bits: model.activation_frac_bits,
            weight_frac_bits: model.weight_frac_bits,
            weight_bits: model.weight_bits,
        }),
        _ => bail!("layer sizes {sizes:?} are not [2 x assets, hidden.., 1]"),
    }
}

impl ModelCommitArgs {
    /// Prints the commitment.
    pub fn run(self) -> Result<()> {
        let model: Model = io::read_json(&self.model, "model")?;
        let config = match &self.config {
            Some(path) => io::read_json(path, "circuit configuration")?,
            None => config_of(&model)
                .with_context(|| format!("{} is not a ProofGate model", self.model.display()))?,
        };
        let commitment = model
            .commitment(&config)
            .with_context(|| format!("{} does not fit the circuit", self.model.display()))?;
        match &self.onnx {
            None => emit_commitment("model", &self.model, &commitment, &config),
            Some(onnx) => self.emit_artifacts(onnx, &model, &config),
        }
    }

    /// Prints the commitment with the hashes of the ONNX file and of the model file, after
    /// checking the model's recorded provenance against both.
    fn emit_artifacts(
        &self,
        onnx: &std::path::Path,
        model: &Model,
        config: &CircuitConfig,
    ) -> Result<()> {
        let onnx_bytes = std::fs::read(onnx)
            .with_context(|| format!("cannot read the ONNX model {}", onnx.display()))?;
        let model_bytes = std::fs::read(&self.model)
            .with_context(|| format!("cannot read the model file {}", self.model.display()))?;
        let artifacts = Artifacts::of(config, model, &onnx_bytes, &model_bytes)
            .with_context(|| format!("{} does not fit the circuit", self.model.display()))?;
        let Some(provenance) = &model.provenance else {
            bail!(
                "{} records no ONNX provenance (not made by `model import`)",
                self.model.display()
            );
        };
        if provenance.onnx_keccak256 != artifacts.onnx_keccak256 {
            bail!(
                "{} was imported from an ONNX file with keccak256 {}, not {} ({})",
                self.model.display(),
                provenance.onnx_keccak256,
                onnx.display(),
                artifacts.onnx_keccak256
            );
        }
        if provenance.commitment != artifacts.commitment {
            bail!(
                "{} records commitment {}, but its weights commit to {}",
                self.model.display(),
                provenance.commitment,
                artifacts.commitment
            );
        }
        let hex = proofgate_prover::statement::fr_to_hex(&model.commitment(config)?);
        ui::emit(
            &serde_json::json!({
                "kind": "model",
                "file": self.model,
                "commitment": artifacts.commitment,
                "commitment_hex": hex,
                "n_assets": config.n_assets,
                "onnx": onnx,
                "onnx_keccak256": artifacts.onnx_keccak256,
                "model_keccak256": artifacts.model_keccak256,
                "artifacts_hash": artifacts.artifacts_hash,
                "architecture": artifacts.architecture,
            }),
            || {
                format!(
                    "model commitment of {}\ndecimal: {}\nhex:     {hex}\nonnx keccak256:  {}\nmodel keccak256: {}\nartifacts hash:  {}\narchitecture:    {}",
                    self.model.display(),
                    artifacts.commitment,
                    artifacts.onnx_keccak256,
                    artifacts.model_keccak256,
                    artifacts.artifacts_hash,
                    artifacts.architecture
                )
            },
        )
    }
}

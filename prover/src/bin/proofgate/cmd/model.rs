//! `proofgate model commit`: the commitment governance certifies for a model.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use proofgate_prover::{CircuitConfig, Model};

use super::emit_commitment;
use crate::io;

/// Model files.
#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Print a model's commitment (decimal and 0x hex), as a statement carries it.
    Commit(ModelCommitArgs),
}

impl ModelCommand {
    /// Runs the subcommand.
    pub fn run(self) -> Result<()> {
        match self {
            ModelCommand::Commit(args) => args.run(),
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
        emit_commitment("model", &self.model, &commitment, &config)
    }
}

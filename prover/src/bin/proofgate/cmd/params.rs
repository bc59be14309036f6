//! `proofgate params commit`: the commitment governance pins for risk parameters.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use proofgate_prover::{CircuitConfig, RiskParams};

use super::emit_commitment;
use crate::io;

/// Risk-parameter files.
#[derive(Debug, Subcommand)]
pub enum ParamsCommand {
    /// Print the risk parameters' commitment (decimal and 0x hex), as a statement carries it.
    Commit(ParamsCommitArgs),
}

impl ParamsCommand {
    /// Runs the subcommand.
    pub fn run(self) -> Result<()> {
        match self {
            ParamsCommand::Commit(args) => args.run(),
        }
    }
}

/// Print the risk parameters' commitment. It binds the asset count and every value; the asset
/// count is read off the file unless --config names a circuit to check against.
#[derive(Debug, Args)]
pub struct ParamsCommitArgs {
    /// The risk parameters (risk_params.json).
    #[arg(long, value_name = "FILE")]
    pub params: PathBuf,
    /// The circuit the parameters must fit (circuit.json, as `setup` writes it).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

impl ParamsCommitArgs {
    /// Prints the commitment.
    pub fn run(self) -> Result<()> {
        let params: RiskParams = io::read_json(&self.params, "risk parameters")?;
        let config: CircuitConfig = match &self.config {
            Some(path) => io::read_json(path, "circuit configuration")?,
            None => CircuitConfig::with_assets(params.n_assets()),
        };
        let commitment = params
            .commitment(&config)
            .with_context(|| format!("{} does not fit the circuit", self.params.display()))?;
        emit_commitment("params", &self.params, &commitment, &config)
    }
}

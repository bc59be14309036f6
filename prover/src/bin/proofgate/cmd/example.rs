//! `proofgate example`: passing example inputs to try `prove` and `verify` with.

use std::path::PathBuf;

use anyhow::{ensure, Context, Result};
use clap::Args;
use proofgate_prover::evaluate;
use proofgate_prover::fixtures::Example;
use proofgate_prover::statement::fr_to_hex;
use serde_json::json;
use tracing::info;

use super::{describe_config, CircuitArgs};
use crate::io::{self, Staged};
use crate::ui;

/// The example's model file name.
pub const MODEL: &str = "model.json";
/// The example's risk-parameter file name.
pub const PARAMS: &str = "risk_params.json";
/// The example's statement file name.
pub const STATEMENT: &str = "statement.json";

/// Write DIR/model.json (a random model of the circuit's shape), DIR/risk_params.json (typical
/// limits) and DIR/statement.json (a diversified portfolio and a trade that passes every check).
/// For trying the tools and for demos; not real data.
#[derive(Debug, Args)]
pub struct ExampleArgs {
    /// The circuit.
    #[command(flatten)]
    pub circuit: CircuitArgs,
    /// Directory to write the files to (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Seed of the example's portfolio, trade and model.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
    /// Overwrite files already in DIR.
    #[arg(long)]
    pub force: bool,
}

impl ExampleArgs {
    /// Writes the example.
    pub fn run(self) -> Result<()> {
        let config = self.circuit.to_config()?;
        io::check_no_overwrite(&self.out, &[MODEL, PARAMS, STATEMENT], self.force)?;
        let example = Example::passing(&config, self.seed).context("cannot build the example")?;
        let evaluation = evaluate(&config, &example.model, &example.params, &example.statement)?;
        ensure!(
            evaluation.passes(),
            "the example for seed {} breaks {:?}; try another --seed",
            self.seed,
            evaluation.violations
        );
        let mut staged = Staged::in_dir(&self.out)?;
        staged.add_json(&self.out.join(MODEL), &example.model)?;
        staged.add_json(&self.out.join(PARAMS), &example.params)?;
        staged.add_json(&self.out.join(STATEMENT), &example.statement)?;
        let written = staged.commit()?;
        let model_commitment = fr_to_hex(&example.statement.model_commitment);
        let params_commitment = fr_to_hex(&example.statement.params_commitment);
        info!(out = %self.out.display(), seed = self.seed, "example written");
        ui::emit(
            &json!({
                "out": self.out,
                "files": written,
                "config": config,
                "model_commitment": model_commitment,
                "params_commitment": params_commitment,
            }),
            || {
                format!(
                    "example for {} written to {}: {MODEL}, {PARAMS}, {STATEMENT}\n\
                     model commitment:  {model_commitment}\n\
                     params commitment: {params_commitment}",
                    describe_config(&config),
                    self.out.display()
                )
            },
        )
    }
}

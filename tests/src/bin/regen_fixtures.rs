//! `regen-fixtures`: regenerates the forge tests' verifier and proof fixtures (risk and
//! solvency) from `contracts/test/fixtures/scenario.json` (run it as `scripts/regen-fixtures`).
//!
//! DEVELOPMENT ONLY: the Groth16 setup is seeded with a published seed, so anyone can forge
//! proofs for the verifier it writes (see `proofgate_e2e::fixtures`).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Parser;
use proofgate_e2e::fixtures::{self, repo_root, PROOFS_PATH, SCENARIO_PATH, VERIFIER_PATH};
use proofgate_e2e::scenario::Scenario;
use proofgate_e2e::solvency::{SOLVENCY_PATH, SOLVENCY_VERIFIER_PATH};

/// The log filter when `RUST_LOG` is not set.
const DEFAULT_LOG_FILTER: &str = "warn,proofgate=info";

/// Regenerates `RiskVerifier.sol`, `proofs.json`, `SolvencyVerifier.sol` and `solvency.json` from
/// the scenario (development keys only).
#[derive(Debug, Parser)]
#[command(name = "regen-fixtures", version)]
struct Cli {
    /// The scenario to prove [default: <root>/contracts/test/fixtures/scenario.json].
    #[arg(long)]
    scenario: Option<PathBuf>,
    /// The repository root the files are written under [default: this repository].
    #[arg(long)]
    root: Option<PathBuf>,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    // arkworks' constraint synthesis opens `tracing` spans for every gadget; recording them (any
    // filter that enables its INFO spans, e.g. RUST_LOG=info) makes the setup take minutes and
    // gigabytes. By default only this crate's events are shown.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(DEFAULT_LOG_FILTER));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    let start = Instant::now();
    let root = cli.root.unwrap_or_else(repo_root);
    let scenario_path = cli.scenario.unwrap_or_else(|| root.join(SCENARIO_PATH));
    tracing::warn!(
        target: "proofgate::fixtures",
        seed = fixtures::FIXTURE_SEED,
        "DEVELOPMENT SETUP with a published seed: anyone can forge proofs for this verifier; never deploy it outside a local test chain"
    );
    let scenario = Scenario::read(&scenario_path)?;
    let generated = fixtures::generate(&scenario).context("generating the fixtures")?;
    generated.write(&root).context("writing the fixtures")?;
    tracing::info!(
        target: "proofgate::fixtures",
        cases = generated.proofs.cases.len(),
        key_hash = %generated.proofs.verifier_key_hash,
        setup_s = generated.timings.setup_s,
        prove_s = generated.timings.prove_s,
        solvency_s = generated.timings.solvency_s,
        solvency_key_hash = %generated.solvency.file.verifier_key_hash,
        total_s = start.elapsed().as_secs_f64(),
        "wrote {VERIFIER_PATH}, {PROOFS_PATH}, {SOLVENCY_VERIFIER_PATH} and {SOLVENCY_PATH}"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_cli_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}

//! `proofgate`: generate keys, prove and verify that an agent's trade passes the certified risk
//! model and the hard risk limits, inspect and benchmark the circuit.
//!
//! One module per subcommand under [`cmd`], each with `run(self)`; [`ui`] owns what is printed
//! (text or `--json` on stdout, logs and progress on stderr) and the exit status.

#![forbid(unsafe_code)]

mod cmd;
mod io;
mod ui;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use tracing_subscriber::EnvFilter;

const EXIT_STATUS: &str = "\
Exit status:
  0  success (verify: the proof is VALID)
  1  a definite no: verify found the proof INVALID, prove refused a trade that breaks a risk check,
     or solvency check-inclusion found the depositor NOT INCLUDED
  2  bad input or failure: unreadable, malformed or mismatched files, bad arguments, I/O errors

Nothing is written when a command fails. Logs go to stderr (filter with RUST_LOG or -v/-q);
results go to stdout, as JSON with --json.";

/// The `proofgate` command line.
#[derive(Debug, Parser)]
#[command(
    name = "proofgate",
    version,
    about = "Groth16 (BN254) proofs that an AI agent's trade passes a certified risk model and hard risk limits",
    after_help = EXIT_STATUS,
    propagate_version = true
)]
pub struct Cli {
    /// Options every subcommand takes.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand takes.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Print the result as JSON on stdout (and hide progress bars).
    #[arg(long, global = true)]
    pub json: bool,
    /// More logs: -v for debug, -vv for trace (RUST_LOG overrides).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Only warnings and errors on stderr, no progress bars.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Format of the logs on stderr.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true, value_name = "FORMAT")]
    pub log_format: LogFormat,
}

/// Format of the logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate development keys for a circuit (single-party setup: NOT for production).
    Setup(cmd::setup::SetupArgs),
    /// Prove that a trade passes the certified model and every risk limit.
    Prove(cmd::prove::ProveArgs),
    /// Verify a proof file against a verifying key.
    #[command(after_help = cmd::verify::EXIT_STATUS)]
    Verify(cmd::verify::VerifyArgs),
    /// Show a circuit's constraints per component, its public-input layout and its keys.
    Inspect(cmd::inspect::InspectArgs),
    /// Measure setup, witness, proving and verifying times, key size and peak memory (JSON).
    Bench(cmd::bench::BenchArgs),
    /// Write a passing example model, risk parameters and statement to try prove and verify.
    Example(cmd::example::ExampleArgs),
    /// Emit and compile the Solidity verifier for a verifying key.
    ExportVerifier(cmd::export_verifier::ExportVerifierArgs),
    /// Write a verifying key and proof in another tool's format (snarkjs).
    Export(cmd::snarkjs::ExportArgs),
    /// Read a verifying key and proof from another tool's format (snarkjs), strictly.
    Import(cmd::snarkjs::ImportArgs),
    /// Model files: commitments for governance, and import and calibration from ONNX.
    #[command(subcommand)]
    Model(cmd::model::ModelCommand),
    /// Risk-parameter files: commitments for governance.
    #[command(subcommand)]
    Params(cmd::params::ParamsCommand),
    /// Solvency attestations: the liabilities tree of depositors and their inclusion proofs.
    #[command(subcommand)]
    Solvency(cmd::solvency::SolvencyCommand),
}

impl Command {
    /// Runs the subcommand.
    pub fn run(self) -> anyhow::Result<()> {
        match self {
            Command::Setup(args) => args.run(),
            Command::Prove(args) => args.run(),
            Command::Verify(args) => args.run(),
            Command::Inspect(args) => args.run(),
            Command::Bench(args) => args.run(),
            Command::Example(args) => args.run(),
            Command::ExportVerifier(args) => args.run(),
            Command::Export(args) => args.run(),
            Command::Import(args) => args.run(),
            Command::Model(cmd) => cmd.run(),
            Command::Params(cmd) => cmd.run(),
            Command::Solvency(cmd) => cmd.run(),
        }
    }
}

/// arkworks' `gr1cs` spans record their arguments with `Debug`, which formats the whole
/// constraint system at every gadget call: always off, or synthesis takes hours and gigabytes.
const ARKWORKS_SPANS_OFF: &str = "gr1cs=off";

fn init_tracing(global: &GlobalArgs) {
    let ours = match (global.quiet, global.verbose) {
        (true, _) => "warn",
        (false, 0) => "info",
        (false, 1) => "debug",
        (false, _) => "trace",
    };
    let default = format!("warn,proofgate={ours},proofgate_prover={ours}");
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(default))
        .add_directive(ARKWORKS_SPANS_OFF.parse().expect("a valid directive"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    // A second subscriber cannot be installed; `try_init` only fails if one already is.
    let _ = match global.log_format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text if global.verbose > 0 => {
            builder.with_ansi(std::io::stderr().is_terminal()).try_init()
        }
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .without_time()
            .with_target(false)
            .try_init(),
    };
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    ui::init(&cli.global);
    init_tracing(&cli.global);
    match cli.command.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => ExitCode::from(ui::report_error(&err)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_flags_go_anywhere_and_lists_parse() {
        let cli = Cli::try_parse_from([
            "proofgate",
            "setup",
            "--assets",
            "4",
            "--hidden",
            "8,4",
            "--out",
            "k",
            "--json",
        ])
        .expect("parses");
        assert!(cli.global.json);
        let Command::Setup(args) = cli.command else { panic!("setup expected") };
        let config = args.circuit.to_config().expect("valid");
        assert_eq!(config.layer_sizes(), vec![8, 8, 4, 1]);
        assert!(Cli::try_parse_from(["proofgate", "prove", "--keys", "k", "--proving-key", "p"])
            .is_err());
    }
}

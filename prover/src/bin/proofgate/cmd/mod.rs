//! One module per subcommand, and the arguments several of them share.

pub mod bench;
pub mod example;
pub mod export_verifier;
pub mod inspect;
pub mod model;
pub mod model_import;
pub mod params;
pub mod prove;
pub mod setup;
pub mod snarkjs;
pub mod solvency;
pub mod verify;
mod violations;

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Args;
use proofgate_prover::CircuitConfig;

use crate::io;

/// A circuit's shape, from flags or from a `circuit.json`.
#[derive(Debug, Clone, Args)]
pub struct CircuitArgs {
    /// Number of assets the circuit covers (2 to 16).
    #[arg(long, value_name = "N")]
    pub assets: Option<usize>,
    /// Hidden layer widths of the model, comma separated.
    #[arg(
        long,
        value_name = "W,W,..",
        value_delimiter = ',',
        default_values_t = CircuitConfig::default().hidden_layers,
        conflicts_with = "config"
    )]
    pub hidden: Vec<usize>,
    /// Fractional bits of the model's activations.
    #[arg(long, value_name = "BITS", default_value_t = CircuitConfig::default().activation_frac_bits, conflicts_with = "config")]
    pub activation_frac_bits: u32,
    /// Fractional bits of the model's weights.
    #[arg(long, value_name = "BITS", default_value_t = CircuitConfig::default().weight_frac_bits, conflicts_with = "config")]
    pub weight_frac_bits: u32,
    /// Signed bit width of a weight.
    #[arg(long, value_name = "BITS", default_value_t = CircuitConfig::default().weight_bits, conflicts_with = "config")]
    pub weight_bits: u32,
    /// Read the circuit from a JSON file (as `setup` writes to circuit.json) instead of flags.
    #[arg(long, value_name = "FILE", conflicts_with = "assets")]
    pub config: Option<PathBuf>,
}

impl CircuitArgs {
    /// Whether the user named a circuit at all (`--assets` or `--config`).
    pub fn given(&self) -> bool {
        self.assets.is_some() || self.config.is_some()
    }

    /// The circuit, validated.
    pub fn to_config(&self) -> Result<CircuitConfig> {
        let config = match (&self.config, self.assets) {
            (Some(path), _) => io::read_json::<CircuitConfig>(path, "circuit configuration")?,
            (None, Some(n_assets)) => CircuitConfig {
                n_assets,
                hidden_layers: self.hidden.clone(),
                activation_frac_bits: self.activation_frac_bits,
                weight_frac_bits: self.weight_frac_bits,
                weight_bits: self.weight_bits,
            },
            (None, None) => {
                bail!("name the circuit with --assets N (and --hidden ..) or --config FILE")
            }
        };
        config.validate().context("the circuit is not supported")?;
        Ok(config)
    }
}

/// Where the proving key is.
#[derive(Debug, Clone, Args)]
#[group(required = true, multiple = false)]
pub struct ProvingKeySource {
    /// Keys directory written by `setup` (uses DIR/proving.key).
    #[arg(long, value_name = "DIR")]
    pub keys: Option<PathBuf>,
    /// The proving key file itself.
    #[arg(long, value_name = "FILE")]
    pub proving_key: Option<PathBuf>,
}

impl ProvingKeySource {
    /// The proving key's path.
    pub fn path(&self) -> PathBuf {
        match (&self.proving_key, &self.keys) {
            (Some(file), _) => file.clone(),
            (None, Some(dir)) => dir.join(io::PROVING_KEY),
            (None, None) => PathBuf::from(io::PROVING_KEY),
        }
    }
}

/// Where the verifying key is.
#[derive(Debug, Clone, Args)]
#[group(required = true, multiple = false)]
pub struct VerifyingKeySource {
    /// Keys directory written by `setup` (uses DIR/verifying_key.json).
    #[arg(long, value_name = "DIR")]
    pub keys: Option<PathBuf>,
    /// The verifying key file itself.
    #[arg(long, value_name = "FILE")]
    pub verifying_key: Option<PathBuf>,
}

impl VerifyingKeySource {
    /// The verifying key's path.
    pub fn path(&self) -> PathBuf {
        match (&self.verifying_key, &self.keys) {
            (Some(file), _) => file.clone(),
            (None, Some(dir)) => dir.join(io::VERIFYING_KEY),
            (None, None) => PathBuf::from(io::VERIFYING_KEY),
        }
    }
}

/// One line describing a circuit: `8 assets, layers [16, 32, 16, 1], ...`.
pub fn describe_config(config: &CircuitConfig) -> String {
    format!(
        "{} assets, model layers {:?}, activations at 2^-{}, {}-bit weights at 2^-{}",
        config.n_assets,
        config.layer_sizes(),
        config.activation_frac_bits,
        config.weight_bits,
        config.weight_frac_bits
    )
}

/// Prints a commitment in decimal (as statements carry it) and as 32-byte hex (as the EVM
/// sees it).
pub fn emit_commitment(
    kind: &str,
    path: &std::path::Path,
    commitment: &ark_bn254::Fr,
    config: &CircuitConfig,
) -> Result<()> {
    let decimal = proofgate_prover::serde_fr::to_decimal(commitment);
    let hex = proofgate_prover::statement::fr_to_hex(commitment);
    crate::ui::emit(
        &serde_json::json!({
            "kind": kind,
            "file": path,
            "commitment": decimal,
            "commitment_hex": hex,
            "n_assets": config.n_assets,
        }),
        || format!("{kind} commitment of {}\ndecimal: {decimal}\nhex:     {hex}", path.display()),
    )
}

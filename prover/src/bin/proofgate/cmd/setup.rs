//! `proofgate setup`: development keys for a circuit.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use proofgate_prover::{files, snark, statement};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::json;
use tracing::{info, warn};

use super::{describe_config, CircuitArgs};
use crate::io::{self, Staged};
use crate::ui;

/// Generate development keys: DIR/proving.key, DIR/verifying_key.json and DIR/circuit.json.
///
/// This is a single-party setup: whoever knows its randomness can forge proofs for any
/// statement. Use it for development and tests only; production keys need a multi-party
/// ceremony.
#[derive(Debug, Args)]
pub struct SetupArgs {
    /// The circuit.
    #[command(flatten)]
    pub circuit: CircuitArgs,
    /// Directory to write the keys to (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Derive the randomness from this seed, for reproducible keys. INSECURE: anyone who knows
    /// the seed can forge proofs.
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Overwrite keys already in DIR.
    #[arg(long)]
    pub force: bool,
}

impl SetupArgs {
    /// Runs the setup.
    pub fn run(self) -> Result<()> {
        let config = self.circuit.to_config()?;
        let names = [io::PROVING_KEY, io::VERIFYING_KEY, io::CIRCUIT];
        io::check_no_overwrite(&self.out, &names, self.force)?;

        warn!("single-party setup: whoever knows its randomness can forge proofs; for development only, production keys need a multi-party ceremony");
        let mut rng = match self.seed {
            Some(seed) => {
                warn!(seed, "INSECURE KEYS: the setup randomness is derived from a seed; anyone who knows or guesses it can forge proofs for any trade");
                warn!("INSECURE KEYS: never deploy a verifier made from these keys");
                StdRng::seed_from_u64(seed)
            }
            None => StdRng::from_entropy(),
        };
        info!(circuit = %describe_config(&config), "generating keys");
        let (keys, setup_s) =
            ui::timed("generating Groth16 keys", || snark::setup(&config, &mut rng));
        let (key, vk) = keys.context("key generation failed")?;

        let pk_bytes = files::encode_proving_key(&key).context("cannot encode the proving key")?;
        let vk_file =
            files::encode_verifying_key(&vk, &config).context("cannot encode the verifying key")?;
        let mut staged = Staged::in_dir(&self.out)?;
        staged.add(&self.out.join(io::PROVING_KEY), &pk_bytes)?;
        staged.add_json(&self.out.join(io::VERIFYING_KEY), &vk_file)?;
        staged.add_json(&self.out.join(io::CIRCUIT), &config)?;
        let written = staged.commit()?;

        let constraints = key.matrices.num_constraints;
        let n_public = statement::public_input_count(&config);
        let vk_bytes = (vk_file.vk.len() - 2) / 2;
        info!(constraints, setup_s, vk_hash = %vk_file.vk_hash, "keys written");
        ui::emit(
            &json!({
                "out": self.out,
                "files": written,
                "config": config,
                "constraints": constraints,
                "public_inputs": n_public,
                "proving_key_bytes": pk_bytes.len(),
                "verifying_key_bytes": vk_bytes,
                "vk_hash": vk_file.vk_hash,
                "setup_s": setup_s,
                "seeded": self.seed.is_some(),
                "development_only": true,
            }),
            || {
                format!(
                    "keys for {} written to {} in {setup_s:.2} s\n\
                     constraints:   {constraints}\n\
                     public inputs: {n_public}\n\
                     proving key:   {} ({})\n\
                     verifying key: {} ({} bytes compressed)\n\
                     vk hash:       {}\n\
                     DEVELOPMENT KEYS: single-party setup, do not deploy",
                    describe_config(&config),
                    self.out.display(),
                    self.out.join(io::PROVING_KEY).display(),
                    ui::bytes(pk_bytes.len() as u64),
                    self.out.join(io::VERIFYING_KEY).display(),
                    vk_bytes,
                    vk_file.vk_hash,
                )
            },
        )
    }
}

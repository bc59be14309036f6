//! `proofgate verify`: checks a proof file against a verifying key.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use proofgate_prover::files::{self, ProofFile};
use proofgate_prover::statement::fr_to_hex;
use proofgate_prover::{snark, Statement};
use serde_json::json;
use tracing::info;

use super::VerifyingKeySource;
use crate::io;
use crate::ui::{self, Rejected};

/// The exit statuses of `verify`, for its `--help`.
pub const EXIT_STATUS: &str = "\
Exit status:
  0  VALID: the proof verifies and its public inputs encode its statement
  1  INVALID: the proof does not verify, its public inputs do not encode its statement, or the
     statement is not the one given with --statement
  2  bad input: a file is unreadable, malformed, or does not fit the key (e.g. a garbled proof,
     a verifying key that does not match its hash, a statement value out of range)";

/// Verify a proof file: decode the key and proof strictly, recompute the public inputs from the
/// proof file's statement, and run the Groth16 verifier. Prints VALID or INVALID.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The verifying key.
    #[command(flatten)]
    pub key: VerifyingKeySource,
    /// The proof file (proof.json).
    #[arg(long, value_name = "FILE")]
    pub proof: PathBuf,
    /// Also require the proof to be for exactly this statement (statement.json).
    #[arg(long, value_name = "FILE")]
    pub statement: Option<PathBuf>,
}

impl VerifyArgs {
    /// Runs the verifier.
    pub fn run(self) -> Result<()> {
        let key_path = self.key.path();
        let (vk_file, vk) = io::load_verifying_key(&key_path)?;
        let file: ProofFile = io::read_json(&self.proof, "proof")?;
        let (proof, inputs) = files::decode_proof(&file)
            .with_context(|| format!("{} is not a valid proof", self.proof.display()))?;
        let expected = file.statement.public_inputs(&vk_file.config).with_context(|| {
            format!("{}: the statement does not fit the key's circuit", self.proof.display())
        })?;
        let wanted: Option<Statement> = match &self.statement {
            Some(path) => Some(io::read_json(path, "statement")?),
            None => None,
        };

        let mut reason = None;
        if let Some(wanted) = &wanted {
            if *wanted != file.statement {
                reason = Some(format!(
                    "the proof is for another statement than {}",
                    self.statement.as_deref().map(|p| p.display().to_string()).unwrap_or_default()
                ));
            }
        }
        if reason.is_none() {
            reason = inputs_mismatch(&inputs, &expected);
        }
        let verify_ms = if reason.is_none() {
            let start = std::time::Instant::now();
            let valid = snark::verify(&snark::prepare(&vk), &inputs, &proof)?;
            if !valid {
                reason = Some("the Groth16 pairing check fails".into());
            }
            Some(start.elapsed().as_secs_f64() * 1e3)
        } else {
            None
        };

        let statement = &file.statement;
        let trade = &statement.trade;
        let summary = format!(
            "trade:            sell ${:.2} of asset {} for ${:.2} of asset {}\n\
             model:            {}\n\
             risk parameters:  {}\n\
             vk hash:          {}",
            trade.value_in as f64 / 1e8,
            trade.sell_asset,
            trade.value_out as f64 / 1e8,
            trade.buy_asset,
            fr_to_hex(&statement.model_commitment),
            fr_to_hex(&statement.params_commitment),
            vk_file.vk_hash,
        );
        info!(proof = %self.proof.display(), valid = reason.is_none(), verify_ms, "verified");
        ui::emit(
            &json!({
                "valid": reason.is_none(),
                "reason": reason,
                "proof": self.proof,
                "vk_hash": vk_file.vk_hash,
                "statement": statement,
                "verify_ms": verify_ms,
            }),
            || match &reason {
                None => format!("VALID\n{summary}"),
                Some(why) => format!("INVALID: {why}\n{summary}"),
            },
        )?;
        match reason {
            None => Ok(()),
            Some(why) => {
                Err(Rejected(format!("{} is INVALID: {why}", self.proof.display())).into())
            }
        }
    }
}

/// Why the file's public inputs are not those of its statement, if they are not.
fn inputs_mismatch(given: &[ark_bn254::Fr], expected: &[ark_bn254::Fr]) -> Option<String> {
    if given.len() != expected.len() {
        return Some(format!(
            "the file has {} public inputs, its statement encodes to {}",
            given.len(),
            expected.len()
        ));
    }
    let differing: Vec<String> = given
        .iter()
        .zip(expected)
        .enumerate()
        .filter(|(_, (g, e))| g != e)
        .map(|(i, _)| i.to_string())
        .collect();
    (!differing.is_empty()).then(|| {
        format!("public input(s) {} do not encode the file's statement", differing.join(", "))
    })
}

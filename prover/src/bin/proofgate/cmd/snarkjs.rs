//! `proofgate export --format snarkjs` and `proofgate import --format snarkjs`.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use proofgate_prover::files::{self, ProofFile};
use proofgate_prover::snark;
use proofgate_verifier_codegen::snarkjs;
use serde_json::json;

use super::{CircuitArgs, VerifyingKeySource};
use crate::io::{self, Staged};
use crate::ui::{self, Rejected};

/// Interchange formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// snarkjs' verification_key.json, proof.json and public.json.
    Snarkjs,
}

/// Write a verifying key and a proof in snarkjs' formats (verification_key.json, proof.json,
/// public.json), for `snarkjs groth16 verify` or any tool that reads them.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The format.
    #[arg(long, value_enum)]
    pub format: Format,
    /// The verifying key.
    #[command(flatten)]
    pub key: VerifyingKeySource,
    /// A proof file to export too (proof.json as `prove` writes it).
    #[arg(long, value_name = "FILE")]
    pub proof: Option<PathBuf>,
    /// The output directory.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Replace existing files.
    #[arg(long)]
    pub force: bool,
}

impl ExportArgs {
    /// Converts and writes.
    pub fn run(self) -> Result<()> {
        let (_, vk) = io::load_verifying_key(&self.key.path())?;
        let proof = match &self.proof {
            Some(path) => {
                let file: ProofFile = io::read_json(path, "proof")?;
                Some(
                    files::decode_proof(&file)
                        .with_context(|| format!("{} is not a valid proof", path.display()))?,
                )
            }
            None => None,
        };
        let mut names = vec!["verification_key.json"];
        if proof.is_some() {
            names.extend(["proof.json", "public.json"]);
        }
        io::check_no_overwrite(&self.out, &names, self.force)?;
        let mut staged = Staged::in_dir(&self.out)?;
        staged.add_json(
            &self.out.join("verification_key.json"),
            &snarkjs::export_verifying_key(&vk),
        )?;
        if let Some((proof, inputs)) = &proof {
            staged.add_json(&self.out.join("proof.json"), &snarkjs::export_proof(proof))?;
            staged.add_json(&self.out.join("public.json"), &snarkjs::export_public(inputs))?;
        }
        let written = staged.commit()?;
        ui::emit(&json!({ "written": written }), || {
            written.iter().map(|p| format!("wrote {}", p.display())).collect::<Vec<_>>().join("\n")
        })
    }
}

/// Read snarkjs' verification_key.json (and optionally proof.json and public.json) strictly:
/// write it as ProofGate's verifying_key.json for a circuit, and verify the proof if given.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The format.
    #[arg(long, value_enum)]
    pub format: Format,
    /// Directory holding verification_key.json (and proof.json, public.json to verify).
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
    /// The circuit the key belongs to.
    #[command(flatten)]
    pub circuit: CircuitArgs,
    /// Where to write ProofGate's verifying key.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Replace an existing file.
    #[arg(long)]
    pub force: bool,
}

impl ImportArgs {
    /// Converts, verifies and writes.
    pub fn run(self) -> Result<()> {
        let config = self.circuit.to_config()?;
        let vk_json: snarkjs::VerificationKeyJson =
            io::read_json(&self.dir.join("verification_key.json"), "snarkjs verification key")?;
        let vk = snarkjs::import_verifying_key(&vk_json)?;
        let vk_file = files::encode_verifying_key(&vk, &config)?;
        files::decode_verifying_key(&vk_file).context("the key does not fit this circuit")?;
        let proof_path = self.dir.join("proof.json");
        let verdict = if proof_path.exists() {
            let proof = snarkjs::import_proof(&io::read_json(&proof_path, "snarkjs proof")?)?;
            let public: Vec<String> =
                io::read_json(&self.dir.join("public.json"), "snarkjs public signals")?;
            let inputs = snarkjs::import_public(&public)?;
            Some(snark::verify(&snark::prepare(&vk), &inputs, &proof)?)
        } else {
            None
        };
        if let Some(out) = &self.out {
            if out.exists() && !self.force {
                anyhow::bail!("{} exists; pass --force to replace it", out.display());
            }
            let dir = out
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."));
            let mut staged = Staged::in_dir(dir)?;
            staged.add_json(out, &vk_file)?;
            staged.commit()?;
        }
        ui::emit(
            &json!({ "verifying_key_hash": vk_file.vk_hash, "proof_valid": verdict, "written": self.out }),
            || {
                let mut text = format!("snarkjs verification key read: hash {}", vk_file.vk_hash);
                if let Some(valid) = verdict {
                    text += if valid { "\nproof: VALID" } else { "\nproof: INVALID" };
                }
                text
            },
        )?;
        match verdict {
            Some(false) => Err(Rejected("the snarkjs proof does not verify".into()).into()),
            _ => Ok(()),
        }
    }
}

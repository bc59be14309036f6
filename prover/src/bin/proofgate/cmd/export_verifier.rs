//! `proofgate export-verifier`: the Solidity verifier for a verifying key, compiled.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use proofgate_prover::statement::public_input_count;
use proofgate_toolchain::Toolchain;
use proofgate_verifier_codegen::{compile_contract, generate, CompileSettings, VerifierOptions};
use serde_json::json;

use super::VerifyingKeySource;
use crate::io::{self, Staged};
use crate::ui;

/// Emit the gas-lean Solidity verifier for a verifying key, compile it with the toolchain's
/// solc (foundry-compilers), and write the source and its artifact (ABI, bytecode, key hash).
#[derive(Debug, Args)]
pub struct ExportVerifierArgs {
    /// The verifying key.
    #[command(flatten)]
    pub key: VerifyingKeySource,
    /// The contract's name.
    #[arg(long, default_value = "RiskVerifier")]
    pub contract_name: String,
    /// Where to write the Solidity source [default: contracts/src/verifier/<NAME>.sol in the
    /// repository].
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Where to write the compiled artifact [default: <OUT without .sol>.artifact.json].
    #[arg(long, value_name = "FILE")]
    pub artifact: Option<PathBuf>,
    /// Replace existing files.
    #[arg(long)]
    pub force: bool,
}

impl ExportVerifierArgs {
    /// Generates, compiles and writes.
    pub fn run(self) -> Result<()> {
        let (vk_file, vk) = io::load_verifying_key(&self.key.path())?;
        let options = VerifierOptions {
            contract_name: self.contract_name.clone(),
            expected_public_inputs: public_input_count(&vk_file.config),
        };
        let generated = generate(&vk, &options).context("cannot generate the verifier")?;
        let toolchain = Toolchain::discover()?;
        let out = self.out.clone().unwrap_or_else(|| {
            toolchain
                .contracts_dir()
                .join("src")
                .join("verifier")
                .join(format!("{}.sol", self.contract_name))
        });
        let artifact_path =
            self.artifact.clone().unwrap_or_else(|| out.with_extension("artifact.json"));
        for path in [&out, &artifact_path] {
            if path.exists() && !self.force {
                anyhow::bail!("{} exists; pass --force to replace it", path.display());
            }
        }
        let sources =
            BTreeMap::from([(format!("{}.sol", self.contract_name), generated.source.clone())]);
        let compiled = ui::timed("compiling the verifier", || {
            compile_contract(&toolchain, &sources, &self.contract_name, &CompileSettings::default())
        })
        .0
        .context("the generated verifier does not compile")?;
        let key_hash = format!("0x{}", hex::encode(generated.key_hash));
        let artifact = json!({
            "version": proofgate_prover::config::FORMAT_VERSION,
            "contract": self.contract_name,
            "verifying_key_hash": key_hash,
            "public_inputs": generated.public_inputs,
            "compiler": compiled.compiler_version,
            "abi": compiled.abi,
            "bytecode": format!("0x{}", hex::encode(&compiled.bytecode)),
            "deployed_bytecode": format!("0x{}", hex::encode(&compiled.deployed_bytecode)),
        });
        let dir =
            out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
        let mut staged = Staged::in_dir(dir)?;
        staged.add(&out, generated.source.as_bytes())?;
        if let Some(parent) = artifact_path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        staged.add_json(&artifact_path, &artifact)?;
        staged.commit()?;
        ui::emit(
            &json!({
                "source": out,
                "artifact": artifact_path,
                "verifying_key_hash": key_hash,
                "public_inputs": generated.public_inputs,
                "deployed_bytes": compiled.deployed_bytecode.len(),
            }),
            || {
                format!(
                    "wrote {} and {}\nverifying key hash {key_hash}, {} public inputs, {} bytes of runtime code",
                    out.display(),
                    artifact_path.display(),
                    generated.public_inputs,
                    compiled.deployed_bytecode.len()
                )
            },
        )
    }
}

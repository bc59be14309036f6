//! `proofgate prove`: a proof that a trade passes the certified model and every risk limit.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Args;
use proofgate_prover::{evaluate, files, snark, CircuitConfig, Model, RiskParams, Statement};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::json;
use tracing::info;

use super::violations::{self, check_name, describe};
use super::ProvingKeySource;
use crate::io;
use crate::ui::{self, Rejected};

/// Prove that the statement's trade passes the model and every risk limit, and write the proof.
///
/// The trade is first checked natively: one that breaks a limit is refused with the list of
/// violations (exit status 1) and nothing is written.
#[derive(Debug, Args)]
pub struct ProveArgs {
    /// The proving key.
    #[command(flatten)]
    pub key: ProvingKeySource,
    /// The certified model (model.json).
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,
    /// The risk parameters (risk_params.json).
    #[arg(long, value_name = "FILE")]
    pub params: PathBuf,
    /// The statement: portfolio, trade, binding and commitments (statement.json).
    #[arg(long, value_name = "FILE")]
    pub statement: PathBuf,
    /// Where to write the proof (proof.json).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// The prover's inputs, checked against the key's circuit.
struct Inputs {
    model: Model,
    params: RiskParams,
    statement: Statement,
}

impl ProveArgs {
    /// Reads the inputs (before the key, so malformed files fail fast).
    fn read_inputs(&self) -> Result<Inputs> {
        Ok(Inputs {
            model: io::read_json(&self.model, "model")?,
            params: io::read_json(&self.params, "risk parameters")?,
            statement: io::read_json(&self.statement, "statement")?,
        })
    }

    /// Checks the inputs against the key's circuit, naming the file and the mismatch.
    fn check_inputs(&self, inputs: &Inputs, config: &CircuitConfig) -> Result<()> {
        let Inputs { model, params, statement } = inputs;
        check_model(&self.model, model, config)?;
        params
            .check_against(config)
            .with_context(|| format!("{} does not fit the key's circuit", self.params.display()))?;
        if statement.holdings.len() != config.n_assets || statement.debts.len() != config.n_assets {
            bail!(
                "{} has {} holdings and {} debts, but the key's circuit has {} assets",
                self.statement.display(),
                statement.holdings.len(),
                statement.debts.len(),
                config.n_assets
            );
        }
        statement
            .check_against(config)
            .with_context(|| format!("{} does not fit the key's circuit", self.statement.display()))
    }

    /// Runs the prover.
    pub fn run(self) -> Result<()> {
        io::check_writable_file(&self.out)?;
        let inputs = self.read_inputs()?;
        let key_path = self.key.path();
        let (key, load_s) =
            ui::timed("loading the proving key", || io::load_proving_key(&key_path));
        let key = key?;
        let config = &key.config;
        info!(key = %key_path.display(), load_s, "proving key loaded");
        self.check_inputs(&inputs, config)?;
        let Inputs { model, params, statement } = inputs;

        let evaluation =
            evaluate(config, &model, &params, &statement).context("cannot evaluate the trade")?;
        if !evaluation.passes() {
            return Err(self.refuse(config, &model, &params, &statement, &evaluation));
        }

        let mut rng = StdRng::from_entropy();
        let (proved, total_s) =
            ui::timed("proving", || snark::prove(&key, &model, &params, &statement, &mut rng));
        let (proof, timings) = proved.context("proving failed")?;
        let public_inputs = statement.public_inputs(config)?;
        let (valid, verify_s) = ui::timed("checking the proof", || {
            snark::verify(&snark::prepare(&key.pk.vk), &public_inputs, &proof)
        });
        if !valid.context("cannot check the new proof")? {
            bail!("the new proof does not verify against the key (a prover bug); nothing written");
        }
        let file = files::encode_proof(&proof, &public_inputs, &statement)?;
        files::write_json(&self.out, &file)
            .with_context(|| format!("cannot write the proof to {}", self.out.display()))?;

        let vk_hash = files::vk_hash(&key.pk.vk)?;
        info!(out = %self.out.display(), witness_s = timings.witness_s, prove_s = timings.prove_s, "proof written");
        let score = evaluation.metrics.score.to_string();
        ui::emit(
            &json!({
                "out": self.out,
                "vk_hash": vk_hash,
                "public_inputs": file.public_inputs,
                "score": score,
                "timings_s": {
                    "load_key": load_s,
                    "witness": timings.witness_s,
                    "prove": timings.prove_s,
                    "total": total_s,
                    "self_verify": verify_s,
                },
            }),
            || {
                format!(
                    "proof written to {}\n\
                     vk hash:       {vk_hash}\n\
                     public inputs: {}\n\
                     timings:       load key {load_s:.2} s, witness {:.2} s, prove {:.2} s, self-check {:.3} s",
                    self.out.display(),
                    file.public_inputs.len(),
                    timings.witness_s,
                    timings.prove_s,
                    verify_s,
                )
            },
        )
    }

    /// The error for a trade that breaks the checks, after printing the violations.
    fn refuse(
        &self,
        config: &CircuitConfig,
        model: &Model,
        params: &RiskParams,
        statement: &Statement,
        evaluation: &proofgate_prover::Evaluation,
    ) -> anyhow::Error {
        let cx =
            violations::Context { config, model, params, statement, metrics: &evaluation.metrics };
        let described: Vec<(&str, String)> =
            evaluation.violations.iter().map(|v| (check_name(v), describe(v, &cx))).collect();
        if ui::json() {
            let list: Vec<_> =
                described.iter().map(|(c, t)| json!({ "check": c, "detail": t })).collect();
            let value = json!({ "ok": false, "exit_code": ui::EXIT_REJECTED, "violations": list });
            if let Err(e) = ui::emit(&value, String::new) {
                return e;
            }
        }
        let lines: Vec<String> = described.iter().map(|(_, t)| format!("\n  - {t}")).collect();
        Rejected(format!(
            "REFUSED: the trade in {} breaks {} risk check(s), so no proof exists and nothing was written:{}",
            self.statement.display(),
            described.len(),
            lines.concat()
        ))
        .into()
    }
}

/// Checks a model against the key's circuit, naming the layer sizes when they differ.
fn check_model(path: &Path, model: &Model, config: &CircuitConfig) -> Result<()> {
    if model.layer_sizes() != config.layer_sizes() {
        bail!(
            "{}: model layer sizes {:?} do not match the key's {:?}",
            path.display(),
            model.layer_sizes(),
            config.layer_sizes()
        );
    }
    model
        .check_against(config)
        .with_context(|| format!("{} does not fit the key's circuit", path.display()))
}

//! Deterministic proof fixtures for the forge tests: the verifier contract and one proof per
//! case, all derived from fixed seeds, so that `scripts/regen-fixtures` always writes the same
//! bytes and the e2e test `fixtures` can tell when the committed files are stale.
//!
//! # DEVELOPMENT ONLY: these keys are forgeable
//! The Groth16 setup here draws its "toxic waste" (tau, alpha, beta, gamma, delta) from
//! `StdRng::seed_from_u64(FIXTURE_SEED)`, a seed published in this file. Anyone can re-derive
//! the trapdoor and forge a proof of any statement for the generated `RiskVerifier`. Never deploy
//! it outside a local test chain; production keys come from a multi-party ceremony.
//!
//! # What is generated
//! - `contracts/src/verifier/RiskVerifier.sol`: the verifier of the default circuit (8 assets).
//! - `contracts/test/fixtures/proofs.json` ([`ProofsFile`]): for the scenario
//!   ([`crate::scenario`]), one valid proof per honest trade (a trade `after` another is proven
//!   against the state that one leaves, at the next nonce) and four proofs that are valid for
//!   their own statement but not for the statement the vault computes for the first trade:
//!   `uncertified_model` (another model's commitment), `other_vault` ([`OTHER_VAULT`]),
//!   `other_agent` (the scenario's `other_agent`) and `other_chain` ([`OTHER_CHAIN_ID`]). They
//!   use the first trade's nonce, so the forge tests submit them before that trade executes.
//! - `contracts/test/fixtures/SolvencyVerifier.sol` and `solvency.json`: the development solvency
//!   verifier and attestation proofs ([`crate::solvency`]).
//!
//! The certified model and the "uncertified" one are `Model::random` with fixed seeds; the risk
//! parameters are `RiskParams::typical` with `max_score` one unit above the highest score among
//! the cases, so every case is provable and only the binding or commitment tells them apart.

use std::path::{Path, PathBuf};
use std::time::Instant;

use ark_bn254::{Bn254, Fr};
use ark_groth16::VerifyingKey;
use num_traits::ToPrimitive;
use proofgate_prover::snark::{self, ProverKey};
use proofgate_prover::statement::{public_input_count, Binding, Statement};
use proofgate_prover::{evaluate, files, serde_fr, CircuitConfig, Model, RiskParams};
use proofgate_verifier_codegen::calldata::proof_words;
use proofgate_verifier_codegen::{generate as generate_verifier, key_hash, VerifierOptions};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

use crate::scenario::{Scenario, ScenarioTrade};
use crate::solvency::{SolvencyFixtures, SOLVENCY_PATH, SOLVENCY_VERIFIER_PATH};
use crate::{prover_err, Error};

/// The published seed of the development setup (see the module docs: forgeable by design).
/// The models and the proofs use seeds derived from it.
pub const FIXTURE_SEED: u64 = 0x5052_4f4f_4647_4154; // "PROOFGAT"
/// Seed offset of the certified model.
const CERTIFIED_MODEL_SEED: u64 = 1;
/// Seed offset of the uncertified model.
const UNCERTIFIED_MODEL_SEED: u64 = 2;
/// Seed offset of the first case's proof; case `i` uses this plus `i`.
const PROOF_SEED: u64 = 100;

/// The generated verifier contract's name.
pub const VERIFIER_CONTRACT: &str = "RiskVerifier";
/// The generated verifier, relative to the repository root.
pub const VERIFIER_PATH: &str = "contracts/src/verifier/RiskVerifier.sol";
/// The scenario the fixtures are made for, relative to the repository root.
pub const SCENARIO_PATH: &str = "contracts/test/fixtures/scenario.json";
/// The fixture proofs, relative to the repository root.
pub const PROOFS_PATH: &str = "contracts/test/fixtures/proofs.json";
/// The command that regenerates the fixtures.
pub const REGEN_COMMAND: &str = "scripts/regen-fixtures";
/// The generator's name in [`ProofsFile::generator`].
pub const GENERATOR: &str = "regen-fixtures";
/// Format version of [`ProofsFile`].
pub const PROOFS_VERSION: u64 = 1;
/// The vault address of the `other_vault` case.
pub const OTHER_VAULT: [u8; 20] = [0x11; 20];
/// The chain id of the `other_chain` case (Ethereum mainnet).
pub const OTHER_CHAIN_ID: u64 = 1;

/// The repository root (this crate's parent directory).
pub fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// Whether the vault must accept a case's proof for the case's trade.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Expected {
    /// An honest proof: the vault executes the trade.
    Valid,
    /// A proof of another statement: the vault reverts.
    Invalid,
}

/// One fixture proof.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// The case's name: the trade's name for an honest case.
    pub name: String,
    /// The name of the scenario trade the proof is submitted for.
    pub trade: String,
    /// The public inputs the proof was made for (decimal, wire order). For an invalid case they
    /// differ from those the vault computes.
    pub public_inputs: Vec<String>,
    /// The proof as the verifier takes it (decimal): A.x, A.y, B.x.c1, B.x.c0, B.y.c1, B.y.c0,
    /// C.x, C.y.
    pub proof: Vec<String>,
    /// What the vault must do with it.
    pub expected: Expected,
}

/// `contracts/test/fixtures/proofs.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofsFile {
    /// Format version ([`PROOFS_VERSION`]).
    pub version: u64,
    /// [`GENERATOR`].
    pub generator: String,
    /// keccak256 of the verifying key (the generated verifier's `VERIFYING_KEY_HASH`), hex.
    pub verifier_key_hash: String,
    /// The certified model's commitment, decimal.
    pub model_commitment: String,
    /// The risk parameters' commitment, decimal.
    pub params_commitment: String,
    /// The uncertified model's commitment, decimal.
    pub uncertified_model_commitment: String,
    /// The cases: honest ones in trade order, then the invalid ones.
    pub cases: Vec<Case>,
}

/// Seconds spent generating.
#[derive(Clone, Copy, Debug, Default)]
pub struct Timings {
    /// The Groth16 setup.
    pub setup_s: f64,
    /// Every proof, witness generation included.
    pub prove_s: f64,
    /// The solvency setup and proofs.
    pub solvency_s: f64,
}

/// Everything [`generate`] produces.
#[derive(Clone, Debug)]
pub struct Fixtures {
    /// The development verifying key.
    pub vk: VerifyingKey<Bn254>,
    /// The verifier's Solidity source.
    pub verifier_source: String,
    /// The fixture proofs.
    pub proofs: ProofsFile,
    /// The solvency verifier and attestation proofs.
    pub solvency: SolvencyFixtures,
    /// Where the time went.
    pub timings: Timings,
}

impl Fixtures {
    /// The bytes of `proofs.json`: pretty JSON and a final newline.
    pub fn proofs_json(&self) -> Result<String, Error> {
        Ok(serde_json::to_string_pretty(&self.proofs)? + "\n")
    }

    /// Each generated file's path (relative to the repository root) and contents.
    pub fn files(&self) -> Result<[(&'static str, String); 4], Error> {
        Ok([
            (VERIFIER_PATH, self.verifier_source.clone()),
            (PROOFS_PATH, self.proofs_json()?),
            (SOLVENCY_VERIFIER_PATH, self.solvency.verifier_source.clone()),
            (SOLVENCY_PATH, self.solvency.json()?),
        ])
    }

    /// Writes the files under `root`, each atomically.
    pub fn write(&self, root: &Path) -> Result<(), Error> {
        for (relative, contents) in self.files()? {
            let path = root.join(relative);
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)
                    .map_err(|source| Error::Io { path: dir.to_path_buf(), source })?;
            }
            files::write_atomic(&path, contents.as_bytes()).map_err(prover_err("writing"))?;
        }
        Ok(())
    }
}

/// The deterministic DEVELOPMENT setup: forgeable by anyone who reads [`FIXTURE_SEED`].
pub fn development_setup(
    config: &CircuitConfig,
) -> Result<(ProverKey, VerifyingKey<Bn254>), Error> {
    snark::setup_with_seed(config, FIXTURE_SEED).map_err(prover_err("setup"))
}

/// A case before proving.
struct CaseSpec<'a> {
    name: String,
    trade: &'a ScenarioTrade,
    statement: Statement,
    model: &'a Model,
    expected: Expected,
}

/// The certified and uncertified models, the parameters the fixtures use, and their commitments.
struct Models {
    certified: Model,
    uncertified: Model,
    params: RiskParams,
    certified_commitment: Fr,
    uncertified_commitment: Fr,
    params_commitment: Fr,
}

impl Models {
    /// The seeded models and typical parameters whose `max_score` admits every case.
    fn new(config: &CircuitConfig, scenario: &Scenario) -> Result<Self, Error> {
        let model =
            |offset| Model::random(config, &mut StdRng::seed_from_u64(FIXTURE_SEED + offset));
        let (certified, uncertified) = (model(CERTIFIED_MODEL_SEED), model(UNCERTIFIED_MODEL_SEED));
        let mut params = RiskParams::typical(config);
        params.max_score = score_limit(config, scenario, &params, &certified, &uncertified)?;
        let commit = |m: &Model, what: &str| m.commitment(config).map_err(prover_err(what));
        Ok(Self {
            certified_commitment: commit(&certified, "certified model")?,
            uncertified_commitment: commit(&uncertified, "uncertified model")?,
            params_commitment: params.commitment(config).map_err(prover_err("risk parameters"))?,
            certified,
            uncertified,
            params,
        })
    }
}

/// Generates the verifier and every fixture proof for `scenario`, in memory.
pub fn generate(scenario: &Scenario) -> Result<Fixtures, Error> {
    let config = CircuitConfig::default();
    scenario.check()?;
    if scenario.assets.len() != config.n_assets {
        return Err(Error::Scenario(format!(
            "{} assets, the circuit has {}",
            scenario.assets.len(),
            config.n_assets
        )));
    }
    let start = Instant::now();
    let (key, vk) = development_setup(&config)?;
    let setup_s = start.elapsed().as_secs_f64();
    tracing::info!(target: "proofgate::fixtures", setup_s, "development setup (seeded, forgeable)");
    let options = VerifierOptions {
        contract_name: VERIFIER_CONTRACT.into(),
        expected_public_inputs: public_input_count(&config),
    };
    let verifier_source = generate_verifier(&vk, &options)?.source;

    let models = Models::new(&config, scenario)?;
    let specs = case_specs(&config, scenario, &models)?;

    let start = Instant::now();
    let mut cases = Vec::with_capacity(specs.len());
    for (i, spec) in specs.iter().enumerate() {
        let seed = FIXTURE_SEED + PROOF_SEED + i as u64;
        let context = format!("proving case {:?}", spec.name);
        let (proof, _) =
            snark::prove_with_seed(&key, spec.model, &models.params, &spec.statement, seed)
                .map_err(prover_err(context.clone()))?;
        let inputs = spec.statement.public_inputs(&config).map_err(prover_err(context))?;
        tracing::info!(target: "proofgate::fixtures", case = %spec.name, "proved");
        cases.push(Case {
            name: spec.name.clone(),
            trade: spec.trade.name.clone(),
            public_inputs: inputs.iter().map(serde_fr::to_decimal).collect(),
            proof: proof_words(&proof).iter().map(ToString::to_string).collect(),
            expected: spec.expected,
        });
    }
    let prove_s = start.elapsed().as_secs_f64();

    let start = Instant::now();
    let solvency = crate::solvency::generate(scenario)?;
    let solvency_s = start.elapsed().as_secs_f64();

    let proofs = ProofsFile {
        version: PROOFS_VERSION,
        generator: GENERATOR.into(),
        verifier_key_hash: format!("0x{}", hex::encode(key_hash(&vk)?)),
        model_commitment: serde_fr::to_decimal(&models.certified_commitment),
        params_commitment: serde_fr::to_decimal(&models.params_commitment),
        uncertified_model_commitment: serde_fr::to_decimal(&models.uncertified_commitment),
        cases,
    };
    Ok(Fixtures {
        vk,
        verifier_source,
        proofs,
        solvency,
        timings: Timings { setup_s, prove_s, solvency_s },
    })
}

/// One activation unit above the highest score of the cases: the certified model on every trade
/// and the uncertified one on the first trade.
fn score_limit(
    config: &CircuitConfig,
    scenario: &Scenario,
    params: &RiskParams,
    certified: &Model,
    uncertified: &Model,
) -> Result<i64, Error> {
    let first = &scenario.trades[0];
    let runs = scenario.trades.iter().map(|t| (t, certified));
    let mut best = i64::MIN;
    for (trade, model) in runs.chain([(first, uncertified)]) {
        let statement = scenario.statement(
            trade,
            scenario.binding(trade),
            Default::default(),
            Default::default(),
        )?;
        let score = evaluate(config, model, params, &statement)
            .map_err(prover_err(format!("evaluating trade {:?}", trade.name)))?
            .metrics
            .score;
        let score = score
            .to_i64()
            .ok_or_else(|| Error::Scenario(format!("score {score} of trade {:?}", trade.name)))?;
        best = best.max(score);
    }
    Ok(best.max(0) + (1i64 << config.activation_frac_bits))
}

/// The honest cases (checked against the reference: an honest trade that fails is an error
/// listing its violations) and the invalid ones for the first trade.
fn case_specs<'a>(
    config: &CircuitConfig,
    scenario: &'a Scenario,
    models: &'a Models,
) -> Result<Vec<CaseSpec<'a>>, Error> {
    let (certified, uncertified) = (models.certified_commitment, models.uncertified_commitment);
    let statement = |trade: &ScenarioTrade, binding: Binding, model| {
        scenario.statement(trade, binding, model, models.params_commitment)
    };
    let mut specs = Vec::new();
    for trade in &scenario.trades {
        let spec = CaseSpec {
            name: trade.name.clone(),
            trade,
            statement: statement(trade, scenario.binding(trade), certified)?,
            model: &models.certified,
            expected: Expected::Valid,
        };
        let evaluation = evaluate(config, spec.model, &models.params, &spec.statement)
            .map_err(prover_err(format!("evaluating trade {:?}", trade.name)))?;
        if !evaluation.passes() {
            return Err(Error::HonestTradeFails {
                trade: trade.name.clone(),
                violations: format!("{:?}", evaluation.violations),
            });
        }
        specs.push(spec);
    }

    let first = &scenario.trades[0];
    let honest = scenario.binding(first);
    let invalid = [
        ("uncertified_model", honest.clone(), uncertified, &models.uncertified),
        (
            "other_vault",
            Binding { vault: OTHER_VAULT, ..honest.clone() },
            certified,
            &models.certified,
        ),
        (
            "other_agent",
            Binding { agent: scenario.other_agent, ..honest.clone() },
            certified,
            &models.certified,
        ),
        (
            "other_chain",
            Binding { chain_id: OTHER_CHAIN_ID, ..honest.clone() },
            certified,
            &models.certified,
        ),
    ];
    let honest_inputs = specs[0].statement.public_inputs(config).map_err(prover_err("inputs"))?;
    for (name, binding, commitment, model) in invalid {
        let spec = CaseSpec {
            name: name.into(),
            trade: first,
            statement: statement(first, binding, commitment)?,
            model,
            expected: Expected::Invalid,
        };
        if spec.statement.public_inputs(config).map_err(prover_err("inputs"))? == honest_inputs {
            return Err(Error::Scenario(format!(
                "case {name} would prove the honest statement of trade {:?} (same vault, agent or chain)",
                first.name
            )));
        }
        specs.push(spec);
    }
    let mut names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
    names.sort_unstable();
    if let Some(pair) = names.windows(2).find(|p| p[0] == p[1]) {
        return Err(Error::Scenario(format!("two cases are named {:?}", pair[0])));
    }
    Ok(specs)
}

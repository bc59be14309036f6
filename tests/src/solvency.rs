//! Deterministic solvency fixtures for the forge tests of the attestor: the verifier of the
//! development solvency key and real proofs of the scenario vault's liabilities.
//!
//! # DEVELOPMENT ONLY: these keys are forgeable
//! The solvency setup draws its trapdoor from `StdRng::seed_from_u64(FIXTURE_SEED +
//! SOLVENCY_SETUP_SEED)`, published here: anyone can forge attestations for the generated
//! `SolvencyVerifier`. Never deploy it outside a local test chain.
//!
//! # What is generated
//! - `contracts/test/fixtures/SolvencyVerifier.sol`: the verifier of the development key for the
//!   scenario's asset count (8) and a tree of depth [`SOLVENCY_DEPTH`] (3), generated exactly as
//!   `proofgate-agent deploy` generates the solvency verifier (contract `SolvencyVerifier`).
//! - `contracts/test/fixtures/solvency.json` ([`SolvencyFile`]): for the scenario's chain, vault,
//!   agent and solvency attestor (`solvency_attestor`, where `SolvencyAttestor.real.t.sol`
//!   deploys it), with the deadline [`deadline`] (the scenario's timestamp plus
//!   [`DEADLINE_AFTER`]), `book_epoch_1..3` (one book of [`DEPOSITORS`] depositors attested at epochs 1, 2
//!   and 3) and `empty_epoch_1` (no depositors: every total 0).
//!
//! # The book
//! Asset `a`'s total is 1 % of the scenario's balance, capped at [`MAX_TOTAL`] token units so
//! that every depositor's share stays below 2^64 (1 % of the scenario's larger 18-decimal
//! balances does not fit five 64-bit balances); depositor `k` holds `SHARES[k]` percent of it
//! (the first the rounding remainder).

use ark_bn254::Bn254;
use ark_groth16::VerifyingKey;
use proofgate_prover::serde_fr::{self, address};
use proofgate_prover::solvency::attestation::{
    public_input_count, witness_leaves, SolvencyStatement, SolvencyWitness,
};
use proofgate_prover::solvency::{to_u128, Depositor, Depositors, SolvencyKeys, SumTree};
use proofgate_verifier_codegen::calldata::proof_words;
use proofgate_verifier_codegen::{generate as generate_verifier, key_hash, VerifierOptions};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

use crate::fixtures::{FIXTURE_SEED, GENERATOR};
use crate::scenario::Scenario;
use crate::{prover_err, Error};

/// The generated solvency verifier's contract name (as `proofgate-agent deploy` names it).
pub const SOLVENCY_VERIFIER_CONTRACT: &str = "SolvencyVerifier";
/// The generated solvency verifier, relative to the repository root.
pub const SOLVENCY_VERIFIER_PATH: &str = "contracts/test/fixtures/SolvencyVerifier.sol";
/// The solvency fixture proofs, relative to the repository root.
pub const SOLVENCY_PATH: &str = "contracts/test/fixtures/solvency.json";
/// Format version of [`SolvencyFile`].
pub const SOLVENCY_FILE_VERSION: u64 = 1;
/// The liabilities tree's depth: 8 leaves.
pub const SOLVENCY_DEPTH: u32 = 3;
/// Seed offset of the solvency setup.
const SOLVENCY_SETUP_SEED: u64 = 10;
/// Seed offset of the first solvency proof; case `i` uses this plus `i`.
const SOLVENCY_PROOF_SEED: u64 = 200;
/// How long after the scenario's timestamp the fixture proofs' deadline falls: 365 days.
pub const DEADLINE_AFTER: u64 = 365 * 86_400;
/// Depositors of the book.
pub const DEPOSITORS: usize = 5;
/// Each depositor's share of every total, percent.
const SHARES: [u128; DEPOSITORS] = [30, 25, 20, 15, 10];
/// The largest total of one asset: its largest share (30 %) stays below 2^64.
pub const MAX_TOTAL: u128 = 50_000_000_000_000_000_000;

/// One attestation proof.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SolvencyCase {
    /// `book_epoch_<e>` or `empty_epoch_<e>`.
    pub name: String,
    /// The epoch attested.
    pub epoch: u64,
    /// The proof's deadline (unix seconds), as `attestSolvency` takes it.
    pub deadline: u64,
    /// The liabilities tree's root hash (decimal), the attestor's `liabilitiesRoot`.
    pub root: String,
    /// The per-asset totals (decimal token units), as `attestSolvency` takes them.
    pub totals: Vec<String>,
    /// The public inputs (decimal, wire order): binding, root, packed totals.
    pub public_inputs: Vec<String>,
    /// The proof as the verifier takes it (decimal): A.x, A.y, B.x.c1, B.x.c0, B.y.c1, B.y.c0,
    /// C.x, C.y.
    pub proof: Vec<String>,
}

/// `contracts/test/fixtures/solvency.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SolvencyFile {
    /// Format version ([`SOLVENCY_FILE_VERSION`]).
    pub version: u64,
    /// [`GENERATOR`].
    pub generator: String,
    /// The scenario's chain id.
    pub chain_id: u64,
    /// The scenario's vault (`0x` and 40 lower-case hex digits).
    #[serde(with = "address")]
    pub vault: [u8; 20],
    /// The scenario's agent.
    #[serde(with = "address")]
    pub agent: [u8; 20],
    /// The attestor the proofs are bound to (the scenario's `solvency_attestor`).
    #[serde(with = "address")]
    pub attestor: [u8; 20],
    /// Every case's deadline ([`deadline`]).
    pub deadline: u64,
    /// The number of assets (the scenario's).
    pub n_assets: usize,
    /// The tree's depth.
    pub depth: u32,
    /// keccak256 of the verifying key (the verifier's `VERIFYING_KEY_HASH`), hex.
    pub verifier_key_hash: String,
    /// The cases.
    pub cases: Vec<SolvencyCase>,
}

/// The generated solvency verifier and proofs.
#[derive(Clone, Debug)]
pub struct SolvencyFixtures {
    /// The development solvency verifying key.
    pub vk: VerifyingKey<Bn254>,
    /// `SolvencyVerifier.sol`.
    pub verifier_source: String,
    /// `solvency.json`.
    pub file: SolvencyFile,
}

impl SolvencyFixtures {
    /// The bytes of `solvency.json`: pretty JSON and a final newline.
    pub fn json(&self) -> Result<String, Error> {
        Ok(serde_json::to_string_pretty(&self.file)? + "\n")
    }
}

/// The fixture book: [`DEPOSITORS`] depositors sharing totals of about 1 % of the scenario's
/// balances (see the module docs), or nobody when `empty`.
pub fn book(scenario: &Scenario, empty: bool) -> Result<Depositors, Error> {
    let assets: Vec<String> = scenario.assets.iter().map(|a| a.symbol.clone()).collect();
    let totals: Vec<u128> =
        scenario.assets.iter().map(|a| (a.balance / 100).min(MAX_TOTAL)).collect();
    let depositors = if empty {
        Vec::new()
    } else {
        (0..DEPOSITORS)
            .map(|k| {
                let balances = totals
                    .iter()
                    .map(|&t| {
                        let mut share = t * SHARES[k] / 100;
                        if k == 0 {
                            share += t - SHARES.iter().map(|s| t * s / 100).sum::<u128>();
                        }
                        u64::try_from(share).map_err(|_| {
                            Error::Scenario(format!("a fixture balance {share} exceeds 2^64"))
                        })
                    })
                    .collect::<Result<Vec<u64>, Error>>()?;
                Ok(Depositor { id: format!("fixture-depositor-{k}"), balances })
            })
            .collect::<Result<Vec<_>, Error>>()?
    };
    Depositors::new(assets, depositors).map_err(prover_err("fixture depositors"))
}

/// The fixture proofs' deadline: the scenario's timestamp plus [`DEADLINE_AFTER`].
pub fn deadline(scenario: &Scenario) -> Result<u64, Error> {
    scenario
        .timestamp
        .checked_add(DEADLINE_AFTER)
        .ok_or_else(|| Error::Scenario(format!("timestamp {} overflows", scenario.timestamp)))
}

/// Generates the solvency verifier and proofs for `scenario`.
pub fn generate(scenario: &Scenario) -> Result<SolvencyFixtures, Error> {
    let n = scenario.assets.len();
    let deadline = deadline(scenario)?;
    let mut setup_rng = StdRng::seed_from_u64(FIXTURE_SEED + SOLVENCY_SETUP_SEED);
    let keys = SolvencyKeys::setup(n, SOLVENCY_DEPTH, &mut setup_rng)
        .map_err(prover_err("solvency setup"))?;
    let options = VerifierOptions {
        contract_name: SOLVENCY_VERIFIER_CONTRACT.into(),
        expected_public_inputs: public_input_count(n),
    };
    let verifier_source = generate_verifier(keys.vk(), &options)?.source;

    let cases =
        [("book_epoch_1", 1, false), ("book_epoch_2", 2, false), ("book_epoch_3", 3, false)]
            .into_iter()
            .chain([("empty_epoch_1", 1, true)]);
    let mut out = Vec::new();
    for (i, (name, epoch, empty)) in cases.enumerate() {
        let depositors = book(scenario, empty)?;
        let tree =
            SumTree::build(&depositors, SOLVENCY_DEPTH).map_err(prover_err("fixture tree"))?;
        let root = tree.root();
        let totals = root
            .totals
            .iter()
            .map(|t| to_u128(t).ok_or_else(|| Error::Scenario("a total above 2^128".into())))
            .collect::<Result<Vec<u128>, Error>>()?;
        let statement = SolvencyStatement {
            agent: scenario.agent,
            attestor: scenario.solvency_attestor,
            vault: scenario.vault,
            chain_id: scenario.chain_id,
            epoch,
            deadline,
            root: root.hash,
            totals: totals.clone(),
        };
        let witness = SolvencyWitness { leaves: witness_leaves(&depositors, SOLVENCY_DEPTH) };
        let mut rng = StdRng::seed_from_u64(FIXTURE_SEED + SOLVENCY_PROOF_SEED + i as u64);
        let (proof, inputs) = keys
            .prove(&statement, &witness, &mut rng)
            .map_err(prover_err(format!("proving solvency case {name:?}")))?;
        tracing::info!(target: "proofgate::fixtures", case = name, "proved solvency");
        out.push(SolvencyCase {
            name: name.into(),
            epoch,
            deadline,
            root: serde_fr::to_decimal(&root.hash),
            totals: totals.iter().map(ToString::to_string).collect(),
            public_inputs: inputs.iter().map(serde_fr::to_decimal).collect(),
            proof: proof_words(&proof).iter().map(ToString::to_string).collect(),
        });
    }
    let file = SolvencyFile {
        version: SOLVENCY_FILE_VERSION,
        generator: GENERATOR.into(),
        chain_id: scenario.chain_id,
        vault: scenario.vault,
        agent: scenario.agent,
        attestor: scenario.solvency_attestor,
        deadline,
        n_assets: n,
        depth: SOLVENCY_DEPTH,
        verifier_key_hash: format!("0x{}", hex::encode(key_hash(keys.vk())?)),
        cases: out,
    };
    Ok(SolvencyFixtures { vk: keys.vk().clone(), verifier_source, file })
}

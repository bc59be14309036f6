//! Deterministic solvency fixtures for the forge tests of the attestor: the verifier of the
//! development batch key and real batch proofs of the scenario vault's liabilities.
//!
//! # DEVELOPMENT ONLY: these keys are forgeable
//! The solvency setup draws its trapdoor from `StdRng::seed_from_u64(FIXTURE_SEED +
//! SOLVENCY_SETUP_SEED)`, published here: anyone can forge attestations for the generated
//! `SolvencyVerifier`. Never deploy it outside a local test chain.
//!
//! # What is generated
//! - `contracts/test/fixtures/SolvencyVerifier.sol`: the verifier of the development key of the
//!   shape [`shape`] (the scenario's 8 assets, 64-bit balances, batches of 2^[`BATCH_DEPTH`]
//!   leaves), generated exactly as `proofgate-agent deploy` generates the solvency verifier
//!   (contract `SolvencyVerifier`).
//! - `contracts/test/fixtures/solvency.json` ([`SolvencyFile`], version 3): for the scenario's
//!   chain, vault, agent and solvency attestor (`solvency_attestor`, where
//!   `SolvencyAttestor.real.t.sol` deploys it), with the deadline [`deadline`], the cases
//!   `book_epoch_1` and `book_epoch_2` (a book of [`BOOK`] depositors in three batches),
//!   `small_epoch_3` (a book of [`SMALL`] depositors in one batch) and `empty_epoch_1` (no
//!   depositors: one padded batch, every total 0). Each case lists its batches in index order
//!   (root, sums, public inputs, proof), the accumulator and the totals.
//!
//! # The books
//! Asset `a`'s total is 1 % of the scenario's balance, capped at [`MAX_TOTAL`] token units so
//! that every depositor's share stays below 2^64; depositor `k` holds `shares[k]` percent of
//! it (the first also the rounding remainder).

use ark_bn254::Bn254;
use ark_groth16::VerifyingKey;
use proofgate_prover::serde_fr::{self, address};
use proofgate_prover::solvency::{
    Depositor, Depositors, EpochBinding, EpochTree, SolvencyKeys, SolvencyShape,
};
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
/// Format version of [`SolvencyFile`]: batches chained per case.
pub const SOLVENCY_FILE_VERSION: u64 = 3;
/// Balance width of the fixtures' shape.
pub const BALANCE_BITS: u32 = 64;
/// Batch depth of the fixtures' shape: 4 leaves per batch.
pub const BATCH_DEPTH: u32 = 2;
/// Seed offset of the solvency setup.
const SOLVENCY_SETUP_SEED: u64 = 10;
/// Seed offset of the first solvency proof; proof `i` (in case and batch order) uses this
/// plus `i`.
const SOLVENCY_PROOF_SEED: u64 = 200;
/// How long after the scenario's timestamp the fixture proofs' deadline falls: 365 days.
pub const DEADLINE_AFTER: u64 = 365 * 86_400;
/// Depositors of the three-batch book.
pub const BOOK: usize = 10;
/// Depositors of the one-batch book.
pub const SMALL: usize = 4;
/// Each depositor's share of every total in the three-batch book, percent.
const BOOK_SHARES: [u128; BOOK] = [16, 14, 12, 11, 10, 9, 8, 8, 7, 5];
/// Each depositor's share of every total in the one-batch book, percent.
const SMALL_SHARES: [u128; SMALL] = [40, 30, 20, 10];
/// The largest total of one asset: its largest share (40 %) stays below 2^64.
pub const MAX_TOTAL: u128 = 40_000_000_000_000_000_000;

/// One batch of a case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SolvencyBatch {
    /// The batch's index.
    pub index: u32,
    /// The batch root (decimal).
    pub root: String,
    /// The batch's per-asset sums (decimal token units).
    pub sums: Vec<String>,
    /// The public inputs (decimal, wire order): binding, root, packed sums.
    pub public_inputs: Vec<String>,
    /// The proof as the verifier takes it (decimal): A.x, A.y, B.x.c1, B.x.c0, B.y.c1, B.y.c0,
    /// C.x, C.y.
    pub proof: Vec<String>,
}

/// One epoch: its batches, accumulator and totals.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SolvencyCase {
    /// `book_epoch_<e>`, `small_epoch_<e>` or `empty_epoch_<e>`.
    pub name: String,
    /// The epoch attested.
    pub epoch: u64,
    /// The proofs' deadline (unix seconds).
    pub deadline: u64,
    /// The number of batches.
    pub batch_count: u32,
    /// The batches, in index order.
    pub batches: Vec<SolvencyBatch>,
    /// The keccak accumulator over the batches (`0x` and 64 hex digits): the attestor's
    /// `liabilitiesRoot`.
    pub accumulator: String,
    /// The per-asset totals (decimal token units).
    pub totals: Vec<String>,
}

/// The shape in the file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileShape {
    /// The number of assets.
    pub n_assets: usize,
    /// The balance width.
    pub balance_bits: u32,
    /// The batch depth.
    pub batch_depth: u32,
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
    /// The batch shape.
    pub shape: FileShape,
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

/// The fixtures' shape for `n_assets` assets.
pub fn shape(n_assets: usize) -> Result<SolvencyShape, Error> {
    SolvencyShape::new(n_assets, BALANCE_BITS, BATCH_DEPTH).map_err(prover_err("fixture shape"))
}

/// A fixture book: depositors holding `shares` percent of totals of about 1 % of the scenario's
/// balances (see the module docs); nobody for no shares.
pub fn book(scenario: &Scenario, shares: &[u128]) -> Result<Depositors, Error> {
    let assets: Vec<String> = scenario.assets.iter().map(|a| a.symbol.clone()).collect();
    let totals: Vec<u128> =
        scenario.assets.iter().map(|a| (a.balance / 100).min(MAX_TOTAL)).collect();
    let depositors = (0..shares.len())
        .map(|k| {
            let balances = totals
                .iter()
                .map(|&t| {
                    let mut share = t * shares[k] / 100;
                    if k == 0 {
                        share += t - shares.iter().map(|s| t * s / 100).sum::<u128>();
                    }
                    if share >> BALANCE_BITS != 0 {
                        return Err(Error::Scenario(format!(
                            "a fixture balance {share} is 2^{BALANCE_BITS} or more"
                        )));
                    }
                    Ok(share)
                })
                .collect::<Result<Vec<u128>, Error>>()?;
            Ok(Depositor { id: format!("fixture-depositor-{k}"), balances })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    Depositors::new(assets, depositors).map_err(prover_err("fixture depositors"))
}

/// The fixture proofs' deadline: the scenario's timestamp plus [`DEADLINE_AFTER`].
pub fn deadline(scenario: &Scenario) -> Result<u64, Error> {
    scenario
        .timestamp
        .checked_add(DEADLINE_AFTER)
        .ok_or_else(|| Error::Scenario(format!("timestamp {} overflows", scenario.timestamp)))
}

fn decimals<T: ToString>(values: &[T]) -> Vec<String> {
    values.iter().map(ToString::to_string).collect()
}

/// Proves every batch of `book` at `epoch` (proof seeds from `*seed` on).
fn case(
    keys: &SolvencyKeys,
    scenario: &Scenario,
    (name, epoch, book): (&str, u64, &Depositors),
    seed: &mut u64,
) -> Result<SolvencyCase, Error> {
    let tree = EpochTree::build(book, keys.shape).map_err(prover_err("fixture epoch"))?;
    let binding = EpochBinding {
        agent: scenario.agent,
        attestor: scenario.solvency_attestor,
        vault: scenario.vault,
        chain_id: scenario.chain_id,
        epoch,
        deadline: deadline(scenario)?,
    };
    let mut batches = Vec::with_capacity(tree.batch_count());
    for i in 0..tree.batch_count() {
        let statement = tree.batch_statement(i, &binding).map_err(prover_err("statement"))?;
        let witness = tree.batch_witness(i).map_err(prover_err("witness"))?;
        let mut rng = StdRng::seed_from_u64(FIXTURE_SEED + SOLVENCY_PROOF_SEED + *seed);
        *seed += 1;
        let (proof, inputs) = keys
            .prove_batch(&statement, &witness, &mut rng)
            .map_err(prover_err(format!("proving batch {i} of solvency case {name:?}")))?;
        batches.push(SolvencyBatch {
            index: statement.batch_index,
            root: serde_fr::to_decimal(&statement.root),
            sums: decimals(&statement.sums),
            public_inputs: inputs.iter().map(serde_fr::to_decimal).collect(),
            proof: proof_words(&proof).iter().map(ToString::to_string).collect(),
        });
    }
    tracing::info!(target: "proofgate::fixtures", case = name, batches = batches.len(), "proved solvency");
    let chain = tree.chain();
    Ok(SolvencyCase {
        name: name.into(),
        epoch,
        deadline: binding.deadline,
        batch_count: batches.len() as u32,
        batches,
        accumulator: format!("0x{}", hex::encode(chain.accumulator)),
        totals: decimals(&chain.totals),
    })
}

/// Generates the solvency verifier and proofs for `scenario`.
pub fn generate(scenario: &Scenario) -> Result<SolvencyFixtures, Error> {
    let shape = shape(scenario.assets.len())?;
    let mut setup_rng = StdRng::seed_from_u64(FIXTURE_SEED + SOLVENCY_SETUP_SEED);
    let keys = SolvencyKeys::setup(shape, &mut setup_rng).map_err(prover_err("solvency setup"))?;
    let options = VerifierOptions {
        contract_name: SOLVENCY_VERIFIER_CONTRACT.into(),
        expected_public_inputs: shape.public_input_count(),
    };
    let verifier_source = generate_verifier(keys.vk(), &options)?.source;

    let (full, small, empty) =
        (book(scenario, &BOOK_SHARES)?, book(scenario, &SMALL_SHARES)?, book(scenario, &[])?);
    let mut seed = 0;
    let cases = [
        ("book_epoch_1", 1, &full),
        ("book_epoch_2", 2, &full),
        ("small_epoch_3", 3, &small),
        ("empty_epoch_1", 1, &empty),
    ]
    .into_iter()
    .map(|c| case(&keys, scenario, c, &mut seed))
    .collect::<Result<Vec<_>, Error>>()?;
    let file = SolvencyFile {
        version: SOLVENCY_FILE_VERSION,
        generator: GENERATOR.into(),
        chain_id: scenario.chain_id,
        vault: scenario.vault,
        agent: scenario.agent,
        attestor: scenario.solvency_attestor,
        deadline: deadline(scenario)?,
        shape: FileShape {
            n_assets: shape.n_assets,
            balance_bits: shape.balance_bits,
            batch_depth: shape.batch_depth,
        },
        verifier_key_hash: format!("0x{}", hex::encode(key_hash(keys.vk())?)),
        cases,
    };
    Ok(SolvencyFixtures { vk: keys.vk().clone(), verifier_source, file })
}

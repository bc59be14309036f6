//! The demo's proof step: a development setup of the risk circuit, a proof for a trade that
//! passes every check, the reference refusing one that does not, and the generated Solidity
//! verifier deployed on the same chain, accepting the proof and reverting on a forged one.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Instant;

use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, Bytes, U256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use proofgate_prover::fixtures::Example;
use proofgate_prover::statement::public_input_count;
use proofgate_prover::{evaluate, snark, CircuitConfig, Violation};
use proofgate_toolchain::Toolchain;
use proofgate_verifier_codegen::calldata::{input_words, proof_words, IGroth16Verifier};
use proofgate_verifier_codegen::{compile_contract, generate, CompileSettings, VerifierOptions};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tracing::info;

use crate::chain::confirm;
use crate::{Error, Result};

/// What the proof step measured.
#[derive(Clone, Debug)]
pub struct ProofReport {
    /// Assets and model layers of the circuit.
    pub config: CircuitConfig,
    /// Constraints of the circuit.
    pub constraints: usize,
    /// Seconds of the (development, single-party) setup.
    pub setup_s: f64,
    /// Seconds of witness generation and of the Groth16 prover.
    pub witness_s: f64,
    /// See `witness_s`.
    pub prove_s: f64,
    /// The checks the reference found broken in the limit-breaking trade.
    pub refused: Vec<Violation>,
    /// The deployed verifier.
    pub verifier: Address,
    /// Its runtime code size.
    pub verifier_code_bytes: usize,
    /// Gas of the transaction that verified the proof on chain.
    pub verify_tx_gas: u64,
    /// The decoded revert of the forged submission.
    pub forged_revert: String,
}

fn error(what: &str, e: impl fmt::Display) -> Error {
    Error::Config(format!("{what}: {e}"))
}

/// Runs the proof step against `provider`'s chain.
pub async fn run<P: Provider>(provider: &P, seed: u64) -> Result<ProofReport> {
    let config = CircuitConfig::default();
    let constraints: usize = snark::constraint_breakdown(&config)
        .map_err(|e| error("synthesising the circuit", e))?
        .iter()
        .map(|(_, c)| c)
        .sum();
    info!(target: "proofgate::demo", constraints, "development setup of the risk circuit (single party: not for production)");
    let start = Instant::now();
    let mut rng = StdRng::from_entropy();
    let (pk, vk) = snark::setup(&config, &mut rng).map_err(|e| error("setup", e))?;
    let setup_s = start.elapsed().as_secs_f64();

    // An honest trade passes the reference and is proved.
    let example = Example::passing(&config, seed).map_err(|e| error("example", e))?;
    let (proof, timings) =
        snark::prove(&pk, &example.model, &example.params, &example.statement, &mut rng)
            .map_err(|e| error("proving", e))?;
    let inputs = example.statement.public_inputs(&config).map_err(|e| error("public inputs", e))?;
    info!(target: "proofgate::demo", prove_s = timings.prove_s, "trade proved");

    // A trade that breaks a limit: the reference refuses it before any proving work.
    let mut breaking = example.clone();
    let sell = usize::from(breaking.statement.trade.sell_asset);
    breaking.statement.trade.value_in = breaking.statement.holdings[sell] + 1;
    let refused = evaluate(&config, &breaking.model, &breaking.params, &breaking.statement)
        .map_err(|e| error("reference", e))?
        .violations;

    // The verifier, generated from this key, compiled with the toolchain's solc, deployed.
    let options = VerifierOptions {
        contract_name: "RiskVerifier".into(),
        expected_public_inputs: public_input_count(&config),
    };
    let generated = generate(&vk, &options).map_err(|e| error("verifier generation", e))?;
    let toolchain = Toolchain::discover()?;
    let sources = BTreeMap::from([("RiskVerifier.sol".to_string(), generated.source)]);
    let compiled =
        compile_contract(&toolchain, &sources, "RiskVerifier", &CompileSettings::default())
            .map_err(|e| error("compiling the verifier", e))?;
    let deploy = TransactionRequest::default().with_deploy_code(Bytes::from(compiled.bytecode));
    let receipt = confirm(provider.send_transaction(deploy).await?, "deploy RiskVerifier").await?;
    let verifier = receipt
        .contract_address
        .ok_or_else(|| error("deploy RiskVerifier", "no contract address"))?;
    info!(target: "proofgate::demo", %verifier, "verifier deployed");

    let contract = IGroth16Verifier::new(verifier, provider);
    let words = proof_words(&proof);
    let verify = contract.verifyProof(words, input_words(&inputs)).into_transaction_request();
    let receipt = confirm(provider.send_transaction(verify).await?, "verifyProof").await?;

    // A forged submission: the honest proof with the sold value changed in the statement.
    let mut forged_inputs = input_words(&inputs);
    forged_inputs[0] += U256::from(1u8);
    let forged_revert = match contract.verifyProof(words, forged_inputs).call().await {
        Ok(_) => return Err(error("forged proof", "the verifier accepted it")),
        Err(e) => match e.as_decoded_error::<IGroth16Verifier::ProofInvalid>() {
            Some(_) => "ProofInvalid()".to_string(),
            None => e.to_string(),
        },
    };
    Ok(ProofReport {
        config,
        constraints,
        setup_s,
        witness_s: timings.witness_s,
        prove_s: timings.prove_s,
        refused,
        verifier,
        verifier_code_bytes: compiled.deployed_bytecode.len(),
        verify_tx_gas: receipt.gas_used,
        forged_revert,
    })
}

impl fmt::Display for ProofReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Risk proof: Groth16 over BN254, development keys (single-party setup)")?;
        writeln!(
            f,
            "circuit   {} assets, model layers {:?}, {} constraints",
            self.config.n_assets,
            self.config.layer_sizes(),
            self.constraints
        )?;
        writeln!(
            f,
            "timing    setup {:.2} s, witness {:.3} s, proving {:.2} s",
            self.setup_s, self.witness_s, self.prove_s
        )?;
        writeln!(
            f,
            "refused   a trade selling more than held, by the reference: {:?}",
            self.refused
        )?;
        writeln!(
            f,
            "verifier  {} ({} bytes of code): the proof verified on chain, transaction gas {}",
            self.verifier, self.verifier_code_bytes, self.verify_tx_gas
        )?;
        write!(
            f,
            "forged    the same proof with a changed public input reverted: {}",
            self.forged_revert
        )
    }
}

//! A solvency attestation with a real Groth16 proof on anvil: the generated solvency verifier,
//! the `SolvencyAttestor` configured through the timelock, a liabilities tree of depositors, the
//! statement the contract computes equal to the prover's, `isSolvent` true after attesting and
//! false once the attestation is older than the governed maximum age; a replayed epoch reverts.

use std::collections::BTreeMap;

use alloy::network::TransactionBuilder;
use alloy::primitives::{Bytes, U256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use alloy::sol_types::SolCall;
use ark_bn254::{Bn254, Fr};
use ark_groth16::Groth16;
use ark_snark::SNARK;
use proofgate_agents::bindings::vault::IProofGateVault;
use proofgate_agents::chain::{self, Artifact, LocalAnvil};
use proofgate_agents::deploy::govern;
use proofgate_agents::feeds::AggregatorV3Interface;
use proofgate_agents::system_demo::{self, DemoOptions, Endpoint};
use proofgate_prover::solvency::attestation::{
    check, off_vault_commitment, public_input_count, witness_leaves, AttestedAsset,
    SolvencyStatement, SolvencyWitness,
};
use proofgate_prover::solvency::circuit::SolvencyCircuit;
use proofgate_prover::solvency::{to_u128, Depositor, Depositors, SumTree};
use proofgate_toolchain::{repo_root, Toolchain};
use proofgate_verifier_codegen::calldata::{input_words, proof_words};
use proofgate_verifier_codegen::{compile_contract, generate, CompileSettings, VerifierOptions};
use rand::rngs::StdRng;
use rand::SeedableRng;

alloy::sol! {
    #[sol(rpc, all_derives)]
    interface ISolvencyAttestor {
        function attestSolvency(uint64 epoch, uint256 liabilitiesRoot, uint256[] calldata totals, uint256 offVaultCommitment, uint256[8] calldata proof) external;
        function publicInputs(address agent, uint64 epoch, uint256 liabilitiesRoot, uint256[] calldata totals, uint256 offVaultCommitment) external view returns (uint256[] memory inputs);
        function isSolvent(address agent) external view returns (bool);
        function setAgentVault(address agent, address vault) external;
        function setMargin(uint16 marginBps) external;
        function setHaircut(uint256 asset, uint16 haircutBps) external;
        error EpochNotIncreasing(uint64 epoch, uint64 lastEpoch);
        error InvalidProof();
    }
    contract SolvencyAttestor {
        constructor(address owner, address guardian, address verifier, uint256 assetCount, uint64 maxAge);
    }
}

type TestResult = Result<(), Box<dyn std::error::Error>>;

const DEPTH: u32 = 2;
const MAX_AGE: u64 = 3_600;
const KEYS: [&str; 3] = [
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_attestation_makes_the_agent_solvent_until_it_goes_stale() -> TestResult {
    let dir = tempfile::tempdir()?;
    let anvil = LocalAnvil::spawn(&Toolchain::discover()?)?;
    let key = |i: usize| KEYS[i].parse::<alloy::signers::local::PrivateKeySigner>();
    let endpoint = Endpoint {
        url: anvil.endpoint_url(),
        label: "anvil".into(),
        deployer: key(0)?,
        agents: [key(1)?, key(2)?],
    };
    let options = DemoOptions {
        steps: 1,
        seed: 7,
        work_dir: dir.path().to_path_buf(),
        force_invalid_every: 0,
        settle_timeout: std::time::Duration::from_secs(30),
    };
    let prepared = system_demo::prepare(&endpoint, &options).await?;
    let deployment = &prepared.deployment;
    let n = deployment.assets.len();
    let agent = endpoint.agents[0].address();

    // The solvency circuit's keys and its generated verifier.
    let mut rng = StdRng::seed_from_u64(11);
    let shape = SolvencyCircuit { n_assets: n, depth: DEPTH, assignment: None };
    let (pk, vk) = Groth16::<Bn254>::circuit_specific_setup(shape, &mut rng)?;
    let options = VerifierOptions {
        contract_name: "SolvencyVerifier".into(),
        expected_public_inputs: public_input_count(n),
    };
    let source = generate(&vk, &options)?.source;
    let sources = BTreeMap::from([("SolvencyVerifier.sol".to_string(), source)]);
    let compiled = compile_contract(
        &Toolchain::discover()?,
        &sources,
        "SolvencyVerifier",
        &CompileSettings::default(),
    )?;
    let provider = &prepared.provider;
    let tx = TransactionRequest::default().with_deploy_code(Bytes::from(compiled.bytecode));
    let receipt = chain::confirm(provider.send_transaction(tx).await?, "deploy verifier").await?;
    let verifier = receipt.contract_address.ok_or("verifier address")?;

    // The attestor, owned by the timelock; governance binds the agent, sets haircuts and margin.
    let artifact = Artifact::forge(&repo_root(), "SolvencyAttestor.sol", "SolvencyAttestor")?;
    let args = SolvencyAttestor::constructorCall {
        owner: deployment.timelock,
        guardian: deployment.deployer,
        verifier,
        assetCount: U256::from(n),
        maxAge: MAX_AGE,
    };
    let attestor = chain::deploy(provider, &artifact, &args).await?.address;
    let mut payloads: Vec<Bytes> = vec![
        ISolvencyAttestor::setAgentVaultCall { agent, vault: deployment.vault }.abi_encode().into(),
        ISolvencyAttestor::setMarginCall { marginBps: 500 }.abi_encode().into(),
    ];
    for asset in 0..n {
        let call =
            ISolvencyAttestor::setHaircutCall { asset: U256::from(asset), haircutBps: 9_000 };
        payloads.push(call.abi_encode().into());
    }
    govern(provider, deployment.timelock, attestor, payloads).await?;
    // Governance moved anvil's clock past the feeds' heartbeat: fresh prices.
    system_demo::push_prices(
        &prepared,
        &proofgate_agents::feeds::PricePath::with_midway_shock(7, 1),
        1,
    )
    .await?;

    // The statement from chain state, and a liabilities tree the vault covers.
    let vault = IProofGateVault::new(deployment.vault, provider);
    let mut assets = Vec::with_capacity(n);
    let mut holdings = Vec::with_capacity(n);
    for (i, deployed) in deployment.assets.iter().enumerate() {
        let view = vault.asset(U256::from(i)).call().await?;
        let round =
            AggregatorV3Interface::new(deployed.feed, provider).latestRoundData().call().await?;
        let holding = u128::try_from(view.holding)?;
        holdings.push(holding);
        assets.push(AttestedAsset {
            vault_holding: holding,
            price_1e8: u64::try_from(round.answer)?,
            haircut_bps: 9_000,
            scale: 10u64.pow(18 - u32::from(view.tokenDecimals)),
        });
    }
    let balance = |k: u128, a: usize| u64::try_from(holdings[a] / (20 * k)).unwrap_or(u64::MAX);
    let depositors = Depositors::new(
        deployment.assets.iter().map(|a| a.symbol.clone()).collect(),
        (1..=3u128)
            .map(|k| Depositor {
                id: format!("depositor-{k}"),
                balances: (0..n).map(|a| balance(k, a)).collect(),
            })
            .collect(),
    )?;
    let root = SumTree::build(&depositors, DEPTH)?.root();
    let totals: Vec<u128> =
        root.totals.iter().map(|t| to_u128(t).ok_or("total")).collect::<Result<_, _>>()?;
    let off_vault = vec![0u128; n];
    let blinding = Fr::from(123_456u64);
    let epoch = 1u64;
    let statement = SolvencyStatement {
        agent: agent.into_array(),
        vault: deployment.vault.into_array(),
        chain_id: deployment.chain_id,
        epoch,
        margin_bps: 500,
        assets,
        root: root.hash,
        totals: totals.clone(),
        previous_commitment: Fr::from(0u64),
        new_commitment: off_vault_commitment(Fr::from(0u64), epoch, &off_vault, blinding),
    };
    let witness =
        SolvencyWitness { leaves: witness_leaves(&depositors, DEPTH), off_vault, blinding };
    assert!(check(&statement, &witness).is_empty(), "{:?}", check(&statement, &witness));
    let inputs = statement.public_inputs()?;
    let words = input_words(&inputs);
    let root_word = words[1];
    let commitment_word = words[3];
    let totals_words: Vec<U256> = totals.iter().map(|&t| U256::from(t)).collect();

    // The contract computes the same statement.
    let as_agent = chain::connect(anvil.endpoint_url(), endpoint.agents[0].clone());
    let contract = ISolvencyAttestor::new(attestor, &as_agent);
    let on_chain = contract
        .publicInputs(agent, epoch, root_word, totals_words.clone(), commitment_word)
        .call()
        .await?;
    assert_eq!(on_chain, words, "the attestor's statement is the prover's");

    // Prove and attest.
    let circuit =
        SolvencyCircuit { n_assets: n, depth: DEPTH, assignment: Some((statement, witness)) };
    let proof = Groth16::<Bn254>::prove(&pk, circuit, &mut rng)?;
    assert!(Groth16::<Bn254>::verify(&vk, &inputs, &proof)?);
    assert!(!contract.isSolvent(agent).call().await?, "not solvent before any attestation");
    let words8 = proof_words(&proof);
    let pending = contract
        .attestSolvency(epoch, root_word, totals_words.clone(), commitment_word, words8)
        .send()
        .await?;
    chain::confirm(pending, "attestSolvency").await?;
    assert!(contract.isSolvent(agent).call().await?, "solvent after a valid attestation");

    // The same epoch again reverts.
    let replay = contract
        .attestSolvency(epoch, root_word, totals_words, commitment_word, words8)
        .call()
        .await;
    let Err(replay) = replay else {
        return Err("a replayed epoch must revert".into());
    };
    let decoded = replay.as_decoded_interface_error::<ISolvencyAttestor::ISolvencyAttestorErrors>();
    assert!(
        matches!(decoded, Some(ISolvencyAttestor::ISolvencyAttestorErrors::EpochNotIncreasing(_))),
        "{replay}"
    );

    // Past the maximum age the attestation is stale.
    provider.raw_request::<_, serde_json::Value>("evm_increaseTime".into(), (MAX_AGE + 1,)).await?;
    provider.raw_request::<_, serde_json::Value>("evm_mine".into(), ()).await?;
    assert!(!contract.isSolvent(agent).call().await?, "stale after the maximum age");
    anvil.stop();
    Ok(())
}

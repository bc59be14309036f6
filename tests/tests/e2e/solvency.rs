//! Solvency attestations with real Groth16 proofs on anvil: the system deployed with the
//! generated solvency verifier and the attestor governed through the timelock (as the demo does
//! it); an agent without an attestation, and with a stale one, is refused risk-increasing trades
//! by the vault and allowed trades into its reserve assets; a fresh attestation resumes it; a
//! replayed epoch reverts; an insolvent book gets no proof and nothing is sent.

use std::sync::Arc;

use alloy::primitives::U256;
use alloy::providers::Provider;
use proofgate_agents::bindings::attestor::ISolvencyAttestor::{self, ISolvencyAttestorErrors};
use proofgate_agents::bindings::vault::IProofGateVault::{self, IProofGateVaultErrors};
use proofgate_agents::chain::{self, Artifact, LocalAnvil};
use proofgate_agents::daemon;
use proofgate_agents::demo_solvency::{advance_time, DEMO_MAX_AGE};
use proofgate_agents::feeds::PricePath;
use proofgate_agents::solvency::{self, Attester, Book};
use proofgate_agents::system_demo::{self, DemoOptions, Endpoint};
use proofgate_prover::solvency::{Depositor, Depositors};
use proofgate_toolchain::{repo_root, Toolchain};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const KEYS: [&str; 3] = [
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
];

/// The vault's reading of a trade now, as `executeTrade` computes it before the proof check:
/// `Ok` when the solvency gate lets it through, the decoded vault error otherwise.
async fn gate<P: Provider>(
    vault: &IProofGateVault::IProofGateVaultInstance<P>,
    agent: alloy::primitives::Address,
    trade: &IProofGateVault::Trade,
) -> Result<Result<(), IProofGateVaultErrors>, Box<dyn std::error::Error>> {
    let now = vault.provider().get_block(alloy::eips::BlockId::latest()).await?;
    let deadline = U256::from(now.map_or(0, |b| b.header.timestamp) + 600);
    match vault.publicInputs(agent, trade.clone(), deadline).call().await {
        Ok(_) => Ok(Ok(())),
        Err(e) => match e.as_decoded_interface_error::<IProofGateVaultErrors>() {
            Some(decoded) => Ok(Err(decoded)),
            None => Err(e.into()),
        },
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_attestation_pauses_risk_increasing_trades_and_a_fresh_one_resumes_them(
) -> TestResult {
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
        solvency: true,
    };
    let prepared = system_demo::prepare(&endpoint, &options).await?;
    let deployment = &prepared.deployment;
    let attestor = deployment.attestor.ok_or("the demo deploys an attestor")?;
    let config = &prepared.daemon_config;
    let keys = daemon::load_solvency_key(config, deployment)?;
    // The rebalancer: USDC and DAI are its reserve assets.
    let attester = daemon::attester_for(&config.agents[0], deployment, &keys)?.ok_or("a book")?;
    let agent = endpoint.agents[0].address();
    let as_agent = chain::connect(anvil.endpoint_url(), endpoint.agents[0].clone());
    let vault = IProofGateVault::new(deployment.vault, &as_agent);
    let contract = ISolvencyAttestor::new(attestor, &as_agent);
    let symbol = |i: usize| deployment.assets[i].symbol.as_str();
    assert_eq!((symbol(0), symbol(3)), ("WETH", "USDC"));
    let risky = IProofGateVault::Trade {
        sellAsset: 3,
        buyAsset: 0,
        amountIn: U256::from(1_000_000_000u64),
        amountOut: U256::from(100_000_000_000_000_000u64),
    };
    let derisk = IProofGateVault::Trade {
        sellAsset: 0,
        buyAsset: 3,
        amountIn: U256::from(100_000_000_000_000_000u64),
        amountOut: U256::from(100_000_000u64),
    };
    let not_solvent = |r: &Result<(), IProofGateVaultErrors>, until: u64| {
        matches!(r, Err(IProofGateVaultErrors::AgentNotSolvent(e))
            if e.agent == agent && e.solventUntil == U256::from(until))
    };

    // No attestation yet: risk-increasing trades are refused, de-risking ones are not.
    assert!(!contract.isSolvent(agent).call().await?);
    assert!(not_solvent(&gate(&vault, agent, &risky).await?, 0), "missing attestation");
    assert!(gate(&vault, agent, &derisk).await?.is_ok(), "into a reserve asset");

    // A real attestation (the statement checked against the attestor's before sending).
    let first = solvency::attest(&as_agent, deployment, agent, &attester).await?;
    assert_eq!(first.epoch, 1);
    assert!(contract.isSolvent(agent).call().await?, "solvent after a valid attestation");
    assert!(gate(&vault, agent, &risky).await?.is_ok(), "fresh: the gate is open");
    let stored = contract.attestation(agent).call().await?;
    assert_eq!(stored.validUntil, stored.attestedAt + DEMO_MAX_AGE);
    assert_eq!(first.valid_until, stored.validUntil);

    // The same epoch again reverts before any proof is looked at.
    let replay = contract
        .attestSolvency(1, first.root, vec![U256::ZERO; 8], U256::from(1u8), [U256::ZERO; 8])
        .call()
        .await;
    let Err(replay) = replay else { return Err("a replayed epoch must revert".into()) };
    assert!(
        matches!(
            replay.as_decoded_interface_error::<ISolvencyAttestorErrors>(),
            Some(ISolvencyAttestorErrors::EpochNotIncreasing(_))
        ),
        "{replay}"
    );

    // Past the maximum age: stale, and the vault pauses risk-increasing trades only.
    advance_time(&as_agent, DEMO_MAX_AGE + 1).await?;
    system_demo::push_prices(&prepared, &PricePath::with_midway_shock(7, 1), 1).await?;
    assert!(!contract.isSolvent(agent).call().await?, "stale after the maximum age");
    let stale = gate(&vault, agent, &risky).await?;
    assert!(not_solvent(&stale, first.valid_until), "stale attestation: {stale:?}");
    assert!(gate(&vault, agent, &derisk).await?.is_ok(), "de-risking still allowed");

    // A fresh attestation resumes it.
    let second = solvency::attest(&as_agent, deployment, agent, &attester).await?;
    assert_eq!(second.epoch, 2);
    assert!(gate(&vault, agent, &risky).await?.is_ok(), "fresh again");

    // An insolvent book (owing more WBTC than the vault and the off-vault positions hold): the
    // reference refuses it, no proof is made, nothing is sent.
    let wbtc_held = vault.asset(U256::from(1)).call().await?.holding;
    let owed = u64::try_from(wbtc_held)? + 1;
    let mut balances = vec![0u64; deployment.assets.len()];
    balances[1] = owed;
    let symbols = deployment.assets.iter().map(|a| a.symbol.clone()).collect();
    let insolvent = Attester {
        book: Arc::new(Book {
            depositors: Depositors::new(symbols, vec![Depositor { id: "whale".into(), balances }])?,
            off_vault: vec![0; deployment.assets.len()],
        }),
        ..attester.clone()
    };
    let refused = solvency::attest(&as_agent, deployment, agent, &insolvent)
        .await
        .err()
        .ok_or("an insolvent book must not attest")?
        .to_string();
    assert!(refused.contains("not solvent"), "{refused}");
    assert!(refused.contains("Units(1)"), "{refused}");
    assert_eq!(contract.attestation(agent).call().await?.epoch, 2, "nothing was sent");
    anvil.stop();
    Ok(())
}

#[test]
fn the_attestor_bindings_match_forges_abi() -> TestResult {
    let artifact = Artifact::forge(&repo_root(), "SolvencyAttestor.sol", "SolvencyAttestor")?;
    let abi = &artifact.abi;
    let functions: Vec<[u8; 4]> = abi.functions().map(|f| f.selector().0).collect();
    for selector in ISolvencyAttestor::ISolvencyAttestorCalls::SELECTORS {
        assert!(functions.contains(selector), "call {selector:02x?} is not in forge's ABI");
    }
    let errors: Vec<[u8; 4]> = abi.errors().map(|e| e.selector().0).collect();
    for selector in ISolvencyAttestorErrors::SELECTORS {
        assert!(errors.contains(selector), "error {selector:02x?} is not in forge's ABI");
    }
    let events: Vec<[u8; 32]> = abi.events().map(|e| e.selector().0).collect();
    for selector in ISolvencyAttestor::ISolvencyAttestorEvents::SELECTORS {
        assert!(events.contains(selector), "event {selector:02x?} is not in forge's ABI");
    }
    Ok(())
}

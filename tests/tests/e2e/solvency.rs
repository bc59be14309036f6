//! Solvency attestations with real Groth16 proofs on anvil: the system deployed with the
//! generated solvency verifier and the attestor governed through the timelock (as the demo does
//! it); while the vault has no attestation, or a stale one, its agents are refused
//! risk-increasing trades and allowed trades into its reserve assets; a fresh attestation (by
//! any of its agents) resumes them; a replayed epoch reverts; an insolvent book gets no proof and
//! nothing is sent.

use std::sync::Arc;

use alloy::primitives::U256;
use alloy::providers::Provider;
use proofgate_agents::agent::{EventKind, Faults};
use proofgate_agents::bindings::attestor::ISolvencyAttestor::{self, ISolvencyAttestorErrors};
use proofgate_agents::bindings::vault::IProofGateVault::{self, IProofGateVaultErrors};
use proofgate_agents::chain::{self, Artifact, LocalAnvil};
use proofgate_agents::daemon;
use proofgate_agents::demo_solvency::DEMO_MAX_AGE;
use proofgate_agents::feeds::PricePath;
use proofgate_agents::solvency::{self, Attester, Book};
use proofgate_agents::strategy::StrategyConfig;
use proofgate_agents::system_demo::{self, DemoOptions, Endpoint, Prepared};
use proofgate_prover::solvency::{Depositor, Depositors};
use proofgate_toolchain::{repo_root, Toolchain};

use super::agents::wait_for;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The system deployed as the demo deploys it, with the solvency attestor.
async fn prepare_with_solvency(
    anvil: &LocalAnvil,
    dir: &std::path::Path,
) -> Result<(Endpoint, Prepared), Box<dyn std::error::Error>> {
    let endpoint = super::agents::endpoint(anvil.endpoint_url())?;
    let options = DemoOptions {
        steps: 1,
        seed: 7,
        work_dir: dir.to_path_buf(),
        force_invalid_every: 0,
        settle_timeout: std::time::Duration::from_secs(30),
        solvency: true,
    };
    let prepared = system_demo::prepare(&endpoint, &options).await?;
    Ok((endpoint, prepared))
}

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
    let (endpoint, prepared) = prepare_with_solvency(&anvil, dir.path()).await?;
    let deployment = &prepared.deployment;
    let attestor = deployment.attestor.ok_or("the demo deploys an attestor")?;
    let config = &prepared.daemon_config;
    let keys = daemon::load_solvency_key(config, deployment)?;
    // USDC and DAI are the vault's reserve assets.
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
    assert!(!contract.isSolvent(deployment.vault).call().await?);
    assert!(not_solvent(&gate(&vault, agent, &risky).await?, 0), "missing attestation");
    assert!(gate(&vault, agent, &derisk).await?.is_ok(), "into a reserve asset");

    // A real attestation (the statement checked against the attestor's before sending).
    let first = solvency::attest(&as_agent, deployment, agent, &attester).await?;
    assert_eq!(first.epoch, 1);
    assert!(
        contract.isSolvent(deployment.vault).call().await?,
        "solvent after a valid attestation"
    );
    assert!(gate(&vault, agent, &risky).await?.is_ok(), "fresh: the gate is open");
    let stored = contract.attestation(deployment.vault).call().await?;
    assert_eq!(stored.validUntil, stored.attestedAt + DEMO_MAX_AGE);
    assert_eq!(first.valid_until, stored.validUntil);

    // The same epoch again reverts before any proof is looked at.
    let replay = contract
        .attestSolvency(
            deployment.vault,
            1,
            first.root,
            vec![U256::ZERO; 8],
            U256::from(1u8),
            [U256::ZERO; 8],
        )
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
    chain::advance_time(&as_agent, DEMO_MAX_AGE + 1).await?;
    system_demo::push_prices(&prepared, &PricePath::with_midway_shock(7, 1), 1).await?;
    assert!(!contract.isSolvent(deployment.vault).call().await?, "stale after the maximum age");
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
    assert_eq!(contract.attestation(deployment.vault).call().await?.epoch, 2, "nothing was sent");
    anvil.stop();
    Ok(())
}

/// Starts the daemon with `config`'s agents, signing with `signers`.
async fn start_daemon(
    config: &proofgate_agents::config::DaemonConfig,
    signers: Vec<alloy::signers::local::PrivateKeySigner>,
) -> Result<
    (
        daemon::DaemonHandle,
        tokio::sync::mpsc::UnboundedReceiver<proofgate_agents::agent::AgentEvent>,
    ),
    Box<dyn std::error::Error>,
> {
    let (events_tx, events) = tokio::sync::mpsc::unbounded_channel();
    let handle =
        daemon::start_with_signers(config, signers, Faults::default(), Some(events_tx)).await?;
    Ok((handle, events))
}

/// The daemon's side, and the gate being the vault's: an agent that attests only on demand has
/// its risk-increasing proposals held back (journaled as skipped) while the vault has no
/// attestation; an agent that attests on a schedule attests by itself at start (required and
/// missing), and that attestation opens the vault's gate for both: the first agent trades
/// without attesting itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_attests_on_schedule_and_the_vaults_gate_opens_for_every_agent() -> TestResult {
    let dir = tempfile::tempdir()?;
    let anvil = LocalAnvil::spawn(&Toolchain::discover()?)?;
    let (endpoint, prepared) = prepare_with_solvency(&anvil, dir.path()).await?;
    // Both agents rebalance, to different targets: the second wants far more WETH (not a
    // reserve asset), so its proposals are risk-increasing; it attests on demand only.
    let mut config = prepared.daemon_config.clone();
    config.agents[1].strategy = StrategyConfig::Rebalance {
        target_weights_bps: vec![2_500, 1_000, 1_000, 1_000, 1_200, 1_100, 1_100, 1_100],
        threshold_bps: 150,
        max_trade_bps: 300,
    };
    config.agents[1].max_shrink_steps = 4;
    let scheduled = config.agents[0].name.clone();
    let on_demand = config.agents[1].name.clone();
    assert!(config.agents[0].solvency.as_ref().is_some_and(|s| s.schedule));
    assert!(config.agents[1].solvency.as_ref().is_some_and(|s| !s.schedule));

    // The on-demand agent alone: held back, nothing attested.
    let mut alone = config.clone();
    alone.agents.remove(0);
    let (handle, mut events) = start_daemon(&alone, vec![endpoint.agents[1].clone()]).await?;
    wait_for(&mut events, "the on-demand agent held back", |e| {
        e.agent == on_demand && e.kind == EventKind::SolvencyPaused { valid_until: 0 }
    })
    .await?;
    let counters = handle.metrics.snapshot();
    assert!(counters.get(&on_demand).is_some_and(|c| c.solvency_paused >= 1));
    let held_back = handle.journal.history(Some(endpoint.agents[1].address()), 10)?;
    assert!(
        held_back
            .iter()
            .any(|e| e.reason.contains("held back by the solvency gate (no solvency attestation)")),
        "journaled as skipped, with why: {held_back:?}"
    );
    handle.stop();
    handle.join().await;

    // Both: the scheduled agent attests epoch 1 for the vault, and the on-demand one trades.
    let (handle, mut events) = start_daemon(&config, endpoint.agents.to_vec()).await?;
    let attested = wait_for(&mut events, "the scheduled attestation", |e| {
        e.agent == scheduled && matches!(e.kind, EventKind::Attested { epoch: 1, .. })
    })
    .await?;
    let EventKind::Attested { valid_until, .. } = attested.kind else { unreachable!() };
    assert!(valid_until > 0);
    wait_for(&mut events, "the on-demand agent trading on the vault's attestation", |e| {
        e.agent == on_demand && matches!(e.kind, EventKind::Executed { .. })
    })
    .await?;
    let counters = handle.metrics.snapshot();
    assert_eq!(counters.get(&scheduled).map(|c| c.attestations), Some(1));
    assert_eq!(counters.get(&on_demand).map(|c| c.attestations), Some(0));
    handle.stop();
    handle.join().await;
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

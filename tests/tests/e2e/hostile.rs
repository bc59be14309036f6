//! A hostile or careless agent against the real system on anvil: the daemon refuses at start a
//! configuration whose venue slippage is above the governed execution-price bound; forced
//! through anyway, every trade it sends is refused on chain and the vault loses nothing.

use alloy::primitives::U256;
use proofgate_agents::agent::{EventKind, Faults};
use proofgate_agents::bindings::token::IDemoToken;
use proofgate_agents::bindings::vault::IProofGateVault;
use proofgate_agents::chain::LocalAnvil;
use proofgate_agents::daemon;
use proofgate_agents::journal::Status;
use proofgate_agents::system_demo::{self, Prepared};
use proofgate_prover::{files, RiskParams};
use proofgate_toolchain::Toolchain;
use tokio::sync::mpsc;

use crate::agents::{endpoint, options, wait_for};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// What the slippage setting asks of the venue: 0.1 % of its quote.
const HOSTILE_SLIPPAGE_BPS: u32 = 9_990;

/// Every asset's accounted holding and the vault's token balance.
async fn vault_books(prepared: &Prepared) -> Result<Vec<(U256, U256)>, Box<dyn std::error::Error>> {
    let vault = IProofGateVault::new(prepared.deployment.vault, &prepared.provider);
    let mut books = Vec::new();
    for (index, asset) in prepared.deployment.assets.iter().enumerate() {
        let holding = vault.asset(U256::from(index)).call().await?.holding;
        let balance = IDemoToken::new(asset.token, &prepared.provider)
            .balanceOf(prepared.deployment.vault)
            .call()
            .await?;
        books.push((holding, balance));
    }
    Ok(books)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slippage_above_the_bound_is_refused_at_start_and_forced_trades_revert_on_chain(
) -> TestResult {
    let dir = tempfile::tempdir()?;
    let anvil = LocalAnvil::spawn(&Toolchain::discover()?)?;
    let endpoint = endpoint(anvil.endpoint_url())?;
    let prepared = system_demo::prepare(&endpoint, &options(dir.path(), 1, 0)).await?;
    let mut config = prepared.daemon_config.clone();
    config.agents.truncate(1);
    config.agents[0].slippage_bps = HOSTILE_SLIPPAGE_BPS;
    let params: RiskParams = files::read_json(&config.agents[0].params)?;
    assert!(u64::from(HOSTILE_SLIPPAGE_BPS) > params.max_slippage_bps);
    let signers = vec![endpoint.agents[0].clone()];

    // As configured, the daemon does not start, and says why.
    let refused = daemon::start_with_signers(&config, signers.clone(), Faults::default(), None)
        .await
        .err()
        .ok_or("a slippage above the governed bound must be refused at start")?
        .to_string();
    assert!(refused.contains("slippage_bps = 9990"), "{refused}");
    assert!(
        refused.contains(&format!("max_slippage_bps = {}", params.max_slippage_bps)),
        "{refused}"
    );

    // Forced through (the start-up check skipped, every refused trade sent with no valid
    // proof), each bound-breaking trade reverts on chain and the vault's books do not move.
    let before = vault_books(&prepared).await?;
    let faults = Faults { skip_slippage_check: true, force_invalid_every: 1, ..Faults::default() };
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let handle = daemon::start_with_signers(&config, signers, faults, Some(events_tx)).await?;
    for _ in 0..2 {
        wait_for(&mut events, "a forced bound-breaking trade", |e| {
            matches!(e.kind, EventKind::Reverted { forced: true, .. })
        })
        .await?;
    }
    handle.stop();
    let journal = handle.journal.clone();
    handle.join().await?;

    let entries = journal.history(None, 1_000)?;
    assert!(entries.iter().all(|e| e.status != Status::Executed), "nothing executed");
    let forced: Vec<_> = entries.iter().filter(|e| e.forced).collect();
    assert!(forced.len() >= 2, "{forced:?}");
    for entry in forced {
        assert!(entry.reason.contains("Slippage"), "the bound refused it: {}", entry.reason);
        assert_eq!(entry.status, Status::Reverted, "{entry:?}");
        assert!(
            entry.revert_reason.as_deref().is_some_and(|r| r.contains("InvalidProof")),
            "{entry:?}"
        );
        let hash = entry.tx_hash.ok_or("sent")?;
        let receipt = alloy::providers::Provider::get_transaction_receipt(&prepared.provider, hash)
            .await?
            .ok_or("mined")?;
        assert!(!receipt.status(), "reverted on chain");
    }
    assert_eq!(vault_books(&prepared).await?, before, "holdings and balances unchanged");
    anvil.stop();
    Ok(())
}

/// Deploys a second vault on the first one's registry and verifier, configured and funded like
/// it, with its own venue; returns the deployment as seen through it.
async fn second_vault(
    prepared: &Prepared,
) -> Result<proofgate_agents::deploy::DeploymentFile, Box<dyn std::error::Error>> {
    use proofgate_agents::bindings::constructors;
    use proofgate_agents::bindings::venue::IQuotingVenue;
    use proofgate_agents::chain::{self, Artifact};
    use proofgate_agents::deploy;
    let (a, provider) = (&prepared.deployment, &prepared.provider);
    let root = proofgate_toolchain::repo_root();
    let vault_args = constructors::ProofGateVault::constructorCall {
        owner: a.deployer,
        governance: a.timelock,
        guardian: a.deployer,
        registry: a.registry,
        verifier: a.verifier,
        assetCount: U256::from(a.assets.len()),
    };
    let artifact = Artifact::forge(&root, "ProofGateVault.sol", "ProofGateVault")?;
    let vault = chain::deploy(provider, &artifact, &vault_args).await?.address;
    let venue_a = IQuotingVenue::new(a.venue, provider);
    let venue_args = constructors::UniswapV2Venue::constructorCall {
        factory: venue_a.FACTORY().call().await?,
        vault,
        pairInitCodeHash: venue_a.PAIR_INIT_CODE_HASH().call().await?,
    };
    let artifact = Artifact::forge(&root, "UniswapV2Venue.sol", "UniswapV2Venue")?;
    let venue = chain::deploy(provider, &artifact, &venue_args).await?.address;
    let calls = deploy::vault_configuration(vault, &a.assets, &prepared.plan, venue)?;
    deploy::govern(provider, a.timelock, calls).await?;
    deploy::refresh_feeds(provider, &a.assets, &prepared.plan).await?;
    let owned = IProofGateVault::new(a.vault, provider);
    for (index, asset) in a.assets.iter().enumerate() {
        let amount = owned.asset(U256::from(index)).call().await?.holding;
        let token = IDemoToken::new(asset.token, provider);
        chain::confirm(token.mint(a.deployer, amount).send().await?, "mint").await?;
        chain::confirm(token.approve(vault, amount).send().await?, "approve").await?;
        let vault_b = IProofGateVault::new(vault, provider);
        chain::confirm(vault_b.deposit(U256::from(index), amount).send().await?, "deposit").await?;
    }
    Ok(proofgate_agents::deploy::DeploymentFile { vault, venue, ..a.clone() })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_registered_for_one_vault_cannot_trade_another_with_an_honest_proof() -> TestResult
{
    use alloy::sol_types::SolCall;
    use proofgate_agents::bindings::registry::IProofGateRegistry;
    use proofgate_agents::bindings::vault::IProofGateVault::IProofGateVaultErrors;
    use proofgate_agents::{chain, deploy, market};
    use proofgate_prover::valuation::TradeAmounts;
    use proofgate_prover::{evaluate, snark, Model};
    use proofgate_verifier_codegen::calldata::{proof_words, IGroth16Verifier};

    let dir = tempfile::tempdir()?;
    let anvil = LocalAnvil::spawn(&Toolchain::discover()?)?;
    let endpoint = endpoint(anvil.endpoint_url())?;
    let prepared = system_demo::prepare(&endpoint, &options(dir.path(), 1, 0)).await?;
    let b = second_vault(&prepared).await?;
    let agent = endpoint.agents[0].address();
    let as_agent = chain::connect(anvil.endpoint_url(), endpoint.agents[0].clone());

    // The agent's honest proof of a small trade on vault B's state (its nonce in B, B's
    // holdings and prices), with the certified model and parameters.
    let config = &prepared.daemon_config;
    let model: Model = files::read_json(&config.agents[0].model)?;
    let params: RiskParams = files::read_json(&config.agents[0].params)?;
    let key = files::decode_proving_key(&files::read(&config.proving_key)?)?;
    let block = alloy::providers::Provider::get_block_number(&as_agent).await?;
    let mut state = market::read_state(&as_agent, &b, agent, block).await?;
    assert_eq!(state.model_commitment, U256::ZERO, "the agent has no binding in vault B");
    state.model_commitment = prepared.deployment.model_commitment;
    state.params_commitment = prepared.deployment.params_commitment;
    let (sell, buy) = (3u8, 4u8); // USDC -> DAI
    let amount_in = 1_000 * 10u128.pow(6);
    let quoted = market::quote(&as_agent, &b, sell, buy, amount_in).await?;
    let trade = TradeAmounts { sell_asset: sell, buy_asset: buy, amount_in, amount_out: quoted };
    // Valid across the timelock's delay below.
    let deadline = state.timestamp + 2 * prepared.deployment.timelock_delay + 600;
    let statement = market::statement_for(&b, &state, agent, trade.clone(), deadline)?;
    let circuit = proofgate_prover::CircuitConfig::default();
    assert!(evaluate(&circuit, &model, &params, &statement)?.passes(), "an honest trade");
    let proof = proof_words(&snark::prove_fresh(&key, &model, &params, &statement)?.0);
    let inputs = market::input_words(&circuit, &statement)?;
    let verifier = IGroth16Verifier::new(b.verifier, &as_agent);
    assert!(verifier.isValidProof(proof, inputs).call().await?, "the shared verifier accepts it");

    // Vault B refuses it: the agent has no authority there.
    let call = IProofGateVault::Trade {
        sellAsset: sell,
        buyAsset: buy,
        amountIn: U256::from(amount_in),
        amountOut: U256::from(quoted),
    };
    let vault_b = IProofGateVault::new(b.vault, &as_agent);
    let before = vault_b.asset(U256::from(sell)).call().await?.holding;
    let refused = vault_b
        .executeTrade(call.clone(), U256::from(deadline), proof)
        .call()
        .await
        .err()
        .ok_or("vault B must refuse an agent registered only for vault A")?;
    match refused.as_decoded_interface_error::<IProofGateVaultErrors>() {
        Some(IProofGateVaultErrors::AgentNotRegistered(e)) => assert_eq!(e.agent, agent),
        other => return Err(format!("expected AgentNotRegistered, got {other:?}").into()),
    }
    assert_eq!(vault_b.nonces(agent).call().await?, U256::ZERO);
    assert_eq!(vault_b.asset(U256::from(sell)).call().await?.holding, before);

    // Once governance gives it authority in B (through the timelock), the same proof executes:
    // authority was the only thing missing.
    let (registry, c) = (prepared.deployment.registry, &prepared.deployment);
    let register = IProofGateRegistry::registerAgentCall {
        vault: b.vault,
        agent,
        modelCommitment: c.model_commitment,
        paramsCommitment: c.params_commitment,
    };
    let budget = IProofGateRegistry::setLossBudgetCall {
        vault: b.vault,
        agent,
        budgetBps: deploy::LossBudget::DEFAULT.budget_bps,
        window: deploy::LossBudget::DEFAULT.window_s,
    };
    let calls =
        vec![(registry, register.abi_encode().into()), (registry, budget.abi_encode().into())];
    deploy::govern(&prepared.provider, c.timelock, calls).await?;
    deploy::refresh_feeds(&prepared.provider, &c.assets, &prepared.plan).await?;
    let sent = vault_b.executeTrade(call, U256::from(deadline), proof).send().await?;
    chain::confirm(sent, "executeTrade on vault B").await?;
    assert_eq!(vault_b.nonces(agent).call().await?, U256::from(1u8));
    assert_eq!(
        vault_b.asset(U256::from(sell)).call().await?.holding,
        before - U256::from(amount_in)
    );
    anvil.stop();
    Ok(())
}

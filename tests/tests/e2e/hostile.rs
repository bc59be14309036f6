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
    handle.join().await;

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

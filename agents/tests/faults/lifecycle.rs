//! The transaction lifecycle on anvil with automine off: a dropped transaction is rebroadcast, a
//! transaction stranded by a base-fee spike is replaced within the cap, a trade a reorg removes is
//! reconciled.

use std::time::{Duration, Instant};

use alloy::primitives::Address;
use proofgate_agents::agent::Crash;
use proofgate_agents::journal::{Journal, Status};

use crate::common::invariants::check_journal_equals_chain;
use crate::common::lifecycle::{finalized, journaled_txs, TxRecord};
use crate::common::{first_in, poll, settle_and_stop, start_daemon, BoxError, Chain, TestResult};

const MINUTE: Duration = Duration::from_secs(60);

/// The first entry of `agent` with a journaled transaction, and that transaction.
async fn first_journaled_tx(
    journal: &Journal,
    agent: Address,
) -> Result<(i64, TxRecord), BoxError> {
    poll("a journaled transaction", 2 * MINUTE, || {
        for entry in journal.history(Some(agent), usize::MAX)?.into_iter().rev() {
            if let Some(tx) = journaled_txs(journal, entry.id)?.into_iter().next() {
                return Ok(Some((entry.id, tx)));
            }
        }
        Ok(None)
    })
    .await
}

/// Waits until entry `id` is final; its status.
async fn final_status(journal: &Journal, id: i64, limit: Duration) -> Result<Status, BoxError> {
    poll("the entry to become final", limit, || {
        let status = journal.get(id)?.status;
        Ok(status.is_final().then_some(status))
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_transaction_is_rebroadcast_and_executes_once() -> TestResult {
    let started = Instant::now();
    let chain = Chain::start().await?;
    let agent = chain.agent(0);
    let config = chain.prepared.daemon_config.clone();
    chain.control.set_automine(false).await?;
    let (handle, _events) = start_daemon(&config, &chain.endpoint, 1, Crash::Never).await?;
    let journal = handle.journal.clone();

    let (id, sent) = first_journaled_tx(&journal, agent).await?;
    // Journaled before broadcast: wait until the node has it, then drop it from the pool.
    let deadline = Instant::now() + MINUTE;
    while !chain.control.knows_transaction(sent.hash).await? && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    chain.control.drop_transaction(sent.hash).await?;
    assert!(!chain.control.knows_transaction(sent.hash).await?, "dropped");

    let miner = chain.control.start_miner(Duration::from_millis(250), None);
    let status = final_status(&journal, id, 2 * MINUTE).await?;
    let entry = journal.get(id)?;
    assert_eq!(status, Status::Executed, "the dropped trade executes: {entry:?}");
    assert_eq!(entry.tx_hash, Some(sent.hash), "the same signed transaction, rebroadcast");
    let txs = journaled_txs(&journal, id)?;
    assert!(txs.iter().all(|tx| tx.hash == sent.hash), "no replacement was needed: {txs:?}");
    let rebroadcasts = Chain::counters(&handle, "rebalancer").tx_rebroadcasts;
    assert!(rebroadcasts >= 1, "the rebroadcast is counted ({rebroadcasts})");

    let journal = settle_and_stop(handle, &[agent], 2 * MINUTE).await?;
    miner.stop().await;
    let checked = check_journal_equals_chain(&chain.prepared, &journal, &[agent]).await?;
    println!("dropped transaction: {checked}; {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fee_spike_strands_a_transaction_until_it_is_replaced_within_the_cap() -> TestResult {
    const CAP_GWEI: u64 = 100;
    let started = Instant::now();
    let chain = Chain::start().await?;
    let agent = chain.agent(0);
    let mut config = chain.prepared.daemon_config.clone();
    config.gas.max_fee_gwei = Some(CAP_GWEI);
    config.tx.replace_after_blocks = 2;
    let cap = u128::from(CAP_GWEI) * 1_000_000_000;
    chain.control.set_automine(false).await?;
    let (handle, _events) = start_daemon(&config, &chain.endpoint, 1, Crash::Never).await?;
    let journal = handle.journal.clone();

    let (id, first) = first_journaled_tx(&journal, agent).await?;
    // The base fee jumps above the transaction's max fee, but stays below the cap.
    let spike = (first.max_fee_per_gas * 2).max(first.max_fee_per_gas + 1_000_000_000);
    let spike = spike.min((first.max_fee_per_gas + cap) / 2);
    assert!(
        spike > first.max_fee_per_gas && spike < cap,
        "the first transaction's max fee {} leaves no room below the cap {cap}",
        first.max_fee_per_gas
    );
    let miner = chain.control.start_miner(Duration::from_millis(250), Some(spike));
    let status = final_status(&journal, id, 2 * MINUTE).await?;
    let entry = journal.get(id)?;
    let txs = journaled_txs(&journal, id)?;
    assert_eq!(status, Status::Executed, "the stranded trade executes: {entry:?}, {txs:?}");
    assert!(txs.len() >= 2, "replaced at least once: {txs:?}");
    assert_eq!(txs.last().map(|tx| tx.hash), entry.tx_hash, "the last replacement executed");
    for pair in txs.windows(2) {
        assert!(
            pair[1].max_fee_per_gas > pair[0].max_fee_per_gas
                && pair[1].max_priority_fee_per_gas >= pair[0].max_priority_fee_per_gas,
            "fees rise with each replacement: {txs:?}"
        );
        assert_eq!(pair[1].nonce, pair[0].nonce, "a replacement reuses the nonce: {txs:?}");
    }
    assert!(txs.iter().all(|tx| tx.max_fee_per_gas <= cap), "never above the cap: {txs:?}");
    assert!(txs.last().is_some_and(|tx| tx.max_fee_per_gas >= spike), "{txs:?}");
    let replacements = Chain::counters(&handle, "rebalancer").tx_replacements;
    assert!(replacements >= 1, "the replacement is counted ({replacements})");

    miner.set_base_fee(None);
    let journal = settle_and_stop(handle, &[agent], 2 * MINUTE).await?;
    miner.stop().await;
    let checked = check_journal_equals_chain(&chain.prepared, &journal, &[agent]).await?;
    let fees: Vec<u128> = txs.iter().map(|tx| tx.max_fee_per_gas).collect();
    println!(
        "fee spike to {spike} wei: max fees {fees:?}, {checked}; {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reorg_that_removes_an_executed_trade_is_reconciled() -> TestResult {
    let started = Instant::now();
    let chain = Chain::start().await?;
    let agent = chain.agent(0);
    let mut config = chain.prepared.daemon_config.clone();
    config.tx.confirmations = 3;
    let (handle, _events) = start_daemon(&config, &chain.endpoint, 1, Crash::Never).await?;
    let journal = handle.journal.clone();

    // anvil mines the trade at once; nothing else mines, so it stays short of final.
    let id =
        poll("an executed trade", 2 * MINUTE, || first_in(&journal, Some(agent), Status::Executed))
            .await?;
    let entry = journal.get(id)?;
    let (hash, mined) =
        (entry.tx_hash.ok_or("executed with a hash")?, entry.mined_block.ok_or("mined")?);
    assert!(!finalized(&entry), "not final at one confirmation: {entry:?}");
    let head = chain.control.block_number().await?;
    chain.control.reorg(head + 1 - mined).await?;
    assert!(!chain.control.knows_transaction(hash).await?, "the reorg removed the trade");

    let miner = chain.control.start_miner(Duration::from_millis(300), None);
    poll("the reorg to be noticed", MINUTE, || {
        Ok((Chain::counters(&handle, "rebalancer").reorgs >= 1).then_some(()))
    })
    .await?;
    let status = final_status(&journal, id, 2 * MINUTE).await?;
    let journal = settle_and_stop(handle, &[agent], 2 * MINUTE).await?;
    miner.stop().await;
    let entry = journal.get(id)?;
    assert!(
        matches!(status, Status::Executed | Status::Abandoned),
        "resubmitted or decided afresh: {entry:?}"
    );
    let checked = check_journal_equals_chain(&chain.prepared, &journal, &[agent]).await?;
    assert!(checked.executed[&agent] >= 1, "a trade executed on the canonical chain");
    println!(
        "reorg of {} block(s): entry {id} {status}, {checked}; {:.1} s",
        head + 1 - mined,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

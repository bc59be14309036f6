//! The invariants every fault test ends with: the journal equals the chain and the vault's
//! events, and nothing is left pending.

use std::collections::BTreeMap;
use std::fmt;

use alloy::primitives::{Address, TxHash, U256};
use alloy::providers::Provider;
use alloy::rpc::types::Filter;
use alloy::sol_types::SolEvent;
use proofgate_agents::bindings::vault::IProofGateVault::{self, TradeExecuted};
use proofgate_agents::journal::{Entry, Journal, Status};
use proofgate_agents::system_demo::{self, Prepared};

use super::BoxError;

/// Every way the journal and the chain were found to differ.
#[derive(Debug)]
pub struct Violations(pub Vec<String>);

impl fmt::Display for Violations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} invariant violation(s):", self.0.len())?;
        for violation in &self.0 {
            writeln!(f, "  - {violation}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Violations {}

/// What a passing check saw.
#[derive(Clone, Debug, Default)]
pub struct Checked {
    /// Executed trades per agent.
    pub executed: BTreeMap<Address, u64>,
    /// Journal entries per status, every agent together.
    pub statuses: BTreeMap<Status, u64>,
}

impl fmt::Display for Checked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let statuses: Vec<String> = self.statuses.iter().map(|(s, n)| format!("{s} {n}")).collect();
        write!(f, "statuses: {}", statuses.join(", "))
    }
}

/// Most blocks one getLogs of the check spans.
const CHECK_LOG_CHUNK: u64 = 2_000;

/// Checks, for each of `agents`: executed nonces are 0..n without gaps or repeats; the vault's
/// nonce is n; every executed entry's transaction has a successful receipt on the canonical chain
/// with `TradeExecuted(agent, nonce)`; every `TradeExecuted` the vault emitted for the agent
/// matches exactly one executed entry (same transaction); no entry is pending. Then the vault's
/// holdings equal deposits plus the journal's executed trades.
pub async fn check_journal_equals_chain(
    prepared: &Prepared,
    journal: &Journal,
    agents: &[Address],
) -> Result<Checked, BoxError> {
    let mut violations = Vec::new();
    let mut checked = Checked::default();
    for &agent in agents {
        let entries = journal.history(Some(agent), usize::MAX)?;
        for entry in &entries {
            *checked.statuses.entry(entry.status).or_default() += 1;
        }
        let executed = check_agent(prepared, agent, &entries, &mut violations).await?;
        checked.executed.insert(agent, executed);
        for entry in super::lifecycle::unconfirmed(journal, agent)? {
            violations.push(format!(
                "agent {agent}: entry {} is executed but not final (block {:?})",
                entry.id, entry.mined_block
            ));
        }
    }
    let matches = system_demo::journal_matches_chain(
        &prepared.provider,
        &prepared.deployment,
        &prepared.plan,
        journal,
    )
    .await?;
    if !matches {
        violations.push(
            "the vault's holdings differ from deposits plus the journal's executed trades".into(),
        );
    }
    match violations.is_empty() {
        true => Ok(checked),
        false => Err(Box::new(Violations(violations))),
    }
}

/// One agent's checks; the number of executed trades.
async fn check_agent(
    prepared: &Prepared,
    agent: Address,
    entries: &[Entry],
    violations: &mut Vec<String>,
) -> Result<u64, BoxError> {
    for entry in entries.iter().filter(|e| !e.status.is_final()) {
        violations.push(format!("agent {agent}: entry {} left {}", entry.id, entry.status));
    }
    let executed: Vec<&Entry> = entries.iter().filter(|e| e.status == Status::Executed).collect();
    let mut nonces: Vec<Option<u64>> = executed.iter().map(|e| e.nonce).collect();
    nonces.sort_unstable();
    let expected: Vec<Option<u64>> = (0..executed.len() as u64).map(Some).collect();
    if nonces != expected {
        violations.push(format!(
            "agent {agent}: executed nonces {nonces:?}, expected 0..{} without gaps or repeats",
            executed.len()
        ));
    }
    let vault = IProofGateVault::new(prepared.deployment.vault, &prepared.provider);
    let on_chain = vault.nonces(agent).call().await?;
    if on_chain != U256::from(executed.len()) {
        violations.push(format!(
            "agent {agent}: the vault's nonce is {on_chain}, the journal has {} executed",
            executed.len()
        ));
    }
    for entry in &executed {
        check_receipt(prepared, agent, entry, violations).await?;
    }
    let events = trade_events(prepared, agent).await?;
    for (nonce, hash) in &events {
        let matching =
            executed.iter().filter(|e| e.nonce == Some(*nonce) && e.tx_hash == Some(*hash)).count();
        if matching != 1 {
            violations.push(format!(
                "agent {agent}: TradeExecuted(nonce {nonce}) in {hash} matches {matching} executed entries"
            ));
        }
    }
    if events.len() != executed.len() {
        violations.push(format!(
            "agent {agent}: the vault emitted {} TradeExecuted, the journal has {} executed",
            events.len(),
            executed.len()
        ));
    }
    Ok(executed.len() as u64)
}

/// An executed entry's transaction: mined on the canonical chain, successful, with its event.
async fn check_receipt(
    prepared: &Prepared,
    agent: Address,
    entry: &Entry,
    violations: &mut Vec<String>,
) -> Result<(), BoxError> {
    let id = entry.id;
    let Some(hash) = entry.tx_hash else {
        violations.push(format!("agent {agent}: executed entry {id} has no transaction"));
        return Ok(());
    };
    let Some(receipt) = prepared.provider.get_transaction_receipt(hash).await? else {
        violations.push(format!("agent {agent}: entry {id}'s transaction {hash} has no receipt"));
        return Ok(());
    };
    if !receipt.status() {
        violations.push(format!("agent {agent}: entry {id}'s transaction {hash} reverted"));
    }
    let number = receipt.block_number.unwrap_or_default();
    let canonical = prepared.provider.get_block_by_number(number.into()).await?;
    if canonical.map(|b| b.header.hash) != receipt.block_hash {
        violations.push(format!(
            "agent {agent}: entry {id}'s transaction {hash} is in block {number} {:?}, not the canonical one",
            receipt.block_hash
        ));
    }
    if entry.mined_block.is_some_and(|b| b != number) {
        violations.push(format!(
            "agent {agent}: entry {id} journals block {:?}, the receipt says {number}",
            entry.mined_block
        ));
    }
    let logged = receipt.inner.logs().iter().any(|log| {
        log.address() == prepared.deployment.vault
            && log.log_decode::<TradeExecuted>().is_ok_and(|decoded| {
                decoded.inner.data.agent == agent
                    && Some(decoded.inner.data.nonce) == entry.nonce.map(U256::from)
            })
    });
    if !logged {
        violations.push(format!(
            "agent {agent}: entry {id}'s transaction {hash} has no TradeExecuted(agent, {:?})",
            entry.nonce
        ));
    }
    Ok(())
}

/// Every `TradeExecuted` the vault emitted for `agent`: (nonce, transaction), read in chunks
/// from the deployment's block.
pub async fn trade_events(
    prepared: &Prepared,
    agent: Address,
) -> Result<Vec<(u64, TxHash)>, BoxError> {
    let head = prepared.provider.get_block_number().await?;
    let mut events = Vec::new();
    let mut from = prepared.deployment.block;
    while from <= head {
        let to = head.min(from + CHECK_LOG_CHUNK - 1);
        let filter = Filter::new()
            .address(prepared.deployment.vault)
            .event_signature(TradeExecuted::SIGNATURE_HASH)
            .topic1(agent.into_word())
            .from_block(from)
            .to_block(to);
        for log in prepared.provider.get_logs(&filter).await? {
            let decoded = log.log_decode::<TradeExecuted>()?;
            let hash = log.transaction_hash.ok_or("a mined log has its transaction")?;
            events.push((u64::try_from(decoded.inner.data.nonce)?, hash));
        }
        from = to + 1;
    }
    Ok(events)
}

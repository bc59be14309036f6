//! Following sent trades to a final outcome, at every step and after a restart alike.
//!
//! The journal is the only state: each step reads the agent's unfinished entries and moves each
//! one as far as the chain allows.
//! - proving (no proof journaled): interrupted; abandoned (nothing was sent).
//! - proved (not sent): sent if the vault still accepts the proof, else abandoned.
//! - submitted: a receipt of any of its journaled transactions → executed or reverted; its
//!   deadline passed → the vault's nonce and `TradeExecuted` are checked again, then expired;
//!   unknown to the node → the same bytes again; not mined after `replace_after_blocks` →
//!   replaced with bumped fees.
//! - executed, not final: re-checked; final at the configured depth; removed by a reorg → back
//!   to submitted (and from there sent again, or expired).

use std::time::Instant;

use alloy::primitives::{TxHash, U256};
use alloy::providers::Provider;
use alloy::rpc::types::{Filter, TransactionReceipt};
use alloy::sol_types::SolEvent;
use tracing::{info, warn};

use super::send::{Sent, TradeCall};
use super::{journal_error, settlement, to_u64, Agent, EventKind};
use crate::bindings::vault::IProofGateVault::{self, TradeExecuted};
use crate::journal::{Entry, Execution, Status};
use crate::Result;

/// Where the chain stands at one step.
#[derive(Clone, Copy, Debug)]
pub(super) struct Head {
    /// The latest block's number.
    pub number: u64,
    /// Its timestamp.
    pub timestamp: u64,
}

impl Agent {
    /// Re-checks executed entries that are not final: final at depth, or back to submitted when
    /// a reorg removed their block.
    pub(super) async fn check_unconfirmed(&mut self, head: Head) -> Result<()> {
        let depth = self.shared.tx.confirmations;
        for entry in self.journal().unconfirmed(self.address).map_err(journal_error)? {
            let Some(hash) = entry.tx_hash else { continue };
            let receipt = self.provider.get_transaction_receipt(hash).await?;
            let canonical = receipt
                .as_ref()
                .is_some_and(|r| r.block_hash.is_some() && r.block_hash == entry.mined_block_hash);
            if canonical {
                let mined = entry.mined_block.unwrap_or(head.number);
                if head.number + 1 >= mined + depth {
                    self.journal().mark_final(entry.id).map_err(journal_error)?;
                }
                continue;
            }
            let block = entry.mined_block.unwrap_or_default();
            let reason = format!("block {block} left the canonical chain");
            self.journal().mark_reorged(entry.id, &reason).map_err(journal_error)?;
            self.shared.metrics.update(&self.config.name, |c| {
                c.reorgs += 1;
                c.executed = c.executed.saturating_sub(1);
            });
            warn!(target: "proofgate::agent", agent = %self.config.name, entry = entry.id, tx = %hash, block, "a reorg removed an executed trade; reconciling");
        }
        Ok(())
    }

    /// Moves every unfinished entry as far as the chain allows. Returns whether one is still in
    /// flight (the agent then decides nothing new), and whether to decide again at once.
    pub(super) async fn settle_pending(&mut self, head: Head) -> Result<(bool, bool)> {
        let mut in_flight = false;
        let mut again = false;
        for entry in self.journal().pending(self.address).map_err(journal_error)? {
            match entry.status {
                Status::Proving => {
                    self.journal()
                        .mark_abandoned(entry.id, "interrupted before the proof was recorded")
                        .map_err(journal_error)?;
                    info!(target: "proofgate::agent", agent = %self.config.name, entry = entry.id, "abandoned an interrupted proof");
                }
                Status::Proved => match self.send_recovered(&entry, head).await? {
                    Sent::InFlight => in_flight = true,
                    Sent::Final { again: stale } => again |= stale,
                },
                _ => in_flight |= self.follow(&entry, head).await?,
            }
        }
        Ok((in_flight, again))
    }

    /// A proved entry that was never sent (a crash or stop between journaling and sending).
    async fn send_recovered(&mut self, entry: &Entry, head: Head) -> Result<Sent> {
        let Some(call) = TradeCall::of(entry) else {
            self.journal().mark_abandoned(entry.id, "no proof journaled").map_err(journal_error)?;
            return Ok(Sent::Final { again: false });
        };
        if call.deadline < head.timestamp {
            self.journal().mark_expired(entry.id).map_err(journal_error)?;
            return Ok(Sent::Final { again: false });
        }
        if !entry.forced && !self.still_valid(&call).await? {
            let why = "the vault's state moved since proving; the proof no longer holds";
            self.journal().mark_abandoned(entry.id, why).map_err(journal_error)?;
            return Ok(Sent::Final { again: false });
        }
        info!(target: "proofgate::agent", agent = %self.config.name, entry = entry.id, "sending a journaled proof");
        self.send_proved(entry.id, &call, entry.forced, Instant::now()).await
    }

    /// Follows a submitted entry one step. Returns whether it is still in flight.
    async fn follow(&mut self, entry: &Entry, head: Head) -> Result<bool> {
        let txs = self.journal().transactions(entry.id).map_err(journal_error)?;
        let mut hashes: Vec<TxHash> = txs.iter().rev().map(|tx| tx.signed.hash).collect();
        if hashes.is_empty() {
            // Journaled by a version before the lifecycle: only its hash is known.
            hashes.extend(entry.tx_hash);
        }
        for hash in &hashes {
            if let Some(receipt) = self.provider.get_transaction_receipt(*hash).await? {
                self.record_mined(entry, &receipt).await?;
                return Ok(false);
            }
        }
        let (Some(nonce), Some(call)) = (entry.nonce, TradeCall::of(entry)) else {
            self.journal().mark_abandoned(entry.id, "no proof journaled").map_err(journal_error)?;
            return Ok(false);
        };
        let vault = IProofGateVault::new(self.shared.deployment.vault, &self.provider);
        let vault_nonce = to_u64(vault.nonces(self.address).call().await?);
        if vault_nonce > nonce || call.deadline < head.timestamp {
            // It can no longer execute (its nonce is used, or its deadline passed): before the
            // entry becomes final as not executed, the chain is asked whether it did.
            self.finish_unexecuted(entry, nonce, call.deadline < head.timestamp).await?;
            return Ok(false);
        }
        let Some(latest) = txs.last() else {
            // Old journal, hash unknown to the chain: the proof is sent afresh.
            return Ok(matches!(
                self.send_proved(entry.id, &call, entry.forced, Instant::now()).await?,
                Sent::InFlight
            ));
        };
        if !self.sender.known(latest.signed.hash).await? {
            if entry.forced || self.still_valid(&call).await? {
                info!(target: "proofgate::agent", agent = %self.config.name, entry = entry.id, tx = %latest.signed.hash, "the transaction is gone from the node (dropped, or removed by a reorg); sending the same bytes again");
                self.broadcast(entry.id, &latest.signed, true).await?;
            } else if self.fee_warned.insert(-entry.id) {
                info!(target: "proofgate::agent", agent = %self.config.name, entry = entry.id, "the transaction is gone and its proof no longer holds; it expires at its deadline");
            }
            return Ok(true);
        }
        let sent_at = *self.sent_at.entry(latest.signed.hash).or_insert(head.number);
        if head.number >= sent_at + self.shared.tx.replace_after_blocks {
            self.replace(entry.id, latest).await?;
        }
        Ok(true)
    }

    /// Records a mined transaction of `entry`: executed when the vault's `TradeExecuted` for
    /// the entry's nonce is in its logs, reverted otherwise (with the reason, replayed).
    async fn record_mined(&mut self, entry: &Entry, receipt: &TransactionReceipt) -> Result<()> {
        let vault = self.shared.deployment.vault;
        let observed = self.observed.remove(&entry.id).unwrap_or_else(Instant::now);
        let block = receipt.block_number.unwrap_or_default();
        let name = self.config.name.clone();
        if receipt.status() {
            let execution = Execution {
                tx_hash: receipt.transaction_hash,
                gas_used: receipt.gas_used,
                block,
                block_hash: receipt.block_hash.unwrap_or_default(),
                settlement: settlement(receipt, vault),
            };
            self.journal().mark_executed(entry.id, &execution).map_err(journal_error)?;
            let now = super::now_unix();
            self.shared.metrics.update(&name, |c| {
                c.executed += 1;
                c.gas_used += receipt.gas_used;
                c.last_executed_at = now;
            });
            info!(target: "proofgate::agent", agent = %name, entry = entry.id, tx = %receipt.transaction_hash, gas = receipt.gas_used, block, latency_ms = observed.elapsed().as_millis() as u64, "gated trade executed");
            let prove_s = entry.prove_s.unwrap_or_default();
            let kind = EventKind::Executed { gas_used: receipt.gas_used, prove_s };
            self.emit(Some(entry.id), kind, observed);
            return Ok(());
        }
        let reason = self.replayed_reason(entry, block).await;
        self.journal()
            .mark_reverted(
                entry.id,
                Some(receipt.transaction_hash),
                Some(receipt.gas_used),
                &reason,
            )
            .map_err(journal_error)?;
        self.shared.metrics.update(&name, |c| c.reverted += 1);
        warn!(target: "proofgate::agent", agent = %name, entry = entry.id, tx = %receipt.transaction_hash, %reason, forced = entry.forced, "gated trade reverted on chain");
        self.emit(Some(entry.id), EventKind::Reverted { reason, forced: entry.forced }, observed);
        Ok(())
    }

    /// Why a mined trade reverted: the call replayed on the state before its block.
    async fn replayed_reason(&self, entry: &Entry, block: u64) -> String {
        let Some(call) = TradeCall::of(entry) else { return "reverted on chain".into() };
        let request = self.trade_request(&call);
        let at = alloy::eips::BlockId::number(block.saturating_sub(1));
        match self.provider.call(request).block(at).await {
            Err(e) => format!(
                "{} (replayed before block {block})",
                super::revert::decode_revert(&alloy::contract::Error::from(e))
            ),
            Ok(_) => format!("reverted on chain in block {block}, out of gas or ordering: the call passes when replayed before it"),
        }
    }

    /// The last look before an entry that can no longer execute becomes final: its
    /// `TradeExecuted` (by nonce) found means executed; otherwise expired or abandoned.
    async fn finish_unexecuted(&mut self, entry: &Entry, nonce: u64, expired: bool) -> Result<()> {
        if let Some(receipt) = self.find_execution(nonce, entry.block).await? {
            info!(target: "proofgate::agent", agent = %self.config.name, entry = entry.id, nonce, tx = %receipt.transaction_hash, "the trade had executed");
            return self.record_mined(entry, &receipt).await;
        }
        if expired {
            self.journal().mark_expired(entry.id).map_err(journal_error)?;
            info!(target: "proofgate::agent", agent = %self.config.name, entry = entry.id, "its deadline passed unexecuted");
        } else {
            self.journal()
                .mark_abandoned(entry.id, "the nonce was consumed by another trade")
                .map_err(journal_error)?;
        }
        Ok(())
    }

    /// The receipt of this agent's `TradeExecuted` at `nonce`, searched from block `from` to the
    /// head in chunks of `rpc.log_chunk_blocks` (hosted providers refuse wide ranges).
    pub(super) async fn find_execution(
        &self,
        nonce: u64,
        from: u64,
    ) -> Result<Option<TransactionReceipt>> {
        let head = self.provider.get_block_number().await?;
        let chunk = self.shared.rpc.log_chunk_blocks.max(1);
        let mut start = from.max(self.shared.deployment.block);
        while start <= head {
            let end = (start + chunk - 1).min(head);
            let filter = Filter::new()
                .address(self.shared.deployment.vault)
                .event_signature(TradeExecuted::SIGNATURE_HASH)
                .topic1(self.address.into_word())
                .topic2(U256::from(nonce))
                .from_block(start)
                .to_block(end);
            let logs = self.provider.get_logs(&filter).await?;
            if let Some(hash) =
                logs.iter().find(|log| !log.removed).and_then(|l| l.transaction_hash)
            {
                return Ok(self.provider.get_transaction_receipt(hash).await?);
            }
            start = end + 1;
        }
        Ok(None)
    }
}

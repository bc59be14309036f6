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
use super::{chain_of, journal_error, settlement, to_u64, Agent, EventKind};
use crate::bindings::vault::IProofGateVault::{self, TradeExecuted};
use crate::journal::{Entry, Execution, JournaledTx, Status};
use crate::Result;

/// Why a sent trade can no longer execute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Ended {
    /// Its deadline passed.
    Expired,
    /// The vault's nonce moved past it.
    NonceUsed,
}

/// Whether a sent trade can still execute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fate {
    /// Yes: it is followed, sent again or replaced as needed.
    Live,
    /// Not at the head, but that is not yet `confirmations` deep.
    Settling,
    /// No, at the confirmation depth.
    Ended(Ended),
}

/// Where the chain stands at one step.
#[derive(Clone, Copy, Debug)]
pub(super) struct Head {
    /// The latest block's number.
    pub number: u64,
    /// Its timestamp.
    pub timestamp: u64,
}

impl Agent {
    /// Re-checks mined entries (executed, or reverted on chain) that are not final: final at
    /// depth, or back to submitted when a reorg removed their block.
    pub(super) async fn check_unconfirmed(&mut self, head: Head) -> Result<()> {
        let depth = self.shared.tx.confirmations;
        for entry in self.journal().unconfirmed(self.address).map_err(journal_error)? {
            let (Some(hash), Some(mined)) = (entry.tx_hash, entry.mined_block) else { continue };
            if self.still_in_block(hash, mined, entry.mined_block_hash).await? {
                if head.number.saturating_add(1) >= mined.saturating_add(depth) {
                    self.journal().mark_final(entry.id).map_err(journal_error)?;
                }
                continue;
            }
            let reason = format!("block {mined} left the canonical chain");
            self.journal().mark_reorged(entry.id, &reason).map_err(journal_error)?;
            let (executed, gas) = (entry.status == Status::Executed, entry.gas_used.unwrap_or(0));
            self.shared.metrics.update(&self.config.name, |c| {
                c.reorgs += 1;
                if executed {
                    c.executed = c.executed.saturating_sub(1);
                    c.gas_used = c.gas_used.saturating_sub(gas);
                } else {
                    c.reverted = c.reverted.saturating_sub(1);
                }
            });
            warn!(target: "proofgate::agent", agent = %self.config.name, entry = entry.id, tx = %hash, block = mined, "a reorg removed a mined trade; reconciling");
        }
        Ok(())
    }

    /// Whether `hash` is still in the canonical block `number` of hash `block_hash`. A missing
    /// receipt while the block itself is unchanged is a node lagging behind, not a reorg.
    async fn still_in_block(
        &self,
        hash: TxHash,
        number: u64,
        block_hash: Option<alloy::primitives::B256>,
    ) -> Result<bool> {
        let receipt = self.provider.get_transaction_receipt(hash).await?;
        if let Some(receipt) = receipt {
            return Ok(receipt.block_hash.is_some() && receipt.block_hash == block_hash);
        }
        let block = self.provider.get_block_by_number(number.into()).await?;
        Ok(block.is_some_and(|b| Some(b.header.hash) == block_hash))
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
        match self.fate(nonce, call.deadline, head).await? {
            Fate::Live => {}
            // Over at the head, not yet at depth: nothing is sent again (it could only revert
            // and pay gas) until the outcome is final.
            Fate::Settling => return Ok(true),
            Fate::Ended(ended) => {
                self.finish_unexecuted(entry, nonce, &hashes, ended).await?;
                if let (Ended::Expired, Some(latest)) = (ended, txs.last()) {
                    self.cancel_if_pending(latest).await?;
                }
                return Ok(false);
            }
        }
        let Some(latest) = txs.last() else {
            // Old journal: its transaction may still be in some pool. Sending another one at a
            // new nonce could execute it twice; it is followed by hash until it cannot execute.
            return Ok(true);
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
        if head.number >= sent_at.saturating_add(self.shared.tx.replace_after_blocks) {
            self.replace(entry.id, latest).await?;
        }
        Ok(true)
    }

    /// Whether a trade at vault nonce `nonce` with `deadline` can still execute. It has ended
    /// when its deadline passed, or the vault's nonce moved past it, on the block
    /// `confirmations − 1` below the head (so that a reorg the daemon reconciles cannot bring it
    /// back); it is settling while that is so at the head only.
    async fn fate(&self, nonce: u64, deadline: u64, head: Head) -> Result<Fate> {
        let vault = IProofGateVault::new(self.shared.deployment.vault, &self.provider);
        let latest_nonce = to_u64(vault.nonces(self.address).call().await?);
        if latest_nonce <= nonce && deadline >= head.timestamp {
            return Ok(Fate::Live);
        }
        let depth = self.shared.tx.confirmations.max(1);
        let confirmed = head.number.saturating_sub(depth - 1);
        let at = alloy::eips::BlockId::number(confirmed);
        let block =
            self.provider.get_block_by_number(confirmed.into()).await?.ok_or_else(|| {
                crate::Error::Config(format!("the node has no block {confirmed}"))
            })?;
        if deadline < block.header.timestamp {
            return Ok(Fate::Ended(Ended::Expired));
        }
        let vault_nonce = to_u64(vault.nonces(self.address).block(at).call().await?);
        Ok(if vault_nonce > nonce { Fate::Ended(Ended::NonceUsed) } else { Fate::Settling })
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
        let mined = Execution {
            tx_hash: receipt.transaction_hash,
            gas_used: receipt.gas_used,
            block,
            block_hash: receipt.block_hash.unwrap_or_default(),
            settlement: None,
        };
        self.journal().mark_reverted_mined(entry.id, &mined, &reason).map_err(journal_error)?;
        self.shared.metrics.update(&name, |c| c.reverted += 1);
        warn!(target: "proofgate::agent", agent = %name, entry = entry.id, tx = %receipt.transaction_hash, %reason, forced = entry.forced, "gated trade reverted on chain");
        self.emit(Some(entry.id), EventKind::Reverted { reason, forced: entry.forced }, observed);
        Ok(())
    }

    /// Why a mined trade reverted: the call replayed on the state before its block (the block
    /// itself is journaled with the entry).
    async fn replayed_reason(&self, entry: &Entry, block: u64) -> String {
        let Some(call) = TradeCall::of(entry) else { return "reverted on chain".into() };
        let request = self.trade_request(&call);
        let at = alloy::eips::BlockId::number(block.saturating_sub(1));
        match self.provider.call(request).block(at).await {
            Err(e) => super::revert::decode_revert(&alloy::contract::Error::from(e)),
            Ok(_) => "reverted on chain, though the call passes on the state before its block \
                      (out of gas, or a transaction ahead of it in the block moved the state)"
                .into(),
        }
    }

    /// The last look before an entry that can no longer execute becomes final: a
    /// `TradeExecuted` for its nonce from one of its own transactions means executed; from
    /// another transaction, or none, expired or abandoned.
    async fn finish_unexecuted(
        &mut self,
        entry: &Entry,
        nonce: u64,
        own: &[TxHash],
        ended: Ended,
    ) -> Result<()> {
        if let Some(hash) = self.find_execution(nonce, entry.block).await? {
            if own.contains(&hash) {
                if let Some(receipt) = self.provider.get_transaction_receipt(hash).await? {
                    info!(target: "proofgate::agent", agent = %self.config.name, entry = entry.id, nonce, tx = %hash, "the trade had executed");
                    return self.record_mined(entry, &receipt).await;
                }
                // The log is there but the receipt lags on this node: ask again next block.
                return Ok(());
            }
            let why = format!("the vault's nonce {nonce} was consumed by another trade ({hash})");
            self.journal().mark_abandoned(entry.id, &why).map_err(journal_error)?;
            return Ok(());
        }
        match ended {
            Ended::Expired => {
                self.journal().mark_expired(entry.id).map_err(journal_error)?;
                info!(target: "proofgate::agent", agent = %self.config.name, entry = entry.id, "its deadline passed unexecuted");
            }
            Ended::NonceUsed => {
                self.journal()
                    .mark_abandoned(entry.id, "the nonce was consumed by another trade")
                    .map_err(journal_error)?;
            }
        }
        Ok(())
    }

    /// After an entry expired, a transaction of it still in the pool would hold the account's
    /// nonce (and later be mined, revert and pay gas): it is replaced by a transfer of nothing
    /// to the account itself, when the bump fits under the cap.
    async fn cancel_if_pending(&mut self, latest: &JournaledTx) -> Result<()> {
        if !self.sender.known(latest.signed.hash).await? {
            return Ok(());
        }
        let policy = &self.shared.tx;
        match self.sender.cancel(&latest.signed, policy.fee_bump_percent, self.shared.fee_cap).await
        {
            Ok(hash) => {
                info!(target: "proofgate::agent", agent = %self.config.name, nonce = latest.signed.nonce, expired = %latest.signed.hash, cancel = %hash, "cancelled an expired trade's pending transaction");
            }
            Err(e) => {
                warn!(target: "proofgate::agent", agent = %self.config.name, nonce = latest.signed.nonce, error = %chain_of(&e), "could not cancel an expired trade's pending transaction; it holds the nonce until it is mined or dropped");
            }
        }
        Ok(())
    }

    /// The transaction of this agent's `TradeExecuted` at `nonce`, searched from block `from`
    /// to the head in chunks of `rpc.log_chunk_blocks` (hosted providers refuse wide ranges).
    pub(super) async fn find_execution(&self, nonce: u64, from: u64) -> Result<Option<TxHash>> {
        let head = self.provider.get_block_number().await?;
        let chunk = self.shared.rpc.log_chunk_blocks.max(1);
        let mut start = from.max(self.shared.deployment.block);
        while start <= head {
            let end = start.saturating_add(chunk - 1).min(head);
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
                return Ok(Some(hash));
            }
            start = end + 1;
        }
        Ok(None)
    }
}

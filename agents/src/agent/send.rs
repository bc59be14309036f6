//! Sending a journaled proof: the pre-flight call, signing at the account's nonce, journaling
//! the signed bytes, then broadcasting them; and the two ways a sent trade is sent again (the
//! same bytes, or a replacement with bumped fees).

use std::time::Instant;

use alloy::network::TransactionBuilder;
use alloy::primitives::U256;
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use alloy::sol_types::SolCall;
use tracing::{info, warn};

use super::revert::decode_revert;
use super::{journal_error, Agent, Crash, EventKind, DEFAULT_TRADE_GAS};
use crate::bindings::vault::IProofGateVault;
use crate::journal::{Entry, JournaledTx};
use crate::tx::{fees, Broadcast, Fees};
use crate::{Error, Result};

/// A journaled trade as the vault's `executeTrade` call.
pub(super) struct TradeCall {
    /// The trade.
    pub trade: IProofGateVault::Trade,
    /// Its deadline.
    pub deadline: u64,
    /// Its proof.
    pub proof: [U256; 8],
}

impl TradeCall {
    /// The call of a proved entry (none when its proof or deadline is missing).
    pub fn of(entry: &Entry) -> Option<Self> {
        Some(Self {
            trade: IProofGateVault::Trade {
                sellAsset: entry.sell_asset,
                buyAsset: entry.buy_asset,
                amountIn: entry.amount_in,
                amountOut: entry.amount_out,
            },
            deadline: entry.deadline?,
            proof: entry.proof?,
        })
    }

    fn calldata(&self) -> Vec<u8> {
        IProofGateVault::executeTradeCall {
            trade: self.trade.clone(),
            deadline: U256::from(self.deadline),
            proof: self.proof,
        }
        .abi_encode()
    }
}

/// What became of a send.
pub(super) enum Sent {
    /// Broadcast (or journaled and left to be followed); the entry is submitted.
    InFlight,
    /// Not sent: the entry is final (reverted in the pre-flight call, or abandoned as stale).
    Final {
        /// Decide again at once (the proof went stale).
        again: bool,
    },
}

impl Agent {
    /// Sends entry `id`'s proved trade: the pre-flight call decodes a revert's reason (a forced
    /// trade is sent anyway, so that it reverts on chain); then a transaction at the account's
    /// nonce is signed, journaled and broadcast.
    pub(super) async fn send_proved(
        &mut self,
        id: i64,
        call: &TradeCall,
        forced: bool,
        observed: Instant,
    ) -> Result<Sent> {
        let name = self.config.name.clone();
        let request = self.trade_request(call);
        let reason = match self.provider.call(request.clone()).await {
            Ok(_) => None,
            Err(e) => Some(decode_revert(&alloy::contract::Error::from(e))),
        };
        if let (Some(reason), false) = (&reason, forced) {
            if reason.starts_with("InvalidProof") && self.moved_since_proving(id, call).await? {
                self.journal()
                    .mark_abandoned(
                        id,
                        "the vault's state moved since proving (another trade or a price update)",
                    )
                    .map_err(journal_error)?;
                info!(target: "proofgate::agent", agent = %name, entry = id, "proof went stale before submission; deciding afresh");
                self.emit(Some(id), EventKind::Stale, observed);
                return Ok(Sent::Final { again: true });
            }
            if !reason.starts_with("rpc:") {
                self.journal().mark_reverted(id, None, None, reason).map_err(journal_error)?;
                self.shared.metrics.update(&name, |c| c.reverted += 1);
                warn!(target: "proofgate::agent", agent = %name, entry = id, %reason, "the vault would refuse the trade; not sent");
                let kind = EventKind::Reverted { reason: reason.clone(), forced };
                self.emit(Some(id), kind, observed);
                return Ok(Sent::Final { again: false });
            }
        }
        let nonce = self.sender.next_nonce().await?;
        let base_fee = self.sender.next_base_fee().await?;
        let bump = self.shared.tx.fee_bump_percent;
        let fees = fees::initial(base_fee, self.priority_fee(), self.shared.fee_cap, bump)
            .map_err(|e| Error::Config(format!("cannot price the trade: {e}")))?;
        let signed = self.sender.sign(request, nonce, fees).await?;
        // Durable before it leaves: after a crash the same bytes are sent again, never new ones.
        self.journal().record_signed(id, &signed).map_err(journal_error)?;
        self.observed.insert(id, observed);
        self.broadcast(id, &signed, false).await?;
        if self.shared.faults.crash == Crash::HaltAfterSubmit {
            warn!(target: "proofgate::agent", agent = %name, entry = id, tx_hash = %signed.hash, "fault injection: halting before the receipt");
            return Err(Error::Halted);
        }
        Ok(Sent::InFlight)
    }

    /// Broadcasts journaled bytes; a price refusal is answered with a replacement.
    pub(super) async fn broadcast(
        &mut self,
        id: i64,
        signed: &crate::journal::SignedTx,
        again: bool,
    ) -> Result<()> {
        if let Broadcast::Underpriced(why) = self.broadcast_once(id, signed, again).await? {
            info!(target: "proofgate::agent", agent = %self.config.name, entry = id, %why, "refused for its price; replacing");
            if let Some(latest) = self.journal().transactions(id).map_err(journal_error)?.pop() {
                self.replace(id, &latest).await?;
            }
        }
        Ok(())
    }

    /// Broadcasts journaled bytes once and notes when; returns the node's answer.
    async fn broadcast_once(
        &mut self,
        id: i64,
        signed: &crate::journal::SignedTx,
        again: bool,
    ) -> Result<Broadcast> {
        let head = self.provider.get_block_number().await?;
        let answer = self.sender.broadcast(signed).await?;
        match &answer {
            Broadcast::Accepted => {
                self.sent_at.insert(signed.hash, head);
                if again {
                    self.shared.metrics.update(&self.config.name, |c| c.tx_rebroadcasts += 1);
                }
            }
            // Mined (a receipt will show it) or replaced by the account: followed by hash.
            Broadcast::NonceUsed | Broadcast::Underpriced(_) => {}
            Broadcast::Refused(why) => {
                warn!(target: "proofgate::agent", agent = %self.config.name, entry = id, %why, "the node refused the transaction");
            }
        }
        Ok(answer)
    }

    /// Replaces the entry's latest transaction with both fees bumped, within the cap; a bump
    /// above the cap waits (logged) for the base fee to fall.
    pub(super) async fn replace(&mut self, id: i64, latest: &JournaledTx) -> Result<()> {
        let entry = self.journal().get(id).map_err(journal_error)?;
        let Some(call) = TradeCall::of(&entry) else { return Ok(()) };
        let current = Fees {
            max_fee_per_gas: latest.signed.max_fee_per_gas,
            max_priority_fee_per_gas: latest.signed.max_priority_fee_per_gas,
        };
        let base_fee = self.sender.next_base_fee().await?;
        let policy = &self.shared.tx;
        let fees = match fees::bump(current, base_fee, policy.fee_bump_percent, self.shared.fee_cap)
        {
            Ok(fees) => fees,
            Err(e) => {
                if self.fee_warned.insert(id) {
                    warn!(target: "proofgate::agent", agent = %self.config.name, entry = id, error = %e, "cannot replace the stuck transaction within the cap; waiting");
                }
                return Ok(());
            }
        };
        let signed = self.sender.sign(self.trade_request(&call), latest.signed.nonce, fees).await?;
        self.journal().record_signed(id, &signed).map_err(journal_error)?;
        info!(target: "proofgate::agent", agent = %self.config.name, entry = id, old = %latest.signed.hash, new = %signed.hash, max_fee = fees.max_fee_per_gas, "replacing a stuck transaction");
        self.shared.metrics.update(&self.config.name, |c| c.tx_replacements += 1);
        // A replacement still refused for its price is bumped again at a later step.
        self.broadcast_once(id, &signed, false).await?;
        Ok(())
    }

    /// The `executeTrade` transaction of `call` from the agent, with the policy's gas limit.
    pub(super) fn trade_request(&self, call: &TradeCall) -> TransactionRequest {
        TransactionRequest::default()
            .with_from(self.address)
            .with_to(self.shared.deployment.vault)
            .with_input(call.calldata())
            .with_gas_limit(self.shared.gas.gas_limit.unwrap_or(DEFAULT_TRADE_GAS))
    }

    /// The tip offered, wei per gas.
    fn priority_fee(&self) -> u128 {
        u128::from(self.shared.gas.priority_fee_gwei.unwrap_or(1)) * 1_000_000_000
    }

    /// Whether the vault's public inputs for `call` now differ from those journaled at proving.
    pub(super) async fn moved_since_proving(&self, id: i64, call: &TradeCall) -> Result<bool> {
        let entry = self.journal().get(id).map_err(journal_error)?;
        let vault = IProofGateVault::new(self.shared.deployment.vault, &self.provider);
        let now = vault
            .publicInputs(self.address, call.trade.clone(), U256::from(call.deadline))
            .call()
            .await?;
        Ok(entry.public_inputs.is_some_and(|proved| proved != now))
    }

    /// Whether the vault would execute `call` now (its proof holds on the current state).
    pub(super) async fn still_valid(&self, call: &TradeCall) -> Result<bool> {
        let vault = IProofGateVault::new(self.shared.deployment.vault, &self.provider);
        let check = vault
            .checkTrade(self.address, call.trade.clone(), U256::from(call.deadline), call.proof)
            .call()
            .await;
        match check {
            Ok(valid) => Ok(valid),
            // A refusal before the proof check (deadline, pause, holdings) is a "no".
            Err(e) if e.as_revert_data().is_some() => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}

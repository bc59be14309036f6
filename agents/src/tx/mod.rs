//! The transaction lifecycle: the daemon owns each agent account's nonce, signs every
//! transaction itself, journals the signed bytes before broadcasting them, and follows them to a
//! final outcome.
//!
//! ```text
//! sign ─ journal ─ broadcast ─┬─ mined ─ executed (re-checked each block) ─ final at depth
//!                             │            └─ removed by a reorg ─ back to broadcast
//!                             ├─ unknown to the node (dropped) ─ the same bytes again
//!                             └─ not mined after N blocks, or refused for its price
//!                                  ─ a replacement with both fees bumped (journaled first)
//! ```
//!
//! - [`fees`]: the first offer and the bump (EIP-1559 replacement rules, within the cap);
//! - [`TxSender`]: nonce ownership, signing, broadcasting, and what the node said.

pub mod fees;

use alloy::consensus::Transaction as _;
use alloy::eips::eip2718::Encodable2718;
use alloy::network::{EthereumWallet, NetworkTransactionBuilder, TransactionBuilder};
use alloy::primitives::{Address, Bytes, TxHash};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use tracing::{info, warn};

use crate::chain::ChainProvider;
use crate::journal::SignedTx;
use crate::{Error, Result};

pub use fees::{FeeError, Fees};

/// What a node answered to a broadcast.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Broadcast {
    /// Accepted into its pool (or already there).
    Accepted,
    /// Its nonce is already used: mined, or replaced by another transaction of the account.
    NonceUsed,
    /// Refused for its price: below the base fee, or a replacement below the price bump.
    Underpriced(String),
    /// Refused for another reason the node named (the transaction is not in its pool).
    Refused(String),
}

/// Signs and broadcasts one account's transactions and owns its nonce.
///
/// The nonce comes from the node's pending count when the sender starts and after any error
/// ([`TxSender::resync`]); in between it is counted here. Nothing else may send from the account
/// (the daemon refuses two agents with one key; across hosts see the README).
pub struct TxSender {
    provider: ChainProvider,
    wallet: EthereumWallet,
    account: Address,
    chain_id: u64,
    next_nonce: Option<u64>,
}

impl TxSender {
    /// A sender for `signer`'s account on chain `chain_id`, through `provider` (which needs no
    /// wallet: transactions are signed here and sent raw).
    pub fn new(provider: ChainProvider, signer: PrivateKeySigner, chain_id: u64) -> Self {
        let account = signer.address();
        Self { provider, wallet: EthereumWallet::from(signer), account, chain_id, next_nonce: None }
    }

    /// The account.
    pub fn account(&self) -> Address {
        self.account
    }

    /// Forgets the counted nonce: the next one is read from the node's pending count.
    pub fn resync(&mut self) {
        self.next_nonce = None;
    }

    /// The nonce for a new transaction: the node's pending count. Called only when none of the
    /// account's transactions is in flight, so a counted nonce above it belonged to a
    /// transaction that is gone (it is reused), and one below it means another sender.
    pub async fn next_nonce(&mut self) -> Result<u64> {
        let pending = self.provider.get_transaction_count(self.account).pending().await?;
        match self.next_nonce {
            Some(counted) if counted < pending => {
                warn!(target: "proofgate::tx", account = %self.account, counted, pending, "the node counts more transactions than this daemon sent: another sender uses this key");
            }
            Some(counted) if counted > pending => {
                info!(target: "proofgate::tx", account = %self.account, counted, pending, "a transaction this daemon sent is gone: its nonce is reused");
            }
            _ => {}
        }
        self.next_nonce = Some(pending);
        Ok(pending)
    }

    /// The next block's base fee, estimated from the latest block (EIP-1559's update rule).
    pub async fn next_base_fee(&self) -> Result<u128> {
        let block = self
            .provider
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
            .await?
            .ok_or_else(|| Error::Config("the node has no latest block".into()))?;
        let header = &block.header;
        let base = u128::from(header.base_fee_per_gas.unwrap_or(0));
        let (used, limit) = (u128::from(header.gas_used), u128::from(header.gas_limit));
        let target = (limit / 2).max(1);
        // The base fee moves by at most 1/8 toward the gas used's distance from the target.
        Ok(if used > target {
            base + (base * (used - target) / target / 8).max(1)
        } else {
            base - base * (target - used) / target / 8
        })
    }

    /// Signs `request` (its `to`, data and gas limit set) at `nonce` with `fees`.
    pub async fn sign(
        &self,
        request: TransactionRequest,
        nonce: u64,
        fees: Fees,
    ) -> Result<SignedTx> {
        let request = request
            .with_from(self.account)
            .with_nonce(nonce)
            .with_chain_id(self.chain_id)
            .with_max_fee_per_gas(fees.max_fee_per_gas)
            .with_max_priority_fee_per_gas(fees.max_priority_fee_per_gas);
        let envelope = request
            .build(&self.wallet)
            .await
            .map_err(|e| Error::Config(format!("cannot sign the transaction: {e}")))?;
        Ok(SignedTx {
            hash: *envelope.tx_hash(),
            account: self.account,
            nonce: envelope.nonce(),
            max_fee_per_gas: envelope.max_fee_per_gas(),
            max_priority_fee_per_gas: envelope.max_priority_fee_per_gas().unwrap_or_default(),
            raw: Bytes::from(envelope.encoded_2718()),
        })
    }

    /// Sends signed bytes and classifies the node's answer; the counted nonce moves past an
    /// accepted transaction, and is re-read from the node after anything else.
    pub async fn broadcast(&mut self, tx: &SignedTx) -> Result<Broadcast> {
        let outcome = match self.provider.send_raw_transaction(&tx.raw).await {
            Ok(_) => Broadcast::Accepted,
            Err(e) => match e.as_error_resp() {
                Some(payload) => classify(&payload.message),
                // No JSON-RPC answer (timeout, connection): the transaction may or may not have
                // arrived; the caller follows it by its hash.
                None => return Err(Error::Rpc(e)),
            },
        };
        match &outcome {
            Broadcast::Accepted => {
                self.next_nonce = Some(tx.nonce + 1);
                info!(target: "proofgate::tx", hash = %tx.hash, nonce = tx.nonce, max_fee = tx.max_fee_per_gas, "broadcast");
            }
            other => {
                self.resync();
                warn!(target: "proofgate::tx", hash = %tx.hash, nonce = tx.nonce, answer = ?other, "broadcast not accepted");
            }
        }
        Ok(outcome)
    }

    /// Replaces `stuck` (still pending, no longer wanted) with a transfer of nothing to the
    /// account itself at the same nonce, both fees bumped within `cap`; returns its hash.
    pub async fn cancel(
        &mut self,
        stuck: &SignedTx,
        bump_percent: u64,
        cap: u128,
    ) -> Result<TxHash> {
        let current = Fees {
            max_fee_per_gas: stuck.max_fee_per_gas,
            max_priority_fee_per_gas: stuck.max_priority_fee_per_gas,
        };
        let base_fee = self.next_base_fee().await?;
        let fees = fees::bump(current, base_fee, bump_percent, cap)
            .map_err(|e| Error::Config(format!("cannot cancel: {e}")))?;
        let request = TransactionRequest::default().with_to(self.account).with_gas_limit(21_000);
        let cancel = self.sign(request, stuck.nonce, fees).await?;
        match self.broadcast(&cancel).await? {
            Broadcast::Accepted | Broadcast::NonceUsed => Ok(cancel.hash),
            Broadcast::Underpriced(why) | Broadcast::Refused(why) => {
                Err(Error::Config(format!("the node refused the cancellation: {why}")))
            }
        }
    }

    /// Whether the node knows the transaction (in its pool or mined).
    pub async fn known(&self, hash: TxHash) -> Result<bool> {
        Ok(self.provider.get_transaction_by_hash(hash).await?.is_some())
    }
}

/// Reads a node's refusal: nonce reuse, price, or anything else (kept verbatim).
fn classify(message: &str) -> Broadcast {
    let lower = message.to_ascii_lowercase();
    if lower.contains("already known") || lower.contains("known transaction") {
        Broadcast::Accepted
    } else if lower.contains("nonce too low") || lower.contains("nonce has already been used") {
        Broadcast::NonceUsed
    } else if lower.contains("underpriced")
        || lower.contains("base fee")
        || lower.contains("fee cap")
        || lower.contains("max fee per gas less")
    {
        Broadcast::Underpriced(message.to_string())
    } else {
        Broadcast::Refused(message.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_answers_are_classified() {
        let cases = [
            ("already known", Broadcast::Accepted),
            ("nonce too low", Broadcast::NonceUsed),
            ("replacement transaction underpriced", Broadcast::Underpriced(String::new())),
            ("max fee per gas less than block base fee", Broadcast::Underpriced(String::new())),
            ("insufficient funds for gas * price + value", Broadcast::Refused(String::new())),
        ];
        for (message, expected) in cases {
            let got = classify(message);
            assert_eq!(
                std::mem::discriminant(&got),
                std::mem::discriminant(&expected),
                "{message}"
            );
        }
    }
}

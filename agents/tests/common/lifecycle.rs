//! The journal's record of signed transactions and finality (schema v3), as the fault tests
//! read it.

use alloy::primitives::{Address, TxHash};
use proofgate_agents::journal::{Entry, Journal};

use super::BoxError;

/// One journaled transaction of an entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxRecord {
    /// Its hash.
    pub hash: TxHash,
    /// The account nonce it uses.
    pub nonce: Option<u64>,
    /// Its max fee per gas, wei.
    pub max_fee_per_gas: u128,
    /// Its max priority fee per gas, wei.
    pub max_priority_fee_per_gas: u128,
}

/// The transactions journaled for entry `id`, oldest first.
pub fn journaled_txs(journal: &Journal, id: i64) -> Result<Vec<TxRecord>, BoxError> {
    Ok(journal
        .transactions(id)?
        .into_iter()
        .map(|tx| TxRecord {
            hash: tx.signed.hash,
            nonce: Some(tx.signed.nonce),
            max_fee_per_gas: tx.signed.max_fee_per_gas,
            max_priority_fee_per_gas: tx.signed.max_priority_fee_per_gas,
        })
        .collect())
}

/// `agent`'s executed entries that are not final yet.
pub fn unconfirmed(journal: &Journal, agent: Address) -> Result<Vec<Entry>, BoxError> {
    Ok(journal.unconfirmed(agent)?)
}

/// Whether an executed entry is final (deep enough).
pub fn finalized(entry: &Entry) -> bool {
    entry.finalized
}

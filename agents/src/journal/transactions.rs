//! Signed transactions, journaled before they are broadcast.

use alloy::primitives::{keccak256, Address, Bytes, TxHash};
use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};
use tracing::debug;

use super::codec::{
    bytes_text, column, hash_text, int, now_unix, parse_address, parse_bytes, parse_hash,
    parse_u128, sqlite, uint,
};
use super::lifecycle::transition;
use super::{Journal, JournalError, Status};

/// A signed transaction, as [`Journal::record_signed`] stores it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedTx {
    /// Its hash: the keccak-256 of `raw`.
    pub hash: TxHash,
    /// The account that signed it.
    pub account: Address,
    /// The account's nonce it uses (replacements reuse it).
    pub nonce: u64,
    /// Its EIP-1559 maximum fee per gas, in wei.
    pub max_fee_per_gas: u128,
    /// Its EIP-1559 maximum priority fee per gas, in wei.
    pub max_priority_fee_per_gas: u128,
    /// The signed transaction's EIP-2718 encoding (what `eth_sendRawTransaction` takes).
    pub raw: Bytes,
}

/// A journaled transaction, as [`Journal::transactions`] returns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JournaledTx {
    /// The entry it was signed for.
    pub entry_id: i64,
    /// When it was journaled (unix seconds).
    pub created_at: u64,
    /// The transaction.
    pub signed: SignedTx,
}

impl Journal {
    /// Journals `signed` for entry `entry_id` and marks the entry submitted with its hash
    /// (proved or submitted → submitted), in one SQLite transaction: when this returns, the
    /// signed transaction is on disk and may be broadcast; a crash leaves both or neither.
    ///
    /// Refused, with nothing written: a hash that is not the keccak-256 of `raw`
    /// ([`JournalError::HashMismatch`]), an account or account nonce other than those of the
    /// entry's earlier transactions (a replacement reuses both:
    /// [`JournalError::ReplacementMismatch`]), a hash already journaled
    /// ([`JournalError::DuplicateTransaction`]), and an entry that is not proved or submitted
    /// ([`JournalError::Transition`], [`JournalError::NotFound`]).
    pub fn record_signed(&self, entry_id: i64, signed: &SignedTx) -> Result<(), JournalError> {
        let computed = keccak256(&signed.raw);
        if computed != signed.hash {
            return Err(JournalError::HashMismatch { id: entry_id, hash: signed.hash, computed });
        }
        let nonce = int("transactions.nonce", signed.nonce)?;
        let now = int("transactions.created_at", now_unix())?;
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sqlite(&self.location, "begin a transaction"))?;
        check_replacement(&tx, &self.location, entry_id, signed)?;
        let hash = hash_text(signed.hash);
        transition(&tx, &self.location, entry_id, Status::Submitted, "tx_hash = ?4", &[&hash])?;
        let inserted = tx
            .prepare_cached(
                "INSERT INTO transactions (hash, entry_id, account, nonce, max_fee_per_gas, \
                 max_priority_fee_per_gas, raw, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    hash,
                    entry_id,
                    signed.account.to_checksum(None),
                    nonce,
                    signed.max_fee_per_gas.to_string(),
                    signed.max_priority_fee_per_gas.to_string(),
                    bytes_text(&signed.raw),
                    now,
                ])
            });
        if let Err(e) = inserted {
            return Err(duplicate_transaction(&tx, &self.location, entry_id, signed.hash)?
                .unwrap_or_else(|| sqlite(&self.location, "journal a transaction")(e)));
        }
        tx.commit().map_err(sqlite(&self.location, "commit a transaction"))?;
        debug!(target: "proofgate::journal", id = entry_id, tx = %signed.hash, nonce = signed.nonce, "signed transaction journaled");
        Ok(())
    }

    /// The transactions journaled for entry `entry_id`, oldest first (none for an entry without
    /// any, or with no such entry). A stored value that does not parse back is
    /// [`JournalError::Corrupt`] naming `transactions.{column}`.
    pub fn transactions(&self, entry_id: i64) -> Result<Vec<JournaledTx>, JournalError> {
        let conn = self.conn();
        let read = || sqlite(&self.location, "read transactions");
        let mut stmt = conn
            .prepare_cached(
                "SELECT hash, account, nonce, max_fee_per_gas, max_priority_fee_per_gas, raw, \
                 created_at FROM transactions WHERE entry_id = ?1 ORDER BY rowid",
            )
            .map_err(read())?;
        let mut rows = stmt.query([entry_id]).map_err(read())?;
        let mut txs = Vec::new();
        while let Some(row) = rows.next().map_err(read())? {
            txs.push(parse_tx(row, entry_id)?);
        }
        Ok(txs)
    }
}

/// Refuses `signed` if the entry's first transaction used another account or account nonce.
fn check_replacement(
    conn: &Connection,
    location: &str,
    id: i64,
    signed: &SignedTx,
) -> Result<(), JournalError> {
    let first: Option<(String, i64)> = conn
        .prepare_cached(
            "SELECT account, nonce FROM transactions WHERE entry_id = ?1 ORDER BY rowid LIMIT 1",
        )
        .and_then(|mut stmt| stmt.query_row([id], |row| Ok((row.get(0)?, row.get(1)?))))
        .optional()
        .map_err(sqlite(location, "read the entry's transactions"))?;
    let Some((account, nonce)) = first else { return Ok(()) };
    let corrupt = |column| move |detail| JournalError::Corrupt { id, column, detail };
    let account = parse_address(account).map_err(corrupt("transactions.account"))?;
    let nonce = uint(nonce).map_err(corrupt("transactions.nonce"))?;
    let mismatch = |field, earlier: String, given: String| {
        Err(JournalError::ReplacementMismatch { id, field, earlier, given })
    };
    if account != signed.account {
        return mismatch("account", account.to_checksum(None), signed.account.to_checksum(None));
    }
    if nonce != signed.nonce {
        return mismatch("nonce", nonce.to_string(), signed.nonce.to_string());
    }
    Ok(())
}

/// The [`JournalError::DuplicateTransaction`] when `hash` is already journaled (`None` if it is
/// not: the insert failed for another reason).
fn duplicate_transaction(
    conn: &Connection,
    location: &str,
    id: i64,
    hash: TxHash,
) -> Result<Option<JournalError>, JournalError> {
    let existing: Option<i64> = conn
        .query_row("SELECT entry_id FROM transactions WHERE hash = ?1", [hash_text(hash)], |row| {
            row.get(0)
        })
        .optional()
        .map_err(sqlite(location, "look up a journaled transaction"))?;
    Ok(existing.map(|existing| JournalError::DuplicateTransaction { id, hash, existing }))
}

/// Parses one row of [`Journal::transactions`]'s query; the raw bytes must hash to the hash.
fn parse_tx(row: &Row<'_>, id: i64) -> Result<JournaledTx, JournalError> {
    let hash = column(row, id, "transactions.hash", parse_hash)?;
    let raw = column(row, id, "transactions.raw", parse_bytes)?;
    if keccak256(&raw) != hash {
        return Err(JournalError::Corrupt {
            id,
            column: "transactions.raw",
            detail: format!("does not hash to {hash}"),
        });
    }
    Ok(JournaledTx {
        entry_id: id,
        created_at: column(row, id, "transactions.created_at", uint)?,
        signed: SignedTx {
            hash,
            account: column(row, id, "transactions.account", parse_address)?,
            nonce: column(row, id, "transactions.nonce", uint)?,
            max_fee_per_gas: column(row, id, "transactions.max_fee_per_gas", parse_u128)?,
            max_priority_fee_per_gas: column(
                row,
                id,
                "transactions.max_priority_fee_per_gas",
                parse_u128,
            )?,
            raw,
        },
    })
}

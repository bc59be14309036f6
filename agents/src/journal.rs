//! The agent daemon's durable journal: every decision, proof and transaction, in SQLite.
//!
//! A crash between proving and submitting must never cause a double trade, and a restart must
//! resume where the daemon stopped. So each step is committed before the next begins:
//!
//! ```text
//! record(Proving) ─ mark_proved ─ record_signed ─┬─ mark_executed ─┬─ mark_final
//!                   (or mark_submitted)           │                 └─ mark_reorged → submitted
//!                                                 ├─ mark_reverted
//!                                                 └─ mark_expired
//! (Skipped and Refused entries are recorded final; any pending entry may be abandoned)
//! ```
//!
//! [`Journal::record_signed`] journals each signed transaction (the first and every
//! replacement) in the same SQLite transaction that marks the entry submitted, before it is
//! broadcast, so a restart can rebroadcast exactly what may be in a mempool
//! ([`Journal::transactions`]). An executed entry stays open ([`Journal::unconfirmed`]) until
//! its block is past the confirmation depth ([`Journal::mark_final`]); a reorg that removes it
//! before then sends it back to submitted ([`Journal::mark_reorged`]). The unique index
//! `entries_one_execution` makes two executed entries for one (vault, agent, vault nonce)
//! impossible ([`JournalError::DuplicateExecution`]).
//!
//! Every transition is one `UPDATE … WHERE id = ? AND status IN (…)`: an illegal one (or an
//! unknown id) changes nothing and returns [`JournalError::Transition`] or
//! [`JournalError::NotFound`]. The database runs in WAL mode with `synchronous = FULL`, so when
//! [`Journal::mark_proved`] returns the proof is on disk and the caller may send it. On chain a
//! proof is bound to the agent's nonce, so sending the same proof again after a crash executes at
//! most once; recovery reads [`Journal::pending`] and reconciles those entries with the chain.
//!
//! Schema versions and upgrades: see [`JOURNAL_SCHEMA_VERSION`].
//!
//! Storage: amounts and fees as decimal TEXT, proofs and public inputs as JSON arrays of 0x-hex
//! strings, addresses checksummed, hashes and raw transactions as 0x-hex, statuses by
//! [`Status::as_str`]. A stored value that does not parse back is reported as
//! [`JournalError::Corrupt`], never guessed at.

mod codec;
mod error;
mod history;
mod lifecycle;
mod schema;
mod status;
mod transactions;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use alloy::primitives::{Address, TxHash, B256, U256};
use rusqlite::types::ToSql;
use rusqlite::{params, Connection};
use tracing::debug;

use codec::{column, int, now_unix, parse_entry, parse_status, sqlite, status_list, uint};
pub use error::JournalError;
pub use history::format_history;
pub(crate) use history::utc;
pub use schema::JOURNAL_SCHEMA_VERSION;
use schema::{init, COLUMNS};
pub use status::{ParseStatusError, Status};
pub use transactions::{JournaledTx, SignedTx};

/// A strategy's decision, as [`Journal::record`] stores it.
#[derive(Clone, Debug, PartialEq)]
pub struct NewDecision {
    /// The agent that decided.
    pub agent: Address,
    /// The vault the trade is for.
    pub vault: Address,
    /// The strategy's name.
    pub strategy: String,
    /// The block the decision was made at.
    pub block: u64,
    /// The vault's index of the asset sold.
    pub sell_asset: u8,
    /// The vault's index of the asset bought.
    pub buy_asset: u8,
    /// The amount sold, in the sold asset's base units.
    pub amount_in: U256,
    /// The least amount bought, in the bought asset's base units.
    pub amount_out: U256,
    /// A deliberately invalid submission (for demos): its revert is the expected outcome.
    pub forced: bool,
    /// Why the strategy proposed it, or why it was skipped or refused.
    pub reason: String,
}

/// A proof made for an entry, as [`Journal::mark_proved`] stores it.
#[derive(Clone, Debug, PartialEq)]
pub struct ProvedTrade {
    /// The agent's vault nonce the proof is bound to.
    pub nonce: u64,
    /// The deadline (unix seconds) the proof is bound to.
    pub deadline: u64,
    /// The Groth16 proof in the verifier's calldata order.
    pub proof: [U256; 8],
    /// The statement's public inputs.
    pub public_inputs: Vec<U256>,
    /// Seconds spent proving.
    pub prove_s: f64,
}

/// What the vault reported for an executed trade (its `TradeExecuted` event).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Settlement {
    /// The amount of the bought asset the vault received (at least the entry's `amount_out`).
    pub amount_received: U256,
    /// What the trade cost the agent's loss budget: USD at 1e8 sold minus received, at the
    /// vault's oracle prices (0 when it received at least what it sold).
    pub shortfall: U256,
}

/// One journal entry: a decision and everything that has happened to it since.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Entry {
    /// The entry's id (increasing in the order entries were recorded).
    pub id: i64,
    /// The agent that decided.
    pub agent: Address,
    /// When it was recorded (unix seconds).
    pub created_at: u64,
    /// When it last changed (unix seconds).
    pub updated_at: u64,
    /// The strategy's name.
    pub strategy: String,
    /// The block the decision was made at.
    pub block: u64,
    /// The vault's index of the asset sold.
    pub sell_asset: u8,
    /// The vault's index of the asset bought.
    pub buy_asset: u8,
    /// The amount sold.
    pub amount_in: U256,
    /// The least amount bought.
    pub amount_out: U256,
    /// A deliberately invalid submission (for demos).
    pub forced: bool,
    /// Where it stands.
    pub status: Status,
    /// Why it was proposed, skipped or refused; an abandonment's reason is appended.
    pub reason: String,
    /// The nonce the proof is bound to (once proved).
    pub nonce: Option<u64>,
    /// The deadline the proof is bound to (once proved).
    pub deadline: Option<u64>,
    /// The proof (once proved).
    pub proof: Option<[U256; 8]>,
    /// The statement's public inputs (once proved).
    pub public_inputs: Option<Vec<U256>>,
    /// Seconds spent proving (once proved, if the time was a finite number).
    pub prove_s: Option<f64>,
    /// The latest transaction's hash (once submitted; every signed one is in
    /// [`Journal::transactions`]).
    pub tx_hash: Option<TxHash>,
    /// Gas used by the mined transaction.
    pub gas_used: Option<u64>,
    /// The block the transaction was mined in (once executed; cleared by a reorg).
    pub mined_block: Option<u64>,
    /// Why it reverted (once reverted).
    pub revert_reason: Option<String>,
    /// What the vault received and charged to the loss budget (once executed, when known).
    pub settlement: Option<Settlement>,
    /// The vault the trade is for; `None` for entries recorded before schema version 3, which
    /// are for the deployment the journal was written for.
    pub vault: Option<Address>,
    /// For an executed entry: whether its block is past the confirmation depth, so no reorg the
    /// daemon reconciles can undo it ([`Journal::mark_final`]). Executed entries recorded before
    /// schema version 3 are final. Always `false` for other statuses.
    pub finalized: bool,
    /// The hash of the block the transaction was mined in (once executed, from version 3 on).
    pub mined_block_hash: Option<B256>,
}

/// A mined, successful transaction, as [`Journal::mark_executed`] stores it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Execution {
    /// The transaction's hash.
    pub tx_hash: TxHash,
    /// Gas it used.
    pub gas_used: u64,
    /// The block it was mined in.
    pub block: u64,
    /// That block's hash (a reorg is noticed when the chain's block at `block` differs).
    pub block_hash: B256,
    /// What the vault reported the trade received and charged (`None` when unknown).
    pub settlement: Option<Settlement>,
}

/// The durable journal: one SQLite database, shared between an agent's tasks (it is
/// `Send + Sync`; wrap it in an `Arc`).
#[derive(Debug)]
pub struct Journal {
    /// The connection; SQLite's own locking keeps other processes' connections consistent.
    conn: Mutex<Connection>,
    /// The database file, or `None` in memory.
    path: Option<PathBuf>,
    /// The path as shown in errors, or `:memory:`.
    location: String,
}

/// The SQL condition of a mined entry that is not final yet (a revert without a block is a
/// pre-flight refusal: nothing was mined, nothing to re-check).
const UNCONFIRMED: &str = "finalized = 0 AND (status = 'executed' \
     OR (status = 'reverted' AND mined_block_hash IS NOT NULL))";

impl Journal {
    /// Opens the journal at `path`, creating its directory, the file and the schema if missing.
    ///
    /// The database runs in WAL mode with `synchronous = FULL` (every commit is on disk when it
    /// returns) and waits for other connections' locks. A journal of schema version 1 or 2 is
    /// upgraded (see [`JOURNAL_SCHEMA_VERSION`]); one of another version is refused.
    pub fn open(path: &Path) -> Result<Self, JournalError> {
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|source| JournalError::CreateDir { path: dir.to_path_buf(), source })?;
        }
        let location = path.display().to_string();
        let conn = Connection::open(path).map_err(sqlite(&location, "open the database"))?;
        let conn = init(conn, &location, true)?;
        debug!(target: "proofgate::journal", path = %location, "journal opened");
        Ok(Self { conn: Mutex::new(conn), path: Some(path.to_path_buf()), location })
    }

    /// Opens an empty journal in memory (for tests: nothing survives it).
    pub fn open_in_memory() -> Result<Self, JournalError> {
        let location = ":memory:".to_owned();
        let conn = Connection::open_in_memory().map_err(sqlite(&location, "open the database"))?;
        let conn = init(conn, &location, false)?;
        Ok(Self { conn: Mutex::new(conn), path: None, location })
    }

    /// The database file, or `None` for a journal in memory.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Records a new decision in `status` (skipped, refused or proving) and returns its id.
    pub fn record(&self, decision: &NewDecision, status: Status) -> Result<i64, JournalError> {
        if !matches!(status, Status::Skipped | Status::Refused | Status::Proving) {
            return Err(JournalError::InitialStatus { status });
        }
        let now = int("created_at", now_unix())?;
        let block = int("block", decision.block)?;
        let conn = self.conn();
        conn.prepare_cached(
            "INSERT INTO entries (agent, created_at, updated_at, strategy, block, sell_asset, \
             buy_asset, amount_in, amount_out, forced, status, reason, vault) \
             VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )
        .and_then(|mut stmt| {
            stmt.execute(params![
                decision.agent.to_checksum(None),
                now,
                decision.strategy,
                block,
                decision.sell_asset,
                decision.buy_asset,
                decision.amount_in.to_string(),
                decision.amount_out.to_string(),
                decision.forced,
                status.as_str(),
                decision.reason,
                decision.vault.to_checksum(None),
            ])
        })
        .map_err(sqlite(&self.location, "record a decision"))?;
        let id = conn.last_insert_rowid();
        debug!(target: "proofgate::journal", id, agent = %decision.agent, %status, "decision recorded");
        Ok(id)
    }

    /// The entry `id`.
    pub fn get(&self, id: i64) -> Result<Entry, JournalError> {
        self.query(&format!("SELECT {COLUMNS} FROM entries WHERE id = ?1"), &[&id])?
            .pop()
            .ok_or(JournalError::NotFound { id })
    }

    /// `agent`'s entries that are proving, proved or submitted, oldest first: what a restart must
    /// reconcile with the chain.
    pub fn pending(&self, agent: Address) -> Result<Vec<Entry>, JournalError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM entries WHERE agent = ?1 AND status IN ({}) ORDER BY id",
            status_list(&Status::PENDING)
        );
        self.query(&sql, &[&agent.to_checksum(None)])
    }

    /// `agent`'s mined entries (executed, or reverted on chain) that are not final yet, oldest
    /// first: what must be re-checked against the chain until [`Journal::mark_final`] or
    /// [`Journal::mark_reorged`].
    pub fn unconfirmed(&self, agent: Address) -> Result<Vec<Entry>, JournalError> {
        let sql =
            format!("SELECT {COLUMNS} FROM entries WHERE agent = ?1 AND {UNCONFIRMED} ORDER BY id");
        self.query(&sql, &[&agent.to_checksum(None)])
    }

    /// How many of `agent`'s entries are open: pending (proving, proved, submitted) or executed
    /// and not final (for a gauge).
    pub fn open_entries(&self, agent: Address) -> Result<u64, JournalError> {
        let sql = format!(
            "SELECT COUNT(*) FROM entries WHERE agent = ?1 AND (status IN ({}) OR {UNCONFIRMED})",
            status_list(&Status::PENDING)
        );
        let conn = self.conn();
        let n: i64 = conn
            .prepare_cached(&sql)
            .and_then(|mut stmt| stmt.query_row([agent.to_checksum(None)], |row| row.get(0)))
            .map_err(sqlite(&self.location, "count open entries"))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The latest `limit` entries, of `agent` or of every agent, newest first.
    pub fn history(
        &self,
        agent: Option<Address>,
        limit: usize,
    ) -> Result<Vec<Entry>, JournalError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM entries WHERE (?1 IS NULL OR agent = ?1) \
             ORDER BY id DESC LIMIT ?2"
        );
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.query(&sql, &[&agent.map(|a| a.to_checksum(None)), &limit])
    }

    /// How many entries, of `agent` or of every agent, are in each status (every status is a
    /// key, with 0 where none is).
    pub fn counts(&self, agent: Option<Address>) -> Result<BTreeMap<Status, u64>, JournalError> {
        let mut counts: BTreeMap<Status, u64> = Status::ALL.into_iter().map(|s| (s, 0)).collect();
        let conn = self.conn();
        let read = |action| sqlite(&self.location, action);
        let mut stmt = conn
            .prepare_cached(
                "SELECT status, COUNT(*), MIN(id) FROM entries WHERE (?1 IS NULL OR agent = ?1) \
                 GROUP BY status",
            )
            .map_err(read("count entries"))?;
        let mut rows =
            stmt.query([agent.map(|a| a.to_checksum(None))]).map_err(read("count entries"))?;
        while let Some(row) = rows.next().map_err(read("count entries"))? {
            let id: i64 = row.get(2).map_err(read("count entries"))?;
            let status = column(row, id, "status", parse_status)?;
            let n: i64 = row.get(1).map_err(read("count entries"))?;
            counts.insert(status, u64::try_from(n).unwrap_or(0));
        }
        Ok(counts)
    }

    /// The nonces of `agent`'s executed trades (final or not), ascending.
    pub fn executed_nonces(&self, agent: Address) -> Result<Vec<u64>, JournalError> {
        let conn = self.conn();
        let read = |action| sqlite(&self.location, action);
        let mut stmt = conn
            .prepare_cached(
                "SELECT id, nonce FROM entries WHERE agent = ?1 AND status = 'executed' \
                 ORDER BY nonce, id",
            )
            .map_err(read("read executed nonces"))?;
        let mut rows =
            stmt.query([agent.to_checksum(None)]).map_err(read("read executed nonces"))?;
        let mut nonces = Vec::new();
        while let Some(row) = rows.next().map_err(read("read executed nonces"))? {
            let id: i64 = row.get(0).map_err(read("read executed nonces"))?;
            nonces.push(column(row, id, "nonce", uint)?);
        }
        Ok(nonces)
    }

    /// Locks the connection. A panic elsewhere cannot leave it half-written (every change is one
    /// statement or one SQLite transaction, atomic in SQLite), so a poisoned lock is used as is.
    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs a `SELECT {COLUMNS}` query and parses its rows.
    fn query(&self, sql: &str, params: &[&dyn ToSql]) -> Result<Vec<Entry>, JournalError> {
        let conn = self.conn();
        let read = || sqlite(&self.location, "read entries");
        let mut stmt = conn.prepare_cached(sql).map_err(read())?;
        let mut rows = stmt.query(params).map_err(read())?;
        let mut entries = Vec::new();
        while let Some(row) = rows.next().map_err(read())? {
            let id: i64 = row.get("id").map_err(read())?;
            entries.push(parse_entry(row, id)?);
        }
        Ok(entries)
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_v3;

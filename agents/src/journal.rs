//! The agent daemon's durable journal: every decision, proof and transaction, in SQLite.
//!
//! A crash between proving and submitting must never cause a double trade, and a restart must
//! resume where the daemon stopped. So each step is committed before the next begins:
//!
//! ```text
//! record(Proving) ─ mark_proved ─ mark_submitted ─┬─ mark_executed
//!                                                 ├─ mark_reverted
//!                                                 └─ mark_expired
//! (Skipped and Refused entries are recorded final; any pending entry may be abandoned)
//! ```
//!
//! Every transition is one `UPDATE … WHERE id = ? AND status IN (…)`: an illegal one (or an
//! unknown id) changes nothing and returns [`JournalError::Transition`] or
//! [`JournalError::NotFound`]. The database runs in WAL mode with `synchronous = FULL`, so when
//! [`Journal::mark_proved`] returns the proof is on disk and the caller may send it. On chain a
//! proof is bound to the agent's nonce, so sending the same proof again after a crash executes at
//! most once; recovery reads [`Journal::pending`] and reconciles those entries with the chain.
//!
//! Storage: amounts as decimal TEXT, proofs and public inputs as JSON arrays of 0x-hex strings,
//! addresses checksummed, transaction hashes as 0x-hex, statuses by [`Status::as_str`]. A stored
//! value that does not parse back is reported as [`JournalError::Corrupt`], never guessed at.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use alloy::primitives::{Address, TxHash, U256};
use rusqlite::types::{FromSql, ToSql};
use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};
use tracing::{debug, warn};

/// The journal's schema version, kept in SQLite's `PRAGMA user_version`.
pub const JOURNAL_SCHEMA_VERSION: i64 = 1;

/// How long a statement waits for another connection's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The schema of version [`JOURNAL_SCHEMA_VERSION`].
const SCHEMA: &str = "
CREATE TABLE entries (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    agent         TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    strategy      TEXT    NOT NULL,
    block         INTEGER NOT NULL,
    sell_asset    INTEGER NOT NULL,
    buy_asset     INTEGER NOT NULL,
    amount_in     TEXT    NOT NULL,
    amount_out    TEXT    NOT NULL,
    forced        INTEGER NOT NULL,
    status        TEXT    NOT NULL,
    reason        TEXT    NOT NULL,
    nonce         INTEGER,
    deadline      INTEGER,
    proof         TEXT,
    public_inputs TEXT,
    prove_s       REAL,
    tx_hash       TEXT,
    gas_used      INTEGER,
    mined_block   INTEGER,
    revert_reason TEXT
) STRICT;
CREATE INDEX entries_agent_status ON entries (agent, status);
";

/// The columns [`Entry`] is read from, in its field order.
const COLUMNS: &str = "id, agent, created_at, updated_at, strategy, block, sell_asset, buy_asset, \
     amount_in, amount_out, forced, status, reason, nonce, deadline, proof, public_inputs, \
     prove_s, tx_hash, gas_used, mined_block, revert_reason";

/// Everything that can go wrong with the journal.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// The directory that should hold the journal could not be created.
    #[error("cannot create the journal's directory {}", path.display())]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// SQLite failed (the file cannot be opened, is not a database, is locked, the disk is full…).
    #[error("journal {location}: cannot {action}")]
    Sqlite {
        /// The journal's path, or `:memory:`.
        location: String,
        /// What was being done.
        action: &'static str,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// The journal was written by a newer proofgate-agent.
    #[error(
        "journal {location} has schema version {found}, but this proofgate-agent ({binary}) \
         understands only version {supported}: use the proofgate-agent release that wrote it, \
         or a newer one",
        binary = env!("CARGO_PKG_VERSION")
    )]
    SchemaTooNew {
        /// The journal's path, or `:memory:`.
        location: String,
        /// The version found in the file.
        found: i64,
        /// [`JOURNAL_SCHEMA_VERSION`].
        supported: i64,
    },
    /// The journal's schema version is older than this binary's and none it can upgrade from.
    #[error(
        "journal {location} has schema version {found}, which no proofgate-agent release \
         wrote (this one, {binary}, writes version {supported}): the file is damaged or not a \
         ProofGate journal",
        binary = env!("CARGO_PKG_VERSION")
    )]
    SchemaUnknown {
        /// The journal's path, or `:memory:`.
        location: String,
        /// The version found in the file.
        found: i64,
        /// [`JOURNAL_SCHEMA_VERSION`].
        supported: i64,
    },
    /// The file is an SQLite database with tables but no journal schema version.
    #[error("{location} is an SQLite database but not a ProofGate journal (it has tables and no schema version)")]
    NotAJournal {
        /// The file's path.
        location: String,
    },
    /// No entry has this id.
    #[error("journal entry {id} does not exist")]
    NotFound {
        /// The id asked for.
        id: i64,
    },
    /// The entry's current status does not allow the attempted one; the entry is unchanged.
    #[error("journal entry {id} is {from}: it cannot become {to}")]
    Transition {
        /// The entry's id.
        id: i64,
        /// Its current status.
        from: Status,
        /// The status that was refused.
        to: Status,
    },
    /// [`Journal::record`] was given a status a new entry cannot start in.
    #[error("a new journal entry starts skipped, refused or proving, not {status}")]
    InitialStatus {
        /// The status given.
        status: Status,
    },
    /// A number is beyond SQLite's signed 64-bit integers.
    #[error("{column} = {value} is beyond the journal's integer range (at most 2^63 - 1)")]
    OutOfRange {
        /// The column it was meant for.
        column: &'static str,
        /// The value.
        value: u64,
    },
    /// A stored value cannot be read back: the row was damaged or written by something else.
    #[error("journal entry {id}: column {column} holds an unreadable value ({detail})")]
    Corrupt {
        /// The entry's id.
        id: i64,
        /// The column.
        column: &'static str,
        /// What is wrong with it.
        detail: String,
    },
}

/// Where a journal entry stands.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The strategy proposed nothing worth doing, or the trade shrank to nothing: final.
    Skipped,
    /// The native reference refused the trade (it would break a limit): final.
    Refused,
    /// Decided; proving has started.
    Proving,
    /// Proof made and committed, not yet sent: after a crash it may or may not have been sent.
    Proved,
    /// Transaction sent (its hash is known); no receipt seen yet.
    Submitted,
    /// Mined and succeeded: final.
    Executed,
    /// Mined (or simulated) and reverted: final; the revert reason is set.
    Reverted,
    /// Its deadline passed before it was sent: final.
    Expired,
    /// Given up (shutdown, error): final; the reason is appended to the entry's reason.
    Abandoned,
}

impl Status {
    /// Every status, in declaration order.
    pub const ALL: [Status; 9] = [
        Status::Skipped,
        Status::Refused,
        Status::Proving,
        Status::Proved,
        Status::Submitted,
        Status::Executed,
        Status::Reverted,
        Status::Expired,
        Status::Abandoned,
    ];

    /// The statuses [`Journal::pending`] returns: work started and not finished.
    const PENDING: [Status; 3] = [Status::Proving, Status::Proved, Status::Submitted];

    /// Whether nothing more will happen to an entry in this status (everything but proving,
    /// proved and submitted; a skipped entry has nothing left to do).
    pub fn is_final(self) -> bool {
        !Self::PENDING.contains(&self)
    }

    /// The status's name as stored and shown: `skipped`, `refused`, `proving`, …
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Skipped => "skipped",
            Status::Refused => "refused",
            Status::Proving => "proving",
            Status::Proved => "proved",
            Status::Submitted => "submitted",
            Status::Executed => "executed",
            Status::Reverted => "reverted",
            Status::Expired => "expired",
            Status::Abandoned => "abandoned",
        }
    }

    /// The statuses an entry may move to `self` from.
    fn allowed_from(self) -> &'static [Status] {
        match self {
            Status::Proved => &[Status::Proving],
            Status::Submitted | Status::Executed | Status::Expired => {
                &[Status::Proved, Status::Submitted]
            }
            Status::Reverted | Status::Abandoned => &Self::PENDING,
            Status::Skipped | Status::Refused | Status::Proving => &[],
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A string that names no [`Status`].
#[derive(Debug, thiserror::Error)]
#[error("unknown journal status {0:?}")]
pub struct ParseStatusError(pub String);

impl FromStr for Status {
    type Err = ParseStatusError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| ParseStatusError(s.to_owned()))
    }
}

/// A strategy's decision, as [`Journal::record`] stores it.
#[derive(Clone, Debug, PartialEq)]
pub struct NewDecision {
    /// The agent that decided.
    pub agent: Address,
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
    /// The latest transaction's hash (once submitted).
    pub tx_hash: Option<TxHash>,
    /// Gas used by the mined transaction.
    pub gas_used: Option<u64>,
    /// The block the transaction was mined in (once executed).
    pub mined_block: Option<u64>,
    /// Why it reverted (once reverted).
    pub revert_reason: Option<String>,
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

impl Journal {
    /// Opens the journal at `path`, creating its directory, the file and the schema if missing.
    ///
    /// The database runs in WAL mode with `synchronous = FULL` (every commit is on disk when it
    /// returns) and waits for other connections' locks. A journal of another schema version is
    /// refused.
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
             buy_asset, amount_in, amount_out, forced, status, reason) \
             VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
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
            ])
        })
        .map_err(sqlite(&self.location, "record a decision"))?;
        let id = conn.last_insert_rowid();
        debug!(target: "proofgate::journal", id, agent = %decision.agent, %status, "decision recorded");
        Ok(id)
    }

    /// Stores the proof of a proving entry (proving → proved). When this returns, the proof is
    /// on disk: only then may it be sent.
    pub fn mark_proved(&self, id: i64, proved: &ProvedTrade) -> Result<(), JournalError> {
        let nonce = int("nonce", proved.nonce)?;
        let deadline = int("deadline", proved.deadline)?;
        let proof = hex_json(&proved.proof);
        let inputs = hex_json(&proved.public_inputs);
        let prove_s = proved.prove_s.is_finite().then_some(proved.prove_s);
        self.transition(
            id,
            Status::Proved,
            "nonce = ?4, deadline = ?5, proof = ?6, public_inputs = ?7, prove_s = ?8",
            &[&nonce, &deadline, &proof, &inputs, &prove_s],
        )
    }

    /// Records that the proved trade was sent as `tx_hash` (proved or submitted → submitted: a
    /// resubmission after a restart replaces the hash).
    pub fn mark_submitted(&self, id: i64, tx_hash: TxHash) -> Result<(), JournalError> {
        self.transition(id, Status::Submitted, "tx_hash = ?4", &[&hash_text(tx_hash)])
    }

    /// Records that `tx_hash` was mined in `mined_block` and succeeded (proved or submitted →
    /// executed).
    pub fn mark_executed(
        &self,
        id: i64,
        tx_hash: TxHash,
        gas_used: u64,
        mined_block: u64,
    ) -> Result<(), JournalError> {
        let gas_used = int("gas_used", gas_used)?;
        let mined_block = int("mined_block", mined_block)?;
        self.transition(
            id,
            Status::Executed,
            "tx_hash = ?4, gas_used = ?5, mined_block = ?6",
            &[&hash_text(tx_hash), &gas_used, &mined_block],
        )
    }

    /// Records a revert and its reason (proving, proved or submitted → reverted); a `None` hash
    /// or gas keeps what is stored (a simulated call has neither).
    pub fn mark_reverted(
        &self,
        id: i64,
        tx_hash: Option<TxHash>,
        gas_used: Option<u64>,
        reason: &str,
    ) -> Result<(), JournalError> {
        let gas_used = gas_used.map(|gas| int("gas_used", gas)).transpose()?;
        self.transition(
            id,
            Status::Reverted,
            "tx_hash = COALESCE(?4, tx_hash), gas_used = COALESCE(?5, gas_used), revert_reason = ?6",
            &[&tx_hash.map(hash_text), &gas_used, &reason],
        )
    }

    /// Records that the deadline passed before the trade was sent or mined (proved or submitted
    /// → expired).
    pub fn mark_expired(&self, id: i64) -> Result<(), JournalError> {
        self.transition(id, Status::Expired, "", &[])
    }

    /// Gives a pending entry up (proving, proved or submitted → abandoned); `reason` is appended
    /// to the entry's reason as `abandoned: {reason}`.
    pub fn mark_abandoned(&self, id: i64, reason: &str) -> Result<(), JournalError> {
        self.transition(
            id,
            Status::Abandoned,
            "reason = CASE WHEN reason = '' THEN ?4 ELSE reason || '; ' || ?4 END",
            &[&format!("abandoned: {reason}")],
        )
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

    /// The nonces of `agent`'s executed trades, ascending.
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
    /// statement, atomic in SQLite), so a poisoned lock is used as is.
    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Moves entry `id` to `to` if its status allows it, setting `set` (parameters from `?4`).
    fn transition(
        &self,
        id: i64,
        to: Status,
        set: &str,
        extra: &[&dyn ToSql],
    ) -> Result<(), JournalError> {
        let set = if set.is_empty() { String::new() } else { format!(", {set}") };
        let sql = format!(
            "UPDATE entries SET status = ?1, updated_at = ?2{set} WHERE id = ?3 AND status IN ({})",
            status_list(to.allowed_from())
        );
        let now = int("updated_at", now_unix())?;
        let status = to.as_str();
        let mut params: Vec<&dyn ToSql> = vec![&status, &now, &id];
        params.extend_from_slice(extra);
        let conn = self.conn();
        let changed = conn
            .prepare_cached(&sql)
            .and_then(|mut stmt| stmt.execute(params.as_slice()))
            .map_err(sqlite(&self.location, "update an entry"))?;
        if changed == 1 {
            debug!(target: "proofgate::journal", id, status = %to, "journal entry updated");
            return Ok(());
        }
        let current: Option<String> = conn
            .query_row("SELECT status FROM entries WHERE id = ?1", [id], |row| row.get(0))
            .optional()
            .map_err(sqlite(&self.location, "read an entry's status"))?;
        match current {
            None => Err(JournalError::NotFound { id }),
            Some(from) => {
                let from = parse_status(from).map_err(|detail| JournalError::Corrupt {
                    id,
                    column: "status",
                    detail,
                })?;
                Err(JournalError::Transition { id, from, to })
            }
        }
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

/// Sets the connection up and creates or checks the schema.
fn init(mut conn: Connection, location: &str, on_disk: bool) -> Result<Connection, JournalError> {
    conn.busy_timeout(BUSY_TIMEOUT).map_err(sqlite(location, "set the busy timeout"))?;
    if on_disk {
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(sqlite(location, "switch to WAL mode"))?;
        if !mode.eq_ignore_ascii_case("wal") {
            warn!(target: "proofgate::journal", path = location, mode, "journal is not in WAL mode");
        }
    }
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(sqlite(location, "set synchronous = FULL"))?;
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sqlite(location, "lock the database"))?;
    let found: i64 = tx
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(sqlite(location, "read the schema version"))?;
    let supported = JOURNAL_SCHEMA_VERSION;
    let location_owned = || location.to_owned();
    match found {
        JOURNAL_SCHEMA_VERSION => {}
        0 => {
            let tables: i64 = tx
                .query_row("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'", [], |row| {
                    row.get(0)
                })
                .map_err(sqlite(location, "read the schema"))?;
            if tables > 0 {
                return Err(JournalError::NotAJournal { location: location_owned() });
            }
            tx.execute_batch(SCHEMA).map_err(sqlite(location, "create the schema"))?;
            tx.pragma_update(None, "user_version", JOURNAL_SCHEMA_VERSION)
                .map_err(sqlite(location, "set the schema version"))?;
        }
        found if found > supported => {
            return Err(JournalError::SchemaTooNew { location: location_owned(), found, supported })
        }
        found => {
            return Err(JournalError::SchemaUnknown {
                location: location_owned(),
                found,
                supported,
            })
        }
    }
    tx.commit().map_err(sqlite(location, "commit the schema"))?;
    Ok(conn)
}

/// Maps an SQLite error to [`JournalError::Sqlite`].
fn sqlite(location: &str, action: &'static str) -> impl FnOnce(rusqlite::Error) -> JournalError {
    let location = location.to_owned();
    move |source| JournalError::Sqlite { location, action, source }
}

/// Converts a `u64` to SQLite's `i64`, refusing what does not fit.
fn int(column: &'static str, value: u64) -> Result<i64, JournalError> {
    i64::try_from(value).map_err(|_| JournalError::OutOfRange { column, value })
}

/// Returns its argument: the conversion of a column read as is.
fn ok<T>(value: T) -> Result<T, String> {
    Ok(value)
}

/// The current time in unix seconds (0 if the clock is before 1970).
fn now_unix() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// `'a', 'b', …` for an SQL `IN` list (the names are fixed identifiers, never user input).
fn status_list(statuses: &[Status]) -> String {
    statuses.iter().map(|s| format!("'{}'", s.as_str())).collect::<Vec<_>>().join(", ")
}

/// A transaction hash as stored: 0x and 64 lowercase hex digits.
fn hash_text(hash: TxHash) -> String {
    format!("0x{}", hex::encode(hash))
}

/// Numbers as a JSON array of 0x-hex strings.
fn hex_json(values: &[U256]) -> String {
    let items: Vec<String> = values.iter().map(|v| format!("\"{v:#x}\"")).collect();
    format!("[{}]", items.join(","))
}

/// Parses [`hex_json`]'s output.
fn parse_hex_json(text: String) -> Result<Vec<U256>, String> {
    let items: Vec<String> = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    items
        .iter()
        .map(|item| {
            item.strip_prefix("0x")
                .filter(|digits| {
                    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_hexdigit())
                })
                .and_then(|digits| U256::from_str_radix(digits, 16).ok())
                .ok_or_else(|| format!("{item:?} is not a 0x-hex 256-bit number"))
        })
        .collect()
}

/// Parses a decimal amount.
fn parse_amount(text: String) -> Result<U256, String> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{text:?} is not a decimal number"));
    }
    U256::from_str_radix(&text, 10).map_err(|e| format!("{text:?}: {e}"))
}

/// Parses a stored status.
fn parse_status(text: String) -> Result<Status, String> {
    text.parse().map_err(|e: ParseStatusError| e.to_string())
}

/// A stored integer as `u64`.
fn uint(value: i64) -> Result<u64, String> {
    u64::try_from(value).map_err(|_| format!("{value} is negative"))
}

/// Reads `name` from `row` as `T` and converts it, reporting either failure as corruption.
fn column<T: FromSql, U>(
    row: &Row<'_>,
    id: i64,
    name: &'static str,
    convert: impl FnOnce(T) -> Result<U, String>,
) -> Result<U, JournalError> {
    let corrupt = |detail| JournalError::Corrupt { id, column: name, detail };
    let value: T = row.get(name).map_err(|e| corrupt(e.to_string()))?;
    convert(value).map_err(corrupt)
}

/// Reads an optional column: NULL is `None`, anything else must convert.
fn optional<T: FromSql, U>(
    row: &Row<'_>,
    id: i64,
    name: &'static str,
    convert: impl FnOnce(T) -> Result<U, String>,
) -> Result<Option<U>, JournalError> {
    column(row, id, name, |value: Option<T>| value.map(convert).transpose())
}

/// Parses one row of [`COLUMNS`].
fn parse_entry(row: &Row<'_>, id: i64) -> Result<Entry, JournalError> {
    Ok(Entry {
        id,
        agent: column(row, id, "agent", |s: String| {
            Address::from_str(&s).map_err(|e| format!("{s:?}: {e}"))
        })?,
        created_at: column(row, id, "created_at", uint)?,
        updated_at: column(row, id, "updated_at", uint)?,
        strategy: column(row, id, "strategy", ok)?,
        block: column(row, id, "block", uint)?,
        sell_asset: column(row, id, "sell_asset", |v: i64| {
            u8::try_from(v).map_err(|_| format!("{v} is not an asset index"))
        })?,
        buy_asset: column(row, id, "buy_asset", |v: i64| {
            u8::try_from(v).map_err(|_| format!("{v} is not an asset index"))
        })?,
        amount_in: column(row, id, "amount_in", parse_amount)?,
        amount_out: column(row, id, "amount_out", parse_amount)?,
        forced: column(row, id, "forced", |v: i64| match v {
            0 => Ok(false),
            1 => Ok(true),
            v => Err(format!("{v} is not 0 or 1")),
        })?,
        status: column(row, id, "status", parse_status)?,
        reason: column(row, id, "reason", ok)?,
        nonce: optional(row, id, "nonce", uint)?,
        deadline: optional(row, id, "deadline", uint)?,
        proof: optional(row, id, "proof", |s: String| {
            let values = parse_hex_json(s)?;
            let n = values.len();
            <[U256; 8]>::try_from(values).map_err(|_| format!("{n} numbers, not 8"))
        })?,
        public_inputs: optional(row, id, "public_inputs", parse_hex_json)?,
        prove_s: optional(row, id, "prove_s", ok)?,
        tx_hash: optional(row, id, "tx_hash", |s: String| {
            TxHash::from_str(&s).map_err(|e| format!("{s:?}: {e}"))
        })?,
        gas_used: optional(row, id, "gas_used", uint)?,
        mined_block: optional(row, id, "mined_block", uint)?,
        revert_reason: optional(row, id, "revert_reason", ok)?,
    })
}

/// The columns of [`format_history`].
const HEADER: [&str; 11] = [
    "ID",
    "TIME (UTC)",
    "AGENT",
    "STATUS",
    "TRADE",
    "AMOUNT IN",
    "AMOUNT OUT",
    "NONCE",
    "TX",
    "GAS",
    "REASON",
];

/// A human table of `entries` for `proofgate-agent history`, one line per entry.
pub fn format_history(entries: &[Entry]) -> String {
    if entries.is_empty() {
        return "no journal entries\n".to_owned();
    }
    let dash = || "-".to_owned();
    let rows: Vec<[String; 11]> = entries
        .iter()
        .map(|e| {
            let forced = if e.forced { " forced" } else { "" };
            let reason = match &e.revert_reason {
                Some(revert) => format!("reverted: {revert}"),
                None => e.reason.clone(),
            };
            [
                e.id.to_string(),
                utc(e.created_at),
                short(&e.agent.to_checksum(None)),
                e.status.to_string(),
                format!("{}->{}{forced}", e.sell_asset, e.buy_asset),
                e.amount_in.to_string(),
                e.amount_out.to_string(),
                e.nonce.map_or_else(dash, |n| n.to_string()),
                e.tx_hash.map_or_else(dash, |h| short(&hash_text(h))),
                e.gas_used.map_or_else(dash, |g| g.to_string()),
                reason,
            ]
        })
        .collect();
    let mut widths = HEADER.map(|h| h.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let padded: Vec<String> =
            cells.zip(widths).map(|(cell, width)| format!("{cell:<width$}")).collect();
        format!("{}\n", padded.join("  ").trim_end())
    };
    let mut out = line(&mut HEADER.iter().copied());
    for row in &rows {
        out.push_str(&line(&mut row.iter().map(String::as_str)));
    }
    out
}

/// `0x1234…abcd` for a 0x-hex string.
fn short(hex: &str) -> String {
    match (hex.get(..6), hex.get(hex.len().saturating_sub(4)..)) {
        (Some(head), Some(tail)) if hex.len() > 12 => format!("{head}…{tail}"),
        _ => hex.to_owned(),
    }
}

/// Unix seconds as `YYYY-MM-DDTHH:MM:SSZ` (proleptic Gregorian, UTC).
fn utc(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3_600,
        rem / 60 % 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use alloy::primitives::address;

    use super::*;

    type TestResult = Result<(), JournalError>;

    const AGENT: Address = address!("0x52908400098527886E0F7030069857D2E4169EE7");
    const OTHER: Address = address!("0x8617E340B3D01FA5F11F306F4090FD50E238070D");

    fn decision(agent: Address, block: u64) -> NewDecision {
        NewDecision {
            agent,
            strategy: "momentum".to_owned(),
            block,
            sell_asset: 0,
            buy_asset: 1,
            amount_in: U256::from(10u64).pow(U256::from(20u64)),
            amount_out: U256::from(123_456_789u64),
            forced: false,
            reason: "price rose 3%".to_owned(),
        }
    }

    fn proved(nonce: u64) -> ProvedTrade {
        ProvedTrade {
            nonce,
            deadline: 1_700_000_600,
            proof: std::array::from_fn(|i| (U256::from(i + 1) << 200) | U256::from(nonce)),
            public_inputs: vec![U256::MAX, U256::ZERO, U256::from(7u64)],
            prove_s: 1.25,
        }
    }

    fn hash(byte: u8) -> TxHash {
        TxHash::repeat_byte(byte)
    }

    /// The transitions the brief allows, written out independently of `Status::allowed_from`.
    fn legal(from: Status, to: Status) -> bool {
        use Status::*;
        matches!(
            (from, to),
            (Proving, Proved)
                | (Proved | Submitted, Submitted | Executed | Expired)
                | (Proving | Proved | Submitted, Reverted | Abandoned)
        )
    }

    /// Applies the `mark_*` call that leads to `to`.
    fn apply(journal: &Journal, id: i64, to: Status) -> TestResult {
        match to {
            Status::Proved => journal.mark_proved(id, &proved(5)),
            Status::Submitted => journal.mark_submitted(id, hash(9)),
            Status::Executed => journal.mark_executed(id, hash(9), 90_000, 101),
            Status::Reverted => journal.mark_reverted(id, Some(hash(9)), Some(30_000), "NonceUsed"),
            Status::Expired => journal.mark_expired(id),
            Status::Abandoned => journal.mark_abandoned(id, "shutdown"),
            Status::Skipped | Status::Refused | Status::Proving => {
                unreachable!("not a transition")
            }
        }
    }

    /// Records an entry and walks it to `status`.
    fn entry_in(journal: &Journal, status: Status) -> Result<i64, JournalError> {
        let initial = match status {
            Status::Skipped | Status::Refused => status,
            _ => Status::Proving,
        };
        let id = journal.record(&decision(AGENT, 100), initial)?;
        let path: &[Status] = match status {
            Status::Skipped | Status::Refused | Status::Proving => &[],
            Status::Proved | Status::Abandoned => &[Status::Proved],
            Status::Submitted | Status::Executed | Status::Reverted | Status::Expired => {
                &[Status::Proved, Status::Submitted]
            }
        };
        for &step in path {
            apply(journal, id, step)?;
        }
        if !matches!(status, Status::Proved | Status::Submitted) && !path.is_empty() {
            apply(journal, id, status)?;
        }
        assert_eq!(journal.get(id)?.status, status);
        Ok(id)
    }

    #[test]
    fn journal_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Journal>();
    }

    #[test]
    fn statuses_round_trip_and_know_which_are_final() {
        for status in Status::ALL {
            assert_eq!(status.as_str().parse::<Status>().expect("own name"), status);
            assert_eq!(status.to_string(), status.as_str());
            let json = serde_json::to_string(&status).expect("serialise");
            assert_eq!(json, format!("\"{}\"", status.as_str()));
            let pending = matches!(status, Status::Proving | Status::Proved | Status::Submitted);
            assert_eq!(status.is_final(), !pending, "{status}");
        }
        assert!("Executed".parse::<Status>().is_err());
        assert!("".parse::<Status>().is_err());
    }

    #[test]
    fn full_lifecycle() -> TestResult {
        let journal = Journal::open_in_memory()?;
        assert!(journal.path().is_none());
        let id = journal.record(&decision(AGENT, 100), Status::Proving)?;
        let entry = journal.get(id)?;
        let d = decision(AGENT, 100);
        assert_eq!((entry.agent, entry.strategy.as_str(), entry.block), (AGENT, "momentum", 100));
        assert_eq!((entry.amount_in, entry.amount_out), (d.amount_in, d.amount_out));
        assert_eq!((entry.sell_asset, entry.buy_asset, entry.forced), (0, 1, false));
        assert_eq!((entry.status, entry.reason.as_str()), (Status::Proving, "price rose 3%"));
        assert_eq!((entry.nonce, entry.proof, entry.tx_hash), (None, None, None));
        assert!(entry.created_at > 1_600_000_000 && entry.updated_at >= entry.created_at);
        assert_eq!(journal.pending(AGENT)?, vec![entry]);

        let trade = proved(3);
        journal.mark_proved(id, &trade)?;
        let entry = journal.get(id)?;
        assert_eq!(entry.status, Status::Proved);
        assert_eq!((entry.nonce, entry.deadline), (Some(3), Some(trade.deadline)));
        assert_eq!(entry.proof, Some(trade.proof));
        assert_eq!(entry.public_inputs, Some(trade.public_inputs));
        assert_eq!(entry.prove_s, Some(1.25));

        journal.mark_submitted(id, hash(1))?;
        assert_eq!(journal.get(id)?.tx_hash, Some(hash(1)));
        journal.mark_submitted(id, hash(2))?; // resubmitted after a restart
        assert_eq!(journal.get(id)?.tx_hash, Some(hash(2)));
        assert_eq!(journal.pending(AGENT)?.len(), 1);

        journal.mark_executed(id, hash(2), 151_000, 107)?;
        let entry = journal.get(id)?;
        assert_eq!(entry.status, Status::Executed);
        assert!(entry.status.is_final());
        assert_eq!(
            (entry.tx_hash, entry.gas_used, entry.mined_block),
            (Some(hash(2)), Some(151_000), Some(107))
        );
        assert_eq!(entry.revert_reason, None);
        assert!(journal.pending(AGENT)?.is_empty());
        assert_eq!(journal.executed_nonces(AGENT)?, vec![3]);
        assert!(journal.executed_nonces(OTHER)?.is_empty());
        Ok(())
    }

    #[test]
    fn reverted_expired_and_abandoned_entries_keep_their_story() -> TestResult {
        let journal = Journal::open_in_memory()?;
        // Simulation refused before anything was sent: no hash, no gas.
        let simulated = entry_in(&journal, Status::Proved)?;
        journal.mark_reverted(simulated, None, None, "LimitExceeded()")?;
        let entry = journal.get(simulated)?;
        assert_eq!((entry.tx_hash, entry.gas_used), (None, None));
        assert_eq!(entry.revert_reason.as_deref(), Some("LimitExceeded()"));
        // Mined and reverted: the submitted hash stays when none is given.
        let mined = entry_in(&journal, Status::Submitted)?;
        journal.mark_reverted(mined, None, Some(48_000), "StaleNonce()")?;
        let entry = journal.get(mined)?;
        assert_eq!(
            (entry.status, entry.tx_hash, entry.gas_used),
            (Status::Reverted, Some(hash(9)), Some(48_000))
        );

        let expired = entry_in(&journal, Status::Proved)?;
        journal.mark_expired(expired)?;
        assert_eq!(journal.get(expired)?.status, Status::Expired);

        let abandoned = journal.record(&decision(AGENT, 7), Status::Proving)?;
        journal.mark_abandoned(abandoned, "shutdown")?;
        assert_eq!(journal.get(abandoned)?.reason, "price rose 3%; abandoned: shutdown");
        let mut silent = decision(AGENT, 8);
        silent.reason.clear();
        let silent = journal.record(&silent, Status::Proving)?;
        journal.mark_abandoned(silent, "prover crashed")?;
        assert_eq!(journal.get(silent)?.reason, "abandoned: prover crashed");

        for (status, initial) in
            [(Status::Skipped, true), (Status::Refused, true), (Status::Proved, false)]
        {
            let result = journal.record(&decision(AGENT, 9), status);
            match result {
                Ok(id) => assert!(initial && journal.get(id)?.status == status),
                Err(JournalError::InitialStatus { status: refused }) => {
                    assert!(!initial && refused == status)
                }
                Err(other) => panic!("unexpected {other}"),
            }
        }
        Ok(())
    }

    #[test]
    fn every_illegal_transition_is_refused_and_changes_nothing() -> TestResult {
        let journal = Journal::open_in_memory()?;
        let targets = [
            Status::Proved,
            Status::Submitted,
            Status::Executed,
            Status::Reverted,
            Status::Expired,
            Status::Abandoned,
        ];
        for from in Status::ALL {
            for to in targets {
                let id = entry_in(&journal, from)?;
                let before = journal.get(id)?;
                let result = apply(&journal, id, to);
                if legal(from, to) {
                    result?;
                    assert_eq!(journal.get(id)?.status, to, "{from} -> {to}");
                    continue;
                }
                match result {
                    Err(JournalError::Transition { id: got, from: f, to: t }) => {
                        assert_eq!((got, f, t), (id, from, to));
                    }
                    other => panic!("{from} -> {to} was not refused: {other:?}"),
                }
                assert_eq!(journal.get(id)?, before, "{from} -> {to} changed the row");
            }
        }
        for to in targets {
            let result = apply(&journal, 9_999, to);
            assert!(
                matches!(result, Err(JournalError::NotFound { id: 9_999 })),
                "{to}: {result:?}"
            );
        }
        assert!(matches!(journal.get(9_999), Err(JournalError::NotFound { id: 9_999 })));
        let message = apply(&journal, entry_in(&journal, Status::Refused)?, Status::Executed)
            .expect_err("refused is final")
            .to_string();
        assert!(message.contains("is refused: it cannot become executed"), "{message}");
        Ok(())
    }

    #[test]
    fn numbers_beyond_sqlite_integers_are_refused() -> TestResult {
        let journal = Journal::open_in_memory()?;
        let result = journal.record(&decision(AGENT, u64::MAX), Status::Proving);
        assert!(matches!(result, Err(JournalError::OutOfRange { column: "block", .. })));
        let id = journal.record(&decision(AGENT, 1), Status::Proving)?;
        let mut trade = proved(1);
        trade.deadline = u64::MAX;
        let result = journal.mark_proved(id, &trade);
        assert!(matches!(result, Err(JournalError::OutOfRange { column: "deadline", .. })));
        assert_eq!(journal.get(id)?.status, Status::Proving);
        trade.deadline = 1;
        trade.prove_s = f64::NAN;
        journal.mark_proved(id, &trade)?;
        assert_eq!(journal.get(id)?.prove_s, None);
        Ok(())
    }

    #[test]
    fn pending_entries_survive_a_restart() -> TestResult {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state").join("agent").join("journal.sqlite");
        let (proving, proved_id, submitted) = {
            let journal = Journal::open(&path)?;
            assert_eq!(journal.path(), Some(path.as_path()));
            let (mode, sync): (String, i64) = {
                let conn = journal.conn();
                let mode = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).expect("mode");
                (mode, conn.query_row("PRAGMA synchronous", [], |r| r.get(0)).expect("sync"))
            };
            assert_eq!((mode.as_str(), sync), ("wal", 2), "WAL with synchronous = FULL");
            let proving = entry_in(&journal, Status::Proving)?;
            let proved_id = entry_in(&journal, Status::Proved)?;
            let submitted = entry_in(&journal, Status::Submitted)?;
            entry_in(&journal, Status::Executed)?;
            entry_in(&journal, Status::Skipped)?;
            journal.record(&decision(OTHER, 1), Status::Proving)?;
            (proving, proved_id, submitted)
        }; // dropped: the "crash"

        let journal = Journal::open(&path)?;
        let pending = journal.pending(AGENT)?;
        let ids: Vec<i64> = pending.iter().map(|e| e.id).collect();
        assert_eq!(ids, vec![proving, proved_id, submitted]);
        assert_eq!(pending[1].proof, Some(proved(5).proof));
        assert_eq!(pending[1].public_inputs, Some(proved(5).public_inputs));
        assert_eq!(pending[2].tx_hash, Some(hash(9)));
        assert_eq!(journal.pending(OTHER)?.len(), 1);
        // Recovery goes on from there.
        journal.mark_executed(submitted, hash(9), 80_000, 200)?;
        journal.mark_abandoned(proving, "restart")?;
        drop(journal);
        let journal = Journal::open(&path)?;
        let ids: Vec<i64> = journal.pending(AGENT)?.iter().map(|e| e.id).collect();
        assert_eq!(ids, vec![proved_id]);
        assert_eq!(journal.executed_nonces(AGENT)?, vec![5, 5]);
        Ok(())
    }

    #[test]
    fn corrupt_values_are_reported_with_their_row_and_column() -> TestResult {
        let cases: [(&str, rusqlite::types::Value); 10] = [
            ("amount_in", "12abc".to_owned().into()),
            ("amount_out", "".to_owned().into()),
            ("status", "exploded".to_owned().into()),
            ("agent", "0xnothex".to_owned().into()),
            ("proof", "[\"0x1\",\"0x2\"]".to_owned().into()),
            ("public_inputs", "not json".to_owned().into()),
            ("tx_hash", "0x12".to_owned().into()),
            ("block", (-1i64).into()),
            ("sell_asset", 256i64.into()),
            ("forced", 2i64.into()),
        ];
        for (column, value) in cases {
            let journal = Journal::open_in_memory()?;
            let id = entry_in(&journal, Status::Submitted)?;
            journal
                .conn()
                .execute(
                    &format!("UPDATE entries SET {column} = ?1 WHERE id = ?2"),
                    params![value, id],
                )
                .expect("corrupt the row");
            let err = journal.get(id).expect_err("corrupt row");
            match &err {
                JournalError::Corrupt { id: got, column: col, .. } => {
                    assert_eq!((*got, *col), (id, column), "{err}");
                }
                other => panic!("{column}: expected Corrupt, got {other:?}"),
            }
            assert!(err.to_string().contains(&format!("entry {id}: column {column}")), "{err}");
            let listed = journal.history(None, 10);
            assert!(matches!(listed, Err(JournalError::Corrupt { .. })), "{column}: {listed:?}");
        }
        // A corrupt status also surfaces when a transition is refused.
        let journal = Journal::open_in_memory()?;
        let id = entry_in(&journal, Status::Proving)?;
        journal
            .conn()
            .execute("UPDATE entries SET status = 'lost' WHERE id = ?1", [id])
            .expect("corrupt");
        let result = journal.mark_executed(id, hash(1), 1, 1);
        assert!(
            matches!(result, Err(JournalError::Corrupt { column: "status", .. })),
            "{result:?}"
        );
        assert!(matches!(
            journal.counts(None),
            Err(JournalError::Corrupt { column: "status", .. })
        ));
        Ok(())
    }

    #[test]
    fn other_schema_versions_and_foreign_files_are_refused() -> TestResult {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("journal.sqlite");
        drop(Journal::open(&path)?);
        let set_version = |version: i64| {
            let conn = Connection::open(&path).expect("raw open");
            conn.pragma_update(None, "user_version", version).expect("set version");
        };
        set_version(JOURNAL_SCHEMA_VERSION + 1);
        let err = Journal::open(&path).expect_err("newer schema");
        assert!(
            matches!(err, JournalError::SchemaTooNew { found: 2, supported: 1, .. }),
            "{err:?}"
        );
        let message = err.to_string();
        assert!(message.contains("schema version 2") && message.contains("newer one"), "{message}");
        assert!(message.contains(&path.display().to_string()), "{message}");
        set_version(-1);
        let err = Journal::open(&path).expect_err("unknown schema");
        assert!(matches!(err, JournalError::SchemaUnknown { found: -1, .. }), "{err:?}");
        set_version(JOURNAL_SCHEMA_VERSION);
        Journal::open(&path)?;

        let foreign = dir.path().join("foreign.sqlite");
        Connection::open(&foreign)
            .expect("raw open")
            .execute_batch("CREATE TABLE t (x)")
            .expect("table");
        let err = Journal::open(&foreign).expect_err("foreign database");
        assert!(matches!(err, JournalError::NotAJournal { .. }), "{err:?}");

        let garbage = dir.path().join("garbage.sqlite");
        std::fs::write(&garbage, vec![0x5a; 4096]).expect("write");
        let err = Journal::open(&garbage).expect_err("not a database");
        assert!(matches!(err, JournalError::Sqlite { .. }), "{err:?}");
        assert!(err.to_string().contains("garbage.sqlite"), "{err}");
        Ok(())
    }

    #[test]
    fn history_is_newest_first_limited_and_filtered() -> TestResult {
        let journal = Journal::open_in_memory()?;
        let mut ids = Vec::new();
        for block in 0..5 {
            let agent = if block % 2 == 0 { AGENT } else { OTHER };
            ids.push(journal.record(&decision(agent, block), Status::Skipped)?);
        }
        let all: Vec<u64> = journal.history(None, 100)?.iter().map(|e| e.block).collect();
        assert_eq!(all, vec![4, 3, 2, 1, 0]);
        let latest: Vec<i64> = journal.history(None, 2)?.iter().map(|e| e.id).collect();
        assert_eq!(latest, vec![ids[4], ids[3]]);
        let mine: Vec<u64> = journal.history(Some(AGENT), 100)?.iter().map(|e| e.block).collect();
        assert_eq!(mine, vec![4, 2, 0]);
        assert_eq!(journal.history(Some(OTHER), 1)?.len(), 1);
        assert!(journal.history(None, 0)?.is_empty());
        assert_eq!(journal.history(None, usize::MAX)?.len(), 5);
        Ok(())
    }

    #[test]
    fn counts_cover_every_status() -> TestResult {
        let journal = Journal::open_in_memory()?;
        assert!(journal.counts(None)?.values().all(|&n| n == 0));
        assert_eq!(journal.counts(None)?.len(), Status::ALL.len());
        for status in [Status::Executed, Status::Executed, Status::Skipped, Status::Reverted] {
            entry_in(&journal, status)?;
        }
        journal.record(&decision(OTHER, 1), Status::Refused)?;
        let all = journal.counts(None)?;
        assert_eq!(all[&Status::Executed], 2);
        assert_eq!(
            (all[&Status::Skipped], all[&Status::Reverted], all[&Status::Refused]),
            (1, 1, 1)
        );
        assert_eq!(all[&Status::Proving], 0);
        let other = journal.counts(Some(OTHER))?;
        assert_eq!((other[&Status::Refused], other[&Status::Executed]), (1, 0));
        Ok(())
    }

    #[test]
    fn threads_share_one_journal() -> TestResult {
        let dir = tempfile::tempdir().expect("tempdir");
        let journal = Arc::new(Journal::open(&dir.path().join("journal.sqlite"))?);
        let threads: Vec<_> = (0..4u8)
            .map(|t| {
                let journal = Arc::clone(&journal);
                std::thread::spawn(move || -> Result<Vec<i64>, JournalError> {
                    let agent = Address::repeat_byte(t + 1);
                    let mut ids = Vec::new();
                    for i in 0..8u64 {
                        let id = journal.record(&decision(agent, i), Status::Proving)?;
                        journal.mark_proved(id, &proved(i))?;
                        journal.mark_submitted(id, hash(t))?;
                        journal.mark_executed(id, hash(t), 21_000, i)?;
                        ids.push(id);
                    }
                    Ok(ids)
                })
            })
            .collect();
        let mut ids = Vec::new();
        for thread in threads {
            ids.extend(thread.join().expect("thread panicked")?);
        }
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 32);
        assert_eq!(journal.counts(None)?[&Status::Executed], 32);
        for t in 0..4u8 {
            assert_eq!(
                journal.executed_nonces(Address::repeat_byte(t + 1))?,
                (0..8).collect::<Vec<_>>()
            );
        }
        Ok(())
    }

    #[test]
    fn format_history_shows_the_key_fields() -> TestResult {
        assert_eq!(format_history(&[]), "no journal entries\n");
        let journal = Journal::open_in_memory()?;
        let executed = entry_in(&journal, Status::Executed)?;
        let reverted = entry_in(&journal, Status::Reverted)?;
        let mut forced = decision(OTHER, 3);
        forced.forced = true;
        journal.record(&forced, Status::Refused)?;
        let mut entries = journal.history(None, 10)?;
        entries[2].created_at = 1_700_000_000;
        let table = format_history(&entries);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 4, "{table}");
        for field in
            ["ID", "TIME (UTC)", "AGENT", "STATUS", "AMOUNT IN", "NONCE", "TX", "GAS", "REASON"]
        {
            assert!(lines[0].contains(field), "{field}: {table}");
        }
        let executed_line = lines[3];
        assert!(executed_line.starts_with(&executed.to_string()), "{table}");
        for field in [
            "2023-11-14T22:13:20Z",
            "0x5290…9EE7",
            "executed",
            "0->1",
            "100000000000000000000",
            "123456789",
            "0x0909…0909",
            "90000",
            "price rose 3%",
        ] {
            assert!(executed_line.contains(field), "{field}: {table}");
        }
        let reverted_line = lines[2];
        assert!(reverted_line.starts_with(&reverted.to_string()), "{table}");
        assert!(reverted_line.contains("reverted: NonceUsed"), "{table}");
        assert!(lines[1].contains("0->1 forced") && lines[1].contains("refused"), "{table}");
        assert!(lines[1].contains("0x8617…070D"), "{table}");
        Ok(())
    }

    #[test]
    fn utc_formats_known_instants() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(utc(4_102_444_799), "2099-12-31T23:59:59Z");
        assert_eq!(short("0x52908400098527886E0F7030069857D2E4169EE7"), "0x5290…9EE7");
    }
}

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
pub const JOURNAL_SCHEMA_VERSION: i64 = 2;

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
    revert_reason TEXT,
    amount_received TEXT,
    shortfall     TEXT
) STRICT;
CREATE INDEX entries_agent_status ON entries (agent, status);
";

/// Upgrades a version-1 journal (before the vault reported what a trade received).
const UPGRADE_FROM_1: &str = "
ALTER TABLE entries ADD COLUMN amount_received TEXT;
ALTER TABLE entries ADD COLUMN shortfall TEXT;
";

/// The columns [`Entry`] is read from, in its field order.
const COLUMNS: &str = "id, agent, created_at, updated_at, strategy, block, sell_asset, buy_asset, \
     amount_in, amount_out, forced, status, reason, nonce, deadline, proof, public_inputs, \
     prove_s, tx_hash, gas_used, mined_block, revert_reason, amount_received, shortfall";

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
    /// The latest transaction's hash (once submitted).
    pub tx_hash: Option<TxHash>,
    /// Gas used by the mined transaction.
    pub gas_used: Option<u64>,
    /// The block the transaction was mined in (once executed).
    pub mined_block: Option<u64>,
    /// Why it reverted (once reverted).
    pub revert_reason: Option<String>,
    /// What the vault received and charged to the loss budget (once executed, when known).
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
    /// executed), with what the vault reported it received (`None` when unknown).
    pub fn mark_executed(
        &self,
        id: i64,
        tx_hash: TxHash,
        gas_used: u64,
        mined_block: u64,
        settlement: Option<Settlement>,
    ) -> Result<(), JournalError> {
        let gas_used = int("gas_used", gas_used)?;
        let mined_block = int("mined_block", mined_block)?;
        let received = settlement.map(|s| s.amount_received.to_string());
        let shortfall = settlement.map(|s| s.shortfall.to_string());
        self.transition(
            id,
            Status::Executed,
            "tx_hash = ?4, gas_used = ?5, mined_block = ?6, amount_received = ?7, shortfall = ?8",
            &[&hash_text(tx_hash), &gas_used, &mined_block, &received, &shortfall],
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
        1 => {
            tx.execute_batch(UPGRADE_FROM_1).map_err(sqlite(location, "upgrade the schema"))?;
            tx.pragma_update(None, "user_version", JOURNAL_SCHEMA_VERSION)
                .map_err(sqlite(location, "set the schema version"))?;
        }
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
        settlement: match (
            optional(row, id, "amount_received", parse_amount)?,
            optional(row, id, "shortfall", parse_amount)?,
        ) {
            (Some(amount_received), Some(shortfall)) => {
                Some(Settlement { amount_received, shortfall })
            }
            _ => None,
        },
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
mod tests;

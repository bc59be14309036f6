//! The journal's SQL schema, its upgrades from older versions, and the connection's set-up.
//!
//! The version history is in [`JOURNAL_SCHEMA_VERSION`]'s documentation.

use std::time::Duration;

use rusqlite::{Connection, Transaction, TransactionBehavior};
use tracing::{info, warn};

use super::codec::sqlite;
use super::JournalError;

/// The journal's schema version, kept in SQLite's `PRAGMA user_version`.
///
/// Versions:
/// 1. `entries`.
/// 2. adds `entries.amount_received` and `entries.shortfall` (what the vault reported a trade
///    received and charged).
/// 3. adds `entries.vault`, `entries.finalized` and `entries.mined_block_hash`, the table
///    `transactions` (every signed transaction, journaled before it is broadcast) and the unique
///    index `entries_one_execution` (one executed entry per vault, agent and vault nonce).
///
/// Upgrading to 3: rows written before have no vault (`NULL`: the deployment the journal was
/// written for), and their executed entries are marked final. Those versions recorded a trade
/// as executed after one confirmation and kept no raw transaction, so there is nothing to
/// re-check or rebroadcast; treating them as final is what they meant. A journal that already
/// holds two executed entries for one agent's nonce is refused (the upgrade is rolled back and
/// the error names the entries).
pub const JOURNAL_SCHEMA_VERSION: i64 = 3;

/// How long a statement waits for another connection's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The schema of version [`JOURNAL_SCHEMA_VERSION`] (the columns added by upgrades come last,
/// as `ALTER TABLE` adds them, so a created and an upgraded journal are alike).
pub(super) const SCHEMA: &str = "
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
    shortfall     TEXT,
    vault         TEXT,
    finalized     INTEGER NOT NULL DEFAULT 0,
    mined_block_hash TEXT
) STRICT;
CREATE INDEX entries_agent_status ON entries (agent, status);
";

/// Every signed transaction, journaled before it is broadcast: hashes and raw bytes as 0x-hex
/// (lowercase), the account checksummed, fees as decimal wei.
const TRANSACTIONS: &str = "
CREATE TABLE transactions (
    hash          TEXT    PRIMARY KEY,
    entry_id      INTEGER NOT NULL REFERENCES entries (id),
    account       TEXT    NOT NULL,
    nonce         INTEGER NOT NULL,
    max_fee_per_gas TEXT  NOT NULL,
    max_priority_fee_per_gas TEXT NOT NULL,
    raw           TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX transactions_entry ON transactions (entry_id);
";

/// The index that makes a second executed entry for one (vault, agent, nonce) impossible.
const ONE_EXECUTION: &str = "
CREATE UNIQUE INDEX entries_one_execution ON entries (IFNULL(vault, ''), agent, nonce)
    WHERE status = 'executed';
";

/// Upgrades a version-1 journal (before the vault reported what a trade received) to 2.
const UPGRADE_FROM_1: &str = "
ALTER TABLE entries ADD COLUMN amount_received TEXT;
ALTER TABLE entries ADD COLUMN shortfall TEXT;
";

/// Upgrades a version-2 journal's `entries` to 3 (then [`TRANSACTIONS`] is created, and
/// [`ONE_EXECUTION`] once no duplicate is found).
const UPGRADE_FROM_2: &str = "
ALTER TABLE entries ADD COLUMN vault TEXT;
ALTER TABLE entries ADD COLUMN finalized INTEGER NOT NULL DEFAULT 0;
ALTER TABLE entries ADD COLUMN mined_block_hash TEXT;
UPDATE entries SET finalized = 1 WHERE status = 'executed';
";

/// The columns [`Entry`](super::Entry) is read from.
pub(super) const COLUMNS: &str = "id, agent, created_at, updated_at, strategy, block, sell_asset, \
     buy_asset, amount_in, amount_out, forced, status, reason, nonce, deadline, proof, \
     public_inputs, prove_s, tx_hash, gas_used, mined_block, revert_reason, amount_received, \
     shortfall, vault, finalized, mined_block_hash";

/// Sets the connection up and creates, upgrades or checks the schema.
pub(super) fn init(
    mut conn: Connection,
    location: &str,
    on_disk: bool,
) -> Result<Connection, JournalError> {
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
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(sqlite(location, "enable foreign keys"))?;
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sqlite(location, "lock the database"))?;
    let found: i64 = tx
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(sqlite(location, "read the schema version"))?;
    match found {
        JOURNAL_SCHEMA_VERSION => {}
        0 => create(&tx, location)?,
        1 | 2 => upgrade(&tx, location, found)?,
        found if found > JOURNAL_SCHEMA_VERSION => {
            return Err(JournalError::SchemaTooNew {
                location: location.to_owned(),
                found,
                supported: JOURNAL_SCHEMA_VERSION,
            })
        }
        found => {
            return Err(JournalError::SchemaUnknown {
                location: location.to_owned(),
                found,
                supported: JOURNAL_SCHEMA_VERSION,
            })
        }
    }
    tx.commit().map_err(sqlite(location, "commit the schema"))?;
    Ok(conn)
}

/// Creates the schema in an empty database (one with tables is not a journal).
fn create(tx: &Transaction<'_>, location: &str) -> Result<(), JournalError> {
    let tables: i64 = tx
        .query_row("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'", [], |row| row.get(0))
        .map_err(sqlite(location, "read the schema"))?;
    if tables > 0 {
        return Err(JournalError::NotAJournal { location: location.to_owned() });
    }
    tx.execute_batch(SCHEMA).map_err(sqlite(location, "create the schema"))?;
    tx.execute_batch(TRANSACTIONS).map_err(sqlite(location, "create the schema"))?;
    tx.execute_batch(ONE_EXECUTION).map_err(sqlite(location, "create the schema"))?;
    set_version(tx, location)
}

/// Upgrades a version-1 or version-2 journal to [`JOURNAL_SCHEMA_VERSION`] (in the caller's
/// transaction: an error leaves the file as it was).
fn upgrade(tx: &Transaction<'_>, location: &str, from: i64) -> Result<(), JournalError> {
    if from == 1 {
        tx.execute_batch(UPGRADE_FROM_1).map_err(sqlite(location, "upgrade the schema from 1"))?;
    }
    tx.execute_batch(UPGRADE_FROM_2).map_err(sqlite(location, "upgrade the schema from 2"))?;
    tx.execute_batch(TRANSACTIONS).map_err(sqlite(location, "upgrade the schema from 2"))?;
    let groups = duplicate_executions(tx, location)?;
    if !groups.is_empty() {
        return Err(JournalError::DuplicateExecutionsInJournal {
            location: location.to_owned(),
            groups,
        });
    }
    tx.execute_batch(ONE_EXECUTION).map_err(sqlite(location, "upgrade the schema"))?;
    set_version(tx, location)?;
    let to = JOURNAL_SCHEMA_VERSION;
    info!(target: "proofgate::journal", path = location, from, to, "journal schema upgraded");
    Ok(())
}

/// The ids of each set of executed entries that share a vault, an agent and a nonce.
fn duplicate_executions(
    tx: &Transaction<'_>,
    location: &str,
) -> Result<Vec<Vec<i64>>, JournalError> {
    let read = || sqlite(location, "look for duplicate executions");
    let mut stmt = tx
        .prepare(
            "SELECT GROUP_CONCAT(id) FROM (SELECT id, vault, agent, nonce FROM entries \
             WHERE status = 'executed' AND nonce IS NOT NULL ORDER BY id) \
             GROUP BY IFNULL(vault, ''), agent, nonce HAVING COUNT(*) > 1 ORDER BY MIN(id)",
        )
        .map_err(read())?;
    let lists = stmt.query_map([], |row| row.get::<_, String>(0)).map_err(read())?;
    let mut groups = Vec::new();
    for list in lists {
        let list = list.map_err(read())?;
        groups.push(list.split(',').filter_map(|id| id.parse().ok()).collect());
    }
    Ok(groups)
}

/// Sets `PRAGMA user_version` to [`JOURNAL_SCHEMA_VERSION`].
fn set_version(tx: &Transaction<'_>, location: &str) -> Result<(), JournalError> {
    tx.pragma_update(None, "user_version", JOURNAL_SCHEMA_VERSION)
        .map_err(sqlite(location, "set the schema version"))
}

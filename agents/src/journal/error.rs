//! The journal's errors.

use std::path::PathBuf;

use alloy::primitives::{Address, TxHash};

use super::Status;

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
        /// [`JOURNAL_SCHEMA_VERSION`](super::JOURNAL_SCHEMA_VERSION).
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
        /// [`JOURNAL_SCHEMA_VERSION`](super::JOURNAL_SCHEMA_VERSION).
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
    /// [`Journal::record`](super::Journal::record) was given a status a new entry cannot start in.
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
    /// Marking an entry executed would record a second execution of one vault nonce of one
    /// agent (the unique index `entries_one_execution`); nothing was changed.
    #[error(
        "journal entry {id} cannot become executed: entry {existing} already records agent \
         {agent}'s vault nonce {nonce} as executed, and a vault executes each nonce once"
    )]
    DuplicateExecution {
        /// The entry that was refused.
        id: i64,
        /// Its agent.
        agent: Address,
        /// The vault nonce both entries are bound to.
        nonce: u64,
        /// The entry already executed with that nonce.
        existing: i64,
    },
    /// A journal being upgraded to schema version 3 holds executed entries that share a vault
    /// nonce of one agent, which the new schema forbids; the journal was left as it was.
    #[error(
        "journal {location} cannot be upgraded to schema version 3: {} record one vault nonce \
         executed twice (a vault executes each nonce once): inspect them with \
         `proofgate-agent history`, correct or remove the wrong entries with sqlite3, then start \
         again",
        describe_groups(groups)
    )]
    DuplicateExecutionsInJournal {
        /// The journal's path, or `:memory:`.
        location: String,
        /// The ids of each set of entries that share an agent and a nonce.
        groups: Vec<Vec<i64>>,
    },
    /// [`Journal::mark_final`](super::Journal::mark_final) or
    /// [`Journal::mark_reorged`](super::Journal::mark_reorged) was called on an entry that is not
    /// executed; nothing was changed.
    #[error("journal entry {id} is {status}: only an executed entry can {action}")]
    NotExecuted {
        /// The entry's id.
        id: i64,
        /// Its current status.
        status: Status,
        /// What was refused: `become final` or `be undone by a reorg`.
        action: &'static str,
    },
    /// [`Journal::mark_reorged`](super::Journal::mark_reorged) was called on a final entry;
    /// nothing was changed.
    #[error(
        "journal entry {id} is final: a reorg deeper than the confirmation depth cannot be \
         reconciled"
    )]
    AlreadyFinal {
        /// The entry's id.
        id: i64,
    },
    /// [`Journal::record_signed`](super::Journal::record_signed) was given a transaction whose
    /// account or account nonce differs from the entry's earlier transactions (a replacement
    /// reuses both); nothing was written.
    #[error(
        "journal entry {id}: a replacement transaction must reuse the {field} of the entry's \
         first transaction ({earlier}), not {given}"
    )]
    ReplacementMismatch {
        /// The entry's id.
        id: i64,
        /// `account` or `nonce`.
        field: &'static str,
        /// The earlier transactions' value.
        earlier: String,
        /// The value given.
        given: String,
    },
    /// [`Journal::record_signed`](super::Journal::record_signed) was given a transaction whose
    /// hash is already journaled; nothing was written.
    #[error(
        "transaction {hash} is already journaled (for entry {existing}): it was not recorded \
         for entry {id}"
    )]
    DuplicateTransaction {
        /// The entry it was given for.
        id: i64,
        /// The transaction's hash.
        hash: TxHash,
        /// The entry it is journaled for.
        existing: i64,
    },
    /// [`Journal::record_signed`](super::Journal::record_signed) was given a hash that is not
    /// the keccak-256 of the raw signed bytes; nothing was written.
    #[error(
        "journal entry {id}: transaction hash {hash} is not the hash of its raw bytes ({computed})"
    )]
    HashMismatch {
        /// The entry it was given for.
        id: i64,
        /// The hash given.
        hash: TxHash,
        /// keccak-256 of the raw bytes.
        computed: TxHash,
    },
    /// A stored value cannot be read back: the row was damaged or written by something else.
    /// `column` names a column of `entries`, or `transactions.{column}`.
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

/// `entries 3, 5; entries 7, 9`: the groups of [`JournalError::DuplicateExecutionsInJournal`].
fn describe_groups(groups: &[Vec<i64>]) -> String {
    let groups: Vec<String> = groups
        .iter()
        .map(|ids| {
            let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
            format!("entries {}", ids.join(", "))
        })
        .collect();
    groups.join("; ")
}

//! Tests of schema version 3: upgrades from versions 1 and 2, one execution per nonce,
//! finality and reorgs, and journaled signed transactions.
use alloy::primitives::{keccak256, Bytes};
use rusqlite::types::Value;

use super::codec::{hash_text, hex_json};
use super::tests::{
    decision, entry_in, execution, hash, nonce_of, proved, TestResult, AGENT, OTHER, VAULT,
};
use super::*;

/// The schema of version 1, verbatim as that release created it.
const SCHEMA_V1: &str = "
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

/// The schema of version 2, verbatim as that release created it.
const SCHEMA_V2: &str = "
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

/// Creates a journal of an old `version` at `path` and inserts, as that version's `record` and
/// `mark_*` did, an executed entry (nonce 4), a submitted one (nonce 5) and a skipped one.
fn old_journal(path: &Path, schema: &str, version: i64) -> rusqlite::Connection {
    let conn = Connection::open(path).expect("raw open");
    conn.execute_batch(schema).expect("old schema");
    conn.pragma_update(None, "user_version", version).expect("set version");
    insert_old(&conn, "executed", Some(4), Some(hash(1)));
    insert_old(&conn, "submitted", Some(5), Some(hash(2)));
    insert_old(&conn, "skipped", None, None);
    conn
}

/// Inserts an entry with the columns every version has.
fn insert_old(conn: &Connection, status: &str, nonce: Option<i64>, tx: Option<TxHash>) {
    let mined = (status == "executed").then_some(77i64);
    conn.execute(
        "INSERT INTO entries (agent, created_at, updated_at, strategy, block, sell_asset, \
         buy_asset, amount_in, amount_out, forced, status, reason, nonce, deadline, proof, \
         public_inputs, prove_s, tx_hash, gas_used, mined_block) \
         VALUES (?1, 1700000000, 1700000000, 'momentum', 70, 0, 1, '1000', '990', 0, ?2, \
         'old', ?3, 1700000600, ?4, '[\"0x1\"]', 1.5, ?5, ?6, ?6)",
        params![
            AGENT.to_checksum(None),
            status,
            nonce,
            nonce.map(|_| hex_json(&proved(1).proof)),
            tx.map(hash_text),
            mined,
        ],
    )
    .expect("insert an old row");
}

fn schema_version(path: &Path) -> i64 {
    let conn = Connection::open(path).expect("raw open");
    conn.pragma_query_value(None, "user_version", |r| r.get(0)).expect("version")
}

/// Checks an upgraded journal: its rows kept, the executed one final, the new columns empty,
/// and the new table and index in force.
fn check_upgraded(journal: &Journal) -> TestResult {
    let entries = journal.history(None, 10)?;
    let [skipped, submitted, executed] = entries.as_slice() else { panic!("{entries:?}") };
    assert_eq!(
        (executed.status, executed.nonce, executed.tx_hash),
        (Status::Executed, Some(4), Some(hash(1)))
    );
    assert_eq!(
        (executed.mined_block, executed.gas_used, executed.reason.as_str()),
        (Some(77), Some(77), "old")
    );
    assert_eq!(executed.proof, Some(proved(1).proof));
    assert!(executed.finalized, "executed before version 3: final");
    assert_eq!((executed.vault, executed.mined_block_hash), (None, None));
    assert!(!submitted.finalized && !skipped.finalized);
    assert_eq!((submitted.status, skipped.status), (Status::Submitted, Status::Skipped));
    assert!(journal.unconfirmed(AGENT)?.is_empty());
    assert_eq!(journal.open_entries(AGENT)?, 1);
    assert_eq!(journal.executed_nonces(AGENT)?, vec![4]);
    // The migrated submitted entry can be journaled and executed; a second execution of the old
    // executed nonce (no vault) is refused by the new index.
    journal.record_signed(submitted.id, &signed(1, 5, 10))?;
    journal.mark_executed(submitted.id, &execution(hash(3), 1, 80))?;
    let dup = journal.record(&decision(AGENT, 1), Status::Proving)?;
    journal.conn().execute("UPDATE entries SET vault = NULL WHERE id = ?1", [dup]).expect("vault");
    journal.mark_proved(dup, &proved(4))?;
    let err = journal.mark_executed(dup, &execution(hash(4), 1, 81)).expect_err("duplicate");
    assert!(
        matches!(err, JournalError::DuplicateExecution { existing, nonce: 4, .. }
            if existing == executed.id),
        "{err:?}"
    );
    Ok(())
}

#[test]
fn a_version_1_journal_is_upgraded_to_3_and_keeps_its_entries() -> TestResult {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("journal.sqlite");
    drop(old_journal(&path, SCHEMA_V1, 1));
    check_upgraded(&Journal::open(&path)?)?;
    assert_eq!(schema_version(&path), JOURNAL_SCHEMA_VERSION);
    let journal = Journal::open(&path)?; // reopening an upgraded journal changes nothing
    assert_eq!((journal.get(1)?.status, journal.get(1)?.finalized), (Status::Executed, true));
    assert_eq!(journal.get(1)?.settlement, None);
    Ok(())
}

#[test]
fn a_version_2_journal_is_upgraded_to_3_and_keeps_its_entries() -> TestResult {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("journal.sqlite");
    let conn = old_journal(&path, SCHEMA_V2, 2);
    conn.execute("UPDATE entries SET amount_received = '995', shortfall = '3' WHERE id = 1", [])
        .expect("settlement");
    drop(conn);
    check_upgraded(&Journal::open(&path)?)?;
    assert_eq!(schema_version(&path), JOURNAL_SCHEMA_VERSION);
    let journal = Journal::open(&path)?;
    let settled = Settlement { amount_received: U256::from(995u64), shortfall: U256::from(3u64) };
    assert_eq!(journal.get(1)?.settlement, Some(settled));
    Ok(())
}

#[test]
fn an_upgrade_refuses_duplicate_executions_naming_them_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("journal.sqlite");
    let conn = old_journal(&path, SCHEMA_V2, 2);
    insert_old(&conn, "executed", Some(4), Some(hash(5))); // id 4: nonce 4 again
    insert_old(&conn, "executed", None, None); // no nonce: not a duplicate
    drop(conn);
    let err = Journal::open(&path).expect_err("duplicates");
    assert!(
        matches!(&err, JournalError::DuplicateExecutionsInJournal { groups, .. }
            if *groups == vec![vec![1, 4]]),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(message.contains("entries 1, 4") && message.contains("schema version 3"), "{message}");
    assert_eq!(schema_version(&path), 2, "rolled back");
    let conn = Connection::open(&path).expect("raw open");
    let columns: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM pragma_table_info('entries') WHERE name = 'vault'",
            [],
            |r| r.get(0),
        )
        .expect("columns");
    assert_eq!(columns, 0, "the upgrade was rolled back");
}

#[test]
fn a_second_execution_of_one_nonce_is_refused_and_changes_nothing() -> TestResult {
    let journal = Journal::open_in_memory()?;
    let first = entry_in(&journal, Status::Executed)?;
    let second = journal.record(&decision(AGENT, 2), Status::Proving)?;
    journal.mark_proved(second, &proved(nonce_of(first)))?;
    journal.mark_submitted(second, hash(7))?;
    let before = journal.get(second)?;
    let err = journal.mark_executed(second, &execution(hash(7), 1, 300)).expect_err("dup");
    match &err {
        JournalError::DuplicateExecution { id, agent, nonce, existing } => {
            assert_eq!((*id, *agent, *nonce, *existing), (second, AGENT, nonce_of(first), first));
        }
        other => panic!("expected DuplicateExecution, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains(&format!("entry {second}")), "{message}");
    assert!(message.contains(&format!("entry {first}")), "{message}");
    assert_eq!(journal.get(second)?, before, "nothing changed");
    // Another vault's or another agent's nonce of the same number is another trade.
    let mut elsewhere = decision(AGENT, 3);
    elsewhere.vault = OTHER;
    for d in [elsewhere, decision(OTHER, 3)] {
        let id = journal.record(&d, Status::Proving)?;
        journal.mark_proved(id, &proved(nonce_of(first)))?;
        journal.mark_executed(id, &execution(hash(8), 1, 301))?;
    }
    // Once a reorg undoes the first, the second may execute.
    journal.mark_reorged(first, "block 101 replaced")?;
    journal.mark_executed(second, &execution(hash(7), 1, 302))?;
    assert_eq!(journal.get(second)?.status, Status::Executed);
    Ok(())
}

#[test]
fn mark_final_and_mark_reorged_move_only_unconfirmed_executions() -> TestResult {
    let journal = Journal::open_in_memory()?;
    let executed = entry_in(&journal, Status::Executed)?;
    let settled = Settlement { amount_received: U256::from(5u8), shortfall: U256::ZERO };
    journal
        .conn()
        .execute(
            "UPDATE entries SET amount_received = '5', shortfall = '0' WHERE id = ?1",
            [executed],
        )
        .expect("settle");
    assert_eq!(journal.get(executed)?.settlement, Some(settled));
    assert_eq!(
        journal.unconfirmed(AGENT)?.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![executed]
    );
    assert_eq!(journal.open_entries(AGENT)?, 1);

    journal.mark_reorged(executed, "block 101 replaced")?;
    let entry = journal.get(executed)?;
    assert_eq!(
        (entry.status, entry.tx_hash, entry.finalized),
        (Status::Submitted, Some(hash(9)), false)
    );
    assert_eq!(
        (entry.mined_block, entry.mined_block_hash, entry.gas_used, entry.settlement),
        (None, None, None, None)
    );
    assert_eq!(entry.reason, "price rose 3%; reorg: block 101 replaced");
    assert_eq!(journal.pending(AGENT)?.len(), 1);
    assert!(journal.unconfirmed(AGENT)?.is_empty());

    let mined = execution(hash(9), 50_000, 105);
    journal.mark_executed(executed, &mined)?;
    assert_eq!(journal.get(executed)?.mined_block_hash, Some(mined.block_hash));
    journal.mark_final(executed)?;
    journal.mark_final(executed)?; // idempotent
    let entry = journal.get(executed)?;
    assert!(entry.finalized && entry.status == Status::Executed);
    assert_eq!((journal.open_entries(AGENT)?, journal.unconfirmed(AGENT)?.len()), (0, 0));
    let err = journal.mark_reorged(executed, "deep").expect_err("final");
    assert!(matches!(err, JournalError::AlreadyFinal { id } if id == executed), "{err:?}");
    assert!(err.to_string().contains("cannot be reconciled"), "{err}");
    assert_eq!(journal.get(executed)?, entry, "nothing changed");

    for status in Status::ALL.into_iter().filter(|&s| s != Status::Executed) {
        let id = entry_in(&journal, status)?;
        let before = journal.get(id)?;
        for result in [journal.mark_final(id), journal.mark_reorged(id, "x")] {
            assert!(
                matches!(result, Err(JournalError::NotExecuted { status: s, .. }) if s == status),
                "{status}: {result:?}"
            );
        }
        assert_eq!(journal.get(id)?, before, "{status} changed");
    }
    assert!(matches!(journal.mark_final(9_999), Err(JournalError::NotFound { id: 9_999 })));
    assert!(matches!(journal.mark_reorged(9_999, "x"), Err(JournalError::NotFound { id: 9_999 })));
    Ok(())
}

/// A signed transaction of `account` byte `who` with `nonce`, priced at `fee` gwei.
fn signed(who: u8, nonce: u64, fee: u128) -> SignedTx {
    let raw = Bytes::from([&[0x02, who][..], &nonce.to_be_bytes(), &fee.to_be_bytes()].concat());
    SignedTx {
        hash: keccak256(&raw),
        account: Address::repeat_byte(who),
        nonce,
        max_fee_per_gas: fee * 1_000_000_000,
        max_priority_fee_per_gas: u128::MAX - fee,
        raw,
    }
}

#[test]
fn transactions_round_trip_with_two_replacements() -> TestResult {
    let journal = Journal::open_in_memory()?;
    let id = entry_in(&journal, Status::Proved)?;
    let other = entry_in(&journal, Status::Proved)?;
    assert!(journal.transactions(id)?.is_empty());
    let history = [signed(1, 3, 10), signed(1, 3, 12), signed(1, 3, 15)];
    for (i, tx) in history.iter().enumerate() {
        journal.record_signed(id, tx)?;
        let entry = journal.get(id)?;
        assert_eq!((entry.status, entry.tx_hash), (Status::Submitted, Some(tx.hash)));
        assert_eq!(journal.transactions(id)?.len(), i + 1);
    }
    journal.record_signed(other, &signed(1, 4, 10))?;
    let stored = journal.transactions(id)?;
    let txs: Vec<SignedTx> = stored.iter().map(|t| t.signed.clone()).collect();
    assert_eq!(txs, history, "oldest first, every field");
    assert!(stored.iter().all(|t| t.entry_id == id && t.created_at > 1_600_000_000));
    assert_eq!(journal.transactions(other)?.len(), 1);
    assert!(journal.transactions(9_999)?.is_empty());
    let text: String = journal
        .conn()
        .query_row(
            "SELECT raw FROM transactions WHERE hash = ?1",
            [hash_text(history[0].hash)],
            |r| r.get(0),
        )
        .expect("raw");
    assert_eq!(text, format!("0x{}", hex::encode(&history[0].raw)));
    Ok(())
}

#[test]
fn record_signed_writes_both_or_neither() -> TestResult {
    let journal = Journal::open_in_memory()?;
    let first = entry_in(&journal, Status::Proved)?;
    let second = entry_in(&journal, Status::Proved)?;
    let tx = signed(1, 3, 10);
    journal.record_signed(first, &tx)?;
    let before = journal.get(second)?;
    // The insert fails (the hash is journaled for another entry) after the entry was updated:
    // the update is rolled back with it.
    let err = journal.record_signed(second, &tx).expect_err("duplicate hash");
    assert!(
        matches!(err, JournalError::DuplicateTransaction { id, existing, .. }
            if id == second && existing == first),
        "{err:?}"
    );
    assert_eq!(journal.get(second)?, before);
    assert_eq!((before.status, before.tx_hash), (Status::Proved, None));
    assert!(journal.transactions(second)?.is_empty());

    let mut wrong_hash = signed(1, 3, 11);
    wrong_hash.hash = hash(3);
    let replacement_refusals = [(signed(2, 3, 11), "account"), (signed(1, 4, 11), "nonce")];
    let entry = journal.get(first)?;
    for (tx, field) in replacement_refusals {
        let err = journal.record_signed(first, &tx).expect_err(field);
        assert!(
            matches!(err, JournalError::ReplacementMismatch { field: f, .. } if f == field),
            "{err:?}"
        );
        assert!(err.to_string().contains(&format!("reuse the {field}")), "{err}");
    }
    let err = journal.record_signed(first, &wrong_hash).expect_err("hash");
    assert!(matches!(err, JournalError::HashMismatch { .. }), "{err:?}");
    assert_eq!((journal.get(first)?, journal.transactions(first)?.len()), (entry, 1));

    // An entry that cannot be submitted: nothing journaled.
    for status in [Status::Proving, Status::Executed, Status::Abandoned] {
        let id = entry_in(&journal, status)?;
        let result = journal.record_signed(id, &signed(5, 1, 1));
        assert!(
            matches!(result, Err(JournalError::Transition { from, .. }) if from == status),
            "{result:?}"
        );
        assert!(journal.transactions(id)?.is_empty());
    }
    let result = journal.record_signed(9_999, &signed(5, 1, 1));
    assert!(matches!(result, Err(JournalError::NotFound { id: 9_999 })), "{result:?}");
    let total: i64 =
        journal.conn().query_row("SELECT COUNT(*) FROM transactions", [], |r| r.get(0)).expect("n");
    assert_eq!(total, 1);
    Ok(())
}

#[test]
fn corrupt_transactions_are_reported_with_their_column() -> TestResult {
    let cases: [(&str, Value); 7] = [
        ("raw", "0xzz".to_owned().into()),
        ("raw", "0x0203".to_owned().into()), // does not hash to the hash
        ("raw", "0203".to_owned().into()),
        ("max_fee_per_gas", "1e9".to_owned().into()),
        ("max_priority_fee_per_gas", "340282366920938463463374607431768211456".to_owned().into()),
        ("account", "0x12".to_owned().into()),
        ("nonce", (-3i64).into()),
    ];
    for (column, value) in cases {
        let journal = Journal::open_in_memory()?;
        let id = entry_in(&journal, Status::Proved)?;
        journal.record_signed(id, &signed(1, 3, 10))?;
        journal
            .conn()
            .execute(&format!("UPDATE transactions SET {column} = ?1"), params![value])
            .expect("corrupt");
        let err = journal.transactions(id).expect_err(column);
        let expected = format!("transactions.{column}");
        assert!(
            matches!(&err, JournalError::Corrupt { id: got, column: c, .. }
                if *got == id && *c == expected),
            "{column}: {err:?}"
        );
        assert!(err.to_string().contains(&expected), "{err}");
    }
    Ok(())
}

#[test]
fn format_history_marks_unconfirmed_executions_only_while_they_are() -> TestResult {
    let journal = Journal::open_in_memory()?;
    let id = entry_in(&journal, Status::Executed)?;
    let table = format_history(&journal.history(None, 10)?);
    assert!(table.contains("executed*") && table.ends_with("may still undo it)\n"), "{table}");
    journal.mark_final(id)?;
    let table = format_history(&journal.history(None, 10)?);
    assert!(table.contains("executed") && !table.contains('*'), "{table}");
    assert_eq!(table.lines().count(), 2, "{table}");
    Ok(())
}

#[test]
fn a_new_journal_has_every_version_3_object() -> TestResult {
    let journal = Journal::open_in_memory()?;
    let id = journal.record(&decision(AGENT, 1), Status::Skipped)?;
    assert_eq!(journal.get(id)?.vault, Some(VAULT));
    let names: Vec<String> = journal
        .conn()
        .prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'index') ORDER BY name")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("names");
    for name in ["entries", "entries_one_execution", "transactions", "transactions_entry"] {
        assert!(names.iter().any(|n| n == name), "{name}: {names:?}");
    }
    Ok(())
}

#[test]
fn a_revert_mined_on_chain_is_re_checked_until_final_like_an_execution() -> TestResult {
    let journal = Journal::open_in_memory()?;
    let id = entry_in(&journal, Status::Submitted)?;
    let mined = execution(hash(9), 30_000, 107);
    journal.mark_reverted_mined(id, &mined, "InvalidProof")?;
    let entry = journal.get(id)?;
    assert_eq!((entry.status, entry.finalized), (Status::Reverted, false));
    assert_eq!((entry.mined_block, entry.mined_block_hash), (Some(107), Some(mined.block_hash)));
    assert_eq!(journal.unconfirmed(AGENT)?.iter().map(|e| e.id).collect::<Vec<_>>(), vec![id]);
    assert_eq!(journal.open_entries(AGENT)?, 1);

    // A reorg drops its block: back to submitted, with no revert reason left.
    journal.mark_reorged(id, "block 107 replaced")?;
    let entry = journal.get(id)?;
    assert_eq!(
        (entry.status, entry.revert_reason, entry.mined_block),
        (Status::Submitted, None, None)
    );

    // Mined again (it reverts again), then deep enough: final, and no longer re-checked.
    journal.mark_reverted_mined(id, &execution(hash(9), 30_000, 109), "InvalidProof")?;
    journal.mark_final(id)?;
    assert!(journal.get(id)?.finalized);
    assert!(journal.unconfirmed(AGENT)?.is_empty());
    assert!(matches!(journal.mark_reorged(id, "deep"), Err(JournalError::AlreadyFinal { .. })));

    // A pre-flight refusal (nothing mined) is final at once and never re-checked.
    let refused = entry_in(&journal, Status::Reverted)?;
    assert!(journal.unconfirmed(AGENT)?.iter().all(|e| e.id != refused));
    assert!(matches!(journal.mark_final(refused), Err(JournalError::NotExecuted { .. })));
    Ok(())
}

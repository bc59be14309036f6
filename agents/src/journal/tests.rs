//! Tests of the journal: lifecycle, illegal transitions, durability across reopening,
//! corruption, schema versions, queries and concurrent use.
use std::sync::Arc;

use alloy::primitives::address;

use super::history::{short, utc};
use super::*;

pub(super) type TestResult = Result<(), JournalError>;

pub(super) const AGENT: Address = address!("0x52908400098527886E0F7030069857D2E4169EE7");
pub(super) const OTHER: Address = address!("0x8617E340B3D01FA5F11F306F4090FD50E238070D");
pub(super) const VAULT: Address = address!("0x5FbDB2315678afecb367f032d93F642f64180aa3");

pub(super) fn decision(agent: Address, block: u64) -> NewDecision {
    NewDecision {
        agent,
        vault: VAULT,
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

pub(super) fn proved(nonce: u64) -> ProvedTrade {
    ProvedTrade {
        nonce,
        deadline: 1_700_000_600,
        proof: std::array::from_fn(|i| (U256::from(i + 1) << 200) | U256::from(nonce)),
        public_inputs: vec![U256::MAX, U256::ZERO, U256::from(7u64)],
        prove_s: 1.25,
    }
}

pub(super) fn hash(byte: u8) -> TxHash {
    TxHash::repeat_byte(byte)
}

/// An execution of `tx_hash` in `block` (block hash derived from the number), no settlement.
pub(super) fn execution(tx_hash: TxHash, gas_used: u64, block: u64) -> Execution {
    Execution {
        tx_hash,
        gas_used,
        block,
        block_hash: B256::from(U256::from(block) | (U256::from(0xb10cu64) << 240)),
        settlement: None,
    }
}

/// The nonce `apply` proves entry `id` with: its id, so that no two executed entries share one.
pub(super) fn nonce_of(id: i64) -> u64 {
    u64::try_from(id).expect("ids are positive")
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
pub(super) fn apply(journal: &Journal, id: i64, to: Status) -> TestResult {
    match to {
        Status::Proved => journal.mark_proved(id, &proved(nonce_of(id))),
        Status::Submitted => journal.mark_submitted(id, hash(9)),
        Status::Executed => journal.mark_executed(id, &execution(hash(9), 90_000, 101)),
        Status::Reverted => journal.mark_reverted(id, Some(hash(9)), Some(30_000), "NonceUsed"),
        Status::Expired => journal.mark_expired(id),
        Status::Abandoned => journal.mark_abandoned(id, "shutdown"),
        Status::Skipped | Status::Refused | Status::Proving => {
            unreachable!("not a transition")
        }
    }
}

/// Records an entry and walks it to `status`.
pub(super) fn entry_in(journal: &Journal, status: Status) -> Result<i64, JournalError> {
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

    let settled =
        Settlement { amount_received: U256::from(123_456_999u64), shortfall: U256::from(42u8) };
    let mut mined = execution(hash(2), 151_000, 107);
    mined.settlement = Some(settled);
    journal.mark_executed(id, &mined)?;
    let entry = journal.get(id)?;
    assert_eq!(entry.status, Status::Executed);
    assert_eq!(entry.settlement, Some(settled));
    assert_eq!((entry.vault, entry.finalized), (Some(VAULT), false));
    assert_eq!(entry.mined_block_hash, Some(mined.block_hash));
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
        assert!(matches!(result, Err(JournalError::NotFound { id: 9_999 })), "{to}: {result:?}");
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
    let (proving, proved_id, submitted, executed) = {
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
        let executed = entry_in(&journal, Status::Executed)?;
        entry_in(&journal, Status::Skipped)?;
        journal.record(&decision(OTHER, 1), Status::Proving)?;
        (proving, proved_id, submitted, executed)
    }; // dropped: the "crash"

    let journal = Journal::open(&path)?;
    let pending = journal.pending(AGENT)?;
    let ids: Vec<i64> = pending.iter().map(|e| e.id).collect();
    assert_eq!(ids, vec![proving, proved_id, submitted]);
    assert_eq!(pending[1].proof, Some(proved(nonce_of(proved_id)).proof));
    assert_eq!(pending[1].public_inputs, Some(proved(5).public_inputs));
    assert_eq!(pending[2].tx_hash, Some(hash(9)));
    assert_eq!(journal.pending(OTHER)?.len(), 1);
    // Recovery goes on from there.
    journal.mark_executed(submitted, &execution(hash(9), 80_000, 200))?;
    journal.mark_abandoned(proving, "restart")?;
    drop(journal);
    let journal = Journal::open(&path)?;
    let ids: Vec<i64> = journal.pending(AGENT)?.iter().map(|e| e.id).collect();
    assert_eq!(ids, vec![proved_id]);
    assert_eq!(journal.executed_nonces(AGENT)?, vec![nonce_of(submitted), nonce_of(executed)]);
    Ok(())
}

#[test]
fn corrupt_values_are_reported_with_their_row_and_column() -> TestResult {
    let cases: [(&str, rusqlite::types::Value); 13] = [
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
        ("vault", "0x5fbdb".to_owned().into()),
        ("finalized", 7i64.into()),
        ("mined_block_hash", "0xabc".to_owned().into()),
    ];
    for (column, value) in cases {
        let journal = Journal::open_in_memory()?;
        let id = entry_in(&journal, Status::Submitted)?;
        journal
            .conn()
            .execute(&format!("UPDATE entries SET {column} = ?1 WHERE id = ?2"), params![value, id])
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
    let result = journal.mark_executed(id, &execution(hash(1), 1, 1));
    assert!(matches!(result, Err(JournalError::Corrupt { column: "status", .. })), "{result:?}");
    assert!(matches!(journal.counts(None), Err(JournalError::Corrupt { column: "status", .. })));
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
    assert!(matches!(err, JournalError::SchemaTooNew { found: 4, supported: 3, .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("schema version 4") && message.contains("newer one"), "{message}");
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
    assert_eq!((all[&Status::Skipped], all[&Status::Reverted], all[&Status::Refused]), (1, 1, 1));
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
                    journal.mark_executed(id, &execution(hash(t), 21_000, i))?;
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
    assert_eq!(lines.len(), 5, "{table}");
    assert!(lines[4].starts_with("* executed, not final yet"), "{table}");
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
        "executed*",
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

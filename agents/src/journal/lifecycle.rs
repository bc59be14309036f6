//! The journal's transitions: every `mark_*`.

use alloy::primitives::TxHash;
use rusqlite::types::ToSql;
use rusqlite::{params, Connection, OptionalExtension};
use tracing::debug;

use super::codec::{
    flag, hash_text, hex_json, int, is_unique_violation, now_unix, parse_address, parse_status,
    sqlite, status_list, uint,
};
use super::{Execution, Journal, JournalError, ProvedTrade, Status};

impl Journal {
    /// Stores the proof of a proving entry (proving → proved). When this returns, the proof is
    /// on disk: only then may it be sent.
    pub fn mark_proved(&self, id: i64, proved: &ProvedTrade) -> Result<(), JournalError> {
        let nonce = int("nonce", proved.nonce)?;
        let deadline = int("deadline", proved.deadline)?;
        let proof = hex_json(&proved.proof);
        let inputs = hex_json(&proved.public_inputs);
        let prove_s = proved.prove_s.is_finite().then_some(proved.prove_s);
        let conn = self.conn();
        transition(
            &conn,
            &self.location,
            id,
            Status::Proved,
            "nonce = ?4, deadline = ?5, proof = ?6, public_inputs = ?7, prove_s = ?8",
            &[&nonce, &deadline, &proof, &inputs, &prove_s],
        )
    }

    /// Records that the proved trade was sent as `tx_hash` (proved or submitted → submitted: a
    /// resubmission after a restart replaces the hash). [`Journal::record_signed`] does this and
    /// journals the signed transaction too.
    pub fn mark_submitted(&self, id: i64, tx_hash: TxHash) -> Result<(), JournalError> {
        let conn = self.conn();
        transition(
            &conn,
            &self.location,
            id,
            Status::Submitted,
            "tx_hash = ?4",
            &[&hash_text(tx_hash)],
        )
    }

    /// Records that a transaction was mined and succeeded (proved or submitted → executed, not
    /// final), with what the vault reported. A second executed entry for the same vault, agent
    /// and vault nonce is refused with [`JournalError::DuplicateExecution`] and changes nothing.
    pub fn mark_executed(&self, id: i64, execution: &Execution) -> Result<(), JournalError> {
        let gas_used = int("gas_used", execution.gas_used)?;
        let mined_block = int("mined_block", execution.block)?;
        let received = execution.settlement.map(|s| s.amount_received.to_string());
        let shortfall = execution.settlement.map(|s| s.shortfall.to_string());
        let conn = self.conn();
        transition(
            &conn,
            &self.location,
            id,
            Status::Executed,
            "tx_hash = ?4, gas_used = ?5, mined_block = ?6, amount_received = ?7, shortfall = ?8, \
             mined_block_hash = ?9, finalized = 0",
            &[
                &hash_text(execution.tx_hash),
                &gas_used,
                &mined_block,
                &received,
                &shortfall,
                &hash_text(execution.block_hash),
            ],
        )
    }

    /// Records that a mined entry's block (executed, or reverted on chain) is past the
    /// confirmation depth: no reorg the daemon reconciles can undo it any more. Idempotent for a
    /// final entry; refused with [`JournalError::NotExecuted`] for an entry in another status.
    pub fn mark_final(&self, id: i64) -> Result<(), JournalError> {
        let now = int("updated_at", now_unix())?;
        let conn = self.conn();
        let changed = conn
            .prepare_cached(
                "UPDATE entries SET finalized = 1, updated_at = ?2 \
                 WHERE id = ?1 AND finalized = 0 AND (status = 'executed' \
                 OR (status = 'reverted' AND mined_block_hash IS NOT NULL))",
            )
            .and_then(|mut stmt| stmt.execute(params![id, now]))
            .map_err(sqlite(&self.location, "mark an entry final"))?;
        if changed == 1 {
            debug!(target: "proofgate::journal", id, "journal entry final");
            return Ok(());
        }
        match current(&conn, &self.location, id)? {
            (Status::Executed | Status::Reverted, true) => Ok(()),
            (status, _) => Err(JournalError::NotExecuted { id, status, action: "become final" }),
        }
    }

    /// Records that a reorg removed a mined entry's transaction before it was final (executed,
    /// or reverted on chain, and not final → submitted): the block, its hash, the gas, the
    /// settlement and the revert reason are cleared, the transaction hash is kept (it may be mined again, or replaced), and
    /// `reorg: {reason}` is appended to the entry's reason. A final entry is refused with
    /// [`JournalError::AlreadyFinal`], any other status with [`JournalError::NotExecuted`].
    pub fn mark_reorged(&self, id: i64, reason: &str) -> Result<(), JournalError> {
        let now = int("updated_at", now_unix())?;
        let conn = self.conn();
        let changed = conn
            .prepare_cached(
                "UPDATE entries SET status = 'submitted', updated_at = ?2, mined_block = NULL, \
                 mined_block_hash = NULL, gas_used = NULL, amount_received = NULL, \
                 shortfall = NULL, revert_reason = NULL, \
                 reason = CASE WHEN reason = '' THEN ?3 ELSE reason || '; ' || ?3 END \
                 WHERE id = ?1 AND finalized = 0 AND (status = 'executed' \
                 OR (status = 'reverted' AND mined_block_hash IS NOT NULL))",
            )
            .and_then(|mut stmt| stmt.execute(params![id, now, format!("reorg: {reason}")]))
            .map_err(sqlite(&self.location, "undo an execution"))?;
        if changed == 1 {
            debug!(target: "proofgate::journal", id, "journal entry reorged back to submitted");
            return Ok(());
        }
        match current(&conn, &self.location, id)? {
            (Status::Executed | Status::Reverted, true) => Err(JournalError::AlreadyFinal { id }),
            (status, _) => {
                Err(JournalError::NotExecuted { id, status, action: "be undone by a reorg" })
            }
        }
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
        let conn = self.conn();
        transition(
            &conn,
            &self.location,
            id,
            Status::Reverted,
            "tx_hash = COALESCE(?4, tx_hash), gas_used = COALESCE(?5, gas_used), revert_reason = ?6",
            &[&tx_hash.map(hash_text), &gas_used, &reason],
        )
    }

    /// Records a transaction mined and reverted (proved or submitted → reverted, not final):
    /// like an execution it is re-checked until the confirmation depth, since a reorg may drop
    /// its block and the same transaction may then execute.
    pub fn mark_reverted_mined(
        &self,
        id: i64,
        mined: &Execution,
        reason: &str,
    ) -> Result<(), JournalError> {
        let gas_used = int("gas_used", mined.gas_used)?;
        let mined_block = int("mined_block", mined.block)?;
        let conn = self.conn();
        transition(
            &conn,
            &self.location,
            id,
            Status::Reverted,
            "tx_hash = ?4, gas_used = ?5, mined_block = ?6, mined_block_hash = ?7, \
             revert_reason = ?8, finalized = 0",
            &[
                &hash_text(mined.tx_hash),
                &gas_used,
                &mined_block,
                &hash_text(mined.block_hash),
                &reason,
            ],
        )
    }

    /// Records that the deadline passed before the trade was sent or mined (proved or submitted
    /// → expired).
    pub fn mark_expired(&self, id: i64) -> Result<(), JournalError> {
        let conn = self.conn();
        transition(&conn, &self.location, id, Status::Expired, "", &[])
    }

    /// Gives a pending entry up (proving, proved or submitted → abandoned); `reason` is appended
    /// to the entry's reason as `abandoned: {reason}`.
    pub fn mark_abandoned(&self, id: i64, reason: &str) -> Result<(), JournalError> {
        let conn = self.conn();
        transition(
            &conn,
            &self.location,
            id,
            Status::Abandoned,
            "reason = CASE WHEN reason = '' THEN ?4 ELSE reason || '; ' || ?4 END",
            &[&format!("abandoned: {reason}")],
        )
    }
}

/// Moves entry `id` to `to` if its status allows it, setting `set` (parameters from `?4`).
/// Becoming executed where another entry already executed the same (vault, agent, nonce) is
/// [`JournalError::DuplicateExecution`].
pub(super) fn transition(
    conn: &Connection,
    location: &str,
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
    let changed =
        match conn.prepare_cached(&sql).and_then(|mut stmt| stmt.execute(params.as_slice())) {
            Ok(changed) => changed,
            Err(e) if to == Status::Executed && is_unique_violation(&e) => {
                return Err(duplicate_execution(conn, location, id)?
                    .unwrap_or_else(|| sqlite(location, "update an entry")(e)));
            }
            Err(e) => return Err(sqlite(location, "update an entry")(e)),
        };
    if changed == 1 {
        debug!(target: "proofgate::journal", id, status = %to, "journal entry updated");
        return Ok(());
    }
    let (from, _) = current(conn, location, id)?;
    Err(JournalError::Transition { id, from, to })
}

/// Entry `id`'s status and whether it is final ([`JournalError::NotFound`] if there is none).
fn current(conn: &Connection, location: &str, id: i64) -> Result<(Status, bool), JournalError> {
    let row: Option<(String, i64)> = conn
        .query_row("SELECT status, finalized FROM entries WHERE id = ?1", [id], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .optional()
        .map_err(sqlite(location, "read an entry's status"))?;
    let (status, finalized) = row.ok_or(JournalError::NotFound { id })?;
    let corrupt = |column| move |detail| JournalError::Corrupt { id, column, detail };
    Ok((
        parse_status(status).map_err(corrupt("status"))?,
        flag(finalized).map_err(corrupt("finalized"))?,
    ))
}

/// The [`JournalError::DuplicateExecution`] for entry `id`, whose move to executed broke the
/// unique index: names the entry already executed with its vault, agent and nonce (`None` if
/// there is none: then the index was broken some other way).
fn duplicate_execution(
    conn: &Connection,
    location: &str,
    id: i64,
) -> Result<Option<JournalError>, JournalError> {
    let row: Option<(String, Option<i64>, Option<i64>)> = conn
        .query_row(
            "SELECT e.agent, e.nonce, (SELECT x.id FROM entries x WHERE x.status = 'executed' \
             AND IFNULL(x.vault, '') = IFNULL(e.vault, '') AND x.agent = e.agent \
             AND x.nonce = e.nonce AND x.id != e.id) FROM entries e WHERE e.id = ?1",
            [id],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .optional()
        .map_err(sqlite(location, "look up the executed entry"))?;
    let (agent, nonce, existing) = row.ok_or(JournalError::NotFound { id })?;
    let Some(existing) = existing else { return Ok(None) };
    let corrupt = |column| move |detail| JournalError::Corrupt { id, column, detail };
    let nonce = nonce.ok_or_else(|| "NULL".to_owned()).and_then(uint).map_err(corrupt("nonce"))?;
    Ok(Some(JournalError::DuplicateExecution {
        id,
        agent: parse_address(agent).map_err(corrupt("agent"))?,
        nonce,
        existing,
    }))
}

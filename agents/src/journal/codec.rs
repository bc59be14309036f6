//! How values are stored in and read back from the journal's columns.

use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use alloy::primitives::{Address, Bytes, TxHash, B256, U256};
use rusqlite::types::FromSql;
use rusqlite::Row;

use super::{Entry, JournalError, ParseStatusError, Settlement, Status};

/// Maps an SQLite error to [`JournalError::Sqlite`].
pub(super) fn sqlite(
    location: &str,
    action: &'static str,
) -> impl FnOnce(rusqlite::Error) -> JournalError {
    let location = location.to_owned();
    move |source| JournalError::Sqlite { location, action, source }
}

/// Converts a `u64` to SQLite's `i64`, refusing what does not fit.
pub(super) fn int(column: &'static str, value: u64) -> Result<i64, JournalError> {
    i64::try_from(value).map_err(|_| JournalError::OutOfRange { column, value })
}

/// Returns its argument: the conversion of a column read as is.
pub(super) fn ok<T>(value: T) -> Result<T, String> {
    Ok(value)
}

/// The current time in unix seconds (0 if the clock is before 1970).
pub(super) fn now_unix() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// `'a', 'b', …` for an SQL `IN` list (the names are fixed identifiers, never user input).
pub(super) fn status_list(statuses: &[Status]) -> String {
    statuses.iter().map(|s| format!("'{}'", s.as_str())).collect::<Vec<_>>().join(", ")
}

/// A transaction hash as stored: 0x and 64 lowercase hex digits.
pub(super) fn hash_text(hash: TxHash) -> String {
    format!("0x{}", hex::encode(hash))
}

/// Numbers as a JSON array of 0x-hex strings.
pub(super) fn hex_json(values: &[U256]) -> String {
    let items: Vec<String> = values.iter().map(|v| format!("\"{v:#x}\"")).collect();
    format!("[{}]", items.join(","))
}

/// Parses [`hex_json`]'s output.
pub(super) fn parse_hex_json(text: String) -> Result<Vec<U256>, String> {
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
pub(super) fn parse_amount(text: String) -> Result<U256, String> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{text:?} is not a decimal number"));
    }
    U256::from_str_radix(&text, 10).map_err(|e| format!("{text:?}: {e}"))
}

/// Parses a stored status.
pub(super) fn parse_status(text: String) -> Result<Status, String> {
    text.parse().map_err(|e: ParseStatusError| e.to_string())
}

/// A stored integer as `u64`.
pub(super) fn uint(value: i64) -> Result<u64, String> {
    u64::try_from(value).map_err(|_| format!("{value} is negative"))
}

/// Reads `name` (a column of `entries`, or `transactions.{column}`) from `row` as `T` and
/// converts it, reporting either failure as corruption.
pub(super) fn column<T: FromSql, U>(
    row: &Row<'_>,
    id: i64,
    name: &'static str,
    convert: impl FnOnce(T) -> Result<U, String>,
) -> Result<U, JournalError> {
    let corrupt = |detail| JournalError::Corrupt { id, column: name, detail };
    let key = name.strip_prefix("transactions.").unwrap_or(name);
    let value: T = row.get(key).map_err(|e| corrupt(e.to_string()))?;
    convert(value).map_err(corrupt)
}

/// Reads an optional column: NULL is `None`, anything else must convert.
pub(super) fn optional<T: FromSql, U>(
    row: &Row<'_>,
    id: i64,
    name: &'static str,
    convert: impl FnOnce(T) -> Result<U, String>,
) -> Result<Option<U>, JournalError> {
    column(row, id, name, |value: Option<T>| value.map(convert).transpose())
}

/// Parses one row of [`COLUMNS`](super::schema::COLUMNS).
pub(super) fn parse_entry(row: &Row<'_>, id: i64) -> Result<Entry, JournalError> {
    Ok(Entry {
        id,
        agent: column(row, id, "agent", parse_address)?,
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
        forced: column(row, id, "forced", flag)?,
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
        tx_hash: optional(row, id, "tx_hash", parse_hash)?,
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
        vault: optional(row, id, "vault", parse_address)?,
        finalized: column(row, id, "finalized", flag)?,
        mined_block_hash: optional(row, id, "mined_block_hash", parse_hash)?,
    })
}

/// Parses a stored address (checksummed when the journal wrote it).
pub(super) fn parse_address(text: String) -> Result<Address, String> {
    Address::from_str(&text).map_err(|e| format!("{text:?}: {e}"))
}

/// Parses a stored 0x-hex 32-byte hash.
pub(super) fn parse_hash(text: String) -> Result<B256, String> {
    B256::from_str(&text).map_err(|e| format!("{text:?}: {e}"))
}

/// Parses a stored boolean: 0 or 1.
pub(super) fn flag(value: i64) -> Result<bool, String> {
    match value {
        0 => Ok(false),
        1 => Ok(true),
        v => Err(format!("{v} is not 0 or 1")),
    }
}

/// Parses a stored decimal `u128` (a fee per gas in wei).
pub(super) fn parse_u128(text: String) -> Result<u128, String> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{text:?} is not a decimal number"));
    }
    text.parse().map_err(|e| format!("{text:?}: {e}"))
}

/// Bytes as stored: 0x and lowercase hex digits.
pub(super) fn bytes_text(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

/// Parses [`bytes_text`]'s output.
pub(super) fn parse_bytes(text: String) -> Result<Bytes, String> {
    let digits = text.strip_prefix("0x").ok_or("does not start with 0x")?;
    hex::decode(digits).map(Bytes::from).map_err(|e| format!("not hex: {e}"))
}

/// Whether `error` is SQLite refusing a write that breaks a unique index or primary key.
pub(super) fn is_unique_violation(error: &rusqlite::Error) -> bool {
    matches!(
        error,
        rusqlite::Error::SqliteFailure(e, _)
            if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    )
}

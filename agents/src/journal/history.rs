//! The human table of `proofgate-agent history`.

use super::codec::hash_text;
use super::{Entry, Status};

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

/// A human table of `entries` for `proofgate-agent history`, one line per entry; an executed
/// entry that is not final yet shows as `executed*`, explained in a footer line.
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
                if unconfirmed(e) { format!("{}*", e.status) } else { e.status.to_string() },
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
    if entries.iter().any(unconfirmed) {
        out.push_str(UNCONFIRMED_NOTE);
    }
    out
}

/// The footer explaining `executed*`, shown only when the table has one.
const UNCONFIRMED_NOTE: &str =
    "* executed, not final yet: fewer confirmations than the configured depth (a reorg may \
     still undo it)\n";

/// Whether `entry` is executed and not final yet (shown as `executed*`).
fn unconfirmed(entry: &Entry) -> bool {
    entry.status == Status::Executed && !entry.finalized
}

/// `0x1234…abcd` for a 0x-hex string.
pub(super) fn short(hex: &str) -> String {
    match (hex.get(..6), hex.get(hex.len().saturating_sub(4)..)) {
        (Some(head), Some(tail)) if hex.len() > 12 => format!("{head}…{tail}"),
        _ => hex.to_owned(),
    }
}

/// Unix seconds as `YYYY-MM-DDTHH:MM:SSZ` (proleptic Gregorian, UTC).
pub(crate) fn utc(secs: u64) -> String {
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

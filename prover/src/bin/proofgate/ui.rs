//! What the binary prints: results on stdout (text, or JSON with `--json`), progress on stderr
//! (only on a terminal), errors on stderr, and the exit status.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::Value;

use crate::GlobalArgs;

/// Exit status of a definite "no": an invalid proof, a trade that breaks a risk check.
pub const EXIT_REJECTED: u8 = 1;
/// Exit status of bad input or a failure.
pub const EXIT_ERROR: u8 = 2;

/// A definite "no" (exit status 1), as opposed to bad input or a failure (exit status 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Rejected(pub String);

#[derive(Debug, Clone, Copy)]
struct Mode {
    json: bool,
    progress: bool,
}

static MODE: OnceLock<Mode> = OnceLock::new();
static RESULT_PRINTED: AtomicBool = AtomicBool::new(false);

/// Sets the output mode from the global options; call once, first.
pub fn init(global: &GlobalArgs) {
    let progress = !global.json && !global.quiet && std::io::stderr().is_terminal();
    let _ = MODE.set(Mode { json: global.json, progress });
}

fn mode() -> Mode {
    MODE.get().copied().unwrap_or(Mode { json: false, progress: false })
}

/// Whether results are printed as JSON.
pub fn json() -> bool {
    mode().json
}

/// Prints a command's result: `value` as JSON with `--json`, else `human()`.
pub fn emit(value: &Value, human: impl FnOnce() -> String) -> anyhow::Result<()> {
    if json() {
        println!("{}", serde_json::to_string_pretty(value)?);
    } else {
        println!("{}", human().trim_end());
    }
    RESULT_PRINTED.store(true, Ordering::Relaxed);
    Ok(())
}

/// Prints `err` on stderr (and as JSON on stdout with `--json`, unless the command already
/// printed its result there) and returns the exit status.
pub fn report_error(err: &anyhow::Error) -> u8 {
    let code = if err.downcast_ref::<Rejected>().is_some() { EXIT_REJECTED } else { EXIT_ERROR };
    eprintln!("error: {err:#}");
    if json() && !RESULT_PRINTED.load(Ordering::Relaxed) {
        let value =
            serde_json::json!({ "ok": false, "exit_code": code, "error": format!("{err:#}") });
        println!("{value:#}");
    }
    code
}

/// A spinner for one long step; hidden with `--json`, `--quiet` or when stderr is not a
/// terminal. Finish it with [`ProgressBar::finish_and_clear`].
pub fn spinner(message: impl Into<String>) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, draw_target());
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} [{elapsed}]") {
        bar.set_style(style);
    }
    bar.set_message(message.into());
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

/// A bar counting `len` steps; hidden like [`spinner`].
pub fn bar(len: u64, message: impl Into<String>) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(len), draw_target());
    if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} {msg} [{elapsed}]") {
        bar.set_style(style);
    }
    bar.set_message(message.into());
    bar.enable_steady_tick(Duration::from_millis(250));
    bar
}

fn draw_target() -> ProgressDrawTarget {
    if mode().progress {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    }
}

/// Runs `f` under a spinner and returns its result with the seconds it took.
pub fn timed<T>(message: &str, f: impl FnOnce() -> T) -> (T, f64) {
    let spinner = spinner(message);
    let start = std::time::Instant::now();
    let value = f();
    let seconds = start.elapsed().as_secs_f64();
    spinner.finish_and_clear();
    (value, seconds)
}

/// A byte count for people: `1.23 MiB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.2} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_counts_read_well() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1536), "1.50 KiB");
        assert_eq!(bytes(3 << 20), "3.00 MiB");
    }

    #[test]
    fn a_rejection_keeps_its_exit_status_under_context() {
        use anyhow::Context;
        let err = Err::<(), _>(Rejected("no".into())).context("outer").expect_err("error");
        assert_eq!(report_error(&err), EXIT_REJECTED);
        assert_eq!(report_error(&anyhow::anyhow!("bad file")), EXIT_ERROR);
    }
}

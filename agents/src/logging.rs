//! Logs on stderr for the binaries: `RUST_LOG` filters (default `info`), text or JSON lines.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber: JSON lines when `json`, otherwise text (coloured on a
/// terminal). arkworks' `gr1cs` spans are always off: they format the whole constraint system at
/// every gadget, which makes synthesis take minutes and gigabytes.
pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let filter = match "gr1cs=off".parse() {
        Ok(directive) => filter.add_directive(directive),
        Err(_) => filter,
    };
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.with_ansi(std::io::stderr().is_terminal()).init();
    }
}

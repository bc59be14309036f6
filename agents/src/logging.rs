//! Logs on stderr for the binaries: `RUST_LOG` filters (default `info`), text or JSON lines,
//! every line with the registered secrets replaced ([`crate::redact`]).

use std::io::IsTerminal;

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

use crate::redact::{redact, LineRedactor};

/// A [`MakeWriter`] whose writers redact every line before passing it on.
#[derive(Clone, Debug)]
pub struct Redacting<M>(pub M);

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for Redacting<M> {
    type Writer = LineRedactor<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        LineRedactor::new(self.0.make_writer())
    }
}

/// Installs the global subscriber: JSON lines when `json`, otherwise text (coloured on a
/// terminal), on stderr through [`Redacting`]; and a panic hook that prints panics redacted
/// too. arkworks' `gr1cs` spans are always off: they format the whole constraint system at
/// every gadget, which makes synthesis take minutes and gigabytes.
pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let filter = match "gr1cs=off".parse() {
        Ok(directive) => filter.add_directive(directive),
        Err(_) => filter,
    };
    let builder =
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(Redacting(std::io::stderr));
    if json {
        builder.json().init();
    } else {
        builder.with_ansi(std::io::stderr().is_terminal()).init();
    }
    std::panic::set_hook(Box::new(|info| {
        let thread = std::thread::current();
        let name = thread.name().unwrap_or("<unnamed>");
        let backtrace = std::backtrace::Backtrace::capture();
        let text = match backtrace.status() {
            std::backtrace::BacktraceStatus::Captured => {
                format!("thread '{name}' {info}\n{backtrace}")
            }
            _ => format!("thread '{name}' {info}"),
        };
        eprintln!("{}", redact(&text));
    }));
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex, PoisonError};

    use super::*;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap_or_else(PoisonError::into_inner).extend_from_slice(data);
            Ok(data.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_log_line_is_redacted_text_and_json() {
        let url: alloy::transports::http::reqwest::Url =
            "http://loguser:logpass123@127.0.0.1:9/?apikey=LOGKEY456".parse().expect("url");
        crate::redact::register_url(&url);
        for json in [false, true] {
            let captured = Captured::default();
            let sink = captured.clone();
            let builder = tracing_subscriber::fmt()
                .with_ansi(false)
                .with_writer(Redacting(move || sink.clone()));
            let subscriber: Box<dyn tracing::Subscriber + Send + Sync> = match json {
                true => Box::new(builder.json().finish()),
                false => Box::new(builder.finish()),
            };
            tracing::subscriber::with_default(subscriber, || {
                tracing::warn!(error = %format!("error sending request for url ({url})"), "step failed");
                tracing::info!("node at {url} answered; key LOGKEY456");
            });
            let text =
                String::from_utf8_lossy(&captured.0.lock().unwrap_or_else(PoisonError::into_inner))
                    .to_string();
            assert_eq!(text.lines().count(), 2, "{text}");
            for secret in ["logpass123", "LOGKEY456", "loguser"] {
                assert!(!text.contains(secret), "{secret} in {text}");
            }
            assert!(text.contains("http://***:***@127.0.0.1:9/?apikey=***"), "{text}");
        }
    }
}

//! Secrets out of logs, errors and metrics.
//!
//! RPC URLs often carry credentials: `https://user:password@host/`, `?apikey=…`, or a key as a
//! path segment (Infura's `/v3/<32 hex>`, Alchemy's `/v2/<key>`). [`redact_url`] shows a URL
//! without them. Errors from the HTTP client repeat the URL verbatim in their text, so the daemon
//! also [`register_url`]s its URL: every secret part of it goes into a process-wide registry, and
//! [`redact`] replaces each occurrence in any text (the log writer runs every line through it).
//!
//! NATS URLs (`nats://user:pass@host`, comma-separated servers) have their own
//! [`proofgate_prover::pipeline::nats::redact_url`], which drops the userinfo the same way;
//! [`register_nats_url`] registers their secrets here.

use std::borrow::Cow;
use std::io::{self, Write};
use std::sync::{PoisonError, RwLock};

use alloy::transports::http::reqwest::Url;

/// What a secret is replaced with.
pub const MASK: &str = "***";

/// Secrets shorter than this are only replaced in context (`user:pw@`, `key=value`): replacing
/// every `ab` in a log line would garble it and hide nothing.
const MIN_BARE_SECRET: usize = 4;

/// A path segment at least this long, of `[A-Za-z0-9_-]` only, is taken for an API key.
const SECRET_SEGMENT_LEN: usize = 16;

/// Registered secrets and their replacements, longest first.
static SECRETS: RwLock<Vec<(String, String)>> = RwLock::new(Vec::new());

/// `url` without its secrets: userinfo becomes `***:***@`, every query value `***`, path
/// segments that look like keys (16 or more of `[A-Za-z0-9_-]`) `***`, a fragment `#***`.
/// Scheme, host, port and the other path segments stay, so the message still says which node.
pub fn redact_url(url: &Url) -> String {
    if url.cannot_be_a_base() {
        return format!("{}:{MASK}", url.scheme());
    }
    let mut out = format!("{}://", url.scheme());
    if has_userinfo(url) {
        out.push_str("***:***@");
    }
    if let Some(host) = url.host_str() {
        out.push_str(host);
    }
    if let Some(port) = url.port() {
        out.push_str(&format!(":{port}"));
    }
    let path: Vec<&str> = url
        .path()
        .split('/')
        .map(|segment| if looks_like_key(segment) { MASK } else { segment })
        .collect();
    out.push_str(&path.join("/"));
    if let Some(query) = url.query() {
        out.push('?');
        out.push_str(&redact_query(query));
    }
    if url.fragment().is_some() {
        out.push_str("#***");
    }
    out
}

fn has_userinfo(url: &Url) -> bool {
    !url.username().is_empty() || url.password().is_some()
}

/// Whether a path segment looks like an API key.
fn looks_like_key(segment: &str) -> bool {
    segment.len() >= SECRET_SEGMENT_LEN
        && segment.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `a=1&b=2&flag` → `a=***&b=***&***`.
fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) => format!("{key}={MASK}"),
            None if pair.is_empty() => String::new(),
            None => MASK.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Records every secret in `url` (user name and password, raw and percent-decoded; query
/// values; key-like path segments; the whole URL's text) so that [`redact`] replaces them
/// wherever they appear. The whole URL is replaced with its [`redact_url`] form, the parts with
/// `***`.
pub fn register_url(url: &Url) {
    let mut found: Vec<(String, String)> = vec![(url.to_string(), redact_url(url))];
    if has_userinfo(url) {
        let (user, password) = (url.username(), url.password().unwrap_or(""));
        for (user, password) in [
            (user.to_string(), password.to_string()),
            (percent_decode(user), percent_decode(password)),
        ] {
            found.push((format!("{user}:{password}@"), "***:***@".into()));
            found.push((format!("{user}@"), "***@".into()));
            bare(&mut found, &user);
            bare(&mut found, &password);
        }
    }
    if let Some(query) = url.query() {
        for pair in query.split('&') {
            let (key, value) = pair.split_once('=').unwrap_or(("", pair));
            if value.is_empty() {
                continue;
            }
            if !key.is_empty() {
                found.push((format!("{key}={value}"), format!("{key}={MASK}")));
            }
            bare(&mut found, value);
            bare(&mut found, &percent_decode(value));
        }
    }
    for segment in url.path().split('/').filter(|s| looks_like_key(s)) {
        bare(&mut found, segment);
    }
    if let Some(fragment) = url.fragment() {
        bare(&mut found, fragment);
    }
    register(found);
}

/// Records the credentials of a NATS URL (`nats://user:pass@host`, `token@host`; several
/// servers separated by commas), as [`register_url`] does for the RPC URL.
pub fn register_nats_url(urls: &str) {
    let mut found = Vec::new();
    for server in urls.split(',') {
        let rest = server.split_once("://").map_or(server, |(_, rest)| rest);
        let Some((userinfo, _)) = rest.rsplit_once('@') else { continue };
        found.push((format!("{userinfo}@"), "***@".into()));
        for part in userinfo.split(':') {
            bare(&mut found, part);
            bare(&mut found, &percent_decode(part));
        }
    }
    register(found);
}

/// Records one secret: `secret` is replaced with `***` wherever it appears.
pub fn register_secret(secret: &str) {
    let mut found = Vec::new();
    bare(&mut found, secret);
    register(found);
}

/// Adds `secret` alone, when it is long enough to be replaced wherever it appears.
fn bare(found: &mut Vec<(String, String)>, secret: &str) {
    if secret.chars().count() >= MIN_BARE_SECRET {
        found.push((secret.to_string(), MASK.to_string()));
    }
}

fn register(found: Vec<(String, String)>) {
    let mut secrets = SECRETS.write().unwrap_or_else(PoisonError::into_inner);
    for (secret, replacement) in found {
        // As written in a JSON log line, too.
        let escaped = serde_json::to_string(&secret).unwrap_or_default();
        let escaped = escaped.trim_matches('"').to_string();
        for secret in [secret, escaped] {
            if !secret.is_empty() && !secrets.iter().any(|(s, _)| *s == secret) {
                secrets.push((secret, replacement.clone()));
            }
        }
    }
    // Longest first: a composite (`user:pw@`, the whole URL) before its parts.
    secrets.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
}

/// `text` with every registered secret replaced (borrowed when it holds none).
pub fn redact(text: &str) -> Cow<'_, str> {
    let secrets = SECRETS.read().unwrap_or_else(PoisonError::into_inner);
    let mut out = Cow::Borrowed(text);
    for (secret, replacement) in secrets.iter() {
        if out.contains(secret.as_str()) {
            out = Cow::Owned(out.replace(secret.as_str(), replacement));
        }
    }
    out
}

/// Decodes `%XX` escapes (invalid escapes and non-UTF-8 results are kept as they are).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_string())
}

/// A writer that passes whole lines to `inner`, each with every registered secret replaced; a
/// last line without its newline is written on [`flush`](Write::flush) or drop.
#[derive(Debug)]
pub struct LineRedactor<W: Write> {
    inner: W,
    buffer: Vec<u8>,
}

impl<W: Write> LineRedactor<W> {
    /// Redacts what is written before passing it to `inner`.
    pub fn new(inner: W) -> Self {
        Self { inner, buffer: Vec::new() }
    }

    fn emit(&mut self, end: usize) -> io::Result<()> {
        let line: Vec<u8> = self.buffer.drain(..end).collect();
        let text = String::from_utf8_lossy(&line);
        self.inner.write_all(redact(&text).as_bytes())
    }
}

impl<W: Write> Write for LineRedactor<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(data);
        while let Some(newline) = self.buffer.iter().position(|&b| b == b'\n') {
            self.emit(newline + 1)?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.buffer.is_empty() {
            self.emit(self.buffer.len())?;
        }
        self.inner.flush()
    }
}

impl<W: Write> Drop for LineRedactor<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        text.parse().expect("a valid URL")
    }

    #[test]
    fn redact_url_hides_userinfo_query_values_and_key_segments() {
        let cases = [
            ("http://user:s3cretpass@127.0.0.1:8545/", "http://***:***@127.0.0.1:8545/"),
            ("https://token@rpc.example.org/", "https://***:***@rpc.example.org/"),
            (
                "https://node.example/?apikey=SECRETKEY123&x=1",
                "https://node.example/?apikey=***&x=***",
            ),
            (
                "https://mainnet.infura.io/v3/0123456789abcdef0123456789abcdef",
                "https://mainnet.infura.io/v3/***",
            ),
            (
                "https://eth-mainnet.g.alchemy.com/v2/Abc_def-GHIjklMNOpqr",
                "https://eth-mainnet.g.alchemy.com/v2/***",
            ),
            ("http://127.0.0.1:8545/rpc#frag", "http://127.0.0.1:8545/rpc#***"),
            ("http://127.0.0.1:8545/", "http://127.0.0.1:8545/"),
        ];
        for (raw, shown) in cases {
            assert_eq!(redact_url(&url(raw)), shown, "{raw}");
        }
    }

    #[test]
    fn registered_secrets_are_replaced_in_any_text() {
        // Secrets unique to this test: the registry is process-wide.
        let rpc = url("http://alice:pa%24%24word99@127.0.0.1:1/v3/ffffeeeeddddcccc0000111122223333?apikey=KEYAAA111&tok=x%2Fy%2Fzz");
        register_url(&rpc);
        let reqwest_like = format!("error sending request for url ({rpc})");
        let shown = redact(&reqwest_like);
        assert_eq!(
            shown,
            "error sending request for url (http://***:***@127.0.0.1:1/v3/***?apikey=***&tok=***)"
        );
        for text in [
            "password pa$$word99 decoded",
            "raw pa%24%24word99",
            "user alice:pa$$word99@host",
            "segment ffffeeeeddddcccc0000111122223333",
            "query apikey=KEYAAA111 and KEYAAA111",
            "decoded x/y/zz, raw x%2Fy%2Fzz",
        ] {
            let out = redact(text);
            for secret in
                ["pa$$word99", "pa%24%24word99", "alice", "ffffeeee", "KEYAAA111", "x/y/zz"]
            {
                assert!(!out.contains(secret), "{secret} in {out:?}");
            }
        }
        assert!(matches!(redact("nothing secret here"), Cow::Borrowed(_)));
    }

    #[test]
    fn short_parts_are_redacted_only_in_context() {
        register_url(&url("http://ab:cd@127.0.0.2:1/"));
        assert_eq!(redact("http://ab:cd@127.0.0.2:1/"), "http://***:***@127.0.0.2:1/");
        assert_eq!(redact("a cab and a cd"), "a cab and a cd");
    }

    #[test]
    fn nats_credentials_are_registered() {
        register_nats_url("nats://natsuser:natspass77@h1:4222,nats://h2:4222");
        assert_eq!(redact("connect natsuser:natspass77@h1 failed"), "connect ***@h1 failed");
        assert_eq!(redact("natspass77"), "***");
    }

    #[test]
    fn the_line_writer_redacts_each_line_even_when_split_across_writes() -> io::Result<()> {
        register_secret("LINEWRITERSECRET");
        let mut sink = Vec::new();
        {
            let mut writer = LineRedactor::new(&mut sink);
            writer.write_all(b"first LINEWRI")?;
            writer.write_all(
                b"TERSECRET line\nsecond {\"k\":\"LINEWRITERSECRET\"}\nno newline LINEWRITERSECRET",
            )?;
        }
        let text = String::from_utf8_lossy(&sink);
        assert_eq!(text, "first *** line\nsecond {\"k\":\"***\"}\nno newline ***");
        Ok(())
    }
}

//! An HTTP/1.1 JSON-RPC proxy in front of anvil whose behaviour switches at run time (forward,
//! hang, refuse wide `eth_getLogs` as hosted providers do), and a node that accepts connections
//! and never answers.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use alloy::transports::http::reqwest::{self, Url};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::anvil::quantity;
use super::BoxError;

/// What the proxy does with the requests it reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProxyMode {
    /// Forwards every request to the node and returns its answer.
    Forward,
    /// Reads requests and never answers them.
    Hang,
}

/// What the proxy saw.
#[derive(Clone, Debug, Default)]
pub struct ProxyStats {
    /// Requests per JSON-RPC method (batch members counted one by one).
    pub methods: BTreeMap<String, u64>,
    /// `eth_getLogs` requests refused for spanning more than the limit.
    pub refused_get_logs: u64,
    /// The widest `eth_getLogs` span forwarded, in blocks.
    pub largest_span_served: u64,
    /// Requests left unanswered by [`ProxyMode::Hang`].
    pub hung: u64,
}

impl ProxyStats {
    /// Requests of `method`.
    pub fn count(&self, method: &str) -> u64 {
        self.methods.get(method).copied().unwrap_or(0)
    }
}

#[derive(Debug)]
struct State {
    mode: ProxyMode,
    log_limit: Option<u64>,
    stats: ProxyStats,
}

#[derive(Clone)]
struct Inner {
    upstream: Url,
    client: reqwest::Client,
    state: Arc<Mutex<State>>,
}

impl Inner {
    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// The proxy; it stops serving when dropped.
pub struct RpcProxy {
    addr: SocketAddr,
    inner: Inner,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl RpcProxy {
    /// Starts a proxy on a free local port in front of `upstream`, forwarding.
    pub async fn start(upstream: Url) -> Result<Self, BoxError> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let inner = Inner {
            upstream,
            client: reqwest::Client::builder().timeout(Duration::from_secs(60)).build()?,
            state: Arc::new(Mutex::new(State {
                mode: ProxyMode::Forward,
                log_limit: None,
                stats: ProxyStats::default(),
            })),
        };
        let (shutdown, stopped) = watch::channel(false);
        let task = tokio::spawn(accept_loop(listener, inner.clone(), stopped));
        Ok(Self { addr, inner, shutdown, task })
    }

    /// The proxy's URL (`http://127.0.0.1:PORT/`).
    pub fn url(&self) -> Url {
        let text = format!("http://{}/", self.addr);
        Url::parse(&text).unwrap_or_else(|_| unreachable!("a socket address makes a URL"))
    }

    /// The proxy's URL with basic-auth credentials and a path and query carrying an API key (the
    /// proxy ignores them all), as a hosted provider's URL looks.
    pub fn url_with_credentials(&self, user: &str, secret: &str) -> Url {
        let text = format!("http://{user}:{secret}@{}/v3/{secret}?apikey={secret}", self.addr);
        Url::parse(&text).unwrap_or_else(|_| unreachable!("a socket address makes a URL"))
    }

    /// Switches the proxy's mode (for requests read from now on).
    pub fn set_mode(&self, mode: ProxyMode) {
        self.inner.with(|s| s.mode = mode);
    }

    /// Refuses `eth_getLogs` spanning more than `blocks` (none: no limit) with `-32005`.
    pub fn set_log_limit(&self, blocks: Option<u64>) {
        self.inner.with(|s| s.log_limit = blocks);
    }

    /// A copy of the counters.
    pub fn stats(&self) -> ProxyStats {
        self.inner.with(|s| s.stats.clone())
    }
}

impl Drop for RpcProxy {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        self.task.abort();
    }
}

async fn accept_loop(listener: TcpListener, inner: Inner, mut stopped: watch::Receiver<bool>) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            _ = stopped.changed() => break,
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    connections.spawn(serve(stream, inner.clone()));
                }
            }
        }
    }
    connections.abort_all();
}

/// One HTTP request: whether the client asked to close, and its body.
struct Request {
    close: bool,
    body: Vec<u8>,
}

/// Reads one request (request line, headers, `Content-Length` body); none at end of stream.
async fn read_request<R: AsyncReadExt + Unpin>(
    reader: &mut BufReader<R>,
) -> std::io::Result<Option<Request>> {
    use tokio::io::AsyncBufReadExt;
    let mut line = String::new();
    // Skip blank lines between requests; the request line itself is not needed.
    loop {
        line.clear();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(None);
        }
        if !line.trim().is_empty() {
            break;
        }
    }
    let (mut length, mut close) = (0usize, false);
    loop {
        line.clear();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(None);
        }
        let header = line.trim();
        if header.is_empty() {
            break;
        }
        let Some((name, value)) = header.split_once(':') else { continue };
        let (name, value) = (name.trim().to_ascii_lowercase(), value.trim().to_ascii_lowercase());
        match name.as_str() {
            "content-length" => length = value.parse().unwrap_or(0),
            "connection" => close = value == "close",
            _ => {}
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).await?;
    Ok(Some(Request { close, body }))
}

async fn serve(stream: TcpStream, inner: Inner) {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    while let Ok(Some(request)) = read_request(&mut reader).await {
        if inner.with(|s| s.mode) == ProxyMode::Hang {
            inner.with(|s| s.stats.hung += 1);
            // Never answer: read until the client gives up and closes.
            let mut sink = [0u8; 1024];
            while matches!(reader.read(&mut sink).await, Ok(n) if n > 0) {}
            return;
        }
        let answer = answer(&inner, &request.body).await;
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: {}\r\n\r\n",
            answer.len(),
            if request.close { "close" } else { "keep-alive" }
        );
        if write.write_all(head.as_bytes()).await.is_err()
            || write.write_all(answer.as_bytes()).await.is_err()
            || request.close
        {
            return;
        }
    }
}

/// The answer to a request body: a single call or a batch.
async fn answer(inner: &Inner, body: &[u8]) -> String {
    let parsed: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(e) => return error_answer(&Value::Null, -32700, &format!("parse error: {e}")),
    };
    match parsed {
        Value::Array(calls) => {
            let mut answers = Vec::with_capacity(calls.len());
            for call in &calls {
                let text = answer_call(inner, call).await;
                answers.push(serde_json::from_str(&text).unwrap_or(Value::Null));
            }
            Value::Array(answers).to_string()
        }
        call => answer_call(inner, &call).await,
    }
}

fn error_answer(id: &Value, code: i64, message: &str) -> String {
    json!({ "jsonrpc": "2.0", "id": id, "error": { "code": code, "message": message } }).to_string()
}

async fn answer_call(inner: &Inner, call: &Value) -> String {
    let method = call["method"].as_str().unwrap_or_default().to_string();
    inner.with(|s| *s.stats.methods.entry(method.clone()).or_default() += 1);
    let mut span = None;
    if method == "eth_getLogs" {
        if let Some(limit) = inner.with(|s| s.log_limit) {
            match log_span(inner, &call["params"][0]).await {
                Ok(blocks) if blocks > limit => {
                    inner.with(|s| s.stats.refused_get_logs += 1);
                    let message = format!("query exceeds max block range {limit}");
                    return error_answer(&call["id"], -32005, &message);
                }
                Ok(blocks) => span = Some(blocks),
                Err(e) => return error_answer(&call["id"], -32603, &e.to_string()),
            }
        }
    }
    match forward(inner, call).await {
        Ok(text) => {
            if let Some(blocks) = span {
                inner.with(|s| {
                    s.stats.largest_span_served = s.stats.largest_span_served.max(blocks)
                });
            }
            text
        }
        Err(e) => error_answer(&call["id"], -32603, &format!("proxy: upstream failed: {e}")),
    }
}

async fn forward(inner: &Inner, call: &Value) -> Result<String, BoxError> {
    let response = inner
        .client
        .post(inner.upstream.clone())
        .header("content-type", "application/json")
        .body(call.to_string())
        .send()
        .await?;
    Ok(response.text().await?)
}

/// How many blocks a getLogs filter spans (`latest`, `pending` or missing bounds read as the
/// head; a `blockHash` filter spans one block).
async fn log_span(inner: &Inner, filter: &Value) -> Result<u64, BoxError> {
    if !filter["blockHash"].is_null() {
        return Ok(1);
    }
    let mut head = None;
    let mut bound = async |value: &Value| -> Result<u64, BoxError> {
        match value.as_str() {
            Some("earliest") => Ok(0),
            Some(tag) if tag.starts_with("0x") => Ok(u64::try_from(quantity(value)?)?),
            _ => {
                if head.is_none() {
                    let call = json!({"jsonrpc": "2.0", "id": 0, "method": "eth_blockNumber", "params": []});
                    let answer: Value = serde_json::from_str(&forward(inner, &call).await?)?;
                    head = Some(u64::try_from(quantity(&answer["result"])?)?);
                }
                Ok(head.unwrap_or_default())
            }
        }
    };
    let from = bound(&filter["fromBlock"]).await?;
    let to = bound(&filter["toBlock"]).await?;
    Ok(to.saturating_sub(from) + 1)
}

/// A node that accepts TCP connections and never answers (nor closes them).
pub struct HangingNode {
    addr: SocketAddr,
    task: JoinHandle<()>,
    accepted: Arc<Mutex<u64>>,
}

impl HangingNode {
    /// Listens on a free local port.
    pub async fn start() -> Result<Self, BoxError> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let accepted = Arc::new(Mutex::new(0));
        let count = accepted.clone();
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                *count.lock().unwrap_or_else(PoisonError::into_inner) += 1;
                held.push(stream);
            }
        });
        Ok(Self { addr, task, accepted })
    }

    /// Its URL.
    pub fn url(&self) -> Url {
        let text = format!("http://{}/", self.addr);
        Url::parse(&text).unwrap_or_else(|_| unreachable!("a socket address makes a URL"))
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> u64 {
        *self.accepted.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for HangingNode {
    fn drop(&mut self) {
        self.task.abort();
    }
}

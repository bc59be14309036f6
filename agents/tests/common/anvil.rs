//! Control of a running anvil over raw JSON-RPC: mining on demand, dropping transactions, base
//! fee spikes, reorgs, and a background miner.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use alloy::primitives::B256;
use alloy::transports::http::reqwest::{self, Url};
use serde_json::{json, Value};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::BoxError;

/// A JSON-RPC client for one node: every request is a plain POST, its answer parsed by hand (so
/// the same client also talks to the proxy in its tests).
#[derive(Clone, Debug)]
pub struct JsonRpc {
    url: Url,
    client: reqwest::Client,
    ids: Arc<AtomicU64>,
}

/// A JSON-RPC error answer (code and message), or a transport failure.
#[derive(Debug, thiserror::Error)]
pub enum RpcError {
    /// The node answered with an error object.
    #[error("{method}: JSON-RPC error {code}: {message}")]
    Node {
        /// The method called.
        method: String,
        /// The error's code.
        code: i64,
        /// The error's message.
        message: String,
    },
    /// No usable answer (connection, timeout, not JSON).
    #[error("{method}: {reason}")]
    Transport {
        /// The method called.
        method: String,
        /// What went wrong.
        reason: String,
    },
}

impl JsonRpc {
    /// A client for `url` whose requests time out after `timeout`.
    pub fn new(url: Url, timeout: Duration) -> Result<Self, BoxError> {
        let client = reqwest::Client::builder().timeout(timeout).build()?;
        Ok(Self { url, client, ids: Arc::default() })
    }

    /// Calls `method` with `params`; the `result`, or the error the node answered.
    pub async fn call(&self, method: &str, params: Value) -> Result<Value, RpcError> {
        let id = self.ids.fetch_add(1, Ordering::Relaxed);
        let body = json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
        let transport = |reason: String| RpcError::Transport { method: method.to_string(), reason };
        let answer = self
            .client
            .post(self.url.clone())
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| transport(format!("{e:?}")))?
            .text()
            .await
            .map_err(|e| transport(format!("{e:?}")))?;
        let mut value: Value = serde_json::from_str(&answer)
            .map_err(|e| transport(format!("not JSON ({e}): {answer}")))?;
        if let Some(error) = value.get("error") {
            return Err(RpcError::Node {
                method: method.to_string(),
                code: error["code"].as_i64().unwrap_or_default(),
                message: error["message"].as_str().unwrap_or_default().to_string(),
            });
        }
        Ok(value["result"].take())
    }
}

/// Parses a JSON quantity (`"0x1a"`).
pub fn quantity(value: &Value) -> Result<u128, BoxError> {
    let text = value.as_str().ok_or_else(|| format!("not a quantity: {value}"))?;
    Ok(u128::from_str_radix(text.trim_start_matches("0x"), 16)?)
}

/// anvil's test controls.
#[derive(Clone, Debug)]
pub struct AnvilControl {
    rpc: JsonRpc,
}

impl AnvilControl {
    /// Controls the anvil at `url`.
    pub fn new(url: Url) -> Result<Self, BoxError> {
        Ok(Self { rpc: JsonRpc::new(url, Duration::from_secs(30))? })
    }

    /// Mines each transaction at once (`true`, anvil's default) or only on [`mine`].
    ///
    /// [`mine`]: AnvilControl::mine
    pub async fn set_automine(&self, on: bool) -> Result<(), BoxError> {
        self.rpc.call("evm_setAutomine", json!([on])).await?;
        Ok(())
    }

    /// Mines `n` blocks.
    pub async fn mine(&self, n: u64) -> Result<(), BoxError> {
        self.rpc.call("anvil_mine", json!([format!("{n:#x}")])).await?;
        Ok(())
    }

    /// Mines one block (its base fee is whatever [`set_next_base_fee`] set, if anything).
    ///
    /// [`set_next_base_fee`]: AnvilControl::set_next_base_fee
    pub async fn mine_one(&self) -> Result<(), BoxError> {
        self.rpc.call("evm_mine", json!([])).await?;
        Ok(())
    }

    /// Removes a pending transaction from the pool.
    pub async fn drop_transaction(&self, hash: B256) -> Result<(), BoxError> {
        self.rpc.call("anvil_dropTransaction", json!([hash])).await?;
        Ok(())
    }

    /// Sets the base fee of the next block mined, in wei.
    pub async fn set_next_base_fee(&self, wei: u128) -> Result<(), BoxError> {
        self.rpc.call("anvil_setNextBlockBaseFeePerGas", json!([format!("{wei:#x}")])).await?;
        Ok(())
    }

    /// The latest block's base fee, in wei.
    pub async fn base_fee(&self) -> Result<u128, BoxError> {
        let block = self.rpc.call("eth_getBlockByNumber", json!(["latest", false])).await?;
        quantity(&block["baseFeePerGas"])
    }

    /// Replaces the last `depth` blocks with empty ones (their transactions vanish).
    pub async fn reorg(&self, depth: u64) -> Result<(), BoxError> {
        self.rpc.call("anvil_reorg", json!([depth, []])).await?;
        Ok(())
    }

    /// The pool's (pending, queued) transaction counts.
    pub async fn txpool_status(&self) -> Result<(u128, u128), BoxError> {
        let status = self.rpc.call("txpool_status", json!([])).await?;
        Ok((quantity(&status["pending"])?, quantity(&status["queued"])?))
    }

    /// The latest block's number.
    pub async fn block_number(&self) -> Result<u64, BoxError> {
        Ok(u64::try_from(quantity(&self.rpc.call("eth_blockNumber", json!([])).await?)?)?)
    }

    /// The latest block's timestamp.
    pub async fn head_timestamp(&self) -> Result<u64, BoxError> {
        let block = self.rpc.call("eth_getBlockByNumber", json!(["latest", false])).await?;
        Ok(u64::try_from(quantity(&block["timestamp"])?)?)
    }

    /// Moves the chain's clock forward by `seconds` (from the next block on).
    pub async fn increase_time(&self, seconds: u64) -> Result<(), BoxError> {
        self.rpc.call("evm_increaseTime", json!([seconds])).await?;
        Ok(())
    }

    /// Whether the node knows the transaction `hash` (pending or mined).
    pub async fn knows_transaction(&self, hash: B256) -> Result<bool, BoxError> {
        Ok(!self.rpc.call("eth_getTransactionByHash", json!([hash])).await?.is_null())
    }

    /// Starts a task that mines a block every `every`, first setting the next base fee to
    /// [`Miner::set_base_fee`]'s value when one is set.
    pub fn start_miner(&self, every: Duration, base_fee: Option<u128>) -> Miner {
        let (stop, mut stopped) = watch::channel(false);
        let fee = Arc::new(Mutex::new(base_fee));
        let (control, task_fee) = (self.clone(), fee.clone());
        let task = tokio::spawn(async move {
            let mut mined = 0;
            loop {
                tokio::select! {
                    _ = stopped.changed() => return mined,
                    _ = tokio::time::sleep(every) => {}
                }
                let next = *task_fee.lock().unwrap_or_else(PoisonError::into_inner);
                if let Some(wei) = next {
                    let _ = control.set_next_base_fee(wei).await;
                }
                if control.mine_one().await.is_ok() {
                    mined += 1;
                }
            }
        });
        Miner { stop, task, fee }
    }
}

/// A background miner ([`AnvilControl::start_miner`]).
pub struct Miner {
    stop: watch::Sender<bool>,
    task: JoinHandle<u64>,
    fee: Arc<Mutex<Option<u128>>>,
}

impl Miner {
    /// The base fee set before each following block (none: anvil's own).
    pub fn set_base_fee(&self, wei: Option<u128>) {
        *self.fee.lock().unwrap_or_else(PoisonError::into_inner) = wei;
    }

    /// Stops mining; the number of blocks mined.
    pub async fn stop(self) -> u64 {
        let _ = self.stop.send(true);
        self.task.await.unwrap_or_default()
    }
}

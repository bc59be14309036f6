//! Chain plumbing: a local anvil from the toolchain, providers with a signing wallet, forge
//! artifacts loaded at run time, and deployment from them.
//!
//! Bytecode never lives in Rust source: [`Artifact`] reads what `forge build` wrote to
//! `contracts/out/`, and constructor arguments are ABI-encoded from a typed `sol!` constructor
//! ([`SolConstructor`]).

use std::path::{Path, PathBuf};
use std::time::Duration;

use alloy::json_abi::{ContractObject, JsonAbi};
use alloy::network::{ReceiptResponse, TransactionBuilder};
use alloy::node_bindings::{Anvil, AnvilInstance};
use alloy::primitives::{Address, Bytes, TxHash};
use alloy::providers::{DynProvider, PendingTransactionBuilder, Provider, ProviderBuilder};
use alloy::rpc::client::RpcClient;
use alloy::rpc::types::{TransactionReceipt, TransactionRequest};
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolConstructor;
use alloy::transports::http::reqwest::Url;
use proofgate_toolchain::Toolchain;
use tracing::{debug, info};

use crate::config::RpcPolicy;
use crate::{Error, Result};

/// The environment variable that holds the private key used with `--rpc-url`.
pub const PRIVATE_KEY_VAR: &str = "PROOFGATE_PRIVATE_KEY";

/// A provider that signs with one local key, behind a type-erased handle.
pub type ChainProvider = DynProvider;

/// An anvil node spawned from the repository's toolchain; stopped when dropped or on [`stop`].
///
/// [`stop`]: LocalAnvil::stop
#[derive(Debug)]
pub struct LocalAnvil {
    instance: AnvilInstance,
    binary: PathBuf,
}

impl LocalAnvil {
    /// Starts `toolchain.anvil` on a free port and waits until it listens.
    pub fn spawn(toolchain: &Toolchain) -> Result<Self> {
        let binary = toolchain.anvil.clone();
        // Port 0: anvil picks a free port, so parallel tests never collide.
        let instance = Anvil::new()
            .path(&binary)
            .port(0u16)
            .try_spawn()
            .map_err(|source| Error::AnvilSpawn { path: binary.clone(), source })?;
        info!(target: "proofgate::chain", endpoint = %instance.endpoint(), chain_id = instance.chain_id(), "anvil started");
        Ok(Self { instance, binary })
    }

    /// The HTTP endpoint.
    pub fn endpoint_url(&self) -> Url {
        self.instance.endpoint_url()
    }

    /// The chain id anvil reports.
    pub fn chain_id(&self) -> u64 {
        self.instance.chain_id()
    }

    /// The anvil binary that runs.
    pub fn binary(&self) -> &Path {
        &self.binary
    }

    /// A signer for anvil's first funded development account (the demo's deployer).
    pub fn dev_signer(&self) -> Result<PrivateKeySigner> {
        self.nth_dev_signer(0)
    }

    /// A signer for anvil's `index`-th funded development account (anvil funds ten).
    pub fn nth_dev_signer(&self, index: usize) -> Result<PrivateKeySigner> {
        let key = self.instance.keys().get(index).ok_or(Error::NoDevAccounts)?;
        Ok(PrivateKeySigner::from(key))
    }

    /// A signing provider for anvil's first development account.
    pub fn provider(&self) -> Result<ChainProvider> {
        Ok(connect(self.endpoint_url(), self.dev_signer()?))
    }

    /// Stops anvil (SIGTERM, then SIGKILL after a grace period) and waits for it to exit.
    pub fn stop(self) {
        let endpoint = self.instance.endpoint();
        drop(self.instance);
        info!(target: "proofgate::chain", %endpoint, "anvil stopped");
    }
}

/// How often receipts are polled on a local node. alloy's default for local nodes (250 ms) would
/// dominate the demo's run time: anvil mines each transaction within milliseconds.
pub const LOCAL_POLL_INTERVAL: Duration = Duration::from_millis(20);

/// An HTTP JSON-RPC client for `url` whose connections and requests time out per `policy` (a
/// node that accepts a connection and never answers fails the request, it does not hang it).
pub fn rpc_client(url: Url, policy: &RpcPolicy) -> RpcClient {
    let http = alloy::transports::http::reqwest::Client::builder()
        .connect_timeout(Duration::from_millis(policy.connect_timeout_ms))
        .timeout(Duration::from_millis(policy.request_timeout_ms))
        .build();
    let client = match http {
        Ok(http) => RpcClient::new_http_with_client(http, url),
        // Only without a TLS backend: never silently, never without the node.
        Err(e) => {
            tracing::error!(target: "proofgate::chain", error = %e, "cannot build an HTTP client with timeouts; requests have none");
            RpcClient::new_http(url)
        }
    };
    if client.is_local() {
        client.set_poll_interval(LOCAL_POLL_INTERVAL);
    }
    client
}

/// A provider for the node at `url` with `policy`'s timeouts and no fillers: it reads, calls and
/// sends raw transactions that [`crate::tx::TxSender`] signed.
pub fn connect_reader(url: Url, policy: &RpcPolicy) -> ChainProvider {
    let client = rpc_client(url, policy);
    ProviderBuilder::new().disable_recommended_fillers().connect_client(client).erased()
}

/// A provider for the node at `url`, with `policy`'s timeouts, that signs with `signer` and
/// reads the account's nonce from the node's pending count for every transaction (no cached
/// nonce that one refused or dropped transaction would strand).
pub fn connect_signing(url: Url, signer: PrivateKeySigner, policy: &RpcPolicy) -> ChainProvider {
    let client = rpc_client(url, policy);
    ProviderBuilder::new()
        .disable_recommended_fillers()
        .with_gas_estimation()
        .with_simple_nonce_management()
        .fetch_chain_id()
        .wallet(signer)
        .connect_client(client)
        .erased()
}

/// A provider for the node at `url` that signs every transaction with `signer`, with the
/// default [`RpcPolicy`]'s timeouts. The nonce of each transaction is the node's pending count
/// (see [`connect_signing`]): a send that fails after its nonce was chosen (a failed gas
/// estimate, a refused transaction) leaves no gap behind it.
///
/// Local nodes (localhost, 127.0.0.1) are polled every [`LOCAL_POLL_INTERVAL`]; remote ones keep
/// alloy's default.
pub fn connect(url: Url, signer: PrivateKeySigner) -> ChainProvider {
    connect_signing(url, signer, &RpcPolicy::default())
}

/// The signer whose private key is in the environment variable `var` (hex, `0x` optional).
///
/// Errors name the variable, never its value.
pub fn signer_from_env(var: &'static str) -> Result<PrivateKeySigner> {
    let value = std::env::var(var).map_err(|_| Error::KeyMissing { var })?;
    value.trim().parse().map_err(|source| Error::KeyInvalid { var, source })
}

/// A compiled contract as forge wrote it to `contracts/out/<File>.sol/<Contract>.json`.
#[derive(Clone, Debug)]
pub struct Artifact {
    /// The contract's name.
    pub name: String,
    /// Where the artifact was read from.
    pub path: PathBuf,
    /// The contract's ABI.
    pub abi: JsonAbi,
    /// Creation bytecode (constructor arguments are appended to it when deploying).
    pub bytecode: Bytes,
    /// Runtime bytecode, with zeros where immutables go.
    pub deployed_bytecode: Bytes,
}

impl Artifact {
    /// The artifact of `contract` (declared in the file named `source_file`, e.g. `PriceFeed.sol`)
    /// in the Foundry output directory of the repository at `repo_root`.
    pub fn forge(repo_root: &Path, source_file: &str, contract: &str) -> Result<Self> {
        let path = repo_root
            .join("contracts")
            .join("out")
            .join(source_file)
            .join(format!("{contract}.json"));
        Self::load(contract, &path)
    }

    /// Reads the forge artifact at `path`.
    pub fn load(name: &str, path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => Error::ArtifactMissing { path: path.to_path_buf() },
            _ => Error::ArtifactRead { path: path.to_path_buf(), source },
        })?;
        let object: ContractObject = serde_json::from_str(&text)
            .map_err(|source| Error::ArtifactParse { path: path.to_path_buf(), source })?;
        let bytecode = object
            .bytecode
            .filter(|code| !code.is_empty())
            .ok_or_else(|| Error::NoBytecode { path: path.to_path_buf() })?;
        Ok(Self {
            name: name.to_string(),
            path: path.to_path_buf(),
            abi: object.abi.unwrap_or_default(),
            bytecode,
            deployed_bytecode: object.deployed_bytecode.unwrap_or_default(),
        })
    }

    /// Reads a Truffle/Waffle-style artifact (`{"abi": [...], "bytecode": "<hex>"}`, as
    /// `@uniswap/v2-core` ships them; the hex may lack `0x`).
    pub fn load_npm(name: &str, path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => Error::ArtifactMissing { path: path.to_path_buf() },
            _ => Error::ArtifactRead { path: path.to_path_buf(), source },
        })?;
        #[derive(serde::Deserialize)]
        struct NpmArtifact {
            abi: JsonAbi,
            bytecode: String,
            #[serde(default, rename = "deployedBytecode")]
            deployed_bytecode: String,
        }
        let parsed: NpmArtifact = serde_json::from_str(&text)
            .map_err(|source| Error::ArtifactParse { path: path.to_path_buf(), source })?;
        let decode = |hex_text: &str| hex::decode(hex_text.trim_start_matches("0x")).ok();
        let bytecode = decode(&parsed.bytecode)
            .filter(|code| !code.is_empty())
            .ok_or_else(|| Error::NoBytecode { path: path.to_path_buf() })?;
        Ok(Self {
            name: name.to_string(),
            path: path.to_path_buf(),
            abi: parsed.abi,
            bytecode: bytecode.into(),
            deployed_bytecode: decode(&parsed.deployed_bytecode).unwrap_or_default().into(),
        })
    }

    /// The deployment code: creation bytecode followed by the ABI-encoded constructor arguments
    /// (a `sol!`-generated `constructorCall`).
    pub fn deploy_code<C: SolConstructor>(&self, args: &C) -> Bytes {
        let mut code = self.bytecode.to_vec();
        code.extend_from_slice(&args.abi_encode());
        code.into()
    }
}

/// A contract deployed by [`deploy`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deployment {
    /// The new contract's address.
    pub address: Address,
    /// The deployment transaction.
    pub tx_hash: TxHash,
    /// Gas the deployment used.
    pub gas_used: u64,
    /// The block it was mined in.
    pub block_number: Option<u64>,
}

/// Deploys `artifact` with constructor arguments `args` and waits for the receipt.
pub async fn deploy<P: Provider, C: SolConstructor>(
    provider: &P,
    artifact: &Artifact,
    args: &C,
) -> Result<Deployment> {
    let what = format!("deploy {}", artifact.name);
    let tx = TransactionRequest::default().with_deploy_code(artifact.deploy_code(args));
    let pending = provider.send_transaction(tx).await?;
    let receipt = confirm(pending, &what).await?;
    let address = receipt
        .contract_address()
        .ok_or_else(|| Error::NoContractAddress { what, tx_hash: receipt.transaction_hash })?;
    debug!(target: "proofgate::chain", contract = %artifact.name, %address, gas = receipt.gas_used, "deployed");
    Ok(Deployment {
        address,
        tx_hash: receipt.transaction_hash,
        gas_used: receipt.gas_used,
        block_number: receipt.block_number,
    })
}

/// Moves anvil's clock forward by `seconds` and mines a block.
pub async fn advance_time<P: Provider>(provider: &P, seconds: u64) -> Result<()> {
    provider.raw_request::<_, serde_json::Value>("evm_increaseTime".into(), (seconds,)).await?;
    mine(provider).await
}

/// Mines an empty block (anvil's `evm_mine`): what happens by itself on a real network.
pub async fn mine<P: Provider>(provider: &P) -> Result<()> {
    provider.raw_request::<_, serde_json::Value>("evm_mine".into(), ()).await?;
    Ok(())
}

/// Deploys raw creation code (a generated verifier) and returns the new contract's address.
pub async fn deploy_code<P: Provider>(provider: &P, code: Bytes, name: &str) -> Result<Address> {
    let what = format!("deploy {name}");
    let tx = TransactionRequest::default().with_deploy_code(code);
    let receipt = confirm(provider.send_transaction(tx).await?, &what).await?;
    receipt
        .contract_address
        .ok_or(Error::NoContractAddress { what, tx_hash: receipt.transaction_hash })
}

/// How long [`confirm`] waits for a receipt.
pub const CONFIRM_TIMEOUT: Duration = Duration::from_secs(300);

/// Waits (at most [`CONFIRM_TIMEOUT`]) for a sent transaction's receipt and turns a revert into
/// [`Error::Reverted`].
pub async fn confirm(
    pending: PendingTransactionBuilder<alloy::network::Ethereum>,
    what: &str,
) -> Result<TransactionReceipt> {
    let receipt = pending.with_timeout(Some(CONFIRM_TIMEOUT)).get_receipt().await?;
    if !receipt.status() {
        return Err(Error::Reverted { what: what.to_string(), tx_hash: receipt.transaction_hash });
    }
    Ok(receipt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_artifact_names_the_setup_command() {
        let empty = tempfile::tempdir().expect("tempdir");
        let err = Artifact::forge(empty.path(), "PriceFeed.sol", "PriceFeed").expect_err("missing");
        assert!(matches!(err, Error::ArtifactMissing { .. }), "{err}");
        assert!(err.to_string().contains("scripts/setup"), "{err}");
    }

    #[test]
    fn an_interface_artifact_has_no_bytecode() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("I.json");
        std::fs::write(
            &path,
            r#"{"abi":[],"bytecode":{"object":"0x"},"deployedBytecode":{"object":"0x"}}"#,
        )
        .expect("write");
        let err = Artifact::load("I", &path).expect_err("no bytecode");
        assert!(matches!(err, Error::NoBytecode { .. }), "{err}");
    }

    #[test]
    fn constructor_arguments_follow_the_creation_code() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("C.json");
        std::fs::write(
            &path,
            r#"{"abi":[],"bytecode":{"object":"0x6001"},"deployedBytecode":{"object":"0x01"}}"#,
        )
        .expect("write");
        let artifact = Artifact::load("C", &path).expect("loads");
        alloy::sol! { contract C { constructor(uint8 a, uint256 b); } }
        let args = C::constructorCall { a: 8, b: alloy::primitives::U256::from(5u64) };
        let code = artifact.deploy_code(&args);
        assert_eq!(&code[..2], &[0x60, 0x01]);
        assert_eq!(code.len(), 2 + 64);
        assert_eq!(code[2 + 31], 8);
        assert_eq!(code[2 + 63], 5);
    }

    #[test]
    fn a_key_in_the_environment_is_named_not_shown() {
        // Reads a variable no other test sets, so it cannot race with them.
        const VAR: &str = "PROOFGATE_TEST_UNSET_KEY_VAR";
        let err = signer_from_env(VAR).expect_err("unset");
        assert!(err.to_string().contains(VAR), "{err}");
    }
}

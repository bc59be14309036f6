//! The crate's error type: one enum for chain access, artifacts and the feed flow.
//!
//! Messages name what failed; the underlying cause is the error's `source()` (shown by
//! `anyhow` as "Caused by"), not repeated in the message.

use std::path::PathBuf;

use alloy::node_bindings::NodeError;
use alloy::primitives::{Address, TxHash};
use alloy::providers::PendingTransactionError;
use alloy::signers::local::LocalSignerError;
use alloy::transports::TransportError;
use proofgate_toolchain::ToolchainError;

/// A `Result` whose error defaults to the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong between ProofGate's agents and a chain.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The toolchain (anvil, forge, solc) is not installed.
    #[error(transparent)]
    Toolchain(#[from] ToolchainError),
    /// anvil could not be started.
    #[error("could not start anvil ({})", path.display())]
    AnvilSpawn {
        /// The anvil binary that was run.
        path: PathBuf,
        /// Why it did not start.
        #[source]
        source: NodeError,
    },
    /// anvil did not report the requested funded development account.
    #[error("anvil reported fewer development accounts than requested")]
    NoDevAccounts,
    /// The environment variable that must hold the private key is not set.
    #[error("{var} is not set: with --rpc-url the deployer's private key is read from {var} (hex, 0x-prefixed or not), never from the command line")]
    KeyMissing {
        /// The variable's name.
        var: &'static str,
    },
    /// The environment variable holds something that is not a private key.
    #[error("{var} does not hold a valid secp256k1 private key")]
    KeyInvalid {
        /// The variable's name.
        var: &'static str,
        /// Why the key was refused (never the key itself).
        #[source]
        source: LocalSignerError,
    },
    /// A forge artifact is missing: the contracts have not been built.
    #[error("forge artifact {} not found: run `scripts/setup` (it runs `forge build` in contracts/)", path.display())]
    ArtifactMissing {
        /// Where the artifact was expected.
        path: PathBuf,
    },
    /// A forge artifact could not be read.
    #[error("cannot read forge artifact {}", path.display())]
    ArtifactRead {
        /// The artifact's path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A forge artifact is not valid JSON of the expected shape.
    #[error("forge artifact {} is malformed", path.display())]
    ArtifactParse {
        /// The artifact's path.
        path: PathBuf,
        /// The parse error.
        #[source]
        source: serde_json::Error,
    },
    /// A forge artifact has no creation bytecode (an interface or abstract contract).
    #[error("forge artifact {} has no creation bytecode (is it an interface or abstract contract?)", path.display())]
    NoBytecode {
        /// The artifact's path.
        path: PathBuf,
    },
    /// A JSON-RPC request failed.
    #[error("RPC request failed")]
    Rpc(#[from] TransportError),
    /// A sent transaction could not be followed to its receipt.
    #[error("waiting for a transaction failed")]
    Pending(#[from] PendingTransactionError),
    /// A contract call or transaction could not be made.
    #[error("contract call failed")]
    Contract(#[from] alloy::contract::Error),
    /// A transaction was mined but reverted.
    #[error("{what}: transaction {tx_hash} reverted")]
    Reverted {
        /// What the transaction did.
        what: String,
        /// Its hash.
        tx_hash: TxHash,
    },
    /// A deployment transaction succeeded without creating a contract.
    #[error("{what}: deployment transaction {tx_hash} created no contract")]
    NoContractAddress {
        /// What was deployed.
        what: String,
        /// The transaction's hash.
        tx_hash: TxHash,
    },
    /// A value read back from the chain differs from what was written.
    #[error("{feed}: read back {what} = {found}, expected {expected}")]
    Mismatch {
        /// The feed's symbol.
        feed: String,
        /// The quantity.
        what: &'static str,
        /// What the chain returned.
        found: String,
        /// What was written.
        expected: String,
    },
    /// An agent was halted by fault injection (tests only).
    #[error("halted by fault injection")]
    Halted,
    /// The vault's holdings or the feeds' prices moved while an attestation was being proved:
    /// the proof is of a statement the attestor no longer computes (nothing was sent).
    #[error("the vault moved while proving the attestation: its coverage changed, or another agent attested the epoch")]
    AttestationRaced,
    /// Another agent's upload of the vault's epoch is open on the attestor: no other epoch may
    /// begin until it is sealed, abandoned (by its uploader, the guardian or the owner) or
    /// expired.
    #[error("another agent ({uploader}) is uploading epoch {epoch} of the vault: it expires at {expires_at} (unix seconds), or sooner if sealed or abandoned")]
    UploadInProgress {
        /// The agent that began it.
        uploader: Address,
        /// Its epoch.
        epoch: u64,
        /// The last second it may be continued or sealed.
        expires_at: u64,
    },
    /// A demo configuration that cannot run.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The journal is locked by another daemon, or its lock file cannot be used.
    #[error(transparent)]
    JournalLock(#[from] Box<crate::journal_lock::LockError>),
    /// An agent's task failed more often than the supervision policy allows: the daemon
    /// stopped every agent.
    #[error(
        "agent {agent:?} failed after {restarts} restarts within the restart window: {message}"
    )]
    AgentFailed {
        /// The agent's name.
        agent: String,
        /// Restarts made before this last failure (within the window).
        restarts: u64,
        /// The last failure (the panic's message).
        message: String,
    },
}

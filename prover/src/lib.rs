//! ProofGate's prover: the Groth16 risk circuit over BN254, its native reference, keys, proving
//! and verifying.
//!
//! - [`config`]: the circuit's parameters and every fixed-point and bit-width rule.
//! - [`statement`]: the public statement and its public-input layout (followed by the vault).
//! - [`model`], [`risk_params`]: the private preimages and their Poseidon commitments.
//! - [`reference`]: the native evaluation the agent runs before proving.
//! - [`onnx`]: importing an ONNX model, its quantisation and calibration.
//! - [`circuit`]: the R1CS circuit, in lockstep with the reference.
//! - [`valuation`]: token amounts to USD at 1e8, and the statement of a vault snapshot.
//! - [`solvency`]: the Merkle-sum tree of depositors' liabilities and their inclusion proofs.
//! - [`pipeline`]: the work queue that proves batches in process or on NATS JetStream workers.

#![forbid(unsafe_code)]

pub mod circuit;
pub mod config;
pub mod envelope;
pub mod files;
pub mod fixed;
pub mod fixtures;
pub mod model;
pub mod onnx;
pub mod pipeline;
pub mod poseidon;
pub mod reference;
pub mod risk_params;
pub mod serde_fr;
pub mod snark;
pub mod solvency;
pub mod statement;
pub mod valuation;

pub use config::CircuitConfig;
pub use model::Model;
pub use reference::{evaluate, Evaluation, Violation};
pub use risk_params::RiskParams;
pub use statement::{Binding, Statement, Trade};

/// Errors of the prover library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Circuit parameters out of their supported range.
    #[error("invalid circuit parameters: {0}")]
    InvalidConfig(String),
    /// The model does not have the circuit's architecture.
    #[error("model does not match the circuit: {0}")]
    ModelMismatch(String),
    /// The risk parameters do not match the circuit.
    #[error("risk parameters do not match the circuit: {0}")]
    ParamsMismatch(String),
    /// The statement does not match the circuit.
    #[error("statement does not match the circuit: {0}")]
    StatementMismatch(String),
    /// A value does not fit its field.
    #[error("value out of range: {0}")]
    ValueOutOfRange(String),
    /// A string is not a canonical decimal field element below the scalar field's order.
    #[error("not a field element below r (canonical decimal expected): {0:?}")]
    InvalidFieldElement(String),
    /// A string is not `0x` and 1 to 64 hex digits of a field element below the scalar field's
    /// order.
    #[error("not a field element below r (0x and 1 to 64 hex digits expected): {0:?}")]
    InvalidHexFieldElement(String),
    /// The statement breaks a check: no proof exists.
    #[error("the trade breaks the risk checks: {0:?}")]
    Violations(Vec<Violation>),
    /// The solvency reference refuses the liabilities tree (it does not hash to the stated root
    /// or add up to the stated totals, or a value is out of range): no attestation proof exists.
    /// Coverage of the totals is the attestor's check, on chain.
    #[error(
        "the liabilities tree does not prove the stated root and totals (no proof exists): {0:?}"
    )]
    Insolvent(Vec<solvency::attestation::SolvencyViolation>),
    /// A key is unusable for this circuit.
    #[error("invalid key: {0}")]
    InvalidKey(String),
    /// A file is not what it claims to be, or is damaged.
    #[error("{0}")]
    Corrupt(String),
    /// A depositors list is unusable: a repeated id, a wrong balance count, a balance out of
    /// range, more depositors than leaves.
    #[error("invalid depositors: {0}")]
    InvalidDepositors(String),
    /// A solvency inclusion proof does not check: a definite "no".
    #[error("not included: {0}")]
    NotIncluded(#[from] solvency::NotIncluded),
    /// Constraint synthesis or proving failed.
    #[error("constraint synthesis failed: {0}")]
    Synthesis(String),
    /// The work queue failed a run (a batch refused, undelivered or rejected; a server error).
    #[error(transparent)]
    Pipeline(#[from] pipeline::Error),
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

impl From<ark_relations::gr1cs::SynthesisError> for Error {
    fn from(e: ark_relations::gr1cs::SynthesisError) -> Self {
        Error::Synthesis(e.to_string())
    }
}

//! ProofGate's Solidity side of Groth16: a gas-lean verifier emitted from a verifying key,
//! compiled from Rust, typed calldata for it, and snarkjs interop.
//!
//! - [`generator`]: verifying key in, Solidity out.
//! - [`compile`]: compilation through foundry-compilers with the toolchain's solc.
//! - [`calldata`]: `sol!` bindings of the emitted ABI and proof encoding.
//! - [`snarkjs`]: snarkjs' `verification_key.json`, `proof.json` and `public.json`.

#![forbid(unsafe_code)]

pub mod calldata;
pub mod compile;
pub mod generator;
pub mod snarkjs;

use ark_bn254::Bn254;
use ark_groth16::VerifyingKey;
use ark_serialize::CanonicalSerialize;
use sha3::{Digest, Keccak256};

pub use compile::{compile_contract, CompileSettings, CompiledContract};
pub use generator::{generate, GeneratedVerifier, VerifierOptions};

/// keccak256 of a verifying key's canonical compressed arkworks encoding: the key's identity in
/// file headers, generated contracts and the registry.
pub fn key_hash(vk: &VerifyingKey<Bn254>) -> Result<[u8; 32], Error> {
    let mut bytes = Vec::new();
    vk.serialize_compressed(&mut bytes).map_err(|e| Error::InvalidKey(e.to_string()))?;
    Ok(Keccak256::digest(&bytes).into())
}

/// Errors of verifier generation, compilation and interop.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The toolchain is missing.
    #[error(transparent)]
    Toolchain(#[from] proofgate_toolchain::ToolchainError),
    /// The compiler could not be run or its output not read.
    #[error("solc failed: {0}")]
    Compiler(String),
    /// The sources do not compile.
    #[error("compilation failed:\n{0}")]
    Compilation(String),
    /// The requested contract is not in the compiler's output.
    #[error("contract {0} not found in the compiler output")]
    ContractNotFound(String),
    /// The verifying key is refused.
    #[error("refusing the verifying key: {0}")]
    InvalidKey(String),
    /// Generator options are invalid.
    #[error("invalid options: {0}")]
    InvalidOptions(String),
    /// A snarkjs file is malformed.
    #[error("snarkjs {file}: {reason}")]
    Snarkjs {
        /// Which file (verification key, proof or public signals).
        file: &'static str,
        /// What is wrong.
        reason: String,
    },
}

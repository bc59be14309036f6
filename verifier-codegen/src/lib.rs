//! ProofGate's Solidity side of the verifier: compilation of generated contracts from Rust.

pub mod compile;

pub use compile::{compile_contract, CompileSettings, CompiledContract};

/// Errors of verifier generation and compilation.
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
}

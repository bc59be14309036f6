//! ProofGate's end-to-end tests: one test binary, one module per area. They run against the
//! toolchain `scripts/setup` installs (anvil, forge, solc-js) and the contracts it builds.
//!
//! The toolchain's own error path (no `node_modules` names `scripts/setup`) is tested in
//! `toolchain/src/lib.rs`.

mod agents;
mod compiler;
mod feeds;
mod fixtures;
mod hostile;
mod solvency;
mod solvency_scale;
mod verifier;

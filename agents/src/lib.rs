//! ProofGate's agents: chain access, price feeds and the demo flow.
//!
//! - [`chain`]: anvil from the toolchain, signing providers, forge artifacts and deployment;
//! - [`feeds`]: typed `PriceFeed` bindings and a seeded price path with a volatility shock;
//! - [`demo`]: the demo's end-to-end flow and its report;
//! - [`gated_proof`]: the demo's proof step (prove, deploy the generated verifier, verify on chain).
//!
//! The agent daemon (watch, decide, prove, submit) builds on these in later issues.

#![forbid(unsafe_code)]

pub mod agent;
pub mod bindings;
pub mod chain;
pub mod config;
pub mod daemon;
pub mod demo;
pub mod demo_keeper;
pub mod demo_solvency;
pub mod deploy;
mod error;
pub mod feeds;
pub mod journal;
pub mod journal_lock;
pub mod logging;
pub mod market;
pub mod metrics;
pub mod redact;
pub mod solvency;
pub mod strategy;
pub mod system_demo;
pub mod tx;

pub use error::{Error, Result};

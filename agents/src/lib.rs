//! ProofGate agents.

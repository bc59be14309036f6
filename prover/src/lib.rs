//! ProofGate's prover: the Groth16 risk circuit over BN254 and its native reference.

//! End-to-end tests of ProofGate live in `tests/tests/e2e/` (one test binary, one module per
//! area); this library is empty on purpose.

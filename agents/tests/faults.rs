//! The daemon under real faults on anvil: a dropped transaction, a base-fee spike that strands a
//! transaction until it is replaced, a reorg that removes an executed trade, a node that never
//! answers, a provider that refuses wide `getLogs`, and the real binary killed with SIGKILL at
//! seeded random points. Each ends with the journal equal to the chain and the vault's events.
//!
//! The kit (anvil controls, the RPC proxy, the hanging node, the daemon process, the invariants)
//! is in `tests/common/`, its own tests in `faults/kit.rs`.

mod common;

#[path = "faults/chaos.rs"]
mod chaos;
#[path = "faults/kit.rs"]
mod kit;
#[path = "faults/lifecycle.rs"]
mod lifecycle;
#[path = "faults/rpc.rs"]
mod rpc;

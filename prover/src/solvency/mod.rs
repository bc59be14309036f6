//! Solvency attestations, natively: the Poseidon Merkle-sum tree of a fund's liabilities to its
//! depositors, what is published of it (the root hash and the totals), and depositors' inclusion
//! proofs. The attestation proof ([`attestation`], [`circuit`], [`keys`]) proves only that tree;
//! the attestor contract checks on chain that the vault's assets cover its totals.
//!
//! This is the one definition the solvency circuit mirrors; every hash below is
//! [`poseidon::hash_with_domain`](crate::poseidon::hash_with_domain)`(tag, elements)`: the
//! sponge absorbs the tag's field element, then the elements in order (no length prefix), and
//! squeezes one element.
//!
//! # Shape
//!
//! `N` assets (`1..=16`, the vault's asset count: 8 by default) and a depth `d` (`0..=32`, 10 by
//! default): the tree has `2^d` leaves, so at most `2^d` depositors. Depositor `k` (in file
//! order) is leaf `k`; leaves `count..2^d` are padding.
//!
//! # Depositor id
//!
//! A depositor's id string becomes one field element ([`id_element`]): its UTF-8 bytes are cut
//! into chunks of 31 bytes (the last may be shorter), each chunk is read as a big-endian integer
//! (below 2^248, so never reduced), and
//!
//! ```text
//! id = H("proofgate.solvency.id", [chunk_1, ..., chunk_k, byte_length])
//! ```
//!
//! The byte length fixes the number and the sizes of the chunks, so distinct strings give
//! distinct inputs; the length comes last, so no input is a zero-extension of another's (the
//! sponge does not pad). Empty ids are refused in the depositors file.
//!
//! # Leaves
//!
//! A depositor's balances `b_1..b_N` are token units, each in `[0, 2^64)`:
//!
//! ```text
//! leaf = H("proofgate.solvency.leaf", [id, b_1, ..., b_N])      sums(leaf) = (b_1, ..., b_N)
//! ```
//!
//! A padding leaf has `id = 0` and every balance 0, hashed the same way ([`padding_leaf`]).
//!
//! # Nodes
//!
//! ```text
//! sums(node) = sums(left) + sums(right)                           (per asset, as integers)
//! node = H("proofgate.solvency.node", [hash(left), hash(right), s_1, ..., s_N])
//! ```
//!
//! where `s_a` is the sum of asset `a` over the node's subtree: a node hashes its own sums, which
//! are what its parent adds. A subtree of height `h` sums at most `2^h` balances, so
//! `s_a < 2^(64+h) <= 2^96`: sums never wrap modulo the field's order (about 2^254).
//!
//! # What is published
//!
//! The root hash `R` and the per-asset totals `T_a = sums(root)_a`. The attestor stores `R` as
//! `liabilitiesRoot` (the solvency statement's public input) with `keccak256(abi.encodePacked(
//! totals))` beside it, and emits the totals in its `SolvencyAttested` event; the totals are
//! public inputs too, so the proof binds them. A depositor checks its inclusion proof against
//! that root hash and those totals, read from the chain.
//!
//! The leaf and node hashes have a fixed length for a given `N`; since the sponge does not
//! pad, a tree over `N` assets hashes like the tree over `N + 1` assets whose last asset is zero
//! everywhere. Both describe the same liabilities; `N` is fixed by the vault and the circuit.
//!
//! # Inclusion proofs
//!
//! Depositor `k`'s proof ([`InclusionProof`]) carries its index, id, the asset of each column
//! (the depositors file's asset names, which a depositor compares with the vault's token symbols:
//! [`check_assets`]) and its balances and, from the leaf up, each sibling's hash and sums; bit `l` of `k` says whether the path is the left (0)
//! or right (1) child at level `l`. [`check_inclusion`] recomputes the root and totals, and
//! refuses a path of the wrong depth, a balance of 2^64 or more, a total of `2^(64+d)` or more,
//! and, at every level, a sibling sum or the path's running sum above its asset's total.
//!
//! Why a sibling's sums must not exceed the totals: the operator supplies them, and a sum can
//! only exceed its total if another subtree is "negative" — a value near the field's order that
//! cancels liabilities modulo the order, i.e. a hidden debt that shrinks the published totals.
//! The circuit rules this out globally by range-checking every leaf's balances (so every subtree
//! sum is a true non-negative integer at most the total); the depositor, who never sees the other
//! leaves, checks the local consequence on its own path. With every term on the path below the
//! total and the totals below `2^(64+d)`, the path's sums are exact integer sums, so the
//! depositor's balances are counted in full in the published totals.

pub mod attestation;
pub mod circuit;
#[cfg(test)]
mod circuit_tests;
mod depositors;
mod files;
mod hash;
mod inclusion;
pub mod keys;
#[cfg(test)]
mod tests;
mod tree;

pub use depositors::{Depositor, DepositorEntry, Depositors, DepositorsFile};
pub use files::{hex_fr, parse_hex, TreeSummary, SUMMARY_VERSION};
pub use hash::{id_element, leaf_hash, node_hash, padding_leaf, to_u128};
pub use inclusion::{
    check_assets, check_inclusion, InclusionProof, NotIncluded, Sibling, INCLUSION_VERSION,
};
pub use keys::{SolvencyKeyHeader, SolvencyKeys, SOLVENCY_KEY_VERSION};
pub use tree::{SumTree, TreeRoot};

use crate::Error;

/// Domain tag of depositor ids.
pub const DOMAIN_ID: &str = "proofgate.solvency.id";
/// Domain tag of leaves.
pub const DOMAIN_LEAF: &str = "proofgate.solvency.leaf";
/// Domain tag of inner nodes.
pub const DOMAIN_NODE: &str = "proofgate.solvency.node";

/// Bytes of an id string packed into one field element.
pub const ID_CHUNK_BYTES: usize = 31;
/// Bit width of a balance: every balance is below `2^BALANCE_BITS`.
pub const BALANCE_BITS: u32 = 64;
/// The deepest tree supported: sums stay below `2^(64+32)`, far below the field's order.
pub const MAX_DEPTH: u32 = 32;
/// The default depth: 2^10 depositors.
pub const DEFAULT_DEPTH: u32 = 10;
/// The most assets a tree covers (as the risk circuit).
pub const MAX_ASSETS: usize = crate::config::MAX_ASSETS;

/// Checks a tree's shape: depth `0..=MAX_DEPTH`, `1..=MAX_ASSETS` assets.
pub fn check_shape(depth: u32, n_assets: usize) -> Result<(), Error> {
    if depth > MAX_DEPTH {
        return Err(Error::InvalidConfig(format!("tree depth {depth} (must be 0..={MAX_DEPTH})")));
    }
    if !(1..=MAX_ASSETS).contains(&n_assets) {
        return Err(Error::InvalidConfig(format!(
            "{n_assets} assets (a solvency tree covers 1..={MAX_ASSETS})"
        )));
    }
    Ok(())
}

/// `2^bits` for `bits <= 127`: the bound a balance (`bits = 64`) or a total (`64 + d`) is below.
fn pow2(bits: u32) -> u128 {
    1u128 << bits
}

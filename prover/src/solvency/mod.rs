//! Solvency attestations at exchange scale, natively: a fund's depositors cut into fixed-size
//! batches, each batch a Poseidon Merkle tree proved by its own Groth16 proof (root and
//! per-asset sums, every balance range-checked), and the keccak chain that links the batches
//! into what the attestor stores. The batch proof ([`attestation`], [`circuit`], [`keys`])
//! proves only its batch; the attestor chains the batches on chain and checks, when the epoch
//! is sealed, that the vault's assets cover the totals.
//!
//! This is the one definition the batch circuit, the attestor contract and the inclusion check
//! follow. Hashes are Poseidon over BN254 (width 5, rate 4, capacity 1);
//! [`hash_tagged`](crate::poseidon::hash_tagged)`(tag, elements)` starts the capacity element
//! at the tag's field element (its ASCII bytes, big-endian), absorbs the elements and squeezes
//! one: up to four elements cost one permutation.
//!
//! # Shape ([`SolvencyShape`])
//!
//! `n` assets (`1..=16`), a balance width `B` (`1..=128`: every balance is below `2^B`) and a
//! batch depth `k` (`0..=20`: `2^k` leaves per batch). An epoch of `D` depositors has
//! `m = max(1, ceil(D / 2^k))` batches (at most 2^16); depositor `j` (file order) is leaf
//! `j mod 2^k` of batch `j div 2^k`; the last batch is padded. A batch's sum of one asset is
//! below `2^S`, `S = B + k`.
//!
//! # Depositor id
//!
//! A depositor's id string becomes one field element ([`id_element`]): its UTF-8 bytes cut into
//! chunks of 31 bytes (each read big-endian, so never reduced), then
//! `id = hash_with_domain("proofgate.solvency.id", [chunk_1, .., chunk_c, byte_length])` (the
//! tag absorbed as the first element, unchanged from before batching). The length fixes the
//! chunks, so distinct strings give distinct inputs. Empty ids are refused.
//!
//! # Leaves
//!
//! ```text
//! packed = sum_a b_a * 2^(a*B)                   (an integer of n*B bits)
//! c_j    = floor(packed / 2^(253 j)) mod 2^253   (j < ceil(n*B / 253))
//! leaf   = hash_tagged("proofgate.solvency.leaf", [id, c_0, c_1, ..])
//! ```
//!
//! Since every balance is below `2^B`, the packing is injective and each limb is below
//! `2^253 < r`. (n=8, B=64: three limbs, one permutation; B=96: four limbs and B=128: five, two.) A padding
//! leaf has id 0 and every balance 0 ([`padding_leaf`]).
//!
//! # A batch's tree
//!
//! Levels of arity 4 from the leaves up, `node = hash_tagged("proofgate.solvency.node4",
//! [c0, c1, c2, c3])`; when `k` is odd the top level is binary, `root =
//! hash_tagged("proofgate.solvency.node2", [c0, c1])`; for `k = 0` the root is the leaf. A
//! depositor's position in its batch, in base 4 from the bottom, picks its child slot at each
//! 4-ary level; the binary level uses the remaining bit. Nodes carry no sums: the batch proof
//! proves the sums over all its leaves, every balance range-checked, so a plain Merkle tree
//! suffices for inclusion.
//!
//! # What is published ([`PublishedChain`])
//!
//! Each batch proof's public inputs are its binding (see [`attestation`]), its root and its
//! sums packed `L = floor(253 / S)` per word. The attestor chains the accepted batches:
//!
//! ```text
//! acc_0     = 0x00..00
//! acc_{i+1} = keccak256(acc_i ‖ root_i ‖ sums_i[0] ‖ .. ‖ sums_i[n-1])   (32-byte words)
//! ```
//!
//! and stores `liabilitiesRoot = uint256(acc_m)` and the totals `sum_i sums_i` (hashed as
//! `totalsHash`) when the epoch is sealed.
//!
//! # Inclusion proofs
//!
//! Depositor `j`'s proof ([`InclusionProof`]) carries its balances, the siblings up its batch
//! and every batch's root and sums. [`check_inclusion`] recomputes the leaf, the batch root
//! (which must be the chain's root of batch `j div 2^k`), the accumulator and the totals, and
//! refuses a balance of `2^B` or more, a path of the wrong depth and a chain that does not give
//! the published accumulator and totals. Each batch was verified on chain before its link was
//! accumulated, so the depositor's balances are counted in the totals.

pub mod attestation;
mod batch_job;
mod chain;
pub mod circuit;
#[cfg(test)]
mod circuit_tests;
mod depositors;
pub mod epoch_proving;
mod files;
mod hash;
mod inclusion;
pub mod keys;
mod shape;
#[cfg(test)]
mod tests;
mod tree;

pub use attestation::{check, BatchStatement, BatchWitness, Leaf, SolvencyViolation};
pub use batch_job::{BatchJob, BatchProver, BatchResult, BATCH_JOB_VERSION};
pub use chain::{accumulate, ChainLink, Published, PublishedChain};
pub use depositors::{Depositor, DepositorEntry, Depositors, DepositorsFile};
pub use epoch_proving::{prove_epoch, prove_epoch_with, EpochProofs, EpochRun};
pub use files::{hex_fr, parse_hex, parse_hex32, parse_u256, EpochSummary, SUMMARY_VERSION};
pub use hash::{
    fr_to_u256, id_element, leaf_hash, leaf_limbs, node_hash, padding_leaf, to_u128, u256_to_fr,
};
pub use inclusion::{
    check_assets, check_inclusion, InclusionProof, NotIncluded, INCLUSION_VERSION,
};
pub use keys::{SolvencyKeyHeader, SolvencyKeys, SOLVENCY_KEY_VERSION};
pub use shape::SolvencyShape;
pub use tree::{EpochBinding, EpochTree};

/// Domain tag of depositor ids.
pub const DOMAIN_ID: &str = "proofgate.solvency.id";
/// Domain tag of leaves.
pub const DOMAIN_LEAF: &str = "proofgate.solvency.leaf";
/// Domain tag of 4-ary nodes.
pub const DOMAIN_NODE4: &str = "proofgate.solvency.node4";
/// Domain tag of the binary top of an odd-depth batch.
pub const DOMAIN_NODE2: &str = "proofgate.solvency.node2";

/// Bytes of an id string packed into one field element.
pub const ID_CHUNK_BYTES: usize = 31;
/// Bits of a limb of a leaf's packed balances (and the most a public word holds).
pub const LIMB_BITS: u32 = 253;
/// The widest balance supported.
pub const MAX_BALANCE_BITS: u32 = 128;
/// The default balance width.
pub const DEFAULT_BALANCE_BITS: u32 = 64;
/// The deepest batch supported.
pub const MAX_BATCH_DEPTH: u32 = 20;
/// The default batch depth: 2^10 leaves per batch.
pub const DEFAULT_BATCH_DEPTH: u32 = 10;
/// The most batches of an epoch (the attestor's `MAX_BATCH_COUNT`).
pub const MAX_BATCHES: usize = 1 << 16;
/// The most assets a book covers (as the risk circuit).
pub const MAX_ASSETS: usize = crate::config::MAX_ASSETS;

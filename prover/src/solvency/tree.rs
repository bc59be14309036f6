//! Building an epoch: the depositors cut into batches, each batch's tree, the published chain,
//! and reading inclusion proofs, witnesses and statements off it.
//!
//! Only the nodes above real depositors are stored: a subtree of padding leaves is the same at
//! every position of a level, so it is hashed once per level. Building costs one hash per
//! depositor and about a third of one per depositor for the nodes, plus one per level for the
//! padding.

use alloy::primitives::U256;
use ark_bn254::Fr;
use ark_ff::Zero;

use super::attestation::{BatchStatement, BatchWitness, Leaf};
use super::chain::{ChainLink, Published, PublishedChain};
use super::files::{EpochSummary, SUMMARY_VERSION};
use super::hash::{id_element, leaf_hash, node_hash, padding_leaf};
use super::inclusion::{InclusionProof, INCLUSION_VERSION};
use super::{Depositors, SolvencyShape};
use crate::Error;

/// What a batch statement binds besides the batch: the agent, the attestor, the vault, the
/// chain, the epoch and the deadline (the epoch file's `context`, addresses `0x` hex).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EpochBinding {
    /// The agent attesting.
    #[serde(with = "crate::serde_fr::address")]
    pub agent: [u8; 20],
    /// The attestor contract.
    #[serde(with = "crate::serde_fr::address")]
    pub attestor: [u8; 20],
    /// The vault.
    #[serde(with = "crate::serde_fr::address")]
    pub vault: [u8; 20],
    /// The chain.
    pub chain_id: u64,
    /// The epoch.
    pub epoch: u64,
    /// The last timestamp the attestor accepts the proofs at.
    pub deadline: u64,
}

/// One batch's stored nodes: `levels[0]` are its real leaves' hashes, `levels[l]` the nodes of
/// level `l` above them; past the stored ones, a level's nodes are its padding hash.
#[derive(Clone, Debug)]
struct BatchTree {
    levels: Vec<Vec<Fr>>,
    sums: Vec<U256>,
}

/// A depositors list cut into batches, each batch's tree, and the chain they publish.
#[derive(Clone, Debug)]
pub struct EpochTree {
    shape: SolvencyShape,
    depositors: Depositors,
    /// `padding[l]`: the hash of a level-`l` subtree of padding leaves.
    padding: Vec<Fr>,
    batches: Vec<BatchTree>,
    chain: PublishedChain,
}

impl EpochTree {
    /// Builds the epoch of `depositors` for `shape`: depositor `j` is leaf `j mod 2^k` of batch
    /// `j div 2^k`, the last batch padded. Refuses an unsupported shape, another asset count, a
    /// balance of `2^B` or more (naming the depositor) and more than 2^16 batches.
    pub fn build(depositors: &Depositors, shape: SolvencyShape) -> Result<Self, Error> {
        shape.check()?;
        if depositors.n_assets() != shape.n_assets {
            return Err(Error::InvalidDepositors(format!(
                "{} assets in the depositors file, the shape has {}",
                depositors.n_assets(),
                shape.n_assets
            )));
        }
        let bits = shape.balance_bits;
        for d in depositors.depositors() {
            if let Some(a) = d.balances.iter().position(|&b| bits < 128 && b >> bits != 0) {
                return Err(Error::InvalidDepositors(format!(
                    "depositor {:?}: the balance of {} is 2^{bits} or more (the balance width)",
                    d.id,
                    depositors.assets()[a]
                )));
            }
        }
        let count = shape.batch_count(depositors.len())?;
        let arities = shape.arities();
        let mut padding = vec![padding_leaf(&shape)];
        for (l, &arity) in arities.iter().enumerate() {
            padding.push(node_hash(&vec![padding[l]; arity]));
        }
        let list = depositors.depositors();
        let hashes =
            par_map(list.len(), |j| leaf_hash(&shape, id_element(&list[j].id), &list[j].balances));
        let per_batch = shape.leaves_per_batch();
        let batches = par_map(count, |i| {
            let range = (i * per_batch).min(list.len())..((i + 1) * per_batch).min(list.len());
            let mut levels = vec![hashes[range.clone()].to_vec()];
            for (l, &arity) in arities.iter().enumerate() {
                let below = &levels[l];
                let next: Vec<Fr> = (0..below.len().div_ceil(arity))
                    .map(|g| {
                        let children: Vec<Fr> = (0..arity)
                            .map(|c| below.get(g * arity + c).copied().unwrap_or(padding[l]))
                            .collect();
                        node_hash(&children)
                    })
                    .collect();
                levels.push(next);
            }
            let mut sums = vec![U256::ZERO; shape.n_assets];
            for d in &list[range] {
                for (s, &b) in sums.iter_mut().zip(&d.balances) {
                    *s += U256::from(b);
                }
            }
            BatchTree { levels, sums }
        });
        let links = batches
            .iter()
            .map(|b| ChainLink {
                root: b
                    .levels
                    .last()
                    .and_then(|l| l.first())
                    .copied()
                    .unwrap_or(padding[arities.len()]),
                sums: b.sums.clone(),
            })
            .collect();
        let chain = PublishedChain::new(links, shape.n_assets);
        Ok(Self { shape, depositors: depositors.clone(), padding, batches, chain })
    }

    /// The shape.
    pub fn shape(&self) -> SolvencyShape {
        self.shape
    }

    /// The depositors, in leaf order.
    pub fn depositors(&self) -> &Depositors {
        &self.depositors
    }

    /// The number of batches.
    pub fn batch_count(&self) -> usize {
        self.batches.len()
    }

    /// Every batch's root and sums, the accumulator and the totals.
    pub fn chain(&self) -> &PublishedChain {
        &self.chain
    }

    /// The accumulator and totals.
    pub fn published(&self) -> Published {
        self.chain.published()
    }

    /// Node `index` of `level` of batch `batch`, or the level's padding past the stored nodes.
    fn node(&self, batch: usize, level: usize, index: usize) -> Fr {
        self.batches[batch].levels[level].get(index).copied().unwrap_or(self.padding[level])
    }

    fn batch(&self, index: usize) -> Result<&BatchTree, Error> {
        self.batches.get(index).ok_or_else(|| {
            Error::ValueOutOfRange(format!("batch {index} of {}", self.batches.len()))
        })
    }

    /// Batch `index`'s witness: its depositors' leaves, then padding (id 0, zero balances).
    pub fn batch_witness(&self, index: usize) -> Result<BatchWitness, Error> {
        self.batch(index)?;
        let per_batch = self.shape.leaves_per_batch();
        let list = self.depositors.depositors();
        let start = (index * per_batch).min(list.len());
        let end = ((index + 1) * per_batch).min(list.len());
        let mut leaves: Vec<Leaf> = list[start..end]
            .iter()
            .map(|d| Leaf { id: id_element(&d.id), balances: d.balances.clone() })
            .collect();
        leaves.resize(per_batch, Leaf { id: Fr::zero(), balances: vec![0; self.shape.n_assets] });
        Ok(BatchWitness { leaves })
    }

    /// Batch `index`'s public statement under `binding`.
    pub fn batch_statement(
        &self,
        index: usize,
        binding: &EpochBinding,
    ) -> Result<BatchStatement, Error> {
        let batch = self.batch(index)?;
        Ok(BatchStatement {
            agent: binding.agent,
            attestor: binding.attestor,
            vault: binding.vault,
            chain_id: binding.chain_id,
            epoch: binding.epoch,
            deadline: binding.deadline,
            batch_index: u32::try_from(index)
                .map_err(|_| Error::ValueOutOfRange("index".into()))?,
            batch_count: u32::try_from(self.batches.len())
                .map_err(|_| Error::ValueOutOfRange("batch count".into()))?,
            root: self.chain.batches[index].root,
            sums: batch.sums.clone(),
        })
    }

    /// Depositor `index`'s (file order) inclusion proof.
    pub fn inclusion_proof(&self, index: usize) -> Result<InclusionProof, Error> {
        let depositor = self.depositors.depositors().get(index).ok_or_else(|| {
            Error::ValueOutOfRange(format!(
                "depositor index {index} (the epoch holds {})",
                self.depositors.len()
            ))
        })?;
        let per_batch = self.shape.leaves_per_batch();
        let batch = index / per_batch;
        let mut position = index % per_batch;
        let mut path = Vec::new();
        for (level, arity) in self.shape.arities().into_iter().enumerate() {
            let group = position / arity * arity;
            path.push(
                (group..group + arity)
                    .filter(|&p| p != position)
                    .map(|p| self.node(batch, level, p))
                    .collect(),
            );
            position /= arity;
        }
        Ok(InclusionProof {
            version: INCLUSION_VERSION,
            shape: self.shape,
            index: index as u64,
            id: depositor.id.clone(),
            assets: self.depositors.assets().to_vec(),
            balances: depositor.balances.clone(),
            batch_index: batch as u32,
            path,
            chain: self.chain.batches.clone(),
            accumulator: self.chain.accumulator,
            totals: self.chain.totals.clone(),
        })
    }

    /// The summary file's contents.
    pub fn summary(&self) -> EpochSummary {
        EpochSummary {
            version: SUMMARY_VERSION,
            shape: self.shape,
            assets: self.depositors.assets().to_vec(),
            depositors: self.depositors.len(),
            batch_count: self.batches.len(),
            chain: self.chain.clone(),
        }
    }
}

/// `(0..len).map(f)`, on every core when `len` is large enough to pay for the threads.
fn par_map<U: Send>(len: usize, f: impl Fn(usize) -> U + Sync) -> Vec<U> {
    const MIN_PER_THREAD: usize = 64;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = cores.min(len / MIN_PER_THREAD).max(1);
    if threads == 1 {
        return (0..len).map(f).collect();
    }
    let chunk = len.div_ceil(threads);
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let range = t * chunk..((t + 1) * chunk).min(len);
                scope.spawn(move || range.map(f).collect::<Vec<U>>())
            })
            .collect();
        let mut out = Vec::with_capacity(len);
        for handle in handles {
            match handle.join() {
                Ok(part) => out.extend(part),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        out
    })
}

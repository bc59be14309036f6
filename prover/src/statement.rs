//! The public statement and its exact public-input layout (the one the vault contract follows).
//!
//! # Public inputs, in wire order
//! 1. `ceil((2n + 4) fields)` packed elements. Fields, in order, little-endian from bit 0 of
//!    element 0, at most 252 bits per element, a field never split across elements:
//!    `holding[0..n]` (63 bits each, USD at 1e8), `debt[0..n]` (63), `value_in` (63),
//!    `value_out` (63), `sell_asset` (8), `buy_asset` (8). With 63-bit fields this is four
//!    values per element: for 8 assets, 5 elements.
//! 2. `binding = uint256(keccak256(abi.encode(address agent, address vault, uint256 chainId,
//!    uint256 nonce, uint256 deadline))) & (2^253 - 1)`: binds the proof to its caller and context.
//! 3. `model_commitment` (see [`crate::model`]).
//! 4. `params_commitment` (see [`crate::risk_params`]).
//!
//! For 8 assets that is 8 public inputs. Every input takes part in a constraint: the packed
//! elements are recomposed from range-checked bits, the binding is squared, and the commitments
//! are recomputed from the private preimages.

use ark_bn254::Fr;
use ark_ff::{BigInteger, PrimeField};
use serde::{Deserialize, Serialize};
use sha3::{Digest, Keccak256};

use crate::config::{CircuitConfig, ASSET_INDEX_BITS, FORMAT_VERSION, VALUE_BITS};
use crate::fixed::{pack, packed_len};
use crate::serde_fr;
use crate::Error;

/// The proposed trade: sell `value_in` of asset `sell_asset` for exactly `value_out` of
/// `buy_asset` (both USD at 1e8, valued by the vault at execution time by the rules of
/// [`crate::valuation`]). The circuit requires `value_in <= holding[sell_asset]` and the
/// execution-price bound `value_in · BPS <= value_out · BPS + value_in · max_slippage_bps`
/// (a committed risk parameter).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trade {
    /// Index of the asset sold.
    pub sell_asset: u8,
    /// Index of the asset bought.
    pub buy_asset: u8,
    /// USD value sold, at 1e8: what the sale takes off the holding's value,
    /// `value(H) - value(H - amount_in)`.
    pub value_in: u64,
    /// USD value bought, at 1e8.
    pub value_out: u64,
}

/// The call context a proof is bound to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Binding {
    /// The agent's address.
    #[serde(with = "serde_fr::address")]
    pub agent: [u8; 20],
    /// The vault's address.
    #[serde(with = "serde_fr::address")]
    pub vault: [u8; 20],
    /// The chain id.
    pub chain_id: u64,
    /// The agent's nonce in the vault.
    pub nonce: u64,
    /// Unix time after which the vault refuses the trade.
    pub deadline: u64,
}

impl Binding {
    /// `keccak256(abi.encode(agent, vault, chainId, nonce, deadline))` masked to 253 bits.
    pub fn hash(&self) -> Fr {
        let mut words = [[0u8; 32]; 5];
        words[0][12..].copy_from_slice(&self.agent);
        words[1][12..].copy_from_slice(&self.vault);
        words[2][24..].copy_from_slice(&self.chain_id.to_be_bytes());
        words[3][24..].copy_from_slice(&self.nonce.to_be_bytes());
        words[4][24..].copy_from_slice(&self.deadline.to_be_bytes());
        masked_keccak(&words)
    }
}

/// `keccak256` of the concatenated 32-byte words (what Solidity's `abi.encode` of static values
/// hashes), masked to 253 bits: always below the scalar field's order, so the same on both sides.
pub fn masked_keccak(words: &[[u8; 32]]) -> Fr {
    let mut digest: [u8; 32] = Keccak256::digest(words.concat()).into();
    digest[0] &= 0x1f;
    Fr::from_be_bytes_mod_order(&digest)
}

/// The public statement of one gated trade.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    /// File format version.
    pub version: u64,
    /// Pre-trade holdings per asset, USD at 1e8.
    pub holdings: Vec<u64>,
    /// Pre-trade debts per asset, USD at 1e8.
    pub debts: Vec<u64>,
    /// The trade.
    pub trade: Trade,
    /// The call context.
    pub binding: Binding,
    /// The certified model's commitment.
    #[serde(with = "serde_fr::decimal")]
    pub model_commitment: Fr,
    /// The risk parameters' commitment.
    #[serde(with = "serde_fr::decimal")]
    pub params_commitment: Fr,
}

/// Widths of the statement's packed fields for `config`.
pub fn statement_field_widths(config: &CircuitConfig) -> Vec<usize> {
    let mut widths = vec![VALUE_BITS; 2 * config.n_assets + 2];
    widths.extend([ASSET_INDEX_BITS, ASSET_INDEX_BITS]);
    widths
}

/// Number of public inputs of a circuit for `config`.
pub fn public_input_count(config: &CircuitConfig) -> usize {
    packed_len(&statement_field_widths(config)) + 3
}

impl Statement {
    /// Checks the statement's shape and that every value fits its field.
    pub fn check_against(&self, config: &CircuitConfig) -> Result<(), Error> {
        let n = config.n_assets;
        if self.version != FORMAT_VERSION {
            return Err(Error::StatementMismatch(format!("format version {}", self.version)));
        }
        if self.holdings.len() != n || self.debts.len() != n {
            return Err(Error::StatementMismatch(format!(
                "{} holdings and {} debts, circuit has {n} assets",
                self.holdings.len(),
                self.debts.len()
            )));
        }
        let named = self.holdings.iter().map(|v| ("holding", v)).chain(
            self.debts
                .iter()
                .map(|v| ("debt", v))
                .chain([("value_in", &self.trade.value_in), ("value_out", &self.trade.value_out)]),
        );
        for (name, &v) in named {
            if v >> VALUE_BITS != 0 {
                return Err(Error::ValueOutOfRange(format!(
                    "{name} = {v} does not fit {VALUE_BITS} bits"
                )));
            }
        }
        Ok(())
    }

    /// The packed fields, in layout order.
    pub fn fields(&self) -> Vec<(u64, usize)> {
        let value = |v: u64| (v, VALUE_BITS);
        let mut fields: Vec<(u64, usize)> =
            self.holdings.iter().chain(&self.debts).map(|&v| value(v)).collect();
        fields.extend([
            value(self.trade.value_in),
            value(self.trade.value_out),
            (u64::from(self.trade.sell_asset), ASSET_INDEX_BITS),
            (u64::from(self.trade.buy_asset), ASSET_INDEX_BITS),
        ]);
        fields
    }

    /// The public inputs in wire order.
    pub fn public_inputs(&self, config: &CircuitConfig) -> Result<Vec<Fr>, Error> {
        self.check_against(config)?;
        let mut inputs = pack(&self.fields());
        inputs.extend([self.binding.hash(), self.model_commitment, self.params_commitment]);
        Ok(inputs)
    }
}

/// Hex of a field element as the EVM sees it (32 bytes, big-endian).
pub fn fr_to_hex(f: &Fr) -> String {
    format!("0x{}", hex::encode(f.into_bigint().to_bytes_be()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eight_assets_take_eight_public_inputs() {
        assert_eq!(public_input_count(&CircuitConfig::default()), 8);
        assert_eq!(public_input_count(&CircuitConfig::with_assets(16)), 12);
        assert_eq!(public_input_count(&CircuitConfig::with_assets(2)), 5);
    }

    #[test]
    fn the_binding_hash_is_keccak_of_the_abi_encoding_masked_to_253_bits() {
        let binding = Binding {
            agent: [0x11; 20],
            vault: [0x22; 20],
            chain_id: 31337,
            nonce: 7,
            deadline: 1,
        };
        let h = binding.hash();
        // `cast keccak $(cast abi-encode "f(address,address,uint256,uint256,uint256)" 0x11..11 0x22..22 31337 7 1)`
        // = 0x72d3d1cf...33938d, masked to 253 bits:
        let expected =
            "8515884054352502598582900857127203913191795941878862507492858430910090154893";
        assert_eq!(crate::serde_fr::to_decimal(&h), expected);
        assert!(h.into_bigint().num_bits() <= 253);
        let other = Binding { nonce: 8, ..binding.clone() };
        assert_ne!(other.hash(), h);
    }
}

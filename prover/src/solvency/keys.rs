//! Keys of the solvency circuit: setup for `(n_assets, depth)`, a versioned key file, and proving
//! that refuses (with the native reference's reasons) a book that is not solvent.
//!
//! File layout (`solvency.pk`, format version [`SOLVENCY_KEY_VERSION`]): the magic bytes `PROOFGATE-SPK`, a little-endian `u32` header
//! length, the JSON [`SolvencyKeyHeader`], then the proving key's canonical uncompressed bytes.
//! The header carries the payload's length and keccak256, so truncation and corruption are named
//! before any curve point is decoded, and the verifying key's hash, which the deployed verifier
//! is generated from.

use ark_bn254::{Bn254, Fr};
use ark_groth16::{Groth16, Proof, ProvingKey, VerifyingKey};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use ark_snark::SNARK;
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

use super::attestation::{check, public_input_count, SolvencyStatement, SolvencyWitness};
use super::check_shape;
use super::circuit::SolvencyCircuit;
use crate::envelope::{self, keccak_hex, EnvelopeHeader};
use crate::Error;

const MAGIC: &[u8] = b"PROOFGATE-SPK";

/// Format version of the solvency key file. Version 2: the statement proves only the
/// liabilities tree (binding, root hash, packed totals); version 1 keys proved coverage with
/// off-vault positions in the circuit and are refused.
pub const SOLVENCY_KEY_VERSION: u64 = 2;

/// Appended to the message refusing a key of another version.
const OLD_KEY_HINT: &str = ": the solvency statement changed (version 2 proves only the \
    liabilities tree; coverage is checked by the attestor on chain), so keys of another version \
    prove a statement the attestor no longer accepts; run `proofgate solvency setup` again and \
    redeploy the solvency verifier";

/// Header of a solvency proving-key file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SolvencyKeyHeader {
    /// Format version ([`SOLVENCY_KEY_VERSION`]).
    pub version: u64,
    /// Number of assets.
    pub n_assets: usize,
    /// Depth of the liabilities tree (`2^depth` depositors).
    pub depth: u32,
    /// Payload length in bytes.
    pub payload_len: u64,
    /// keccak256 of the payload, hex.
    pub payload_keccak: String,
    /// keccak256 of the verifying key's canonical compressed bytes, hex.
    pub vk_hash: String,
}

impl EnvelopeHeader for SolvencyKeyHeader {
    fn envelope(&self) -> (u64, u64, &str) {
        (self.version, self.payload_len, &self.payload_keccak)
    }
}

/// A solvency proving key and the circuit shape it is for.
#[derive(Clone, Debug)]
pub struct SolvencyKeys {
    /// Number of assets.
    pub n_assets: usize,
    /// Tree depth.
    pub depth: u32,
    /// The Groth16 proving key (its verifying key inside).
    pub pk: ProvingKey<Bn254>,
}

fn serialize<T: CanonicalSerialize>(value: &T, compressed: bool) -> Result<Vec<u8>, Error> {
    let mut bytes = Vec::new();
    let result = if compressed {
        value.serialize_compressed(&mut bytes)
    } else {
        value.serialize_uncompressed(&mut bytes)
    };
    result.map_err(|e| Error::Corrupt(format!("serialising a key: {e}")))?;
    Ok(bytes)
}

impl SolvencyKeys {
    /// Runs a circuit-specific setup for `n_assets` assets and a tree of depth `depth`.
    pub fn setup<R: RngCore + CryptoRng>(
        n_assets: usize,
        depth: u32,
        rng: &mut R,
    ) -> Result<Self, Error> {
        check_shape(depth, n_assets)?;
        let shape = SolvencyCircuit::shape(n_assets, depth)?;
        let (pk, _) = Groth16::<Bn254>::circuit_specific_setup(shape, rng)?;
        Ok(Self { n_assets, depth, pk })
    }

    /// The verifying key.
    pub fn vk(&self) -> &VerifyingKey<Bn254> {
        &self.pk.vk
    }

    /// keccak256 of the verifying key's canonical compressed bytes.
    pub fn vk_hash(&self) -> Result<String, Error> {
        Ok(keccak_hex(&serialize(&self.pk.vk, true)?))
    }

    /// Proves that `witness` makes `statement` true. The native reference runs first: a tree
    /// that does not hash to the root or add up to the totals, or a balance or total out of
    /// range, gets [`Error::Insolvent`] with every reason, and no proof.
    pub fn prove<R: RngCore + CryptoRng>(
        &self,
        statement: &SolvencyStatement,
        witness: &SolvencyWitness,
        rng: &mut R,
    ) -> Result<(Proof<Bn254>, Vec<Fr>), Error> {
        if statement.totals.len() != self.n_assets {
            return Err(Error::StatementMismatch(format!(
                "{} totals, the solvency key is for {} assets",
                statement.totals.len(),
                self.n_assets
            )));
        }
        if witness.leaves.len() != 1usize << self.depth {
            return Err(Error::StatementMismatch(format!(
                "{} leaves, the solvency key is for depth {} ({} leaves)",
                witness.leaves.len(),
                self.depth,
                1usize << self.depth
            )));
        }
        let violations = check(statement, witness);
        if !violations.is_empty() {
            return Err(Error::Insolvent(violations));
        }
        let inputs = statement.public_inputs()?;
        let circuit = SolvencyCircuit::assigned(
            self.n_assets,
            self.depth,
            statement.clone(),
            witness.clone(),
        )?;
        let proof = Groth16::<Bn254>::prove(&self.pk, circuit, rng)?;
        Ok((proof, inputs))
    }

    /// Encodes the key file.
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        let payload = serialize(&self.pk, false)?;
        let header = SolvencyKeyHeader {
            version: SOLVENCY_KEY_VERSION,
            n_assets: self.n_assets,
            depth: self.depth,
            payload_len: payload.len() as u64,
            payload_keccak: keccak_hex(&payload),
            vk_hash: self.vk_hash()?,
        };
        envelope::seal(MAGIC, &header, &payload)
    }

    /// Decodes a key file, naming what is wrong with one that is not.
    pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
        let (header, payload): (SolvencyKeyHeader, _) = envelope::open_version(
            MAGIC,
            "solvency key",
            bytes,
            SOLVENCY_KEY_VERSION,
            OLD_KEY_HINT,
        )?;
        check_shape(header.depth, header.n_assets)?;
        let pk = ProvingKey::<Bn254>::deserialize_uncompressed_unchecked(payload)
            .map_err(|e| Error::Corrupt(format!("solvency key payload: {e}")))?;
        let expected = public_input_count(header.n_assets) + 1;
        if pk.vk.gamma_abc_g1.len() != expected {
            return Err(Error::InvalidKey(format!(
                "solvency key has {} input bases, {} assets need {expected}",
                pk.vk.gamma_abc_g1.len(),
                header.n_assets
            )));
        }
        if pk.vk.delta_g2 == pk.vk.gamma_g2 {
            return Err(Error::InvalidKey("solvency key has delta = gamma: unsound".into()));
        }
        let keys = Self { n_assets: header.n_assets, depth: header.depth, pk };
        if keys.vk_hash()? != header.vk_hash {
            return Err(Error::Corrupt("solvency key's verifying-key hash does not match".into()));
        }
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn a_key_file_round_trips_and_damage_is_named() {
        let keys = SolvencyKeys::setup(2, 1, &mut StdRng::seed_from_u64(1)).expect("setup");
        let bytes = keys.encode().expect("encode");
        let back = SolvencyKeys::decode(&bytes).expect("decode");
        assert_eq!((back.n_assets, back.depth), (2, 1));
        assert_eq!(back.vk_hash().expect("hash"), keys.vk_hash().expect("hash"));

        let cut = SolvencyKeys::decode(&bytes[..bytes.len() - 10]).expect_err("truncated");
        assert!(cut.to_string().contains("truncated"), "{cut}");
        let mut flipped = bytes.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        let bad = SolvencyKeys::decode(&flipped).expect_err("corrupt");
        assert!(bad.to_string().contains("checksum"), "{bad}");
        let wrong = SolvencyKeys::decode(b"PROOFGATE-PK....").expect_err("magic");
        assert!(wrong.to_string().contains("magic"), "{wrong}");
    }

    #[test]
    fn a_key_of_the_previous_statement_is_refused_by_name() {
        let keys = SolvencyKeys::setup(1, 0, &mut StdRng::seed_from_u64(2)).expect("setup");
        let bytes = keys.encode().expect("encode");
        let needle = b"\"version\":2";
        let at = bytes.windows(needle.len()).position(|w| w == needle).expect("the version");
        let mut old = bytes.clone();
        old[at + needle.len() - 1] = b'1';
        let err = SolvencyKeys::decode(&old).expect_err("version 1").to_string();
        assert!(err.contains("format version 1"), "{err}");
        assert!(err.contains("the solvency statement changed"), "{err}");
    }
}

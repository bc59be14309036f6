//! Keys of the batch circuit: setup for a [`SolvencyShape`], a versioned key file, proving a
//! batch (refused, with the native reference's reasons, when the batch does not check) and
//! verifying one.
//!
//! File layout (`solvency.pk`, format version [`SOLVENCY_KEY_VERSION`]): the magic bytes
//! `PROOFGATE-SPK`, a little-endian `u32` header length, the JSON [`SolvencyKeyHeader`] (the
//! shape: assets, balance bits, batch depth), then the proving key's canonical uncompressed
//! bytes. The header carries the payload's length and keccak256, so truncation and corruption
//! are named before any curve point is decoded, and the verifying key's hash, which the deployed
//! verifier is generated from.

use ark_bn254::{Bn254, Fr};
use ark_groth16::{Groth16, Proof, ProvingKey, VerifyingKey};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use ark_snark::SNARK;
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

use super::attestation::{check, BatchStatement, BatchWitness};
use super::circuit::BatchCircuit;
use super::SolvencyShape;
use crate::envelope::{self, keccak_hex, EnvelopeHeader};
use crate::Error;

const MAGIC: &[u8] = b"PROOFGATE-SPK";

/// Format version of the solvency key file. Version 3: one key proves one batch of a shape
/// (assets, balance bits, batch depth); version 2 keys proved a whole Merkle-sum tree and are
/// refused.
pub const SOLVENCY_KEY_VERSION: u64 = 3;

/// Appended to the message refusing a key of another version.
const OLD_KEY_HINT: &str = ": the solvency statement changed (version 3 proves one batch of an \
    epoch, chained on chain by the attestor), so keys of another version prove a statement the \
    attestor no longer accepts; run `proofgate solvency setup --assets N --balance-bits B \
    --batch-depth K` again and redeploy the solvency verifier";

/// Header of a solvency proving-key file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SolvencyKeyHeader {
    /// Format version ([`SOLVENCY_KEY_VERSION`]).
    pub version: u64,
    /// Number of assets.
    pub n_assets: usize,
    /// Bit width of a balance.
    pub balance_bits: u32,
    /// Depth of a batch (`2^batch_depth` leaves).
    pub batch_depth: u32,
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

/// A batch proving key and the shape it is for.
#[derive(Clone, Debug)]
pub struct SolvencyKeys {
    /// The shape every batch proof of the key has.
    pub shape: SolvencyShape,
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
    /// Runs a circuit-specific setup for `shape`.
    pub fn setup<R: RngCore + CryptoRng>(shape: SolvencyShape, rng: &mut R) -> Result<Self, Error> {
        let circuit = BatchCircuit::shape(shape)?;
        let (pk, _) = Groth16::<Bn254>::circuit_specific_setup(circuit, rng)?;
        Ok(Self { shape, pk })
    }

    /// The verifying key.
    pub fn vk(&self) -> &VerifyingKey<Bn254> {
        &self.pk.vk
    }

    /// keccak256 of the verifying key's canonical compressed bytes.
    pub fn vk_hash(&self) -> Result<String, Error> {
        Ok(keccak_hex(&serialize(&self.pk.vk, true)?))
    }

    /// Proves that `witness` makes `statement` true: its leaves hash to the statement's root and
    /// add up to its sums, every balance below `2^B`. The native reference runs first: a batch
    /// it refuses gets [`Error::Insolvent`] with every reason, and no proof. Returns the proof
    /// and its public inputs.
    pub fn prove_batch<R: RngCore + CryptoRng>(
        &self,
        statement: &BatchStatement,
        witness: &BatchWitness,
        rng: &mut R,
    ) -> Result<(Proof<Bn254>, Vec<Fr>), Error> {
        let inputs = statement.public_inputs(&self.shape)?;
        let circuit = BatchCircuit::assigned(self.shape, statement, witness)?;
        let violations = check(&self.shape, statement, witness);
        if !violations.is_empty() {
            return Err(Error::Insolvent(violations));
        }
        let proof = Groth16::<Bn254>::prove(&self.pk, circuit, rng)?;
        Ok((proof, inputs))
    }

    /// Whether `proof` proves `statement` under this key's verifying key.
    pub fn verify_batch(
        &self,
        statement: &BatchStatement,
        proof: &Proof<Bn254>,
    ) -> Result<bool, Error> {
        let inputs = statement.public_inputs(&self.shape)?;
        Ok(Groth16::<Bn254>::verify(self.vk(), &inputs, proof)?)
    }

    /// Encodes the key file.
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        let payload = serialize(&self.pk, false)?;
        let header = SolvencyKeyHeader {
            version: SOLVENCY_KEY_VERSION,
            n_assets: self.shape.n_assets,
            balance_bits: self.shape.balance_bits,
            batch_depth: self.shape.batch_depth,
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
        let shape = SolvencyShape::new(header.n_assets, header.balance_bits, header.batch_depth)?;
        let pk = ProvingKey::<Bn254>::deserialize_uncompressed_unchecked(payload)
            .map_err(|e| Error::Corrupt(format!("solvency key payload: {e}")))?;
        let expected = shape.public_input_count() + 1;
        if pk.vk.gamma_abc_g1.len() != expected {
            return Err(Error::InvalidKey(format!(
                "solvency key has {} input bases, its shape {shape:?} needs {expected}",
                pk.vk.gamma_abc_g1.len()
            )));
        }
        if pk.vk.delta_g2 == pk.vk.gamma_g2 {
            return Err(Error::InvalidKey("solvency key has delta = gamma: unsound".into()));
        }
        let keys = Self { shape, pk };
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

    fn tiny() -> SolvencyShape {
        SolvencyShape::new(2, 8, 1).expect("shape")
    }

    #[test]
    fn a_key_file_round_trips_and_damage_is_named() {
        let keys = SolvencyKeys::setup(tiny(), &mut StdRng::seed_from_u64(1)).expect("setup");
        let bytes = keys.encode().expect("encode");
        let back = SolvencyKeys::decode(&bytes).expect("decode");
        assert_eq!(back.shape, tiny());
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
        let keys = SolvencyKeys::setup(tiny(), &mut StdRng::seed_from_u64(2)).expect("setup");
        let bytes = keys.encode().expect("encode");
        let needle = b"\"version\":3";
        let at = bytes.windows(needle.len()).position(|w| w == needle).expect("the version");
        let mut old = bytes.clone();
        old[at + needle.len() - 1] = b'2';
        let err = SolvencyKeys::decode(&old).expect_err("version 2").to_string();
        assert!(err.contains("format version 2"), "{err}");
        assert!(err.contains("the solvency statement changed"), "{err}");
    }
}

//! File formats: proving key (binary envelope), verifying key and proof (JSON). Every format
//! carries a version; keys use arkworks' canonical serialisation; writes are atomic (a temporary
//! file renamed into place), so a failure never leaves a half-written file.
//!
//! Proving key: `PROOFGATE-PK` magic, a little-endian u32 header length, a JSON header
//! ([`ProvingKeyHeader`]), then the canonical uncompressed `(ProvingKey, R1csMatrices)`. The
//! header's keccak256 of the payload detects corruption before the (unchecked, fast) decoding.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use ark_bn254::{Bn254, Fr};
use ark_groth16::{Proof, ProvingKey, VerifyingKey};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use serde::{Deserialize, Serialize};

use crate::config::{CircuitConfig, FORMAT_VERSION};
use crate::envelope::{self, keccak_hex, EnvelopeHeader};
use crate::serde_fr;
use crate::snark::{check_verifying_key, ProverKey, R1csMatrices};
use crate::statement::Statement;
use crate::Error;

const PK_MAGIC: &[u8] = b"PROOFGATE-PK";

/// Header of a proving-key file.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvingKeyHeader {
    /// Format version.
    pub version: u64,
    /// The circuit's shape.
    pub config: CircuitConfig,
    /// Payload length in bytes.
    pub payload_len: u64,
    /// keccak256 of the payload, hex.
    pub payload_keccak: String,
    /// keccak256 of the verifying key's canonical compressed bytes, hex.
    pub vk_hash: String,
}

impl EnvelopeHeader for ProvingKeyHeader {
    fn envelope(&self) -> (u64, u64, &str) {
        (self.version, self.payload_len, &self.payload_keccak)
    }
}

/// A verifying-key file.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyingKeyFile {
    /// Format version.
    pub version: u64,
    /// The circuit's shape.
    pub config: CircuitConfig,
    /// Number of public inputs.
    pub n_public: usize,
    /// keccak256 of `vk`'s bytes, hex.
    pub vk_hash: String,
    /// The key, canonical compressed, hex.
    pub vk: String,
}

/// A proof file.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofFile {
    /// Format version.
    pub version: u64,
    /// The proof, canonical compressed, hex (A in G1, B in G2, C in G1).
    pub proof: String,
    /// Public inputs in wire order, decimal.
    pub public_inputs: Vec<String>,
    /// The statement the inputs encode.
    pub statement: Statement,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io { path: path.to_path_buf(), source }
}

/// Writes `bytes` to `path` atomically.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp: PathBuf = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(io_err(path))
}

/// keccak256 of a verifying key's canonical compressed bytes (defined once, in
/// [`proofgate_verifier_codegen::key_hash`], which the generated contracts also carry).
pub fn vk_hash(vk: &VerifyingKey<Bn254>) -> Result<String, Error> {
    let hash =
        proofgate_verifier_codegen::key_hash(vk).map_err(|e| Error::InvalidKey(e.to_string()))?;
    Ok(format!("0x{}", hex::encode(hash)))
}

fn to_bytes<T: CanonicalSerialize>(value: &T, compressed: bool) -> Result<Vec<u8>, Error> {
    let mut bytes = Vec::new();
    let result = if compressed {
        value.serialize_compressed(&mut bytes)
    } else {
        value.serialize_uncompressed(&mut bytes)
    };
    result.map_err(|e| Error::Corrupt(format!("serialisation failed: {e}")))?;
    Ok(bytes)
}

fn decode_hex(what: &str, s: &str) -> Result<Vec<u8>, Error> {
    let digits = s
        .strip_prefix("0x")
        .ok_or_else(|| Error::Corrupt(format!("{what} must be 0x-prefixed hex")))?;
    hex::decode(digits).map_err(|e| Error::Corrupt(format!("{what} is not hex: {e}")))
}

/// Encodes a proving key.
pub fn encode_proving_key(key: &ProverKey) -> Result<Vec<u8>, Error> {
    let mut payload = to_bytes(&key.pk, false)?;
    payload.extend(to_bytes(&key.matrices, false)?);
    let header = ProvingKeyHeader {
        version: FORMAT_VERSION,
        config: key.config.clone(),
        payload_len: payload.len() as u64,
        payload_keccak: keccak_hex(&payload),
        vk_hash: vk_hash(&key.pk.vk)?,
    };
    envelope::seal(PK_MAGIC, &header, &payload)
}

/// Decodes a proving key, naming what is wrong with a file that is not one.
pub fn decode_proving_key(bytes: &[u8]) -> Result<ProverKey, Error> {
    let (header, payload): (ProvingKeyHeader, _) = envelope::open(PK_MAGIC, "proving key", bytes)?;
    let mut reader = payload;
    let pk = ProvingKey::<Bn254>::deserialize_uncompressed_unchecked(&mut reader)
        .map_err(|e| Error::Corrupt(format!("proving key payload: {e}")))?;
    let matrices = R1csMatrices::deserialize_uncompressed_unchecked(&mut reader)
        .map_err(|e| Error::Corrupt(format!("proving key matrices: {e}")))?;
    header.config.validate()?;
    check_verifying_key(&pk.vk, &header.config)?;
    Ok(ProverKey { config: header.config, pk, matrices })
}

/// Encodes a verifying-key file.
pub fn encode_verifying_key(
    vk: &VerifyingKey<Bn254>,
    config: &CircuitConfig,
) -> Result<VerifyingKeyFile, Error> {
    let bytes = to_bytes(vk, true)?;
    Ok(VerifyingKeyFile {
        version: FORMAT_VERSION,
        config: config.clone(),
        n_public: vk.gamma_abc_g1.len() - 1,
        vk_hash: vk_hash(vk)?,
        vk: format!("0x{}", hex::encode(bytes)),
    })
}

/// Decodes a verifying-key file: points are checked on the curve and in the subgroup, and the
/// key is refused if it cannot be sound for its circuit.
pub fn decode_verifying_key(file: &VerifyingKeyFile) -> Result<VerifyingKey<Bn254>, Error> {
    if file.version != FORMAT_VERSION {
        return Err(Error::Corrupt(format!("verifying key format version {}", file.version)));
    }
    let bytes = decode_hex("verifying key", &file.vk)?;
    if keccak_hex(&bytes) != file.vk_hash {
        return Err(Error::Corrupt("verifying key does not match its vk_hash".into()));
    }
    let vk = VerifyingKey::<Bn254>::deserialize_compressed(&bytes[..]).map_err(|e| {
        Error::Corrupt(format!("verifying key is not a valid BN254 Groth16 key: {e}"))
    })?;
    file.config.validate()?;
    check_verifying_key(&vk, &file.config)?;
    Ok(vk)
}

/// Encodes a proof file.
pub fn encode_proof(
    proof: &Proof<Bn254>,
    public_inputs: &[Fr],
    statement: &Statement,
) -> Result<ProofFile, Error> {
    Ok(ProofFile {
        version: FORMAT_VERSION,
        proof: format!("0x{}", hex::encode(to_bytes(proof, true)?)),
        public_inputs: public_inputs.iter().map(serde_fr::to_decimal).collect(),
        statement: statement.clone(),
    })
}

/// Decodes a proof file strictly: points on the curve and in the subgroup, inputs below r.
pub fn decode_proof(file: &ProofFile) -> Result<(Proof<Bn254>, Vec<Fr>), Error> {
    if file.version != FORMAT_VERSION {
        return Err(Error::Corrupt(format!("proof format version {}", file.version)));
    }
    let bytes = decode_hex("proof", &file.proof)?;
    let mut reader = &bytes[..];
    let proof = Proof::<Bn254>::deserialize_compressed(&mut reader)
        .map_err(|e| Error::Corrupt(format!("proof is not a valid BN254 Groth16 proof: {e}")))?;
    if !reader.is_empty() {
        return Err(Error::Corrupt(format!("proof has {} trailing bytes", reader.len())));
    }
    let inputs =
        file.public_inputs.iter().map(|s| serde_fr::parse_decimal(s)).collect::<Result<_, _>>()?;
    Ok((proof, inputs))
}

/// Reads a file, naming it in the error.
pub fn read(path: &Path) -> Result<Vec<u8>, Error> {
    fs::read(path).map_err(io_err(path))
}

/// Reads and parses a JSON file, naming the file and the problem.
pub fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, Error> {
    let bytes = read(path)?;
    serde_json::from_slice(&bytes).map_err(|e| Error::Corrupt(format!("{}: {e}", path.display())))
}

/// Writes a value as pretty JSON, atomically.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), Error> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|e| Error::Corrupt(e.to_string()))?;
    bytes.push(b'\n');
    write_atomic(path, &bytes)
}

//! What an imported model file records about its origin, and the hash of the artifacts that
//! governance's registry entry carries.

use serde::{Deserialize, Serialize};
use sha3::{Digest, Keccak256};

use crate::config::CircuitConfig;
use crate::model::Model;
use crate::serde_fr;

/// Domain tag of [`artifacts_hash`].
const ARTIFACTS_DOMAIN: &[u8] = b"proofgate.model-artifacts.v1";

/// The origin of an imported model (the `provenance` field of `model.json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// Where the weights were read from: `"onnx"`.
    pub source: String,
    /// Keccak-256 of the ONNX file, 0x hex.
    pub onnx_keccak256: String,
    /// The architecture in words, e.g. `mlp [16, 32, 16, 1], relu, 8-bit weights`.
    pub architecture: String,
    /// Number of assets of the circuit the model fits (its input width is twice this).
    pub n_assets: usize,
    /// The model commitment, decimal, as statements carry it.
    pub commitment: String,
    /// How the scale was chosen, when `proofgate model calibrate` chose it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration: Option<CalibrationSummary>,
}

/// The calibration's figures, in integers (the model file stays exactly comparable).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalibrationSummary {
    /// Keccak-256 of the sample file, 0x hex.
    pub samples_keccak256: String,
    /// Number of sample feature vectors.
    pub samples: u64,
    /// Samples whose accept/reject decision the quantisation changes.
    pub flips: u64,
    /// The largest |quantised − float| score, in units of 2^-activation_frac_bits, rounded up.
    pub max_abs_error_ulps: u64,
    /// The guaranteed bound on |quantised − float| score inside the samples' bounding box, in
    /// units of 2^-activation_frac_bits, rounded up.
    pub error_bound_ulps: u64,
    /// The score limit the decisions were taken at, at 2^activation_frac_bits.
    pub max_score: i64,
}

pub use crate::envelope::keccak_hex;

/// The architecture string governance's registry records.
pub fn architecture(config: &CircuitConfig) -> String {
    format!("mlp {:?}, relu, {}-bit weights", config.layer_sizes(), config.weight_bits)
}

/// The hash governance's registry entry carries as `artifactsHash`:
/// `keccak256("proofgate.model-artifacts.v1" ‖ keccak256(onnx file) ‖ keccak256(model file))`.
/// It binds the exact ONNX export and the exact quantised model file.
pub fn artifacts_hash(onnx_file: &[u8], model_file: &[u8]) -> [u8; 32] {
    let mut hasher = Keccak256::new();
    hasher.update(ARTIFACTS_DOMAIN);
    hasher.update(Keccak256::digest(onnx_file));
    hasher.update(Keccak256::digest(model_file));
    hasher.finalize().into()
}

/// Everything a registry entry for an imported model needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Artifacts {
    /// Keccak-256 of the ONNX file, 0x hex.
    pub onnx_keccak256: String,
    /// Keccak-256 of the model file, 0x hex.
    pub model_keccak256: String,
    /// [`artifacts_hash`], 0x hex.
    pub artifacts_hash: String,
    /// The architecture string.
    pub architecture: String,
    /// The model commitment, decimal.
    pub commitment: String,
}

impl Artifacts {
    /// The artifacts of `model` (read from `model_file`) imported from `onnx_file`. Fails if the
    /// model does not fit `config`.
    pub fn of(
        config: &CircuitConfig,
        model: &Model,
        onnx_file: &[u8],
        model_file: &[u8],
    ) -> Result<Self, crate::Error> {
        Ok(Self {
            onnx_keccak256: keccak_hex(onnx_file),
            model_keccak256: keccak_hex(model_file),
            artifacts_hash: format!("0x{}", hex::encode(artifacts_hash(onnx_file, model_file))),
            architecture: architecture(config),
            commitment: serde_fr::to_decimal(&model.commitment(config)?),
        })
    }
}

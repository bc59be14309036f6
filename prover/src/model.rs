//! The certified risk model: a fixed-point MLP with ReLU, and its commitment.
//!
//! Layer `l` maps `a` to `ReLU(floor((W·a + b) / 2^weight_frac_bits))`; the last layer has no
//! ReLU and gives the risk score at 2^activation_frac_bits. The commitment is
//! `Poseidon("proofgate.model", header, packed weights, packed biases)` where the header holds the
//! format version, the layer sizes and every scale, so a model cannot be re-read at another
//! architecture or scale under the same commitment.

use ark_bn254::Fr;
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::config::{CircuitConfig, BIAS_BITS, FORMAT_VERSION};
use crate::fixed::{offset_encode, pack};
use crate::poseidon::{hash_with_domain, DOMAIN_MODEL};
use crate::Error;

/// One dense layer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layer {
    /// `weights[out][in]` at 2^weight_frac_bits.
    pub weights: Vec<Vec<i64>>,
    /// `biases[out]` at 2^(activation_frac_bits + weight_frac_bits).
    pub biases: Vec<i64>,
}

/// A quantised model file (`model.json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    /// File format version ([`FORMAT_VERSION`]).
    pub version: u64,
    /// Fractional bits of activations.
    pub activation_frac_bits: u32,
    /// Fractional bits of weights.
    pub weight_frac_bits: u32,
    /// Signed width of every weight.
    pub weight_bits: u32,
    /// Layers from input to output.
    pub layers: Vec<Layer>,
    /// Where the weights came from, for models made by `proofgate model import` (absent from
    /// other files). Not part of the commitment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<crate::onnx::Provenance>,
}

impl Model {
    /// Layer widths from input to output, as read from the weights.
    pub fn layer_sizes(&self) -> Vec<usize> {
        let mut sizes: Vec<usize> = self
            .layers
            .first()
            .map(|l| l.weights.first().map_or(0, Vec::len))
            .into_iter()
            .collect();
        sizes.extend(self.layers.iter().map(|l| l.biases.len()));
        sizes
    }

    /// Checks that the model has the circuit's architecture and every value fits its width.
    pub fn check_against(&self, config: &CircuitConfig) -> Result<(), Error> {
        let mismatch = |what: String| Err(Error::ModelMismatch(what));
        if self.version != FORMAT_VERSION {
            return mismatch(format!(
                "format version {} (expected {FORMAT_VERSION})",
                self.version
            ));
        }
        if self.layer_sizes() != config.layer_sizes() {
            return mismatch(format!(
                "layer sizes {:?}, but the circuit's are {:?}",
                self.layer_sizes(),
                config.layer_sizes()
            ));
        }
        let scales = (self.activation_frac_bits, self.weight_frac_bits, self.weight_bits);
        let expected = (config.activation_frac_bits, config.weight_frac_bits, config.weight_bits);
        if scales != expected {
            return mismatch(format!(
                "(activation_frac_bits, weight_frac_bits, weight_bits) = {scales:?}, circuit has {expected:?}"
            ));
        }
        let sizes = config.layer_sizes();
        for (l, layer) in self.layers.iter().enumerate() {
            if layer.weights.len() != sizes[l + 1]
                || layer.weights.iter().any(|row| row.len() != sizes[l])
            {
                return mismatch(format!(
                    "layer {l} weights are not {}x{}",
                    sizes[l + 1],
                    sizes[l]
                ));
            }
            for (o, row) in layer.weights.iter().enumerate() {
                for (i, &w) in row.iter().enumerate() {
                    if offset_encode(w, self.weight_bits as usize).is_none() {
                        return Err(Error::ValueOutOfRange(format!(
                            "weight [{l}][{o}][{i}] = {w} does not fit {} signed bits",
                            self.weight_bits
                        )));
                    }
                }
            }
            for (o, &b) in layer.biases.iter().enumerate() {
                if offset_encode(b, BIAS_BITS).is_none() {
                    return Err(Error::ValueOutOfRange(format!(
                        "bias [{l}][{o}] = {b} does not fit {BIAS_BITS} signed bits"
                    )));
                }
            }
        }
        Ok(())
    }

    /// The packed fields the commitment absorbs after the header: weights, then biases.
    pub fn commitment_fields(&self) -> Result<Vec<(u64, usize)>, Error> {
        let w = self.weight_bits as usize;
        let mut fields = Vec::new();
        for layer in &self.layers {
            for &weight in layer.weights.iter().flatten() {
                let encoded = offset_encode(weight, w)
                    .ok_or_else(|| Error::ValueOutOfRange(format!("weight {weight}")))?;
                fields.push((encoded, w));
            }
        }
        for layer in &self.layers {
            for &bias in &layer.biases {
                let encoded = offset_encode(bias, BIAS_BITS)
                    .ok_or_else(|| Error::ValueOutOfRange(format!("bias {bias}")))?;
                fields.push((encoded, BIAS_BITS));
            }
        }
        Ok(fields)
    }

    /// The model commitment that governance certifies. Fails if the model does not fit `config`.
    pub fn commitment(&self, config: &CircuitConfig) -> Result<Fr, Error> {
        self.check_against(config)?;
        let mut elements = model_header(config);
        elements.extend(pack(&self.commitment_fields()?));
        Ok(hash_with_domain(DOMAIN_MODEL, &elements))
    }

    /// A random model of the circuit's architecture whose weights are small enough that
    /// activations stay in range for typical portfolios (for tests, benchmarks and demos).
    pub fn random<R: Rng>(config: &CircuitConfig, rng: &mut R) -> Self {
        let sizes = config.layer_sizes();
        // Weights up to a quarter of the range keep activations far inside their bounds.
        let max_weight = (1i64 << (config.weight_bits - 3)).max(1);
        let bias_scale = 1i64 << (config.activation_frac_bits + config.weight_frac_bits - 2);
        let layers = sizes
            .windows(2)
            .map(|pair| Layer {
                weights: (0..pair[1])
                    .map(|_| {
                        (0..pair[0]).map(|_| rng.gen_range(-max_weight..=max_weight)).collect()
                    })
                    .collect(),
                biases: (0..pair[1]).map(|_| rng.gen_range(-bias_scale..=bias_scale)).collect(),
            })
            .collect();
        Self {
            version: FORMAT_VERSION,
            activation_frac_bits: config.activation_frac_bits,
            weight_frac_bits: config.weight_frac_bits,
            weight_bits: config.weight_bits,
            layers,
            provenance: None,
        }
    }
}

/// The commitment's header: format version, layer sizes, scales and widths (constants of the
/// circuit, absorbed before the packed weights).
pub fn model_header(config: &CircuitConfig) -> Vec<Fr> {
    let sizes = config.layer_sizes();
    let mut header = vec![Fr::from(FORMAT_VERSION), Fr::from(sizes.len() as u64)];
    header.extend(sizes.iter().map(|&s| Fr::from(s as u64)));
    header.extend([
        Fr::from(u64::from(config.activation_frac_bits)),
        Fr::from(u64::from(config.weight_frac_bits)),
        Fr::from(u64::from(config.weight_bits)),
        Fr::from(BIAS_BITS as u64),
    ]);
    header
}

/// Widths of the model's packed fields for `config` (weights then biases).
pub fn model_field_widths(config: &CircuitConfig) -> Vec<usize> {
    let sizes = config.layer_sizes();
    let n_weights: usize = sizes.windows(2).map(|p| p[0] * p[1]).sum();
    let n_biases: usize = sizes[1..].iter().sum();
    let mut widths = vec![config.weight_bits as usize; n_weights];
    widths.extend(std::iter::repeat_n(BIAS_BITS, n_biases));
    widths
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn the_commitment_binds_weights_architecture_and_scale() {
        let config = CircuitConfig::with_assets(2);
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let model = Model::random(&config, &mut rng);
        let commitment = model.commitment(&config).expect("fits");
        let mut tweaked = model.clone();
        tweaked.layers[0].weights[0][0] ^= 1;
        assert_ne!(tweaked.commitment(&config).expect("fits"), commitment);
        let rescaled = CircuitConfig { weight_frac_bits: 7, ..config.clone() };
        let mut model7 = model.clone();
        model7.weight_frac_bits = 7;
        assert_ne!(model7.commitment(&rescaled).expect("fits"), commitment);
        assert_eq!(model_field_widths(&config).len(), model.commitment_fields().expect("ok").len());
    }

    #[test]
    fn a_model_of_another_shape_or_range_is_refused() {
        let config = CircuitConfig::with_assets(2);
        let mut rng = rand::rngs::StdRng::seed_from_u64(2);
        let model = Model::random(&config, &mut rng);
        assert!(matches!(
            model.check_against(&CircuitConfig::with_assets(3)),
            Err(Error::ModelMismatch(_))
        ));
        let mut big = model.clone();
        big.layers[1].weights[0][0] = 1 << 10;
        assert!(matches!(big.check_against(&config), Err(Error::ValueOutOfRange(_))));
    }
}

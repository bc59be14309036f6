//! The fixed-point MLP in the circuit: per neuron one product per weight, a rescale with a
//! witnessed quotient and remainder, and ReLU from the quotient's sign bit.

use ark_bn254::Fr;
use ark_r1cs_std::prelude::*;
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};

use super::gadgets::{decode_signed, enforce_bits, enforce_signed_bits, pow2, witness, Fp};
use crate::config::{CircuitConfig, ACTIVATION_BITS, BIAS_BITS};
use crate::reference::Trace;

/// Evaluates the model on `features`; `model_fields` are the committed (offset-encoded) weights
/// then biases. Returns the score.
pub(crate) fn synthesize(
    cs: &ConstraintSystemRef<Fr>,
    config: &CircuitConfig,
    model_fields: &[Fp],
    features: Vec<Fp>,
    trace: Option<&Trace>,
) -> Result<Fp, SynthesisError> {
    let sizes = config.layer_sizes();
    let weight_bits = config.weight_bits as usize;
    let frac_w = config.weight_frac_bits as usize;
    let n_weights: usize = sizes.windows(2).map(|p| p[0] * p[1]).sum();
    let (mut weights, mut biases) =
        (model_fields[..n_weights].iter(), model_fields[n_weights..].iter());
    let n_layers = sizes.len() - 1;
    let mut activations = features;
    for l in 0..n_layers {
        let last = l + 1 == n_layers;
        let layer_trace = trace.map(|t| &t.layers[l]);
        let mut outputs = Vec::with_capacity(sizes[l + 1]);
        for neuron in 0..sizes[l + 1] {
            let mut acc = Fp::zero();
            for a in &activations {
                let w = weights.next().ok_or(SynthesisError::Unsatisfiable)?;
                acc += decode_signed(w, weight_bits) * a;
            }
            let bias = biases.next().ok_or(SynthesisError::Unsatisfiable)?;
            acc += decode_signed(bias, BIAS_BITS);

            // acc = q·2^Fw + r, 0 <= r < 2^Fw, |q| < 2^(A-1): q = floor(acc / 2^Fw)
            let q = witness(cs, layer_trace.map(|t| &t.quotients[neuron]))?;
            let r = witness(cs, layer_trace.map(|t| &t.remainders[neuron]))?;
            enforce_bits(&r, frac_w)?;
            (&q * pow2(frac_w) + &r).enforce_equal(&acc)?;
            let q_bits = enforce_signed_bits(&q, ACTIVATION_BITS)?;
            if last {
                outputs.push(q);
            } else {
                // out = q if q >= 0 else 0; the sign is q's range-check bit, not a free witness.
                let non_negative = Fp::from(q_bits[ACTIVATION_BITS - 1].clone());
                let out = witness(cs, layer_trace.map(|t| &t.outputs[neuron]))?;
                non_negative.mul_equals(&q, &out)?;
                outputs.push(out);
            }
        }
        activations = outputs;
    }
    activations.pop().ok_or(SynthesisError::Unsatisfiable)
}

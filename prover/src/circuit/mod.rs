//! The risk circuit: "the certified model, evaluated on the portfolio this trade leaves, scores
//! within the limit, the portfolio satisfies every hard risk limit, and the trade receives at
//! least `value_in · (1 - max_slippage)` at the vault's oracle prices".
//!
//! Public inputs follow [`crate::statement`]'s layout. The private witness is the model, the
//! risk parameters and the trace of [`crate::reference::evaluate`]; the circuit recomputes
//! everything else and enforces exactly the reference's checks, so it is satisfiable iff the
//! reference reports no violation.

pub mod gadgets;
mod mlp;
mod portfolio;

use ark_bn254::Fr;
use ark_r1cs_std::prelude::*;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};

use crate::config::*;
use crate::model::{model_field_widths, model_header, Model};
use crate::poseidon::{DOMAIN_MODEL, DOMAIN_RISK_PARAMS};
use crate::reference::Trace;
use crate::risk_params::{params_field_widths, params_header, RiskParams};
use crate::statement::{statement_field_widths, Statement};
use gadgets::{alloc_packed, decode_signed, hash_with_domain, Fp};

/// The prover's private inputs, with the statement they prove.
#[derive(Clone, Debug)]
pub struct Assignment {
    /// The certified model.
    pub model: Model,
    /// The risk parameters' preimage.
    pub params: RiskParams,
    /// The public statement.
    pub statement: Statement,
    /// The reference's trace.
    pub trace: Trace,
}

/// The risk circuit for one [`CircuitConfig`]; without an assignment it only has a shape (for
/// key generation).
#[derive(Clone, Debug)]
pub struct RiskCircuit {
    /// The circuit's shape.
    pub config: CircuitConfig,
    /// The witness, if proving.
    pub assignment: Option<Assignment>,
}

impl RiskCircuit {
    /// A circuit with no witness, for setup.
    pub fn shape(config: CircuitConfig) -> Self {
        Self { config, assignment: None }
    }

    /// A circuit with a witness, for proving.
    pub fn with_assignment(config: CircuitConfig, assignment: Assignment) -> Self {
        Self { config, assignment: Some(assignment) }
    }
}

/// The risk parameters as circuit variables.
pub(crate) struct ParamsVars {
    pub min_health_factor: Fp,
    pub max_leverage: Fp,
    pub max_concentration: Fp,
    pub var_limit: Fp,
    pub var_multiplier: Fp,
    pub max_score: Fp,
    pub max_slippage: Fp,
    pub liquidation_thresholds: Vec<Fp>,
    /// Full symmetric matrix, built from the committed upper triangle.
    pub covariance: Vec<Vec<Fp>>,
}

/// Constraints per component, in synthesis order.
pub type Breakdown = Vec<(&'static str, usize)>;

/// The [`Breakdown`] component of the execution-price bound (the last one synthesised).
pub const EXECUTION_PRICE: &str = "execution-price bound";

impl ConstraintSynthesizer<Fr> for RiskCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        self.synthesize(cs).map(|_| ())
    }
}

impl RiskCircuit {
    /// Synthesises the circuit and reports the constraints each component added.
    pub fn synthesize(self, cs: ConstraintSystemRef<Fr>) -> Result<Breakdown, SynthesisError> {
        let mut breakdown = Breakdown::new();
        let mut checkpoint = |name: &'static str| {
            let before: usize = breakdown.iter().map(|(_, c)| c).sum();
            breakdown.push((name, cs.num_constraints() - before));
        };
        let config = &self.config;
        config.validate().map_err(|_| SynthesisError::Unsatisfiable)?;
        let a = self.assignment.as_ref();
        let n = config.n_assets;

        // Public inputs, in wire order.
        let statement_widths = statement_field_widths(config);
        let statement_fields =
            a.map(|a| a.statement.fields().iter().map(|f| f.0).collect::<Vec<_>>());
        let inputs_native = match a {
            Some(a) => {
                Some(a.statement.public_inputs(config).map_err(|_| SynthesisError::Unsatisfiable)?)
            }
            None => None,
        };
        let n_packed = crate::fixed::packed_len(&statement_widths);
        let inputs = (0..n_packed + 3)
            .map(|k| {
                Fp::new_input(cs.clone(), || {
                    inputs_native.as_ref().map(|v| v[k]).ok_or(SynthesisError::AssignmentMissing)
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let (packed, fields) = alloc_packed(&cs, &statement_widths, statement_fields.as_deref())?;
        for (element, input) in packed.iter().zip(&inputs) {
            element.enforce_equal(input)?;
        }
        // The binding only needs to be part of the statement; squaring it makes it a constraint.
        let _ = inputs[n_packed].square()?;
        checkpoint("public inputs");

        // The model and the risk parameters, recommitted from their private preimages.
        let model_fields = a.map(|a| a.model.commitment_fields());
        let model_vars = recommit(
            &cs,
            DOMAIN_MODEL,
            &model_header(config),
            &model_field_widths(config),
            model_fields,
            &inputs[n_packed + 1],
        )?;
        checkpoint("model commitment");
        let params_fields = a.map(|a| a.params.commitment_fields());
        let p = recommit(
            &cs,
            DOMAIN_RISK_PARAMS,
            &params_header(config),
            &params_field_widths(config),
            params_fields,
            &inputs[n_packed + 2],
        )?;
        checkpoint("risk-parameter commitment");
        let upper = &p[7 + n..];
        // Full symmetric matrix from the committed upper triangle (row i holds columns i..n).
        let mut upper = upper.iter().map(|c| decode_signed(c, COV_BITS));
        let rows: Vec<Vec<Fp>> = (0..n).map(|i| upper.by_ref().take(n - i).collect()).collect();
        let covariance: Vec<Vec<Fp>> = (0..n)
            .map(|i| {
                (0..n)
                    .map(|j| if j >= i { rows[i][j - i].clone() } else { rows[j][i - j].clone() })
                    .collect()
            })
            .collect();
        let params = ParamsVars {
            min_health_factor: p[0].clone(),
            max_leverage: p[1].clone(),
            max_concentration: p[2].clone(),
            var_limit: p[3].clone(),
            var_multiplier: p[4].clone(),
            max_score: decode_signed(&p[5], ACTIVATION_BITS),
            max_slippage: p[6].clone(),
            liquidation_thresholds: p[7..7 + n].to_vec(),
            covariance,
        };

        let trace = a.map(|a| &a.trace);
        let portfolio = portfolio::synthesize(&cs, config, &fields, &params, trace)?;
        checkpoint("portfolio and features");
        let score = mlp::synthesize(&cs, config, &model_vars, portfolio.features.clone(), trace)?;
        checkpoint("model (MLP)");
        portfolio::enforce_limits(&portfolio, &params, &score)?;
        checkpoint("hard checks");
        portfolio::enforce_execution_price(&portfolio, &params)?;
        checkpoint(EXECUTION_PRICE);
        Ok(breakdown)
    }
}

/// Allocates a preimage's packed fields (range-checked bits), hashes them under `tag` after the
/// constant `header`, enforces the hash equals the public `commitment`, and returns the fields.
fn recommit(
    cs: &ConstraintSystemRef<Fr>,
    tag: &str,
    header: &[Fr],
    widths: &[usize],
    fields: Option<Result<Vec<(u64, usize)>, crate::Error>>,
    commitment: &Fp,
) -> Result<Vec<Fp>, SynthesisError> {
    let values = match fields {
        Some(fields) => Some(
            fields
                .map_err(|_| SynthesisError::Unsatisfiable)?
                .iter()
                .map(|f| f.0)
                .collect::<Vec<_>>(),
        ),
        None => None,
    };
    let (packed, vars) = alloc_packed(cs, widths, values.as_deref())?;
    hash_with_domain(cs, tag, header, &packed)?.enforce_equal(commitment)?;
    Ok(vars)
}

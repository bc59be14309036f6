//! `proofgate inspect`: a circuit's constraints, public-input layout and keys.
//!
//! The public-input layout is derived, not written out: field names come from probing
//! [`Statement::fields`] with a distinct marker per field, slots from [`pack_layout`] of
//! [`statement_field_widths`], and the positions of the binding and the commitments from
//! probing [`Statement::public_inputs`].

use std::path::PathBuf;

use anyhow::{anyhow, bail, Context, Result};
use ark_bn254::Fr;
use clap::Args;
use proofgate_prover::config::FORMAT_VERSION;
use proofgate_prover::fixed::{pack_layout, packed_len};
use proofgate_prover::statement::statement_field_widths;
use proofgate_prover::{snark, Binding, CircuitConfig, Statement, Trade};
use serde::Serialize;
use serde_json::json;

use super::{describe_config, CircuitArgs};
use crate::io;
use crate::ui;

/// Show a circuit's constraint count per component, every public input (index, what it holds,
/// which fields at which bits) and, given keys, their sizes and the verifying key's hash.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Keys directory written by `setup` (the circuit is read from its verifying key).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["assets", "config"])]
    pub keys: Option<PathBuf>,
    /// The circuit, when no keys are given.
    #[command(flatten)]
    pub circuit: CircuitArgs,
}

/// A statement field inside a packed public input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldSlot {
    /// The statement field, e.g. `holdings[3]`.
    pub field: String,
    /// Lowest bit.
    pub offset: usize,
    /// Width in bits.
    pub bits: usize,
}

/// One public input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicInput {
    /// Position in wire order.
    pub index: usize,
    /// What it holds.
    pub holds: String,
    /// The packed statement fields, little-endian from bit 0 (empty for a whole-element input).
    pub fields: Vec<FieldSlot>,
}

/// A statement whose every packed field holds a distinct marker, with the markers' names.
fn probe_statement(n: usize) -> (Statement, Vec<(u64, String)>) {
    let mut names = Vec::new();
    let holdings: Vec<u64> = (0..n as u64).map(|k| 1_000 + k).collect();
    let debts: Vec<u64> = (0..n as u64).map(|k| 2_000 + k).collect();
    names.extend(holdings.iter().enumerate().map(|(k, &v)| (v, format!("holdings[{k}]"))));
    names.extend(debts.iter().enumerate().map(|(k, &v)| (v, format!("debts[{k}]"))));
    let trade = Trade { sell_asset: 101, buy_asset: 102, value_in: 3_001, value_out: 3_002 };
    names.extend([
        (3_001, "trade.value_in".to_string()),
        (3_002, "trade.value_out".to_string()),
        (101, "trade.sell_asset".to_string()),
        (102, "trade.buy_asset".to_string()),
    ]);
    let statement = Statement {
        version: FORMAT_VERSION,
        holdings,
        debts,
        trade,
        binding: Binding {
            agent: [0xa1; 20],
            vault: [0xb2; 20],
            chain_id: 1,
            nonce: 2,
            deadline: 3,
        },
        model_commitment: -Fr::from(1u64),
        params_commitment: -Fr::from(2u64),
    };
    (statement, names)
}

/// Every public input of the circuit, in wire order.
pub fn public_input_layout(config: &CircuitConfig) -> Result<Vec<PublicInput>> {
    let (probe, names) = probe_statement(config.n_assets);
    let widths = statement_field_widths(config);
    let fields = probe.fields();
    if fields.iter().map(|f| f.1).collect::<Vec<_>>() != widths {
        bail!("the statement's fields do not have the layout's widths (a library inconsistency)");
    }
    let slots = pack_layout(&widths);
    let n_packed = packed_len(&widths);
    let mut layout: Vec<PublicInput> = (0..n_packed)
        .map(|index| PublicInput {
            index,
            holds: "packed statement fields".into(),
            fields: Vec::new(),
        })
        .collect();
    for (&(value, _), slot) in fields.iter().zip(&slots) {
        let name = names
            .iter()
            .find(|(marker, _)| *marker == value)
            .map(|(_, name)| name.clone())
            .ok_or_else(|| anyhow!("statement field with value {value} has no name"))?;
        layout[slot.element].fields.push(FieldSlot {
            field: name,
            offset: slot.offset,
            bits: slot.bits,
        });
    }
    let inputs = probe.public_inputs(config)?;
    let whole = [
        (
            probe.binding.hash(),
            "binding: keccak256(abi.encode(agent, vault, chainId, nonce, deadline)) & (2^253 - 1)",
        ),
        (probe.model_commitment, "model_commitment: Poseidon commitment of the certified model"),
        (probe.params_commitment, "params_commitment: Poseidon commitment of the risk parameters"),
    ];
    for (value, holds) in whole {
        let index = inputs.iter().position(|i| *i == value).ok_or_else(|| {
            anyhow!("{holds} is not among the public inputs (a library inconsistency)")
        })?;
        layout.push(PublicInput { index, holds: holds.into(), fields: Vec::new() });
    }
    layout.sort_by_key(|p| p.index);
    if layout.iter().enumerate().any(|(i, p)| p.index != i) || layout.len() != inputs.len() {
        bail!(
            "the public-input layout does not cover the inputs exactly (a library inconsistency)"
        );
    }
    Ok(layout)
}

impl InspectArgs {
    /// Prints the report.
    pub fn run(self) -> Result<()> {
        let (config, keys) = match &self.keys {
            Some(dir) => {
                let (config, keys) = inspect_keys(dir)?;
                (config, Some(keys))
            }
            None => (self.circuit.to_config()?, None),
        };
        let (breakdown, synth_s) =
            ui::timed("synthesising the circuit", || snark::constraint_breakdown(&config));
        let breakdown = breakdown.context("cannot synthesise the circuit")?;
        let constraints: usize = breakdown.iter().map(|(_, c)| c).sum();
        let layout = public_input_layout(&config)?;
        let components: Vec<_> = breakdown
            .iter()
            .map(|(name, c)| json!({ "component": name, "constraints": c }))
            .collect();
        ui::emit(
            &json!({
                "config": config,
                "layer_sizes": config.layer_sizes(),
                "constraints": constraints,
                "constraint_breakdown": components,
                "public_inputs": layout,
                "keys": keys,
                "synthesis_s": synth_s,
            }),
            || human(&config, constraints, &breakdown, &layout, keys.as_ref()),
        )
    }
}

fn human(
    config: &CircuitConfig,
    constraints: usize,
    breakdown: &[(&str, usize)],
    layout: &[PublicInput],
    keys: Option<&serde_json::Value>,
) -> String {
    let mut out = format!("circuit: {}\nconstraints: {constraints}\n", describe_config(config));
    for (name, c) in breakdown {
        let share = 100.0 * *c as f64 / constraints.max(1) as f64;
        out += &format!("  {name:<28}{c:>9}  {share:5.1} %\n");
    }
    out += &format!("public inputs ({}), in wire order:\n", layout.len());
    for input in layout {
        out += &format!("  [{}] {}\n", input.index, input.holds);
        for f in &input.fields {
            out += &format!("        bits {:>3}..{:<3} {}\n", f.offset, f.offset + f.bits, f.field);
        }
    }
    if let Some(keys) = keys {
        out += &format!("keys:\n{}\n", serde_json::to_string_pretty(keys).unwrap_or_default());
    }
    out
}

/// Reads a keys directory: the circuit, the files' sizes and the vk hash; checks that the
/// proving key (if present) belongs to the verifying key.
fn inspect_keys(dir: &std::path::Path) -> Result<(CircuitConfig, serde_json::Value)> {
    let vk_path = dir.join(io::VERIFYING_KEY);
    let (vk_file, _) = io::load_verifying_key(&vk_path)?;
    let size = |p: &std::path::Path| std::fs::metadata(p).map(|m| m.len()).ok();
    let pk_path = dir.join(io::PROVING_KEY);
    let pk_bytes = size(&pk_path);
    if pk_bytes.is_some() {
        let (key, _) = ui::timed("loading the proving key", || io::load_proving_key(&pk_path));
        let key = key?;
        if key.config != vk_file.config
            || proofgate_prover::files::vk_hash(&key.pk.vk)? != vk_file.vk_hash
        {
            bail!("{} and {} are not from the same setup", pk_path.display(), vk_path.display());
        }
    }
    let keys = json!({
        "dir": dir,
        "proving_key_bytes": pk_bytes,
        "verifying_key_file_bytes": size(&vk_path),
        "verifying_key_bytes": (vk_file.vk.len() - 2) / 2,
        "vk_hash": vk_file.vk_hash,
        "n_public": vk_file.n_public,
    });
    Ok((vk_file.config, keys))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eight_assets_pack_into_five_inputs_then_binding_and_commitments() {
        let layout = public_input_layout(&CircuitConfig::default()).expect("layout");
        assert_eq!(layout.len(), 8);
        assert_eq!(
            layout[0].fields[0],
            FieldSlot { field: "holdings[0]".into(), offset: 0, bits: 63 }
        );
        assert_eq!(layout[2].fields[0].field, "debts[0]");
        let last_packed = &layout[4].fields;
        assert_eq!(
            last_packed.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(),
            ["trade.value_in", "trade.value_out", "trade.sell_asset", "trade.buy_asset"]
        );
        assert!(layout[5].holds.starts_with("binding"));
        assert!(layout[6].holds.starts_with("model_commitment"));
        assert!(layout[7].holds.starts_with("params_commitment"));
    }

    #[test]
    fn every_supported_asset_count_has_a_complete_layout() {
        for n in 2..=16 {
            let config = CircuitConfig::with_assets(n);
            let layout = public_input_layout(&config).expect("layout");
            let fields: usize = layout.iter().map(|p| p.fields.len()).sum();
            assert_eq!(fields, 2 * n + 4);
        }
    }
}

//! Bring your own model: ONNX files trained and exported by `scripts/train_risk_model.py`
//! (committed under `tests/fixtures/onnx/`, so no Python is needed) are imported, calibrated
//! and checked end to end on two architectures: the circuit's score equals the native
//! reference's exactly, and stays within the calibration's reported error of the float model
//! (run by tract) on held-out inputs. Truncated files, convolutions and wrong input widths are
//! refused with typed errors naming the node or the width, and nothing is written.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ark_bn254::Fr;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};
use num_bigint::BigInt;
use proofgate_prover::circuit::{Assignment, RiskCircuit};
use proofgate_prover::config::{FORMAT_VERSION, VALUE_SCALE};
use proofgate_prover::onnx::{self, CalibrateOptions, Calibration, ImportError, Scale};
use proofgate_prover::{evaluate, Binding, CircuitConfig, RiskParams, Statement, Trade};
use serde_json::Value;
use tempfile::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_proofgate");
/// The demo circuit's model (8 assets, [32, 16]) and a deeper Gemm export (4 assets, [12, 8, 4]).
const MODELS: [&str; 2] = ["risk_mlp_8a", "risk_mlp_4a_gemm"];

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/onnx").join(name)
}

fn bytes(name: &str) -> Vec<u8> {
    fs::read(fixture(name)).expect("fixture")
}

/// The script's record of a model: asset count, hidden layers and the score limit.
fn manifest(model: &str) -> Value {
    let all: Value = serde_json::from_slice(&bytes("models.json")).expect("models.json");
    all[model].clone()
}

fn n_assets(model: &str) -> usize {
    manifest(model)["n_assets"].as_u64().expect("n_assets") as usize
}

fn limit(model: &str) -> f64 {
    manifest(model)["limit"].as_f64().expect("limit")
}

fn calibrated(model: &str) -> Calibration {
    let options = CalibrateOptions {
        n_assets: n_assets(model),
        weight_bits: 8,
        fixed_scale: None,
        limit: limit(model),
    };
    let samples = bytes(&format!("calibration_{model}.csv"));
    onnx::calibrate(&bytes(&format!("{model}.onnx")), &samples, &options).expect("calibrates")
}

/// A statement whose post-trade net exposures are `exposures` (a zero trade) and parameters
/// loose enough that only the score limit binds; `max_score` is set by the caller.
fn statement_for(config: &CircuitConfig, exposures: &[i128]) -> (Statement, RiskParams) {
    let holdings = exposures.iter().map(|&x| x.max(0) as u64).collect();
    let debts = exposures.iter().map(|&x| (-x).max(0) as u64).collect();
    let mut params = RiskParams::typical(config);
    params.min_health_factor_bps = 0;
    params.max_leverage_bps = (1 << 24) - 1;
    params.max_concentration_bps = 10_000;
    params.var_limit_bps = (1 << 16) - 1;
    params.var_multiplier = 1;
    let statement = Statement {
        version: FORMAT_VERSION,
        holdings,
        debts,
        trade: Trade { sell_asset: 0, buy_asset: 1, value_in: 0, value_out: 0 },
        binding: Binding { agent: [1; 20], vault: [2; 20], chain_id: 1, nonce: 0, deadline: 1 },
        model_commitment: Default::default(),
        params_commitment: Default::default(),
    };
    (statement, params)
}

/// The features of net exposures `x` as real numbers (reference.rs's, without rounding).
fn float_features(x: &[i128], covariance: &[Vec<i64>]) -> Vec<f64> {
    let x: Vec<f64> = x.iter().map(|&v| v as f64).collect();
    let gross: f64 = x.iter().map(|v| v.abs()).sum();
    let rows: Vec<f64> =
        covariance.iter().map(|row| row.iter().zip(&x).map(|(&c, v)| c as f64 * v).sum()).collect();
    let variance: f64 = x.iter().zip(&rows).map(|(a, b)| a * b).sum();
    let weights = x.iter().map(|v| v / gross);
    weights.chain(x.iter().zip(&rows).map(|(v, r)| v * r / variance)).collect()
}

fn circuit_satisfied(config: &CircuitConfig, assignment: Assignment) -> bool {
    let cs = ConstraintSystem::<Fr>::new_ref();
    RiskCircuit::with_assignment(config.clone(), assignment)
        .generate_constraints(cs.clone())
        .expect("synthesise");
    cs.is_satisfied().expect("evaluate")
}

/// Import, then on held-out portfolios: the circuit accepts the reference's score as the limit
/// and refuses one unit less (so its score is the reference's exactly), and the score is within
/// the calibration's reported error of the float model.
fn round_trip(model_name: &str, circuit_checks: usize) {
    let calibration = calibrated(model_name);
    let (config, model) = (&calibration.config, &calibration.model);
    assert_eq!(
        config.hidden_layers,
        manifest(model_name)["hidden_layers"]
            .as_array()
            .expect("hidden")
            .iter()
            .map(|w| w.as_u64().expect("width") as usize)
            .collect::<Vec<_>>()
    );
    let reported = calibration.measurement.error_bound;
    let calibration_samples =
        onnx::parse_samples(&bytes(&format!("calibration_{model_name}.csv")), config.n_features())
            .expect("samples");
    let inside = |f: &[f64]| {
        (0..f.len()).all(|i| {
            let column = calibration_samples.iter().map(|s| s[i]);
            let (lo, hi) =
                column.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
            (lo..=hi).contains(&f[i])
        })
    };
    let mut inside_box = 0;
    let heldout =
        onnx::parse_samples(&bytes(&format!("heldout_{model_name}.csv")), config.n_features())
            .expect("samples");
    let n = config.n_assets;
    let one = (2.0f64).powi(config.activation_frac_bits as i32);
    let (mut checked, mut worst) = (0, 0.0f64);
    let mlp = onnx::read_onnx(&bytes(&format!("{model_name}.onnx"))).expect("reads");
    for features in &heldout {
        // A $1M book with these portfolio weights.
        let exposures: Vec<i128> =
            features[..n].iter().map(|f| (f * 1e6 * VALUE_SCALE as f64).round() as i128).collect();
        let (mut statement, mut params) = statement_for(config, &exposures);
        statement.model_commitment = model.commitment(config).expect("fits");
        params.max_score = (1 << 30) - 1;
        statement.params_commitment = params.commitment(config).expect("fits");
        let evaluation = evaluate(config, model, &params, &statement).expect("well-formed");
        if !evaluation.passes() {
            continue; // a book with no equity, or a near-perfect hedge: no proof either way
        }
        let score = evaluation.metrics.score.clone();
        let exact = float_features(&exposures, &params.covariance);
        let float = onnx::float_scores(
            &bytes(&format!("{model_name}.onnx")),
            &mlp,
            std::slice::from_ref(&exact),
        )
        .expect("runs")[0];
        let quantised: f64 = score.to_string().parse::<f64>().expect("number") / one;
        if inside(&exact) {
            worst = worst.max((quantised - float).abs());
            inside_box += 1;
        }
        if checked < circuit_checks {
            params.max_score = i64::try_from(&score).expect("small");
            statement.params_commitment = params.commitment(config).expect("fits");
            let at = evaluate(config, model, &params, &statement).expect("ok");
            assert!(at.passes(), "{:?}", at.violations);
            let assignment = |p: &RiskParams, s: &Statement, t| Assignment {
                model: model.clone(),
                params: p.clone(),
                statement: s.clone(),
                trace: t,
            };
            assert!(circuit_satisfied(config, assignment(&params, &statement, at.trace.clone())));
            params.max_score -= 1;
            statement.params_commitment = params.commitment(config).expect("fits");
            assert!(!circuit_satisfied(config, assignment(&params, &statement, at.trace.clone())));
            let mut tampered = at.trace;
            let last = tampered.layers.last_mut().expect("layers");
            last.quotients[0] += BigInt::from(1);
            last.outputs[0] += BigInt::from(1);
            params.max_score += 2;
            statement.params_commitment = params.commitment(config).expect("fits");
            assert!(!circuit_satisfied(config, assignment(&params, &statement, tampered)));
        }
        checked += 1;
    }
    assert!(
        checked >= heldout.len() * 3 / 4,
        "{checked} of {} held-out books usable",
        heldout.len()
    );
    assert!(checked >= circuit_checks);
    assert!(inside_box >= checked / 2, "{inside_box} of {checked} inside the calibration range");
    eprintln!(
        "{model_name}: held-out max error {worst:.5} ({inside_box} books), reported bound {reported:.5}, sampled max {:.5}",
        calibration.measurement.max_abs_error
    );
    assert!(
        worst <= reported,
        "{model_name}: held-out error {worst} above the reported {reported}"
    );
}

#[test]
fn the_demo_architecture_round_trips_exactly_and_within_the_reported_error() {
    assert_eq!(n_assets(MODELS[0]), CircuitConfig::default().n_assets);
    round_trip(MODELS[0], 3);
}

#[test]
fn a_deeper_gemm_export_round_trips_exactly_and_within_the_reported_error() {
    round_trip(MODELS[1], 6);
}

#[test]
fn calibration_reports_small_errors_and_few_flips_on_both_architectures() {
    for name in MODELS {
        let c = calibrated(name);
        let m = &c.measurement;
        eprintln!(
            "{name}: scale {:?}, max error {:.4}, mean error {:.4}, flips {}/{} at limit {}",
            m.scale,
            m.max_abs_error,
            m.mean_abs_error,
            m.flips,
            m.samples,
            limit(name)
        );
        assert!(m.mean_abs_error < 0.5 && m.max_abs_error < 2.0, "{name}: {m:?}");
        c.certify(0.05).expect("at most 5 % of decisions flip");
        let provenance = c.model.provenance.as_ref().expect("provenance");
        assert_eq!(
            provenance.onnx_keccak256,
            onnx::provenance::keccak_hex(&bytes(&format!("{name}.onnx")))
        );
        assert_eq!(provenance.calibration.as_ref().expect("summary").flips, m.flips as u64);
    }
}

#[test]
fn the_demo_model_fits_the_default_circuit() {
    let scale = Scale::of(&CircuitConfig::default());
    let (model, config) =
        onnx::import(&bytes("risk_mlp_8a.onnx"), 8, scale).expect("fits the default circuit");
    assert_eq!(config, CircuitConfig::default());
    model.check_against(&config).expect("fits");
}

#[test]
fn a_truncated_file_a_convolution_and_a_wrong_width_are_typed_errors() {
    let good = bytes("risk_mlp_8a.onnx");
    let truncated = onnx::read_onnx(&good[..good.len() / 2]);
    assert!(matches!(truncated, Err(ImportError::Decode(_))), "{truncated:?}");
    match onnx::read_onnx(&bytes("conv.onnx")) {
        Err(ImportError::UnsupportedOperator { node, op }) => {
            assert_eq!(op, "Conv");
            assert!(node.contains("/conv/Conv"), "{node}");
        }
        other => panic!("a convolution was not refused: {other:?}"),
    }
    let scale = Scale::of(&CircuitConfig::default());
    match onnx::import(&bytes("risk_mlp_4a_gemm.onnx"), 8, scale) {
        Err(ImportError::InputWidth { width, expected, .. }) => {
            assert_eq!((width, expected), (8, 16))
        }
        other => panic!("a wrong width was not refused: {other:?}"),
    }
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("the proofgate binary runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn the_cli_refuses_bad_files_and_writes_nothing() {
    let dir = TempDir::new().expect("tempdir");
    let good = bytes("risk_mlp_8a.onnx");
    let truncated = dir.path().join("truncated.onnx");
    fs::write(&truncated, &good[..good.len() - 100]).expect("write");
    let out = dir.path().join("model.json");
    let cases: [(PathBuf, &str, &[&str]); 3] = [
        (truncated, "8", &["truncated or corrupt"]),
        (fixture("conv.onnx"), "8", &["Conv", "/conv/Conv"]),
        (fixture("risk_mlp_4a_gemm.onnx"), "8", &["takes 8 features", "16"]),
    ];
    for (onnx_path, assets, expected) in cases {
        let result = run(&["model", "import", s(&onnx_path), "--assets", assets, "--out", s(&out)]);
        assert_eq!(result.status.code(), Some(2), "{}", stderr(&result));
        for needle in expected {
            assert!(stderr(&result).contains(needle), "{needle:?} not in {}", stderr(&result));
        }
        assert!(!out.exists(), "{} was written", out.display());
    }
    assert_eq!(fs::read_dir(dir.path()).expect("dir").count(), 1, "only the truncated input");
}

#[test]
fn calibrate_refuses_above_the_flip_rate_and_certifies_below_it() {
    let dir = TempDir::new().expect("tempdir");
    let onnx_path = fixture("risk_mlp_4a_gemm.onnx");
    let samples = fixture("calibration_risk_mlp_4a_gemm.csv");
    let limit = limit("risk_mlp_4a_gemm").to_string();
    // A coarse circuit (activations at 2^-2, weights at 2^-1) flips many decisions.
    let coarse = dir.path().join("coarse.json");
    let config = CircuitConfig {
        n_assets: 4,
        hidden_layers: vec![12, 8, 4],
        activation_frac_bits: 2,
        weight_frac_bits: 1,
        weight_bits: 8,
    };
    fs::write(&coarse, serde_json::to_vec(&config).expect("json")).expect("write");
    let out = dir.path().join("model.json");
    let common = ["model", "calibrate", s(&onnx_path), "--samples", s(&samples), "--out", s(&out)];
    let refused = run(&[&common[..], &["--config", s(&coarse), "--limit", &limit]].concat());
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("not certifiable"), "{}", stderr(&refused));
    assert!(!out.exists());

    let circuit = dir.path().join("circuit.json");
    let ok = run(&[
        &common[..],
        &["--assets", "4", "--limit", &limit, "--max-flip-rate", "0.05"],
        &["--circuit-out", s(&circuit), "--json"],
    ]
    .concat());
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    let report: Value = serde_json::from_slice(&ok.stdout).expect("json report");
    assert!(report["certifiable"].as_bool().expect("bool"));
    assert!(report["max_abs_error"].as_f64().expect("error") > 0.0);

    // The commitment and the registry's artifacts hash of what was written.
    let commit = run(&["model", "commit", "--model", s(&out), "--onnx", s(&onnx_path), "--json"]);
    assert_eq!(commit.status.code(), Some(0), "{}", stderr(&commit));
    let printed: Value = serde_json::from_slice(&commit.stdout).expect("json");
    let model_file = fs::read(&out).expect("model");
    let expected = onnx::artifacts_hash(&bytes("risk_mlp_4a_gemm.onnx"), &model_file);
    assert_eq!(printed["artifacts_hash"], format!("0x{}", hex::encode(expected)));
    assert_eq!(printed["commitment"], report["commitment"]);
    let wrong = run(&["model", "commit", "--model", s(&out), "--onnx", s(&fixture("conv.onnx"))]);
    assert_eq!(wrong.status.code(), Some(2));
    assert!(stderr(&wrong).contains("was imported from an ONNX file"), "{}", stderr(&wrong));
    let setup_config: CircuitConfig =
        serde_json::from_slice(&fs::read(&circuit).expect("circuit")).expect("config");
    assert_eq!(setup_config.hidden_layers, vec![12, 8, 4]);
}

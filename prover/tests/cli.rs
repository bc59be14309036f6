//! The `proofgate` binary end to end on a small circuit (2 assets, one hidden layer of 4):
//! example, setup, prove and verify succeed; every damaged or mismatched input is refused with
//! a message naming the file and the problem, the documented exit status, and nothing written.
//! The [`solvency`] module does the same for an epoch's batches and inclusion checks.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value;
use sha3::{Digest, Keccak256};
use tempfile::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_proofgate");
const CIRCUIT: [&str; 4] = ["--assets", "2", "--hidden", "4"];

/// Inputs, keys and a valid proof, made once for every test (they only read it).
struct Fixture {
    _dir: TempDir,
    inputs: PathBuf,
    keys: PathBuf,
    proof: PathBuf,
}

impl Fixture {
    fn input(&self, name: &str) -> String {
        path(&self.inputs.join(name))
    }

    fn keys(&self) -> String {
        path(&self.keys)
    }
}

fn path(p: &Path) -> String {
    p.display().to_string()
}

fn run<A: AsRef<str>>(args: &[A]) -> Output {
    Command::new(BIN)
        .args(args.iter().map(AsRef::as_ref))
        .output()
        .expect("the proofgate binary runs")
}

/// The arguments of several slices, as one list.
fn cat(parts: &[&[&str]]) -> Vec<String> {
    parts.iter().flat_map(|p| p.iter().map(|s| s.to_string())).collect()
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exited normally")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts success and returns stdout.
fn ok<A: AsRef<str>>(args: &[A]) -> String {
    let out = run(args);
    let shown: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
    assert_eq!(code(&out), 0, "proofgate {shown:?} failed:\n{}", stderr(&out));
    stdout(&out)
}

/// Asserts exit status `expected` with `needle` on stderr.
fn fails<A: AsRef<str>>(args: &[A], expected: i32, needle: &str) -> Output {
    let out = run(args);
    let shown: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
    let (o, e) = (stdout(&out), stderr(&out));
    assert_eq!(code(&out), expected, "proofgate {shown:?}:\nstdout: {o}\nstderr: {e}");
    assert!(e.contains(needle), "stderr of proofgate {shown:?} lacks {needle:?}:\n{e}");
    out
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("proofgate-cli-")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .expect("tempdir");
        let inputs = dir.path().join("inputs");
        let keys = dir.path().join("keys");
        let proof = dir.path().join("proof.json");
        ok(&cat(&[&["example"], &CIRCUIT, &["--out", &path(&inputs)]]));
        ok(&cat(&[&["setup"], &CIRCUIT, &["--out", &path(&keys), "--seed", "42"]]));
        let fixture = Fixture { _dir: dir, inputs, keys, proof };
        ok(&prove_args(&fixture, &fixture.input("statement.json"), &path(&fixture.proof)));
        fixture
    })
}

fn prove_args(f: &Fixture, statement: &str, out: &str) -> Vec<String> {
    let mut args: Vec<String> = vec!["prove".into(), "--keys".into(), f.keys()];
    args.extend([
        "--model".into(),
        f.input("model.json"),
        "--params".into(),
        f.input("risk_params.json"),
    ]);
    args.extend(["--statement".into(), statement.into(), "--out".into(), out.into()]);
    args
}

fn read_json(p: &Path) -> Value {
    serde_json::from_slice(&fs::read(p).expect("read")).expect("json")
}

fn write_json(p: &Path, v: &Value) {
    fs::write(p, serde_json::to_vec_pretty(v).expect("encode")).expect("write");
}

/// A copy of the fixture's proof file, changed by `change`, in a fresh directory.
fn changed_proof(change: impl FnOnce(&mut Value)) -> (TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut proof = read_json(&fixture().proof);
    change(&mut proof);
    let p = dir.path().join("proof.json");
    write_json(&p, &proof);
    (dir, path(&p))
}

/// A copy of the fixture's statement, changed by `change`.
fn changed_statement(change: impl FnOnce(&mut Value)) -> (TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut statement = read_json(&fixture().inputs.join("statement.json"));
    change(&mut statement);
    let p = dir.path().join("statement.json");
    write_json(&p, &statement);
    (dir, path(&p))
}

fn verify(proof: &str) -> Vec<String> {
    vec!["verify".into(), "--keys".into(), fixture().keys(), "--proof".into(), proof.into()]
}

fn keccak_hex(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(Keccak256::digest(bytes)))
}

#[test]
fn example_setup_prove_verify_succeeds() {
    let f = fixture();
    let out = ok(&verify(&path(&f.proof)));
    assert!(out.starts_with("VALID"), "{out}");
    let mut with_statement = verify(&path(&f.proof));
    with_statement.extend(["--statement".into(), f.input("statement.json"), "--json".into()]);
    let report: Value = serde_json::from_str(&ok(&with_statement)).expect("json");
    assert_eq!(report["valid"], true);
    let vk = read_json(&f.keys.join("verifying_key.json"));
    assert_eq!(report["vk_hash"], vk["vk_hash"]);
    // Verifying with the key file itself works too.
    let vk_path = path(&f.keys.join("verifying_key.json"));
    ok(&["verify", "--verifying-key", &vk_path, "--proof", &path(&f.proof)]);
}

#[test]
fn verify_refuses_a_tampered_public_input() {
    let (_dir, proof) = changed_proof(|p| {
        let inputs = p["public_inputs"].as_array_mut().expect("array");
        let last = inputs.last_mut().expect("inputs");
        assert_ne!(last, "1");
        *last = Value::String("1".into());
    });
    let out = fails(&verify(&proof), 1, "is INVALID: public input(s) 4 do not encode");
    assert!(stdout(&out).starts_with("INVALID"));
}

#[test]
fn verify_refuses_another_statement_than_the_one_given() {
    let (_dir, statement) = changed_statement(|s| s["binding"]["nonce"] = Value::from(999_999));
    let mut args = verify(&path(&fixture().proof));
    args.extend(["--statement".into(), statement]);
    fails(&args, 1, "the proof is for another statement");
}

#[test]
fn verify_refuses_a_truncated_or_garbled_proof() {
    let (_a, truncated) = changed_proof(|p| {
        let hex = p["proof"].as_str().expect("hex").to_string();
        p["proof"] = Value::String(hex[..hex.len() - 8].into());
    });
    fails(&verify(&truncated), 2, "is not a valid proof");
    let (_b, garbled) = changed_proof(|p| {
        let hex = p["proof"].as_str().expect("hex").to_string();
        p["proof"] = Value::String(format!("{}zz{}", &hex[..10], &hex[12..]));
    });
    fails(&verify(&garbled), 2, "proof is not hex");
    // A changed byte gives a point off the curve (bad input) or a failing pairing (invalid).
    let (_c, flipped) = changed_proof(|p| {
        let hex = p["proof"].as_str().expect("hex").to_string();
        let digit = if &hex[20..21] == "0" { "1" } else { "0" };
        p["proof"] = Value::String(format!("{}{digit}{}", &hex[..20], &hex[21..]));
    });
    let out = run(&verify(&flipped));
    assert!([1, 2].contains(&code(&out)), "{}", stderr(&out));
}

#[test]
fn verify_refuses_a_verifying_key_with_altered_bytes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut vk = read_json(&fixture().keys.join("verifying_key.json"));
    let hex = vk["vk"].as_str().expect("hex").to_string();
    let digit = if &hex[40..41] == "0" { "1" } else { "0" };
    vk["vk"] = Value::String(format!("{}{digit}{}", &hex[..40], &hex[41..]));
    let altered = dir.path().join("verifying_key.json");
    write_json(&altered, &vk);
    let proof = path(&fixture().proof);
    let args = ["verify", "--verifying-key", &path(&altered), "--proof", &proof];
    fails(&args, 2, "does not match its vk_hash");
    // With the hash recomputed, the key is refused while decoding or the proof is invalid.
    let bytes = hex::decode(&vk["vk"].as_str().expect("hex")[2..]).expect("hex");
    vk["vk_hash"] = Value::String(keccak_hex(&bytes));
    write_json(&altered, &vk);
    let out = run(&args);
    assert!([1, 2].contains(&code(&out)), "{}", stderr(&out));
}

#[test]
fn prove_refuses_a_truncated_proving_key_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = fs::read(fixture().keys.join("proving.key")).expect("read");
    let short = dir.path().join("proving.key");
    fs::write(&short, &key[..key.len() / 2]).expect("write");
    let out = dir.path().join("proof.json");
    let f = fixture();
    let args = [
        "prove",
        "--proving-key",
        &path(&short),
        "--model",
        &f.input("model.json"),
        "--params",
        &f.input("risk_params.json"),
        "--statement",
        &f.input("statement.json"),
        "--out",
        &path(&out),
    ];
    fails(&args, 2, "is not a usable proving key: proving key truncated");
    assert_eq!(fs::read_dir(dir.path()).expect("list").count(), 1, "only the key is there");
}

#[test]
fn prove_refuses_a_model_of_other_layer_sizes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let other = dir.path().join("other");
    ok(&["example", "--assets", "2", "--hidden", "3", "--out", &path(&other)]);
    let f = fixture();
    let out = dir.path().join("proof.json");
    let mut args = prove_args(f, &f.input("statement.json"), &path(&out));
    args[4] = path(&other.join("model.json"));
    fails(&args, 2, "model layer sizes [4, 3, 1] do not match the key's [4, 4, 1]");
    assert!(!out.exists());
}

#[test]
fn malformed_json_is_refused_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broken = dir.path().join("statement.json");
    fs::write(&broken, "{\"version\": 1, \"holdings\": [").expect("write");
    let out = dir.path().join("proof.json");
    let f = fixture();
    let needle = format!("{} is not a valid statement file", path(&broken));
    fails(&prove_args(f, &path(&broken), &path(&out)), 2, &needle);
    assert!(!out.exists());
    let needle = format!("{} is not a valid proof file", path(&broken));
    fails(&verify(&path(&broken)), 2, &needle);
}

#[test]
fn a_statement_value_out_of_range_is_refused() {
    let too_big = Value::from(1u64 << 63);
    let (dir, statement) = changed_statement(|s| s["holdings"][0] = too_big.clone());
    let out = dir.path().join("proof.json");
    let f = fixture();
    fails(
        &prove_args(f, &statement, &path(&out)),
        2,
        "holding = 9223372036854775808 does not fit 63 bits",
    );
    assert!(!out.exists());
    let (_d, proof) = changed_proof(|p| p["statement"]["holdings"][0] = too_big);
    fails(&verify(&proof), 2, "does not fit 63 bits");
}

#[test]
fn prove_refuses_a_limit_breaking_trade_and_writes_nothing() {
    let (dir, statement) =
        changed_statement(|s| s["trade"]["buy_asset"] = s["trade"]["sell_asset"].clone());
    let out = dir.path().join("proof.json");
    let mut args = prove_args(fixture(), &statement, &path(&out));
    fails(&args, 1, "the trade sells and buys the same asset");
    assert!(!out.exists());
    args.push("--json".into());
    let refused = run(&args);
    assert_eq!(code(&refused), 1);
    let report: Value = serde_json::from_slice(&refused.stdout).expect("json");
    assert_eq!(report["violations"][0]["check"], "same_asset");
    assert!(!out.exists());
}

#[test]
fn setup_refuses_to_overwrite_keys_and_writes_nothing_for_a_bad_circuit() {
    let keys = fixture().keys();
    fails(&cat(&[&["setup"], &CIRCUIT, &["--out", &keys]]), 2, "pass --force to overwrite");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("keys");
    fails(&["setup", "--assets", "1", "--out", &path(&out)], 2, "n_assets = 1");
    assert!(!out.exists());
}

#[test]
fn inspect_lists_every_public_input_and_the_keys() {
    let report: Value =
        serde_json::from_str(&ok(&["inspect", "--keys", &fixture().keys(), "--json"]))
            .expect("json");
    let inputs = report["public_inputs"].as_array().expect("array");
    assert_eq!(inputs.len(), 5);
    assert_eq!(inputs[0]["fields"][0]["field"], "holdings[0]");
    assert_eq!(inputs[1]["fields"][3]["field"], "trade.buy_asset");
    assert_eq!(report["keys"]["n_public"], 5);
    let parts: u64 = report["constraint_breakdown"]
        .as_array()
        .expect("array")
        .iter()
        .map(|c| c["constraints"].as_u64().expect("n"))
        .sum();
    assert_eq!(report["constraints"].as_u64(), Some(parts));
    let text = ok(&cat(&[&["inspect"], &CIRCUIT]));
    assert!(text.contains("[2] binding"), "{text}");
}

#[test]
fn commitments_match_the_statement() {
    let f = fixture();
    let statement = read_json(&f.inputs.join("statement.json"));
    let circuit = path(&f.keys.join("circuit.json"));
    let model: Value = serde_json::from_str(&ok(&[
        "model",
        "commit",
        "--model",
        &f.input("model.json"),
        "--config",
        &circuit,
        "--json",
    ]))
    .expect("json");
    assert_eq!(model["commitment"], statement["model_commitment"]);
    let params: Value = serde_json::from_str(&ok(&[
        "params",
        "commit",
        "--params",
        &f.input("risk_params.json"),
        "--json",
    ]))
    .expect("json");
    assert_eq!(params["commitment"], statement["params_commitment"]);
    assert!(params["commitment_hex"].as_str().expect("hex").starts_with("0x"));
}

#[test]
fn bench_prints_its_measurements_as_json() {
    let report: Value =
        serde_json::from_str(&ok(&cat(&[&["bench", "--iterations", "1", "-q"], &CIRCUIT])))
            .expect("json");
    assert_eq!(report["assets"], 2);
    assert_eq!(report["layer_sizes"], serde_json::json!([4, 4, 1]));
    assert_eq!(report["public_inputs"], 5);
    for key in
        ["setup_s", "witness_s", "prove_s", "prove_resynthesise_s", "verify_ms", "peak_rss_mb"]
    {
        assert!(report[key].as_f64().is_some_and(|v| v > 0.0), "{key}: {report}");
    }
    assert!(report["proving_key_bytes"].as_u64().is_some_and(|b| b > 1000));
}

#[test]
fn help_documents_the_exit_status() {
    assert!(ok(&["verify", "--help"]).contains("1  INVALID"));
    assert!(ok(&["--help"]).contains("Exit status"));
    fails(&["prove", "--keys", "k", "--proving-key", "p"], 2, "cannot be used with");
}

#[test]
fn export_verifier_writes_a_compiled_verifier_and_refuses_to_overwrite() {
    let f = fixture();
    let dir = tempfile::tempdir().expect("tempdir");
    let sol = path(&dir.path().join("RiskVerifier.sol"));
    let out = ok(&["export-verifier", "--keys", &f.keys(), "--out", &sol, "--json"]);
    let report: Value = serde_json::from_str(&out).expect("json");
    let vk = read_json(&f.keys.join("verifying_key.json"));
    assert_eq!(report["verifying_key_hash"], vk["vk_hash"]);
    let source = std::fs::read_to_string(&sol).expect("source");
    assert!(source.contains(vk["vk_hash"].as_str().expect("hash")), "the header names the key");
    let artifact = read_json(&dir.path().join("RiskVerifier.artifact.json"));
    assert!(artifact["deployed_bytecode"].as_str().expect("bytecode").len() > 1000);
    fails(&["export-verifier", "--keys", &f.keys(), "--out", &sol], 2, "--force");
}

#[test]
fn snarkjs_export_then_import_verifies_and_a_mutation_does_not() {
    let f = fixture();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = path(dir.path());
    ok(&[
        "export",
        "--format",
        "snarkjs",
        "--keys",
        &f.keys(),
        "--proof",
        &path(&f.proof),
        "--out",
        &out,
    ]);
    let imported = path(&dir.path().join("vk.json"));
    let import =
        cat(&[&["import", "--format", "snarkjs", "--dir", &out, "--out", &imported], &CIRCUIT]);
    assert!(ok(&import).contains("VALID"));
    assert_eq!(
        read_json(&dir.path().join("vk.json"))["vk"],
        read_json(&f.keys.join("verifying_key.json"))["vk"]
    );

    let public = dir.path().join("public.json");
    let mut signals = read_json(&public);
    signals[0] = Value::String("1".into());
    write_json(&public, &signals);
    let again = cat(&[&["import", "--format", "snarkjs", "--dir", &out], &CIRCUIT]);
    fails(&again, 1, "does not verify");
    signals[0] = Value::String(
        "21888242871839275222246405745257275088548364400416034343698204186575808495617".into(),
    );
    write_json(&public, &signals);
    fails(&again, 2, "not below");
}

/// `proofgate solvency`: build an epoch's batches, check inclusion, refuse tampering.
mod solvency {
    use super::*;

    const U64_MAX_PLUS_1: &str = "18446744073709551616";

    fn depositors(entries: &[(&str, [&str; 2])]) -> Value {
        let list: Vec<Value> =
            entries.iter().map(|(id, b)| serde_json::json!({"id": id, "balances": b})).collect();
        serde_json::json!({"version": 1, "assets": ["WETH", "USDC"], "depositors": list})
    }

    fn three() -> Value {
        depositors(&[("alice", ["1", "2"]), ("bob", ["3", "4"]), ("carol", ["5", "0"])])
    }

    /// Writes `file` as the depositors and builds batches of 2 (64-bit balances by default) into
    /// DIR/out.
    fn build(dir: &Path, file: &Value, extra: &[&str]) -> (Output, PathBuf) {
        build_at(dir, file, "1", extra)
    }

    fn build_at(dir: &Path, file: &Value, depth: &str, extra: &[&str]) -> (Output, PathBuf) {
        let input = dir.join("depositors.json");
        write_json(&input, file);
        let out = dir.join("out");
        let args = cat(&[
            &["solvency", "build", "--depositors", &path(&input), "--batch-depth", depth],
            &["--out", &path(&out)],
            extra,
        ]);
        (run(&args), out)
    }

    fn built() -> (TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("tempdir");
        let (output, out) = build(dir.path(), &three(), &[]);
        assert_eq!(code(&output), 0, "build failed:\n{}", stderr(&output));
        (dir, out)
    }

    fn check(proof: &Path, against: &[&str]) -> Vec<String> {
        cat(&[&["solvency", "check-inclusion", "--proof", &path(proof)], against])
    }

    fn accumulator(out: &Path) -> String {
        let summary = read_json(&out.join("summary.json"));
        summary["chain"]["accumulator"].as_str().expect("accumulator").to_owned()
    }

    /// `--accumulator A --totals T --balance-bits 64 --batch-depth 1`.
    fn explicit<'a>(acc: &'a str, totals: &'a str) -> [&'a str; 8] {
        ["--accumulator", acc, "--totals", totals, "--balance-bits", "64", "--batch-depth", "1"]
    }

    /// DIR/out/inclusion/<k>.json changed by `change`, written beside it as tampered.json.
    fn tampered(out: &Path, k: usize, change: impl FnOnce(&mut Value)) -> PathBuf {
        let mut proof = read_json(&out.join(format!("inclusion/{k}.json")));
        change(&mut proof);
        let p = out.join("tampered.json");
        write_json(&p, &proof);
        p
    }

    #[test]
    fn setup_writes_a_key_of_the_shape_and_refuses_an_unsupported_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = dir.path().join("solvency.pk");
        let args = ["solvency", "setup", "--assets", "2", "--balance-bits", "8"];
        let report: Value = serde_json::from_str(&ok(&cat(&[
            &args,
            &["--batch-depth", "1", "--out", &path(&key), "--json"],
        ])))
        .expect("json");
        assert_eq!(
            report["shape"],
            serde_json::json!({"n_assets": 2, "balance_bits": 8, "batch_depth": 1})
        );
        assert_eq!(report["public_inputs"], 3);
        assert!(key.exists());
        let other = path(&dir.path().join("other.pk"));
        let wide = ["solvency", "setup", "--assets", "2", "--balance-bits", "129"];
        fails(&cat(&[&wide, &["--out", &other]]), 2, "balance width 129 bits");
        let deep = ["solvency", "setup", "--assets", "2", "--batch-depth", "21"];
        fails(&cat(&[&deep, &["--out", &other]]), 2, "batch depth 21");
    }

    #[test]
    fn build_then_every_depositor_checks_against_the_summary_and_the_accumulator() {
        let (_dir, out) = built();
        let summary = read_json(&out.join("summary.json"));
        assert_eq!(summary["version"], 3);
        assert_eq!(summary["chain"]["totals"], serde_json::json!(["9", "6"]));
        assert_eq!(
            (summary["depositors"].clone(), summary["batch_count"].clone()),
            (3.into(), 2.into())
        );
        assert_eq!(summary["chain"]["batches"][1]["sums"], serde_json::json!(["5", "0"]));
        let acc = accumulator(&out);
        let summary_path = path(&out.join("summary.json"));
        for k in 0..3 {
            let proof = out.join(format!("inclusion/{k}.json"));
            let text = ok(&check(&proof, &["--summary", &summary_path]));
            assert!(text.starts_with("INCLUDED"), "{text}");
            assert!(text.contains("the operator's build output"), "{text}");
            let text = ok(&check(&proof, &explicit(&acc, "9,6")));
            assert!(text.contains(&format!("accumulator: {acc}")), "{text}");
            assert!(text.contains(&format!("batch {} of 2", k / 2)), "{text}");
            let proof_json = read_json(&proof);
            assert_eq!(proof_json["version"], 3);
            assert_eq!(proof_json["batch_index"], k / 2);
            assert_eq!(proof_json["assets"], serde_json::json!(["WETH", "USDC"]));
            let b = &proof_json["balances"];
            let units = format!(
                "balances:    {} WETH, {} USDC (token units)",
                b[0].as_str().expect("b"),
                b[1].as_str().expect("b")
            );
            assert!(text.contains(&units), "{text}");
            assert!(text.contains("totals:      9 WETH, 6 USDC"), "{text}");
            let mut json_args = explicit(&acc, "9,6").to_vec();
            json_args.push("--json");
            let report: Value =
                serde_json::from_str(&ok(&check(&proof, &json_args))).expect("json");
            assert_eq!(report["included"], true);
            assert_eq!(report["accumulator"], acc.as_str());
            assert_eq!(report["source"], "explicit");
            assert_eq!(report["assets"], serde_json::json!(["WETH", "USDC"]));
        }
        assert!(!out.join("inclusion/3.json").exists(), "no proofs for padding leaves");
    }

    #[test]
    fn a_summary_of_the_previous_format_is_refused_by_name() {
        let (_dir, out) = built();
        let mut old = read_json(&out.join("summary.json"));
        old["version"] = 2.into();
        let old_summary = out.join("old-summary.json");
        write_json(&old_summary, &old);
        let alice = out.join("inclusion/0.json");
        fails(&check(&alice, &["--summary", &path(&old_summary)]), 2, "summary format version 2");
    }

    #[test]
    fn the_chain_source_needs_its_addresses_and_an_unreachable_node_is_bad_input() {
        let (_dir, out) = built();
        let alice = out.join("inclusion/0.json");
        let url = ["--rpc-url", "http://127.0.0.1:9"];
        fails(&check(&alice, &url), 2, "--attestor");
        let vault = "0x1aF7f588A501EA2B5bB3feeFA744892aA2CF00e6";
        let attestor = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
        let both = ["--rpc-url", "http://127.0.0.1:9", "--attestor", attestor, "--vault", vault];
        fails(&check(&alice, &both), 2, "cannot reach the RPC node at http://127.0.0.1:9");
        fails(&check(&alice, &["--epoch", "1", "--summary", "x"]), 2, "--rpc-url");
        fails(&check(&alice, &["--block", "latest", "--summary", "x"]), 2, "--rpc-url");
        let bad_block = [&both[..], &["--block", "soon"]].concat();
        fails(&check(&alice, &bad_block), 2, "not finalized, safe, latest or a block number");
        let acc = accumulator(&out);
        let mixed = [&explicit(&acc, "1,1")[..], &["--summary", "x"]].concat();
        fails(&check(&alice, &mixed), 2, "cannot be used with");
        fails(&check(&alice, &["--accumulator", &acc, "--totals", "9,6"]), 2, "--balance-bits");
        fails(&check(&alice, &["--root", "0x01", "--totals", "9,6"]), 2, "--root");
    }

    #[test]
    fn tampered_proofs_and_wrong_accumulators_are_not_included() {
        let (_dir, out) = built();
        let summary = path(&out.join("summary.json"));
        let against = ["--summary", summary.as_str()];
        let p = tampered(&out, 0, |p| p["balances"][1] = "1".into());
        fails(&check(&p, &against), 1, "NOT INCLUDED: the path leads to batch root");
        let p = tampered(&out, 2, |p| p["path"][0][0] = "0x01".into());
        fails(&check(&p, &against), 1, "the path leads to batch root");
        let p = tampered(&out, 0, |p| p["chain"][1]["sums"][0] = "4".into());
        fails(&check(&p, &against), 1, "the chain accumulates to");
        let p = tampered(&out, 0, |p| p["balances"][1] = U64_MAX_PLUS_1.into());
        fails(&check(&p, &against), 1, "2^64 or more");
        let p = tampered(&out, 0, |p| {
            p["path"].as_array_mut().expect("path").pop();
        });
        fails(&check(&p, &against), 1, "the path has 0 levels of siblings");
        let p = tampered(&out, 0, |p| p["batch_index"] = 1.into());
        fails(&check(&p, &against), 1, "does not hold depositor 0");
        let p = tampered(&out, 0, |p| p["shape"]["balance_bits"] = 96.into());
        fails(&check(&p, &against), 1, "the proof is for");

        let alice = out.join("inclusion/0.json");
        let acc = accumulator(&out);
        fails(&check(&alice, &explicit(&acc, "9,7")), 1, "the total is 7");
        let other = format!("0x{}", "00".repeat(32));
        fails(&check(&alice, &explicit(&other, "9,6")), 1, "the chain accumulates to");
        let mut wide = explicit(&acc, "9,6");
        wide[5] = "96";
        fails(&check(&alice, &wide), 1, "the proof is for");
        let mut json_args = explicit(&acc, "9,7").to_vec();
        json_args.push("--json");
        let out_json = fails(&check(&alice, &json_args), 1, "NOT");
        let report: Value = serde_json::from_slice(&out_json.stdout).expect("json");
        assert_eq!(report["included"], false);
        assert_eq!(report["reason_kind"], "WrongTotals");
    }

    #[test]
    fn malformed_proofs_and_summaries_are_bad_input() {
        let (_dir, out) = built();
        let summary = path(&out.join("summary.json"));
        let against = ["--summary", summary.as_str()];
        let garbled = out.join("garbled.json");
        fs::write(&garbled, b"{\"version\": 3, \"index\":").expect("write");
        fails(&check(&garbled, &against), 2, "is not a valid inclusion proof file");
        let p = tampered(&out, 0, |p| p["extra"] = 1.into());
        fails(&check(&p, &against), 2, "unknown field");
        let p = tampered(&out, 0, |p| p["balances"][0] = "-1".into());
        fails(&check(&p, &against), 2, "not a decimal below 2^128");
        let p = tampered(&out, 0, |p| p["version"] = 2.into());
        fails(&check(&p, &against), 2, "format version 2");
        let p = tampered(&out, 0, |p| {
            p["assets"].as_array_mut().expect("assets").pop();
        });
        fails(&check(&p, &against), 2, "names 1 assets for 2 balances");
        let alice = out.join("inclusion/0.json");
        fails(&check(&alice, &explicit("0xzz", "9,6")), 2, "--accumulator");
        fails(&check(&alice, &["--accumulator", &accumulator(&out)]), 2, "--totals");

        // A summary whose totals are not its chain's is unusable.
        let mut bad = read_json(&out.join("summary.json"));
        bad["chain"]["totals"][0] = "10".into();
        let bad_summary = out.join("bad-summary.json");
        write_json(&bad_summary, &bad);
        fails(
            &check(&alice, &["--summary", &path(&bad_summary)]),
            2,
            "is not a usable epoch summary",
        );
    }

    #[test]
    fn bad_depositors_are_refused_naming_the_depositor_and_nothing_is_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cases = [
            (
                depositors(&[("alice", ["1", U64_MAX_PLUS_1])]),
                "\"alice\": the balance of USDC is 2^64 or more",
            ),
            (
                depositors(&[("alice", ["1", "2"]), ("bob", ["1", "2"]), ("alice", ["3", "4"])]),
                "duplicate depositor id \"alice\"",
            ),
            (
                serde_json::json!({"version": 1, "assets": ["WETH", "USDC"],
                    "depositors": [{"id": "dave", "balances": ["1"]}]}),
                "\"dave\" has 1 balances for 2 assets",
            ),
        ];
        for (file, needle) in cases {
            let (output, out) = build(dir.path(), &file, &[]);
            assert_eq!(code(&output), 2, "{needle}: {}", stderr(&output));
            assert!(stderr(&output).contains(needle), "{needle}: {}", stderr(&output));
            assert!(!out.exists(), "{needle}: nothing is written");
        }
        let (output, out) = build_at(dir.path(), &three(), "21", &[]);
        assert_eq!(code(&output), 2);
        assert!(stderr(&output).contains("batch depth 21"), "{}", stderr(&output));
        assert!(!out.exists());
        // 128-bit balances take what 64 bits cannot.
        let wide = depositors(&[("alice", ["1", U64_MAX_PLUS_1])]);
        let (output, out) = build(dir.path(), &wide, &["--balance-bits", "128"]);
        assert_eq!(code(&output), 0, "{}", stderr(&output));
        let summary = read_json(&out.join("summary.json"));
        assert_eq!(summary["chain"]["totals"][1], U64_MAX_PLUS_1);
    }

    #[test]
    fn build_refuses_to_overwrite_and_a_failed_write_leaves_nothing() {
        let (dir, out) = built();
        let (output, _) = build(dir.path(), &three(), &[]);
        assert_eq!(code(&output), 2);
        assert!(stderr(&output).contains("pass --force to overwrite"), "{}", stderr(&output));

        // --force with fewer depositors replaces the summary and removes the stale proofs.
        let two = depositors(&[("alice", ["1", "2"]), ("bob", ["3", "4"])]);
        let (output, _) = build(dir.path(), &two, &["--force"]);
        assert_eq!(code(&output), 0, "{}", stderr(&output));
        assert_eq!(read_json(&out.join("summary.json"))["depositors"], 2);
        assert!(!out.join("inclusion/2.json").exists(), "carol's stale proof is removed");

        // A directory where the summary goes: the new proofs are written and swapped in, the
        // summary cannot be, and the previous proofs come back. Nothing else is left.
        let alice_before = fs::read(out.join("inclusion/0.json")).expect("read");
        fs::remove_file(out.join("summary.json")).expect("remove");
        fs::create_dir(out.join("summary.json")).expect("mkdir");
        let (output, _) = build(dir.path(), &three(), &["--force"]);
        assert_eq!(code(&output), 2, "{}", stderr(&output));
        assert!(stderr(&output).contains("summary.json"), "{}", stderr(&output));
        let names = |d: &Path| -> Vec<String> {
            let mut names: Vec<String> = fs::read_dir(d)
                .expect("list")
                .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            names
        };
        assert_eq!(names(&out), ["inclusion", "summary.json"]);
        assert_eq!(names(&out.join("inclusion")), ["0.json", "1.json"]);
        assert_eq!(fs::read(out.join("inclusion/0.json")).expect("read"), alice_before);

        fs::remove_dir(out.join("summary.json")).expect("rmdir");
        fs::remove_dir_all(out.join("inclusion")).expect("rm");
        fs::write(out.join("inclusion"), b"not a directory").expect("write");
        let (output, _) = build(dir.path(), &three(), &["--force"]);
        assert_eq!(code(&output), 2, "{}", stderr(&output));
        assert!(stderr(&output).contains("is not a directory"), "{}", stderr(&output));
        assert_eq!(names(&out), ["inclusion"]);
    }

    #[test]
    fn check_inclusion_help_documents_the_exit_status_and_what_a_proof_reveals() {
        let help = ok(&["solvency", "check-inclusion", "--help"]);
        assert!(help.contains("1  NOT INCLUDED"), "{help}");
        assert!(
            help.contains("contract code at the vault, its registry or the attestor address"),
            "{help}"
        );
        assert!(help.contains("no neighbour's balances are revealed"), "{help}");
        assert!(help.contains("salted ids"), "{help}");
        assert!(help.contains("--rpc-url"), "{help}");
        assert!(help.contains("--block"), "{help}");
        assert!(help.contains("registry names another attestor"), "{help}");
        assert!(help.contains("names another asset than the vault's token symbol"), "{help}");
        assert!(help.contains("SolvencyBatchAccepted"), "{help}");
    }

    #[test]
    fn bench_solvency_measures_one_batch_and_projects_the_rest() {
        let args = ["bench", "--solvency", "--assets", "1", "--balance-bits", "8", "-q"];
        let more = ["--batch-depth", "1", "--depths", "1,3", "--workers", "2"];
        let report: Value = serde_json::from_str(&ok(&cat(&[&args, &more]))).expect("json");
        assert_eq!(report["batch"]["measured"], true);
        assert!(report["batch"]["prove_s"].as_f64().is_some_and(|v| v > 0.0), "{report}");
        assert!(report["batch"]["constraints_per_depositor"].as_f64().is_some(), "{report}");
        let curve = report["curve"].as_array().expect("curve");
        assert_eq!(curve.len(), 2);
        assert_eq!(
            (curve[1]["batches"].clone(), curve[1]["projected"].clone()),
            (4.into(), true.into())
        );
        assert_eq!(report["projection_2_20"]["batches"], 1 << 19);
        assert!(report["projection_2_20"]["assumptions"].as_array().is_some_and(|a| !a.is_empty()));
    }
}

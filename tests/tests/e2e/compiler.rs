//! The solc-js adapter is faithful: `forge build` through it produces the same bytecode as
//! solc-js's own command-line interface given the same standard-JSON input.

use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};

use proofgate_toolchain::Toolchain;
use serde_json::{json, Value};

/// Builds `src/feeds/PriceFeed.sol` with forge into a private output directory, writing
/// build info (which carries the exact standard-JSON input forge gave the compiler).
fn forge_build_with_build_info(toolchain: &Toolchain, dir: &Path) -> Value {
    let (out, cache) = (dir.join("out"), dir.join("cache"));
    let output = toolchain
        .forge_in_project()
        .args(["build", "src/feeds/PriceFeed.sol", "--build-info", "--out"])
        .arg(&out)
        .arg("--cache-path")
        .arg(&cache)
        .output()
        .expect("run forge");
    assert!(
        output.status.success(),
        "forge build failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let build_infos: Vec<_> = std::fs::read_dir(out.join("build-info"))
        .expect("forge wrote build-info/")
        .map(|entry| entry.expect("dir entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    assert_eq!(build_infos.len(), 1, "one compiler run, one build-info file: {build_infos:?}");
    read_json(&build_infos[0])
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs solc-js's own CLI (`node node_modules/solc/solc.js --standard-json`), not our adapter.
///
/// Stdin and stdout are files: the CLI exits right after writing, which can cut a pipe short.
/// It also prints a note about SMT solvers before the JSON, which is skipped.
fn solcjs_standard_json(toolchain: &Toolchain, input: &Value, dir: &Path) -> Value {
    let (input_path, output_path) = (dir.join("input.json"), dir.join("output.json"));
    std::fs::write(&input_path, input.to_string()).expect("write input");
    let solcjs = toolchain.node_modules().join("solc").join("solc.js");
    let status = Command::new("node")
        .arg(&solcjs)
        .arg("--standard-json")
        .stdin(File::open(&input_path).expect("open input"))
        .stdout(File::create(&output_path).expect("create output"))
        .stderr(Stdio::inherit())
        .status()
        .expect("run node solc.js");
    assert!(status.success(), "solc-js exited with {status}");
    let text = std::fs::read_to_string(&output_path).expect("read output");
    let json_start = text.find("\n{").map(|i| i + 1).or_else(|| text.starts_with('{').then_some(0));
    let json = &text[json_start.expect("solc-js printed no JSON")..];
    serde_json::from_str(json).expect("solc-js output is JSON")
}

fn solcjs_version(toolchain: &Toolchain) -> String {
    let solcjs = toolchain.node_modules().join("solc").join("solc.js");
    let output = Command::new("node").arg(&solcjs).arg("--version").output().expect("run solc.js");
    assert!(output.status.success());
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

fn hex_of(value: &Value, what: &str) -> String {
    let text = value.as_str().unwrap_or_else(|| panic!("{what} is not a string: {value}"));
    text.trim_start_matches("0x").to_ascii_lowercase()
}

#[test]
fn forge_through_the_adapter_matches_solcjs_on_the_same_input() {
    let toolchain = Toolchain::discover().expect("run scripts/setup first");
    let dir = tempfile::tempdir().expect("tempdir");
    let build_info = forge_build_with_build_info(&toolchain, dir.path());

    // The same compiler on both sides.
    let forge_version = build_info["solcLongVersion"].as_str().expect("solcLongVersion");
    let solcjs = solcjs_version(&toolchain);
    assert!(solcjs.starts_with(forge_version), "forge used {forge_version}, solc-js is {solcjs}");

    // Forge's input, less the keys forge adds that are not standard JSON.
    let input = &build_info["input"];
    let standard_input = json!({ "language": input["language"], "sources": input["sources"], "settings": input["settings"] });
    assert!(
        standard_input["sources"].get("src/feeds/PriceFeed.sol").is_some(),
        "build info holds PriceFeed's source"
    );
    let output = solcjs_standard_json(&toolchain, &standard_input, dir.path());
    let errors: Vec<&Value> = output["errors"]
        .as_array()
        .map(|errors| errors.iter().filter(|e| e["severity"] == "error").collect())
        .unwrap_or_default();
    assert!(errors.is_empty(), "solc-js reported errors: {errors:?}");

    let evm = &output["contracts"]["src/feeds/PriceFeed.sol"]["PriceFeed"]["evm"];
    let artifact = read_json(&dir.path().join("out").join("PriceFeed.sol").join("PriceFeed.json"));
    for (key, what) in [("bytecode", "creation"), ("deployedBytecode", "deployed")] {
        let from_solcjs = hex_of(&evm[key]["object"], "solc-js bytecode");
        let from_forge = hex_of(&artifact[key]["object"], "forge bytecode");
        assert!(from_forge.len() > 1_000, "{what} bytecode is implausibly short");
        assert_eq!(from_forge, from_solcjs, "{what} bytecode differs between forge and solc-js");
    }
}

//! The generated Solidity verifier on a real EVM (anvil): it accepts exactly the valid proofs,
//! agrees with the off-chain verifier on thousands of random mutations, and snarkjs accepts our
//! exported files.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, Bytes, U256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use alloy::sol_types::SolCall;
use ark_bn254::{Bn254, Fr};
use ark_groth16::{Proof, VerifyingKey};
use proofgate_agents::chain::{ChainProvider, LocalAnvil};
use proofgate_prover::fixtures::Example;
use proofgate_prover::snark;
use proofgate_prover::statement::public_input_count;
use proofgate_prover::CircuitConfig;
use proofgate_toolchain::Toolchain;
use proofgate_verifier_codegen::calldata::{
    input_words, inputs_from_words, proof_from_words, proof_words, IGroth16Verifier,
};
use proofgate_verifier_codegen::{
    compile_contract, generate, snarkjs, CompileSettings, VerifierOptions,
};
use rand::{rngs::StdRng, Rng, SeedableRng};

/// The BN254 scalar field order.
const R: &str = "21888242871839275222246405745257275088548364400416034343698204186575808495617";
/// The BN254 base field order.
const Q: &str = "21888242871839275222246405745257275088696311157297823662689037894645226208583";

struct Fixture {
    vk: VerifyingKey<Bn254>,
    proof: Proof<Bn254>,
    inputs: Vec<Fr>,
    other_inputs: Vec<Fr>,
    other_proof: Proof<Bn254>,
    /// Creation bytecode of the generated verifier, compiled once.
    verifier_bytecode: Vec<u8>,
}

/// The default circuit (8 assets, 16-32-16-1), so the verifier has the real input count.
fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let config = CircuitConfig::default();
        let (pk, vk) = snark::setup_with_seed(&config, 2024).expect("setup");
        let prove = |seed| {
            let e = Example::passing(&config, seed).expect("example");
            let (proof, _) = snark::prove_with_seed(&pk, &e.model, &e.params, &e.statement, seed)
                .expect("prove");
            (proof, e.statement.public_inputs(&config).expect("inputs"))
        };
        let (proof, inputs) = prove(1);
        let (other_proof, other_inputs) = prove(2);
        let options = VerifierOptions {
            contract_name: "RiskVerifier".into(),
            expected_public_inputs: public_input_count(&config),
        };
        let generated = generate(&vk, &options).expect("generate");
        let toolchain = Toolchain::discover().expect("toolchain");
        let sources = BTreeMap::from([("RiskVerifier.sol".to_string(), generated.source)]);
        let compiled =
            compile_contract(&toolchain, &sources, "RiskVerifier", &CompileSettings::default())
                .expect("compile");
        Fixture {
            vk,
            proof,
            inputs,
            other_inputs,
            other_proof,
            verifier_bytecode: compiled.bytecode,
        }
    })
}

async fn deploy_verifier(anvil: &LocalAnvil) -> (ChainProvider, Address) {
    let provider = anvil.provider().expect("provider");
    let tx = TransactionRequest::default()
        .with_deploy_code(Bytes::from(fixture().verifier_bytecode.clone()));
    let receipt =
        provider.send_transaction(tx).await.expect("send").get_receipt().await.expect("receipt");
    let address = receipt.contract_address.expect("deployed");
    (provider, address)
}

/// The on-chain verdict of `isValidProof`, and whether `verifyProof` reverted with `ProofInvalid`
/// or `PublicInputNotInField` (never silently returned).
async fn on_chain(
    provider: &ChainProvider,
    verifier: Address,
    proof: [U256; 8],
    input: Vec<U256>,
) -> (bool, bool) {
    let contract = IGroth16Verifier::new(verifier, provider);
    let valid = contract
        .isValidProof(proof, input.clone())
        .call()
        .await
        .expect("isValidProof never reverts");
    let reverted = contract.verifyProof(proof, input).call().await.is_err();
    assert_eq!(valid, !reverted, "the two entry points disagree");
    (valid, reverted)
}

fn off_chain(
    pvk: &ark_groth16::PreparedVerifyingKey<Bn254>,
    proof: &[U256; 8],
    input: &[U256],
) -> bool {
    match (proof_from_words(proof), inputs_from_words(input)) {
        (Some(p), Some(i)) => snark::verify(pvk, &i, &p).unwrap_or(false),
        _ => false,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_verifier_accepts_a_valid_proof_and_rejects_each_tampering() {
    let f = fixture();
    let anvil = LocalAnvil::spawn(&Toolchain::discover().expect("toolchain")).expect("anvil");
    let (provider, verifier) = deploy_verifier(&anvil).await;
    let proof = proof_words(&f.proof);
    let input = input_words(&f.inputs);
    assert_eq!(on_chain(&provider, verifier, proof, input.clone()).await, (true, false));

    // A flipped bit in each coordinate of A, B and C.
    for word in 0..8 {
        let mut bad = proof;
        bad[word] ^= U256::from(1u8) << 3;
        assert!(!on_chain(&provider, verifier, bad, input.clone()).await.0, "word {word}");
    }
    // Each public input changed, and replaced by x + r (aliasing through ecMul's reduction).
    let r: U256 = R.parse().expect("r");
    for k in 0..input.len() {
        let mut changed = input.clone();
        changed[k] += U256::from(1u8);
        assert!(!on_chain(&provider, verifier, proof, changed).await.0, "input {k} changed");
        let mut aliased = input.clone();
        aliased[k] += r;
        let contract = IGroth16Verifier::new(verifier, &provider);
        let Err(err) = contract.verifyProof(proof, aliased.clone()).call().await else {
            panic!("input {k} + r was accepted");
        };
        let decoded = err.as_decoded_error::<IGroth16Verifier::PublicInputNotInField>();
        assert_eq!(decoded.map(|e| e.index), Some(U256::from(k)), "input {k} + r");
        assert!(!on_chain(&provider, verifier, proof, aliased).await.0);
    }
    // B with its c0/c1 coordinates swapped (arkworks order instead of the precompile's).
    let mut swapped = proof;
    swapped.swap(2, 3);
    swapped.swap(4, 5);
    assert!(!on_chain(&provider, verifier, swapped, input.clone()).await.0);
    // A proof of another statement, with this statement's inputs and with its own.
    let other = proof_words(&f.other_proof);
    assert!(!on_chain(&provider, verifier, other, input.clone()).await.0);
    assert!(on_chain(&provider, verifier, other, input_words(&f.other_inputs)).await.0);
    // Points not on the curve, and a coordinate not below q.
    let mut off_curve = proof;
    off_curve[1] = U256::from(3u8);
    off_curve[0] = U256::from(1u8);
    assert!(!on_chain(&provider, verifier, off_curve, input.clone()).await.0);
    let mut above_q = proof;
    above_q[6] += Q.parse::<U256>().expect("q");
    assert!(!on_chain(&provider, verifier, above_q, input.clone()).await.0);
    // A wrong number of inputs and truncated calldata.
    assert!(!on_chain(&provider, verifier, proof, input[..input.len() - 1].to_vec()).await.0);
    let calldata = IGroth16Verifier::verifyProofCall { proof, input: input.clone() }.abi_encode();
    for cut in [4, 36, 4 + 32 * 8, calldata.len() - 32, calldata.len() - 1] {
        let tx =
            TransactionRequest::default().with_to(verifier).with_input(calldata[..cut].to_vec());
        assert!(provider.call(tx).await.is_err(), "calldata cut to {cut} bytes was accepted");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn random_mutations_are_never_accepted_and_verdicts_agree() {
    let f = fixture();
    let anvil = LocalAnvil::spawn(&Toolchain::discover().expect("toolchain")).expect("anvil");
    let (provider, verifier) = deploy_verifier(&anvil).await;
    let proof = proof_words(&f.proof);
    let input = input_words(&f.inputs);
    let r: U256 = R.parse().expect("r");
    let pvk = snark::prepare(&f.vk);
    let mut rng = StdRng::seed_from_u64(99);
    let cases: usize =
        std::env::var("PROOFGATE_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2_000);
    let mut accepted = 0;
    for case in 0..cases {
        let (mut p, mut i) = (proof, input.clone());
        match rng.gen_range(0..6) {
            0 => p[rng.gen_range(0..8)] ^= U256::from(1u8) << rng.gen_range(0..256),
            1 => {
                let k = rng.gen_range(0..i.len());
                i[k] ^= U256::from(1u8) << rng.gen_range(0..254)
            }
            2 => p[rng.gen_range(0..8)] = U256::from_limbs(rng.gen()),
            3 => {
                let k = rng.gen_range(0..i.len());
                i[k] = i[k].wrapping_add(r * U256::from(rng.gen_range(1u8..4)))
            }
            4 => {
                let (a, b) = (rng.gen_range(0..8), rng.gen_range(0..8));
                p.swap(a, b);
                if a == b {
                    p[a] = p[a].wrapping_add(U256::from(1u8));
                }
            }
            _ => {
                let k = rng.gen_range(0..i.len());
                i[k] = U256::from_limbs(rng.gen()) % r;
            }
        }
        if p == proof && i == input {
            continue;
        }
        let expected = off_chain(&pvk, &p, &i);
        let (valid, _) = on_chain(&provider, verifier, p, i).await;
        assert_eq!(valid, expected, "case {case}: on-chain and off-chain verdicts differ");
        accepted += usize::from(valid);
    }
    assert_eq!(accepted, 0, "a mutated proof was accepted");
}

#[tokio::test(flavor = "multi_thread")]
async fn gas_of_one_verification() {
    let f = fixture();
    let anvil = LocalAnvil::spawn(&Toolchain::discover().expect("toolchain")).expect("anvil");
    let (provider, verifier) = deploy_verifier(&anvil).await;
    let call = IGroth16Verifier::verifyProofCall {
        proof: proof_words(&f.proof),
        input: input_words(&f.inputs),
    };
    let calldata = call.abi_encode();
    let tx = TransactionRequest::default().with_to(verifier).with_input(calldata.clone());
    let receipt =
        provider.send_transaction(tx).await.expect("send").get_receipt().await.expect("receipt");
    assert!(receipt.status());
    let calldata_gas: u64 = calldata.iter().map(|&b| if b == 0 { 4 } else { 16 }).sum();
    let execution = receipt.gas_used - 21_000 - calldata_gas;
    let n = f.inputs.len() as u64;
    let floor = 181_000 + 6_150 * n;
    let code = provider.get_code_at(verifier).await.expect("code");
    println!(
        "verifier gas: N = {n}, transaction {}, calldata {calldata_gas}, execution {execution}, \
         floor 181000 + 6150·N = {floor} (+{:.2} %), runtime code {} bytes",
        receipt.gas_used,
        (execution as f64 / floor as f64 - 1.0) * 100.0,
        code.len()
    );
    // Execution includes ABI decoding, the r checks and the call overheads on top of the floor.
    assert!(execution < floor + floor * 5 / 100, "verification costs {execution} gas");
}

#[test]
fn snarkjs_accepts_our_exported_files_and_rejects_a_mutation() {
    let f = fixture();
    let toolchain = Toolchain::discover().expect("toolchain");
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |name: &str, value: serde_json::Value| {
        std::fs::write(dir.path().join(name), serde_json::to_vec_pretty(&value).expect("json"))
            .expect("write");
    };
    write(
        "verification_key.json",
        serde_json::to_value(snarkjs::export_verifying_key(&f.vk)).expect("vk"),
    );
    write("proof.json", serde_json::to_value(snarkjs::export_proof(&f.proof)).expect("proof"));
    write("public.json", serde_json::to_value(snarkjs::export_public(&f.inputs)).expect("public"));
    let verify = || {
        std::process::Command::new("node")
            .arg(toolchain.node_modules().join("snarkjs/build/cli.cjs"))
            .args(["groth16", "verify", "verification_key.json", "public.json", "proof.json"])
            .current_dir(dir.path())
            .output()
            .expect("run snarkjs")
    };
    let ok = verify();
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert!(ok.status.success() && stdout.contains("OK"), "snarkjs refused: {stdout}");

    let mut mutated = snarkjs::export_public(&f.inputs);
    mutated[0] = snarkjs::export_public(&[f.inputs[0] + Fr::from(1u64)]).remove(0);
    write("public.json", serde_json::to_value(mutated).expect("public"));
    let bad = verify();
    let stdout = String::from_utf8_lossy(&bad.stdout);
    assert!(
        !bad.status.success() || !stdout.contains("OK!"),
        "snarkjs accepted a mutation: {stdout}"
    );

    // And our import reads snarkjs' files back exactly.
    let vk_json: snarkjs::VerificationKeyJson = serde_json::from_slice(
        &std::fs::read(dir.path().join("verification_key.json")).expect("read"),
    )
    .expect("parse");
    assert_eq!(snarkjs::import_verifying_key(&vk_json).expect("import"), f.vk);
}

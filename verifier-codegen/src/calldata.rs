//! The generated verifier's ABI as typed `sol!` bindings, and the encoding of proofs and public
//! inputs for it (G2 coordinates in the pairing precompile's order: c1 before c0).

use alloy::primitives::U256;
use alloy::sol_types::SolCall;
use ark_bn254::{Bn254, Fr};
use ark_ff::{BigInteger, PrimeField, Zero};
use ark_groth16::Proof;

alloy::sol! {
    /// The interface of every verifier this crate emits (see `generator.rs`).
    #[sol(rpc)]
    interface IGroth16Verifier {
        /// A public input is not below r.
        error PublicInputNotInField(uint256 index);
        /// The number of public inputs is not the key's.
        error PublicInputCountMismatch(uint256 given, uint256 expected);
        /// The proof does not verify.
        error ProofInvalid();

        /// Reverts unless the proof is valid.
        function verifyProof(uint256[8] calldata proof, uint256[] calldata input) external view;
        /// Whether the proof is valid.
        function isValidProof(uint256[8] calldata proof, uint256[] calldata input) external view returns (bool valid);
        /// keccak256 of the verifying key.
        function VERIFYING_KEY_HASH() external view returns (bytes32);
        /// Number of public inputs.
        function PUBLIC_INPUT_COUNT() external view returns (uint256);
    }
}

fn to_word<F: PrimeField>(f: &F) -> U256 {
    U256::from_be_slice(&f.into_bigint().to_bytes_be())
}

/// `[A.x, A.y, B.x.c1, B.x.c0, B.y.c1, B.y.c0, C.x, C.y]`.
pub fn proof_words(proof: &Proof<Bn254>) -> [U256; 8] {
    [
        to_word(&proof.a.x),
        to_word(&proof.a.y),
        to_word(&proof.b.x.c1),
        to_word(&proof.b.x.c0),
        to_word(&proof.b.y.c1),
        to_word(&proof.b.y.c0),
        to_word(&proof.c.x),
        to_word(&proof.c.y),
    ]
}

/// Public inputs as words.
pub fn input_words(inputs: &[Fr]) -> Vec<U256> {
    inputs.iter().map(to_word).collect()
}

/// The typed `verifyProof` call.
pub fn verify_proof_call(proof: &Proof<Bn254>, inputs: &[Fr]) -> IGroth16Verifier::verifyProofCall {
    IGroth16Verifier::verifyProofCall { proof: proof_words(proof), input: input_words(inputs) }
}

/// ABI-encoded calldata of `verifyProof(proof, inputs)`.
pub fn verify_proof_calldata(proof: &Proof<Bn254>, inputs: &[Fr]) -> Vec<u8> {
    verify_proof_call(proof, inputs).abi_encode()
}

/// The off-chain reading of verifier calldata: `None` where the precompiles would refuse
/// (a coordinate not below the base field's order, a point off the curve or outside its group).
pub fn proof_from_words(words: &[U256; 8]) -> Option<Proof<Bn254>> {
    use ark_bn254::{Fq, Fq2, G1Affine, G2Affine};
    use ark_ec::AffineRepr;
    let fq = |w: &U256| -> Option<Fq> {
        let value = Fq::from_bigint(ark_ff::BigInt(w.into_limbs()))?;
        Some(value)
    };
    let g1 = |x: &U256, y: &U256| -> Option<G1Affine> {
        let (x, y) = (fq(x)?, fq(y)?);
        if x.is_zero() && y.is_zero() {
            return Some(G1Affine::zero()); // the precompiles' encoding of infinity
        }
        let p = G1Affine::new_unchecked(x, y);
        p.is_on_curve().then_some(p)
    };
    let g2 = |w: &[U256]| -> Option<G2Affine> {
        let x = Fq2::new(fq(&w[1])?, fq(&w[0])?);
        let y = Fq2::new(fq(&w[3])?, fq(&w[2])?);
        if x.is_zero() && y.is_zero() {
            return Some(G2Affine::zero());
        }
        let p = G2Affine::new_unchecked(x, y);
        (p.is_on_curve() && p.is_in_correct_subgroup_assuming_on_curve()).then_some(p)
    };
    Some(Proof { a: g1(&words[0], &words[1])?, b: g2(&words[2..6])?, c: g1(&words[6], &words[7])? })
}

/// Public inputs from words; `None` if one is not below r (the verifier refuses it).
pub fn inputs_from_words(words: &[U256]) -> Option<Vec<Fr>> {
    words.iter().map(|w| Fr::from_bigint(ark_ff::BigInt(w.into_limbs()))).collect()
}

//! snarkjs' Groth16 formats: `verification_key.json`, `proof.json` and `public.json`.
//!
//! Export writes decimal strings in snarkjs' affine layout (G2 as `[[x.c0, x.c1], [y.c0, y.c1],
//! ["1", "0"]]`). Import is strict: a coordinate must be a canonical decimal below the base field's
//! order, a public signal below the scalar field's, every point on the curve and in the right
//! subgroup, and the protocol and curve must be `groth16` and `bn128`. Nothing is ever reduced.

use ark_bn254::{Bn254, Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_ec::pairing::Pairing;
use ark_ec::AffineRepr;
use ark_ff::{BigInteger, PrimeField};
use ark_groth16::{Proof, VerifyingKey};
use num_bigint::BigUint;
use serde::{Deserialize, Serialize};

use crate::Error;

/// snarkjs' `verification_key.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationKeyJson {
    /// Always `groth16`.
    pub protocol: String,
    /// Always `bn128`.
    pub curve: String,
    /// Number of public inputs.
    #[serde(rename = "nPublic")]
    pub n_public: usize,
    /// alpha in G1.
    pub vk_alpha_1: [String; 3],
    /// beta in G2.
    pub vk_beta_2: [[String; 2]; 3],
    /// gamma in G2.
    pub vk_gamma_2: [[String; 2]; 3],
    /// delta in G2.
    pub vk_delta_2: [[String; 2]; 3],
    /// e(alpha, beta) in GT (informational; snarkjs' verifier recomputes it).
    pub vk_alphabeta_12: Vec<Vec<[String; 2]>>,
    /// The input bases.
    #[serde(rename = "IC")]
    pub ic: Vec<[String; 3]>,
}

/// snarkjs' `proof.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofJson {
    /// A in G1.
    pub pi_a: [String; 3],
    /// B in G2.
    pub pi_b: [[String; 2]; 3],
    /// C in G1.
    pub pi_c: [String; 3],
    /// Always `groth16`.
    pub protocol: String,
    /// Always `bn128`.
    pub curve: String,
}

fn dec<F: PrimeField>(f: &F) -> String {
    BigUint::from_bytes_le(&f.into_bigint().to_bytes_le()).to_string()
}

fn g1_json(p: &G1Affine) -> [String; 3] {
    [dec(&p.x), dec(&p.y), "1".into()]
}

fn g2_json(p: &G2Affine) -> [[String; 2]; 3] {
    [[dec(&p.x.c0), dec(&p.x.c1)], [dec(&p.y.c0), dec(&p.y.c1)], ["1".into(), "0".into()]]
}

/// The verifying key in snarkjs' format.
pub fn export_verifying_key(vk: &VerifyingKey<Bn254>) -> VerificationKeyJson {
    let alpha_beta = Bn254::pairing(vk.alpha_g1, vk.beta_g2).0;
    let fq6 = |c: &ark_bn254::Fq6| {
        [&c.c0, &c.c1, &c.c2].iter().map(|f| [dec(&f.c0), dec(&f.c1)]).collect::<Vec<_>>()
    };
    VerificationKeyJson {
        protocol: "groth16".into(),
        curve: "bn128".into(),
        n_public: vk.gamma_abc_g1.len() - 1,
        vk_alpha_1: g1_json(&vk.alpha_g1),
        vk_beta_2: g2_json(&vk.beta_g2),
        vk_gamma_2: g2_json(&vk.gamma_g2),
        vk_delta_2: g2_json(&vk.delta_g2),
        vk_alphabeta_12: vec![fq6(&alpha_beta.c0), fq6(&alpha_beta.c1)],
        ic: vk.gamma_abc_g1.iter().map(g1_json).collect(),
    }
}

/// The proof in snarkjs' format.
pub fn export_proof(proof: &Proof<Bn254>) -> ProofJson {
    ProofJson {
        pi_a: g1_json(&proof.a),
        pi_b: g2_json(&proof.b),
        pi_c: g1_json(&proof.c),
        protocol: "groth16".into(),
        curve: "bn128".into(),
    }
}

/// Public inputs as snarkjs' `public.json`.
pub fn export_public(inputs: &[Fr]) -> Vec<String> {
    inputs.iter().map(dec).collect()
}

fn strict<F: PrimeField>(file: &'static str, what: &str, s: &str) -> Result<F, Error> {
    let bad = |reason: String| Error::Snarkjs { file, reason: format!("{what}: {reason}") };
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return Err(bad(format!("{s:?} is not a canonical decimal")));
    }
    let value: BigUint = s.parse().map_err(|e| bad(format!("{e}")))?;
    if value >= BigUint::from_bytes_le(&F::MODULUS.to_bytes_le()) {
        return Err(bad(format!("{s} is not below the field's order")));
    }
    Ok(F::from_le_bytes_mod_order(&value.to_bytes_le()))
}

fn g1_from(file: &'static str, what: &str, p: &[String; 3]) -> Result<G1Affine, Error> {
    if p[2] != "1" {
        return Err(Error::Snarkjs {
            file,
            reason: format!("{what}: not an affine point (z = {})", p[2]),
        });
    }
    let point =
        G1Affine::new_unchecked(strict::<Fq>(file, what, &p[0])?, strict(file, what, &p[1])?);
    if !point.is_on_curve() || !point.is_in_correct_subgroup_assuming_on_curve() || point.is_zero()
    {
        return Err(Error::Snarkjs { file, reason: format!("{what}: not a point of BN254's G1") });
    }
    Ok(point)
}

fn g2_from(file: &'static str, what: &str, p: &[[String; 2]; 3]) -> Result<G2Affine, Error> {
    if p[2] != ["1", "0"] {
        return Err(Error::Snarkjs { file, reason: format!("{what}: not an affine point") });
    }
    let fq2 = |c: &[String; 2]| -> Result<Fq2, Error> {
        Ok(Fq2::new(strict(file, what, &c[0])?, strict(file, what, &c[1])?))
    };
    let point = G2Affine::new_unchecked(fq2(&p[0])?, fq2(&p[1])?);
    if !point.is_on_curve() || !point.is_in_correct_subgroup_assuming_on_curve() || point.is_zero()
    {
        return Err(Error::Snarkjs { file, reason: format!("{what}: not a point of BN254's G2") });
    }
    Ok(point)
}

fn check_protocol(file: &'static str, protocol: &str, curve: &str) -> Result<(), Error> {
    if protocol != "groth16" || curve != "bn128" {
        return Err(Error::Snarkjs {
            file,
            reason: format!("protocol {protocol:?} on curve {curve:?}; expected groth16 on bn128"),
        });
    }
    Ok(())
}

/// Reads snarkjs' verification key strictly.
pub fn import_verifying_key(json: &VerificationKeyJson) -> Result<VerifyingKey<Bn254>, Error> {
    const FILE: &str = "verification key";
    check_protocol(FILE, &json.protocol, &json.curve)?;
    if json.ic.len() != json.n_public + 1 {
        return Err(Error::Snarkjs {
            file: FILE,
            reason: format!("{} IC points for nPublic = {}", json.ic.len(), json.n_public),
        });
    }
    Ok(VerifyingKey {
        alpha_g1: g1_from(FILE, "vk_alpha_1", &json.vk_alpha_1)?,
        beta_g2: g2_from(FILE, "vk_beta_2", &json.vk_beta_2)?,
        gamma_g2: g2_from(FILE, "vk_gamma_2", &json.vk_gamma_2)?,
        delta_g2: g2_from(FILE, "vk_delta_2", &json.vk_delta_2)?,
        gamma_abc_g1: json
            .ic
            .iter()
            .enumerate()
            .map(|(i, p)| g1_from(FILE, &format!("IC[{i}]"), p))
            .collect::<Result<_, _>>()?,
    })
}

/// Reads snarkjs' proof strictly.
pub fn import_proof(json: &ProofJson) -> Result<Proof<Bn254>, Error> {
    const FILE: &str = "proof";
    check_protocol(FILE, &json.protocol, &json.curve)?;
    Ok(Proof {
        a: g1_from(FILE, "pi_a", &json.pi_a)?,
        b: g2_from(FILE, "pi_b", &json.pi_b)?,
        c: g1_from(FILE, "pi_c", &json.pi_c)?,
    })
}

/// Reads snarkjs' public signals strictly (each below r).
pub fn import_public(signals: &[String]) -> Result<Vec<Fr>, Error> {
    signals
        .iter()
        .enumerate()
        .map(|(i, s)| strict("public signals", &format!("[{i}]"), s))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::{CurveGroup, PrimeGroup};
    use ark_ff::UniformRand;
    use rand::{rngs::StdRng, SeedableRng};

    fn sample_key() -> VerifyingKey<Bn254> {
        let mut rng = StdRng::seed_from_u64(1);
        let g1 =
            |rng: &mut StdRng| (ark_bn254::G1Projective::generator() * Fr::rand(rng)).into_affine();
        let g2 =
            |rng: &mut StdRng| (ark_bn254::G2Projective::generator() * Fr::rand(rng)).into_affine();
        VerifyingKey {
            alpha_g1: g1(&mut rng),
            beta_g2: g2(&mut rng),
            gamma_g2: g2(&mut rng),
            delta_g2: g2(&mut rng),
            gamma_abc_g1: (0..3).map(|_| g1(&mut rng)).collect(),
        }
    }

    #[test]
    fn export_then_import_round_trips() {
        let vk = sample_key();
        assert_eq!(import_verifying_key(&export_verifying_key(&vk)).expect("import"), vk);
        let signals = export_public(&[Fr::from(5u64), -Fr::from(1u64)]);
        assert_eq!(import_public(&signals).expect("import"), vec![Fr::from(5u64), -Fr::from(1u64)]);
    }

    #[test]
    fn import_refuses_values_above_the_modulus_and_points_off_the_curve() {
        let vk = sample_key();
        let mut json = export_verifying_key(&vk);
        json.ic[1][1] = "1".into();
        assert!(import_verifying_key(&json).is_err(), "point off the curve");
        let mut json = export_verifying_key(&vk);
        let q = BigUint::from(Fq::MODULUS);
        json.vk_alpha_1[0] =
            (BigUint::parse_bytes(json.vk_alpha_1[0].as_bytes(), 10).expect("dec") + q).to_string();
        assert!(import_verifying_key(&json).is_err(), "x + q is not reduced");
        let r = BigUint::from(Fr::MODULUS).to_string();
        assert!(import_public(&[r]).is_err());
        let mut json = export_verifying_key(&vk);
        json.curve = "bls12381".into();
        assert!(import_verifying_key(&json).is_err());
    }
}

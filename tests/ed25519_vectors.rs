//! Known-answer Ed25519 vectors from outside the project (sources and
//! licences in test-vectors/outside/README.md): RFC 8032 section 7.1,
//! Wycheproof `ed25519_test.json` and CCTV `ed25519vectors.json`. hwprov's one
//! signature check (`keys::verify_raw`) must accept exactly what
//! ed25519-dalek's `verify_strict` accepts.

mod common;

use common::outside;
use ed25519_dalek::{Signature, VerifyingKey};
use hwprov::wire::keys::{verify_raw, verify_raw_parts, verify_raw_prepared};

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn load(rel: &str) -> serde_json::Value {
    let p = outside().join("ed25519").join(rel);
    serde_json::from_slice(&std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .unwrap()
}

/// ed25519-dalek's verify_strict, called directly.
fn dalek_strict(pk: &[u8], msg: &[u8], sig: &[u8]) -> bool {
    let (Ok(pk), Ok(sig)) = (<[u8; 32]>::try_from(pk), <[u8; 64]>::try_from(sig)) else {
        return false;
    };
    VerifyingKey::from_bytes(&pk)
        .is_ok_and(|k| k.verify_strict(msg, &Signature::from_bytes(&sig)).is_ok())
}

/// hwprov's check; the streaming form used for COSE signatures (message in
/// pieces, no copy) must give the same answer on every vector.
fn hwprov_verify(pk: &[u8], msg: &[u8], sig: &[u8]) -> bool {
    let Ok(pk) = <[u8; 32]>::try_from(pk) else {
        return false;
    };
    let whole = verify_raw(&pk, msg, sig);
    let (a, b) = msg.split_at(msg.len() / 2);
    let (b, c) = b.split_at(b.len() / 3);
    assert_eq!(
        verify_raw_parts(&pk, &[a, b, c], sig),
        whole,
        "streaming verification disagrees with verify_strict"
    );
    assert_eq!(verify_raw_parts(&pk, &[msg], sig), whole);
    assert_eq!(
        verify_raw_prepared(&pk, &[a, b, c], sig),
        [whole; 4],
        "the prepared-key check (without its table, with it) disagrees with verify_strict"
    );
    whole
}

#[test]
fn rfc8032_section_7_1() {
    let v = load("rfc8032.json");
    let vectors = v["vectors"].as_array().unwrap();
    assert_eq!(vectors.len(), 5);
    for t in vectors {
        let (pk, msg, sig) = (
            hex(t["public_key"].as_str().unwrap()),
            hex(t["message"].as_str().unwrap()),
            hex(t["signature"].as_str().unwrap()),
        );
        assert!(hwprov_verify(&pk, &msg, &sig), "{}", t["name"]);
        // Signing with the seed reproduces the published signature.
        let seed: [u8; 32] = hex(t["secret_key"].as_str().unwrap()).try_into().unwrap();
        let k = hwprov::SecretKey::from_seed(&seed);
        assert_eq!(k.public().to_bytes().to_vec(), pk);
        assert_eq!(k.sign(&msg).to_vec(), sig, "{}", t["name"]);
        let mut bad = sig.clone();
        bad[0] ^= 1;
        assert!(!hwprov_verify(&pk, &msg, &bad));
    }
}

#[test]
fn wycheproof_matches_verify_strict_and_the_expected_results() {
    let v = load("wycheproof_ed25519_test.json");
    let mut accepted = Vec::new();
    let mut n = 0;
    for g in v["testGroups"].as_array().unwrap() {
        let pk = hex(g["publicKey"]["pk"].as_str().unwrap());
        for t in g["tests"].as_array().unwrap() {
            n += 1;
            let (msg, sig) = (
                hex(t["msg"].as_str().unwrap()),
                hex(t["sig"].as_str().unwrap()),
            );
            let ours = hwprov_verify(&pk, &msg, &sig);
            assert_eq!(ours, dalek_strict(&pk, &msg, &sig), "tcId {}", t["tcId"]);
            match t["result"].as_str().unwrap() {
                "valid" => assert!(ours, "tcId {} valid but rejected", t["tcId"]),
                "invalid" => assert!(
                    !ours,
                    "tcId {} invalid but accepted ({})",
                    t["tcId"], t["comment"]
                ),
                _ => {}
            }
            if ours {
                accepted.push(t["tcId"].as_u64().unwrap());
            }
        }
    }
    assert_eq!(n, 151);
    // Which edge cases verify accepts: exactly the 88 "valid" ones.
    assert_eq!(accepted.len(), 88, "accepted tcIds: {accepted:?}");
}

#[test]
fn cctv_edge_cases_match_verify_strict() {
    let v = load("cctv_ed25519vectors.json");
    let allowed = ["low_order_component_A", "low_order_component_R"];
    let mut accepted = Vec::new();
    let vectors = v.as_array().unwrap();
    assert_eq!(vectors.len(), 914);
    for t in vectors {
        let (pk, sig) = (
            hex(t["key"].as_str().unwrap()),
            hex(t["sig"].as_str().unwrap()),
        );
        let msg = t["msg"].as_str().unwrap().as_bytes();
        let flags: Vec<&str> = t["flags"]
            .as_array()
            .map(|f| f.iter().map(|x| x.as_str().unwrap()).collect())
            .unwrap_or_default();
        let ours = hwprov_verify(&pk, msg, &sig);
        assert_eq!(ours, dalek_strict(&pk, msg, &sig), "vector {}", t["number"]);
        let expected = flags.iter().all(|f| allowed.contains(f));
        assert_eq!(ours, expected, "vector {} flags {flags:?}", t["number"]);
        if ours {
            accepted.push(t["number"].as_u64().unwrap());
        }
    }
    // The accepted set: no flags, or only low-order components (43 of 914).
    assert_eq!(accepted.len(), 43, "accepted: {accepted:?}");
}

mod differential {
    //! hwprov's streaming check (which judges `R` by its encoding instead of
    //! decompressing it) against `verify_strict` on constructed signatures:
    //! honest ones, small-order and mixed-order `R` and `A`, non-canonical
    //! encodings of `R` and `S`, and random bit flips.

    use super::dalek_strict;
    use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT as B, EIGHT_TORSION};
    use curve25519_dalek::edwards::EdwardsPoint;
    use curve25519_dalek::scalar::Scalar;
    use hwprov::wire::keys::{verify_raw_parts, verify_raw_prepared};
    use proptest::prelude::*;
    use sha2::{Digest, Sha512};

    /// The order of the prime subgroup, little-endian.
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];

    fn challenge(r: &[u8; 32], a: &[u8; 32], msg: &[u8]) -> Scalar {
        let mut h = Sha512::new();
        h.update(r);
        h.update(a);
        h.update(msg);
        let out: [u8; 64] = h.finalize().into();
        Scalar::from_bytes_mod_order_wide(&out)
    }

    /// A signature by secret scalar `a` with nonce `r` for public point
    /// `pa` and nonce point `pr` (which may carry a torsion component).
    fn sign(
        a: Scalar,
        r: Scalar,
        pa: EdwardsPoint,
        pr: EdwardsPoint,
        msg: &[u8],
    ) -> ([u8; 32], [u8; 64]) {
        let ab = pa.compress().to_bytes();
        let rb = pr.compress().to_bytes();
        let k = challenge(&rb, &ab, msg);
        let s = r + k * a;
        let mut sig = [0u8; 64];
        sig[..32].copy_from_slice(&rb);
        sig[32..].copy_from_slice(s.as_bytes());
        (ab, sig)
    }

    /// Adds `L` to a canonical scalar's bytes (a non-canonical `S`).
    fn plus_l(s: &[u8]) -> [u8; 32] {
        let mut out = [0u8; 32];
        let mut carry = 0u16;
        for i in 0..32 {
            let v = u16::from(s[i]) + u16::from(L[i]) + carry;
            out[i] = v as u8;
            carry = v >> 8;
        }
        out
    }

    fn agree(pk: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> bool {
        let strict = dalek_strict(pk, msg, sig);
        let (x, y) = msg.split_at(msg.len() / 2);
        assert_eq!(
            verify_raw_parts(pk, &[x, y], sig),
            strict,
            "pk {pk:02x?} sig {sig:02x?}"
        );
        assert_eq!(
            verify_raw_prepared(pk, &[x, y], sig),
            [strict; 4],
            "prepared key (without its table, with it): pk {pk:02x?} sig {sig:02x?}"
        );
        strict
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, rng_seed: proptest::test_runner::RngSeed::Fixed(0x6877_7072_6f76), ..ProptestConfig::default() })]
        #[test]
        fn streaming_check_accepts_exactly_what_verify_strict_accepts(
            a in any::<[u8; 32]>(),
            r in any::<[u8; 32]>(),
            msg in proptest::collection::vec(any::<u8>(), 0..64),
            case in 0u8..9,
            t in 0usize..8,
            bit in 0usize..512,
            y in 0u8..19,
        ) {
            let a = Scalar::from_bytes_mod_order(a);
            let r = Scalar::from_bytes_mod_order(r);
            let torsion = EIGHT_TORSION[t];
            let (pk, mut sig) = sign(a, r, a * B, r * B, &msg);
            match case {
                // Honest: both accept.
                0 => prop_assert!(agree(&pk, &msg, &sig)),
                // R replaced by a small-order point's canonical encoding.
                1 => {
                    sig[..32].copy_from_slice(&torsion.compress().to_bytes());
                    agree(&pk, &msg, &sig);
                }
                // A signature whose R has a torsion component (mixed order).
                2 => {
                    let (pk, sig) = sign(a, r, a * B, r * B + torsion, &msg);
                    agree(&pk, &msg, &sig);
                }
                // A public key with a torsion component (mixed order A):
                // verify_strict accepts exactly when k·T = 0.
                3 => {
                    let (pk, sig) = sign(a, r, a * B + torsion, r * B, &msg);
                    agree(&pk, &msg, &sig);
                }
                // A small-order public key.
                4 => {
                    let (pk, sig) = sign(a, r, torsion, r * B, &msg);
                    prop_assert!(!agree(&pk, &msg, &sig));
                }
                // Non-canonical R: y + p for a small y (with either sign).
                5 => {
                    let mut enc = [0xffu8; 32];
                    enc[0] = 0xed + y;
                    enc[31] = 0x7f | if bit % 2 == 0 { 0 } else { 0x80 };
                    sig[..32].copy_from_slice(&enc);
                    agree(&pk, &msg, &sig);
                }
                // Non-canonical S (S + L).
                6 => {
                    let s = plus_l(&sig[32..]);
                    sig[32..].copy_from_slice(&s);
                    prop_assert!(!agree(&pk, &msg, &sig));
                }
                // One bit flipped anywhere in the signature.
                7 => {
                    sig[bit / 8] ^= 1 << (bit % 8);
                    agree(&pk, &msg, &sig);
                }
                // R with its sign bit flipped (the negated point).
                _ => {
                    sig[31] ^= 0x80;
                    agree(&pk, &msg, &sig);
                }
            }
        }
    }

    /// A signature whose recomputed R is the identity (s = k·a, R = 0·B),
    /// which only a signer can make: verify_strict refuses it for its
    /// small-order R, and so must the streaming check.
    #[test]
    fn an_identity_r_made_by_the_signer_is_refused() {
        let a = Scalar::from_bytes_mod_order([7; 32]);
        let pa = a * B;
        let pk = pa.compress().to_bytes();
        let rb = EdwardsPoint::default().compress().to_bytes();
        let msg = b"identity R";
        let k = challenge(&rb, &pk, msg);
        let mut sig = [0u8; 64];
        sig[..32].copy_from_slice(&rb);
        sig[32..].copy_from_slice((k * a).as_bytes());
        assert!(!dalek_strict(&pk, msg, &sig));
        assert!(!verify_raw_parts(&pk, &[msg], &sig));
        assert_eq!(verify_raw_prepared(&pk, &[msg], &sig), [false; 4]);
    }
}

//! Known-answer Ed25519 vectors from outside the project (sources and
//! licences in test-vectors/outside/README.md): RFC 8032 section 7.1,
//! Wycheproof `ed25519_test.json` and CCTV `ed25519vectors.json`. hwprov's one
//! signature check (`keys::verify_raw`) must accept exactly what
//! ed25519-dalek's `verify_strict` accepts.

mod common;

use common::outside;
use ed25519_dalek::{Signature, VerifyingKey};
use hwprov::wire::keys::{verify_raw, verify_raw_parts};

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

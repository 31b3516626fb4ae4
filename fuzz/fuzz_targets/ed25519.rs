//! hwprov's Ed25519 checks (the streaming one, which judges `R` by its
//! encoding instead of decompressing it, and the prepared-key one, both
//! before and after it builds its per-key table) against ed25519-dalek's `verify_strict`: they
//! must agree on every input. Inputs are either raw (public key,
//! signature, message) or an honest signature built from a seed and then
//! bent: `R` or `A` given a torsion component or replaced by a small-order
//! point, `S` pushed past the group order, bytes XORed with a mask.
#![no_main]

use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT as B, EIGHT_TORSION};
use curve25519_dalek::scalar::Scalar;
use ed25519_dalek::{Signature, VerifyingKey};
use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha512};

fn strict(pk: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> bool {
    VerifyingKey::from_bytes(pk)
        .is_ok_and(|k| k.verify_strict(msg, &Signature::from_bytes(sig)).is_ok())
}

fn check(pk: &[u8; 32], msg: &[u8], sig: &[u8; 64]) {
    let want = strict(pk, msg, sig);
    let (a, b) = msg.split_at(msg.len() / 2);
    assert_eq!(hwprov::wire::keys::verify_raw_parts(pk, &[a, b], sig), want);
    assert_eq!(hwprov::wire::keys::verify_raw(pk, msg, sig), want);
    assert_eq!(
        hwprov::wire::keys::verify_raw_prepared(pk, &[a, b], sig),
        [want; 4]
    );
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        // Raw: public key, signature, message.
        if rest.len() < 96 {
            return;
        }
        let pk: [u8; 32] = rest[..32].try_into().unwrap_or([0; 32]);
        let sig: [u8; 64] = rest[32..96].try_into().unwrap_or([0; 64]);
        check(&pk, &rest[96..], &sig);
        return;
    }
    // Built: seeds for a and r, torsion choices, a 96-byte mask, message.
    if rest.len() < 64 + 2 + 96 {
        return;
    }
    let a = Scalar::from_bytes_mod_order(rest[..32].try_into().unwrap_or([0; 32]));
    let r = Scalar::from_bytes_mod_order(rest[32..64].try_into().unwrap_or([0; 32]));
    let (choice, t) = (rest[64], EIGHT_TORSION[usize::from(rest[65] % 8)]);
    let mask = &rest[66..162];
    let msg = &rest[162..];
    let mut pa = a * B;
    let mut pr = r * B;
    match choice % 5 {
        1 => pr += t,
        2 => pa += t,
        3 => pr = t,
        4 => pa = t,
        _ => {}
    }
    let ab = pa.compress().to_bytes();
    let rb = pr.compress().to_bytes();
    let mut h = Sha512::new();
    h.update(rb);
    h.update(ab);
    h.update(msg);
    let wide: [u8; 64] = h.finalize().into();
    let k = Scalar::from_bytes_mod_order_wide(&wide);
    let s = r + k * a;
    let mut pk = ab;
    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(&rb);
    sig[32..].copy_from_slice(s.as_bytes());
    check(&pk, msg, &sig);
    // Then bent by the mask (a zero mask leaves it as built).
    for (i, m) in mask.iter().enumerate() {
        if i < 32 {
            pk[i] ^= m;
        } else {
            sig[i - 32] ^= m;
        }
    }
    check(&pk, msg, &sig);
});

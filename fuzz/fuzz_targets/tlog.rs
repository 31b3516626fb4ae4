//! The transparency-log text formats (SPEC 6.9, 10.2 to 10.4): a
//! tlog-policy file, a tlog-proof and a signed note with cosignatures, from
//! the same bytes (the first byte picks which). Never panics; a parsed
//! proof encodes and parses back to itself; a parsed policy judges the
//! proof's checkpoint without panicking; a parsed note's signatures are
//! checked against a fixed log key and witness.
#![no_main]

use hwprov::wire::tlog::note::{Note, Verifier, Witness};
use hwprov::wire::tlog::policy::TlogPolicy;
use hwprov::wire::tlog::proof::TlogProof;
use hwprov::SecretKey;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((which, rest)) = data.split_first() else {
        return;
    };
    match which % 3 {
        0 => {
            if let Ok(p) = TlogProof::parse(rest) {
                let text = p.encode();
                assert_eq!(TlogProof::parse(text.as_bytes()).expect("round trip"), p);
            }
        }
        1 => {
            // A policy, then (after a 0xff byte) a proof judged by it.
            let mut parts = rest.splitn(2, |b| *b == 0xff);
            let policy = parts.next().unwrap_or_default();
            let proof = parts.next().unwrap_or_default();
            if let Ok(pol) = TlogPolicy::parse(policy) {
                let _ = pol.describe();
                if let Ok(p) = TlogProof::parse(proof) {
                    let _ = p.verify(&pol, p.extra.as_deref().unwrap_or_default());
                }
            }
        }
        _ => {
            if let Ok(text) = std::str::from_utf8(rest)
                && let Ok(n) = Note::parse(text)
            {
                let key = SecretKey::from_seed(&[1; 32]).public();
                let v = Verifier::new("log.example", key).expect("name");
                let w = Witness::new("w.example", key).expect("name");
                let _ = n.verify(&v);
                let _ = n.cosigned_by(&w);
            }
        }
    }
});

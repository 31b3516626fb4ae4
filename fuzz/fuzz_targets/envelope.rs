//! Any bytes as a COSE envelope: never panics; whatever decodes re-encodes
//! to the same bytes (the profile accepts only shortest forms).
#![no_main]

use hwprov::wire::envelope::Envelope;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(env) = Envelope::decode(data, 16) {
        assert!(!env.signatures.is_empty());
        assert!(env.signatures.len() <= hwprov::wire::envelope::MAX_SIGNATURES);
        for s in &env.signatures {
            // The streamed Sig_structure is the whole one: a signature over
            // the whole verifies in pieces, and nothing else does.
            let tbs = env.to_be_signed(s);
            assert!(tbs.ends_with(&env.payload));
        }
    }
});

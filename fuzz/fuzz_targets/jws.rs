//! OCP S.A.F.E. reports as JWS compact serialisations (SPEC 11): any bytes,
//! raw or as three parts (split at 0xff bytes) each base64url-encoded, so
//! the fuzzer reaches the header and payload JSON readers. Never panics;
//! what parses shows as JSON, names its curve, and parses again to the
//! same report.
#![no_main]

use base64::Engine as _;
use hwprov::Limits;
use hwprov::wire::safe;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input: Vec<u8> = match data.split_first() {
        Some((0, rest)) => rest.to_vec(),
        _ => {
            let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
            let parts: Vec<String> = data
                .get(1..)
                .unwrap_or_default()
                .splitn(3, |b| *b == 0xff)
                .map(|p| b64.encode(p))
                .collect();
            parts.join(".").into_bytes()
        }
    };
    if let Ok(s) = safe::parse(&input, &Limits::DEFAULT) {
        let _ = s.to_json();
        let again = safe::parse(&input, &Limits::DEFAULT).expect("parses twice");
        assert_eq!(again.report, s.report);
        assert!(s.curve().is_some());
    }
});

//! OCP S.A.F.E. reports as COSE-signed CoRIM (SPEC 11): any bytes, raw or
//! as the payload (after the CoRIM tag) of a COSE_Sign1 with a P-521-sized
//! signature, so the fuzzer reaches the CoRIM and CoMID readers. Never
//! panics; what parses is recognised as CoRIM, shows as JSON and parses
//! again to the same report.
#![no_main]

use hwprov::Limits;
use hwprov::wire::cbor::{self, Value};
use hwprov::wire::safe;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input: Vec<u8> = match data.split_first() {
        Some((0, rest)) => rest.to_vec(),
        _ => {
            let mut payload = vec![0xd9, 0x01, 0xf5];
            payload.extend_from_slice(data.get(1..).unwrap_or_default());
            cbor::encode(&Value::Tag(
                18,
                Box::new(Value::Array(vec![
                    Value::Bytes(Vec::new()),
                    Value::Map(Vec::new()),
                    Value::Bytes(payload),
                    Value::Bytes(vec![0; 132]),
                ])),
            ))
        }
    };
    let limits = Limits::DEFAULT;
    if let Ok(s) = safe::parse(&input, &limits) {
        let _ = s.to_json();
        if !safe::is_jws(&input) {
            assert!(safe::is_corim(&input, &limits));
        }
        let again = safe::parse(&input, &limits).expect("parses twice");
        assert_eq!(again.report, s.report);
    }
});

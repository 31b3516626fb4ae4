//! Any bytes as a statement payload: never panics; an accepted payload is
//! canonical (re-encodes to the same bytes) and survives the JSON authoring
//! form round trip unchanged.
#![no_main]

use hwprov::wire::statement::Statement;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(st) = Statement::decode(data, 16) {
        assert_eq!(st.encode(), data, "accepted payload is not canonical");
        let json = st.to_json();
        // ext may hold CBOR the authoring form cannot write (e.g. negative
        // integers); everything else must round-trip exactly.
        if st.ext.is_none() {
            let back = Statement::from_json(&json).expect("authoring form round trip");
            assert_eq!(back, st);
        }
    }
});

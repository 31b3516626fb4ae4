//! Any bytes as a gate state file: never panics; what loads (no duplicate
//! key anywhere, the documented shape) saves and loads back to the same
//! state.
#![no_main]

use hwprov::wire::state::State;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    if let Ok(state) = State::parse(data, Path::new("fuzz.json")) {
        let again = State::parse(&state.to_bytes(), Path::new("again.json")).expect("round trip");
        assert_eq!(again, state);
    }
});

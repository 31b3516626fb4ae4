//! Any bytes as a gate state file: never panics; what loads saves and loads
//! back to the same state.
#![no_main]

use hwprov::state::State;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(state) = serde_json::from_slice::<State>(data) {
        let again: State = serde_json::from_slice(&state.to_bytes()).expect("round trip");
        assert_eq!(again, state);
    }
});

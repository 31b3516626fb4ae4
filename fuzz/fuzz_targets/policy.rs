//! Any text as a policy file: never panics; errors carry a position.
#![no_main]

use hwprov::{Policy, PolicyError};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    if let Ok(src) = std::str::from_utf8(data) {
        match Policy::parse(src, Path::new("p.toml"), Path::new("/nonexistent")) {
            Ok(_) => {}
            Err(PolicyError::At { line, column, .. }) => assert!(line >= 1 && column >= 1),
            Err(_) => {}
        }
    }
});

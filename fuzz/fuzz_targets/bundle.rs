//! Any bytes as a bundle, verified against the example policy: never panics,
//! and the verdict agrees with the findings.
#![no_main]

use hwprov::{Limits, Policy, Severity, Timestamp, Verdict};
use libfuzzer_sys::fuzz_target;
use std::path::Path;
use std::sync::OnceLock;

fn policy() -> &'static Policy {
    static P: OnceLock<Policy> = OnceLock::new();
    P.get_or_init(|| {
        let src = include_str!("../../examples/data/policy.toml");
        Policy::parse(src, Path::new("policy.toml"), Path::new(".")).expect("example policy")
    })
}

fuzz_target!(|data: &[u8]| {
    let at = Timestamp(1_795_219_200);
    if let Ok(r) = hwprov::verify_bundle(policy(), data, at, &Limits::DEFAULT) {
        let denies = r.findings.iter().any(|f| f.severity == Severity::Deny);
        assert_eq!(denies, r.verdict == Verdict::Fail);
        assert_eq!(r.statements.is_empty(), r.root.is_none());
    }
});

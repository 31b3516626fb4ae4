//! Any bytes as a bundle, verified against the example policy, the OCP
//! S.A.F.E. example policy (evidence keys, `ocp-safe` required, so reports
//! in a bundle reach the evidence checks) and the example policy with
//! `[transparency]` (a tlog-policy of one log, quorum none, so tlog-proofs
//! in a bundle are judged): never panics, and the verdict agrees with the
//! findings.
#![no_main]

use hwprov::{Limits, Policy, Severity, Timestamp, Verdict};
use libfuzzer_sys::fuzz_target;
use std::path::Path;
use std::sync::OnceLock;

fn policies() -> &'static [Policy; 3] {
    static P: OnceLock<[Policy; 3]> = OnceLock::new();
    P.get_or_init(|| {
        let src = include_str!("../../examples/data/policy.toml");
        let example =
            Policy::parse(src, Path::new("policy.toml"), Path::new(".")).expect("example policy");
        let safe = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/ocp-safe/policy.toml");
        let safe = Policy::load(&safe, &Limits::DEFAULT).expect("S.A.F.E. example policy");
        let log = hwprov::SecretKey::from_seed(&[7; 32]).public();
        let vkey = hwprov::wire::tlog::note::Verifier::new("log.example", log)
            .expect("name")
            .to_vkey();
        let tlog = format!("log {vkey}\nquorum none\n");
        let transparent = Policy::parse_with(
            &format!("{src}\n[transparency]\nfirmware = \"logs.tlog-policy\"\n"),
            Path::new("policy.toml"),
            &|_| Ok(tlog.clone().into_bytes()),
        )
        .expect("transparency policy");
        [example, safe, transparent]
    })
}

fuzz_target!(|data: &[u8]| {
    let at = Timestamp(1_795_219_200);
    for policy in policies() {
        if let Ok(r) = hwprov::verify_bundle(policy, data, at, &Limits::DEFAULT) {
            let denies = r.findings.iter().any(|f| f.severity == Severity::Deny);
            assert_eq!(denies, r.verdict == Verdict::Fail);
            assert_eq!(r.statements.is_empty(), r.root.is_none());
            for e in &r.evaluations {
                assert!(r.statements.iter().any(|s| s.digest == e.evidence));
            }
        }
    }
});

//! Structure-aware: starts from a valid device bundle, applies edits chosen
//! by the input (change a site country, a part, a lot, an svn, a class or an
//! issuer; drop or duplicate inputs, provenance or whole statements; reorder
//! evidence), re-signs every edited statement with its issuer's key so the
//! policy engine (not the signature check) has to judge it, and verifies it
//! against the example policy. Invariants: no panic; the verdict agrees with
//! the findings; every finding's statement is in the bundle.
#![no_main]

#[path = "../../examples/support/mod.rs"]
#[allow(dead_code, unused_imports)]
mod support;

use hwprov::wire::envelope::Envelope;
use hwprov::wire::statement::{Body, Statement};
use hwprov::{Limits, Policy, Severity, Sha256, Timestamp, Verdict};
use libfuzzer_sys::fuzz_target;
use std::path::Path;
use std::sync::OnceLock;

struct World {
    policy: Policy,
    statements: Vec<Statement>,
}

fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| {
        let src = include_str!("../../examples/data/policy.toml");
        let policy = Policy::parse(src, Path::new("policy.toml"), Path::new(".")).expect("policy");
        let bundle = support::Unit::new("FZ-000001").bundle();
        let statements = hwprov::wire::bundle::split(&bundle, &Limits::DEFAULT)
            .expect("bundle")
            .iter()
            .map(|p| {
                let env = Envelope::decode(p, 16).expect("envelope");
                Statement::decode(&env.payload, 16).expect("statement")
            })
            .collect();
        World { policy, statements }
    })
}

const COUNTRIES: [&str; 6] = ["CN", "RU", "MY", "TW", "DE", "US"];
const ISSUERS: [&str; 5] = [
    "penang-osat",
    "pearl-river-osat",
    "aurora-networks",
    "eastwind-telecom",
    "nobody",
];

fuzz_target!(|data: &[u8]| {
    let w = world();
    let mut st = w.statements.clone();
    for op in data.chunks(3) {
        let [kind, a, b] = [op[0], *op.get(1).unwrap_or(&0), *op.get(2).unwrap_or(&0)];
        if st.is_empty() {
            break;
        }
        let i = usize::from(a) % st.len();
        match kind % 10 {
            7 if i > 0 => {
                st.remove(i);
                continue;
            }
            8 => {
                let dup = st[i].clone();
                st.push(dup);
                continue;
            }
            9 if st.len() > 2 => {
                let j = 1 + usize::from(b) % (st.len() - 1);
                let k = 1 + i % (st.len() - 1);
                st.swap(j, k);
                continue;
            }
            _ => {}
        }
        let s = &mut st[i];
        match (kind % 10, &mut s.body) {
            (0, Body::Stage(x)) => {
                x.site.country = hwprov::wire::country::Country::new(COUNTRIES[usize::from(b) % 6])
                    .expect("country")
            }
            (1, Body::Stage(x)) => x.lot = format!("L-{b}"),
            (2, Body::Stage(x)) => {
                x.inputs.pop();
            }
            (3, Body::Device(x)) => {
                x.class = Some(["core", "ran", "periphery"][usize::from(b) % 3].into())
            }
            (4, Body::Device(x)) => {
                if let Some(c) = x.components.first_mut() {
                    c.provenance.pop();
                }
            }
            (5, Body::Firmware(x)) => x.svn = u64::from(b),
            (6, _) => s.issuer = ISSUERS[usize::from(b) % 5].into(),
            _ => {}
        }
    }
    // Re-sign every statement with its issuer's key (unknown issuers fall
    // back to a key the policy does not know).
    let parts: Vec<Vec<u8>> = st
        .iter()
        .map(|s| support::sign(s, &[&support::key(&s.issuer, 0)]))
        .collect();
    let bytes = hwprov::wire::bundle::encode(&parts);
    let at = Timestamp(1_795_219_200);
    let Ok(r) = hwprov::verify_bundle(&w.policy, &bytes, at, &Limits::DEFAULT) else {
        return;
    };
    let denies = r.findings.iter().any(|f| f.severity == Severity::Deny);
    assert_eq!(denies, r.verdict == Verdict::Fail);
    for f in &r.findings {
        if let Some(d) = f.statement {
            assert!(
                parts.iter().any(|p| Sha256::of(p) == d),
                "finding about a statement not in the bundle: {f:?}"
            );
        }
    }
});

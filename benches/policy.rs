//! Cost of the policy engine: `verify` of a 50-statement bundle under a
//! 200-entity, 400-key policy with every rule in force, against the same
//! policy with every policy rule off, in the same run (target: under 10%
//! more); and loading such a policy file (target: under 5 ms).
//!
//!     cargo bench --bench policy

#[path = "../examples/support/mod.rs"]
mod support;

use criterion::Criterion;
use hwprov::{Limits, Policy, Timestamp};
use std::hint::black_box;
use std::path::Path;
use support::*;

fn main() {
    let limits = Limits::DEFAULT;
    let on_src = bench::large_policy(200, 400, false);
    let off_src = bench::large_policy(200, 400, true);
    let tmp = tempfile::tempdir().expect("tempdir");
    let on_path = tmp.path().join("on.toml");
    std::fs::write(&on_path, &on_src).expect("write");
    let on = Policy::load(&on_path, &limits).expect("policy");
    let off = Policy::parse(&off_src, Path::new("off.toml"), Path::new(".")).expect("policy");
    assert_eq!(on.entities.len(), 200);
    assert_eq!(on.keys.len(), 400);
    let bundle = bench::fifty_statement_bundle();
    let at = Timestamp::parse_rfc3339(AT).expect("time");
    let r = hwprov::verify_bundle(&on, &bundle, at, &limits).expect("verify");
    assert_eq!(r.statements.len(), 50);
    assert_eq!(r.verdict, hwprov::Verdict::Pass, "{:?}", r.findings);

    let mut c = Criterion::default().configure_from_args();
    let mut g = c.benchmark_group("policy-engine");
    g.bench_function("verify-rules-off", |b| {
        b.iter(|| hwprov::verify_bundle(&off, black_box(&bundle), at, &limits).expect("ok"))
    });
    g.bench_function("verify-rules-on", |b| {
        b.iter(|| hwprov::verify_bundle(&on, black_box(&bundle), at, &limits).expect("ok"))
    });
    g.bench_function("load-200-entities-400-keys", |b| {
        b.iter(|| Policy::load(black_box(&on_path), &limits).expect("ok"))
    });
    g.finish();
    c.final_summary();

    let mean = |name: &str| -> Option<f64> {
        let p = format!("target/criterion/policy-engine/{name}/new/estimates.json");
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(p).ok()?).ok()?;
        v["mean"]["point_estimate"].as_f64()
    };
    if let (Some(off_ns), Some(on_ns), Some(load_ns)) = (
        mean("verify-rules-off"),
        mean("verify-rules-on"),
        mean("load-200-entities-400-keys"),
    ) {
        println!("\nverify, rules off: {:>8.3} ms", off_ns / 1e6);
        println!("verify, rules on:  {:>8.3} ms", on_ns / 1e6);
        println!(
            "policy evaluation adds {:.1}% (target < 10%)",
            100.0 * (on_ns - off_ns) / off_ns
        );
        println!(
            "policy load ({} bytes): {:.3} ms (target < 5 ms)",
            on_src.len(),
            load_ns / 1e6
        );
    }
}

//! Cost of the policy engine: `verify` of a 50-statement bundle under a
//! 200-entity, 400-key policy with every rule in force (roles, classes,
//! zones, 20 declared lists, dated ownership; the unit placed in a class and
//! zones by a deployment row), against the same policy with every policy
//! rule off, in the same run (target: under 10% more); loading such a
//! policy file (target: under 5 ms); and loading a 10,000-row deployment
//! file (target: under 20 ms).
//!
//!     cargo bench --bench policy

#[path = "../examples/support/mod.rs"]
mod support;

use criterion::Criterion;
use hwprov::policy::deployment::Deployment;
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
    assert_eq!(on.lists.len(), 20);
    // The bench unit (vendor aurora-networks, model AX-5000, serial B-1) is
    // in the core class and two zones.
    let mut csv = bench::deployment_csv(9_999);
    csv.push_str("aurora-networks,AX-5000,B-1,core,sensitive;coastal,2025-03-01T00:00:00Z\n");
    let dep_path = tmp.path().join("deployment.csv");
    std::fs::write(&dep_path, &csv).expect("write");
    let dep_on = Deployment::load(&dep_path, &on, &limits).expect("deployment");
    let dep_off = Deployment::parse(csv.as_bytes(), Path::new("d.csv"), &off).expect("deployment");
    assert_eq!(dep_on.len(), 10_000);
    let verify = |p: &Policy, d: &Deployment| {
        hwprov::decide::verify::verify_deployed(p, Some(d), black_box(&bundle), at, &limits)
            .expect("ok")
    };
    let r = verify(&on, &dep_on);
    assert_eq!(r.statements.len(), 50);
    assert_eq!(
        r.unit.as_ref().and_then(|u| u.class.as_deref()),
        Some("core")
    );
    assert_eq!(r.verdict, hwprov::Verdict::Pass, "{:?}", r.findings);

    let mut c = Criterion::default().configure_from_args();
    let mut g = c.benchmark_group("policy-engine");
    g.bench_function("verify-rules-off", |b| b.iter(|| verify(&off, &dep_off)));
    g.bench_function("verify-rules-on", |b| b.iter(|| verify(&on, &dep_on)));
    g.bench_function("load-200-entities-400-keys", |b| {
        b.iter(|| Policy::load(black_box(&on_path), &limits).expect("ok"))
    });
    g.bench_function("load-deployment-10000-rows", |b| {
        b.iter(|| Deployment::load(black_box(&dep_path), &on, &limits).expect("ok"))
    });
    g.finish();
    c.final_summary();

    let mean = |name: &str| -> Option<f64> {
        let p = format!("target/criterion/policy-engine/{name}/new/estimates.json");
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(p).ok()?).ok()?;
        v["mean"]["point_estimate"].as_f64()
    };
    if let (Some(off_ns), Some(on_ns), Some(load_ns), Some(dep_ns)) = (
        mean("verify-rules-off"),
        mean("verify-rules-on"),
        mean("load-200-entities-400-keys"),
        mean("load-deployment-10000-rows"),
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
        println!(
            "deployment load (10,000 rows, {} bytes): {:.3} ms (target < 20 ms)",
            csv.len(),
            dep_ns / 1e6
        );
    }
}

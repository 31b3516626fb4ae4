//! Statements verified per second through the library's full verify path
//! (bundle split, envelope decode, canonical check, schema, key binding,
//! policy rules, report) on a 50-statement bundle, against raw
//! `verify_strict` calls on the same 50 signatures, in the same run, on one
//! core. Target: the full path reaches at least 85% of the raw rate. Also
//! the prepared-key signature check (`PreparedKey::verify_parts`, the same
//! accept set as `verify_strict`) per signature, against `verify_strict`,
//! both before and after the key builds its table;
//! and one OCP S.A.F.E. report checked (parsed, then its ES512 signature
//! verified with the provider's P-521 key), JWS and CoRIM, against one
//! `verify_strict`: the weight a report's key try costs in the signature
//! budget (`ECDSA_CHECK_WEIGHT`).
//!
//!     cargo bench --bench verify

#[path = "../examples/support/mod.rs"]
mod support;

use criterion::{Criterion, Throughput};
use ed25519_dalek::{Signature, VerifyingKey};
use hwprov::wire::envelope::Envelope;
use hwprov::{Limits, Policy, Timestamp};
use std::hint::black_box;
use std::path::Path;
use support::*;

fn main() {
    let limits = Limits::DEFAULT;
    let policy_src = policy(
        "bench",
        "required_stages = [\"design\", \"fab\", \"atp\"]\n",
        "",
    );
    let policy =
        Policy::parse(&policy_src, Path::new("bench.toml"), Path::new(".")).expect("policy");
    let bundle = bench::fifty_statement_bundle();
    let at = Timestamp::parse_rfc3339(AT).expect("time");
    let report = hwprov::verify_bundle(&policy, &bundle, at, &limits).expect("bundle");
    assert_eq!(report.statements.len(), 50);
    assert_eq!(
        report.verdict,
        hwprov::Verdict::Pass,
        "{:?}",
        report.findings
    );

    // The same 50 signatures, prepared for raw verify_strict.
    let raw: Vec<(VerifyingKey, Vec<u8>, Signature)> =
        hwprov::wire::bundle::split(&bundle, &limits)
            .expect("split")
            .iter()
            .map(|p| {
                let env = Envelope::decode(p, 16).expect("envelope");
                let s = &env.signatures[0];
                let key = policy.keys[&s.kid].key.to_bytes();
                let sig: [u8; 64] = s.signature.as_slice().try_into().expect("sig");
                (
                    VerifyingKey::from_bytes(&key).expect("key"),
                    env.to_be_signed(s),
                    Signature::from_bytes(&sig),
                )
            })
            .collect();

    // The same signatures through prepared keys (one per distinct key, as a
    // policy holds them), and the Sig_structure in its two pieces.
    let prepared: Vec<(hwprov::wire::keys::PreparedKey, Vec<u8>, [u8; 64])> = raw
        .iter()
        .map(|(k, m, s)| {
            (
                hwprov::wire::keys::PreparedKey::new(
                    hwprov::wire::keys::PublicKey::from_bytes(k.as_bytes()).expect("key"),
                ),
                m.clone(),
                s.to_bytes(),
            )
        })
        .collect();

    let mut c = Criterion::default().configure_from_args();
    let mut g = c.benchmark_group("verify-50-statements");
    g.throughput(Throughput::Elements(50));
    g.bench_function("raw-verify-strict", |b| {
        b.iter(|| {
            for (k, m, s) in &raw {
                k.verify_strict(black_box(m), s).expect("valid");
            }
        })
    });
    // With its table: the repetitions take every key past TABLE_AFTER.
    g.bench_function("prepared-key", |b| {
        b.iter(|| {
            for (k, m, s) in &prepared {
                k.verify_parts(&[black_box(m)], s).expect("valid");
            }
        })
    });
    // Before its table: fresh keys for every batch (made outside the
    // timing), each checking one signature.
    g.bench_function("prepared-key-before-table", |b| {
        b.iter_batched(
            || {
                prepared
                    .iter()
                    .map(|(k, _, _)| hwprov::wire::keys::PreparedKey::new(*k.key()))
                    .collect::<Vec<_>>()
            },
            |keys| {
                for (k, (_, m, s)) in keys.iter().zip(&prepared) {
                    k.verify_parts(&[black_box(m)], s).expect("valid");
                }
            },
            criterion::BatchSize::SmallInput,
        )
    });
    g.bench_function("full-verify-path", |b| {
        b.iter(|| hwprov::verify_bundle(&policy, black_box(&bundle), at, &limits).expect("ok"))
    });
    g.finish();

    // OCP S.A.F.E.: the Keysight-signed JWS and the Tetrel-signed CoRIM.
    let safe_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("test-vectors/outside/ocp-safe");
    let read = |rel: &str| std::fs::read(safe_dir.join(rel)).expect("vector");
    let key = |rel: &str| {
        hwprov::wire::eckey::EvidenceKey::from_pem(&String::from_utf8(read(rel)).expect("pem"))
            .expect("key")
    };
    let jws = read("reports/axiado-ax3000_series_bootrom-scope_1_signed.jws")
        .trim_ascii_end()
        .to_vec();
    let jws_key = key("keys/keysight_ocp_safe_ecdsa_p521_e1.pub");
    let corim = read(
        "reports/2026-04-21_Microsoft-Corporation_Microsoft-HSM-Cryptographic-Module-Layer-0-RoT_Final-Report_signed.cbor",
    );
    let corim_key = key("keys/tetrel-ocp-sfr-signing-key.pub");
    let mut g = c.benchmark_group("ocp-safe-report");
    g.throughput(Throughput::Elements(1));
    for (name, bytes, k) in [
        ("jws-es512", &jws, &jws_key),
        ("corim-es512", &corim, &corim_key),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                let s = hwprov::wire::safe::parse(black_box(bytes), &limits).expect("report");
                assert!(s.verified_by(k));
            })
        });
    }
    g.finish();
    c.final_summary();

    // Ratio from criterion's own estimates of this run.
    let mean = |name: &str| -> Option<f64> {
        let p = format!("target/criterion/verify-50-statements/{name}/new/estimates.json");
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(p).ok()?).ok()?;
        v["mean"]["point_estimate"].as_f64()
    };
    if let (Some(raw_ns), Some(full_ns)) = (mean("raw-verify-strict"), mean("full-verify-path")) {
        let raw_rate = 50.0 / (raw_ns * 1e-9);
        let full_rate = 50.0 / (full_ns * 1e-9);
        println!("\nraw verify_strict: {raw_rate:>10.0} signatures/s");
        println!("full verify path:  {full_rate:>10.0} statements/s");
        println!(
            "ratio: {:.1}% of the raw signature rate (target >= 85%)",
            100.0 * full_rate / raw_rate
        );
        for r in ["jws-es512", "corim-es512"] {
            let p = format!("target/criterion/ocp-safe-report/{r}/new/estimates.json");
            let v: Option<serde_json::Value> = std::fs::read(p)
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok());
            if let Some(ns) = v.and_then(|v| v["mean"]["point_estimate"].as_f64()) {
                println!(
                    "S.A.F.E. report {r}: {:>8.0} reports/s, {:.1} verify_strict each (budget weight: {})",
                    1e9 / ns,
                    ns / (raw_ns / 50.0),
                    hwprov::decide::safe::ECDSA_CHECK_WEIGHT
                );
            }
        }
        for (name, way) in [
            ("prepared-key", "with its table"),
            ("prepared-key-before-table", "before its table"),
        ] {
            if let Some(fast_ns) = mean(name) {
                println!(
                    "prepared-key check ({way}): {:>10.0} signatures/s, {:.2}x verify_strict",
                    50.0 / (fast_ns * 1e-9),
                    raw_ns / fast_ns
                );
            }
        }
    }
}

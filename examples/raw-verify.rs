//! The reference for `benches/vet.sh`: raw Ed25519 `verify_strict` throughput
//! on the same signatures a shipment holds, on N threads. Every signature of
//! every unit is extracted first (not timed), then verified with
//! ed25519-dalek directly, as many times as `vet` verifies them (once per
//! occurrence).
//!
//!     cargo run --release --example raw-verify -- --policy P.toml --jobs 2 DIR

use ed25519_dalek::{Signature, VerifyingKey};
use hwprov::wire::envelope::Envelope;
use hwprov::{Limits, Policy};
use rayon::prelude::*;
use std::path::PathBuf;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (policy, jobs, dir) = match args.as_slice() {
        [p, policy, j, jobs, dir] if p == "--policy" && j == "--jobs" => (
            PathBuf::from(policy),
            jobs.parse::<usize>().unwrap_or(1),
            PathBuf::from(dir),
        ),
        _ => {
            eprintln!("usage: raw-verify --policy P.toml --jobs N DIR");
            std::process::exit(2);
        }
    };
    let limits = Limits::DEFAULT;
    let policy = Policy::load(&policy, &limits).unwrap_or_else(|e| {
        eprintln!("raw-verify: {e}");
        std::process::exit(2)
    });
    let files = hwprov::decide::vet::collect(&[dir])
        .map(|c| c.units)
        .unwrap_or_else(|e| {
            eprintln!("raw-verify: {e}");
            std::process::exit(2)
        });
    let mut work: Vec<(VerifyingKey, Vec<u8>, Signature)> = Vec::new();
    let mut statements = 0usize;
    for f in files.iter() {
        let Ok(bytes) = std::fs::read(f) else {
            continue;
        };
        let Ok(parts) = hwprov::wire::bundle::split(&bytes, &limits) else {
            continue;
        };
        for p in parts {
            let Ok(env) = Envelope::decode(p, limits.max_depth) else {
                continue;
            };
            statements += 1;
            for s in &env.signatures {
                let (Some(k), Ok(sig)) = (
                    policy.keys.get(&s.kid),
                    <[u8; 64]>::try_from(s.signature.as_slice()),
                ) else {
                    continue;
                };
                let Ok(vk) = VerifyingKey::from_bytes(&k.key.to_bytes()) else {
                    continue;
                };
                work.push((vk, env.to_be_signed(s), Signature::from_bytes(&sig)));
            }
        }
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .expect("pool");
    let start = std::time::Instant::now();
    let ok = pool.install(|| {
        work.par_iter()
            .filter(|(k, m, s)| k.verify_strict(m, s).is_ok())
            .count()
    });
    let secs = start.elapsed().as_secs_f64();
    println!(
        "units {} statements {} signatures {} (valid {ok}) in {secs:.3} s: {:.0} signatures/s on {jobs} thread(s)",
        files.len(),
        statements,
        work.len(),
        work.len() as f64 / secs
    );
}

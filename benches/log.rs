//! The verification log at scale: appending 1,000,000 entries in batches of
//! 10,000 (target >= 20,000 entries/s), inclusion and consistency proofs at
//! 1,000,000 entries (target < 1 ms each), and `log verify` of the whole log
//! (target >= 1,000,000 entries/s of hashing). Replay against verify
//! throughput is measured by `benches/log.sh`.
//!
//!     cargo bench --bench log

use hwprov::audit::log::Log;
use hwprov::report::entry::{Command, Entry, Input};
use hwprov::{SecretKey, Sha256, Timestamp};
use std::time::Instant;

fn main() {
    let total: u64 = std::env::var("HWPROV_BENCH_ENTRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("log");
    let key = SecretKey::from_seed(&[7; 32]);
    let log = Log::init(&dir, &key, "bench.example/log").expect("init");
    let bundle = log.put_object(b"bench bundle").expect("object");
    let policy = log.put_object(b"bench policy").expect("object");
    let template = Entry {
        index: 0,
        time: Timestamp(1_795_219_200),
        at: Timestamp(1_795_219_200),
        tool: "hwprov/bench".into(),
        command: Command::Verify,
        inputs: vec![(Input::Bundle, bundle), (Input::Policy, policy)],
        verdict: "pass".into(),
        findings: Sha256::of(b"\x80"),
    };
    let batch = 10_000u64;
    let mut rates = Vec::new();
    let start_all = Instant::now();
    let mut done = 0;
    while done < total {
        let n = batch.min(total - done);
        let mut entries: Vec<Entry> = (0..n)
            .map(|i| Entry {
                time: Timestamp(1_795_219_200 + done + i),
                ..template.clone()
            })
            .collect();
        let t = Instant::now();
        log.append(&mut entries).expect("append");
        rates.push(n as f64 / t.elapsed().as_secs_f64());
        done += n;
    }
    rates.sort_by(f64::total_cmp);
    println!(
        "append: {total} entries in batches of {batch} in {:.1} s; per batch: median {:.0} entries/s, slowest {:.0} (target >= 20,000)",
        start_all.elapsed().as_secs_f64(),
        rates[rates.len() / 2],
        rates[0]
    );

    let size = log.size().expect("size");
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let reps = 300;
    let t = Instant::now();
    for _ in 0..reps {
        let i = next() % size;
        let (leaf, root, proof) = log.prove(i, size).expect("prove");
        hwprov::wire::tlog::merkle::verify_inclusion(i, size, &leaf, &proof, &root).expect("valid");
    }
    println!(
        "inclusion proof at {size} entries: {:.3} ms each (generate + verify, mean of {reps}; target < 1 ms)",
        t.elapsed().as_secs_f64() * 1e3 / reps as f64
    );
    let t = Instant::now();
    for _ in 0..reps {
        let old = 1 + next() % (size - 1);
        let (r1, r2, proof) = log.consistency(old, size).expect("consistency");
        hwprov::wire::tlog::merkle::verify_consistency(old, size, &proof, &r1, &r2).expect("valid");
    }
    println!(
        "consistency proof at {size} entries: {:.3} ms each (generate + verify, mean of {reps}; target < 1 ms)",
        t.elapsed().as_secs_f64() * 1e3 / reps as f64
    );

    let t = Instant::now();
    let (n, root) = log.recompute_root().expect("recompute");
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(root, log.checkpoint().expect("checkpoint").root);
    println!(
        "log verify, hashing (read entries, rebuild the tree, compare with the signed root): {n} entries in {secs:.2} s: {:.0} entries/s (target >= 1,000,000)",
        n as f64 / secs
    );
    let t = Instant::now();
    let (n, problems) = log.verify().expect("verify");
    let secs = t.elapsed().as_secs_f64();
    assert!(problems.is_empty(), "{problems:?}");
    println!(
        "log verify, everything (hashing, derived files, decoding every entry, objects): {n} entries in {secs:.2} s: {:.0} entries/s",
        n as f64 / secs
    );
}

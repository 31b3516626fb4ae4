//! The verification log at scale: appending 1,000,000 entries in batches of
//! 10,000 (target >= 20,000 entries/s), inclusion and consistency proofs at
//! 1,000,000 entries (target < 1 ms each), and `log verify` of the whole log
//! (target >= 1,000,000 entries/s of hashing); then transparency (SPEC
//! 10.2-10.4): publishing the 1,000,000 entries as C2SP tiles, then 10,000
//! more (cost proportional to the new entries), auditing the published
//! tree (against the `log verify` figure), each with its peak memory, and
//! a witness's cosignature and a tlog-proof check (target < 1 ms each).
//! Replay against verify throughput is measured by `benches/log.sh`.
//!
//!     cargo bench --bench log

use hwprov::audit::log::Log;
use hwprov::audit::{publish, witness};
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

    transparency(&log, &template, tmp.path());
}

/// Resets the process's peak RSS (Linux: `5` to `/proc/self/clear_refs`).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Peak RSS since the last reset, in MiB.
fn peak_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn transparency(log: &Log, template: &Entry, tmp: &std::path::Path) {
    let out = tmp.join("site");
    let size = log.size().expect("size");
    reset_peak();
    let t = Instant::now();
    let p = publish::publish(log, &out).expect("publish");
    let full = t.elapsed().as_secs_f64();
    println!(
        "publish {size} entries from scratch: {full:.2} s, {:.0} entries/s, {} files, peak RSS {:.0} MiB",
        size as f64 / full,
        p.files,
        peak_mib()
    );
    let more = 10_000u64;
    let mut entries: Vec<Entry> = (0..more)
        .map(|i| Entry {
            time: Timestamp(1_800_000_000 + i),
            ..template.clone()
        })
        .collect();
    log.append(&mut entries).expect("append");
    reset_peak();
    let t = Instant::now();
    let p = publish::publish(log, &out).expect("publish");
    let inc = t.elapsed().as_secs_f64();
    println!(
        "publish {more} new entries onto {size}: {inc:.3} s, {} files, peak RSS {:.0} MiB; per new entry {:.1} us vs {:.1} us from scratch (proportional to the new entries, not the log)",
        p.files,
        peak_mib(),
        inc * 1e6 / more as f64,
        full * 1e6 / size as f64
    );
    let t = Instant::now();
    let p = publish::publish(log, &out).expect("publish");
    println!(
        "publish with nothing new: {:.3} ms, {} files written",
        t.elapsed().as_secs_f64() * 1e3,
        p.files
    );
    reset_peak();
    let t = Instant::now();
    let a = publish::audit(&out, log.verifier(), None, None, |_, _| {}).expect("audit");
    let secs = t.elapsed().as_secs_f64();
    assert!(a.problems.is_empty(), "{:?}", a.problems);
    println!(
        "log audit of the published tree: {} entries in {secs:.2} s: {:.0} entries/s, peak RSS {:.0} MiB (compare log verify, everything, above)",
        a.checkpoint.size,
        a.checkpoint.size as f64 / secs,
        peak_mib()
    );
    // Two witnesses cosign; a tlog-proof with both is checked. The first
    // cosignature of each checks consistency from the tiles; the repeats
    // (same checkpoint) measure the signing and the two durable writes, on
    // this disk and on tmpfs (where fsync costs nothing).
    let w: Vec<SecretKey> = (1..=2u8).map(|i| SecretKey::from_seed(&[i; 32])).collect();
    let cosign_all = |site: &std::path::Path, state_dir: &std::path::Path, reps: u32| {
        let t = Instant::now();
        for r in 0..reps {
            for (i, k) in w.iter().enumerate() {
                witness::cosign(
                    site,
                    log.verifier(),
                    &format!("w{i}.example"),
                    k,
                    &state_dir.join(format!("w{i}.json")),
                    1_800_000_000 + u64::from(r),
                )
                .expect("cosign");
            }
        }
        t.elapsed().as_secs_f64() * 1e3 / f64::from(2 * reps)
    };
    let first = cosign_all(&out, tmp, 1);
    let disk = cosign_all(&out, tmp, 200);
    let shm = tempfile::tempdir_in("/dev/shm").ok().map(|d| {
        let site = d.path().join("site");
        std::fs::create_dir_all(&site).expect("dir");
        std::fs::copy(out.join("checkpoint"), site.join("checkpoint")).expect("copy");
        (
            cosign_all(&site, d.path(), 1),
            cosign_all(&site, d.path(), 200),
            d,
        )
    });
    println!(
        "cosign: first (consistency proof from the tiles) {first:.3} ms; again: {disk:.3} ms each on this disk (state and checkpoint written atomically with fsync){}",
        shm.map_or(String::new(), |(_, again, _)| format!(
            ", {again:.3} ms on tmpfs (the work itself)"
        ))
    );
    let note = std::fs::read_to_string(out.join("checkpoint")).expect("checkpoint");
    let index = size / 2 + 1;
    let proof = publish::tlog_proof(log, index, Some(&note)).expect("proof");
    let text = proof.encode();
    let policy = hwprov::wire::tlog::policy::TlogPolicy::parse(
        format!(
            "log {}\nwitness a {}\nwitness b {}\ngroup both all a b\nquorum both\n",
            log.verifier().to_vkey(),
            hwprov::wire::tlog::note::Witness::new("w0.example", w[0].public())
                .expect("name")
                .to_vkey(),
            hwprov::wire::tlog::note::Witness::new("w1.example", w[1].public())
                .expect("name")
                .to_vkey(),
        )
        .as_bytes(),
    )
    .expect("policy");
    let entry = log.entry_bytes(index).expect("entry");
    let reps = 1_000u32;
    let t = Instant::now();
    for _ in 0..reps {
        let p = hwprov::wire::tlog::proof::TlogProof::parse(text.as_bytes()).expect("parse");
        p.verify(&policy, &entry).expect("verifies");
    }
    println!(
        "tlog-proof check (parse, log signature, 2 cosignatures, quorum, inclusion at {} entries): {:.3} ms each (mean of {reps})",
        size + more,
        t.elapsed().as_secs_f64() * 1e3 / f64::from(reps)
    );
}

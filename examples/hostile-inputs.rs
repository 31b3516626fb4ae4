//! Writes the hostile inputs of `benches/hostile.sh` (the same ones
//! `tests/hostile.rs` runs under a watchdog) to a directory:
//!
//! - `dag/dag.cbor`: 12,000 components citing one 9,995-statement chain;
//! - `waivers.toml`, `chain.toml`, `deep.toml`: 4 MiB policies (40,000
//!   waivers; one 60,000-entity ownership chain, invalid; chains of the
//!   maximum 32 parents, valid).
//!
//!     cargo run --release --example hostile-inputs -- --out DIR

#[path = "support/mod.rs"]
mod support;

use std::path::PathBuf;
use support::hostile;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = match args.as_slice() {
        [o, dir] if o == "--out" => PathBuf::from(dir),
        _ => {
            eprintln!("usage: hostile-inputs --out DIR");
            std::process::exit(2);
        }
    };
    let write = |name: &str, bytes: &[u8]| {
        let p = out.join(name);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
        }
        std::fs::write(&p, bytes).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    };
    write(
        "policy.toml",
        support::policy("hostile-test", "", "").as_bytes(),
    );
    write("dag/dag.cbor", &hostile::provenance_dag(12_000, 9_995));
    write("waivers.toml", hostile::policy_of_waivers().as_bytes());
    write("chain.toml", hostile::policy_of_one_long_chain().as_bytes());
    write("deep.toml", hostile::policy_of_deep_chains().as_bytes());
    println!("wrote hostile inputs to {}", out.display());
}

//! Generates a fictional supply chain: keys, a core-network policy, signed
//! statements and bundles for three devices (a clean one, one packaged at a
//! high-risk site, one running an unsigned firmware image).
//!
//!     cargo run --release --example supply-chain -- --out DIR
//!
//! The output is deterministic (keys come from public seeds: demo only).
//! `examples/data/` holds its output; a test checks that it still matches.

#[path = "support/mod.rs"]
mod support;

use std::path::PathBuf;
use support::AT;
use support::supply_chain::generate;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = match args.as_slice() {
        [flag, dir] if flag == "--out" => PathBuf::from(dir),
        _ => {
            eprintln!("usage: cargo run --release --example supply-chain -- --out DIR");
            std::process::exit(2);
        }
    };
    match generate(&out) {
        Ok(files) => {
            for f in files {
                println!("{}", f.display());
            }
            println!(
                "\nnext: cargo run --release -- verify --policy {0}/policy.toml --at {AT} {0}/device-clean.cbor",
                out.display()
            );
        }
        Err(e) => {
            eprintln!("supply-chain: error: {}: {e}", out.display());
            std::process::exit(2);
        }
    }
}

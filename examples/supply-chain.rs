//! Generates a fictional supply chain: keys, a core-network policy, signed
//! statements and bundles for three devices (a clean one, one packaged at a
//! high-risk site, one running an unsigned firmware image), firmware
//! releases and a device state for `gate`, and with `--units N` a shipment
//! of N devices under DIR/shipment for `vet`: realistic (chip lots of 1,000
//! to 10,000 units sharing their stage statements, a handful of firmware
//! releases), or with `--distinct` every statement of every unit its own.
//!
//!     cargo run --release --example supply-chain -- --out DIR [--units N [--distinct]]
//!
//! The output is deterministic (keys come from public seeds: demo only).
//! `examples/data/` holds its output; a test checks that it still matches.

#[path = "support/mod.rs"]
mod support;

use std::path::PathBuf;
use support::AT;
use support::supply_chain::{Sharing, generate};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let distinct = args.last().is_some_and(|a| a == "--distinct");
    let args = &args[..args.len() - usize::from(distinct)];
    let sharing = if distinct {
        Sharing::Distinct
    } else {
        Sharing::Realistic
    };
    let (out, units) = match args {
        [flag, dir] if flag == "--out" && !distinct => (PathBuf::from(dir), None),
        [flag, dir, u, n] if flag == "--out" && u == "--units" => match n.parse::<usize>() {
            Ok(n) if n > 0 => (PathBuf::from(dir), Some(n)),
            _ => {
                eprintln!("supply-chain: error: --units needs a positive number, not '{n}'");
                std::process::exit(2);
            }
        },
        _ => {
            eprintln!(
                "usage: cargo run --release --example supply-chain -- --out DIR [--units N [--distinct]]"
            );
            std::process::exit(2);
        }
    };
    if let Some(n) = units {
        let start = std::time::Instant::now();
        let dir = out.join("shipment");
        if let Err(e) = support::supply_chain::generate_sharing(&out, n, sharing) {
            eprintln!("supply-chain: error: {}: {e}", out.display());
            std::process::exit(2);
        }
        println!(
            "wrote {n} units to {} in {:.1} s",
            dir.display(),
            start.elapsed().as_secs_f64()
        );
        println!(
            "\nnext: cargo run --release -- vet --policy {0}/policy.toml --at {AT} --html {0}/report.html {1}",
            out.display(),
            dir.display()
        );
        return;
    }
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

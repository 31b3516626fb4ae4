//! Generates the OCP S.A.F.E. example (`examples/ocp-safe/`): a policy that
//! lists the real Security Review Providers' keys, fictional firmware
//! releases whose images are the exact bytes two published reports
//! reviewed, bundles of each release with its report, and device states
//! for `gate`.
//!
//!     cargo run --release --example ocp-safe -- --out examples/ocp-safe
//!
//! The output is deterministic; a test checks that it still matches.

#[path = "support/mod.rs"]
mod support;

use std::path::PathBuf;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [flag, dir] = args.as_slice() else {
        eprintln!("usage: cargo run --release --example ocp-safe -- --out DIR");
        std::process::exit(2);
    };
    if flag != "--out" {
        eprintln!("usage: cargo run --release --example ocp-safe -- --out DIR");
        std::process::exit(2);
    }
    let out = PathBuf::from(dir);
    match support::ocp_safe::generate(&out) {
        Ok(files) => {
            for f in files {
                println!("{}", f.display());
            }
            println!(
                "\nnext: cargo run --release -- gate --policy {0}/policy.toml --state {0}/state-pb9000.json --image {0}/images/pb9000-bootrom-b0.bin --at {1} {0}/bundle-pb9000-bootrom-b0.cbor",
                out.display(),
                support::AT
            );
        }
        Err(e) => {
            eprintln!("ocp-safe: error: {}: {e}", out.display());
            std::process::exit(2);
        }
    }
}

//! Regenerates `test-vectors/` (one folder per attack or edge case, with
//! `policy.toml`, `bundle.cbor` and `case.json`: expected exit status,
//! verdict and rule ids) and the example policies with their case folders
//! under `policies/`. Deterministic: CI fails if a byte changes.
//!
//!     cargo run --example make-test-vectors [-- --out DIR]

#[path = "support/mod.rs"]
mod support;

use std::path::PathBuf;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = match args.as_slice() {
        [] => PathBuf::from("test-vectors"),
        [flag, dir] if flag == "--out" => PathBuf::from(dir),
        _ => {
            eprintln!("usage: cargo run --example make-test-vectors [-- --out DIR]");
            std::process::exit(2);
        }
    };
    let cases = support::vectors::cases();
    let hostile = support::vectors::hostile();
    let all = cases.iter().map(|c| (out.join(c.name), c)).chain(
        hostile
            .iter()
            .map(|c| (out.join("hostile").join(c.name), c)),
    );
    for (dir, c) in all {
        let res = std::fs::create_dir_all(&dir)
            .and_then(|_| std::fs::write(dir.join("policy.toml"), &c.policy))
            .and_then(|_| std::fs::write(dir.join("bundle.cbor"), &c.bundle))
            .and_then(|_| std::fs::write(dir.join("case.json"), c.json()))
            .and_then(|_| match &c.deployment {
                Some(d) => std::fs::write(dir.join("deployment.csv"), d),
                None => Ok(()),
            });
        if let Err(e) = res {
            eprintln!("make-test-vectors: error: {}: {e}", dir.display());
            std::process::exit(2);
        }
    }
    println!(
        "wrote {} cases to {} and {} to {}/hostile",
        cases.len(),
        out.display(),
        hostile.len(),
        out.display()
    );
    if args.is_empty() {
        for p in support::policies::all() {
            let dir = PathBuf::from("policies").join(p.name);
            let mut res = std::fs::create_dir_all(&dir)
                .and_then(|_| std::fs::write(dir.join("policy.toml"), &p.policy))
                .and_then(|_| match &p.deployment {
                    Some(d) => std::fs::write(dir.join("deployment.csv"), d),
                    None => Ok(()),
                });
            for c in &p.cases {
                let d = dir.join(c.name);
                res = res
                    .and_then(|_| std::fs::create_dir_all(&d))
                    .and_then(|_| std::fs::write(d.join("bundle.cbor"), &c.bundle))
                    .and_then(|_| std::fs::write(d.join("case.json"), c.json()));
            }
            if let Err(e) = res {
                eprintln!("make-test-vectors: error: {}: {e}", dir.display());
                std::process::exit(2);
            }
            println!("wrote {} with {} cases", dir.display(), p.cases.len());
        }
    }
}

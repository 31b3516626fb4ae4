//! Walks every `test-vectors/` case through the real binary, and checks that
//! the checked-in vectors and example data are exactly what the generators make.

mod common;
#[path = "../examples/support/mod.rs"]
mod support;

use common::*;
use std::collections::BTreeSet;

#[test]
fn every_test_vector_case_through_the_binary() {
    let dirs = sorted_dirs(&root().join("test-vectors"));
    assert!(
        dirs.len() >= 70,
        "expected the generated cases, found {}",
        dirs.len()
    );
    let mut failures = Vec::new();
    for dir in &dirs {
        if !dir.join("case.json").exists() {
            continue;
        }
        let (code, report, err, case) = verify_case(dir);
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        if code != case["exit"].as_i64().unwrap() as i32 {
            failures.push(format!(
                "{name}: exit {code}, want {} ({err})",
                case["exit"]
            ));
            continue;
        }
        let want: BTreeSet<(String, String)> = case["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_str().unwrap().into(), p[1].as_str().unwrap().into()))
            .collect();
        match report {
            None => {
                assert!(case["verdict"].is_null(), "{name}: no report");
                if let Some(s) = case["stderr"].as_str()
                    && !err.contains(s)
                {
                    failures.push(format!("{name}: stderr {err:?} lacks {s:?}"));
                }
                assert!(err.starts_with("hwprov: error: "), "{name}: {err}");
            }
            Some(r) => {
                if r["verdict"] != case["verdict"] {
                    failures.push(format!(
                        "{name}: verdict {}, want {}",
                        r["verdict"], case["verdict"]
                    ));
                }
                let got: BTreeSet<(String, String)> = r["findings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| {
                        (
                            f["rule"].as_str().unwrap().into(),
                            f["severity"].as_str().unwrap().into(),
                        )
                    })
                    .collect();
                if got != want {
                    failures.push(format!("{name}: findings {got:?}, want {want:?}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn test_vectors_are_reproducible() {
    let dir = root().join("test-vectors");
    let cases = support::vectors::cases();
    let on_disk: BTreeSet<String> = sorted_dirs(&dir)
        .iter()
        .filter(|d| d.join("case.json").exists())
        .map(|d| d.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let generated: BTreeSet<String> = cases.iter().map(|c| c.name.to_string()).collect();
    assert_eq!(
        on_disk, generated,
        "run: cargo run --example make-test-vectors"
    );
    let hostile = support::vectors::hostile();
    let on_disk: BTreeSet<String> = sorted_dirs(&dir.join("hostile"))
        .iter()
        .map(|d| d.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let generated: BTreeSet<String> = hostile.iter().map(|c| c.name.to_string()).collect();
    assert_eq!(
        on_disk, generated,
        "run: cargo run --example make-test-vectors"
    );
    let all = cases.into_iter().map(|c| (dir.join(c.name), c)).chain(
        hostile
            .into_iter()
            .map(|c| (dir.join("hostile").join(c.name), c)),
    );
    for (d, c) in all {
        assert_eq!(
            std::fs::read(d.join("bundle.cbor")).unwrap(),
            c.bundle,
            "{}: bundle.cbor differs; regenerate",
            c.name
        );
        assert_eq!(
            std::fs::read_to_string(d.join("policy.toml")).unwrap(),
            c.policy,
            "{}: policy.toml differs",
            c.name
        );
        assert_eq!(
            std::fs::read_to_string(d.join("case.json")).unwrap(),
            c.json(),
            "{}: case.json differs",
            c.name
        );
        assert_eq!(
            std::fs::read_to_string(d.join("deployment.csv")).ok(),
            c.deployment,
            "{}: deployment.csv differs",
            c.name
        );
    }
}

#[test]
fn example_data_is_reproducible() {
    let tmp = tempfile::tempdir().unwrap();
    let files = support::supply_chain::generate(tmp.path()).unwrap();
    assert!(files.len() > 5);
    for f in files {
        let rel = f.strip_prefix(tmp.path()).unwrap();
        let committed = root().join("examples/data").join(rel);
        assert_eq!(
            std::fs::read(&committed).unwrap_or_default(),
            std::fs::read(&f).unwrap(),
            "{} differs from the generator; run: cargo run --example supply-chain -- --out examples/data",
            rel.display()
        );
    }
}

#[test]
fn the_ocp_safe_example_is_reproducible() {
    let tmp = tempfile::tempdir().unwrap();
    let files = support::ocp_safe::generate(tmp.path()).unwrap();
    assert!(files.len() > 10);
    for f in files {
        let rel = f.strip_prefix(tmp.path()).unwrap();
        let committed = root().join("examples/ocp-safe").join(rel);
        assert_eq!(
            std::fs::read(&committed).unwrap_or_default(),
            std::fs::read(&f).unwrap(),
            "{} differs from the generator; run: cargo run --example ocp-safe -- --out examples/ocp-safe",
            rel.display()
        );
    }
}

#[test]
fn interop_cases_from_an_independent_implementation() {
    let dir = root().join("test-vectors/interop");
    let dirs = sorted_dirs(&dir);
    assert!(
        dirs.len() >= 7,
        "interop cases missing under {}",
        dir.display()
    );
    for d in dirs {
        let name = d.file_name().unwrap().to_string_lossy().into_owned();
        let (code, report, err, case) = verify_case(&d);
        assert_eq!(
            code as i64,
            case["exit"].as_i64().unwrap(),
            "{name}: exit ({err})"
        );
        match report {
            None => assert!(case["verdict"].is_null(), "{name}: expected a report"),
            Some(r) => {
                assert_eq!(r["verdict"], case["verdict"], "{name}: verdict");
                let got: Vec<(String, String)> = r["findings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| {
                        (
                            f["rule"].as_str().unwrap().into(),
                            f["severity"].as_str().unwrap().into(),
                        )
                    })
                    .collect();
                for want in case["rules"].as_array().unwrap() {
                    let w = (
                        want[0].as_str().unwrap().to_string(),
                        want[1].as_str().unwrap().to_string(),
                    );
                    assert!(got.contains(&w), "{name}: missing {w:?} in {got:?}");
                }
                if r["verdict"] == "pass" {
                    assert!(
                        got.iter().all(|(_, s)| s != "deny" && s != "warn"),
                        "{name}: pass with {got:?}"
                    );
                }
            }
        }
    }
}

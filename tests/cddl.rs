//! The CDDL in `schemas/` checked with an independent implementation
//! (pycddl, Python bindings of cddl-rs; `tests/cddl/check.py`): every file
//! parses with every rule defined; every statement payload hwprov accepts
//! validates against `statements.cddl`, and the structurally bad payloads of
//! the vectors do not; every log entry hwprov writes (verify, gate and vet)
//! and the image-facts and units objects validate against `log.cddl`.
//! `./test.sh` installs pycddl in the project's `.venv`; without it these
//! tests fail with a message (skip knowingly with `HWPROV_SKIP=pycddl`).

mod common;

use common::*;
use hwprov::wire::cbor::{self, Value};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

const AT: &str = "2026-11-21T00:00:00Z";

/// Whether pycddl is there (else the test fails, or returns when
/// `HWPROV_SKIP` names it).
fn ready(_test: &str) -> bool {
    checker(
        "pycddl",
        python_has("pycddl"),
        "pip install -r tests/requirements.txt into the Python that runs the checkers",
    )
}

fn schema(name: &str) -> String {
    root().join("schemas").join(name).display().to_string()
}

/// Runs check.py; returns its exit status and output.
fn check(root_rule: Option<&str>, schemas: &[&str], files: &[PathBuf]) -> (bool, String) {
    let mut c = python();
    c.arg(root().join("tests/cddl/check.py"));
    if let Some(r) = root_rule {
        c.args(["--root", r]);
    }
    c.args(schemas.iter().map(|s| schema(s)));
    c.arg("--");
    c.args(files);
    let o = c.output().unwrap();
    (o.status.success(), format!("{}{}", stdout(&o), stderr(&o)))
}

#[test]
fn every_cddl_file_parses_with_every_rule_defined() {
    if !ready("every_cddl_file_parses_with_every_rule_defined") {
        return;
    }
    for set in [
        &["statements.cddl"][..],
        &["envelope.cddl", "statements.cddl"],
        &["bundle.cddl", "envelope.cddl", "statements.cddl"],
        &["log.cddl"],
    ] {
        let (ok, out) = check(None, set, &[]);
        assert!(ok, "{out}");
    }
}

/// Vectors whose bad statement breaks the payload's shape (not just a rule
/// CDDL cannot state, such as ISO country codes or canonical encoding).
const SHAPE_BREAKERS: &[&str] = &[
    "unknown-field",
    "float-in-payload",
    "unsupported-version",
    "unsupported-digest",
    "lowercase-country",
];

#[test]
fn statement_payloads_agree_with_statements_cddl() {
    if !ready("statement_payloads_agree_with_statements_cddl") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let limits = hwprov::Limits::DEFAULT;
    let mut files = Vec::new();
    let mut bad_seen = HashSet::new();
    let mut cases: Vec<(String, PathBuf, PathBuf)> = vector_dirs()
        .into_iter()
        .map(|d| {
            (
                d.file_name().unwrap().to_string_lossy().into_owned(),
                d.join("policy.toml"),
                d.join("bundle.cbor"),
            )
        })
        .collect();
    for b in [
        "device-clean.cbor",
        "device-high-risk-atp.cbor",
        "device-unsigned-firmware.cbor",
        "release-bmc-2.3.0.cbor",
        "release-bmc-2.5.0.cbor",
    ] {
        cases.push((
            b.into(),
            root().join("examples/data/policy.toml"),
            root().join("examples/data").join(b),
        ));
    }
    // Releases with SHA-384/512 `digests` (their S.A.F.E. reports are not
    // COSE statements and are left out below).
    for b in [
        "bundle-pb9000-bootrom-b0.cbor",
        "bundle-roadrunner-1.2.3.cbor",
    ] {
        cases.push((
            b.into(),
            root().join("examples/ocp-safe/policy.toml"),
            root().join("examples/ocp-safe").join(b),
        ));
    }
    for (name, policy, bundle) in &cases {
        let o = run(&[
            "verify",
            "--policy",
            policy.to_str().unwrap(),
            "--at",
            AT,
            "--format",
            "json",
            bundle.to_str().unwrap(),
        ]);
        let Ok(report) = serde_json::from_str::<serde_json::Value>(&stdout(&o)) else {
            continue; // an input error: no statements to look at
        };
        let mut shape_findings: HashMap<String, Vec<String>> = HashMap::new();
        for f in report["findings"].as_array().unwrap() {
            if let Some(d) = f["statement"].as_str() {
                shape_findings
                    .entry(d.to_string())
                    .or_default()
                    .push(f["rule"].as_str().unwrap().to_string());
            }
        }
        let bytes = std::fs::read(bundle).unwrap();
        let Ok(parts) = hwprov::wire::bundle::split(&bytes, &limits) else {
            continue;
        };
        for (i, part) in parts.iter().enumerate() {
            let Ok(env) = hwprov::wire::envelope::Envelope::decode(part, limits.max_depth) else {
                continue;
            };
            let digest = hwprov::Sha256::of(part).to_string();
            let rules = shape_findings.get(&digest).cloned().unwrap_or_default();
            let broken = rules.iter().any(|r| {
                matches!(
                    r.as_str(),
                    "statement.malformed" | "digest.unsupported" | "envelope.malformed"
                )
            });
            let label = if !broken {
                "ok"
            } else if SHAPE_BREAKERS.contains(&name.as_str()) {
                bad_seen.insert(name.clone());
                "bad"
            } else {
                continue;
            };
            let p = tmp.path().join(format!("{label}-{name}-{i}.cbor"));
            std::fs::write(&p, &env.payload).unwrap();
            files.push(p);
        }
    }
    assert_eq!(bad_seen.len(), SHAPE_BREAKERS.len(), "{bad_seen:?}");
    assert!(files.len() > 250, "{}", files.len());
    let (ok, out) = check(None, &["statements.cddl"], &files);
    assert!(ok, "{out}");
}

#[test]
fn log_entries_and_objects_agree_with_log_cddl() {
    if !ready("log_entries_and_objects_agree_with_log_cddl") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let p = |n: &str| tmp.path().join(n).display().to_string();
    let data = |n: &str| root().join("examples/data").join(n).display().to_string();
    assert_eq!(code(&run(&["key", "generate", "--out", &p("k.pem")])), 0);
    let o = run(&[
        "log",
        "init",
        &p("log"),
        "--key",
        &p("k.pem"),
        "--origin",
        "cddl.example/log",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let policy = data("policy.toml");
    run(&[
        "verify",
        "--policy",
        &policy,
        "--at",
        AT,
        "--log",
        &p("log"),
        &data("device-high-risk-atp.cbor"),
    ]);
    std::fs::copy(data("device-state.json"), p("state.json")).unwrap();
    run(&[
        "gate",
        "--policy",
        &policy,
        "--state",
        &p("state.json"),
        "--image",
        &data("firmware/bmc-2.5.0.bin"),
        "--at",
        AT,
        "--log",
        &p("log"),
        &data("release-bmc-2.5.0.cbor"),
    ]);
    run(&[
        "vet",
        "--policy",
        &policy,
        "--at",
        AT,
        "--log",
        &p("log"),
        &data("shipment/batch-0000"),
    ]);
    // A publication entry (hwprov log add).
    run(&[
        "sign",
        "--key",
        &data("keys/aurora-networks.pem"),
        "--out",
        &p("release.cose"),
        &data("statements/release-bmc-2.4.1.json"),
    ]);
    assert_eq!(
        code(&run(&["log", "add", &p("log"), &p("release.cose")])),
        0
    );
    let log = hwprov::audit::log::Log::open(Path::new(&p("log"))).unwrap();
    let size = log.size().unwrap();
    assert!(size > 10);
    let out = tmp.path().join("cbor");
    std::fs::create_dir(&out).unwrap();
    let mut entries = Vec::new();
    for i in 0..size {
        let e = log.entry_bytes(i).unwrap();
        let f = out.join(format!("ok-entry-{i}.cbor"));
        std::fs::write(&f, &e).unwrap();
        entries.push(f);
        // The same entry missing its findings digest, and with v = 2.
        let Ok(Value::Map(m)) = cbor::decode(&e, 4) else {
            panic!("entry {i} is not a map")
        };
        let without: Vec<(Value, Value)> = m
            .iter()
            .filter(|(k, _)| *k != Value::Text("findings".into()))
            .cloned()
            .collect();
        let f = out.join(format!("bad-entry-{i}-no-findings.cbor"));
        std::fs::write(&f, cbor::encode_deterministic(&Value::Map(without))).unwrap();
        entries.push(f);
        let v2: Vec<(Value, Value)> = m
            .iter()
            .map(|(k, v)| {
                if *k == Value::Text("v".into()) {
                    (k.clone(), Value::Uint(2))
                } else {
                    (k.clone(), v.clone())
                }
            })
            .collect();
        let f = out.join(format!("bad-entry-{i}-v2.cbor"));
        std::fs::write(&f, cbor::encode_deterministic(&Value::Map(v2))).unwrap();
        entries.push(f);
    }
    let (ok, o) = check(Some("entry"), &["log.cddl"], &entries);
    assert!(ok, "{o}");
    // The objects hwprov builds: image facts (gate) and the unit list (vet).
    let shown: Vec<serde_json::Value> = stdout(&run(&["log", "show", &p("log")]))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let object = |name: &str| {
        let d = shown
            .iter()
            .find_map(|e| e["inputs"][name].as_str())
            .unwrap_or_else(|| panic!("no {name} input"));
        let hex = d.trim_start_matches("sha256:");
        tmp.path().join("log/objects").join(hex)
    };
    for (rule, name) in [("image-facts", "image-facts"), ("units", "units")] {
        let f = out.join(format!("ok-{name}.cbor"));
        std::fs::copy(object(name), &f).unwrap();
        let (ok, o) = check(Some(rule), &["log.cddl"], &[f]);
        assert!(ok, "{o}");
    }
}

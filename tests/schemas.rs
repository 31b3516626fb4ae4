//! The JSON Schemas in `schemas/` accept what hwprov writes and reject what
//! it refuses.

mod common;

use common::*;

fn schema(name: &str) -> jsonschema::Validator {
    let s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root().join("schemas").join(name)).unwrap()).unwrap();
    jsonschema::validator_for(&s).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn authoring_form_schema_matches_inspect_output() {
    let v = schema("statement.schema.json");
    let bundle = root().join("examples/data/device-clean.cbor");
    let o = run(&["inspect", bundle.to_str().unwrap()]);
    let out: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let statements = out["statements"].as_array().unwrap();
    assert_eq!(statements.len(), 5);
    for s in statements {
        let st = &s["statement"];
        assert!(
            v.is_valid(st),
            "{st}: {:?}",
            v.iter_errors(st).map(|e| e.to_string()).collect::<Vec<_>>()
        );
    }
    let mut bad = statements[1]["statement"].clone();
    bad["site"]["country"] = "my".into();
    assert!(!v.is_valid(&bad));
    let mut bad = statements[1]["statement"].clone();
    bad["colour"] = "blue".into();
    assert!(!v.is_valid(&bad));
}

#[test]
fn report_schema_matches_verify_output_for_every_vector() {
    let v = schema("report.schema.json");
    let mut n = 0;
    for dir in vector_dirs() {
        let (_, report, _, _) = verify_case(&dir);
        if let Some(r) = report {
            n += 1;
            assert!(
                v.is_valid(&r),
                "{}: {:?}",
                dir.display(),
                v.iter_errors(&r).map(|e| e.to_string()).collect::<Vec<_>>()
            );
        }
    }
    assert!(n > 40);
}

#[test]
fn report_and_statement_schemas_take_ocp_safe_evidence() {
    let v = schema("report.schema.json");
    let e = root().join("examples/ocp-safe");
    for bundle in [
        "bundle-pb9000-bootrom-b0.cbor",
        "bundle-roadrunner-1.2.3.cbor",
    ] {
        let o = run(&[
            "verify",
            "--policy",
            e.join("policy.toml").to_str().unwrap(),
            "--at",
            "2026-11-21T00:00:00Z",
            "--format",
            "json",
            e.join(bundle).to_str().unwrap(),
        ]);
        let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(r["evaluations"].as_array().map(Vec::len), Some(1), "{r}");
        assert!(
            v.is_valid(&r),
            "{bundle}: {:?}",
            v.iter_errors(&r).map(|e| e.to_string()).collect::<Vec<_>>()
        );
    }
    // A release with SHA-384/512 digests, as inspect prints it.
    let st = schema("statement.schema.json");
    let o = run(&[
        "inspect",
        e.join("release-pb9000-bootrom-b0.cose").to_str().unwrap(),
    ]);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["digests"].as_array().map(Vec::len), Some(2));
    assert!(
        st.is_valid(&j),
        "{:?}",
        st.iter_errors(&j)
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
    );
    let mut bad = j.clone();
    bad["digests"][0] = "sha256:00".into();
    assert!(!st.is_valid(&bad));
}

#[test]
fn state_schema_matches_the_files_hwprov_writes() {
    let v = schema("state.schema.json");
    let example: serde_json::Value = serde_json::from_slice(
        &std::fs::read(root().join("examples/data/device-state.json")).unwrap(),
    )
    .unwrap();
    assert!(v.is_valid(&example));
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("s.json");
    let o = run(&[
        "state",
        "init",
        "--vendor",
        "v",
        "--model",
        "m",
        "--serial",
        "s",
        "--component",
        "U1",
        "--out",
        p.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0);
    let fresh: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
    assert!(v.is_valid(&fresh), "{fresh}");
    let mut bad = example.clone();
    bad["installed"]["U1"]["svn"] = (-1).into();
    assert!(!v.is_valid(&bad));
}

#[test]
fn vet_schema_matches_every_line_vet_prints() {
    let v = schema("vet.schema.json");
    let tmp = tempfile::tempdir().unwrap();
    // The example shipment, plus a unit that is not a bundle.
    let ship = tmp.path().join("ship");
    std::fs::create_dir(&ship).unwrap();
    std::fs::write(ship.join("garbage.cbor"), b"not a bundle").unwrap();
    let o = run(&[
        "vet",
        "--policy",
        root().join("examples/data/policy.toml").to_str().unwrap(),
        "--at",
        "2026-11-21T00:00:00Z",
        "--format",
        "json",
        root().join("examples/data/shipment").to_str().unwrap(),
        ship.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 302);
    for l in &lines {
        assert!(
            v.is_valid(l),
            "{l}: {:?}",
            v.iter_errors(l).map(|e| e.to_string()).collect::<Vec<_>>()
        );
    }
    assert!(lines.iter().any(|l| l["verdict"] == "error"));
    assert!(lines.iter().any(|l| l["verdict"] == "fail"));
    // And it rejects what vet never prints.
    let mut bad = lines.last().unwrap().clone();
    bad["counts"]["maybe"] = 1.into();
    assert!(!v.is_valid(&bad));
    let mut bad = lines[0].clone();
    bad["verdict"] = "error".into();
    assert!(
        !v.is_valid(&bad),
        "an error line carries an error, not findings"
    );
}

#[test]
fn log_schema_matches_show_prove_and_consistency() {
    let v = schema("log.schema.json");
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
        "schema.example/log",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let at = "2026-11-21T00:00:00Z";
    let policy = data("policy.toml");
    for b in ["device-clean.cbor", "device-high-risk-atp.cbor"] {
        run(&[
            "verify",
            "--policy",
            &policy,
            "--at",
            at,
            "--log",
            &p("log"),
            &data(b),
        ]);
    }
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
        at,
        "--log",
        &p("log"),
        &data("release-bmc-2.5.0.cbor"),
    ]);
    run(&[
        "vet",
        "--policy",
        &policy,
        "--at",
        at,
        "--log",
        &p("log"),
        &data("shipment/batch-0000"),
    ]);
    let release = p("release.cose");
    run(&[
        "sign",
        "--key",
        &data("keys/aurora-networks.pem"),
        "--out",
        &release,
        &data("statements/release-bmc-2.4.1.json"),
    ]);
    assert_eq!(code(&run(&["log", "add", &p("log"), &release])), 0);
    let check = |l: &serde_json::Value| {
        assert!(
            v.is_valid(l),
            "{l}: {:?}",
            v.iter_errors(l).map(|e| e.to_string()).collect::<Vec<_>>()
        );
    };
    let shown: Vec<serde_json::Value> = stdout(&run(&["log", "show", &p("log")]))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(shown.len() > 10, "{}", shown.len());
    let commands: std::collections::BTreeSet<&str> = shown
        .iter()
        .map(|e| e["command"].as_str().unwrap())
        .collect();
    assert_eq!(commands.len(), 4, "verify, gate, vet and publish entries");
    shown.iter().for_each(check);
    let size = shown.len().to_string();
    for i in [0, shown.len() / 2, shown.len() - 1] {
        let o = run(&["log", "prove", &p("log"), "--index", &i.to_string()]);
        check(&serde_json::from_str(&stdout(&o)).unwrap());
    }
    for old in ["1", "3", &size] {
        let o = run(&["log", "consistency", &p("log"), "--old-size", old]);
        check(&serde_json::from_str(&stdout(&o)).unwrap());
    }
    // It rejects what hwprov never prints.
    let mut bad = shown[0].clone();
    bad["inputs"]["firmware"] = bad["inputs"]["bundle"].clone();
    assert!(!v.is_valid(&bad));
    let mut bad = shown[0].clone();
    bad["findings"] = "sha256:00".into();
    assert!(!v.is_valid(&bad));
}

//! `verify --format sarif` output validates against the official SARIF 2.1.0
//! JSON Schema (vendored in tests/data, see its README), for every test vector.

mod common;

use common::*;

/// The official schema, as vendored. Its `run.language` pattern has a stray
/// `]` (`^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$`) that strict meta-schema
/// validation rejects as a regex; it is replaced in memory by the evident
/// intent before compiling. hwprov never writes `language`.
fn sarif_validator() -> jsonschema::Validator {
    let text =
        std::fs::read_to_string(root().join("tests/data/sarif-schema-2.1.0-rtm.5.json")).unwrap();
    let bad = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#;
    assert!(text.contains(bad), "vendored schema changed");
    let text = text.replace(bad, r#""^[a-zA-Z]{2}$|^[a-zA-Z]{2}-[a-zA-Z]{2}$""#);
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).expect("SARIF schema compiles")
}

#[test]
fn sarif_output_validates_against_the_official_schema() {
    let v = sarif_validator();
    let mut checked = 0;
    let mut levels = std::collections::BTreeSet::new();
    for dir in vector_dirs() {
        let case: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("case.json")).unwrap()).unwrap();
        if case["verdict"].is_null() {
            continue;
        }
        let bundle = dir.join("bundle.cbor");
        let mut args = vec![
            "verify".to_string(),
            "--policy".into(),
            dir.join("policy.toml").to_str().unwrap().into(),
            "--at".into(),
            case["at"].as_str().unwrap().into(),
            "--format".into(),
            "sarif".into(),
        ];
        if let Some(d) = case["deployment"].as_str() {
            args.push("--deployment".into());
            args.push(dir.join(d).to_str().unwrap().into());
        }
        args.push(bundle.to_str().unwrap().into());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = run(&args);
        assert_ne!(code(&o), 2, "{}: {}", dir.display(), stderr(&o));
        let log: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        let errors: Vec<String> = v
            .iter_errors(&log)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", dir.display());
        let run = &log["runs"][0];
        assert_eq!(run["tool"]["driver"]["name"], "hwprov");
        assert_eq!(run["properties"]["verdict"], case["verdict"]);
        let results = run["results"].as_array().unwrap();
        // Same findings as the JSON report, and every ruleIndex points at its rule.
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        for r in results {
            let i = r["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[i]["id"], r["ruleId"]);
            levels.insert(r["level"].as_str().unwrap().to_owned());
            if r["properties"]["severity"] == "waived" {
                assert_eq!(r["suppressions"][0]["status"], "accepted");
            }
        }
        let expected: usize = case["rules"].as_array().unwrap().len();
        assert!(results.len() >= expected, "{}", dir.display());
        checked += 1;
    }
    assert!(checked > 40);
    assert_eq!(
        levels.into_iter().collect::<Vec<_>>(),
        ["error", "note", "warning"]
    );
}

#[test]
fn an_invalid_sarif_log_is_caught_by_the_schema() {
    // The schema check itself can fail: a log without "runs" is rejected.
    let v = sarif_validator();
    assert!(!v.is_valid(&serde_json::json!({"version": "2.1.0"})));
    assert!(
        !v.is_valid(&serde_json::json!({"version": "2.1.0", "runs": [{"tool": {"driver": {}}}]}))
    );
}

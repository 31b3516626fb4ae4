//! The documentation covers every rule id.

mod common;

#[test]
fn every_rule_has_a_documented_section() {
    let doc = std::fs::read_to_string(common::root().join("docs/rules.md")).unwrap();
    let readme = std::fs::read_to_string(common::root().join("README.md")).unwrap();
    for r in hwprov::Rule::ALL {
        let heading = format!("## `{}`", r.as_str());
        let at = doc
            .find(&heading)
            .unwrap_or_else(|| panic!("docs/rules.md lacks {heading}"));
        let section = &doc[at..];
        let section = &section[..section[3..].find("\n## ").map_or(section.len(), |e| e + 3)];
        assert!(
            section.contains(r.description()),
            "{r}: description out of date; run python3 docs/gen-rules.py"
        );
        assert!(section.contains(r.help()), "{r}: fix text out of date");
        if r.is_configurable() && *r != hwprov::Rule::WaiverExpired {
            assert!(section.contains("[[waivers]]"), "{r}: no waiver example");
        }
        assert!(
            readme.contains(&format!("`{}`", r.as_str())),
            "README lacks {r}"
        );
    }
}

/// The keys a table of the policy accepts, as the parser itself lists them
/// when given an unknown one (`expected one of `a`, `b``).
fn accepted(policy_with_bogus: &str) -> Vec<String> {
    let err = hwprov::Policy::parse(
        policy_with_bogus,
        std::path::Path::new("probe.toml"),
        std::path::Path::new("."),
    )
    .expect_err("the probe key must be refused")
    .to_string();
    let list = err
        .split_once("expected ")
        .unwrap_or_else(|| panic!("no list of expected keys in: {err}"))
        .1;
    list.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// docs/policy.md and schemas/policy.schema.json describe every key the
/// parser accepts, table by table, and every configurable rule id.
#[test]
fn policy_reference_and_schema_cover_every_key_the_parser_accepts() {
    let doc = std::fs::read_to_string(common::root().join("docs/policy.md")).unwrap();
    let schema: serde_json::Value = serde_json::from_slice(
        &std::fs::read(common::root().join("schemas/policy.schema.json")).unwrap(),
    )
    .unwrap();
    let head = "[policy]\nname = \"p\"\nversion = \"1\"\n";
    let entity = "[[entities]]\nid = \"a\"\ncountry = \"FI\"\n";
    let tables: [(&str, String, &serde_json::Value); 11] = [
        (
            "top level",
            format!("zzz = 1\n{head}"),
            &schema["properties"],
        ),
        (
            "[policy]",
            format!("{head}zzz = 1\n"),
            &schema["properties"]["policy"]["properties"],
        ),
        (
            "[jurisdictions]",
            format!("{head}[jurisdictions]\nzzz = 1\n"),
            &schema["properties"]["jurisdictions"]["properties"],
        ),
        (
            "[[entities]]",
            format!("{head}{entity}zzz = 1\n"),
            &schema["properties"]["entities"]["items"]["properties"],
        ),
        (
            "designations",
            format!(
                "{head}{entity}designations = [{{ list = \"l\", since = 2020-01-01T00:00:00Z, zzz = 1 }}]\n"
            ),
            &schema["properties"]["entities"]["items"]["properties"]["designations"]["items"]["properties"],
        ),
        (
            "[[keys]]",
            format!("{head}{entity}[[keys]]\nentity = \"a\"\nroles = [\"fab\"]\nzzz = 1\n"),
            &schema["properties"]["keys"]["items"]["properties"],
        ),
        (
            "[classes.NAME]",
            format!("{head}[classes.core]\nzzz = 1\n"),
            &schema["properties"]["classes"]["additionalProperties"]["properties"],
        ),
        (
            "[fleet]",
            format!("{head}[fleet]\nzzz = 1\n"),
            &schema["$defs"]["fleet"]["properties"],
        ),
        (
            "[classes.NAME.fleet]",
            format!("{head}[classes.core.fleet]\nzzz = 1\n"),
            &schema["$defs"]["fleet"]["properties"],
        ),
        (
            "fleet steps",
            format!("{head}[[fleet.steps]]\nfrom = 2027-01-01T00:00:00Z\nzzz = 1\n"),
            &schema["$defs"]["fleet"]["properties"]["steps"]["items"]["properties"],
        ),
        (
            "[[phaseouts]]",
            format!("{head}{entity}[[phaseouts]]\nid = \"p\"\nzzz = 1\n"),
            &schema["properties"]["phaseouts"]["items"]["properties"],
        ),
    ];
    let mut all = Vec::new();
    for (table, probe, props) in &tables {
        let keys = accepted(probe);
        assert!(!keys.is_empty(), "{table}");
        for k in keys {
            assert!(
                props.get(&k).is_some(),
                "schemas/policy.schema.json lacks {table} key `{k}`"
            );
            let documented = if *table == "top level" {
                doc.contains(&format!("`[{k}]`"))
                    || doc.contains(&format!("`[[{k}]]`"))
                    || doc.contains(&format!("`[{k}."))
            } else {
                doc.contains(&format!("`{k}`"))
            };
            assert!(documented, "docs/policy.md lacks {table} key `{k}`");
            all.push(k);
        }
    }
    let waivers = accepted(&format!(
        "{head}[[waivers]]\nrule = \"jurisdiction.site\"\nentity = \"a\"\nexpires = 2027-01-01T00:00:00Z\nreason = \"r\"\nzzz = 1\n"
    ));
    for k in waivers {
        assert!(
            schema["properties"]["waivers"]["items"]["properties"]
                .get(&k)
                .is_some(),
            "schema lacks waiver key `{k}`"
        );
        assert!(
            doc.contains(&format!("`{k}`")),
            "docs/policy.md lacks waiver key `{k}`"
        );
    }
    // [rules]: every configurable rule id and every setting.
    let names: Vec<&str> = schema["$defs"]["rules"]["propertyNames"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for r in hwprov::Rule::ALL {
        assert_eq!(
            names.contains(&r.as_str()),
            r.is_configurable(),
            "schema [rules] and the parser disagree on {r}"
        );
    }
    for setting in [
        "required_stages",
        "firmware_min_signers",
        "firmware_evaluations",
        "revocation",
    ] {
        assert!(names.contains(&setting), "{setting}");
        assert!(
            doc.contains(&format!("`{setting}`")),
            "docs/policy.md lacks `{setting}`"
        );
        let p = hwprov::Policy::parse(
            &format!("{head}[rules]\n{setting} = \"bogus\"\n"),
            std::path::Path::new("probe.toml"),
            std::path::Path::new("."),
        );
        assert!(
            p.unwrap_err()
                .to_string()
                .contains(&format!("'{setting}' must be")),
            "the parser knows the setting {setting}"
        );
    }
}

/// Every example policy validates against schemas/policy.schema.json, and
/// policies the parser refuses for a key or shape are refused by the schema.
#[test]
fn example_policies_validate_against_the_policy_schema() {
    let schema: serde_json::Value = serde_json::from_slice(
        &std::fs::read(common::root().join("schemas/policy.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let as_json = |path: &std::path::Path| -> serde_json::Value {
        let text = std::fs::read_to_string(path).unwrap();
        toml_to_json(toml::from_str(&text).unwrap())
    };
    let mut files = vec![common::root().join("examples/data/policy.toml")];
    for d in common::sorted_dirs(&common::root().join("policies")) {
        files.push(d.join("policy.toml"));
    }
    for d in common::vector_dirs() {
        let p = d.join("policy.toml");
        let text = std::fs::read_to_string(&p).unwrap();
        // Only policies the parser accepts (some vectors are invalid on purpose).
        if hwprov::Policy::parse(&text, &p, &d).is_ok() {
            files.push(p);
        }
    }
    assert!(files.len() > 60, "{}", files.len());
    for f in &files {
        let v = as_json(f);
        let errors: Vec<String> = validator.iter_errors(&v).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{}: {errors:?}", f.display());
    }
    for bad in [
        "[policy]\nname = \"p\"\n",
        "[policy]\nname = \"p\"\nversion = \"1\"\ncolour = 1\n",
        "[policy]\nname = \"p\"\nversion = \"1\"\n[rules]\n\"signature.invalid\" = \"warn\"\n",
        "[policy]\nname = \"p\"\nversion = \"1\"\n[[waivers]]\nrule = \"jurisdiction.site\"\nserial = \"S1\"\nexpires = 2027-01-01T00:00:00Z\nreason = \"r\"\n",
        "[policy]\nname = \"p\"\nversion = \"1\"\n[classes.ran.rules]\nrevocation = \"all\"\n",
    ] {
        let v = toml_to_json(toml::from_str(bad).unwrap());
        assert!(!validator.is_valid(&v), "the schema accepts: {bad}");
        assert!(
            hwprov::Policy::parse(
                bad,
                std::path::Path::new("p.toml"),
                std::path::Path::new(".")
            )
            .is_err(),
            "the parser accepts: {bad}"
        );
    }
}

/// TOML as editors hand it to a JSON Schema validator: date-times as strings.
fn toml_to_json(v: toml::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        toml::Value::String(s) => J::String(s),
        toml::Value::Integer(i) => J::from(i),
        toml::Value::Float(f) => J::from(f),
        toml::Value::Boolean(b) => J::Bool(b),
        toml::Value::Datetime(d) => J::String(d.to_string()),
        toml::Value::Array(a) => J::Array(a.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => {
            J::Object(t.into_iter().map(|(k, v)| (k, toml_to_json(v))).collect())
        }
    }
}

//! `hwprov policy check` and `hwprov policy test` through the real binary,
//! the example policies under `policies/`, and policy error positions.

mod common;
#[path = "../examples/support/mod.rs"]
mod support;

use common::*;

fn policy_dirs() -> Vec<std::path::PathBuf> {
    sorted_dirs(&root().join("policies"))
}

#[test]
fn every_example_policy_passes_its_case_folder() {
    let dirs = policy_dirs();
    assert_eq!(dirs.len(), 3);
    for d in dirs {
        let o = run(&["policy", "test", d.to_str().unwrap()]);
        let out = stdout(&o);
        assert_eq!(code(&o), 0, "{}: {out}{}", d.display(), stderr(&o));
        let last = out.lines().last().unwrap();
        assert!(
            last.ends_with("passed, 0 failed") && !last.starts_with("0 "),
            "{last}"
        );
        // Every example policy documents the public measure it models.
        let text = std::fs::read_to_string(d.join("policy.toml")).unwrap();
        assert!(text.starts_with("# "), "{}: no header comment", d.display());
        let o = run(&[
            "policy",
            "check",
            d.join("policy.toml").to_str().unwrap(),
            "--at",
            "2026-11-21T00:00:00Z",
        ]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        assert!(stdout(&o).contains("rules in force:"));
    }
}

#[test]
fn example_policies_are_reproducible() {
    for p in support::policies::all() {
        let dir = root().join("policies").join(p.name);
        assert_eq!(
            std::fs::read_to_string(dir.join("policy.toml")).unwrap(),
            p.policy,
            "{}: regenerate",
            p.name
        );
        for c in p.cases {
            assert_eq!(
                std::fs::read(dir.join(c.name).join("bundle.cbor")).unwrap(),
                c.bundle,
                "{}/{}",
                p.name,
                c.name
            );
            assert_eq!(
                std::fs::read_to_string(dir.join(c.name).join("case.json")).unwrap(),
                c.json(),
                "{}/{}",
                p.name,
                c.name
            );
        }
    }
}

#[test]
fn policy_test_reports_a_wrong_expectation() {
    let tmp = tempfile::tempdir().unwrap();
    let src = root().join("policies/eu-5g-toolbox-core");
    std::fs::copy(src.join("policy.toml"), tmp.path().join("policy.toml")).unwrap();
    std::fs::copy(
        src.join("deployment.csv"),
        tmp.path().join("deployment.csv"),
    )
    .unwrap();
    for case in ["core-clean", "core-high-risk-vendor"] {
        std::fs::create_dir(tmp.path().join(case)).unwrap();
        for f in ["bundle.cbor", "case.json"] {
            std::fs::copy(src.join(case).join(f), tmp.path().join(case).join(f)).unwrap();
        }
    }
    // Claim the high-risk unit passes.
    let cj = tmp.path().join("core-high-risk-vendor/case.json");
    let text = std::fs::read_to_string(&cj)
        .unwrap()
        .replace("\"verdict\": \"fail\"", "\"verdict\": \"pass\"");
    std::fs::write(&cj, text).unwrap();
    let o = run(&["policy", "test", tmp.path().to_str().unwrap()]);
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    assert!(out.contains("ok    core-clean: pass"), "{out}");
    assert!(out.contains("FAIL  core-high-risk-vendor"), "{out}");
    assert!(out.contains("verdict fail, expected pass"), "{out}");
    assert!(out.trim_end().ends_with("1 passed, 1 failed"), "{out}");
    // An empty directory is an input error.
    let empty = tempfile::tempdir().unwrap();
    let o = run(&["policy", "test", empty.path().to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("no case folders"), "{}", stderr(&o));
}

#[test]
fn invalid_policies_name_file_line_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let base =
        "[policy]\nname = \"p\"\nversion = \"1\"\n\n[[entities]]\nid = \"a\"\ncountry = \"DE\"\n";
    let cases = [
        (
            format!("{base}colour = \"red\"\n"),
            "p.toml:8:1: unknown field `colour`",
        ),
        (
            base.replace("\"DE\"", "\"XX\""),
            "p.toml:7:11: 'XX' is not an officially assigned",
        ),
        (
            format!(
                "{base}parent = \"b\"\n\n[[entities]]\nid = \"b\"\ncountry = \"DE\"\nparent = \"a\"\n"
            ),
            "ownership cycle",
        ),
        (
            format!("{base}\n[[entities]]\nid = \"a\"\ncountry = \"FR\"\n"),
            "p.toml:10:6: entity 'a' is declared twice",
        ),
        (
            format!(
                "{base}\n[[keys]]\nentity = \"ghost\"\npublic_key = \"ed25519:yvU5LoWCjsOI6+DZ62L1GJ+yIGzB6KcYir4Uqzq4zSg=\"\nroles = [\"fab\"]\n"
            ),
            "p.toml:10:10: key belongs to entity 'ghost'",
        ),
        (
            format!(
                "{base}\n[[keys]]\nentity = \"a\"\npublic_key = \"ed25519:yvU5LoWCjsOI6+DZ62L1GJ+yIGzB6KcYir4Uqzq4zSg=\"\nroles = [\"baker\"]\n"
            ),
            "unknown role 'baker'",
        ),
        (
            format!("{base}\n[rules]\n\"jurisdiction.sight\" = \"deny\"\n"),
            "p.toml:10:1: unknown rule id or setting 'jurisdiction.sight'",
        ),
        (
            format!("{base}\n[rules]\n\"jurisdiction.site\" = \"block\"\n"),
            "must be \"deny\", \"warn\" or \"off\"",
        ),
        (
            format!(
                "{base}\n[[waivers]]\nrule = \"jurisdiction.site\"\nentity = \"a\"\nexpires = 2027-01-01T00:00:00Z\n"
            ),
            "needs a non-empty reason",
        ),
        (
            format!(
                "{base}\n[[waivers]]\nrule = \"jurisdiction.site\"\nentity = \"a\"\nreason = \"x\"\n"
            ),
            "needs an expiry",
        ),
        (
            format!(
                "{base}\n[[waivers]]\nrule = \"jurisdiction.site\"\nexpires = 2027-01-01T00:00:00Z\nreason = \"x\"\n"
            ),
            "at least one of entity, part, vendor (+ serial) or statement",
        ),
        (
            format!(
                "{base}\n[[waivers]]\nrule = \"jurisdiction.site\"\nentity = \"a\"\nexpires = 2027-01-01\nreason = \"x\"\n"
            ),
            "needs a date, a time and a UTC offset",
        ),
        (
            format!("{base}\n[fleet]\nmax_vendor_share = 1.5\n"),
            "between 0.0 and 1.0",
        ),
        (
            "[policy]\nname = \"p\"\n".to_string(),
            "missing field `version`",
        ),
        ("[policy\nname = \"p\"\n".to_string(), "p.toml:1:"),
    ];
    for (text, want) in cases {
        let p = tmp.path().join("p.toml");
        std::fs::write(&p, &text).unwrap();
        let o = run(&["policy", "check", p.to_str().unwrap()]);
        assert_eq!(code(&o), 2, "{text}");
        let err = stderr(&o);
        assert!(err.starts_with("hwprov: error: "), "{err}");
        assert!(err.contains(want), "want {want:?} in {err:?}\n{text}");
    }
}

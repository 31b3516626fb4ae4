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

//! `hwprov vet` through the real binary: clones, a vendor over its cap, an
//! unreadable file among good ones, an empty directory, identical JSON for
//! --jobs 1 and --jobs 2, and the HTML report in a real headless browser.

mod common;
#[path = "../examples/support/mod.rs"]
mod support;

use common::*;
use std::path::Path;
use support::*;

fn write_units(dir: &Path, units: &[(&str, Vec<u8>)]) {
    std::fs::create_dir_all(dir).unwrap();
    for (name, bytes) in units {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}

fn policy_file(dir: &Path, fleet: &str) -> String {
    let p = dir.join("policy.toml");
    std::fs::write(
        &p,
        policy(
            "vet-test",
            "required_stages = [\"design\", \"fab\", \"atp\"]\n",
            fleet,
        ),
    )
    .unwrap();
    p.display().to_string()
}

/// The operator's deployment file for some units: each unit in the class its
/// vendor suggests, where the policy declares that class (SPEC 6.3).
fn deployment_for(dir: &Path, policy_text: &str, units: &[(&str, Vec<u8>)]) -> String {
    let mut csv = String::from("vendor,model,serial,class\n");
    for (_, bundle) in units {
        if let Some((vendor, model, serial, class)) = policies::device_class(bundle)
            && policy_text.contains(&format!("[classes.{class}"))
            && policy_text.contains(&format!("id = \"{vendor}\""))
        {
            csv.push_str(&format!("{vendor},{model},{serial},{class}\n"));
        }
    }
    let p = dir.join("deployment.csv");
    std::fs::write(&p, csv).unwrap();
    p.display().to_string()
}

fn vet_json(
    policy: &str,
    extra: &[&str],
    paths: &[&Path],
) -> (i32, Vec<serde_json::Value>, String) {
    let mut args = vec!["vet", "--policy", policy, "--at", AT, "--format", "json"];
    args.extend_from_slice(extra);
    let paths: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    args.extend(paths.iter().map(String::as_str));
    let o = run(&args);
    let lines = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (code(&o), lines, stderr(&o))
}

#[test]
fn clones_are_reported_and_fail_the_shipment() {
    let tmp = tempfile::tempdir().unwrap();
    let policy = policy_file(tmp.path(), "");
    let a = Unit::new("AX5-700001").bundle();
    let b = Unit::new("AX5-700002").bundle();
    write_units(
        &tmp.path().join("ship"),
        &[("a.cbor", a.clone()), ("b.cbor", b), ("a-copy.cbor", a)],
    );
    let (code, lines, _) = vet_json(&policy, &[], &[&tmp.path().join("ship")]);
    assert_eq!(code, 1);
    assert_eq!(lines.len(), 4, "three units and a summary");
    for l in &lines[..3] {
        assert_eq!(l["verdict"], "pass", "each unit on its own passes: {l}");
    }
    let summary = &lines[3];
    assert_eq!(summary["format"], "hwprov-vet/1");
    assert_eq!(summary["verdict"], "fail");
    let fleet = summary["fleet_findings"].as_array().unwrap();
    assert_eq!(fleet.len(), 1);
    assert_eq!(fleet[0]["rule"], "fleet.duplicate-serial");
    assert_eq!(fleet[0]["severity"], "deny");
    let msg = fleet[0]["message"].as_str().unwrap();
    assert!(
        msg.contains("a.cbor") && msg.contains("a-copy.cbor") && !msg.contains("b.cbor"),
        "{msg}"
    );
}

#[test]
fn a_vendor_over_its_cap_and_the_high_risk_share() {
    let tmp = tempfile::tempdir().unwrap();
    let policy = policy_file(
        tmp.path(),
        "[fleet]\nmax_vendor_share = 0.6\nmax_high_risk_share = 0.2\n",
    );
    let mut units = Vec::new();
    for i in 0..4 {
        units.push((
            format!("aurora-{i}.cbor"),
            Unit::new(&format!("AX5-71000{i}")).bundle(),
        ));
    }
    units.push((
        "boreal-0.cbor".into(),
        Unit {
            vendor: "boreal-radio",
            model: "BR-200",
            ..Unit::new("BR2-710000")
        }
        .bundle(),
    ));
    // One of five packaged at a high-risk site, in a class where that only warns.
    let warn_class = "[classes.ran.rules]\n\"jurisdiction.site\" = \"warn\"\n\"jurisdiction.control\" = \"warn\"\n";
    std::fs::write(
        tmp.path().join("policy.toml"),
        support::policy(
            "vet-test",
            "required_stages = [\"design\", \"fab\", \"atp\"]\n",
            &format!("[classes.core]\n{warn_class}[fleet]\nmax_vendor_share = 0.6\nmax_high_risk_share = 0.1\nhigh_risk_basis = \"any-stage\"\n"),
        ),
    )
    .unwrap();
    units[0].1 = Unit {
        route: HIGH_RISK_ATP,
        class: "ran",
        ..Unit::new("AX5-710000")
    }
    .bundle();
    let refs: Vec<(&str, Vec<u8>)> = units.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
    write_units(&tmp.path().join("ship"), &refs);
    let text = std::fs::read_to_string(tmp.path().join("policy.toml")).unwrap();
    let dep = deployment_for(tmp.path(), &text, &refs);
    let (code, lines, _) = vet_json(
        &policy,
        &["--deployment", &dep],
        &[&tmp.path().join("ship")],
    );
    let summary = lines.last().unwrap();
    assert_eq!(summary["verdict"], "warn", "{summary}");
    assert_eq!(code, 0, "warn exits 0");
    let fleet: Vec<String> = summary["fleet_findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["subject"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        fleet.contains(&"vendor group 'aurora-networks' in class 'core'".to_string()),
        "{fleet:?}"
    );
    assert!(
        fleet.contains(&"high-risk share of class 'ran' (any-stage basis)".to_string()),
        "{fleet:?}"
    );
    let core = &summary["classes"]["core"];
    assert_eq!(core["units"], 4);
    assert!((core["vendors"]["aurora-networks"].as_f64().unwrap() - 0.75).abs() < 1e-9);
    assert!(
        (core["hhi"].as_f64().unwrap() - 6250.0).abs() < 1e-6,
        "{core}"
    );
    assert!((summary["high_risk_share"].as_f64().unwrap() - 0.2).abs() < 1e-9);
    assert!((summary["stages"]["atp"]["CN"].as_f64().unwrap() - 0.2).abs() < 1e-9);
    // --deny-warnings makes it exit 1.
    let (code, _, _) = vet_json(
        &policy,
        &["--deny-warnings", "--deployment", &dep],
        &[&tmp.path().join("ship")],
    );
    assert_eq!(code, 1);
}

/// Review finding: shares were counted by the device statement's free-text
/// vendor and class, so "Aurora-Networks" or a class with a zero-width space
/// escaped the cap, and two subsidiaries of one group looked like two
/// vendors. Vendors are policy entities counted under their group; a class
/// the policy does not declare is unclassified; fleet findings carry the
/// group as their entity (so `entity` waivers match them).
#[test]
fn free_text_never_decides_a_share() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("policy.toml");
    let text = policy(
        "vet-test",
        "required_stages = [\"design\", \"fab\", \"atp\"]\n",
        "[classes.core]\n[fleet]\nmax_vendor_share = 0.6\n",
    )
    .replace(
        "id = \"boreal-radio\"\nname = \"Boreal Radio Oy\"\ncountry = \"FI\"\n",
        "id = \"boreal-radio\"\nname = \"Boreal Radio Oy\"\ncountry = \"FI\"\nparent = \"aurora-networks\"\n",
    );
    std::fs::write(&p, text).unwrap();
    let boreal = |serial: &str| {
        Unit {
            vendor: "boreal-radio",
            model: "BR-200",
            ..Unit::new(serial)
        }
        .bundle()
    };
    let zwsp = Unit {
        class: "core\u{200b}",
        ..Unit::new("AX5-730003")
    }
    .bundle();
    let misspelt = Unit::new("AX5-730004")
        .bundle_with_device(&|dev| dev.product.vendor = "Aurora-Networks".into());
    let units = [
        ("a1.cbor", Unit::new("AX5-730001").bundle()),
        ("a2.cbor", Unit::new("AX5-730002").bundle()),
        ("b1.cbor", boreal("BR2-730001")),
        ("b2.cbor", boreal("BR2-730002")),
        ("zwsp.cbor", zwsp),
        ("misspelt.cbor", misspelt),
    ];
    write_units(&tmp.path().join("ship"), &units);
    // The operator places every unit whose vendor is a policy entity in the
    // class it suggests, where declared: the zero-width-space class is not.
    let dep = deployment_for(tmp.path(), &std::fs::read_to_string(&p).unwrap(), &units);
    let (_, lines, _) = vet_json(
        &p.display().to_string(),
        &["--deployment", &dep],
        &[&tmp.path().join("ship")],
    );
    let summary = lines.last().unwrap();
    let classes = summary["classes"].as_object().unwrap();
    assert_eq!(
        classes.keys().collect::<Vec<_>>(),
        ["(unclassified)", "core"],
        "{summary}"
    );
    let core = &summary["classes"]["core"];
    assert_eq!(
        core["units"], 4,
        "the misspelt vendor's unit is not counted"
    );
    assert_eq!(
        core["vendors"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["aurora-networks"],
        "boreal-radio counts under its group"
    );
    assert_eq!(summary["classes"]["(unclassified)"]["units"], 1);
    let misspelt_line = lines
        .iter()
        .find(|l| {
            l["unit"]
                .as_str()
                .is_some_and(|u| u.ends_with("misspelt.cbor"))
        })
        .unwrap();
    assert_eq!(misspelt_line["verdict"], "fail");
    assert!(
        misspelt_line["findings"]
            .to_string()
            .contains("vendor.unauthorised")
    );
    let fleet = summary["fleet_findings"].as_array().unwrap();
    let conc: Vec<&serde_json::Value> = fleet
        .iter()
        .filter(|f| f["rule"] == "fleet.concentration")
        .collect();
    assert_eq!(
        conc.len(),
        2,
        "core and (unclassified) are both at 100%: {fleet:?}"
    );
    assert!(
        conc.iter().all(|f| f["entity"] == "aurora-networks"),
        "{fleet:?}"
    );
}

#[test]
fn an_unreadable_unit_is_an_error_for_that_unit_only() {
    let tmp = tempfile::tempdir().unwrap();
    let policy = policy_file(tmp.path(), "");
    write_units(
        &tmp.path().join("ship"),
        &[
            ("good.cbor", Unit::new("AX5-720001").bundle()),
            ("garbage.cbor", b"not a bundle".to_vec()),
            ("good2.cbor", Unit::new("AX5-720002").bundle()),
            ("notes.txt", b"ignored".to_vec()),
        ],
    );
    std::fs::write(tmp.path().join("ship/.hidden.cbor"), b"x").unwrap();
    std::fs::write(tmp.path().join("ship/UPPER.CBOR"), b"x").unwrap();
    let o = run(&[
        "vet",
        "--policy",
        &policy,
        "--at",
        AT,
        tmp.path().join("ship").to_str().unwrap(),
    ]);
    assert!(
        stdout(&o).contains("passed over 3 file(s) that are hidden or not *.cbor/*.cose bundles"),
        "{}",
        stdout(&o)
    );
    std::fs::remove_file(tmp.path().join("ship/.hidden.cbor")).unwrap();
    std::fs::remove_file(tmp.path().join("ship/UPPER.CBOR")).unwrap();
    let (code, lines, _) = vet_json(&policy, &[], &[&tmp.path().join("ship")]);
    assert_eq!(code, 1);
    assert_eq!(lines.len(), 4, "notes.txt is not a unit");
    // ... but it is counted and named, never skipped in silence.
    let summary = lines.last().unwrap();
    assert_eq!(summary["skipped"]["count"], 1, "{summary}");
    assert!(
        summary["skipped"]["files"][0]
            .as_str()
            .unwrap()
            .ends_with("notes.txt")
    );
    let errors: Vec<&serde_json::Value> =
        lines.iter().filter(|l| l["verdict"] == "error").collect();
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0]["unit"]
            .as_str()
            .unwrap()
            .ends_with("garbage.cbor")
    );
    assert!(
        errors[0]["error"]
            .as_str()
            .unwrap()
            .contains("not a bundle")
    );
    let summary = lines.last().unwrap();
    assert_eq!(summary["counts"]["pass"], 2);
    assert_eq!(summary["counts"]["error"], 1);
    // A unit file that cannot be opened (a dangling symlink) is an error too.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(
            tmp.path().join("nowhere.cbor"),
            tmp.path().join("ship/dangling.cbor"),
        )
        .unwrap();
        let (_, lines, _) = vet_json(&policy, &[], &[&tmp.path().join("ship")]);
        assert_eq!(lines.last().unwrap()["counts"]["error"], 2);
    }
}

#[test]
fn an_empty_directory_is_an_input_error() {
    let tmp = tempfile::tempdir().unwrap();
    let policy = policy_file(tmp.path(), "");
    std::fs::create_dir(tmp.path().join("empty")).unwrap();
    let o = run(&[
        "vet",
        "--policy",
        &policy,
        "--at",
        AT,
        tmp.path().join("empty").to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("no bundles found"), "{}", stderr(&o));
    let o = run(&[
        "vet",
        "--policy",
        &policy,
        "--at",
        AT,
        tmp.path().join("missing").to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("missing"), "{}", stderr(&o));
}

#[test]
fn jobs_1_and_jobs_2_give_identical_json() {
    let tmp = tempfile::tempdir().unwrap();
    supply_chain::generate(&tmp.path().join("data")).unwrap();
    supply_chain::shipment(&tmp.path().join("ship"), 800).unwrap();
    let policy = tmp.path().join("data/policy.toml").display().to_string();
    let one = run(&[
        "vet",
        "--policy",
        &policy,
        "--at",
        AT,
        "--format",
        "json",
        "--jobs",
        "1",
        tmp.path().join("ship").to_str().unwrap(),
    ]);
    let two = run(&[
        "vet",
        "--policy",
        &policy,
        "--at",
        AT,
        "--format",
        "json",
        "--jobs",
        "2",
        tmp.path().join("ship").to_str().unwrap(),
    ]);
    assert_eq!(code(&one), code(&two));
    assert_eq!(stdout(&one), stdout(&two));
    let lines = stdout(&one).lines().count();
    assert_eq!(lines, 801);
    // The generated shipment has clones, unsigned images and high-risk sites.
    let summary: serde_json::Value =
        serde_json::from_str(stdout(&one).lines().last().unwrap()).unwrap();
    let rules = summary["rules"].as_object().unwrap();
    assert!(rules.contains_key("firmware.unsigned/deny"), "{rules:?}");
    assert!(
        rules.contains_key("fleet.duplicate-serial/deny"),
        "{rules:?}"
    );
    assert!(
        rules.keys().any(|k| k.starts_with("jurisdiction.site/")),
        "{rules:?}"
    );
    // Text output lists only units that did not pass, then the summary.
    let text = run(&[
        "vet",
        "--policy",
        &policy,
        "--at",
        AT,
        tmp.path().join("ship").to_str().unwrap(),
    ]);
    let out = stdout(&text);
    assert!(out.contains("vetted 800 units"), "{out}");
    assert!(out.lines().all(|l| !l.starts_with("PASS")));
    assert!(out.trim_end().ends_with("verdict: FAIL"));
}

fn chromium() -> Option<String> {
    for c in ["chromium", "chromium-browser", "google-chrome"] {
        if std::process::Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return Some(c.to_owned());
        }
    }
    None
}

#[test]
fn html_report_renders_in_a_headless_browser() {
    let tmp = tempfile::tempdir().unwrap();
    supply_chain::generate(&tmp.path().join("data")).unwrap();
    supply_chain::shipment(&tmp.path().join("ship"), 300).unwrap();
    let html = tmp.path().join("report.html");
    let o = run(&[
        "vet",
        "--policy",
        tmp.path().join("data/policy.toml").to_str().unwrap(),
        "--at",
        AT,
        "--html",
        html.to_str().unwrap(),
        "--deployment",
        tmp.path().join("deployment.csv").to_str().unwrap(),
        tmp.path().join("ship").to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let text = std::fs::read_to_string(&html).unwrap();
    // Self-contained: no scripts, no external resources.
    assert!(!text.contains("<script"), "no scripts");
    assert!(
        !text.contains("http://")
            || text
                .matches("http://")
                .all(|_| text.contains("xmlns=\"http://www.w3.org/2000/svg\""))
    );
    assert!(
        !text.contains("https://") && !text.contains("src="),
        "no external resources"
    );
    let browser = chromium();
    if !checker(
        "chromium",
        browser.is_some(),
        "apt-get install chromium (Debian's package; ./test.sh installs it when run as root)",
    ) {
        return;
    }
    let Some(browser) = browser else { return };
    let flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ];
    let profile = tmp.path().join("profile");
    let url = format!("file://{}", html.display());
    let dom = std::process::Command::new(&browser)
        .args(flags)
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(["--dump-dom", &url])
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom.contains("id=\"verdict\""),
        "browser DOM lacks the verdict: {}",
        &dom[..dom.len().min(400)]
    );
    for id in [
        "stage-atp",
        "stage-fab",
        "stage-design",
        "class-core",
        "class-ran",
        "failing",
        "counts",
    ] {
        assert!(
            dom.contains(&format!("id=\"{id}\"")),
            "browser DOM lacks #{id}"
        );
    }
    assert!(
        dom.matches("<tr class=\"unit\"").count() > 5,
        "failing units table is empty"
    );
    assert!(
        dom.matches("class=\"bar\"").count() >= 6,
        "charts have no bars"
    );
    let shot = tmp.path().join("report.png");
    let o = std::process::Command::new(&browser)
        .args(flags)
        .arg(format!("--user-data-dir={}", profile.display()))
        .args([
            "--window-size=1280,2000",
            &format!("--screenshot={}", shot.display()),
            &url,
        ])
        .output()
        .unwrap();
    let png = std::fs::read(&shot)
        .unwrap_or_else(|_| panic!("no screenshot: {}", String::from_utf8_lossy(&o.stderr)));
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert!(
        png.len() > 20_000,
        "screenshot too small to hold the charts ({} bytes)",
        png.len()
    );
    if let Some(dir) = std::env::var_os("HWPROV_SCREENSHOT_DIR") {
        let _ = std::fs::copy(&shot, Path::new(&dir).join("vet-report.png"));
    }
}

/// Output people read: a unit's line names each rule once (denials first,
/// with how often it fired and its worst subject); text output lists 20
/// units that did not pass and counts the rest unless --verbose.
#[test]
fn text_output_summarises_and_verbose_lists_everything() {
    let policy = root()
        .join("examples/data/policy.toml")
        .display()
        .to_string();
    let ship = root().join("examples/data/shipment").display().to_string();
    let dep = root()
        .join("examples/data/deployment.csv")
        .display()
        .to_string();
    let o = run(&[
        "vet",
        "--policy",
        &policy,
        "--at",
        AT,
        "--deployment",
        &dep,
        &ship,
    ]);
    let out = stdout(&o);
    let units: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("FAIL ") || l.starts_with("WARN ") || l.starts_with("ERROR "))
        .collect();
    assert_eq!(units.len(), 20, "{out}");
    let eastwind = units
        .iter()
        .find(|l| l.contains("EW-"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        eastwind.ends_with(
            ": deny entity.designated x2 (issuer 'eastwind-telecom'); deny phaseout.new-unit (phase-out plan 'hrv-5g-removal'); warn jurisdiction.control x2 (issuer 'eastwind-telecom')"
        ),
        "{eastwind}"
    );
    for l in &units {
        let rules: Vec<&str> = l
            .split(": ")
            .nth(1)
            .unwrap_or("")
            .split("; ")
            .map(|r| r.split(' ').nth(1).unwrap_or(""))
            .collect();
        let distinct: std::collections::BTreeSet<&&str> = rules.iter().collect();
        assert_eq!(distinct.len(), rules.len(), "a rule listed twice: {l}");
    }
    let (_, lines, _) = vet_json(&policy, &["--deployment", &dep], &[Path::new(&ship)]);
    let summary = lines.last().unwrap();
    let not_passed = summary["counts"]["fail"].as_u64().unwrap()
        + summary["counts"]["warn"].as_u64().unwrap()
        + summary["counts"]["error"].as_u64().unwrap();
    assert!(
        out.contains(&format!(
            "... and {} more units did not pass",
            not_passed - 20
        )),
        "{out}"
    );
    let o = run(&[
        "vet",
        "--policy",
        &policy,
        "--at",
        AT,
        "--deployment",
        &dep,
        "--verbose",
        &ship,
    ]);
    let listed = stdout(&o)
        .lines()
        .filter(|l| l.starts_with("FAIL ") || l.starts_with("WARN ") || l.starts_with("ERROR "))
        .count() as u64;
    assert_eq!(listed, not_passed);
    assert!(!stdout(&o).contains("more units did not pass"));
}

/// Each distinct statement is checked once per run and shared across
/// bundles and workers: every unit's report and the summary are the same,
/// byte for byte, with and without the sharing, on the example shipment, a
/// generated one with clones and unsigned images, one where every statement
/// is distinct, and with a signature budget so small that every bundle is
/// refused.
#[test]
fn sharing_statement_checks_changes_no_byte_of_the_output() {
    use hwprov::decide::cache::StatementCache;
    use hwprov::decide::vet::{collect, run_shared};
    use hwprov::policy::deployment::Deployment;
    let tmp = tempfile::tempdir().unwrap();
    supply_chain::generate(&tmp.path().join("data")).unwrap();
    supply_chain::shipment(&tmp.path().join("gen/shipment"), 1200).unwrap();
    supply_chain::shipment_sharing(
        &tmp.path().join("distinct/shipment"),
        300,
        supply_chain::Sharing::Distinct,
    )
    .unwrap();
    let data = root().join("examples/data");
    let policy = hwprov::Policy::load(&data.join("policy.toml"), &hwprov::Limits::DEFAULT).unwrap();
    let at = hwprov::Timestamp::parse_rfc3339(AT).unwrap();
    let tight = hwprov::Limits {
        max_signature_checks: 4,
        ..hwprov::Limits::DEFAULT
    };
    for (ship, dep, limits) in [
        (
            data.join("shipment"),
            data.join("deployment.csv"),
            hwprov::Limits::DEFAULT,
        ),
        (
            tmp.path().join("gen/shipment"),
            tmp.path().join("gen/deployment.csv"),
            hwprov::Limits::DEFAULT,
        ),
        (
            tmp.path().join("distinct/shipment"),
            tmp.path().join("distinct/deployment.csv"),
            hwprov::Limits::DEFAULT,
        ),
        (data.join("shipment"), data.join("deployment.csv"), tight),
    ] {
        let deployment = Deployment::load(&dep, &policy, &limits).unwrap();
        let units = collect(std::slice::from_ref(&ship)).unwrap().units;
        let out = |cache: Option<&StatementCache>, jobs: usize| {
            let mut lines = Vec::new();
            let summary = run_shared(
                &policy,
                Some(&deployment),
                &units,
                at,
                &limits,
                jobs,
                cache,
                false,
                |u| {
                    lines.push(match &u.outcome {
                        Ok(r) => r.to_json(),
                        Err(e) => e.clone(),
                    })
                },
            )
            .unwrap();
            lines.push(serde_json::to_string(&summary).unwrap());
            lines
        };
        let plain = out(None, 2);
        let cache = StatementCache::new();
        let shared = out(Some(&cache), 2);
        assert_eq!(plain.len(), shared.len());
        for (a, b) in plain.iter().zip(&shared) {
            assert_eq!(a, b, "{}", ship.display());
        }
        let stats = cache.stats();
        if limits.max_signature_checks == 4 {
            assert!(
                plain[0].contains("signature checks"),
                "every bundle is over the tiny budget: {}",
                plain[0]
            );
        } else if ship.starts_with(tmp.path().join("distinct")) {
            // Every statement is its own: nothing to share, all checked.
            assert_eq!(stats.hits, 0, "{stats:?}");
            assert_eq!(stats.misses, 5 * 300, "{stats:?}");
        } else {
            // Four of each unit's five statements are a lot's or a release's.
            assert!(
                stats.hits * 10 > (stats.hits + stats.misses) * 7,
                "{stats:?}"
            );
        }
        assert_eq!(out(Some(&StatementCache::new()), 1), plain);
    }
}

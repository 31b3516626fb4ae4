//! Fleet caps per class with dated steps, vendor groups, the high-risk
//! basis, the vendor minimum and phase-out plans (SPEC 6.4, 6.5, 9), through
//! the real binary on generated inventories with known answers.

mod common;
#[path = "../examples/support/mod.rs"]
mod support;

use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use support::*;

/// 100 RAN units: 30 from a high-risk-controlled vendor (eastwind, CN), 10
/// from a Western vendor with a chip packaged at a high-risk site, 30 each
/// from two subsidiaries of one group; plus 5 core units of boreal and 3
/// units with no deployment row. Of eastwind's 30, 20 were installed
/// before the plan's cut-off, 8 after it and 2 have no date.
struct Inventory {
    _dir: tempfile::TempDir,
    ship: PathBuf,
    deployment: PathBuf,
    root: PathBuf,
}

const FLEET: &str = r#"
[classes.core]
[classes.ran.rules]
"jurisdiction.site" = "warn"
"jurisdiction.control" = "warn"
RAN-RULES
[fleet]
max_vendor_share = 0.5
min_vendors = 4
max_high_risk_share = 0.35

[classes.core.fleet]
max_high_risk_share = 0.0
min_vendors = 1

[[classes.ran.fleet.steps]]
from = 2026-06-01T00:00:00Z
max_high_risk_share = 0.25
[[classes.ran.fleet.steps]]
from = 2028-01-01T00:00:00Z
max_high_risk_share = 0.0

[[phaseouts]]
id = "hrv-removal"
entity = "eastwind-telecom"
classes = ["ran"]
installed_before = 2020-07-14T00:00:00Z
deadline = 2027-12-31T00:00:00Z
reason = "removal of high-risk vendors from 5G by the end of 2027"
"#;

fn inventory(extra: &str) -> Inventory {
    inventory_with("", extra)
}

/// [`inventory`] with more lines in `[classes.ran.rules]`.
fn inventory_with(ran_rules: &str, extra: &str) -> Inventory {
    let dir = tempfile::tempdir().unwrap();
    let ship = dir.path().join("ship");
    std::fs::create_dir_all(&ship).unwrap();
    let mut csv = String::from("vendor,model,serial,class,zones,installed\n");
    let mut add = |n: usize, unit: Unit<'_>, class: Option<&str>, installed: &str| {
        std::fs::write(ship.join(format!("u{n:03}.cbor")), unit.bundle()).unwrap();
        if let Some(c) = class {
            csv.push_str(&format!(
                "{},{},{},{c},,{installed}\n",
                unit.vendor, unit.model, unit.serial
            ));
        }
    };
    let serials: Vec<String> = (0..120).map(|i| format!("S-{i:04}")).collect();
    let mut n = 0;
    for i in 0..30 {
        let installed = match i {
            0..20 => "2019-03-01T00:00:00Z",
            20..28 => "2021-05-01T00:00:00Z",
            _ => "",
        };
        add(
            n,
            Unit {
                vendor: "eastwind-telecom",
                model: "EW-9",
                class: "ran",
                ..Unit::new(&serials[n])
            },
            Some("ran"),
            installed,
        );
        n += 1;
    }
    for _ in 0..10 {
        add(
            n,
            Unit {
                route: HIGH_RISK_ATP,
                class: "ran",
                ..Unit::new(&serials[n])
            },
            Some("ran"),
            "2022-01-01T00:00:00Z",
        );
        n += 1;
    }
    for (vendor, model) in [("polaris-radio", "PR-7"), ("polaris-optical", "PO-3")] {
        for _ in 0..30 {
            add(
                n,
                Unit {
                    vendor,
                    model,
                    class: "ran",
                    ..Unit::new(&serials[n])
                },
                Some("ran"),
                "2023-01-01T00:00:00Z",
            );
            n += 1;
        }
    }
    for _ in 0..5 {
        add(
            n,
            Unit {
                vendor: "boreal-radio",
                model: "BR-200",
                ..Unit::new(&serials[n])
            },
            Some("core"),
            "",
        );
        n += 1;
    }
    for _ in 0..3 {
        add(n, Unit::new(&serials[n]), None, "");
        n += 1;
    }
    let deployment = dir.path().join("deployment.csv");
    std::fs::write(&deployment, csv).unwrap();
    std::fs::write(
        dir.path().join("policy.toml"),
        policy(
            "fleet-test",
            "required_stages = [\"design\", \"fab\", \"atp\"]\n",
            &format!(
                "{}{}{extra}",
                group_toml(),
                FLEET.replace("RAN-RULES", ran_rules)
            ),
        ),
    )
    .unwrap();
    Inventory {
        root: dir.path().to_owned(),
        ship,
        deployment,
        _dir: dir,
    }
}

fn p(path: &Path) -> String {
    path.display().to_string()
}

/// `vet --format json`: (exit code, unit lines, summary).
fn vet(inv: &Inventory, at: &str, extra: &[&str]) -> (i32, Vec<Value>, Value) {
    let policy = p(&inv.root.join("policy.toml"));
    let dep = p(&inv.deployment);
    let ship = p(&inv.ship);
    let mut args = vec![
        "vet",
        "--policy",
        &policy,
        "--deployment",
        &dep,
        "--at",
        at,
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    args.push(&ship);
    let o = run(&args);
    assert!(code(&o) < 2, "{}", stderr(&o));
    let mut lines: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary = lines.pop().unwrap();
    (code(&o), lines, summary)
}

fn close(v: &Value, want: f64) -> bool {
    v.as_f64().is_some_and(|x| (x - want).abs() < 1e-9)
}

fn fleet_findings(summary: &Value) -> Vec<(String, String, String, Option<String>)> {
    summary["fleet_findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_owned(),
                f["severity"].as_str().unwrap().to_owned(),
                f["subject"].as_str().unwrap().to_owned(),
                f["entity"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

#[test]
fn shares_count_vendor_groups_and_the_high_risk_basis_decides_what_is_high_risk() {
    let inv = inventory("");
    let (_, units, s) = vet(&inv, AT, &[]);
    assert_eq!(units.len(), 108);
    let ran = &s["classes"]["ran"];
    assert_eq!(ran["units"], 100, "{ran}");
    // Two subsidiaries at 30% each are one group at 60%.
    assert!(close(&ran["vendors"]["polaris-group"], 0.6), "{ran}");
    assert_eq!(ran["vendor_units"]["polaris-group"], 60);
    assert!(ran["vendors"].get("polaris-radio").is_none(), "{ran}");
    assert!(close(&ran["vendors"]["eastwind-telecom"], 0.3), "{ran}");
    assert!(close(&ran["vendors"]["aurora-networks"], 0.1), "{ran}");
    assert_eq!(ran["vendor_groups"], 3);
    assert!(close(&ran["hhi"], 3600.0 + 900.0 + 100.0), "{ran}");
    // The vendor basis counts the high-risk vendor only: 30%.
    assert_eq!(ran["high_risk"]["basis"], "vendor");
    assert_eq!(ran["high_risk"]["units"], 30);
    assert!(close(&ran["high_risk"]["share"], 0.3));
    // Every verified unit counts whatever its verdict or waivers: the 20
    // legacy units pass (waived), the 10 new ones fail; all 30 count.
    let f = fleet_findings(&s);
    assert!(
        f.contains(&(
            "fleet.concentration".into(),
            "warn".into(),
            "vendor group 'polaris-group' in class 'ran'".into(),
            Some("polaris-group".into())
        )),
        "{f:?}"
    );
    // The step from 2026-06-01 caps the high-risk share at 25%: 30% is over.
    assert!(
        f.contains(&(
            "fleet.concentration".into(),
            "warn".into(),
            "high-risk share of class 'ran' (vendor basis)".into(),
            Some("eastwind-telecom".into())
        )),
        "{f:?}"
    );
    // Three vendor groups, four required.
    assert!(
        f.contains(&(
            "fleet.diversity".into(),
            "warn".into(),
            "vendor groups of class 'ran'".into(),
            None
        )),
        "{f:?}"
    );
    // Caps in force and the next step.
    let caps = &ran["caps"];
    assert!(close(&caps["max_high_risk_share"], 0.25), "{caps}");
    assert!(close(&caps["max_vendor_share"], 0.5), "{caps}");
    assert_eq!(caps["min_vendors"], 4);
    assert_eq!(caps["since"], "2026-06-01T00:00:00Z");
    assert_eq!(caps["next_step"]["from"], "2028-01-01T00:00:00Z");
    assert!(close(&caps["next_step"]["max_high_risk_share"], 0.0));
    // The core's own caps: no high-risk units and one vendor is enough.
    let core = &s["classes"]["core"];
    assert_eq!(core["units"], 5);
    assert!(close(&core["caps"]["max_high_risk_share"], 0.0));
    assert_eq!(core["caps"]["min_vendors"], 1);
    assert!(core["caps"]["next_step"].is_null());
    assert!(
        !f.iter()
            .any(|x| x.2.contains("'core'") && x.0 != "fleet.concentration"),
        "{f:?}"
    );
    // Units without a deployment row form one group under [fleet].
    let un = &s["classes"]["(unclassified)"];
    assert_eq!(un["units"], 3);
    assert!(close(&un["caps"]["max_high_risk_share"], 0.35));
    assert!(
        f.iter()
            .any(|x| x.0 == "fleet.diversity" && x.2 == "vendor groups of class '(unclassified)'"),
        "{f:?}"
    );

    // The any-stage basis counts the chip packaged at a high-risk site too: 40%.
    let inv = inventory("\n[classes.ran.fleet]\nhigh_risk_basis = \"any-stage\"\n");
    let (_, _, s) = vet(&inv, AT, &[]);
    let ran = &s["classes"]["ran"];
    assert_eq!(ran["high_risk"]["basis"], "any-stage");
    assert_eq!(ran["high_risk"]["units"], 40, "{ran}");
    assert!(close(&ran["high_risk"]["share"], 0.4));
    let f = fleet_findings(&s);
    // Two groups hold high-risk units: the finding names none.
    assert!(
        f.contains(&(
            "fleet.concentration".into(),
            "warn".into(),
            "high-risk share of class 'ran' (any-stage basis)".into(),
            None
        )),
        "{f:?}"
    );
}

#[test]
fn steps_on_both_sides_of_the_evaluation_time() {
    let inv = inventory("");
    // Before the first step: the table's 35%, so 30% is within it.
    let (_, _, s) = vet(&inv, "2026-05-01T00:00:00Z", &[]);
    let caps = &s["classes"]["ran"]["caps"];
    assert!(close(&caps["max_high_risk_share"], 0.35), "{caps}");
    assert!(caps["since"].is_null());
    assert_eq!(caps["next_step"]["from"], "2026-06-01T00:00:00Z");
    assert!(close(&caps["next_step"]["max_high_risk_share"], 0.25));
    assert!(
        !fleet_findings(&s)
            .iter()
            .any(|f| f.2.starts_with("high-risk share of class 'ran'")),
        "{s}"
    );
    // At the step itself it is in force (from <= at).
    let (_, _, s) = vet(&inv, "2026-06-01T00:00:00Z", &[]);
    assert!(close(
        &s["classes"]["ran"]["caps"]["max_high_risk_share"],
        0.25
    ));
    // After the last step: zero, and no next step.
    let (_, _, s) = vet(&inv, "2028-02-01T00:00:00Z", &[]);
    let caps = &s["classes"]["ran"]["caps"];
    assert!(close(&caps["max_high_risk_share"], 0.0), "{caps}");
    assert_eq!(caps["since"], "2028-01-01T00:00:00Z");
    assert!(caps["next_step"].is_null());
    // Caps the step does not name stay the table's.
    assert!(close(&caps["max_vendor_share"], 0.5));
}

#[test]
fn phase_out_plans_waive_legacy_units_until_the_deadline() {
    let inv = inventory("");
    let (_, units, s) = vet(&inv, AT, &[]);
    let rules = |u: &Value| -> Vec<(String, String)> {
        u["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["rule"].as_str().unwrap().to_owned(),
                    f["severity"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    // A legacy unit: its vendor findings are waived by the plan; it passes.
    let legacy = rules(&units[0]);
    assert_eq!(units[0]["verdict"], "pass", "{}", units[0]);
    assert!(legacy.contains(&("entity.designated".into(), "waived".into())));
    assert!(legacy.contains(&("jurisdiction.control".into(), "waived".into())));
    assert!(!legacy.iter().any(|r| r.0.starts_with("phaseout.")));
    let msg = units[0]["findings"][0]["message"].as_str().unwrap();
    assert!(msg.contains("phase-out plan 'hrv-removal'"), "{msg}");
    // Installed after the cut-off, or no date: phaseout.new-unit, denied.
    for i in [20, 29] {
        let r = rules(&units[i]);
        assert_eq!(units[i]["verdict"], "fail");
        assert!(
            r.contains(&("phaseout.new-unit".into(), "deny".into())),
            "{r:?}"
        );
        assert!(
            r.contains(&("entity.designated".into(), "deny".into())),
            "{r:?}"
        );
    }
    // Other vendors are not covered.
    assert!(
        !rules(&units[40])
            .iter()
            .any(|r| r.0.starts_with("phaseout."))
    );
    let plans = s["phaseouts"].as_array().unwrap();
    assert_eq!(plans.len(), 1);
    assert_eq!(plans[0]["id"], "hrv-removal");
    assert_eq!(plans[0]["days_left"], 405);
    assert_eq!(plans[0]["classes"]["ran"]["legacy"], 20);
    assert_eq!(plans[0]["classes"]["ran"]["new"], 10);

    // 60 days before the deadline: phaseout.expiring (info), still waived.
    let (_, units, s) = vet(&inv, "2027-11-01T00:00:00Z", &[]);
    let r = rules(&units[0]);
    assert!(
        r.contains(&("phaseout.expiring".into(), "info".into())),
        "{r:?}"
    );
    assert!(r.contains(&("entity.designated".into(), "waived".into())));
    assert_eq!(units[0]["verdict"], "pass");
    assert_eq!(s["phaseouts"][0]["days_left"], 60);
    // 91 days before: no notice yet.
    let (_, units, _) = vet(&inv, "2027-10-01T00:00:00Z", &[]);
    assert!(!rules(&units[0]).iter().any(|r| r.0 == "phaseout.expiring"));
    // From the deadline on: overdue, and the findings stand.
    let (_, units, s) = vet(&inv, "2027-12-31T00:00:00Z", &[]);
    let r = rules(&units[0]);
    assert_eq!(units[0]["verdict"], "fail");
    assert!(
        r.contains(&("phaseout.overdue".into(), "deny".into())),
        "{r:?}"
    );
    assert!(
        r.contains(&("entity.designated".into(), "deny".into())),
        "{r:?}"
    );
    assert_eq!(s["phaseouts"][0]["days_left"], 0);
    assert_eq!(s["phaseouts"][0]["classes"]["ran"]["legacy"], 20);

    // The text summary says the same for people.
    let o = run(&[
        "vet",
        "--policy",
        &p(&inv.root.join("policy.toml")),
        "--deployment",
        &p(&inv.deployment),
        "--at",
        AT,
        &p(&inv.ship),
    ]);
    let text = stdout(&o);
    assert!(
        text.contains("phase-out hrv-removal (eastwind-telecom and its subsidiaries, installed before 2020-07-14T00:00:00Z): deadline 2027-12-31T00:00:00Z, 405 days left"),
        "{text}"
    );
    assert!(
        text.contains("ran: 20 legacy unit(s) remaining, 10 new unit(s)"),
        "{text}"
    );
    assert!(
        text.contains("vendor groups: polaris-group 60 (60.0%) [over cap], eastwind-telecom 30 (30.0%), aurora-networks 10 (10.0%)"),
        "{text}"
    );
    assert!(
        text.contains("caps in force: max_vendor_share 50.0%, min_vendors 4, max_high_risk_share 25.0% (step from 2026-06-01T00:00:00Z); next step 2028-01-01T00:00:00Z: max_vendor_share 50.0%, min_vendors 4, max_high_risk_share 0.0%"),
        "{text}"
    );
}

#[test]
fn fleet_findings_take_their_class_level_and_entity_waivers() {
    let inv = inventory_with(
        "\"fleet.diversity\" = \"deny\"",
        "\n[[waivers]]\nrule = \"fleet.concentration\"\nentity = \"polaris-group\"\n\
         expires = 2027-06-01T00:00:00Z\nreason = \"second RAN vendor being qualified, ticket NET-7\"\n",
    );
    let (code, _, s) = vet(&inv, AT, &[]);
    assert_eq!(code, 1);
    let f = fleet_findings(&s);
    assert!(
        f.contains(&(
            "fleet.diversity".into(),
            "deny".into(),
            "vendor groups of class 'ran'".into(),
            None
        )),
        "{f:?}"
    );
    assert!(
        f.contains(&(
            "fleet.concentration".into(),
            "waived".into(),
            "vendor group 'polaris-group' in class 'ran'".into(),
            Some("polaris-group".into())
        )),
        "{f:?}"
    );
    // The unclassified group keeps [rules]' level (warn).
    assert!(
        f.iter()
            .any(|x| x.0 == "fleet.diversity" && x.1 == "warn" && x.2.contains("(unclassified)")),
        "{f:?}"
    );
}

#[test]
fn jobs_1_and_jobs_2_give_identical_json() {
    let inv = inventory("");
    let policy = p(&inv.root.join("policy.toml"));
    let dep = p(&inv.deployment);
    let ship = p(&inv.ship);
    let out = |jobs: &str| {
        let o = run(&[
            "vet",
            "--policy",
            &policy,
            "--deployment",
            &dep,
            "--at",
            AT,
            "--format",
            "json",
            "--jobs",
            jobs,
            &ship,
        ]);
        stdout(&o)
    };
    let one = out("1");
    assert!(one.contains("\"phaseouts\""));
    assert_eq!(one, out("2"));
}

#[test]
fn a_gate_applies_the_plans_to_the_state_files_device() {
    let inv = inventory("");
    let dir = &inv.root;
    let img = image("bmc", "2.5.0", 4096);
    let rel = release(
        "eastwind-telecom",
        "eastwind-telecom",
        "EW-9",
        "U1",
        "bmc",
        "2.5.0",
        8,
        &img,
    );
    std::fs::write(dir.join("fw.bin"), &img).unwrap();
    std::fs::write(
        dir.join("update.cbor"),
        hwprov::wire::bundle::encode(&[sign_by(&rel)]),
    )
    .unwrap();
    let gate = |installed_at: &str| {
        let state = format!(
            "{{\"device\": {{\"vendor\": \"eastwind-telecom\", \"model\": \"EW-9\", \"serial\": \"S-0000\"}}, \"class\": \"ran\", {installed_at}\"installed\": {{\"U1\": {{\"name\": \"bmc\", \"version\": \"2.4.1\", \"svn\": 7}}}}}}"
        );
        std::fs::write(dir.join("state.json"), state).unwrap();
        let o = run(&[
            "gate",
            "--policy",
            &p(&dir.join("policy.toml")),
            "--state",
            &p(&dir.join("state.json")),
            "--image",
            &p(&dir.join("fw.bin")),
            "--at",
            AT,
            "--format",
            "json",
            &p(&dir.join("update.cbor")),
        ]);
        (code(&o), stdout(&o), stderr(&o))
    };
    // Legacy: the vendor's firmware findings are waived until the deadline.
    let (c, out, err) = gate("\"installed_at\": \"2019-03-01T00:00:00Z\", ");
    assert_eq!(c, 0, "{out}{err}");
    assert!(out.contains("hrv-removal"), "{out}");
    // No installed date: a new unit.
    let (c, out, _) = gate("");
    assert_eq!(c, 1, "{out}");
    assert!(out.contains("phaseout.new-unit"), "{out}");
}

#[test]
fn mistakes_in_fleet_tables_and_plans_are_input_errors_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &str)] = &[
        (
            "[fleet]\nmax_vendor_share = 1.5\n",
            "a share must be between 0.0 and 1.0",
        ),
        (
            "[fleet]\nmin_vendors = 0\n",
            "min_vendors must be at least 1",
        ),
        (
            "[fleet]\nhigh_risk_basis = \"site\"\n",
            "high_risk_basis must be",
        ),
        (
            "[[fleet.steps]]\nfrom = 2027-01-01T00:00:00Z\n",
            "sets no cap",
        ),
        (
            "[[fleet.steps]]\nfrom = 2027-01-01T00:00:00Z\nmin_vendors = 2\n[[fleet.steps]]\nfrom = 2027-01-01T00:00:00Z\nmin_vendors = 3\n",
            "two steps of [fleet] start at 2027-01-01T00:00:00Z",
        ),
        (
            "[[classes.ran.fleet.steps]]\nfrom = 2027-01-01T00:00:00Z\nhigh_risk_basis = \"vendor\"\n",
            "unknown field `high_risk_basis`",
        ),
        (
            "[[phaseouts]]\nid = \"x\"\nentity = \"nobody\"\ninstalled_before = 2020-01-01T00:00:00Z\ndeadline = 2027-01-01T00:00:00Z\nreason = \"r\"\n",
            "names entity 'nobody', which is not declared",
        ),
        (
            "[[phaseouts]]\nid = \"x\"\nentity = \"eastwind-telecom\"\nclasses = [\"ran\"]\ninstalled_before = 2020-01-01T00:00:00Z\ndeadline = 2027-01-01T00:00:00Z\nreason = \"r\"\n",
            "names class 'ran', which the policy does not declare",
        ),
        (
            "[[phaseouts]]\nid = \"x\"\nentity = \"eastwind-telecom\"\ninstalled_before = 2028-01-01T00:00:00Z\ndeadline = 2027-01-01T00:00:00Z\nreason = \"r\"\n",
            "installed_before is after the deadline",
        ),
        (
            "[[phaseouts]]\nid = \"x\"\nentity = \"eastwind-telecom\"\ninstalled_before = 2020-01-01T00:00:00Z\ndeadline = 2027-01-01T00:00:00Z\n",
            "needs a non-empty reason",
        ),
        (
            "[[phaseouts]]\nid = \"x\"\nentity = \"eastwind-telecom\"\ninstalled_before = 2020-01-01T00:00:00Z\ndeadline = 2027-01-01T00:00:00Z\nreason = \"r\"\n[[phaseouts]]\nid = \"x\"\nentity = \"eastwind-telecom\"\ninstalled_before = 2020-01-01T00:00:00Z\ndeadline = 2027-01-01T00:00:00Z\nreason = \"r\"\n",
            "phase-out plan 'x' is declared twice",
        ),
    ];
    for (extra, want) in cases {
        let path = dir.path().join("policy.toml");
        let text = policy("bad", "", extra);
        std::fs::write(&path, &text).unwrap();
        let o = run(&["policy", "check", &p(&path)]);
        let err = stderr(&o);
        assert_eq!(code(&o), 2, "{extra}: {err}");
        assert!(err.contains(want), "{extra}: {err}");
        // The message names the file and a line inside the added text.
        let first_extra_line = text.lines().count() - extra.lines().count() + 1;
        let line: usize = err
            .split_once("policy.toml:")
            .and_then(|(_, rest)| rest.split(':').next())
            .and_then(|l| l.parse().ok())
            .unwrap_or_else(|| panic!("no line in {err}"));
        assert!(
            err.contains(&p(&path)) && line >= first_extra_line,
            "{extra}: {err} (extra starts at line {first_extra_line})"
        );
    }
}

/// Runs `hwprov log report` on `log` with `extra` arguments.
fn report(log: &Path, extra: &[&str]) -> (i32, String, String) {
    let l = p(log);
    let mut args = vec!["log", "report", &l];
    args.extend_from_slice(extra);
    let o = run(&args);
    (code(&o), stdout(&o), stderr(&o))
}

/// Two inventories logged six months apart, eight legacy units removed in
/// between; returns the log directory and the vet summaries as printed.
fn logged_inventories(inv: &Inventory) -> (PathBuf, Vec<Value>) {
    let log = inv.root.join("log");
    let key = p(&inv.root.join("log.pem"));
    assert_eq!(code(&run(&["key", "generate", "--out", &key])), 0);
    assert_eq!(
        code(&run(&[
            "log",
            "init",
            &p(&log),
            "--key",
            &key,
            "--origin",
            "operator.example/inventory"
        ])),
        0
    );
    let l = p(&log);
    let (_, _, first) = vet(inv, "2026-05-21T00:00:00Z", &["--log", &l]);
    for n in 0..8 {
        std::fs::remove_file(inv.ship.join(format!("u{n:03}.cbor"))).unwrap();
    }
    let (_, _, second) = vet(inv, AT, &["--log", &l]);
    (log, vec![first, second])
}

#[test]
fn the_regulator_report_rebuilds_logged_inventories_and_shows_removal_progress() {
    let inv = inventory("");
    let (log, summaries) = logged_inventories(&inv);
    let (c, json, err) = report(&log, &["--format", "json"]);
    assert_eq!(c, 0, "{err}");
    let r: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(r["format"], "hwprov-log-report/1");
    assert_eq!(r["log"]["origin"], "operator.example/inventory");
    let invs = r["inventories"].as_array().unwrap();
    assert_eq!(invs.len(), 2);
    // Each inventory's figures are the ones vet printed when it decided.
    for (i, s) in invs.iter().zip(&summaries) {
        assert_eq!(i["classes"], s["classes"]);
        assert_eq!(i["phaseouts"], s["phaseouts"]);
        assert_eq!(i["fleet_findings"], s["fleet_findings"]);
        assert_eq!(i["verdict"], s["verdict"]);
        assert_eq!(i["units"], s["units"]);
    }
    assert_eq!(invs[0]["at"], "2026-05-21T00:00:00Z");
    // Before the 2026-06-01 step the RAN cap was 35%, after it 25%.
    assert!(close(
        &invs[0]["classes"]["ran"]["caps"]["max_high_risk_share"],
        0.35
    ));
    assert!(close(
        &invs[1]["classes"]["ran"]["caps"]["max_high_risk_share"],
        0.25
    ));
    // The legacy waivers show as waived findings.
    assert!(
        invs[1]["waived_findings"]["entity.designated"]
            .as_u64()
            .unwrap()
            >= 12
    );
    let progress = r["progress"].as_array().unwrap();
    assert_eq!(progress.len(), 1);
    assert_eq!(progress[0]["plan"], "hrv-removal");
    assert_eq!(progress[0]["class"], "ran");
    assert_eq!(progress[0]["removed"], 8);
    let legacy: Vec<u64> = progress[0]["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["legacy"].as_u64().unwrap())
        .collect();
    assert_eq!(legacy, [20, 12]);
    // The schema accepts it, and shares its definitions with vet's.
    let schema: Value = serde_json::from_slice(
        &std::fs::read(root().join("schemas/log-report.schema.json")).unwrap(),
    )
    .unwrap();
    let vet_schema: Value =
        serde_json::from_slice(&std::fs::read(root().join("schemas/vet.schema.json")).unwrap())
            .unwrap();
    for def in ["class", "phaseout", "finding", "digest"] {
        assert_eq!(schema["$defs"][def], vet_schema["$defs"][def], "{def}");
    }
    let v = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = v.iter_errors(&r).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");

    // Text for people.
    let (_, text, _) = report(&log, &[]);
    assert!(
        text.contains("hrv-removal ran: legacy units 2026-05-21 20 -> 2026-11-21 12 (8 removed), deadline 2027-12-31T00:00:00Z"),
        "{text}"
    );
    assert!(text.contains("inventory at 2026-05-21T00:00:00Z"), "{text}");

    // The window selects by evaluation time.
    let (_, json, _) = report(
        &log,
        &["--format", "json", "--from", "2026-06-01T00:00:00Z"],
    );
    let r2: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(r2["inventories"].as_array().unwrap().len(), 1);
    assert_eq!(r2["inventories"][0]["at"], AT);
    assert_eq!(r2["from"], "2026-06-01T00:00:00Z");
    let (_, json, _) = report(&log, &["--format", "json", "--to", "2026-01-01T00:00:00Z"]);
    let r3: Value = serde_json::from_str(&json).unwrap();
    assert!(r3["inventories"].as_array().unwrap().is_empty());
    let (c, _, err) = report(
        &log,
        &[
            "--from",
            "2027-01-01T00:00:00Z",
            "--to",
            "2026-01-01T00:00:00Z",
        ],
    );
    assert_eq!(c, 2, "{err}");
    assert!(err.contains("is after --to"), "{err}");
}

#[test]
fn a_copy_of_the_log_gives_the_same_report_byte_for_byte_and_a_tampered_one_none() {
    let inv = inventory("");
    let (log, _) = logged_inventories(&inv);
    let html = inv.root.join("report.html");
    let (c, text, err) = report(&log, &["--html", &p(&html)]);
    assert_eq!(c, 0, "{err}");
    let (_, json, _) = report(&log, &["--format", "json"]);
    // The regulator's copy, elsewhere, with the unit bundles removed from
    // the shipment directory: the report comes from the log alone.
    let copy = tempfile::tempdir().unwrap();
    let theirs = copy.path().join("log");
    std::fs::create_dir_all(theirs.join("objects")).unwrap();
    for e in walk(&log) {
        let rel = e.strip_prefix(&log).unwrap();
        std::fs::create_dir_all(theirs.join(rel).parent().unwrap()).unwrap();
        std::fs::copy(&e, theirs.join(rel)).unwrap();
    }
    std::fs::remove_dir_all(&inv.ship).unwrap();
    let their_html = copy.path().join("report.html");
    let (c, their_text, _) = report(&theirs, &["--html", &p(&their_html)]);
    assert_eq!(c, 0);
    assert_eq!(their_text, text);
    assert_eq!(report(&theirs, &["--format", "json"]).1, json);
    assert_eq!(
        std::fs::read(&their_html).unwrap(),
        std::fs::read(&html).unwrap()
    );
    // The HTML has the two charts: the high-risk share per class with its
    // cap, and the legacy units per plan, one point per inventory.
    let h = std::fs::read_to_string(&html).unwrap();
    assert!(h.contains("id=\"chart-high-risk\""), "{h}");
    assert!(h.contains("<g class=\"series\" data-name=\"ran\">"));
    assert!(h.contains("class=\"cap\" data-name=\"ran cap\""));
    let legacy = &h[h.find("id=\"chart-legacy\"").unwrap()..];
    let legacy = &legacy[..legacy.find("</svg>").unwrap()];
    let points: Vec<&str> = legacy
        .split("data-value=\"")
        .skip(1)
        .map(|x| x.split('"').next().unwrap())
        .collect();
    assert_eq!(points, ["20.0000", "12.0000"], "{legacy}");
    assert!(!h.contains("<script"));
    // And replay re-runs every decision the report was made from.
    let o = run(&["replay", &p(&theirs)]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(
        stdout(&o).contains(" 0 different, 0 log problem(s)"),
        "{}",
        stdout(&o)
    );

    // One stored unit altered: the log no longer verifies, no report.
    let objects: Vec<PathBuf> = walk(&theirs.join("objects"));
    let victim = objects
        .iter()
        .max_by_key(|o| std::fs::metadata(o).unwrap().len())
        .unwrap();
    let mut bytes = std::fs::read(victim).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(victim, bytes).unwrap();
    let (c, out, err) = report(&theirs, &[]);
    assert_eq!(c, 1, "{out}{err}");
    assert!(err.contains("no report is made"), "{err}");
    assert!(out.is_empty(), "{out}");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

//! Properties of the policy engine over generated supply chains (proptest,
//! fixed seed, so every run checks the same cases):
//! - the verdict and findings do not depend on evidence order (after the root);
//! - removing a statement never improves the verdict;
//! - adding evidence that no rule asked for never improves the verdict;
//! - changing one role's levels never changes another role's findings;
//! - a unit with no deployment row never gets a class's relaxed levels,
//!   whatever class its vendor claims;
//! - where classes and zones only tighten, removing a unit's deployment row
//!   never improves its verdict.

#[path = "../examples/support/mod.rs"]
mod support;

use hwprov::wire::statement::Stage;
use hwprov::{Limits, Policy, Sha256, Timestamp, Verdict};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use std::collections::BTreeSet;
use std::path::Path;
use support::*;

fn rank(v: Verdict) -> u8 {
    match v {
        Verdict::Pass => 0,
        Verdict::Warn => 1,
        Verdict::Fail => 2,
    }
}

#[derive(Debug, Clone)]
struct Scenario {
    route: u8,
    class: u8,
    signed: bool,
    two_keys: bool,
    evaluation: Option<bool>,
    min_signers: u8,
    require_eval: bool,
    periphery_warn: bool,
    serial: u16,
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        0u8..3,
        0u8..3,
        any::<bool>(),
        any::<bool>(),
        prop::option::of(any::<bool>()),
        1u8..3,
        any::<bool>(),
        any::<bool>(),
        any::<u16>(),
    )
        .prop_map(
            |(
                route,
                class,
                signed,
                two_keys,
                evaluation,
                min_signers,
                require_eval,
                periphery_warn,
                serial,
            )| Scenario {
                route,
                class,
                signed,
                two_keys,
                evaluation,
                min_signers,
                require_eval,
                periphery_warn,
                serial,
            },
        )
}

impl Scenario {
    fn policy(&self) -> Policy {
        let mut rules = format!(
            "required_stages = [\"design\", \"fab\", \"atp\"]\nfirmware_min_signers = {}\n",
            self.min_signers
        );
        if self.require_eval {
            rules += "firmware_evaluations = [\"binary-equivalence\"]\n";
        }
        let extra = if self.periphery_warn {
            "[classes.periphery.rules]\n\"jurisdiction.site\" = \"warn\"\n\"jurisdiction.control\" = \"warn\"\n"
        } else {
            ""
        };
        Policy::parse(
            &policy("props", &rules, extra),
            Path::new("props.toml"),
            Path::new("."),
        )
        .unwrap()
    }

    fn parts(&self) -> Vec<Vec<u8>> {
        let serial = format!("P-{}", self.serial);
        let u = Unit {
            route: [CLEAN, HIGH_RISK_ATP, OWNED_FAB][self.route as usize],
            class: ["core", "ran", "periphery"][self.class as usize],
            signed_firmware: self.signed,
            release_keys: if self.two_keys { &[0, 1] } else { &[0] },
            evaluation: self.evaluation,
            ..Unit::new(&serial)
        };
        hwprov::wire::bundle::split(&u.bundle(), &Limits::DEFAULT)
            .unwrap()
            .iter()
            .map(|p| p.to_vec())
            .collect()
    }
}

fn verify(policy: &Policy, parts: &[Vec<u8>]) -> hwprov::Report {
    let at = Timestamp::parse_rfc3339(AT).unwrap();
    hwprov::verify_bundle(
        policy,
        &hwprov::wire::bundle::encode(parts),
        at,
        &Limits::DEFAULT,
    )
    .unwrap()
}

fn finding_set(r: &hwprov::Report) -> BTreeSet<(String, String, Option<Sha256>, String)> {
    r.findings
        .iter()
        .map(|f| {
            (
                f.rule.as_str().to_owned(),
                f.severity.as_str().to_owned(),
                f.statement,
                f.subject.clone(),
            )
        })
        .collect()
}

/// Statements no rule asks for: stages nobody cites (clean or high-risk),
/// an evaluation of another image, a release of another image, a duplicate.
fn unrelated(kind: u8, parts: &[Vec<u8>]) -> Vec<u8> {
    match kind {
        0 => sign_by(&stage(
            "penang-osat",
            Stage::Atp,
            "OTHER-1",
            "L-9",
            "Penang",
            "MY",
            vec![],
        )),
        1 => sign_by(&stage(
            "pearl-river-osat",
            Stage::Atp,
            "OTHER-2",
            "L-9",
            "Dongguan",
            "CN",
            vec![],
        )),
        2 => sign_by(&evaluation(
            Sha256::of(b"some other image"),
            "binary-equivalence",
            true,
        )),
        3 => {
            let img = image("other", "9.9", 128);
            sign_by(&release(
                "aurora-networks",
                "aurora-networks",
                "AX-5000",
                "U1",
                "other",
                "9.9",
                9,
                &img,
            ))
        }
        _ => parts[parts.len() - 1].clone(),
    }
}

fn config() -> Config {
    Config {
        cases: 48,
        rng_seed: RngSeed::Fixed(0x6877_7072_6f76),
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn verdict_does_not_depend_on_evidence_order(s in scenario(), perm_seed in any::<u64>()) {
        let policy = s.policy();
        let parts = s.parts();
        let before = verify(&policy, &parts);
        // A deterministic permutation of the evidence (root stays first).
        let mut evidence: Vec<(u64, Vec<u8>)> = parts[1..]
            .iter()
            .map(|p| (u64::from_le_bytes(Sha256::of(&[&perm_seed.to_le_bytes()[..], p].concat()).0[..8].try_into().unwrap()), p.clone()))
            .collect();
        evidence.sort();
        let mut shuffled = vec![parts[0].clone()];
        shuffled.extend(evidence.into_iter().map(|(_, p)| p));
        let after = verify(&policy, &shuffled);
        prop_assert_eq!(before.verdict, after.verdict);
        prop_assert_eq!(finding_set(&before), finding_set(&after));
    }

    #[test]
    fn removing_a_statement_never_improves_the_verdict(s in scenario()) {
        let policy = s.policy();
        let parts = s.parts();
        let before = verify(&policy, &parts);
        for i in 1..parts.len() {
            let mut fewer = parts.clone();
            fewer.remove(i);
            let after = verify(&policy, &fewer);
            prop_assert!(
                rank(after.verdict) >= rank(before.verdict),
                "removing statement {} turned {:?} into {:?}: {:?}", i, before.verdict, after.verdict, after.findings
            );
        }
    }

    #[test]
    fn adding_unrequested_evidence_never_improves_the_verdict(s in scenario(), kind in 0u8..5) {
        let policy = s.policy();
        let parts = s.parts();
        let before = verify(&policy, &parts);
        let mut more = parts.clone();
        more.push(unrelated(kind, &parts));
        let after = verify(&policy, &more);
        prop_assert!(rank(after.verdict) >= rank(before.verdict), "{:?} -> {:?}", before.verdict, after.verdict);
    }
}

#[test]
fn supplying_what_a_rule_asked_for_is_the_way_to_pass() {
    // The counterpart: an unsigned image fails until its signed release is added.
    let policy = Scenario {
        route: 0,
        class: 0,
        signed: false,
        two_keys: false,
        evaluation: None,
        min_signers: 1,
        require_eval: false,
        periphery_warn: false,
        serial: 1,
    }
    .policy();
    let unsigned = Scenario {
        route: 0,
        class: 0,
        signed: false,
        two_keys: false,
        evaluation: None,
        min_signers: 1,
        require_eval: false,
        periphery_warn: false,
        serial: 1,
    }
    .parts();
    assert_eq!(verify(&policy, &unsigned).verdict, Verdict::Fail);
    let img = image("bmc", "2.4.1", 64 * 1024);
    let mut fixed = unsigned.clone();
    fixed.push(sign_by(&release(
        "aurora-networks",
        "aurora-networks",
        "AX-5000",
        "U1",
        "bmc",
        "2.4.1",
        7,
        &img,
    )));
    assert_eq!(verify(&policy, &fixed).verdict, Verdict::Pass);
}

/// Levels for a role, a class and a zone, drawn at random (SPEC 6.2).
fn level() -> impl Strategy<Value = Option<&'static str>> {
    prop::option::of(prop::sample::select(vec!["deny", "warn", "off"]))
}

fn levels_table(site: Option<&str>, control: Option<&str>) -> String {
    let mut t = String::new();
    if let Some(l) = site {
        t += &format!("\"jurisdiction.site\" = \"{l}\"\n");
    }
    if let Some(l) = control {
        t += &format!("\"jurisdiction.control\" = \"{l}\"\n");
    }
    t
}

fn scoped_policy(extra: &str) -> Policy {
    scoped_policy_with("", extra)
}

fn scoped_policy_with(rules: &str, extra: &str) -> Policy {
    Policy::parse(
        &policy(
            "props",
            &format!("required_stages = [\"design\", \"fab\", \"atp\"]\n{rules}"),
            &format!("[classes.core]\n[classes.periphery]\n[zones.z]\n{extra}"),
        ),
        Path::new("props.toml"),
        Path::new("."),
    )
    .unwrap()
}

/// The role of each statement of a bundle, by digest (its stage or type).
fn roles(parts: &[Vec<u8>]) -> std::collections::HashMap<Sha256, &'static str> {
    parts
        .iter()
        .filter_map(|p| {
            let env = hwprov::wire::envelope::Envelope::decode(p, 16).ok()?;
            let st = hwprov::Statement::decode(&env.payload, 16).ok()?;
            Some((Sha256::of(p), st.role()))
        })
        .collect()
}

fn deployed(policy: &Policy, csv: Option<&str>, parts: &[Vec<u8>]) -> hwprov::Report {
    let d = csv.map(|c| {
        hwprov::policy::deployment::Deployment::parse(c.as_bytes(), Path::new("d.csv"), policy)
            .unwrap()
    });
    hwprov::decide::verify::verify_deployed(
        policy,
        d.as_ref(),
        &hwprov::wire::bundle::encode(parts),
        Timestamp::parse_rfc3339(AT).unwrap(),
        &Limits::DEFAULT,
    )
    .unwrap()
}

fn risky_parts(route: u8, class: u8, serial: u16) -> Vec<Vec<u8>> {
    let serial = format!("P-{serial}");
    let u = Unit {
        route: [CLEAN, HIGH_RISK_ATP, OWNED_FAB][route as usize % 3],
        class: ["core", "periphery", "ran"][class as usize % 3],
        ..Unit::new(&serial)
    };
    hwprov::wire::bundle::split(&u.bundle(), &Limits::DEFAULT)
        .unwrap()
        .iter()
        .map(|p| p.to_vec())
        .collect()
}

proptest! {
    #![proptest_config(config())]

    /// Changing one role's levels never changes a finding about a statement
    /// of another role.
    #[test]
    fn one_roles_levels_never_change_another_roles_findings(
        route in 1u8..3, serial in any::<u16>(),
        role in prop::sample::select(vec!["design", "fab", "atp", "device"]),
        a in (level(), level()), b in (level(), level()),
    ) {
        let parts = risky_parts(route, 0, serial);
        let by_role = roles(&parts);
        let with = |(site, control): (Option<&str>, Option<&str>)| {
            let p = scoped_policy(&format!("[roles.{role}.rules]\n{}", levels_table(site, control)));
            deployed(&p, None, &parts)
                .findings
                .into_iter()
                .filter(|f| f.statement.and_then(|d| by_role.get(&d)) != Some(&role))
                .map(|f| (f.rule, f.severity, f.statement, f.subject))
                .collect::<Vec<_>>()
        };
        prop_assert_eq!(with(a), with(b));
    }

    /// A unit with no deployment row never gets a class's relaxed levels,
    /// whatever class its vendor claims: it is judged as if the classes did
    /// not exist.
    #[test]
    fn a_unit_without_a_row_never_gets_a_relaxed_level(
        route in 1u8..3, class in 0u8..3, serial in any::<u16>(),
        relaxed in (level(), level()),
    ) {
        let parts = risky_parts(route, class, serial);
        let with_classes = scoped_policy(&format!(
            "[classes.periphery.rules]\n{}[classes.ran.rules]\n{}",
            levels_table(relaxed.0, relaxed.1),
            levels_table(relaxed.0, relaxed.1)
        ));
        let without = scoped_policy("");
        let other_row = Some("vendor,model,serial,class\nboreal-radio,,,periphery\n");
        prop_assert_eq!(
            finding_set(&deployed(&with_classes, other_row, &parts)),
            finding_set(&deployed(&without, None, &parts))
        );
    }

    /// Where classes and zones only tighten, removing the unit's deployment
    /// row never improves its verdict.
    #[test]
    fn removing_a_row_never_improves_a_verdict_when_classes_only_tighten(
        route in 0u8..3, serial in any::<u16>(),
        base in (level(), level()), tighten in (any::<bool>(), any::<bool>()),
        zone in any::<bool>(),
    ) {
        let parts = risky_parts(route, 0, serial);
        let stricter = |l: Option<&str>, t: bool| -> Option<&'static str> {
            // The rule's default is deny; "tighten" picks a level at least
            // the base's.
            match (l.unwrap_or("deny"), t) {
                (_, false) => None,
                ("off", true) => Some("warn"),
                _ => Some("deny"),
            }
        };
        let p = scoped_policy_with(
            &levels_table(base.0, base.1),
            &format!(
                "[classes.periphery.rules]\n{}[zones.z.rules]\n{}",
                levels_table(stricter(base.0, tighten.0), stricter(base.1, tighten.1)),
                levels_table(Some("deny"), None),
            ),
        );
        let serial = format!("P-{serial}");
        let row = format!(
            "vendor,model,serial,class,zones\naurora-networks,AX-5000,{serial},periphery,{}\n",
            if zone { "z" } else { "" }
        );
        let with_row = deployed(&p, Some(&row), &parts).verdict;
        let without = deployed(&p, None, &parts).verdict;
        prop_assert!(rank(with_row) >= rank(without), "{:?} with the row, {:?} without", with_row, without);
    }
}

//! The shipment-level checks of `vet` (SPEC 6.4, 6.5, 9): units are fed in
//! path order into a small accumulator (counts per class, vendor, plan and
//! stage site; serials for clones), then the fleet caps in force per class
//! are checked and the summary is built. Memory grows with the distinct
//! serials and the classes, vendors and plans, never with the findings.

use crate::policy::rules::Rule;
use crate::policy::{HighRiskBasis, PlanStatus, Policy};
use crate::report::shipment::{
    CapsSummary, ClassSummary, FailingUnit, HighRiskSummary, MAX_LISTED_FAILURES,
    MAX_LISTED_REASONS, NextStep, PhaseoutSummary, PlanCounts, Skipped, Summary,
};
use crate::report::{Context, Finding, Report, Severity, Verdict};
use crate::wire::country::Country;
use crate::wire::statement::Stage;
use crate::wire::time::Timestamp;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

/// One unit's outcome.
pub struct Unit {
    /// The bundle file.
    pub path: PathBuf,
    /// SHA-256 of the bytes verified, when they could be read.
    pub digest: Option<crate::wire::digest::Sha256>,
    /// Its report, or why it could not be read.
    pub outcome: Result<Report, String>,
}

/// The class name of units without a class the policy declares.
pub const UNCLASSIFIED: &str = "(unclassified)";

/// The serials units claim: the first unit claiming each, and only the
/// later ones listed (clones are rare), in a table of a few dozen bytes a
/// unit (see [`crate::serials`]).
#[derive(Default)]
struct Serials {
    first: crate::serials::SerialTable<u32>,
    /// The later units claiming the serial of a first unit.
    more: HashMap<u32, Vec<u32>>,
}

impl Serials {
    fn add(&mut self, vendor: &str, model: &str, serial: &str, unit: u32) {
        // A serial past the table's 16 MiB bound cannot come from a
        // statement (1 MiB at most), so `None` never happens.
        if let Some(crate::serials::Inserted::Existing(first)) =
            self.first.insert(vendor, model, serial, unit)
        {
            let first = *first;
            self.more.entry(first).or_default().push(unit);
        }
    }

    /// Every serial more than one unit claims: vendor, model, serial and
    /// the units in path order, sorted by vendor, model and serial.
    fn duplicates(&self) -> Vec<(&str, &str, &str, Vec<u32>)> {
        if self.more.is_empty() {
            return Vec::new();
        }
        let mut out: Vec<(&str, &str, &str, Vec<u32>)> = self
            .first
            .iter()
            .filter_map(|(vendor, model, serial, first)| {
                let later = self.more.get(first)?;
                let mut units = vec![*first];
                units.extend(later);
                Some((vendor, model, serial, units))
            })
            .collect();
        out.sort();
        out
    }
}

/// Units of one vendor in one class.
#[derive(Default, Clone, Copy)]
struct VendorCount {
    units: u64,
    /// Units with a `jurisdiction.site` or `.control` finding (any severity).
    any_stage: u64,
}

#[derive(Default)]
struct Acc {
    units: u64,
    counts: [u64; 4],
    rules: BTreeMap<String, u64>,
    /// Per class (`None`: unclassified), per vendor entity.
    class_vendor: BTreeMap<Option<String>, BTreeMap<String, VendorCount>>,
    /// Per plan (index) and class: legacy and new units.
    plans: BTreeMap<(usize, Option<String>), PlanCounts>,
    stage_country: BTreeMap<Stage, BTreeMap<Country, u64>>,
    serials: Serials,
    failing: Vec<FailingUnit>,
    failing_not_listed: u64,
}

impl Acc {
    fn add(&mut self, u: &Unit) {
        let idx = self.units as u32;
        self.units += 1;
        let r = match &u.outcome {
            Err(e) => {
                self.counts[3] += 1;
                self.fail(FailingUnit {
                    unit: u.path.display().to_string(),
                    serial: None,
                    verdict: "error",
                    reasons: vec![e.clone()],
                    reasons_not_listed: 0,
                });
                return;
            }
            Ok(r) => r,
        };
        self.counts[r.verdict as usize] += 1;
        for f in &r.findings {
            *self
                .rules
                .entry(format!("{}/{}", f.rule, f.severity.as_str()))
                .or_insert(0) += 1;
        }
        if let Some(facts) = &r.unit {
            let any_stage = r
                .findings
                .iter()
                .any(|f| matches!(f.rule, Rule::JurisdictionSite | Rule::JurisdictionControl));
            let v = self
                .class_vendor
                .entry(facts.class.clone())
                .or_default()
                .entry(facts.product.vendor.clone())
                .or_default();
            v.units += 1;
            v.any_stage += u64::from(any_stage);
            for (plan, status) in &facts.plans {
                let c = self.plans.entry((*plan, facts.class.clone())).or_default();
                match status {
                    PlanStatus::Legacy => c.legacy += 1,
                    PlanStatus::New => c.new += 1,
                }
            }
            for (stage, country) in &facts.sites {
                *self
                    .stage_country
                    .entry(*stage)
                    .or_default()
                    .entry(*country)
                    .or_insert(0) += 1;
            }
            let p = &facts.product;
            self.serials.add(&p.vendor, &p.model, &p.serial, idx);
        }
        if r.verdict == Verdict::Fail {
            let mut seen = std::collections::HashSet::new();
            let reasons: Vec<String> = r
                .findings
                .iter()
                .filter(|f| f.severity == Severity::Deny)
                .map(|f| format!("{}: {}", f.rule, f.subject))
                .filter(|x| seen.insert(x.clone()))
                .collect();
            self.fail(FailingUnit {
                unit: u.path.display().to_string(),
                serial: r.unit.as_ref().map(|f| f.product.serial.clone()),
                verdict: "fail",
                reasons: reasons.iter().take(MAX_LISTED_REASONS).cloned().collect(),
                reasons_not_listed: reasons.len().saturating_sub(MAX_LISTED_REASONS),
            });
        }
    }

    fn fail(&mut self, f: FailingUnit) {
        if self.failing.len() < MAX_LISTED_FAILURES {
            self.failing.push(f);
        } else {
            self.failing_not_listed += 1;
        }
    }
}

/// The shipment-level state of a vet, fed one unit at a time in path order
/// (what `vet::run` does internally); `replay` uses it to rebuild a logged
/// shipment decision from the unit decisions it has just replayed.
#[derive(Default)]
pub struct Fleet(Acc);

impl Fleet {
    /// An empty shipment.
    pub fn new() -> Fleet {
        Fleet::default()
    }

    /// An empty shipment of `units` units to come (its tables sized once).
    pub fn with_capacity(units: usize) -> Fleet {
        let mut f = Fleet::default();
        f.0.serials.first = crate::serials::SerialTable::with_capacity(units);
        f
    }

    /// Adds the next unit in path order.
    pub fn add(&mut self, u: &Unit) {
        self.0.add(u);
    }

    /// The fleet checks and the summary, as `vet::run` gives them;
    /// `path_of` names the unit at a position (in the order added), for
    /// the clones a duplicate-serial finding lists. Paths are not kept per
    /// unit: the caller holds them already.
    pub fn finish(
        self,
        policy: &Policy,
        at: Timestamp,
        path_of: &dyn Fn(u32) -> String,
    ) -> Summary {
        summarise(policy, self.0, at, path_of)
    }
}

fn share(n: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        n as f64 / total as f64
    }
}

/// What a fleet finding concerns: its class (for the rule level), the
/// vendor group (its entity, for waivers), and for a duplicate serial the
/// unit's vendor and serial.
#[derive(Default)]
struct About<'a> {
    class: Option<&'a str>,
    group: Option<String>,
    vendor: Option<String>,
    serial: Option<String>,
}

fn level_finding(
    policy: &Policy,
    rule: Rule,
    subject: String,
    message: String,
    about: About<'_>,
    at: Timestamp,
) -> Option<Finding> {
    let f = Finding {
        rule,
        severity: Severity::Deny,
        statement: None,
        subject,
        message,
        entity: about.group,
        context: Context {
            part: None,
            vendor: about.vendor,
            serial: about.serial,
            role: None,
        },
    };
    crate::decide::levels::apply_policy_levels(policy, vec![f], about.class, &[], &[], at)
        .into_iter()
        .next()
}

/// Whether a vendor counts as high-risk on the `vendor` basis for a unit
/// of `class` (SPEC 6.4): its control countries at `at` include a
/// high-risk one, or it or an owner has a live designation on a deny list
/// in scope of the class and role `device`. `memo` keeps each entity's
/// answer per class, so an owner with many designations above many vendors
/// is looked at once per class, not once per vendor.
fn vendor_high_risk<'p>(
    policy: &'p Policy,
    vendor: &str,
    class: Option<&'p str>,
    at: Timestamp,
    memo: &mut HashMap<(&'p str, Option<&'p str>), bool>,
) -> bool {
    policy.chain_at(vendor, at).iter().any(|e| {
        *memo.entry((e.id.as_str(), class)).or_insert_with(|| {
            policy.high_risk.contains(&e.country)
                || policy
                    .designations_in_force(e, at, class, Some("device"))
                    .next()
                    .is_some()
        })
    })
}

/// Days from `at` to `deadline`, rounded up; zero or negative once passed.
fn days_left(at: Timestamp, deadline: Timestamp) -> i64 {
    if deadline > at {
        (deadline.0 - at.0).div_ceil(86_400) as i64
    } else {
        -(((at.0 - deadline.0) / 86_400) as i64)
    }
}

/// Units of one vendor group in one class.
#[derive(Default)]
struct Group {
    units: u64,
    high_risk: u64,
}

fn summarise(policy: &Policy, acc: Acc, at: Timestamp, path_of: &dyn Fn(u32) -> String) -> Summary {
    let mut fleet = Vec::new();
    // Clones or replays: two units claiming one vendor + model + serial.
    for (vendor, model, serial, idx) in acc.serials.duplicates() {
        let files: Vec<String> = idx.iter().map(|i| path_of(*i)).collect();
        fleet.extend(level_finding(
            policy,
            Rule::FleetDuplicateSerial,
            format!("{vendor} {model} serial {serial}"),
            format!(
                "{} units claim this serial: {}; at most one is genuine",
                idx.len(),
                files.join(", ")
            ),
            About {
                group: Some(policy.group_of(vendor, at).to_owned()),
                vendor: Some(vendor.to_owned()),
                serial: Some(serial.to_owned()),
                ..About::default()
            },
            at,
        ));
    }
    // Per class: units by vendor group (the top of the vendor's ownership
    // chain in force), high-risk units on the class's basis, and the caps
    // in force. No free-text string decides a share: the vendor is a policy
    // entity (vendor binding) and the class the operator's.
    let mut classes = BTreeMap::new();
    let (mut all_units, mut all_high_risk) = (0u64, 0u64);
    // A class the policy does not declare counts as unclassified.
    let mut by_class: BTreeMap<Option<&str>, BTreeMap<&str, VendorCount>> = BTreeMap::new();
    for (class, vendors) in &acc.class_vendor {
        let class = class.as_deref().filter(|c| policy.classes.contains_key(*c));
        let into = by_class.entry(class).or_default();
        for (vendor, n) in vendors {
            let v = into.entry(vendor.as_str()).or_default();
            v.units += n.units;
            v.any_stage += n.any_stage;
        }
    }
    let mut memo = HashMap::new();
    for (class, vendors) in by_class {
        let class: Option<&str> = class
            .and_then(|c| policy.classes.get_key_value(c))
            .map(|(k, _)| k.as_str());
        let name = class.unwrap_or(UNCLASSIFIED);
        let in_force = policy.fleet_at(class, at);
        let mut groups: BTreeMap<&str, Group> = BTreeMap::new();
        for (vendor, n) in &vendors {
            let g = groups.entry(policy.group_of(vendor, at)).or_default();
            g.units += n.units;
            g.high_risk += match in_force.basis {
                HighRiskBasis::AnyStage => n.any_stage,
                HighRiskBasis::Vendor if vendor_high_risk(policy, vendor, class, at, &mut memo) => {
                    n.units
                }
                HighRiskBasis::Vendor => 0,
            };
        }
        let total: u64 = groups.values().map(|g| g.units).sum();
        let high_risk: u64 = groups.values().map(|g| g.high_risk).sum();
        all_units += total;
        all_high_risk += high_risk;
        let shares: BTreeMap<String, f64> = groups
            .iter()
            .map(|(g, n)| ((*g).to_owned(), share(n.units, total)))
            .collect();
        let hhi = shares.values().map(|s| (s * 100.0).powi(2)).sum();
        let caps = in_force.caps;
        let when = in_force
            .since
            .map_or(String::new(), |s| format!(" (the step from {s})"));
        let next = in_force.next.map_or(String::new(), |(from, c)| {
            format!("; from {from}: {}", c.describe())
        });
        if let Some(cap) = caps.max_vendor_share {
            for (g, s) in &shares {
                if *s > cap {
                    fleet.extend(level_finding(
                        policy,
                        Rule::FleetConcentration,
                        format!("vendor group '{g}' in class '{name}'"),
                        format!(
                            "{g} supplies {} of the {total} {name} units ({} units), over the cap of {} in force{when} (HHI {hhi:.0}){next}",
                            crate::text::percent(*s),
                            groups.get(g.as_str()).map_or(0, |x| x.units),
                            crate::text::percent(cap)
                        ),
                        About {
                            class,
                            group: Some(g.clone()),
                            ..About::default()
                        },
                        at,
                    ));
                }
            }
        }
        let hr_share = share(high_risk, total);
        if let Some(cap) = caps.max_high_risk_share
            && hr_share > cap
        {
            let contributing: Vec<(&str, u64)> = groups
                .iter()
                .filter(|(_, g)| g.high_risk > 0)
                .map(|(n, g)| (*n, g.high_risk))
                .collect();
            let list: Vec<String> = contributing
                .iter()
                .map(|(n, k)| format!("{n} {k}"))
                .collect();
            fleet.extend(level_finding(
                policy,
                Rule::FleetConcentration,
                format!(
                    "high-risk share of class '{name}' ({} basis)",
                    in_force.basis.as_str()
                ),
                format!(
                    "{high_risk} of the {total} {name} units ({}) are high-risk on the {} basis (by vendor group: {}), over the cap of {} in force{when}{next}",
                    crate::text::percent(hr_share),
                    in_force.basis.as_str(),
                    list.join(", "),
                    crate::text::percent(cap)
                ),
                About {
                    class,
                    // One group holds every high-risk unit: the finding is
                    // about it (a waiver by entity can match).
                    group: match contributing.as_slice() {
                        [(one, _)] => Some((*one).to_owned()),
                        _ => None,
                    },
                    ..About::default()
                },
                at,
            ));
        }
        if let Some(min) = caps.min_vendors
            && (groups.len() as u64) < min
        {
            let names: Vec<&str> = groups.keys().copied().collect();
            fleet.extend(level_finding(
                policy,
                Rule::FleetDiversity,
                format!("vendor groups of class '{name}'"),
                format!(
                    "the {total} {name} units come from {} vendor group(s) ({}), fewer than the {min} required{when}{next}",
                    groups.len(),
                    names.join(", ")
                ),
                About {
                    class,
                    group: match names.as_slice() {
                        [one] => Some((*one).to_owned()),
                        _ => None,
                    },
                    ..About::default()
                },
                at,
            ));
        }
        classes.insert(
            name.to_owned(),
            ClassSummary {
                units: total,
                vendors: shares,
                vendor_units: groups
                    .iter()
                    .map(|(g, n)| ((*g).to_owned(), n.units))
                    .collect(),
                vendor_groups: groups.len() as u64,
                hhi,
                high_risk: HighRiskSummary {
                    basis: in_force.basis.as_str(),
                    units: high_risk,
                    share: hr_share,
                },
                caps: CapsSummary {
                    caps,
                    since: in_force.since.map(|s| s.to_string()),
                    next_step: in_force.next.map(|(from, c)| NextStep {
                        from: from.to_string(),
                        caps: c,
                    }),
                },
            },
        );
    }
    let phaseouts = policy
        .phaseouts
        .iter()
        .enumerate()
        .map(|(i, p)| PhaseoutSummary {
            id: p.id.clone(),
            entity: p.entity.clone(),
            installed_before: p.installed_before.to_string(),
            deadline: p.deadline.to_string(),
            days_left: days_left(at, p.deadline),
            classes: acc
                .plans
                .range((i, None)..)
                .take_while(|((j, _), _)| *j == i)
                .map(|((_, c), n)| (c.clone().unwrap_or_else(|| UNCLASSIFIED.to_owned()), *n))
                .collect(),
        })
        .collect();
    let stages = acc
        .stage_country
        .iter()
        .map(|(st, countries)| {
            let total: u64 = countries.values().sum();
            (
                st.as_str(),
                countries
                    .iter()
                    .map(|(c, n)| (c.as_str().to_owned(), share(*n, total)))
                    .collect(),
            )
        })
        .collect();
    let mut rules = acc.rules;
    for f in &fleet {
        *rules
            .entry(format!("{}/{}", f.rule, f.severity.as_str()))
            .or_insert(0) += 1;
    }
    let fleet_verdict = Verdict::of(&fleet);
    let verdict = if acc.counts[2] > 0 || acc.counts[3] > 0 || fleet_verdict == Verdict::Fail {
        Verdict::Fail
    } else if acc.counts[1] > 0 || fleet_verdict == Verdict::Warn {
        Verdict::Warn
    } else {
        Verdict::Pass
    };
    Summary {
        format: "hwprov-vet/1",
        verdict,
        at,
        policy: crate::report::PolicyRef {
            name: policy.name.clone(),
            version: policy.version.clone(),
            sha256: policy.sha256.hex(),
        },
        units: acc.units,
        counts: [
            ("pass", acc.counts[0]),
            ("warn", acc.counts[1]),
            ("fail", acc.counts[2]),
            ("error", acc.counts[3]),
        ]
        .into_iter()
        .collect(),
        rules,
        fleet_findings: fleet,
        high_risk_share: share(all_high_risk, all_units),
        classes,
        phaseouts,
        stages,
        failing: acc.failing,
        failing_not_listed: acc.failing_not_listed,
        skipped: Skipped::default(),
    }
}

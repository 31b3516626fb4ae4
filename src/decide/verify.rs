//! Verification of a bundle against a policy, in SPEC order (sections 4
//! to 8): every statement checked on its own, then the rules of its root.

use crate::decide::cache::StatementCache;
use crate::decide::check::Verified;
use crate::decide::check::{Checked, Prepared, deny, finish_statement, prepare_statement};
use crate::decide::device::device_rules;
use crate::decide::evidence::{Evidence, Rules, Unit};
use crate::decide::firmware::{GateInput, firmware_rules};
use crate::decide::levels::apply_policy_levels;
use crate::decide::phaseout::{PlanUnit, unit_plans};
use crate::limits::{Budget, Limits};
use crate::policy::ClassFrom;
use crate::policy::Policy;
use crate::policy::deployment::{Deployment, Placement};
use crate::policy::rules::Rule;
use crate::report::{
    Finding, PolicyRef, REPORT_FORMAT, Report, RootEntry, StatementEntry, Verdict,
};
use crate::wire::bundle::{self, BundleError};
use crate::wire::digest::Sha256;
use crate::wire::keys::SignaturePoint;
use crate::wire::statement::Body;
use crate::wire::statement::DeviceBody;
use crate::wire::time::Timestamp;
use std::collections::HashMap;

/// Verifies a bundle's bytes against a policy at a time. Returns an input
/// error only when the bytes are not a bundle; everything else is a finding.
pub fn verify_bundle(
    policy: &Policy,
    bytes: &[u8],
    at: Timestamp,
    limits: &Limits,
) -> Result<Report, BundleError> {
    evaluate(policy, bytes, at, limits, None, None, None)
}

/// [`verify_bundle`] with the operator's deployment facts (SPEC 6.3): a
/// device's row gives the class and zones that select its rule levels.
pub fn verify_deployed(
    policy: &Policy,
    deployment: Option<&Deployment>,
    bytes: &[u8],
    at: Timestamp,
    limits: &Limits,
) -> Result<Report, BundleError> {
    evaluate(policy, bytes, at, limits, None, deployment, None)
}

/// [`verify_deployed`] sharing statement checks with the other bundles of
/// a run through `cache` (same policy and time; `None`: no sharing): the
/// report is the same byte for byte.
pub fn verify_shared(
    policy: &Policy,
    deployment: Option<&Deployment>,
    bytes: &[u8],
    at: Timestamp,
    limits: &Limits,
    cache: Option<&StatementCache>,
) -> Result<Report, BundleError> {
    evaluate(policy, bytes, at, limits, None, deployment, cache)
}

/// The class that selects a device's rules and its zones (SPEC 6.3): the
/// operator's row, or with `class_from = "device"` the device's suggested
/// class when the policy declares it (else the operator's).
fn device_scope<'a>(
    policy: &Policy,
    row: Option<Placement<'a>>,
    suggested: Option<&'a str>,
) -> (Option<&'a str>, &'a [String]) {
    let operator = row.and_then(|p| p.class);
    let class = match policy.class_from {
        ClassFrom::Operator => operator,
        ClassFrom::Device => suggested
            .filter(|c| policy.classes.contains_key(*c))
            .or(operator),
    };
    (class, row.map_or(&[][..], |p| p.zones))
}

/// A statement of a bundle after the first phase of its checks.
enum Step<'p> {
    /// From the run's table.
    Shared(Checked),
    /// Checked here: what it cost, and the table to keep it in (if any).
    Fresh(Prepared<'p>, u64, Option<&'p StatementCache>),
}

/// A bundle's statements checked up to the last step of their signatures
/// (see [`check_bundle`]): what [`evaluate_checked`] finishes once the
/// points are compared with their `R`s.
pub(crate) struct BundleChecks<'p> {
    steps: Vec<(Sha256, usize, Step<'p>)>,
    ev: Evidence,
}

impl BundleChecks<'_> {
    /// The points to compare ([`SignaturePoint::match_all`]), in order:
    /// [`evaluate_checked`] takes one verdict for each.
    pub(crate) fn points(&self) -> impl Iterator<Item = SignaturePoint> + '_ {
        self.steps
            .iter()
            .filter_map(|(_, _, step)| match step {
                Step::Fresh(Prepared::Pending(p), ..) => Some(p.points()),
                _ => None,
            })
            .flatten()
    }
}

/// The first phase of [`evaluate`]: the bundle's shape (SPEC 4) and each
/// statement's checks up to the last step of its signatures, the budget
/// spent in bundle order as one check after another would spend it. The
/// points of one bundle's signatures, or of several bundles', are then
/// compared with their `R`s at once (one field inversion for all of them
/// instead of one per signature) and [`evaluate_checked`] does the rest.
pub(crate) fn check_bundle<'p>(
    policy: &'p Policy,
    bytes: &[u8],
    at: Timestamp,
    limits: &Limits,
    cache: Option<&'p StatementCache>,
) -> Result<BundleChecks<'p>, BundleError> {
    let parts = bundle::split(bytes, limits)?;
    let mut ev = Evidence::with_capacity(parts.len());
    let mut budget = Budget::new(limits.max_signature_checks);
    let mut steps = Vec::with_capacity(parts.len());
    for p in parts {
        let digest = Sha256::of(p);
        if !ev.present.insert(digest) {
            continue; // the same statement twice counts once
        }
        // A root is the one statement no other bundle carries: only
        // evidence is looked up in, and kept for, the run's table.
        let shared = cache.filter(|_| !steps.is_empty());
        if let (Some(cache), None) = (cache, shared) {
            cache.miss();
        }
        let step = match shared.and_then(|cache| cache.get(&digest, &mut budget)) {
            Some(c) => Step::Shared(c),
            None => {
                let before = budget.left();
                let prepared = prepare_statement(policy, p, digest, at, limits, &mut budget);
                Step::Fresh(prepared, before - budget.left(), shared)
            }
        };
        if budget.exhausted() {
            return Err(BundleError::WorkBudget {
                signature_checks: limits.max_signature_checks,
            });
        }
        steps.push((digest, p.len(), step));
    }
    Ok(BundleChecks { steps, ev })
}

/// The verification of SPEC 4-7; with `gate`, the root must be a firmware
/// release and the gate's checks of SPEC 9 are added.
pub(crate) fn evaluate(
    policy: &Policy,
    bytes: &[u8],
    at: Timestamp,
    limits: &Limits,
    gate: Option<&GateInput<'_>>,
    deployment: Option<&Deployment>,
    cache: Option<&StatementCache>,
) -> Result<Report, BundleError> {
    let checks = check_bundle(policy, bytes, at, limits, cache)?;
    let verdicts = SignaturePoint::match_all(&checks.points().collect::<Vec<_>>());
    evaluate_checked(policy, checks, &verdicts, at, limits, gate, deployment)
}

/// The second phase of [`evaluate`], after [`check_bundle`]: `verdicts`
/// holds [`SignaturePoint::matches`] of each of [`BundleChecks::points`],
/// in order.
pub(crate) fn evaluate_checked(
    policy: &Policy,
    checks: BundleChecks<'_>,
    verdicts: &[bool],
    at: Timestamp,
    limits: &Limits,
    gate: Option<&GateInput<'_>>,
    deployment: Option<&Deployment>,
) -> Result<Report, BundleError> {
    // SPEC 2, 3, 6: every statement on its own (always-deny rules).
    let BundleChecks { steps, mut ev } = checks;
    let mut entries = Vec::with_capacity(steps.len());
    let mut findings = Vec::new();
    let mut root: Option<(RootEntry, Option<Sha256>)> = None;
    let mut reports = Vec::new();
    let mut verdicts = verdicts;
    for (digest, len, step) in steps {
        let c = match step {
            Step::Shared(c) => c,
            Step::Fresh(prepared, cost, shared) => {
                let c = match prepared {
                    Prepared::Done(c) => c,
                    Prepared::Pending(p) => {
                        let mine = SignaturePoint::take_verdicts(&mut verdicts, p.points().count());
                        finish_statement(policy, p, mine, at, limits)
                    }
                };
                if let Some(cache) = shared {
                    cache.put(digest, len, &c, cost);
                }
                c
            }
        };
        if root.is_none() {
            root = Some((
                RootEntry {
                    digest,
                    type_name: c.entry.type_name,
                    issuer: c.entry.issuer.clone(),
                },
                c.verified.as_ref().map(|v| v.digest),
            ));
        }
        entries.push(c.entry);
        findings.extend(c.findings);
        if let Some(v) = c.verified {
            ev.add(v);
        }
        if let Some(r) = c.report {
            reports.push(r);
        }
        if let Some(p) = c.proof {
            ev.proofs.add(digest, p);
        }
    }
    if !reports.is_empty() {
        ev.safe = crate::decide::safe::SafeIndex::build(policy, at, reports);
    }
    // Outside evidence is never the root (SPEC 4).
    if let Some((root_entry, _)) = &root
        && let Some(what) = match root_entry.type_name {
            Some(crate::decide::safe::REPORT_TYPE) => Some("an OCP S.A.F.E. report"),
            Some(crate::decide::transparency::PROOF_TYPE) => Some("a tlog-proof"),
            _ => None,
        }
    {
        findings.push(deny(
            Rule::StatementMalformed,
            Some(root_entry.digest),
            "bundle root",
            format!("the root (first element) is {what}; outside evidence is never the root: put the device or firmware statement first"),
        ));
    }
    let mut uses = Vec::new();

    let mut class: Option<String> = None;
    let mut zones: Vec<String> = Vec::new();
    let mut unit = None;
    let mut policy_findings = Vec::new();
    let mut waiving = Vec::new();
    if let Some((root_entry, Some(root_digest))) = &root
        && let Some(root_v) = ev.verified.get(root_digest)
    {
        match (&root_v.statement.body, gate) {
            (Body::Device(dev), None) => {
                let p = &dev.product;
                let row = deployment.and_then(|d| d.placement(&p.vendor, &p.model, &p.serial));
                let (c, z) = device_scope(policy, row, dev.class.as_deref());
                let (f, sites) = device_rules(policy, &ev, root_v, dev, c, at, &mut findings, &mut uses);
                policy_findings = f;
                if let (Some(operator), Some(suggested)) =
                    (row.and_then(|r| r.class), dev.class.as_deref())
                    && operator != suggested
                {
                    policy_findings.push(class_mismatch(policy, root_v, dev, operator, suggested, c, at));
                }
                let plans = unit_plans(
                    policy,
                    &PlanUnit {
                        vendor: &p.vendor,
                        serial: &p.serial,
                        class: c,
                        installed: row.and_then(|r| r.installed),
                        statement: Some(root_v.digest),
                    },
                    at,
                );
                policy_findings.extend(plans.findings);
                findings.extend(plans.notices);
                waiving = plans.waiving;
                class = c.map(str::to_owned);
                zones = z.to_vec();
                unit = Some(crate::report::UnitFacts {
                    product: dev.product.clone(),
                    class: class.clone(),
                    sites,
                    plans: plans.matches,
                });
            }
            (Body::Firmware(fw), None) => {
                let (f, always) = firmware_rules(policy, &ev, root_v, fw, None, at, None, &mut uses);
                policy_findings = f;
                findings.extend(always);
            }
            (Body::Firmware(fw), Some(g)) => {
                // The operator's facts about the device, from its state file.
                class = g.state.class.clone();
                zones = g.state.zones.clone();
                let (f, always) = firmware_rules(
                    policy,
                    &ev,
                    root_v,
                    fw,
                    class.as_deref(),
                    at,
                    Some(Unit::from(&g.state.device)),
                    &mut uses,
                );
                policy_findings = f;
                findings.extend(always);
                policy_findings.extend(crate::decide::firmware::install_rules(policy, root_v, fw, g, at));
                // The operator's phase-out plans for the device (SPEC 6.5).
                let d = &g.state.device;
                let plans = unit_plans(
                    policy,
                    &PlanUnit {
                        vendor: &d.vendor,
                        serial: &d.serial,
                        class: class.as_deref(),
                        installed: g.state.installed_at,
                        statement: None,
                    },
                    at,
                );
                policy_findings.extend(plans.findings);
                findings.extend(plans.notices);
                waiving = plans.waiving;
            }
            (Body::Device(_), Some(_)) => findings.push(deny(
                Rule::StatementMalformed,
                Some(root_entry.digest),
                "bundle root",
                "gate needs a bundle whose root is a firmware release statement, not a device statement",
            )),
            (_, _) => findings.push(deny(
                Rule::StatementMalformed,
                Some(root_entry.digest),
                "bundle root",
                format!(
                    "the root (first statement) is a {} statement; it must be a device or firmware statement",
                    root_v.statement.type_name()
                ),
            )),
        }
    }
    findings.extend(apply_policy_levels(
        policy,
        policy_findings,
        class.as_deref(),
        &zones,
        &waiving,
        at,
    ));
    sort_findings(&mut findings, &entries);
    Ok(Report {
        format: REPORT_FORMAT,
        verdict: Verdict::of(&findings),
        at,
        policy: PolicyRef {
            name: policy.name.clone(),
            version: policy.version.clone(),
            sha256: policy.sha256.hex(),
        },
        root: root.map(|r| r.0),
        statements: entries,
        findings,
        evaluations: uses,
        unit,
    })
}

/// Orders findings by the bundle position of their statement, keeping the
/// order in which they were found within a statement.
fn sort_findings(findings: &mut [Finding], entries: &[StatementEntry]) {
    let pos: HashMap<Sha256, usize> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| (e.digest, i))
        .collect();
    findings.sort_by_key(|f| {
        f.statement
            .and_then(|d| pos.get(&d).copied())
            .unwrap_or(usize::MAX)
    });
}

/// `class.mismatch` (SPEC 6.3): the vendor suggests a class other than the
/// operator's.
fn class_mismatch(
    policy: &Policy,
    root: &Verified,
    dev: &DeviceBody,
    operator: &str,
    suggested: &str,
    used: Option<&str>,
    at: Timestamp,
) -> Finding {
    let mut r = Rules::new(
        policy,
        at,
        Some(Unit {
            vendor: dev.product.vendor.clone(),
            serial: dev.product.serial.clone(),
        }),
    );
    r.add(
        Rule::ClassMismatch,
        Some(root),
        None,
        format!("device {} {} serial {}", dev.product.vendor, dev.product.model, dev.product.serial),
        format!(
            "the vendor's statement suggests class '{suggested}', the operator deploys the unit as '{operator}'; the rules of {} apply",
            used.map_or("no class".to_owned(), |c| format!("class '{c}'"))
        ),
    );
    r.into_findings().remove(0)
}

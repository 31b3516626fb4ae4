//! Phase-out plans applied to one unit (SPEC 6.5): which plans cover it,
//! the `phaseout.*` findings, and the plans under which its vendor findings
//! are waived (a legacy unit before the deadline).

use crate::policy::rules::Rule;
use crate::policy::{PHASEOUT_NOTICE_SECS, Phaseout, PlanStatus, Policy};
use crate::report::{Context, Finding, Severity};
use crate::wire::digest::Sha256;
use crate::wire::time::Timestamp;

/// The unit a plan is applied to.
pub(crate) struct PlanUnit<'a> {
    /// Vendor entity and serial.
    pub(crate) vendor: &'a str,
    pub(crate) serial: &'a str,
    /// The class whose rules apply.
    pub(crate) class: Option<&'a str>,
    /// When it entered service (deployment `installed`, state `installed_at`).
    pub(crate) installed: Option<Timestamp>,
    /// The statement the findings concern (the device statement).
    pub(crate) statement: Option<Sha256>,
}

/// What the plans say about one unit.
pub(crate) struct UnitPlans<'p> {
    /// Each covering plan (its index) and the unit's status under it.
    pub(crate) matches: Vec<(usize, PlanStatus)>,
    /// Plans under which the unit is legacy and the deadline is ahead: its
    /// vendor findings are waived.
    pub(crate) waiving: Vec<&'p Phaseout>,
    /// `phaseout.new-unit` and `phaseout.overdue`, before levels.
    pub(crate) findings: Vec<Finding>,
    /// `phaseout.expiring` (info, not configurable).
    pub(crate) notices: Vec<Finding>,
}

/// Applies the policy's plans to a unit at `at`.
pub(crate) fn unit_plans<'p>(policy: &'p Policy, u: &PlanUnit<'_>, at: Timestamp) -> UnitPlans<'p> {
    let matches = policy.phaseouts_of(u.vendor, u.class, u.installed, at);
    let mut out = UnitPlans {
        matches: Vec::with_capacity(matches.len()),
        waiving: Vec::new(),
        findings: Vec::new(),
        notices: Vec::new(),
    };
    for (i, status) in matches {
        out.matches.push((i, status));
        let Some(p) = policy.phaseouts.get(i) else {
            continue;
        };
        let finding = |rule: Rule, severity: Severity, message: String| Finding {
            rule,
            severity,
            statement: u.statement,
            subject: format!("phase-out plan '{}'", p.id),
            message,
            entity: Some(u.vendor.to_owned()),
            context: Context {
                part: None,
                vendor: Some(u.vendor.to_owned()),
                serial: Some(u.serial.to_owned()),
                role: Some("device"),
            },
        };
        let installed = u.installed.map_or(
            "no installed date in the operator's deployment facts".to_owned(),
            |t| format!("installed {}", t.date()),
        );
        match status {
            PlanStatus::New => out.findings.push(finding(
                Rule::PhaseoutNewUnit,
                Severity::Deny,
                format!(
                    "the unit ({installed}) is from {}, which plan '{}' phases out: only units installed before {} may stay, until {} ({})",
                    u.vendor,
                    p.id,
                    p.installed_before.date(),
                    p.deadline.date(),
                    p.reason
                ),
            )),
            PlanStatus::Legacy if at >= p.deadline => out.findings.push(finding(
                Rule::PhaseoutOverdue,
                Severity::Deny,
                format!(
                    "legacy unit ({installed}) still in service {} days after the deadline {} of plan '{}' ({}); its vendor findings stand",
                    (at.0 - p.deadline.0) / 86_400,
                    p.deadline.date(),
                    p.id,
                    p.reason
                ),
            )),
            PlanStatus::Legacy => {
                out.waiving.push(p);
                if p.deadline.0 - at.0 <= PHASEOUT_NOTICE_SECS {
                    out.notices.push(finding(
                        Rule::PhaseoutExpiring,
                        Severity::Info,
                        format!(
                            "legacy unit ({installed}) must be removed by {} ({} days left) under plan '{}'; its vendor findings are waived until then",
                            p.deadline.date(),
                            (p.deadline.0 - at.0).div_ceil(86_400),
                            p.id
                        ),
                    ));
                }
            }
        }
    }
    out
}

/// The legacy plan that waives `f`, if any: a finding about the vendor
/// (roles `device` and `firmware`; `jurisdiction.*`, `entity.designated`,
/// `entity.unapproved`) whose entity is the plan's entity or one of its
/// descendants.
pub(crate) fn waived_by<'p>(
    policy: &Policy,
    waiving: &[&'p Phaseout],
    f: &Finding,
    at: Timestamp,
) -> Option<&'p Phaseout> {
    if waiving.is_empty()
        || !matches!(
            f.rule,
            Rule::JurisdictionSite
                | Rule::JurisdictionControl
                | Rule::EntityDesignated
                | Rule::EntityUnapproved
        )
        || !matches!(f.context.role, Some("device" | "firmware"))
    {
        return None;
    }
    let entity = f.entity.as_deref()?;
    let chain = policy.chain_at(entity, at);
    waiving
        .iter()
        .find(|p| chain.iter().any(|e| e.id == p.entity))
        .copied()
}

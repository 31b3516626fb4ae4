//! The shipment summary `vet` prints (SPEC section 9): unit counts, rule
//! counts, fleet findings, vendor-group shares and caps per class, phase-out
//! progress, stage sites, and the failing units, bounded whatever the
//! shipment's size.

use crate::policy::Caps;
use crate::report::{Finding, PolicyRef, Verdict};
use crate::wire::time::Timestamp;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// Failing units kept with their findings for the report (the rest are counted).
pub const MAX_LISTED_FAILURES: usize = 1000;
/// Reasons kept per failing unit (the rest are counted): a hostile unit can
/// have tens of thousands of findings.
pub const MAX_LISTED_REASONS: usize = 20;

/// A failing unit kept for the report.
#[derive(Debug, Clone, Serialize)]
pub struct FailingUnit {
    /// Bundle file.
    pub unit: String,
    /// Serial, if known.
    pub serial: Option<String>,
    /// `fail` or `error`.
    pub verdict: &'static str,
    /// `rule: subject` of each distinct deny finding (the first
    /// [`MAX_LISTED_REASONS`]), or the error.
    pub reasons: Vec<String>,
    /// Distinct deny findings beyond those listed.
    pub reasons_not_listed: usize,
}

/// One class of a shipment or inventory (SPEC 6.4, 9): who supplies it,
/// how much of it is high-risk, and the caps in force.
#[derive(Debug, Clone, Serialize)]
pub struct ClassSummary {
    /// Verified units of the class (whatever their verdict).
    pub units: u64,
    /// Share of each vendor group (0..1), by the top of the vendor's
    /// ownership chain in force.
    pub vendors: BTreeMap<String, f64>,
    /// Units of each vendor group.
    pub vendor_units: BTreeMap<String, u64>,
    /// Vendor groups supplying the class.
    pub vendor_groups: u64,
    /// Herfindahl-Hirschman index of the vendor-group shares (0..10,000).
    pub hhi: f64,
    /// The units judged high-risk.
    pub high_risk: HighRiskSummary,
    /// The caps in force at the evaluation time.
    pub caps: CapsSummary,
}

/// The high-risk units of a class.
#[derive(Debug, Clone, Serialize)]
pub struct HighRiskSummary {
    /// `vendor` or `any-stage` (the policy's `high_risk_basis`).
    pub basis: &'static str,
    /// Units judged high-risk on that basis.
    pub units: u64,
    /// Their share of the class (0..1).
    pub share: f64,
}

/// The caps in force for a class, and what changes next.
#[derive(Debug, Clone, Serialize)]
pub struct CapsSummary {
    /// The caps.
    #[serde(flatten)]
    pub caps: Caps,
    /// The `from` of the step in force (RFC 3339), if a step is.
    pub since: Option<String>,
    /// The next step: its date (RFC 3339) and the caps from then on.
    pub next_step: Option<NextStep>,
}

/// A dated change of caps ahead.
#[derive(Debug, Clone, Serialize)]
pub struct NextStep {
    /// When (RFC 3339).
    pub from: String,
    /// The caps from then on.
    #[serde(flatten)]
    pub caps: Caps,
}

/// A phase-out plan's progress (SPEC 6.5).
#[derive(Debug, Clone, Serialize)]
pub struct PhaseoutSummary {
    /// The plan id.
    pub id: String,
    /// The entity it phases out (with its descendants).
    pub entity: String,
    /// Units installed before this (RFC 3339) are legacy.
    pub installed_before: String,
    /// The deadline (RFC 3339).
    pub deadline: String,
    /// Days from the evaluation time to the deadline (rounded up; zero or
    /// negative once it has passed).
    pub days_left: i64,
    /// Per class the plan covers that has such units: legacy units
    /// remaining and new units.
    pub classes: BTreeMap<String, PlanCounts>,
}

/// Units of one class under one plan.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PlanCounts {
    /// Legacy units still in the inventory.
    pub legacy: u64,
    /// Units installed on or after the cut-off, or with no date.
    pub new: u64,
}

/// The shipment summary.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// `hwprov-vet/1`.
    pub format: &'static str,
    /// Overall verdict: `fail` if any unit failed or errored or a fleet finding denies.
    pub verdict: Verdict,
    /// Evaluation time.
    #[serde(serialize_with = "ser_display")]
    pub at: Timestamp,
    /// Policy.
    pub policy: PolicyRef,
    /// Units seen.
    pub units: u64,
    /// Units by verdict: pass, warn, fail, error.
    pub counts: BTreeMap<&'static str, u64>,
    /// Findings by `rule/severity`, over all units and the fleet checks.
    pub rules: BTreeMap<String, u64>,
    /// Fleet findings.
    pub fleet_findings: Vec<Finding>,
    /// Share of verified device units judged high-risk, each on its
    /// class's `high_risk_basis`.
    pub high_risk_share: f64,
    /// Per class (`(unclassified)` for units without one): vendor-group
    /// shares, HHI, the high-risk share and the caps in force.
    pub classes: BTreeMap<String, ClassSummary>,
    /// Per phase-out plan: its progress.
    pub phaseouts: Vec<PhaseoutSummary>,
    /// Per stage: share of each site country among the units' stage sites.
    pub stages: BTreeMap<&'static str, BTreeMap<String, f64>>,
    /// Failing units (at most [`MAX_LISTED_FAILURES`]).
    pub failing: Vec<FailingUnit>,
    /// Failing units beyond the list.
    pub failing_not_listed: u64,
    /// Entries under the given directories that vet did not take (hidden,
    /// or not `*.cbor`/`*.cose`): how many, and the first
    /// [`MAX_LISTED_SKIPPED`] of them.
    pub skipped: Skipped,
}

/// Most passed-over files listed by name in a summary.
pub const MAX_LISTED_SKIPPED: usize = 20;

/// What vet passed over, for the summary.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Skipped {
    /// How many entries.
    pub count: u64,
    /// The first of them.
    pub files: Vec<String>,
}

impl Skipped {
    /// The summary's record of `paths`.
    pub fn of(paths: &[PathBuf]) -> Skipped {
        Skipped {
            count: paths.len() as u64,
            files: paths
                .iter()
                .take(MAX_LISTED_SKIPPED)
                .map(|p| p.display().to_string())
                .collect(),
        }
    }
}

fn ser_display<T: fmt::Display, S: serde::Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// Vendor groups named per class in text output (the rest are counted).
pub const MAX_LISTED_GROUPS: usize = 12;

impl ClassSummary {
    /// Lines for people (indented two spaces, text escaped): the vendor
    /// groups by size, the high-risk share and the caps in force, each
    /// share marked where it is over its cap.
    pub fn to_text(&self, name: &str) -> String {
        use crate::text::Escaped;
        use std::fmt::Write as _;
        let mut o = String::new();
        let caps = &self.caps.caps;
        let _ = writeln!(
            o,
            "  class {}: {} units from {} vendor group(s), HHI {:.0}{}",
            Escaped(name),
            self.units,
            self.vendor_groups,
            self.hhi,
            match caps.min_vendors {
                Some(m) if self.vendor_groups < m => format!("  [fewer than min_vendors {m}]"),
                _ => String::new(),
            }
        );
        let mut groups: Vec<(&String, &u64)> = self.vendor_units.iter().collect();
        groups.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let listed: Vec<String> = groups
            .iter()
            .take(MAX_LISTED_GROUPS)
            .map(|(g, n)| {
                let s = self.vendors.get(*g).copied().unwrap_or(0.0);
                let over = caps.max_vendor_share.is_some_and(|c| s > c);
                format!(
                    "{} {n} ({}){}",
                    Escaped(g),
                    crate::text::percent(s),
                    if over { " [over cap]" } else { "" }
                )
            })
            .collect();
        let more = groups.len().saturating_sub(MAX_LISTED_GROUPS);
        let _ = writeln!(
            o,
            "    vendor groups: {}{}",
            listed.join(", "),
            if more > 0 {
                format!(", and {more} more")
            } else {
                String::new()
            }
        );
        let over = caps
            .max_high_risk_share
            .is_some_and(|c| self.high_risk.share > c);
        let _ = writeln!(
            o,
            "    high-risk ({} basis): {} units, {}{}",
            self.high_risk.basis,
            self.high_risk.units,
            crate::text::percent(self.high_risk.share),
            if over { " [over cap]" } else { "" }
        );
        let _ = writeln!(
            o,
            "    caps in force: {}{}{}",
            caps.describe(),
            self.caps
                .since
                .as_ref()
                .map_or(String::new(), |s| format!(" (step from {s})")),
            self.caps
                .next_step
                .as_ref()
                .map_or(String::new(), |n| format!(
                    "; next step {}: {}",
                    n.from,
                    n.caps.describe()
                ))
        );
        o
    }
}

impl PhaseoutSummary {
    /// Lines for people (indented two spaces, text escaped).
    pub fn to_text(&self) -> String {
        use crate::text::Escaped;
        use std::fmt::Write as _;
        let mut o = String::new();
        let when = if self.days_left > 0 {
            format!("{} days left", self.days_left)
        } else {
            format!("passed {} days ago", -self.days_left)
        };
        let _ = writeln!(
            o,
            "  phase-out {} ({} and its subsidiaries, installed before {}): deadline {}, {when}",
            Escaped(&self.id),
            Escaped(&self.entity),
            self.installed_before,
            self.deadline
        );
        if self.classes.is_empty() {
            let _ = writeln!(o, "    no units of the plan in this inventory");
        }
        for (class, n) in &self.classes {
            let _ = writeln!(
                o,
                "    {}: {} legacy unit(s) remaining{}, {} new unit(s)",
                Escaped(class),
                n.legacy,
                if self.days_left <= 0 && n.legacy > 0 {
                    " (overdue)"
                } else {
                    ""
                },
                n.new
            );
        }
        o
    }
}

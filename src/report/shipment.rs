//! The shipment summary `vet` prints (SPEC section 9): unit counts, rule
//! counts, fleet findings, vendor shares per class, stage sites, and the
//! failing units, bounded whatever the shipment's size.

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

/// Vendor shares of one class.
#[derive(Debug, Clone, Serialize)]
pub struct ClassSummary {
    /// Units of the class.
    pub units: u64,
    /// Share of each vendor (0..1).
    pub vendors: BTreeMap<String, f64>,
    /// Herfindahl-Hirschman index of the vendor shares (0..10,000).
    pub hhi: f64,
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
    /// Share of verified device units with a high-risk jurisdiction finding (any severity).
    pub high_risk_share: f64,
    /// Per class: vendor shares and HHI.
    pub classes: BTreeMap<String, ClassSummary>,
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

//! `hwprov log report`: the regulator's view of the logged inventory
//! decisions in a window (SPEC 6.4, 6.5, 9, 10). The log is verified first;
//! each `vet` shipment decision whose evaluation time is in the window is
//! rebuilt from its stored units, policy and deployment file, exactly as
//! `replay` does, and must reproduce its recorded verdict and fleet
//! findings. The report is made from those rebuilt summaries only, so a
//! copy of the log gives the same bytes, and a figure in the report is one
//! the logged decision was made on.
//!
//! Memory holds one inventory's decision at a time (its units are verified
//! one by one) plus a bounded summary per inventory in the window.

use crate::audit::log::{Log, LogError};
use crate::audit::replay::{PolicyCache, recorded_policy, shipment_summary};
use crate::limits::Limits;
use crate::policy::{Policy, WAIVER_NOTICE_SECS};
use crate::report::entry::{Command, Entry, Input};
use crate::report::regulator::{
    Inventory, LogState, Progress, ProgressPoint, REGULATOR_FORMAT, RegulatorReport, WaiverInForce,
};
use crate::wire::time::Timestamp;
use std::collections::BTreeMap;

/// The evaluation times a report covers (inclusive at both ends).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    /// Earliest evaluation time.
    pub from: Option<Timestamp>,
    /// Latest evaluation time.
    pub to: Option<Timestamp>,
}

impl Window {
    fn contains(&self, t: Timestamp) -> bool {
        self.from.is_none_or(|f| f <= t) && self.to.is_none_or(|u| t <= u)
    }
}

/// Why no report could be made.
#[derive(Debug)]
#[non_exhaustive]
pub enum ReportError {
    /// The log could not be read (exit 2).
    Log(LogError),
    /// `from` is after `to` (exit 2).
    Reversed {
        /// Window start.
        from: Timestamp,
        /// Window end.
        to: Timestamp,
    },
    /// The log does not verify (exit 1): a report from it would prove nothing.
    Unsound {
        /// Its problems.
        problems: Vec<String>,
    },
    /// A logged decision does not reproduce from its stored inputs (exit 1).
    Different {
        /// The entry.
        index: u64,
        /// Why.
        why: String,
    },
}

impl std::fmt::Display for ReportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReportError::Log(e) => write!(f, "{e}"),
            ReportError::Reversed { from, to } => write!(f, "--from {from} is after --to {to}"),
            ReportError::Unsound { problems } => write!(
                f,
                "the log does not verify, so no report is made from it ({}); run hwprov log verify",
                problems.join("; ")
            ),
            ReportError::Different { index, why } => write!(
                f,
                "entry {index} does not reproduce from its stored inputs ({why}); run hwprov replay for details"
            ),
        }
    }
}

impl std::error::Error for ReportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReportError::Log(e) => Some(e),
            _ => None,
        }
    }
}

impl From<LogError> for ReportError {
    fn from(e: LogError) -> Self {
        ReportError::Log(e)
    }
}

/// The policy's waivers in force at `at`, in file order.
fn waivers_in_force(policy: &Policy, at: Timestamp) -> Vec<WaiverInForce> {
    policy
        .waivers
        .iter()
        .filter(|w| w.expires > at)
        .map(|w| {
            let mut m = Vec::new();
            for (k, v) in [
                ("entity", &w.entity),
                ("part", &w.part),
                ("vendor", &w.vendor),
                ("serial", &w.serial),
            ] {
                if let Some(v) = v {
                    m.push(format!("{k}={v}"));
                }
            }
            if let Some(s) = w.statement {
                m.push(format!("statement={s}"));
            }
            let left = w.expires.0 - at.0;
            WaiverInForce {
                rule: w.rule.as_str().to_owned(),
                matches: m.join(" "),
                expires: w.expires.to_string(),
                days_left: left.div_ceil(86_400) as i64,
                expiring: left <= WAIVER_NOTICE_SECS,
                reason: w.reason.clone(),
            }
        })
        .collect()
}

/// Builds the report of the vet decisions whose evaluation time is in
/// `window`; `on_entry` is told of each decision as it is rebuilt.
pub fn build(
    log: &Log,
    window: Window,
    limits: &Limits,
    mut on_entry: impl FnMut(u64, &Entry),
) -> Result<RegulatorReport, ReportError> {
    if let (Some(from), Some(to)) = (window.from, window.to)
        && from > to
    {
        return Err(ReportError::Reversed { from, to });
    }
    let (n, problems) = log.verify()?;
    if !problems.is_empty() {
        return Err(ReportError::Unsound { problems });
    }
    let root = log.root(n)?;
    let mut inventories = Vec::new();
    let mut policies = PolicyCache::new();
    for i in 0..n {
        // An entry that does not decode cannot be a decision to report;
        // `replay` names it.
        let Ok(e) = Entry::decode(&log.entry_bytes(i)?) else {
            continue;
        };
        if e.command != Command::Vet || e.input(&Input::Units).is_none() || !window.contains(e.at) {
            continue;
        }
        on_entry(i, &e);
        // One parsed policy and deployment file at a time: an inventory's
        // deployment file can be large, and each inventory has its own.
        if policies.len() > 1 {
            policies.clear();
        }
        let s = shipment_summary(log, &e, limits, &mut policies)
            .map_err(|why| ReportError::Different { index: i, why })?;
        let waivers = recorded_policy(log, &e, &mut policies)
            .map(|p| waivers_in_force(p, e.at))
            .map_err(|why| ReportError::Different { index: i, why })?;
        let waived_findings = s
            .rules
            .iter()
            .filter_map(|(k, v)| k.strip_suffix("/waived").map(|r| (r.to_owned(), *v)))
            .collect();
        inventories.push(Inventory {
            entry: i,
            at: e.at.to_string(),
            policy: s.policy,
            verdict: s.verdict,
            units: s.units,
            counts: s.counts,
            classes: s.classes,
            phaseouts: s.phaseouts,
            fleet_findings: s.fleet_findings,
            waived_findings,
            waivers,
        });
    }
    Ok(RegulatorReport {
        format: REGULATOR_FORMAT,
        log: LogState {
            origin: log.origin().to_owned(),
            size: n,
            root_hash: {
                use base64::Engine as _;
                base64::engine::general_purpose::STANDARD.encode(root)
            },
        },
        from: window.from.map(|t| t.to_string()),
        to: window.to.map(|t| t.to_string()),
        progress: progress(&inventories),
        inventories,
    })
}

/// Per plan and class, the legacy units of each inventory that has them.
fn progress(inventories: &[Inventory]) -> Vec<Progress> {
    let mut by: BTreeMap<(String, String), Progress> = BTreeMap::new();
    for inv in inventories {
        for p in &inv.phaseouts {
            for (class, n) in &p.classes {
                let e = by
                    .entry((p.id.clone(), class.clone()))
                    .or_insert_with(|| Progress {
                        plan: p.id.clone(),
                        class: class.clone(),
                        deadline: p.deadline.clone(),
                        removed: 0,
                        points: Vec::new(),
                    });
                e.deadline = p.deadline.clone();
                e.points.push(ProgressPoint {
                    entry: inv.entry,
                    at: inv.at.clone(),
                    legacy: n.legacy,
                    new: n.new,
                });
            }
        }
    }
    by.into_values()
        .map(|mut p| {
            if let (Some(first), Some(last)) = (p.points.first(), p.points.last()) {
                p.removed = first.legacy as i64 - last.legacy as i64;
            }
            p
        })
        .collect()
}

//! Fleet caps (SPEC 6.4) and phase-out plans (SPEC 6.5): the numbers in
//! force per class on a date, and the plans that waive a legacy unit's
//! vendor findings until a removal deadline.
//!
//! A fleet table (`[fleet]` for every class, `[classes.C.fleet]` for one)
//! holds caps and dated `steps`. In one table, the step in force at a time
//! is the latest whose `from` is at or before it; the caps it names replace
//! the table's own, the others stay the table's. A class's table then
//! overrides `[fleet]` cap by cap, so a cap a class does not set is the
//! default's (with the default's steps).

use super::ctx::Ctx;
use super::{Policy, PolicyError};
use crate::wire::time::Timestamp;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use toml::Spanned;
use toml::value::Datetime;

/// How the high-risk share counts a unit (`high_risk_basis`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum HighRiskBasis {
    /// The vendor's control countries include a high-risk one, or the
    /// vendor or an owner has a live designation on a deny list in scope
    /// of the unit's class and role `device` (the default).
    #[default]
    Vendor,
    /// Any `jurisdiction.site` or `jurisdiction.control` finding on the
    /// unit, whatever stage it concerns (version 1's meaning).
    AnyStage,
}

impl HighRiskBasis {
    /// The name as written in a policy.
    pub fn as_str(self) -> &'static str {
        match self {
            HighRiskBasis::Vendor => "vendor",
            HighRiskBasis::AnyStage => "any-stage",
        }
    }
}

/// Caps of one table or step; `None` is "not set here" (in a summary:
/// no cap).
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Caps {
    /// Largest share of a class one vendor group may hold.
    pub max_vendor_share: Option<f64>,
    /// Fewest vendor groups a class must have.
    pub min_vendors: Option<u64>,
    /// Largest share of a class's units judged high-risk.
    pub max_high_risk_share: Option<f64>,
}

impl Caps {
    /// Each cap of `over` that is set, else this one's.
    fn overlaid(self, over: Caps) -> Caps {
        Caps {
            max_vendor_share: over.max_vendor_share.or(self.max_vendor_share),
            min_vendors: over.min_vendors.or(self.min_vendors),
            max_high_risk_share: over.max_high_risk_share.or(self.max_high_risk_share),
        }
    }

    fn is_empty(&self) -> bool {
        self.max_vendor_share.is_none()
            && self.min_vendors.is_none()
            && self.max_high_risk_share.is_none()
    }
}

/// Caps that take effect on a date.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    /// In force from this time on (until a later step's).
    pub from: Timestamp,
    /// The caps it sets.
    pub caps: Caps,
}

/// A `[fleet]` or `[classes.C.fleet]` table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FleetTable {
    /// The caps set in the table itself.
    pub caps: Caps,
    /// `high_risk_basis`, if set here.
    pub basis: Option<HighRiskBasis>,
    /// Dated steps, ordered by `from` (no two share one).
    pub steps: Vec<Step>,
}

impl FleetTable {
    /// The table's caps at `at`, and the `from` of the step in force.
    fn at(&self, at: Timestamp) -> (Caps, Option<Timestamp>) {
        match self.steps.iter().rev().find(|s| s.from <= at) {
            Some(s) => (self.caps.overlaid(s.caps), Some(s.from)),
            None => (self.caps, None),
        }
    }
}

/// The caps in force for one class at one time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InForce {
    /// The caps.
    pub caps: Caps,
    /// How the high-risk share counts units.
    pub basis: HighRiskBasis,
    /// The `from` of the latest step in force (of the class's table or
    /// `[fleet]`), if a step is.
    pub since: Option<Timestamp>,
    /// The next date on which a step changes the caps in force, and the
    /// caps from then on.
    pub next: Option<(Timestamp, Caps)>,
}

/// A phase-out plan (`[[phaseouts]]`, SPEC 6.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phaseout {
    /// Its id.
    pub id: String,
    /// The entity whose units (its own and its descendants') it phases out.
    pub entity: String,
    /// The classes it covers (`None`: every unit, classified or not).
    pub classes: Option<BTreeSet<String>>,
    /// Units that entered service before this are legacy.
    pub installed_before: Timestamp,
    /// Legacy units must be gone by this time.
    pub deadline: Timestamp,
    /// Why.
    pub reason: String,
    /// Line in the policy file, for messages.
    pub line: usize,
}

/// From this long before a plan's deadline, a legacy unit gets
/// `phaseout.expiring`.
pub const PHASEOUT_NOTICE_SECS: u64 = 90 * 86_400;

/// What a plan says about one unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PlanStatus {
    /// Entered service before `installed_before`.
    Legacy,
    /// Entered service later, or no date is known.
    New,
}

impl Policy {
    /// The fleet caps in force for `class` (`None`: unclassified units, to
    /// which `[fleet]` applies) at `at` (SPEC 6.4).
    pub fn fleet_at(&self, class: Option<&str>, at: Timestamp) -> InForce {
        let own = class
            .and_then(|c| self.classes.get(c))
            .and_then(|c| c.fleet.as_ref());
        let resolve = |t: Timestamp| {
            let (base, base_since) = self.fleet.at(t);
            match own {
                Some(o) => {
                    let (mine, since) = o.at(t);
                    (base.overlaid(mine), since.max(base_since))
                }
                None => (base, base_since),
            }
        };
        let (caps, since) = resolve(at);
        // The next date on which the caps change (a step that sets what is
        // already in force is no change worth announcing).
        let mut dates: Vec<Timestamp> = self
            .fleet
            .steps
            .iter()
            .chain(own.map_or(&[][..], |o| o.steps.as_slice()))
            .map(|s| s.from)
            .filter(|f| *f > at)
            .collect();
        dates.sort();
        let next = dates
            .into_iter()
            .map(|from| (from, resolve(from).0))
            .find(|(_, c)| *c != caps);
        InForce {
            caps,
            basis: own
                .and_then(|o| o.basis)
                .or(self.fleet.basis)
                .unwrap_or_default(),
            since,
            next,
        }
    }

    /// The plans covering a unit of `vendor` deployed in `class`, and what
    /// each says about it given when it entered service (SPEC 6.5).
    pub fn phaseouts_of(
        &self,
        vendor: &str,
        class: Option<&str>,
        installed: Option<Timestamp>,
        at: Timestamp,
    ) -> Vec<(usize, PlanStatus)> {
        if self.phaseouts.is_empty() {
            return Vec::new();
        }
        // The plans naming the vendor or one of its owners in force, in
        // file order: the work is the chain's length and the plans found.
        let mut found: Vec<usize> = self
            .chain_at(vendor, at)
            .iter()
            .filter_map(|e| self.phaseouts_by_entity.get(&e.id))
            .flatten()
            .copied()
            .collect();
        found.sort_unstable();
        found
            .into_iter()
            .filter_map(|i| self.phaseouts.get(i).map(|p| (i, p)))
            .filter(|(_, p)| match (&p.classes, class) {
                (None, _) => true,
                (Some(set), Some(c)) => set.contains(c),
                (Some(_), None) => false,
            })
            .map(|(i, p)| {
                let legacy = installed.is_some_and(|t| t < p.installed_before);
                (
                    i,
                    if legacy {
                        PlanStatus::Legacy
                    } else {
                        PlanStatus::New
                    },
                )
            })
            .collect()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFleet {
    #[serde(default)]
    max_vendor_share: Option<Spanned<f64>>,
    #[serde(default)]
    min_vendors: Option<Spanned<i64>>,
    #[serde(default)]
    max_high_risk_share: Option<Spanned<f64>>,
    #[serde(default)]
    high_risk_basis: Option<Spanned<String>>,
    #[serde(default)]
    steps: Vec<Spanned<RawStep>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStep {
    from: Spanned<Datetime>,
    #[serde(default)]
    max_vendor_share: Option<Spanned<f64>>,
    #[serde(default)]
    min_vendors: Option<Spanned<i64>>,
    #[serde(default)]
    max_high_risk_share: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPhaseout {
    id: Spanned<String>,
    entity: Spanned<String>,
    #[serde(default)]
    classes: Option<Vec<Spanned<String>>>,
    installed_before: Spanned<Datetime>,
    deadline: Spanned<Datetime>,
    #[serde(default)]
    reason: Option<String>,
}

fn caps(
    cx: &Ctx<'_>,
    vendor: Option<Spanned<f64>>,
    min: Option<Spanned<i64>>,
    high_risk: Option<Spanned<f64>>,
) -> Result<Caps, PolicyError> {
    let share = |s: Option<Spanned<f64>>| match s {
        Some(v) if !(0.0..=1.0).contains(v.get_ref()) => Err(cx.err(
            v.span(),
            "a share must be between 0.0 and 1.0 (0.35 is 35%)",
        )),
        Some(v) => Ok(Some(v.into_inner())),
        None => Ok(None),
    };
    let min_vendors = match min {
        Some(n) if *n.get_ref() < 1 => {
            return Err(cx.err(n.span(), "min_vendors must be at least 1"));
        }
        Some(n) => Some(*n.get_ref() as u64),
        None => None,
    };
    Ok(Caps {
        max_vendor_share: share(vendor)?,
        min_vendors,
        max_high_risk_share: share(high_risk)?,
    })
}

/// A fleet table, checked; `name` is its header for messages.
pub(super) fn parse_fleet(
    cx: &Ctx<'_>,
    raw: RawFleet,
    name: &str,
) -> Result<FleetTable, PolicyError> {
    let basis = match &raw.high_risk_basis {
        None => None,
        Some(b) => Some(match b.get_ref().as_str() {
            "vendor" => HighRiskBasis::Vendor,
            "any-stage" => HighRiskBasis::AnyStage,
            other => {
                return Err(cx.err(
                    b.span(),
                    format!("high_risk_basis must be \"vendor\" or \"any-stage\", not '{other}'"),
                ));
            }
        }),
    };
    let mut steps = Vec::with_capacity(raw.steps.len());
    let mut seen = BTreeMap::new();
    for s in raw.steps {
        let span = s.span();
        let s = s.into_inner();
        let from = cx.time(&s.from)?;
        if seen.insert(from, ()).is_some() {
            return Err(cx.err(
                s.from.span(),
                format!("two steps of {name} start at {from}; merge them into one"),
            ));
        }
        let c = caps(cx, s.max_vendor_share, s.min_vendors, s.max_high_risk_share)?;
        if c.is_empty() {
            return Err(cx.err(
                span,
                format!(
                    "a step of {name} sets no cap: give max_vendor_share, min_vendors or max_high_risk_share"
                ),
            ));
        }
        steps.push(Step { from, caps: c });
    }
    steps.sort_by_key(|s| s.from);
    Ok(FleetTable {
        caps: caps(
            cx,
            raw.max_vendor_share,
            raw.min_vendors,
            raw.max_high_risk_share,
        )?,
        basis,
        steps,
    })
}

/// The `[[phaseouts]]`, checked against the entities and classes.
pub(super) fn parse_phaseouts(
    cx: &Ctx<'_>,
    raw: Vec<Spanned<RawPhaseout>>,
    entities: &BTreeMap<String, super::Entity>,
    classes: &BTreeMap<String, super::Class>,
) -> Result<Vec<Phaseout>, PolicyError> {
    let mut out: Vec<Phaseout> = Vec::with_capacity(raw.len());
    let mut ids = BTreeSet::new();
    for p in raw {
        let span = p.span();
        let (line, _) = cx.line_col(span.start);
        let p = p.into_inner();
        let id = p.id.get_ref();
        if id.trim().is_empty() {
            return Err(cx.err(p.id.span(), "a phase-out plan needs a non-empty id"));
        }
        if !ids.insert(id.clone()) {
            return Err(cx.err(
                p.id.span(),
                format!("phase-out plan '{id}' is declared twice"),
            ));
        }
        if !entities.contains_key(p.entity.get_ref()) {
            return Err(cx.err(
                p.entity.span(),
                format!(
                    "phase-out plan '{id}' names entity '{}', which is not declared",
                    p.entity.get_ref()
                ),
            ));
        }
        let scope = match p.classes {
            None => None,
            Some(list) => {
                let mut set = BTreeSet::new();
                for c in list {
                    if !classes.contains_key(c.get_ref()) {
                        return Err(cx.err(
                            c.span(),
                            format!(
                                "phase-out plan '{id}' names class '{}', which the policy does not declare (declare it with a [classes.{}] table)",
                                c.get_ref(),
                                c.get_ref()
                            ),
                        ));
                    }
                    set.insert(c.into_inner());
                }
                if set.is_empty() {
                    return Err(cx.err(
                        span,
                        format!("phase-out plan '{id}' has an empty classes list: leave it out to cover every class"),
                    ));
                }
                Some(set)
            }
        };
        let installed_before = cx.time(&p.installed_before)?;
        let deadline = cx.time(&p.deadline)?;
        if installed_before > deadline {
            return Err(cx.err(
                p.installed_before.span(),
                format!("phase-out plan '{id}': installed_before is after the deadline"),
            ));
        }
        let reason = match p.reason {
            Some(r) if !r.trim().is_empty() => r,
            _ => {
                return Err(cx.err(
                    span,
                    format!("phase-out plan '{id}' needs a non-empty reason"),
                ));
            }
        };
        out.push(Phaseout {
            id: id.clone(),
            entity: p.entity.into_inner(),
            classes: scope,
            installed_before,
            deadline,
            reason,
            line,
        });
    }
    Ok(out)
}

impl Caps {
    /// `max_vendor_share 50.0%, min_vendors 2, max_high_risk_share 35.0%`
    /// (the caps set; `no caps` if none).
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(v) = self.max_vendor_share {
            parts.push(format!("max_vendor_share {}", crate::text::percent(v)));
        }
        if let Some(v) = self.min_vendors {
            parts.push(format!("min_vendors {v}"));
        }
        if let Some(v) = self.max_high_risk_share {
            parts.push(format!("max_high_risk_share {}", crate::text::percent(v)));
        }
        if parts.is_empty() {
            "no caps".into()
        } else {
            parts.join(", ")
        }
    }
}

impl InForce {
    /// The caps, the basis, the step in force and the next one, in words.
    pub fn describe(&self) -> String {
        let since = self
            .since
            .map_or(String::new(), |s| format!(" (step from {s})"));
        let next = self.next.map_or(String::new(), |(from, c)| {
            format!("; from {from}: {}", c.describe())
        });
        format!(
            "{}, high-risk basis {}{since}{next}",
            self.caps.describe(),
            self.basis.as_str()
        )
    }
}

//! A bundle's verified statements indexed for the rules, the collector of
//! policy-rule findings, and the provenance walk of SPEC section 7
//! (`provenance.incomplete`).

use crate::decide::check::Verified;
use crate::policy::Policy;
use crate::policy::rules::Rule;
use crate::report::{Context, Finding, Severity};
use crate::wire::digest::Sha256;
use crate::wire::statement::{Body, EvalResult, FirmwareBody, Stage};
use crate::wire::time::Timestamp;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// Verified evidence of one bundle, indexed by digest.
pub struct Evidence {
    /// Verified statements by digest.
    pub verified: HashMap<Sha256, Arc<Verified>>,
    /// Every digest present in the bundle (verified or not).
    pub present: HashSet<Sha256>,
    /// Bundle order of verified statements.
    pub order: Vec<Sha256>,
    /// Verified firmware releases and evaluations by the image or statement
    /// they are about, in bundle order: lookups per installed image must not
    /// scan the whole bundle (10,000 images times 10,000 statements).
    by_subject: HashMap<Sha256, Vec<Sha256>>,
    /// Verified OCP S.A.F.E. reports, judged once and filed by the image
    /// digests they name (SPEC 11).
    pub safe: crate::decide::safe::SafeIndex,
    /// What the bundle's tlog-proofs show published (SPEC 6.9).
    pub proofs: crate::decide::transparency::ProofIndex,
}

impl Evidence {
    /// Empty evidence with room for `n` statements.
    pub(crate) fn with_capacity(n: usize) -> Evidence {
        Evidence {
            verified: HashMap::with_capacity(n),
            present: HashSet::with_capacity(n),
            order: Vec::with_capacity(n),
            by_subject: HashMap::new(),
            safe: Default::default(),
            proofs: Default::default(),
        }
    }

    pub(crate) fn add(&mut self, v: Arc<Verified>) {
        let subject = match &v.statement.body {
            Body::Firmware(f) => Some(f.image),
            Body::Evaluation(e) => Some(e.subject),
            _ => None,
        };
        if let Some(sub) = subject {
            self.by_subject.entry(sub).or_default().push(v.digest);
        }
        self.order.push(v.digest);
        self.verified.insert(v.digest, v);
    }

    pub(crate) fn about<'a>(&'a self, subject: &Sha256) -> impl Iterator<Item = &'a Verified> + 'a {
        self.by_subject
            .get(subject)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .filter_map(|d| self.verified.get(d).map(|v| &**v))
    }

    pub(crate) fn releases_for<'a>(
        &'a self,
        image: &'a Sha256,
    ) -> impl Iterator<Item = (&'a Verified, &'a FirmwareBody)> + 'a {
        self.about(image)
            .filter_map(move |v| match &v.statement.body {
                Body::Firmware(f) if f.image == *image => Some((v, f)),
                _ => None,
            })
    }

    pub(crate) fn evaluations_of(
        &self,
        subject: &Sha256,
        scheme: &str,
    ) -> Vec<(&Verified, EvalResult)> {
        self.about(subject)
            .filter_map(|v| match &v.statement.body {
                Body::Evaluation(e) if e.subject == *subject && e.scheme == scheme => {
                    Some((v, e.result))
                }
                _ => None,
            })
            .collect()
    }
}

/// Collects policy-rule findings before levels and waivers are applied.
pub(crate) struct Rules<'a> {
    pub(crate) policy: &'a Policy,
    pub(crate) at: Timestamp,
    unit: Option<Unit>,
    /// The unit's class, for the scope of lists (SPEC 6.6).
    class: Option<String>,
    out: Vec<Finding>,
    /// Always-deny findings met on the way (a missing reference).
    pub(crate) always: Vec<Finding>,
    /// The outside evidence judged, and whether it counted (SPEC 11).
    pub(crate) uses: Vec<crate::report::EvidenceUse>,
}

/// The device a decision is about, for waivers (`vendor` + `serial`).
#[derive(Debug, Clone)]
pub(crate) struct Unit {
    /// The vendor entity.
    pub(crate) vendor: String,
    /// The serial number.
    pub(crate) serial: String,
}

impl From<&crate::wire::state::DeviceId> for Unit {
    /// The device a gate state file describes.
    fn from(d: &crate::wire::state::DeviceId) -> Unit {
        Unit {
            vendor: d.vendor.clone(),
            serial: d.serial.clone(),
        }
    }
}

impl<'a> Rules<'a> {
    /// A collector for `policy` at `at`; `unit` is the device's vendor and
    /// serial, for waivers.
    pub(crate) fn new(policy: &'a Policy, at: Timestamp, unit: Option<Unit>) -> Rules<'a> {
        Rules {
            policy,
            at,
            unit,
            class: None,
            out: Vec::new(),
            always: Vec::new(),
            uses: Vec::new(),
        }
    }

    /// The unit's class, for the scope of lists.
    pub(crate) fn in_class(mut self, class: Option<&str>) -> Rules<'a> {
        self.class = class.map(str::to_owned);
        self
    }

    /// The findings collected.
    pub(crate) fn into_findings(self) -> Vec<Finding> {
        self.out
    }

    pub(crate) fn add(
        &mut self,
        rule: Rule,
        v: Option<&Verified>,
        part: Option<&str>,
        subject: String,
        message: String,
    ) {
        self.out.push(Finding {
            rule,
            severity: Severity::Deny,
            statement: v.map(|v| v.digest),
            subject,
            message,
            entity: v.map(|v| v.statement.issuer.clone()),
            context: Context {
                part: part.map(str::to_owned),
                vendor: self.unit.as_ref().map(|u| u.vendor.clone()),
                serial: self.unit.as_ref().map(|u| u.serial.clone()),
                role: v.map(|v| v.statement.role()),
            },
        });
    }

    /// `jurisdiction.site` for a stage statement whose site is in a
    /// high-risk jurisdiction (a chip's step, or an image's build).
    pub(crate) fn site_check(&mut self, v: &Verified) {
        let Body::Stage(s) = &v.statement.body else {
            return;
        };
        if !self.policy.high_risk.contains(&s.site.country) {
            return;
        }
        let message = if s.stage == Stage::Build {
            format!("{} was built at a site in a high-risk jurisdiction", s.part)
        } else {
            format!(
                "part {} lot {} went through its {} step in a high-risk jurisdiction; a clean earlier or later stage does not clear it",
                s.part, s.lot, s.stage
            )
        };
        self.add(
            Rule::JurisdictionSite,
            Some(v),
            Some(&s.part),
            format!("{} site '{}' ({})", s.stage, s.site.name, s.site.country),
            message,
        );
    }

    /// `jurisdiction.control` and `entity.designated` for a statement's issuer.
    pub(crate) fn issuer_checks(&mut self, v: &Verified) {
        let Some(entity) = self.policy.entities.get(&v.statement.issuer) else {
            return;
        };
        let part = match &v.statement.body {
            Body::Stage(s) => Some(s.part.clone()),
            _ => None,
        };
        let role = v.statement.role();
        // The owners that count (SPEC 6.7): at the evaluation time, at the
        // statement's issue time, or both.
        let chains = self
            .policy
            .control_chains(&entity.id, self.at, v.statement.issued);
        let mut owners: Vec<&crate::policy::Entity> = Vec::new();
        for e in chains.iter().flatten() {
            if !owners.iter().any(|o| o.id == e.id) {
                owners.push(e);
            }
        }
        let mut risky = Vec::new();
        let mut designated = Vec::new();
        let mut opaque = Vec::new();
        for e in owners {
            {
                if e.opaque {
                    opaque.push(e.id.clone());
                }
                if self.policy.high_risk.contains(&e.country) {
                    risky.push(format!("{} ({})", e.id, e.country));
                }
                for (d, list) in
                    self.policy
                        .designations_in_force(e, self.at, self.class.as_deref(), Some(role))
                {
                    let until = d.until.map_or(String::new(), |u| format!(" until {u}"));
                    let source = list
                        .and_then(|l| l.source)
                        .map_or(String::new(), |s| format!(" (list source {s})"));
                    designated.push(format!(
                        "{} on '{}' since {}{until}{source}",
                        e.id, d.list, d.since
                    ));
                }
            }
        }
        let names = |c: &Vec<&crate::policy::Entity>| {
            c.iter()
                .map(|e| e.id.as_str())
                .collect::<Vec<_>>()
                .join(" -> ")
        };
        // Only a finding's message names the chain.
        let via = if opaque.is_empty() && risky.is_empty() {
            String::new()
        } else {
            match chains.as_slice() {
                [one] if one.len() > 1 => format!(" (ownership chain {})", names(one)),
                [now, then] => format!(
                    " (ownership chain at the evaluation time {}; when the statement was issued {})",
                    names(now),
                    names(then)
                ),
                _ => String::new(),
            }
        };
        if !opaque.is_empty() {
            self.add(
                Rule::EntityOpaque,
                Some(v),
                part.as_deref(),
                format!("issuer '{}'", entity.id),
                format!(
                    "who controls the issuer is not known: the ownership of {} is undisclosed{via}",
                    opaque.join(", ")
                ),
            );
        }
        if !risky.is_empty() {
            self.add(
                Rule::JurisdictionControl,
                Some(v),
                part.as_deref(),
                format!("issuer '{}'", entity.id),
                format!(
                    "the issuer is controlled from a high-risk jurisdiction: {}{via}; source this step from another supplier or waive it with a dated reason",
                    risky.join(", ")
                ),
            );
        }
        if !designated.is_empty() {
            self.add(
                Rule::EntityDesignated,
                Some(v),
                part.as_deref(),
                format!("issuer '{}'", entity.id),
                format!(
                    "the issuer or its owner is designated: {}",
                    designated.join("; ")
                ),
            );
        }
        // Allow lists in scope: the issuer itself must hold a live approval.
        // Its live approvals are gathered once, so the work is linear in
        // the lists and approvals, not their product.
        let allow_lists = self
            .policy
            .lists
            .values()
            .any(|l| l.kind == crate::policy::ListKind::Allow);
        if !allow_lists {
            return;
        }
        let approved: HashSet<&str> = entity
            .approvals
            .iter()
            .filter(|a| a.live(self.at))
            .map(|a| a.list.as_str())
            .collect();
        let missing: Vec<&crate::policy::List> = self
            .policy
            .lists
            .values()
            .filter(|l| {
                l.kind == crate::policy::ListKind::Allow
                    && l.in_scope(self.class.as_deref(), Some(role))
                    && !approved.contains(l.id.as_str())
            })
            .collect();
        if !missing.is_empty() {
            let names: Vec<String> = missing
                .iter()
                .map(|l| {
                    l.source.map_or(format!("'{}'", l.id), |s| {
                        format!("'{}' (source {s})", l.id)
                    })
                })
                .collect();
            self.add(
                Rule::EntityUnapproved,
                Some(v),
                part.as_deref(),
                format!("issuer '{}'", entity.id),
                format!(
                    "the issuer holds no approval in force on {}, which applies to {} statements{}",
                    names.join(", "),
                    role,
                    self.class
                        .as_deref()
                        .map_or(String::new(), |c| format!(" of class '{c}' units"))
                ),
            );
        }
    }
}

pub(crate) fn stage_bit(st: Stage) -> u8 {
    1 << (st as u8)
}

/// The stages of the verified stage statements reachable from `start`
/// through `inputs` (itself included), as bits; `memo` keeps the answer for
/// every statement visited, so each is expanded once per bundle. Iterative:
/// a 10,000-long chain of inputs cannot overflow the stack. (A cycle would
/// need a SHA-256 preimage; it would end the walk, not loop.)
pub(crate) fn reachable_stages(ev: &Evidence, start: Sha256, memo: &mut HashMap<Sha256, u8>) -> u8 {
    let stage_of = |d: &Sha256| match ev.verified.get(d).map(|v| &v.statement.body) {
        Some(Body::Stage(s)) => Some(s),
        _ => None,
    };
    let mut open: HashSet<Sha256> = HashSet::new();
    let mut stack = vec![(start, false)];
    while let Some((d, inputs_done)) = stack.pop() {
        if memo.contains_key(&d) {
            continue;
        }
        let Some(s) = stage_of(&d) else {
            memo.insert(d, 0);
            continue;
        };
        if inputs_done {
            let bits = s.inputs.iter().fold(stage_bit(s.stage), |acc, i| {
                acc | memo.get(i).copied().unwrap_or(0)
            });
            memo.insert(d, bits);
            open.remove(&d);
        } else if open.insert(d) {
            stack.push((d, true));
            stack.extend(
                s.inputs
                    .iter()
                    .filter(|i| !memo.contains_key(*i))
                    .map(|i| (*i, false)),
            );
        }
    }
    memo.get(&start).copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::statement::{Site, StageBody, Statement};
    use std::collections::BTreeSet;

    fn stage(stage: Stage, inputs: Vec<Sha256>) -> Statement {
        Statement {
            issuer: "x".into(),
            issued: Timestamp(0),
            expires: None,
            ext: None,
            body: Body::Stage(StageBody {
                stage,
                part: "P".into(),
                lot: "L".into(),
                site: Site {
                    name: "s".into(),
                    country: crate::wire::country::Country::new("FI").expect("FI is a country"),
                },
                inputs,
                node: None,
            }),
        }
    }

    /// Reference cycles cannot occur in a real bundle (a statement would
    /// have to contain a digest of itself), so they are built here directly
    /// from made-up digests: the walk must end and count each stage once.
    #[test]
    fn a_reference_cycle_ends_the_walk() {
        let d = |n: u8| Sha256([n; 32]);
        let mut ev = Evidence {
            verified: HashMap::new(),
            present: HashSet::new(),
            order: Vec::new(),
            by_subject: HashMap::new(),
            safe: Default::default(),
            proofs: Default::default(),
        };
        // atp(1) -> fab(2) -> design(3) -> atp(1), and 4 cites itself.
        for (n, st, inputs) in [
            (1, Stage::Atp, vec![d(2)]),
            (2, Stage::Fab, vec![d(3)]),
            (3, Stage::Design, vec![d(1)]),
            (4, Stage::Integration, vec![d(4)]),
        ] {
            ev.present.insert(d(n));
            ev.add(Arc::new(Verified {
                digest: d(n),
                statement: stage(st, inputs),
                signers: BTreeSet::new(),
            }));
        }
        let mut memo = HashMap::new();
        // Every stage of the cycle is reached once; the link back to the
        // start is simply not followed again.
        assert_eq!(
            reachable_stages(&ev, d(1), &mut memo),
            stage_bit(Stage::Atp) | stage_bit(Stage::Fab) | stage_bit(Stage::Design)
        );
        assert_eq!(
            reachable_stages(&ev, d(4), &mut memo),
            stage_bit(Stage::Integration)
        );
        // A digest that is not in the bundle reaches nothing.
        assert_eq!(reachable_stages(&ev, d(9), &mut memo), 0);
    }

    /// The stages a per-component walk (the obvious, quadratic algorithm)
    /// finds from `start`.
    fn naive(ev: &Evidence, starts: &[Sha256]) -> u8 {
        let mut seen = HashSet::new();
        let mut queue: Vec<Sha256> = starts.to_vec();
        let mut bits = 0;
        while let Some(d) = queue.pop() {
            if !seen.insert(d) {
                continue;
            }
            if let Some(Body::Stage(s)) = ev.verified.get(&d).map(|v| &v.statement.body) {
                bits |= stage_bit(s.stage);
                queue.extend(s.inputs.iter().copied());
            }
        }
        bits
    }

    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 512,
            rng_seed: proptest::test_runner::RngSeed::Fixed(0x7761_6c6b),
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        /// On random DAGs of up to 16 statements (inputs only to earlier
        /// ones, as digests force; some missing from the bundle), the
        /// memoised walk, shared across components, finds what a fresh walk
        /// per component finds.
        #[test]
        fn memoised_walk_equals_a_fresh_walk_per_component(
            nodes in proptest::collection::vec(
                (0u8..4, proptest::collection::vec(0u8..20, 0..4)),
                1..16,
            ),
            components in proptest::collection::vec(
                proptest::collection::vec(0u8..20, 0..4),
                1..8,
            ),
        ) {
            let d = |n: u8| Sha256([n; 32]);
            let mut ev = Evidence {
                verified: HashMap::new(),
                present: HashSet::new(),
                order: Vec::new(),
                by_subject: HashMap::new(),
                safe: Default::default(),
                proofs: Default::default(),
            };
            for (i, (st, inputs)) in nodes.iter().enumerate() {
                let i = i as u8;
                // Inputs point only to earlier statements (or to digests
                // no statement has: 16..20 are never in the bundle).
                let inputs = inputs
                    .iter()
                    .filter(|&&n| n < i || n >= 16)
                    .map(|&n| d(n))
                    .collect();
                ev.present.insert(d(i));
                ev.add(Arc::new(Verified {
                    digest: d(i),
                    statement: stage(Stage::ALL[*st as usize], inputs),
                    signers: BTreeSet::new(),
                }));
            }
            let mut memo = HashMap::new();
            for c in &components {
                let starts: Vec<Sha256> = c.iter().map(|&n| d(n)).collect();
                let fast = starts
                    .iter()
                    .fold(0, |acc, s| acc | reachable_stages(&ev, *s, &mut memo));
                prop_assert_eq!(fast, naive(&ev, &starts));
            }
        }
    }
}

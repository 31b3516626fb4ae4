//! OCP S.A.F.E. reports as evaluation evidence (SPEC section 11): the
//! `ocp-safe` scheme judged on a release: which report counted, which did
//! not, and why. Each report is checked on its own with the statements
//! ([`crate::decide::check`]).
//!
//! Work stays linear in the bundle: whether a report counts depends on the
//! policy and the time only, never on the release, so each report is judged
//! once ([`SafeIndex::build`]) and filed under the image digests it names;
//! a release then looks up its (at most two) digests.

pub use crate::decide::check::{ECDSA_CHECK_WEIGHT, REPORT_TYPE, VerifiedReport};
use crate::policy::Policy;
use crate::report::EvidenceUse;
use crate::wire::digest::{AltDigest, Sha256};
use crate::wire::safe::cvss_text;
use crate::wire::time::Timestamp;
use std::collections::HashMap;
use std::sync::Arc;

/// The scheme S.A.F.E. reports count for (SPEC 6.8).
pub const OCP_SAFE: &str = "ocp-safe";

/// How many reports that do not count a release's outcome names (the
/// count of the rest is given).
const NAMED: usize = 8;

/// A report's standing under the policy, whatever release it is for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Standing {
    /// It counts and passes.
    Pass,
    /// It counts and fails (an issue at or above `max_cvss`).
    Fail,
    /// It does not count.
    Passed,
}

/// The reports of one image digest, in bundle order.
#[derive(Debug, Default)]
struct Filed {
    pass: Option<usize>,
    fail: Option<usize>,
    over: Vec<usize>,
    over_count: usize,
}

/// Every verified report of a bundle judged once, and filed by the image
/// digests it names.
#[derive(Debug, Default)]
pub struct SafeIndex {
    reports: Vec<Arc<VerifiedReport>>,
    standing: Vec<(Standing, String)>,
    by_digest: HashMap<AltDigest, Filed>,
}

/// What the `ocp-safe` scheme says of one release.
pub(crate) struct Outcome {
    /// The reports judged for it.
    pub(crate) uses: Vec<EvidenceUse>,
    /// `firmware.unevaluated`, when the release fails the scheme: the
    /// message.
    pub(crate) unevaluated: Option<String>,
}

fn list(digests: &[AltDigest]) -> String {
    digests
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn short(d: &Sha256) -> String {
    format!("sha256:{}…", &d.hex()[..16])
}

impl SafeIndex {
    /// Judges each report once against `[evaluations.ocp-safe]` at `at`.
    pub fn build(policy: &Policy, at: Timestamp, reports: Vec<Arc<VerifiedReport>>) -> SafeIndex {
        let accept = policy.evaluations.get(OCP_SAFE);
        let mut standing = Vec::with_capacity(reports.len());
        let mut by_digest: HashMap<AltDigest, Filed> = HashMap::new();
        for (i, rep) in reports.iter().enumerate() {
            let rpt = &rep.signed.report;
            let lab = &rep.entity;
            let s = if rpt.completion.is_none() {
                (
                    Standing::Passed,
                    "the report has no completion date, so its age cannot be judged".to_owned(),
                )
            } else if let Some(labs) = accept.and_then(|a| a.labs.as_ref())
                && !labs.contains(lab)
            {
                (
                    Standing::Passed,
                    format!(
                        "provider '{lab}' is not a lab the policy accepts for '{OCP_SAFE}' ({})",
                        labs.iter().cloned().collect::<Vec<_>>().join(", ")
                    ),
                )
            } else if let Some(days) = accept.and_then(|a| a.max_age_days)
                && let Some(done) = rpt.completion
                && at.0.saturating_sub(done.0) > days.saturating_mul(86_400)
            {
                (
                    Standing::Passed,
                    format!("completed {}, older than max_age_days {days}", done.date()),
                )
            } else if let Some(max) = accept.and_then(|a| a.max_cvss)
                && let Some(issue) = rpt.issue_reaching(max)
            {
                let score = issue.cvss.map_or_else(
                    || format!("an unreadable CVSS score '{}'", issue.cvss_score),
                    |s| format!("CVSS {}", cvss_text(s)),
                );
                (
                    Standing::Fail,
                    format!(
                        "lists open issue '{}' at {score}, at or above max_cvss {}",
                        issue.title,
                        cvss_text(max)
                    ),
                )
            } else {
                (
                    Standing::Pass,
                    format!(
                        "reviews this image ({}), completed {}, {} open issue(s){}",
                        list(&rpt.image_digests),
                        rpt.completion.map_or_else(String::new, Timestamp::date),
                        rpt.issues.len(),
                        accept
                            .and_then(|a| a.max_cvss)
                            .map_or(String::new(), |m| format!(
                                ", none at or above max_cvss {}",
                                cvss_text(m)
                            ))
                    ),
                )
            };
            for d in &rpt.image_digests {
                let f = by_digest.entry(*d).or_default();
                match s.0 {
                    Standing::Pass => {
                        f.pass.get_or_insert(i);
                    }
                    Standing::Fail => {
                        f.fail.get_or_insert(i);
                    }
                    Standing::Passed => {
                        if f.over.len() < NAMED {
                            f.over.push(i);
                        }
                        f.over_count += 1;
                    }
                }
            }
            standing.push(s);
        }
        SafeIndex {
            reports,
            standing,
            by_digest,
        }
    }

    /// Whether the bundle holds no verified report.
    pub fn is_empty(&self) -> bool {
        self.reports.is_empty()
    }

    /// The scheme's outcome for a release listing `digests`, whose image is
    /// `image`: it passes when a report naming one of the digests counts and
    /// passes, and no counted report naming one fails. Costs a lookup per
    /// digest and at most a few reports named.
    pub(crate) fn outcome(&self, digests: &[AltDigest], image: &Sha256) -> Outcome {
        let filed: Vec<&Filed> = digests
            .iter()
            .filter_map(|d| self.by_digest.get(d))
            .collect();
        let first = |pick: fn(&Filed) -> Option<usize>| filed.iter().filter_map(|f| pick(f)).min();
        let pass = first(|f| f.pass);
        let fail = first(|f| f.fail);
        let mut over: Vec<usize> = filed.iter().flat_map(|f| f.over.iter().copied()).collect();
        over.sort_unstable();
        over.dedup();
        let over_count = filed
            .iter()
            .map(|f| f.over_count)
            .max()
            .unwrap_or(0)
            .max(over.len());
        let mut uses = Vec::new();
        let mut named: Vec<usize> = pass
            .into_iter()
            .chain(fail)
            .chain(over.iter().copied())
            .collect();
        named.sort_unstable();
        named.dedup();
        let use_of = |i: usize, reason: String| {
            let (s, _) = &self.standing[i];
            EvidenceUse {
                scheme: OCP_SAFE.into(),
                evidence: self.reports[i].digest,
                lab: self.reports[i].entity.clone(),
                image: *image,
                counted: *s != Standing::Passed,
                result: match s {
                    Standing::Pass => Some("pass"),
                    Standing::Fail => Some("fail"),
                    Standing::Passed => None,
                },
                reason,
            }
        };
        for &i in &named {
            uses.push(use_of(i, self.standing[i].1.clone()));
        }
        // No report names this release's image: the first few reports of
        // the bundle are about other bytes.
        let mut others = Vec::new();
        if filed.is_empty() {
            for (i, rep) in self.reports.iter().enumerate().take(NAMED) {
                let rpt = &rep.signed.report;
                let why = if digests.is_empty() {
                    "the release lists no SHA-384/SHA-512 `digests`, so no S.A.F.E. report can name its image".to_owned()
                } else if rpt.image_digests.is_empty() {
                    "the report names no image by a well-formed SHA-384 or SHA-512".to_owned()
                } else {
                    format!(
                        "the report is about other bytes ({}), not this release ({})",
                        list(&rpt.image_digests),
                        list(digests)
                    )
                };
                others.push(format!(
                    "report {} by '{}': {why}",
                    short(&rep.digest),
                    rep.entity
                ));
                let mut u = use_of(i, why);
                u.counted = false;
                u.result = None;
                uses.push(u);
            }
        }
        let unevaluated = if let Some(i) = fail {
            Some(format!(
                "the S.A.F.E. report {} by '{}' reviews image {image} and FAILS the policy: it {}",
                short(&self.reports[i].digest),
                self.reports[i].entity,
                self.standing[i].1
            ))
        } else if pass.is_some() {
            None
        } else {
            let mut why: Vec<String> = over
                .iter()
                .map(|&i| {
                    format!(
                        "report {} by '{}': {}",
                        short(&self.reports[i].digest),
                        self.reports[i].entity,
                        self.standing[i].1
                    )
                })
                .collect();
            if over_count > over.len() {
                why.push(format!(
                    "{} more that do not count",
                    over_count - over.len()
                ));
            }
            why.extend(others.iter().cloned());
            if filed.is_empty() && self.reports.len() > others.len() {
                why.push(format!(
                    "{} more about other bytes",
                    self.reports.len() - others.len()
                ));
            }
            Some(if why.is_empty() {
                format!(
                    "no verified OCP S.A.F.E. report reviews image {image}{}; the policy requires one",
                    if digests.is_empty() {
                        " (the release lists no SHA-384/SHA-512 digests a report could name)"
                            .to_owned()
                    } else {
                        format!(" ({})", list(digests))
                    }
                )
            } else {
                format!(
                    "no verified OCP S.A.F.E. report that counts reviews image {image}; the policy requires one ({})",
                    why.join("; ")
                )
            })
        };
        Outcome { uses, unevaluated }
    }
}

//! OCP S.A.F.E. reports as evaluation evidence (SPEC section 11): the
//! `ocp-safe` scheme judged on a release: which report counted, which did
//! not, and why. Each report is checked on its own with the statements
//! ([`crate::decide::check`]).

pub use crate::decide::check::{ECDSA_CHECK_WEIGHT, REPORT_TYPE, VerifiedReport};
use crate::decide::evidence::{Evidence, Rules};
use crate::policy::rules::Rule;
use crate::report::EvidenceUse;
use crate::wire::digest::{AltDigest, Sha256};
use crate::wire::safe::cvss_text;
use crate::wire::time::Timestamp;

/// The scheme S.A.F.E. reports count for (SPEC 6.8).
pub const OCP_SAFE: &str = "ocp-safe";

fn list(digests: &[AltDigest]) -> String {
    digests
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Judges the `ocp-safe` scheme for one release (SPEC 6.8, 11): every
/// verified report in the bundle is recorded with whether it counted and
/// why; the release passes when at least one report counts and none that
/// counts lists an issue at or above `max_cvss`.
pub(crate) fn judge(
    r: &mut Rules<'_>,
    ev: &Evidence,
    release: &crate::decide::check::Verified,
    digests: &[AltDigest],
    image: &Sha256,
    part: Option<&str>,
    subject: &str,
) {
    let accept = r.policy.evaluations.get(OCP_SAFE);
    let mut passed: Option<&VerifiedReport> = None;
    let mut failed: Option<(&VerifiedReport, String)> = None;
    let mut passed_over = Vec::new();
    for rep in &ev.reports {
        let rpt = &rep.signed.report;
        let lab = &rep.entity;
        let (counted, result, reason) = if rpt.completion.is_none() {
            (
                false,
                None,
                "the report has no completion date, so its age cannot be judged".to_owned(),
            )
        } else if !digests.iter().any(|d| rpt.names(d)) {
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
            (false, None, why)
        } else if let Some(labs) = accept.and_then(|a| a.labs.as_ref())
            && !labs.contains(lab)
        {
            let why = format!(
                "provider '{lab}' is not a lab the policy accepts for '{OCP_SAFE}' ({})",
                labs.iter().cloned().collect::<Vec<_>>().join(", ")
            );
            (false, None, why)
        } else if let Some(days) = accept.and_then(|a| a.max_age_days)
            && let Some(done) = rpt.completion
            && r.at.0.saturating_sub(done.0) > days.saturating_mul(86_400)
        {
            let why = format!("completed {}, older than max_age_days {days}", done.date());
            (false, None, why)
        } else if let Some(max) = accept.and_then(|a| a.max_cvss)
            && let Some(issue) = rpt.issue_reaching(max)
        {
            let score = issue.cvss.map_or_else(
                || format!("an unreadable CVSS score '{}'", issue.cvss_score),
                |s| format!("CVSS {}", cvss_text(s)),
            );
            let why = format!(
                "lists open issue '{}' at {score}, at or above max_cvss {}",
                issue.title,
                cvss_text(max)
            );
            (true, Some("fail"), why)
        } else {
            let why = format!(
                "reviews this image ({}), completed {}, {} open issue(s){}",
                list(
                    &rpt.image_digests
                        .iter()
                        .filter(|d| digests.contains(d))
                        .copied()
                        .collect::<Vec<_>>()
                ),
                rpt.completion.map_or_else(String::new, Timestamp::date),
                rpt.issues.len(),
                accept
                    .and_then(|a| a.max_cvss)
                    .map_or(String::new(), |m| format!(
                        ", none at or above max_cvss {}",
                        cvss_text(m)
                    ))
            );
            (true, Some("pass"), why)
        };
        match result {
            Some("pass") if passed.is_none() => passed = Some(rep),
            Some("fail") if failed.is_none() => failed = Some((rep, reason.clone())),
            None => passed_over.push(format!(
                "report {} by '{lab}': {reason}",
                short(&rep.digest)
            )),
            _ => {}
        }
        r.uses.push(EvidenceUse {
            scheme: OCP_SAFE.into(),
            evidence: rep.digest,
            lab: lab.clone(),
            image: *image,
            counted,
            result,
            reason,
        });
    }
    if let Some((rep, why)) = failed {
        r.add(
            Rule::FirmwareUnevaluated,
            Some(release),
            part,
            subject.to_owned(),
            format!(
                "the S.A.F.E. report {} by '{}' reviews image {image} and FAILS the policy: it {why}",
                short(&rep.digest),
                rep.entity
            ),
        );
    } else if passed.is_none() {
        let own = ev
            .evaluations_of(image, OCP_SAFE)
            .first()
            .map(|_| "; an hwprov evaluation statement does not count for 'ocp-safe', only a signed S.A.F.E. report does".to_owned())
            .unwrap_or_default();
        r.add(
            Rule::FirmwareUnevaluated,
            Some(release),
            part,
            subject.to_owned(),
            if passed_over.is_empty() {
                format!(
                    "no verified OCP S.A.F.E. report reviews image {image}{}; the policy requires one{own}",
                    if digests.is_empty() {
                        " (the release lists no SHA-384/SHA-512 digests a report could name)".to_owned()
                    } else {
                        format!(" ({})", list(digests))
                    }
                )
            } else {
                format!(
                    "no verified OCP S.A.F.E. report that counts reviews image {image}; the policy requires one ({}){own}",
                    passed_over.join("; ")
                )
            },
        );
    }
}

fn short(d: &Sha256) -> String {
    format!("sha256:{}…", &d.hex()[..16])
}

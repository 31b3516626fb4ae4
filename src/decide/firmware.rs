//! The policy rules of a firmware release (SPEC sections 6.11 and 7):
//! signer thresholds counted on one statement, evaluations, and the
//! gate's checks of an image against a device state (SPEC 9).

use crate::decide::check::Verified;
use crate::decide::evidence::{Evidence, Rules, Unit};
use crate::decide::image::ImageFacts;
use crate::policy::Policy;
use crate::policy::rules::Rule;
use crate::report::Finding;
use crate::wire::digest::Sha256;
use crate::wire::state::State;
use crate::wire::statement::{EvalResult, FirmwareBody};
use crate::wire::time::Timestamp;
use std::collections::HashSet;

/// Distinct authorised firmware keys among the signatures of one verified
/// statement: the one place thresholds are counted (SPEC 6.11).
pub fn authorised_firmware_signers(policy: &Policy, v: &Verified) -> u64 {
    v.signers
        .iter()
        .filter(|k| {
            policy
                .keys
                .get(k)
                .is_some_and(|e| e.roles.contains("firmware"))
        })
        .count() as u64
}

/// Threshold and evaluation checks shared by device firmware and a firmware
/// root, on the one release statement the decision relies on. Returns the
/// evaluations relied on.
pub(crate) fn firmware_common<'a>(
    r: &mut Rules<'_>,
    ev: &'a Evidence,
    release: &Verified,
    image: &'a Sha256,
    params: &crate::policy::Params,
    part: Option<&str>,
    subject: &str,
) -> Vec<&'a Verified> {
    let firmware_keys = authorised_firmware_signers(r.policy, release);
    if firmware_keys < params.firmware_min_signers {
        r.add(
            Rule::FirmwareThreshold,
            Some(release),
            part,
            subject.to_owned(),
            format!(
                "{firmware_keys} distinct authorised firmware key(s) signed the release statement; the policy requires {} on that one statement (signatures on other statements do not count)",
                params.firmware_min_signers
            ),
        );
    }
    // SPEC 6.9: a release the decision relies on must be proven published.
    if let Some(m) = ev.proofs.untransparent(r.policy, &release.digest) {
        r.add(
            Rule::FirmwareUntransparent,
            Some(release),
            part,
            subject.to_owned(),
            m,
        );
    }
    let mut used = Vec::new();
    // The release's provenance (SPEC 3): the build stage statements of the
    // image, judged like any stage (site, issuer) when present.
    if let crate::wire::statement::Body::Firmware(fw) = &release.statement.body {
        for d in &fw.provenance {
            if !ev.present.contains(d) {
                r.always.push(crate::decide::check::deny(
                    Rule::ReferenceMissing,
                    Some(release.digest),
                    format!("reference {d}"),
                    "the release's provenance references a statement that is not in the bundle; add it to the bundle",
                ));
                continue;
            }
            match ev.verified.get(d) {
                Some(b) if matches!(&b.statement.body, crate::wire::statement::Body::Stage(s) if s.stage == crate::wire::statement::Stage::Build) => {
                    used.push(&**b);
                }
                Some(other) => r.add(
                    Rule::ProvenanceMismatch,
                    Some(release),
                    part,
                    subject.to_owned(),
                    format!(
                        "the release's provenance cites {d}, a {} statement, not a build stage statement",
                        other.statement.role()
                    ),
                ),
                None => {} // present but not verified: its own findings say why
            }
        }
    }
    for scheme in &params.firmware_evaluations {
        if scheme == crate::decide::safe::OCP_SAFE {
            let digests = match &release.statement.body {
                crate::wire::statement::Body::Firmware(fw) => fw.digests.as_slice(),
                _ => &[],
            };
            let o = ev.safe.outcome(digests, image);
            r.uses.extend(o.uses);
            if let Some(mut m) = o.unevaluated {
                if !ev.evaluations_of(image, scheme).is_empty() {
                    m.push_str("; an hwprov evaluation statement does not count for 'ocp-safe', only a signed S.A.F.E. report does");
                }
                r.add(
                    Rule::FirmwareUnevaluated,
                    Some(release),
                    part,
                    subject.to_owned(),
                    m,
                );
            }
            continue;
        }
        // Only evaluations by an accepted lab, recent enough, count (SPEC
        // 6.8); the others are named in the finding with the reason.
        let accept = r.policy.evaluations.get(scheme);
        let mut passed_over = Vec::new();
        let evals: Vec<(&Verified, EvalResult)> = ev
            .evaluations_of(image, scheme)
            .into_iter()
            .filter(|(v, _)| {
                let issuer = &v.statement.issuer;
                if let Some(labs) = accept.and_then(|a| a.labs.as_ref())
                    && !labs.contains(issuer)
                {
                    passed_over.push(format!(
                        "the evaluation by '{issuer}' does not count: not a lab the policy accepts for '{scheme}' ({})",
                        labs.iter().cloned().collect::<Vec<_>>().join(", ")
                    ));
                    return false;
                }
                if let Some(days) = accept.and_then(|a| a.max_age_days)
                    && r.at.0.saturating_sub(v.statement.issued.0) > days.saturating_mul(86_400)
                {
                    passed_over.push(format!(
                        "the evaluation by '{issuer}' issued {} does not count: older than max_age_days {days}",
                        v.statement.issued
                    ));
                    return false;
                }
                true
            })
            .collect();
        used.extend(evals.iter().map(|(v, _)| *v));
        let failed: Vec<&Verified> = evals
            .iter()
            .filter(|(_, res)| *res == EvalResult::Fail)
            .map(|(v, _)| *v)
            .collect();
        if let Some(v) = failed.first() {
            r.add(
                Rule::FirmwareUnevaluated,
                Some(v),
                part,
                subject.to_owned(),
                format!(
                    "'{}' evaluated image {image} under '{scheme}' and it FAILED",
                    v.statement.issuer
                ),
            );
        } else if evals.is_empty() {
            r.add(
                Rule::FirmwareUnevaluated,
                Some(release),
                part,
                subject.to_owned(),
                if passed_over.is_empty() {
                    format!("no verified passing '{scheme}' evaluation of image {image}; the policy requires one")
                } else {
                    format!(
                        "no verified passing '{scheme}' evaluation of image {image} that counts; the policy requires one ({})",
                        passed_over.join("; ")
                    )
                },
            );
        }
    }
    used
}

/// Policy rules for a firmware root (used by `verify` and `gate`): the root
/// is the release judged, with its own signatures and properties.
#[allow(clippy::too_many_arguments)]
pub(crate) fn firmware_rules(
    policy: &Policy,
    ev: &Evidence,
    root: &Verified,
    fw: &FirmwareBody,
    class: Option<&str>,
    at: Timestamp,
    unit: Option<Unit>,
    uses: &mut Vec<crate::report::EvidenceUse>,
) -> (Vec<Finding>, Vec<Finding>) {
    let params = policy.params(class);
    let mut r = Rules::new(policy, at, unit).in_class(class);
    let subject = format!(
        "firmware {} {} for {} {}",
        fw.name, fw.version, fw.target.vendor, fw.target.model
    );
    let evals = firmware_common(&mut r, ev, root, &fw.image, &params, None, &subject);
    let mut seen: HashSet<Sha256> = HashSet::from([root.digest]);
    let mut used: Vec<&Verified> = vec![root];
    for e in evals {
        if seen.insert(e.digest) {
            used.push(e);
        }
    }
    for v in used {
        // A build site in a high-risk jurisdiction (the release's provenance).
        r.site_check(v);
        r.issuer_checks(v);
    }
    let always = std::mem::take(&mut r.always);
    uses.append(&mut r.uses);
    (r.into_findings(), always)
}

/// What the gate decides on besides the bundle.
pub(crate) struct GateInput<'a> {
    /// The device's state.
    pub state: &'a State,
    /// The image as read; `None` when the root was not a verified release,
    /// so the image was never read (SPEC 9).
    pub image: Option<ImageFacts>,
}

/// The gate's own checks of a verified release against the device state and
/// the image: `firmware.target`, `firmware.rollback`, `firmware.image`.
pub(crate) fn install_rules(
    policy: &Policy,
    root: &Verified,
    fw: &FirmwareBody,
    g: &GateInput<'_>,
    at: Timestamp,
) -> Vec<Finding> {
    let mut r =
        Rules::new(policy, at, Some((&g.state.device).into())).in_class(g.state.class.as_deref());
    let d = &g.state.device;
    let subject = format!(
        "firmware {} {} for {} {} component {}",
        fw.name, fw.version, fw.target.vendor, fw.target.model, fw.target.component
    );
    let installed = g.state.installed.get(&fw.target.component);
    if fw.target.vendor != d.vendor || fw.target.model != d.model {
        r.add(
            Rule::FirmwareTarget,
            Some(root),
            None,
            subject.clone(),
            format!(
                "the release is for {} {}, but this device is {} {} (serial {})",
                fw.target.vendor, fw.target.model, d.vendor, d.model, d.serial
            ),
        );
    } else if installed.is_none() {
        let known: Vec<&str> = g.state.installed.keys().map(String::as_str).collect();
        r.add(
            Rule::FirmwareTarget,
            Some(root),
            None,
            subject.clone(),
            format!(
                "the device has no component '{}' (it has: {})",
                fw.target.component,
                if known.is_empty() {
                    "none".into()
                } else {
                    known.join(", ")
                }
            ),
        );
    }
    if let Some(inst) = installed
        && fw.svn < inst.svn
    {
        r.add(
            Rule::FirmwareRollback,
            Some(root),
            None,
            subject.clone(),
            format!(
                "release svn {} ({}) is below the installed svn {} ({} {}): a rollback to a lower security version",
                fw.svn, fw.version, inst.svn, inst.name, inst.version
            ),
        );
    }
    let Some(image) = g.image else {
        return r.into_findings();
    };
    if image.size > fw.size {
        // The gate stops reading one byte past the declared size, so the
        // digest is of a prefix and not worth showing.
        r.add(
            Rule::FirmwareImage,
            Some(root),
            None,
            subject,
            format!(
                "the image is not the one released: it is longer than the release's {} bytes (reading stopped after {})",
                fw.size, image.size
            ),
        );
    } else if image.sha256 != fw.image
        || image.size != fw.size
        || fw.digests.iter().any(|d| image.other(d) != Some(*d))
    {
        let mut what = Vec::new();
        if image.sha256 != fw.image {
            what.push(format!(
                "its SHA-256 is {}, the release says {}",
                image.sha256, fw.image
            ));
        }
        for d in &fw.digests {
            match image.other(d) {
                Some(got) if got == *d => {}
                Some(got) => what.push(format!(
                    "its {} is {got}, the release says {d}",
                    d.name().to_uppercase()
                )),
                None => what.push(format!("its {} was not computed", d.name().to_uppercase())),
            }
        }
        if image.size != fw.size {
            what.push(format!(
                "it is {} bytes, the release says {}",
                image.size, fw.size
            ));
        }
        r.add(
            Rule::FirmwareImage,
            Some(root),
            None,
            subject,
            format!("the image is not the one released: {}", what.join("; ")),
        );
    }
    r.into_findings()
}

//! The policy rules of a device root (SPEC section 7): provenance,
//! jurisdictions, designations, components and their firmware.

use crate::decide::check::{Verified, deny};
use crate::decide::evidence::{Evidence, Rules, Unit, reachable_stages, stage_bit};
use crate::decide::firmware::{authorised_firmware_signers, firmware_common};
use crate::policy::Policy;
use crate::policy::rules::Rule;
use crate::report::Finding;
use crate::wire::digest::Sha256;
use crate::wire::statement::{Body, DeviceBody, FirmwareBody, Stage};
use crate::wire::time::Timestamp;
use std::collections::{HashMap, HashSet};

/// Policy rules for a device root (SPEC 7).
#[allow(clippy::too_many_arguments)]
pub(crate) fn device_rules(
    policy: &Policy,
    ev: &Evidence,
    root: &Verified,
    dev: &DeviceBody,
    class: Option<&str>,
    at: Timestamp,
    always: &mut Vec<Finding>,
    uses: &mut Vec<crate::report::EvidenceUse>,
) -> (Vec<Finding>, Vec<(Stage, crate::wire::country::Country)>) {
    let params = policy.params(class);
    let mut r = Rules::new(
        policy,
        at,
        Some(Unit {
            vendor: dev.product.vendor.clone(),
            serial: dev.product.serial.clone(),
        }),
    )
    .in_class(class);
    let mut used: Vec<&Verified> = vec![root];
    let mut used_set: HashSet<Sha256> = HashSet::from([root.digest]);
    let mut missing_reported: HashSet<Sha256> = HashSet::new();

    if dev.components.is_empty() && !params.required_stages.is_empty() {
        r.add(
            Rule::ProvenanceIncomplete,
            Some(root),
            None,
            "device".into(),
            "the device declares no components, so no provenance can be followed".into(),
        );
    }

    // Provenance: follow each component's provenance and then `inputs`,
    // transitively, over verified stage statements. Each statement is
    // walked once for the whole device (a statement reached again from
    // another component has nothing new to add to `used` or to report), and
    // the stages reachable from each statement are computed once and
    // remembered, so a hostile bundle of thousands of components citing one
    // long chain costs linear, not quadratic, time.
    let mut walked: HashSet<Sha256> = HashSet::new();
    let mut reach: HashMap<Sha256, u8> = HashMap::new();
    for c in &dev.components {
        let mut queue: Vec<(Sha256, Sha256)> =
            c.provenance.iter().map(|d| (*d, root.digest)).collect();
        while let Some((d, from)) = queue.pop() {
            if !walked.insert(d) {
                continue;
            }
            if !ev.present.contains(&d) {
                if missing_reported.insert(d) {
                    always.push(deny(
                        Rule::ReferenceMissing,
                        Some(from),
                        format!("reference {d}"),
                        format!(
                            "component {} ({}) provenance references a statement that is not in the bundle; add it to the bundle",
                            c.reference, c.part
                        ),
                    ));
                }
                continue;
            }
            let Some(v) = ev.verified.get(&d) else {
                continue;
            };
            let Body::Stage(s) = &v.statement.body else {
                continue;
            };
            if used_set.insert(d) {
                used.push(v);
            }
            queue.extend(s.inputs.iter().map(|i| (*i, d)));
        }
        let mut cited: HashSet<Sha256> = HashSet::new();
        let mut stages = 0u8;
        for d in &c.provenance {
            if !cited.insert(*d) {
                continue;
            }
            stages |= reachable_stages(ev, *d, &mut reach);
            // A cited statement that is not a stage statement, or one for
            // another part or lot, is not this component's provenance.
            let mismatch = ev.verified.get(d).and_then(|v| match &v.statement.body {
                Body::Stage(s) if s.part == c.part && s.lot == c.lot => None,
                Body::Stage(s) => Some((v, format!(
                    "the {} statement it cites is for part {} lot {}; the provenance must describe this very part and lot",
                    s.stage, s.part, s.lot
                ))),
                _ => Some((v, format!(
                    "its provenance cites a {} statement, not a stage statement; provenance must name the stage statements of the component's last step",
                    v.statement.type_name()
                ))),
            });
            if let Some((v, message)) = mismatch {
                r.add(
                    Rule::ProvenanceMismatch,
                    Some(v),
                    Some(&c.part),
                    format!("component {} ({} lot {})", c.reference, c.part, c.lot),
                    message,
                );
            }
        }
        let missing: Vec<&str> = params
            .required_stages
            .iter()
            .filter(|st| stages & stage_bit(**st) == 0)
            .map(|st| st.as_str())
            .collect();
        for st in missing {
            r.add(
                Rule::ProvenanceIncomplete,
                Some(root),
                Some(&c.part),
                format!("component {} ({} lot {})", c.reference, c.part, c.lot),
                format!(
                    "no verified {st} statement is reachable from its provenance; the policy requires {}",
                    params.required_stages.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                ),
            );
        }
    }

    // Installed firmware: each image needs verified releases for this
    // hardware, signed by enough distinct keys, with the required evaluations.
    let part_of: HashMap<&str, &str> = dev
        .components
        .iter()
        .map(|c| (c.reference.as_str(), c.part.as_str()))
        .collect();
    for inst in &dev.firmware {
        let part = part_of
            .get(inst.component.as_str())
            .map(|p| (*p).to_owned());
        let releases: Vec<(&Verified, &FirmwareBody)> = ev.releases_for(&inst.image).collect();
        let subject = format!(
            "firmware {} {} on {}",
            inst.name, inst.version, inst.component
        );
        if releases.is_empty() {
            r.add(
                Rule::FirmwareUnsigned,
                Some(root),
                part.as_deref(),
                subject,
                format!(
                    "no verified firmware release statement covers image {}; obtain the publisher's signed release",
                    inst.image
                ),
            );
            continue;
        }
        let for_this: Vec<&Verified> = releases
            .iter()
            .filter(|(_, f)| {
                f.target.vendor == dev.product.vendor
                    && f.target.model == dev.product.model
                    && f.target.component == inst.component
            })
            .map(|(v, _)| *v)
            .collect();
        if for_this.is_empty() {
            let (v, f) = releases[0];
            r.add(
                Rule::FirmwareTarget,
                Some(v),
                part.as_deref(),
                subject,
                format!(
                    "the release is for {} {} component {}, not {} {} component {}",
                    f.target.vendor,
                    f.target.model,
                    f.target.component,
                    dev.product.vendor,
                    dev.product.model,
                    inst.component
                ),
            );
            continue;
        }
        // SPEC 7, "which release covers": the one statement whose target,
        // image, svn and version are those of the installed entry. Every
        // property the decision uses is read from that statement, and the
        // threshold is counted on its own signatures: signatures on two
        // statements never add up.
        let covering: Vec<&Verified> = for_this
            .iter()
            .copied()
            .filter(|v| {
                matches!(&v.statement.body, Body::Firmware(f)
                    if f.svn == inst.svn && f.version == inst.version)
            })
            .collect();
        let Some(release) = covering
            .iter()
            .copied()
            .find(|v| authorised_firmware_signers(policy, v) >= params.firmware_min_signers)
            .or_else(|| {
                // None meets the threshold: report the best-signed one.
                covering
                    .iter()
                    .copied()
                    .rev()
                    .max_by_key(|v| authorised_firmware_signers(policy, v))
            })
        else {
            let said: Vec<String> = for_this
                .iter()
                .filter_map(|v| match &v.statement.body {
                    Body::Firmware(f) => Some(format!("version {} svn {}", f.version, f.svn)),
                    _ => None,
                })
                .collect();
            r.add(
                Rule::FirmwareUnsigned,
                Some(root),
                part.as_deref(),
                subject,
                format!(
                    "the verified release(s) of image {} say {}, but the device declares version {} svn {}: no release covers the installed firmware as declared",
                    inst.image,
                    said.join("; "),
                    inst.version,
                    inst.svn
                ),
            );
            continue;
        };
        if used_set.insert(release.digest) {
            used.push(release);
        }
        let evaluated = firmware_common(
            &mut r,
            ev,
            release,
            &inst.image,
            &params,
            part.as_deref(),
            &subject,
        );
        always.append(&mut r.always);
        for v in evaluated {
            if used_set.insert(v.digest) {
                used.push(v);
            }
        }
    }

    // Sites: every reachable stage's site country.
    let mut sites = Vec::new();
    for v in &used {
        if let Body::Stage(s) = &v.statement.body
            && !sites.contains(&(s.stage, s.site.country))
        {
            sites.push((s.stage, s.site.country));
        }
    }
    for v in &used {
        r.site_check(v);
    }
    // Issuers: control jurisdiction and designations of everyone whose
    // statement the verdict rests on.
    for v in &used {
        r.issuer_checks(v);
    }
    uses.append(&mut r.uses);
    (r.into_findings(), sites)
}

//! Verification of a bundle against a policy, in SPEC order.

use crate::limits::Limits;
use crate::policy::rules::{Level, Rule};
use crate::policy::{Policy, Revocation};
use crate::report::{
    Context, Finding, PolicyRef, REPORT_FORMAT, Report, RootEntry, Severity, StatementEntry,
    Verdict,
};
use crate::wire::bundle::{self, BundleError};
use crate::wire::digest::Sha256;
use crate::wire::envelope::{Envelope, EnvelopeError};
use crate::wire::keys::KeyId;
use crate::wire::statement::{
    Body, DeviceBody, EvalResult, FirmwareBody, Stage, Statement, StatementError,
};
use crate::wire::time::Timestamp;
use std::collections::{BTreeSet, HashMap, HashSet};

/// How far in the future `issued` may be (SPEC section 7, `statement.future`).
pub const FUTURE_SKEW_SECS: u64 = 300;
/// A live waiver closer than this to its expiry is mentioned as `info`.
pub const WAIVER_NOTICE_SECS: u64 = 90 * 86_400;

/// A statement that passed every always-deny check.
#[derive(Debug, Clone)]
pub struct Verified {
    /// Digest of its tagged COSE bytes.
    pub digest: Sha256,
    /// The checked payload.
    pub statement: Statement,
    /// Distinct key ids that signed it (all authorised).
    pub signers: BTreeSet<KeyId>,
}

/// The outcome of checking one statement on its own.
#[derive(Debug, Clone)]
pub struct Checked {
    /// Report entry.
    pub entry: StatementEntry,
    /// The statement, when it verified.
    pub verified: Option<Verified>,
    /// Always-deny findings.
    pub findings: Vec<Finding>,
}

fn deny(
    rule: Rule,
    statement: Option<Sha256>,
    subject: impl Into<String>,
    message: impl Into<String>,
) -> Finding {
    Finding {
        rule,
        severity: Severity::Deny,
        statement,
        subject: subject.into(),
        message: message.into(),
        entity: None,
        context: Context::default(),
    }
}

/// Checks one statement's envelope, signatures, payload, key binding and
/// times (every always-deny rule that concerns a single statement).
pub fn check_statement(policy: &Policy, bytes: &[u8], at: Timestamp, limits: &Limits) -> Checked {
    check_statement_with_digest(policy, bytes, Sha256::of(bytes), at, limits)
}

fn check_statement_with_digest(
    policy: &Policy,
    bytes: &[u8],
    digest: Sha256,
    at: Timestamp,
    limits: &Limits,
) -> Checked {
    let mut entry = StatementEntry {
        digest,
        type_name: None,
        issuer: None,
        signers: Vec::new(),
        verified: false,
    };
    let d = Some(digest);
    let fail = |entry: StatementEntry, findings: Vec<Finding>| Checked {
        entry,
        verified: None,
        findings,
    };

    // 1. Size bound, then the COSE envelope profile (SPEC 2).
    if bytes.len() > limits.max_statement_bytes {
        let f = deny(
            Rule::EnvelopeMalformed,
            d,
            "statement",
            format!(
                "statement is {} bytes, over the limit of {}; it was not parsed",
                bytes.len(),
                limits.max_statement_bytes
            ),
        );
        return fail(entry, vec![f]);
    }
    let env = match Envelope::decode(bytes, limits.max_depth) {
        Ok(e) => e,
        Err(e) => {
            let rule = match e {
                EnvelopeError::Algorithm { .. } => Rule::EnvelopeAlgorithm,
                _ => Rule::EnvelopeMalformed,
            };
            let f = deny(
                rule,
                d,
                "envelope",
                format!("{e}; re-sign the statement with `hwprov sign`"),
            );
            return fail(entry, vec![f]);
        }
    };
    entry.signers = env.signatures.iter().map(|s| s.kid).collect();

    // 2. Signatures: each kid must be a policy key and each signature must
    //    verify strictly over its Sig_structure.
    let mut findings = Vec::new();
    let mut keys = Vec::with_capacity(env.signatures.len());
    for s in &env.signatures {
        match policy.keys.get(&s.kid) {
            None => findings.push(deny(
                Rule::KeyUnknown,
                d,
                format!("key {}", s.kid),
                "the signing key is not in the policy's [[keys]]; add it (with its entity and roles) if it is trusted",
            )),
            Some(k) => {
                if env.verify(s, &k.key).is_err() {
                    findings.push(deny(
                        Rule::SignatureInvalid,
                        d,
                        format!("signature by key {} ({})", s.kid, k.entity),
                        "the signature does not verify: the statement was altered or signed with another key",
                    ));
                } else {
                    keys.push((s.kid, k));
                }
            }
        }
    }

    // 3. The payload: deterministic CBOR and the statement schema (SPEC 3).
    let statement = match Statement::decode(&env.payload, limits.max_depth) {
        Ok(s) => s,
        Err(e) => {
            let rule = match e {
                StatementError::NonCanonical => Rule::StatementNoncanonical,
                StatementError::DigestUnsupported { .. } => Rule::DigestUnsupported,
                _ => Rule::StatementMalformed,
            };
            findings.push(deny(rule, d, "payload", e.to_string()));
            return fail(entry, findings);
        }
    };
    entry.type_name = Some(statement.type_name());
    entry.issuer = Some(statement.issuer.clone());

    // 4. Key binding: entity = issuer, role, validity window, revocation (SPEC 6).
    let revocation = policy.rules.revocation.unwrap_or(Revocation::All);
    let role = statement.role();
    for (kid, k) in &keys {
        let subject = format!("key {kid} ({})", k.entity);
        if k.entity != statement.issuer {
            findings.push(deny(
                Rule::KeyIssuer,
                d,
                subject.clone(),
                format!(
                    "the key belongs to '{}' but the statement's issuer is '{}'",
                    k.entity, statement.issuer
                ),
            ));
        }
        if !k.roles.contains(role) {
            findings.push(deny(
                Rule::KeyRole,
                d,
                subject.clone(),
                format!(
                    "the key's roles ({}) do not include '{role}'",
                    k.roles.iter().cloned().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        let before = k.not_before.is_some_and(|nb| statement.issued < nb);
        let after = k.not_after.is_some_and(|na| statement.issued > na);
        if before || after {
            let window = format!(
                "{} .. {}",
                k.not_before.map_or("-".into(), |t| t.to_string()),
                k.not_after.map_or("-".into(), |t| t.to_string())
            );
            findings.push(deny(
                Rule::KeyExpired,
                d,
                subject.clone(),
                format!(
                    "issued {} is outside the key's validity window {window}",
                    statement.issued
                ),
            ));
        }
        if let Some(r) = k.revoked_at {
            let revoked = match revocation {
                Revocation::All => true,
                Revocation::FromTime => statement.issued >= r,
            };
            if revoked {
                findings.push(deny(
                    Rule::KeyRevoked,
                    d,
                    subject,
                    format!("the key was revoked at {r}; statements it signed are not accepted"),
                ));
            }
        }
    }

    // 5. Vendor binding (SPEC 3): the vendor a device or firmware statement
    //    names is a policy entity, and the issuer is it or signs for it. A
    //    firmware key of one vendor publishes nothing for another.
    let vendor = match &statement.body {
        Body::Device(dev) => Some(&dev.product.vendor),
        Body::Firmware(fw) => Some(&fw.target.vendor),
        _ => None,
    };
    if let Some(vendor) = vendor
        && !policy.may_sign_for(&statement.issuer, vendor)
    {
        let why = if policy.entities.contains_key(vendor) {
            format!(
                "the statement names vendor '{vendor}', but its issuer '{}' is not that vendor and does not sign for it; a statement about a vendor's equipment counts only from the vendor (or an entity whose signs_for lists it)",
                statement.issuer
            )
        } else {
            format!(
                "the statement names vendor '{vendor}', which is not an entity of the policy; vendors must be declared in [[entities]]"
            )
        };
        findings.push(deny(
            Rule::VendorUnauthorised,
            d,
            format!("vendor '{vendor}'"),
            why,
        ));
    }

    // 6. Statement times.
    if let Some(e) = statement.expires
        && at >= e
    {
        findings.push(deny(
            Rule::StatementExpired,
            d,
            "expires",
            format!("the statement expired at {e} (evaluation time {at}); ask the issuer for a fresh one"),
        ));
    }
    if statement.issued > at.plus(FUTURE_SKEW_SECS) {
        findings.push(deny(
            Rule::StatementFuture,
            d,
            "issued",
            format!(
                "issued {} is more than {FUTURE_SKEW_SECS} s after the evaluation time {at}; check clocks or --at",
                statement.issued
            ),
        ));
    }

    if !findings.is_empty() {
        return fail(entry, findings);
    }
    entry.verified = true;
    let signers = keys.iter().map(|(k, _)| *k).collect();
    Checked {
        entry,
        verified: Some(Verified {
            digest,
            statement,
            signers,
        }),
        findings,
    }
}

/// Verified evidence of one bundle, indexed by digest.
pub struct Evidence {
    /// Verified statements by digest.
    pub verified: HashMap<Sha256, Verified>,
    /// Every digest present in the bundle (verified or not).
    pub present: HashSet<Sha256>,
    /// Bundle order of verified statements.
    pub order: Vec<Sha256>,
    /// Verified firmware releases and evaluations by the image or statement
    /// they are about, in bundle order: lookups per installed image must not
    /// scan the whole bundle (10,000 images times 10,000 statements).
    by_subject: HashMap<Sha256, Vec<Sha256>>,
}

impl Evidence {
    fn add(&mut self, v: Verified) {
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

    fn about<'a>(&'a self, subject: &Sha256) -> impl Iterator<Item = &'a Verified> + 'a {
        self.by_subject
            .get(subject)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .filter_map(|d| self.verified.get(d))
    }

    fn releases_for<'a>(
        &'a self,
        image: &'a Sha256,
    ) -> impl Iterator<Item = (&'a Verified, &'a FirmwareBody)> + 'a {
        self.about(image)
            .filter_map(move |v| match &v.statement.body {
                Body::Firmware(f) if f.image == *image => Some((v, f)),
                _ => None,
            })
    }

    fn evaluations_of(&self, subject: &Sha256, scheme: &str) -> Vec<(&Verified, EvalResult)> {
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
    policy: &'a Policy,
    at: Timestamp,
    unit: Option<Unit>,
    out: Vec<Finding>,
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
            out: Vec::new(),
        }
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
            },
        });
    }

    /// `jurisdiction.control` and `entity.designated` for a statement's issuer.
    fn issuer_checks(&mut self, v: &Verified) {
        let Some(entity) = self.policy.entities.get(&v.statement.issuer) else {
            return;
        };
        let part = match &v.statement.body {
            Body::Stage(s) => Some(s.part.clone()),
            _ => None,
        };
        let mut risky = Vec::new();
        let mut designated = Vec::new();
        for id in &entity.chain {
            if let Some(e) = self.policy.entities.get(id) {
                if self.policy.high_risk.contains(&e.country) {
                    risky.push(format!("{} ({})", e.id, e.country));
                }
                for d in &e.designations {
                    if d.since <= self.at {
                        designated.push(format!("{} on '{}' since {}", e.id, d.list, d.since));
                    }
                }
            }
        }
        if !risky.is_empty() {
            let via = if entity.chain.len() > 1 {
                format!(" (ownership chain {})", entity.chain.join(" -> "))
            } else {
                String::new()
            };
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
    }
}

/// Verifies a bundle's bytes against a policy at a time. Returns an input
/// error only when the bytes are not a bundle; everything else is a finding.
pub fn verify_bundle(
    policy: &Policy,
    bytes: &[u8],
    at: Timestamp,
    limits: &Limits,
) -> Result<Report, BundleError> {
    evaluate(policy, bytes, at, limits, None)
}

/// The verification of SPEC 4-7; with `gate`, the root must be a firmware
/// release and the gate's checks of SPEC 9 are added.
pub(crate) fn evaluate(
    policy: &Policy,
    bytes: &[u8],
    at: Timestamp,
    limits: &Limits,
    gate: Option<&crate::decide::gate::GateInput<'_>>,
) -> Result<Report, BundleError> {
    // SPEC 4: the bundle shape (input error if wrong).
    let parts = bundle::split(bytes, limits)?;

    // SPEC 2, 3, 6: every statement on its own (always-deny rules).
    let mut entries = Vec::with_capacity(parts.len());
    let mut findings = Vec::new();
    let mut ev = Evidence {
        verified: HashMap::with_capacity(parts.len()),
        present: HashSet::with_capacity(parts.len()),
        order: Vec::with_capacity(parts.len()),
        by_subject: HashMap::new(),
    };
    let mut root: Option<(RootEntry, Option<Sha256>)> = None;
    for p in parts {
        let digest = Sha256::of(p);
        if !ev.present.insert(digest) {
            continue; // the same statement twice counts once
        }
        let c = check_statement_with_digest(policy, p, digest, at, limits);
        if root.is_none() {
            root = Some((
                RootEntry {
                    digest,
                    type_name: c.entry.type_name,
                    issuer: c.entry.issuer.clone(),
                },
                c.verified.as_ref().map(|v| v.digest),
            ));
        }
        entries.push(c.entry);
        findings.extend(c.findings);
        if let Some(v) = c.verified {
            ev.add(v);
        }
    }

    let mut class = None;
    let mut unit = None;
    let mut policy_findings = Vec::new();
    if let Some((root_entry, Some(root_digest))) = &root
        && let Some(root_v) = ev.verified.get(root_digest)
    {
        match (&root_v.statement.body, gate) {
            (Body::Device(dev), None) => {
                class = dev.class.clone();
                let (f, sites) = device_rules(policy, &ev, root_v, dev, at, &mut findings);
                policy_findings = f;
                unit = Some(crate::report::UnitFacts {
                    product: dev.product.clone(),
                    class: dev.class.clone(),
                    sites,
                });
            }
            (Body::Firmware(fw), None) => {
                policy_findings = firmware_rules(policy, &ev, root_v, fw, at, None);
            }
            (Body::Firmware(fw), Some(g)) => {
                policy_findings = firmware_rules(
                    policy,
                    &ev,
                    root_v,
                    fw,
                    at,
                    Some(Unit::from(&g.state.device)),
                );
                policy_findings.extend(crate::decide::gate::gate_rules(policy, root_v, fw, g, at));
            }
            (Body::Device(_), Some(_)) => findings.push(deny(
                Rule::StatementMalformed,
                Some(root_entry.digest),
                "bundle root",
                "gate needs a bundle whose root is a firmware release statement, not a device statement",
            )),
            (_, _) => findings.push(deny(
                Rule::StatementMalformed,
                Some(root_entry.digest),
                "bundle root",
                format!(
                    "the root (first statement) is a {} statement; it must be a device or firmware statement",
                    root_v.statement.type_name()
                ),
            )),
        }
    }
    findings.extend(apply_policy_levels(
        policy,
        policy_findings,
        class.as_deref(),
        at,
    ));
    sort_findings(&mut findings, &entries);
    Ok(Report {
        format: REPORT_FORMAT,
        verdict: Verdict::of(&findings),
        at,
        policy: PolicyRef {
            name: policy.name.clone(),
            version: policy.version.clone(),
            sha256: policy.sha256.hex(),
        },
        root: root.map(|r| r.0),
        statements: entries,
        findings,
        unit,
    })
}

/// Orders findings by the bundle position of their statement, keeping the
/// order in which they were found within a statement.
fn sort_findings(findings: &mut [Finding], entries: &[StatementEntry]) {
    let pos: HashMap<Sha256, usize> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| (e.digest, i))
        .collect();
    findings.sort_by_key(|f| {
        f.statement
            .and_then(|d| pos.get(&d).copied())
            .unwrap_or(usize::MAX)
    });
}

fn stage_bit(st: Stage) -> u8 {
    1 << (st as u8)
}

/// The stages of the verified stage statements reachable from `start`
/// through `inputs` (itself included), as bits; `memo` keeps the answer for
/// every statement visited, so each is expanded once per bundle. Iterative:
/// a 10,000-long chain of inputs cannot overflow the stack. (A cycle would
/// need a SHA-256 preimage; it would end the walk, not loop.)
fn reachable_stages(ev: &Evidence, start: Sha256, memo: &mut HashMap<Sha256, u8>) -> u8 {
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

/// Policy rules for a device root (SPEC 7).
fn device_rules(
    policy: &Policy,
    ev: &Evidence,
    root: &Verified,
    dev: &DeviceBody,
    at: Timestamp,
    always: &mut Vec<Finding>,
) -> (Vec<Finding>, Vec<(Stage, crate::wire::country::Country)>) {
    let params = policy.params(dev.class.as_deref());
    let mut r = Rules::new(
        policy,
        at,
        Some(Unit {
            vendor: dev.product.vendor.clone(),
            serial: dev.product.serial.clone(),
        }),
    );
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
        if let Body::Stage(s) = &v.statement.body
            && policy.high_risk.contains(&s.site.country)
        {
            r.add(
                Rule::JurisdictionSite,
                Some(v),
                Some(&s.part),
                format!("{} site '{}' ({})", s.stage, s.site.name, s.site.country),
                format!(
                    "part {} lot {} went through its {} step in a high-risk jurisdiction; a clean earlier or later stage does not clear it",
                    s.part, s.lot, s.stage
                ),
            );
        }
    }
    // Issuers: control jurisdiction and designations of everyone whose
    // statement the verdict rests on.
    for v in &used {
        r.issuer_checks(v);
    }
    (r.into_findings(), sites)
}

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
fn firmware_common<'a>(
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
    let mut used = Vec::new();
    for scheme in &params.firmware_evaluations {
        let evals = ev.evaluations_of(image, scheme);
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
                format!("no verified passing '{scheme}' evaluation of image {image}; the policy requires one"),
            );
        }
    }
    used
}

/// Policy rules for a firmware root (used by `verify` and `gate`): the root
/// is the release judged, with its own signatures and properties.
pub(crate) fn firmware_rules(
    policy: &Policy,
    ev: &Evidence,
    root: &Verified,
    fw: &FirmwareBody,
    at: Timestamp,
    unit: Option<Unit>,
) -> Vec<Finding> {
    let params = policy.params(None);
    let mut r = Rules::new(policy, at, unit);
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
        r.issuer_checks(v);
    }
    r.into_findings()
}

/// Applies `[rules]`/class levels and waivers to policy-rule findings.
pub(crate) fn apply_policy_levels(
    policy: &Policy,
    raw: Vec<Finding>,
    class: Option<&str>,
    at: Timestamp,
) -> Vec<Finding> {
    let mut out = Vec::with_capacity(raw.len());
    for mut f in raw {
        match policy.level(f.rule, class) {
            Level::Off => continue,
            Level::Deny => f.severity = Severity::Deny,
            Level::Warn => f.severity = Severity::Warn,
        }
        let matching: Vec<&crate::policy::Waiver> = policy
            .waivers
            .iter()
            .filter(|w| {
                w.rule == f.rule
                    && w.entity
                        .as_ref()
                        .is_none_or(|e| f.entity.as_ref() == Some(e))
                    && w.part
                        .as_ref()
                        .is_none_or(|p| f.context.part.as_ref() == Some(p))
                    && w.vendor
                        .as_ref()
                        .is_none_or(|v| f.context.vendor.as_ref() == Some(v))
                    && w.serial
                        .as_ref()
                        .is_none_or(|s| f.context.serial.as_ref() == Some(s))
                    && w.statement.is_none_or(|s| f.statement == Some(s))
            })
            .collect();
        let live = matching
            .iter()
            .filter(|w| w.expires > at)
            .max_by_key(|w| w.expires);
        let mut extra = None;
        if let Some(w) = live {
            f.severity = Severity::Waived;
            f.message = format!("{} [waived until {}: {}]", f.message, w.expires, w.reason);
            if w.expires.0 - at.0 <= WAIVER_NOTICE_SECS {
                extra = Some(Finding {
                    rule: Rule::WaiverExpiring,
                    severity: Severity::Info,
                    statement: f.statement,
                    subject: format!("waiver for {} (policy line {})", w.rule, w.line),
                    message: format!(
                        "the waiver expires at {} ({} days after the evaluation time); after that the finding is {} again",
                        w.expires,
                        (w.expires.0 - at.0) / 86_400,
                        policy.level(f.rule, class).as_str()
                    ),
                    entity: f.entity.clone(),
                    context: f.context.clone(),
                });
            }
        } else if let Some(w) = matching.iter().max_by_key(|w| w.expires) {
            let level = policy.level(Rule::WaiverExpired, class);
            if level != Level::Off {
                extra = Some(Finding {
                    rule: Rule::WaiverExpired,
                    severity: if level == Level::Deny {
                        Severity::Deny
                    } else {
                        Severity::Warn
                    },
                    statement: f.statement,
                    subject: format!("waiver for {} (policy line {})", w.rule, w.line),
                    message: format!(
                        "the waiver expired at {} ({}); the finding stands: fix the cause or renew the waiver with a new date",
                        w.expires, w.reason
                    ),
                    entity: f.entity.clone(),
                    context: f.context.clone(),
                });
            }
        }
        out.push(f);
        out.extend(extra);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::statement::{Site, StageBody};

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
        };
        // atp(1) -> fab(2) -> design(3) -> atp(1), and 4 cites itself.
        for (n, st, inputs) in [
            (1, Stage::Atp, vec![d(2)]),
            (2, Stage::Fab, vec![d(3)]),
            (3, Stage::Design, vec![d(1)]),
            (4, Stage::Integration, vec![d(4)]),
        ] {
            ev.present.insert(d(n));
            ev.add(Verified {
                digest: d(n),
                statement: stage(st, inputs),
                signers: BTreeSet::new(),
            });
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
                ev.add(Verified {
                    digest: d(i),
                    statement: stage(Stage::ALL[*st as usize], inputs),
                    signers: BTreeSet::new(),
                });
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

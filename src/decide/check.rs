//! Each statement on its own (SPEC sections 2, 3 and 6.11): envelope,
//! signatures, payload, key binding, vendor binding and times. Every
//! finding here is always-deny.

use crate::limits::{Budget, Limits};
use crate::policy::rules::Rule;
use crate::policy::{KeyEntry, Policy, Revocation};
use crate::report::{Context, Finding, Severity, StatementEntry};
use crate::wire::digest::Sha256;
use crate::wire::envelope::{Envelope, EnvelopeError};
use crate::wire::keys::{KeyId, SignaturePoint};
use crate::wire::safe::{self, Signed};
use crate::wire::statement::{Body, Statement, StatementError};
use crate::wire::time::Timestamp;
use std::collections::BTreeSet;
use std::sync::Arc;

/// How far in the future `issued` may be (SPEC section 7, `statement.future`).
pub const FUTURE_SKEW_SECS: u64 = 300;

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
    pub verified: Option<Arc<Verified>>,
    /// The S.A.F.E. report, when the element is one and it verified.
    pub report: Option<Arc<VerifiedReport>>,
    /// What a tlog-proof element shows, when the element is one.
    pub proof: Option<Arc<crate::decide::transparency::ProofOutcome>>,
    /// Always-deny findings.
    pub findings: Vec<Finding>,
}

impl Checked {
    /// An element that did not verify, with the findings that say why.
    pub(crate) fn failed(entry: StatementEntry, findings: Vec<Finding>) -> Checked {
        Checked {
            entry,
            verified: None,
            report: None,
            proof: None,
            findings,
        }
    }
}

pub(crate) fn deny(
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
    let mut budget = Budget::new(limits.max_signature_checks);
    check_statement_with_digest(policy, bytes, Sha256::of(bytes), at, limits, &mut budget)
}

pub(crate) fn check_statement_with_digest(
    policy: &Policy,
    bytes: &[u8],
    digest: Sha256,
    at: Timestamp,
    limits: &Limits,
    budget: &mut Budget,
) -> Checked {
    match prepare_statement(policy, bytes, digest, at, limits, budget) {
        Prepared::Done(c) => c,
        Prepared::Pending(p) => {
            let verdicts = SignaturePoint::match_all(&p.points().collect::<Vec<_>>());
            finish_statement(policy, p, &verdicts, at, limits)
        }
    }
}

/// One signature of a statement as step 2 found it, in envelope order:
/// its `kid`, the policy key it names (`None`: not a policy key), and its
/// check up to the last step (`None`: not a policy key, or refused before
/// that step: wrong length, non-canonical `S`, small-order `R`).
struct SigStep<'p> {
    kid: KeyId,
    key: Option<&'p KeyEntry>,
    point: Option<SignaturePoint>,
}

/// A statement checked up to the comparison of its signatures' points
/// with their `R`s (see [`prepare_statement`]).
pub(crate) struct Pending<'p> {
    digest: Sha256,
    entry: StatementEntry,
    env: Envelope,
    sigs: Vec<SigStep<'p>>,
}

impl Pending<'_> {
    /// The points still to compare, in order: [`finish_statement`] takes
    /// one verdict for each.
    pub(crate) fn points(&self) -> impl Iterator<Item = SignaturePoint> + '_ {
        points_of(&self.sigs)
    }
}

fn points_of<'a>(sigs: &'a [SigStep<'_>]) -> impl Iterator<Item = SignaturePoint> + 'a {
    sigs.iter().filter_map(|s| s.point)
}

/// What [`prepare_statement`] leaves: a finished check, or one waiting for
/// its signatures' verdicts.
pub(crate) enum Prepared<'p> {
    Done(Checked),
    Pending(Pending<'p>),
}

/// Step 2's findings and the keys whose signatures verified, in envelope
/// order, from the verdicts of the points ([`Pending::points`] order).
fn signature_findings<'p>(
    sigs: &[SigStep<'p>],
    verdicts: &[bool],
    d: Option<Sha256>,
) -> (Vec<Finding>, Vec<(KeyId, &'p KeyEntry)>) {
    let mut findings = Vec::new();
    let mut keys = Vec::with_capacity(sigs.len());
    let mut verdicts = verdicts.iter();
    for s in sigs {
        let Some(key) = s.key else {
            findings.push(deny(
                Rule::KeyUnknown,
                d,
                format!("key {}", s.kid),
                "the signing key is not in the policy's [[keys]]; add it (with its entity and roles) if it is trusted",
            ));
            continue;
        };
        let good = s.point.is_some() && verdicts.next().copied().unwrap_or(false);
        if good {
            keys.push((s.kid, key));
        } else {
            findings.push(deny(
                Rule::SignatureInvalid,
                d,
                format!("signature by key {} ({})", s.kid, key.entity),
                "the signature does not verify: the statement was altered or signed with another key",
            ));
        }
    }
    (findings, keys)
}

/// [`check_statement_with_digest`] up to the last step of its signature
/// checks, so that the points of several statements' signatures can be
/// compared with their `R`s at once ([`SignaturePoint::match_all`]) before
/// [`finish_statement`] does the rest. Spends `budget` as the whole check
/// does.
pub(crate) fn prepare_statement<'p>(
    policy: &'p Policy,
    bytes: &[u8],
    digest: Sha256,
    at: Timestamp,
    limits: &Limits,
    budget: &mut Budget,
) -> Prepared<'p> {
    let mut entry = StatementEntry {
        digest,
        type_name: None,
        issuer: None,
        signers: Vec::new(),
        verified: false,
    };
    let d = Some(digest);
    let fail = Checked::failed;
    // Outside evidence (SPEC 4): a JWS report is told by its first bytes.
    if safe::is_jws(bytes) {
        return Prepared::Done(check_report(policy, bytes, digest, at, limits, budget));
    }
    // ... and a C2SP tlog-proof by its first line.
    if crate::wire::tlog::proof::TlogProof::is_proof(bytes) {
        return Prepared::Done(check_proof(policy, bytes, digest, budget));
    }

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
        return Prepared::Done(fail(entry, vec![f]));
    }
    let env = match Envelope::decode(bytes, limits.max_depth) {
        Ok(e) => e,
        // A signed CoRIM is a COSE message outside hwprov's profile: it is
        // only looked for once the element failed to decode as a statement.
        Err(_) if safe::is_corim(bytes, limits) => {
            return Prepared::Done(check_report(policy, bytes, digest, at, limits, budget));
        }
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
            return Prepared::Done(fail(entry, vec![f]));
        }
    };
    entry.signers = env.signatures.iter().map(|s| s.kid).collect();

    // 2. Signatures: each kid must be a policy key and each signature must
    //    verify strictly over its Sig_structure.
    let mut sigs = Vec::with_capacity(env.signatures.len());
    for s in &env.signatures {
        match policy.keys.get(&s.kid) {
            None => sigs.push(SigStep {
                kid: s.kid,
                key: None,
                point: None,
            }),
            Some(_) if !budget.spend() => {
                // Out of signature checks: the caller refuses the bundle.
                let verdicts = SignaturePoint::match_all(&points_of(&sigs).collect::<Vec<_>>());
                let (findings, _) = signature_findings(&sigs, &verdicts, d);
                return Prepared::Done(fail(entry, findings));
            }
            Some(k) => sigs.push(SigStep {
                kid: s.kid,
                key: Some(k),
                point: env.signature_point(s, k.prepared()).ok(),
            }),
        }
    }
    Prepared::Pending(Pending {
        digest,
        entry,
        env,
        sigs,
    })
}

/// The rest of [`check_statement_with_digest`] after
/// [`prepare_statement`]: `verdicts` holds [`SignaturePoint::matches`] of
/// each of [`Pending::points`], in order.
pub(crate) fn finish_statement(
    policy: &Policy,
    pending: Pending<'_>,
    verdicts: &[bool],
    at: Timestamp,
    limits: &Limits,
) -> Checked {
    let Pending {
        digest,
        mut entry,
        env,
        sigs,
    } = pending;
    let d = Some(digest);
    let fail = Checked::failed;
    let (mut findings, keys) = signature_findings(&sigs, verdicts, d);

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
        let subject = || format!("key {kid} ({})", k.entity);
        if k.entity != statement.issuer {
            findings.push(deny(
                Rule::KeyIssuer,
                d,
                subject(),
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
                subject(),
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
                subject(),
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
                    subject(),
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
        verified: Some(Arc::new(Verified {
            digest,
            statement,
            signers,
        })),
        report: None,
        proof: None,
        findings,
    }
}

// OCP S.A.F.E. reports (SPEC section 11), checked on their own like the
// statements they sit beside.

/// The `type` reports show in a verification report's statement list.
pub const REPORT_TYPE: &str = "ocp-safe-report";

/// What one ECDSA check costs in the bundle's signature budget: checking a
/// P-521-signed report takes as long as 17 to 18 Ed25519 `verify_strict`
/// calls (`cargo bench --bench verify`, same run), rounded up, so a bundle
/// of reports cannot cost more time than a bundle of statements.
pub const ECDSA_CHECK_WEIGHT: u64 = 20;

/// A report that verified under an evidence key of the policy.
#[derive(Debug)]
pub struct VerifiedReport {
    /// SHA-256 of the report's exact bytes (as a bundle element).
    pub digest: Sha256,
    /// The entity owning the key that verified it: the provider that counts.
    pub entity: String,
    /// That key's id (SHA-256 of its DER SubjectPublicKeyInfo).
    pub key: Sha256,
    /// The report.
    pub signed: Signed,
}

/// Checks one bundle element that is a S.A.F.E. report: every finding is
/// always-deny (`evidence.malformed`, `key.expired`, `key.revoked`,
/// `statement.future`).
pub(crate) fn check_report(
    policy: &Policy,
    bytes: &[u8],
    digest: Sha256,
    at: Timestamp,
    limits: &Limits,
    budget: &mut Budget,
) -> Checked {
    let mut entry = StatementEntry {
        digest,
        type_name: Some(REPORT_TYPE),
        issuer: None,
        signers: Vec::new(),
        verified: false,
    };
    let d = Some(digest);
    let fail = Checked::failed;
    let signed = match safe::parse(bytes, limits) {
        Ok(s) => s,
        Err(e) => {
            let f = deny(
                Rule::EvidenceMalformed,
                d,
                "S.A.F.E. report",
                format!("{e}; hwprov inspect shows the report as read"),
            );
            return fail(entry, vec![f]);
        }
    };
    // The kid is free text: every evaluation key of the report's curve is
    // tried, in policy order, each try paid for.
    let curve = signed.curve();
    let mut tried = 0usize;
    let mut found = None;
    for k in policy
        .evidence_keys
        .iter()
        .filter(|k| Some(k.key.curve()) == curve)
    {
        if !budget.spend_n(ECDSA_CHECK_WEIGHT) {
            return fail(entry, Vec::new());
        }
        tried += 1;
        if signed.verified_by(&k.key) {
            found = Some(k);
            break;
        }
    }
    let Some(k) = found else {
        let f = deny(
            Rule::EvidenceMalformed,
            d,
            format!("S.A.F.E. report by '{}'", signed.report.provider),
            format!(
                "no evaluation key of the policy verifies the report ({tried} {} key(s) tried): it was altered, or its provider's key is not in [[keys]]",
                curve.map_or("matching".to_owned(), |c| c.to_string())
            ),
        );
        return fail(entry, vec![f]);
    };
    entry.issuer = Some(k.entity.clone());
    entry.signers = vec![KeyId(k.key.id().0)];
    // A report without a completion date verifies but counts for nothing
    // (see `judge`); the key window and the clock are judged on the date.
    let completion = signed.report.completion.unwrap_or(Timestamp(0));
    let dated = signed.report.completion.is_some();
    let subject = format!("key {} ({})", k.key.id().hex(), k.entity);
    let mut findings = Vec::new();
    let before = dated && k.not_before.is_some_and(|nb| completion < nb);
    let after = dated && k.not_after.is_some_and(|na| completion > na);
    if before || after {
        findings.push(deny(
            Rule::KeyExpired,
            d,
            subject.clone(),
            format!(
                "the report completed {completion}, outside the key's validity window {} .. {}",
                k.not_before.map_or("-".into(), |t| t.to_string()),
                k.not_after.map_or("-".into(), |t| t.to_string())
            ),
        ));
    }
    if let Some(r) = k.revoked_at {
        let revoked = match policy.rules.revocation.unwrap_or(Revocation::All) {
            Revocation::All => true,
            Revocation::FromTime => !dated || completion >= r,
        };
        if revoked {
            findings.push(deny(
                Rule::KeyRevoked,
                d,
                subject,
                format!("the key was revoked at {r}; reports it signed are not accepted"),
            ));
        }
    }
    if completion > at.plus(FUTURE_SKEW_SECS) {
        findings.push(deny(
            Rule::StatementFuture,
            d,
            "completion date",
            format!(
                "the review completed {completion}, after the evaluation time {at}; check --at"
            ),
        ));
    }
    if !findings.is_empty() {
        return fail(entry, findings);
    }
    entry.verified = true;
    Checked {
        entry,
        verified: None,
        report: Some(Arc::new(VerifiedReport {
            digest,
            entity: k.entity.clone(),
            key: k.key.id(),
            signed,
        })),
        proof: None,
        findings,
    }
}

/// Checks one bundle element that is a tlog-proof. A malformed proof is an
/// `evidence.malformed` finding; one that the policy does not accept (or a
/// policy without `[transparency]`) verifies nothing and says why.
pub(crate) fn check_proof(
    policy: &Policy,
    bytes: &[u8],
    digest: Sha256,
    budget: &mut Budget,
) -> Checked {
    let mut entry = StatementEntry {
        digest,
        type_name: Some(crate::decide::transparency::PROOF_TYPE),
        issuer: None,
        signers: Vec::new(),
        verified: false,
    };
    let proof = match crate::wire::tlog::proof::TlogProof::parse(bytes) {
        Ok(p) => p,
        Err(e) => {
            let f = deny(
                Rule::EvidenceMalformed,
                Some(digest),
                "tlog-proof",
                format!("{e}; hwprov log prove --format tlog-proof writes a well-formed one"),
            );
            return Checked::failed(entry, vec![f]);
        }
    };
    let outcome = crate::decide::transparency::judge(policy, &proof, budget);
    if let crate::decide::transparency::ProofOutcome::Published { origin, .. } = &outcome {
        entry.issuer = Some(origin.clone());
        entry.verified = true;
    }
    let mut c = Checked::failed(entry, Vec::new());
    c.proof = Some(Arc::new(outcome));
    c
}

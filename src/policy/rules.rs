//! Rule ids of SPEC section 7 and their default severities.

use std::fmt;

macro_rules! rules {
    ($( $(#[$doc:meta])* $var:ident = $id:literal, $kind:ident; )*) => {
        /// A rule id.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Rule { $( $(#[$doc])* $var, )* }

        impl Rule {
            /// Every rule, in SPEC order.
            pub const ALL: &'static [Rule] = &[$(Rule::$var),*];

            /// The rule id as written in reports and policies.
            pub fn as_str(self) -> &'static str {
                match self { $(Rule::$var => $id,)* }
            }

            /// What kind of rule this is.
            pub fn kind(self) -> RuleKind {
                match self { $(Rule::$var => RuleKind::$kind,)* }
            }
        }
    };
}

/// How a rule's severity is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    /// Always `deny`, not configurable, never waived.
    AlwaysDeny,
    /// A policy rule whose default is `deny`.
    PolicyDeny,
    /// A policy rule whose default is `warn`.
    PolicyWarn,
    /// Informational, not configurable.
    Info,
}

rules! {
    /// The envelope is not a COSE message of the profile.
    EnvelopeMalformed = "envelope.malformed", AlwaysDeny;
    /// The algorithm is not EdDSA.
    EnvelopeAlgorithm = "envelope.algorithm", AlwaysDeny;
    /// A signature does not verify.
    SignatureInvalid = "signature.invalid", AlwaysDeny;
    /// The kid is not a key of the policy.
    KeyUnknown = "key.unknown", AlwaysDeny;
    /// The key belongs to another entity than the issuer.
    KeyIssuer = "key.issuer", AlwaysDeny;
    /// The key lacks the statement's role.
    KeyRole = "key.role", AlwaysDeny;
    /// The statement was issued outside the key's validity window.
    KeyExpired = "key.expired", AlwaysDeny;
    /// The key is revoked.
    KeyRevoked = "key.revoked", AlwaysDeny;
    /// The payload breaks the schema.
    StatementMalformed = "statement.malformed", AlwaysDeny;
    /// The payload is not deterministic CBOR.
    StatementNoncanonical = "statement.noncanonical", AlwaysDeny;
    /// The statement has expired.
    StatementExpired = "statement.expired", AlwaysDeny;
    /// The statement is issued in the future.
    StatementFuture = "statement.future", AlwaysDeny;
    /// A digest uses an unsupported algorithm.
    DigestUnsupported = "digest.unsupported", AlwaysDeny;
    /// A referenced statement is not in the bundle.
    ReferenceMissing = "reference.missing", AlwaysDeny;
    /// The issuer may not speak for the vendor the statement names.
    VendorUnauthorised = "vendor.unauthorised", AlwaysDeny;
    /// Outside evidence (a S.A.F.E. report) does not parse or verify.
    EvidenceMalformed = "evidence.malformed", AlwaysDeny;
    /// A stage site is in a high-risk country.
    JurisdictionSite = "jurisdiction.site", PolicyDeny;
    /// An issuer is controlled from a high-risk country.
    JurisdictionControl = "jurisdiction.control", PolicyDeny;
    /// An issuer or its ancestor is designated.
    EntityDesignated = "entity.designated", PolicyDeny;
    /// An allow list applies and the issuer holds no approval on it.
    EntityUnapproved = "entity.unapproved", PolicyDeny;
    /// An issuer or its owner does not disclose its ownership.
    EntityOpaque = "entity.opaque", PolicyWarn;
    /// A required stage is missing from a component's provenance.
    ProvenanceIncomplete = "provenance.incomplete", PolicyDeny;
    /// A provenance statement names another part or lot.
    ProvenanceMismatch = "provenance.mismatch", PolicyDeny;
    /// The device suggests another class than the operator deploys it in.
    ClassMismatch = "class.mismatch", PolicyWarn;
    /// An installed image has no verified release.
    FirmwareUnsigned = "firmware.unsigned", PolicyDeny;
    /// The release is for other hardware.
    FirmwareTarget = "firmware.target", PolicyDeny;
    /// Too few distinct authorised firmware keys.
    FirmwareThreshold = "firmware.threshold", PolicyDeny;
    /// A required evaluation is missing or failed.
    FirmwareUnevaluated = "firmware.unevaluated", PolicyDeny;
    /// The release has no proof that it was published to a log the
    /// `[transparency]` tlog-policy accepts.
    FirmwareUntransparent = "firmware.untransparent", PolicyDeny;
    /// (gate) The release's svn is below the installed svn.
    FirmwareRollback = "firmware.rollback", PolicyDeny;
    /// (gate) The image bytes do not match the release.
    FirmwareImage = "firmware.image", PolicyDeny;
    /// (vet) A vendor group's or the high-risk share of a class is over its cap.
    FleetConcentration = "fleet.concentration", PolicyWarn;
    /// (vet) A class has fewer vendor groups than `min_vendors`.
    FleetDiversity = "fleet.diversity", PolicyWarn;
    /// (vet) Two units claim one vendor+model+serial.
    FleetDuplicateSerial = "fleet.duplicate-serial", PolicyDeny;
    /// A unit a phase-out plan covers entered service after its cut-off (or when is not known).
    PhaseoutNewUnit = "phaseout.new-unit", PolicyDeny;
    /// A legacy unit is still in service after its plan's deadline.
    PhaseoutOverdue = "phaseout.overdue", PolicyDeny;
    /// A legacy unit's plan deadline is within 90 days.
    PhaseoutExpiring = "phaseout.expiring", Info;
    /// A waiver matched a finding but has expired.
    WaiverExpired = "waiver.expired", PolicyWarn;
    /// A live waiver expires within 90 days (hwprov addition, info only).
    WaiverExpiring = "waiver.expiring", Info;
}

impl Rule {
    /// Parses a rule id.
    pub fn parse(s: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|r| r.as_str() == s)
    }

    /// Whether `[rules]` may set this rule's severity and waivers may name it.
    pub fn is_configurable(self) -> bool {
        matches!(self.kind(), RuleKind::PolicyDeny | RuleKind::PolicyWarn)
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A configured level for a policy rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Fail the verdict.
    Deny,
    /// Warn.
    Warn,
    /// Do not evaluate.
    Off,
}

impl Level {
    /// The stricter of two levels (deny > warn > off): zones only tighten.
    pub fn strictest(self, other: Level) -> Level {
        let rank = |l: Level| match l {
            Level::Off => 0,
            Level::Warn => 1,
            Level::Deny => 2,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }

    /// Parses `deny`, `warn` or `off`.
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "deny" => Some(Level::Deny),
            "warn" => Some(Level::Warn),
            "off" => Some(Level::Off),
            _ => None,
        }
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Deny => "deny",
            Level::Warn => "warn",
            Level::Off => "off",
        }
    }
}

impl Rule {
    /// The default level of SPEC section 7.
    pub fn default_level(self) -> Level {
        match self.kind() {
            RuleKind::PolicyWarn | RuleKind::Info => Level::Warn,
            _ => Level::Deny,
        }
    }
}

impl Rule {
    /// One sentence: what the rule catches.
    pub fn description(self) -> &'static str {
        match self {
            Rule::EnvelopeMalformed => {
                "The statement is not a tagged COSE_Sign1 or COSE_Sign of hwprov's profile (crit header, unknown or unprotected header, detached payload, wrong content type, non-shortest CBOR, over the size limit)."
            }
            Rule::EnvelopeAlgorithm => {
                "The statement is signed with an algorithm other than EdDSA (-8)."
            }
            Rule::SignatureInvalid => {
                "A signature does not verify under strict Ed25519 rules: the statement was altered or signed with another key."
            }
            Rule::KeyUnknown => "A signature's key id is not one of the policy's keys.",
            Rule::KeyIssuer => {
                "The signing key belongs to another entity than the statement's issuer."
            }
            Rule::KeyRole => "The signing key is not authorised for the statement's role.",
            Rule::KeyExpired => {
                "The statement was issued outside the signing key's validity window."
            }
            Rule::KeyRevoked => "The signing key is revoked.",
            Rule::StatementMalformed => {
                "The payload breaks the statement schema: a missing, unknown or ill-typed field, an unassigned country code, or a root that is not a device or firmware statement."
            }
            Rule::StatementNoncanonical => {
                "The payload is not in core deterministic CBOR encoding (key order, shortest integers, duplicate keys)."
            }
            Rule::StatementExpired => "The statement expired at or before the evaluation time.",
            Rule::StatementFuture => {
                "The statement is issued more than 300 seconds after the evaluation time."
            }
            Rule::DigestUnsupported => "A digest uses another algorithm than SHA-256 (-16).",
            Rule::ReferenceMissing => {
                "A statement cited by digest (provenance or inputs) is not in the bundle."
            }
            Rule::EvidenceMalformed => {
                "Outside evidence in the bundle (an OCP S.A.F.E. report) does not parse, or no evaluation key of the policy verifies its signature."
            }
            Rule::VendorUnauthorised => {
                "A device or firmware statement names a vendor that is not a policy entity, or one its issuer may not sign for (the issuer must be the vendor or list it in signs_for)."
            }
            Rule::JurisdictionSite => {
                "A supply-chain step (design, fab, atp, integration) took place at a site in a high-risk jurisdiction."
            }
            Rule::JurisdictionControl => {
                "An issuer, or an owner along its parent chain, is incorporated in a high-risk jurisdiction."
            }
            Rule::EntityDesignated => {
                "An issuer, or an owner along its parent chain, is on a designation list in force at the evaluation time."
            }
            Rule::EntityOpaque => {
                "An issuer, or an owner along its chain, has ownership = \"undisclosed\": who controls it is not known."
            }
            Rule::EntityUnapproved => {
                "An allow list ([[lists]] kind = \"allow\") applies to the statement's role and the unit's class, and the issuer itself holds no approval on it in force at the evaluation time."
            }
            Rule::ProvenanceIncomplete => {
                "A component's provenance does not reach a verified statement of every required stage."
            }
            Rule::ProvenanceMismatch => {
                "A component's provenance statement names another part or lot than the component."
            }
            Rule::ClassMismatch => {
                "The device statement suggests a class other than the one the operator's deployment facts give the unit; the operator's class selects the rules."
            }
            Rule::FirmwareUnsigned => {
                "An installed firmware image has no verified release statement."
            }
            Rule::FirmwareTarget => {
                "The firmware release is for another vendor, model or component."
            }
            Rule::FirmwareThreshold => {
                "Fewer distinct authorised firmware keys signed the release than the policy requires."
            }
            Rule::FirmwareUnevaluated => {
                "A required evaluation scheme has no verified passing evaluation of the image, or one failed."
            }
            Rule::FirmwareUntransparent => {
                "The policy's [transparency] section requires every firmware release a decision relies on to be published, and the bundle holds no tlog-proof, by a log its tlog-policy lists and cosigned by its witness quorum, of an entry publishing this release statement."
            }
            Rule::FirmwareRollback => {
                "The release's security version number is below the installed one."
            }
            Rule::FirmwareImage => "The image bytes do not match the release's digest or size.",
            Rule::FleetConcentration => {
                "One vendor group's share of a class, or the class's share of high-risk units (on the policy's high_risk_basis), is over the cap in force."
            }
            Rule::FleetDiversity => {
                "A class has fewer vendor groups than min_vendors: the operator depends on too few suppliers."
            }
            Rule::FleetDuplicateSerial => {
                "Two units claim the same vendor, model and serial (clones or replays)."
            }
            Rule::PhaseoutNewUnit => {
                "A unit of a vendor under a phase-out plan entered service on or after the plan's installed_before date, or the deployment file gives no date: only legacy units may stay until the deadline."
            }
            Rule::PhaseoutOverdue => {
                "A legacy unit of a phase-out plan is still in service at or after the plan's deadline; its vendor findings are no longer waived."
            }
            Rule::PhaseoutExpiring => {
                "A legacy unit's phase-out deadline is less than 90 days away; until then its vendor findings are waived."
            }
            Rule::WaiverExpired => {
                "A waiver matched a finding but has expired; the finding stands."
            }
            Rule::WaiverExpiring => "A live waiver expires within 90 days of the evaluation time.",
        }
    }

    /// What to do about a finding of this rule.
    pub fn help(self) -> &'static str {
        match self {
            Rule::EnvelopeMalformed | Rule::EnvelopeAlgorithm | Rule::StatementNoncanonical => {
                "Ask the issuer to re-sign the statement with `hwprov sign` (or a tool that follows SPEC section 2 and 3)."
            }
            Rule::SignatureInvalid => {
                "Obtain an untampered copy from the issuer; if it still fails, the statement was not signed by the key it names."
            }
            Rule::KeyUnknown => {
                "If the key is trusted, add it to [[keys]] with its entity and roles; otherwise reject the statement."
            }
            Rule::KeyIssuer => {
                "Statements must be signed by a key of their issuer: fix the issuer field or the key's entity in the policy."
            }
            Rule::KeyRole => {
                "Give the key the role in [[keys]] if that is intended, or have the statement signed by a key that holds the role."
            }
            Rule::KeyExpired => {
                "Ask the issuer to re-sign with a current key, or correct not_before/not_after in the policy."
            }
            Rule::KeyRevoked => "Ask the issuer to re-sign with a key that is not revoked.",
            Rule::StatementMalformed | Rule::DigestUnsupported => {
                "Ask the issuer for a statement that follows SPEC section 3 (see schemas/statements.cddl)."
            }
            Rule::StatementExpired => "Ask the issuer for a fresh statement.",
            Rule::StatementFuture => "Check the issuer's clock and the --at time.",
            Rule::ReferenceMissing => {
                "Add the cited statement to the bundle (hwprov bundle ROOT EVIDENCE...)."
            }
            Rule::EvidenceMalformed => {
                "Take the report as its provider published it (hwprov inspect REPORT shows what is wrong); if its provider is trusted, add the provider's ECDSA key to [[keys]] with roles = [\"evaluation\"]."
            }
            Rule::VendorUnauthorised => {
                "Accept the statement only from the vendor itself; if another entity (an OEM, a firmware publisher) legitimately signs for it, list the vendor in that entity's signs_for."
            }
            Rule::JurisdictionSite => {
                "Source the step from a site outside the high-risk jurisdictions, or waive it with an expiry and a reason ([[waivers]] rule/entity/part)."
            }
            Rule::JurisdictionControl => {
                "Source from a supplier not controlled from a high-risk jurisdiction, or waive it with an expiry and a reason."
            }
            Rule::EntityDesignated => {
                "Do not accept equipment from designated entities; a waiver needs an expiry and a documented legal basis."
            }
            Rule::EntityOpaque => {
                "Ask the supplier to disclose its ultimate owners and record them (parent or parents); until then treat it as a supplier of unknown control."
            }
            Rule::EntityUnapproved => {
                "Source from an approved supplier, or record the supplier's approval (approvals = [ { list = ..., since = ... } ] on its entity) once the scheme grants it."
            }
            Rule::ProvenanceIncomplete => {
                "Obtain the missing stage statements from the supplier and add them to the bundle, or change required_stages."
            }
            Rule::ProvenanceMismatch => {
                "Ask the vendor to cite the stage statements of this very part and lot."
            }
            Rule::ClassMismatch => {
                "Check where the unit is deployed: correct the deployment file or state if the operator's class is wrong; otherwise the vendor's suggestion is simply overruled (set the rule to off to silence it)."
            }
            Rule::FirmwareUnsigned => {
                "Add the publisher's signed release statement for this image to the bundle, or reinstall a signed image."
            }
            Rule::FirmwareTarget => "Install the release built for this hardware.",
            Rule::FirmwareThreshold => {
                "Have the release signed by more distinct firmware keys (hwprov sign --key K1 --key K2), or change firmware_min_signers."
            }
            Rule::FirmwareUnevaluated => {
                "Obtain a passing evaluation of this exact image from an accredited lab, or do not install it."
            }
            Rule::FirmwareUntransparent => {
                "Ask the publisher for the release's tlog-proof (hwprov log prove --format tlog-proof, after its witnesses cosigned) and add it to the bundle; a release no one can see published may be a special build for this device."
            }
            Rule::FirmwareRollback => "Install a release with an svn at least the installed one.",
            Rule::FirmwareImage => {
                "The image is not the one the publisher signed: obtain it again from the publisher."
            }
            Rule::FleetConcentration => {
                "Diversify suppliers for the class, or raise the cap in [fleet] or [classes.C.fleet] if the risk is accepted."
            }
            Rule::FleetDiversity => {
                "Qualify another vendor group for the class, or lower min_vendors if the dependency is accepted."
            }
            Rule::PhaseoutNewUnit => {
                "Remove the unit, or record when it entered service (the deployment file's installed column) if it is legacy."
            }
            Rule::PhaseoutOverdue => "Remove the unit: the plan's deadline has passed.",
            Rule::PhaseoutExpiring => "Schedule the unit's removal before the deadline.",
            Rule::FleetDuplicateSerial => {
                "Quarantine both units and ask the vendor which one is genuine."
            }
            Rule::WaiverExpired => {
                "Fix the cause, or renew the waiver with a new expiry and reason."
            }
            Rule::WaiverExpiring => "Plan the phase-out or renew the waiver before it expires.",
        }
    }
}

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
    /// A stage site is in a high-risk country.
    JurisdictionSite = "jurisdiction.site", PolicyDeny;
    /// An issuer is controlled from a high-risk country.
    JurisdictionControl = "jurisdiction.control", PolicyDeny;
    /// An issuer or its ancestor is designated.
    EntityDesignated = "entity.designated", PolicyDeny;
    /// A required stage is missing from a component's provenance.
    ProvenanceIncomplete = "provenance.incomplete", PolicyDeny;
    /// A provenance statement names another part or lot.
    ProvenanceMismatch = "provenance.mismatch", PolicyDeny;
    /// An installed image has no verified release.
    FirmwareUnsigned = "firmware.unsigned", PolicyDeny;
    /// The release is for other hardware.
    FirmwareTarget = "firmware.target", PolicyDeny;
    /// Too few distinct authorised firmware keys.
    FirmwareThreshold = "firmware.threshold", PolicyDeny;
    /// A required evaluation is missing or failed.
    FirmwareUnevaluated = "firmware.unevaluated", PolicyDeny;
    /// (gate) The release's svn is below the installed svn.
    FirmwareRollback = "firmware.rollback", PolicyDeny;
    /// (gate) The image bytes do not match the release.
    FirmwareImage = "firmware.image", PolicyDeny;
    /// (vet) A vendor or high-risk share is over the cap.
    FleetConcentration = "fleet.concentration", PolicyWarn;
    /// (vet) Two units claim one vendor+model+serial.
    FleetDuplicateSerial = "fleet.duplicate-serial", PolicyDeny;
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

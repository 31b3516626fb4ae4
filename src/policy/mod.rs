//! The trust policy file of SPEC section 6, parsed strictly: unknown keys,
//! countries, rule ids, roles, duplicate keys, parent cycles and incomplete
//! waivers are input errors that name the file, line and column.

mod ctx;
pub mod deployment;
mod evidence;
mod fleet;
mod parse;
pub mod rules;
mod scope;
mod summary;

use crate::fsutil;
use crate::limits::Limits;
use crate::policy::rules::{Level, Rule};
use crate::wire::country::Country;
use crate::wire::digest::Sha256;
use crate::wire::keys::{KeyId, PublicKey};
use crate::wire::statement::Stage;
use crate::wire::time::Timestamp;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

/// An invalid or unreadable policy (exit 2).
#[derive(Debug)]
#[non_exhaustive]
pub enum PolicyError {
    /// The file could not be read.
    File(fsutil::FileError),
    /// A problem at a place in the file.
    At {
        /// The policy file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicyError::File(e) => write!(f, "{e}"),
            PolicyError::At {
                path,
                line,
                column,
                message,
            } => write!(f, "{}:{line}:{column}: {message}", path.display()),
        }
    }
}

impl std::error::Error for PolicyError {}

/// Key roles of SPEC section 6.
pub const ROLES: [&str; 8] = [
    "design",
    "fab",
    "atp",
    "integration",
    "build",
    "device",
    "firmware",
    "evaluation",
];

/// How revoked keys are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revocation {
    /// A revoked key verifies nothing.
    All,
    /// Statements issued before `revoked_at` still verify.
    FromTime,
}

/// A dated entry on a list: a designation (deny list, e.g. an entity list)
/// or an approval (allow list, e.g. a trusted-supplier scheme).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Designation {
    /// List name.
    pub list: String,
    /// In force from.
    pub since: Timestamp,
    /// In force until (exclusive), if it ends.
    pub until: Option<Timestamp>,
}

impl Designation {
    /// Whether it is in force at `at`: `since <= at < until`.
    pub fn live(&self, at: Timestamp) -> bool {
        self.since <= at && self.until.is_none_or(|u| at < u)
    }
}

/// Whether a list denies (designations) or allows (approvals).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    /// A designation list: `entity.designated` for listed entities and
    /// their descendants.
    Deny,
    /// An approval list: in its scope, an issuer without a live approval
    /// gets `entity.unapproved`.
    Allow,
}

/// A declared list (`[[lists]]`, SPEC 6.6).
#[derive(Debug, Clone)]
pub struct List {
    /// Id designations and approvals name.
    pub id: String,
    /// Deny or allow.
    pub kind: ListKind,
    /// Digest of the published list this mirrors, if given.
    pub source: Option<Sha256>,
    /// The classes it judges (`None`: every class).
    pub classes: Option<BTreeSet<String>>,
    /// The statement roles it judges (`None`: every role).
    pub roles: Option<BTreeSet<String>>,
}

impl List {
    /// Whether a finding about a statement of `role` for a unit of `class`
    /// is in the list's scope. A unit without a class is in the scope of
    /// every list (an unknown segment is judged as strictly as any).
    pub fn in_scope(&self, class: Option<&str>, role: Option<&str>) -> bool {
        let class_ok = match (&self.classes, class) {
            (None, _) | (Some(_), None) => true,
            (Some(set), Some(c)) => set.contains(c),
        };
        let role_ok = match (&self.roles, role) {
            (None, _) | (Some(_), None) => true,
            (Some(set), Some(r)) => set.contains(r),
        };
        class_ok && role_ok
    }
}

/// An entity of the policy.
#[derive(Debug, Clone)]
pub struct Entity {
    /// Id statements use as issuer.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Jurisdiction of incorporation.
    pub country: Country,
    /// Owners over time (`parent`, or dated `parents`; periods never
    /// overlap, so at most one is in force at a time).
    pub parents: Vec<Owner>,
    /// `ownership = "undisclosed"`: the real owners are not known
    /// (`entity.opaque`).
    pub opaque: bool,
    /// Designations (entries on deny lists).
    pub designations: Vec<Designation>,
    /// Approvals (entries on declared allow lists).
    pub approvals: Vec<Designation>,
    /// Vendors whose device and firmware statements this entity may sign
    /// (SPEC section 3, vendor binding): an OEM or a firmware publisher
    /// acting for them.
    pub signs_for: BTreeSet<String>,
}

/// What evaluations of one scheme count (`[evaluations.SCHEME]`, SPEC 6.8).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EvaluationScheme {
    /// Entities whose evaluations count (`None`: any entity with an
    /// evaluation key).
    pub labs: Option<BTreeSet<String>>,
    /// An evaluation issued longer than this before the evaluation time
    /// does not count.
    pub max_age_days: Option<u64>,
    /// `ocp-safe` only: a report listing an issue with a CVSS score at or
    /// above this (in tenths: 70 is 7.0) is a failing evaluation.
    pub max_cvss: Option<u16>,
}

/// An evidence key (SPEC sections 1 and 11): an ECDSA P-384/P-521 key of
/// a S.A.F.E. Security Review Provider. Its only role is `evaluation`.
#[derive(Debug, Clone)]
pub struct EvidenceKeyEntry {
    /// Owning entity (the provider, as the policy names it).
    pub entity: String,
    /// The key.
    pub key: crate::wire::eckey::EvidenceKey,
    /// Valid from (the report's completion time).
    pub not_before: Option<Timestamp>,
    /// Valid until (the report's completion time).
    pub not_after: Option<Timestamp>,
    /// Revoked at.
    pub revoked_at: Option<Timestamp>,
}

/// One owner of an entity and when it owned it (SPEC 6.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    /// The owning entity.
    pub entity: String,
    /// Owner from (unbounded if `None`).
    pub since: Option<Timestamp>,
    /// Owner until, exclusive (unbounded if `None`).
    pub until: Option<Timestamp>,
}

impl Owner {
    /// Whether this ownership is in force at `t`.
    pub fn live(&self, t: Timestamp) -> bool {
        self.since.is_none_or(|s| s <= t) && self.until.is_none_or(|u| t < u)
    }
}

/// Which time's ownership counts for control and designations (`[rules]
/// control_at`, SPEC 6.7).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ControlAt {
    /// The owners at the evaluation time.
    Evaluation,
    /// The owners when the statement was issued.
    Issued,
    /// Both (the union): the default.
    #[default]
    Both,
}

/// A key the policy trusts.
#[derive(Debug, Clone)]
pub struct KeyEntry {
    /// Owning entity.
    pub entity: String,
    /// The key.
    pub key: PublicKey,
    /// The key prepared for repeated verification, built the first time
    /// it verifies a signature (see [`KeyEntry::prepared`]).
    pub(crate) prepared: std::sync::OnceLock<std::sync::Arc<crate::wire::keys::PreparedKey>>,
    /// Roles.
    pub roles: BTreeSet<String>,
    /// Valid from (issued time).
    pub not_before: Option<Timestamp>,
    /// Valid until (issued time).
    pub not_after: Option<Timestamp>,
    /// Revoked at.
    pub revoked_at: Option<Timestamp>,
}

impl KeyEntry {
    /// The key prepared for verification (built once, on first use, so a
    /// policy of many keys costs nothing for the keys no statement uses).
    pub fn prepared(&self) -> &crate::wire::keys::PreparedKey {
        self.prepared
            .get_or_init(|| std::sync::Arc::new(crate::wire::keys::PreparedKey::new(self.key)))
    }
}

/// Settings of a `[rules]` or `[classes.NAME.rules]` table; `None` means
/// "not set here".
#[derive(Debug, Clone, Default)]
pub struct RuleTable {
    /// Levels per rule.
    pub levels: BTreeMap<Rule, Level>,
    /// Stages every component's provenance must reach.
    pub required_stages: Option<Vec<Stage>>,
    /// Distinct authorised firmware keys a release needs.
    pub firmware_min_signers: Option<u64>,
    /// Schemes that need a passing evaluation of each image.
    pub firmware_evaluations: Option<Vec<String>>,
    /// Revocation mode.
    pub revocation: Option<Revocation>,
    /// Which time's ownership counts (`[rules]` only).
    pub control_at: Option<ControlAt>,
}

/// A declared class (SPEC 6.2): its rule table and its per-role tables.
#[derive(Debug, Clone, Default)]
pub struct Class {
    /// `[classes.C.rules]`: levels and settings for any finding of the class.
    pub rules: RuleTable,
    /// `[classes.C.roles.R.rules]`: levels for findings about role `R`.
    pub roles: BTreeMap<String, RuleTable>,
    /// `[classes.C.fleet]`: caps overriding `[fleet]` for the class.
    pub fleet: Option<FleetTable>,
}

/// Where the class that selects a unit's rules comes from (`[policy]
/// class_from`, SPEC 6.3).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ClassFrom {
    /// The operator's deployment facts (deployment file, gate state).
    #[default]
    Operator,
    /// The device statement's suggested class, when the policy declares it.
    Device,
}

/// What selects a finding's level (SPEC 6.2): the unit's class and zones
/// and the role of the statement the finding concerns.
#[derive(Debug, Clone, Copy, Default)]
pub struct Scope<'a> {
    /// The unit's class, if it has one.
    pub class: Option<&'a str>,
    /// The zones the unit is deployed in.
    pub zones: &'a [String],
    /// The role of the statement concerned: its stage name or type.
    pub role: Option<&'a str>,
}

/// Effective parameters for one evaluation (after class overrides).
#[derive(Debug, Clone)]
pub struct Params {
    /// Required stages (default: design, fab, atp).
    pub required_stages: Vec<Stage>,
    /// Threshold (default 1).
    pub firmware_min_signers: u64,
    /// Required evaluation schemes (default none).
    pub firmware_evaluations: Vec<String>,
    /// Revocation mode (default `all`).
    pub revocation: Revocation,
}

pub use fleet::{
    Caps, FleetTable, HighRiskBasis, InForce, PHASEOUT_NOTICE_SECS, Phaseout, PlanStatus, Step,
};

/// A waiver.
#[derive(Debug, Clone)]
pub struct Waiver {
    /// The rule waived.
    pub rule: Rule,
    /// Match: issuer entity of the finding's statement.
    pub entity: Option<String>,
    /// Match: part.
    pub part: Option<String>,
    /// Match: the device's vendor (an entity).
    pub vendor: Option<String>,
    /// Match: device serial (always with `vendor`).
    pub serial: Option<String>,
    /// Match: statement digest.
    pub statement: Option<Sha256>,
    /// Expiry.
    pub expires: Timestamp,
    /// Why.
    pub reason: String,
    /// Line in the policy file, for messages.
    pub line: usize,
}

/// `[transparency]`: the tlog-policy that firmware releases must be
/// proven published under (SPEC 6.9).
#[derive(Debug, Clone)]
pub struct Transparency {
    /// The file as the policy names it.
    pub file: String,
    /// Its logs, witnesses and quorum.
    pub firmware: crate::wire::tlog::policy::TlogPolicy,
}

/// A loaded, checked policy.
#[derive(Debug, Clone)]
pub struct Policy {
    /// `[policy] name`.
    pub name: String,
    /// `[policy] version`.
    pub version: String,
    /// SHA-256 of the policy file's bytes.
    pub sha256: Sha256,
    /// High-risk jurisdictions.
    pub high_risk: BTreeSet<Country>,
    /// Entities by id.
    pub entities: BTreeMap<String, Entity>,
    /// Keys by key id.
    pub keys: HashMap<KeyId, KeyEntry>,
    /// Evidence keys (ECDSA, S.A.F.E. reports only), in policy order.
    pub evidence_keys: Vec<EvidenceKeyEntry>,
    /// `[rules]`.
    pub rules: RuleTable,
    /// `[roles.R.rules]`.
    pub roles: BTreeMap<String, RuleTable>,
    /// Every declared class.
    pub classes: BTreeMap<String, Class>,
    /// `[zones.Z.rules]`: every declared zone.
    pub zones: BTreeMap<String, RuleTable>,
    /// `[policy] class_from`.
    pub class_from: ClassFrom,
    /// `[fleet]`: the fleet caps of every class (SPEC 6.4).
    pub fleet: FleetTable,
    /// `[[phaseouts]]` in file order (SPEC 6.5).
    pub phaseouts: Vec<Phaseout>,
    /// The plans naming each entity (positions in `phaseouts`), so a unit's
    /// plans are found from its ownership chain, whatever the number of plans.
    pub(crate) phaseouts_by_entity: HashMap<String, Vec<usize>>,
    /// `[[waivers]]`.
    pub waivers: Vec<Waiver>,
    /// `[[lists]]` by id.
    pub lists: BTreeMap<String, List>,
    /// `[evaluations.SCHEME]`: which evaluations count (SPEC 6.8).
    pub evaluations: BTreeMap<String, EvaluationScheme>,
    /// Each file the policy names (`public_key_file`, `[transparency]`
    /// firmware) as written, with the file's exact bytes (the log records
    /// them so a decision can be replayed from the record).
    pub key_files: Vec<(String, Vec<u8>)>,
    /// `[transparency]` (SPEC 6.9), when set.
    pub transparency: Option<Transparency>,
    /// The policy file's exact bytes: what a log records, so the decision
    /// is replayed under the very text it was made under.
    pub source: Vec<u8>,
}

/// A live waiver closer than this to its expiry is mentioned as `info`
/// (`waiver.expiring`, SPEC 6.6).
pub const WAIVER_NOTICE_SECS: u64 = 90 * 86_400;

/// Most `parent` links followed from one entity; a longer chain makes the
/// policy invalid.
pub const MAX_OWNERSHIP_DEPTH: usize = Limits::DEFAULT.max_ownership_depth;

impl Policy {
    /// Reads and checks a policy file.
    pub fn load(path: &Path, limits: &Limits) -> Result<Policy, PolicyError> {
        let bytes =
            fsutil::read_bounded(path, limits.max_policy_bytes).map_err(PolicyError::File)?;
        let src = std::str::from_utf8(&bytes).map_err(|e| PolicyError::At {
            path: path.to_owned(),
            line: 1,
            column: 1,
            message: format!("policy is not UTF-8 text: {e}"),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::parse(src, path, base)
    }

    /// Parses policy text. `path` is used in messages; `base` is where
    /// `public_key_file` paths are resolved.
    pub fn parse(src: &str, path: &Path, base: &Path) -> Result<Policy, PolicyError> {
        Self::parse_with(src, path, &|name: &str| {
            fsutil::read_bounded(&base.join(name), Limits::DEFAULT.max_key_file_bytes)
                .map_err(|e| e.to_string())
        })
    }

    /// Parses policy text, reading each `public_key_file` through `read_key_file`
    /// (given the path as written), e.g. from a log's stored objects.
    pub fn parse_with(
        src: &str,
        path: &Path,
        read_key_file: &dyn Fn(&str) -> Result<Vec<u8>, String>,
    ) -> Result<Policy, PolicyError> {
        parse::parse_with(src, path, read_key_file)
    }

    /// Whether `issuer` may sign device and firmware statements naming
    /// `vendor` (SPEC section 3, vendor binding): the vendor is an entity of
    /// the policy and the issuer is that entity or lists it in `signs_for`.
    pub fn may_sign_for(&self, issuer: &str, vendor: &str) -> bool {
        self.entities.contains_key(vendor)
            && (issuer == vendor
                || self
                    .entities
                    .get(issuer)
                    .is_some_and(|e| e.signs_for.contains(vendor)))
    }

    /// A vendor's group: the last entity of its ownership chain in force at
    /// `at` (SPEC 3; fleet checks count units under it). Unknown ids are
    /// their own group.
    pub fn group_of<'a>(&'a self, vendor: &'a str, at: Timestamp) -> &'a str {
        self.chain_at(vendor, at)
            .last()
            .map_or(vendor, |e| e.id.as_str())
    }

    /// An entity, then each owner in force at `t`, nearest first (at most
    /// 33 entities: the policy refuses deeper chains and cycles).
    pub fn chain_at(&self, id: &str, t: Timestamp) -> Vec<&Entity> {
        let mut chain: Vec<&Entity> = Vec::new();
        let mut cur = self.entities.get(id);
        while let Some(e) = cur {
            if chain.len() > MAX_OWNERSHIP_DEPTH || chain.iter().any(|c| c.id == e.id) {
                break; // cannot happen in a parsed policy; a bound all the same
            }
            chain.push(e);
            cur = e
                .parents
                .iter()
                .find(|p| p.live(t))
                .and_then(|p| self.entities.get(&p.entity));
        }
        chain
    }

    /// An entity's designations in force at `at` on deny lists whose scope
    /// covers a finding about role `role` of a unit of `class` (SPEC 6.6;
    /// a list not declared has no scope), each with its list if declared.
    pub fn designations_in_force<'a>(
        &'a self,
        entity: &'a Entity,
        at: Timestamp,
        class: Option<&'a str>,
        role: Option<&'a str>,
    ) -> impl Iterator<Item = (&'a Designation, Option<&'a List>)> + 'a {
        entity.designations.iter().filter_map(move |d| {
            let list = self.lists.get(&d.list);
            (d.live(at) && list.is_none_or(|l| l.in_scope(class, role))).then_some((d, list))
        })
    }

    /// The ownership chains of an issuer that count for a statement issued
    /// at `issued` and judged at `at` (`[rules] control_at`): one chain, or
    /// two when `both` and the owners differ between the two times.
    pub fn control_chains(&self, id: &str, at: Timestamp, issued: Timestamp) -> Vec<Vec<&Entity>> {
        match self.rules.control_at.unwrap_or_default() {
            ControlAt::Evaluation => vec![self.chain_at(id, at)],
            ControlAt::Issued => vec![self.chain_at(id, issued)],
            ControlAt::Both => {
                let now = self.chain_at(id, at);
                let then = self.chain_at(id, issued);
                let same =
                    now.len() == then.len() && now.iter().zip(&then).all(|(a, b)| a.id == b.id);
                if same { vec![now] } else { vec![now, then] }
            }
        }
    }

    /// The level of a rule in a scope (SPEC 6.2): from the most specific
    /// table that sets it (`classes.C.roles.R`, `classes.C`, `roles.R`,
    /// `rules`, the default), then tightened by every zone of the unit that
    /// sets it. Always-deny rules are always `Deny`.
    pub fn level(&self, rule: Rule, scope: &Scope<'_>) -> Level {
        if !rule.is_configurable() {
            return rule.default_level();
        }
        let class = scope.class.and_then(|c| self.classes.get(c));
        let role = |t: &BTreeMap<String, RuleTable>| {
            scope
                .role
                .and_then(|r| t.get(r))
                .and_then(|t| t.levels.get(&rule))
                .copied()
        };
        let looked_up = class
            .and_then(|c| role(&c.roles))
            .or_else(|| class.and_then(|c| c.rules.levels.get(&rule).copied()))
            .or_else(|| role(&self.roles))
            .or_else(|| self.rules.levels.get(&rule).copied())
            .unwrap_or_else(|| rule.default_level());
        scope
            .zones
            .iter()
            .filter_map(|z| self.zones.get(z))
            .filter_map(|t| t.levels.get(&rule).copied())
            .fold(looked_up, Level::strictest)
    }

    /// Effective parameters for a device class.
    pub fn params(&self, class: Option<&str>) -> Params {
        let c = class.and_then(|c| self.classes.get(c)).map(|c| &c.rules);
        Params {
            required_stages: c
                .and_then(|t| t.required_stages.clone())
                .or_else(|| self.rules.required_stages.clone())
                .unwrap_or_else(|| vec![Stage::Design, Stage::Fab, Stage::Atp]),
            firmware_min_signers: c
                .and_then(|t| t.firmware_min_signers)
                .or(self.rules.firmware_min_signers)
                .unwrap_or(1),
            firmware_evaluations: c
                .and_then(|t| t.firmware_evaluations.clone())
                .or_else(|| self.rules.firmware_evaluations.clone())
                .unwrap_or_default(),
            revocation: self.rules.revocation.unwrap_or(Revocation::All),
        }
    }
}

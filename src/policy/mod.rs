//! The trust policy file of SPEC section 6, parsed strictly: unknown keys,
//! countries, rule ids, roles, duplicate keys, parent cycles and incomplete
//! waivers are input errors that name the file, line and column.

pub mod rules;

use crate::fsutil;
use crate::limits::Limits;
use crate::policy::rules::{Level, Rule};
use crate::wire::country::Country;
use crate::wire::digest::Sha256;
use crate::wire::keys::{KeyId, PublicKey};
use crate::wire::statement::Stage;
use crate::wire::time::{self, Timestamp};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use toml::Spanned;
use toml::value::{Datetime, Offset};

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
pub const ROLES: [&str; 7] = [
    "design",
    "fab",
    "atp",
    "integration",
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

/// A dated designation on a list (e.g. an entity list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Designation {
    /// List name.
    pub list: String,
    /// In force from.
    pub since: Timestamp,
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
    /// Owner.
    pub parent: Option<String>,
    /// Designations.
    pub designations: Vec<Designation>,
    /// Vendors whose device and firmware statements this entity may sign
    /// (SPEC section 3, vendor binding): an OEM or a firmware publisher
    /// acting for them.
    pub signs_for: BTreeSet<String>,
    /// This entity then each ancestor, nearest first (computed).
    pub chain: Vec<String>,
}

/// A key the policy trusts.
#[derive(Debug, Clone)]
pub struct KeyEntry {
    /// Owning entity.
    pub entity: String,
    /// The key.
    pub key: PublicKey,
    /// Roles.
    pub roles: BTreeSet<String>,
    /// Valid from (issued time).
    pub not_before: Option<Timestamp>,
    /// Valid until (issued time).
    pub not_after: Option<Timestamp>,
    /// Revoked at.
    pub revoked_at: Option<Timestamp>,
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

/// Fleet caps for `vet`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fleet {
    /// Largest share of a class one vendor may hold.
    pub max_vendor_share: Option<f64>,
    /// Largest share of units with a high-risk jurisdiction finding.
    pub max_high_risk_share: Option<f64>,
}

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
    /// `[rules]`.
    pub rules: RuleTable,
    /// `[classes.NAME.rules]`.
    pub classes: BTreeMap<String, RuleTable>,
    /// `[fleet]`.
    pub fleet: Fleet,
    /// `[[waivers]]`.
    pub waivers: Vec<Waiver>,
    /// Each `public_key_file` as written, with the file's exact bytes (the
    /// log records them so a decision can be replayed from the record).
    pub key_files: Vec<(String, Vec<u8>)>,
    /// The policy file's exact bytes: what a log records, so the decision
    /// is replayed under the very text it was made under.
    pub source: Vec<u8>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    policy: RawMeta,
    #[serde(default)]
    jurisdictions: Option<RawJurisdictions>,
    #[serde(default)]
    entities: Vec<RawEntity>,
    #[serde(default)]
    keys: Vec<Spanned<RawKey>>,
    #[serde(default)]
    rules: Option<BTreeMap<Spanned<String>, Spanned<toml::Value>>>,
    #[serde(default)]
    classes: BTreeMap<String, RawClass>,
    #[serde(default)]
    fleet: Option<RawFleet>,
    #[serde(default)]
    waivers: Vec<Spanned<RawWaiver>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeta {
    name: String,
    version: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJurisdictions {
    #[serde(default)]
    high_risk: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntity {
    id: Spanned<String>,
    #[serde(default)]
    name: Option<String>,
    country: Spanned<String>,
    #[serde(default)]
    parent: Option<Spanned<String>>,
    #[serde(default)]
    designations: Vec<RawDesignation>,
    #[serde(default)]
    signs_for: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDesignation {
    list: String,
    since: Spanned<Datetime>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKey {
    entity: Spanned<String>,
    #[serde(default)]
    public_key: Option<Spanned<String>>,
    #[serde(default)]
    public_key_file: Option<Spanned<String>>,
    roles: Vec<Spanned<String>>,
    #[serde(default)]
    not_before: Option<Spanned<Datetime>>,
    #[serde(default)]
    not_after: Option<Spanned<Datetime>>,
    #[serde(default)]
    revoked_at: Option<Spanned<Datetime>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClass {
    #[serde(default)]
    rules: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFleet {
    #[serde(default)]
    max_vendor_share: Option<Spanned<f64>>,
    #[serde(default)]
    max_high_risk_share: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWaiver {
    rule: Spanned<String>,
    #[serde(default)]
    entity: Option<Spanned<String>>,
    #[serde(default)]
    part: Option<String>,
    #[serde(default)]
    vendor: Option<Spanned<String>>,
    #[serde(default)]
    serial: Option<String>,
    #[serde(default)]
    statement: Option<Spanned<String>>,
    #[serde(default)]
    expires: Option<Spanned<Datetime>>,
    #[serde(default)]
    reason: Option<String>,
}

struct Ctx<'a> {
    path: &'a Path,
    src: &'a str,
    /// Offset of the start of every line after the first, found once: a
    /// line number per waiver must not rescan a 4 MiB file each time.
    line_starts: Vec<usize>,
}

impl<'a> Ctx<'a> {
    fn new(path: &'a Path, src: &'a str) -> Self {
        let line_starts = src
            .bytes()
            .enumerate()
            .filter(|&(_, b)| b == b'\n')
            .map(|(i, _)| i + 1)
            .collect();
        Ctx {
            path,
            src,
            line_starts,
        }
    }

    fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.src.len());
        let before = &self.src.as_bytes()[..offset];
        // Lines that start at or before `offset`, plus the first.
        let line = self.line_starts.partition_point(|&s| s <= offset) + 1;
        let line_start = if line > 1 {
            self.line_starts.get(line - 2).copied().unwrap_or(0)
        } else {
            0
        };
        let column = String::from_utf8_lossy(&before[line_start..])
            .chars()
            .count()
            + 1;
        (line, column)
    }

    fn err(&self, span: std::ops::Range<usize>, message: impl Into<String>) -> PolicyError {
        let (line, column) = self.line_col(span.start);
        PolicyError::At {
            path: self.path.to_owned(),
            line,
            column,
            message: message.into(),
        }
    }

    fn time(&self, dt: &Spanned<Datetime>) -> Result<Timestamp, PolicyError> {
        let v = dt.get_ref();
        let (Some(d), Some(t), Some(o)) = (v.date, v.time, v.offset) else {
            return Err(self.err(
                dt.span(),
                format!("'{v}' needs a date, a time and a UTC offset, e.g. 2026-01-01T00:00:00Z"),
            ));
        };
        let offset = match o {
            Offset::Z => 0,
            Offset::Custom { minutes } => i64::from(minutes),
        };
        time::from_fields(
            i64::from(d.year),
            u32::from(d.month),
            u32::from(d.day),
            u32::from(t.hour),
            u32::from(t.minute),
            u32::from(t.second.unwrap_or(0)),
            offset,
        )
        .map_err(|e| self.err(dt.span(), format!("'{v}': {e}")))
    }

    fn country(&self, s: &Spanned<String>) -> Result<Country, PolicyError> {
        Country::new(s.get_ref()).map_err(|e| self.err(s.span(), e.to_string()))
    }
}

/// A live waiver closer than this to its expiry is mentioned as `info`
/// (`waiver.expiring`, SPEC 6.6).
pub const WAIVER_NOTICE_SECS: u64 = 90 * 86_400;

/// Most `parent` links followed from one entity; a longer chain makes the
/// policy invalid.
pub const MAX_OWNERSHIP_DEPTH: usize = 32;

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
            crate::fsutil::read_bounded(&base.join(name), 64 * 1024).map_err(|e| e.to_string())
        })
    }

    /// Parses policy text, reading each `public_key_file` through `read_key_file`
    /// (given the path as written), e.g. from a log's stored objects.
    pub fn parse_with(
        src: &str,
        path: &Path,
        read_key_file: &dyn Fn(&str) -> Result<Vec<u8>, String>,
    ) -> Result<Policy, PolicyError> {
        let cx = Ctx::new(path, src);
        let mut key_files = Vec::new();
        let raw: RawPolicy = toml::from_str(src).map_err(|e| {
            let msg = e.message().trim().to_owned();
            cx.err(e.span().unwrap_or(0..0), msg)
        })?;

        let mut high_risk = BTreeSet::new();
        for c in raw.jurisdictions.map(|j| j.high_risk).unwrap_or_default() {
            high_risk.insert(cx.country(&c)?);
        }

        let mut entities: BTreeMap<String, Entity> = BTreeMap::new();
        let mut parent_spans = Vec::new();
        let mut signs_for_spans: Vec<(String, Spanned<String>)> = Vec::new();
        for e in raw.entities {
            let id = e.id.get_ref().clone();
            if id.is_empty() {
                return Err(cx.err(e.id.span(), "entity id must not be empty"));
            }
            if entities.contains_key(&id) {
                return Err(cx.err(e.id.span(), format!("entity '{id}' is declared twice")));
            }
            let country = cx.country(&e.country)?;
            let mut designations = Vec::new();
            for d in &e.designations {
                designations.push(Designation {
                    list: d.list.clone(),
                    since: cx.time(&d.since)?,
                });
            }
            if let Some(p) = &e.parent {
                parent_spans.push((id.clone(), p.clone()));
            }
            for v in &e.signs_for {
                signs_for_spans.push((id.clone(), v.clone()));
            }
            entities.insert(
                id.clone(),
                Entity {
                    name: e.name.unwrap_or_else(|| id.clone()),
                    id,
                    country,
                    parent: e.parent.map(Spanned::into_inner),
                    designations,
                    signs_for: e.signs_for.into_iter().map(Spanned::into_inner).collect(),
                    chain: Vec::new(),
                },
            );
        }
        // Parents must exist and the ownership graph must be acyclic.
        for (id, p) in &parent_spans {
            if !entities.contains_key(p.get_ref()) {
                return Err(cx.err(
                    p.span(),
                    format!(
                        "entity '{id}' has parent '{}', which is not declared",
                        p.get_ref()
                    ),
                ));
            }
        }
        for (id, v) in &signs_for_spans {
            if !entities.contains_key(v.get_ref()) {
                return Err(cx.err(
                    v.span(),
                    format!(
                        "entity '{id}' signs_for '{}', which is not declared",
                        v.get_ref()
                    ),
                ));
            }
        }
        let ids: Vec<String> = entities.keys().cloned().collect();
        for id in ids {
            let mut chain = vec![id.clone()];
            let mut cur = entities.get(&id).and_then(|e| e.parent.clone());
            while let Some(p) = cur {
                let span = || {
                    parent_spans
                        .iter()
                        .find(|(c, _)| *c == id)
                        .map_or(0..0, |(_, s)| s.span())
                };
                if chain.contains(&p) {
                    return Err(cx.err(
                        span(),
                        format!("ownership cycle: {} -> {p}", chain.join(" -> ")),
                    ));
                }
                // Bounds the walk (and each entity's stored chain): a hostile
                // policy of thousands of chained entities would otherwise
                // cost quadratic time and memory.
                if chain.len() > MAX_OWNERSHIP_DEPTH {
                    return Err(cx.err(
                        span(),
                        format!(
                            "the ownership chain of '{id}' is more than {MAX_OWNERSHIP_DEPTH} \
                             parents long ({} -> {} -> ... -> {p}); no real ownership \
                             structure is this deep",
                            chain[0], chain[1]
                        ),
                    ));
                }
                chain.push(p.clone());
                cur = entities.get(&p).and_then(|e| e.parent.clone());
            }
            if let Some(e) = entities.get_mut(&id) {
                e.chain = chain;
            }
        }

        let mut keys: HashMap<KeyId, KeyEntry> = HashMap::new();
        for k in raw.keys {
            let span = k.span();
            let k = k.into_inner();
            if !entities.contains_key(k.entity.get_ref()) {
                return Err(cx.err(
                    k.entity.span(),
                    format!(
                        "key belongs to entity '{}', which is not declared in [[entities]]",
                        k.entity.get_ref()
                    ),
                ));
            }
            let key = match (&k.public_key, &k.public_key_file) {
                (Some(t), None) => PublicKey::from_text(t.get_ref())
                    .map_err(|e| cx.err(t.span(), e.to_string()))?,
                (None, Some(f)) => {
                    let bytes = read_key_file(f.get_ref()).map_err(|e| cx.err(f.span(), e))?;
                    if bytes.windows(11).any(|w| w == b"PRIVATE KEY") {
                        return Err(cx.err(
                            f.span(),
                            format!("{} is a private key; a policy names public keys only (openssl pkey -pubout, or the .pub.pem `hwprov key generate` writes)", f.get_ref()),
                        ));
                    }
                    let key = PublicKey::parse_file_bytes(&bytes)
                        .map_err(|e| cx.err(f.span(), format!("{}: {e}", f.get_ref())))?;
                    key_files.push((f.get_ref().clone(), bytes));
                    key
                }
                _ => {
                    return Err(cx.err(
                        span,
                        "a key needs exactly one of public_key or public_key_file",
                    ));
                }
            };
            let mut roles = BTreeSet::new();
            if k.roles.is_empty() {
                return Err(cx.err(span, "a key needs at least one role"));
            }
            for r in &k.roles {
                if !ROLES.contains(&r.get_ref().as_str()) {
                    return Err(cx.err(
                        r.span(),
                        format!(
                            "unknown role '{}' (roles: {})",
                            r.get_ref(),
                            ROLES.join(", ")
                        ),
                    ));
                }
                roles.insert(r.get_ref().clone());
            }
            let t = |x: &Option<Spanned<Datetime>>| x.as_ref().map(|d| cx.time(d)).transpose();
            let entry = KeyEntry {
                entity: k.entity.get_ref().clone(),
                key,
                roles,
                not_before: t(&k.not_before)?,
                not_after: t(&k.not_after)?,
                revoked_at: t(&k.revoked_at)?,
            };
            if let (Some(a), Some(b)) = (entry.not_before, entry.not_after)
                && a > b
            {
                return Err(cx.err(span, "not_before is after not_after"));
            }
            if let Some(prev) = keys.get(&key.id()) {
                return Err(cx.err(
                    span,
                    format!(
                        "key {} is listed twice (already for entity '{}')",
                        key.id(),
                        prev.entity
                    ),
                ));
            }
            keys.insert(key.id(), entry);
        }

        let rules = match raw.rules {
            Some(r) => rule_table(&cx, r, false)?,
            None => RuleTable::default(),
        };
        let mut classes = BTreeMap::new();
        for (name, c) in raw.classes {
            classes.insert(name, rule_table(&cx, c.rules, true)?);
        }

        let mut fleet = Fleet::default();
        if let Some(f) = raw.fleet {
            let share = |s: Option<Spanned<f64>>| -> Result<Option<f64>, PolicyError> {
                match s {
                    Some(v) if !(0.0..=1.0).contains(v.get_ref()) => {
                        Err(cx.err(v.span(), "a share must be between 0.0 and 1.0"))
                    }
                    Some(v) => Ok(Some(v.into_inner())),
                    None => Ok(None),
                }
            };
            fleet.max_vendor_share = share(f.max_vendor_share)?;
            fleet.max_high_risk_share = share(f.max_high_risk_share)?;
        }

        let mut waivers = Vec::new();
        for w in raw.waivers {
            let span = w.span();
            let w = w.into_inner();
            let (line, _) = cx.line_col(span.start);
            let rule = Rule::parse(w.rule.get_ref()).ok_or_else(|| {
                cx.err(
                    w.rule.span(),
                    format!("unknown rule id '{}'", w.rule.get_ref()),
                )
            })?;
            if !rule.is_configurable() {
                return Err(cx.err(
                    w.rule.span(),
                    format!("'{rule}' is always deny and cannot be waived"),
                ));
            }
            let reason = match w.reason {
                Some(r) if !r.trim().is_empty() => r,
                _ => return Err(cx.err(span, "a waiver needs a non-empty reason")),
            };
            let expires = match &w.expires {
                Some(e) => cx.time(e)?,
                None => {
                    return Err(cx.err(
                        span,
                        "a waiver needs an expiry (expires = 2027-12-31T00:00:00Z): open-ended waivers are not accepted",
                    ))
                }
            };
            for (what, id) in [("entity", &w.entity), ("vendor", &w.vendor)] {
                if let Some(id) = id
                    && !entities.contains_key(id.get_ref())
                {
                    return Err(cx.err(
                        id.span(),
                        format!(
                            "waiver names {what} '{}', which is not declared",
                            id.get_ref()
                        ),
                    ));
                }
            }
            if w.serial.is_some() && w.vendor.is_none() {
                return Err(cx.err(
                    span,
                    "a waiver's serial needs vendor beside it (serials are unique only per vendor): add vendor = \"<vendor entity>\"",
                ));
            }
            let statement = match &w.statement {
                Some(s) => Some(
                    Sha256::parse_text(s.get_ref()).map_err(|e| cx.err(s.span(), e.to_string()))?,
                ),
                None => None,
            };
            if w.entity.is_none() && w.part.is_none() && w.vendor.is_none() && statement.is_none() {
                return Err(cx.err(
                    span,
                    "a waiver must match on at least one of entity, part, vendor (+ serial) or statement",
                ));
            }
            waivers.push(Waiver {
                rule,
                entity: w.entity.map(Spanned::into_inner),
                part: w.part,
                vendor: w.vendor.map(Spanned::into_inner),
                serial: w.serial,
                statement,
                expires,
                reason,
                line,
            });
        }

        Ok(Policy {
            name: raw.policy.name,
            version: raw.policy.version,
            sha256: Sha256::of(src.as_bytes()),
            high_risk,
            entities,
            keys,
            rules,
            classes,
            fleet,
            waivers,
            key_files,
            source: src.as_bytes().to_vec(),
        })
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

    /// A vendor's group: the last entity of its ownership chain (SPEC 3;
    /// fleet checks count units under it). Unknown ids are their own group.
    pub fn group_of<'a>(&'a self, vendor: &'a str) -> &'a str {
        self.entities
            .get(vendor)
            .and_then(|e| e.chain.last())
            .map_or(vendor, String::as_str)
    }

    /// The level of a rule for a device class (class override, then `[rules]`,
    /// then the default). Always-deny rules are always `Deny`.
    pub fn level(&self, rule: Rule, class: Option<&str>) -> Level {
        if !rule.is_configurable() {
            return rule.default_level();
        }
        class
            .and_then(|c| self.classes.get(c))
            .and_then(|t| t.levels.get(&rule))
            .or_else(|| self.rules.levels.get(&rule))
            .copied()
            .unwrap_or_else(|| rule.default_level())
    }

    /// Effective parameters for a device class.
    pub fn params(&self, class: Option<&str>) -> Params {
        let c = class.and_then(|c| self.classes.get(c));
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

fn rule_table(
    cx: &Ctx<'_>,
    raw: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
    in_class: bool,
) -> Result<RuleTable, PolicyError> {
    let mut t = RuleTable::default();
    for (k, v) in raw {
        let span = v.span();
        let v = v.into_inner();
        let want = |what: &str| cx.err(span.clone(), format!("'{}' must be {what}", k.get_ref()));
        match k.get_ref().as_str() {
            "required_stages" => {
                let arr = v
                    .as_array()
                    .ok_or_else(|| want("an array of stage names"))?;
                let mut stages = Vec::new();
                for s in arr {
                    let st = s.as_str().and_then(Stage::parse).ok_or_else(|| {
                        want("an array of stage names (design, fab, atp, integration)")
                    })?;
                    if !stages.contains(&st) {
                        stages.push(st);
                    }
                }
                t.required_stages = Some(stages);
            }
            "firmware_min_signers" => {
                let n = v
                    .as_integer()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| want("an integer of at least 1"))?;
                t.firmware_min_signers = Some(n as u64);
            }
            "firmware_evaluations" => {
                let arr = v
                    .as_array()
                    .ok_or_else(|| want("an array of scheme names"))?;
                let schemes = arr
                    .iter()
                    .map(|s| s.as_str().filter(|s| !s.is_empty()).map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| want("an array of non-empty scheme names"))?;
                t.firmware_evaluations = Some(schemes);
            }
            "revocation" if in_class => {
                return Err(cx.err(
                    k.span(),
                    "revocation applies to every statement and can only be set in [rules]",
                ));
            }
            "revocation" => {
                t.revocation = Some(match v.as_str() {
                    Some("all") => Revocation::All,
                    Some("from-time") => Revocation::FromTime,
                    _ => return Err(want("\"all\" or \"from-time\"")),
                });
            }
            id => {
                let rule = Rule::parse(id).ok_or_else(|| {
                    cx.err(k.span(), format!("unknown rule id or setting '{id}'"))
                })?;
                if !rule.is_configurable() {
                    return Err(cx.err(
                        k.span(),
                        format!("'{rule}' is always deny and cannot be configured"),
                    ));
                }
                let level = v
                    .as_str()
                    .and_then(Level::parse)
                    .ok_or_else(|| want("\"deny\", \"warn\" or \"off\""))?;
                t.levels.insert(rule, level);
            }
        }
    }
    Ok(t)
}

impl Policy {
    /// A readable summary for `hwprov policy check`: entities, keys per
    /// role, the high-risk list, waivers and the rules in force per class.
    pub fn summary(&self, at: Timestamp) -> String {
        use std::fmt::Write as _;
        let mut o = String::new();
        let _ = writeln!(
            o,
            "policy '{}' version '{}' (sha256 {})",
            self.name,
            self.version,
            self.sha256.hex()
        );
        let hr: Vec<&str> = self.high_risk.iter().map(Country::as_str).collect();
        let _ = writeln!(
            o,
            "high-risk jurisdictions: {}",
            if hr.is_empty() {
                "none".to_owned()
            } else {
                hr.join(", ")
            }
        );
        let _ = writeln!(o, "entities: {}", self.entities.len());
        for e in self.entities.values() {
            let controlled: Vec<String> = e
                .chain
                .iter()
                .filter_map(|id| self.entities.get(id))
                .filter(|x| self.high_risk.contains(&x.country))
                .map(|x| format!("{} ({})", x.id, x.country))
                .collect();
            let designated: Vec<String> = e
                .chain
                .iter()
                .filter_map(|id| self.entities.get(id))
                .flat_map(|x| x.designations.iter().map(move |d| (x, d)))
                .map(|(x, d)| {
                    let state = if d.since <= at {
                        "in force"
                    } else {
                        "not yet in force"
                    };
                    format!("{} on '{}' since {} ({state})", x.id, d.list, d.since)
                })
                .collect();
            let mut notes = Vec::new();
            if !controlled.is_empty() {
                notes.push(format!("controlled from {}", controlled.join(", ")));
            }
            if !designated.is_empty() {
                notes.push(format!("designated: {}", designated.join("; ")));
            }
            let chain = if e.chain.len() > 1 {
                format!(" owned via {}", e.chain[1..].join(" -> "))
            } else {
                String::new()
            };
            let _ = writeln!(
                o,
                "  {:<24} {} {}{chain}{}",
                e.id,
                e.country,
                e.name,
                if notes.is_empty() {
                    String::new()
                } else {
                    format!("  [{}]", notes.join("; "))
                }
            );
        }
        let _ = writeln!(o, "keys: {}", self.keys.len());
        for role in ROLES {
            let n = self
                .keys
                .values()
                .filter(|k| k.roles.contains(role))
                .count();
            let _ = writeln!(o, "  {role:<12} {n}");
        }
        let revoked = self
            .keys
            .values()
            .filter(|k| k.revoked_at.is_some())
            .count();
        let ended = self
            .keys
            .values()
            .filter(|k| k.not_after.is_some_and(|t| t < at))
            .count();
        if revoked + ended > 0 {
            let _ = writeln!(o, "  ({revoked} revoked, {ended} past not_after at {at})");
        }
        let _ = writeln!(o, "waivers: {}", self.waivers.len());
        for w in &self.waivers {
            let mut m = Vec::new();
            if let Some(e) = &w.entity {
                m.push(format!("entity {e}"));
            }
            if let Some(p) = &w.part {
                m.push(format!("part {p}"));
            }
            if let Some(s) = &w.serial {
                m.push(format!("serial {s}"));
            }
            if let Some(d) = &w.statement {
                m.push(format!("statement {d}"));
            }
            let state = if w.expires <= at {
                "EXPIRED".to_owned()
            } else if w.expires.0 - at.0 <= WAIVER_NOTICE_SECS {
                format!("expires in {} days", (w.expires.0 - at.0) / 86_400)
            } else {
                "live".to_owned()
            };
            let _ = writeln!(
                o,
                "  line {}: {} for {} until {} ({state}): {}",
                w.line,
                w.rule,
                m.join(", "),
                w.expires,
                w.reason
            );
        }
        let mut classes: Vec<Option<&str>> = vec![None];
        classes.extend(self.classes.keys().map(|c| Some(c.as_str())));
        let _ = writeln!(o, "rules in force:");
        for class in classes {
            let p = self.params(class);
            let levels: Vec<String> = crate::policy::rules::Rule::ALL
                .iter()
                .filter(|r| r.is_configurable())
                .map(|r| format!("{r}={}", self.level(*r, class).as_str()))
                .collect();
            let _ = writeln!(
                o,
                "  {}: required_stages [{}], firmware_min_signers {}, firmware_evaluations [{}], revocation {}",
                class.map_or("default".to_owned(), |c| format!("class {c}")),
                p.required_stages
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                p.firmware_min_signers,
                p.firmware_evaluations.join(", "),
                match p.revocation {
                    Revocation::All => "all",
                    Revocation::FromTime => "from-time",
                }
            );
            let _ = writeln!(o, "    {}", levels.join(" "));
        }
        if let Some(v) = self.fleet.max_vendor_share {
            let _ = writeln!(o, "fleet: max_vendor_share {v}");
        }
        if let Some(v) = self.fleet.max_high_risk_share {
            let _ = writeln!(o, "fleet: max_high_risk_share {v}");
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line-start index gives what a rescan from the start would.
    #[test]
    fn line_and_column_agree_with_a_rescan() {
        let src = "a = 1\n\nname = \"ä€\"x\r\n  [[w]]\nlast";
        let cx = Ctx::new(Path::new("p.toml"), src);
        for offset in 0..=src.len() + 2 {
            let o = offset.min(src.len());
            let before = &src.as_bytes()[..o];
            let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
            let start = before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |p| p + 1);
            let column = String::from_utf8_lossy(&before[start..]).chars().count() + 1;
            assert_eq!(cx.line_col(offset), (line, column), "offset {offset}");
        }
    }

    fn entities(n: usize, parent: impl Fn(usize) -> Option<usize>) -> String {
        let mut s = String::from("[policy]\nname = \"p\"\nversion = \"1\"\n");
        for i in 0..n {
            s += &format!("[[entities]]\nid = \"e{i}\"\nname = \"E\"\ncountry = \"FI\"\n");
            if let Some(p) = parent(i) {
                s += &format!("parent = \"e{p}\"\n");
            }
        }
        s
    }

    #[test]
    fn ownership_chains_are_bounded() {
        let parse = |src: &str| Policy::parse(src, Path::new("p.toml"), Path::new("."));
        // 32 parents above e0 is the most allowed.
        let ok = parse(&entities(33, |i| (i < 32).then_some(i + 1))).expect("32 parents");
        assert_eq!(ok.entities["e0"].chain.len(), 33);
        let err = parse(&entities(34, |i| (i < 33).then_some(i + 1)))
            .map(|_| ())
            .expect_err("33 parents is too deep")
            .to_string();
        assert!(err.contains("more than 32 parents"), "{err}");
        // A cycle is named as one, even a long one within the bound.
        let err = parse(&entities(20, |i| Some((i + 1) % 20)))
            .map(|_| ())
            .expect_err("a cycle")
            .to_string();
        assert!(err.contains("ownership cycle"), "{err}");
        let err = parse(&entities(1, |_| Some(0)))
            .map(|_| ())
            .expect_err("an entity owning itself")
            .to_string();
        assert!(err.contains("ownership cycle: e0 -> e0"), "{err}");
    }
}

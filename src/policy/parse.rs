//! Parsing the policy file (SPEC section 6): TOML into checked values,
//! every problem an error with the file, line and column.

use super::*;
use crate::policy::rules::Rule;
use crate::wire::digest::Sha256;
use crate::wire::keys::{KeyId, PublicKey};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use toml::Spanned;
use toml::value::Datetime;

use super::ctx::Ctx;
use super::fleet::{RawFleet, RawPhaseout, parse_fleet, parse_phaseouts};
use super::scope::{self, RawLevels, RawList, Table, check_role, check_scope_name, rule_table};

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
    roles: BTreeMap<Spanned<String>, RawLevels>,
    #[serde(default)]
    classes: BTreeMap<Spanned<String>, RawClass>,
    #[serde(default)]
    zones: BTreeMap<Spanned<String>, RawLevels>,
    #[serde(default)]
    fleet: Option<RawFleet>,
    #[serde(default)]
    phaseouts: Vec<Spanned<RawPhaseout>>,
    #[serde(default)]
    waivers: Vec<Spanned<RawWaiver>>,
    #[serde(default)]
    lists: Vec<RawList>,
    #[serde(default)]
    evaluations: BTreeMap<Spanned<String>, RawEvaluation>,
    #[serde(default)]
    transparency: Option<RawTransparency>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTransparency {
    firmware: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvaluation {
    #[serde(default)]
    labs: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    max_age_days: Option<Spanned<i64>>,
    #[serde(default)]
    max_cvss: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeta {
    name: String,
    version: String,
    #[serde(default)]
    class_from: Option<Spanned<String>>,
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
    parents: Option<Vec<Spanned<RawOwner>>>,
    #[serde(default)]
    ownership: Option<Spanned<String>>,
    #[serde(default)]
    designations: Vec<RawDesignation>,
    #[serde(default)]
    approvals: Vec<RawDesignation>,
    #[serde(default)]
    signs_for: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOwner {
    entity: Spanned<String>,
    #[serde(default)]
    since: Option<Spanned<Datetime>>,
    #[serde(default)]
    until: Option<Spanned<Datetime>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDesignation {
    list: Spanned<String>,
    since: Spanned<Datetime>,
    #[serde(default)]
    until: Option<Spanned<Datetime>>,
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
    #[serde(default)]
    roles: BTreeMap<Spanned<String>, RawLevels>,
    #[serde(default)]
    fleet: Option<RawFleet>,
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

pub(super) fn parse_with(
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
    let mut list_refs: Vec<(&'static str, Spanned<String>)> = Vec::new();
    for e in raw.entities {
        let id = e.id.get_ref().clone();
        if id.is_empty() {
            return Err(cx.err(e.id.span(), "entity id must not be empty"));
        }
        if entities.contains_key(&id) {
            return Err(cx.err(e.id.span(), format!("entity '{id}' is declared twice")));
        }
        let country = cx.country(&e.country)?;
        let mut dated = |raw: &[RawDesignation], what: &'static str| {
            let mut out = Vec::new();
            for d in raw {
                let since = cx.time(&d.since)?;
                let until = d.until.as_ref().map(|u| cx.time(u)).transpose()?;
                if until.is_some_and(|u| u <= since) {
                    return Err(cx.err(
                        d.since.span(),
                        format!(
                            "{what} on '{}': until must be later than since",
                            d.list.get_ref()
                        ),
                    ));
                }
                list_refs.push((what, d.list.clone()));
                out.push(Designation {
                    list: d.list.get_ref().clone(),
                    since,
                    until,
                });
            }
            Ok(out)
        };
        let designations = dated(&e.designations, "designation")?;
        let approvals = dated(&e.approvals, "approval")?;
        let mut parents = Vec::new();
        match (&e.parent, &e.parents) {
            (Some(p), Some(_)) => {
                return Err(cx.err(
                    p.span(),
                    format!("entity '{id}' has both parent and parents; use parents for ownership that changed"),
                ));
            }
            (Some(p), None) => {
                parent_spans.push((id.clone(), p.clone()));
                parents.push(Owner {
                    entity: p.get_ref().clone(),
                    since: None,
                    until: None,
                });
            }
            (None, Some(list)) => {
                for o in list {
                    let span = o.span();
                    let o = o.get_ref();
                    let since = o.since.as_ref().map(|t| cx.time(t)).transpose()?;
                    let until = o.until.as_ref().map(|t| cx.time(t)).transpose()?;
                    if let (Some(s), Some(u)) = (since, until)
                        && u <= s
                    {
                        return Err(cx.err(
                            span,
                            format!("entity '{id}': an owner's until must be later than its since"),
                        ));
                    }
                    parent_spans.push((id.clone(), o.entity.clone()));
                    parents.push(Owner {
                        entity: o.entity.get_ref().clone(),
                        since,
                        until,
                    });
                }
                // Periods must not overlap: sorted by start, each ends by
                // the next one's start.
                let mut sorted: Vec<&Owner> = parents.iter().collect();
                sorted.sort_by_key(|o| o.since.map_or(0, |s| s.0.saturating_add(1)));
                for w in sorted.windows(2) {
                    let ends = w[0].until.map_or(u64::MAX, |u| u.0);
                    let next = w[1].since.map_or(0, |s| s.0);
                    if ends > next {
                        let span = list.first().map_or(0..0, |o| o.span());
                        return Err(cx.err(
                            span,
                            format!(
                                "entity '{id}': ownership periods overlap ('{}' and '{}'); each owner's since must be at or after the previous owner's until",
                                w[0].entity, w[1].entity
                            ),
                        ));
                    }
                }
            }
            (None, None) => {}
        }
        let opaque = match &e.ownership {
            None => false,
            Some(o) => match o.get_ref().as_str() {
                "disclosed" => false,
                "undisclosed" => true,
                other => {
                    return Err(cx.err(
                        o.span(),
                        format!(
                            "ownership must be \"disclosed\" or \"undisclosed\", not '{other}'"
                        ),
                    ));
                }
            },
        };
        for v in &e.signs_for {
            signs_for_spans.push((id.clone(), v.clone()));
        }
        entities.insert(
            id.clone(),
            Entity {
                name: e.name.unwrap_or_else(|| id.clone()),
                id,
                country,
                parents,
                opaque,
                designations,
                approvals,
                signs_for: e.signs_for.into_iter().map(Spanned::into_inner).collect(),
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
    check_ownership_graph(&cx, &entities, &parent_spans)?;

    let mut keys: HashMap<KeyId, KeyEntry> = HashMap::new();
    let mut evidence_keys: Vec<EvidenceKeyEntry> = Vec::new();
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
            (Some(t), None) => {
                PublicKey::from_text(t.get_ref()).map_err(|e| cx.err(t.span(), e.to_string()))?
            }
            (None, Some(f)) => {
                let bytes = read_key_file(f.get_ref()).map_err(|e| cx.err(f.span(), e))?;
                if bytes.windows(11).any(|w| w == b"PRIVATE KEY") {
                    return Err(cx.err(
                        f.span(),
                        format!("{} is a private key; a policy names public keys only (openssl pkey -pubout, or the .pub.pem `hwprov key generate` writes)", f.get_ref()),
                    ));
                }
                let key = match PublicKey::parse_file_bytes(&bytes) {
                    Ok(key) => key,
                    Err(e) => {
                        // Not Ed25519: an ECDSA evidence key (SPEC 1, 11)?
                        let roles: Vec<&str> =
                            k.roles.iter().map(|r| r.get_ref().as_str()).collect();
                        let t = |x: &Option<Spanned<Datetime>>| {
                            x.as_ref().map(|d| cx.time(d)).transpose()
                        };
                        let times = [t(&k.not_before)?, t(&k.not_after)?, t(&k.revoked_at)?];
                        let entry = evidence::key_entry(
                            &cx,
                            span,
                            f,
                            &bytes,
                            &e,
                            k.entity.get_ref(),
                            &roles,
                            times,
                            &evidence_keys,
                        )?;
                        key_files.push((f.get_ref().clone(), bytes));
                        evidence_keys.push(entry);
                        continue;
                    }
                };
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
            prepared: std::sync::OnceLock::new(),
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
        Some(r) => rule_table(&cx, r, Table::Rules)?,
        None => RuleTable::default(),
    };
    let role_tables = |raw: BTreeMap<Spanned<String>, RawLevels>, within: &str| {
        let mut out = BTreeMap::new();
        for (name, t) in raw {
            check_role(&cx, &name, within)?;
            out.insert(
                name.into_inner(),
                rule_table(&cx, t.rules, Table::LevelsOnly("a role"))?,
            );
        }
        Ok(out)
    };
    let roles = role_tables(raw.roles, "[roles]")?;
    let mut classes = BTreeMap::new();
    for (name, c) in raw.classes {
        check_scope_name(&cx, &name, "class")?;
        let header = format!("[classes.{}.fleet]", name.get_ref());
        let class = Class {
            rules: rule_table(&cx, c.rules, Table::Class)?,
            roles: role_tables(c.roles, &format!("[classes.{}.roles]", name.get_ref()))?,
            fleet: c.fleet.map(|f| parse_fleet(&cx, f, &header)).transpose()?,
        };
        classes.insert(name.into_inner(), class);
    }
    let mut zones = BTreeMap::new();
    for (name, z) in raw.zones {
        check_scope_name(&cx, &name, "zone")?;
        zones.insert(
            name.into_inner(),
            rule_table(&cx, z.rules, Table::LevelsOnly("a zone"))?,
        );
    }
    let lists = scope::parse_lists(&cx, raw.lists, &classes)?;
    let mut evaluations = BTreeMap::new();
    for (scheme, e) in raw.evaluations {
        if scheme.get_ref().is_empty() {
            return Err(cx.err(scheme.span(), "an evaluation scheme name must not be empty"));
        }
        let labs = match e.labs {
            None => None,
            Some(labs) => {
                let mut set = BTreeSet::new();
                for l in labs {
                    if !entities.contains_key(l.get_ref()) {
                        return Err(cx.err(
                            l.span(),
                            format!(
                                "lab '{}' of [evaluations.{}] is not a declared entity",
                                l.get_ref(),
                                scheme.get_ref()
                            ),
                        ));
                    }
                    set.insert(l.into_inner());
                }
                Some(set)
            }
        };
        let max_age_days = match e.max_age_days {
            None => None,
            Some(d) if *d.get_ref() >= 1 => Some(*d.get_ref() as u64),
            Some(d) => {
                return Err(cx.err(d.span(), "max_age_days must be at least 1"));
            }
        };
        let max_cvss = evidence::max_cvss(&cx, scheme.get_ref(), e.max_cvss)?;
        evaluations.insert(
            scheme.into_inner(),
            EvaluationScheme {
                labs,
                max_age_days,
                max_cvss,
            },
        );
    }
    scope::check_list_refs(&cx, &list_refs, &lists)?;

    let class_from = match &raw.policy.class_from {
        None => ClassFrom::Operator,
        Some(c) => match c.get_ref().as_str() {
            "operator" => ClassFrom::Operator,
            "device" => ClassFrom::Device,
            other => {
                return Err(cx.err(
                    c.span(),
                    format!("class_from must be \"operator\" or \"device\", not '{other}'"),
                ));
            }
        },
    };

    let fleet = match raw.fleet {
        Some(f) => parse_fleet(&cx, f, "[fleet]")?,
        None => FleetTable::default(),
    };
    let phaseouts = parse_phaseouts(&cx, raw.phaseouts, &entities, &classes)?;

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
            Some(s) => {
                Some(Sha256::parse_text(s.get_ref()).map_err(|e| cx.err(s.span(), e.to_string()))?)
            }
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

    let transparency = raw
        .transparency
        .map(|t| evidence::transparency(&cx, t.firmware, read_key_file, &mut key_files))
        .transpose()?;

    Ok(Policy {
        name: raw.policy.name,
        version: raw.policy.version,
        sha256: Sha256::of(src.as_bytes()),
        high_risk,
        entities,
        keys,
        evidence_keys,
        rules,
        roles,
        classes,
        zones,
        class_from,
        lists,
        evaluations,
        fleet,
        phaseouts_by_entity: {
            let mut by: HashMap<String, Vec<usize>> = HashMap::new();
            for (i, p) in phaseouts.iter().enumerate() {
                by.entry(p.entity.clone()).or_default().push(i);
            }
            by
        },
        phaseouts,
        waivers,
        key_files,
        transparency,
        source: src.as_bytes().to_vec(),
    })
}

/// The ownership graph over every period (SPEC 6.7, 6.11): no cycle, and no
/// chain longer than `MAX_OWNERSHIP_DEPTH` parents, whatever the dates.
/// Depth-first from each entity in id order, remembering the longest chain
/// above each finished entity, so the work is linear in the entities and
/// owner links (a 4 MiB policy of chained entities cannot cost quadratic
/// time).
fn check_ownership_graph(
    cx: &Ctx<'_>,
    entities: &BTreeMap<String, Entity>,
    parent_spans: &[(String, Spanned<String>)],
) -> Result<(), PolicyError> {
    // Longest chain (in entities) from each finished entity upwards.
    let mut height: HashMap<&str, usize> = HashMap::new();
    for root in entities.keys() {
        if height.contains_key(root.as_str()) {
            continue;
        }
        let span = || {
            parent_spans
                .iter()
                .find(|(c, _)| c == root)
                .map_or(0..0, |(_, s)| s.span())
        };
        // The current path and, for each entity on it, the next owner to visit.
        let mut path: Vec<(&str, usize)> = vec![(root.as_str(), 0)];
        while let Some(&(id, next)) = path.last() {
            let owners = entities.get(id).map_or(&[][..], |e| e.parents.as_slice());
            let Some(owner) = owners.get(next) else {
                let h = 1 + owners
                    .iter()
                    .filter_map(|o| height.get(o.entity.as_str()))
                    .max()
                    .copied()
                    .unwrap_or(0);
                height.insert(id, h);
                path.pop();
                continue;
            };
            if let Some(top) = path.last_mut() {
                top.1 += 1;
            }
            let p = owner.entity.as_str();
            if path.iter().any(|(q, _)| *q == p) {
                let names: Vec<&str> = path.iter().map(|(q, _)| *q).collect();
                return Err(cx.err(
                    span(),
                    format!("ownership cycle: {} -> {p}", names.join(" -> ")),
                ));
            }
            let above = height.get(p).copied().unwrap_or(1);
            if path.len() + above > MAX_OWNERSHIP_DEPTH + 1 {
                return Err(cx.err(
                    span(),
                    format!(
                        "the ownership chain of '{root}' is more than {MAX_OWNERSHIP_DEPTH} \
                         parents long ({} -> {} -> ... -> {p}); no real ownership \
                         structure is this deep",
                        path[0].0,
                        path.get(1).map_or(p, |x| x.0)
                    ),
                ));
            }
            if !entities.contains_key(p) {
                continue; // reported by the parent check before this
            }
            if !height.contains_key(p) {
                path.push((p, 0));
            }
        }
    }
    Ok(())
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
        assert_eq!(ok.chain_at("e0", Timestamp(0)).len(), 33);
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

//! The scoping tables of SPEC 6.2 and 6.6: rule tables (`[rules]`,
//! roles, classes, zones) and declared lists with their references.

//! Parsing the policy file (SPEC section 6): TOML into checked values,
//! every problem an error with the file, line and column.

use super::ctx::Ctx;
use super::*;
use crate::policy::rules::{Level, Rule};
use crate::wire::digest::Sha256;
use crate::wire::statement::Stage;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawList {
    pub(super) id: Spanned<String>,
    pub(super) kind: Spanned<String>,
    #[serde(default)]
    pub(super) source: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) classes: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    pub(super) roles: Option<Vec<Spanned<String>>>,
}

/// `[roles.R]` and `[zones.Z]`: rule levels only.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLevels {
    #[serde(default)]
    pub(super) rules: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
}

/// `[[lists]]`: each declared list, checked (SPEC 6.6).
pub(super) fn parse_lists(
    cx: &Ctx<'_>,
    raw: Vec<RawList>,
    classes: &BTreeMap<String, Class>,
) -> Result<BTreeMap<String, List>, PolicyError> {
    let mut lists: BTreeMap<String, List> = BTreeMap::new();
    for l in raw {
        let id = l.id.get_ref().clone();
        if id.is_empty() {
            return Err(cx.err(l.id.span(), "list id must not be empty"));
        }
        if lists.contains_key(&id) {
            return Err(cx.err(l.id.span(), format!("list '{id}' is declared twice")));
        }
        let kind = match l.kind.get_ref().as_str() {
            "deny" => ListKind::Deny,
            "allow" => ListKind::Allow,
            other => {
                return Err(cx.err(
                    l.kind.span(),
                    format!("list kind must be \"deny\" or \"allow\", not '{other}'"),
                ));
            }
        };
        let source = l
            .source
            .as_ref()
            .map(|s| {
                Sha256::parse_text(s.get_ref()).map_err(|e| {
                    cx.err(
                        s.span(),
                        format!("list source must be \"sha256:<64 hex>\": {e}"),
                    )
                })
            })
            .transpose()?;
        let classes = match l.classes {
            None => None,
            Some(cs) => {
                let mut set = BTreeSet::new();
                for c in cs {
                    if !classes.contains_key(c.get_ref()) {
                        return Err(cx.err(
                            c.span(),
                            format!(
                                "list '{id}' names class '{}', which is not declared",
                                c.get_ref()
                            ),
                        ));
                    }
                    set.insert(c.into_inner());
                }
                Some(set)
            }
        };
        let roles = match l.roles {
            None => None,
            Some(rs) => {
                let mut set = BTreeSet::new();
                for r in rs {
                    check_role(cx, &r, &format!("list '{id}'"))?;
                    set.insert(r.into_inner());
                }
                Some(set)
            }
        };
        lists.insert(
            id.clone(),
            List {
                id,
                kind,
                source,
                classes,
                roles,
            },
        );
    }
    Ok(lists)
}

/// Designations name deny lists (a list not declared is one, with no
/// scope); approvals name declared allow lists.
pub(super) fn check_list_refs(
    cx: &Ctx<'_>,
    list_refs: &[(&'static str, Spanned<String>)],
    lists: &BTreeMap<String, List>,
) -> Result<(), PolicyError> {
    // Designations name deny lists (a list not declared is one, with no
    // scope); approvals name declared allow lists.
    for (what, list) in list_refs {
        let declared = lists.get(list.get_ref()).map(|l| l.kind);
        let problem = match (*what, declared) {
            ("designation", Some(ListKind::Allow)) => {
                Some("is an allow list; designations go on deny lists")
            }
            ("approval", None) => {
                Some("is not declared; declare it with [[lists]] kind = \"allow\"")
            }
            ("approval", Some(ListKind::Deny)) => {
                Some("is a deny list; approvals go on allow lists")
            }
            _ => None,
        };
        if let Some(p) = problem {
            return Err(cx.err(
                list.span(),
                format!("{what} on list '{}': the list {p}", list.get_ref()),
            ));
        }
    }
    Ok(())
}

/// Which table a rule table is: settings are allowed in `[rules]` and a
/// class's table; role and zone tables set levels only.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Table {
    Rules,
    Class,
    LevelsOnly(&'static str),
}

/// A role named in a table or a list scope must be one of [`ROLES`].
pub(super) fn check_role(
    cx: &Ctx<'_>,
    name: &Spanned<String>,
    within: &str,
) -> Result<(), PolicyError> {
    if ROLES.contains(&name.get_ref().as_str()) {
        return Ok(());
    }
    Err(cx.err(
        name.span(),
        format!(
            "unknown role '{}' in {within}; roles are {}",
            name.get_ref(),
            ROLES.join(", ")
        ),
    ))
}

/// Class and zone names: `^[a-z][a-z0-9-]{0,31}$` (SPEC 6.2).
pub(super) fn check_scope_name(
    cx: &Ctx<'_>,
    name: &Spanned<String>,
    what: &str,
) -> Result<(), PolicyError> {
    let n = name.get_ref();
    let ok = n.len() <= 32
        && n.starts_with(|c: char| c.is_ascii_lowercase())
        && n.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(cx.err(
            name.span(),
            format!(
                "{what} name '{n}' must be 1 to 32 characters: a lower-case letter, then lower-case letters, digits or '-'"
            ),
        ))
    }
}

pub(super) fn rule_table(
    cx: &Ctx<'_>,
    raw: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
    table: Table,
) -> Result<RuleTable, PolicyError> {
    let in_class = table != Table::Rules;
    let mut t = RuleTable::default();
    for (k, v) in raw {
        let span = v.span();
        let v = v.into_inner();
        let want = |what: &str| cx.err(span.clone(), format!("'{}' must be {what}", k.get_ref()));
        if let Table::LevelsOnly(what) = table
            && matches!(
                k.get_ref().as_str(),
                "required_stages"
                    | "firmware_min_signers"
                    | "firmware_evaluations"
                    | "revocation"
                    | "control_at"
            )
        {
            return Err(cx.err(
                k.span(),
                format!(
                    "'{}' is a setting of [rules] or a class; {what} table sets rule levels only",
                    k.get_ref()
                ),
            ));
        }
        match k.get_ref().as_str() {
            "required_stages" => {
                let arr = v
                    .as_array()
                    .ok_or_else(|| want("an array of stage names"))?;
                let mut stages = Vec::new();
                for s in arr {
                    let st = s.as_str().and_then(Stage::parse).ok_or_else(|| {
                        want("an array of stage names (design, fab, atp, integration, build)")
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
            "control_at" if in_class => {
                return Err(cx.err(
                    k.span(),
                    "control_at applies to every statement and can only be set in [rules]",
                ));
            }
            "control_at" => {
                t.control_at = Some(match v.as_str() {
                    Some("evaluation") => ControlAt::Evaluation,
                    Some("issued") => ControlAt::Issued,
                    Some("both") => ControlAt::Both,
                    _ => return Err(want("\"evaluation\", \"issued\" or \"both\"")),
                });
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

//! `hwprov policy check`: a readable summary of a loaded policy.

use super::*;
use crate::wire::country::Country;
use crate::wire::time::Timestamp;

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
            let chain = self.chain_at(&e.id, at);
            let controlled: Vec<String> = chain
                .iter()
                .filter(|x| self.high_risk.contains(&x.country))
                .map(|x| format!("{} ({})", x.id, x.country))
                .collect();
            let designated: Vec<String> = chain
                .iter()
                .flat_map(|x| x.designations.iter().map(move |d| (x, d)))
                .map(|(x, d)| {
                    let state = if d.live(at) {
                        "in force"
                    } else if d.since > at {
                        "not yet in force"
                    } else {
                        "ended"
                    };
                    let until = d.until.map_or(String::new(), |u| format!(" until {u}"));
                    format!(
                        "{} on '{}' since {}{until} ({state})",
                        x.id, d.list, d.since
                    )
                })
                .collect();
            let approved: Vec<String> = e
                .approvals
                .iter()
                .map(|a| {
                    let until = a.until.map_or(String::new(), |u| format!(" until {u}"));
                    let state = if a.live(at) {
                        "in force"
                    } else {
                        "not in force"
                    };
                    format!("'{}' since {}{until} ({state})", a.list, a.since)
                })
                .collect();
            let mut notes = Vec::new();
            if !controlled.is_empty() {
                notes.push(format!("controlled from {}", controlled.join(", ")));
            }
            if !designated.is_empty() {
                notes.push(format!("designated: {}", designated.join("; ")));
            }
            if !approved.is_empty() {
                notes.push(format!("approved on {}", approved.join("; ")));
            }
            if e.opaque {
                notes.push("ownership undisclosed".to_owned());
            }
            let dated: Vec<String> = e
                .parents
                .iter()
                .filter(|p| p.since.is_some() || p.until.is_some())
                .map(|p| {
                    let since = p.since.map_or("ever".to_owned(), |t| t.to_string());
                    let until = p.until.map_or("now".to_owned(), |t| t.to_string());
                    format!("{} from {since} to {until}", p.entity)
                })
                .collect();
            if !dated.is_empty() {
                notes.push(format!("owners {}", dated.join(", ")));
            }
            let chain = if chain.len() > 1 {
                let ids: Vec<&str> = chain[1..].iter().map(|x| x.id.as_str()).collect();
                format!(" owned via {}", ids.join(" -> "))
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
        if !self.evidence_keys.is_empty() {
            let _ = writeln!(
                o,
                "evidence keys (OCP S.A.F.E. reports only): {}",
                self.evidence_keys.len()
            );
            for k in &self.evidence_keys {
                let _ = writeln!(
                    o,
                    "  {:<24} {} {}",
                    k.entity,
                    k.key.curve(),
                    k.key.id().hex()
                );
            }
        }
        for (scheme, e) in &self.evaluations {
            let mut parts = vec![match &e.labs {
                None => "labs: any entity with an evaluation key".to_owned(),
                Some(l) => format!("labs: {}", l.iter().cloned().collect::<Vec<_>>().join(", ")),
            }];
            if let Some(d) = e.max_age_days {
                parts.push(format!("max_age_days {d}"));
            }
            if let Some(m) = e.max_cvss {
                parts.push(format!("max_cvss {}", crate::wire::safe::cvss_text(m)));
            }
            let _ = writeln!(o, "evaluations.{}: {}", scheme, parts.join("; "));
        }
        if !self.lists.is_empty() {
            let _ = writeln!(o, "lists: {}", self.lists.len());
            for l in self.lists.values() {
                let set = |s: &Option<BTreeSet<String>>, every: &str| {
                    s.as_ref().map_or(every.to_owned(), |s| {
                        s.iter().cloned().collect::<Vec<_>>().join(", ")
                    })
                };
                let _ = writeln!(
                    o,
                    "  {:<24} {}, classes: {}; roles: {}; source: {}",
                    l.id,
                    match l.kind {
                        ListKind::Deny => "deny",
                        ListKind::Allow => "allow",
                    },
                    set(&l.classes, "every class"),
                    set(&l.roles, "every role"),
                    l.source.map_or("not given".to_owned(), |d| d.to_string())
                );
            }
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
        let _ = writeln!(
            o,
            "rules in force: the level of each rule per class; below, each role whose levels differ; zones only tighten"
        );
        let configurable: Vec<Rule> = Rule::ALL
            .iter()
            .copied()
            .filter(|r| r.is_configurable())
            .collect();
        let heads: Vec<String> = classes
            .iter()
            .map(|c| c.map_or("(no class)".to_owned(), str::to_owned))
            .collect();
        let width = heads.iter().map(String::len).max().unwrap_or(4).max(4) + 2;
        let _ = writeln!(
            o,
            "  {:<24}{}",
            "rule",
            heads
                .iter()
                .map(|h| format!("{h:<width$}"))
                .collect::<String>()
                .trim_end()
        );
        for r in &configurable {
            let cells: String = classes
                .iter()
                .map(|c| {
                    let scope = Scope {
                        class: *c,
                        ..Scope::default()
                    };
                    format!("{:<width$}", self.level(*r, &scope).as_str())
                })
                .collect();
            let _ = writeln!(o, "  {:<24}{}", r.as_str(), cells.trim_end());
        }
        for class in &classes {
            let base = Scope {
                class: *class,
                ..Scope::default()
            };
            for role in ROLES {
                let scope = Scope {
                    role: Some(role),
                    ..base
                };
                let differ: Vec<String> = configurable
                    .iter()
                    .filter(|r| self.level(**r, &scope) != self.level(**r, &base))
                    .map(|r| format!("{r}={}", self.level(*r, &scope).as_str()))
                    .collect();
                if !differ.is_empty() {
                    let _ = writeln!(
                        o,
                        "  {} role {role}: {}",
                        class.map_or("(no class)".to_owned(), |c| format!("class {c}")),
                        differ.join(" ")
                    );
                }
            }
        }
        for class in &classes {
            let p = self.params(*class);
            let _ = writeln!(
                o,
                "  {}: required_stages [{}], firmware_min_signers {}, firmware_evaluations [{}], revocation {}, control_at {}",
                class.map_or("(no class)".to_owned(), |c| format!("class {c}")),
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
                },
                match self.rules.control_at.unwrap_or_default() {
                    ControlAt::Evaluation => "evaluation",
                    ControlAt::Issued => "issued",
                    ControlAt::Both => "both",
                }
            );
        }
        for (zone, t) in &self.zones {
            let set: Vec<String> = t
                .levels
                .iter()
                .map(|(r, l)| format!("{r}={}", l.as_str()))
                .collect();
            let _ = writeln!(o, "  zone {zone} tightens to at least: {}", set.join(" "));
        }
        for class in &classes {
            let _ = writeln!(
                o,
                "fleet {}: {}",
                class.map_or("(unclassified)".to_owned(), |c| format!("class {c}")),
                self.fleet_at(*class, at).describe()
            );
        }
        for p in &self.phaseouts {
            let state = if at >= p.deadline {
                "deadline passed: legacy units get phaseout.overdue".to_owned()
            } else {
                format!(
                    "{} days to the deadline",
                    (p.deadline.0 - at.0).div_ceil(86_400)
                )
            };
            let _ = writeln!(
                o,
                "phase-out '{}': units of {} and its subsidiaries{} installed before {} are legacy until {} ({state}); later units get phaseout.new-unit. Reason: {}",
                p.id,
                p.entity,
                p.classes.as_ref().map_or(String::new(), |c| format!(
                    " in {}",
                    c.iter().map(String::as_str).collect::<Vec<_>>().join(", ")
                )),
                p.installed_before,
                p.deadline,
                p.reason
            );
        }
        o
    }
}

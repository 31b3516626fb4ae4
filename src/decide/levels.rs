//! Rule levels and waivers (SPEC section 6.6): a policy-rule finding gets
//! its severity from `[rules]` or its class, then a live waiver may waive it.

use crate::policy::rules::{Level, Rule};
use crate::policy::{Phaseout, Policy};
use crate::policy::{Scope, WAIVER_NOTICE_SECS};
use crate::report::{Finding, Severity};
use crate::wire::time::Timestamp;

/// Applies `[rules]`/class levels and waivers to policy-rule findings; a
/// finding about the vendor of a legacy unit under one of `waiving` (phase-out
/// plans before their deadline, SPEC 6.5) is waived by the plan.
pub(crate) fn apply_policy_levels(
    policy: &Policy,
    raw: Vec<Finding>,
    class: Option<&str>,
    zones: &[String],
    waiving: &[&Phaseout],
    at: Timestamp,
) -> Vec<Finding> {
    let mut out = Vec::with_capacity(raw.len());
    for mut f in raw {
        let scope = Scope {
            class,
            zones,
            role: f.context.role,
        };
        match policy.level(f.rule, &scope) {
            Level::Off => continue,
            Level::Deny => f.severity = Severity::Deny,
            Level::Warn => f.severity = Severity::Warn,
        }
        if let Some(p) = crate::decide::phaseout::waived_by(policy, waiving, &f, at) {
            f.severity = Severity::Waived;
            f.message = format!(
                "{} [legacy unit under phase-out plan '{}': waived until {}: {}]",
                f.message, p.id, p.deadline, p.reason
            );
            out.push(f);
            continue;
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
                        policy.level(f.rule, &scope).as_str()
                    ),
                    entity: f.entity.clone(),
                    context: f.context.clone(),
                });
            }
        } else if let Some(w) = matching.iter().max_by_key(|w| w.expires) {
            let level = policy.level(Rule::WaiverExpired, &scope);
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

//! Findings, verdicts and the report of SPEC section 8, in text, JSON and SARIF.

pub mod entry;
pub mod html;
pub mod regulator;
pub mod shipment;

use crate::policy::rules::Rule;
use crate::text::Escaped;
use crate::wire::digest::Sha256;
use crate::wire::keys::KeyId;
use crate::wire::time::Timestamp;
use serde::{Serialize, Serializer};
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

/// Severity of a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Fails the verdict.
    Deny,
    /// Warns.
    Warn,
    /// Informs.
    Info,
    /// Matched by a live waiver.
    Waived,
}

impl Severity {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Deny => "deny",
            Severity::Warn => "warn",
            Severity::Info => "info",
            Severity::Waived => "waived",
        }
    }
}

/// The overall outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// No deny and no warn finding.
    Pass,
    /// Warn findings but no deny.
    Warn,
    /// At least one deny finding.
    Fail,
}

impl Verdict {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
        }
    }

    /// The exit status of SPEC section 8: `0` for pass or warn (`1` for warn
    /// with `--deny-warnings`), `1` for fail.
    pub fn exit_code(self, deny_warnings: bool) -> u8 {
        match self {
            Verdict::Pass => 0,
            Verdict::Warn if !deny_warnings => 0,
            _ => 1,
        }
    }

    /// `fail` if any deny; else `warn` if any warn; else `pass`.
    pub fn of(findings: &[Finding]) -> Verdict {
        if findings.iter().any(|f| f.severity == Severity::Deny) {
            Verdict::Fail
        } else if findings.iter().any(|f| f.severity == Severity::Warn) {
            Verdict::Warn
        } else {
            Verdict::Pass
        }
    }
}

fn ser_display<T: std::fmt::Display, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

fn ser_opt_display<T: std::fmt::Display, S: Serializer>(
    v: &Option<T>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.collect_str(v),
        None => s.serialize_none(),
    }
}

fn ser_key_ids<S: Serializer>(v: &[KeyId], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(v.iter().map(|k| k.to_string()))
}

/// What a waiver may match a finding on (not part of the JSON report).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// The part concerned.
    pub part: Option<String>,
    /// The device's vendor (serials are unique only per vendor).
    pub vendor: Option<String>,
    /// The device serial.
    pub serial: Option<String>,
    /// The role of the statement concerned (its stage name or type): it
    /// selects `[roles.R]` levels (SPEC 6.2).
    pub role: Option<&'static str>,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Rule id.
    #[serde(serialize_with = "ser_display")]
    pub rule: Rule,
    /// Severity after policy levels and waivers.
    pub severity: Severity,
    /// Digest of the statement concerned, if any.
    #[serde(serialize_with = "ser_opt_display")]
    pub statement: Option<Sha256>,
    /// What it concerns, short.
    pub subject: String,
    /// What is wrong and what to do.
    pub message: String,
    /// The entity the finding concerns, when there is one: the issuer of
    /// the statement, or the vendor group of a fleet finding (SPEC 8). An
    /// `entity` waiver matches on it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
    /// Waiver matching context.
    #[serde(skip)]
    pub context: Context,
}

/// A statement of the bundle, as listed in the report.
#[derive(Debug, Clone, Serialize)]
pub struct StatementEntry {
    /// Digest of the tagged COSE bytes.
    #[serde(serialize_with = "ser_display")]
    pub digest: Sha256,
    /// Statement type, if the payload decoded.
    #[serde(rename = "type")]
    pub type_name: Option<&'static str>,
    /// Issuer, if the payload decoded.
    pub issuer: Option<String>,
    /// Key ids of the signatures (hex).
    #[serde(serialize_with = "ser_key_ids")]
    pub signers: Vec<KeyId>,
    /// Whether it passed every always-deny check and counts as evidence.
    pub verified: bool,
}

/// The root of the bundle.
#[derive(Debug, Clone, Serialize)]
pub struct RootEntry {
    /// Digest.
    #[serde(serialize_with = "ser_display")]
    pub digest: Sha256,
    /// Type, if decoded.
    #[serde(rename = "type")]
    pub type_name: Option<&'static str>,
    /// Issuer, if decoded.
    pub issuer: Option<String>,
}

/// The policy a report was made under.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyRef {
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// SHA-256 of the policy file (hex).
    pub sha256: String,
}

/// A piece of outside evidence (an OCP S.A.F.E. report) judged for a
/// release's image, and whether it counted (SPEC 11).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvidenceUse {
    /// The scheme it was judged for (`ocp-safe`).
    pub scheme: String,
    /// SHA-256 of the report's bytes in the bundle.
    pub evidence: Sha256,
    /// The policy entity whose key verified it.
    pub lab: String,
    /// The image (SHA-256) of the release it was judged for.
    pub image: Sha256,
    /// Whether it counted for the release.
    pub counted: bool,
    /// `pass` or `fail` when it counted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<&'static str>,
    /// Why.
    pub reason: String,
}

/// The report of one verification (SPEC section 8).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `hwprov-report/1`.
    pub format: &'static str,
    /// Verdict.
    pub verdict: Verdict,
    /// Evaluation time.
    #[serde(serialize_with = "ser_display")]
    pub at: Timestamp,
    /// Policy.
    pub policy: PolicyRef,
    /// Root statement.
    pub root: Option<RootEntry>,
    /// Every statement of the bundle, in bundle order.
    pub statements: Vec<StatementEntry>,
    /// Findings, grouped by statement in bundle order.
    pub findings: Vec<Finding>,
    /// Outside evidence judged for the decision, counted or not (absent
    /// from the JSON when there is none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evaluations: Vec<EvidenceUse>,
    /// What a shipment summary needs about a device root (not in the JSON report).
    #[serde(skip)]
    pub unit: Option<UnitFacts>,
}

/// Facts about a verified device root, for fleet checks and summaries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitFacts {
    /// Vendor, model, serial.
    pub product: crate::wire::statement::Product,
    /// The class the device statement names, if any.
    pub class: Option<String>,
    /// Stage and site country of every verified stage statement reached
    /// through the components' provenance (each distinct pair once).
    pub sites: Vec<(crate::wire::statement::Stage, crate::wire::country::Country)>,
    /// The phase-out plans covering the unit (index in the policy) and
    /// whether it is legacy or new under each (SPEC 6.5).
    pub plans: Vec<(usize, crate::policy::PlanStatus)>,
}

/// The `format` value of the JSON report.
pub const REPORT_FORMAT: &str = "hwprov-report/1";

fn short(d: &Sha256) -> String {
    let h = d.hex();
    format!("sha256:{}…", &h[..16])
}

impl Report {
    /// The JSON report (one line).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Counts of findings by severity: deny, warn, info, waived.
    pub fn counts(&self) -> [usize; 4] {
        let mut c = [0; 4];
        for f in &self.findings {
            c[f.severity as usize] += 1;
        }
        c
    }

    /// The report for people: statements with their findings, then a verdict line.
    pub fn to_text(&self, source: &str) -> String {
        let mut o = String::new();
        let _ = writeln!(
            o,
            "{}: {} statement(s), policy '{}' version '{}', at {}\n",
            Escaped(source),
            self.statements.len(),
            Escaped(&self.policy.name),
            Escaped(&self.policy.version),
            self.at
        );
        // Findings grouped by statement once (in report order), not one scan
        // of every finding per statement: a hostile bundle can have 10,000
        // statements and tens of thousands of findings.
        let shown: HashSet<Sha256> = self.statements.iter().map(|s| s.digest).collect();
        let mut by_statement: HashMap<Sha256, Vec<&Finding>> = HashMap::new();
        let mut loose: Vec<&Finding> = Vec::new();
        for f in &self.findings {
            match f.statement {
                Some(d) if shown.contains(&d) => by_statement.entry(d).or_default().push(f),
                _ => loose.push(f),
            }
        }
        for (i, s) in self.statements.iter().enumerate() {
            let role = if i == 0 { "root " } else { "" };
            let _ = writeln!(
                o,
                "  {role}{} {} from {}: {}",
                s.type_name.unwrap_or("undecoded"),
                short(&s.digest),
                Escaped(s.issuer.as_deref().unwrap_or("unknown issuer")),
                if s.verified {
                    "verified"
                } else {
                    "NOT verified"
                }
            );
            // A statement listed twice shows its findings once.
            for f in by_statement.remove(&s.digest).unwrap_or_default() {
                write_finding(&mut o, f);
            }
        }
        if !self.evaluations.is_empty() {
            let _ = writeln!(o, "  evaluations:");
            for u in &self.evaluations {
                let _ = writeln!(
                    o,
                    "    {} report {} by {} for image {}: {}\n           {}",
                    u.scheme,
                    short(&u.evidence),
                    Escaped(&u.lab),
                    short(&u.image),
                    match (u.counted, u.result) {
                        (true, Some(r)) => format!("counted, {}", r.to_uppercase()),
                        _ => "does not count".to_owned(),
                    },
                    Escaped(&u.reason)
                );
            }
        }
        if !loose.is_empty() {
            let _ = writeln!(o, "  bundle:");
            for f in loose {
                write_finding(&mut o, f);
            }
        }
        let [deny, warn, info, waived] = self.counts();
        let _ = writeln!(
            o,
            "\nverdict: {} ({deny} deny, {warn} warn, {info} info, {waived} waived)",
            self.verdict.as_str().to_uppercase()
        );
        o
    }
}

fn write_finding(o: &mut String, f: &Finding) {
    let _ = writeln!(
        o,
        "    {:<6} {}: {}\n           {}",
        f.severity.as_str(),
        f.rule,
        Escaped(&f.subject),
        Escaped(&f.message)
    );
    if matches!(f.severity, Severity::Deny | Severity::Warn) {
        let _ = writeln!(o, "           fix: {}", f.rule.help());
    }
}

/// SARIF level of a finding's severity.
fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Deny => "error",
        Severity::Warn => "warning",
        Severity::Info | Severity::Waived => "note",
    }
}

impl Report {
    /// A SARIF 2.1.0 log with one run, so findings show up in code-scanning
    /// dashboards. `artifact` is the bundle's path or URI. Waived findings
    /// carry an accepted external suppression with the waiver's text.
    pub fn to_sarif(&self, artifact: &str) -> String {
        let mut rules: Vec<Rule> = self.findings.iter().map(|f| f.rule).collect();
        rules.sort();
        rules.dedup();
        let descriptors: Vec<serde_json::Value> = rules
            .iter()
            .map(|r| {
                let level = match r.kind() {
                    crate::policy::rules::RuleKind::PolicyWarn => "warning",
                    crate::policy::rules::RuleKind::Info => "note",
                    _ => "error",
                };
                serde_json::json!({
                    "id": r.as_str(),
                    "name": r.as_str(),
                    "shortDescription": {"text": r.description()},
                    "help": {"text": r.help()},
                    "defaultConfiguration": {"level": level},
                })
            })
            .collect();
        let results: Vec<serde_json::Value> = self
            .findings
            .iter()
            .map(|f| {
                let index = rules.iter().position(|r| *r == f.rule).unwrap_or(0);
                let mut logical = vec![serde_json::json!({"name": f.subject, "kind": "object"})];
                if let Some(d) = f.statement {
                    logical.insert(0, serde_json::json!({"name": d.to_string(), "kind": "statement"}));
                }
                let mut r = serde_json::json!({
                    "ruleId": f.rule.as_str(),
                    "ruleIndex": index,
                    "level": sarif_level(f.severity),
                    "message": {"text": format!("{}: {}", f.subject, f.message)},
                    "locations": [{
                        "physicalLocation": {"artifactLocation": {"uri": artifact}},
                        "logicalLocations": logical,
                    }],
                    "partialFingerprints": {
                        "hwprov/v1": Sha256::of(
                            format!("{}|{}|{}", f.rule, f.statement.map(|d| d.to_string()).unwrap_or_default(), f.subject).as_bytes()
                        ).hex(),
                    },
                    "properties": {"severity": f.severity.as_str()},
                });
                if f.severity == Severity::Waived {
                    r["suppressions"] = serde_json::json!([{
                        "kind": "external",
                        "status": "accepted",
                        "justification": f.message,
                    }]);
                }
                r
            })
            .collect();
        let log = serde_json::json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {
                    "name": "hwprov",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://github.com/hwprov/hwprov",
                    "rules": descriptors,
                }},
                "invocations": [{"executionSuccessful": true}],
                "artifacts": [{"location": {"uri": artifact}}],
                "results": results,
                "properties": {
                    "verdict": self.verdict.as_str(),
                    "at": self.at.to_string(),
                    "policy": {"name": self.policy.name, "version": self.policy.version, "sha256": self.policy.sha256},
                },
            }],
        });
        serde_json::to_string_pretty(&log).unwrap_or_default()
    }
}

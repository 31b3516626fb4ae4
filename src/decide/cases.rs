//! `hwprov policy test DIR`: run case folders against a policy and report
//! pass/fail per case. A case folder holds `bundle.cbor`, `case.json` and
//! optionally its own `policy.toml` (otherwise `DIR/policy.toml` is used).
//!
//! `case.json` (the format of the interop cases in `test-vectors/interop`):
//! `{"at": TIME, "args": ["--deny-warnings"]?, "exit": 0|1|2?, "verdict":
//! "pass"|"warn"|"fail"|null, "rules": [[rule, severity], ...],
//! "absent": [rule, ...]?, "exact": bool?, "description": str?}`.
//! Every listed `[rule, severity]` must appear; with `"exact": true` nothing
//! else may; a `pass` case may hold no deny or warn finding.

use crate::fsutil;
use crate::limits::Limits;
use crate::policy::Policy;
use crate::policy::deployment::Deployment;
use crate::report::Severity;
use crate::wire::time::Timestamp;
use serde::Deserialize;
use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

/// A case folder that cannot be run at all (exit 2).
#[derive(Debug)]
#[non_exhaustive]
pub enum CaseError {
    /// The directory cannot be read or holds no case.
    Dir {
        /// The directory.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// A `case.json` is unreadable or invalid.
    Case {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
}

impl fmt::Display for CaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CaseError::Dir { path, problem } | CaseError::Case { path, problem } => {
                write!(f, "{}: {problem}", path.display())
            }
        }
    }
}

impl std::error::Error for CaseError {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    at: String,
    #[serde(default)]
    args: Vec<String>,
    #[serde(default)]
    exit: Option<i32>,
    verdict: Option<String>,
    #[serde(default)]
    rules: Vec<(String, String)>,
    #[serde(default)]
    absent: Vec<String>,
    #[serde(default)]
    exact: bool,
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    /// The case's deployment file, relative to the case folder (else
    /// `deployment.csv` beside the shared policy, if there is one).
    #[serde(default)]
    deployment: Option<String>,
    /// Expected stderr text of `hwprov verify` (checked by the project's own tests).
    #[serde(default)]
    #[allow(dead_code)]
    stderr: Option<String>,
}

/// The outcome of one case.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// Folder name.
    pub name: String,
    /// What happened, e.g. `fail (jurisdiction.site, ...)` or `input error`.
    pub outcome: String,
    /// Every way the outcome differs from the expectation; empty when it passed.
    pub problems: Vec<String>,
}

impl CaseResult {
    /// Whether the case passed.
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Runs every case folder directly under `dir`, in name order.
pub fn run_dir(dir: &Path, limits: &Limits) -> Result<Vec<CaseResult>, CaseError> {
    let mut folders: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| CaseError::Dir {
            path: dir.to_owned(),
            problem: e.to_string(),
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("case.json").is_file())
        .collect();
    folders.sort();
    if folders.is_empty() {
        return Err(CaseError::Dir {
            path: dir.to_owned(),
            problem: "no case folders (subdirectories with a case.json) found".into(),
        });
    }
    let shared_path = dir.join("policy.toml");
    let shared = if shared_path.is_file() {
        Some(Policy::load(&shared_path, limits))
    } else {
        None
    };
    let mut out = Vec::with_capacity(folders.len());
    for f in folders {
        out.push(run_case(&f, shared.as_ref(), limits)?);
    }
    Ok(out)
}

fn run_case(
    dir: &Path,
    shared: Option<&Result<Policy, crate::policy::PolicyError>>,
    limits: &Limits,
) -> Result<CaseResult, CaseError> {
    let case_path = dir.join("case.json");
    let bad_case = |problem: String| CaseError::Case {
        path: case_path.clone(),
        problem,
    };
    let text = fsutil::read_bounded(&case_path, limits.max_json_bytes)
        .map_err(|e| bad_case(e.to_string()))?;
    let case: CaseFile = serde_json::from_slice(&text).map_err(|e| bad_case(e.to_string()))?;
    let at = Timestamp::parse_rfc3339(&case.at).map_err(|e| bad_case(format!("at: {e}")))?;
    let mut deny_warnings = false;
    for a in &case.args {
        match a.as_str() {
            "--deny-warnings" => deny_warnings = true,
            other => {
                return Err(bad_case(format!(
                    "args: '{other}' is not supported (only --deny-warnings)"
                )));
            }
        }
    }
    for (rule, sev) in &case.rules {
        if crate::policy::rules::Rule::parse(rule).is_none() {
            return Err(bad_case(format!("rules: unknown rule id '{rule}'")));
        }
        if !["deny", "warn", "info", "waived"].contains(&sev.as_str()) {
            return Err(bad_case(format!("rules: unknown severity '{sev}'")));
        }
    }
    let own = dir.join("policy.toml");
    let own_policy;
    let policy = if own.is_file() {
        own_policy = Policy::load(&own, limits);
        Some(&own_policy)
    } else {
        shared
    };
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Some(policy) = policy else {
        return Err(bad_case(
            "no policy.toml in the case folder nor in the directory above".into(),
        ));
    };
    let mut problems = Vec::new();
    let (exit, verdict, findings, outcome) = match policy {
        Err(e) => (2, None, Vec::new(), format!("input error: {e}")),
        Ok(policy) => {
            let deployment_path = match &case.deployment {
                Some(name) => Some(dir.join(name)),
                None => dir
                    .parent()
                    .map(|p| p.join("deployment.csv"))
                    .filter(|p| p.is_file()),
            };
            let deployment = deployment_path
                .map(|p| Deployment::load(&p, policy, limits).map_err(|e| e.to_string()))
                .transpose();
            let bytes = fsutil::read_bounded(&dir.join("bundle.cbor"), limits.max_bundle_bytes);
            match deployment.and_then(|d| {
                let b = bytes.map_err(|e| e.to_string())?;
                crate::decide::verify::verify_deployed(policy, d.as_ref(), &b, at, limits)
                    .map_err(|e| e.to_string())
            }) {
                Err(e) => (2, None, Vec::new(), format!("input error: {e}")),
                Ok(r) => {
                    let exit = i32::from(r.verdict.exit_code(deny_warnings));
                    let findings: Vec<(String, Severity)> = r
                        .findings
                        .iter()
                        .map(|f| (f.rule.as_str().to_owned(), f.severity))
                        .collect();
                    let listed: BTreeSet<String> = findings
                        .iter()
                        .filter(|(_, s)| *s != Severity::Info)
                        .map(|(r, s)| format!("{r}/{}", s.as_str()))
                        .collect();
                    let outcome = format!(
                        "{}{}",
                        r.verdict.as_str(),
                        if listed.is_empty() {
                            String::new()
                        } else {
                            format!(" ({})", listed.into_iter().collect::<Vec<_>>().join(", "))
                        }
                    );
                    (exit, Some(r.verdict), findings, outcome)
                }
            }
        }
    };
    if let Some(want) = case.exit
        && want != exit
    {
        problems.push(format!("exit {exit}, expected {want}"));
    }
    let got_verdict = verdict.map(|v| v.as_str().to_owned());
    if got_verdict != case.verdict {
        problems.push(format!(
            "verdict {}, expected {}",
            got_verdict.as_deref().unwrap_or("none (input error)"),
            case.verdict.as_deref().unwrap_or("none (input error)")
        ));
    }
    let got: BTreeSet<(String, String)> = findings
        .iter()
        .map(|(r, s)| (r.clone(), s.as_str().to_owned()))
        .collect();
    for (rule, sev) in &case.rules {
        if !got.contains(&(rule.clone(), sev.clone())) {
            problems.push(format!("missing {rule}/{sev}"));
        }
    }
    for rule in &case.absent {
        if got.iter().any(|(r, _)| r == rule) {
            problems.push(format!("{rule} fired but must not"));
        }
    }
    if case.exact {
        let want: BTreeSet<(String, String)> = case.rules.iter().cloned().collect();
        for extra in got.difference(&want) {
            problems.push(format!("unexpected {}/{}", extra.0, extra.1));
        }
    }
    if case.verdict.as_deref() == Some("pass")
        && let Some((r, s)) = findings
            .iter()
            .find(|(_, s)| matches!(s, Severity::Deny | Severity::Warn))
    {
        problems.push(format!("a pass case holds {r}/{}", s.as_str()));
    }
    Ok(CaseResult {
        name,
        outcome,
        problems,
    })
}

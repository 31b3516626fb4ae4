//! `hwprov gate`: the transaction is [`hwprov::run::Gate`]; this prints it.

use super::{Fatal, out, outln, parse_at};
use clap::{Args, ValueEnum};
use hwprov::audit::log::Log;
use hwprov::text::Escaped;
use hwprov::{Limits, Policy, Severity};
use std::collections::BTreeSet;
use std::path::PathBuf;

#[derive(Args)]
pub(crate) struct GateArgs {
    /// The trust policy (TOML; reference: docs/policy.md, rules: docs/rules.md).
    #[arg(long, value_name = "P.toml")]
    policy: PathBuf,
    /// The device's state file (see `hwprov state init`).
    #[arg(long, value_name = "STATE.json")]
    state: PathBuf,
    /// The firmware image; `-` reads standard input.
    #[arg(long, value_name = "IMAGE")]
    image: PathBuf,
    /// Install the image at PATH if accepted (atomic rename; untouched if refused).
    #[arg(long, value_name = "PATH")]
    install: Option<PathBuf>,
    /// Evaluation time, RFC 3339 (default: now).
    #[arg(long, value_name = "TIME")]
    at: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = GateFormat::Text)]
    format: GateFormat,
    /// Refuse on a `warn` verdict too.
    #[arg(long)]
    deny_warnings: bool,
    /// Record the decision in this log before acting on it (the image by digest and length only).
    #[arg(long, value_name = "DIR")]
    log: Option<PathBuf>,
    /// The release bundle (root: a firmware statement; evidence: evaluations).
    #[arg(value_name = "BUNDLE")]
    bundle: PathBuf,
}

#[derive(Clone, Copy, ValueEnum)]
enum GateFormat {
    /// Readable text with the decision.
    Text,
    /// The JSON report (schemas/report.schema.json) plus a "gate" object with the decision.
    Json,
}

pub(crate) fn gate(a: &GateArgs, limits: &Limits) -> Result<u8, Fatal> {
    // Inputs first: any problem here is exit 2 and touches nothing.
    let at = parse_at(&a.at)?;
    hwprov::run::gate::check_paths(&a.state, a.install.as_deref())?;
    let policy = Policy::load(&a.policy, limits)?;
    let log = a.log.as_deref().map(Log::open).transpose()?;
    let outcome = hwprov::run::Gate {
        policy: &policy,
        state: &a.state,
        bundle: &a.bundle,
        image: &a.image,
        install: a.install.as_deref(),
        at,
        deny_warnings: a.deny_warnings,
        log: log.as_ref(),
    }
    .run(limits)?;
    let out = &outcome.report;
    match a.format {
        GateFormat::Json => outln!("{}", serde_json::to_string(out)?),
        GateFormat::Text => {
            out!("{}", out.report.to_text(&a.bundle.display().to_string()));
            let g = &out.gate;
            if outcome.accepted {
                let what = outcome.release.as_ref().map_or(String::new(), |r| {
                    format!(
                        "{} {} (svn {}) on {}",
                        Escaped(&r.name),
                        Escaped(&r.version),
                        r.svn,
                        Escaped(&r.target.component)
                    )
                });
                outln!(
                    "decision: ACCEPT {what} for {} {} serial {}{}; state {} updated",
                    Escaped(&g.device.vendor),
                    Escaped(&g.device.model),
                    Escaped(&g.device.serial),
                    g.installed_to
                        .as_ref()
                        .map_or(String::new(), |p| format!(", installed to {}", Escaped(p))),
                    Escaped(a.state.display())
                );
            } else {
                let rules: BTreeSet<&str> = out
                    .report
                    .findings
                    .iter()
                    .filter(|f| {
                        f.severity == Severity::Deny
                            || (a.deny_warnings && f.severity == Severity::Warn)
                    })
                    .map(|f| f.rule.as_str())
                    .collect();
                outln!(
                    "decision: REFUSE for {} {} serial {}: {}; nothing was installed and {} is unchanged",
                    Escaped(&g.device.vendor),
                    Escaped(&g.device.model),
                    Escaped(&g.device.serial),
                    rules.into_iter().collect::<Vec<_>>().join(", "),
                    Escaped(a.state.display())
                );
            }
        }
    }
    Ok(if outcome.accepted { 0 } else { 1 })
}

//! `hwprov verify`.

use super::{Fatal, out, outln, parse_at};
use clap::{Args, ValueEnum};
use hwprov::audit::log::Log;
use hwprov::policy::deployment::Deployment;
use hwprov::{Limits, Policy};
use std::path::PathBuf;

#[derive(Args)]
pub(crate) struct VerifyArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// The bundle (or a single signed statement).
    #[arg(value_name = "BUNDLE")]
    bundle: PathBuf,
}

#[derive(Args)]
struct CommonArgs {
    /// The trust policy (TOML; reference: docs/policy.md, rules: docs/rules.md).
    #[arg(long, value_name = "P.toml")]
    policy: PathBuf,
    /// The operator's deployment file (CSV: vendor, model, serial, class,
    /// zones, installed; see docs/policy.md): each unit's class and zones,
    /// which select its rule levels, and when it entered service, which
    /// decides whether a phase-out plan counts it as legacy. Without it no
    /// unit has a class or an installed date.
    #[arg(long, value_name = "FILE.csv")]
    deployment: Option<PathBuf>,
    /// Evaluation time, RFC 3339 (default: now). Use a fixed time to reproduce a decision.
    #[arg(long, value_name = "TIME")]
    at: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Exit 1 on a `warn` verdict too.
    #[arg(long)]
    deny_warnings: bool,
    /// Record the decision in this log (see `hwprov log init`) before printing it.
    #[arg(long, value_name = "DIR")]
    log: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// Readable text, grouped by statement.
    Text,
    /// The JSON report (schemas/report.schema.json).
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
}

pub(crate) fn verify(a: &VerifyArgs, limits: &Limits) -> Result<u8, Fatal> {
    let c = &a.common;
    let at = parse_at(&c.at)?;
    let policy = Policy::load(&c.policy, limits)?;
    let deployment = c
        .deployment
        .as_deref()
        .map(|d| Deployment::load(d, &policy, limits))
        .transpose()?;
    let log = c.log.as_deref().map(Log::open).transpose()?;
    let report = hwprov::run::Verify {
        policy: &policy,
        deployment: deployment.as_ref(),
        bundle: &a.bundle,
        at,
        log: log.as_ref(),
    }
    .run(limits)?;
    let source = a.bundle.display().to_string();
    match c.format {
        Format::Text => out!("{}", report.to_text(&source)),
        Format::Json => outln!("{}", report.to_json()),
        Format::Sarif => outln!("{}", report.to_sarif(&source)),
    }
    Ok(report.verdict.exit_code(c.deny_warnings))
}

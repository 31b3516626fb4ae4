//! `hwprov vet`: the run is [`hwprov::run::vet`]; this draws the progress
//! bar and prints units and the summary.

use super::{Fatal, out, outln, parse_at};
use clap::{Args, ValueEnum};
use hwprov::audit::log::Log;
use hwprov::decide::vet::{Summary, Unit};
use hwprov::policy::deployment::Deployment;
use hwprov::run::vet::MAX_JOBS;
use hwprov::text::{Escaped, escape};
use hwprov::write_atomic;
use hwprov::{Finding, Limits, Policy, Rule, Severity, Verdict};
use std::io::Write as _;
use std::path::PathBuf;

#[derive(Args)]
pub(crate) struct VetArgs {
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
    /// Evaluation time, RFC 3339 (default: now).
    #[arg(long, value_name = "TIME")]
    at: Option<String>,
    /// Threads, 1 to 256 (default: all cores).
    #[arg(long, value_name = "N",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=MAX_JOBS as u64))]
    jobs: Option<usize>,
    /// Output: text (units that did not pass, then the summary) or json
    /// (one object per unit, then one summary object).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Also write a self-contained HTML report (charts, caps in force per
    /// class, phase-out plans, failing units).
    #[arg(long, value_name = "REPORT.html")]
    html: Option<PathBuf>,
    /// Exit 1 on a `warn` verdict too.
    #[arg(long)]
    deny_warnings: bool,
    /// Record one entry per unit and one for the shipment in this log, as
    /// one batch (`hwprov log report` summarises the logged inventories).
    #[arg(long, value_name = "DIR")]
    log: Option<PathBuf>,
    /// Text output: list every unit that did not pass (by default the
    /// first 20, then a count). Also says on stderr how many statement
    /// checks were shared across bundles (each distinct statement is checked
    /// once per run).
    #[arg(long)]
    verbose: bool,
    /// Bundle files or directories.
    #[arg(value_name = "PATH", required = true)]
    paths: Vec<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Readable text.
    Text,
    /// JSON lines.
    Json,
}

/// Units that did not pass listed in text output without `--verbose`.
const LISTED_UNITS: usize = 20;

/// A unit's findings for one line: each rule once, in order of first
/// appearance, with its worst severity, how often it fired, and the subject
/// of its worst finding.
fn rule_digest(findings: &[Finding]) -> String {
    let mut rules: Vec<(Rule, Severity, usize, &str)> = Vec::new();
    for f in findings
        .iter()
        .filter(|f| matches!(f.severity, Severity::Deny | Severity::Warn))
    {
        match rules.iter_mut().find(|r| r.0 == f.rule) {
            Some(r) => {
                r.2 += 1;
                if f.severity == Severity::Deny && r.1 != Severity::Deny {
                    r.1 = Severity::Deny;
                    r.3 = &f.subject;
                }
            }
            None => rules.push((f.rule, f.severity, 1, &f.subject)),
        }
    }
    // Denials first, each group in order of first appearance.
    rules.sort_by_key(|r| r.1 != Severity::Deny);
    rules
        .iter()
        .map(|(rule, sev, n, subject)| {
            let times = if *n > 1 {
                format!(" x{n}")
            } else {
                String::new()
            };
            format!("{} {rule}{times} ({})", sev.as_str(), Escaped(subject))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// One unit's JSON line, serialized straight from its report (the same
/// bytes as building a `serde_json::Value` first, without the tree).
#[derive(serde::Serialize)]
#[serde(untagged)]
enum UnitJson<'a> {
    Checked {
        #[serde(serialize_with = "display_path")]
        unit: &'a std::path::Path,
        verdict: Verdict,
        product: Option<ProductJson<'a>>,
        class: Option<Option<&'a str>>,
        root: &'a Option<hwprov::report::RootEntry>,
        findings: &'a [Finding],
    },
    Unreadable {
        #[serde(serialize_with = "display_path")]
        unit: &'a std::path::Path,
        verdict: &'static str,
        error: &'a str,
    },
}

#[derive(serde::Serialize)]
struct ProductJson<'a> {
    vendor: &'a str,
    model: &'a str,
    serial: &'a str,
}

fn display_path<S: serde::Serializer>(p: &&std::path::Path, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&p.display())
}

fn unit_line(u: &Unit, format: Format) -> Option<String> {
    match format {
        Format::Json => serde_json::to_string(&match &u.outcome {
            Ok(r) => UnitJson::Checked {
                unit: &u.path,
                verdict: r.verdict,
                product: r.unit.as_ref().map(|f| ProductJson {
                    vendor: &f.product.vendor,
                    model: &f.product.model,
                    serial: &f.product.serial,
                }),
                class: r.unit.as_ref().map(|f| f.class.as_deref()),
                root: &r.root,
                findings: &r.findings,
            },
            Err(e) => UnitJson::Unreadable {
                unit: &u.path,
                verdict: "error",
                error: e,
            },
        })
        .ok(),
        Format::Text => match &u.outcome {
            Ok(r) if r.verdict == Verdict::Pass => None,
            Ok(r) => Some(format!(
                "{:<5} {}{}: {}",
                r.verdict.as_str().to_uppercase(),
                Escaped(u.path.display()),
                r.unit.as_ref().map_or(String::new(), |f| format!(
                    " (serial {})",
                    Escaped(&f.product.serial)
                )),
                rule_digest(&r.findings)
            )),
            Err(e) => Some(format!("ERROR {}", Escaped(e))),
        },
    }
}

fn progress_bar(units: usize) -> indicatif::ProgressBar {
    use std::io::IsTerminal as _;
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let b = indicatif::ProgressBar::new(units as u64);
    b.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} units  {per_sec}  ETA {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    b
}

pub(crate) fn vet(a: &VetArgs, limits: &Limits) -> Result<u8, Fatal> {
    let at = parse_at(&a.at)?;
    let policy = Policy::load(&a.policy, limits)?;
    // The walk and the deployment file's parse are both single-threaded
    // and independent: they run side by side.
    let (shipment, deployment) = std::thread::scope(|scope| {
        let deployment = scope.spawn(|| {
            a.deployment
                .as_deref()
                .map(|d| Deployment::load(d, &policy, limits))
                .transpose()
        });
        let shipment = hwprov::decide::vet::collect(&a.paths);
        let deployment = deployment
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        (shipment, deployment)
    });
    let shipment = shipment?;
    let mut deployment = deployment?;
    let jobs = a.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_JOBS))
    });
    if a.log.is_none()
        && let Some(d) = deployment.as_mut()
    {
        d.forget_source(); // only a log needs the file's bytes
    }
    let log = a.log.as_deref().map(Log::open).transpose()?;
    let bar = progress_bar(shipment.units.len());
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let mut listed = 0usize;
    let run = hwprov::run::Vet {
        policy: &policy,
        deployment: deployment.as_ref(),
        shipment: &shipment,
        at,
        jobs,
        log: log.as_ref(),
    };
    let outcome = run.run(limits, |u| {
        bar.inc(1);
        if let Some(line) = unit_line(u, a.format) {
            listed += 1;
            if a.verbose || a.format == Format::Json || listed <= LISTED_UNITS {
                bar.suspend(|| {
                    let _ = writeln!(stdout, "{line}");
                });
            }
        }
    })?;
    bar.finish_and_clear();
    drop(stdout);
    if a.verbose {
        let s = outcome.sharing;
        let all = s.hits + s.misses;
        eprintln!(
            "statements checked once and shared: {} of {all} statement checks were answered from the run's table ({:.1}%), {} statements kept",
            s.hits,
            if all == 0 {
                0.0
            } else {
                100.0 * s.hits as f64 / all as f64
            },
            s.entries
        );
    }
    if a.format == Format::Text && !a.verbose && listed > LISTED_UNITS {
        outln!(
            "... and {} more units did not pass (--verbose lists every one; --format json gives each unit's findings)",
            listed - LISTED_UNITS
        );
    }
    if let (Some(range), Some(dir)) = (&outcome.logged, &a.log) {
        eprintln!(
            "logged entries {}..{} in {}",
            range.start,
            range.end,
            Escaped(dir.display())
        );
    }
    let summary = &outcome.summary;
    if let Some(h) = &a.html {
        let hr: Vec<String> = policy
            .high_risk
            .iter()
            .map(|c| c.as_str().to_owned())
            .collect();
        write_atomic(
            h,
            hwprov::report::html::render(summary, &hr).as_bytes(),
            0o644,
        )?;
    }
    match a.format {
        Format::Json => outln!("{}", serde_json::to_string(summary)?),
        Format::Text => print_summary(summary, a),
    }
    Ok(summary.verdict.exit_code(a.deny_warnings))
}

fn print_summary(summary: &Summary, a: &VetArgs) {
    outln!(
        "\nvetted {} units against policy '{}' version '{}' at {}",
        summary.units,
        Escaped(&summary.policy.name),
        Escaped(&summary.policy.version),
        summary.at
    );
    outln!(
        "  pass {}, warn {}, fail {}, error {}",
        summary.counts["pass"],
        summary.counts["warn"],
        summary.counts["fail"],
        summary.counts["error"]
    );
    for f in &summary.fleet_findings {
        outln!(
            "  {:<6} {}: {}\n         {}",
            f.severity.as_str(),
            f.rule,
            Escaped(&f.subject),
            Escaped(&f.message)
        );
    }
    outln!(
        "  high-risk units: {:.1}% of verified device units (each on its class's high_risk_basis)",
        summary.high_risk_share * 100.0
    );
    for (class, c) in &summary.classes {
        out!("{}", c.to_text(class));
    }
    for p in &summary.phaseouts {
        out!("{}", p.to_text());
    }
    for (stage, countries) in &summary.stages {
        let mut v: Vec<(&String, &f64)> = countries.iter().collect();
        v.sort_by(|a, b| b.1.total_cmp(a.1));
        let shares: Vec<String> = v
            .iter()
            .map(|(c, s)| format!("{c} {:.1}%", *s * 100.0))
            .collect();
        outln!("  {stage} sites: {}", shares.join(", "));
    }
    if summary.skipped.count > 0 {
        let more = summary.skipped.count - summary.skipped.files.len() as u64;
        outln!(
            "  passed over {} file(s) that are hidden or not *.cbor/*.cose bundles: {}{}",
            summary.skipped.count,
            summary
                .skipped
                .files
                .iter()
                .map(|f| escape(f))
                .collect::<Vec<_>>()
                .join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        );
    }
    if let Some(h) = &a.html {
        outln!("  HTML report: {}", Escaped(h.display()));
    }
    outln!("verdict: {}", summary.verdict.as_str().to_uppercase());
}

//! The report for a regulator (`hwprov log report`): the logged inventory
//! decisions of a window, each with its classes against the caps in force,
//! its phase-out progress and the waivers in force, then the removal
//! progress over the window; as text, JSON and one self-contained HTML file
//! with the shares and legacy-unit counts over time as charts.
//!
//! Everything in it comes from the log (the report is rebuilt from the
//! stored inputs of each decision), so anyone holding a copy of the log
//! gets the same bytes.

use crate::report::html::{PALETTE, caps_table, esc, page_head, phaseout_table};
use crate::report::shipment::{ClassSummary, PhaseoutSummary};
use crate::report::{Finding, PolicyRef, Verdict};
use crate::text::Escaped;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The `format` of the JSON report.
pub const REGULATOR_FORMAT: &str = "hwprov-log-report/1";

/// The log state the report was made from.
#[derive(Debug, Clone, Serialize)]
pub struct LogState {
    /// The log's origin.
    pub origin: String,
    /// Entries covered by its verified checkpoint.
    pub size: u64,
    /// The tree's root hash (base64, as in the checkpoint).
    pub root_hash: String,
}

/// A live waiver of an inventory's policy.
#[derive(Debug, Clone, Serialize)]
pub struct WaiverInForce {
    /// The rule waived.
    pub rule: String,
    /// What it matches (`entity=...`, `vendor=... serial=...`, ...).
    pub matches: String,
    /// Expiry (RFC 3339).
    pub expires: String,
    /// Days from the inventory's evaluation time to the expiry (rounded up).
    pub days_left: i64,
    /// Within 90 days of its expiry.
    pub expiring: bool,
    /// Why.
    pub reason: String,
}

/// One logged inventory decision.
#[derive(Debug, Clone, Serialize)]
pub struct Inventory {
    /// Its entry in the log.
    pub entry: u64,
    /// Its evaluation time (RFC 3339).
    pub at: String,
    /// The policy it was decided under.
    pub policy: PolicyRef,
    /// The verdict recorded (and reproduced).
    pub verdict: Verdict,
    /// Units vetted.
    pub units: u64,
    /// Units by verdict.
    pub counts: BTreeMap<&'static str, u64>,
    /// Per class: vendor-group shares, high-risk share, caps in force.
    pub classes: BTreeMap<String, ClassSummary>,
    /// Per phase-out plan: its progress.
    pub phaseouts: Vec<PhaseoutSummary>,
    /// The fleet findings.
    pub fleet_findings: Vec<Finding>,
    /// Findings waived, by rule (a waiver or a phase-out plan).
    pub waived_findings: BTreeMap<String, u64>,
    /// The policy's waivers in force at `at`.
    pub waivers: Vec<WaiverInForce>,
}

/// One point of a plan's progress.
#[derive(Debug, Clone, Serialize)]
pub struct ProgressPoint {
    /// The inventory's entry.
    pub entry: u64,
    /// Its evaluation time.
    pub at: String,
    /// Legacy units remaining.
    pub legacy: u64,
    /// New units.
    pub new: u64,
}

/// A plan's removal progress in one class over the window.
#[derive(Debug, Clone, Serialize)]
pub struct Progress {
    /// The plan.
    pub plan: String,
    /// The class.
    pub class: String,
    /// The plan's deadline (RFC 3339), from the last inventory.
    pub deadline: String,
    /// Legacy units removed between the first and the last inventory
    /// (negative if more were found).
    pub removed: i64,
    /// Each inventory that has the plan.
    pub points: Vec<ProgressPoint>,
}

/// The report.
#[derive(Debug, Clone, Serialize)]
pub struct RegulatorReport {
    /// [`REGULATOR_FORMAT`].
    pub format: &'static str,
    /// The log it was made from.
    pub log: LogState,
    /// The window's start (RFC 3339), if given.
    pub from: Option<String>,
    /// The window's end (RFC 3339), if given.
    pub to: Option<String>,
    /// The inventory decisions whose evaluation time is in the window, in log order.
    pub inventories: Vec<Inventory>,
    /// Removal progress per plan and class.
    pub progress: Vec<Progress>,
}

impl RegulatorReport {
    /// The JSON report (one line).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The report for people: each inventory's classes and plans, the
    /// progress, and the last inventory's waivers (text escaped).
    pub fn to_text(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(
            o,
            "report of log {} ({} entries, root {}), vet decisions {}",
            Escaped(&self.log.origin),
            self.log.size,
            self.log.root_hash,
            match (&self.from, &self.to) {
                (None, None) => "of every time".to_owned(),
                (Some(f), None) => format!("from {f}"),
                (None, Some(t)) => format!("up to {t}"),
                (Some(f), Some(t)) => format!("from {f} to {t}"),
            }
        );
        if self.inventories.is_empty() {
            let _ = writeln!(o, "\nno logged vet decision in the window");
            return o;
        }
        for inv in &self.inventories {
            let _ = writeln!(
                o,
                "\ninventory at {} (entry {}): {} units, verdict {}, policy '{}' version '{}'",
                inv.at,
                inv.entry,
                inv.units,
                inv.verdict.as_str().to_uppercase(),
                Escaped(&inv.policy.name),
                Escaped(&inv.policy.version)
            );
            for (class, c) in &inv.classes {
                o.push_str(&c.to_text(class));
            }
            for p in &inv.phaseouts {
                o.push_str(&p.to_text());
            }
            for f in &inv.fleet_findings {
                let _ = writeln!(
                    o,
                    "  {:<6} {}: {}",
                    f.severity.as_str(),
                    f.rule,
                    Escaped(&f.subject)
                );
            }
            if !inv.waived_findings.is_empty() {
                let w: Vec<String> = inv
                    .waived_findings
                    .iter()
                    .map(|(r, n)| format!("{r} {n}"))
                    .collect();
                let _ = writeln!(o, "  waived findings: {}", w.join(", "));
            }
        }
        if !self.progress.is_empty() {
            let _ = writeln!(o, "\nphase-out progress over the window:");
            for p in &self.progress {
                let series: Vec<String> = p
                    .points
                    .iter()
                    .map(|x| format!("{} {}", x.at.get(..10).unwrap_or(&x.at), x.legacy))
                    .collect();
                let _ = writeln!(
                    o,
                    "  {} {}: legacy units {} ({} removed), deadline {}",
                    Escaped(&p.plan),
                    Escaped(&p.class),
                    series.join(" -> "),
                    p.removed,
                    p.deadline
                );
            }
        }
        if let Some(last) = self.inventories.last() {
            let _ = writeln!(
                o,
                "\nwaivers in force at {} ({}):",
                last.at,
                last.waivers.len()
            );
            for w in &last.waivers {
                let _ = writeln!(
                    o,
                    "  {}{} {} until {} ({} days): {}",
                    if w.expiring { "EXPIRING " } else { "" },
                    w.rule,
                    Escaped(&w.matches),
                    w.expires,
                    w.days_left,
                    Escaped(&w.reason)
                );
            }
        }
        o
    }

    /// The report as one self-contained HTML file.
    pub fn to_html(&self) -> String {
        let mut o = page_head("hwprov report for the regulator");
        let _ = write!(
            o,
            "<h1>Fleet caps and phase-out progress</h1>\
             <p>From log <code>{}</code>: {} entries, root hash <code>{}</code>. {} inventory decision(s){}.</p>",
            esc(&self.log.origin),
            self.log.size,
            esc(&self.log.root_hash),
            self.inventories.len(),
            match (&self.from, &self.to) {
                (None, None) => String::new(),
                (f, t) => format!(
                    " from {} to {}",
                    esc(f.as_deref().unwrap_or("the start")),
                    esc(t.as_deref().unwrap_or("the end"))
                ),
            }
        );
        if self.inventories.is_empty() {
            o.push_str("<p>No logged vet decision in the window.</p></body></html>\n");
            return o;
        }
        // Chart 1: the high-risk share of each class over time, with its cap.
        let mut share: BTreeMap<String, Vec<(usize, f64)>> = BTreeMap::new();
        let mut caps: BTreeMap<String, Vec<(usize, f64)>> = BTreeMap::new();
        for (i, inv) in self.inventories.iter().enumerate() {
            for (class, c) in &inv.classes {
                share
                    .entry(class.clone())
                    .or_default()
                    .push((i, c.high_risk.share * 100.0));
                if let Some(cap) = c.caps.caps.max_high_risk_share {
                    caps.entry(format!("{class} cap"))
                        .or_default()
                        .push((i, cap * 100.0));
                }
            }
        }
        let labels: Vec<String> = self
            .inventories
            .iter()
            .map(|i| i.at.get(..10).unwrap_or(&i.at).to_owned())
            .collect();
        o.push_str("<h2>High-risk share per class over time</h2>");
        o.push_str(&line_chart(
            "chart-high-risk",
            "high-risk share (%) per class; dashed: the cap in force",
            &labels,
            &share,
            &caps,
            100.0,
        ));
        // Chart 2: legacy units per plan and class over time.
        let mut legacy: BTreeMap<String, Vec<(usize, f64)>> = BTreeMap::new();
        for (i, inv) in self.inventories.iter().enumerate() {
            for p in &inv.phaseouts {
                for (class, n) in &p.classes {
                    legacy
                        .entry(format!("{} {class}", p.id))
                        .or_default()
                        .push((i, n.legacy as f64));
                }
            }
        }
        if !legacy.is_empty() {
            let top = legacy
                .values()
                .flatten()
                .map(|(_, v)| *v)
                .fold(1.0, f64::max);
            o.push_str("<h2>Legacy units remaining per phase-out plan</h2>");
            o.push_str(&line_chart(
                "chart-legacy",
                "legacy units remaining per plan and class",
                &labels,
                &legacy,
                &BTreeMap::new(),
                top,
            ));
        }
        if let Some(last) = self.inventories.last() {
            let _ = write!(
                o,
                "<h2>Latest inventory: {} (entry {}), {} units, verdict {}</h2>",
                esc(&last.at),
                last.entry,
                last.units,
                last.verdict.as_str()
            );
            o.push_str(&caps_table(&last.classes));
            o.push_str(&phaseout_table(&last.phaseouts));
            o.push_str("<h2>Waivers in force</h2><table id=\"waivers\"><tr><th>rule</th><th>matches</th><th>expires</th><th>days left</th><th>reason</th></tr>");
            for w in &last.waivers {
                let _ = write!(
                    o,
                    "<tr class=\"waiver\"><td>{}</td><td>{}</td><td{}>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&w.rule),
                    esc(&w.matches),
                    if w.expiring { " class=\"over\"" } else { "" },
                    esc(&w.expires),
                    w.days_left,
                    esc(&w.reason)
                );
            }
            o.push_str("</table>");
        }
        o.push_str("<h2>Every inventory</h2><table id=\"inventories\"><tr><th>entry</th><th>at</th><th>units</th><th>verdict</th><th>fleet findings</th></tr>");
        for inv in &self.inventories {
            let _ = write!(
                o,
                "<tr class=\"inventory\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                inv.entry,
                esc(&inv.at),
                inv.units,
                inv.verdict.as_str(),
                inv.fleet_findings
                    .iter()
                    .map(|f| format!("{} {}: {}", f.severity.as_str(), f.rule, esc(&f.subject)))
                    .collect::<Vec<_>>()
                    .join("<br>")
            );
        }
        o.push_str("</table><p><small>Made by hwprov log report from the stored inputs of each logged decision. Self-contained: no scripts, fonts or network.</small></p></body></html>\n");
        o
    }
}

/// A line chart: one series per name (points by inventory position),
/// `dashed` series drawn dashed in the colour of the series they follow
/// (`"<name> cap"`), y from 0 to `top`.
fn line_chart(
    id: &str,
    title: &str,
    labels: &[String],
    series: &BTreeMap<String, Vec<(usize, f64)>>,
    dashed: &BTreeMap<String, Vec<(usize, f64)>>,
    top: f64,
) -> String {
    let (w, h, left, bottom, top_pad) = (640.0, 260.0, 50.0, 40.0, 30.0);
    let plot_w = w - left - 20.0;
    let plot_h = h - bottom - top_pad;
    let n = labels.len().max(1);
    let x = |i: usize| {
        if n == 1 {
            left + plot_w / 2.0
        } else {
            left + plot_w * i as f64 / (n - 1) as f64
        }
    };
    let top = if top > 0.0 { top } else { 1.0 };
    let y = |v: f64| top_pad + plot_h * (1.0 - (v / top).clamp(0.0, 1.0));
    let legend_h = 16.0 * series.len() as f64;
    let total_h = h + legend_h;
    let mut o = format!(
        "<svg id=\"{}\" class=\"chart\" role=\"img\" aria-label=\"{}\" width=\"{w}\" height=\"{total_h}\" viewBox=\"0 0 {w} {total_h}\" xmlns=\"http://www.w3.org/2000/svg\">\
         <title>{}</title><text x=\"0\" y=\"16\" class=\"ct\">{}</text>\
         <line x1=\"{left}\" y1=\"{top_pad}\" x2=\"{left}\" y2=\"{}\" stroke=\"#a0aec0\"></line>\
         <line x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#a0aec0\"></line>\
         <text x=\"4\" y=\"{}\">{top:.0}</text><text x=\"4\" y=\"{}\">0</text>",
        esc(id),
        esc(title),
        esc(title),
        esc(title),
        top_pad + plot_h,
        top_pad + plot_h,
        left + plot_w,
        top_pad + plot_h,
        top_pad + 4.0,
        top_pad + plot_h
    );
    for (i, l) in labels.iter().enumerate() {
        let _ = write!(
            o,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            x(i),
            top_pad + plot_h + 16.0,
            esc(l)
        );
    }
    for (k, (name, points)) in series.iter().enumerate() {
        let colour = PALETTE[k % PALETTE.len()];
        let path = |pts: &[(usize, f64)]| {
            pts.iter()
                .map(|(i, v)| format!("{:.1},{:.1}", x(*i), y(*v)))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let _ = write!(
            o,
            "<g class=\"series\" data-name=\"{}\"><polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"></polyline>",
            esc(name),
            path(points)
        );
        for (i, v) in points {
            let _ = write!(
                o,
                "<circle class=\"point\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{colour}\" data-x=\"{}\" data-value=\"{v:.4}\"><title>{} {}: {v:.1}</title></circle>",
                x(*i),
                y(*v),
                esc(labels.get(*i).map_or("", String::as_str)),
                esc(name),
                esc(labels.get(*i).map_or("", String::as_str))
            );
        }
        o.push_str("</g>");
        if let Some(cap) = dashed.get(&format!("{name} cap")) {
            let _ = write!(
                o,
                "<polyline class=\"cap\" data-name=\"{} cap\" fill=\"none\" stroke=\"{colour}\" stroke-dasharray=\"5,4\" points=\"{}\"></polyline>",
                esc(name),
                path(cap)
            );
        }
        let ly = h + 12.0 + 16.0 * k as f64;
        let _ = write!(
            o,
            "<rect x=\"{left}\" y=\"{:.1}\" width=\"10\" height=\"10\" fill=\"{colour}\"></rect><text x=\"{}\" y=\"{ly:.1}\">{}</text>",
            ly - 9.0,
            left + 16.0,
            esc(name)
        );
    }
    o.push_str("</svg>");
    o
}

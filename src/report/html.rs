//! The shipment report as one self-contained HTML file: inline CSS and SVG
//! made here, no scripts, fonts or network.

use crate::report::shipment::Summary;
use std::fmt::Write as _;

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

/// The start of a report page: the document head with its inline style,
/// up to and including `<body>`.
pub(crate) fn page_head(title: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>\
         body{{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem;color:#1a202c;max-width:70rem}}\
         h1{{font-size:1.5rem}} h2{{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #e2e8f0}}\
         .cards{{display:flex;gap:1rem;flex-wrap:wrap}} .card{{border:1px solid #e2e8f0;border-radius:6px;padding:.6rem 1rem;min-width:7rem}}\
         .card b{{display:block;font-size:1.6rem}} .pass b{{color:#2f855a}} .warn b{{color:#b7791f}} .fail b,.error b{{color:#c53030}}\
         .verdict-fail{{color:#c53030}} .verdict-warn{{color:#b7791f}} .verdict-pass{{color:#2f855a}} .over{{color:#c53030;font-weight:600}}\
         table{{border-collapse:collapse;width:100%;font-size:.9rem}} th,td{{border-bottom:1px solid #e2e8f0;text-align:left;padding:.3rem .5rem;vertical-align:top}}\
         svg.chart text{{font-size:12px;fill:#1a202c}} svg.chart .ct{{font-weight:600}} .charts{{display:flex;flex-wrap:wrap;gap:1.5rem}}\
         code{{font-size:.85rem}}</style></head><body>",
        esc(title)
    )
}

/// Colours of chart series, in order.
pub(crate) const PALETTE: [&str; 8] = [
    "#2b6cb0", "#2f855a", "#b7791f", "#c53030", "#6b46c1", "#2c7a7b", "#975a16", "#4a5568",
];

/// A horizontal bar chart: one bar per (label, share 0..1), sorted as given,
/// each bar in the colour `colour` gives its label.
fn bars(
    id: &str,
    title: &str,
    rows: &[(String, f64)],
    colour: &dyn Fn(&str, usize) -> &'static str,
) -> String {
    let row_h = 22;
    let h = 30 + rows.len() * row_h;
    let mut o = format!(
        "<svg id=\"{}\" class=\"chart\" role=\"img\" aria-label=\"{}\" width=\"520\" height=\"{h}\" viewBox=\"0 0 520 {h}\" xmlns=\"http://www.w3.org/2000/svg\">\
         <title>{}</title><text x=\"0\" y=\"16\" class=\"ct\">{}</text>",
        esc(id),
        esc(title),
        esc(title),
        esc(title)
    );
    for (i, (label, s)) in rows.iter().enumerate() {
        let y = 26 + i * row_h;
        let w = (s * 300.0).round().max(1.0);
        let colour = colour(label, i);
        let _ = write!(
            o,
            "<g class=\"bar\" data-label=\"{l}\" data-share=\"{s:.4}\"><text x=\"0\" y=\"{ty}\">{l}</text>\
             <rect x=\"150\" y=\"{y}\" width=\"{w}\" height=\"16\" fill=\"{colour}\"></rect>\
             <text x=\"{tx}\" y=\"{ty}\">{p:.1}%</text></g>",
            l = esc(label),
            ty = y + 13,
            tx = 156.0 + w,
            p = s * 100.0
        );
    }
    o.push_str("</svg>");
    o
}

/// Renders the summary. `high_risk` lists the policy's high-risk countries
/// (their bars are red).
pub fn render(summary: &Summary, high_risk: &[String]) -> String {
    let hr = |c: &str| high_risk.iter().any(|h| h == c);
    let mut o = String::new();
    o.push_str(&page_head("hwprov shipment report"));
    let _ = write!(
        o,
        "<h1>Shipment report: <span id=\"verdict\" class=\"verdict-{v}\">{V}</span></h1>\
         <p>Policy <code>{}</code> version <code>{}</code> (sha256 <code>{}</code>), evaluated at {}. {} units.</p>",
        esc(&summary.policy.name),
        esc(&summary.policy.version),
        esc(&summary.policy.sha256),
        summary.at,
        summary.units,
        v = summary.verdict.as_str(),
        V = summary.verdict.as_str().to_uppercase()
    );
    o.push_str("<h2>Verdicts</h2><div class=\"cards\" id=\"counts\">");
    for k in ["pass", "warn", "fail", "error"] {
        let n = summary.counts.get(k).copied().unwrap_or(0);
        let _ = write!(
            o,
            "<div class=\"card {k}\" data-verdict=\"{k}\"><b>{n}</b>{k}</div>"
        );
    }
    let _ = write!(
        o,
        "</div><p>High-risk units: {:.1}% of verified device units (each on its class's high-risk basis).</p>",
        summary.high_risk_share * 100.0
    );
    o.push_str("<h2>Where the supply chain runs: site countries per stage</h2><div class=\"charts\" id=\"stages\">");
    for (stage, countries) in &summary.stages {
        let mut rows: Vec<(String, f64)> = countries.iter().map(|(c, s)| (c.clone(), *s)).collect();
        rows.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        o.push_str(&bars(
            &format!("stage-{stage}"),
            &format!("{stage} sites"),
            &rows,
            &|label, i| {
                if hr(label) {
                    "#c53030"
                } else {
                    PALETTE[i % PALETTE.len()]
                }
            },
        ));
    }
    // One colour per vendor group in every chart (by its place among all
    // the groups of the shipment), so a vendor is recognised across classes.
    let groups: std::collections::BTreeSet<&str> = summary
        .classes
        .values()
        .flat_map(|c| c.vendors.keys().map(String::as_str))
        .collect();
    let vendor_colour = |label: &str, _: usize| {
        let i = groups.iter().position(|g| *g == label).unwrap_or(0);
        PALETTE[i % PALETTE.len()]
    };
    o.push_str("</div><h2>Vendor shares per class</h2><div class=\"charts\" id=\"classes\">");
    for (class, c) in &summary.classes {
        let mut rows: Vec<(String, f64)> = c.vendors.iter().map(|(v, s)| (v.clone(), *s)).collect();
        rows.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        o.push_str(&bars(
            &format!("class-{class}"),
            &format!("{class}: {} units, HHI {:.0}", c.units, c.hhi),
            &rows,
            &vendor_colour,
        ));
    }
    o.push_str("</div>");
    o.push_str(&caps_table(&summary.classes));
    o.push_str(&phaseout_table(&summary.phaseouts));
    if !summary.fleet_findings.is_empty() {
        // Grouped by rule: a few hundred duplicate serials must not push
        // everything else out of sight. Each group folds (no script needed).
        o.push_str("<h2>Fleet findings</h2><div id=\"fleet\">");
        let mut by_rule: std::collections::BTreeMap<(&str, &str), Vec<&crate::report::Finding>> =
            std::collections::BTreeMap::new();
        for f in &summary.fleet_findings {
            by_rule
                .entry((f.severity.as_str(), f.rule.as_str()))
                .or_default()
                .push(f);
        }
        for ((sev, rule), fs) in &by_rule {
            let _ = write!(
                o,
                "<details class=\"fleet-group\"{}><summary><b>{sev}</b> {rule}: {} finding(s)</summary>\
                 <table><tr><th>subject</th><th>message</th></tr>",
                if fs.len() <= 10 { " open" } else { "" },
                fs.len()
            );
            for f in fs {
                let _ = write!(
                    o,
                    "<tr><td>{}</td><td>{}</td></tr>",
                    esc(&f.subject),
                    esc(&f.message)
                );
            }
            o.push_str("</table></details>");
        }
        o.push_str("</div>");
    }
    o.push_str("<h2>Findings by rule</h2><table id=\"rules\"><tr><th>rule / severity</th><th>count</th></tr>");
    for (r, n) in &summary.rules {
        let _ = write!(o, "<tr><td>{}</td><td>{n}</td></tr>", esc(r));
    }
    o.push_str("</table><h2>Failing units</h2><table id=\"failing\"><tr><th>unit</th><th>serial</th><th>verdict</th><th>findings</th></tr>");
    for f in &summary.failing {
        let _ = write!(
            o,
            "<tr class=\"unit\"><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&f.unit),
            esc(f.serial.as_deref().unwrap_or("")),
            f.verdict,
            f.reasons
                .iter()
                .map(|r| esc(r))
                .chain(
                    (f.reasons_not_listed > 0)
                        .then(|| format!("… and {} more", f.reasons_not_listed)),
                )
                .collect::<Vec<_>>()
                .join("<br>")
        );
    }
    o.push_str("</table>");
    if summary.failing_not_listed > 0 {
        let _ = write!(
            o,
            "<p>{} more failing units are not listed.</p>",
            summary.failing_not_listed
        );
    }
    o.push_str("<p><small>Made by hwprov. This file is self-contained: no scripts, fonts or network.</small></p></body></html>\n");
    o
}

/// A cell showing `value` against `cap`, marked when over it.
fn against(value: String, over: bool, cap: String) -> String {
    format!(
        "<td{}>{value}{}</td>",
        if over { " class=\"over\"" } else { "" },
        if cap.is_empty() {
            String::new()
        } else {
            format!(" <small>(cap {cap})</small>")
        }
    )
}

/// Per class: the largest vendor group, the high-risk share and the vendor
/// groups against the caps in force, and the next step.
pub(crate) fn caps_table(
    classes: &std::collections::BTreeMap<String, crate::report::shipment::ClassSummary>,
) -> String {
    let mut o = String::from(
        "<h2>Caps in force per class</h2><table id=\"caps\"><tr><th>class</th><th>units</th>\
         <th>largest vendor group</th><th>high-risk share</th><th>vendor groups</th><th>next step</th></tr>",
    );
    for (class, c) in classes {
        let caps = &c.caps.caps;
        let top = c
            .vendors
            .iter()
            .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(a.0)));
        let top_cell = top.map_or("<td></td>".to_owned(), |(g, s)| {
            against(
                format!("{} {}", esc(g), crate::text::percent(*s)),
                caps.max_vendor_share.is_some_and(|m| *s > m),
                caps.max_vendor_share
                    .map_or(String::new(), crate::text::percent),
            )
        });
        let _ = write!(
            o,
            "<tr class=\"class-caps\" data-class=\"{}\"><td>{}</td><td>{}</td>{top_cell}{}{}<td>{}</td></tr>",
            esc(class),
            esc(class),
            c.units,
            against(
                format!(
                    "{} ({} units, {} basis)",
                    crate::text::percent(c.high_risk.share),
                    c.high_risk.units,
                    c.high_risk.basis
                ),
                caps.max_high_risk_share
                    .is_some_and(|m| c.high_risk.share > m),
                caps.max_high_risk_share
                    .map_or(String::new(), crate::text::percent),
            ),
            against(
                c.vendor_groups.to_string(),
                caps.min_vendors.is_some_and(|m| c.vendor_groups < m),
                caps.min_vendors
                    .map_or(String::new(), |m| format!("min {m}")),
            ),
            c.caps.next_step.as_ref().map_or(String::new(), |n| format!(
                "{}: {}",
                esc(&n.from),
                esc(&n.caps.describe())
            ))
        );
    }
    o.push_str("</table>");
    o
}

/// Per phase-out plan and class: legacy units remaining, new units, days
/// to the deadline.
pub(crate) fn phaseout_table(plans: &[crate::report::shipment::PhaseoutSummary]) -> String {
    if plans.is_empty() {
        return String::new();
    }
    let mut o = String::from(
        "<h2>Phase-out plans</h2><table id=\"phaseouts\"><tr><th>plan</th><th>vendor</th><th>deadline</th>\
         <th>days left</th><th>class</th><th>legacy units remaining</th><th>new units</th></tr>",
    );
    for p in plans {
        let rows: Vec<(String, crate::report::shipment::PlanCounts)> = if p.classes.is_empty() {
            vec![("(none in this inventory)".to_owned(), Default::default())]
        } else {
            p.classes.iter().map(|(c, n)| (c.clone(), *n)).collect()
        };
        for (class, n) in rows {
            let _ = write!(
                o,
                "<tr class=\"phaseout\" data-plan=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td{}>{}</td><td>{}</td><td{}>{}</td><td{}>{}</td></tr>",
                esc(&p.id),
                esc(&p.id),
                esc(&p.entity),
                esc(&p.deadline),
                if p.days_left <= 0 {
                    " class=\"over\""
                } else {
                    ""
                },
                p.days_left,
                esc(&class),
                if p.days_left <= 0 && n.legacy > 0 {
                    " class=\"over\""
                } else {
                    ""
                },
                n.legacy,
                if n.new > 0 { " class=\"over\"" } else { "" },
                n.new
            );
        }
    }
    o.push_str("</table>");
    o
}

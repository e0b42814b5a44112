//! The Markdown report: the HTML report's summary as GitHub-flavoured Markdown, short enough
//! for a pull request comment or `$GITHUB_STEP_SUMMARY`. GitHub caps a step summary at 1 MiB:
//! past `LIMIT` the findings table stops and says how many it left out.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::model::{BySeverity, Report, ReportFinding};
use crate::finding::Severity;

/// Below GitHub's 1 MiB step summary limit, with room for what follows the table.
pub const LIMIT: usize = crate::limits::DEFAULT.markdown_bytes;

pub fn render(reports: &[Report], title: &str, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(page(reports, title, LIMIT).as_bytes())
}

pub fn page(reports: &[Report], title: &str, limit: usize) -> String {
    let mut m = String::new();
    let _ = writeln!(m, "## {}\n", cell(title));
    let all: Vec<(&Report, &ReportFinding)> = reports
        .iter()
        .flat_map(|r| r.active().map(move |f| (r, f)))
        .collect();
    let totals = BySeverity::of(all.iter().map(|(_, f)| f.severity));
    m.push_str("| Severity | Findings |\n|---|---:|\n");
    for sev in Severity::ALL {
        let _ = writeln!(m, "| {sev} | {} |", totals.get(sev));
    }
    m.push('\n');
    if reports.len() > 1 || reports.iter().any(Report::is_audit) {
        m.push_str("| Scan | Scope | Files | Findings |\n|---|---|---:|---:|\n");
        for r in reports {
            let s = &r.summary;
            let _ = writeln!(
                m,
                "| {} | {} | {} | {} |",
                cell(r.label()),
                cell(s.scope.as_deref().unwrap_or("working tree")),
                s.files_scanned,
                s.findings
            );
        }
        m.push('\n');
    }
    for a in reports
        .iter()
        .flat_map(|r| r.summary.metrics.iter().flatten())
    {
        let _ = writeln!(
            m,
            "**Account {}**: {} keys ({} active), rotation compliance {:.0}% ({}-day policy), {} unused over {} days, {} users with two active keys, {} users with keys and no MFA.\n",
            cell(&a.account),
            a.keys,
            a.active_keys,
            a.rotation_compliance * 100.0,
            a.max_key_age_days,
            a.unused_keys,
            a.max_unused_days,
            a.users_two_active_keys,
            a.users_without_mfa,
        );
    }
    let added: Vec<&str> = reports
        .iter()
        .flat_map(|r| &r.summary.added_suppressions)
        .map(String::as_str)
        .collect();
    if !added.is_empty() {
        let _ = writeln!(
            m,
            "**{} suppressed by allow comments this change adds itself** (review them):\n",
            added.len()
        );
        for a in &added {
            let _ = writeln!(m, "- {}", cell(a));
        }
        m.push('\n');
    }
    if all.is_empty() {
        m.push_str(if added.is_empty() {
            "No findings.\n"
        } else {
            "No findings but the suppressed ones above.\n"
        });
        return m;
    }
    // Most severe first.
    let mut sorted = all;
    sorted.sort_by_key(|(_, f)| std::cmp::Reverse(f.severity));
    m.push_str("| Severity | Scan | Where | Rule | Finding | Fix |\n|---|---|---|---|---|---|\n");
    let total = sorted.len();
    for (i, (r, f)) in sorted.iter().enumerate() {
        let place = f.at();
        let row = format!(
            "| {} | {} | `{}` | `{}` | {} | {} |\n",
            f.severity,
            cell(r.label()),
            cell(&place).replace('`', "'"),
            cell(&f.rule_id),
            cell(&short(&f.message, 300)),
            cell(&short(&f.remedy.summary, 200)),
        );
        // Room for the note that says what was left out.
        if m.len() + row.len() + 200 > limit {
            let _ = writeln!(
                m,
                "\n{} of {total} findings left out to stay under GitHub's 1 MiB summary limit; the JSON, SARIF or HTML report has them all.",
                total - i
            );
            return m;
        }
        m.push_str(&row);
    }
    m
}

/// Text for a table cell: no line breaks, pipes escaped, HTML neutralised.
fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

fn short(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

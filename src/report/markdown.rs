//! The Markdown report: the HTML report's summary as GitHub-flavoured Markdown, short enough
//! for a pull request comment or `$GITHUB_STEP_SUMMARY`. GitHub caps a step summary at 1 MiB:
//! past `LIMIT` the findings table stops and says how many it left out.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use serde_json::Value;

use crate::finding::Severity;

/// Below GitHub's 1 MiB step summary limit, with room for what follows the table.
pub const LIMIT: usize = 1000 * 1024;

pub fn render(reports: &[Value], title: &str, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(page(reports, title, LIMIT).as_bytes())
}

pub fn page(reports: &[Value], title: &str, limit: usize) -> String {
    let mut m = String::new();
    let _ = writeln!(m, "## {}\n", cell(title));
    let mut totals: BTreeMap<usize, (&str, u64)> = BTreeMap::new();
    for (i, sev) in Severity::ALL.iter().enumerate() {
        totals.insert(i, (sev.as_str(), 0));
    }
    let all: Vec<(&Value, &Value)> = super::findings_of(reports)
        .into_iter()
        .filter(|(_, f)| f["suppression"].is_null())
        .collect();
    for (_, f) in &all {
        for (sev, n) in totals.values_mut() {
            if f["severity"].as_str() == Some(*sev) {
                *n += 1;
            }
        }
    }
    m.push_str("| Severity | Findings |\n|---|---:|\n");
    for (sev, n) in totals.values() {
        let _ = writeln!(m, "| {sev} | {n} |");
    }
    m.push('\n');
    if reports.len() > 1 || reports.iter().any(|r| !r["summary"]["metrics"].is_null()) {
        m.push_str("| Scan | Scope | Files | Findings |\n|---|---|---:|---:|\n");
        for r in reports {
            let s = &r["summary"];
            let _ = writeln!(
                m,
                "| {} | {} | {} | {} |",
                cell(r["label"].as_str().unwrap_or("scan")),
                cell(s["scope"].as_str().unwrap_or("working tree")),
                s["files_scanned"].as_u64().unwrap_or(0),
                s["findings"].as_u64().unwrap_or(0)
            );
        }
        m.push('\n');
    }
    for r in reports {
        for a in r["summary"]["metrics"].as_array().into_iter().flatten() {
            let a = super::account_metrics(a);
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
    }
    let added: Vec<&str> = reports
        .iter()
        .flat_map(|r| {
            r["summary"]["added_suppressions"]
                .as_array()
                .into_iter()
                .flatten()
        })
        .filter_map(Value::as_str)
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
    let rank = |f: &Value| std::cmp::Reverse(f["severity"].as_str().and_then(Severity::from_name));
    sorted.sort_by_key(|(_, f)| rank(f));
    m.push_str("| Severity | Scan | Where | Rule | Finding | Fix |\n|---|---|---|---|---|---|\n");
    let total = sorted.len();
    for (i, (r, f)) in sorted.iter().enumerate() {
        let place = f["uri"]
            .as_str()
            .filter(|u| !u.is_empty())
            .or_else(|| f["path"].as_str())
            .unwrap_or("");
        let row = format!(
            "| {} | {} | `{}:{}` | `{}` | {} | {} |\n",
            cell(f["severity"].as_str().unwrap_or("")),
            cell(r["label"].as_str().unwrap_or("scan")),
            cell(place).replace('`', "'"),
            f["line"].as_u64().unwrap_or(0),
            cell(f["rule_id"].as_str().unwrap_or("")),
            cell(&short(f["message"].as_str().unwrap_or(""), 300)),
            cell(&short(f["remedy"]["summary"].as_str().unwrap_or(""), 200)),
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

//! The HTML report: one self-contained file for people who will not read JSON. Inline CSS,
//! inline SVG charts and one small inline script (sorting and filtering, no framework); a
//! Content-Security-Policy that allows nothing else, so it opens offline and loads nothing.
//! Drawn from JSON report documents (`json::document`), one per scan or audit, so that a
//! single run and `keyrot report` (many runs merged) render alike. Every piece of scanned
//! text is escaped; excerpts are the JSON's, masked by span like every other format.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use serde_json::Value;

use crate::finding::Severity;

/// Sorting by a column and filtering by severity and rule, in plain DOM calls.
const SCRIPT: &str = r#"
document.querySelectorAll('table.findings').forEach(function (table) {
  var body = table.tBodies[0];
  table.querySelectorAll('th[data-key]').forEach(function (th, col) {
    th.addEventListener('click', function () {
      var rows = Array.prototype.slice.call(body.rows);
      var up = th.getAttribute('data-dir') !== 'up';
      th.setAttribute('data-dir', up ? 'up' : 'down');
      rows.sort(function (a, b) {
        var x = a.cells[col].getAttribute('data-sort') || a.cells[col].textContent;
        var y = b.cells[col].getAttribute('data-sort') || b.cells[col].textContent;
        var n = parseFloat(x) - parseFloat(y);
        var c = isNaN(n) ? x.localeCompare(y) : n;
        return up ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
function keyrotFilter() {
  var sev = document.getElementById('severity').value;
  var rule = document.getElementById('rule').value;
  document.querySelectorAll('tr.finding').forEach(function (r) {
    var show = (!sev || r.getAttribute('data-severity') === sev) &&
               (!rule || r.getAttribute('data-rule') === rule);
    r.style.display = show ? '' : 'none';
  });
}
document.getElementById('severity').addEventListener('change', keyrotFilter);
document.getElementById('rule').addEventListener('change', keyrotFilter);
"#;

const STYLE: &str = r#"
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #1b1f24; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { margin-top: 2em; border-bottom: 1px solid #d0d7de; }
.meta { color: #57606a; } .critical { color: #a40e26; } .high { color: #bc4c00; } .medium { color: #9a6700; } .low { color: #57606a; }
table { border-collapse: collapse; width: 100%; margin: 0.5em 0 1.5em; }
th, td { text-align: left; vertical-align: top; padding: 4px 8px; border-bottom: 1px solid #eaeef2; }
th[data-key] { cursor: pointer; } th[data-key]::after { content: " \2195"; color: #8c959f; }
code, pre { font: 12px/1.4 ui-monospace, monospace; } pre { white-space: pre-wrap; margin: 2px 0; background: #f6f8fa; padding: 4px; }
.cards { display: flex; flex-wrap: wrap; gap: 1em; } .card { border: 1px solid #d0d7de; border-radius: 6px; padding: 0.6em 1em; min-width: 9em; }
.card b { display: block; font-size: 1.6em; } .controls { margin: 1em 0; } svg text { font: 11px system-ui, sans-serif; }
details summary { cursor: pointer; color: #0969da; }
@media print { .controls { display: none; } body { margin: 0; max-width: none; } details { display: block; } }
"#;

/// Renders the reports (each a JSON report document) as one HTML page.
pub fn render(reports: &[Value], title: &str, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(page(reports, title).as_bytes())
}

/// The `sha256-...` CSP source of the inline script.
fn script_hash() -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(SCRIPT.as_bytes());
    format!(
        "sha256-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

pub fn page(reports: &[Value], title: &str) -> String {
    let mut h = String::with_capacity(64 * 1024);
    let findings = super::findings_of(reports);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src '{}'; img-src data:\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        script_hash(),
        esc(title)
    );
    let generated = reports
        .iter()
        .filter_map(|r| r["generated"].as_str())
        .max()
        .unwrap_or("");
    let _ = write!(
        h,
        "<header>\n<h1>{}</h1>\n<p class=\"meta\">keyrot {} &middot; generated {} &middot; {} {}</p>\n",
        esc(title),
        esc(reports.first().and_then(|r| r["tool"]["version"].as_str()).unwrap_or("")),
        esc(generated),
        reports.len(),
        if reports.len() == 1 { "scan" } else { "scans merged" }
    );
    h.push_str("<ul class=\"meta\">\n");
    for r in reports {
        let s = &r["summary"];
        // An audit reads accounts, not files.
        let files = if s["metrics"].is_array() {
            String::new()
        } else {
            format!("{} files, ", s["files_scanned"].as_u64().unwrap_or(0))
        };
        let _ = writeln!(
            h,
            "<li><b>{}</b>: {}; {files}{} findings</li>",
            esc(label(r)),
            esc(s["scope"].as_str().unwrap_or("working tree")),
            s["findings"].as_u64().unwrap_or(0)
        );
    }
    h.push_str("</ul>\n</header>\n");

    // Totals by severity, with a bar each.
    let mut totals: BTreeMap<&str, u64> = BTreeMap::new();
    for (_, f) in &findings {
        if f["suppression"].is_null() {
            *totals
                .entry(f["severity"].as_str().unwrap_or("low"))
                .or_default() += 1;
        }
    }
    h.push_str("<h2 id=\"totals\">Totals by severity</h2>\n<div class=\"cards\">\n");
    for sev in Severity::ALL.map(Severity::as_str) {
        let _ = writeln!(
            h,
            "<div class=\"card {sev}\"><b>{}</b>{sev}</div>",
            totals.get(sev).copied().unwrap_or(0)
        );
    }
    h.push_str("</div>\n");
    h.push_str(&severity_bars(&totals));

    // Accounts of audits: keys, ages against the policy, compliance.
    let accounts: Vec<&Value> = reports
        .iter()
        .flat_map(|r| r["summary"]["metrics"].as_array().into_iter().flatten())
        .collect();
    if !accounts.is_empty() {
        h.push_str("<h2 id=\"accounts\">AWS accounts</h2>\n");
        for m in accounts {
            account(&mut h, m);
        }
    }

    // Audits: every access key read, the harmless ones too, most powerful first.
    let mut inventory: Vec<&Value> = reports
        .iter()
        .flat_map(|r| r["inventory"].as_array().into_iter().flatten())
        .collect();
    if !inventory.is_empty() {
        let power = |k: &Value| match k["access"].as_str() {
            _ if k["quarantine"].is_string() => 0,
            Some("admin") => 1,
            Some("can-escalate") => 2,
            Some("can-read-secrets") => 3,
            Some("can-write-data") => 4,
            Some("read-only") => 5,
            _ => 6,
        };
        inventory.sort_by_key(|k| {
            (
                power(k),
                std::cmp::Reverse(k["age_days"].as_i64().unwrap_or(0)),
            )
        });
        h.push_str("<h2 id=\"inventory\">Access keys</h2>\n<table class=\"inventory\"><thead><tr><th>Account</th><th>User</th><th>Key</th><th>State</th><th>Age (days)</th><th>Last used</th><th>Access</th><th>How</th></tr></thead><tbody>\n");
        for k in inventory {
            let text = |f: &str| esc(k[f].as_str().unwrap_or(""));
            let used = match k["last_used"].as_str() {
                Some(d) => format!(
                    "{} ({} in {})",
                    esc(d),
                    text("last_used_service"),
                    text("last_used_region")
                ),
                None => "never".to_string(),
            };
            let how = match k["quarantine"].as_str() {
                Some(q) => format!("quarantined by AWS ({})", esc(q)),
                None => text("path"),
            };
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{used}</td><td>{}</td><td>{how}</td></tr>",
                text("account"),
                text("user"),
                text("key_id"),
                text("state"),
                k["age_days"].as_i64().map(|d| d.to_string()).unwrap_or_default(),
                text("access"),
            );
        }
        h.push_str("</tbody></table>\n");
    }

    // History: when keys were introduced, and whether they are still at HEAD.
    let dated: Vec<(&str, bool, &str)> = findings
        .iter()
        .filter_map(|(_, f)| {
            Some((
                f["commit"]["date"].as_str()?,
                f["present_at_head"].as_bool().unwrap_or(false),
                f["rule_id"].as_str().unwrap_or(""),
            ))
        })
        .collect();
    if !dated.is_empty() {
        h.push_str("<h2 id=\"timeline\">When secrets were introduced</h2>\n");
        h.push_str(&timeline(&dated));
    }

    // Findings, grouped by scan and file, sortable and filterable.
    h.push_str("<h2 id=\"findings\">Findings</h2>\n<div class=\"controls\">\n<label>Severity <select id=\"severity\"><option value=\"\">all</option>");
    for sev in Severity::ALL.map(Severity::as_str) {
        let _ = write!(h, "<option>{sev}</option>");
    }
    h.push_str(
        "</select></label>\n<label>Rule <select id=\"rule\"><option value=\"\">all</option>",
    );
    let rules: std::collections::BTreeSet<&str> = findings
        .iter()
        .filter_map(|(_, f)| f["rule_id"].as_str())
        .collect();
    for rule in rules {
        let _ = write!(h, "<option>{}</option>", esc(rule));
    }
    h.push_str("</select></label>\n</div>\n");
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
        let _ = write!(
            h,
            "<section class=\"added\"><h2>Suppressed by allow comments this change adds itself</h2><ul>"
        );
        for a in &added {
            let _ = write!(h, "<li>{}</li>", esc(a));
        }
        h.push_str("</ul></section>\n");
    }
    if findings.is_empty() {
        h.push_str("<p>No findings.</p>\n");
    }
    for r in reports {
        let list: Vec<&Value> = r["findings"].as_array().into_iter().flatten().collect();
        if list.is_empty() {
            continue;
        }
        let mut by_file: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
        for f in list {
            let place = f["uri"]
                .as_str()
                .filter(|u| !u.is_empty())
                .or_else(|| f["path"].as_str())
                .unwrap_or("")
                .to_string();
            by_file.entry(place).or_default().push(f);
        }
        let _ = writeln!(h, "<h3>{}</h3>", esc(label(r)));
        h.push_str("<table class=\"findings\">\n<thead><tr><th data-key=\"file\">File</th><th data-key=\"line\">Line</th><th data-key=\"severity\">Severity</th><th data-key=\"rule\">Rule</th><th>Finding and fix</th></tr></thead>\n<tbody>\n");
        for (file, list) in by_file {
            for f in list {
                finding_row(&mut h, &file, f);
            }
        }
        h.push_str("</tbody>\n</table>\n");
    }
    let _ = write!(h, "<script>{SCRIPT}</script>\n</body>\n</html>\n");
    h
}

fn label(r: &Value) -> &str {
    r["label"].as_str().unwrap_or("scan")
}

/// A severity's place for sorting, most severe highest (unknown names lowest).
fn rank(sev: &str) -> u8 {
    Severity::from_name(sev).map_or(0, |s| s as u8 + 1)
}

fn finding_row(h: &mut String, file: &str, f: &Value) {
    let sev = f["severity"].as_str().unwrap_or("low");
    let rule = f["rule_id"].as_str().unwrap_or("");
    let line = f["line"].as_u64().unwrap_or(0);
    let _ = write!(
        h,
        "<tr class=\"finding\" data-severity=\"{}\" data-rule=\"{}\"><td><code>{}</code></td><td data-sort=\"{line}\">{line}</td><td class=\"{}\" data-sort=\"{}\">{}</td><td><code>{}</code></td><td>{}",
        esc(sev),
        esc(rule),
        esc(file),
        esc(sev),
        rank(sev),
        esc(sev),
        esc(rule),
        esc(f["message"].as_str().unwrap_or(""))
    );
    if let Some(excerpt) = f["excerpt"].as_str().filter(|e| !e.is_empty()) {
        let _ = write!(h, "<pre>{}</pre>", esc(excerpt));
    }
    if let Some(commit) = f["commit"]["id"].as_str() {
        let _ = write!(
            h,
            "<div class=\"meta\">introduced by {} ({}, {}){}</div>",
            esc(&commit[..commit.len().min(12)]),
            esc(f["commit"]["author"].as_str().unwrap_or("")),
            esc(f["commit"]["date"].as_str().unwrap_or("")),
            match f["present_at_head"].as_bool() {
                Some(true) => "; still at HEAD",
                Some(false) => "; gone from HEAD, still in history",
                None => "",
            }
        );
    }
    if f["suppression"].is_object() {
        let _ = write!(
            h,
            "<div class=\"meta\">suppressed ({})</div>",
            esc(f["suppression"]["by"].as_str().unwrap_or(""))
        );
    }
    let remedy = &f["remedy"];
    if let Some(summary) = remedy["summary"].as_str().filter(|s| !s.is_empty()) {
        let _ = write!(h, "<details><summary>Fix: {}</summary><ol>", esc(summary));
        for step in remedy["steps"].as_array().into_iter().flatten() {
            let _ = write!(h, "<li>{}", esc(step["text"].as_str().unwrap_or("")));
            if let Some(cmd) = step["command"].as_str() {
                let _ = write!(h, "<pre>{}</pre>", esc(cmd));
            }
            h.push_str("</li>");
        }
        h.push_str("</ol></details>");
    }
    h.push_str("</td></tr>\n");
}

/// One horizontal bar per severity.
fn severity_bars(totals: &BTreeMap<&str, u64>) -> String {
    let max = totals.values().copied().max().unwrap_or(0).max(1);
    let mut s = String::from("<svg role=\"img\" aria-label=\"findings by severity\" width=\"480\" height=\"110\" viewBox=\"0 0 480 110\">\n");
    let colours = ["#a40e26", "#bc4c00", "#9a6700", "#8c959f"];
    for (i, sev) in Severity::ALL.map(Severity::as_str).iter().enumerate() {
        let n = totals.get(sev).copied().unwrap_or(0);
        let w = (n as f64 / max as f64 * 340.0).round();
        let y = 5 + i * 26;
        let _ = writeln!(
            s,
            "<text x=\"0\" y=\"{}\">{sev}</text><rect x=\"70\" y=\"{y}\" width=\"{w}\" height=\"18\" fill=\"{}\"/><text x=\"{}\" y=\"{}\">{n}</text>",
            y + 13,
            colours[i],
            75.0 + w,
            y + 13
        );
    }
    s.push_str("</svg>\n");
    s
}

/// An account's figures and the histogram of its active keys' ages, with the rotation
/// policy drawn as a line.
fn account(h: &mut String, m: &Value) {
    let m = super::account_metrics(m);
    let policy = m.max_key_age_days;
    let _ = write!(
        h,
        "<h3>Account {}</h3>\n<div class=\"cards\"><div class=\"card\"><b>{}</b>access keys</div><div class=\"card\"><b>{}</b>active</div><div class=\"card\"><b>{:.0}%</b>rotation compliance ({}-day policy)</div><div class=\"card\"><b>{}</b>unused over {} days</div><div class=\"card\"><b>{}</b>users with two active keys</div><div class=\"card\"><b>{}</b>users with keys and no MFA</div></div>\n",
        esc(&m.account),
        m.keys,
        m.active_keys,
        m.rotation_compliance * 100.0,
        policy,
        m.unused_keys,
        m.max_unused_days,
        m.users_two_active_keys,
        m.users_without_mfa,
    );
    let ages = &m.active_key_ages_days;
    // Buckets of 30 days up to past the policy and the oldest key.
    let top = ages.iter().copied().max().unwrap_or(0).max(policy) + 30;
    let buckets = (top / 30 + 1).min(40) as usize;
    let width = 30 * (buckets as i64 - 1).max(1);
    let mut counts = vec![0usize; buckets];
    for a in ages {
        counts[((a.max(&0) / 30) as usize).min(buckets - 1)] += 1;
    }
    let max = counts.iter().copied().max().unwrap_or(0).max(1);
    // Bars from `top` down to `base`; the policy's label above them, the day ticks and the
    // caption below.
    let (w, hgt, top) = (600.0, 150.0, 28.0);
    let base = top + hgt;
    let bar = w / buckets as f64;
    let _ = writeln!(
        h,
        "<svg role=\"img\" aria-label=\"active key ages\" width=\"640\" height=\"222\" viewBox=\"0 0 640 222\">"
    );
    for (i, c) in counts.iter().enumerate() {
        let bh = *c as f64 / max as f64 * hgt;
        let x = 20.0 + i as f64 * bar;
        let _ = writeln!(
            h,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"{}\"><title>{}-{} days: {c}</title></rect><text x=\"{x:.1}\" y=\"{:.1}\">{}</text>",
            base - bh,
            (bar - 2.0).max(1.0),
            if (i as i64) * 30 >= policy { "#bc4c00" } else { "#2da44e" },
            i * 30,
            i * 30 + 29,
            base + 14.0,
            i * 30
        );
        if *c > 0 {
            let _ = writeln!(
                h,
                "<text x=\"{:.1}\" y=\"{:.1}\">{c}</text>",
                x + 2.0,
                base - bh - 3.0
            );
        }
    }
    let x = 20.0 + policy as f64 / (width as f64 + 30.0) * w;
    let _ = writeln!(
        h,
        "<line x1=\"{x:.1}\" y1=\"4\" x2=\"{x:.1}\" y2=\"{base}\" stroke=\"#a40e26\" stroke-dasharray=\"4 3\"/><text x=\"{:.1}\" y=\"12\">max key age {policy} days</text><text x=\"20\" y=\"214\">key age in days, 30 per bar; {} active keys</text></svg>",
        x + 4.0,
        ages.len()
    );
}

/// Findings from history on a time axis: a dot per finding at its commit date, filled when
/// the secret is still at HEAD.
fn timeline(dated: &[(&str, bool, &str)]) -> String {
    let secs: Vec<i64> = dated
        .iter()
        .filter_map(|(d, _, _)| crate::time::parse_rfc3339(d))
        .collect();
    let (lo, hi) = (
        secs.iter().copied().min().unwrap_or(0),
        secs.iter().copied().max().unwrap_or(0),
    );
    let span = (hi - lo).max(1) as f64;
    let mut s = String::from("<svg role=\"img\" aria-label=\"when secrets were introduced\" width=\"640\" height=\"90\" viewBox=\"0 0 640 90\">\n<line x1=\"20\" y1=\"40\" x2=\"620\" y2=\"40\" stroke=\"#8c959f\"/>\n");
    for ((date, at_head, rule), t) in dated.iter().zip(&secs) {
        let x = 20.0 + (t - lo) as f64 / span * 600.0;
        let _ = writeln!(
            s,
            "<circle cx=\"{x:.1}\" cy=\"40\" r=\"6\" fill=\"{}\" stroke=\"#a40e26\"><title>{} {}{}</title></circle>",
            if *at_head { "#a40e26" } else { "#ffffff" },
            esc(date),
            esc(rule),
            if *at_head { ", still at HEAD" } else { "" }
        );
    }
    let _ = writeln!(
        s,
        "<text x=\"20\" y=\"70\">{}</text><text x=\"540\" y=\"70\">{}</text><text x=\"20\" y=\"86\">filled: still at HEAD; open: only in history</text></svg>",
        esc(&crate::time::rfc3339(lo)[..10]),
        esc(&crate::time::rfc3339(hi)[..10])
    );
    s
}

/// Text as HTML: the five special characters, and control characters made visible.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(c),
            c if c.is_control() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

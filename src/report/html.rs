//! The HTML report: one self-contained file a security team can hand on. An executive summary
//! first (what is exposed now, what to do first), then counts by rule, file and account, the
//! audited accounts and their keys, and the findings by severity then rule, each group paged,
//! with every fix and its commands written out (on screen and in print). Inline CSS, inline SVG
//! charts and one small inline script (filtering and paging, no framework); a
//! Content-Security-Policy that allows nothing else, so it opens offline and loads nothing.
//! Drawn from `Report`s, one per scan or audit, so that a single run and `keyrot report` (many
//! runs merged) render alike. Every piece of scanned text is escaped; excerpts are the
//! report's, masked by span like every other format.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::model::{BySeverity, Report, ReportFinding};
use crate::finding::{AccessLevel, KeyState, Severity};

/// Findings shown per rule group before "show all" (print shows them all).
const PAGE: usize = 10;
/// Rows of the "by file" table.
const TOP_FILES: usize = 15;
/// Actions in "what to do first".
const FIRST_ACTIONS: usize = 5;

/// Filtering by severity and rule, and paging within a group, in plain DOM calls.
const SCRIPT: &str = r#"
function keyrotFilter() {
  var sev = document.getElementById('severity').value;
  var rule = document.getElementById('rule').value;
  document.body.classList.toggle('filtered', !!(sev || rule));
  document.querySelectorAll('tr.finding').forEach(function (r) {
    var show = (!sev || r.getAttribute('data-severity') === sev) &&
               (!rule || r.getAttribute('data-rule') === rule);
    r.classList.toggle('hidden', !show);
  });
  document.querySelectorAll('section.group').forEach(function (g) {
    g.classList.toggle('hidden', !g.querySelector('tr.finding:not(.hidden)'));
  });
}
document.getElementById('severity').addEventListener('change', keyrotFilter);
document.getElementById('rule').addEventListener('change', keyrotFilter);
document.querySelectorAll('button.more').forEach(function (b) {
  b.addEventListener('click', function () {
    var g = b.closest('section.group');
    g.classList.toggle('open');
    b.textContent = g.classList.contains('open') ? 'show fewer' : b.getAttribute('data-label');
  });
});
"#;

const STYLE: &str = r#"
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, sans-serif; margin: 1.5em auto; max-width: 1180px; color: #1b1f24; padding: 0 16px; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { margin-top: 1.8em; border-bottom: 1px solid #d0d7de; }
h3 { margin: 1.2em 0 0.3em; }
.meta { color: #57606a; } .critical { color: #a40e26; } .high { color: #bc4c00; } .medium { color: #9a6700; } .low { color: #57606a; }
table { border-collapse: collapse; width: 100%; margin: 0.4em 0 1em; table-layout: fixed; }
th, td { text-align: left; vertical-align: top; padding: 4px 8px; border-bottom: 1px solid #eaeef2; overflow-wrap: anywhere; }
td.n, th.n { text-align: right; width: 6em; }
code, pre { font: 12px/1.4 ui-monospace, monospace; overflow-wrap: anywhere; }
pre { white-space: pre-wrap; margin: 2px 0; background: #f6f8fa; padding: 4px 6px; }
.cards { display: flex; flex-wrap: wrap; gap: 0.8em; } .card { border: 1px solid #d0d7de; border-radius: 6px; padding: 0.5em 0.9em; min-width: 9em; }
.card b { display: block; font-size: 1.5em; } .controls { margin: 1em 0; } svg { max-width: 100%; height: auto; } svg text { font: 11px system-ui, sans-serif; }
.exposed { border-left: 4px solid #a40e26; padding: 0.2em 1em; background: #fff5f5; }
.fix { margin-top: 4px; } .fix ol { margin: 2px 0 0 1.2em; padding: 0; }
col.where { width: 30%; } col.what { width: 70%; }
.cols { display: flex; flex-wrap: wrap; gap: 2em; } .cols > div { flex: 1 1 320px; min-width: 0; }
tr.finding.hidden, section.group.hidden { display: none; }
section.group:not(.open) tr.finding.later { display: none; }
body.filtered section.group tr.finding.later:not(.hidden) { display: table-row; }
body.filtered button.more { display: none; }
button.more { margin: 0 0 1em; }
@media print {
  .controls, button.more { display: none; }
  body { margin: 0; max-width: none; }
  section.group tr.finding.later, section.group tr.finding.hidden { display: table-row !important; }
  section.group.hidden { display: block !important; }
  tr.finding { break-inside: avoid; }
}
"#;

/// Renders the reports as one HTML page.
pub fn render(reports: &[Report], title: &str, out: &mut dyn Write) -> io::Result<()> {
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

/// A finding with the report it came from.
type Entry<'a> = (&'a Report, &'a ReportFinding);

pub fn page(reports: &[Report], title: &str) -> String {
    let mut h = String::with_capacity(64 * 1024);
    let findings: Vec<Entry> = reports
        .iter()
        .flat_map(|r| r.findings.iter().map(move |f| (r, f)))
        .collect();
    let active: Vec<Entry> = findings
        .iter()
        .copied()
        .filter(|(_, f)| f.is_active())
        .collect();
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
        .map(|r| r.generated.as_str())
        .max()
        .unwrap_or("");
    let _ = write!(
        h,
        "<header>\n<h1>{}</h1>\n<p class=\"meta\">keyrot {} &middot; generated {} &middot; {} {}</p>\n</header>\n",
        esc(title),
        esc(reports.first().map_or("", |r| r.tool.version.as_str())),
        esc(generated),
        reports.len(),
        if reports.len() == 1 { "scan" } else { "scans merged" }
    );
    executive_summary(&mut h, reports, &active);
    counts(&mut h, &active);
    let accounts: Vec<_> = reports
        .iter()
        .flat_map(|r| r.summary.metrics.iter().flatten())
        .collect();
    if !accounts.is_empty() {
        h.push_str("<h2 id=\"accounts\">AWS accounts</h2>\n");
        for m in accounts {
            account(&mut h, m);
        }
    }
    inventory(&mut h, reports);
    history(&mut h, &active);
    findings_section(&mut h, &findings, reports.len() > 1);
    let _ = write!(h, "<script>{SCRIPT}</script>\n</body>\n</html>\n");
    h
}

/// What is exposed now and what to do first, in a paragraph and a short list.
fn executive_summary(h: &mut String, reports: &[Report], active: &[Entry]) {
    h.push_str("<section id=\"summary\">\n<h2>Summary</h2>\n");
    let totals = BySeverity::of(active.iter().map(|(_, f)| f.severity));
    h.push_str("<div class=\"cards\">\n");
    for sev in Severity::ALL {
        let _ = writeln!(
            h,
            "<div class=\"card {sev}\"><b>{}</b>{sev}</div>",
            totals.get(sev)
        );
    }
    h.push_str("</div>\n");
    // Exposed now: secrets still where they were found, keys live IAM calls active, keys AWS
    // itself quarantined, keys that can take over their account.
    let secrets: Vec<&ReportFinding> = active
        .iter()
        .map(|(_, f)| *f)
        .filter(|f| is_secret(f))
        .collect();
    let current = secrets
        .iter()
        .filter(|f| f.present_at_head != Some(false))
        .count();
    let live = secrets
        .iter()
        .filter(|f| {
            f.facts
                .iam
                .as_ref()
                .is_some_and(|i| i.state == KeyState::Active)
        })
        .count();
    let mut exposed = Vec::new();
    if current > 0 {
        exposed.push(format!(
            "{current} {} in the code as it stands",
            plural(current, "secret is", "secrets are")
        ));
    }
    let history_only = secrets.len() - current;
    if history_only > 0 {
        exposed.push(format!(
            "{history_only} more only in history (still readable by anyone with a clone)"
        ));
    }
    if live > 0 {
        exposed.push(format!(
            "{live} {} active in IAM",
            plural(live, "key is", "keys are")
        ));
    }
    let quarantined = reports
        .iter()
        .flat_map(|r| r.inventory.iter().flatten())
        .filter(|k| k.quarantine.is_some())
        .count();
    if quarantined > 0 {
        exposed.push(format!(
            "{quarantined} {} already quarantined by AWS (found public)",
            plural(quarantined, "key was", "keys were")
        ));
    }
    let takeover = reports
        .iter()
        .flat_map(|r| r.inventory.iter().flatten())
        .filter(|k| k.state == KeyState::Active && k.access.is_some_and(AccessLevel::takes_over))
        .count();
    if takeover > 0 {
        exposed.push(format!(
            "{takeover} active {} can take over {} account",
            plural(takeover, "key", "keys"),
            plural(takeover, "its", "their")
        ));
    }
    let severe = totals.critical + totals.high;
    if severe > 0 {
        exposed.push(format!("{severe} critical or high findings in all"));
    }
    if exposed.is_empty() {
        h.push_str("<p class=\"exposed\"><b>Nothing is exposed</b>: no secret and no critical or high finding.</p>\n");
    } else {
        let _ = writeln!(
            h,
            "<p class=\"exposed\"><b>Exposed now</b>: {}.</p>",
            esc(&exposed.join("; "))
        );
    }
    // What to do first: the most severe rules, each with the fix of its first finding.
    let mut groups: BTreeMap<(std::cmp::Reverse<Severity>, &str), Vec<&ReportFinding>> =
        BTreeMap::new();
    for (_, f) in active {
        groups
            .entry((std::cmp::Reverse(f.severity), f.rule_id.as_str()))
            .or_default()
            .push(f);
    }
    if !groups.is_empty() {
        h.push_str("<h3>What to do first</h3>\n<ol>\n");
        for ((sev, rule), list) in groups.iter().take(FIRST_ACTIONS) {
            let first = list[0];
            let count = match list.len() {
                1 => format!("at <code>{}</code>", esc(&first.at())),
                n => format!(
                    "{n} findings; the first at <code>{}</code>",
                    esc(&first.at())
                ),
            };
            let _ = writeln!(
                h,
                "<li><span class=\"{}\">{}</span> &middot; <a href=\"#rule-{}\">{}</a> ({count}): {}</li>",
                sev.0,
                sev.0,
                anchor(rule),
                esc(&first.title),
                inline(&first.remedy.summary)
            );
        }
        h.push_str("</ol>\n");
    }
    let added: Vec<&str> = reports
        .iter()
        .flat_map(|r| &r.summary.added_suppressions)
        .map(String::as_str)
        .collect();
    if !added.is_empty() {
        let _ = write!(
            h,
            "<section class=\"added\"><h3>Suppressed by allow comments this change adds itself</h3><ul>"
        );
        for a in &added {
            let _ = write!(h, "<li>{}</li>", esc(a));
        }
        h.push_str("</ul></section>\n");
    }
    // What was read: one line per scan, and what it could not read.
    h.push_str("<h3>What was read</h3>\n<ul class=\"meta\">\n");
    for r in reports {
        let s = &r.summary;
        let files = if r.is_audit() {
            String::new()
        } else {
            format!("{} files, ", s.files_scanned)
        };
        let mut line = format!(
            "<b>{}</b>: {}; {files}{} findings",
            esc(r.label()),
            esc(s.scope.as_deref().unwrap_or("working tree")),
            s.findings
        );
        if s.suppressed > 0 {
            let _ = write!(line, ", {} suppressed", s.suppressed);
        }
        if s.incomplete || !s.errors.is_empty() {
            let _ = write!(
                line,
                " &middot; <span class=\"critical\">incomplete: {} {} could not be read</span>",
                s.errors.len(),
                plural(s.errors.len(), "thing", "things")
            );
        }
        let _ = writeln!(h, "<li>{line}</li>");
    }
    h.push_str("</ul>\n</section>\n");
}

/// Counts by rule, by file and by account.
fn counts(h: &mut String, active: &[Entry]) {
    if active.is_empty() {
        return;
    }
    let mut by_rule: BTreeMap<&str, (Severity, &str, usize)> = BTreeMap::new();
    let mut by_file: BTreeMap<&str, usize> = BTreeMap::new();
    let mut by_account: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, f) in active {
        let e = by_rule
            .entry(&f.rule_id)
            .or_insert((f.severity, &f.title, 0));
        e.0 = e.0.max(f.severity);
        e.2 += 1;
        if f.aws.is_none() {
            *by_file.entry(&f.uri).or_default() += 1;
        }
        let account = f
            .aws
            .as_ref()
            .map(|a| a.account.as_str())
            .or(f.facts.account_id.as_deref());
        if let Some(account) = account {
            *by_account.entry(account).or_default() += 1;
        }
    }
    h.push_str("<h2 id=\"counts\">Findings by rule, file and account</h2>\n<div class=\"cols\">\n<div><table><thead><tr><th>Rule</th><th class=\"n\">Findings</th></tr></thead><tbody>\n");
    let mut rules: Vec<_> = by_rule.into_iter().collect();
    rules.sort_by_key(|(id, (sev, _, n))| (std::cmp::Reverse(*sev), std::cmp::Reverse(*n), *id));
    for (id, (sev, title, n)) in rules {
        let _ = writeln!(
            h,
            "<tr><td><span class=\"{sev}\">{sev}</span> <a href=\"#rule-{}\">{}</a><br><code>{}</code></td><td class=\"n\">{n}</td></tr>",
            anchor(id),
            esc(title),
            esc(id)
        );
    }
    h.push_str("</tbody></table></div>\n");
    if !by_file.is_empty() {
        let mut files: Vec<_> = by_file.into_iter().collect();
        files.sort_by_key(|(f, n)| (std::cmp::Reverse(*n), *f));
        let more = files.len().saturating_sub(TOP_FILES);
        h.push_str("<div><table><thead><tr><th>File</th><th class=\"n\">Findings</th></tr></thead><tbody>\n");
        for (file, n) in files.iter().take(TOP_FILES) {
            let _ = writeln!(
                h,
                "<tr><td><code>{}</code></td><td class=\"n\">{n}</td></tr>",
                esc(file)
            );
        }
        if more > 0 {
            let _ = writeln!(
                h,
                "<tr><td class=\"meta\">{more} more {}</td><td></td></tr>",
                plural(more, "file", "files")
            );
        }
        h.push_str("</tbody></table></div>\n");
    }
    if !by_account.is_empty() {
        h.push_str("<div><table><thead><tr><th>AWS account</th><th class=\"n\">Findings</th></tr></thead><tbody>\n");
        for (account, n) in &by_account {
            let _ = writeln!(
                h,
                "<tr><td><code>{}</code></td><td class=\"n\">{n}</td></tr>",
                esc(account)
            );
        }
        h.push_str("</tbody></table></div>\n");
    }
    h.push_str("</div>\n");
}

/// Audits: every access key read, the harmless ones too, most powerful first.
fn inventory(h: &mut String, reports: &[Report]) {
    let mut keys: Vec<_> = reports
        .iter()
        .flat_map(|r| r.inventory.iter().flatten())
        .collect();
    if keys.is_empty() {
        return;
    }
    keys.sort_by_key(|k| {
        (
            k.quarantine.is_none(),
            std::cmp::Reverse(k.access),
            std::cmp::Reverse(k.age_days.unwrap_or(0)),
        )
    });
    h.push_str("<h2 id=\"inventory\">Access keys</h2>\n<table class=\"inventory\"><thead><tr><th>Account</th><th>User</th><th>Key</th><th>State</th><th class=\"n\">Age (days)</th><th>Last used</th><th>Access</th><th>How</th></tr></thead><tbody>\n");
    for k in keys {
        let used = match &k.last_used {
            Some(d) => format!(
                "{} ({} in {})",
                esc(d),
                esc(k.last_used_service.as_deref().unwrap_or("")),
                esc(k.last_used_region.as_deref().unwrap_or(""))
            ),
            None => "never".to_string(),
        };
        let how = match &k.quarantine {
            Some(q) => format!("quarantined by AWS ({})", esc(q)),
            None => esc(k.path.as_deref().unwrap_or("")),
        };
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td class=\"n\">{}</td><td>{used}</td><td>{}</td><td>{how}</td></tr>",
            esc(&k.account),
            esc(&k.user),
            esc(&k.key_id),
            k.state.as_str(),
            k.age_days.map(|d| d.to_string()).unwrap_or_default(),
            k.access.map_or("", AccessLevel::as_str),
        );
    }
    h.push_str("</tbody></table>\n");
}

/// History: when secrets (not policies) were introduced, and whether they are still at HEAD.
fn history(h: &mut String, active: &[Entry]) {
    let dated: Vec<(i64, bool, &str)> = active
        .iter()
        .filter(|(_, f)| is_secret(f))
        .filter_map(|(_, f)| {
            let c = f.commit.as_ref()?;
            Some((
                crate::time::parse_rfc3339(&c.date)?,
                f.present_at_head.unwrap_or(false),
                f.rule_id.as_str(),
            ))
        })
        .collect();
    if dated.is_empty() {
        return;
    }
    let policies = active
        .iter()
        .filter(|(_, f)| f.commit.is_some() && !is_secret(f))
        .count();
    h.push_str("<h2 id=\"timeline\">When secrets were introduced</h2>\n");
    h.push_str(&timeline(&dated));
    if policies > 0 {
        let _ = writeln!(
            h,
            "<p class=\"meta\">{policies} policy {} from history not plotted.</p>",
            plural(policies, "finding", "findings")
        );
    }
}

/// A finding about a credential, not a policy.
fn is_secret(f: &ReportFinding) -> bool {
    f.aws.is_none() && (f.facts.key_id.is_some() || !f.rule_id.starts_with("policy."))
}

/// Findings by severity, then rule, each rule a group of `PAGE` with the rest behind a button
/// (all of them in print).
fn findings_section(h: &mut String, findings: &[Entry], many: bool) {
    h.push_str("<h2 id=\"findings\">Findings</h2>\n<div class=\"controls\">\n<label>Severity <select id=\"severity\"><option value=\"\">all</option>");
    for sev in Severity::ALL {
        let _ = write!(h, "<option>{sev}</option>");
    }
    h.push_str(
        "</select></label>\n<label>Rule <select id=\"rule\"><option value=\"\">all</option>",
    );
    let rules: std::collections::BTreeSet<&str> =
        findings.iter().map(|(_, f)| f.rule_id.as_str()).collect();
    for rule in rules {
        let _ = write!(h, "<option>{}</option>", esc(rule));
    }
    h.push_str("</select></label>\n</div>\n");
    if findings.is_empty() {
        h.push_str("<p>No findings.</p>\n");
        return;
    }
    let mut groups: BTreeMap<(std::cmp::Reverse<Severity>, &str), Vec<Entry>> = BTreeMap::new();
    for e in findings {
        groups
            .entry((std::cmp::Reverse(e.1.severity), e.1.rule_id.as_str()))
            .or_default()
            .push(*e);
    }
    let mut current = None;
    let mut anchored = std::collections::HashSet::new();
    for ((sev, rule), list) in groups {
        if current != Some(sev.0) {
            let _ = writeln!(
                h,
                "<h3 class=\"{}\">{}</h3>",
                sev.0,
                capital(sev.0.as_str())
            );
            current = Some(sev.0);
        }
        // A rule's anchor on its most severe group.
        let id = if anchored.insert(rule) {
            format!(" id=\"rule-{}\"", anchor(rule))
        } else {
            String::new()
        };
        let _ = writeln!(
            h,
            "<section class=\"group\"{id}>\n<h4><code>{}</code> {} &middot; {} {}</h4>\n<table class=\"findings\"><colgroup><col class=\"where\"><col class=\"what\"></colgroup>\n<thead><tr><th>Where</th><th>Finding and fix</th></tr></thead>\n<tbody>",
            esc(rule),
            esc(&list[0].1.title),
            list.len(),
            plural(list.len(), "finding", "findings")
        );
        for (i, (r, f)) in list.iter().enumerate() {
            finding_row(h, r, f, i >= PAGE, many);
        }
        h.push_str("</tbody>\n</table>\n");
        if list.len() > PAGE {
            let label = format!("show all {}", list.len());
            let _ = writeln!(
                h,
                "<button type=\"button\" class=\"more\" data-label=\"{label}\">{label}</button>"
            );
        }
        h.push_str("</section>\n");
    }
}

fn finding_row(h: &mut String, r: &Report, f: &ReportFinding, later: bool, many: bool) {
    let sev = f.severity.as_str();
    let place = if f.aws.is_none() {
        format!(
            "<code>{}</code><br><span class=\"meta\">line {}</span>",
            esc(f.place()),
            f.location.line
        )
    } else {
        format!("<code>{}</code>", esc(f.place()))
    };
    let scan = if many {
        format!("<br><span class=\"meta\">{}</span>", esc(r.label()))
    } else {
        String::new()
    };
    let _ = write!(
        h,
        "<tr class=\"finding{}\" data-severity=\"{sev}\" data-rule=\"{}\"><td>{place}{scan}</td><td><span class=\"{sev}\">{sev}</span> {}",
        if later { " later" } else { "" },
        esc(&f.rule_id),
        inline(&f.message)
    );
    if !f.excerpt.is_empty() {
        let _ = write!(h, "<pre>{}</pre>", esc(&f.excerpt));
    }
    if let Some(commit) = &f.commit {
        let _ = write!(
            h,
            "<div class=\"meta\">introduced in {} by {} on {}{}</div>",
            esc(&commit.id[..commit.id.len().min(12)]),
            esc(&commit.author),
            esc(commit.date.get(..10).unwrap_or(&commit.date)),
            match f.present_at_head {
                Some(true) => "; still at HEAD",
                Some(false) => "; gone from HEAD, still in history",
                None => "",
            }
        );
    }
    if let Some(s) = &f.suppression {
        let _ = write!(
            h,
            "<div class=\"meta\">suppressed ({}){}</div>",
            s.by.as_str(),
            s.justification
                .as_deref()
                .map(|j| format!(": {}", esc(j)))
                .unwrap_or_default()
        );
    }
    if !f.remedy.summary.is_empty() {
        let _ = write!(
            h,
            "<div class=\"fix\"><b>Fix</b>: {}",
            inline(&f.remedy.summary)
        );
        if !f.remedy.steps.is_empty() {
            h.push_str("<ol>");
            for step in &f.remedy.steps {
                let _ = write!(h, "<li>{}", inline(&step.text));
                if let Some(cmd) = &step.command {
                    let _ = write!(h, "<pre>{}</pre>", esc(cmd));
                }
                h.push_str("</li>");
            }
            h.push_str("</ol>");
        }
        h.push_str("</div>");
    }
    h.push_str("</td></tr>\n");
}

/// An account's figures and the histogram of its active keys' ages, with the rotation
/// policy drawn as a line.
fn account(h: &mut String, m: &crate::outcome::AccountMetrics) {
    let policy = m.max_key_age_days;
    let _ = write!(
        h,
        "<h3>Account {}</h3>\n<div class=\"cards\"><div class=\"card\"><b>{}</b>access keys</div><div class=\"card\"><b>{}</b>active</div><div class=\"card\"><b>{:.0}</b>average active key age (days)</div><div class=\"card\"><b>{}</b>oldest active key (days)</div><div class=\"card\"><b>{:.0}%</b>rotation compliance ({}-day policy)</div><div class=\"card\"><b>{}</b>unused over {} days</div><div class=\"card\"><b>{}</b>users with two active keys</div><div class=\"card\"><b>{}</b>users with keys and no MFA</div></div>\n",
        esc(&m.account),
        m.keys,
        m.active_keys,
        m.average_active_age_days,
        m.max_active_age_days,
        m.rotation_compliance * 100.0,
        policy,
        m.unused_keys,
        m.max_unused_days,
        m.users_two_active_keys,
        m.users_without_mfa,
    );
    let ages = &m.active_key_ages_days;
    if ages.is_empty() {
        return;
    }
    // Buckets of 30 days up to past the policy and the oldest key.
    let top = ages.iter().copied().max().unwrap_or(0).max(policy) + 30;
    let buckets = (top / 30 + 1).clamp(1, 40) as usize;
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

/// Secrets from history on a time axis: a dot per finding at its commit date, filled when the
/// secret is still at HEAD.
fn timeline(dated: &[(i64, bool, &str)]) -> String {
    let (lo, hi) = (
        dated.iter().map(|d| d.0).min().unwrap_or(0),
        dated.iter().map(|d| d.0).max().unwrap_or(0),
    );
    let span = (hi - lo).max(1) as f64;
    let mut s = String::from("<svg role=\"img\" aria-label=\"when secrets were introduced\" width=\"640\" height=\"90\" viewBox=\"0 0 640 90\">\n<line x1=\"20\" y1=\"40\" x2=\"620\" y2=\"40\" stroke=\"#8c959f\"/>\n");
    for (t, at_head, rule) in dated {
        let x = 20.0 + (t - lo) as f64 / span * 600.0;
        let _ = writeln!(
            s,
            "<circle cx=\"{x:.1}\" cy=\"40\" r=\"6\" fill=\"{}\" stroke=\"#a40e26\"><title>{} {}{}</title></circle>",
            if *at_head { "#a40e26" } else { "#ffffff" },
            esc(&crate::time::day(*t)),
            esc(rule),
            if *at_head { ", still at HEAD" } else { "" }
        );
    }
    let _ = writeln!(
        s,
        "<text x=\"20\" y=\"70\">{}</text><text x=\"540\" y=\"70\">{}</text><text x=\"20\" y=\"86\">filled: still at HEAD; open: only in history; {} {}</text></svg>",
        esc(&crate::time::day(lo)),
        esc(&crate::time::day(hi)),
        dated.len(),
        plural(dated.len(), "secret", "secrets")
    );
    s
}

/// A rule ID as an anchor name.
fn anchor(rule: &str) -> String {
    rule.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    super::plural(n as u64, one, many)
}

/// Text with Markdown code spans (`` `x` ``), as messages and fixes write them, as `<code>`;
/// the rest escaped.
pub fn inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut parts = text.split('`');
    let mut code = false;
    let count = text.matches('`').count();
    // An odd backtick out has no partner: shown as it is.
    let pairs = count / 2 * 2;
    let mut seen = 0;
    if let Some(first) = parts.next() {
        out.push_str(&esc(first));
    }
    for part in parts {
        seen += 1;
        if seen > pairs {
            out.push('`');
            out.push_str(&esc(part));
            continue;
        }
        code = !code;
        if code {
            let _ = write!(out, "<code>{}", esc(part));
        } else {
            out.push_str("</code>");
            out.push_str(&esc(part));
        }
    }
    out
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

#[cfg(test)]
mod tests {
    #[test]
    fn code_spans_become_code_and_the_rest_is_escaped() {
        assert_eq!(
            super::inline("Scope `iam:PassRole` to <roles>"),
            "Scope <code>iam:PassRole</code> to &lt;roles&gt;"
        );
        assert_eq!(super::inline("a `b` c `d"), "a <code>b</code> c `d");
        assert_eq!(super::inline("plain"), "plain");
    }
}

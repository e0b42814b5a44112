//! The Markdown report: the HTML report's summary as GitHub-flavoured Markdown, short enough
//! for a pull request comment or `$GITHUB_STEP_SUMMARY`. GitHub caps a step summary at 1 MiB:
//! past `LIMIT` the findings table stops and says how many it left out.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::model::{BySeverity, Report, ReportFinding};
use crate::finding::Severity;

/// Below GitHub's 1 MiB step summary limit, with room for what follows the table.
pub const LIMIT: usize = crate::limits::DEFAULT.markdown_bytes;

/// Where findings link to: a repository's web view at a commit (`{base}/blob/{sha}/{path}#L{n}`;
/// a finding from history links at its own commit).
#[derive(Clone, Debug)]
pub struct Links {
    /// `https://HOST/OWNER/REPO`.
    pub base: String,
    /// The commit the scanned tree is at.
    pub sha: String,
}

impl Links {
    /// A GitHub Actions job's repository and commit, from its environment.
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Option<Links> {
        let server = var("GITHUB_SERVER_URL")?;
        let repo = var("GITHUB_REPOSITORY")?;
        let sha = var("GITHUB_SHA")?;
        let plain = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./:".contains(c))
        };
        (plain(&server) && plain(&repo) && sha.chars().all(|c| c.is_ascii_hexdigit())).then(|| {
            Links {
                base: format!("{}/{repo}", server.trim_end_matches('/')),
                sha,
            }
        })
    }

    fn to(&self, f: &ReportFinding) -> Option<String> {
        if f.aws.is_some() || f.uri.is_empty() || f.uri == "stdin" || f.uri.starts_with(".git/") {
            return None;
        }
        let sha = f
            .commit
            .as_ref()
            .map_or(self.sha.as_str(), |c| c.id.as_str());
        let path = super::uri_reference(&f.uri);
        Some(format!(
            "{}/blob/{sha}/{path}#L{}",
            self.base, f.location.line
        ))
    }
}

pub fn render(reports: &[Report], title: &str, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(page(reports, title, LIMIT, None).as_bytes())
}

pub fn page(reports: &[Report], title: &str, limit: usize, links: Option<&Links>) -> String {
    let mut m = String::new();
    let _ = writeln!(m, "## {}\n", cell(title));
    for r in reports {
        let s = &r.summary;
        let what = if r.is_audit() {
            String::new()
        } else {
            format!("; {} files", s.files_scanned)
        };
        let mut line = format!(
            "**Scanned** ({}): {}{what}",
            cell(r.label()),
            cell(s.scope.as_deref().unwrap_or("working tree"))
        );
        if s.suppressed > 0 {
            let _ = write!(
                line,
                "; {} suppressed ({})",
                s.suppressed,
                s.suppressed_by_text()
            );
        }
        if s.incomplete {
            let _ = write!(
                line,
                "; **incomplete**: {} {} not read",
                s.errors.len().max(1),
                if s.errors.len() == 1 {
                    "thing"
                } else {
                    "things"
                }
            );
        }
        let _ = writeln!(m, "{line}.\n");
    }
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
        let place = format!("`{}`", cell(&place).replace('`', "'"));
        let place = match links.and_then(|l| l.to(f)) {
            Some(url) => format!("[{place}]({url})"),
            None => place,
        };
        let row = format!(
            "| {} | {} | {place} | `{}` | {} | {} |\n",
            f.severity,
            cell(r.label()),
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

#[cfg(test)]
mod tests {
    #[test]
    fn links_come_only_from_a_plain_repository_and_commit() {
        let env = |server: &'static str, sha: &'static str| {
            move |k: &str| match k {
                "GITHUB_SERVER_URL" => Some(server.to_string()),
                "GITHUB_REPOSITORY" => Some("octo/app".to_string()),
                "GITHUB_SHA" => Some(sha.to_string()),
                _ => None,
            }
        };
        let links = super::Links::from_env(env("https://github.example", "0123abcd")).unwrap();
        assert_eq!(links.base, "https://github.example/octo/app");
        assert!(super::Links::from_env(env("https://x)](evil", "0123abcd")).is_none());
        assert!(super::Links::from_env(env("https://github.example", "main; rm")).is_none());
    }
}

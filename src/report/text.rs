//! The terminal report: findings grouped by file, `line:col`, severity, rule, the redacted
//! line, the facts and one line on what to do. Colour only when asked (a terminal).

use std::io::{self, Write};

use crate::finding::{Finding, Origin, Severity};
use crate::outcome::ScanOutcome;

struct Style {
    color: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn severity(&self, s: Severity) -> String {
        let code = match s {
            Severity::Critical => "1;31",
            Severity::High => "31",
            Severity::Medium => "33",
            Severity::Low => "36",
        };
        self.paint(code, &format!("{:<8}", s.as_str()))
    }
}

pub fn render(
    outcome: &ScanOutcome,
    color: bool,
    show_suppressed: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    let style = Style { color };
    let mut current = None;
    let shown = outcome
        .findings
        .iter()
        .filter(|f| show_suppressed || f.suppression.is_none());
    for finding in shown {
        let path = finding.origin.display();
        if current.as_ref() != Some(&path) {
            if current.is_some() {
                writeln!(out)?;
            }
            writeln!(out, "{}", style.paint("1", &path))?;
            current = Some(path);
        }
        write_finding(finding, &style, out)?;
    }
    Ok(())
}

fn write_finding(f: &Finding, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    let pad = "      ";
    // Audit findings are about an IAM user, not a place in a file.
    let place = match f.origin {
        Origin::Iam { .. } => String::new(),
        _ => format!("{}:{}", f.location.line, f.location.column),
    };
    writeln!(
        out,
        "  {place:>5}  {} {}  {}",
        style.severity(f.severity),
        style.paint("2", &f.rule_id),
        f.message
    )?;
    if !f.excerpt.is_empty() {
        writeln!(out, "  {pad}  │ {}", f.excerpt)?;
    }
    if let Origin::Commit { commit, .. } = &f.origin {
        let short = &commit.id[..commit.id.len().min(12)];
        let date = crate::time::rfc3339(commit.time);
        let head = match f.present_at_head {
            Some(true) => "; still at HEAD",
            Some(false) => "; no longer at HEAD, but still in history",
            None => "",
        };
        writeln!(
            out,
            "  {pad}  introduced in {short} by {} <{}> on {}{head}",
            commit.author,
            commit.email,
            &date[..10]
        )?;
    }
    for r in &f.related {
        writeln!(
            out,
            "  {pad}  {} at {}:{} ({})",
            r.role, r.location.line, r.location.column, r.redacted
        )?;
    }
    if let Some(s) = &f.suppression {
        let why = s.justification.as_deref().unwrap_or("no reason given");
        writeln!(out, "  {pad}  suppressed ({}): {why}", s.by)?;
    }
    writeln!(
        out,
        "  {pad}  {} {}",
        style.paint("32", "fix:"),
        f.remedy.summary
    )?;
    Ok(())
}

//! The terminal report: findings grouped by file, `line:col`, severity, rule, the redacted
//! line, the facts and one line on what to do. Colour only when asked (a terminal).

use std::io::{self, Write};

use super::model::{Report, ReportFinding};
use crate::finding::Severity;

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

pub fn render(report: &Report, color: bool, out: &mut dyn Write) -> io::Result<()> {
    let style = Style { color };
    let mut current = None;
    for finding in &report.findings {
        if current != Some(&finding.path) {
            if current.is_some() {
                writeln!(out)?;
            }
            writeln!(out, "{}", style.paint("1", &clean(&finding.path)))?;
            current = Some(&finding.path);
        }
        write_finding(finding, &style, out)?;
    }
    Ok(())
}

fn write_finding(f: &ReportFinding, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    let pad = "      ";
    // Audit findings are about an IAM user, not a place in a file.
    let place = if f.has_lines() {
        format!("{}:{}", f.location.line, f.location.column)
    } else {
        String::new()
    };
    writeln!(
        out,
        "  {place:>5}  {} {}  {}",
        style.severity(f.severity),
        style.paint("2", &clean(&f.rule_id)),
        clean(&f.message)
    )?;
    if !f.excerpt.is_empty() {
        writeln!(out, "  {pad}  │ {}", clean(&f.excerpt))?;
    }
    if let Some(commit) = &f.commit {
        let short = &commit.id[..commit.id.len().min(12)];
        let head = match f.present_at_head {
            Some(true) => "; still at HEAD",
            Some(false) => "; no longer at HEAD, but still in history",
            None => "",
        };
        writeln!(
            out,
            "  {pad}  introduced in {} by {} <{}> on {}{head}",
            clean(short),
            clean(&commit.author),
            clean(&commit.email),
            clean(commit.date.get(..10).unwrap_or(&commit.date))
        )?;
    }
    for r in &f.related {
        writeln!(
            out,
            "  {pad}  {} at {}:{} ({})",
            clean(&r.role),
            r.location.line,
            r.location.column,
            // A statement over several lines, on one: its layout is not the point.
            clean(&r.redacted.split_whitespace().collect::<Vec<_>>().join(" "))
        )?;
    }
    if let Some(s) = &f.suppression {
        let why = s.justification.as_deref().unwrap_or("no reason given");
        writeln!(
            out,
            "  {pad}  suppressed ({}): {}",
            s.by.as_str(),
            clean(why)
        )?;
    }
    writeln!(
        out,
        "  {pad}  {} {}",
        style.paint("32", "fix:"),
        clean(&f.remedy.summary)
    )?;
    Ok(())
}

/// Scanned content, file names and commit authors as they may reach a terminal or a log:
/// control characters escaped (`\e` for ESC, `\n`, `\r`, `\t`, `\xNN` for the rest, C1
/// controls and DEL included), so that nothing scanned can move the cursor, recolour, retitle
/// the terminal or forge a log line.
pub fn clean(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(|c| c.is_control()) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\u{1b}' => out.push_str("\\e"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn control_characters_never_reach_the_terminal() {
        let hostile = "key\u{1b}]0;owned\u{7}\u{1b}[2J\nkeyrot: no findings\u{9b}x";
        let shown = super::clean(hostile);
        assert!(!shown.chars().any(|c| c.is_control()), "{shown}");
        assert_eq!(
            shown,
            "key\\e]0;owned\\x07\\e[2J\\nkeyrot: no findings\\x9bx"
        );
        assert_eq!(super::clean("plain"), "plain");
    }
}

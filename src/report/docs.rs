//! Rule documentation, one source for `keyrot explain`, SARIF `help` and `docs/rules/*.md`.

use crate::rule::RuleMeta;

/// Plain-text help: what it finds, why it matters, remediation.
pub fn help_text(rule: &RuleMeta) -> String {
    format!(
        "{}\n\nWhy it matters: {}\n\nRemediation: {}",
        rule.description, rule.why, rule.remediation
    )
}

/// The rule's documentation in Markdown, without examples (SARIF `help.markdown`): examples
/// hold credential-shaped values that have no place in a report.
pub fn help_markdown(rule: &RuleMeta) -> String {
    let mut out = format!("# {}: {}\n\n", rule.id, rule.title);
    out.push_str(&format!(
        "Severity: **{}** · precision: {}",
        rule.severity, rule.precision
    ));
    if let Some(cwe) = rule.cwe {
        out.push_str(&format!(" · CWE-{cwe}"));
    }
    out.push_str("\n\n");
    out.push_str(&format!(
        "## What it finds\n\n{}\n\n## Why it matters\n\n{}\n\n## Remediation\n\n{}\n",
        rule.description, rule.why, rule.remediation
    ));
    out
}

/// The rule's page in Markdown: its documentation, then its examples and references.
pub fn page(rule: &RuleMeta) -> String {
    let mut out = help_markdown(rule);
    if let Some(note) = &rule.note {
        out.push_str(&format!("\n{}\n", note.text()));
    }
    for (title, examples) in [
        ("Found", &rule.examples),
        ("Not found", &rule.negative_examples),
    ] {
        if examples.is_empty() {
            continue;
        }
        out.push_str(&format!("\n## {title}\n"));
        for example in examples {
            out.push_str(&format!("\n```\n{}\n```\n", example.trim_end()));
        }
    }
    if !rule.references.is_empty() {
        out.push_str("\n## References\n\n");
        for r in &rule.references {
            out.push_str(&format!("- {r}\n"));
        }
    }
    out
}

/// The file name of a rule's page under `docs/rules/`.
pub fn page_name(rule: &RuleMeta) -> String {
    format!("{}.md", rule.id)
}

//! Rule documentation, one source for `keyrot explain`, SARIF `help` and `docs/rules/*.md`.

use crate::detect::Rule;

/// Plain-text help: what it finds, why it matters, remediation.
pub fn help_text(rule: &Rule) -> String {
    let s = &rule.spec;
    format!(
        "{}\n\nWhy it matters: {}\n\nRemediation: {}",
        s.description, s.why, s.remediation
    )
}

/// The rule's documentation in Markdown, without examples (SARIF `help.markdown`): examples
/// hold credential-shaped values that have no place in a report.
pub fn help_markdown(rule: &Rule) -> String {
    let s = &rule.spec;
    let mut out = format!("# {}: {}\n\n", s.id, s.name);
    out.push_str(&format!(
        "Severity: **{}** · precision: {}",
        s.severity, s.precision
    ));
    if let Some(cwe) = s.cwe {
        out.push_str(&format!(" · CWE-{cwe}"));
    }
    out.push_str("\n\n");
    out.push_str(&format!(
        "## What it finds\n\n{}\n\n## Why it matters\n\n{}\n\n## Remediation\n\n{}\n",
        s.description, s.why, s.remediation
    ));
    out
}

/// The rule's page in Markdown: its documentation, then its examples and references.
pub fn page(rule: &Rule) -> String {
    let s = &rule.spec;
    let mut out = help_markdown(rule);
    if let Some(pair) = &s.pair {
        out.push_str(&format!(
            "\nA key ID of `{}` and a secret of `{}` at most {} lines apart make one finding of this rule; the secret is its related location.\n",
            pair.key, pair.secret, pair.lines
        ));
    }
    for (title, examples) in [("Found", &s.examples), ("Not found", &s.negative_examples)] {
        if examples.is_empty() {
            continue;
        }
        out.push_str(&format!("\n## {title}\n"));
        for example in examples {
            out.push_str(&format!("\n```\n{}\n```\n", example.trim_end()));
        }
    }
    if !s.references.is_empty() {
        out.push_str("\n## References\n\n");
        for r in &s.references {
            out.push_str(&format!("- {r}\n"));
        }
    }
    out
}

/// The file name of a rule's page under `docs/rules/`.
pub fn page_name(rule: &Rule) -> String {
    format!("{}.md", rule.spec.id)
}

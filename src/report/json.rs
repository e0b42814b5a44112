//! The JSON report: one document, `{"version", "tool", "findings", "summary"}`; its schema is
//! documented in the README and stable within a `version`.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::json;

use crate::finding::{Facts, Finding, Location, Origin, Related, Remedy, Suppression};
use crate::outcome::ScanOutcome;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule_id: &'a str,
    title: &'a str,
    severity: &'a str,
    path: String,
    uri: &'a str,
    /// Inside an archive or a compressed file at `uri`: the member's path in it (nested
    /// archives joined by `!`).
    #[serde(skip_serializing_if = "Option::is_none")]
    member: Option<String>,
    #[serde(flatten)]
    location: &'a Location,
    message: &'a str,
    value: &'a str,
    excerpt: &'a str,
    fingerprint: &'a str,
    facts: &'a Facts,
    related: &'a [Related],
    remedy: &'a Remedy,
    #[serde(skip_serializing_if = "Option::is_none")]
    commit: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    staged: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    present_at_head: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppression: Option<&'a Suppression>,
}

/// The commit that introduced a finding from history, as JSON.
pub fn commit_json(origin: &Origin) -> Option<serde_json::Value> {
    match origin {
        Origin::Commit { commit, blob, .. } => Some(json!({
            "id": commit.id,
            "author": commit.author,
            "email": commit.email,
            "date": crate::time::rfc3339(commit.time),
            "blob": blob,
        })),
        _ => None,
    }
}

fn finding(f: &Finding) -> JsonFinding<'_> {
    let (base, member) = f.origin.base();
    JsonFinding {
        rule_id: &f.rule_id,
        title: &f.title,
        severity: f.severity.as_str(),
        path: f.origin.display(),
        uri: base.rel(),
        member,
        location: &f.location,
        message: &f.message,
        value: &f.redacted,
        excerpt: &f.excerpt,
        fingerprint: &f.fingerprint,
        facts: &f.facts,
        related: &f.related,
        remedy: &f.remedy,
        commit: commit_json(base),
        staged: matches!(base, Origin::Index { .. }),
        present_at_head: f.present_at_head,
        suppression: f.suppression.as_ref(),
    }
}

pub fn render(outcome: &ScanOutcome, show_suppressed: bool, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &document(outcome, show_suppressed))?;
    writeln!(out)
}

/// The report as a JSON value: what `render` writes, and what the HTML and Markdown reports
/// (and `keyrot report`, from files) are drawn from.
pub fn document(outcome: &ScanOutcome, show_suppressed: bool) -> serde_json::Value {
    let by_severity: serde_json::Map<String, serde_json::Value> = crate::finding::Severity::ALL
        .iter()
        .map(|s| {
            let n = outcome.active().filter(|f| f.severity == *s).count();
            (s.as_str().to_string(), json!(n))
        })
        .collect();
    let dropped: Vec<_> = outcome
        .dropped
        .iter()
        .map(|(why, d)| json!({"reason": why.as_str(), "count": d.count, "samples": d.samples}))
        .collect();
    json!({
        "version": SCHEMA_VERSION,
        "tool": {"name": "keyrot", "version": env!("CARGO_PKG_VERSION")},
        "label": outcome.label,
        "generated": crate::time::now_rfc3339(),
        "findings": outcome
            .findings
            .iter()
            .filter(|f| show_suppressed || f.suppression.is_none())
            .map(finding)
            .collect::<Vec<_>>(),
        "summary": {
            "files_scanned": outcome.files,
            "bytes_scanned": outcome.bytes,
            "duration_ms": outcome.duration.as_millis() as u64,
            "findings": outcome.active().count(),
            "suppressed": outcome.findings.len() - outcome.active().count(),
            "excluded": outcome.excluded,
            "by_severity": by_severity,
            "dropped": dropped,
            "read": {"binary": outcome.binary, "archives": outcome.archives, "members": outcome.members},
            "incomplete": outcome.incomplete,
            "added_suppressions": outcome.added_suppressions(),
            "errors": outcome.problems,
            "unparsed": outcome.unparsed,
            "nested_policies": outcome.nested_policies,
            "notes": outcome.notes,
            "scope": outcome.scope,
            "metrics": outcome.metrics,
        },
        "inventory": outcome.inventory,
    })
}

//! Output formats. Renderers only: they format a `model::Report` (and the catalogue's rule
//! documentation), they never analyse. The report is built once from the pipeline's outcome;
//! which format runs is the command line's choice.

pub mod docs;
pub mod html;
pub mod json;
pub mod markdown;
pub mod merge;
pub mod model;
pub mod sarif;
pub mod text;

use crate::finding::Severity;
use crate::outcome::human_bytes;
use model::Report;

/// The human summary lines printed on stderr after every scan, whatever the format.
pub fn summary_lines(report: &Report) -> Vec<String> {
    let s = &report.summary;
    let mut lines = Vec::new();
    let n = s.findings;
    let by_severity: Vec<String> = Severity::ALL
        .iter()
        .map(|sev| (sev, s.by_severity.get(*sev)))
        .filter(|(_, c)| *c > 0)
        .map(|(sev, c)| format!("{c} {sev}"))
        .collect();
    let findings = match n {
        0 => "no findings".to_string(),
        1 => format!("1 finding: {}", by_severity.join(", ")),
        _ => format!("{n} findings: {}", by_severity.join(", ")),
    };
    if let Some(scope) = &s.scope {
        lines.push(scope.clone());
    }
    let seconds = s.duration_ms as f64 / 1000.0;
    let audit = report.is_audit();
    if audit {
        lines.push(format!("audited in {seconds:.2}s; {findings}"));
    } else {
        lines.push(format!(
            "scanned {} {} ({}) in {seconds:.2}s; {findings}",
            s.files_scanned,
            plural(s.files_scanned, "file", "files"),
            human_bytes(s.bytes_scanned),
        ));
    }
    for m in s.metrics.iter().flatten() {
        lines.push(format!(
            "account {}: {} users, {} keys ({} active); active key age average {:.0} days, max {}; {} rotated in the last 90 days; rotation compliance {:.0}%",
            m.account,
            m.users,
            m.keys,
            m.active_keys,
            m.average_active_age_days,
            m.max_active_age_days,
            m.rotated_last_90_days,
            m.rotation_compliance * 100.0
        ));
    }
    let dropped: usize = s.dropped.iter().map(|d| d.count).sum();
    if dropped > 0 {
        let reasons: Vec<String> = s
            .dropped
            .iter()
            .map(|d| format!("{} {} ({})", d.count, d.reason, d.samples.join(", ")))
            .collect();
        lines.push(format!(
            "dropped {dropped} {}: {}",
            plural(dropped as u64, "candidate", "candidates"),
            reasons.join("; ")
        ));
    }
    if s.suppressed > 0 {
        lines.push(format!(
            "suppressed {} ({}); --show-suppressed lists them",
            s.suppressed,
            s.suppressed_by_text()
        ));
    }
    let added = &s.added_suppressions;
    if !added.is_empty() {
        lines.push(format!(
            "{} {} suppressed by allow comments this change adds itself, review them: {}",
            added.len(),
            plural(added.len() as u64, "finding", "findings"),
            added.join("; ")
        ));
    }
    let mut skipped = Vec::new();
    if s.excluded > 0 {
        skipped.push(format!("{} excluded by the configuration", s.excluded));
    }
    if !s.errors.is_empty() && audit {
        lines.push(format!(
            "{} AWS {} failed (named above): what depends on them is not audited",
            s.errors.len(),
            plural(s.errors.len() as u64, "call", "calls")
        ));
    } else if !s.errors.is_empty() {
        skipped.push(format!("{} unreadable", s.errors.len()));
    }
    if !skipped.is_empty() {
        lines.push(format!("skipped {}", skipped.join(", ")));
    }
    let mut read = Vec::new();
    if s.read.binary > 0 {
        read.push(format!(
            "{} binary {} as bytes",
            s.read.binary,
            plural(s.read.binary, "file", "files"),
        ));
    }
    if s.read.archives > 0 {
        read.push(format!(
            "{} {} in {} {}",
            s.read.members,
            plural(s.read.members, "member", "members"),
            s.read.archives,
            plural(
                s.read.archives,
                "archive or compressed file",
                "archives and compressed files"
            )
        ));
    }
    if !read.is_empty() {
        lines.push(format!("read {}", read.join(", ")));
    }
    if s.incomplete {
        lines.push(if audit {
            "the audit is incomplete (notes and problems above say what was not read): it exits 2 unless a finding fails it".to_string()
        } else {
            "the scan is incomplete (notes and problems above say what was not read): it exits 2 unless a finding fails it or --allow-incomplete accepts that".to_string()
        });
    }
    if s.nested_policies > 0 {
        lines.push(format!(
            "{} policy {} nested in JSON data that is not IaC (recorded responses, snapshots) not analysed; --policies-anywhere reports them",
            s.nested_policies,
            plural(s.nested_policies, "document", "documents")
        ));
    }
    if s.unparsed > 0 {
        lines.push(format!(
            "{} IaC {} could not be parsed, wholly or in part (policy.unanalysed findings say where)",
            s.unparsed,
            plural(s.unparsed, "file", "files")
        ));
    }
    lines
}

/// `one` for 1, else `many`.
pub(crate) fn plural(n: u64, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// A relative path as a URI reference (RFC 3986): every byte but unreserved characters and
/// `/` percent-encoded, so that a name holding `%2F`, `#`, `?`, a space or `:` points at itself.
pub(crate) fn uri_reference(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for &b in path.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

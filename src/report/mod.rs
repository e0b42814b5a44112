//! Output formats. Renderers only: they format a `ScanOutcome` (and the catalogue's rule
//! documentation), they never analyse. Which one runs is the command line's choice.

pub mod docs;
pub mod html;
pub mod json;
pub mod markdown;
pub mod merge;
pub mod sarif;
pub mod text;

use std::collections::BTreeMap;

use crate::finding::Severity;
use crate::outcome::{human_bytes, AccountMetrics, ScanOutcome};

/// An account's figures as a JSON report gives them (`summary.metrics[]`); what a report
/// written by hand leaves out reads as no keys, full compliance and 90-day policies.
pub fn account_metrics(m: &serde_json::Value) -> AccountMetrics {
    let count = |key: &str| m[key].as_u64().unwrap_or(0) as usize;
    let days = |key: &str| m[key].as_i64().unwrap_or(90);
    AccountMetrics {
        account: m["account"].as_str().unwrap_or("?").to_string(),
        users: count("users"),
        keys: count("keys"),
        active_keys: count("active_keys"),
        average_active_age_days: m["average_active_age_days"].as_f64().unwrap_or(0.0),
        max_active_age_days: m["max_active_age_days"].as_i64().unwrap_or(0),
        rotated_last_90_days: count("rotated_last_90_days"),
        rotation_compliance: m["rotation_compliance"].as_f64().unwrap_or(1.0),
        active_key_ages_days: m["active_key_ages_days"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(serde_json::Value::as_i64)
            .collect(),
        max_key_age_days: days("max_key_age_days"),
        max_unused_days: days("max_unused_days"),
        unused_keys: count("unused_keys"),
        users_two_active_keys: count("users_two_active_keys"),
        users_without_mfa: count("users_without_mfa"),
    }
}

/// Every finding of several JSON report documents, each with the report it came from.
pub fn findings_of(reports: &[serde_json::Value]) -> Vec<(&serde_json::Value, &serde_json::Value)> {
    reports
        .iter()
        .flat_map(|r| {
            r["findings"]
                .as_array()
                .into_iter()
                .flatten()
                .map(move |f| (r, f))
        })
        .collect()
}

/// Findings per severity, most severe first, zeros left out.
pub fn counts(outcome: &ScanOutcome) -> BTreeMap<std::cmp::Reverse<Severity>, usize> {
    let mut counts = BTreeMap::new();
    for f in outcome.active() {
        *counts.entry(std::cmp::Reverse(f.severity)).or_insert(0) += 1;
    }
    counts
}

/// The human summary lines printed on stderr after every scan, whatever the format.
pub fn summary_lines(outcome: &ScanOutcome) -> Vec<String> {
    let mut lines = Vec::new();
    let n = outcome.active().count();
    let by_severity: Vec<String> = counts(outcome)
        .iter()
        .map(|(s, c)| format!("{c} {}", s.0))
        .collect();
    let findings = match n {
        0 => "no findings".to_string(),
        1 => format!("1 finding: {}", by_severity.join(", ")),
        _ => format!("{n} findings: {}", by_severity.join(", ")),
    };
    if let Some(scope) = &outcome.scope {
        lines.push(scope.clone());
    }
    // An audit reads accounts, not files.
    let audit = outcome.metrics.is_some();
    if audit {
        lines.push(format!(
            "audited in {:.2}s; {findings}",
            outcome.duration.as_secs_f64()
        ));
    } else {
        lines.push(format!(
            "scanned {} {} ({}) in {:.2}s; {findings}",
            outcome.files,
            plural(outcome.files, "file", "files"),
            human_bytes(outcome.bytes),
            outcome.duration.as_secs_f64()
        ));
    }
    for m in outcome.metrics.iter().flatten() {
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
    let dropped: usize = outcome.dropped.values().map(|d| d.count).sum();
    if dropped > 0 {
        let reasons: Vec<String> = outcome
            .dropped
            .iter()
            .map(|(why, d)| format!("{} {} ({})", d.count, why.as_str(), d.samples.join(", ")))
            .collect();
        lines.push(format!(
            "dropped {dropped} {}: {}",
            plural(dropped as u64, "candidate", "candidates"),
            reasons.join("; ")
        ));
    }
    let suppressed: Vec<&str> = outcome
        .findings
        .iter()
        .filter_map(|f| f.suppression.as_ref().map(|s| s.by))
        .collect();
    if !suppressed.is_empty() {
        let mut by: BTreeMap<&str, usize> = BTreeMap::new();
        for s in &suppressed {
            *by.entry(s).or_insert(0) += 1;
        }
        let parts: Vec<String> = by.iter().map(|(k, v)| format!("{v} {k}")).collect();
        lines.push(format!(
            "suppressed {} ({}); --show-suppressed lists them",
            suppressed.len(),
            parts.join(", ")
        ));
    }
    let added = outcome.added_suppressions();
    if !added.is_empty() {
        lines.push(format!(
            "{} {} suppressed by allow comments this change adds itself, review them: {}",
            added.len(),
            plural(added.len() as u64, "finding", "findings"),
            added.join("; ")
        ));
    }
    let mut skipped = Vec::new();
    if outcome.excluded > 0 {
        skipped.push(format!(
            "{} excluded by the configuration",
            outcome.excluded
        ));
    }
    if !outcome.problems.is_empty() && audit {
        lines.push(format!(
            "{} AWS {} failed (named above): what depends on them is not audited",
            outcome.problems.len(),
            plural(outcome.problems.len() as u64, "call", "calls")
        ));
    } else if !outcome.problems.is_empty() {
        skipped.push(format!("{} unreadable", outcome.problems.len()));
    }
    if !skipped.is_empty() {
        lines.push(format!("skipped {}", skipped.join(", ")));
    }
    let mut read = Vec::new();
    if outcome.binary > 0 {
        read.push(format!(
            "{} binary {} as bytes",
            outcome.binary,
            plural(outcome.binary, "file", "files"),
        ));
    }
    if outcome.archives > 0 {
        read.push(format!(
            "{} {} in {} {}",
            outcome.members,
            plural(outcome.members, "member", "members"),
            outcome.archives,
            plural(
                outcome.archives,
                "archive or compressed file",
                "archives and compressed files"
            )
        ));
    }
    if !read.is_empty() {
        lines.push(format!("read {}", read.join(", ")));
    }
    if outcome.incomplete {
        lines.push(format!(
            "the {} is incomplete (notes and problems above say what was not read): it exits 2 unless a finding fails it",
            if audit { "audit" } else { "scan" }
        ));
    }
    if outcome.nested_policies > 0 {
        lines.push(format!(
            "{} policy {} nested in JSON data that is not IaC (recorded responses, snapshots) not analysed; --policies-anywhere reports them",
            outcome.nested_policies,
            plural(outcome.nested_policies, "document", "documents")
        ));
    }
    if outcome.unparsed > 0 {
        lines.push(format!(
            "{} IaC {} could not be parsed, wholly or in part (policy.unanalysed findings say where)",
            outcome.unparsed,
            plural(outcome.unparsed, "file", "files")
        ));
    }
    lines
}

fn plural(n: u64, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 {
        one
    } else {
        many
    }
}

//! `keyrot report`: the JSON reports of many scans and audits (one per repository or account)
//! read back, checked, and merged into one report. Inputs are JSON report documents of this
//! schema version (or merged reports, whose parts are taken one by one); anything else is
//! refused with what it is and what to do.

use std::sync::Arc;

use serde_json::{json, Value};

use super::json::SCHEMA_VERSION;
use crate::finding::{
    CommitInfo, Facts, Finding, Location, Origin, Remedy, Severity, Step, Suppression,
};
use crate::outcome::ScanOutcome;

/// Why an input cannot be merged.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {why}")]
pub struct InputError {
    pub file: String,
    pub why: String,
}

/// The report documents of one input file, each labelled (its `label`, else `fallback`).
pub fn documents(file: &str, text: &str, fallback: &str) -> Result<Vec<Value>, InputError> {
    let err = |why: String| InputError {
        file: file.to_string(),
        why,
    };
    let doc: Value = serde_json::from_str(text).map_err(|e| {
        err(format!(
            "not JSON ({e}); keyrot report reads `--format json` output"
        ))
    })?;
    if doc["tool"]["name"] != "keyrot" {
        return Err(err(
            "not a keyrot JSON report (no tool.name \"keyrot\"); run `keyrot scan --format json` or `keyrot audit --format json` to make one".into(),
        ));
    }
    match doc["version"].as_u64() {
        Some(v) if v == u64::from(SCHEMA_VERSION) => {}
        Some(v) => {
            return Err(err(format!(
                "JSON report version {v}; this keyrot reads version {SCHEMA_VERSION}: rerun that scan with this keyrot (or merge with the keyrot that wrote it)"
            )))
        }
        None => return Err(err("no `version`: not a keyrot JSON report".into())),
    }
    if let Some(parts) = doc["reports"].as_array() {
        // A merged report: its parts, already labelled.
        return Ok(parts.clone());
    }
    if !doc["findings"].is_array() || !doc["summary"].is_object() {
        return Err(err(
            "no `findings` list or `summary`: a truncated report?".into()
        ));
    }
    let mut doc = doc;
    if doc["label"].as_str().is_none_or(str::is_empty) {
        doc["label"] = json!(fallback);
    }
    Ok(vec![doc])
}

/// The merged JSON report: every input, and totals across them.
pub fn merged(docs: &[Value]) -> Value {
    let mut by_severity = serde_json::Map::new();
    for s in Severity::ALL {
        let n = docs
            .iter()
            .flat_map(|d| d["findings"].as_array().into_iter().flatten())
            .filter(|f| f["suppression"].is_null() && f["severity"] == s.as_str())
            .count();
        by_severity.insert(s.as_str().to_string(), json!(n));
    }
    json!({
        "version": SCHEMA_VERSION,
        "tool": {"name": "keyrot", "version": env!("CARGO_PKG_VERSION")},
        "generated": crate::time::now_rfc3339(),
        "reports": docs,
        "summary": {
            "reports": docs.len(),
            "findings": by_severity.values().filter_map(Value::as_u64).sum::<u64>(),
            "by_severity": by_severity,
            "labels": docs.iter().map(|d| d["label"].clone()).collect::<Vec<_>>(),
        },
    })
}

/// A report document's findings and figures as an outcome again, for the SARIF renderer.
pub fn outcome_of(doc: &Value) -> ScanOutcome {
    let s = &doc["summary"];
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect()
    };
    ScanOutcome {
        findings: doc["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(finding_of)
            .collect(),
        files: s["files_scanned"].as_u64().unwrap_or(0),
        bytes: s["bytes_scanned"].as_u64().unwrap_or(0),
        problems: strings(&s["errors"]),
        notes: strings(&s["notes"]),
        scope: s["scope"].as_str().map(str::to_string),
        label: doc["label"].as_str().map(str::to_string),
        ..ScanOutcome::default()
    }
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or("").to_string()
}

/// One finding of a JSON report as a `Finding`: what SARIF needs of it.
fn finding_of(f: &Value) -> Option<Finding> {
    let severity = Severity::from_name(f["severity"].as_str()?)?;
    let uri = text(&f["uri"]);
    let mut path = text(&f["path"]);
    // A member's path shows the member after the archive's: the archive's path alone here.
    if let Some(member) = f["member"].as_str() {
        if let Some(archive) = path.strip_suffix(&format!("!{member}")) {
            path = archive.to_string();
        }
    }
    let origin = if let Some(commit) = f["commit"].as_object() {
        Origin::Commit {
            commit: Arc::new(CommitInfo {
                id: text(&commit["id"]),
                author: text(&commit["author"]),
                email: text(&commit["email"]),
                time: commit["date"]
                    .as_str()
                    .and_then(crate::time::parse_rfc3339)
                    .unwrap_or(0),
            }),
            path: uri,
            blob: text(&commit["blob"]),
        }
    } else if f["staged"] == true {
        Origin::Index { path: uri }
    } else if let Some(rest) = path.strip_prefix("aws account ") {
        let (account, what) = rest.split_once(", ")?;
        match what.strip_prefix("IAM user ") {
            Some(user) => Origin::Iam {
                account: account.to_string(),
                user: user.to_string(),
            },
            None => Origin::IamResource {
                account: account.to_string(),
                arn: what.to_string(),
                path: uri,
            },
        }
    } else if uri == "stdin" {
        Origin::Stdin
    } else {
        Origin::File {
            path: path.into(),
            rel: uri,
        }
    };
    let origin = match f["member"].as_str() {
        Some(member) => origin.member(member),
        None => origin,
    };
    let number = |k: &str| f[k].as_u64().unwrap_or(1) as usize;
    let facts = &f["facts"];
    let suppression = f["suppression"].as_object().map(|s| Suppression {
        kind: if s.get("kind").and_then(Value::as_str) == Some("external") {
            "external"
        } else {
            "inSource"
        },
        by: match s.get("by").and_then(Value::as_str) {
            Some("config") => "config",
            Some("baseline") => "baseline",
            Some("condition") => "condition",
            _ => "inline",
        },
        status: if s.get("status").and_then(Value::as_str) == Some("underReview") {
            "underReview"
        } else {
            "accepted"
        },
        justification: s
            .get("justification")
            .and_then(Value::as_str)
            .map(str::to_string),
    });
    Some(Finding {
        rule_id: text(&f["rule_id"]),
        title: text(&f["title"]),
        severity,
        origin,
        location: Location {
            start: 0,
            end: 0,
            line: number("line"),
            column: number("column"),
            end_line: number("end_line"),
            end_column: number("end_column"),
        },
        related: Vec::new(),
        excerpt: text(&f["excerpt"]),
        redacted: text(&f["value"]),
        fingerprint: text(&f["fingerprint"]),
        value_digest: [0; 32],
        legacy_digest: None,
        facts: Facts {
            key_id: facts["key_id"].as_str().map(str::to_string),
            key_type: match facts["key_type"].as_str() {
                Some("long-term") => Some("long-term"),
                Some("temporary") => Some("temporary"),
                _ => None,
            },
            account_id: facts["account_id"].as_str().map(str::to_string),
            canary: facts["canary"] == true,
            iam: serde_json::from_value(facts["iam"].clone()).ok(),
        },
        message: text(&f["message"]),
        remedy: Remedy {
            summary: text(&f["remedy"]["summary"]),
            steps: f["remedy"]["steps"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|s| Step {
                    text: text(&s["text"]),
                    command: s["command"].as_str().map(str::to_string),
                })
                .collect(),
        },
        present_at_head: f["present_at_head"].as_bool(),
        suppression,
    })
}

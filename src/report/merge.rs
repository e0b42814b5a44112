//! `keyrot report`: the JSON reports of many scans and audits (one per repository or account)
//! read back, checked, and merged into one report. Inputs are JSON report documents of this
//! schema version (or merged reports, whose parts are taken one by one), read into the `Report`
//! type; anything else is refused with what it is and what to do.

use serde_json::Value;

use super::model::{MergedReport, Report, SCHEMA_VERSION};

/// Why an input cannot be merged.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {why}")]
pub struct InputError {
    pub file: String,
    pub why: String,
}

/// The reports of one input file, each labelled (its `label`, else `fallback`).
pub fn documents(file: &str, text: &str, fallback: &str) -> Result<Vec<Report>, InputError> {
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
    match (doc["schema_version"].as_u64(), doc["version"].as_u64()) {
        (Some(v), _) if v == u64::from(SCHEMA_VERSION) => {}
        (Some(v), _) | (None, Some(v)) => {
            return Err(err(format!(
                "JSON report schema version {v}; this keyrot reads version {SCHEMA_VERSION}: rerun that scan with this keyrot (or merge with the keyrot that wrote it)"
            )))
        }
        (None, None) => return Err(err("no `schema_version`: not a keyrot JSON report".into())),
    }
    let invalid = |e: serde_json::Error| {
        err(format!(
            "not a valid keyrot report of schema version {SCHEMA_VERSION} ({e}); schemas/report.schema.json describes one"
        ))
    };
    if doc.get("reports").is_some() {
        // A merged report: its parts, already labelled.
        let merged: MergedReport = serde_json::from_value(doc).map_err(invalid)?;
        return Ok(merged.reports);
    }
    let mut report: Report = serde_json::from_value(doc).map_err(invalid)?;
    if report.label.as_deref().is_none_or(str::is_empty) {
        report.label = Some(fallback.to_string());
    }
    Ok(vec![report])
}

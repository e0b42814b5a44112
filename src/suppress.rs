//! Findings a team chose to keep: inline `keyrot:allow` comments (and the markers of gitleaks,
//! detect-secrets and trufflehog, for teams migrating), fingerprints allowed in `.keyrot.toml`,
//! and baselines. A suppressed finding is kept, counted and shown on request; it never fails a run.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::finding::Finding;

/// Why a finding is suppressed; `kind` follows SARIF (`inSource` or `external`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Suppression {
    pub kind: &'static str,
    /// `inline`, `config` or `baseline`.
    pub by: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
}

/// Comment markers other scanners honour, accepted as they are.
const FOREIGN_MARKERS: &[&str] = &[
    "gitleaks:allow",
    "pragma: allowlist secret",
    "trufflehog:ignore",
];
const MARKER: &str = "keyrot:allow";

/// Marks findings whose line carries an allow comment, or whose previous line is a comment
/// holding `keyrot:allow` alone. `keyrot:allow RULE` allows only that rule; `reason="..."`
/// records why. Other scanners' markers count on the same line only, as they do there.
pub fn inline(bytes: &[u8], findings: &mut [Finding]) {
    for finding in findings.iter_mut().filter(|f| f.suppression.is_none()) {
        let mut places = vec![finding.location.start];
        places.extend(finding.related.iter().map(|r| r.location.start));
        for at in places {
            let (start, end) = line_around(bytes, at);
            let previous = if start > 0 {
                Some(line_around(bytes, start - 1))
            } else {
                None
            };
            let same = String::from_utf8_lossy(&bytes[start..end]).into_owned();
            let above = previous
                .map(|(s, e)| String::from_utf8_lossy(&bytes[s..e]).into_owned())
                .filter(|text| comment_only(text));
            for text in std::iter::once(same).chain(above) {
                if let Some(justification) = allows(&text, &finding.rule_id) {
                    finding.suppression = Some(Suppression {
                        kind: "inSource",
                        by: "inline",
                        justification,
                    });
                }
            }
            if finding.suppression.is_some() {
                break;
            }
        }
    }
}

/// A line that is only a comment holding our marker: nothing but comment punctuation before it.
fn comment_only(line: &str) -> bool {
    line.find(MARKER).is_some_and(|i| {
        line[..i].trim().chars().all(|c| {
            matches!(
                c,
                '#' | '/' | '*' | ';' | '-' | '<' | '!' | '\'' | '%' | '"'
            )
        })
    })
}

fn line_around(bytes: &[u8], at: usize) -> (usize, usize) {
    let at = at.min(bytes.len());
    let start = memchr::memrchr(b'\n', &bytes[..at]).map_or(0, |i| i + 1);
    let end = memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |i| at + i);
    (start, end)
}

/// `Some(justification)` when `line` allows a finding of `rule`.
fn allows(line: &str, rule: &str) -> Option<Option<String>> {
    if let Some(i) = line.find(MARKER) {
        let rest = line[i + MARKER.len()..].trim_start();
        let (scope, rest) = match rest.split_once(char::is_whitespace) {
            Some((word, rest)) if !word.starts_with("reason=") => (Some(word), rest),
            None if !rest.is_empty() && !rest.starts_with("reason=") => (Some(rest), ""),
            _ => (None, rest),
        };
        let scope = scope.map(|s| s.trim_end_matches(|c: char| !c.is_alphanumeric()));
        if scope.is_some_and(|s| !s.is_empty() && !s.eq_ignore_ascii_case(rule)) {
            return None;
        }
        return Some(reason(rest));
    }
    FOREIGN_MARKERS
        .iter()
        .any(|m| line.contains(m))
        .then_some(None)
}

fn reason(text: &str) -> Option<String> {
    let start = text.find("reason=\"")? + "reason=\"".len();
    let end = text[start..].find('"')? + start;
    Some(text[start..end].to_string())
}

/// Marks findings whose fingerprint is in `allowed` (fingerprint to reason), as `by`.
pub fn by_fingerprint(
    findings: &mut [Finding],
    allowed: &HashMap<String, Option<String>>,
    by: &'static str,
) {
    for finding in findings.iter_mut().filter(|f| f.suppression.is_none()) {
        if let Some(reason) = allowed.get(&finding.fingerprint) {
            finding.suppression = Some(Suppression {
                kind: "external",
                by,
                justification: reason.clone(),
            });
        }
    }
}

/// What a team decided about findings, from `.keyrot.toml` and a baseline.
#[derive(Debug, Default)]
pub struct Policy {
    /// Rule ids whose findings are dropped.
    pub disabled: std::collections::HashSet<String>,
    /// Rule id to the severity its findings get.
    pub severity: std::collections::BTreeMap<String, crate::finding::Severity>,
    /// Fingerprints allowed in the configuration, with their reasons.
    pub allowed: HashMap<String, Option<String>>,
    /// Fingerprints in the baseline.
    pub baseline: HashMap<String, Option<String>>,
}

impl Policy {
    pub fn apply(&self, findings: &mut Vec<Finding>) {
        findings.retain(|f| !self.disabled.contains(&f.rule_id));
        for finding in findings.iter_mut() {
            if let Some(&severity) = self.severity.get(&finding.rule_id) {
                finding.severity = severity;
            }
        }
        by_fingerprint(findings, &self.allowed, "config");
        by_fingerprint(findings, &self.baseline, "baseline");
    }
}

/// One baselined finding. Identity is content, not position: the fingerprint covers the rule,
/// the path and the secret; rule and path are there for people reading the file.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BaselineEntry {
    pub path: String,
    pub rule_id: String,
    pub fingerprint: String,
}

#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct BaselineError {
    pub path: String,
    pub message: String,
}

/// A baseline file: sorted entries, one per line, no timestamps, so that two branches that
/// update it merge cleanly.
pub fn write_baseline(findings: &[Finding]) -> String {
    let entries: BTreeSet<BaselineEntry> = findings
        .iter()
        .map(|f| BaselineEntry {
            path: f.origin.rel().to_string(),
            rule_id: f.rule_id.clone(),
            fingerprint: f.fingerprint.clone(),
        })
        .collect();
    let mut out = String::from("{\"version\": 1, \"findings\": [\n");
    let lines: Vec<String> = entries
        .iter()
        .map(|e| {
            format!(
                "  {}",
                serde_json::to_string(e).expect("plain strings serialize")
            )
        })
        .collect();
    out.push_str(&lines.join(",\n"));
    if !lines.is_empty() {
        out.push('\n');
    }
    out.push_str("]}\n");
    out
}

pub fn read_baseline(path: &Path) -> Result<HashMap<String, Option<String>>, BaselineError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        version: u32,
        findings: Vec<BaselineEntry>,
    }
    let err = |message: String| BaselineError {
        path: path.display().to_string(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(format!("cannot read: {e}")))?;
    let file: File =
        serde_json::from_str(&text).map_err(|e| err(format!("not a keyrot baseline: {e}")))?;
    if file.version != 1 {
        return Err(err(format!(
            "baseline version {} is not supported",
            file.version
        )));
    }
    Ok(file
        .findings
        .into_iter()
        .map(|e| (e.fingerprint, Some("in the baseline".to_string())))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::allows;

    #[test]
    fn markers_and_scopes() {
        assert_eq!(
            allows("x = 1 # keyrot:allow", "aws.access-key-id"),
            Some(None)
        );
        assert_eq!(
            allows("# keyrot:allow reason=\"test key\"", "aws.access-key-id"),
            Some(Some("test key".into()))
        );
        assert_eq!(
            allows("# keyrot:allow POL001 reason=\"ok\"", "aws.access-key-id"),
            None
        );
        assert_eq!(
            allows("# keyrot:allow POL001 reason=\"ok\"", "POL001"),
            Some(Some("ok".into()))
        );
        assert_eq!(allows("k = 1 // gitleaks:allow", "x"), Some(None));
        assert_eq!(allows("k = 1 # pragma: allowlist secret", "x"), Some(None));
        assert_eq!(allows("k = 1 # trufflehog:ignore", "x"), Some(None));
        assert_eq!(allows("k = 1 # allow", "x"), None);
    }
}

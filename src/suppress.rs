//! Findings a team chose to keep: inline `keyrot:allow` comments (and the markers of gitleaks,
//! detect-secrets and trufflehog, for teams migrating), fingerprints allowed in `.keyrot.toml`,
//! and baselines. A suppressed finding is kept, counted and shown on request; it never fails a run.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::context::BlobContext;
use crate::error::FileError;
use crate::finding::{
    Finding, Severity, SuppressedBy, Suppression, SuppressionKind, SuppressionStatus,
};

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
pub fn inline(cx: &BlobContext, findings: &mut [Finding]) {
    let bytes = cx.bytes();
    // Most files hold no marker at all: one search decides, whatever the number of findings.
    let any_marker = std::iter::once(MARKER)
        .chain(FOREIGN_MARKERS.iter().copied())
        .any(|m| memchr::memmem::find(bytes, m.as_bytes()).is_some());
    if !any_marker {
        return;
    }
    // What a line allows, per rule, judged once however many findings the line holds.
    let mut judged: HashMap<(usize, bool, String), Option<Option<String>>> = HashMap::new();
    let mut judge = |(s, e): (usize, usize), above: bool, rule: &str| -> Option<Option<String>> {
        judged
            .entry((s, above, rule.to_string()))
            .or_insert_with(|| {
                let text = String::from_utf8_lossy(&bytes[s..e]);
                if above && !comment_only(&text) {
                    return None;
                }
                allows(&text, rule)
            })
            .clone()
    };
    for finding in findings.iter_mut().filter(|f| f.suppression.is_none()) {
        let mut places = vec![finding.location.start];
        places.extend(finding.related.iter().map(|r| r.location.start));
        for at in places {
            let line = line_with_cr(bytes, cx.line_around(at));
            let previous = (line.0 > 0).then(|| line_with_cr(bytes, cx.line_around(line.0 - 1)));
            let verdict = judge(line, false, &finding.rule_id)
                .or_else(|| previous.and_then(|p| judge(p, true, &finding.rule_id)));
            if let Some(justification) = verdict {
                finding.suppression = Some(Suppression {
                    kind: SuppressionKind::InSource,
                    status: SuppressionStatus::Accepted,
                    by: SuppressedBy::Inline,
                    justification,
                });
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

/// A line as the context gives it, with its `\r` back: markers are matched on the raw line.
fn line_with_cr(bytes: &[u8], (start, end): (usize, usize)) -> (usize, usize) {
    if bytes.get(end) == Some(&b'\r') {
        (start, end + 1)
    } else {
        (start, end)
    }
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
    by: SuppressedBy,
) {
    for finding in findings.iter_mut().filter(|f| f.suppression.is_none()) {
        let known = allowed.get(&finding.fingerprint).or_else(|| {
            finding
                .legacy_fingerprint()
                .and_then(|legacy| allowed.get(&legacy))
        });
        if let Some(reason) = known {
            finding.suppression = Some(Suppression {
                kind: SuppressionKind::External,
                status: SuppressionStatus::Accepted,
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
    pub severity: std::collections::BTreeMap<String, Severity>,
    /// Fingerprints allowed in the configuration, with their reasons.
    pub allowed: HashMap<String, Option<String>>,
    /// Fingerprints in the baseline.
    pub baseline: HashMap<String, Option<String>>,
}

impl Policy {
    /// What `.keyrot.toml` decided (`disable`, `severity`, `allow`), beside a baseline.
    pub fn of(config: &crate::config::Config, baseline: HashMap<String, Option<String>>) -> Policy {
        Policy {
            disabled: config.disable.iter().cloned().collect(),
            severity: config.severity.clone(),
            allowed: config
                .allow
                .iter()
                .map(|a| (a.fingerprint.clone(), a.reason.clone()))
                .collect(),
            baseline,
        }
    }

    pub fn apply(&self, findings: &mut Vec<Finding>) {
        findings.retain(|f| !self.disabled.contains(&f.rule_id));
        for finding in findings.iter_mut() {
            if let Some(&severity) = self.severity.get(&finding.rule_id) {
                finding.severity = severity;
            }
        }
        by_fingerprint(findings, &self.allowed, SuppressedBy::Config);
        by_fingerprint(findings, &self.baseline, SuppressedBy::Baseline);
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

pub fn read_baseline(path: &Path) -> Result<HashMap<String, Option<String>>, FileError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| FileError::read(shown.clone(), e))?;
    parse_baseline(&text, &shown)
}

/// A baseline's fingerprints from its text; `shown` names it in errors.
pub fn parse_baseline(
    text: &str,
    shown: &str,
) -> Result<HashMap<String, Option<String>>, FileError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        version: u32,
        findings: Vec<BaselineEntry>,
    }
    let err = |message: String| FileError::invalid(shown, message);
    let file: File =
        serde_json::from_str(text).map_err(|e| err(format!("not a keyrot baseline: {e}")))?;
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

//! The one currency between stages: a `Finding`, its `Severity`, where it is (`Location`)
//! and the stable fingerprint that identifies it across runs.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::remedy::Remedy;
use crate::source::Origin;

/// How bad a finding is; ordered from least to most severe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 4] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// SARIF `level` for this severity (DESIGN.md's table).
    pub fn sarif_level(self) -> &'static str {
        match self {
            Severity::Critical | Severity::High => "error",
            Severity::Medium => "warning",
            Severity::Low => "note",
        }
    }

    /// GitHub's `security-severity`, a numeric string inside this severity's band.
    pub fn security_severity(self) -> &'static str {
        match self {
            Severity::Critical => "9.5",
            Severity::High => "8.0",
            Severity::Medium => "5.5",
            Severity::Low => "2.0",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A span inside a blob: byte offsets plus the 1-based line and column (UTF-16 code units,
/// as SARIF counts them by default) of both ends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Location {
    #[serde(skip)]
    pub start: usize,
    #[serde(skip)]
    pub end: usize,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

/// A second place that belongs to a finding, e.g. the secret paired with a key ID.
#[derive(Clone, Debug, Serialize)]
pub struct Related {
    /// What this place holds: "secret access key", "session token".
    pub role: String,
    #[serde(flatten)]
    pub location: Location,
    /// The value found there, redacted.
    pub redacted: String,
}

/// What is known about the credential behind a finding.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Facts {
    /// The access key ID; not a secret, it names the key to rotate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// "long-term", "temporary", ... from the key ID's prefix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_type: Option<&'static str>,
    /// The AWS account, decoded offline from the key ID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// The account is a known canary-token account: any use of the key alerts its owner.
    pub canary: bool,
    /// What live IAM says about the key (`scan --iam`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iam: Option<KeyFacts>,
}

/// Where a key stands in IAM.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyState {
    Active,
    Inactive,
    /// IAM no longer knows the key.
    Deleted,
    /// Another account owns it: no further calls are made.
    OtherAccount,
    /// A call failed; `error` says which.
    Unknown,
}

/// The last recorded use of a key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LastUse {
    pub date: String,
    pub service: String,
    pub region: String,
}

/// What IAM says about one key.
#[derive(Clone, Debug, Serialize)]
pub struct KeyFacts {
    pub state: KeyState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Creation date, RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age_days: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_used: Option<LastUse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Creation date, seconds since the epoch.
    #[serde(skip)]
    pub created_secs: Option<i64>,
}

impl KeyFacts {
    pub fn new(state: KeyState) -> KeyFacts {
        KeyFacts {
            state,
            account: None,
            user: None,
            created: None,
            age_days: None,
            last_used: None,
            error: None,
            created_secs: None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Finding {
    pub rule_id: String,
    pub title: String,
    pub severity: Severity,
    pub origin: Origin,
    pub location: Location,
    pub related: Vec<Related>,
    /// The source line around the finding with every secret in it masked.
    pub excerpt: String,
    /// The matched value as it may be shown: a key ID whole, a secret by its prefix only.
    pub redacted: String,
    pub fingerprint: String,
    /// SHA-256 of the matched values: with the rule and path it makes the fingerprint, and it
    /// tells the same secret apart from another without keeping it.
    pub value_digest: [u8; 32],
    pub facts: Facts,
    pub message: String,
    pub remedy: Remedy,
    /// For findings from history: whether the same secret is still at that path at HEAD.
    pub present_at_head: Option<bool>,
    /// Set when an allow comment, the configuration or a baseline keeps this finding.
    pub suppression: Option<crate::suppress::Suppression>,
}

impl Finding {
    /// Moves the finding to another origin (the same blob seen at another path or commit).
    pub fn relocate(&mut self, origin: Origin) {
        self.fingerprint = fingerprint(&self.rule_id, origin.rel(), &self.value_digest);
        self.origin = origin;
    }

    /// The same credential by the same rule, wherever it is.
    pub fn same_secret(&self, other: &Finding) -> bool {
        self.rule_id == other.rule_id && self.value_digest == other.value_digest
    }

    /// Output order: by place, then the most severe first.
    pub fn sort_key(&self) -> (String, usize, usize, std::cmp::Reverse<Severity>, String) {
        (
            self.origin.display(),
            self.location.line,
            self.location.column,
            std::cmp::Reverse(self.severity),
            self.rule_id.clone(),
        )
    }
}

/// SHA-256 of the matched values (a key ID, its secret, ...), salted with our own prefix.
pub fn value_digest(values: &[&[u8]]) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(b"keyrot/values/v1");
    for value in values {
        hash.update([0]);
        hash.update((value.len() as u64).to_le_bytes());
        hash.update(value);
    }
    hash.finalize().into()
}

/// A content-based identity: the rule, the normalized path and the digest of the values.
/// Moving a secret within a file keeps it; a different secret in the same place changes it.
pub fn fingerprint(rule_id: &str, path: &str, value_digest: &[u8; 32]) -> String {
    let mut hash = Sha256::new();
    hash.update(b"keyrot/fingerprint/v1\0");
    hash.update(rule_id.as_bytes());
    hash.update([0]);
    hash.update(path.as_bytes());
    hash.update([0]);
    hash.update(value_digest);
    let digest = hash.finalize();
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Byte offsets of line starts, built once per blob that has findings.
pub struct LineIndex<'a> {
    bytes: &'a [u8],
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', bytes).map(|i| i + 1));
        LineIndex { bytes, starts }
    }

    /// 0-based line number holding `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    /// Byte range of 0-based line `line`, without its line terminator.
    pub fn line_span(&self, line: usize) -> (usize, usize) {
        let start = self.starts[line.min(self.starts.len() - 1)];
        let mut end = self
            .starts
            .get(line + 1)
            .map_or(self.bytes.len(), |next| next - 1);
        if end > start && self.bytes[end - 1] == b'\r' {
            end -= 1;
        }
        (start, end.max(start))
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    pub fn location(&self, start: usize, end: usize) -> Location {
        let (line, column) = self.line_column(start);
        let (end_line, end_column) = self.line_column(end);
        Location {
            start,
            end,
            line,
            column,
            end_line,
            end_column,
        }
    }

    /// 1-based line and column; columns count UTF-16 code units (bytes of invalid UTF-8 count one each).
    fn line_column(&self, offset: usize) -> (usize, usize) {
        let line = self.line_of(offset);
        let prefix = &self.bytes[self.starts[line]..offset];
        let column = String::from_utf8_lossy(prefix).encode_utf16().count() + 1;
        (line + 1, column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_are_one_based_and_ignore_crlf() {
        let text = b"first\r\nsecond line\r\n\xc3\xa9x";
        let index = LineIndex::new(text);
        assert_eq!(index.location(7, 13).line, 2);
        assert_eq!(index.location(7, 13).column, 1);
        assert_eq!(index.line_span(0), (0, 5));
        let last = index.location(22, 23);
        assert_eq!((last.line, last.column), (3, 2));
    }

    #[test]
    fn fingerprint_depends_on_the_secret_not_the_position() {
        let d1 = value_digest(&[b"AKIA1", b"s1"]);
        let a = fingerprint("aws.access-key-id", "a.py", &d1);
        let same = value_digest(&[b"AKIA1", b"s1"]);
        assert_eq!(a, fingerprint("aws.access-key-id", "a.py", &same));
        let other = value_digest(&[b"AKIA1", b"s2"]);
        assert_ne!(a, fingerprint("aws.access-key-id", "a.py", &other));
        assert_ne!(d1, value_digest(&[b"AKIA", b"1s1"]));
        assert_eq!(a.len(), 32);
    }
}

//! Rule metadata shared by every family: secret rules (`patterns/*.yml`), policy checks
//! (`policy::checks`) and audit checks (`patterns/iam.yml`). A leaf: it imports nothing of
//! keyrot's, so every stage can speak of rules and severities.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How bad a finding is; ordered from least to most severe.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
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

    /// The severity `as_str` names (`"critical"`...), as JSON reports spell it.
    pub fn from_name(name: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|s| s.as_str() == name)
    }

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

    /// One step down, `Low` staying `Low`.
    pub fn lower(self) -> Severity {
        match self {
            Severity::Critical => Severity::High,
            Severity::High => Severity::Medium,
            Severity::Medium | Severity::Low => Severity::Low,
        }
    }

    /// One step up, `Critical` staying `Critical`.
    pub fn raise(self) -> Severity {
        match self {
            Severity::Low => Severity::Medium,
            Severity::Medium => Severity::High,
            Severity::High | Severity::Critical => Severity::Critical,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which part of keyrot a rule belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// A credential found in text (`patterns/*.yml`).
    Secret,
    /// A check of IAM policies in infrastructure-as-code (`policy::checks`).
    Policy,
    /// A check of live IAM (`audit`).
    Audit,
}

/// What `keyrot rules`, `keyrot explain`, the rule pages and SARIF say about a rule.
#[derive(Clone, Debug)]
pub struct RuleMeta {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub family: Family,
    pub cwe: Option<u32>,
    /// SARIF `precision`: `very-high`, `high`, `medium` or `low`.
    pub precision: String,
    /// What it finds, in a sentence or two.
    pub description: String,
    pub why: String,
    pub remediation: String,
    pub references: Vec<String>,
    /// A paragraph on how the rule works, for its page (e.g. how a pair is formed).
    pub note: Option<Note>,
    /// Text the rule finds, and text it must not.
    pub examples: Vec<String>,
    pub negative_examples: Vec<String>,
}

/// A rule page's paragraph: written, or made when a page is written (a catalogue the check
/// reads, which a scan need not load for it).
#[derive(Clone, Debug)]
pub enum Note {
    Text(String),
    Page(fn() -> String),
}

impl Note {
    pub fn text(&self) -> String {
        match self {
            Note::Text(text) => text.clone(),
            Note::Page(page) => page(),
        }
    }
}

impl RuleMeta {
    /// A rule without a page's worth of documentation is a problem; one line per gap.
    pub fn documentation_gaps(&self) -> Vec<String> {
        [
            ("description", &self.description),
            ("why", &self.why),
            ("remediation", &self.remediation),
        ]
        .iter()
        .filter(|(_, text)| text.trim().is_empty())
        .map(|(field, _)| format!("rule `{}`: no `{field}` documentation", self.id))
        .collect()
    }
}

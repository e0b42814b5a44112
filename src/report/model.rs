//! The report as a type: what a scan or an audit found, built once from the pipeline's
//! `ScanOutcome`, written as the JSON format, read back by `keyrot report`, and the only input
//! of every other format (text, SARIF, HTML, Markdown). Its JSON Schema is generated from these
//! types (`keyrot schema`) and published in `schemas/`; `schema_version` changes when a field
//! changes meaning or goes away.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::finding::{
    Facts, Finding, Location, Origin, Related, Remedy, Severity, SuppressedBy, Suppression,
};
use crate::outcome::{AccountMetrics, InventoryKey, ScanOutcome};

/// Version 2: the typed report (`schema_version`, suppressions and key types as enums, the AWS
/// place of account findings, the legacy fingerprint). Version 1 was `version`.
pub const SCHEMA_VERSION: u32 = 2;

/// One scan's or one audit's report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "keyrot report")]
pub struct Report {
    /// `SCHEMA_VERSION` of the keyrot that wrote it.
    pub schema_version: u32,
    pub tool: Tool,
    /// What the report calls this scan (`--label`; default the repository or folder name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// When it was written, RFC 3339 UTC.
    pub generated: String,
    /// In report order: by place, then the most severe first. Suppressed findings only with
    /// `--show-suppressed` (SARIF always carries them, as suppressed results).
    pub findings: Vec<ReportFinding>,
    pub summary: Summary,
    /// Every access key an audit read, the harmless ones too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inventory: Option<Vec<InventoryKey>>,
}

/// The tool that wrote a report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Tool {
    /// Always `keyrot`.
    pub name: String,
    pub version: String,
}

impl Tool {
    pub fn this() -> Tool {
        Tool {
            name: "keyrot".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// One finding as every format shows it: no secret is in it whole.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ReportFinding {
    pub rule_id: String,
    pub title: String,
    pub severity: Severity,
    /// The place as a person reads it (`a.env`, `a.env @ 0123456789ab`, `x.zip!y.env`,
    /// `aws account 123456789012, IAM user alice`).
    pub path: String,
    /// The path relative to the scanned root, forward slashes (SARIF's artifact); for a
    /// member, the outermost archive's; empty for an IAM user.
    pub uri: String,
    /// Inside an archive or a compressed file at `uri`: the member's path in it (nested
    /// archives joined by `!`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// A live AWS place (`audit`): the account and the ARN of the user or resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws: Option<AwsPlace>,
    #[serde(flatten)]
    pub location: Location,
    pub message: String,
    /// The matched value as it may be shown: a key ID whole, a secret by its prefix only.
    pub value: String,
    /// The source line around the finding with every secret in it masked.
    pub excerpt: String,
    /// Content-based identity (rule, path, values): stable across runs and line moves.
    pub fingerprint: String,
    /// The fingerprint an earlier version gave this finding, when it differs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legacy_fingerprint: Option<String>,
    pub facts: Facts,
    /// Other places that belong to it (the secret paired with a key ID, a statement).
    #[serde(default)]
    pub related: Vec<Related>,
    pub remedy: Remedy,
    /// From history: the commit that introduced it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<CommitRef>,
    /// Read from the index (`--staged`), not yet committed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub staged: bool,
    /// From history: whether the same secret is still at that path at HEAD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub present_at_head: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppression: Option<Suppression>,
}

impl ReportFinding {
    /// Counts: not suppressed.
    pub fn is_active(&self) -> bool {
        self.suppression.is_none()
    }

    /// Where it is for a person reading a table: the file (or archive member), else the
    /// AWS resource.
    pub fn place(&self) -> &str {
        match (&self.aws, self.uri.is_empty()) {
            (Some(aws), _) => &aws.arn,
            (None, true) => &self.path,
            (None, false) => &self.uri,
        }
    }

    /// `file:line`, or the AWS resource.
    pub fn at(&self) -> String {
        if self.aws.is_none() {
            format!("{}:{}", self.place(), self.location.line)
        } else {
            self.place().to_string()
        }
    }

    /// A line number means something: a file or a live policy document, not an IAM user.
    pub fn has_lines(&self) -> bool {
        self.aws.as_ref().is_none_or(|a| a.user.is_none())
    }
}

/// An AWS account's user or resource a finding is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AwsPlace {
    pub account: String,
    /// The IAM user, for findings about a user's keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The user's or the resource's ARN (the account's root: `arn:aws:iam::ID:root`).
    pub arn: String,
}

/// The commit that introduced a finding from history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CommitRef {
    pub id: String,
    pub author: String,
    pub email: String,
    /// Author date, RFC 3339.
    pub date: String,
    /// The blob's object ID.
    pub blob: String,
}

/// What was read and found, in figures.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Summary {
    pub files_scanned: u64,
    pub bytes_scanned: u64,
    pub duration_ms: u64,
    /// Findings that count (not suppressed).
    pub findings: usize,
    pub suppressed: usize,
    /// Suppressed findings by what suppressed them.
    #[serde(default)]
    pub suppressed_by: BTreeMap<SuppressedBy, usize>,
    /// Files left out by the configuration's `include` and `exclude`.
    pub excluded: u64,
    /// Findings that count, per severity.
    pub by_severity: BySeverity,
    /// Candidates dropped as decoys, examples, placeholders, with redacted samples.
    #[serde(default)]
    pub dropped: Vec<DroppedCount>,
    pub read: Read,
    /// The scan or audit did not see all it was asked to (`errors` and `notes` say what).
    pub incomplete: bool,
    /// Findings suppressed by allow comments the change under scan adds itself.
    #[serde(default)]
    pub added_suppressions: Vec<String>,
    /// What could not be read: files, git objects, failed AWS calls.
    #[serde(default)]
    pub errors: Vec<String>,
    /// IaC files that did not parse, wholly or in part.
    pub unparsed: u64,
    /// Policy documents nested in JSON data that is not IaC, not analysed.
    pub nested_policies: u64,
    #[serde(default)]
    pub notes: Vec<String>,
    /// What was read, when it is not a plain tree: commits and blobs, staged files, accounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// An audit's figures, per account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<Vec<AccountMetrics>>,
}

impl Summary {
    /// `2 inline, 1 config`: suppressed findings by what suppressed them.
    pub fn suppressed_by_text(&self) -> String {
        self.suppressed_by
            .iter()
            .map(|(by, n)| format!("{n} {}", by.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Counts per severity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BySeverity {
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
}

impl BySeverity {
    pub fn of(severities: impl IntoIterator<Item = Severity>) -> BySeverity {
        let mut counts = BySeverity::default();
        for s in severities {
            *counts.get_mut(s) += 1;
        }
        counts
    }

    pub fn get(&self, s: Severity) -> usize {
        match s {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
        }
    }

    fn get_mut(&mut self, s: Severity) -> &mut usize {
        match s {
            Severity::Critical => &mut self.critical,
            Severity::High => &mut self.high,
            Severity::Medium => &mut self.medium,
            Severity::Low => &mut self.low,
        }
    }

    pub fn total(&self) -> usize {
        self.critical + self.high + self.medium + self.low
    }
}

/// Candidates dropped for one reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DroppedCount {
    pub reason: String,
    pub count: usize,
    /// A few of them, redacted.
    pub samples: Vec<String>,
}

/// What was read beyond plain text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Read {
    /// Binary files, read as bytes.
    pub binary: u64,
    /// Archives and compressed files opened, and the members read in them.
    pub archives: u64,
    pub members: u64,
}

/// Many reports in one (`keyrot report --format json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "keyrot merged report")]
pub struct MergedReport {
    pub schema_version: u32,
    pub tool: Tool,
    pub generated: String,
    /// Each input, labelled.
    pub reports: Vec<Report>,
    pub summary: MergedSummary,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MergedSummary {
    pub reports: usize,
    pub findings: usize,
    pub by_severity: BySeverity,
    pub labels: Vec<String>,
}

impl MergedReport {
    pub fn new(reports: Vec<Report>) -> MergedReport {
        let by_severity =
            BySeverity::of(reports.iter().flat_map(|r| r.active()).map(|f| f.severity));
        MergedReport {
            schema_version: SCHEMA_VERSION,
            tool: Tool::this(),
            generated: crate::time::now_rfc3339(),
            summary: MergedSummary {
                reports: reports.len(),
                findings: by_severity.total(),
                by_severity,
                labels: reports.iter().map(|r| r.label().to_string()).collect(),
            },
            reports,
        }
    }
}

impl Report {
    /// The report of this outcome, suppressed findings included.
    pub fn new(outcome: &ScanOutcome) -> Report {
        let active = outcome.active().count();
        let mut suppressed_by = BTreeMap::new();
        for s in outcome
            .findings
            .iter()
            .filter_map(|f| f.suppression.as_ref())
        {
            *suppressed_by.entry(s.by).or_insert(0) += 1;
        }
        Report {
            schema_version: SCHEMA_VERSION,
            tool: Tool::this(),
            label: outcome.label.clone(),
            generated: crate::time::now_rfc3339(),
            findings: outcome.findings.iter().map(finding).collect(),
            summary: Summary {
                files_scanned: outcome.files,
                bytes_scanned: outcome.bytes,
                duration_ms: outcome.duration.as_millis() as u64,
                findings: active,
                suppressed: outcome.findings.len() - active,
                suppressed_by,
                excluded: outcome.excluded,
                by_severity: BySeverity::of(outcome.active().map(|f| f.severity)),
                dropped: outcome
                    .dropped
                    .iter()
                    .map(|(why, d)| DroppedCount {
                        reason: why.as_str().to_string(),
                        count: d.count,
                        samples: d.samples.clone(),
                    })
                    .collect(),
                read: Read {
                    binary: outcome.binary,
                    archives: outcome.archives,
                    members: outcome.members,
                },
                incomplete: outcome.incomplete,
                added_suppressions: outcome.added_suppressions(),
                errors: outcome.problems.clone(),
                unparsed: outcome.unparsed,
                nested_policies: outcome.nested_policies,
                notes: outcome.notes.clone(),
                scope: outcome.scope.clone(),
                metrics: outcome.metrics.clone(),
            },
            inventory: outcome.inventory.clone(),
        }
    }

    /// Without its suppressed findings (what JSON, HTML, Markdown and text show unless
    /// `--show-suppressed`); the summary still counts them.
    pub fn without_suppressed(mut self) -> Report {
        self.findings.retain(ReportFinding::is_active);
        self
    }

    /// Findings that count.
    pub fn active(&self) -> impl Iterator<Item = &ReportFinding> {
        self.findings.iter().filter(|f| f.is_active())
    }

    /// Its label, or `scan`.
    pub fn label(&self) -> &str {
        self.label.as_deref().unwrap_or("scan")
    }

    /// An audit reads accounts, not files.
    pub fn is_audit(&self) -> bool {
        self.summary.metrics.is_some()
    }
}

/// The AWS place of an audit finding.
fn aws_place(origin: &Origin) -> Option<AwsPlace> {
    match origin {
        Origin::Iam { account, user } => Some(AwsPlace {
            account: account.clone(),
            user: Some(user.clone()),
            arn: if user == "<root_account>" {
                format!("arn:aws:iam::{account}:root")
            } else {
                format!("arn:aws:iam::{account}:user/{user}")
            },
        }),
        Origin::IamResource { account, arn, .. } => Some(AwsPlace {
            account: account.clone(),
            user: None,
            arn: arn.clone(),
        }),
        _ => None,
    }
}

fn finding(f: &Finding) -> ReportFinding {
    let (base, member) = f.origin.base();
    let commit = match base {
        Origin::Commit { commit, blob, .. } => Some(CommitRef {
            id: commit.id.clone(),
            author: commit.author.clone(),
            email: commit.email.clone(),
            date: crate::time::rfc3339(commit.time),
            blob: blob.clone(),
        }),
        _ => None,
    };
    ReportFinding {
        rule_id: f.rule_id.clone(),
        title: f.title.clone(),
        severity: f.severity,
        path: f.origin.display(),
        uri: base.rel().to_string(),
        member,
        aws: aws_place(base),
        location: f.location.clone(),
        message: f.message.clone(),
        value: f.redacted.clone(),
        excerpt: f.excerpt.clone(),
        fingerprint: f.fingerprint.clone(),
        legacy_fingerprint: f.legacy_fingerprint(),
        facts: f.facts.clone(),
        related: f.related.clone(),
        remedy: f.remedy.clone(),
        commit,
        staged: matches!(base, Origin::Index { .. }),
        present_at_head: f.present_at_head,
        suppression: f.suppression.clone(),
    }
}

/// The JSON Schema of a report (`single`) or of a merged report, as published in `schemas/`.
pub fn schema(single: bool) -> serde_json::Value {
    let schema = if single {
        schemars::schema_for!(Report)
    } else {
        schemars::schema_for!(MergedReport)
    };
    serde_json::to_value(schema).expect("a schema is JSON")
}

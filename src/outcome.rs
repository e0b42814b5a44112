//! What a scan or an audit produced, as the renderers read it: findings, what was read, skipped
//! and dropped, problems and notes, and an audit's figures per account. Both the pipeline
//! (`scan`, `iam`) and the renderers (`report`) import this; it imports neither.

use std::collections::BTreeMap;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::context::Drop;
use crate::finding::{AccessLevel, Finding, KeyState};

/// How many candidates were dropped for one reason, with a few of them (redacted).
#[derive(Clone, Debug, Default)]
pub struct Dropped {
    pub count: usize,
    pub samples: Vec<String>,
}

/// Figures for one audited account.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AccountMetrics {
    pub account: String,
    pub users: usize,
    pub keys: usize,
    pub active_keys: usize,
    pub average_active_age_days: f64,
    pub max_active_age_days: i64,
    /// Keys created within the last 90 days.
    pub rotated_last_90_days: usize,
    /// Share of active keys within the rotation policy, 0 to 1 (1 when there are none).
    pub rotation_compliance: f64,
    /// The age in days of every active key, for the report's histogram.
    pub active_key_ages_days: Vec<i64>,
    /// The policies the audit applied.
    pub max_key_age_days: i64,
    pub max_unused_days: i64,
    /// Active keys unused for more than `max_unused_days`.
    pub unused_keys: usize,
    /// Users with two active keys; users with active keys and no MFA.
    pub users_two_active_keys: usize,
    pub users_without_mfa: usize,
}

/// One access key of an audited account, whatever its findings: the audit's inventory.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct InventoryKey {
    pub account: String,
    pub user: String,
    pub key_id: String,
    /// `active` or `inactive`.
    pub state: KeyState,
    #[serde(default)]
    pub created: Option<String>,
    #[serde(default)]
    pub age_days: Option<i64>,
    /// `YYYY-MM-DD` of the last recorded use, with its service and region.
    #[serde(default)]
    pub last_used: Option<String>,
    #[serde(default)]
    pub last_used_service: Option<String>,
    #[serde(default)]
    pub last_used_region: Option<String>,
    /// The user's blast radius, when it was judged.
    #[serde(default)]
    pub access: Option<AccessLevel>,
    /// How it gets there (`user/frank -> sts:AssumeRole -> role/ops`).
    #[serde(default)]
    pub path: Option<String>,
    /// AWS's quarantine policy on the user, if any.
    #[serde(default)]
    pub quarantine: Option<String>,
}

#[cfg_attr(not(feature = "aws"), allow(dead_code))]
impl InventoryKey {
    pub const CSV_HEADER: &'static str = "account,user,key_id,state,created,age_days,last_used,last_used_service,last_used_region,access,path,quarantine";

    /// One CSV row (RFC 4180 quoting; a leading `=`, `+`, `-` or `@` is quoted with `'` so
    /// that a spreadsheet never takes a value for a formula).
    pub fn csv_row(&self) -> String {
        let field = |v: &str| {
            let v = if v.starts_with(['=', '+', '-', '@']) {
                format!("'{v}")
            } else {
                v.to_string()
            };
            if v.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", v.replace('"', "\"\""))
            } else {
                v
            }
        };
        let opt = |v: &Option<String>| field(v.as_deref().unwrap_or(""));
        [
            field(&self.account),
            field(&self.user),
            field(&self.key_id),
            field(self.state.as_str()),
            opt(&self.created),
            self.age_days.map(|d| d.to_string()).unwrap_or_default(),
            opt(&self.last_used),
            opt(&self.last_used_service),
            opt(&self.last_used_region),
            field(self.access.map_or("", AccessLevel::as_str)),
            opt(&self.path),
            opt(&self.quarantine),
        ]
        .join(",")
    }
}

/// Everything a scan or an audit produced.
#[derive(Debug, Default)]
pub struct ScanOutcome {
    pub findings: Vec<Finding>,
    pub files: u64,
    pub bytes: u64,
    /// Binary files, read as bytes (and through their UTF-16 view when they hold a UTF-16 key ID).
    pub binary: u64,
    /// Archives and compressed files opened, and the members read in them.
    pub archives: u64,
    pub members: u64,
    /// Files left out by the configuration's `include` and `exclude`.
    pub excluded: u64,
    /// One line per file or folder that could not be read.
    pub problems: Vec<String>,
    /// Notes on files skipped for their size, IaC that did not parse, ...
    pub notes: Vec<String>,
    /// IaC files that did not parse, wholly or in part (each also a `policy.unanalysed`
    /// finding): not unreadable, and counted apart.
    pub unparsed: u64,
    /// Policy documents nested in JSON data that is not IaC (recorded API responses, test
    /// snapshots): counted, not analysed, unless `--policies-anywhere`.
    pub nested_policies: u64,
    /// The scan did not see all it was asked to (a root that does not exist, standard input
    /// unreadable or cut): without failing findings, the exit code is 2, never 0.
    pub incomplete: bool,
    pub dropped: BTreeMap<Drop, Dropped>,
    pub duration: Duration,
    /// What was read, when it is not a plain tree: commits and blobs, or staged files.
    pub scope: Option<String>,
    /// Per-account figures of an audit.
    pub metrics: Option<Vec<AccountMetrics>>,
    /// Every access key an audit read.
    pub inventory: Option<Vec<InventoryKey>>,
    /// What the report calls this scan (`--label`; default the repository or folder name).
    pub label: Option<String>,
}

impl ScanOutcome {
    /// Findings that count: not suppressed.
    pub fn active(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.suppression.is_none())
    }

    /// Findings suppressed by an allow comment the change under scan adds itself: what a
    /// reviewer must see, in every summary, whether or not suppressed findings are listed.
    pub fn added_suppressions(&self) -> Vec<String> {
        self.findings
            .iter()
            .filter(|f| {
                f.suppression
                    .as_ref()
                    .is_some_and(|s| s.status == crate::finding::SuppressionStatus::UnderReview)
            })
            .map(|f| {
                format!(
                    "{}:{} {} (allow comment added by this change)",
                    f.origin.rel(),
                    f.location.line,
                    f.rule_id
                )
            })
            .collect()
    }
}

/// `1.5 MiB`-style sizes.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

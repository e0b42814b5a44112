//! The one currency between stages: a `Finding`, where it was read (`Origin`) and where in
//! that blob (`Location`), the data of its `Remedy` and `Suppression`, and the stable
//! fingerprint that identifies it across runs. A leaf: it imports only rule vocabulary.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use crate::rule::Severity;

/// Who made a commit and when.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CommitInfo {
    pub id: String,
    pub author: String,
    pub email: String,
    /// Author time, seconds since the Unix epoch.
    pub time: i64,
}

/// Where a blob was read.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Origin {
    /// A file in a tree: the path as walked, and its path relative to the report base
    /// (forward slashes), which is what SARIF and fingerprints use.
    File {
        path: std::path::PathBuf,
        rel: String,
    },
    /// Standard input.
    Stdin,
    /// A blob at a path, as a commit introduced it.
    Commit {
        commit: Arc<CommitInfo>,
        path: String,
        blob: String,
    },
    /// A file staged in the index, not yet committed.
    Index { path: String },
    /// An IAM user of an AWS account (`audit`): a logical place, not a file.
    Iam { account: String, user: String },
    /// A live IAM resource's policy document (`audit`): the ARN is the logical place, `path`
    /// (`aws-iam/ACCOUNT/role/NAME`) a stable pseudo-path, positions within its document.
    IamResource {
        account: String,
        arn: String,
        path: String,
    },
    /// A member of an archive or a compressed file read at `outer` (itself a file, a blob of a
    /// commit, a staged file or another member): `member` is its path inside, `rel` the whole
    /// `outer!member` path fingerprints and path classes use.
    Member {
        outer: Box<Origin>,
        member: String,
        rel: String,
    },
}

impl Origin {
    /// A member `member` of what was read at `self`.
    pub fn member(self, member: &str) -> Origin {
        let rel = format!("{}!{member}", self.rel());
        Origin::Member {
            outer: Box::new(self),
            member: member.to_string(),
            rel,
        }
    }

    /// What the archives around a member were read as (itself when it is no member), and the
    /// chain of member paths inside it (`inner.jar!config.properties`), if any.
    pub fn base(&self) -> (&Origin, Option<String>) {
        match self {
            Origin::Member { outer, member, .. } => {
                let (base, chain) = outer.base();
                let chain = match chain {
                    Some(c) => format!("{c}!{member}"),
                    None => member.clone(),
                };
                (base, Some(chain))
            }
            other => (other, None),
        }
    }

    /// The path as the user should see it.
    pub fn display(&self) -> String {
        match self {
            Origin::Member { .. } => {
                let (base, chain) = self.base();
                let chain = chain.unwrap_or_default();
                match base {
                    Origin::File { path, .. } => format!("{}!{chain}", path.display()),
                    Origin::Commit { commit, path, .. } => {
                        format!("{path}!{chain} @ {}", &commit.id[..12.min(commit.id.len())])
                    }
                    Origin::Index { path } => format!("{path}!{chain} (staged)"),
                    other => format!("{}!{chain}", other.display()),
                }
            }
            Origin::File { path, .. } => path.display().to_string(),
            Origin::Stdin => "<stdin>".to_string(),
            Origin::Commit { commit, path, .. } => {
                format!("{path} @ {}", &commit.id[..12.min(commit.id.len())])
            }
            Origin::Index { path } => format!("{path} (staged)"),
            Origin::Iam { account, user } => format!("aws account {account}, IAM user {user}"),
            Origin::IamResource { account, arn, .. } => format!("aws account {account}, {arn}"),
        }
    }

    /// The normalized path used in SARIF and fingerprints.
    pub fn rel(&self) -> &str {
        match self {
            Origin::File { rel, .. } => rel,
            Origin::Stdin => "stdin",
            Origin::Commit { path, .. } | Origin::Index { path } => path,
            Origin::Iam { .. } => "",
            Origin::IamResource { path, .. } => path,
            Origin::Member { rel, .. } => rel,
        }
    }
}

/// What to do about a finding: one line to act on, then the ordered steps.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Remedy {
    pub summary: String,
    pub steps: Vec<Step>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Step {
    pub text: String,
    /// The command that does it, with placeholders in capitals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
}

impl Step {
    pub fn new(text: &str, command: Option<String>) -> Step {
        Step {
            text: text.to_string(),
            command,
        }
    }
}

/// Why a finding is suppressed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Suppression {
    pub kind: SuppressionKind,
    pub by: SuppressedBy,
    /// SARIF's status: `accepted`, or `underReview` for an allow comment that the change
    /// under scan adds itself.
    #[serde(default, skip_serializing_if = "SuppressionStatus::is_accepted")]
    pub status: SuppressionStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
}

/// Where a suppression is written, as SARIF names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum SuppressionKind {
    /// In the scanned file: an allow comment, or a condition of the policy itself.
    InSource,
    /// Outside it: the configuration or a baseline.
    External,
}

/// What suppressed a finding.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum SuppressedBy {
    /// A `keyrot:allow` comment.
    Inline,
    /// `.keyrot.toml`'s allow-list.
    Config,
    /// A baseline file.
    Baseline,
    /// A condition of the policy statement that restricts it.
    Condition,
}

impl SuppressedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            SuppressedBy::Inline => "inline",
            SuppressedBy::Config => "config",
            SuppressedBy::Baseline => "baseline",
            SuppressedBy::Condition => "condition",
        }
    }
}

/// SARIF's suppression status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum SuppressionStatus {
    #[default]
    Accepted,
    /// An allow comment the change under scan adds itself: a reviewer must look at it.
    UnderReview,
}

impl SuppressionStatus {
    fn is_accepted(&self) -> bool {
        *self == SuppressionStatus::Accepted
    }
}

/// A span inside a blob: byte offsets plus the 1-based line and column (UTF-16 code units,
/// as SARIF counts them by default) of both ends. The byte offsets stay in the process.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
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
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Related {
    /// What this place holds: "secret access key", "session token".
    pub role: String,
    #[serde(flatten)]
    pub location: Location,
    /// The value found there, redacted.
    pub redacted: String,
}

/// What is known about the credential behind a finding.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Facts {
    /// The access key ID; not a secret, it names the key to rotate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// What kind of key, from the key ID's prefix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_type: Option<KeyType>,
    /// The AWS account, decoded offline from the key ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// The account is a known canary-token account: any use of the key alerts its owner.
    #[serde(default)]
    pub canary: bool,
    /// What live IAM says about the key (`scan --iam`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iam: Option<KeyFacts>,
}

/// An AWS key ID's kind, by its prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum KeyType {
    /// `AKIA`: an IAM user's access key.
    #[serde(rename = "long-term")]
    LongTerm,
    /// `ASIA`: STS session credentials.
    #[serde(rename = "temporary")]
    Temporary,
    /// `ABIA`: an AWS STS service bearer token.
    #[serde(rename = "service bearer token")]
    ServiceBearerToken,
    /// `ACCA`: a context-specific credential.
    #[serde(rename = "context-specific")]
    ContextSpecific,
    /// `A3T`: the older long-term form.
    #[serde(rename = "long-term (legacy)")]
    LongTermLegacy,
}

impl KeyType {
    /// The kind of the key `key_id` names, if it names one.
    pub fn of(key_id: &str) -> Option<KeyType> {
        match key_id.get(..4)? {
            "AKIA" => Some(KeyType::LongTerm),
            "ASIA" => Some(KeyType::Temporary),
            "ABIA" => Some(KeyType::ServiceBearerToken),
            "ACCA" => Some(KeyType::ContextSpecific),
            p if p.starts_with("A3T") => Some(KeyType::LongTermLegacy),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::LongTerm => "long-term",
            KeyType::Temporary => "temporary",
            KeyType::ServiceBearerToken => "service bearer token",
            KeyType::ContextSpecific => "context-specific",
            KeyType::LongTermLegacy => "long-term (legacy)",
        }
    }
}

/// Where a key stands in IAM.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
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

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Active => "active",
            KeyState::Inactive => "inactive",
            KeyState::Deleted => "deleted",
            KeyState::OtherAccount => "other-account",
            KeyState::Unknown => "unknown",
        }
    }
}

/// The last recorded use of a key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LastUse {
    pub date: String,
    pub service: String,
    pub region: String,
}

/// How far a principal reaches, least first.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum AccessLevel {
    /// Granted nothing by any policy.
    None,
    /// Can only read and list.
    ReadOnly,
    /// Can change data.
    CanWriteData,
    /// Can read secrets (credentials, parameters, keys).
    CanReadSecrets,
    /// Has a known path to administrator.
    CanEscalate,
    /// Everything on every resource.
    Admin,
}

impl AccessLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::None => "none",
            AccessLevel::ReadOnly => "read-only",
            AccessLevel::CanWriteData => "can-write-data",
            AccessLevel::CanReadSecrets => "can-read-secrets",
            AccessLevel::CanEscalate => "can-escalate",
            AccessLevel::Admin => "admin",
        }
    }

    /// Administrator, or a path to it.
    pub fn takes_over(self) -> bool {
        self >= AccessLevel::CanEscalate
    }
}

impl std::fmt::Display for AccessLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a key's owner may do in AWS, from the user's effective policies (its blast radius).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Access {
    pub level: AccessLevel,
    /// One sentence: what it can do and through which policy.
    pub summary: String,
    /// The escalation path, when `can-escalate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Every policy read, by how it reaches the user (`attached AdministratorAccess`,
    /// `group deployers: inline deploy`, `permissions boundary Boundary`).
    pub policies: Vec<String>,
    /// Policies that could not be read or parsed: the level is a lower bound.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unread: Vec<String>,
    /// The AWS quarantine policy attached to the user (`AWSCompromisedKeyQuarantineV3`):
    /// AWS found one of its keys exposed. The level is what the user can do without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quarantine: Option<String>,
}

/// The managed policies AWS attaches to a user when it finds one of its keys public.
#[cfg_attr(not(feature = "aws"), allow(dead_code))]
pub const QUARANTINE_POLICIES: [&str; 3] = [
    "AWSCompromisedKeyQuarantine",
    "AWSCompromisedKeyQuarantineV2",
    "AWSCompromisedKeyQuarantineV3",
];

impl Access {
    /// Whether the key can take over the account (administrator, or a path to it), or AWS
    /// has already found it exposed.
    pub fn is_critical(&self) -> bool {
        self.level.takes_over() || self.quarantine.is_some()
    }
}

/// What CloudTrail recorded of a key's use.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct Usage {
    /// `cloudtrail` (LookupEvents) or `cloudtrail-s3` (delivered log files).
    pub source: String,
    /// The window searched, RFC 3339.
    pub from: String,
    pub to: String,
    pub events: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<String>,
    pub source_ips: Vec<String>,
    pub user_agents: Vec<String>,
    /// The most frequent event names with their counts.
    pub top_events: Vec<(String, usize)>,
    /// When the finding came from git history: whether the key was used after the commit
    /// that leaked it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used_after_leak: Option<bool>,
    /// Addresses that used the key after the leak and never before it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub new_ips_after_leak: Vec<String>,
    /// Why the evidence is incomplete, when it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Usage {
    /// Used after the leak from an address never seen before it.
    pub fn possible_compromise(&self) -> bool {
        self.used_after_leak == Some(true) && !self.new_ips_after_leak.is_empty()
    }
}

/// What IAM says about one key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct KeyFacts {
    pub state: KeyState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Creation date, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_days: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used: Option<LastUse>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What the key can do (blast radius): its user's effective policies, evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<Access>,
    /// What CloudTrail recorded of its use (`--cloudtrail`, `--cloudtrail-s3`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
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
            access: None,
            usage: None,
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
    /// The digest an earlier version identified this finding by, when it differs
    /// (`keyrotFingerprint/v1` of policy findings hashed their message): baselines and
    /// allow-lists written then still match.
    pub legacy_digest: Option<[u8; 32]>,
    pub facts: Facts,
    pub message: String,
    pub remedy: Remedy,
    /// For findings from history: whether the same secret is still at that path at HEAD.
    pub present_at_head: Option<bool>,
    /// Set when an allow comment, the configuration or a baseline keeps this finding.
    pub suppression: Option<Suppression>,
}

impl Finding {
    /// Moves the finding to another origin (the same blob seen at another path or commit). A
    /// finding in an archive member stays in that member of the blob at its new place.
    pub fn relocate(&mut self, origin: Origin) {
        let origin = match self.origin.base() {
            (_, Some(chain)) => origin.member(&chain),
            (_, None) => origin,
        };
        self.fingerprint = fingerprint(&self.rule_id, origin.rel(), &self.value_digest);
        self.origin = origin;
    }

    /// The fingerprint an earlier version gave this finding, when it differs.
    pub fn legacy_fingerprint(&self) -> Option<String> {
        self.legacy_digest
            .map(|d| fingerprint(&self.rule_id, self.origin.rel(), &d))
    }

    /// Whether `fingerprint` names this finding, now or as an earlier version named it.
    pub fn answers_to(&self, fingerprint: &str) -> bool {
        self.fingerprint == fingerprint || self.legacy_fingerprint().as_deref() == Some(fingerprint)
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

#[cfg(test)]
mod tests {
    use super::*;

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

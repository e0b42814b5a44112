//! Findings from candidates: the messages, facts, excerpts and fingerprints of credential
//! findings. Excerpts come from the blob's context, which masks every secret by its span.

use super::aws;
use super::rules::{RuleKind, RuleSet, RuleSpec};
use crate::context::BlobContext;
use crate::finding::{fingerprint, value_digest, Facts, Finding, KeyType, Related, Severity};
use crate::remedy::{self, LoneValue};

/// A pattern match: the rule (an index into the rule set) and the captured value's span.
#[derive(Clone, Debug)]
pub(super) struct Candidate {
    pub rule: usize,
    pub start: usize,
    pub end: usize,
}

/// How a matched value may be shown: key IDs whole (they name the key to rotate), anything
/// else by its first four characters only.
pub(super) fn shown(kind: RuleKind, value: &[u8]) -> String {
    let value = String::from_utf8_lossy(value);
    if kind == RuleKind::KeyId {
        value.into_owned()
    } else {
        crate::redact::secret(&value)
    }
}

/// Turns candidates into findings for one blob.
pub(super) struct Emitter<'a> {
    pub rules: &'a RuleSet,
    pub cx: &'a BlobContext<'a>,
}

impl Emitter<'_> {
    fn spec(&self, rule: usize) -> &RuleSpec {
        &self.rules.rules[rule].spec
    }

    fn redact(&self, c: &Candidate) -> String {
        shown(self.spec(c.rule).kind, self.value(c).as_bytes())
    }

    fn value(&self, c: &Candidate) -> &str {
        std::str::from_utf8(&self.cx.bytes()[c.start..c.end]).unwrap_or("")
    }

    fn related(&self, role: &str, c: &Candidate) -> Related {
        Related {
            role: role.to_string(),
            location: self.cx.location(c.start, c.end),
            redacted: self.redact(c),
        }
    }

    pub fn credential(
        &self,
        rule: usize,
        key: &Candidate,
        secret: Option<&Candidate>,
        token: Option<&Candidate>,
        pair_lines: usize,
    ) -> Finding {
        let spec = self.spec(rule);
        let key_id = self.value(key).to_string();
        let account_id = aws::account_id(&key_id);
        let canary = account_id
            .as_ref()
            .is_some_and(|a| self.rules.canary_accounts.contains(a));
        let facts = Facts {
            key_type: aws::key_type(&key_id),
            key_id: Some(key_id.clone()),
            account_id,
            canary,
            iam: None,
        };
        let mut related = Vec::new();
        let mut values: Vec<&[u8]> = vec![key_id.as_bytes()];
        if let Some(s) = secret {
            related.push(self.related("secret access key", s));
            values.push(self.value(s).as_bytes());
        }
        if let Some(t) = token {
            related.push(self.related("session token", t));
        }
        let what = match facts.key_type {
            Some(KeyType::Temporary) => "temporary access key",
            Some(KeyType::ServiceBearerToken) => "STS service bearer token",
            Some(KeyType::ContextSpecific) => "context-specific credential",
            _ => "long-term access key",
        };
        let account = facts.account_id.as_ref().map_or_else(
            || "account not decodable from this older key".to_string(),
            |a| format!("account {a}"),
        );
        let mut message = match secret {
            Some(_) => format!("AWS {what} {key_id} with its secret access key ({account})"),
            None if pair_lines > 0 => {
                format!("AWS {what} {key_id} ({account}); no secret within {pair_lines} lines")
            }
            None => format!("AWS {what} {key_id} ({account})"),
        };
        let digest = value_digest(&values);
        let mut severity = spec.severity;
        if canary {
            severity = Severity::Low;
            message.push_str("; a canary token: any use of it alerts whoever planted it");
        }
        Finding {
            rule_id: spec.id.clone(),
            title: spec.name.clone(),
            severity,
            origin: self.cx.origin().clone(),
            location: self.cx.location(key.start, key.end),
            related,
            excerpt: self.excerpt(key),
            redacted: key_id.clone(),
            fingerprint: fingerprint(&spec.id, self.cx.origin().rel(), &digest),
            value_digest: digest,
            legacy_digest: None,
            remedy: remedy::for_key(&facts, secret.is_some()),
            facts,
            message,
            present_at_head: None,
            suppression: None,
        }
    }

    pub fn lone_value(&self, c: &Candidate) -> Finding {
        let spec = self.spec(c.rule);
        let redacted = self.redact(c);
        let digest = value_digest(&[self.value(c).as_bytes()]);
        let message = match spec.kind {
            RuleKind::SecretKey => format!(
                "{} {redacted}; its access key ID is not within reach",
                spec.name
            ),
            RuleKind::SessionToken => {
                format!("{} {redacted}; no temporary key ID next to it", spec.name)
            }
            _ => format!("{} {redacted}", spec.name),
        };
        Finding {
            rule_id: spec.id.clone(),
            title: spec.name.clone(),
            severity: spec.severity,
            origin: self.cx.origin().clone(),
            location: self.cx.location(c.start, c.end),
            related: Vec::new(),
            excerpt: self.excerpt(c),
            fingerprint: fingerprint(&spec.id, self.cx.origin().rel(), &digest),
            value_digest: digest,
            legacy_digest: None,
            remedy: remedy::for_value(match spec.kind {
                RuleKind::SecretKey => LoneValue::SecretKey,
                RuleKind::SessionToken => LoneValue::SessionToken,
                _ => LoneValue::Other,
            }),
            redacted,
            facts: Facts::default(),
            message,
            present_at_head: None,
            suppression: None,
        }
    }

    /// The line around a value, at most `EXCERPT` bytes either side, every secret masked.
    fn excerpt(&self, c: &Candidate) -> String {
        excerpt(self.cx, c.start, c.end)
    }
}

/// The line around `start..end`, at most `EXCERPT` bytes either side, every secret masked.
pub(super) fn excerpt(cx: &BlobContext, value_start: usize, value_end: usize) -> String {
    const EXCERPT: usize = 60;
    let (start, end) = cx.line_around(value_start);
    let from = start.max(value_start.saturating_sub(EXCERPT));
    let to = end.min(value_end.max(value_start + EXCERPT)).max(from);
    cx.excerpt(from, to, (start, end))
}

//! Findings from candidates: the messages, facts, excerpts and fingerprints of credential
//! findings, and the masking that keeps secrets out of every excerpt.

use super::aws;
use super::engine::{Candidate, Engine};
use super::rules::RuleKind;
use crate::finding::{fingerprint, value_digest, Facts, Finding, LineIndex, Related, Severity};
use crate::remedy;
use crate::source::Blob;

/// How a matched value may be shown: key IDs whole (they name the key to rotate), anything
/// else by its first four characters only.
pub fn redact_value(kind: RuleKind, value: &str) -> String {
    if kind == RuleKind::KeyId {
        value.to_string()
    } else {
        let prefix: String = value.chars().take(4).collect();
        format!("{prefix}****")
    }
}

/// Turns candidates into findings for one blob.
pub(super) struct Emitter<'a> {
    pub engine: &'a Engine,
    pub blob: &'a Blob<'a>,
    pub lines: &'a LineIndex<'a>,
}

impl Emitter<'_> {
    fn value(&self, c: &Candidate) -> &str {
        std::str::from_utf8(&self.blob.bytes[c.start..c.end]).unwrap_or("")
    }

    fn related(&self, role: &str, c: &Candidate) -> Related {
        Related {
            role: role.to_string(),
            location: self.lines.location(c.start, c.end),
            redacted: self.engine.redact(c.rule, self.value(c).as_bytes()),
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
        let spec = &self.engine.rule(rule).spec;
        let key_id = self.value(key).to_string();
        let account_id = aws::account_id(&key_id);
        let canary = account_id
            .as_ref()
            .is_some_and(|a| self.engine.rules.canary_accounts.contains(a));
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
            Some("temporary") => "temporary access key",
            Some("service bearer token") => "STS service bearer token",
            Some("context-specific") => "context-specific credential",
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
            origin: self.blob.origin.clone(),
            location: self.lines.location(key.start, key.end),
            related,
            excerpt: self.excerpt(key),
            redacted: key_id.clone(),
            fingerprint: fingerprint(&spec.id, self.blob.origin.rel(), &digest),
            value_digest: digest,
            remedy: remedy::for_key(&facts, secret.is_some()),
            facts,
            message,
            present_at_head: None,
            suppression: None,
        }
    }

    pub fn lone_value(&self, c: &Candidate) -> Finding {
        let spec = &self.engine.rule(c.rule).spec;
        let redacted = self.engine.redact(c.rule, self.value(c).as_bytes());
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
            origin: self.blob.origin.clone(),
            location: self.lines.location(c.start, c.end),
            related: Vec::new(),
            excerpt: self.excerpt(c),
            fingerprint: fingerprint(&spec.id, self.blob.origin.rel(), &digest),
            value_digest: digest,
            remedy: remedy::for_value(spec.kind),
            redacted,
            facts: Facts::default(),
            message,
            present_at_head: None,
            suppression: None,
        }
    }

    /// The line around a value, at most `EXCERPT` bytes either side, every long token masked.
    fn excerpt(&self, c: &Candidate) -> String {
        const EXCERPT: usize = 60;
        let (start, end) = self.lines.line_span(self.lines.line_of(c.start));
        let from = start.max(c.start.saturating_sub(EXCERPT));
        let to = end.min(c.end.max(c.start + EXCERPT)).max(from);
        let text = String::from_utf8_lossy(&self.blob.bytes[from..to]);
        let masked = mask(&text, from > start, to < end);
        format!(
            "{}{}{}",
            if from > start { "…" } else { "" },
            masked.trim(),
            if to < end { "…" } else { "" }
        )
    }
}

/// Masks every run of base64 characters long enough to be a secret (24 or more), and any run
/// cut by the excerpt's edges, keeping at most four characters. Key IDs (20) stay readable.
pub fn mask(text: &str, cut_left: bool, cut_right: bool) -> String {
    let is_b64 = |c: char| c.is_ascii_alphanumeric() || matches!(c, '/' | '+');
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !is_b64(chars[i]) {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let run_start = i;
        while i < chars.len() && is_b64(chars[i]) {
            i += 1;
        }
        let run = &chars[run_start..i];
        let at_cut = (cut_left && run_start == 0) || (cut_right && i == chars.len());
        if run.len() >= 24 || (at_cut && run.len() > 4) {
            out.extend(run.iter().take(if at_cut { 0 } else { 4 }));
            out.push_str("****");
        } else {
            out.extend(run.iter());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_hides_long_runs_and_keeps_key_ids() {
        let line = "id=AKIAYGTTU3F4ZNIBPSU4 secret=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";
        assert_eq!(
            mask(line, false, false),
            "id=AKIAYGTTU3F4ZNIBPSU4 secret=UYDK****"
        );
        assert_eq!(mask("9SGewL2AGe x", true, false), "**** x");
    }
}

//! Weak IAM policies in infrastructure-as-code: Terraform, CloudFormation (and SAM), Serverless
//! and policy JSON. `extract` turns a file into policy documents whose elements keep their
//! spans; `checks` judge them against the action database (`actions`).

pub mod actions;
pub mod checks;
pub mod extract;
pub mod model;
pub mod node;

use crate::detect::rules::{RuleKind, RuleSpec};
use crate::finding::{fingerprint, value_digest, Facts, Finding, LineIndex};
use crate::remedy::{Remedy, Step};
use crate::source::Blob;

/// Policy findings of one blob; `Err` with a one-line reason when it looks like IaC but does
/// not parse. Files that do not look like IaC cost one name check.
pub fn scan(blob: &Blob) -> Result<Vec<Finding>, String> {
    // Every blob passes here: decide on the borrowed path before anything is allocated.
    let path = blob.origin.rel();
    if !extract::may_be_iac(path) {
        return Ok(Vec::new());
    }
    let Ok(text) = std::str::from_utf8(&blob.bytes) else {
        return Ok(Vec::new());
    };
    let extracted = extract::extract(path, text)?;
    if extracted.docs.is_empty() && extracted.facts.is_empty() {
        return Ok(Vec::new());
    }
    let hits = checks::run(&extracted);
    let lines = LineIndex::new(&blob.bytes);
    let mut findings: Vec<Finding> = hits
        .into_iter()
        .map(|h| {
            let end = h.end.clamp(h.start, blob.bytes.len());
            let start = h.start.min(end);
            let location = lines.location(start, end);
            let (line_start, line_end) = lines.line_span(lines.line_of(start));
            let excerpt = String::from_utf8_lossy(&blob.bytes[line_start..line_end.min(line_start + 200)]).trim().to_string();
            let element = &blob.bytes[start..end];
            let digest = value_digest(&[h.check.id.as_bytes(), h.message.as_bytes(), element]);
            Finding {
                rule_id: h.check.id.to_string(),
                title: h.check.title.to_string(),
                severity: h.severity,
                fingerprint: fingerprint(h.check.id, path, &digest),
                origin: blob.origin.clone(),
                location,
                related: Vec::new(),
                excerpt: crate::detect::emit::mask(&excerpt, false, false),
                redacted: String::from_utf8_lossy(element).chars().take(80).collect(),
                value_digest: digest,
                facts: Facts::default(),
                message: h.message,
                remedy: Remedy {
                    summary: h.check.remediation.to_string(),
                    steps: vec![Step {
                        text: "Generate a least-privilege policy from the workload's actual use with IAM Access Analyzer.".into(),
                        command: Some("aws accessanalyzer start-policy-generation --policy-generation-details principalArn=ROLE_ARN --cloud-trail-details file://trail.json".into()),
                    }],
                },
                present_at_head: None,
                suppression: None,
            }
        })
        .collect();
    // One finding per check and place.
    findings.sort_by(|a, b| (a.location.start, &a.rule_id).cmp(&(b.location.start, &b.rule_id)));
    findings.dedup_by(|a, b| a.location.start == b.location.start && a.rule_id == b.rule_id);
    Ok(findings)
}

/// Every policy check as a rule, so that `keyrot rules`, `explain` and SARIF document them.
pub fn rule_specs() -> Vec<RuleSpec> {
    checks::ALL
        .iter()
        .map(|c| {
            let i = c.info();
            RuleSpec {
                id: i.id.to_string(),
                name: i.title.to_string(),
                kind: RuleKind::Policy,
                severity: i.severity,
                precision: "high".into(),
                cwe: Some(i.cwe),
                literals: Vec::new(),
                weak_literals: Vec::new(),
                weak_needs_nearby: Vec::new(),
                case_sensitive: false,
                context_lines: 0,
                reach: 0,
                pattern: None,
                pair: None,
                examples: Vec::new(),
                negative_examples: Vec::new(),
                description: first_sentence(i.rationale).to_string(),
                why: i.rationale.to_string(),
                remediation: i.remediation.to_string(),
                references: vec![
                    "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html".into(),
                ],
            }
        })
        .collect()
}

fn first_sentence(text: &str) -> &str {
    text.find(". ").map_or(text, |i| &text[..=i])
}

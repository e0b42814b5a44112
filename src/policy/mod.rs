//! Weak IAM policies in infrastructure-as-code: Terraform, CloudFormation (and SAM), Serverless
//! and policy JSON. `extract` turns a file into policy documents whose elements keep their
//! spans; `checks` judge them against the action database (`actions`). `Policies` is the
//! pipeline's detector; `rules` documents every check for the catalogue.

pub mod actions;
pub mod checks;
pub mod conditions;
pub mod eval;
pub mod extract;
pub mod model;

use crate::context::{BlobContext, Detector};
use crate::finding::{
    fingerprint, value_digest, Facts, Finding, Related, Remedy, Step, Suppression,
};
use crate::rule::{Family, RuleMeta};

/// The policy detector: files that do not look like IaC cost one name check.
#[derive(Clone, Copy, Debug, Default)]
pub struct Policies {
    /// Report policy documents nested anywhere in JSON data, not only in deployable IaC.
    pub anywhere: bool,
}

impl Detector for Policies {
    fn scan(&self, cx: &BlobContext, out: &mut Vec<Finding>) {
        // Every blob passes here: decide on the borrowed path before anything is allocated.
        let path = cx.origin().rel();
        if !extract::may_be_iac(path) {
            return;
        }
        let Ok(text) = std::str::from_utf8(cx.bytes()) else {
            return;
        };
        let extracted = match extract::extract(path, text, self.anywhere) {
            Ok(extracted) => extracted,
            Err(err) => {
                cx.unparsed(format!("{}: {err}", cx.origin().display()));
                out.push(unanalysed(
                    cx,
                    err.at().min(cx.bytes().len()),
                    &err.to_string(),
                ));
                return;
            }
        };
        if extracted.nested > 0 {
            cx.nested_policies(extracted.nested);
        }
        for (at, why) in &extracted.broken {
            let at = (*at).min(cx.bytes().len());
            let line = cx.location(at, at).line;
            cx.unparsed(format!("{}:{line}: {why}", cx.origin().display()));
            out.push(unanalysed(cx, at, why));
        }
        if extracted.docs.is_empty() && extracted.facts.is_empty() {
            return;
        }
        let today = &crate::time::now_rfc3339()[..10];
        let judged = checks::run(&extracted, today);
        let mut found: Vec<Finding> = judged
            .hits
            .into_iter()
            .map(|hit| finding(cx, hit))
            .collect();
        // One finding per check and place.
        found.sort_by(|a, b| (a.location.start, &a.rule_id).cmp(&(b.location.start, &b.rule_id)));
        found.dedup_by(|a, b| a.location.start == b.location.start && a.rule_id == b.rule_id);
        out.extend(found);
    }
}

/// A `policy.unanalysed` finding for a file (or the part of it at `at`) that did not parse.
fn unanalysed(cx: &BlobContext, at: usize, why: &str) -> Finding {
    let check = checks::unanalysed();
    finding(
        cx,
        checks::Hit {
            check,
            context: cx.origin().rel().to_string(),
            severity: check.severity,
            start: at,
            end: at,
            message: format!("{}: not analysed: {why}", cx.origin().rel()),
            related: Vec::new(),
            cleared_by: None,
        },
    )
}

fn finding(cx: &BlobContext, hit: checks::Hit) -> Finding {
    let bytes = cx.bytes();
    let end = hit.end.clamp(hit.start, bytes.len());
    let start = hit.start.min(end);
    let (line_start, line_end) = cx.line_around(start);
    let to = line_end.min(line_start + 200);
    let line = (line_start, line_end.min(to));
    let element = &bytes[start..end];
    // Identity: the check, the document it is in, and the element at fault with its
    // whitespace collapsed; not the message, so rewording a message or refreshing the action
    // database keeps every baselined or dismissed finding (v2). v1 hashed the message.
    let canonical: Vec<u8> = String::from_utf8_lossy(element)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .into_bytes();
    let digest = value_digest(&[
        b"v2",
        hit.check.id.as_bytes(),
        hit.context.as_bytes(),
        &canonical,
    ]);
    let legacy = value_digest(&[hit.check.id.as_bytes(), hit.message.as_bytes(), element]);
    Finding {
        rule_id: hit.check.id.to_string(),
        title: hit.check.title.to_string(),
        severity: hit.severity,
        fingerprint: fingerprint(hit.check.id, cx.origin().rel(), &digest),
        origin: cx.origin().clone(),
        location: cx.location(start, end),
        related: hit
            .related
            .iter()
            .map(|(start, end, role)| {
                let end = (*end).clamp(*start, bytes.len());
                let start = (*start).min(end);
                Related {
                    role: role.clone(),
                    location: cx.location(start, end),
                    redacted: cx.masked(start, end),
                }
            })
            .collect(),
        excerpt: cx.excerpt(line_start, to, line),
        redacted: cx.masked(start, end),
        value_digest: digest,
        legacy_digest: Some(legacy),
        facts: Facts::default(),
        message: hit.message,
        remedy: Remedy {
            summary: hit.check.remediation.to_string(),
            steps: vec![Step::new(
                "Generate a least-privilege policy from the workload's actual use with IAM Access Analyzer.",
                Some("aws accessanalyzer start-policy-generation --policy-generation-details principalArn=ROLE_ARN --cloud-trail-details file://trail.json".into()),
            )],
        },
        present_at_head: None,
        suppression: hit.cleared_by.map(|why| Suppression {
            kind: "inSource",
            status: "accepted",
            by: "condition",
            justification: Some(why),
        }),
    }
}

/// Every policy check as a rule, so that `keyrot rules`, `explain` and SARIF document them.
pub fn rules() -> Vec<RuleMeta> {
    checks::ALL
        .iter()
        .map(|c| RuleMeta {
            id: c.id.to_string(),
            title: c.title.to_string(),
            severity: c.severity,
            family: Family::Policy,
            cwe: Some(c.cwe),
            precision: "high".into(),
            description: first_sentence(c.rationale).to_string(),
            why: c.rationale.to_string(),
            remediation: c.remediation.to_string(),
            references: vec![
                "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html".into(),
            ],
            note: c.note.map(|page| page()),
            examples: c.fires.iter().map(|(_, text)| text.to_string()).collect(),
            negative_examples: c.quiet.iter().map(|(_, text)| text.to_string()).collect(),
        })
        .collect()
}

fn first_sentence(text: &str) -> &str {
    text.find(". ").map_or(text, |i| &text[..=i])
}

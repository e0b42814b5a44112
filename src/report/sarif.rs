//! SARIF 2.1.0 as GitHub code scanning accepts it: every rule once with its documentation,
//! results with 1-based regions relative to `%SRCROOT%`, related locations for paired
//! secrets, and content-based fingerprints under our own key.

use std::io::{self, Write};

use serde_json::{json, Value};

use crate::catalog::Catalog;
use crate::finding::{Finding, Location, Origin};
use crate::outcome::ScanOutcome;
use crate::rule::{Family, RuleMeta};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFORMATION_URI: &str = "https://github.com/keyrot/keyrot";
/// Our key in `partialFingerprints`; GitHub computes its own `primaryLocationLineHash`.
pub const FINGERPRINT_KEY: &str = "keyrotFingerprint/v1";

/// GitHub code scanning refuses a whole upload over this many results in a run.
pub const GITHUB_MAX_RESULTS: usize = 25_000;

pub struct SarifOptions<'a> {
    /// `automationDetails.id` prefix (`category/`), so two uploads do not clash.
    pub category: Option<&'a str>,
    /// At most this many results; past it the most severe are kept and the run says so.
    pub max_results: usize,
}

pub fn render(
    outcome: &ScanOutcome,
    rules: &Catalog,
    opts: &SarifOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut kept: Vec<&Finding> = outcome.findings.iter().collect();
    let left_out = kept.len().saturating_sub(opts.max_results);
    if left_out > 0 {
        // Stable: within a severity, the report's order stands.
        kept.sort_by_key(|f| std::cmp::Reverse(f.severity));
        kept.truncate(opts.max_results);
    }
    let results: Vec<Value> = kept.iter().map(|f| result(f, rules)).collect();
    let mut notifications: Vec<Value> = outcome
        .problems
        .iter()
        .map(|p| json!({"level": "warning", "message": {"text": p}}))
        .collect();
    if left_out > 0 {
        notifications.push(json!({"level": "warning", "message": {"text": format!(
            "{left_out} results left out: GitHub code scanning accepts at most {} per run; the most severe were kept",
            opts.max_results
        )}}));
    }
    let mut run = json!({
        "tool": {"driver": {
            "name": "keyrot",
            "version": env!("CARGO_PKG_VERSION"),
            "semanticVersion": env!("CARGO_PKG_VERSION"),
            "informationUri": INFORMATION_URI,
            "rules": rules.rules().iter().map(rule).collect::<Vec<_>>(),
        }},
        "columnKind": "utf16CodeUnits",
        "results": results,
        "invocations": [{
            "executionSuccessful": true,
            "toolExecutionNotifications": notifications,
        }],
    });
    if let Some(category) = opts.category {
        run["automationDetails"] = json!({"id": format!("{}/", category.trim_end_matches('/'))});
    }
    let doc = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [run],
    });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

fn rule(s: &RuleMeta) -> Value {
    let text = super::docs::help_text(s);
    let markdown = super::docs::help_markdown(s);
    let mut tags = vec!["security".to_string()];
    tags.push(
        match s.family {
            Family::Audit | Family::Policy => "iam",
            Family::Secret => "secret",
        }
        .to_string(),
    );
    if let Some(cwe) = s.cwe {
        tags.push(format!("external/cwe/cwe-{cwe}"));
    }
    json!({
        "id": s.id,
        "name": pascal(&s.id),
        "shortDescription": {"text": truncate(&s.title, 1024)},
        "fullDescription": {"text": truncate(&s.description, 1024)},
        "help": {"text": text, "markdown": markdown},
        "helpUri": format!("{INFORMATION_URI}/blob/main/docs/rules/{}", super::docs::page_name(s)),
        "defaultConfiguration": {"level": s.severity.sarif_level()},
        "properties": {
            "tags": tags,
            "precision": s.precision,
            "security-severity": s.severity.security_severity(),
        },
    })
}

fn result(f: &Finding, rules: &Catalog) -> Value {
    let mut message = f.message.trim_end_matches('.').to_string();
    message.push_str(". ");
    message.push_str(f.remedy.summary.trim_end_matches('.'));
    message.push('.');
    let mut properties = json!({
        "severity": f.severity.as_str(),
        "value": f.redacted,
        "remediation": f.remedy.steps.iter().map(|s| match &s.command {
            Some(c) => format!("{} `{c}`", s.text),
            None => s.text.clone(),
        }).collect::<Vec<_>>(),
    });
    if let Some(k) = &f.facts.key_id {
        properties["keyId"] = json!(k);
    }
    if let Some(a) = &f.facts.account_id {
        properties["accountId"] = json!(a);
    }
    if let Some(t) = f.facts.key_type {
        properties["keyType"] = json!(t);
    }
    if f.facts.canary {
        properties["canary"] = json!(true);
    }
    if let Some(commit) = super::json::commit_json(&f.origin) {
        properties["commit"] = commit;
    }
    if let Some(at_head) = f.present_at_head {
        properties["presentAtHead"] = json!(at_head);
    }
    let uri = f.origin.rel();
    let mut result = json!({
        "ruleId": f.rule_id,
        "level": f.severity.sarif_level(),
        "message": {"text": message},
        "locations": [location(f)],
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
        "properties": properties,
    });
    if let Some(index) = rules.index_of(&f.rule_id) {
        result["ruleIndex"] = json!(index);
    }
    if let Some(s) = &f.suppression {
        let mut suppression = json!({"kind": s.kind, "status": "accepted"});
        if let Some(why) = &s.justification {
            suppression["justification"] = json!(why);
        }
        result["suppressions"] = json!([suppression]);
    }
    if !f.related.is_empty() {
        result["relatedLocations"] = f
            .related
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let mut loc = physical(uri, &r.location, None);
                loc["id"] = json!(i + 1);
                loc["message"] = json!({"text": format!("{} ({})", r.role, r.redacted)});
                loc
            })
            .collect();
    }
    result
}

/// A file region, or for audit findings the IAM user as a logical location.
fn location(f: &Finding) -> Value {
    match &f.origin {
        Origin::Iam { account, user } => {
            let arn = if user == "<root_account>" {
                format!("arn:aws:iam::{account}:root")
            } else {
                format!("arn:aws:iam::{account}:user/{user}")
            };
            // GitHub code scanning needs a physical location on every result: a stable
            // pseudo-path per account and user, beside the logical one that names the ARN.
            let mut loc = physical(&format!("aws-iam/{account}/{user}"), &f.location, None);
            loc["logicalLocations"] =
                json!([{"name": user, "fullyQualifiedName": arn, "kind": "resource"}]);
            loc
        }
        _ => physical(f.origin.rel(), &f.location, Some(&f.excerpt)),
    }
}

fn physical(uri: &str, loc: &Location, snippet: Option<&str>) -> Value {
    let mut region = json!({
        "startLine": loc.line,
        "startColumn": loc.column,
        "endLine": loc.end_line,
        "endColumn": loc.end_column,
    });
    if let Some(text) = snippet {
        region["snippet"] = json!({"text": text});
    }
    json!({"physicalLocation": {
        "artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
        "region": region,
    }})
}

/// `aws.access-key-id` becomes `AwsAccessKeyId`.
fn pascal(id: &str) -> String {
    id.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            c.next().map_or(String::new(), |f| {
                f.to_ascii_uppercase().to_string() + c.as_str()
            })
        })
        .collect()
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        s.chars().take(max - 1).collect::<String>() + "…"
    }
}

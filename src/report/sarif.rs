//! SARIF 2.1.0 as GitHub code scanning accepts it: every rule once with its documentation,
//! results with 1-based regions relative to `%SRCROOT%`, related locations for paired
//! secrets, and content-based fingerprints under our own key. Built from `serde-sarif`'s typed
//! structs, generated from the 2.1.0 schema.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde_json::{json, Value};
use serde_sarif::sarif;

use super::model::{Report, ReportFinding};
use crate::catalog::Catalog;
use crate::finding::Location;
use crate::rule::{Family, RuleMeta};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFORMATION_URI: &str = "https://github.com/keyrot/keyrot";
/// Our keys in `partialFingerprints`; GitHub computes its own `primaryLocationLineHash`. v2
/// identifies policy findings without their message; v1 is kept so that alerts raised before
/// still match.
pub const FINGERPRINT_KEY: &str = "keyrotFingerprint/v2";
pub const FINGERPRINT_KEY_V1: &str = "keyrotFingerprint/v1";

/// GitHub code scanning refuses a whole upload over this many results in a run.
pub const GITHUB_MAX_RESULTS: usize = crate::limits::DEFAULT.sarif_results;

pub struct SarifOptions<'a> {
    /// `automationDetails.id` prefix (`category/`), so two uploads do not clash.
    pub category: Option<&'a str>,
    /// At most this many results; past it the most severe are kept and the run says so.
    pub max_results: usize,
}

pub fn render(
    report: &Report,
    rules: &Catalog,
    opts: &SarifOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    write(vec![run(report, rules, opts)], out)
}

/// A SARIF document of these runs (`keyrot report` writes one run per scan merged).
pub fn write(runs: Vec<sarif::Run>, out: &mut dyn Write) -> io::Result<()> {
    let doc = sarif::Sarif::builder()
        .schema(SCHEMA)
        .version(json!("2.1.0"))
        .runs(runs)
        .build();
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

/// One scan's run: every rule, its results (at most `max_results`), its notifications.
pub fn run(report: &Report, rules: &Catalog, opts: &SarifOptions) -> sarif::Run {
    let summary = &report.summary;
    let mut kept: Vec<&ReportFinding> = report.findings.iter().collect();
    let left_out = kept.len().saturating_sub(opts.max_results);
    if left_out > 0 {
        // Stable: within a severity, the report's order stands.
        kept.sort_by_key(|f| std::cmp::Reverse(f.severity));
        kept.truncate(opts.max_results);
    }
    let results: Vec<sarif::Result> = kept.iter().map(|f| result(f, rules)).collect();
    let mut notifications: Vec<sarif::Notification> = summary
        .errors
        .iter()
        .map(|p| notification(p.clone(), "warning"))
        .chain(
            summary
                .notes
                .iter()
                .map(|n| notification(n.clone(), "note")),
        )
        .collect();
    if left_out > 0 {
        notifications.push(notification(
            format!(
                "{left_out} results left out: GitHub code scanning accepts at most {} per run; the most severe were kept",
                opts.max_results
            ),
            "warning",
        ));
    }
    let driver = sarif::ToolComponent::builder()
        .name("keyrot")
        .version(env!("CARGO_PKG_VERSION"))
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .information_uri(INFORMATION_URI)
        .rules(rules.rules().iter().map(rule).collect::<Vec<_>>())
        .build();
    let invocation = sarif::Invocation::builder()
        // A run that could not read all it was asked to did not succeed.
        .execution_successful(!summary.incomplete)
        .tool_execution_notifications(notifications)
        .build();
    let automation = opts.category.map(|category| sarif::RunAutomationDetails {
        id: Some(format!("{}/", category.trim_end_matches('/'))),
        ..Default::default()
    });
    let run = sarif::Run::builder()
        .tool(sarif::Tool::builder().driver(driver).build())
        .column_kind(json!("utf16CodeUnits"))
        .results(results)
        .invocations(vec![invocation])
        .properties(properties(
            Vec::new(),
            BTreeMap::from([
                (
                    "suppressionsAddedByChange".to_string(),
                    json!(summary.added_suppressions),
                ),
                ("incomplete".to_string(), json!(summary.incomplete)),
            ]),
        ));
    match automation {
        Some(details) => run.automation_details(details).build(),
        None => run.build(),
    }
}

fn notification(text: String, level: &str) -> sarif::Notification {
    sarif::Notification::builder()
        .level(json!(level))
        .message(message(text))
        .build()
}

fn message(text: String) -> sarif::Message {
    sarif::Message {
        text: Some(text),
        ..Default::default()
    }
}

/// A property bag with these tags and these properties.
fn properties(tags: Vec<String>, values: BTreeMap<String, Value>) -> sarif::PropertyBag {
    sarif::PropertyBag {
        tags: (!tags.is_empty()).then_some(tags),
        additional_properties: values,
    }
}

fn rule(s: &RuleMeta) -> sarif::ReportingDescriptor {
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
    let plain = |text: String| {
        sarif::MultiformatMessageString::builder()
            .text(text)
            .build()
    };
    sarif::ReportingDescriptor::builder()
        .id(s.id.clone())
        .name(pascal(&s.id))
        .short_description(plain(truncate(&s.title, 1024)))
        .full_description(plain(truncate(&s.description, 1024)))
        .help(
            sarif::MultiformatMessageString::builder()
                .text(text)
                .markdown(markdown)
                .build(),
        )
        .help_uri(format!(
            "{INFORMATION_URI}/blob/main/docs/rules/{}",
            super::docs::page_name(s)
        ))
        .default_configuration(sarif::ReportingConfiguration {
            level: Some(json!(s.severity.sarif_level())),
            ..Default::default()
        })
        .properties(properties(
            tags,
            BTreeMap::from([
                ("precision".to_string(), json!(s.precision)),
                (
                    "security-severity".to_string(),
                    json!(s.severity.security_severity()),
                ),
            ]),
        ))
        .build()
}

fn result(f: &ReportFinding, rules: &Catalog) -> sarif::Result {
    let mut text = match &f.member {
        Some(member) => format!("In `{member}` (line {}): ", f.location.line),
        None => String::new(),
    };
    text.push_str(f.message.trim_end_matches('.'));
    text.push_str(". ");
    text.push_str(f.remedy.summary.trim_end_matches('.'));
    text.push('.');
    let mut values = BTreeMap::from([
        ("severity".to_string(), json!(f.severity.as_str())),
        ("value".to_string(), json!(f.value)),
        (
            "remediation".to_string(),
            json!(f
                .remedy
                .steps
                .iter()
                .map(|s| match &s.command {
                    Some(c) => format!("{} `{c}`", s.text),
                    None => s.text.clone(),
                })
                .collect::<Vec<_>>()),
        ),
    ]);
    if let Some(k) = &f.facts.key_id {
        values.insert("keyId".into(), json!(k));
    }
    if let Some(a) = &f.facts.account_id {
        values.insert("accountId".into(), json!(a));
    }
    if let Some(t) = f.facts.key_type {
        values.insert("keyType".into(), json!(t));
    }
    if f.facts.canary {
        values.insert("canary".into(), json!(true));
    }
    if let Some(commit) = &f.commit {
        values.insert("commit".into(), json!(commit));
    }
    if let Some(at_head) = f.present_at_head {
        values.insert("presentAtHead".into(), json!(at_head));
    }
    let level = match f.severity.sarif_level() {
        "error" => sarif::ResultLevel::Error,
        "warning" => sarif::ResultLevel::Warning,
        _ => sarif::ResultLevel::Note,
    };
    // A member's related places are in the member, not the archive: its logical place says so.
    let related: Vec<sarif::Location> = f
        .related
        .iter()
        .enumerate()
        .map(|(i, r)| sarif::Location {
            id: Some(i as i64 + 1),
            message: Some(message(format!("{} ({})", r.role, r.redacted))),
            ..physical(&artifact(f), &r.location, None)
        })
        .collect();
    let suppressions: Vec<sarif::Suppression> = f
        .suppression
        .iter()
        .map(|s| {
            let builder = sarif::Suppression::builder()
                .kind(json!(s.kind))
                .status(json!(s.status));
            match &s.justification {
                Some(why) => builder.justification(why.clone()).build(),
                None => builder.build(),
            }
        })
        .collect();
    sarif::Result {
        rule_id: Some(f.rule_id.clone()),
        rule_index: rules.index_of(&f.rule_id).map(|i| i as i64),
        level: Some(level),
        message: message(text),
        locations: Some(vec![location(f)]),
        partial_fingerprints: Some(BTreeMap::from([
            (FINGERPRINT_KEY.to_string(), f.fingerprint.clone()),
            (
                FINGERPRINT_KEY_V1.to_string(),
                f.legacy_fingerprint
                    .clone()
                    .unwrap_or_else(|| f.fingerprint.clone()),
            ),
        ])),
        properties: Some(properties(Vec::new(), values)),
        suppressions: (!suppressions.is_empty()).then_some(suppressions),
        related_locations: (!related.is_empty()).then_some(related),
        // `Result` has no `Default` (its message is required): the rest from an empty one.
        ..sarif::Result::builder()
            .message(message(String::new()))
            .build()
    }
}

/// The artifact a finding's regions are in: its file, or the whole `archive!member` path for
/// a member's related places, or an IAM user's stable pseudo-path.
fn artifact(f: &ReportFinding) -> String {
    match (&f.aws, &f.member) {
        (Some(aws), _) if aws.user.is_some() => {
            format!(
                "aws-iam/{}/{}",
                aws.account,
                aws.user.as_deref().unwrap_or("")
            )
        }
        (_, Some(member)) => format!("{}!{member}", f.uri),
        _ => f.uri.clone(),
    }
}

/// A file region, or for audit findings the IAM user as a logical location.
fn location(f: &ReportFinding) -> sarif::Location {
    let logical = |name: String, fqn: String, kind: &str| {
        Some(vec![sarif::LogicalLocation {
            name: Some(name),
            fully_qualified_name: Some(fqn),
            kind: Some(kind.into()),
            ..Default::default()
        }])
    };
    match (&f.aws, &f.member) {
        (Some(aws), _) => {
            let name = match &aws.user {
                Some(user) => user.clone(),
                None => aws
                    .arn
                    .rsplit(['/', ':'])
                    .next()
                    .unwrap_or(&aws.arn)
                    .to_string(),
            };
            // GitHub code scanning needs a physical location on every result: for a user, a
            // stable pseudo-path per account and user, beside the logical one that names the
            // ARN; a live policy document has its own pseudo-path and lines.
            let snippet = aws.user.is_none().then_some(f.excerpt.as_str());
            sarif::Location {
                logical_locations: logical(name, aws.arn.clone(), "resource"),
                ..physical(&artifact(f), &f.location, snippet)
            }
        }
        (None, Some(member)) => {
            // The archive is the artifact; the member is a logical place inside it. Its lines
            // are not the archive's: the region is the archive's start (GitHub requires one).
            let start = Location {
                start: 0,
                end: 0,
                line: 1,
                column: 1,
                end_line: 1,
                end_column: 1,
            };
            sarif::Location {
                logical_locations: logical(
                    member.rsplit('!').next().unwrap_or(member).to_string(),
                    format!("{}!{member}", f.uri),
                    "member",
                ),
                ..physical(&f.uri, &start, None)
            }
        }
        (None, None) => physical(&f.uri, &f.location, Some(&f.excerpt)),
    }
}

fn physical(uri: &str, loc: &Location, snippet: Option<&str>) -> sarif::Location {
    let region = sarif::Region {
        start_line: Some(loc.line as i64),
        start_column: Some(loc.column as i64),
        end_line: Some(loc.end_line as i64),
        end_column: Some(loc.end_column as i64),
        snippet: snippet.map(|text| sarif::ArtifactContent {
            text: Some(text.to_string()),
            ..Default::default()
        }),
        ..Default::default()
    };
    sarif::Location {
        physical_location: Some(sarif::PhysicalLocation {
            artifact_location: Some(sarif::ArtifactLocation {
                uri: Some(super::uri_reference(uri)),
                uri_base_id: Some("%SRCROOT%".into()),
                ..Default::default()
            }),
            region: Some(region),
            ..Default::default()
        }),
        ..Default::default()
    }
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

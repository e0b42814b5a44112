//! The IAM policy checks. Each file is a declaration (id, title, severity, CWE, rationale,
//! remediation, examples that must fire and examples that must stay quiet, and the scope it
//! judges) plus one predicate; `checks!` registers it. The driver here applies the shared
//! guards (document kind, `Allow`, statements that `Action: "*"` checks already speak for) and
//! weighs restricting conditions, so a predicate says only what is wrong.

use std::collections::BTreeSet;

use super::conditions::{self, Audience};
use super::eval::{self, Principals};
pub use super::eval::{broad_resource, Expanded};
use super::extract::{Extracted, IacFact};
use super::model::{DocKind, PolicyDoc, Statement};
use crate::rule::Severity;

/// Declares the check modules and `ALL`, in the order their findings are listed: adding a
/// check is one file and one name here.
macro_rules! checks {
    ($($name:ident),* $(,)?) => {
        $(mod $name;)*
        /// Every check.
        pub static ALL: &[&Check] = &[$(&$name::CHECK),*];
    };
}

checks! {
    full_admin,
    action_wildcard,
    service_wildcard,
    resource_wildcard,
    allow_not,
    privilege_escalation,
    credentials_exposure,
    data_exfiltration,
    trust_any_principal,
    trust_account_root,
    trust_github_oidc,
    resource_public,
    service_principal,
    lambda_public,
    long_lived_key,
    user_policy,
    managed_admin,
    malformed,
    unanalysed,
}

/// What a check file declares.
pub struct Check {
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    pub cwe: u32,
    /// What it finds and why it matters.
    pub rationale: &'static str,
    pub remediation: &'static str,
    /// Files (name, content) on which the check must fire.
    pub fires: &'static [(&'static str, &'static str)],
    /// Files on which it must stay quiet.
    pub quiet: &'static [(&'static str, &'static str)],
    pub scope: Scope,
    /// More for its documentation page (a catalogue it reads, say).
    pub note: Option<fn() -> String>,
}

/// What a check judges, and its predicate.
pub enum Scope {
    /// `Allow` statements of documents of these kinds (every kind when empty).
    Allow {
        kinds: &'static [DocKind],
        /// Statements with `Action: "*"` (or as wide) are left to the checks of `*`.
        skip_everything: bool,
        conditions: Conditions,
        /// The document, the statement, and all of the document's statements.
        predicate: fn(&PolicyDoc, &Expanded, &[Expanded], &mut Vec<Raw>),
    },
    /// Whole documents, every statement whatever its effect.
    Document(fn(&PolicyDoc, &[Expanded], &mut Vec<Raw>)),
    /// What identity documents grant together: each document alone, then each principal's
    /// documents together for what no single one of them grants.
    Grants(fn(&Grants, &mut Vec<Raw>)),
    /// Facts the IaC declares that are not policies.
    Fact(fn(&IacFact, &mut Vec<Raw>)),
}

/// How restricting conditions count for a statement check.
pub enum Conditions {
    /// A narrowing condition lowers the severity one step; the message says which.
    Lower,
    /// A narrowing condition (on one of `keys`, or on any key when `None`) makes the statement
    /// no finding: it is kept as suppressed, justified by the condition.
    Clear {
        keys: Option<&'static [&'static str]>,
        audience: Audience,
    },
    /// The predicate weighs the conditions itself.
    Own,
}

/// Identity statements evaluated together: one document's, or all a principal's.
pub struct Grants<'a> {
    /// (document, statement) pairs, in file order.
    pub statements: Vec<(&'a PolicyDoc, &'a Expanded<'a>)>,
}

/// What a predicate found, before the driver weighs conditions and names the document.
pub struct Raw {
    pub severity: Severity,
    pub at: (usize, usize),
    pub message: String,
    /// Other places that make the finding: (start, end, what it is).
    pub related: Vec<(usize, usize, String)>,
    /// The fix for this finding when it is narrower than the check's own remediation.
    pub remedy: Option<String>,
}

/// What a check found: where, how bad, and what it weighed.
pub struct Hit {
    pub check: &'static Check,
    /// Where the document was declared (`aws_iam_role.app (inline_policy)`).
    pub context: String,
    pub severity: Severity,
    pub start: usize,
    pub end: usize,
    pub message: String,
    pub related: Vec<(usize, usize, String)>,
    /// The fix for this finding, when narrower than the check's remediation.
    pub remedy: Option<String>,
    /// The condition that makes this no finding (`StringEquals aws:PrincipalOrgID`): the hit is
    /// kept as a suppressed finding, counted and shown with `--show-suppressed`.
    pub cleared_by: Option<String>,
}

/// What the checks of one file gave.
#[derive(Default)]
pub struct Judged {
    pub hits: Vec<Hit>,
}

/// The severity of a `policy.unanalysed` finding where a budget stopped the reading: what it
/// kept from view may be `Action: "*"` on `"*"`.
pub const HIDDEN_SEVERITY: Severity = Severity::High;

/// The unanalysed check, for files that do not parse at all.
pub fn unanalysed() -> &'static Check {
    &unanalysed::CHECK
}

/// What check files use.
mod prelude {
    pub(super) use super::{
        broad_resource, list, raw, star_resource, Check, Conditions, Expanded, Grants, Raw, Scope,
    };
    pub(super) use crate::policy::conditions::Audience;
    pub(super) use crate::policy::extract::{FactKind, IacFact};
    pub(super) use crate::policy::model::{DocKind, PolicyDoc};
    pub(super) use crate::rule::Severity;
}

/// Runs every check on what a file declared. `today` (`YYYY-MM-DD`) dates conditions.
pub fn run(extracted: &Extracted, today: &str) -> Judged {
    let reach = eval::principals(extracted);
    let evaluated = eval::evaluate(extracted, &reach, today);
    let mut out = Judged::default();
    let mut raws = Vec::new();
    for (doc, expanded) in extracted.docs.iter().zip(&evaluated) {
        for check in ALL {
            match &check.scope {
                Scope::Allow {
                    kinds,
                    skip_everything,
                    conditions,
                    predicate,
                } => {
                    if !kinds.is_empty() && !kinds.contains(&doc.kind) {
                        continue;
                    }
                    for st in expanded {
                        let s = st.statement;
                        if !s.allows()
                            || st.dead.is_some()
                            || st.duplicate_of.is_some()
                            || (*skip_everything && st.is_everything())
                        {
                            continue;
                        }
                        predicate(doc, st, expanded, &mut raws);
                        if raws.is_empty() {
                            continue;
                        }
                        // What narrows the statement: counted once for all its findings.
                        let (cleared, lowered) = match conditions {
                            Conditions::Clear { keys, audience } => (
                                restriction(st, expanded, *keys, *audience)
                                    .map(|r| format!("cleared by {r}")),
                                None,
                            ),
                            Conditions::Lower => {
                                (None, restriction(st, expanded, None, Audience::Attached))
                            }
                            Conditions::Own => (None, None),
                        };
                        for mut r in raws.drain(..) {
                            if let Some(by) = &lowered {
                                r.severity = r.severity.lower();
                                r.message = format!("{} (lowered: restricted by {by})", r.message);
                            }
                            r.related.extend(repeats(expanded, st));
                            if let Some(branch) = &s.branch {
                                r.message = format!("{} (in {branch})", r.message);
                            }
                            let mut found = hit(check, &doc.context, r);
                            found.cleared_by = cleared.clone();
                            out.hits.push(found);
                        }
                    }
                }
                Scope::Document(predicate) => {
                    predicate(doc, expanded, &mut raws);
                    for r in raws.drain(..) {
                        out.hits.push(hit(check, &doc.context, r));
                    }
                }
                Scope::Grants(_) | Scope::Fact(_) => {}
            }
        }
    }
    grants(extracted, &evaluated, &reach, &mut out.hits);
    assume_chains(extracted, &evaluated, &reach, &mut out.hits);
    for fact in &extracted.facts {
        for check in ALL {
            if let Scope::Fact(predicate) = &check.scope {
                predicate(fact, &mut raws);
                for r in raws.drain(..) {
                    out.hits.push(hit(check, &fact.context, r));
                }
            }
        }
    }
    out
}

/// The grant checks: each identity document alone, then each principal's documents together,
/// reporting there only what no single document already gave.
fn grants(
    extracted: &Extracted,
    evaluated: &[Vec<Expanded>],
    reach: &Principals,
    out: &mut Vec<Hit>,
) {
    let identity = |d: usize| extracted.docs[d].kind == DocKind::Identity;
    for check in ALL {
        let Scope::Grants(predicate) = &check.scope else {
            continue;
        };
        let mut alone: BTreeSet<(usize, usize)> = BTreeSet::new();
        let mut raws = Vec::new();
        for (d, doc) in extracted
            .docs
            .iter()
            .enumerate()
            .filter(|(d, _)| identity(*d))
        {
            let grants = Grants {
                statements: evaluated[d].iter().map(|e| (doc, e)).collect(),
            };
            predicate(&grants, &mut raws);
            for r in raws.drain(..) {
                alone.insert(r.at);
                out.push(hit(check, &doc.context, r));
            }
        }
        for (principal, docs) in reach {
            let docs: Vec<usize> = docs.iter().copied().filter(|d| identity(*d)).collect();
            if docs.len() < 2 {
                continue;
            }
            let grants = Grants {
                statements: docs
                    .iter()
                    .flat_map(|&d| evaluated[d].iter().map(move |e| (&extracted.docs[d], e)))
                    .collect(),
            };
            predicate(&grants, &mut raws);
            for r in raws.drain(..) {
                // Only what needs several documents: the rest was reported at its document.
                if r.related.is_empty() || alone.contains(&r.at) {
                    continue;
                }
                let names: Vec<&str> = docs
                    .iter()
                    .map(|&d| extracted.docs[d].context.as_str())
                    .collect();
                let context = format!("{principal} (through {})", names.join(", "));
                out.push(hit(check, &context, r));
            }
        }
    }
}

/// `sts:AssumeRole` on every role, judged by the roles of the same IaC it can reach: a role
/// whose trust policy lets in an IAM principal of an account (a user or role it names, the
/// account, anyone) and whose own policies escalate makes the grant that escalation, reported
/// at the assuming statement with the role's policies related. The resource-wildcard finding
/// for `sts:AssumeRole` alone there gives way to it.
fn assume_chains(
    extracted: &Extracted,
    evaluated: &[Vec<Expanded>],
    reach: &Principals,
    out: &mut Vec<Hit>,
) {
    // Roles assumable by an IAM principal: (role address, trust document).
    let assumable: Vec<(String, &PolicyDoc)> = extracted
        .docs
        .iter()
        .filter(|d| d.kind == DocKind::Trust)
        .filter(|d| {
            d.statements.iter().any(|s| {
                s.allows()
                    && s.principals
                        .iter()
                        .any(|p| p.kind == "AWS" || p.kind == "*")
            })
        })
        .filter_map(|d| Some((d.context.split(" (").next()?.to_string(), d)))
        .collect();
    if assumable.is_empty() {
        return;
    }
    let identity = |d: usize| extracted.docs[d].kind == DocKind::Identity;
    // What each assumable role escalates to, through its own policies.
    let mut escalating = Vec::new();
    for (role, trust) in &assumable {
        let Some(docs) = reach.get(role) else {
            continue;
        };
        let grants = Grants {
            statements: docs
                .iter()
                .copied()
                .filter(|&d| identity(d))
                .flat_map(|d| evaluated[d].iter().map(move |e| (&extracted.docs[d], e)))
                .collect(),
        };
        if let Some((severity, paths)) = privilege_escalation::escalates(&grants) {
            escalating.push((role.as_str(), *trust, severity, paths));
        }
    }
    if escalating.is_empty() {
        return;
    }
    for (doc, expanded) in extracted.docs.iter().zip(evaluated) {
        if doc.kind != DocKind::Identity {
            continue;
        }
        for st in expanded {
            let s = st.statement;
            if !s.allows() || st.dead.is_some() || st.is_everything() || !broad_resource(s) {
                continue;
            }
            let Some(assume) = st.allows_any(&["sts:AssumeRole"]) else {
                continue;
            };
            // A role does not reach itself through its own grant.
            let others: Vec<_> = escalating
                .iter()
                .filter(|(role, ..)| !doc.attached_to.iter().any(|a| a == role))
                .collect();
            let Some(severity) = others.iter().map(|(_, _, sev, _)| *sev).max() else {
                continue;
            };
            let names: Vec<String> = others
                .iter()
                .map(|(role, _, _, paths)| {
                    let shown: Vec<&str> = paths.iter().take(2).map(String::as_str).collect();
                    format!("{role}, which can escalate: {}", list(&shown, 2))
                        + &match paths.len().saturating_sub(2) {
                            0 => String::new(),
                            more => format!(" and {more} more"),
                        }
                })
                .collect();
            let raw = Raw {
                severity,
                at: st.at(assume),
                message: format!("{assume} on every role reaches {}", names.join("; and ")),
                related: others
                    .iter()
                    .map(|(role, trust, ..)| {
                        (trust.start, trust.start + 1, format!("{role}'s trust policy lets IAM principals assume it"))
                    })
                    .collect(),
                remedy: Some(format!(
                    "Scope `{assume}` to the ARNs of the roles this principal is meant to assume, and narrow the trust policies of {} to the principals that need them.",
                    others.iter().map(|(role, ..)| format!("`{role}`")).collect::<Vec<_>>().join(", ")
                )),
            };
            // The generic finding for this statement gives way when sts:AssumeRole was all of it.
            if resource_wildcard::unjudged(doc, st, expanded) == [assume] {
                let at = star_resource(s);
                out.retain(|h| {
                    !(std::ptr::eq(h.check, &resource_wildcard::CHECK) && (h.start, h.end) == at)
                });
            }
            out.push(hit(&privilege_escalation::CHECK, &doc.context, raw));
        }
    }
}

/// Later statements of the document identical to `st`, as related places.
fn repeats(expanded: &[Expanded], st: &Expanded) -> Vec<(usize, usize, String)> {
    let Some(me) = expanded.iter().position(|e| std::ptr::eq(e, st)) else {
        return Vec::new();
    };
    expanded
        .iter()
        .filter(|e| e.duplicate_of == Some(me))
        .map(|e| {
            (
                e.statement.start,
                e.statement.end,
                "the same statement again".to_string(),
            )
        })
        .collect()
}

/// What narrows a statement, for messages: one of its own conditions (on one of `keys`, or
/// any), or a `Deny` of the same document that allows it only under a restricting condition.
fn restriction(
    st: &Expanded,
    document: &[Expanded],
    keys: Option<&[&str]>,
    audience: Audience,
) -> Option<String> {
    let counts =
        |key: &str| keys.is_none_or(|keys| keys.iter().any(|k| k.eq_ignore_ascii_case(key)));
    let s = st.statement;
    if let Some(c) = s
        .conditions
        .iter()
        .find(|c| counts(&c.key) && conditions::narrows(c, audience))
    {
        return Some(format!("condition {}", conditions::describe(c)));
    }
    let all = document.iter().map(|e| e.statement);
    let c = conditions::denied_unless(s, &st.granted, all, audience)?;
    counts(&c.key).then(|| format!("a Deny unless {}", conditions::describe(&c)))
}

/// A predicate's find as a finding of `check` in the document or principal `context`.
fn hit(check: &'static Check, context: &str, r: Raw) -> Hit {
    Hit {
        check,
        context: context.to_string(),
        severity: r.severity,
        start: r.at.0,
        end: r.at.1,
        message: format!("{context}: {}", r.message),
        related: r.related,
        remedy: r.remedy,
        cleared_by: None,
    }
}

pub fn raw(severity: Severity, at: (usize, usize), message: String) -> Raw {
    Raw {
        severity,
        at,
        message,
        related: Vec::new(),
        remedy: None,
    }
}

/// The first `Resource` element that is `*`, or the statement itself.
pub fn star_resource(st: &Statement) -> (usize, usize) {
    st.resources
        .iter()
        .find(|r| r.is("*"))
        .map_or((st.start, st.end), |r| (r.start, r.end))
}

/// `a, b, c and 4 more`.
pub fn list(names: &[&str], max: usize) -> String {
    let shown: Vec<&str> = names.iter().take(max).copied().collect();
    match names.len().saturating_sub(max) {
        0 => shown.join(", "),
        more => format!("{} and {more} more", shown.join(", ")),
    }
}

/// For checks of particular actions allowed on every resource: one finding at the first
/// element that grants one of `names`, listing all of them.
pub fn on_every_resource(st: &Expanded, severity: Severity, names: &[&str], out: &mut Vec<Raw>) {
    let found: Vec<&str> = names.iter().filter_map(|n| st.allows_any(&[n])).collect();
    if let Some(first) = found.first() {
        out.push(raw(
            severity,
            st.at(first),
            format!("{} on every resource", list(&found, 4)),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fires(check: &Check, name: &str, text: &str) -> bool {
        !severities(name, text, check.id).is_empty()
    }

    #[test]
    fn every_check_fires_on_its_examples_and_stays_quiet_on_its_counter_examples() {
        let mut problems = Vec::new();
        for check in ALL {
            if check.fires.is_empty() || check.quiet.is_empty() {
                problems.push(format!(
                    "{}: needs examples that fire and that stay quiet",
                    check.id
                ));
            }
            for (name, text) in check.fires {
                if !fires(check, name, text) {
                    problems.push(format!("{}: does not fire on {name}:\n{text}", check.id));
                }
            }
            for (name, text) in check.quiet {
                if fires(check, name, text) {
                    problems.push(format!("{}: fires on quiet {name}:\n{text}", check.id));
                }
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    /// The severities of `id`'s uncleared findings on one example file.
    fn severities(name: &str, text: &str, id: &str) -> Vec<Severity> {
        let extracted = crate::policy::extract::extract(name, text, false, &Default::default())
            .unwrap_or_else(|e| panic!("{id}: example {name} does not parse: {e}"));
        run(&extracted, "2026-11-30")
            .hits
            .iter()
            .filter(|h| h.check.id == id && h.cleared_by.is_none())
            .map(|h| h.severity)
            .collect()
    }

    #[test]
    fn a_resource_known_to_be_one_arn_is_scoped() {
        let template = |resource: &str| {
            format!("Resources:\n  Jobs:\n    Type: AWS::SQS::Queue\n  Worker:\n    Type: AWS::IAM::Role\n    Properties:\n      Policies:\n        - PolicyName: q\n          PolicyDocument:\n            Statement:\n              - Effect: Allow\n                Action: sqs:*\n                Resource: {resource}\n")
        };
        let id = "policy.service-wildcard";
        assert_eq!(
            severities("t.yaml", &template("!GetAtt Jobs.Arn"), id),
            [Severity::Low]
        );
        assert_eq!(
            severities("t.yaml", &template("'*'"), id),
            [Severity::Medium]
        );
        // `!Ref` of a parameter may be anything.
        assert_eq!(
            severities("t.yaml", &template("!Ref QueueArn"), id),
            [Severity::Medium]
        );
        let tf = |resource: &str| {
            format!("resource \"aws_iam_role_policy\" \"p\" {{\n  role = \"r\"\n  policy = jsonencode({{ Statement = [{{ Effect = \"Allow\", Action = \"sqs:*\", Resource = {resource} }}] }})\n}}\n")
        };
        assert_eq!(
            severities("p.tf", &tf("aws_sqs_queue.jobs.arn"), id),
            [Severity::Low]
        );
        let module = tf("\"${module.queue.queue_arn}\"");
        assert_eq!(severities("p.tf", &module, id), [Severity::Low]);
        let variable = tf("\"${var.queue_arn}\"");
        assert_eq!(severities("p.tf", &variable, id), [Severity::Medium]);
        assert_eq!(
            severities("p.tf", &tf("var.queue_arn"), id),
            [Severity::Medium]
        );
    }

    #[test]
    fn public_reads_of_data_are_high_and_of_metadata_medium() {
        let doc = |action: &str| {
            format!(
                r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Principal": "*", "Action": "{action}", "Resource": "arn:aws:s3:::site/*"}}]}}"#
            )
        };
        let id = "policy.resource-public";
        assert_eq!(
            severities("b.json", &doc("s3:GetObject"), id),
            [Severity::High]
        );
        assert_eq!(
            severities("b.json", &doc("s3:GetObjectTagging"), id),
            [Severity::Medium]
        );
    }

    #[test]
    fn ids_are_unique_and_documented() {
        let mut ids: Vec<&str> = ALL.iter().map(|c| c.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), ALL.len());
        for c in ALL {
            assert!(
                c.id.starts_with("policy.") && !c.rationale.is_empty() && !c.remediation.is_empty()
            );
        }
    }
}

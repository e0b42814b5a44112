//! The IAM policy checks: one file each, each with its id, title, severity, rationale and
//! remediation next to its code, registered in `ALL`.

mod action_wildcard;
mod allow_not;
mod credentials_exposure;
mod data_exfiltration;
mod full_admin;
mod lambda_public;
mod long_lived_key;
mod malformed;
mod managed_admin;
mod privilege_escalation;
mod resource_public;
mod resource_wildcard;
mod service_principal;
mod service_wildcard;
mod trust_account_root;
mod trust_any_principal;
mod trust_github_oidc;
mod user_policy;

use super::actions::{db, Action, Expansion};
use super::extract::IacFact;
use super::model::{PolicyDoc, Spanned, Statement};
use crate::finding::Severity;

/// A check's documentation, kept beside its code.
pub struct CheckInfo {
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    pub cwe: u32,
    /// What it finds and why it matters.
    pub rationale: &'static str,
    pub remediation: &'static str,
}

/// One thing a check found: where, how bad, and what it weighed.
pub struct Hit {
    pub check: &'static CheckInfo,
    pub severity: Severity,
    pub start: usize,
    pub end: usize,
    pub message: String,
}

/// A statement with its actions expanded once against the action database.
pub struct Expanded<'a> {
    pub statement: &'a Statement,
    /// Every action the statement's `Action` elements stand for.
    pub actions: Vec<&'static Action>,
}

impl Expanded<'_> {
    /// `Action: "*"`: the full-admin and action-wildcard checks speak for it, so the checks of
    /// particular actions stay quiet rather than repeat them.
    pub fn is_everything(&self) -> bool {
        self.statement
            .actions
            .iter()
            .any(|a| a.is("*") || a.is("*:*"))
    }

    pub fn allows_any(&self, names: &[&str]) -> Option<&'static Action> {
        self.actions
            .iter()
            .copied()
            .find(|a| names.iter().any(|n| a.name.eq_ignore_ascii_case(n)))
    }

    /// The first `Action` element that is `*` or `service:*`-like for this action.
    pub fn element_for(&self, action: &str) -> Option<&Spanned> {
        let db = db();
        self.statement.actions.iter().find(|e| {
            e.text.as_deref().is_some_and(|t| match db.expand(t) {
                Expansion::Actions(list) => {
                    list.iter().any(|a| a.name.eq_ignore_ascii_case(action))
                }
                _ => false,
            })
        })
    }
}

pub trait Check: Sync {
    fn info(&self) -> &'static CheckInfo;
    fn statement(&self, _doc: &PolicyDoc, _st: &Expanded, _out: &mut Vec<Hit>) {}
    fn document(&self, _doc: &PolicyDoc, _out: &mut Vec<Hit>) {}
    fn fact(&self, _fact: &IacFact, _out: &mut Vec<Hit>) {}
}

/// Every check, in the order their findings are listed.
pub static ALL: &[&dyn Check] = &[
    &full_admin::Check,
    &action_wildcard::Check,
    &service_wildcard::Check,
    &resource_wildcard::Check,
    &allow_not::Check,
    &privilege_escalation::Check,
    &credentials_exposure::Check,
    &data_exfiltration::Check,
    &trust_any_principal::Check,
    &trust_account_root::Check,
    &trust_github_oidc::Check,
    &resource_public::Check,
    &service_principal::Check,
    &lambda_public::Check,
    &long_lived_key::Check,
    &user_policy::Check,
    &managed_admin::Check,
    &malformed::Check,
];

/// Runs every check on what a file declared.
pub fn run(extracted: &super::extract::Extracted) -> Vec<Hit> {
    let mut out = Vec::new();
    for doc in &extracted.docs {
        let expanded: Vec<Expanded> = doc.statements.iter().map(expand).collect();
        for check in ALL {
            check.document(doc, &mut out);
            for st in &expanded {
                check.statement(doc, st, &mut out);
            }
        }
    }
    for fact in &extracted.facts {
        for check in ALL {
            check.fact(fact, &mut out);
        }
    }
    out
}

fn expand(statement: &Statement) -> Expanded<'_> {
    let db = db();
    let mut actions: Vec<&'static Action> = Vec::new();
    for element in &statement.actions {
        if let Some(Expansion::Actions(list)) = element.text.as_deref().map(|t| db.expand(t)) {
            actions.extend(list);
        }
    }
    actions.sort_by(|a, b| a.name.cmp(&b.name));
    actions.dedup_by(|a, b| a.name == b.name);
    Expanded { statement, actions }
}

/// Condition keys that narrow who or what a statement applies to.
pub const RESTRICTING_KEYS: &[&str] = &[
    "aws:SourceIp",
    "aws:SourceVpc",
    "aws:SourceVpce",
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:PrincipalAccount",
    "aws:PrincipalArn",
    "aws:SourceArn",
    "aws:SourceAccount",
    "aws:SourceOrgID",
    "aws:MultiFactorAuthPresent",
    "aws:ResourceOrgID",
    "sts:ExternalId",
];

/// For identity statements a restricting condition lowers the severity one step, and the
/// message says which condition was weighed.
pub fn weigh(st: &Statement, severity: Severity, message: String) -> (Severity, String) {
    match st.condition_on(RESTRICTING_KEYS) {
        Some(c) => (
            lower(severity),
            format!("{message} (lowered: restricted by condition {})", c.key),
        ),
        None => (severity, message),
    }
}

pub fn lower(s: Severity) -> Severity {
    match s {
        Severity::Critical => Severity::High,
        Severity::High => Severity::Medium,
        Severity::Medium | Severity::Low => Severity::Low,
    }
}

/// The first `Resource` element that is `*`, or the statement itself.
pub fn star_resource(st: &Statement) -> (usize, usize) {
    st.resources
        .iter()
        .find(|r| r.is("*"))
        .map_or((st.start, st.end), |r| (r.start, r.end))
}

/// `Resource` holds a wildcard covering every resource of some kind (`*`, `arn:aws:iam::*:user/*`).
pub fn broad_resource(st: &Statement) -> bool {
    st.resources.iter().any(|r| {
        r.text
            .as_deref()
            .is_some_and(|t| t == "*" || t.ends_with(":*") || t.ends_with("/*"))
    })
}

/// For checks of particular actions allowed on every resource: one finding at the first
/// element that grants one of `names`, listing all of them.
pub fn actions_on_every_resource(
    info: &'static CheckInfo,
    doc: &PolicyDoc,
    st: &Expanded,
    names: &[&str],
    out: &mut Vec<Hit>,
) {
    let found: Vec<&str> = names
        .iter()
        .copied()
        .filter(|e| st.allows_any(&[e]).is_some())
        .collect();
    let Some(first) = found.first() else { return };
    let s = st.statement;
    let at = st
        .element_for(first)
        .map_or((s.start, s.end), |e| (e.start, e.end));
    let (severity, message) = weigh(
        s,
        info.severity,
        format!("{}: {} on every resource", doc.context, list(&found, 4)),
    );
    out.push(hit(info, severity, at, message));
}

pub fn hit(
    check: &'static CheckInfo,
    severity: Severity,
    at: (usize, usize),
    message: String,
) -> Hit {
    Hit {
        check,
        severity,
        start: at.0,
        end: at.1,
        message,
    }
}

/// `a, b, c and 4 more`.
pub fn list(names: &[&str], max: usize) -> String {
    let shown: Vec<&str> = names.iter().take(max).copied().collect();
    match names.len().saturating_sub(max) {
        0 => shown.join(", "),
        more => format!("{} and {more} more", shown.join(", ")),
    }
}

//! The IAM policy checks. Each file is a declaration (id, title, severity, CWE, rationale,
//! remediation, examples that must fire and examples that must stay quiet, and the scope it
//! judges) plus one predicate; `checks!` registers it. The driver here applies the shared
//! guards (document kind, `Allow`, statements that `Action: "*"` checks already speak for) and
//! weighs restricting conditions, so a predicate says only what is wrong.

use super::actions::{db, Action, Expansion};
use super::extract::IacFact;
use super::model::{DocKind, PolicyDoc, Spanned, Statement};
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
}

/// What a check judges, and its predicate.
pub enum Scope {
    /// `Allow` statements of documents of these kinds (every kind when empty).
    Allow {
        kinds: &'static [DocKind],
        /// Statements with `Action: "*"` are left to the checks of `*`.
        skip_everything: bool,
        conditions: Conditions,
        predicate: fn(&PolicyDoc, &Expanded, &mut Vec<Raw>),
    },
    /// Whole documents, every statement whatever its effect.
    Document(fn(&PolicyDoc, &[Expanded], &mut Vec<Raw>)),
    /// Facts the IaC declares that are not policies.
    Fact(fn(&IacFact, &mut Vec<Raw>)),
}

/// How restricting conditions count for a statement check.
pub enum Conditions {
    /// A restricting condition lowers the severity one step; the message says which.
    Lower,
    /// A condition on one of these keys makes the statement no finding.
    Clear(&'static [&'static str]),
    /// The predicate weighs the conditions itself.
    Own,
}

/// What a predicate found, before the driver weighs conditions and names the document.
pub struct Raw {
    pub severity: Severity,
    pub at: (usize, usize),
    pub message: String,
}

/// What a check found: where, how bad, and what it weighed.
pub struct Hit {
    pub check: &'static Check,
    pub severity: Severity,
    pub start: usize,
    pub end: usize,
    pub message: String,
}

/// What check files use.
mod prelude {
    pub(super) use super::{
        broad_resource, list, raw, star_resource, Check, Conditions, Expanded, Raw, Scope,
        RESTRICTING_KEYS,
    };
    pub(super) use crate::policy::extract::{FactKind, IacFact};
    pub(super) use crate::policy::model::{DocKind, PolicyDoc};
    pub(super) use crate::rule::Severity;
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

    /// The span of the element granting `action`, or the whole statement.
    pub fn at(&self, action: &str) -> (usize, usize) {
        let s = self.statement;
        self.element_for(action)
            .map_or((s.start, s.end), |e| (e.start, e.end))
    }

    /// For checks of particular actions allowed on every resource: one finding at the first
    /// element that grants one of `names`, listing all of them.
    pub fn on_every_resource(&self, severity: Severity, names: &[&str], out: &mut Vec<Raw>) {
        let found: Vec<&str> = names
            .iter()
            .copied()
            .filter(|e| self.allows_any(&[e]).is_some())
            .collect();
        if let Some(first) = found.first() {
            out.push(raw(
                severity,
                self.at(first),
                format!("{} on every resource", list(&found, 4)),
            ));
        }
    }
}

/// Runs every check on what a file declared.
pub fn run(extracted: &super::extract::Extracted) -> Vec<Hit> {
    let mut out = Vec::new();
    let mut raws = Vec::new();
    for doc in &extracted.docs {
        let expanded: Vec<Expanded> = doc.statements.iter().map(expand).collect();
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
                    for st in &expanded {
                        let s = st.statement;
                        if !s.allows() || (*skip_everything && st.is_everything()) {
                            continue;
                        }
                        if let Conditions::Clear(keys) = conditions {
                            if s.condition_on(keys).is_some() {
                                continue;
                            }
                        }
                        predicate(doc, st, &mut raws);
                        for r in raws.drain(..) {
                            let (severity, message) = match conditions {
                                Conditions::Lower => weigh(s, r.severity, r.message),
                                _ => (r.severity, r.message),
                            };
                            out.push(hit(check, severity, r.at, &doc.context, message));
                        }
                    }
                }
                Scope::Document(predicate) => {
                    predicate(doc, &expanded, &mut raws);
                    for r in raws.drain(..) {
                        out.push(hit(check, r.severity, r.at, &doc.context, r.message));
                    }
                }
                Scope::Fact(_) => {}
            }
        }
    }
    for fact in &extracted.facts {
        for check in ALL {
            if let Scope::Fact(predicate) = &check.scope {
                predicate(fact, &mut raws);
                for r in raws.drain(..) {
                    out.push(hit(check, r.severity, r.at, &fact.context, r.message));
                }
            }
        }
    }
    out
}

fn hit(
    check: &'static Check,
    severity: Severity,
    at: (usize, usize),
    context: &str,
    message: String,
) -> Hit {
    Hit {
        check,
        severity,
        start: at.0,
        end: at.1,
        message: format!("{context}: {message}"),
    }
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
fn weigh(st: &Statement, severity: Severity, message: String) -> (Severity, String) {
    match st.condition_on(RESTRICTING_KEYS) {
        Some(c) => (
            severity.lower(),
            format!("{message} (lowered: restricted by condition {})", c.key),
        ),
        None => (severity, message),
    }
}

pub fn raw(severity: Severity, at: (usize, usize), message: String) -> Raw {
    Raw {
        severity,
        at,
        message,
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

/// `a, b, c and 4 more`.
pub fn list(names: &[&str], max: usize) -> String {
    let shown: Vec<&str> = names.iter().take(max).copied().collect();
    match names.len().saturating_sub(max) {
        0 => shown.join(", "),
        more => format!("{} and {more} more", shown.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fires(check: &Check, name: &str, text: &str) -> bool {
        let extracted = crate::policy::extract::extract(name, text)
            .unwrap_or_else(|e| panic!("{}: example {name} does not parse: {e}", check.id));
        run(&extracted).iter().any(|h| h.check.id == check.id)
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

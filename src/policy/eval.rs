//! Policies as IAM evaluates them: each statement's `Action` (or everything but its
//! `NotAction`) as a set of actions, less what unconditional `Deny` statements take away —
//! those of its own document, and those every principal it is attached to also has — and
//! statements whose conditions can never hold again left out. Documents are also grouped by the
//! user, role or group they reach within the file (attachments, inline policies, groups of a
//! user), so that a path needing two policies is seen on their union.

use std::collections::{BTreeMap, BTreeSet};

use super::actions::{db, ActionSet, Expansion};
use super::conditions;
use super::extract::Extracted;
use super::model::{Condition, PolicyDoc, Spanned, Statement, UNKNOWN};

/// One statement as evaluated.
pub struct Expanded<'a> {
    pub statement: &'a Statement,
    /// What it grants, denials subtracted (empty for a `Deny`).
    pub granted: ActionSet,
    /// A condition that can never hold again: the statement grants nothing.
    pub dead: Option<&'a Condition>,
    /// An earlier statement of the same document that is identical to this one.
    pub duplicate_of: Option<usize>,
}

impl Expanded<'_> {
    /// Whether it grants the action (any case).
    pub fn allows(&self, name: &str) -> bool {
        db().index(name).is_some_and(|i| self.granted.contains(i))
    }

    /// The first of `names` it grants, with the database's spelling.
    pub fn allows_any(&self, names: &[&str]) -> Option<&'static str> {
        names.iter().find_map(|n| {
            let i = db().index(n)?;
            self.granted.contains(i).then(|| db().get(i).name)
        })
    }

    /// The statement's element that grants `action`: the `Action` element whose expansion
    /// holds it, or the first `NotAction` element, or the whole statement.
    pub fn at(&self, action: &str) -> (usize, usize) {
        let s = self.statement;
        let Some(index) = db().index(action) else {
            return (s.start, s.end);
        };
        if let Some(e) = s.not_actions.first() {
            return (e.start, e.end);
        }
        s.actions
            .iter()
            .find(|e| {
                e.text.as_deref().is_some_and(|t| match db().expand(t) {
                    Expansion::Actions(set) => set.contains(index),
                    _ => false,
                })
            })
            .map_or((s.start, s.end), |e| (e.start, e.end))
    }

    /// Every action of every service, or all but a handful: what an administrator has.
    pub fn is_admin(&self) -> bool {
        static IAM: std::sync::OnceLock<Option<ActionSet>> = std::sync::OnceLock::new();
        let Some(iam) = IAM.get_or_init(|| match db().expand("iam:*") {
            Expansion::Actions(iam) => Some(iam),
            _ => None,
        }) else {
            return false;
        };
        self.granted.covers(iam) && self.granted.len() * 100 >= ActionSet::total() * 99
    }

    /// `Action: "*"`, or a grant as wide: the full-admin and action-wildcard checks speak
    /// for it, so the checks of particular actions stay quiet rather than repeat them.
    pub fn is_everything(&self) -> bool {
        self.statement
            .actions
            .iter()
            .any(|a| a.is("*") || a.is("*:*"))
            || self.is_admin()
    }
}

/// What a statement's actions stand for, before denials.
fn actions_of(elements: &[Spanned]) -> ActionSet {
    let mut set = ActionSet::empty();
    for element in elements {
        if let Some(Expansion::Actions(found)) = element.text.as_deref().map(|t| db().expand(t)) {
            set.union_with(&found);
        }
    }
    set
}

fn stated(st: &Statement) -> ActionSet {
    if st.not_actions.is_empty() {
        actions_of(&st.actions)
    } else {
        actions_of(&st.not_actions).complement()
    }
}

/// What a document's unconditional `Deny` statements take away from every resource.
fn denied_everywhere(doc: &PolicyDoc) -> ActionSet {
    let mut set = ActionSet::empty();
    for st in &doc.statements {
        let deny = st.effect.as_ref().is_some_and(|e| e.is("Deny"));
        let everywhere = st.not_resources.is_empty()
            && (st.resources.is_empty() || st.resources.iter().any(|r| r.is("*")));
        if deny && everywhere && st.conditions.is_empty() {
            set.union_with(&stated(st));
        }
    }
    set
}

/// Users, roles and groups, each with the documents of the file that reach it.
pub type Principals = BTreeMap<String, Vec<usize>>;

/// Which documents reach which principal: attached directly, through an attachment of the
/// document's id, or (for a user) through a group the user is in.
pub fn principals(extracted: &Extracted) -> Principals {
    let mut reach: Principals = BTreeMap::new();
    for (i, doc) in extracted.docs.iter().enumerate() {
        let mut targets: BTreeSet<&str> = doc.attached_to.iter().map(String::as_str).collect();
        if let Some(id) = &doc.id {
            for (policy, principal) in &extracted.attachments {
                if policy == id {
                    targets.insert(principal);
                }
            }
        }
        for target in targets {
            reach.entry(target.to_string()).or_default().push(i);
            for (user, group) in &extracted.memberships {
                if group == target {
                    reach.entry(user.clone()).or_default().push(i);
                }
            }
        }
    }
    for docs in reach.values_mut() {
        docs.sort_unstable();
        docs.dedup();
    }
    reach
}

/// Every statement of every document, evaluated. `today` is `YYYY-MM-DD`.
pub fn evaluate<'a>(
    extracted: &'a Extracted,
    reach: &Principals,
    today: &str,
) -> Vec<Vec<Expanded<'a>>> {
    let own: Vec<ActionSet> = extracted.docs.iter().map(denied_everywhere).collect();
    // What every principal a document reaches denies anyway, through its other documents.
    let mut shared: Vec<Option<ActionSet>> = vec![None; extracted.docs.len()];
    for docs in reach.values() {
        let mut denied = ActionSet::empty();
        for &d in docs {
            denied.union_with(&own[d]);
        }
        for &d in docs {
            match &mut shared[d] {
                Some(set) => {
                    let mut both = set.clone();
                    both.subtract(&denied.complement());
                    *set = both;
                }
                slot @ None => *slot = Some(denied.clone()),
            }
        }
    }
    extracted
        .docs
        .iter()
        .enumerate()
        .map(|(d, doc)| {
            let mut denied = own[d].clone();
            if let Some(set) = &shared[d] {
                denied.union_with(set);
            }
            let resource_denials: Vec<(ActionSet, Vec<&str>)> = doc
                .statements
                .iter()
                .filter(|st| {
                    st.effect.as_ref().is_some_and(|e| e.is("Deny")) && st.conditions.is_empty()
                })
                .map(|st| {
                    let resources = st.resources.iter().filter_map(|r| r.text.as_deref());
                    (stated(st), resources.collect())
                })
                .collect();
            let mut seen: Vec<String> = Vec::new();
            doc.statements
                .iter()
                .map(|st| {
                    let key = signature(st);
                    let duplicate_of = seen.iter().position(|s| *s == key);
                    seen.push(key);
                    let dead = conditions::never_holds(st, today);
                    let mut granted = if st.allows() && dead.is_none() {
                        stated(st)
                    } else {
                        ActionSet::empty()
                    };
                    granted.subtract(&denied);
                    let mine: Vec<&str> = st
                        .resources
                        .iter()
                        .filter_map(|r| r.text.as_deref())
                        .collect();
                    for (set, resources) in &resource_denials {
                        let covered = !mine.is_empty()
                            && mine.len() == st.resources.len()
                            && mine.iter().all(|r| resources.contains(r));
                        if covered {
                            granted.subtract(set);
                        }
                    }
                    Expanded {
                        statement: st,
                        granted,
                        dead,
                        duplicate_of,
                    }
                })
                .collect()
        })
        .collect()
}

/// What a statement says, without where it says it: equal for repeated statements.
fn signature(st: &Statement) -> String {
    let list = |v: &[Spanned]| -> String {
        v.iter()
            .map(|s| s.shape.as_deref().unwrap_or("?"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let principals: Vec<String> = st
        .principals
        .iter()
        .map(|p| format!("{}={}", p.kind, p.value.shape.as_deref().unwrap_or("?")))
        .collect();
    let conditions: Vec<String> = st
        .conditions
        .iter()
        .map(|c| format!("{}:{}={:?}", c.operator, c.key, c.values))
        .collect();
    format!(
        "{:?}|{}|{}|{}|{}|{}|{}",
        st.effect.as_ref().and_then(|e| e.text.clone()),
        list(&st.actions),
        list(&st.not_actions),
        list(&st.resources),
        list(&st.not_resources),
        principals.join(","),
        conditions.join(",")
    )
}

/// Whether a resource reaches beyond one thing: `*`, or an ARN whose resource part holds a
/// wildcard (`role/*`, `policy/team-*`, `*/*`), its unknown parts (`UNKNOWN`) taken for
/// nothing. AWS-managed policies (`arn:aws:iam::aws:policy/...`) cannot be changed by anyone,
/// so they never count.
pub fn broad(shape: &str) -> bool {
    if shape == "*" {
        return true;
    }
    let known_wildcard = |s: &str| s.contains('*') && s.chars().any(|c| c != UNKNOWN);
    match shape.strip_prefix("arn:") {
        Some(rest) => {
            let parts: Vec<&str> = rest.splitn(5, ':').collect();
            let [_, service, _, account, resource] = parts.as_slice() else {
                return known_wildcard(shape);
            };
            if *service == "iam" && *account == "aws" {
                return false;
            }
            known_wildcard(resource)
        }
        // Not an ARN as written: broad only when wholly known (`*` was handled above).
        None => !shape.contains(UNKNOWN) && shape.contains('*'),
    }
}

/// Whether a resource is every one of its kind: `*`, `arn:aws:s3:::*/*`,
/// `arn:aws:secretsmanager:...:secret:*` — not a path the workload owns (`parameter/app/*`).
pub fn unscoped(shape: &str) -> bool {
    if shape == "*" {
        return true;
    }
    // Not an ARN as written (`${Bucket.Arn}/*`): its unknown part names one thing.
    let Some(rest) = shape.strip_prefix("arn:") else {
        return false;
    };
    let parts: Vec<&str> = rest.splitn(5, ':').collect();
    let [_, service, _, _, resource] = parts.as_slice() else {
        return false;
    };
    // Drop the resource type (`secret:`, `parameter/`, `role/`; S3 names have none), then only
    // wildcards may remain.
    let name = match resource.find([':', '/']) {
        Some(i) if *service != "s3" && !resource[..i].contains('*') => &resource[i + 1..],
        _ => resource,
    };
    !name.is_empty() && name.chars().all(|c| matches!(c, '*' | '?' | '/'))
}

/// Whether any `Resource` of the statement is every resource of its kind.
pub fn unscoped_resource(st: &Statement) -> bool {
    !st.not_resources.is_empty()
        || st
            .resources
            .iter()
            .any(|r| r.shape.as_deref().is_some_and(unscoped))
}

/// Whether any `Resource` of the statement is broad (or `NotResource` makes it so).
pub fn broad_resource(st: &Statement) -> bool {
    !st.not_resources.is_empty()
        || st
            .resources
            .iter()
            .any(|r| r.shape.as_deref().is_some_and(broad))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breadth_reads_the_resource_part_and_keeps_unknowns_unknown() {
        let u = UNKNOWN;
        assert!(broad("*"));
        assert!(broad("arn:aws:iam::*:policy/team-*"));
        assert!(broad("arn:aws:s3:::*/*"));
        assert!(broad(&format!("arn:aws:iam::{u}:role/*")));
        assert!(!broad(&format!("arn:aws:iam::123456789012:role/{u}")));
        assert!(!broad("arn:aws:iam::aws:policy/fp4-*"));
        assert!(!broad("arn:aws:iam::123456789012:role/app"));
        assert!(unscoped("arn:aws:s3:::*/*"));
        assert!(unscoped("arn:aws:secretsmanager:eu-west-1:1:secret:*"));
        assert!(unscoped(&format!("arn:aws:ssm:{u}:{u}:parameter/*")));
        assert!(!unscoped(&format!("arn:aws:ssm:{u}:{u}:parameter/app/*")));
        assert!(!unscoped("arn:aws:s3:::reports/*"));
        assert!(
            !unscoped(&format!("{u}/*")),
            "${{Bucket.Arn}}/* is one bucket's objects"
        );
        assert!(!broad(&format!("{u}/*")));
    }
}

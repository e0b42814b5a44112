//! Policies attached directly to users.

use super::{hit, CheckInfo, Hit};
use crate::finding::Severity;
use crate::policy::extract::{FactKind, IacFact};

pub static INFO: CheckInfo = CheckInfo {
    id: "policy.user-policy",
    title: "Policy attached directly to a user",
    severity: Severity::Low,
    cwe: 1220,
    rationale: "Permissions attached to individual users drift apart and are hard to review or revoke; groups and roles keep them in one place.",
    remediation: "Attach the policy to a group (or a role the user assumes) and add the user to it.",
};

pub struct Check;

impl super::Check for Check {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn fact(&self, fact: &IacFact, out: &mut Vec<Hit>) {
        if fact.kind == FactKind::UserPolicy {
            out.push(hit(
                &INFO,
                INFO.severity,
                (fact.start, fact.end),
                format!("{}: policy attached directly to a user", fact.context),
            ));
        }
    }
}

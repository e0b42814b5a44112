//! A role that anyone may assume.

use super::{hit, CheckInfo, Expanded, Hit, RESTRICTING_KEYS};
use crate::finding::Severity;
use crate::policy::model::{DocKind, PolicyDoc};

pub static INFO: CheckInfo = CheckInfo {
    id: "policy.trust-any-principal",
    title: "Any principal may assume the role",
    severity: Severity::Critical,
    cwe: 284,
    rationale: "A trust policy with `Principal: \"*\"` (or `AWS: \"*\"`) and no restricting condition lets any AWS account in the world assume the role and act with its permissions.",
    remediation: "Name the accounts, roles or services that assume it in `Principal`, or restrict it with `aws:PrincipalOrgID`, `aws:PrincipalArn` or `sts:ExternalId` conditions.",
};

pub struct Check;

impl super::Check for Check {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn statement(&self, doc: &PolicyDoc, st: &Expanded, out: &mut Vec<Hit>) {
        let s = st.statement;
        if doc.kind != DocKind::Trust || !s.allows() || s.condition_on(RESTRICTING_KEYS).is_some() {
            return;
        }
        if let Some(p) = s
            .principals
            .iter()
            .find(|p| (p.kind == "*" || p.kind == "AWS") && p.value.is("*"))
        {
            out.push(hit(
                &INFO,
                INFO.severity,
                (p.value.start, p.value.end),
                format!("{}: any AWS principal may assume this role", doc.context),
            ));
        }
    }
}

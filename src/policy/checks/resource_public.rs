//! Resource policies open to everyone: high when they allow writes, medium for reads.

use super::{hit, CheckInfo, Expanded, Hit, RESTRICTING_KEYS};
use crate::finding::Severity;
use crate::policy::model::{DocKind, PolicyDoc};

pub static INFO: CheckInfo = CheckInfo {
    id: "policy.resource-public",
    title: "Resource policy open to any principal",
    severity: Severity::High,
    cwe: 284,
    rationale: "A bucket, queue, topic or key policy that allows `Principal: \"*\"` with no restricting condition lets anyone on the internet read or change the resource.",
    remediation: "Name the accounts or roles that need access, or restrict the statement with `aws:PrincipalOrgID`, `aws:SourceArn`, `aws:SourceVpce` or `aws:SourceIp` conditions. For public websites, serve through CloudFront with origin access control instead.",
};

pub struct Check;

impl super::Check for Check {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn statement(&self, doc: &PolicyDoc, st: &Expanded, out: &mut Vec<Hit>) {
        let s = st.statement;
        if doc.kind != DocKind::Resource
            || !s.allows()
            || s.condition_on(RESTRICTING_KEYS).is_some()
        {
            return;
        }
        let Some(p) = s
            .principals
            .iter()
            .find(|p| (p.kind == "*" || p.kind == "AWS") && p.value.is("*"))
        else {
            return;
        };
        let writes = st
            .actions
            .iter()
            .any(|a| matches!(a.level, 'W' | 'P' | 'T'));
        let unknown = s.actions.iter().any(|a| a.text.is_none());
        let (severity, what) = if writes || unknown {
            (Severity::High, "change")
        } else {
            (Severity::Medium, "read")
        };
        out.push(hit(
            &INFO,
            severity,
            (p.value.start, p.value.end),
            format!("{}: anyone may {what} this resource", doc.context),
        ));
    }
}

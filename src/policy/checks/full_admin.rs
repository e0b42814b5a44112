//! `Allow` of every action on every resource.

use super::{hit, star_resource, weigh, CheckInfo, Expanded, Hit};
use crate::finding::Severity;
use crate::policy::model::{DocKind, PolicyDoc};

pub static INFO: CheckInfo = CheckInfo {
    id: "policy.full-admin",
    title: "Policy grants every action on every resource",
    severity: Severity::Critical,
    cwe: 269,
    rationale: "A statement that allows `*` on `*` makes whoever holds it an administrator of the account: it can read every secret, delete every resource and grant itself anything else.",
    remediation: "Name the actions the workload uses (IAM Access Analyzer can generate them from CloudTrail), scope `Resource` to the ARNs it needs, and keep administrator access for break-glass roles behind MFA.",
};

pub struct Check;

impl super::Check for Check {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn statement(&self, doc: &PolicyDoc, st: &Expanded, out: &mut Vec<Hit>) {
        let s = st.statement;
        let all_actions = s.actions.iter().any(|a| a.is("*") || a.is("*:*"));
        if doc.kind == DocKind::Identity && s.allows() && all_actions && s.on_any_resource() {
            let (severity, message) =
                weigh(s, INFO.severity, format!("{}: Allow * on *", doc.context));
            out.push(hit(&INFO, severity, star_resource(s), message));
        }
    }
}

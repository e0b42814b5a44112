//! `Allow` of `Action: "*"` on some resources.

use super::{hit, weigh, CheckInfo, Expanded, Hit};
use crate::finding::Severity;
use crate::policy::model::{DocKind, PolicyDoc};

pub static INFO: CheckInfo = CheckInfo {
    id: "policy.action-wildcard",
    title: "Policy allows every action",
    severity: Severity::High,
    cwe: 269,
    rationale: "`Action: \"*\"` grants every present and future action of every service on the resources named, including deleting them and changing their policies.",
    remediation: "List the actions the workload calls; generate them from CloudTrail with IAM Access Analyzer's policy generation.",
};

pub struct Check;

impl super::Check for Check {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn statement(&self, doc: &PolicyDoc, st: &Expanded, out: &mut Vec<Hit>) {
        let s = st.statement;
        if doc.kind != DocKind::Identity || !s.allows() || s.on_any_resource() {
            return;
        }
        if let Some(a) = s.actions.iter().find(|a| a.is("*") || a.is("*:*")) {
            let (severity, message) = weigh(
                s,
                INFO.severity,
                format!("{}: Allow * on named resources", doc.context),
            );
            out.push(hit(&INFO, severity, (a.start, a.end), message));
        }
    }
}

//! AWS-managed administrator policies attached.

use super::{hit, CheckInfo, Hit};
use crate::finding::Severity;
use crate::policy::extract::{FactKind, IacFact};

pub static INFO: CheckInfo = CheckInfo {
    id: "policy.managed-admin",
    title: "AWS-managed administrator policy attached",
    severity: Severity::High,
    cwe: 269,
    rationale: "`AdministratorAccess`, `IAMFullAccess` and `PowerUserAccess` grant all or nearly all of the account (`IAMFullAccess` can grant itself the rest).",
    remediation: "Attach a customer-managed policy listing the actions the workload needs; keep administrator policies for break-glass roles behind MFA.",
};

pub struct Check;

impl super::Check for Check {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn fact(&self, fact: &IacFact, out: &mut Vec<Hit>) {
        if let FactKind::ManagedPolicy(name) = &fact.kind {
            out.push(hit(
                &INFO,
                INFO.severity,
                (fact.start, fact.end),
                format!("{}: attaches {name}", fact.context),
            ));
        }
    }
}

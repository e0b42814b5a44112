//! Access keys created by infrastructure code.

use super::{hit, CheckInfo, Hit};
use crate::finding::Severity;
use crate::policy::extract::{FactKind, IacFact};

pub static INFO: CheckInfo = CheckInfo {
    id: "policy.long-lived-key",
    title: "Long-lived access key created by code",
    severity: Severity::Medium,
    cwe: 798,
    rationale: "An `aws_iam_access_key` or `AWS::IAM::AccessKey` creates a key that never expires, and its secret ends up in the IaC state or stack outputs, readable by whoever reads those.",
    remediation: "Give the workload an IAM role (instance profile, task role, IRSA, OIDC federation) instead of a user key. If a key is unavoidable, store it in a secrets manager and rotate it.",
};

pub struct Check;

impl super::Check for Check {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn fact(&self, fact: &IacFact, out: &mut Vec<Hit>) {
        if fact.kind == FactKind::AccessKey {
            out.push(hit(
                &INFO,
                INFO.severity,
                (fact.start, fact.end),
                format!("{}: creates a long-lived access key", fact.context),
            ));
        }
    }
}

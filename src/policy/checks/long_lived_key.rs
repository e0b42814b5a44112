//! Access keys created by infrastructure code.

use super::prelude::*;

pub static CHECK: Check = Check {
    id: "policy.long-lived-key",
    title: "Long-lived access key created by code",
    severity: Severity::Medium,
    cwe: 798,
    rationale: "An `aws_iam_access_key` or `AWS::IAM::AccessKey` creates a key that never expires, and its secret ends up in the IaC state or stack outputs, readable by whoever reads those.",
    remediation: "Give the workload an IAM role (instance profile, task role, IRSA, OIDC federation) instead of a user key. If a key is unavoidable, store it in a secrets manager and rotate it.",
    fires: &[(
        "ci-user.tf",
        "resource \"aws_iam_access_key\" \"ci\" {\n  user = \"ci\"\n}\n",
    )],
    quiet: &[(
        "ci-user.tf",
        "resource \"aws_iam_user\" \"ci\" {\n  name = \"ci\"\n}\n",
    )],
    scope: Scope::Fact(predicate),
    note: None,
};

fn predicate(fact: &IacFact, out: &mut Vec<Raw>) {
    if fact.kind == FactKind::AccessKey {
        out.push(raw(
            CHECK.severity,
            (fact.start, fact.end),
            "creates a long-lived access key".into(),
        ));
    }
}

//! AWS-managed administrator policies attached.

use super::prelude::*;

pub static CHECK: Check = Check {
    id: "policy.managed-admin",
    title: "AWS-managed administrator policy attached",
    severity: Severity::High,
    cwe: 269,
    rationale: "`AdministratorAccess`, `IAMFullAccess` and `PowerUserAccess` grant all or nearly all of the account (`IAMFullAccess` can grant itself the rest).",
    remediation: "Attach a customer-managed policy listing the actions the workload needs; keep administrator policies for break-glass roles behind MFA.",
    fires: &[
        (
            "serverless.yml",
            "service: api\nprovider:\n  name: aws\n  iam:\n    role:\n      managedPolicies:\n        - arn:aws:iam::aws:policy/AdministratorAccess\n",
        ),
        (
        "attach.tf",
        "resource \"aws_iam_role_policy_attachment\" \"admin\" {\n  role       = \"app\"\n  policy_arn = \"arn:aws:iam::aws:policy/AdministratorAccess\"\n}\n",
        ),
    ],
    quiet: &[(
        "attach.tf",
        "resource \"aws_iam_role_policy_attachment\" \"read\" {\n  role       = \"app\"\n  policy_arn = \"arn:aws:iam::aws:policy/ReadOnlyAccess\"\n}\n",
    )],
    scope: Scope::Fact(predicate),
    note: None,
};

fn predicate(fact: &IacFact, out: &mut Vec<Raw>) {
    if let FactKind::ManagedPolicy(name) = &fact.kind {
        out.push(raw(
            CHECK.severity,
            (fact.start, fact.end),
            format!("attaches {name}"),
        ));
    }
}

//! Policies attached directly to users.

use super::prelude::*;

pub static CHECK: Check = Check {
    id: "policy.user-policy",
    title: "Policy attached directly to a user",
    severity: Severity::Low,
    cwe: 1220,
    rationale: "Permissions attached to individual users drift apart and are hard to review or revoke; groups and roles keep them in one place.",
    remediation: "Attach the policy to a group (or a role the user assumes) and add the user to it.",
    fires: &[(
        "user.tf",
        "resource \"aws_iam_user_policy_attachment\" \"ops\" {\n  user       = \"ops\"\n  policy_arn = \"arn:aws:iam::123456789012:policy/ops\"\n}\n",
    )],
    quiet: &[(
        "group.tf",
        "resource \"aws_iam_group_policy_attachment\" \"ops\" {\n  group      = \"ops\"\n  policy_arn = \"arn:aws:iam::123456789012:policy/ops\"\n}\n",
    )],
    scope: Scope::Fact(predicate),
    note: None,
};

fn predicate(fact: &IacFact, out: &mut Vec<Raw>) {
    if fact.kind == FactKind::UserPolicy {
        out.push(raw(
            CHECK.severity,
            (fact.start, fact.end),
            "policy attached directly to a user".into(),
        ));
    }
}

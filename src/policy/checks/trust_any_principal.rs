//! A role that anyone may assume.

use super::prelude::*;

pub static CHECK: Check = Check {
    id: "policy.trust-any-principal",
    title: "Any principal may assume the role",
    severity: Severity::Critical,
    cwe: 284,
    rationale: "A trust policy with `Principal: \"*\"` (or `AWS: \"*\"`) and no restricting condition lets any AWS account in the world assume the role and act with its permissions.",
    remediation: "Name the accounts, roles or services that assume it in `Principal`, or restrict it with `aws:PrincipalOrgID`, `aws:PrincipalArn` or `sts:ExternalId` conditions.",
    fires: &[
        (
            "serverless.yml",
            "service: api\nresources:\n  Resources:\n    Open:\n      Type: AWS::IAM::Role\n      Properties:\n        AssumeRolePolicyDocument:\n          Version: '2012-10-17'\n          Statement:\n            - Effect: Allow\n              Principal: {AWS: '*'}\n              Action: sts:AssumeRole\n",
        ),
        (
            "trust.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}"#,
        ),
        (
            "any-arn.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole", "Condition": {"StringLike": {"aws:PrincipalArn": "*"}}}]}"#,
        ),
        (
            "not-my-org.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole", "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc123"}}}]}"#,
        ),
        (
            "mfa-from-anyone.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}"#,
        ),
        (
            "if-exists.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole", "Condition": {"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-abc123"}}}]}"#,
        ),
        (
            "null.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole", "Condition": {"Null": {"aws:PrincipalOrgID": "false"}}}]}"#,
        ),
    ],
    quiet: &[(
        "trust-org.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}}]}"#,
    )],
    scope: Scope::Allow {
        kinds: &[DocKind::Trust],
        skip_everything: false,
        conditions: Conditions::Clear {
            keys: None,
            audience: Audience::Anyone,
        },
        predicate,
    },
    note: None,
};

fn predicate(_: &PolicyDoc, st: &Expanded, _: &[Expanded], out: &mut Vec<Raw>) {
    if let Some(p) = st
        .statement
        .principals
        .iter()
        .find(|p| (p.kind == "*" || p.kind == "AWS") && p.value.is("*"))
    {
        out.push(raw(
            CHECK.severity,
            (p.value.start, p.value.end),
            "any AWS principal may assume this role".into(),
        ));
    }
}

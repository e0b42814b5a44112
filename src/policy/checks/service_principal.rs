//! A service principal on a resource policy without `aws:SourceArn`/`aws:SourceAccount`.

use super::prelude::*;

pub static CHECK: Check = Check {
    id: "policy.service-principal-unscoped",
    title: "Service principal without a source condition",
    severity: Severity::Medium,
    cwe: 441,
    rationale: "Allowing a service such as `sns.amazonaws.com` without `aws:SourceArn` or `aws:SourceAccount` lets that service act for any customer's resource: another account's topic or bucket can use yours (the confused deputy).",
    remediation: "Add `aws:SourceArn` (the exact resource that calls) or `aws:SourceAccount` (your account ID) conditions to the statement.",
    fires: &[(
        "queue-policy.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:eu-west-1:123456789012:jobs"}]}"#,
    )],
    quiet: &[(
        "queue-policy-scoped.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:eu-west-1:123456789012:jobs", "Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:eu-west-1:123456789012:events"}}}]}"#,
    )],
    scope: Scope::Allow {
        kinds: &[DocKind::Resource],
        skip_everything: false,
        conditions: Conditions::Clear {
            keys: Some(&["aws:SourceArn", "aws:SourceAccount", "aws:SourceOrgID"]),
            audience: Audience::Attached,
        },
        predicate,
    },
    note: None,
};

fn predicate(_: &PolicyDoc, st: &Expanded, _: &[Expanded], out: &mut Vec<Raw>) {
    if let Some(p) = st.statement.principals.iter().find(|p| p.kind == "Service") {
        let service = p.value.text.as_deref().unwrap_or("a service");
        out.push(raw(
            CHECK.severity,
            (p.value.start, p.value.end),
            format!("{service} may act for any account's resources"),
        ));
    }
}

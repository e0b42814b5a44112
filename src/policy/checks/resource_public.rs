//! Resource policies open to everyone: high when they allow writes, medium for reads.

use super::prelude::*;

pub static CHECK: Check = Check {
    id: "policy.resource-public",
    title: "Resource policy open to any principal",
    severity: Severity::High,
    cwe: 284,
    rationale: "A bucket, queue, topic or key policy that allows `Principal: \"*\"` with no restricting condition lets anyone on the internet read or change the resource.",
    remediation: "Name the accounts or roles that need access, or restrict the statement with `aws:PrincipalOrgID`, `aws:SourceArn`, `aws:SourceVpce` or `aws:SourceIp` conditions. For public websites, serve through CloudFront with origin access control instead.",
    fires: &[(
        "bucket-policy.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::site/*"}]}"#,
    )],
    quiet: &[(
        "bucket-policy-vpce.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::site/*", "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}}]}"#,
    )],
    scope: Scope::Allow {
        kinds: &[DocKind::Resource],
        skip_everything: false,
        conditions: Conditions::Clear(RESTRICTING_KEYS),
        predicate,
    },
};

fn predicate(_: &PolicyDoc, st: &Expanded, out: &mut Vec<Raw>) {
    let s = st.statement;
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
    out.push(raw(
        severity,
        (p.value.start, p.value.end),
        format!("anyone may {what} this resource"),
    ));
}

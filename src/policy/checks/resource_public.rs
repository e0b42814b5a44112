//! Resource policies open to everyone: high when they allow writes, medium for reads.

use super::prelude::*;

pub static CHECK: Check = Check {
    id: "policy.resource-public",
    title: "Resource policy open to any principal",
    severity: Severity::High,
    cwe: 284,
    rationale: "A bucket, queue, topic or key policy that allows `Principal: \"*\"` with no restricting condition lets anyone on the internet read or change the resource: high when it allows writes, permission changes or reading secrets, medium for other reads. MFA and tag conditions do not narrow `*` (anyone can meet them in their own account); `0.0.0.0/0`, negated operators, `Null` and `...IfExists` do not either.",
    remediation: "Name the accounts or roles that need access, or restrict the statement with `aws:PrincipalOrgID`, `aws:SourceArn`, `aws:SourceVpce` or `aws:SourceIp` conditions. For public websites, serve through CloudFront with origin access control instead.",
    fires: &[
        (
            "bucket-policy.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::site/*"}]}"#,
        ),
        (
            "bucket-argument.tf",
            "resource \"aws_s3_bucket\" \"site\" {\n  bucket = \"site\"\n  policy = jsonencode({ Version = \"2012-10-17\", Statement = [{ Effect = \"Allow\", Principal = \"*\", Action = \"s3:PutObject\", Resource = \"arn:aws:s3:::site/*\" }] })\n}\n",
        ),
        (
            "opensearch.tf",
            "resource \"aws_opensearch_domain_policy\" \"d\" {\n  domain_name     = \"logs\"\n  access_policies = jsonencode({ Version = \"2012-10-17\", Statement = [{ Effect = \"Allow\", Principal = { AWS = \"*\" }, Action = \"es:*\", Resource = \"*\" }] })\n}\n",
        ),
        (
            "mfa-does-not-narrow-anyone.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:PutBucketPolicy", "Resource": "arn:aws:s3:::site", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}"#,
        ),
        (
            "open-ip-range.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::site/*", "Condition": {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}}]}"#,
        ),
    ],
    quiet: &[
        (
            "key-policy-for-a-service.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*", "Condition": {"StringEquals": {"kms:CallerAccount": "111122223333", "kms:ViaService": "s3.eu-west-1.amazonaws.com"}}}]}"#,
        ),
        (
        "bucket-policy-vpce.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::site/*", "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}}]}"#,
        ),
    ],
    scope: Scope::Allow {
        kinds: &[DocKind::Resource],
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
    let s = st.statement;
    let Some(p) = s
        .principals
        .iter()
        .find(|p| (p.kind == "*" || p.kind == "AWS") && p.value.is("*"))
    else {
        return;
    };
    let writes = st.granted.iter().any(|a| matches!(a.level, 'W' | 'P' | 'T'));
    let unknown = s.actions.iter().any(|a| a.text.is_none());
    let secrets = st
        .allows_any(super::credentials_exposure::EXPOSING)
        .or_else(|| st.allows_any(&["kms:Decrypt"]));
    let (severity, what) = if writes || unknown {
        (Severity::High, "change this resource".to_string())
    } else if let Some(action) = secrets {
        (Severity::High, format!("read the secrets this resource holds ({action})"))
    } else {
        (Severity::Medium, "read this resource".to_string())
    };
    out.push(raw(
        severity,
        (p.value.start, p.value.end),
        format!("anyone may {what}"),
    ));
}

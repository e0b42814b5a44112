//! Resource policies open to everyone: high when they allow writes, medium for reads.

use super::prelude::*;

pub static CHECK: Check = Check {
    id: "policy.resource-public",
    title: "Resource policy open to any principal",
    severity: Severity::High,
    cwe: 284,
    rationale: "A bucket, queue, topic or key policy that allows `Principal: \"*\"` with no restricting condition lets anyone on the internet read or change the resource: high when it allows writes, permission changes, or reading secrets or data (`s3:GetObject`), medium for reading metadata. A `Deny` of the same actions to everyone unless a restricting condition holds (AWS's private API policy: unless `aws:SourceVpce`) narrows the allow as that condition would. MFA and tag conditions do not narrow `*` (anyone can meet them in their own account); `0.0.0.0/0`, negated operators, `Null` and `...IfExists` do not either.",
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
            "private-api-without-its-deny.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}]}"#,
        ),
        (
            "deny-unless-with-an-open-value.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}, {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*", "Condition": {"StringNotLike": {"aws:SourceVpce": "*"}}}]}"#,
        ),
        (
            "topic-policy-any-owner.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["SNS:Publish", "SNS:Subscribe"], "Resource": "arn:aws:sns:eu-west-1:111122223333:alerts", "Condition": {"StringNotEquals": {"AWS:SourceOwner": "111122223333"}}}]}"#,
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
            "private-api.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}, {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*", "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}}]}"#,
        ),
        (
            "console-default-topic-policy.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["SNS:Publish", "SNS:Subscribe", "SNS:SetTopicAttributes"], "Resource": "arn:aws:sns:eu-west-1:111122223333:alerts", "Condition": {"StringEquals": {"AWS:SourceOwner": "111122223333"}}}]}"#,
        ),
        (
            "delegated-to-access-points.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "*", "Resource": ["arn:aws:s3:::data", "arn:aws:s3:::data/*"], "Condition": {"StringEquals": {"s3:DataAccessPointAccount": "111122223333"}}}]}"#,
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
    let names = |levels: &[char]| -> Vec<&str> {
        st.granted
            .iter()
            .filter(|a| levels.contains(&a.level))
            .map(|a| a.name)
            .collect()
    };
    let unknown = s.actions.iter().any(|a| a.text.is_none());
    let secrets = st
        .allows_any(super::credentials_exposure::EXPOSING)
        .or_else(|| st.allows_any(&["kms:Decrypt"]));
    let data = st.allows_any(super::data_exfiltration::READING);
    let (permissions, writes) = (names(&['P']), names(&['W', 'T']));
    let (severity, what) = if !permissions.is_empty() {
        let what = format!("change who may use this resource ({})", list(&permissions, 3));
        (Severity::High, what)
    } else if !writes.is_empty() {
        let what = format!("write to or act through this resource ({})", list(&writes, 3));
        (Severity::High, what)
    } else if unknown {
        let what = "use this resource with actions known only at deployment".to_string();
        (Severity::High, what)
    } else if let Some(action) = secrets {
        (Severity::High, format!("read the secrets this resource holds ({action})"))
    } else if let Some(action) = data {
        (Severity::High, format!("read the data this resource holds ({action})"))
    } else {
        let what = format!("read this resource's metadata ({})", list(&names(&['R', 'L']), 3));
        (Severity::Medium, what)
    };
    out.push(raw(
        severity,
        (p.value.start, p.value.end),
        format!("anyone may {what}"),
    ));
}

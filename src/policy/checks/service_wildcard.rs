//! `service:*` wildcards: high on services that hold credentials, keys or permissions.

use super::prelude::*;

pub static CHECK: Check = Check {
    id: "policy.service-wildcard",
    title: "Policy allows every action of a service",
    severity: Severity::Medium,
    cwe: 732,
    rationale: "`service:*` grants every action of the service, today's and tomorrow's. On iam, sts, kms, organizations, s3, secretsmanager, ssm or lambda that includes changing permissions, reading secrets or running code as other roles: high there, medium elsewhere; on resources the policy names, medium on those services (it can still rewrite those resources' policies) and low elsewhere. AWS-managed policies attached (`AmazonS3FullAccess`) are judged by their documents (`patterns/aws-managed-policies.tsv.gz`).",
    remediation: "Replace the wildcard with the actions used (for example `s3:GetObject` and `s3:PutObject` instead of `s3:*`), scoped to the resources used.",
    fires: &[
        (
            "s3-all.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::reports/*"}]}"#,
        ),
        (
            "aws-managed-full-access.tf",
            "resource \"aws_iam_role_policy_attachment\" \"s3\" {\n  role       = \"app\"\n  policy_arn = \"arn:aws:iam::aws:policy/AmazonS3FullAccess\"\n}\n",
        ),
    ],
    quiet: &[
        (
            "aws-managed-read-only.tf",
            "resource \"aws_iam_role_policy_attachment\" \"s3\" {\n  role       = \"app\"\n  policy_arn = \"arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess\"\n}\n",
        ),
        (
            "allow-then-deny.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}, {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}]}"#,
        ),
        (
        "s3-get.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::reports/*"}]}"#,
        ),
    ],
    scope: Scope::Allow {
        kinds: &[DocKind::Identity],
        skip_everything: false,
        conditions: Conditions::Lower,
        predicate,
    },
    note: None,
};

const SENSITIVE: &[&str] = &[
    "iam",
    "sts",
    "kms",
    "organizations",
    "s3",
    "secretsmanager",
    "ssm",
    "lambda",
    "ec2",
    "cloudformation",
    "dynamodb",
];

fn predicate(_: &PolicyDoc, st: &Expanded, _: &[Expanded], out: &mut Vec<Raw>) {
    for a in &st.statement.actions {
        let Some((service, "*")) = a.text.as_deref().and_then(|t| t.split_once(':')) else {
            continue;
        };
        // What a Deny took away is not granted: judge what is left of the service.
        let prefix = format!("{}:", service.to_ascii_lowercase());
        let left = st
            .granted
            .iter()
            .any(|g| g.name.get(..prefix.len()).is_some_and(|p| p.eq_ignore_ascii_case(&prefix)));
        if !left {
            continue;
        }
        let sensitive = SENSITIVE.iter().any(|x| x.eq_ignore_ascii_case(service));
        let (severity, what) = if sensitive {
            (Severity::High, "a sensitive service")
        } else {
            (CHECK.severity, "a service")
        };
        // On resources the workload names (`report-group/${AWS::StackName}*`) the wildcard
        // reaches only those: still a way to change their policies on a sensitive service,
        // hygiene on the others.
        let s = st.statement;
        let named = s.not_resources.is_empty()
            && !s.resources.is_empty()
            && s.resources.iter().all(|r| {
                r.shape
                    .as_deref()
                    .is_some_and(|shape| !crate::policy::eval::unscoped(shape))
            });
        let (severity, scope) = match (named, sensitive) {
            (true, true) => (Severity::Medium, " on the resources it names"),
            (true, false) => (Severity::Low, " on the resources it names"),
            (false, _) => (severity, ""),
        };
        out.push(raw(
            severity,
            (a.start, a.end),
            format!("{service}:* allows every action of {what}{scope}"),
        ));
    }
}

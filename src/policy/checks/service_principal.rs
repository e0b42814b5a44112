//! A service principal on a resource policy without `aws:SourceArn`/`aws:SourceAccount`.

use super::prelude::*;

pub static CHECK: Check = Check {
    id: "policy.service-principal-unscoped",
    title: "Service principal without a source condition",
    severity: Severity::Medium,
    cwe: 441,
    rationale: "Allowing a service such as `sns.amazonaws.com` without `aws:SourceArn` or `aws:SourceAccount` lets that service act for any customer's resource: another account's topic or bucket can use yours (the confused deputy). It applies to the services that deliver to or invoke a resource for a source another account may own (listed below); not to role trust policies of services that are handed a role, nor to KMS key policies, which encryption context and `kms:ViaService` scope.",
    remediation: "Add `aws:SourceArn` (the exact resource that calls) or `aws:SourceAccount` (your account ID) conditions to the statement.",
    fires: &[
        (
            "log-group-policy-regional.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "delivery.logs.amazonaws.com"}, "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "arn:aws:logs:eu-west-1:123456789012:log-group:vended:*"}]}"#,
        ),
        (
            "bucket-for-cloudfront.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"}, "Action": ["s3:GetObject", "kms:Decrypt"], "Resource": "arn:aws:s3:::site/*"}]}"#,
        ),
        (
        "queue-policy.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:eu-west-1:123456789012:jobs"}]}"#,
    ),
    ],
    quiet: &[
        (
            "key-policy-for-a-service.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ses.amazonaws.com"}, "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*"}]}"#,
        ),
        (
            "instance-role-trust.tf",
            "data \"aws_iam_policy_document\" \"assume\" {\n  statement {\n    actions = [\"sts:AssumeRole\", \"sts:TagSession\"]\n    principals {\n      type        = \"Service\"\n      identifiers = [\"ec2.amazonaws.com\"]\n    }\n  }\n}\n",
        ),
        (
        "queue-policy-scoped.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:eu-west-1:123456789012:jobs", "Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:eu-west-1:123456789012:events"}}}]}"#,
    ),
    ],
    scope: Scope::Allow {
        kinds: &[DocKind::Resource],
        skip_everything: false,
        conditions: Conditions::Clear {
            keys: Some(&["aws:SourceArn", "aws:SourceAccount", "aws:SourceOrgID"]),
            audience: Audience::Attached,
        },
        predicate,
    },
    note: Some(note),
};

/// Services that act on a customer's resource for a resource of the caller's choosing, in any
/// account (AWS's "cross-service confused deputy prevention" pages): they deliver events,
/// logs, notifications or reports to a bucket, topic, queue or log group, invoke a function or
/// read an origin. Services that are handed a role or a resource by a principal of the owning
/// account (`ec2`, `ecs-tasks`, `lambda` execution roles through `iam:PassRole`, EFS or SES
/// using a KMS key a caller already names) are not deputies of another account.
pub const DEPUTIES: &[&str] = &[
    "apigateway",
    "backup",
    "budgets",
    "cloudfront",
    "cloudtrail",
    "cloudwatch",
    "codestar-notifications",
    "config",
    "delivery.logs",
    "elasticloadbalancing",
    // OpenSearch publishing its logs to a log group.
    "es",
    "events",
    "firehose",
    "guardduty",
    "inspector2",
    "iot",
    "logdelivery.elasticloadbalancing",
    "logging.s3",
    "logs",
    "macie",
    "opensearchservice",
    "pipes",
    // Query logging to a log group.
    "route53",
    "s3",
    "scheduler",
    "securityhub",
    "ses",
    "sns",
    "ssm",
    "vpc-flow-logs",
];

/// The service a principal names (`logs` for `logs.eu-west-1.amazonaws.com` or
/// `logs.${region}.amazonaws.com`), from what is known of its value.
fn service_of(shape: &str) -> Option<&str> {
    let host = shape
        .strip_suffix(".amazonaws.com")
        .or_else(|| shape.strip_suffix(".amazonaws.com.cn"))?;
    // A regional principal: the last label is a region (`eu-west-1`) or unknown until deployment.
    match host.rsplit_once('.') {
        Some((service, region))
            if region.contains(crate::policy::model::UNKNOWN)
                || (region.matches('-').count() >= 2
                    && region.ends_with(|c: char| c.is_ascii_digit())) =>
        {
            Some(service)
        }
        _ => Some(host),
    }
}

fn predicate(_: &PolicyDoc, st: &Expanded, _: &[Expanded], out: &mut Vec<Raw>) {
    let s = st.statement;
    // A key policy's service statements are scoped by encryption context and `kms:ViaService`,
    // and a service uses the key only for a caller who already names it: not this rule's.
    let key_policy = !st.granted.is_empty() && st.granted.iter().all(|a| a.name.starts_with("kms:"));
    if key_policy {
        return;
    }
    // The first deputy the statement names.
    let deputy = s.principals.iter().filter(|p| p.kind == "Service").find_map(|p| {
        let service = p.value.shape.as_deref().and_then(service_of)?;
        DEPUTIES
            .iter()
            .any(|d| d.eq_ignore_ascii_case(service))
            .then_some((p, service))
    });
    if let Some((p, service)) = deputy {
        out.push(raw(
            CHECK.severity,
            (p.value.start, p.value.end),
            format!(
                "{} may act for any account's resources",
                p.value.text.as_deref().unwrap_or(service)
            ),
        ));
    }
}

fn note() -> String {
    format!(
        "Services judged (the prefix of `SERVICE[.region].amazonaws.com`): {}.",
        DEPUTIES
            .iter()
            .map(|d| format!("`{d}`"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

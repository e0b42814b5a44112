//! `Resource: "*"` on writes that could be scoped. Actions that only take `*` (such as
//! `s3:ListAllMyBuckets`) never fire: that is the most common false alarm of other scanners; nor
//! do the actions AWS's own execution-role policies grant on `*` (the service scopes them).

use super::prelude::*;
use crate::policy::managed::service_scoped;

pub static CHECK: Check = Check {
    id: "policy.resource-wildcard",
    title: "Scopable actions allowed on every resource",
    severity: Severity::Medium,
    cwe: 732,
    rationale: "The statement's writes and permission changes accept resource ARNs, yet it allows them on `*`: every bucket, table, topic or function of the account, including ones created later. Not reported: actions that take only `*`; the actions AWS's own execution-role policies (`AWSLambdaBasicExecutionRole`, `AWSLambdaVPCAccessExecutionRole`, `AmazonSSMManagedInstanceCore`, `AmazonEKS_CNI_Policy`, ...) grant on `*`, which the service scopes itself (`patterns/service-scoped-actions.txt`); reads (except the data and secret reads the data-exfiltration and credentials-exposure checks name) and tagging; `iam:CreateServiceLinkedRole` (the role trusts only its service).",
    remediation: "Scope `Resource` to the ARNs the workload uses (`arn:aws:s3:::my-bucket/*`). Keep `*` only for actions that accept nothing else, in a statement of their own.",
    fires: &[
        (
            "put-anywhere.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}]}"#,
        ),
        (
            "beside-a-service-wildcard.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:*", "sqs:SendMessage"], "Resource": "*"}]}"#,
        ),
        (
            "run-code-without-passing-a-role.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["lambda:CreateFunction", "lambda:InvokeFunction", "ec2:RunInstances", "cloudformation:CreateStack"], "Resource": "*"}]}"#,
        ),
        (
            "log-deletion-beside-the-boilerplate.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DeleteLogGroup"], "Resource": "*"}]}"#,
        ),
        (
            "pass-any-role-alone.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}]}"#,
        ),
    ],
    quiet: &[
        (
            "aws-execution-roles.yaml",
            "Resources:\n  Role:\n    Type: AWS::IAM::Role\n    Properties:\n      ManagedPolicyArns:\n        - arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole\n        - !Sub arn:${AWS::Partition}:iam::aws:policy/AmazonSSMManagedInstanceCore\n",
        ),
        (
            "lambda-basic-and-vpc-execution.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface", "xray:PutTraceSegments"], "Resource": "*"}]}"#,
        ),
        (
            "service-linked-role.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:CreateServiceLinkedRole", "Resource": "*"}]}"#,
        ),
        (
            "metadata-reads.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["kafka:DescribeClusterV2", "mq:DescribeBroker", "translate:TranslateText"], "Resource": "*"}]}"#,
        ),
        (
            "list-buckets.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]}"#,
        ),
        (
            "escalation-judges-the-completed-path.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"], "Resource": "*"}]}"#,
        ),
        (
            "code-running-on-its-own-function.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["lambda:CreateFunction", "lambda:InvokeFunction"], "Resource": "arn:aws:lambda:us-east-1:123456789012:function:app"}]}"#,
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

fn predicate(doc: &PolicyDoc, st: &Expanded, all: &[Expanded], out: &mut Vec<Raw>) {
    let unjudged = unjudged(doc, st, all);
    if !unjudged.is_empty() {
        out.push(raw(
            CHECK.severity,
            star_resource(st.statement),
            format!("{} allowed on Resource *", list(&unjudged, 4)),
        ));
    }
}

/// The scopable writes a statement allows on `*` that no other check judges: what this check
/// reports for it.
pub(super) fn unjudged(doc: &PolicyDoc, st: &Expanded, all: &[Expanded]) -> Vec<&'static str> {
    let s = st.statement;
    // AWS's own policies cannot name the customer's resources: they are judged for the power
    // they grant (service wildcards, escalation, secrets and data), not for their `*`.
    if doc.aws_owned || !s.on_any_resource() || st.is_everything() || !s.not_actions.is_empty() {
        return Vec::new();
    }
    // Services granted whole (`s3:*`) are the service-wildcard check's; the secrets and data
    // reads other checks name are theirs.
    let whole: Vec<String> = s
        .actions
        .iter()
        .filter_map(|a| a.text.as_deref()?.strip_suffix(":*"))
        .map(|service| format!("{}:", service.to_ascii_lowercase()))
        .collect();
    let candidates: Vec<&'static str> = st
        .granted
        .iter()
        .filter(|a| a.scopable && matches!(a.level, 'W' | 'P'))
        .map(|a| a.name)
        .filter(|name| {
            let lower = name.to_ascii_lowercase();
            !whole.iter().any(|w| lower.starts_with(w.as_str()))
                && !service_scoped(&lower)
                // The role it makes trusts only its service and carries AWS's fixed policy:
                // the caller gains nothing.
                && lower != "iam:createservicelinkedrole"
                && !super::credentials_exposure::EXPOSING.iter().any(|e| e.eq_ignore_ascii_case(name))
                && !super::data_exfiltration::READING.iter().any(|e| e.eq_ignore_ascii_case(name))
        })
        .collect();
    if candidates.is_empty() {
        return candidates;
    }
    // The escalation paths this document completes are that check's: one finding per problem,
    // and no granted action left unjudged. Weighed only for a statement that has candidates.
    let claimed = super::privilege_escalation::claimed(doc, all);
    candidates
        .into_iter()
        .filter(|name| !claimed.contains(&name.to_ascii_lowercase()))
        .collect()
}

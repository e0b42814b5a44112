//! Actions that hand out credentials or secrets, allowed on every resource.

use super::prelude::*;

pub static CHECK: Check = Check {
    id: "policy.credentials-exposure",
    title: "Policy exposes credentials or secrets",
    severity: Severity::High,
    cwe: 522,
    rationale: "Reading every secret or every parameter turns one compromised principal into many: the secrets it reads are other systems' credentials.",
    remediation: "Scope `secretsmanager:GetSecretValue` and `ssm:GetParameter*` to the ARNs of the workload's own secrets and parameters.",
    fires: &[
        (
            "serverless.yml",
            "service: api\nfunctions:\n  report:\n    handler: report.run\n    iamRoleStatements:\n      - Effect: Allow\n        Action: secretsmanager:GetSecretValue\n        Resource: '*'\n",
        ),
        (
        "all-secrets.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}"#,
        ),
    ],
    quiet: &[
        (
            "own-parameters.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": "arn:aws:ssm:eu-west-1:123456789012:parameter/app/*"}]}"#,
        ),
        (
        "own-secret.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app-db-AbCdEf"}]}"#,
        ),
    ],
    scope: Scope::Allow {
        kinds: &[DocKind::Identity],
        skip_everything: true,
        conditions: Conditions::Lower,
        predicate,
    },
    note: None,
};

/// Creating other users' access keys is an escalation path (`policy.privilege-escalation`
/// names it); these hand out what already exists.
pub(super) const EXPOSING: &[&str] = &[
    "iam:CreateServiceSpecificCredential",
    "secretsmanager:GetSecretValue",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
    "redshift:GetClusterCredentials",
    "chime:CreateApiKey",
    "lightsail:GetInstanceAccessDetails",
];

fn predicate(_: &PolicyDoc, st: &Expanded, _: &[Expanded], out: &mut Vec<Raw>) {
    // `Allow NotAction` is the allow-not check's finding: it grants this and everything else.
    let s = st.statement;
    if s.not_actions.is_empty() && crate::policy::eval::unscoped_resource(s) {
        super::on_every_resource(st, CHECK.severity, EXPOSING, out);
    }
}

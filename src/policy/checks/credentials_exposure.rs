//! Actions that hand out credentials or secrets, allowed on every resource.

use super::prelude::*;

pub static CHECK: Check = Check {
    id: "policy.credentials-exposure",
    title: "Policy exposes credentials or secrets",
    severity: Severity::High,
    cwe: 522,
    rationale: "Reading every secret, every parameter or creating access keys for any user turns one compromised principal into many: the secrets it reads are other systems' credentials.",
    remediation: "Scope `secretsmanager:GetSecretValue` and `ssm:GetParameter*` to the ARNs of the workload's own secrets and parameters; keep `iam:CreateAccessKey` to the caller's own user (`arn:aws:iam::ACCOUNT:user/${aws:username}`).",
    fires: &[(
        "all-secrets.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}"#,
    )],
    quiet: &[(
        "own-secret.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app-db-AbCdEf"}]}"#,
    )],
    scope: Scope::Allow {
        kinds: &[DocKind::Identity],
        skip_everything: true,
        conditions: Conditions::Lower,
        predicate,
    },
};

const EXPOSING: &[&str] = &[
    "iam:CreateAccessKey",
    "iam:UpdateAccessKey",
    "iam:CreateServiceSpecificCredential",
    "secretsmanager:GetSecretValue",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
    "redshift:GetClusterCredentials",
    "chime:CreateApiKey",
    "lightsail:GetInstanceAccessDetails",
];

fn predicate(_: &PolicyDoc, st: &Expanded, out: &mut Vec<Raw>) {
    if broad_resource(st.statement) {
        st.on_every_resource(CHECK.severity, EXPOSING, out);
    }
}

//! Actions that hand out credentials or secrets, allowed on every resource.

use super::{broad_resource, CheckInfo, Expanded, Hit};
use crate::finding::Severity;
use crate::policy::model::{DocKind, PolicyDoc};

pub static INFO: CheckInfo = CheckInfo {
    id: "policy.credentials-exposure",
    title: "Policy exposes credentials or secrets",
    severity: Severity::High,
    cwe: 522,
    rationale: "Reading every secret, every parameter or creating access keys for any user turns one compromised principal into many: the secrets it reads are other systems' credentials.",
    remediation: "Scope `secretsmanager:GetSecretValue` and `ssm:GetParameter*` to the ARNs of the workload's own secrets and parameters; keep `iam:CreateAccessKey` to the caller's own user (`arn:aws:iam::ACCOUNT:user/${aws:username}`).",
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

pub struct Check;

impl super::Check for Check {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn statement(&self, doc: &PolicyDoc, st: &Expanded, out: &mut Vec<Hit>) {
        let s = st.statement;
        if doc.kind != DocKind::Identity || !s.allows() || st.is_everything() || !broad_resource(s)
        {
            return;
        }
        super::actions_on_every_resource(&INFO, doc, st, EXPOSING, out);
    }
}

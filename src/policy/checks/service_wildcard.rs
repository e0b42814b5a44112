//! `service:*` wildcards: high on services that hold credentials, keys or permissions.

use super::{hit, weigh, CheckInfo, Expanded, Hit};
use crate::finding::Severity;
use crate::policy::model::{DocKind, PolicyDoc};

pub static INFO: CheckInfo = CheckInfo {
    id: "policy.service-wildcard",
    title: "Policy allows every action of a service",
    severity: Severity::Medium,
    cwe: 732,
    rationale: "`service:*` grants every action of the service, today's and tomorrow's. On iam, sts, kms, organizations, s3, secretsmanager, ssm or lambda that includes changing permissions, reading secrets or running code as other roles.",
    remediation: "Replace the wildcard with the actions used (for example `s3:GetObject` and `s3:PutObject` instead of `s3:*`), scoped to the resources used.",
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

pub struct Check;

impl super::Check for Check {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn statement(&self, doc: &PolicyDoc, st: &Expanded, out: &mut Vec<Hit>) {
        let s = st.statement;
        if doc.kind != DocKind::Identity || !s.allows() {
            return;
        }
        for a in &s.actions {
            let Some((service, "*")) = a.text.as_deref().and_then(|t| t.split_once(':')) else {
                continue;
            };
            let sensitive = SENSITIVE.iter().any(|x| x.eq_ignore_ascii_case(service));
            let base = if sensitive {
                Severity::High
            } else {
                INFO.severity
            };
            let what = if sensitive {
                "a sensitive service"
            } else {
                "a service"
            };
            let (severity, message) = weigh(
                s,
                base,
                format!("{}: {service}:* allows every action of {what}", doc.context),
            );
            out.push(hit(&INFO, severity, (a.start, a.end), message));
        }
    }
}

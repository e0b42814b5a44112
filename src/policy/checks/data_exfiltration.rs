//! Actions that read data out, allowed on every resource (cloudsplaining's data exfiltration).

use super::{CheckInfo, Expanded, Hit};
use crate::finding::Severity;
use crate::policy::model::{DocKind, PolicyDoc};

pub static INFO: CheckInfo = CheckInfo {
    id: "policy.data-exfiltration",
    title: "Policy allows reading data from every resource",
    severity: Severity::Medium,
    cwe: 200,
    rationale: "Reading every object, table or decrypting with every key lets one compromised principal copy the account's data, not just its own.",
    remediation: "Scope reads to the buckets, tables and keys the workload owns (`arn:aws:s3:::my-bucket/*`), and add `aws:ResourceOrgID` or VPC endpoint conditions for shared data.",
};

const READING: &[&str] = &[
    "s3:GetObject",
    "s3:GetObjectVersion",
    "dynamodb:Scan",
    "dynamodb:Query",
    "dynamodb:GetItem",
    "kms:Decrypt",
    "rds:CopyDBSnapshot",
    "ec2:GetPasswordData",
];

pub struct Check;

impl super::Check for Check {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn statement(&self, doc: &PolicyDoc, st: &Expanded, out: &mut Vec<Hit>) {
        let s = st.statement;
        if doc.kind != DocKind::Identity
            || !s.allows()
            || st.is_everything()
            || !s.on_any_resource()
        {
            return;
        }
        super::actions_on_every_resource(&INFO, doc, st, READING, out);
    }
}

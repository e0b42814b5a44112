//! Actions that read data out, allowed on every resource (cloudsplaining's data exfiltration).

use super::prelude::*;

pub static CHECK: Check = Check {
    id: "policy.data-exfiltration",
    title: "Policy allows reading data from every resource",
    severity: Severity::Medium,
    cwe: 200,
    rationale: "Reading every object, table or decrypting with every key lets one compromised principal copy the account's data, not just its own. SAM policy templates are expanded with their parameters (`S3CrudPolicy` with `BucketName: \"*\"` reads every bucket).",
    remediation: "Scope reads to the buckets, tables and keys the workload owns (`arn:aws:s3:::my-bucket/*`), and add `aws:ResourceOrgID` or VPC endpoint conditions for shared data.",
    fires: &[
        (
            "read-everything.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "kms:Decrypt"], "Resource": "*"}]}"#,
        ),
        (
            "sam-template-on-every-bucket.yaml",
            "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Policies:\n        - S3CrudPolicy:\n            BucketName: '*'\n",
        ),
        (
            "every-object-of-every-bucket.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::*/*"}]}"#,
        ),
    ],
    quiet: &[
        (
            "read-own.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"}]}"#,
        ),
        (
            "sam-template-on-its-bucket.yaml",
            "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Policies:\n        - S3CrudPolicy:\n            BucketName: !Ref Bucket\n",
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

pub(super) const READING: &[&str] = &[
    "s3:GetObject",
    "s3:GetObjectVersion",
    "dynamodb:Scan",
    "dynamodb:Query",
    "dynamodb:GetItem",
    "kms:Decrypt",
    "rds:CopyDBSnapshot",
    "ec2:GetPasswordData",
];

fn predicate(_: &PolicyDoc, st: &Expanded, _: &[Expanded], out: &mut Vec<Raw>) {
    // `Allow NotAction` is the allow-not check's finding: it grants this and everything else.
    let s = st.statement;
    if s.not_actions.is_empty() && crate::policy::eval::unscoped_resource(s) {
        super::on_every_resource(st, CHECK.severity, READING, out);
    }
}

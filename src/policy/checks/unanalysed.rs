//! Policies keyrot saw and could not analyse: a file that looks like IaC and does not parse, a
//! statement that is an intrinsic function resolved only at deployment (`Fn::Transform`, a
//! `Ref` to a parameter), an `Effect` known only at deployment: reported low, so that it
//! reaches code scanning and the summary and is never a silent loss. What a budget stopped, and
//! a form keyrot does not read that declares IAM (Terraform JSON syntax, `.tf.json` and
//! `.tofu.json`; Pulumi YAML programs), is high: it may hold any grant.

use super::prelude::*;

pub static CHECK: Check = Check {
    id: "policy.unanalysed",
    title: "Policy keyrot could not analyse",
    severity: Severity::Low,
    cwe: 1059,
    rationale: "A policy keyrot cannot read is a policy nobody has checked: a file that does not parse, a statement produced by a macro or a parameter at deployment, or an Effect chosen at deployment may hide `*` on `*`. Rather than drop it, keyrot reports where it stopped. Forms keyrot does not read (Terraform's JSON syntax, `.tf.json` and `.tofu.json`; Pulumi YAML programs) are named when they mention IAM, at high: they could hold any grant. OpenTofu's `.tofu` files are read as Terraform.",
    remediation: "Write the policy so that it can be read before deployment (literal statements; `Fn::If` around whole statements is read, both branches), or check it after deployment (`keyrot scan` on `terraform show -json` output, or `aws iam get-policy-version`). Fix files that do not parse.",
    fires: &[(
        "macro.yaml",
        "Resources:\n  P:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument:\n        Version: '2012-10-17'\n        Statement:\n          - Fn::Transform:\n              Name: AWS::Include\n              Parameters: {Location: s3://bucket/statements.yaml}\n",
    )],
    quiet: &[(
        "literal.yaml",
        "Resources:\n  P:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument:\n        Version: '2012-10-17'\n        Statement:\n          - Effect: Allow\n            Action: s3:GetObject\n            Resource: arn:aws:s3:::reports/*\n",
    )],
    scope: Scope::Document(predicate),
    note: None,
};

fn predicate(doc: &PolicyDoc, _: &[Expanded], out: &mut Vec<Raw>) {
    for (start, end, why) in &doc.unanalysed {
        // Statements nested past the budget may hold any grant: judged as the worst.
        let (severity, why) = if why == crate::policy::model::TOO_DEEP {
            (
                super::HIDDEN_SEVERITY,
                format!("{why}; what the budget kept from being read may grant anything, so it counts as high"),
            )
        } else {
            (CHECK.severity, why.clone())
        };
        out.push(raw(severity, (*start, *end), format!("not analysed: {why}")));
    }
}

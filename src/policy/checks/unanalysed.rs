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
    rationale: "A policy keyrot cannot read is a policy nobody has checked: a file that does not parse, a statement produced by a macro or a parameter at deployment, or an Effect chosen at deployment may hide `*` on `*`. A statement wholly supplied by inputs (a Terraform module's `dynamic \"statement\"` over its variable: Effect and actions unknown) is the caller's to write: it is a note of the scan, naming where, not a finding of the module. Rather than drop it, keyrot reports where it stopped. Forms keyrot does not read (Terraform's JSON syntax, `.tf.json` and `.tofu.json`; Pulumi YAML programs) are named when they mention IAM, at high: they could hold any grant. OpenTofu's `.tofu` files are read as Terraform.",
    remediation: "Write the policy so that it can be read before deployment (literal statements; `Fn::If` around whole statements is read, both branches), or check it after deployment (`keyrot scan` on `terraform show -json` output, or `aws iam get-policy-version`). Fix files that do not parse.",
    fires: &[
        (
            "effect-from-a-variable.tf",
            "data \"aws_iam_policy_document\" \"d\" {\n  statement {\n    effect    = var.effect\n    actions   = [\"s3:PutObject\"]\n    resources = [\"*\"]\n  }\n}\nresource \"aws_iam_policy\" \"p\" {\n  policy = data.aws_iam_policy_document.d.json\n}\n",
        ),
        (
        "macro.yaml",
        "Resources:\n  P:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument:\n        Version: '2012-10-17'\n        Statement:\n          - Fn::Transform:\n              Name: AWS::Include\n              Parameters: {Location: s3://bucket/statements.yaml}\n",
    ),
    ],
    quiet: &[
        (
            "statements-the-caller-supplies.tf",
            "data \"aws_iam_policy_document\" \"d\" {\n  dynamic \"statement\" {\n    for_each = var.statements\n    content {\n      effect    = statement.value.effect\n      actions   = statement.value.actions\n      resources = statement.value.resources\n    }\n  }\n}\nresource \"aws_iam_policy\" \"p\" {\n  policy = data.aws_iam_policy_document.d.json\n}\n",
        ),
        (
        "literal.yaml",
        "Resources:\n  P:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument:\n        Version: '2012-10-17'\n        Statement:\n          - Effect: Allow\n            Action: s3:GetObject\n            Resource: arn:aws:s3:::reports/*\n",
    ),
    ],
    scope: Scope::Document(predicate),
    note: None,
};

fn predicate(doc: &PolicyDoc, _: &[Expanded], out: &mut Vec<Raw>) {
    for (start, end, why) in &doc.unanalysed {
        // Noted by the scan instead: the module's caller writes it.
        if why == crate::policy::model::SUPPLIED {
            continue;
        }
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

//! A Lambda permission for any principal.

use super::prelude::*;

pub static CHECK: Check = Check {
    id: "policy.lambda-public",
    title: "Lambda function invocable by any principal",
    severity: Severity::High,
    cwe: 284,
    rationale: "A Lambda permission with principal `*` and no source ARN or account lets anyone invoke the function (high). One for an AWS service (`s3.amazonaws.com`, `sns.amazonaws.com`) without a source ARN or account lets that service invoke it for any account's bucket or topic: the confused deputy (medium).",
    remediation: "Set `principal` to the service or account that invokes it, with `source_arn` (or `SourceArn`) naming the exact caller, and `source_account` for services.",
    fires: &[
        (
            "bucket-trigger.yaml",
            "Resources:\n  Invoke:\n    Type: AWS::Lambda::Permission\n    Properties:\n      Action: lambda:InvokeFunction\n      FunctionName: !Ref Fn\n      Principal: s3.amazonaws.com\n",
        ),
        (
        "lambda.tf",
        "resource \"aws_lambda_permission\" \"open\" {\n  action        = \"lambda:InvokeFunction\"\n  function_name = \"report\"\n  principal     = \"*\"\n}\n",
        ),
    ],
    quiet: &[(
        "lambda.tf",
        "resource \"aws_lambda_permission\" \"sns\" {\n  action        = \"lambda:InvokeFunction\"\n  function_name = \"report\"\n  principal     = \"sns.amazonaws.com\"\n  source_arn    = \"arn:aws:sns:eu-west-1:123456789012:events\"\n}\n",
    )],
    scope: Scope::Fact(predicate),
    note: None,
};

fn predicate(fact: &IacFact, out: &mut Vec<Raw>) {
    if let FactKind::LambdaServiceUnscoped(service) = &fact.kind {
        out.push(raw(
            Severity::Medium,
            (fact.start, fact.end),
            format!("{service} may invoke the function for any account's resources (no SourceArn or SourceAccount)"),
        ));
    }
    if let FactKind::LambdaPublic { restricted } = fact.kind {
        let (severity, why) = if restricted {
            (
                Severity::Low,
                " (lowered: restricted by a source ARN or account)",
            )
        } else {
            (CHECK.severity, "")
        };
        out.push(raw(
            severity,
            (fact.start, fact.end),
            format!("any principal may invoke the function{why}"),
        ));
    }
}

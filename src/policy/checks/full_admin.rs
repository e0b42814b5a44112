//! `Allow` of every action on every resource.

use super::prelude::*;

pub static CHECK: Check = Check {
    id: "policy.full-admin",
    title: "Policy grants every action on every resource",
    severity: Severity::Critical,
    cwe: 269,
    rationale: "A statement that allows `*` on `*` makes whoever holds it an administrator of the account: it can read every secret, delete every resource and grant itself anything else.",
    remediation: "Name the actions the workload uses (IAM Access Analyzer can generate them from CloudTrail), scope `Resource` to the ARNs it needs, and keep administrator access for break-glass roles behind MFA.",
    fires: &[
        (
            "admin.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#,
        ),
        (
            "local.tf",
            "locals {\n  admin = jsonencode({ Version = \"2012-10-17\", Statement = [{ Effect = \"Allow\", Action = \"*\", Resource = \"*\" }] })\n}\nresource \"aws_iam_policy\" \"p\" {\n  policy = local.admin\n}\n",
        ),
        (
            "variable-default.tf",
            "variable \"policy\" {\n  default = <<EOF\n{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\"}]}\nEOF\n}\nresource \"aws_iam_role_policy\" \"p\" {\n  role   = \"app\"\n  policy = var.policy\n}\n",
        ),
        (
            "dynamic.tf",
            "data \"aws_iam_policy_document\" \"d\" {\n  dynamic \"statement\" {\n    for_each = var.grants\n    content {\n      sid       = statement.key\n      actions   = [\"*\"]\n      resources = [\"*\"]\n    }\n  }\n}\nresource \"aws_iam_policy\" \"p\" {\n  policy = data.aws_iam_policy_document.d.json\n}\n",
        ),
        (
            "source-documents.tf",
            "data \"aws_iam_policy_document\" \"base\" {\n  statement {\n    actions   = [\"*\"]\n    resources = [\"*\"]\n  }\n}\ndata \"aws_iam_policy_document\" \"app\" {\n  source_policy_documents = [data.aws_iam_policy_document.base.json]\n  statement {\n    actions   = [\"s3:GetObject\"]\n    resources = [\"arn:aws:s3:::reports/*\"]\n  }\n}\nresource \"aws_iam_policy\" \"p\" {\n  policy = data.aws_iam_policy_document.app.json\n}\n",
        ),
        (
            "behind-fn-if.yaml",
            "Conditions:\n  IsProd: !Equals [!Ref Env, prod]\nResources:\n  P:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument:\n        Version: '2012-10-17'\n        Statement:\n          - !If\n            - IsProd\n            - Effect: Allow\n              Action: s3:GetObject\n              Resource: arn:aws:s3:::reports/*\n            - Effect: Allow\n              Action: '*'\n              Resource: '*'\n",
        ),
        (
            "all-but-one.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "NotAction": "s3:DeleteBucket", "Resource": "*"}]}"#,
        ),
    ],
    quiet: &[
        (
            "deny.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}"#,
        ),
        (
            "allow-then-deny.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}, {"Effect": "Deny", "Action": "*", "Resource": "*"}]}"#,
        ),
        (
            "denied-elsewhere.tf",
            "resource \"aws_iam_policy\" \"all\" {\n  policy = jsonencode({ Version = \"2012-10-17\", Statement = [{ Effect = \"Allow\", Action = \"*\", Resource = \"*\" }] })\n}\nresource \"aws_iam_policy\" \"none\" {\n  policy = jsonencode({ Version = \"2012-10-17\", Statement = [{ Effect = \"Deny\", Action = \"*\", Resource = \"*\" }] })\n}\nresource \"aws_iam_user_policy_attachment\" \"a\" {\n  user       = aws_iam_user.u.name\n  policy_arn = aws_iam_policy.all.arn\n}\nresource \"aws_iam_user_policy_attachment\" \"b\" {\n  user       = aws_iam_user.u.name\n  policy_arn = aws_iam_policy.none.arn\n}\n",
        ),
        (
            "expired.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}}]}"#,
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

fn predicate(_: &PolicyDoc, st: &Expanded, _: &[Expanded], out: &mut Vec<Raw>) {
    let s = st.statement;
    if !s.on_any_resource() || !st.is_admin() {
        return;
    }
    let message = match s.not_actions.first() {
        // Every action but a few is an administrator too.
        Some(e) => format!(
            "Allow NotAction {} on *: every action but {}",
            e.text.as_deref().unwrap_or("?"),
            st.granted.complement().len()
        ),
        None => "Allow * on *".to_string(),
    };
    out.push(raw(CHECK.severity, star_resource(s), message));
}

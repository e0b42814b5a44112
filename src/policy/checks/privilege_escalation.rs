//! Privilege escalation after wildcard expansion: actions that let a principal grant itself
//! more, the paths of Rhino Security's and cloudsplaining's research.

use super::prelude::*;

pub static CHECK: Check = Check {
    id: "policy.privilege-escalation",
    title: "Policy allows privilege escalation",
    severity: Severity::High,
    cwe: 269,
    rationale: "Some actions let a principal give itself more than it was granted: passing any role to new compute (`iam:PassRole` with `ec2:RunInstances`, `lambda:CreateFunction`, ...), rewriting or attaching policies, creating keys or passwords for other users, editing trust policies, removing permission boundaries, or replacing a function's code.",
    remediation: "Scope `iam:PassRole` to the role ARNs the workload passes, with an `iam:PassedToService` condition; keep policy-editing and credential-creating IAM actions out of workload roles; scope them to the principal's own user (`${aws:username}`) where self-service is intended.",
    fires: &[
        (
            "pass-and-run.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["iam:PassRole", "ec2:RunInstances"], "Resource": "*"}]}"#,
        ),
        (
            "attach.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:Attach*", "Resource": "*"}]}"#,
        ),
    ],
    quiet: &[(
        "pass-one-role.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["iam:PassRole", "ec2:RunInstances"], "Resource": "arn:aws:iam::123456789012:role/app"}]}"#,
    )],
    scope: Scope::Allow {
        kinds: &[DocKind::Identity],
        skip_everything: true,
        conditions: Conditions::Lower,
        predicate,
    },
};

const COMPUTE: &[&str] = &[
    "ec2:RunInstances",
    "lambda:CreateFunction",
    "glue:CreateDevEndpoint",
    "glue:UpdateDevEndpoint",
    "cloudformation:CreateStack",
    "cloudformation:UpdateStack",
    "ecs:RunTask",
    "ecs:StartTask",
    "codebuild:CreateProject",
    "codebuild:StartBuild",
    "sagemaker:CreateNotebookInstance",
    "sagemaker:CreateTrainingJob",
    "datapipeline:CreatePipeline",
];

const ESCALATING: &[&str] = &[
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:AttachUserPolicy",
    "iam:AttachGroupPolicy",
    "iam:AttachRolePolicy",
    "iam:PutUserPolicy",
    "iam:PutGroupPolicy",
    "iam:PutRolePolicy",
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:AddUserToGroup",
    "iam:UpdateAssumeRolePolicy",
    "iam:DeleteUserPermissionsBoundary",
    "iam:DeleteRolePermissionsBoundary",
];

/// One finding per statement: every path it opens, at the first action that opens one.
fn predicate(_: &PolicyDoc, st: &Expanded, out: &mut Vec<Raw>) {
    if !broad_resource(st.statement) {
        return;
    }
    let mut paths: Vec<String> = Vec::new();
    let mut severity = CHECK.severity;
    let mut place = None;
    if let Some(pass) = st.allows_any(&["iam:PassRole"]) {
        let compute: Vec<&str> = COMPUTE
            .iter()
            .copied()
            .filter(|c| st.allows_any(&[c]).is_some())
            .collect();
        if compute.is_empty() {
            paths.push("iam:PassRole on any role".to_string());
        } else {
            severity = Severity::Critical;
            paths.push(format!(
                "iam:PassRole on any role with {}",
                list(&compute, 3)
            ));
        }
        place.get_or_insert(st.at(&pass.name));
    }
    let found: Vec<&str> = ESCALATING
        .iter()
        .copied()
        .filter(|e| st.allows_any(&[e]).is_some())
        .collect();
    if let Some(first) = found.first() {
        paths.push(format!("{} on any principal", list(&found, 4)));
        place.get_or_insert(st.at(first));
    }
    if let (Some(update), Some(_)) = (
        st.allows_any(&["lambda:UpdateFunctionCode"]),
        st.allows_any(&["lambda:InvokeFunction"]),
    ) {
        paths.push(
            "lambda:UpdateFunctionCode with lambda:InvokeFunction runs new code as any function's role"
                .to_string(),
        );
        place.get_or_insert(st.at(&update.name));
    }
    if let Some(place) = place {
        out.push(raw(severity, place, paths.join("; ")));
    }
}

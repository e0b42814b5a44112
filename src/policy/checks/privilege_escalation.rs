//! Privilege escalation after wildcard expansion: actions that let a principal grant itself
//! more, the paths of Rhino Security's and cloudsplaining's research.

use super::{broad_resource, hit, list, weigh, CheckInfo, Expanded, Hit};
use crate::finding::Severity;
use crate::policy::model::{DocKind, PolicyDoc};

pub static INFO: CheckInfo = CheckInfo {
    id: "policy.privilege-escalation",
    title: "Policy allows privilege escalation",
    severity: Severity::High,
    cwe: 269,
    rationale: "Some actions let a principal give itself more than it was granted: passing any role to new compute (`iam:PassRole` with `ec2:RunInstances`, `lambda:CreateFunction`, ...), rewriting or attaching policies, creating keys or passwords for other users, editing trust policies, removing permission boundaries, or replacing a function's code.",
    remediation: "Scope `iam:PassRole` to the role ARNs the workload passes, with an `iam:PassedToService` condition; keep policy-editing and credential-creating IAM actions out of workload roles; scope them to the principal's own user (`${aws:username}`) where self-service is intended.",
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

pub struct Check;

impl super::Check for Check {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn statement(&self, doc: &PolicyDoc, st: &Expanded, out: &mut Vec<Hit>) {
        let s = st.statement;
        if doc.kind != DocKind::Identity || !s.allows() || st.is_everything() {
            return;
        }
        let at = |name: &str| {
            st.element_for(name)
                .map_or((s.start, s.end), |e| (e.start, e.end))
        };
        if broad_resource(s) {
            if let Some(pass) = st.allows_any(&["iam:PassRole"]) {
                let compute: Vec<&str> = COMPUTE
                    .iter()
                    .copied()
                    .filter(|c| st.allows_any(&[c]).is_some())
                    .collect();
                let (base, detail) = if compute.is_empty() {
                    (Severity::High, "iam:PassRole on any role".to_string())
                } else {
                    (
                        Severity::Critical,
                        format!("iam:PassRole on any role with {}", list(&compute, 3)),
                    )
                };
                let (sev, msg) = weigh(s, base, format!("{}: {detail}", doc.context));
                out.push(hit(&INFO, sev, at(&pass.name), msg));
            }
            let found: Vec<&str> = ESCALATING
                .iter()
                .copied()
                .filter(|e| st.allows_any(&[e]).is_some())
                .collect();
            if let Some(first) = found.first() {
                let (sev, msg) = weigh(
                    s,
                    Severity::High,
                    format!("{}: {} on any principal", doc.context, list(&found, 4)),
                );
                out.push(hit(&INFO, sev, at(first), msg));
            }
        }
        if let (Some(update), Some(_)) = (
            st.allows_any(&["lambda:UpdateFunctionCode"]),
            st.allows_any(&["lambda:InvokeFunction"]),
        ) {
            if broad_resource(s) {
                let (sev, msg) = weigh(s, Severity::High, format!("{}: lambda:UpdateFunctionCode with lambda:InvokeFunction runs new code as any function's role", doc.context));
                out.push(hit(&INFO, sev, at(&update.name), msg));
            }
        }
    }
}

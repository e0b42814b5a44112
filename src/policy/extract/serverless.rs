//! Serverless framework `serverless.yml`: the service role's statements
//! (`provider.iam.role.statements`, the older `provider.iamRoleStatements`) and managed
//! policies (`provider.iam.role.managedPolicies`), per-function statements (the
//! per-function-roles plugin's `functions.X.iamRoleStatements`), and the CloudFormation
//! resources the file embeds (`resources.Resources`). The framework writes the policy
//! documents around the statements.

use super::{cloudformation, Extracted};
use crate::node::{Kind, Node};
use crate::policy::model::{collect_statements, DocKind, PolicyDoc};

/// The role the framework makes for the whole service.
const SERVICE_ROLE: &str = "serverless service role";

pub fn extract(root: &Node) -> Extracted {
    let mut out = match root.get("resources") {
        // Embedded CloudFormation: read as a template.
        Some(resources) if resources.get("Resources").is_some() => {
            cloudformation::extract(resources)
        }
        _ => Extracted::default(),
    };
    if let Some(provider) = root.get("provider") {
        let role = provider.get("iam").and_then(|i| i.get("role"));
        for (node, context) in [
            (
                role.and_then(|r| r.get("statements")),
                "provider.iam.role.statements",
            ),
            (
                provider.get("iamRoleStatements"),
                "provider.iamRoleStatements",
            ),
        ] {
            statements(node, context, SERVICE_ROLE, &mut out);
        }
        if let Some(managed) = role.and_then(|r| r.get("managedPolicies")) {
            for arn in managed.items() {
                out.facts.extend(super::attached_managed(
                    arn,
                    false,
                    "provider.iam.role.managedPolicies",
                ));
            }
        }
    }
    if let Some(functions) = root.get("functions") {
        for (name, function) in functions.entries() {
            let context = format!("functions.{name}.iamRoleStatements");
            let role = format!("serverless function role {name}");
            statements(function.get("iamRoleStatements"), &context, &role, &mut out);
        }
    }
    out
}

/// A bare list of statements as one document of `role`.
fn statements(node: Option<&Node>, context: &str, role: &str, out: &mut Extracted) {
    let Some(list) = node.filter(|n| matches!(n.kind, Kind::List(_))) else {
        return;
    };
    let mut statements = Vec::new();
    let mut unanalysed = Vec::new();
    collect_statements(list, None, &mut statements, &mut unanalysed, 0);
    out.docs.push(PolicyDoc {
        kind: DocKind::Identity,
        context: context.to_string(),
        version: None,
        version_implied: true,
        uses_variables: false,
        id: None,
        attached_to: vec![role.to_string()],
        aws_owned: false,
        unanalysed,
        statements,
        start: list.start,
    });
}

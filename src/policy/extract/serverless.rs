//! Serverless framework `serverless.yml`: `provider.iam.role.statements` and the older
//! `provider.iamRoleStatements`. The framework writes the policy document around them.

use super::Extracted;
use crate::node::{Kind, Node};
use crate::policy::model::{collect_statements, DocKind, PolicyDoc};

pub fn extract(root: &Node) -> Extracted {
    let mut out = Extracted::default();
    let Some(provider) = root.get("provider") else {
        return out;
    };
    let places = [
        (
            provider
                .get("iam")
                .and_then(|i| i.get("role"))
                .and_then(|r| r.get("statements")),
            "provider.iam.role.statements",
        ),
        (
            provider.get("iamRoleStatements"),
            "provider.iamRoleStatements",
        ),
    ];
    for (node, context) in places {
        let Some(list) = node.filter(|n| matches!(n.kind, Kind::List(_))) else {
            continue;
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
            // Both places make statements of the one role the framework writes per service.
            id: None,
            attached_to: vec!["serverless role".to_string()],
            unanalysed,
            statements,
            start: list.start,
        });
    }
    out
}

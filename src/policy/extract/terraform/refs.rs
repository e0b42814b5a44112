//! References between the resources of one file: which user, role, group or policy an
//! expression names.

use std::collections::HashMap;

use super::syntax::SNode;

use super::hcl::{named, Hcl};

/// References to users, roles, groups and policies of the same file.
pub(super) struct Refs<'a, 'h> {
    pub(super) hcl: &'h Hcl<'a>,
    pub(super) names: &'h HashMap<(String, String), String>,
}

impl Refs<'_, '_> {
    /// `aws_iam_role.app.name` (or `.id`, `.arn`) is `aws_iam_role.app`; a literal name is the
    /// resource of the file that has it, else `aws_iam_role "name"`.
    pub(super) fn principal(&self, rtype: &str, expr: SNode) -> Option<String> {
        let text = self.hcl.text(expr).trim();
        if let Some(rest) = text.strip_prefix(rtype).and_then(|r| r.strip_prefix('.')) {
            let label = rest.split('.').next()?;
            return Some(format!("{rtype}.{label}"));
        }
        let name = self.hcl.string(expr)?;
        Some(
            self.names
                .get(&(rtype.to_string(), name.clone()))
                .cloned()
                .unwrap_or_else(|| format!("{rtype} \"{name}\"")),
        )
    }

    /// One reference or a list of them.
    pub(super) fn principals(&self, rtype: &str, expr: SNode) -> Vec<String> {
        let items = self.items(expr);
        if items.is_empty() {
            return self.principal(rtype, expr).into_iter().collect();
        }
        items
            .into_iter()
            .filter_map(|e| self.principal(rtype, e))
            .collect()
    }

    /// `aws_iam_policy.p.arn` is `aws_iam_policy.p`; in a list, each of them.
    pub(super) fn policies(&self, expr: SNode) -> Vec<String> {
        let items = self.items(expr);
        let items = if items.is_empty() { vec![expr] } else { items };
        items
            .into_iter()
            .filter_map(|e| {
                let text = self.hcl.text(e).trim();
                let rest = text.strip_prefix("aws_iam_policy.")?;
                Some(format!("aws_iam_policy.{}", rest.split('.').next()?))
            })
            .collect()
    }

    /// The element expressions of a tuple expression, or nothing.
    pub(super) fn items<'t>(&self, expr: SNode<'t>) -> Vec<SNode<'t>> {
        let mut node = expr;
        loop {
            match node.kind() {
                "tuple" => {
                    return named(node)
                        .into_iter()
                        .filter(|e| e.kind() == "expression")
                        .collect()
                }
                "expression" | "collection_value" => match named(node).as_slice() {
                    [only] => node = *only,
                    _ => return Vec::new(),
                },
                _ => return Vec::new(),
            }
        }
    }
}

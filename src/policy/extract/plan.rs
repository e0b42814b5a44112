//! Terraform plan JSON (`terraform show -json PLAN`): every variable, local, module and
//! `for_each` already resolved. Policies are read from `planned_values` (the root module and
//! every child module), each reported at the plan file's `values` entry of its resource, named
//! by the resource's address. Values known only after apply are absent from `values`: they stay
//! unknown, never `*`.

use super::{is_admin_managed_policy, Extracted, FactKind, IacFact};
use crate::node::{Kind, Node};
use crate::policy::model::{doc_from_node, DocKind};

/// Arguments that hold identity and trust policies, by resource type.
const IDENTITY: &[(&str, &str, DocKind)] = &[
    ("aws_iam_policy", "policy", DocKind::Identity),
    ("aws_iam_role_policy", "policy", DocKind::Identity),
    ("aws_iam_user_policy", "policy", DocKind::Identity),
    ("aws_iam_group_policy", "policy", DocKind::Identity),
    ("aws_iam_role", "assume_role_policy", DocKind::Trust),
];

pub fn extract(root: &Node) -> Extracted {
    let mut out = Extracted::default();
    if let Some(module) = root
        .get("planned_values")
        .and_then(|p| p.get("root_module"))
    {
        module_resources(module, &mut out, 0);
    }
    out
}

fn module_resources(module: &Node, out: &mut Extracted, depth: usize) {
    if depth > 32 {
        out.broken
            .push((module.start, "modules nested too deep".into()));
        return;
    }
    for resource in module.get("resources").map(Node::items).unwrap_or_default() {
        resource_policies(resource, out);
    }
    for child in module
        .get("child_modules")
        .map(Node::items)
        .unwrap_or_default()
    {
        module_resources(child, out, depth + 1);
    }
}

fn resource_policies(resource: &Node, out: &mut Extracted) {
    let (Some(rtype), Some(address), Some(values)) = (
        resource.get("type").and_then(Node::as_str),
        resource.get("address").and_then(Node::as_str),
        resource.get("values"),
    ) else {
        return;
    };
    let policy = |argument: &str, kind: DocKind, what: &str, node: &Node, out: &mut Extracted| {
        let Some(text) = node.as_str() else { return };
        if text.trim().is_empty() {
            return;
        }
        match crate::node::json(text) {
            Ok(mut doc) => {
                // The document is a string inside the plan: its parts point at the string.
                pin(&mut doc, node.start, node.end);
                if let Some(mut d) = doc_from_node(&doc, kind, format!("{address}{what}")) {
                    if rtype == "aws_iam_policy" {
                        d.id = values.get("arn").and_then(Node::as_str).map(str::to_string);
                    }
                    if let Some(role) = values.get("role").and_then(Node::as_str) {
                        d.attached_to.push(format!("aws_iam_role \"{role}\""));
                    }
                    out.docs.push(d);
                }
            }
            Err(_) => out.broken.push((
                node.start,
                format!("{address}: {argument} is not a JSON policy"),
            )),
        }
    };
    for (t, argument, kind) in IDENTITY {
        if *t == rtype {
            if let Some(node) = values.get(argument) {
                policy(argument, *kind, "", node, out);
            }
        }
    }
    if rtype == "aws_iam_role" {
        for inline in values
            .get("inline_policy")
            .map(Node::items)
            .unwrap_or_default()
        {
            if let Some(node) = inline.get("policy") {
                policy(
                    "inline_policy",
                    DocKind::Identity,
                    " (inline_policy)",
                    node,
                    out,
                );
                if let (Some(d), Some(name)) = (
                    out.docs.last_mut(),
                    values.get("name").and_then(Node::as_str),
                ) {
                    d.attached_to.push(format!("aws_iam_role \"{name}\""));
                }
            }
        }
    }
    if let Some(argument) = super::terraform::resource_policy_argument(rtype) {
        if let Some(node) = values.get(argument) {
            policy(argument, DocKind::Resource, "", node, out);
        }
    }
    if rtype.ends_with("_policy_attachment") {
        if let Some(arn) = values.get("policy_arn") {
            if let Some(name) = arn.as_str().filter(|n| is_admin_managed_policy(n)) {
                out.facts.push(IacFact {
                    kind: FactKind::ManagedPolicy(name.to_string()),
                    context: address.to_string(),
                    start: arn.start,
                    end: arn.end,
                });
            }
        }
    }
    if rtype == "aws_iam_access_key" {
        out.facts.push(IacFact {
            kind: FactKind::AccessKey,
            context: address.to_string(),
            start: resource.start,
            end: resource.end,
        });
    }
}

/// Every span of `node` set to `start..end`.
fn pin(node: &mut Node, start: usize, end: usize) {
    node.start = start;
    node.end = end;
    match &mut node.kind {
        Kind::Map(entries) => entries.iter_mut().for_each(|(_, v)| pin(v, start, end)),
        Kind::List(items) => items.iter_mut().for_each(|v| pin(v, start, end)),
        _ => {}
    }
}

//! Terraform plan JSON (`terraform show -json PLAN`): every variable, local, module and
//! `for_each` already resolved. Policies are read from `planned_values` (the root module and
//! every child module), each reported at the plan file's `values` entry of its resource, named
//! by the resource's address. Values known only after apply are absent from `values`: they stay
//! unknown, never `*`.

use super::{Extracted, FactKind, IacFact};
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
    if let Some(root_module) = root.get("configuration").and_then(|c| c.get("root_module")) {
        module_sources(root_module, "", "", &mut out.plan_modules, 0);
    }
    out
}

/// Where each module's configuration lives (`module.net.module.sg` -> `modules/net/sg`), from
/// the `source` of its call when that is a local path (`./x`, `../x`); registry and git
/// sources are not on disk and are left out.
fn module_sources(
    module: &Node,
    address: &str,
    dir: &str,
    out: &mut Vec<(String, String)>,
    depth: usize,
) {
    if depth > 32 || out.len() > 10_000 {
        return;
    }
    out.push((address.to_string(), dir.to_string()));
    let Some(Kind::Map(calls)) = module.get("module_calls").map(|c| &c.kind) else {
        return;
    };
    for (name, call) in calls {
        let Some(source) = call.get("source").and_then(Node::as_str) else {
            continue;
        };
        if !(source.starts_with("./") || source.starts_with("../")) {
            continue;
        }
        let Some(child_dir) = join_relative(dir, source) else {
            continue;
        };
        let child_address = if address.is_empty() {
            format!("module.{name}")
        } else {
            format!("{address}.module.{name}")
        };
        if let Some(child) = call.get("module") {
            module_sources(child, &child_address, &child_dir, out, depth + 1);
        }
    }
}

/// `a/b` joined with `../c/./d` is `a/c/d`; `None` when it climbs above the plan's folder.
pub fn join_relative(base: &str, rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = base.split('/').filter(|p| !p.is_empty()).collect();
    for part in rel.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// A resource address without its instance keys: `module.a["x"].aws_iam_role.r[0]` is
/// (`module.a`, `aws_iam_role`, `r`).
pub fn split_address(address: &str) -> Option<(String, String, String)> {
    let mut clean = String::with_capacity(address.len());
    let mut depth = 0usize;
    for c in address.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            _ if depth == 0 => clean.push(c),
            _ => {}
        }
    }
    let clean = clean.strip_prefix("data.").map_or(clean.as_str(), |c| c);
    let mut parts: Vec<&str> = clean.split('.').collect();
    let name = parts.pop()?;
    let rtype = parts.pop()?;
    Some((parts.join("."), rtype.to_string(), name.to_string()))
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
                doc.pin(node.start, node.end);
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
            out.facts
                .extend(super::attached_managed(arn, false, address));
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

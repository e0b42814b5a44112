//! CloudFormation (YAML with short-form tags, or JSON, CDK output included) and SAM.

use super::{Extracted, FactKind, IacFact};
use crate::node::{Kind, Node};
use crate::policy::model::{doc_from_node, DocKind};

/// The resource types `extract` reads, by prefix: a template that names none of them (and
/// spells no type with an escape) is not parsed at all. Every type is read only through this
/// list, so a type added to `extract` and not here is caught by its own tests.
pub const TYPES: [&str; 7] = [
    "AWS::IAM::",
    "AWS::S3::BucketPolicy",
    "AWS::SQS::QueuePolicy",
    "AWS::SNS::TopicPolicy",
    "AWS::KMS::Key",
    "AWS::Lambda::Permission",
    "AWS::Serverless::Function",
];

/// Whether a template can declare a resource `extract` reads: it names one of `TYPES`, or it
/// has an escape that could spell one (`\u0049`, `\x49`, a YAML line break escaped).
pub fn may_declare(text: &[u8]) -> bool {
    // One pass for `AWS::`, then which type follows it.
    memchr::memmem::find_iter(text, b"AWS::").any(|at| {
        let named = &text[at..];
        TYPES.iter().any(|t| named.starts_with(t.as_bytes()))
    }) || memchr::memchr_iter(b'\\', text)
        .any(|at| matches!(text.get(at + 1), Some(b'u' | b'U' | b'x' | b'\n' | b'\r')))
}

pub fn extract(root: &Node) -> Extracted {
    let mut out = Extracted::default();
    let Some(resources) = root.get("Resources") else {
        return out;
    };
    for (name, resource) in resources.entries() {
        let Some(kind) = resource
            .get("Type")
            .and_then(Node::as_str)
            .filter(|k| TYPES.iter().any(|t| k.starts_with(t)))
        else {
            continue;
        };
        let props = resource.get("Properties");
        let ctx = |what: &str| format!("{name} ({kind}{what})");
        let doc = |node: Option<&Node>, doc_kind: DocKind, what: &str, out: &mut Extracted| {
            if let Some(d) = node.and_then(|n| doc_from_node(n, doc_kind, ctx(what))) {
                out.docs.push(d);
            }
        };
        let fact = |kind: FactKind, at: &Node, what: &str| IacFact {
            kind,
            context: ctx(what),
            start: at.start,
            end: at.end,
        };
        match kind {
            "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => {
                let before = out.docs.len();
                doc(
                    props.and_then(|p| p.get("PolicyDocument")),
                    DocKind::Identity,
                    "",
                    &mut out,
                );
                if let Some(d) = out.docs.get_mut(before) {
                    d.id = Some(name.clone());
                    for key in ["Roles", "Users", "Groups"] {
                        d.attached_to
                            .extend(props.and_then(|p| p.get(key)).map(refs).unwrap_or_default());
                    }
                }
                if let Some(users) = props.and_then(|p| p.get("Users")) {
                    out.facts.push(fact(FactKind::UserPolicy, users, " Users"));
                }
            }
            "AWS::IAM::Role" | "AWS::IAM::User" | "AWS::IAM::Group" => {
                if kind == "AWS::IAM::Role" {
                    doc(
                        props.and_then(|p| p.get("AssumeRolePolicyDocument")),
                        DocKind::Trust,
                        " trust",
                        &mut out,
                    );
                }
                if let Some(policies) = props.and_then(|p| p.get("Policies")) {
                    for policy in policies.items() {
                        let before = out.docs.len();
                        doc(
                            policy.get("PolicyDocument"),
                            DocKind::Identity,
                            " inline policy",
                            &mut out,
                        );
                        if let Some(d) = out.docs.get_mut(before) {
                            d.attached_to.push(name.clone());
                        }
                        if kind == "AWS::IAM::User" {
                            out.facts
                                .push(fact(FactKind::UserPolicy, policy, " Policies"));
                        }
                    }
                }
                let arns = props.and_then(|p| p.get("ManagedPolicyArns"));
                managed(arns, &ctx(" ManagedPolicyArns"), &mut out);
                for policy in arns.map(refs).unwrap_or_default() {
                    out.attachments.push((policy, name.clone()));
                }
                if kind == "AWS::IAM::User" {
                    for group in props
                        .and_then(|p| p.get("Groups"))
                        .map(refs)
                        .unwrap_or_default()
                    {
                        out.memberships.push((name.clone(), group));
                    }
                }
            }
            "AWS::IAM::UserToGroupAddition" => {
                let group = props.and_then(|p| p.get("GroupName")).and_then(reference);
                for user in props
                    .and_then(|p| p.get("Users"))
                    .map(refs)
                    .unwrap_or_default()
                {
                    out.memberships.extend(group.clone().map(|g| (user, g)));
                }
            }
            "AWS::IAM::AccessKey" => out.facts.push(fact(FactKind::AccessKey, resource, "")),
            "AWS::S3::BucketPolicy" | "AWS::SQS::QueuePolicy" | "AWS::SNS::TopicPolicy" => {
                doc(
                    props.and_then(|p| p.get("PolicyDocument")),
                    DocKind::Resource,
                    "",
                    &mut out,
                );
            }
            "AWS::KMS::Key" => doc(
                props.and_then(|p| p.get("KeyPolicy")),
                DocKind::Resource,
                " KeyPolicy",
                &mut out,
            ),
            "AWS::Lambda::Permission" => {
                let restricted = props.is_some_and(|p| {
                    p.get("SourceArn").is_some() || p.get("SourceAccount").is_some()
                });
                if let Some(principal) = props.and_then(|p| p.get("Principal")) {
                    match principal.as_str() {
                        Some("*") => out.facts.push(fact(
                            FactKind::LambdaPublic { restricted },
                            principal,
                            " Principal",
                        )),
                        Some(service) if service.ends_with(".amazonaws.com") && !restricted => {
                            out.facts.push(fact(
                                FactKind::LambdaServiceUnscoped(service.to_string()),
                                principal,
                                " Principal",
                            ))
                        }
                        _ => {}
                    }
                }
            }
            "AWS::Serverless::Function" => {
                if let Some(policies) = props.and_then(|p| p.get("Policies")) {
                    for policy in policies.items() {
                        match &policy.kind {
                            // A policy template: `S3CrudPolicy: {BucketName: ...}`.
                            Kind::Map(entries)
                                if entries.len() == 1 && policy.get("Statement").is_none() =>
                            {
                                let (template, parameters) = &entries[0];
                                let Some(node) = crate::policy::managed::sam_template(
                                    template,
                                    parameters,
                                    policy.start,
                                    policy.end,
                                ) else {
                                    continue;
                                };
                                let what = format!(" Policies {template}");
                                if let Some(mut d) =
                                    doc_from_node(&node, DocKind::Identity, ctx(&what))
                                {
                                    d.aws_owned = true;
                                    out.docs.push(d);
                                }
                            }
                            Kind::Map(_) => {
                                // SAM writes the document around these statements.
                                if let Some(mut d) =
                                    doc_from_node(policy, DocKind::Identity, ctx(" Policies"))
                                {
                                    d.version_implied = true;
                                    out.docs.push(d);
                                }
                            }
                            _ => out.facts.extend(super::attached_managed(
                                policy,
                                true,
                                &ctx(" Policies"),
                            )),
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// The logical id a value refers to: `!Ref X` (`{"Ref": "X"}`), `!GetAtt X.Arn`
/// (`{"Fn::GetAtt": ["X", "Arn"]}`), or a literal name (which a resource may also carry).
fn reference(node: &Node) -> Option<String> {
    match &node.kind {
        Kind::Map(entries) if entries.len() == 1 => {
            let (key, value) = &entries[0];
            match (key.as_str(), &value.kind) {
                ("Ref", Kind::Str(id)) => Some(id.clone()),
                ("Fn::GetAtt", Kind::List(parts)) => parts.first()?.as_str().map(str::to_string),
                ("Fn::GetAtt", Kind::Str(path)) => Some(path.split('.').next()?.to_string()),
                _ => None,
            }
        }
        Kind::Str(name) => Some(name.clone()),
        _ => None,
    }
}

/// Every reference of a list (or of a single value).
fn refs(node: &Node) -> Vec<String> {
    node.items().into_iter().filter_map(reference).collect()
}

fn managed(arns: Option<&Node>, context: &str, out: &mut Extracted) {
    for arn in arns.map(Node::items).unwrap_or_default() {
        out.facts
            .extend(super::attached_managed(arn, false, context));
    }
}

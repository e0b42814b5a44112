//! CloudFormation (YAML with short-form tags, or JSON, CDK output included) and SAM.

use super::{is_admin_managed_policy, Extracted, FactKind, IacFact};
use crate::node::{Kind, Node};
use crate::policy::model::{doc_from_node, DocKind};

pub fn extract(root: &Node) -> Extracted {
    let mut out = Extracted::default();
    let Some(resources) = root.get("Resources") else {
        return out;
    };
    for (name, resource) in resources.entries() {
        let Some(kind) = resource.get("Type").and_then(Node::as_str) else {
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
                doc(
                    props.and_then(|p| p.get("PolicyDocument")),
                    DocKind::Identity,
                    "",
                    &mut out,
                );
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
                        doc(
                            policy.get("PolicyDocument"),
                            DocKind::Identity,
                            " inline policy",
                            &mut out,
                        );
                        if kind == "AWS::IAM::User" {
                            out.facts
                                .push(fact(FactKind::UserPolicy, policy, " Policies"));
                        }
                    }
                }
                managed(
                    props.and_then(|p| p.get("ManagedPolicyArns")),
                    &ctx(" ManagedPolicyArns"),
                    &mut out,
                );
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
                if let Some(principal) = props
                    .and_then(|p| p.get("Principal"))
                    .filter(|p| p.as_str() == Some("*"))
                {
                    let restricted = props.is_some_and(|p| {
                        p.get("SourceArn").is_some() || p.get("SourceAccount").is_some()
                    });
                    out.facts.push(fact(
                        FactKind::LambdaPublic { restricted },
                        principal,
                        " Principal",
                    ));
                }
            }
            "AWS::Serverless::Function" => {
                if let Some(policies) = props.and_then(|p| p.get("Policies")) {
                    for policy in policies.items() {
                        match &policy.kind {
                            Kind::Map(_) => {
                                // SAM writes the document around these statements.
                                if let Some(mut d) =
                                    doc_from_node(policy, DocKind::Identity, ctx(" Policies"))
                                {
                                    d.version_implied = true;
                                    out.docs.push(d);
                                }
                            }
                            Kind::Str(name) if is_admin_managed_policy(name) => {
                                out.facts.push(fact(
                                    FactKind::ManagedPolicy(name.clone()),
                                    policy,
                                    " Policies",
                                ));
                            }
                            _ => {}
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn managed(arns: Option<&Node>, context: &str, out: &mut Extracted) {
    for arn in arns.map(Node::items).unwrap_or_default() {
        if let Some(name) = arn.as_str().filter(|n| is_admin_managed_policy(n)) {
            out.facts.push(IacFact {
                kind: FactKind::ManagedPolicy(name.to_string()),
                context: context.to_string(),
                start: arn.start,
                end: arn.end,
            });
        }
    }
}

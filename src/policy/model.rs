//! IAM policy documents as the checks see them: statements whose every element keeps its
//! span, from whichever format they were written in.

use crate::node::{Kind, Node};

/// What a document governs, which decides the checks that apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocKind {
    /// Attached to a user, group or role: what it may do.
    Identity,
    /// A role's trust policy: who may assume it.
    Trust,
    /// On a bucket, queue, topic, key...: who may use the resource.
    Resource,
}

/// A value with the span it was written at; `None` text when unresolvable.
#[derive(Clone, Debug)]
pub struct Spanned {
    pub text: Option<String>,
    pub start: usize,
    pub end: usize,
}

impl Spanned {
    fn of(node: &Node) -> Spanned {
        // `${...}` is Terraform or CloudFormation interpolation: unknown until deployed.
        let text = match &node.kind {
            Kind::Str(s) | Kind::Scalar(s) if !s.contains("${") => Some(s.clone()),
            _ => None,
        };
        Spanned {
            text,
            start: node.start,
            end: node.end,
        }
    }

    pub fn is(&self, value: &str) -> bool {
        self.text.as_deref() == Some(value)
    }
}

#[derive(Clone, Debug)]
pub struct Principal {
    /// `AWS`, `Service`, `Federated`, `CanonicalUser`, or `*` for a bare `"*"`.
    pub kind: String,
    pub value: Spanned,
}

#[derive(Clone, Debug)]
pub struct Condition {
    /// `StringEquals`, `ForAnyValue:StringLike`, ...: kept as written; checks weigh keys today.
    #[allow(dead_code)]
    pub operator: String,
    pub key: String,
    pub values: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Statement {
    pub effect: Option<Spanned>,
    pub actions: Vec<Spanned>,
    pub not_actions: Vec<Spanned>,
    pub resources: Vec<Spanned>,
    pub not_resources: Vec<Spanned>,
    pub principals: Vec<Principal>,
    pub not_principals: Vec<Principal>,
    pub conditions: Vec<Condition>,
    pub start: usize,
    pub end: usize,
}

impl Statement {
    pub fn allows(&self) -> bool {
        self.effect.as_ref().is_some_and(|e| e.is("Allow"))
    }

    /// Whether a condition on one of these keys (case-insensitive) restricts the statement.
    pub fn condition_on(&self, keys: &[&str]) -> Option<&Condition> {
        self.conditions
            .iter()
            .find(|c| keys.iter().any(|k| c.key.eq_ignore_ascii_case(k)))
    }

    /// `Resource` is `*` (or absent, as in a trust policy).
    pub fn on_any_resource(&self) -> bool {
        self.resources.iter().any(|r| r.is("*"))
    }
}

/// A policy document found in a file.
#[derive(Clone, Debug)]
pub struct PolicyDoc {
    pub kind: DocKind,
    /// Where it was declared, for messages: `aws_iam_role.app (inline_policy)`.
    pub context: String,
    pub version: Option<Spanned>,
    /// The tool writes `Version` itself (Serverless, Terraform's policy documents).
    pub version_implied: bool,
    pub statements: Vec<Statement>,
    pub start: usize,
}

/// Reads a policy document from a node, `None` when the node has no `Statement`.
pub fn doc_from_node(node: &Node, kind: DocKind, context: String) -> Option<PolicyDoc> {
    let statement = node.get("Statement")?;
    Some(PolicyDoc {
        kind,
        context,
        version: node.get("Version").map(Spanned::of),
        version_implied: false,
        statements: statement
            .items()
            .into_iter()
            .filter(|n| matches!(n.kind, Kind::Map(_)))
            .map(statement_from_node)
            .collect(),
        start: node.start,
    })
}

/// A statement from its map node (also used for Serverless' bare statement lists).
pub fn statement_from_node(node: &Node) -> Statement {
    let list = |key: &str| -> Vec<Spanned> {
        node.get(key)
            .map(|n| n.items().into_iter().map(Spanned::of).collect())
            .unwrap_or_default()
    };
    Statement {
        effect: node.get("Effect").map(Spanned::of),
        actions: list("Action"),
        not_actions: list("NotAction"),
        resources: list("Resource"),
        not_resources: list("NotResource"),
        principals: node.get("Principal").map(principals).unwrap_or_default(),
        not_principals: node.get("NotPrincipal").map(principals).unwrap_or_default(),
        conditions: node.get("Condition").map(conditions).unwrap_or_default(),
        start: node.start,
        end: node.end,
    }
}

fn principals(node: &Node) -> Vec<Principal> {
    match &node.kind {
        Kind::Map(entries) => entries
            .iter()
            .flat_map(|(kind, value)| {
                value.items().into_iter().map(move |v| Principal {
                    kind: kind.clone(),
                    value: Spanned::of(v),
                })
            })
            .collect(),
        _ => vec![Principal {
            kind: "*".into(),
            value: Spanned::of(node),
        }],
    }
}

fn conditions(node: &Node) -> Vec<Condition> {
    let mut out = Vec::new();
    for (operator, keys) in node.entries() {
        for (key, values) in keys.entries() {
            out.push(Condition {
                operator: operator.clone(),
                key: key.clone(),
                values: values
                    .items()
                    .iter()
                    .map(|v| v.as_str().map_or_else(|| "?".to_string(), str::to_string))
                    .collect(),
            });
        }
    }
    out
}

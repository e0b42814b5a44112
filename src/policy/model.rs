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

/// Stands for a part of a value that is unknown until deployment (`${var.x}`, `${AWS::AccountId}`)
/// in a value's `shape`: it matches no wildcard and is never taken for `*`.
pub const UNKNOWN: char = '\u{1}';

/// A value with the span it was written at. `text` is the value when it is wholly known;
/// `shape` is what is known of it, unknown parts written as `UNKNOWN`
/// (`arn:aws:iam::\u{1}:role/*`), `None` when nothing is known.
#[derive(Clone, Debug)]
pub struct Spanned {
    pub text: Option<String>,
    pub shape: Option<String>,
    pub start: usize,
    pub end: usize,
}

impl Spanned {
    pub fn of(node: &Node) -> Spanned {
        let shape = shape_of(node);
        let text = shape.clone().filter(|s| !s.contains(UNKNOWN));
        Spanned {
            text,
            shape,
            start: node.start,
            end: node.end,
        }
    }

    pub fn is(&self, value: &str) -> bool {
        self.text.as_deref() == Some(value)
    }
}

/// Prefixes of IAM's own policy variables: `${aws:username}` is a value IAM fills in at request
/// time (the caller's own name), not an interpolation of the IaC tool.
const POLICY_VARIABLES: &[&str] = &[
    "aws:",
    "!aws:",
    "saml:",
    "sts:",
    "iot:",
    "s3:",
    "ec2:",
    "cognito-identity.",
    "www.amazon.com:",
    "graph.facebook.com:",
    "accounts.google.com:",
    "token.actions.",
];

fn is_policy_variable(inner: &str) -> bool {
    POLICY_VARIABLES.iter().any(|p| inner.starts_with(p))
}

/// What is known of a value: a string with its tool interpolations (`${...}` that are not IAM
/// policy variables) replaced by `UNKNOWN`; `!Sub`, `Fn::Sub` and `Fn::Join` read the same way.
fn shape_of(node: &Node) -> Option<String> {
    let shape = match &node.kind {
        Kind::Str(s) | Kind::Scalar(s) => template_shape(s),
        Kind::Unknown(raw) => {
            let raw = raw.trim();
            if raw.starts_with('"') && raw.ends_with('"') && raw.len() >= 2 {
                // A Terraform template string with interpolations: `"${aws_sqs_queue.q.arn}"`
                // alone is that one resource's ARN.
                let inner = &raw[1..raw.len() - 1];
                match inner.strip_prefix("${").and_then(|i| i.strip_suffix('}')) {
                    Some(reference) if is_resource_arn_reference(reference.trim()) => one_arn(),
                    _ => template_shape(inner),
                }
            } else if is_resource_arn_reference(raw) {
                one_arn()
            } else {
                return None;
            }
        }
        Kind::Map(entries) if entries.len() == 1 => {
            let (key, value) = &entries[0];
            match (key.as_str(), &value.kind) {
                // `!GetAtt Queue.Arn`: the ARN of one resource of the template.
                ("Fn::GetAtt", Kind::List(parts))
                    if parts
                        .get(1)
                        .and_then(Node::as_str)
                        .is_some_and(|a| a.ends_with("Arn")) =>
                {
                    one_arn()
                }
                ("Fn::GetAtt", Kind::Str(path)) if path.ends_with("Arn") => one_arn(),
                ("Fn::Sub", Kind::Str(s)) => template_shape(s),
                ("Fn::Sub", Kind::List(items)) => template_shape(items.first()?.as_str()?),
                ("Fn::Join", Kind::List(items)) if items.len() == 2 => {
                    let sep = items[0].as_str()?;
                    let parts: Vec<String> = items[1]
                        .items()
                        .iter()
                        .map(|p| shape_of(p).unwrap_or_else(|| UNKNOWN.to_string()))
                        .collect();
                    parts.join(sep)
                }
                _ => return None,
            }
        }
        _ => return None,
    };
    // Nothing known but punctuation: the value is unknown, not a pattern.
    shape
        .chars()
        .any(|c| c != UNKNOWN && c.is_alphanumeric() || c == '*')
        .then_some(shape)
}

/// The shape of the ARN of one resource known only at deployment.
fn one_arn() -> String {
    format!("arn:{UNKNOWN}")
}

/// A Terraform reference to a resource's ARN (`aws_sqs_queue.jobs.arn`,
/// `data.aws_s3_bucket.logs.arn`, `aws_iam_role.r[0].arn`, a module's output
/// `module.backend.table_arn`): one resource, or those a splat lists, never a pattern.
/// Variables and locals may hold anything.
fn is_resource_arn_reference(raw: &str) -> bool {
    let parts: Vec<&str> = raw.split('.').collect();
    let last = parts.last().copied().unwrap_or("");
    let arn = last == "arn" || (parts[0] == "module" && last.ends_with("_arn"));
    parts.len() >= 3
        && arn
        && !matches!(parts[0], "var" | "local" | "each" | "count")
        && raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '[' | ']' | '*'))
}

/// `s` with every `${...}` that is not an IAM policy variable replaced by `UNKNOWN`.
fn template_shape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        // Terraform writes a literal `${` as `$${`.
        let escaped = i > 0 && rest.as_bytes()[i - 1] == b'$';
        let Some(close) = rest[i..].find('}') else {
            break;
        };
        let inner = &rest[i + 2..i + close];
        if escaped {
            out.push_str(&rest[..i - 1]);
            out.push_str(&rest[i..=i + close]);
        } else if is_policy_variable(inner) {
            out.push_str(&rest[..=i + close]);
        } else {
            out.push_str(&rest[..i]);
            out.push(UNKNOWN);
        }
        rest = &rest[i + close + 1..];
    }
    out.push_str(rest);
    out
}

/// Whether a value uses IAM policy variables, which need `Version: 2012-10-17`.
pub fn uses_policy_variables(node: &Node) -> bool {
    match &node.kind {
        Kind::Str(s) | Kind::Scalar(s) | Kind::Unknown(s) => s
            .match_indices("${")
            .any(|(i, _)| is_policy_variable(&s[i + 2..])),
        Kind::Map(entries) => entries.iter().any(|(_, v)| uses_policy_variables(v)),
        Kind::List(items) => items.iter().any(uses_policy_variables),
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
    /// `StringEquals`, `ForAnyValue:StringLike`, `BoolIfExists`, ... as written.
    pub operator: String,
    pub key: String,
    /// The values as far as they are known (`Spanned::shape`); `None` for one wholly unknown
    /// (`!Ref AWS::AccountId`), which is a value of the deployment, never a wildcard.
    pub values: Vec<Option<String>>,
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
    /// Where a CloudFormation `Fn::If` put it: `the IsProd branch of Fn::If`.
    pub branch: Option<String>,
    pub start: usize,
    pub end: usize,
}

impl Statement {
    pub fn allows(&self) -> bool {
        self.effect.as_ref().is_some_and(|e| e.is("Allow"))
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
    /// It uses IAM policy variables (`${aws:username}`), which need `Version: 2012-10-17`.
    pub uses_variables: bool,
    /// How the file names this document when it attaches it (`aws_iam_policy.deploy`).
    pub id: Option<String>,
    /// The users, roles and groups the file attaches it to directly (`aws_iam_role.app`).
    pub attached_to: Vec<String>,
    /// One of AWS's own policies (an AWS-managed policy attached, a SAM policy template):
    /// judged for what it grants, not for how it is written.
    pub aws_owned: bool,
    /// Parts keyrot saw and could not analyse: (start, end, why). Each is a
    /// `policy.unanalysed` finding, never a silent loss.
    pub unanalysed: Vec<(usize, usize, String)>,
    pub statements: Vec<Statement>,
    pub start: usize,
}

/// Reads a policy document from a node, `None` when the node has no `Statement`.
pub fn doc_from_node(node: &Node, kind: DocKind, context: String) -> Option<PolicyDoc> {
    let statement = node.get("Statement")?;
    let mut statements = Vec::new();
    let mut unanalysed = Vec::new();
    collect_statements(statement, None, &mut statements, &mut unanalysed, 0);
    Some(PolicyDoc {
        kind,
        context,
        version: node.get("Version").map(Spanned::of),
        version_implied: false,
        uses_variables: uses_policy_variables(statement),
        id: None,
        attached_to: Vec::new(),
        aws_owned: false,
        unanalysed,
        statements,
        start: node.start,
    })
}

/// A statement wholly supplied at deployment (Effect and actions from a module's inputs): a
/// note of the scan, not a finding of the file that passes it through.
pub const SUPPLIED: &str =
    "a statement wholly supplied by inputs (its Effect and actions are known only at deployment)";

/// Why statements past the nesting budget were not read (a budget: judged high).
pub const TOO_DEEP: &str = "statements nested deeper than the budget of 16 levels";

/// The statements of a `Statement` value: a list, one statement, or CloudFormation's
/// `Fn::If` around either (both branches are read, each knowing which it is).
/// `{"Ref": "AWS::NoValue"}` is no statement; anything else is noted as unanalysed.
pub fn collect_statements(
    node: &Node,
    branch: Option<&str>,
    out: &mut Vec<Statement>,
    unanalysed: &mut Vec<(usize, usize, String)>,
    depth: usize,
) {
    if depth > 16 {
        unanalysed.push((node.start, node.end, TOO_DEEP.into()));
        return;
    }
    match &node.kind {
        Kind::List(items) => {
            for item in items {
                collect_statements(item, branch, out, unanalysed, depth + 1);
            }
        }
        Kind::Map(entries) if entries.len() == 1 && entries[0].0 == "Fn::If" => {
            let parts = entries[0].1.items();
            let [condition, yes, no] = parts.as_slice() else {
                unanalysed.push((
                    node.start,
                    node.end,
                    "Fn::If without three arguments".into(),
                ));
                return;
            };
            let name = condition.as_str().unwrap_or("?");
            let yes_branch = format!("the {name} branch of Fn::If");
            let no_branch = format!("the not-{name} branch of Fn::If");
            collect_statements(yes, Some(&yes_branch), out, unanalysed, depth + 1);
            collect_statements(no, Some(&no_branch), out, unanalysed, depth + 1);
        }
        Kind::Map(entries)
            if entries.len() == 1
                && entries[0].0 == "Ref"
                && entries[0].1.as_str() == Some("AWS::NoValue") => {}
        Kind::Map(entries)
            if entries.len() == 1
                && (entries[0].0.starts_with("Fn::") || entries[0].0 == "Ref") =>
        {
            unanalysed.push((
                node.start,
                node.end,
                format!(
                    "{} in place of a statement is resolved only at deployment",
                    entries[0].0
                ),
            ));
        }
        Kind::Map(_) => {
            let mut st = statement_from_node(node);
            st.branch = branch.map(str::to_string);
            if st.effect.as_ref().is_some_and(|e| e.text.is_none()) {
                // Effect and actions all from inputs (`dynamic "statement"` over a module's
                // variable): the module's caller writes this statement, not its author.
                let supplied = st
                    .actions
                    .iter()
                    .chain(&st.not_actions)
                    .all(|a| a.text.is_none() && a.shape.is_none());
                let why = if supplied {
                    SUPPLIED
                } else {
                    "its Effect is known only at deployment"
                };
                unanalysed.push((node.start, node.end, why.into()));
            }
            out.push(st);
        }
        _ => unanalysed.push((
            node.start,
            node.end,
            "a statement that is not an object".into(),
        )),
    }
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
        branch: None,
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
                values: values.items().iter().map(|v| Spanned::of(v).text).collect(),
            });
        }
    }
    out
}

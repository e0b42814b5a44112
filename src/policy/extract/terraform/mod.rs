//! Terraform, parsed with tree-sitter's HCL grammar. Policies written as `jsonencode({...})`,
//! heredocs, literal JSON strings, or `data.aws_iam_policy_document.X.json` become documents;
//! `data "aws_iam_policy_document"` blocks become statements. A module is a directory: a data
//! document defined in one file and used in another is judged where it is defined, as the kind
//! of policy its user makes of it (`ModuleView`).

use std::collections::{HashMap, HashSet};

use syntax::SNode;

mod hcl;
mod refs;
pub mod syntax;
mod types;

use hcl::{data_name, named, Hcl};
use refs::Refs;
use syntax::parse;
pub(super) use types::resource_policy_argument;
use types::Reads;

use super::{ExtractError, Extracted, FactKind, IacFact};
use crate::node::{Kind, Node};
use crate::policy::model::{doc_from_node, DocKind};

/// A use, in one file of a module, of a data document the file does not define.
#[derive(Clone, Debug)]
pub struct DataUse {
    /// The data document's name (`x` of `data.aws_iam_policy_document.x`).
    pub name: String,
    pub kind: DocKind,
    /// The resource that uses it, for messages: `aws_iam_role.app (assume_role_policy)`.
    pub context: String,
    /// Where the reference is, in the using file.
    pub at: usize,
}

/// What the other `.tf` files of a module (its directory) define and use.
#[derive(Debug, Default)]
pub struct ModuleView {
    /// Whether the module's other files could be read at all (not in history scans).
    pub known: bool,
    /// Data documents defined in other files.
    pub defined: HashSet<String>,
    /// Uses, by other files (their name), of data documents they do not define.
    pub uses: HashMap<String, Vec<(String, DataUse)>>,
    /// This file as reading the module already read it, when its text was the same: each file
    /// is parsed once.
    pub own: std::cell::RefCell<Option<Reading>>,
}

impl ModuleView {
    /// Adds one other file of the module, from what it defines and uses.
    pub fn add(&mut self, file: &str, defined: &[String], dangling: &[DataUse]) {
        self.defined.extend(defined.iter().cloned());
        for u in dangling {
            self.uses
                .entry(u.name.clone())
                .or_default()
                .push((file.to_string(), u.clone()));
        }
    }
}

/// Whether a Terraform file defines or uses data documents, so that its module matters.
pub fn needs_module(text: &str) -> bool {
    super::has(text.as_bytes(), "aws_iam_policy_document")
}

/// Whether a file can declare anything the extractor reads: a policy or IAM word, and a
/// `resource` or `data` block of an AWS type. Files of variables, outputs and module calls
/// (`variables.tf`, `outputs.tf`) mention policies without declaring one, and cost this look
/// instead of a parse (tree-sitter reads HCL at about 6 MB/s). Comments between the keyword
/// and its label, unquoted labels and labels written with escapes still count.
pub fn may_declare(text: impl AsRef<[u8]>) -> bool {
    let text = text.as_ref();
    match aws_block(text) {
        None => false,
        // Its type is spelled with an escape: no word can be looked for.
        Some(true) => true,
        Some(false) => {
            super::has(text, "polic")
                || super::has(text, "aws_iam_")
                || super::has(text, "aws_lambda_permission")
        }
    }
}

/// Whether the text has a `resource` or `data` block whose type starts `aws_`, or might (its
/// label has an escape: `Some(true)`).
fn aws_block(b: &[u8]) -> Option<bool> {
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'-';
    let mut found = None;
    for keyword in [&b"resource"[..], &b"data"[..]] {
        for at in memchr::memmem::find_iter(b, keyword) {
            let after = at + keyword.len();
            if (at > 0 && word(b[at - 1])) || b.get(after).is_some_and(|&c| word(c)) {
                continue;
            }
            // Past a long run of comments, the file is parsed rather than looked through
            // further: each keyword costs at most this look, whatever the file holds.
            let Some(mut i) = skip_blank(b, after, after + 256) else {
                return Some(true);
            };
            let quoted = b.get(i) == Some(&b'"');
            i += usize::from(quoted);
            let label = &b[i..b.len().min(i + 256)];
            let end = label
                .iter()
                .position(|&c| !(word(c) || (quoted && c == b'\\')))
                .unwrap_or(label.len());
            if label[..end].contains(&b'\\') {
                return Some(true);
            }
            if label.starts_with(b"aws_") {
                found = Some(false);
            }
        }
    }
    found
}

/// Past spaces, line breaks and comments (`#`, `//`, `/* */`); `None` past `limit`.
fn skip_blank(b: &[u8], mut i: usize, limit: usize) -> Option<usize> {
    let window = |i: usize| &b[i.min(b.len())..limit.min(b.len())];
    while i < limit {
        match b.get(i..) {
            Some([c, ..]) if c.is_ascii_whitespace() => i += 1,
            Some([b'#', ..]) | Some([b'/', b'/', ..]) => {
                i += memchr::memchr(b'\n', window(i))?;
            }
            Some([b'/', b'*', ..]) => i += 2 + memchr::memmem::find(window(i + 2), b"*/")? + 2,
            _ => return Some(i),
        }
    }
    None
}

/// A file read on its own, before its module is known: all of its extraction but what
/// depends on the module's other files.
#[derive(Debug, Default)]
pub struct Reading {
    extracted: Extracted,
    /// Data documents no resource of this file uses, in file order.
    unused: Vec<(String, Node)>,
}

impl Reading {
    /// The data documents the file defines.
    pub fn defined(&self) -> &[String] {
        &self.extracted.tf_defined
    }

    /// Its uses of data documents it does not define.
    pub fn dangling(&self) -> &[DataUse] {
        &self.extracted.tf_dangling
    }
}

/// A Terraform file's policies, facts and references, judged with what its module's other
/// files define and use.
pub fn extract(text: &str, module: &ModuleView) -> Result<Extracted, ExtractError> {
    let reading = match module.own.take() {
        Some(reading) => reading,
        None => read(text)?,
    };
    Ok(finish(reading, module))
}

/// Reads a Terraform file on its own.
pub fn read(text: &str) -> Result<Reading, ExtractError> {
    let tree = parse(text)?;
    let root = tree.root_node();
    // tree-sitter recovers from syntax errors: analyse what parses, and say where it did not.
    let mut broken = Vec::new();
    if let Some(at) = tree.first_error() {
        broken.push((
            at,
            "syntax error; the rest of the file was analysed".to_string(),
        ));
    }
    let Some(body) = named(root).into_iter().find(|n| n.kind() == "body") else {
        return Ok(Reading::default());
    };
    let mut hcl = Hcl {
        src: text,
        depth: std::cell::Cell::new(0),
        named: HashMap::new(),
        dangling: std::cell::RefCell::new(Vec::new()),
    };
    // Locals, and variables with a default (a caller may pass another value: the default is
    // what the module deploys unless told otherwise).
    let mut named_values = HashMap::new();
    for (kind, labels, block_body) in hcl.blocks(body) {
        match (kind.as_str(), labels.first()) {
            ("locals", _) => {
                for (name, expr) in hcl.attributes(block_body) {
                    named_values.insert(format!("local.{name}"), expr);
                }
            }
            ("variable", Some(name)) => {
                if let Some((_, expr)) = hcl
                    .attributes(block_body)
                    .into_iter()
                    .find(|(k, _)| k == "default")
                {
                    named_values.insert(format!("var.{name}"), expr);
                }
            }
            _ => {}
        }
    }
    hcl.named = named_values;

    // First the data documents, so that resources can refer to them.
    let mut data_docs: HashMap<String, (Node, bool)> = HashMap::new();
    let blocks: Vec<(String, Vec<String>, SNode)> = hcl.blocks(body);
    let mut merges: Vec<(String, SNode)> = Vec::new();
    for (kind, labels, block_body) in &blocks {
        if kind == "data" && labels.first().map(String::as_str) == Some("aws_iam_policy_document") {
            if let Some(name) = labels.get(1) {
                data_docs.insert(name.clone(), (hcl.data_document(*block_body), false));
                merges.push((name.clone(), *block_body));
            }
        }
    }
    // `source_policy_documents` come first, then the document's own statements, then
    // `override_policy_documents`, whose statements replace those with the same `sid`.
    for (name, block_body) in merges {
        let attrs = hcl.attributes(block_body);
        let refs = |key: &str| -> Vec<String> {
            attrs
                .iter()
                .filter(|(k, _)| k == key)
                .flat_map(|(_, e)| hcl.text(*e).split([',', '[', ']', ' ', '\n']))
                .filter_map(|r| {
                    r.trim()
                        .strip_prefix("data.aws_iam_policy_document.")
                        .and_then(|r| r.strip_suffix(".json"))
                        .map(|r| data_name(r).to_string())
                })
                .collect()
        };
        let (sources, overrides) = (
            refs("source_policy_documents"),
            refs("override_policy_documents"),
        );
        if sources.is_empty() && overrides.is_empty() {
            continue;
        }
        let statements_of = |n: &str| -> Vec<Node> {
            data_docs
                .get(n)
                .and_then(|(doc, _)| doc.get("Statement"))
                .map(|s| s.items().into_iter().cloned().collect())
                .unwrap_or_default()
        };
        let sid = |n: &Node| n.get("Sid").and_then(Node::as_str).map(str::to_string);
        let mut merged: Vec<Node> = sources.iter().flat_map(|s| statements_of(s)).collect();
        merged.extend(statements_of(&name));
        for o in &overrides {
            for st in statements_of(o) {
                if let Some(id) = sid(&st) {
                    merged.retain(|m| sid(m).as_deref() != Some(id.as_str()));
                }
                merged.push(st);
            }
        }
        for used in sources.iter().chain(&overrides) {
            if let Some(entry) = data_docs.get_mut(used) {
                entry.1 = true;
            }
        }
        if let Some((doc, _)) = data_docs.get_mut(&name) {
            let (s, e) = (doc.start, doc.end);
            *doc = Node::new(
                Kind::Map(vec![(
                    "Statement".into(),
                    Node::new(Kind::List(merged), s, e),
                )]),
                s,
                e,
            );
        }
    }

    // Names the file gives its users, roles and groups, so that `role = "app"` finds
    // `resource "aws_iam_role" "x" { name = "app" }`.
    let mut names: HashMap<(String, String), String> = HashMap::new();
    for (kind, labels, block_body) in &blocks {
        if kind == "resource" && labels.len() >= 2 {
            let rtype = labels[0].as_str();
            if matches!(rtype, "aws_iam_role" | "aws_iam_user" | "aws_iam_group") {
                let attrs = hcl.attributes(*block_body);
                if let Some((_, expr)) = attrs.iter().find(|(k, _)| k == "name") {
                    if let Some(name) = hcl.string(*expr) {
                        names.insert((rtype.to_string(), name), format!("{rtype}.{}", labels[1]));
                    }
                }
            }
        }
    }
    let refs = Refs {
        hcl: &hcl,
        names: &names,
    };

    let mut out = Extracted {
        broken,
        tf_defined: data_docs.keys().cloned().collect(),
        ..Extracted::default()
    };
    for (kind, labels, block_body) in &blocks {
        if kind != "resource" || labels.len() < 2 {
            continue;
        }
        let (rtype, name) = (labels[0].as_str(), labels[1].as_str());
        let ctx = |what: &str| format!("{rtype}.{name}{what}");
        let attrs = hcl.attributes(*block_body);
        let attr = |key: &str| attrs.iter().find(|(k, _)| k == key).map(|(_, v)| *v);
        let mut policy_at = |key: &str, doc_kind: DocKind, what: &str, out: &mut Extracted| {
            if let Some(expr) = attr(key) {
                if let Some(doc) = hcl.policy(expr, &mut data_docs, doc_kind, ctx(what)) {
                    out.docs.push(doc);
                }
            }
        };
        let Some(role) = types::role(rtype) else {
            continue;
        };
        match role {
            Reads::ManagedPolicy => {
                let before = out.docs.len();
                policy_at("policy", DocKind::Identity, "", &mut out);
                if let Some(doc) = out.docs.get_mut(before) {
                    doc.id = Some(format!("{rtype}.{name}"));
                }
            }
            Reads::InlinePolicy {
                on,
                principal,
                user_fact,
            } => {
                let target = attr(on).and_then(|e| refs.principal(principal, e));
                let before = out.docs.len();
                policy_at("policy", DocKind::Identity, "", &mut out);
                if let Some(doc) = out.docs.get_mut(before) {
                    doc.attached_to.extend(target);
                }
                if user_fact {
                    out.facts
                        .push(fact(FactKind::UserPolicy, ctx(""), *block_body));
                }
            }
            Reads::IamRole => {
                policy_at(
                    "assume_role_policy",
                    DocKind::Trust,
                    " (assume_role_policy)",
                    &mut out,
                );
                for (inner_kind, _, inner_body) in hcl.blocks(*block_body) {
                    if inner_kind == "inline_policy" {
                        let inner = hcl.attributes(inner_body);
                        if let Some((_, expr)) = inner.iter().find(|(k, _)| k == "policy") {
                            if let Some(mut doc) = hcl.policy(
                                *expr,
                                &mut data_docs,
                                DocKind::Identity,
                                ctx(" (inline_policy)"),
                            ) {
                                doc.attached_to.push(format!("{rtype}.{name}"));
                                out.docs.push(doc);
                            }
                        }
                    }
                }
                if let Some(arns) = attr("managed_policy_arns") {
                    managed(&hcl, arns, ctx(" (managed_policy_arns)"), &mut out);
                    for policy in refs.policies(arns) {
                        out.attachments.push((policy, format!("{rtype}.{name}")));
                    }
                }
            }
            Reads::Attachment { user_fact } => {
                if user_fact {
                    out.facts
                        .push(fact(FactKind::UserPolicy, ctx(""), *block_body));
                }
                if let Some(arn) = attr("policy_arn") {
                    managed(&hcl, arn, ctx(""), &mut out);
                    let policies = refs.policies(arn);
                    for (key, principal) in [
                        ("role", "aws_iam_role"),
                        ("user", "aws_iam_user"),
                        ("group", "aws_iam_group"),
                        ("roles", "aws_iam_role"),
                        ("users", "aws_iam_user"),
                        ("groups", "aws_iam_group"),
                    ] {
                        for target in attr(key)
                            .map(|e| refs.principals(principal, e))
                            .unwrap_or_default()
                        {
                            for policy in &policies {
                                out.attachments.push((policy.clone(), target.clone()));
                            }
                        }
                    }
                }
            }
            Reads::UserGroups => {
                let user = attr("user").and_then(|e| refs.principal("aws_iam_user", e));
                let groups = attr("groups").map(|e| refs.principals("aws_iam_group", e));
                for (user, group) in user
                    .iter()
                    .flat_map(|u| groups.iter().flatten().map(move |g| (u.clone(), g.clone())))
                {
                    out.memberships.push((user, group));
                }
            }
            Reads::GroupUsers => {
                let group = attr("group").and_then(|e| refs.principal("aws_iam_group", e));
                let users = attr("users").map(|e| refs.principals("aws_iam_user", e));
                for (user, group) in users
                    .iter()
                    .flatten()
                    .flat_map(|u| group.iter().map(move |g| (u.clone(), g.clone())))
                {
                    out.memberships.push((user, group));
                }
            }
            Reads::AccessKey => out
                .facts
                .push(fact(FactKind::AccessKey, ctx(""), *block_body)),
            Reads::ResourcePolicy { argument } => {
                policy_at(argument, DocKind::Resource, "", &mut out);
            }
            Reads::LambdaPermission => {
                let restricted = attr("source_arn").is_some() || attr("source_account").is_some();
                if let Some(principal) = attr("principal") {
                    match hcl.string(principal).as_deref() {
                        Some("*") => out.facts.push(fact(
                            FactKind::LambdaPublic { restricted },
                            ctx(" (principal)"),
                            principal,
                        )),
                        Some(service) if service.ends_with(".amazonaws.com") && !restricted => {
                            out.facts.push(fact(
                                FactKind::LambdaServiceUnscoped(service.to_string()),
                                ctx(" (principal)"),
                                principal,
                            ))
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    // References to data documents this file does not define: another file of the module
    // judges them where they are defined.
    out.tf_dangling = hcl.dangling.take();
    let mut unused: Vec<_> = data_docs
        .into_iter()
        .filter(|(_, (_, used))| !used)
        .map(|(name, (node, _))| (name, node))
        .collect();
    unused.sort_by_key(|(_, node)| node.start);
    Ok(Reading {
        extracted: out,
        unused,
    })
}

/// What a file read on its own becomes in its module: a reference that no file of the module
/// defines cannot be analysed, and a data document no resource of the file uses is judged as
/// what another file makes of it, else as what it most looks like.
pub fn finish(reading: Reading, module: &ModuleView) -> Extracted {
    let Reading {
        extracted: mut out,
        unused,
    } = reading;
    // Off disk (history), the module's other files are not at hand: the document is judged in
    // its own file, as what it looks like, when that file is scanned.
    for u in out.tf_dangling.iter().filter(|_| module.known) {
        if module.defined.contains(&u.name) {
            continue;
        }
        let why = format!(
            "{} refers to data.aws_iam_policy_document.{}, which no file of this module defines",
            u.context, u.name
        );
        out.broken.push((u.at, why));
    }
    for (name, node) in unused {
        let id = format!("data.aws_iam_policy_document.{name}");
        let uses = module
            .uses
            .get(&name)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let mut kinds: Vec<(DocKind, String)> = uses
            .iter()
            .map(|(file, u)| (u.kind, format!("{} in {file} <- {id}", u.context)))
            .collect();
        kinds.dedup_by(|a, b| a.0 == b.0);
        if kinds.is_empty() {
            kinds.push((super::guess_kind(&node), id.clone()));
        }
        for (kind, context) in kinds {
            if let Some(mut doc) = doc_from_node(&node, kind, context) {
                doc.version_implied = true;
                out.docs.push(doc);
            }
        }
    }
    out
}

fn fact(kind: FactKind, context: String, at: SNode) -> IacFact {
    IacFact {
        kind,
        context,
        start: at.start_byte(),
        end: at.end_byte(),
    }
}

fn managed(hcl: &Hcl, expr: SNode, context: String, out: &mut Extracted) {
    let node = hcl.value(expr);
    for arn in node.items() {
        out.facts
            .extend(super::attached_managed(arn, false, &context));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_files_with_an_aws_resource_or_data_block_are_parsed() {
        let policy = r#"{
  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }] })
}"#;
        for header in [
            r#"resource "aws_iam_policy" "p""#,
            r#"resource /* a comment */ "aws_iam_policy" "p""#,
            "resource # a comment\n \"aws_iam_policy\" \"p\"",
            "resource aws_iam_policy p",
            r#"resource "a\u0077s_iam_policy" "p""#,
        ] {
            let text = format!("{header} {policy}\n");
            assert!(super::may_declare(&text), "{header}");
            let out = super::super::extract("main.tf", &text, false, &Default::default());
            assert_eq!(out.map(|e| e.docs.len()).ok(), Some(1), "{header}");
        }
        assert!(super::may_declare(
            "data \"aws_iam_policy_document\" \"trust\" {\n}\n"
        ));
        // A module's variables and outputs mention policies and IAM resources; a Kubernetes
        // role has a policy-like rule; none declares an AWS policy.
        for text in [
            "variable \"policy\" {\n  description = \"The policy to attach to aws_iam_role.this\"\n}\n",
            "output \"role\" {\n  value = aws_iam_role.this.arn # its data\n}\n",
            "module \"iam\" {\n  source = \"./iam\"\n  policy = data.aws_iam_policy_document.x.json\n}\n",
            "resource \"kubernetes_role\" \"r\" {\n  rule { resources = [\"aws_iam_policy\"] }\n}\n",
        ] {
            assert!(!super::may_declare(text), "{text}");
            assert!(super::super::format_of("main.tf", text).is_none(), "{text}");
        }
        // A header hidden past a run of comments is parsed rather than looked through.
        let text = format!(
            "resource {} \"aws_iam_policy\" \"p\" {policy}\n",
            "/* x */".repeat(50)
        );
        assert!(super::may_declare(&text));
        assert!(super::may_declare(format!(
            "aws_iam_ polic {}",
            "data/*".repeat(100_000)
        )));
    }

    #[test]
    fn string_escapes_are_read_as_terraform_reads_them() {
        assert_eq!(super::hcl::unescape(r"a\\nb"), "a\\nb");
        assert_eq!(super::hcl::unescape(r"a\nb\tc"), "a\nb\tc");
        assert_eq!(super::hcl::unescape(r"\u0041\U0001F600"), "A\u{1F600}");
        assert_eq!(super::hcl::unescape(r#"\"x\""#), "\"x\"");
        assert_eq!(
            super::hcl::unescape("$${aws:username} %%{x}"),
            "${aws:username} %{x}"
        );
    }

    #[test]
    fn deeply_nested_expressions_do_not_exhaust_the_stack() {
        let text = format!(
            "resource \"aws_iam_policy\" \"p\" {{\n  policy = {}1{}\n}}\n",
            "[".repeat(5000),
            "]".repeat(5000)
        );
        let out = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || {
                super::extract(&text, &Default::default())
                    .map(|e| e.docs.len())
                    .ok()
            })
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(out, Some(0));
    }

    #[test]
    fn heredoc_policies_are_read() {
        let text = "resource \"aws_iam_user_policy\" \"ops\" {\n  policy = <<POLICY\n{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"NotAction\": \"iam:*\", \"Resource\": \"*\"}]\n}\nPOLICY\n}\n";
        let mut parser = tree_sitter::Parser::new();
        parser
            .set_language(&tree_sitter_hcl::LANGUAGE.into())
            .unwrap();
        let tree = parser.parse(text, None).unwrap();
        let out = super::extract(text, &Default::default()).unwrap();
        assert_eq!(out.docs.len(), 1, "{}", tree.root_node().to_sexp());
        let not_action = &out.docs[0].statements[0].not_actions[0];
        assert_eq!(&text[not_action.start..not_action.end], "\"iam:*\"");
    }
}

//! HCL's syntax tree (`syntax.rs`) read into values: the expressions keyrot can evaluate
//! (literals, `jsonencode`, heredocs, locals and variable defaults, data documents), and
//! Terraform's string escapes.

use std::collections::HashMap;

use super::syntax::SNode;
use super::DataUse;
use crate::node::{parse_json_at, Kind, Node};
use crate::policy::model::{doc_from_node, DocKind, PolicyDoc};

pub(super) fn named(node: SNode) -> Vec<SNode> {
    node.children().collect()
}

pub(super) struct Hcl<'a> {
    pub(super) src: &'a str,
    /// How deep `value` is nested: hostile input must not exhaust the stack.
    pub(super) depth: std::cell::Cell<usize>,
    /// `local.NAME` and `var.NAME` (its default) to their expressions, in this file.
    pub(super) named: HashMap<String, SNode<'a>>,
    /// References to data documents this file does not define.
    pub(super) dangling: std::cell::RefCell<Vec<DataUse>>,
}

impl<'a> Hcl<'a> {
    pub(super) fn text(&self, node: SNode) -> &'a str {
        &self.src[node.start_byte()..node.end_byte()]
    }

    /// `(block type, labels, body)` of every block in a body.
    pub(super) fn blocks(&self, body: SNode<'a>) -> Vec<(String, Vec<String>, SNode<'a>)> {
        named(body)
            .into_iter()
            .filter(|n| n.kind() == "block")
            .filter_map(|block| {
                let parts = named(block);
                let kind = self
                    .text(*parts.iter().find(|p| p.kind() == "identifier")?)
                    .to_string();
                let labels = parts
                    .iter()
                    .filter(|p| p.kind() == "string_lit" || p.kind() == "identifier")
                    .skip(1)
                    .map(|p| self.string(*p).unwrap_or_else(|| self.text(*p).to_string()))
                    .collect();
                let body = parts.into_iter().find(|p| p.kind() == "body")?;
                Some((kind, labels, body))
            })
            .collect()
    }

    /// `(name, expression)` of every attribute in a body.
    pub(super) fn attributes(&self, body: SNode<'a>) -> Vec<(String, SNode<'a>)> {
        named(body)
            .into_iter()
            .filter(|n| n.kind() == "attribute")
            .filter_map(|attr| {
                let parts = named(attr);
                let name = self
                    .text(*parts.iter().find(|p| p.kind() == "identifier")?)
                    .to_string();
                let expr = parts.into_iter().find(|p| p.kind() == "expression")?;
                Some((name, expr))
            })
            .collect()
    }

    /// The value of a plain string (no interpolation), through `expression`/`literal_value`.
    pub(super) fn string(&self, node: SNode) -> Option<String> {
        match self.value(node).kind {
            Kind::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A policy document from an attribute's expression.
    pub(super) fn policy(
        &self,
        expr: SNode,
        data: &mut HashMap<String, (Node, bool)>,
        kind: DocKind,
        context: String,
    ) -> Option<PolicyDoc> {
        let text = self.text(expr).trim();
        if let Some(name) = text
            .strip_prefix("data.aws_iam_policy_document.")
            .and_then(|r| r.strip_suffix(".json"))
            .map(data_name)
        {
            let Some((node, used)) = data.get_mut(name) else {
                self.dangling.borrow_mut().push(DataUse {
                    name: name.to_string(),
                    kind,
                    context,
                    at: expr.start_byte(),
                });
                return None;
            };
            *used = true;
            let mut doc = doc_from_node(
                node,
                kind,
                format!("{context} <- data.aws_iam_policy_document.{name}"),
            )?;
            doc.version_implied = true;
            return Some(doc);
        }
        let node = self.value(expr);
        doc_from_node(&node, kind, context)
    }

    /// Converts an HCL expression to a value node: objects, tuples and strings as they are,
    /// `jsonencode(...)` as its argument, heredocs and JSON strings parsed, anything else unknown.
    pub(super) fn value(&self, node: SNode) -> Node {
        if self.depth.get() > 128 {
            return Node::new(
                Kind::Unknown("(nested too deep)".into()),
                node.start_byte(),
                node.end_byte(),
            );
        }
        self.depth.set(self.depth.get() + 1);
        let value = self.value_inner(node);
        self.depth.set(self.depth.get() - 1);
        value
    }

    pub(super) fn value_inner(&self, node: SNode) -> Node {
        let (start, end) = (node.start_byte(), node.end_byte());
        let unknown = || Node::new(Kind::Unknown(self.text(node).to_string()), start, end);
        // `local.x` and `var.x` (with a default) stand for their expressions.
        if let Some(expr) = self.named.get(self.text(node).trim()) {
            if expr.id() != node.id() {
                return self.value(*expr);
            }
        }
        match node.kind() {
            "expression" | "collection_value" | "literal_value" | "template_expr" => {
                match named(node).as_slice() {
                    [only] => self.value(*only),
                    _ => unknown(),
                }
            }
            "function_call" => {
                let parts = named(node);
                let is_jsonencode = parts.first().is_some_and(|f| self.text(*f) == "jsonencode");
                let arg = parts
                    .iter()
                    .find(|p| p.kind() == "function_arguments")
                    .and_then(|a| named(*a).into_iter().next());
                match (is_jsonencode, arg) {
                    (true, Some(arg)) => self.value(arg),
                    _ => unknown(),
                }
            }
            "object" => {
                let entries = named(node)
                    .into_iter()
                    .filter(|e| e.kind() == "object_elem")
                    .filter_map(|elem| {
                        let key = elem.child_by_field_name("key")?;
                        let val = elem.child_by_field_name("val")?;
                        let key = match self.value(key).kind {
                            Kind::Str(s) => s,
                            _ => self.text(key).trim().to_string(),
                        };
                        Some((key, self.value(val)))
                    })
                    .collect();
                Node::new(Kind::Map(entries), start, end)
            }
            "tuple" => {
                let items = named(node)
                    .into_iter()
                    .filter(|e| e.kind() == "expression")
                    .map(|e| self.value(e))
                    .collect();
                Node::new(Kind::List(items), start, end)
            }
            "string_lit" | "quoted_template" => {
                let parts = named(node);
                if parts.iter().any(|p| {
                    p.kind() == "template_interpolation" || p.kind() == "template_directive"
                }) {
                    return unknown();
                }
                let literal: String = parts
                    .iter()
                    .filter(|p| p.kind() == "template_literal")
                    .map(|p| self.text(*p))
                    .collect();
                let value = unescape(&literal);
                // A JSON policy written as a string literal.
                if value.trim_start().starts_with('{') {
                    if let Some(json) = crate::node::parse_json(&value) {
                        return Node { start, end, ..json };
                    }
                }
                Node::new(Kind::Str(value), start, end)
            }
            "heredoc_template" => {
                let content: Vec<SNode> = named(node)
                    .into_iter()
                    .filter(|p| {
                        matches!(
                            p.kind(),
                            "template_literal" | "template_interpolation" | "template_directive"
                        )
                    })
                    .collect();
                let (Some(first), Some(last)) = (content.first(), content.last()) else {
                    return unknown();
                };
                let (from, to) = (first.start_byte(), last.end_byte());
                parse_json_at(&self.src[from..to], from)
                    .or_else(|| self.heredoc_with_unknowns(&content, from, to))
                    .unwrap_or_else(unknown)
            }
            "numeric_lit" | "bool_lit" | "null_lit" => {
                Node::new(Kind::Scalar(self.text(node).to_string()), start, end)
            }
            _ => unknown(),
        }
    }

    /// A heredoc with `${...}` interpolations or `%{...}` directives, as JSON whose
    /// interpolated parts are unknown: each is blanked to `UNKNOWN` characters of the same
    /// length (inside a JSON string), or to a string of them (in place of a value), so that
    /// spans stay exact and the known parts keep their shape.
    pub(super) fn heredoc_with_unknowns(
        &self,
        parts: &[SNode],
        from: usize,
        to: usize,
    ) -> Option<Node> {
        let holes: Vec<(usize, usize)> = parts
            .iter()
            .filter(|p| p.kind() != "template_literal")
            .map(|p| (p.start_byte() - from, p.end_byte() - from))
            .collect();
        if holes.is_empty() {
            return None;
        }
        let unknown = crate::policy::model::UNKNOWN as u8;
        let mut bytes = self.src.as_bytes()[from..to].to_vec();
        // A hole inside a JSON string (an odd number of unescaped quotes before it) keeps the
        // string; one in place of a value becomes a string of its own.
        let mut quotes = 0usize;
        let mut at = 0usize;
        for &(a, b) in &holes {
            while at < a {
                if bytes[at] == b'"' && (at == 0 || bytes[at - 1] != b'\\') {
                    quotes += 1;
                }
                at += 1;
            }
            let in_string = quotes % 2 == 1;
            for byte in &mut bytes[a..b] {
                *byte = unknown;
            }
            if !in_string && b - a >= 2 {
                bytes[a] = b'"';
                bytes[b - 1] = b'"';
            }
            at = b;
        }
        let text = String::from_utf8(bytes).ok()?;
        parse_json_at(&text, from)
    }

    /// A `data "aws_iam_policy_document"` body as the JSON it stands for.
    pub(super) fn data_document(&self, body: SNode) -> Node {
        let mut statements = Vec::new();
        for (kind, labels, block) in self.blocks(body) {
            // A `dynamic "statement"` is read once, its iterator's values unknown.
            let block = match (kind.as_str(), labels.first().map(String::as_str)) {
                ("statement", _) => block,
                ("dynamic", Some("statement")) => {
                    match self
                        .blocks(block)
                        .into_iter()
                        .find(|(k, _, _)| k == "content")
                    {
                        Some((_, _, content)) => content,
                        None => continue,
                    }
                }
                _ => continue,
            };
            let attrs = self.attributes(block);
            let mut entries: Vec<(String, Node)> = Vec::new();
            let mut effect_seen = false;
            for (key, expr) in &attrs {
                let json_key = match key.as_str() {
                    "sid" => "Sid",
                    "effect" => {
                        effect_seen = true;
                        "Effect"
                    }
                    "actions" => "Action",
                    "not_actions" => "NotAction",
                    "resources" => "Resource",
                    "not_resources" => "NotResource",
                    _ => continue,
                };
                entries.push((json_key.to_string(), self.value(*expr)));
            }
            if !effect_seen {
                // Terraform's default.
                entries.push((
                    "Effect".into(),
                    Node::new(
                        Kind::Str("Allow".into()),
                        block.start_byte(),
                        block.start_byte(),
                    ),
                ));
            }
            for (json_key, block_kind) in [
                ("Principal", "principals"),
                ("NotPrincipal", "not_principals"),
            ] {
                let mut map: Vec<(String, Node)> = Vec::new();
                for (k, _, inner) in self.blocks(block) {
                    if k != block_kind {
                        continue;
                    }
                    let inner_attrs = self.attributes(inner);
                    let get =
                        |name: &str| inner_attrs.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
                    if let (Some(t), Some(ids)) = (get("type"), get("identifiers")) {
                        map.push((
                            self.string(t).unwrap_or_else(|| "?".into()),
                            self.value(ids),
                        ));
                    }
                }
                if !map.is_empty() {
                    entries.push((
                        json_key.into(),
                        Node::new(Kind::Map(map), block.start_byte(), block.end_byte()),
                    ));
                }
            }
            let mut conditions: Vec<(String, Node)> = Vec::new();
            for (k, _, inner) in self.blocks(block) {
                if k != "condition" {
                    continue;
                }
                let inner_attrs = self.attributes(inner);
                let get = |name: &str| inner_attrs.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
                if let (Some(test), Some(variable), Some(values)) =
                    (get("test"), get("variable"), get("values"))
                {
                    let test = self.string(test).unwrap_or_else(|| "?".into());
                    let variable = self.string(variable).unwrap_or_else(|| "?".into());
                    let values = self.value(values);
                    let (s, e) = (inner.start_byte(), inner.end_byte());
                    conditions.push((test, Node::new(Kind::Map(vec![(variable, values)]), s, e)));
                }
            }
            if !conditions.is_empty() {
                entries.push((
                    "Condition".into(),
                    Node::new(Kind::Map(conditions), block.start_byte(), block.end_byte()),
                ));
            }
            statements.push(Node::new(
                Kind::Map(entries),
                block.start_byte(),
                block.end_byte(),
            ));
        }
        let (s, e) = (body.start_byte(), body.end_byte());
        Node::new(
            Kind::Map(vec![(
                "Statement".into(),
                Node::new(Kind::List(statements), s, e),
            )]),
            s,
            e,
        )
    }
}

/// HCL string escapes that matter in policies.
/// A Terraform string literal's value: `\\`, `\"`, `\n`, `\r`, `\t`, `\uNNNN`, `\UNNNNNNNN`,
/// and the template escapes `$${` and `%%{`, read in one pass.
pub(super) fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some('t') => out.push('\t'),
                Some('"') => out.push('"'),
                Some('\\') => out.push('\\'),
                Some(u @ ('u' | 'U')) => {
                    let n = if u == 'u' { 4 } else { 8 };
                    let hex: String = chars.by_ref().take(n).collect();
                    match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                        Some(ch) if hex.len() == n => out.push(ch),
                        _ => {
                            out.push('\\');
                            out.push(u);
                            out.push_str(&hex);
                        }
                    }
                }
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            },
            '$' | '%' if chars.peek() == Some(&c) => {
                // `$${` is a literal `${`, `%%{` a literal `%{`.
                let mut ahead = chars.clone();
                ahead.next();
                if ahead.peek() == Some(&'{') {
                    chars.next();
                }
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// A data document's name without the instance key of `count`/`for_each`: `this[0]` and
/// `this["a"]` are instances of `this`, all judged as its one block.
pub(super) fn data_name(reference: &str) -> &str {
    reference.split('[').next().unwrap_or(reference).trim()
}

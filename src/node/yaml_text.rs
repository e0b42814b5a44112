//! YAML with byte spans: the first document, CloudFormation's short-form tags as the long form
//! they stand for, aliases and nesting within their budgets.

use saphyr_parser::{Event, Marker, Parser, ScalarStyle, Span, SpannedEventReceiver, Tag};

use super::yaml_repair::{
    indent_past_previous, nesting_bound, original_offset, quoted_continuations,
};
use super::{Kind, Node};

/// Parses YAML (the first document) keeping byte spans. CloudFormation's short-form tags
/// (`!Ref`, `!Sub`, `!GetAtt`, ...) make their node `Unknown`. `None` when it is not YAML.
pub fn parse_yaml(text: &str) -> Option<Node> {
    yaml(text).ok()
}

/// Parses YAML (the first document) keeping byte spans; `Err` with the byte offset and the
/// parser's message where it stops being YAML.
///
/// CloudFormation (through PyYAML) accepts continuation lines that YAML 1.2 finds under-
/// indented: a multi-line quoted scalar continued at its key's indentation, a flow sequence
/// whose `]` sits at its key's indentation. Such a line is indented one column past the line
/// before it and the text parsed again (at most `REPAIRS` times); spans are mapped back to the
/// original text, so positions stay exact.
pub fn yaml(text: &str) -> Result<Node, (usize, String)> {
    const REPAIRS: usize = crate::limits::DEFAULT.yaml_repairs;
    let mut repaired = std::borrow::Cow::Borrowed(text);
    // (offset in the original text, spaces inserted there), in order.
    let mut inserted: Vec<(usize, usize)> = Vec::new();
    loop {
        match yaml_once(&repaired) {
            Ok(mut node) => {
                if !inserted.is_empty() {
                    node.respan(&|start, end| {
                        (
                            original_offset(start, &inserted),
                            original_offset(end, &inserted),
                        )
                    });
                }
                return Ok(node);
            }
            Err((at, message)) => {
                let original = original_offset(at, &inserted);
                let line = repaired[..at.min(repaired.len())].matches('\n').count() + 1;
                if inserted.len() >= REPAIRS || !message.contains("indentation") {
                    return Err((original, message));
                }
                // A multi-line quoted scalar continued at (or left of) its key's indentation:
                // every such line of it at once, one column past the key.
                let quoted = message
                    .contains("quoted scalar")
                    .then(|| quoted_continuations(&repaired, at))
                    .filter(|lines| !lines.is_empty());
                if let Some(lines) = quoted {
                    let mut next = String::with_capacity(repaired.len() + lines.len() * 8);
                    let mut from = 0;
                    let mut now = Vec::with_capacity(lines.len());
                    for &(start, spaces) in &lines {
                        next.push_str(&repaired[from..start]);
                        next.extend(std::iter::repeat_n(' ', spaces));
                        from = start;
                        now.push((original_offset(start, &inserted), spaces));
                    }
                    next.push_str(&repaired[from..]);
                    inserted.extend(now);
                    inserted.sort_unstable();
                    repaired = std::borrow::Cow::Owned(next);
                    continue;
                }
                // The under-indented line is the error's or one of the next few (a quoted
                // scalar's error points at where it began).
                let Some((start, spaces)) =
                    (line..line + 4).find_map(|l| indent_past_previous(&repaired, l))
                else {
                    return Err((original, message));
                };
                let mut next = String::with_capacity(repaired.len() + spaces);
                next.push_str(&repaired[..start]);
                next.extend(std::iter::repeat_n(' ', spaces));
                next.push_str(&repaired[start..]);
                inserted.push((original_offset(start, &inserted), spaces));
                inserted.sort_unstable();
                repaired = std::borrow::Cow::Owned(next);
            }
        }
    }
}

/// One parse: the node, or the byte offset and message of the error.
fn yaml_once(text: &str) -> Result<Node, (usize, String)> {
    let (bound, at) = nesting_bound(text);
    if bound > 4 * YAML_DEPTH_BUDGET {
        return Err((
            at,
            format!("may nest deeper than the YAML budget of {YAML_DEPTH_BUDGET} levels"),
        ));
    }
    let offsets = char_offsets(text);
    let mut builder = YamlBuilder {
        stack: Vec::new(),
        counts: Vec::new(),
        root: None,
        offsets,
        text,
        anchors: std::collections::HashMap::new(),
        nodes: 0,
        over: None,
    };
    let mut parser = Parser::new_from_str(text);
    if let Err(err) = parser.load(&mut builder, false) {
        if let Some(over) = builder.over {
            return Err(over);
        }
        let at = builder.byte(err.marker());
        return Err((at, err.info().to_string()));
    }
    if let Some(over) = builder.over {
        return Err(over);
    }
    // A stream of comments or directives only is valid YAML with nothing in it.
    Ok(builder
        .root
        .unwrap_or_else(|| Node::new(Kind::Map(Vec::new()), 0, 0)))
}

/// Byte offsets of line starts, for text that is not ASCII: the parser marks positions in
/// characters, and its character index
/// drifts after a block scalar holding multi-byte characters (it advances by the bytes of each
/// content line), while its line and column stay right, so positions are rebuilt from those.
fn char_offsets(text: &str) -> Option<Vec<usize>> {
    if text.is_ascii() {
        return None;
    }
    let mut starts = vec![0];
    starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
    Some(starts)
}

enum Open {
    Map {
        start: usize,
        entries: Vec<(String, Node)>,
        key: Option<String>,
        tag: Option<String>,
        anchor: usize,
    },
    List {
        start: usize,
        items: Vec<Node>,
        tag: Option<String>,
        anchor: usize,
    },
}

/// Nodes one YAML document may make, aliases counted at their full size: an alias bomb
/// (anchors of anchors) stops here instead of exhausting memory.
pub const YAML_NODE_BUDGET: usize = crate::limits::DEFAULT.yaml_nodes;
/// How deep YAML collections may nest.
pub const YAML_DEPTH_BUDGET: usize = crate::limits::DEFAULT.yaml_depth;

struct YamlBuilder<'a> {
    stack: Vec<Open>,
    /// Nodes inside each open collection, beside `stack`.
    counts: Vec<usize>,
    root: Option<Node>,
    offsets: Option<Vec<usize>>,
    text: &'a str,
    anchors: std::collections::HashMap<usize, (Node, usize)>,
    /// Nodes made so far, aliases at their full size.
    nodes: usize,
    /// Why building stopped: a budget was reached.
    over: Option<(usize, String)>,
}

impl YamlBuilder<'_> {
    fn byte(&self, mark: &Marker) -> usize {
        match &self.offsets {
            Some(starts) => {
                let Some(&start) = starts.get(mark.line().saturating_sub(1)) else {
                    return self.text.len();
                };
                let end = starts
                    .get(mark.line())
                    .map_or(self.text.len(), |next| next - 1);
                let line = &self.text[start..end.max(start)];
                // The column counts characters.
                line.char_indices()
                    .nth(mark.col())
                    .map_or(end.max(start), |(i, _)| start + i)
            }
            None => mark.index().min(self.text.len()),
        }
    }

    fn push(&mut self, node: Node) {
        match self.stack.last_mut() {
            Some(Open::Map { entries, key, .. }) => match key.take() {
                Some(k) => entries.push((k, node)),
                None => {
                    *key = Some(node.as_str().map_or_else(
                        || self.text[node.start..node.end].to_string(),
                        str::to_string,
                    ))
                }
            },
            Some(Open::List { items, .. }) => items.push(node),
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
        }
    }

    fn remember(&mut self, anchor: usize, node: &Node, size: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, (node.clone(), size));
        }
    }

    /// Counts `new` more nodes made, in a value of `size` nodes; past the budget, building
    /// stops.
    fn count(&mut self, new: usize, size: usize, at: usize) -> bool {
        self.nodes = self.nodes.saturating_add(new);
        if let Some(parent) = self.counts.last_mut() {
            *parent = parent.saturating_add(size);
        }
        if self.nodes > YAML_NODE_BUDGET {
            self.over = Some((
                at,
                format!("over the YAML budget of {YAML_NODE_BUDGET} nodes (aliases counted at their full size)"),
            ));
            return false;
        }
        true
    }
}

fn tag_name(tag: &Option<std::borrow::Cow<'_, Tag>>) -> Option<String> {
    tag.as_ref()
        .filter(|t| t.handle == "!")
        .map(|t| t.suffix.clone())
}

/// Wraps a tagged node: an intrinsic function's value is unknown statically.
/// CloudFormation's short-form tags, as the long form they stand for: `!If [c, a, b]` is
/// `{"Fn::If": [c, a, b]}`, `!Ref X` is `{"Ref": "X"}`. Any other tag makes its node unknown.
fn tagged(tag: Option<String>, node: Node, text: &str) -> Node {
    let Some(t) = tag else {
        return node;
    };
    let long = match t.as_str() {
        "Ref" => Some("Ref".to_string()),
        "Condition" => Some("Condition".to_string()),
        "Sub" | "GetAtt" | "If" | "Join" | "Select" | "Split" | "FindInMap" | "Base64" | "Cidr"
        | "GetAZs" | "ImportValue" | "Equals" | "Not" | "And" | "Or" | "Transform"
        | "ToJsonString" | "Length" => Some(format!("Fn::{t}")),
        _ => None,
    };
    let (start, end) = (node.start, node.end);
    match long {
        Some(key) => Node::new(Kind::Map(vec![(key, node)]), start, end),
        None => {
            let end = end.min(text.len());
            let start = start.min(end);
            Node::new(
                Kind::Unknown(format!("!{t} {}", text[start..end].trim())),
                node.start,
                node.end,
            )
        }
    }
}

impl<'input> SpannedEventReceiver<'input> for YamlBuilder<'_> {
    fn on_event(&mut self, ev: Event<'input>, span: Span) {
        let mark = span.start;
        if self.over.is_some() {
            return;
        }
        let at = self.byte(&mark);
        match ev {
            Event::Scalar(value, style, anchor, tag) => {
                if !self.count(1, 1, at) {
                    return;
                }
                let quoted = !matches!(style, ScalarStyle::Plain);
                let value = value.into_owned();
                let end = scalar_end(self.text, at, &value, quoted);
                let kind = if quoted || !looks_scalar(&value) {
                    Kind::Str(value)
                } else {
                    Kind::Scalar(value)
                };
                let node = tagged(tag_name(&tag), Node::new(kind, at, end), self.text);
                self.remember(anchor, &node, 1);
                self.push(node);
            }
            Event::MappingStart(..) | Event::SequenceStart(..)
                if self.stack.len() >= YAML_DEPTH_BUDGET =>
            {
                self.over = Some((
                    at,
                    format!("nested deeper than the YAML budget of {YAML_DEPTH_BUDGET} levels"),
                ));
            }
            Event::MappingStart(anchor, tag) => {
                self.counts.push(0);
                self.stack.push(Open::Map {
                    start: at,
                    entries: Vec::new(),
                    key: None,
                    tag: tag_name(&tag),
                    anchor,
                })
            }
            Event::SequenceStart(anchor, tag) => {
                self.counts.push(0);
                self.stack.push(Open::List {
                    start: at,
                    items: Vec::new(),
                    tag: tag_name(&tag),
                    anchor,
                })
            }
            Event::MappingEnd | Event::SequenceEnd => {
                let Some(open) = self.stack.pop() else { return };
                let inside = self.counts.pop().unwrap_or(0);
                let size = inside.saturating_add(1);
                if !self.count(1, size, at) {
                    return;
                }
                let (node, tag, anchor) = match open {
                    Open::Map {
                        start,
                        entries,
                        tag,
                        anchor,
                        ..
                    } => {
                        let end = entries.last().map_or(at, |(_, v)| v.end).max(start);
                        (Node::new(Kind::Map(entries), start, end), tag, anchor)
                    }
                    Open::List {
                        start,
                        items,
                        tag,
                        anchor,
                    } => {
                        let end = items.last().map_or(at, |v| v.end).max(start);
                        (Node::new(Kind::List(items), start, end), tag, anchor)
                    }
                };
                let node = tagged(tag, node, self.text);
                self.remember(anchor, &node, size);
                self.push(node);
            }
            Event::Alias(id) => {
                let size = self.anchors.get(&id).map_or(1, |(_, size)| *size);
                if !self.count(size, size, at) {
                    return;
                }
                let node = self
                    .anchors
                    .get(&id)
                    .map(|(node, _)| node)
                    .cloned()
                    .unwrap_or_else(|| Node::new(Kind::Unknown("*alias".into()), at, at));
                self.push(node);
            }
            _ => {}
        }
    }
}

fn looks_scalar(value: &str) -> bool {
    matches!(
        value,
        "true" | "false" | "null" | "~" | "True" | "False" | "yes" | "no"
    ) || value.parse::<f64>().is_ok()
}

/// Where a scalar that starts at `at` ends: its value's length plus quotes, on one line.
fn scalar_end(text: &str, at: usize, value: &str, quoted: bool) -> usize {
    let first_line = value.lines().next().unwrap_or("");
    let len = first_line.len() + if quoted { 2 } else { 0 };
    let line_end = text[at.min(text.len())..]
        .find('\n')
        .map_or(text.len(), |i| at + i);
    // Escapes make a value shorter or longer than its source: never end inside a character.
    let mut end = (at + len).min(line_end).max(at);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    end
}

//! One positioned value tree for every IaC format: JSON and YAML parse into it here, HCL in
//! `extract::terraform`. Every node keeps the byte span it came from, so a finding points at
//! the statement or element at fault. A value keyrot cannot resolve (a variable, an intrinsic
//! function) is `Unknown`: never assumed to be `*`, never dropped.

use saphyr_parser::{Event, Marker, Parser, ScalarStyle, Span, SpannedEventReceiver, Tag};

#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    Map(Vec<(String, Node)>),
    List(Vec<Node>),
    Str(String),
    /// Numbers, booleans, null, as written.
    Scalar(String),
    /// An expression that cannot be resolved statically, as written.
    Unknown(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

impl Node {
    pub fn new(kind: Kind, start: usize, end: usize) -> Node {
        Node { kind, start, end }
    }

    /// The value under `key` of a map (keys compare exactly).
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            Kind::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Str(s) | Kind::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// A single node or the items of a list: how IAM reads `"Action": "x"` and `["x", "y"]` alike.
    pub fn items(&self) -> Vec<&Node> {
        match &self.kind {
            Kind::List(items) => items.iter().collect(),
            _ => vec![self],
        }
    }

    pub fn entries(&self) -> &[(String, Node)] {
        match &self.kind {
            Kind::Map(entries) => entries,
            _ => &[],
        }
    }

    /// Every span of the tree, `(start, end)`, replaced by what `f` makes of it: moved into a
    /// larger text, mapped back past repairs, or pinned to one place.
    pub fn respan(&mut self, f: &impl Fn(usize, usize) -> (usize, usize)) {
        (self.start, self.end) = f(self.start, self.end);
        match &mut self.kind {
            Kind::Map(entries) => entries.iter_mut().for_each(|(_, v)| v.respan(f)),
            Kind::List(items) => items.iter_mut().for_each(|v| v.respan(f)),
            _ => {}
        }
    }

    /// Every span of the tree set to `start..end` (a document that stands for one place).
    pub fn pin(&mut self, start: usize, end: usize) {
        self.respan(&|_, _| (start, end));
    }
}

impl Node {
    /// The tree as plain JSON values, for deserializing data files (rule files) with serde.
    /// Unquoted scalars become numbers, booleans or null where YAML's core schema says so.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.kind {
            Kind::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
            Kind::List(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            Kind::Str(s) | Kind::Unknown(s) => Value::String(s.clone()),
            Kind::Scalar(s) => match s.as_str() {
                "true" | "True" | "TRUE" => Value::Bool(true),
                "false" | "False" | "FALSE" => Value::Bool(false),
                "null" | "Null" | "NULL" | "~" | "" => Value::Null,
                _ => s
                    .parse::<i64>()
                    .map(Value::from)
                    .or_else(|_| s.parse::<f64>().map(Value::from))
                    .unwrap_or_else(|_| Value::String(s.clone())),
            },
        }
    }
}

// ---- JSON -------------------------------------------------------------------------------

/// Parses JSON keeping byte spans. `None` when the text is not JSON.
pub fn parse_json(text: &str) -> Option<Node> {
    json(text).ok()
}

/// Parses JSON keeping byte spans; `Err` with the byte offset where it stops being JSON.
pub fn json(text: &str) -> Result<Node, usize> {
    json_within_budget(text).map_err(|e| e.at)
}

/// Where JSON parsing stopped, and whether it was the nesting budget that stopped it (the text
/// may well be JSON, only too deep to read).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JsonStop {
    pub at: usize,
    pub too_deep: bool,
}

/// The nesting budget of the JSON reader.
pub const JSON_DEPTH_BUDGET: usize = crate::limits::DEFAULT.json_depth;

/// `json`, saying whether the nesting budget stopped it.
pub fn json_within_budget(text: &str) -> Result<Node, JsonStop> {
    let mut p = JsonParser {
        s: text.as_bytes(),
        i: 0,
        depth: 0,
        too_deep: false,
    };
    p.ws();
    let stop = |p: &JsonParser| JsonStop {
        at: p.i.min(text.len()),
        too_deep: p.too_deep,
    };
    let Some(node) = p.value() else {
        return Err(stop(&p));
    };
    p.ws();
    if p.i == p.s.len() {
        Ok(node)
    } else {
        Err(stop(&p))
    }
}

/// Parses JSON that starts at `offset` of a larger text, with spans in that text's offsets.
pub fn parse_json_at(text: &str, offset: usize) -> Option<Node> {
    let mut node = parse_json(text)?;
    node.respan(&|start, end| (start + offset, end + offset));
    Some(node)
}

struct JsonParser<'a> {
    s: &'a [u8],
    i: usize,
    depth: usize,
    /// The nesting budget stopped the parse.
    too_deep: bool,
}

impl JsonParser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn value(&mut self) -> Option<Node> {
        self.depth += 1;
        if self.depth > JSON_DEPTH_BUDGET {
            self.too_deep = true;
            return None;
        }
        let start = self.i;
        let node = match *self.s.get(self.i)? {
            b'{' => {
                self.i += 1;
                let mut entries = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b'}') {
                    self.i += 1;
                } else {
                    loop {
                        self.ws();
                        let key = self.string()?;
                        self.ws();
                        if self.s.get(self.i) != Some(&b':') {
                            return None;
                        }
                        self.i += 1;
                        self.ws();
                        entries.push((key, self.value()?));
                        self.ws();
                        match self.s.get(self.i)? {
                            b',' => self.i += 1,
                            b'}' => {
                                self.i += 1;
                                break;
                            }
                            _ => return None,
                        }
                    }
                }
                Node::new(Kind::Map(entries), start, self.i)
            }
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b']') {
                    self.i += 1;
                } else {
                    loop {
                        self.ws();
                        items.push(self.value()?);
                        self.ws();
                        match self.s.get(self.i)? {
                            b',' => self.i += 1,
                            b']' => {
                                self.i += 1;
                                break;
                            }
                            _ => return None,
                        }
                    }
                }
                Node::new(Kind::List(items), start, self.i)
            }
            b'"' => {
                let s = self.string()?;
                Node::new(Kind::Str(s), start, self.i)
            }
            _ => {
                while self.i < self.s.len()
                    && !matches!(
                        self.s[self.i],
                        b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'
                    )
                {
                    self.i += 1;
                }
                let word = std::str::from_utf8(&self.s[start..self.i]).ok()?;
                let valid =
                    matches!(word, "true" | "false" | "null") || word.parse::<f64>().is_ok();
                if !valid {
                    return None;
                }
                Node::new(Kind::Scalar(word.to_string()), start, self.i)
            }
        };
        self.depth -= 1;
        Some(node)
    }

    fn string(&mut self) -> Option<String> {
        if self.s.get(self.i) != Some(&b'"') {
            return None;
        }
        self.i += 1;
        let mut out = String::new();
        let mut run = self.i;
        loop {
            match *self.s.get(self.i)? {
                b'"' => {
                    out.push_str(std::str::from_utf8(&self.s[run..self.i]).ok()?);
                    self.i += 1;
                    return Some(out);
                }
                b'\\' => {
                    out.push_str(std::str::from_utf8(&self.s[run..self.i]).ok()?);
                    let escaped = *self.s.get(self.i + 1)?;
                    self.i += 2;
                    match escaped {
                        b'n' => out.push('\n'),
                        b't' => out.push('\t'),
                        b'r' => out.push('\r'),
                        b'b' | b'f' => {}
                        b'u' => {
                            let hex = std::str::from_utf8(self.s.get(self.i..self.i + 4)?).ok()?;
                            let code = u32::from_str_radix(hex, 16).ok()?;
                            out.push(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
                            self.i += 4;
                        }
                        other => out.push(other as char),
                    }
                    run = self.i;
                }
                _ => self.i += 1,
            }
        }
    }
}

// ---- YAML -------------------------------------------------------------------------------

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

/// For a quoted scalar that begins on the line of `at`: the continuation lines of it indented
/// no further than its key (where each starts, and the spaces that take it one column past).
/// Leading white space of a quoted scalar's continuation line is folded away, so the value is
/// unchanged.
fn quoted_continuations(text: &str, at: usize) -> Vec<(usize, usize)> {
    let at = at.min(text.len());
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[line_start..]
        .find('\n')
        .map_or(text.len(), |i| line_start + i);
    let line = &text[line_start..line_end];
    // The key's column: the line's indentation, past any `- ` of sequence entries.
    let mut key = line.bytes().take_while(|b| *b == b' ').count();
    while line[key..].starts_with("- ") {
        key += 2 + line[key + 2..].bytes().take_while(|b| *b == b' ').count();
    }
    let from = at.max(line_start);
    let Some(open) = text[from..line_end].find(['\'', '"']).map(|i| from + i) else {
        return Vec::new();
    };
    let quote = text.as_bytes()[open];
    let bytes = text.as_bytes();
    let mut i = open + 1;
    let mut out = Vec::new();
    while i < bytes.len() {
        let b = bytes[i];
        if quote == b'"' && b == b'\\' {
            i += 2;
            continue;
        }
        if b == quote {
            if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') {
                i += 2;
                continue;
            }
            break;
        }
        if b == b'\n' {
            let start = i + 1;
            let indent = bytes[start..].iter().take_while(|b| **b == b' ').count();
            let blank = matches!(bytes.get(start + indent), Some(b'\n') | None);
            if !blank && indent <= key {
                out.push((start, key + 1 - indent));
            }
        }
        i += 1;
    }
    out
}

/// Where line `line` (1-based) starts, and how many spaces take it one column past the
/// indentation of the nearest non-blank line before it.
fn indent_past_previous(text: &str, line: usize) -> Option<(usize, usize)> {
    let starts: Vec<usize> = std::iter::once(0)
        .chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1))
        .collect();
    let start = *starts.get(line.checked_sub(1)?)?;
    let indent = |from: usize| text[from..].bytes().take_while(|b| *b == b' ').count();
    let previous = (0..line - 1).rev().map(|l| starts[l]).find(|&s| {
        let rest = text[s..].lines().next().unwrap_or("");
        !rest.trim().is_empty()
    })?;
    let want = indent(previous) + 1;
    let have = indent(start);
    (want > have).then(|| (start, want - have))
}

/// An offset of the repaired text in the original.
fn original_offset(at: usize, inserted: &[(usize, usize)]) -> usize {
    let mut shift = 0;
    for &(place, spaces) in inserted {
        let place_now = place + shift;
        if at < place_now {
            break;
        }
        if at < place_now + spaces {
            return place;
        }
        shift += spaces;
    }
    at - shift
}

/// An upper bound of how deep a YAML text can nest: a block collection needs one more column
/// of indentation (or of `- `) per level, a flow collection one more bracket. Text that could
/// nest past the budget is refused before it is parsed, so no reader's recursion is at risk.
fn nesting_bound(text: &str) -> (usize, usize) {
    let mut worst = (0, 0);
    let mut flow: usize = 0;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let prefix = line
            .bytes()
            .take_while(|b| matches!(b, b' ' | b'-' | b'?' | b'\t'))
            .count();
        let mut quote: Option<u8> = None;
        let mut deepest = flow;
        for b in line.bytes() {
            match (quote, b) {
                (Some(q), _) if b == q => quote = None,
                (Some(_), _) => {}
                (None, b'"' | b'\'') => quote = Some(b),
                (None, b'#') => break,
                (None, b'[' | b'{') => {
                    flow += 1;
                    deepest = deepest.max(flow);
                }
                (None, b']' | b'}') => flow = flow.saturating_sub(1),
                _ => {}
            }
        }
        let bound = prefix + deepest;
        if bound > worst.0 {
            worst = (bound, offset);
        }
        offset += line.len();
    }
    worst
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keeps_spans() {
        let text = r#"{"Statement": [{"Effect": "Allow", "Action": "*"}]}"#;
        let node = parse_json(text).unwrap();
        let action = &node.get("Statement").unwrap().items()[0]
            .get("Action")
            .unwrap();
        assert_eq!(&text[action.start..action.end], "\"*\"");
        assert!(parse_json("{not json").is_none());
    }

    #[test]
    fn single_pair_mappings_in_flow_sequences_hold_flow_collections() {
        let text =
            "Name: !Sub [ \"x-${ID}\", ID: !Select [2, !Split [\"/\", !Ref AWS::StackId]] ]\n";
        let node = yaml(text).unwrap();
        let sub = node.get("Name").unwrap().get("Fn::Sub").unwrap().items();
        assert_eq!(sub[0].as_str(), Some("x-${ID}"));
        assert!(sub[1].get("ID").unwrap().get("Fn::Select").is_some());
        // Its twin with a stray `]` is still not YAML.
        assert!(yaml("Name: !Sub [ \"x\", ID: [2]] ]\n").is_err());
    }

    #[test]
    fn a_quoted_scalar_continued_at_its_keys_column_reads_as_pyyaml_does() {
        let text = "P:\n  - Name: A\n    Doc: '{\n        \"a\": 1\n    }'\n  - Name: B\n";
        let node = yaml(text).unwrap();
        let items = node.get("P").unwrap().items();
        assert_eq!(items[0].get("Doc").unwrap().as_str(), Some("{ \"a\": 1 }"));
        assert_eq!(items[1].get("Name").unwrap().as_str(), Some("B"));
        // Spans stay in the original text.
        let b = items[1].get("Name").unwrap();
        assert_eq!(&text[b.start..b.end], "B");
        // PyYAML reads a continuation even at column 0; a scalar never closed is no YAML.
        assert!(yaml("P:\n  - Name: A\n    Doc: '{\n\"a\": 1 }'\n").is_ok());
        assert!(yaml("P:\n  - Name: A\n    Doc: '{\n\"a\": 1 }\n  - Name: B\n").is_err());
    }

    #[test]
    fn a_stream_with_no_document_is_empty() {
        assert_eq!(yaml("# nothing\n").unwrap().entries().len(), 0);
        assert!(yaml("a: [\n").is_err());
    }

    #[test]
    fn alias_bombs_and_deep_nesting_stop_at_their_budgets() {
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let refs: Vec<String> = (0..10).map(|_| format!("*a{}", i - 1)).collect();
            bomb.push_str(&format!("a{i}: &a{i} [{}]\n", refs.join(", ")));
        }
        let err = yaml(&bomb).unwrap_err();
        assert!(err.1.contains("budget"), "{err:?}");
        let deep = format!("{}x\n", "- ".repeat(10_000));
        let err = yaml(&deep).unwrap_err();
        assert!(err.1.contains("deeper"), "{err:?}");
        // Just under the bound, on a 2 MiB stack (a worker thread's), in a debug build: the
        // loader's recursion fits, and the builder's own budget answers.
        for text in [
            format!("{}x\n", "- ".repeat(250)),
            format!("a: {}x{}\n", "[".repeat(500), "]".repeat(500)),
        ] {
            let result = std::thread::Builder::new()
                .stack_size(2 << 20)
                .spawn(move || yaml(&text).map(|_| ()))
                .unwrap()
                .join()
                .expect("no stack overflow");
            assert!(
                result.is_err(),
                "deeper than {YAML_DEPTH_BUDGET} levels is refused"
            );
        }
        // A modest use of aliases is fine.
        let ok = "base: &b {Effect: Allow}\nuse: [*b, *b]\n";
        assert!(yaml(ok).is_ok());
    }

    #[test]
    fn yaml_that_cloudformation_accepts_parses_with_exact_positions() {
        let quoted = "Props:\n  Description: 'a long\n  text'\n  Key: \"after\"\n";
        let node = yaml(quoted).unwrap();
        let props = node.get("Props").unwrap();
        assert_eq!(
            props.get("Description").and_then(Node::as_str),
            Some("a long text")
        );
        let key = props.get("Key").unwrap();
        assert_eq!(&quoted[key.start..key.end], "\"after\"");
        let flow = "S:\n  - Action: [\n      \"*\"\n    ]\n    Resource: \"x\"\n";
        let node = yaml(flow).unwrap();
        let st = &node.get("S").unwrap().items()[0];
        let action = &st.get("Action").unwrap().items()[0];
        assert_eq!(&flow[action.start..action.end], "\"*\"");
        let resource = st.get("Resource").unwrap();
        assert_eq!(&flow[resource.start..resource.end], "\"x\"");
        assert!(yaml("a: [\n").is_err());
    }

    #[test]
    fn positions_after_a_block_scalar_with_non_ascii_text_are_exact() {
        let text = "Description: |\n  A template \u{2014} with an em dash \u{2014}\n  caf\u{e9}\nKey: \"after\"\n";
        let node = parse_yaml(text).unwrap();
        let v = node.get("Key").unwrap();
        assert_eq!(&text[v.start..v.end], "\"after\"");
    }

    #[test]
    fn escaped_non_ascii_scalars_do_not_split_characters() {
        let text = "a: \"caf\\u00e9 x\"\nb: \"\u{e9}\u{e9}\u{e9}\u{e9}\"\nc: \"\\t\\t\u{e9}\"\n";
        let node = parse_yaml(text).unwrap();
        for key in ["a", "b", "c"] {
            let v = node.get(key).unwrap();
            assert!(text.is_char_boundary(v.end), "{key}");
        }
    }

    #[test]
    fn yaml_tags_read_as_their_long_form_and_spans_point_at_values() {
        let text = "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Arn: !GetAtt Role.Arn\n    Name: \"x\"\n";
        let node = parse_yaml(text).unwrap();
        let r = node.get("Resources").unwrap().get("R").unwrap();
        assert_eq!(r.get("Type").unwrap().as_str(), Some("AWS::IAM::Role"));
        // Short-form tags read as their long form; other tags are unknown.
        let arn = r.get("Arn").unwrap();
        assert_eq!(
            arn.get("Fn::GetAtt").and_then(Node::as_str),
            Some("Role.Arn")
        );
        let other = parse_yaml("A: !Custom x\n").unwrap();
        assert!(matches!(other.get("A").unwrap().kind, Kind::Unknown(_)));
        let name = r.get("Name").unwrap();
        assert_eq!(&text[name.start..name.end], "\"x\"");
    }
}

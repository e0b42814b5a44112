//! The syntax tree keyrot reads Terraform from, in tree-sitter-hcl's shape: the same node
//! kinds, spans and `key`/`val` fields, without the punctuation, comments and template
//! delimiters that nothing reads.
//!
//! Two parsers fill it. [`fast`] is a hand-written recursive descent over the grammar of
//! tree-sitter-hcl 1.1 (its external scanner's template rules included), 16 times as fast as
//! tree-sitter on real files (12.7 MB of Terraform from five public repositories in 182 ms
//! against 3.0 s: `cargo bench --bench engine -- hcl`). It refuses anything it is not sure
//! of: a syntax error, a byte it might not classify as tree-sitter does, nesting past
//! [`DEPTH`]. Whatever it refuses is parsed by tree-sitter and converted
//! ([`from_tree_sitter`]), so error recovery stays tree-sitter's. `tests` holds the two to the
//! same tree on every fixture and on tricky spellings, and the `hcl` fuzz target on any input
//! the fast parser accepts; on those repositories' 4,628 `.tf` files the trees are the same
//! and none is refused.

use tree_sitter::{Node as TsNode, Parser};

use super::super::ExtractError;

/// How deeply the fast parser nests before handing the file to tree-sitter.
const DEPTH: usize = crate::limits::DEFAULT.hcl_depth;

const NONE: u32 = u32::MAX;

/// Where a node sits in its parent, for the fields keyrot reads.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Field {
    None,
    Key,
    Val,
}

#[derive(Clone, Copy, Debug)]
struct Raw {
    kind: &'static str,
    field: Field,
    start: u32,
    end: u32,
    first: u32,
    next: u32,
}

/// A parsed file: the nodes in pre-order, the first at the root (`config_file`).
#[derive(Debug)]
pub struct Tree {
    nodes: Vec<Raw>,
    /// Where the first syntax error is (tree-sitter's reading only: the fast parser accepts
    /// only what parses whole).
    error: Option<usize>,
}

/// One node of a [`Tree`].
#[derive(Clone, Copy)]
pub(crate) struct SNode<'t> {
    tree: &'t Tree,
    index: u32,
}

impl std::fmt::Debug for SNode<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}@{}..{}",
            self.kind(),
            self.start_byte(),
            self.end_byte()
        )
    }
}

impl Tree {
    pub(crate) fn root_node(&self) -> SNode<'_> {
        SNode {
            tree: self,
            index: 0,
        }
    }

    /// The offset of the first syntax error, if the file has one.
    pub(crate) fn first_error(&self) -> Option<usize> {
        self.error
    }
}

impl<'t> SNode<'t> {
    fn raw(&self) -> &'t Raw {
        &self.tree.nodes[self.index as usize]
    }
    pub(crate) fn kind(&self) -> &'static str {
        self.raw().kind
    }
    pub(crate) fn start_byte(&self) -> usize {
        self.raw().start as usize
    }
    pub(crate) fn end_byte(&self) -> usize {
        self.raw().end as usize
    }
    /// Unique within its tree.
    pub(crate) fn id(&self) -> usize {
        self.index as usize
    }
    /// The children, in order.
    pub(crate) fn children(&self) -> impl Iterator<Item = SNode<'t>> + 't {
        let tree = self.tree;
        let mut at = self.raw().first;
        std::iter::from_fn(move || {
            if at == NONE {
                return None;
            }
            let node = SNode { tree, index: at };
            at = tree.nodes[at as usize].next;
            Some(node)
        })
    }
    /// The child in field `key` or `val` (of an `object_elem`).
    pub(crate) fn child_by_field_name(&self, name: &str) -> Option<SNode<'t>> {
        let field = match name {
            "key" => Field::Key,
            "val" => Field::Val,
            _ => return None,
        };
        self.children().find(|c| c.raw().field == field)
    }
}

/// Builds a [`Tree`] in pre-order: `open` a node, add its children, `close` it.
struct Builder {
    nodes: Vec<Raw>,
    /// Open nodes, each with its last child so far.
    stack: Vec<(u32, u32)>,
}

impl Builder {
    fn new(capacity: usize) -> Builder {
        Builder {
            nodes: Vec::with_capacity(capacity),
            stack: Vec::new(),
        }
    }

    fn open(&mut self, kind: &'static str, start: usize, field: Field) {
        let index = self.nodes.len() as u32;
        self.nodes.push(Raw {
            kind,
            field,
            start: start as u32,
            end: start as u32,
            first: NONE,
            next: NONE,
        });
        if let Some((parent, last)) = self.stack.last_mut() {
            if *last == NONE {
                self.nodes[*parent as usize].first = index;
            } else {
                self.nodes[*last as usize].next = index;
            }
            *last = index;
        }
        self.stack.push((index, NONE));
    }

    fn close(&mut self, end: usize) {
        if let Some((index, _)) = self.stack.pop() {
            self.nodes[index as usize].end = end as u32;
        }
    }

    fn finish(self, error: Option<usize>) -> Tree {
        Tree {
            nodes: self.nodes,
            error,
        }
    }
}

/// The kinds kept from tree-sitter's tree; anything else named (comments, delimiters) is left
/// out, an `ERROR` kept as one.
fn kept(kind: &'static str) -> bool {
    !matches!(
        kind,
        "comment"
            | "block_start"
            | "block_end"
            | "tuple_start"
            | "tuple_end"
            | "object_start"
            | "object_end"
            | "quoted_template_start"
            | "quoted_template_end"
            | "template_interpolation_start"
            | "template_interpolation_end"
            | "template_directive_start"
            | "template_directive_end"
            | "heredoc_start"
            | "heredoc_identifier"
            | "strip_marker"
    )
}

/// tree-sitter's tree, its named nodes of the kept kinds, with the offset of its first error.
pub(crate) fn from_tree_sitter(root: TsNode, error: Option<usize>) -> Tree {
    let mut b = Builder::new(root.descendant_count());
    // Iterative: a hostile file may nest deeper than any stack.
    let mut cursor = root.walk();
    let mut entered: Vec<(bool, usize)> = Vec::new();
    b.open(root.kind(), root.start_byte(), Field::None);
    if cursor.goto_first_child() {
        'nodes: loop {
            let node = cursor.node();
            let field = match cursor.field_name() {
                Some("key") => Field::Key,
                Some("val") => Field::Val,
                _ => Field::None,
            };
            let keep = node.is_named() && kept(node.kind());
            if keep {
                b.open(node.kind(), node.start_byte(), field);
            }
            if cursor.goto_first_child() {
                entered.push((keep, node.end_byte()));
                continue;
            }
            if keep {
                b.close(node.end_byte());
            }
            loop {
                if cursor.goto_next_sibling() {
                    continue 'nodes;
                }
                if !cursor.goto_parent() {
                    break 'nodes;
                }
                match entered.pop() {
                    Some((true, end)) => b.close(end),
                    Some((false, _)) => {}
                    None => break 'nodes,
                }
            }
        }
    }
    b.close(root.end_byte());
    b.finish(error)
}

/// Why the fast parser handed a file on (never shown: tree-sitter then reads it).
#[derive(Debug)]
pub struct Refused;

type R<T> = Result<T, Refused>;

/// A node as the fast parser builds it, flattened into a [`Tree`] at the end.
struct T {
    kind: &'static str,
    field: Field,
    start: usize,
    end: usize,
    kids: Vec<T>,
}

impl T {
    fn new(kind: &'static str, start: usize, end: usize, kids: Vec<T>) -> T {
        T {
            kind,
            field: Field::None,
            start,
            end,
            kids,
        }
    }
    fn with_field(mut self, field: Field) -> T {
        self.field = field;
        self
    }
}

/// The items of an expression (tree-sitter's hidden `_expr_term`s) and the bytes they cover,
/// parentheses included.
struct Items {
    kids: Vec<T>,
    start: usize,
    end: usize,
}

fn flatten(root: T, nodes: usize) -> Tree {
    let mut b = Builder::new(nodes);
    // Iterative, children in order: (node, closing marker).
    enum Step {
        Open(T),
        Close(usize),
    }
    let mut todo = vec![Step::Open(root)];
    while let Some(step) = todo.pop() {
        match step {
            Step::Open(t) => {
                b.open(t.kind, t.start, t.field);
                todo.push(Step::Close(t.end));
                todo.extend(t.kids.into_iter().rev().map(Step::Open));
            }
            Step::Close(end) => b.close(end),
        }
    }
    b.finish(None)
}

/// Parses a whole file the way tree-sitter-hcl does, or refuses it.
pub fn fast(text: &str) -> R<Tree> {
    let src = text.as_bytes();
    if src.len() >= u32::MAX as usize || src.contains(&0) {
        return Err(Refused);
    }
    let mut p = Fast {
        text,
        src,
        at: 0,
        depth: 0,
        nodes: 1,
        reductions: 0,
    };
    p.trivia()?;
    let mut kids = Vec::new();
    if p.at < src.len() {
        if src[p.at] == b'{' {
            // A file that is one object (tfvars as JSON): left to tree-sitter.
            return Err(Refused);
        }
        let start = p.at;
        let (items, end) = p.body_items()?;
        if p.at < src.len() {
            return Err(Refused);
        }
        kids.push(T::new("body", start, end, items));
    }
    let root = T::new("config_file", 0, src.len(), kids);
    let nodes = p.nodes;
    Ok(flatten(root, nodes))
}

struct Fast<'s> {
    text: &'s str,
    src: &'s [u8],
    at: usize,
    depth: usize,
    /// Nodes made, for the tree's capacity.
    nodes: usize,
    /// Operators reduced and conditionals chained in the expression being read (each one
    /// level of nesting, as deep as the chain is long).
    reductions: usize,
}

fn ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}
fn ident_continue(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

/// An operator waiting for its right operand.
enum Op {
    Binary { left: Items, prec: u8 },
    Unary { at: usize },
}

/// Adds a pending operator; a run of them past [`DEPTH`] (`- - - ... x`) is refused before
/// it grows with the input.
fn push(ops: &mut Vec<Op>, op: Op) -> R<()> {
    if ops.len() >= DEPTH {
        return Err(Refused);
    }
    ops.push(op);
    Ok(())
}

/// The directive node that closes an `if` or `for` (`kind`), or a refusal.
fn closing(stop: Stop, kind: &str) -> R<T> {
    match stop {
        Stop::Directive(node) if node.kind == kind => Ok(node),
        _ => Err(Refused),
    }
}

/// What ended a run of template parts.
enum Stop {
    /// The closing quote or heredoc identifier; where the template ends.
    End(usize),
    /// `%{ else }`, `%{ endif }` or `%{ endfor }`, as its node (`template_else_intro`,
    /// `template_if_end`, `template_for_end`).
    Directive(T),
}

impl<'s> Fast<'s> {
    fn peek(&self) -> Option<u8> {
        self.src.get(self.at).copied()
    }
    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.src.get(self.at + ahead).copied()
    }
    fn starts(&self, s: &[u8]) -> bool {
        self.src[self.at..].starts_with(s)
    }
    fn node(&mut self, kind: &'static str, start: usize, end: usize, kids: Vec<T>) -> T {
        self.nodes += 1;
        T::new(kind, start, end, kids)
    }
    fn leaf(&mut self, kind: &'static str, start: usize, end: usize) -> T {
        self.node(kind, start, end, Vec::new())
    }

    /// Past every byte that `keep` holds for.
    fn skip(&mut self, keep: impl Fn(u8) -> bool) {
        while self.peek().is_some_and(&keep) {
            self.at += 1;
        }
    }

    /// Past a strip marker `~` and the trivia after it, if one is next.
    fn strip_marker(&mut self) -> R<()> {
        if self.peek() == Some(b'~') {
            self.at += 1;
            self.trivia()?;
        }
        Ok(())
    }

    /// An `ellipsis` leaf, when `...` is next.
    fn ellipsis(&mut self) -> Option<T> {
        if !self.starts(b"...") {
            return None;
        }
        self.at += 3;
        Some(self.leaf("ellipsis", self.at - 3, self.at))
    }

    /// Whether `[` (at the cursor) opens a full splat `[*]`.
    fn full_splat_ahead(&mut self) -> R<bool> {
        let save = self.at;
        self.at += 1;
        self.trivia()?;
        let splat = self.peek() == Some(b'*');
        self.at = save;
        Ok(splat)
    }

    fn enter(&mut self) -> R<()> {
        self.depth += 1;
        if self.depth > DEPTH {
            return Err(Refused);
        }
        Ok(())
    }
    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// The character at the cursor (always at a character boundary: the cursor moves by
    /// whole characters).
    fn char_at(&self) -> Option<char> {
        self.text.get(self.at..)?.chars().next()
    }

    /// Past whitespace and comments. Only ASCII whitespace: a byte beyond ASCII between
    /// tokens is refused by whatever reads it next.
    fn trivia(&mut self) -> R<()> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) => self.at += 1,
                Some(b'#') => self.line_comment()?,
                Some(b'/') if self.peek_at(1) == Some(b'/') => self.line_comment()?,
                Some(b'/') if self.peek_at(1) == Some(b'*') => {
                    let rest = &self.src[self.at + 2..];
                    let close = memchr::memmem::find(rest, b"*/").ok_or(Refused)?;
                    self.at += 2 + close + 2;
                }
                _ => return Ok(()),
            }
        }
    }

    /// To the end of the line: `\n` or `\r` (a comment holding U+2028 or U+2029, where the
    /// grammar's `.*` also stops, is refused).
    fn line_comment(&mut self) -> R<()> {
        let rest = &self.src[self.at..];
        let end = memchr::memchr2(b'\n', b'\r', rest).unwrap_or(rest.len());
        if memchr::memmem::find(&rest[..end], "\u{2028}".as_bytes()).is_some()
            || memchr::memmem::find(&rest[..end], "\u{2029}".as_bytes()).is_some()
        {
            return Err(Refused);
        }
        self.at += end;
        Ok(())
    }

    /// An identifier token (ASCII letters, digits, `_`, `-` and `::`); a letter beyond ASCII
    /// right after it is refused (tree-sitter's identifiers take Unicode letters).
    fn identifier(&mut self) -> R<(usize, usize)> {
        let start = self.at;
        if !self.peek().is_some_and(ident_start) {
            return Err(Refused);
        }
        self.at += 1;
        loop {
            match self.peek() {
                Some(c) if ident_continue(c) => self.at += 1,
                Some(b':') if self.peek_at(1) == Some(b':') => self.at += 2,
                Some(c) if c >= 0x80 => return Err(Refused),
                _ => return Ok((start, self.at)),
            }
        }
    }

    /// Whether `word` is next as a whole word.
    fn keyword(&self, word: &[u8]) -> bool {
        self.starts(word)
            && !self
                .src
                .get(self.at + word.len())
                .is_some_and(|&c| ident_continue(c) || c == b':' || c >= 0x80)
    }

    fn expect(&mut self, token: &[u8]) -> R<()> {
        if !self.starts(token) {
            return Err(Refused);
        }
        self.at += token.len();
        Ok(())
    }

    /// Attributes and blocks up to the end of the body (`}` or the end of the file), and
    /// where the last one ends.
    fn body_items(&mut self) -> R<(Vec<T>, usize)> {
        let mut items = Vec::new();
        let mut end = self.at;
        loop {
            self.trivia()?;
            if matches!(self.peek(), None | Some(b'}')) {
                return Ok((items, end));
            }
            let start = self.at;
            let id = self.identifier()?;
            let name = self.leaf("identifier", id.0, id.1);
            self.trivia()?;
            if self.peek() == Some(b'=') && self.peek_at(1) != Some(b'=') {
                self.at += 1;
                self.trivia()?;
                let expr = self.expression()?;
                end = expr.end;
                items.push(self.node("attribute", start, end, vec![name, expr]));
                continue;
            }
            self.enter()?;
            let mut kids = vec![name];
            loop {
                match self.peek() {
                    Some(b'"') => {
                        let label = self.quoted()?;
                        // A label with an interpolation: tree-sitter's error.
                        let lit = label
                            .kids
                            .into_iter()
                            .next()
                            .filter(|k| k.kind == "string_lit")
                            .ok_or(Refused)?;
                        kids.push(lit);
                    }
                    Some(b'{') => break,
                    _ => {
                        let label = self.identifier()?;
                        kids.push(self.leaf("identifier", label.0, label.1));
                    }
                }
                self.trivia()?;
            }
            self.at += 1;
            self.trivia()?;
            if self.peek() != Some(b'}') {
                let body_start = self.at;
                let (inner, body_end) = self.body_items()?;
                kids.push(self.node("body", body_start, body_end, inner));
            }
            self.expect(b"}")?;
            end = self.at;
            items.push(self.node("block", start, end, kids));
            self.leave();
        }
    }

    /// An `expression`: operations, then any conditionals (left-associative, as
    /// tree-sitter-hcl reads `a ? b : c ? d : e`).
    fn expression(&mut self) -> R<T> {
        self.enter()?;
        let mut items = self.operations()?;
        let mut chained = 0usize;
        loop {
            let save = self.at;
            self.trivia()?;
            if self.peek() != Some(b'?') {
                self.at = save;
                break;
            }
            self.at += 1;
            chained += 1;
            if chained > DEPTH {
                return Err(Refused);
            }
            self.trivia()?;
            let yes = self.expression()?;
            self.trivia()?;
            self.expect(b":")?;
            self.trivia()?;
            let no = self.operations()?;
            let (start, end) = (items.start, no.end);
            let cond = self.node("expression", items.start, items.end, items.kids);
            let no = self.node("expression", no.start, no.end, no.kids);
            let conditional = self.node("conditional", start, end, vec![cond, yes, no]);
            items = Items {
                kids: vec![conditional],
                start,
                end,
            };
        }
        self.leave();
        Ok(self.node("expression", items.start, items.end, items.kids))
    }

    /// Operands and operators as tree-sitter-hcl reduces them: left-associative by
    /// precedence, and a postfix (`.x`, `[i]`, a splat) applied only after every pending
    /// operator is reduced (`a + b.c` reads as `(a + b).c`, `-a.b` as `(-a).b`).
    fn operations(&mut self) -> R<Items> {
        let outer = std::mem::replace(&mut self.reductions, 0);
        let items = self.operations_counted();
        self.reductions = outer;
        items
    }

    fn operations_counted(&mut self) -> R<Items> {
        let mut ops: Vec<Op> = Vec::new();
        loop {
            loop {
                self.trivia()?;
                let unary = match self.peek() {
                    Some(b'-') => true,
                    Some(b'!') => self.peek_at(1) != Some(b'='),
                    _ => false,
                };
                if !unary {
                    break;
                }
                push(&mut ops, Op::Unary { at: self.at })?;
                self.at += 1;
            }
            let mut cur = self.primary()?;
            loop {
                let save = self.at;
                self.trivia()?;
                let postfix = match self.peek() {
                    Some(b'.') => !self.starts(b"..."),
                    Some(b'[') => true,
                    _ => false,
                };
                if !postfix {
                    self.at = save;
                    break;
                }
                cur = self.reduce(&mut ops, cur, 0)?;
                let post = self.postfix()?;
                cur.end = post.end;
                cur.kids.push(post);
            }
            let save = self.at;
            self.trivia()?;
            let op = match (self.peek(), self.peek_at(1)) {
                (Some(b'|'), Some(b'|')) => Some((2, 1)),
                (Some(b'&'), Some(b'&')) => Some((2, 2)),
                (Some(b'=' | b'!'), Some(b'=')) => Some((2, 3)),
                (Some(b'>' | b'<'), Some(b'=')) => Some((2, 4)),
                (Some(b'<'), Some(b'<')) => None,
                (Some(b'>' | b'<'), _) => Some((1, 4)),
                (Some(b'+' | b'-'), _) => Some((1, 5)),
                (Some(b'/'), Some(b'/' | b'*')) => None,
                (Some(b'*' | b'/' | b'%'), _) => Some((1, 6)),
                _ => None,
            };
            let Some((len, prec)) = op else {
                self.at = save;
                return self.reduce(&mut ops, cur, 0);
            };
            let left = self.reduce(&mut ops, cur, prec)?;
            push(&mut ops, Op::Binary { left, prec })?;
            self.at += len;
        }
    }

    /// Reduces the pending operators of precedence `min` or more (all for 0) around `cur`.
    fn reduce(&mut self, ops: &mut Vec<Op>, mut cur: Items, min: u8) -> R<Items> {
        while let Some(op) = ops.last() {
            let prec = match op {
                Op::Binary { prec, .. } => *prec,
                Op::Unary { .. } => 7,
            };
            if min > 0 && prec < min {
                break;
            }
            let (inner, start, kids) = match ops.pop() {
                Some(Op::Binary { mut left, .. }) => {
                    left.kids.append(&mut cur.kids);
                    ("binary_operation", left.start, left.kids)
                }
                Some(Op::Unary { at }) => ("unary_operation", at, std::mem::take(&mut cur.kids)),
                None => break,
            };
            let end = cur.end;
            // Each reduction nests the operand one level deeper: bounded like any nesting.
            self.reductions += 1;
            if self.reductions > DEPTH {
                return Err(Refused);
            }
            let inner = self.node(inner, start, end, kids);
            let operation = self.node("operation", start, end, vec![inner]);
            cur = Items {
                kids: vec![operation],
                start,
                end,
            };
        }
        Ok(cur)
    }

    /// One postfix at `.` or `[`: `.name`, `.0`, `[expr]`, `.*...` or `[*]...`.
    fn postfix(&mut self) -> R<T> {
        let start = self.at;
        if self.starts(b".*") {
            self.at += 2;
            return self.splat("attr_splat", start);
        }
        if self.peek() == Some(b'[') && self.full_splat_ahead()? {
            self.at += 1;
            self.trivia()?;
            self.expect(b"*")?;
            self.trivia()?;
            self.expect(b"]")?;
            return self.splat("full_splat", start);
        }
        self.get_attr_or_index()
    }

    /// A `get_attr` or an `index`.
    fn get_attr_or_index(&mut self) -> R<T> {
        let start = self.at;
        match self.peek() {
            Some(b'.') => {
                self.at += 1;
                self.trivia()?;
                if self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    self.skip(|c| c.is_ascii_digit());
                    let legacy = self.leaf("legacy_index", start, self.at);
                    return Ok(self.node("index", start, self.at, vec![legacy]));
                }
                let id = self.identifier()?;
                let name = self.leaf("identifier", id.0, id.1);
                Ok(self.node("get_attr", start, id.1, vec![name]))
            }
            Some(b'[') => {
                self.at += 1;
                self.trivia()?;
                let expr = self.expression()?;
                self.trivia()?;
                self.expect(b"]")?;
                let new = self.node("new_index", start, self.at, vec![expr]);
                Ok(self.node("index", start, self.at, vec![new]))
            }
            _ => Err(Refused),
        }
    }

    /// A splat (its marker read), greedy over the `get_attr`s and `index`es after it.
    fn splat(&mut self, kind: &'static str, start: usize) -> R<T> {
        let mut kids = Vec::new();
        let mut end = self.at;
        loop {
            let save = self.at;
            self.trivia()?;
            let more = match self.peek() {
                Some(b'.') => self.peek_at(1) != Some(b'*'),
                Some(b'[') => !self.full_splat_ahead()?,
                _ => false,
            };
            if !more {
                self.at = save;
                break;
            }
            let post = self.get_attr_or_index()?;
            end = post.end;
            kids.push(post);
        }
        let inner = self.node(kind, start, end, kids);
        Ok(self.node("splat", start, end, vec![inner]))
    }

    /// One operand, without postfixes.
    fn primary(&mut self) -> R<Items> {
        self.trivia()?;
        let start = self.at;
        let one = |t: T| Items {
            start: t.start,
            end: t.end,
            kids: vec![t],
        };
        match self.peek().ok_or(Refused)? {
            b'"' => Ok(one(self.quoted()?)),
            b'<' if self.starts(b"<<") => Ok(one(self.heredoc()?)),
            b'(' => {
                self.at += 1;
                self.trivia()?;
                let inner = self.expression()?;
                self.trivia()?;
                self.expect(b")")?;
                Ok(Items {
                    kids: vec![inner],
                    start,
                    end: self.at,
                })
            }
            b'[' => {
                self.at += 1;
                self.trivia()?;
                if self.keyword(b"for") {
                    return Ok(one(self.for_expr(start, true)?));
                }
                self.enter()?;
                let mut elems = Vec::new();
                loop {
                    self.trivia()?;
                    if self.peek() == Some(b']') {
                        break;
                    }
                    elems.push(self.expression()?);
                    self.trivia()?;
                    match self.peek() {
                        Some(b',') => self.at += 1,
                        Some(b']') => break,
                        _ => return Err(Refused),
                    }
                }
                self.at += 1;
                self.leave();
                let tuple = self.node("tuple", start, self.at, elems);
                Ok(one(self.node(
                    "collection_value",
                    start,
                    self.at,
                    vec![tuple],
                )))
            }
            b'{' => {
                self.at += 1;
                self.trivia()?;
                if self.keyword(b"for") {
                    return Ok(one(self.for_expr(start, false)?));
                }
                self.enter()?;
                let mut elems = Vec::new();
                loop {
                    self.trivia()?;
                    if self.peek() == Some(b'}') {
                        break;
                    }
                    let key = self.expression()?.with_field(Field::Key);
                    self.trivia()?;
                    match (self.peek(), self.peek_at(1)) {
                        (Some(b'='), Some(b'=' | b'>')) => return Err(Refused),
                        (Some(b'=' | b':'), _) => self.at += 1,
                        _ => return Err(Refused),
                    }
                    self.trivia()?;
                    let val = self.expression()?.with_field(Field::Val);
                    let (s, e) = (key.start, val.end);
                    elems.push(self.node("object_elem", s, e, vec![key, val]));
                    self.trivia()?;
                    if self.peek() == Some(b',') {
                        self.at += 1;
                    }
                }
                self.at += 1;
                self.leave();
                let object = self.node("object", start, self.at, elems);
                Ok(one(self.node(
                    "collection_value",
                    start,
                    self.at,
                    vec![object],
                )))
            }
            b'0'..=b'9' => {
                self.number();
                if self.peek().is_some_and(|c| ident_continue(c) || c >= 0x80) {
                    return Err(Refused);
                }
                let lit = self.leaf("numeric_lit", start, self.at);
                Ok(one(self.node("literal_value", start, self.at, vec![lit])))
            }
            c if ident_start(c) => {
                let id = self.identifier()?;
                let word = &self.src[id.0..id.1];
                if matches!(word, b"true" | b"false" | b"null") {
                    let kind = if word == b"null" {
                        "null_lit"
                    } else {
                        "bool_lit"
                    };
                    let lit = self.leaf(kind, id.0, id.1);
                    return Ok(one(self.node("literal_value", id.0, id.1, vec![lit])));
                }
                if matches!(word, b"for" | b"in" | b"if") {
                    return Err(Refused);
                }
                let name = self.leaf("identifier", id.0, id.1);
                let save = self.at;
                self.trivia()?;
                if self.peek() == Some(b'(') {
                    self.at += 1;
                    return Ok(one(self.call(start, name)?));
                }
                self.at = save;
                Ok(one(self.node("variable_expr", id.0, id.1, vec![name])))
            }
            _ => Err(Refused),
        }
    }

    /// A numeric literal: `[0-9]+(\.[0-9]+([eE][-+]?[0-9]+)?)?` or `0x[0-9a-zA-Z]+`.
    fn number(&mut self) {
        if self.starts(b"0x") && self.peek_at(2).is_some_and(|c| c.is_ascii_alphanumeric()) {
            self.at += 2;
            self.skip(|c| c.is_ascii_alphanumeric());
            return;
        }
        self.skip(|c| c.is_ascii_digit());
        if self.peek() == Some(b'.') && self.peek_at(1).is_some_and(|c| c.is_ascii_digit()) {
            self.at += 1;
            self.skip(|c| c.is_ascii_digit());
            let before = self.at;
            if matches!(self.peek(), Some(b'e' | b'E')) {
                self.at += 1;
                if matches!(self.peek(), Some(b'+' | b'-')) {
                    self.at += 1;
                }
                if self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    self.skip(|c| c.is_ascii_digit());
                } else {
                    self.at = before;
                }
            }
        }
    }

    /// A function call past its `(`.
    fn call(&mut self, start: usize, name: T) -> R<T> {
        self.enter()?;
        let mut kids = vec![name];
        self.trivia()?;
        if self.peek() != Some(b')') {
            let args_start = self.at;
            let mut args = Vec::new();
            let mut end;
            loop {
                let arg = self.expression()?;
                end = arg.end;
                args.push(arg);
                self.trivia()?;
                if let Some(ellipsis) = self.ellipsis() {
                    end = ellipsis.end;
                    args.push(ellipsis);
                    self.trivia()?;
                    break;
                }
                if self.peek() != Some(b',') {
                    break;
                }
                self.at += 1;
                end = self.at;
                self.trivia()?;
                if self.peek() == Some(b')') {
                    break;
                }
            }
            kids.push(self.node("function_arguments", args_start, end, args));
        }
        self.expect(b")")?;
        self.leave();
        Ok(self.node("function_call", start, self.at, kids))
    }

    /// `[for ...]` or `{for ...}`, past its bracket, at `for`.
    fn for_expr(&mut self, start: usize, tuple: bool) -> R<T> {
        self.enter()?;
        let intro_start = self.at;
        self.at += 3;
        let mut intro = self.for_names()?;
        intro.push(self.expression()?);
        self.trivia()?;
        self.expect(b":")?;
        let mut kids = vec![self.node("for_intro", intro_start, self.at, intro)];
        self.trivia()?;
        kids.push(self.expression()?);
        self.trivia()?;
        if !tuple {
            self.expect(b"=>")?;
            self.trivia()?;
            kids.push(self.expression()?);
            self.trivia()?;
            if let Some(ellipsis) = self.ellipsis() {
                kids.push(ellipsis);
                self.trivia()?;
            }
        }
        if self.keyword(b"if") {
            let cond_start = self.at;
            self.at += 2;
            self.trivia()?;
            let cond = self.expression()?;
            let end = cond.end;
            kids.push(self.node("for_cond", cond_start, end, vec![cond]));
            self.trivia()?;
        }
        self.expect(if tuple { b"]" } else { b"}" })?;
        self.leave();
        let kind = if tuple {
            "for_tuple_expr"
        } else {
            "for_object_expr"
        };
        let inner = self.node(kind, start, self.at, kids);
        Ok(self.node("for_expr", start, self.at, vec![inner]))
    }

    /// `NAME[, NAME] in` of a `for`, past the keyword: the names.
    fn for_names(&mut self) -> R<Vec<T>> {
        self.trivia()?;
        let a = self.identifier()?;
        let mut names = vec![self.leaf("identifier", a.0, a.1)];
        self.trivia()?;
        if self.peek() == Some(b',') {
            self.at += 1;
            self.trivia()?;
            let b = self.identifier()?;
            names.push(self.leaf("identifier", b.0, b.1));
            self.trivia()?;
        }
        if !self.keyword(b"in") {
            return Err(Refused);
        }
        self.at += 2;
        self.trivia()?;
        Ok(names)
    }

    /// A quoted string, at its `"`: `literal_value` > `string_lit` when it has no
    /// interpolation or directive, else `template_expr` > `quoted_template`.
    fn quoted(&mut self) -> R<T> {
        let start = self.at;
        self.at += 1;
        self.enter()?;
        let (parts, stop) = self.template(None)?;
        self.leave();
        let Stop::End(end) = stop else {
            return Err(Refused);
        };
        if parts.iter().all(|p| p.kind == "template_literal") {
            let lit = self.node("string_lit", start, end, parts);
            return Ok(self.node("literal_value", start, end, vec![lit]));
        }
        let tpl = self.node("quoted_template", start, end, parts);
        Ok(self.node("template_expr", start, end, vec![tpl]))
    }

    /// A heredoc at its `<<`, to the end of its closing identifier.
    fn heredoc(&mut self) -> R<T> {
        let start = self.at;
        self.at += 2;
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        // The scanner skips whitespace before the identifier.
        self.skip(|c| c.is_ascii_whitespace());
        let id_start = self.at;
        self.skip(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-');
        if self.at == id_start || self.peek().is_some_and(|c| c >= 0x80) {
            return Err(Refused);
        }
        let ident = &self.src[id_start..self.at];
        self.enter()?;
        let (parts, stop) = self.template(Some(ident))?;
        self.leave();
        let Stop::End(end) = stop else {
            return Err(Refused);
        };
        let tpl = self.node("heredoc_template", start, end, parts);
        Ok(self.node("template_expr", start, end, vec![tpl]))
    }

    /// Template parts up to the closing quote (`heredoc` None) or the heredoc's closing
    /// identifier, or up to an `else`/`endif`/`endfor` directive, as tree-sitter-hcl's scanner
    /// cuts them: whitespace between chunks is skipped (a literal spans its first to its last
    /// chunk), each character or escape is a chunk.
    fn template(&mut self, heredoc: Option<&[u8]>) -> R<(Vec<T>, Stop)> {
        let mut parts = Vec::new();
        let mut literal: Option<(usize, usize)> = None;
        let flush = |p: &mut Self, parts: &mut Vec<T>, literal: &mut Option<(usize, usize)>| {
            if let Some((s, e)) = literal.take() {
                parts.push(p.leaf("template_literal", s, e));
            }
        };
        loop {
            let mut newline = false;
            loop {
                match self.peek() {
                    Some(b'\n') => {
                        newline = true;
                        self.at += 1;
                    }
                    Some(b' ' | b'\t' | b'\r' | 0x0b | 0x0c) => self.at += 1,
                    Some(c) if c >= 0x80 => {
                        // A character beyond ASCII: a chunk, unless it is whitespace of some
                        // kind (whether the scanner's iswspace skips it depends on the C
                        // library): refused.
                        if self.char_at().is_none_or(char::is_whitespace) {
                            return Err(Refused);
                        }
                        break;
                    }
                    _ => break,
                }
            }
            let at = self.at;
            let Some(c) = self.peek() else {
                return Err(Refused);
            };
            let chunk = |p: &mut Self, len: usize, literal: &mut Option<(usize, usize)>| {
                p.at += len;
                let s = literal.map_or(at, |l| l.0);
                *literal = Some((s, p.at));
            };
            if heredoc.is_none() && c == b'"' {
                self.at += 1;
                flush(self, &mut parts, &mut literal);
                return Ok((parts, Stop::End(self.at)));
            }
            if c == b'$' || c == b'%' {
                match (self.peek_at(1), self.peek_at(2)) {
                    (Some(b'{'), _) => {
                        flush(self, &mut parts, &mut literal);
                        self.at += 2;
                        if c == b'$' {
                            let part = self.interpolation(at)?;
                            parts.push(part);
                        } else if let Some(stop) = self.directive(at, heredoc, &mut parts)? {
                            return Ok((parts, stop));
                        }
                        continue;
                    }
                    (Some(d), Some(b'{')) if d == c => chunk(self, 3, &mut literal),
                    (Some(d), _) if d == c => chunk(self, 2, &mut literal),
                    _ => chunk(self, 1, &mut literal),
                }
                continue;
            }
            if let (Some(ident), true) = (heredoc, newline) {
                let matched = ident
                    .iter()
                    .zip(&self.src[at..])
                    .take_while(|(a, b)| a == b)
                    .count();
                if matched == ident.len() {
                    let mark = at + matched;
                    let mut i = mark;
                    while self
                        .src
                        .get(i)
                        .is_some_and(|c| matches!(c, b' ' | b'\t' | b'\r' | 0x0b | 0x0c))
                    {
                        i += 1;
                    }
                    match self.src.get(i) {
                        Some(b'\n') => {
                            self.at = mark;
                            flush(self, &mut parts, &mut literal);
                            return Ok((parts, Stop::End(mark)));
                        }
                        Some(c) if *c < 0x80 => {
                            chunk(self, i + 1 - at, &mut literal);
                            continue;
                        }
                        _ => return Err(Refused),
                    }
                }
                if matched > 0 {
                    chunk(self, matched, &mut literal);
                    continue;
                }
            }
            if heredoc.is_none() && c == b'\\' {
                let len = match self.peek_at(1) {
                    Some(b'"' | b'n' | b'r' | b't' | b'\\') => 2,
                    Some(b'u') => 6,
                    Some(b'U') => 10,
                    _ => return Err(Refused),
                };
                if len > 2
                    && !self
                        .src
                        .get(at + 2..at + len)
                        .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
                {
                    return Err(Refused);
                }
                chunk(self, len, &mut literal);
                continue;
            }
            let len = self.char_at().map_or(1, char::len_utf8);
            chunk(self, len, &mut literal);
        }
    }

    /// `${ ... }` past its `${`.
    fn interpolation(&mut self, start: usize) -> R<T> {
        self.trivia()?;
        self.strip_marker()?;
        let mut kids = Vec::new();
        if !matches!(self.peek(), Some(b'~' | b'}')) {
            kids.push(self.expression()?);
            self.trivia()?;
        }
        self.strip_marker()?;
        self.expect(b"}")?;
        Ok(self.node("template_interpolation", start, self.at, kids))
    }

    /// The end of a directive's `%{ ... ` part: an optional strip marker and `}`.
    fn directive_close(&mut self) -> R<()> {
        self.trivia()?;
        self.strip_marker()?;
        self.expect(b"}")
    }

    /// A directive past its `%{`: an `if` or `for` read to its end and pushed as a
    /// `template_directive`, or an `else`/`endif`/`endfor` returned as the stop it is.
    fn directive(
        &mut self,
        start: usize,
        heredoc: Option<&[u8]>,
        parts: &mut Vec<T>,
    ) -> R<Option<Stop>> {
        self.enter()?;
        self.trivia()?;
        self.strip_marker()?;
        for word in [&b"else"[..], b"endif", b"endfor"] {
            if self.keyword(word) {
                self.at += word.len();
                self.directive_close()?;
                self.leave();
                let kind = match word {
                    b"else" => "template_else_intro",
                    b"endif" => "template_if_end",
                    _ => "template_for_end",
                };
                let node = self.leaf(kind, start, self.at);
                return Ok(Some(Stop::Directive(node)));
            }
        }
        let node = if self.keyword(b"if") {
            self.at += 2;
            self.trivia()?;
            let cond = self.expression()?;
            self.directive_close()?;
            let mut kids = vec![self.node("template_if_intro", start, self.at, vec![cond])];
            let (mut inner, stop) = self.template(heredoc)?;
            kids.append(&mut inner);
            let stop = match stop {
                Stop::Directive(node) if node.kind == "template_else_intro" => {
                    kids.push(node);
                    let (mut inner, next) = self.template(heredoc)?;
                    kids.append(&mut inner);
                    next
                }
                other => other,
            };
            let end = closing(stop, "template_if_end")?;
            let e = end.end;
            kids.push(end);
            self.node("template_if", start, e, kids)
        } else if self.keyword(b"for") {
            self.at += 3;
            let mut intro = self.for_names()?;
            intro.push(self.expression()?);
            self.directive_close()?;
            let mut kids = vec![self.node("template_for_start", start, self.at, intro)];
            let (mut inner, stop) = self.template(heredoc)?;
            kids.append(&mut inner);
            let end = closing(stop, "template_for_end")?;
            let e = end.end;
            kids.push(end);
            self.node("template_for", start, e, kids)
        } else {
            return Err(Refused);
        };
        self.leave();
        let (s, e) = (node.start, node.end);
        parts.push(self.node("template_directive", s, e, vec![node]));
        Ok(None)
    }
}

/// Parses a file: by the fast parser, or where it refuses, by tree-sitter (its error recovery
/// included), into one kind of tree.
pub(super) fn parse(text: &str) -> Result<Tree, ExtractError> {
    if let Ok(tree) = fast(text) {
        return Ok(tree);
    }
    let tree = parse_tree_sitter(text)?;
    let root = tree.root_node();
    let error = if root.has_error() {
        first_error(root)
    } else {
        None
    };
    Ok(from_tree_sitter(root, error))
}

/// Parses with this thread's tree-sitter parser, made once per worker thread and reused.
fn parse_tree_sitter(text: &str) -> Result<tree_sitter::Tree, ExtractError> {
    thread_local! {
        static PARSER: std::cell::RefCell<Option<Parser>> = const { std::cell::RefCell::new(None) };
    }
    PARSER.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let mut parser = Parser::new();
            parser
                .set_language(&tree_sitter_hcl::LANGUAGE.into())
                .map_err(|e| ExtractError::Grammar(e.to_string()))?;
            *slot = Some(parser);
        }
        let parser = slot.as_mut().ok_or(ExtractError::ParserGaveUp)?;
        parser.reset();
        parser.parse(text, None).ok_or(ExtractError::ParserGaveUp)
    })
}

/// The offset of the first node tree-sitter could not parse (or had to invent).
fn first_error(node: TsNode) -> Option<usize> {
    let mut cursor = node.walk();
    let mut stack = vec![node];
    let mut seen = 0usize;
    while let Some(n) = stack.pop() {
        seen += 1;
        if seen > 1_000_000 {
            return Some(n.start_byte());
        }
        if n.is_error() || n.is_missing() {
            return Some(n.start_byte());
        }
        if n.has_error() {
            let children: Vec<TsNode> = n.children(&mut cursor).collect();
            stack.extend(children.into_iter().rev());
        }
    }
    None
}

/// Whether tree-sitter gave a tree (for timing it beside [`fast`]).
pub fn tree_sitter(text: &str) -> bool {
    parse_tree_sitter(text).is_ok()
}

/// Whether the fast parser's tree for `text`, when it gives one, is tree-sitter's, as far as
/// anything reads it: every node's kind, span, field and children, except inside expressions
/// that hold an operation or conditional: those are read as opaque text, so the shape of
/// their operators (reproduced as tree-sitter-hcl reduces them, `a + b.c` as `(a + b).c`) is
/// not held to it. `Err` names the first difference.
pub fn same_as_tree_sitter(text: &str) -> Result<bool, String> {
    let Ok(fast) = fast(text) else {
        return Ok(false);
    };
    let ts = parse_tree_sitter(text).map_err(|e| e.to_string())?;
    let root = ts.root_node();
    if root.has_error() {
        return Err("the fast parser accepted what tree-sitter calls a syntax error".into());
    }
    let slow = from_tree_sitter(root, None);
    let mut todo = vec![(fast.root_node(), slow.root_node(), true)];
    while let Some((a, b, root)) = todo.pop() {
        let shape = |n: SNode| (n.kind(), n.start_byte(), n.end_byte(), n.raw().field);
        if !root && shape(a) != shape(b) {
            return Err(format!(
                "fast {:?} ({:?}) but tree-sitter {:?} ({:?})",
                a,
                a.raw().field,
                b,
                b.raw().field
            ));
        }
        let opaque = |n: SNode| {
            n.kind() == "expression"
                && n.children()
                    .any(|c| matches!(c.kind(), "operation" | "conditional"))
        };
        if opaque(a) || opaque(b) {
            continue;
        }
        let (ka, kb): (Vec<_>, Vec<_>) = (a.children().collect(), b.children().collect());
        if ka.len() != kb.len() {
            return Err(format!(
                "{a:?}: fast children {ka:?} but tree-sitter's {kb:?}"
            ));
        }
        todo.extend(ka.into_iter().zip(kb).map(|(x, y)| (x, y, false)));
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each spelling is read by the fast parser, and to tree-sitter's tree.
    #[test]
    fn fast_parser_reads_as_tree_sitter_does() {
        let cases = [
            "resource \"aws_iam_policy\" \"p\" {\n  # c\n  policy = <<EOF2\n{\"a\": \"${var.x}\"}\nEOF2\n}\n",
            "a = x + y.z + w\nb = x * y + z.q * w\nc = -x.y\nd = x ? y : z ? u : v\n",
            "e = x || y ? a.b : c\nf = x.y == \"a\" && b\ng = x + y[0]\nh = \"${a} ${b}\"\ni = \" a \"\n",
            "j = \"x\\\"y\"\nt = (a).b[0]\ns = [for k, v in x : v if k]\nr = { for k in x : k => 1... }\n",
            "q = f(a, b...)\no = x.*.y\nn = x[*].y\nm = x.0\nl = { a = 1, \"b\" : 2 }\n",
            "k = <<-X\n    hi %{ if a }yes%{ else }no%{ endif }\n    X\n",
            "a = f(x, y,)\nb {}\nc d \"e\" {\n  f = 1\n}\ng = \"$x $${y} %%{z} \\u0041 \\\\\"\n",
            "h = [1, 2,]\ni = 0x1F + 1.5e3\nj = \"a\nb\"\nk = provider::aws::arn_parse(x)\n",
            "p = <<EOT\n  %{ for s in xs ~}\n  ${s}\n  %{~ endfor }\nEOTX\n EOT \n",
            "x = { \"Version\" = \"2012-10-17\" /* c */ Statement = [{ Effect: \"Allow\" }] }\n",
            "y = !a && -b > 3 || c % 2 != 0\nz = a-b\nw = jsonencode({ a = [for x in y : x.arn] })\n",
        ];
        for case in cases {
            assert_eq!(same_as_tree_sitter(case), Ok(true), "{case}");
        }
        // And refusals go to tree-sitter: a syntax error, a NUL, nesting past the budget.
        for refused in [
            "a = = 1\n",
            "a = \"\\q\"\n",
            "a = 1\0",
            "a = <<E\nx\nE",
            &format!("a = {}1{}\n", "[".repeat(300), "]".repeat(300)),
        ] {
            assert!(fast(refused).is_err(), "{refused:?}");
        }
    }

    /// What the fast parser refuses, tree-sitter reads past: the block before a syntax error is
    /// in the tree, with where the error is; the same block alone is the fast parser's.
    #[test]
    fn what_the_fast_parser_refuses_tree_sitter_reads_past() {
        let whole = "resource \"aws_iam_policy\" \"p\" {\n  policy = \"{}\"\n}\n";
        let broken = format!("{whole}b = ]\n");
        // Whether the tree's body holds a block whose type is `resource`.
        let resource_block = |tree: &Tree, text: &str| {
            let body = tree.root_node().children().find(|n| n.kind() == "body");
            body.into_iter().flat_map(|b| b.children()).any(|n| {
                n.kind() == "block"
                    && n.children()
                        .next()
                        .is_some_and(|id| &text[id.start_byte()..id.end_byte()] == "resource")
            })
        };
        assert!(fast(&broken).is_err());
        let tree = parse(&broken).expect("tree-sitter reads it");
        assert!(
            tree.first_error().is_some_and(|at| at >= whole.len()),
            "{:?}",
            tree.first_error()
        );
        assert!(resource_block(&tree, &broken));
        let tree = parse(whole).expect("the fast parser reads it");
        assert!(fast(whole).is_ok());
        assert_eq!(tree.first_error(), None);
        assert!(resource_block(&tree, whole));
    }

    /// Every Terraform file of the fixtures is read by the fast parser, as tree-sitter does.
    #[test]
    fn fixtures_read_as_tree_sitter_does() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");
        let mut files = 0;
        let mut todo = vec![std::path::PathBuf::from(root)];
        while let Some(dir) = todo.pop() {
            for entry in std::fs::read_dir(&dir).expect("fixtures are readable") {
                let path = entry.expect("a fixture entry").path();
                if path.is_dir() {
                    todo.push(path);
                } else if path.extension().is_some_and(|e| e == "tf") {
                    let text = std::fs::read_to_string(&path).expect("a fixture is text");
                    match same_as_tree_sitter(&text) {
                        Ok(true) => files += 1,
                        other => panic!("{}: {other:?}", path.display()),
                    }
                }
            }
        }
        assert!(files >= 3, "only {files} Terraform fixtures read");
    }
}

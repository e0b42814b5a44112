//! JSON with byte spans, within a nesting budget.

use super::{Kind, Node};

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

//! The continuation lines CloudFormation (through PyYAML) accepts and YAML 1.2 finds under-
//! indented, found so that `yaml_text` can indent them one column further; and an upper bound
//! of a text's nesting, checked before any parse.

/// For a quoted scalar that begins on the line of `at`: the continuation lines of it indented
/// no further than its key (where each starts, and the spaces that take it one column past).
/// Leading white space of a quoted scalar's continuation line is folded away, so the value is
/// unchanged.
pub(super) fn quoted_continuations(text: &str, at: usize) -> Vec<(usize, usize)> {
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
pub(super) fn indent_past_previous(text: &str, line: usize) -> Option<(usize, usize)> {
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
pub(super) fn original_offset(at: usize, inserted: &[(usize, usize)]) -> usize {
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
pub(super) fn nesting_bound(text: &str) -> (usize, usize) {
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

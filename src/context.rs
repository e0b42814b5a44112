//! One blob as every detector sees it: its bytes and origin, one line index built at most once
//! (lines, UTF-16 columns), the spans of every secret value found so far, and what detectors
//! note on the side (candidates dropped as decoys, files that look like IaC and do not parse).
//! Excerpts, suppression and masking all read this context; nobody re-indexes a blob.

use std::cell::{OnceCell, Ref, RefCell};
use std::ops::Range;

use crate::finding::{Finding, Location, Origin};
use crate::source::Blob;

/// Why a candidate was dropped instead of reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Drop {
    /// AWS's documentation keys, or anything ending in EXAMPLE.
    DocumentationExample,
    /// XXXX..., one character repeated, a run of the alphabet, ...
    Placeholder,
    /// Shaped like a key ID, with a digit base32 never has (0, 1, 8, 9): not a key.
    NotBase32,
    /// The secret or session token paired with a key ID dropped as a decoy.
    OfDecoyKey,
}

impl Drop {
    pub fn as_str(self) -> &'static str {
        match self {
            Drop::DocumentationExample => "documentation example",
            Drop::Placeholder => "placeholder",
            Drop::NotBase32 => "not a key ID (0, 1, 8 or 9 are not base32)",
            Drop::OfDecoyKey => "paired with a placeholder or example key ID",
        }
    }
}

/// A stage that finds things in a blob. The pipeline runs every detector, in order, over one
/// context per blob.
pub trait Detector: Sync {
    fn scan(&self, cx: &BlobContext, out: &mut Vec<Finding>);
}

/// Longer spans than this are never recorded as one secret (an excerpt looks back this far).
const SECRET_SPAN_MAX: usize = crate::limits::DEFAULT.secret_span;

/// Built once per blob, owned by the worker scanning it.
pub struct BlobContext<'a> {
    blob: &'a Blob<'a>,
    lines: OnceCell<LineIndex>,
    secrets: RefCell<Vec<Range<usize>>>,
    dropped: RefCell<Vec<(Drop, String)>>,
    problems: RefCell<Vec<String>>,
    notes: RefCell<Vec<String>>,
    unparsed: RefCell<Vec<String>>,
    nested: std::cell::Cell<u64>,
}

impl<'a> BlobContext<'a> {
    pub fn new(blob: &'a Blob<'a>) -> BlobContext<'a> {
        BlobContext {
            blob,
            lines: OnceCell::new(),
            secrets: RefCell::default(),
            dropped: RefCell::default(),
            problems: RefCell::default(),
            notes: RefCell::default(),
            unparsed: RefCell::default(),
            nested: std::cell::Cell::new(0),
        }
    }

    pub fn bytes(&self) -> &'a [u8] {
        &self.blob.bytes
    }

    pub fn origin(&self) -> &'a Origin {
        &self.blob.origin
    }

    /// The line index, built on first use (most blobs never need one).
    pub fn lines(&self) -> &LineIndex {
        self.lines.get_or_init(|| LineIndex::new(self.bytes()))
    }

    /// Line and column of both ends of a byte span.
    pub fn location(&self, start: usize, end: usize) -> Location {
        self.lines().location(self.bytes(), start, end)
    }

    /// Byte range of the line holding `offset`, without its terminator.
    pub fn line_around(&self, offset: usize) -> (usize, usize) {
        let lines = self.lines();
        lines.line_span(self.bytes(), lines.line_of(offset.min(self.bytes().len())))
    }

    /// Records the span of a secret value, so that every excerpt masks it.
    pub fn add_secret(&self, span: Range<usize>) {
        let end = span.end.min(span.start + SECRET_SPAN_MAX);
        self.secrets.borrow_mut().push(span.start..end);
    }

    /// Records every other place the secrets recorded so far appear in the blob, in any of
    /// their spellings (`redact::spellings`: as they are, JSON-escaped, percent-encoded), so
    /// that a secret found once is masked wherever an excerpt shows it. One pass over the blob
    /// for all of them; at most 4,096 distinct values and 65,536 places (past that, the shape
    /// heuristic still masks long runs).
    pub fn add_other_spellings(&self) {
        const VALUES: usize = crate::limits::DEFAULT.spelled_values;
        const PLACES: usize = crate::limits::DEFAULT.spelled_places;
        let bytes = self.bytes();
        let mut values: Vec<&[u8]> = self
            .secrets
            .borrow()
            .iter()
            .filter_map(|s| bytes.get(s.clone()))
            .collect();
        if values.is_empty() {
            return;
        }
        values.sort_unstable();
        values.dedup();
        values.truncate(VALUES);
        let patterns: Vec<Vec<u8>> = values
            .into_iter()
            .flat_map(crate::redact::spellings)
            .collect();
        // Built for one blob's search: a contiguous NFA, not the DFA the builder would pick
        // for so few values (building it was 1% of a tree scan's CPU).
        let Ok(searcher) = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
            .build(&patterns)
        else {
            return;
        };
        let found: Vec<Range<usize>> = searcher
            .find_iter(bytes)
            .take(PLACES)
            .map(|m| m.start()..m.end())
            .collect();
        let mut secrets = self.secrets.borrow_mut();
        secrets.extend(found);
        secrets.sort_unstable_by_key(|s| (s.start, s.end));
        secrets.dedup();
    }

    /// Every secret span recorded so far.
    pub fn secrets(&self) -> Ref<'_, Vec<Range<usize>>> {
        self.secrets.borrow()
    }

    /// The text from `from` to `to` with every secret masked; `…` where the line goes on.
    pub fn excerpt(&self, from: usize, to: usize, line: (usize, usize)) -> String {
        let text = String::from_utf8_lossy(&self.bytes()[from..to]);
        let (cut_left, cut_right) = (from > line.0, to < line.1);
        let masked = if text.len() == to - from {
            // Only the secrets that reach into the text: spans are kept sorted by start, and
            // a secret is far shorter than `SECRET_SPAN_MAX`.
            let mut secrets = self.secrets.borrow_mut();
            if !secrets.is_sorted_by_key(|s| s.start) {
                secrets.sort_unstable_by_key(|s| s.start);
            }
            let lo = secrets.partition_point(|s| s.start + SECRET_SPAN_MAX < from);
            let hi = secrets.partition_point(|s| s.start < to);
            crate::redact::excerpt(&text, from, &secrets[lo..hi.max(lo)], cut_left, cut_right)
        } else {
            // Invalid UTF-8 changed the length: offsets no longer match, mask by shape only.
            crate::redact::mask(&text, cut_left, cut_right)
        };
        format!(
            "{}{}{}",
            if cut_left { "…" } else { "" },
            masked.trim(),
            if cut_right { "…" } else { "" }
        )
    }

    /// The text from `from` to `to` (at most 80 characters) with every secret masked: how a
    /// policy element may be shown as a finding's value.
    pub fn masked(&self, from: usize, to: usize) -> String {
        let to = to.min(from + 320).min(self.bytes().len());
        let mut text = self.excerpt(from, to, (from, to));
        if let Some((i, _)) = text.char_indices().nth(80) {
            text.truncate(i);
        }
        text
    }

    /// A candidate dropped as a decoy, with its value as it may be shown.
    pub fn dropped(&self, why: Drop, shown: String) {
        self.dropped.borrow_mut().push((why, shown));
    }

    /// A problem with this blob that is not a finding.
    pub fn problem(&self, message: String) {
        self.problems.borrow_mut().push(message);
    }

    /// Policy documents nested in data that is not IaC, counted and not analysed.
    pub fn nested_policies(&self, n: u64) {
        self.nested.set(self.nested.get() + n);
    }

    /// The blob looks like IaC and does not parse (wholly or in part): counted apart from
    /// unreadable files, with one line saying where.
    pub fn unparsed(&self, message: String) {
        self.unparsed.borrow_mut().push(message);
    }

    /// Something a reader of the report should know that is not a finding (what a condition
    /// cleared, say).
    pub fn note(&self, message: String) {
        self.notes.borrow_mut().push(message);
    }

    /// What was noted on the side: dropped candidates, problems and notes.
    pub fn into_notes(self) -> Notes {
        Notes {
            dropped: self.dropped.into_inner(),
            problems: self.problems.into_inner(),
            notes: self.notes.into_inner(),
            unparsed: self.unparsed.into_inner(),
            nested: self.nested.get(),
        }
    }
}

/// What detectors noted on a blob besides findings.
pub struct Notes {
    pub dropped: Vec<(Drop, String)>,
    pub problems: Vec<String>,
    pub notes: Vec<String>,
    /// One line per way the blob did not parse as the IaC it looks like.
    pub unparsed: Vec<String>,
    /// Policy documents nested in data that is not IaC.
    pub nested: u64,
}

/// Byte offsets of line starts, and which lines are ASCII (their columns are byte counts).
pub struct LineIndex {
    starts: Vec<usize>,
    ascii: Vec<bool>,
}

impl LineIndex {
    pub fn new(bytes: &[u8]) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', bytes).map(|i| i + 1));
        let ascii = starts
            .iter()
            .enumerate()
            .map(|(i, &start)| {
                let end = starts.get(i + 1).map_or(bytes.len(), |next| *next);
                bytes[start..end].is_ascii()
            })
            .collect();
        LineIndex { starts, ascii }
    }

    /// 0-based line number holding `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    /// Byte range of 0-based line `line`, without its line terminator.
    pub fn line_span(&self, bytes: &[u8], line: usize) -> (usize, usize) {
        let start = self.starts[line.min(self.starts.len() - 1)];
        let mut end = self
            .starts
            .get(line + 1)
            .map_or(bytes.len(), |next| next - 1);
        if end > start && bytes[end - 1] == b'\r' {
            end -= 1;
        }
        (start, end.max(start))
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    pub fn location(&self, bytes: &[u8], start: usize, end: usize) -> Location {
        let (line, column) = self.line_column(bytes, start);
        let (end_line, end_column) = self.line_column(bytes, end);
        Location {
            start,
            end,
            line,
            column,
            end_line,
            end_column,
        }
    }

    /// 1-based line and column; columns count UTF-16 code units (bytes of invalid UTF-8 count one each).
    fn line_column(&self, bytes: &[u8], offset: usize) -> (usize, usize) {
        let line = self.line_of(offset);
        let start = self.starts[line];
        // Most lines are ASCII: their column is a subtraction, whatever their length.
        if self.ascii[line] {
            return (line + 1, offset - start + 1);
        }
        let prefix = &bytes[start..offset];
        let column = String::from_utf8_lossy(prefix).encode_utf16().count() + 1;
        (line + 1, column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_are_one_based_and_ignore_crlf() {
        let text = b"first\r\nsecond line\r\n\xc3\xa9x";
        let index = LineIndex::new(text);
        assert_eq!(index.location(text, 7, 13).line, 2);
        assert_eq!(index.location(text, 7, 13).column, 1);
        assert_eq!(index.line_span(text, 0), (0, 5));
        let last = index.location(text, 22, 23);
        assert_eq!((last.line, last.column), (3, 2));
    }

    #[test]
    fn excerpts_mask_recorded_secrets() {
        let blob = Blob {
            origin: Origin::Stdin,
            bytes: b"token: short-secret-1 # ok"[..].into(),
        };
        let cx = BlobContext::new(&blob);
        cx.add_secret(7..21);
        let line = cx.line_around(7);
        let text = cx.excerpt(line.0, line.1, line);
        assert_eq!(text, "token: shor**** # ok");
    }
}

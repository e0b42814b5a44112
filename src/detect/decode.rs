//! Decoding layers: credentials written in another spelling. JSON and JS/Python string escapes
//! (`\u0041`, ES6 `\u{41}`, `\x41`, `\/`, `\n`, a backslash line continuation), percent-encoding (`%2F`, as Hadoop and Spark URLs need it),
//! HTML entities (`&#x41;`, `&amp;`) and base64 runs that decode to text (a Kubernetes
//! `Secret`'s `data:`, an encoded credentials file) are undone into a view of the blob, to a
//! bounded depth and size; the engine scans the view, and each finding is reported at the
//! encoded span it came from. A blob pays for this only when a cheap look finds a trigger.

use base64::Engine as _;
use regex::bytes::Regex;
use std::sync::OnceLock;

/// How many layers deep a credential may be encoded by default (base64 of escaped JSON is two).
pub const DEPTH: usize = 2;
/// The most layers `--decode-depth` may ask for: each layer is a full pass over the view.
pub const MAX_DEPTH: usize = crate::limits::DEFAULT.decode_depth;
/// Blobs larger than this are not decoded (their plain scan still runs).
pub const MAX_BYTES: usize = crate::limits::DEFAULT.decode_bytes;
/// Shorter base64 runs cannot hold a key ID (20 characters encode to 27, unpadded).
const BASE64_MIN: usize = 27;
const BASE64_MAX: usize = crate::limits::DEFAULT.base64_run;

/// The blob with its encodings undone: `original(i)` is the offset in the original of the
/// character that produced byte `i` (one past the last for `i == bytes.len()`).
pub struct View {
    pub bytes: Vec<u8>,
    /// Each stage's map from its output back to its input, the joining of the windows first:
    /// an offset is taken back through them in turn, never composed into one table.
    maps: Vec<Map>,
    /// Which decodings changed something, for messages: `base64`, `escapes`, ...
    pub layers: Vec<&'static str>,
}

/// One stage's offsets, output back to input, as runs: a copied run maps one to one, a
/// decoded token spreads its output over the characters that produced it. It holds a run per
/// token, not an offset per byte: a table of `usize` per byte cost 8 bytes for each byte
/// decoded, which on an 8 MiB window of source text was 64 MiB a layer.
#[derive(Default)]
struct Map {
    runs: Vec<Run>,
    out_len: usize,
    in_len: usize,
}

/// Output `out..out + out_len` came from input `inp..inp + in_len`; output `out + k` from
/// input `inp + k * in_len / out_len`. Offsets fit in 32 bits: a view is at most `MAX_BYTES`
/// (8 MiB) of the blob plus 8 bytes between windows, and undoing an encoding never lengthens it.
#[derive(Clone, Copy)]
struct Run {
    out: u32,
    inp: u32,
    out_len: u32,
    in_len: u32,
}

impl Map {
    /// Output `out_len` more bytes that came from input `inp..inp + in_len`. Runs that map one
    /// to one and follow each other are one run.
    fn push(&mut self, inp: usize, in_len: usize, out_len: usize) {
        if out_len == 0 {
            return;
        }
        let narrow = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        if let Some(last) = self.runs.last_mut() {
            let follows = last.out as usize + last.out_len as usize == self.out_len
                && last.inp as usize + last.in_len as usize == inp;
            if follows && last.in_len == last.out_len && in_len == out_len {
                last.out_len = narrow(last.out_len as usize + out_len);
                last.in_len = last.out_len;
                self.out_len += out_len;
                return;
            }
        }
        self.runs.push(Run {
            out: narrow(self.out_len),
            inp: narrow(inp),
            out_len: narrow(out_len),
            in_len: narrow(in_len),
        });
        self.out_len += out_len;
    }

    /// The input offset of output offset `at`; past the output, the input's end.
    fn back(&self, at: usize) -> usize {
        if at >= self.out_len {
            return self.in_len;
        }
        let i = self.runs.partition_point(|r| r.out as usize <= at);
        let run = self.runs[i.saturating_sub(1)];
        let k = (at - run.out as usize) as u64;
        run.inp as usize + (k * u64::from(run.in_len) / u64::from(run.out_len.max(1))) as usize
    }
}

impl View {
    /// The original offset of view offset `at`.
    pub fn original(&self, at: usize) -> usize {
        self.maps.iter().rev().fold(at, |at, map| map.back(at))
    }

    /// The original span of view span `start..end`: from the first character that produced
    /// it to the end of the last one.
    pub fn original_span(&self, start: usize, end: usize) -> (usize, usize) {
        let from = self.original(start);
        let last = self.original(end.saturating_sub(1).max(start));
        // The last producing character ends where the next distinct original offset begins.
        let len = self.bytes.len();
        let mut i = end.max(start);
        while i < len && self.original(i) == last {
            i += 1;
        }
        let to = last.max(self.original(i.min(len))).max(from + 1);
        (from, to)
    }
}

/// A Kubernetes `Secret`: its values are base64 by definition, decoded whole.
const WHOLE_PATTERN: &str = r#"kind: *Secret|"kind": *"Secret""#;
/// A key ID prefix or an AWS name in another spelling.
const STRONG_PATTERNS: &[&str] = &[
    // "AK", "AS" escaped: \u0041\u004b, \x41\x4b, &#x41;&#x4b;, &#65;&#75;. Spelled out
    // rather than case-insensitive: few literals keep the search on its fastest path.
    r"\\u0041\\u004[bB]|\\u0041\\u0053|\\x41\\x4[bB]|\\x41\\x53",
    // ES6 code point escapes: \u{41}\u{4b}, leading zeros allowed.
    r"\\u\{0{0,4}41\}\\u\{0{0,4}(?:4[bB]|53)\}",
    // A key ID cut by a backslash line continuation (shell, Python, C strings).
    r"(?:AKIA|ASIA)[A-Z2-7]{0,15}\\\r?\n",
    r"&#[xX]41;&#[xX]4[bB];|&#[xX]41;&#[xX]53;",
    r"&#65;&#75;|&#65;&#83;",
    // base64 of "AKIA", "ASIA", "aws_", "AWS_" at each of the three alignments.
    "QUtJQ|FLSU|BS0lB|QVNJQ|FTSU|BU0lB|YXdzX|F3c1|hd3Nf|QVdTX|FXU18|BV1Nf",
    // base64 of base64 of "AKIA", "ASIA" at each of the nine alignments.
    "UVV0SlF|FVdEpR|RVXRKUV|GTFNVR|RkxTVU|ZMU1V|QlMwbEJ|JTMGxC|CUzBsQ",
    "UVZOSlF|FWTkpR|RVk5KUV|GVFNVR|RlRTVU|ZUU1V|QlUwbEJ|JVMGxC|CVTBsQ",
    // A string literal holding the start of a key ID and ending before its end: a key split
    // across literals (`"AKIA" + "UJZ..."`).
    r#"["'`](?:AKIA|ASIA)[A-Z2-7]{0,15}["'`]"#,
];
/// A generic escape or encoding: worth decoding only near a credential word.
const WEAK_PATTERN: &str = r"\\u00[2-7]|\\u\{0{0,4}[2-7][0-9A-Fa-f]\}|\\x[2-7][0-9A-Fa-f]|\\/|%[2-7][0-9A-Fa-f]|&#x?[0-9]|&amp;";

/// How far either side of a trigger the blob is decoded: the neighbourhood pairing looks at.
const WINDOW: usize = crate::limits::DEFAULT.decode_window;
/// How close a generic escape must be to a credential word to count.
const HINT_REACH: usize = 512;

/// The parts of the blob worth decoding, merged: around a key ID prefix or an AWS name in
/// another spelling, around a generic escape or encoding near a word that names a secret or
/// AWS, or the whole of a Kubernetes `Secret`. Most files pay one search and nothing else.
/// `hints` are where the engine's prefilter saw a credential word or a trigger's start
/// (sorted, never empty here): a generic escape counts only near one.
fn windows(bytes: &[u8], hints: &[usize]) -> Option<Vec<(usize, usize)>> {
    static STRONG: OnceLock<Regex> = OnceLock::new();
    static WEAK: OnceLock<Regex> = OnceLock::new();
    // Literal-led patterns: most files match none and pay two searches.
    let strong = STRONG.get_or_init(|| {
        let all = [WHOLE_PATTERN, &STRONG_PATTERNS.join("|")].join("|");
        Regex::new(&all).expect("the pattern compiles")
    });
    let mut at: Vec<usize> = Vec::new();
    for m in strong.find_iter(bytes) {
        if m.as_bytes().starts_with(b"kind") || m.as_bytes().starts_with(b"\"kind") {
            return Some(vec![(0, bytes.len())]);
        }
        at.push(m.start());
    }
    let weak = WEAK.get_or_init(|| Regex::new(WEAK_PATTERN).expect("the pattern compiles"));
    for m in weak.find_iter(bytes) {
        let p = m.start();
        let i = hints.partition_point(|&h| h < p);
        let near = [i.checked_sub(1), Some(i)]
            .into_iter()
            .flatten()
            .filter_map(|i| hints.get(i))
            .any(|&h| h.abs_diff(p) <= HINT_REACH);
        if near {
            at.push(p);
        }
    }
    if at.is_empty() {
        return None;
    }
    at.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for p in at {
        let (from, to) = (p.saturating_sub(WINDOW), (p + WINDOW).min(bytes.len()));
        match merged.last_mut() {
            Some(last) if from <= last.1 => last.1 = last.1.max(to),
            _ => merged.push((from, to)),
        }
    }
    Some(merged)
}

/// The view of `bytes` with up to `depth` layers undone around what triggered decoding, or
/// `None` when nothing decodes. Windows are joined by blank lines, more than a pair may span.
pub fn decode(bytes: &[u8], depth: usize, hints: &[usize]) -> Option<View> {
    if depth == 0 || bytes.len() > MAX_BYTES {
        return None;
    }
    // The engine's prefilter holds the start of every trigger: where it saw nothing, there is
    // nothing to decode.
    if hints.is_empty() {
        return None;
    }
    let windows = windows(bytes, hints)?;
    let mut joined = Vec::new();
    let mut base = Map {
        in_len: windows.last().map_or(0, |w| w.1),
        ..Map::default()
    };
    for (k, &(from, to)) in windows.iter().enumerate() {
        if k > 0 {
            joined.extend_from_slice(b"\n\n\n\n\n\n\n\n");
            base.push(from, 0, 8);
        }
        joined.extend_from_slice(&bytes[from..to]);
        base.push(from, to - from, to - from);
    }
    let mut view = View {
        bytes: joined,
        maps: vec![base],
        layers: Vec::new(),
    };
    for _ in 0..depth.min(MAX_DEPTH) {
        let Some((out, map, layers)) = decode_once(&view.bytes) else {
            break;
        };
        for layer in layers {
            if !view.layers.contains(&layer) {
                view.layers.push(layer);
            }
        }
        view.bytes = out;
        view.maps.push(map);
    }
    (!view.layers.is_empty()).then_some(view)
}

type Decoded = (Vec<u8>, Map, Vec<&'static str>);

/// One pass over `input`: every encoding undone once.
fn decode_once(input: &[u8]) -> Option<Decoded> {
    let mut out = Vec::with_capacity(input.len());
    let mut map = Map {
        in_len: input.len(),
        ..Map::default()
    };
    let mut layers: Vec<&'static str> = Vec::new();
    let used = |layer: &'static str, layers: &mut Vec<&'static str>| {
        if !layers.contains(&layer) {
            layers.push(layer);
        }
    };
    let mut i = 0;
    while i < input.len() {
        let rest = &input[i..];
        let produced: Option<(Vec<u8>, usize, &'static str)> = match opener(rest[0]) {
            Some((undo, layer)) => undo(rest).map(|(b, n)| (b, n, layer)),
            None if is_b64(rest[0]) && (i == 0 || !is_b64(input[i - 1])) => {
                base64_run(rest).map(|(b, n)| (b, n, "base64"))
            }
            None => None,
        };
        match produced {
            Some((bytes, consumed, layer)) => {
                used(layer, &mut layers);
                // The decoded bytes spread over the encoded span, so that positions inside a
                // long run stay near what produced them.
                map.push(i, consumed, bytes.len());
                out.extend_from_slice(&bytes);
                i += consumed;
            }
            None => {
                // Nothing starts inside the rest of a base64-alphabet run, nor at a byte that
                // is neither a token's first nor such a run's: copied whole, not byte by byte.
                let mut j = i + 1;
                if is_b64(input[i]) {
                    j += input[j..].iter().take_while(|&&c| is_b64(c)).count();
                }
                j += input[j..]
                    .iter()
                    .take_while(|&&c| !is_b64(c) && opener(c).is_none())
                    .count();
                out.extend_from_slice(&input[i..j]);
                map.push(i, j - i, j - i);
                i = j;
            }
        }
    }
    (!layers.is_empty()).then_some((out, map, layers))
}

/// What undoes a token that opens with `c`, and the layer's name; base64 runs, which open
/// with any character of their alphabet, are not here. `decode_once` dispatches on it and
/// copies whatever it says opens nothing, so a spelling added here is never skipped.
type Undo = fn(&[u8]) -> Option<(Vec<u8>, usize)>;

fn opener(c: u8) -> Option<(Undo, &'static str)> {
    match c {
        b'\\' => Some((escape, "escapes")),
        b'%' => Some((percent, "percent-encoding")),
        b'&' => Some((entity, "HTML entities")),
        b'"' | b'\'' | b'`' => Some((concatenation, "concatenation")),
        _ => None,
    }
}

fn is_b64(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'-' | b'_')
}

fn hex(bytes: &[u8]) -> Option<u32> {
    let text = std::str::from_utf8(bytes).ok()?;
    u32::from_str_radix(text, 16).ok()
}

/// `\uXXXX` (surrogate pairs joined), `\u{X...}`, `\xHH`, `\/`, `\n`, `\t`, `\r`, `\"`,
/// `\'`, `\\`, and a backslash before a line break (a continuation: nothing).
fn escape(rest: &[u8]) -> Option<(Vec<u8>, usize)> {
    let c = *rest.get(1)?;
    let simple = |b: u8| Some((vec![b], 2));
    match c {
        b'\n' => Some((Vec::new(), 2)),
        b'\r' if rest.get(2) == Some(&b'\n') => Some((Vec::new(), 3)),
        b'u' if rest.get(2) == Some(&b'{') => {
            let digits = rest[3..]
                .iter()
                .take(7)
                .take_while(|b| b.is_ascii_hexdigit())
                .count();
            if !(1..=6).contains(&digits) || rest.get(3 + digits) != Some(&b'}') {
                return None;
            }
            let ch = char::from_u32(hex(&rest[3..3 + digits])?)?;
            Some((ch.to_string().into_bytes(), 4 + digits))
        }
        b'/' | b'"' | b'\'' | b'\\' => simple(c),
        b'n' => simple(b'\n'),
        b't' => simple(b'\t'),
        b'r' => simple(b'\r'),
        b'x' => {
            let v = hex(rest.get(2..4)?)?;
            (v < 0x80).then(|| (vec![v as u8], 4))
        }
        b'u' => {
            let first = hex(rest.get(2..6)?)?;
            let (code, len) = if (0xD800..0xDC00).contains(&first) && rest.get(6..8) == Some(b"\\u")
            {
                let low = hex(rest.get(8..12)?)?;
                (
                    0x10000 + ((first - 0xD800) << 10) + (low.checked_sub(0xDC00)?),
                    12,
                )
            } else {
                (first, 6)
            };
            let ch = char::from_u32(code)?;
            Some((ch.to_string().into_bytes(), len))
        }
        _ => None,
    }
}

/// Adjacent string literals joined by `+` or by nothing but whitespace (JavaScript, Java, C#,
/// Go; Python's implicit concatenation over lines), holding key characters only, as one
/// literal: `"AKIA" + "UJZDEGXDNCF32EPF"` is `"AKIAUJZDEGXDNCF32EPF"`.
fn concatenation(rest: &[u8]) -> Option<(Vec<u8>, usize)> {
    let (&quote, _) = rest.split_first()?;
    let literal = |at: usize| -> Option<(usize, usize)> {
        if rest.get(at) != Some(&quote) {
            return None;
        }
        let body = rest[at + 1..]
            .iter()
            .take(128)
            .take_while(|&&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
            .count();
        (rest.get(at + 1 + body) == Some(&quote)).then_some((at + 1, at + 1 + body))
    };
    let (first_start, first_end) = literal(0)?;
    let mut joined: Vec<u8> = vec![quote];
    joined.extend_from_slice(&rest[first_start..first_end]);
    let mut at = first_end + 1;
    let mut parts = 1;
    loop {
        let mut next = at;
        let mut plus = false;
        while let Some(&b) = rest.get(next) {
            match b {
                b' ' | b'\t' | b'\n' | b'\r' => next += 1,
                b'+' if !plus => {
                    plus = true;
                    next += 1;
                }
                _ => break,
            }
            if next - at > 64 {
                break;
            }
        }
        let Some((start, end)) = literal(next) else {
            break;
        };
        joined.extend_from_slice(&rest[start..end]);
        at = end + 1;
        parts += 1;
        if parts > 8 {
            break;
        }
    }
    joined.push(quote);
    (parts > 1).then_some((joined, at))
}

/// `%HH` standing for a printable ASCII character.
fn percent(rest: &[u8]) -> Option<(Vec<u8>, usize)> {
    let v = hex(rest.get(1..3)?)?;
    (0x20..0x7f).contains(&v).then(|| (vec![v as u8], 3))
}

/// `&#xHH;`, `&#DDD;`, `&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;`.
fn entity(rest: &[u8]) -> Option<(Vec<u8>, usize)> {
    let end = rest.iter().take(10).position(|&b| b == b';')?;
    let body = std::str::from_utf8(&rest[1..end]).ok()?;
    let ch = match body {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => {
            let number = body.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(h) => u32::from_str_radix(h, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code)?
        }
    };
    Some((ch.to_string().into_bytes(), end + 1))
}

/// A base64 run (standard or URL-safe, padded or not) that decodes to text.
fn base64_run(rest: &[u8]) -> Option<(Vec<u8>, usize)> {
    let len = rest
        .iter()
        .take(BASE64_MAX + 1)
        .take_while(|&&c| is_b64(c))
        .count();
    if !(BASE64_MIN..=BASE64_MAX).contains(&len) {
        return None;
    }
    let padding = rest[len..]
        .iter()
        .take(2)
        .take_while(|&&c| c == b'=')
        .count();
    let run = &rest[..len];
    let engines = [
        &base64::engine::general_purpose::STANDARD_NO_PAD,
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ];
    let decoded = engines.iter().find_map(|e| e.decode(run).ok())?;
    // Text, not bytes: a real secret or an identifier decodes to noise and is left alone.
    let printable = decoded
        .iter()
        .filter(|&&b| (0x20..0x7f).contains(&b) || matches!(b, b'\n' | b'\r' | b'\t'))
        .count();
    (printable == decoded.len()).then_some((decoded, len + padding))
}

#[cfg(test)]
mod tests {
    /// Where the engine's prefilter reports credential words and trigger starts: what
    /// `Engine::scan` hands `decode`.
    fn hints(input: &str) -> Vec<usize> {
        static ENGINE: std::sync::OnceLock<crate::detect::Engine> = std::sync::OnceLock::new();
        ENGINE
            .get_or_init(|| {
                crate::detect::Engine::new(crate::detect::RuleSet::load(None).unwrap(), None)
                    .unwrap()
            })
            .prefilter_hits(input.as_bytes())
            .2
    }

    use super::*;

    fn text(input: &str) -> String {
        decode(input.as_bytes(), DEPTH, &hints(input)).map_or_else(String::new, |v| {
            String::from_utf8_lossy(&v.bytes).into_owned()
        })
    }

    #[test]
    fn each_spelling_is_undone() {
        assert!(text(r#"k = "\u0041\u004b\u0049\u0041""#).contains("AKIA"));
        assert!(text(r"s3a://AKIAX:abc%2Fdef%2Bghi@bucket").contains("abc/def+ghi"));
        assert!(text(r#"{"aws_secret": "abc\/def"}"#).contains("abc/def"));
        // Generic escapes far from any credential word are left alone: ordinary code pays
        // nothing.
        assert_eq!(text(r#"{"url": "https:\/\/example.com\/a"}"#), "");
        assert!(text("&#x41;&#x4b;&#73;&#x41; &amp;").contains("AKIA &"));
        let encoded = base64::engine::general_purpose::STANDARD
            .encode("aws_access_key_id = AKIAYGTTU3F4ZNIBPSU4");
        assert!(text(&format!("data:\n  creds: {encoded}\n")).contains("AKIAYGTTU3F4ZNIBPSU4"));
        // A real secret is base64-shaped noise: left as it is.
        assert_eq!(
            text("kind: Secret\nx: UYDK9SGewL2AGe4Ae/yHC3A/lCbFs83cEDU3qLyj\n"),
            ""
        );
    }

    #[test]
    fn es6_escapes_continuations_and_double_base64_are_undone() {
        assert!(text(r#"k = "\u{41}\u{4b}\u{49}\u{041}YGTTU3F4ZNIBPSU4""#)
            .contains("AKIAYGTTU3F4ZNIBPSU4"));
        assert!(text("KEY=\"AKIAYGTTU3F4\\\nZNIBPSU4\"").contains("AKIAYGTTU3F4ZNIBPSU4"));
        assert!(text("KEY=\"AKIAYGTTU3F4\\\r\nZNIBPSU4\"").contains("AKIAYGTTU3F4ZNIBPSU4"));
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        // At every alignment of both layers.
        for outer in ["", " ", "k "] {
            for inner in ["", "a", "ab"] {
                let twice = b64(&format!(
                    "{outer}{}",
                    b64(&format!("{inner}id AKIAYGTTU3F4ZNIBPSU4 end"))
                ));
                assert!(
                    text(&format!("blob: {twice}\n")).contains("AKIAYGTTU3F4ZNIBPSU4"),
                    "{outer:?} {inner:?}"
                );
            }
        }
        // The twin: a continuation away from any key ID is left alone.
        assert_eq!(text("make all \\\n  install\n"), "");
    }

    #[test]
    fn split_literals_are_joined() {
        assert!(
            text(r#"const k = "AKIA" + "UJZDEGXDNCF32EPF";"#).contains("\"AKIAUJZDEGXDNCF32EPF\"")
        );
        assert!(
            text("key = ('AKIAUJZD'\n       'EGXDNCF32EPF')").contains("'AKIAUJZDEGXDNCF32EPF'")
        );
    }

    #[test]
    fn spans_map_back_to_the_encoding() {
        let input = r"aws_id=\u0041KIAYGTTU3F4ZNIBPSU4;";
        let view = decode(input.as_bytes(), DEPTH, &hints(input)).unwrap();
        let at = view.bytes.windows(4).position(|w| w == b"AKIA").unwrap();
        let (start, end) = view.original_span(at, at + 20);
        assert_eq!(&input[start..end], r"\u0041KIAYGTTU3F4ZNIBPSU4");
    }

    /// A megabyte of text around two encoded values: the maps hold a run per token, not an
    /// offset per byte, and every byte maps back exactly: a copied byte to itself (all but
    /// the two decoded ones), offsets in order, the escaped key to its escape.
    #[test]
    fn offsets_map_back_by_runs() {
        let filler = "let x = 1; // plain text\n".repeat(40_000);
        let input = format!(
            "{filler}aws_id=\\u0041KIAYGTTU3F4ZNIBPSU4;\n{filler}aws_secret = \"abc\\/def\"\n{filler}"
        );
        let view = decode(input.as_bytes(), DEPTH, &hints(&input)).unwrap();
        let runs: usize = view.maps.iter().map(|m| m.runs.len()).sum();
        assert!(runs < 16, "{runs} runs for {} bytes", view.bytes.len());
        let mut last = 0;
        let mut decoded = 0;
        for (i, &b) in view.bytes.iter().enumerate() {
            let at = view.original(i);
            assert!(at >= last, "offset {i} maps back before offset {}", i - 1);
            last = at;
            // Windows are joined by line breaks, which map to the next window's start.
            if b != b'\n' && input.as_bytes()[at] != b {
                decoded += 1;
            }
        }
        assert_eq!(decoded, 2);
        let at = view.bytes.windows(4).position(|w| w == b"AKIA").unwrap();
        let (start, end) = view.original_span(at, at + 20);
        assert_eq!(&input[start..end], r"\u0041KIAYGTTU3F4ZNIBPSU4");
        // One past the view is one past the last window.
        let end = view.original(view.bytes.len());
        assert!(end > last && end <= input.len(), "{end}");
    }

    #[test]
    fn depth_bounds_the_layers_undone() {
        // base64 of a text whose key is spelled in escapes: two layers.
        let inner = r"aws_access_key_id = \u0041KIAYGTTU3F4ZNIBPSU4";
        let input = format!(
            "kind: Secret\ndata:\n  creds: {}\n",
            base64::engine::general_purpose::STANDARD.encode(inner)
        );
        let at = |depth| {
            decode(input.as_bytes(), depth, &hints(&input))
                .map(|v| String::from_utf8_lossy(&v.bytes).into_owned())
        };
        assert_eq!(at(0), None);
        let one = at(1).unwrap();
        assert!(
            one.contains(r"\u0041KIA") && !one.contains("AKIAYGTTU3F4ZNIBPSU4"),
            "{one}"
        );
        assert!(at(2).unwrap().contains("AKIAYGTTU3F4ZNIBPSU4"));
        // Asking for more than the cap is the cap, not an unbounded loop.
        assert_eq!(at(usize::MAX), at(MAX_DEPTH));
    }
}

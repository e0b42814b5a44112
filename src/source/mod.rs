//! Where blobs come from. A `Blob` is bytes plus the `Origin` that says where they were read;
//! every later stage speaks in byte offsets inside a blob.

pub mod archive;
pub mod fs;
pub mod git;

use std::borrow::Cow;

pub use crate::finding::Origin;

/// Content to scan.
pub struct Blob<'a> {
    pub origin: Origin,
    pub bytes: Cow<'a, [u8]>,
}

/// How a blob's raw bytes are to be read.
#[derive(Debug, PartialEq, Eq)]
pub enum Content<'a> {
    /// Bytes to scan as they are (a UTF-8 BOM removed).
    Bytes(&'a [u8]),
    /// UTF-16 (with a BOM, or without one but plainly UTF-16), decoded to UTF-8.
    Decoded(Vec<u8>),
    /// Binary (a NUL byte in the first 8 KiB, not UTF-16): scanned as its bytes (a NUL is a
    /// word boundary like any other), so that a NUL in front of a `.env` or a key among a
    /// binary's strings is seen; with its `binary_view` too when `utf16_hint` says it holds
    /// UTF-16 strings a rule may match.
    Binary(&'a [u8]),
}

const BINARY_PROBE: usize = crate::limits::DEFAULT.binary_probe;

/// Content up to this size is read whole (every detector, policies included); longer content
/// is read in windows of this size (secrets only).
pub const WINDOW: usize = crate::limits::DEFAULT.window;

/// How a file is encoded, decided on its first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 or any ASCII-compatible text; `bom` bytes to drop at the start.
    Text {
        bom: usize,
    },
    /// UTF-16, little or big endian; `bom` bytes to drop at the start.
    Utf16 {
        little: bool,
        bom: usize,
    },
    Binary,
}

/// The encoding of bytes that start with `head`: UTF-16 by its BOM, or without one when
/// nearly every second byte of the probe is NUL and the others are not (ASCII text in
/// UTF-16, as Windows tools write it); binary when a NUL is left; else text.
pub fn encoding(head: &[u8]) -> Encoding {
    match head {
        [0xFF, 0xFE, ..] => {
            return Encoding::Utf16 {
                little: true,
                bom: 2,
            }
        }
        [0xFE, 0xFF, ..] => {
            return Encoding::Utf16 {
                little: false,
                bom: 2,
            }
        }
        [0xEF, 0xBB, 0xBF, ..] => return plain(&head[3..], 3),
        _ => {}
    }
    plain(head, 0)
}

fn plain(raw: &[u8], bom: usize) -> Encoding {
    let probe = &raw[..raw.len().min(BINARY_PROBE)];
    if memchr::memchr(0, probe).is_none() {
        return Encoding::Text { bom };
    }
    let pairs = probe.len() / 2;
    let (mut even, mut odd) = (0, 0);
    for pair in probe.chunks_exact(2) {
        even += usize::from(pair[0] == 0);
        odd += usize::from(pair[1] == 0);
    }
    // At least 8 characters, over 90% of them with a NUL on one side and almost none on the
    // other: ASCII-range UTF-16.
    if pairs >= 8 && odd * 10 >= pairs * 9 && even * 50 <= pairs {
        Encoding::Utf16 { little: true, bom }
    } else if pairs >= 8 && even * 10 >= pairs * 9 && odd * 50 <= pairs {
        Encoding::Utf16 { little: false, bom }
    } else {
        Encoding::Binary
    }
}

/// Decides how to read raw file bytes (`encoding`) and reads them so.
pub fn classify(raw: &[u8]) -> Content<'_> {
    match encoding(raw) {
        Encoding::Text { bom } => Content::Bytes(&raw[bom..]),
        Encoding::Utf16 { little, bom } => Content::Decoded(decode_utf16(&raw[bom..], little)),
        Encoding::Binary => Content::Binary(raw),
    }
}

/// Bytes of a later part of a file whose `encoding` was decided on its start.
pub fn decode_part(encoding: Encoding, raw: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    match encoding {
        Encoding::Text { .. } => std::borrow::Cow::Borrowed(raw),
        Encoding::Utf16 { little, .. } => std::borrow::Cow::Owned(decode_utf16(raw, little)),
        Encoding::Binary => std::borrow::Cow::Borrowed(raw),
    }
}

/// Whether a binary holds a UTF-16 key ID (`AKIA`, `ASIA`, `ABIA`, `ACCA` in either byte
/// order): only then is its `binary_view` worth making. Both byte orders share the NUL-padded
/// middle (`A\0K\0I\0A`, with a NUL after in little-endian and before in big-endian), so
/// one SIMD pass (Teddy) over four needles answers for both: 4x faster than the eight memmem
/// passes it replaced, which binaries full of `A\0` all ran (5% of a tree scan's CPU).
pub fn utf16_hint(raw: &[u8]) -> bool {
    const NEEDLES: [&[u8]; 4] = [b"A\0K\0I\0A", b"A\0S\0I\0A", b"A\0B\0I\0A", b"A\0C\0C\0A"];
    static HINTS: std::sync::OnceLock<Option<aho_corasick::packed::Searcher>> =
        std::sync::OnceLock::new();
    // `None` where the CPU has no SIMD Teddy can use: one memmem pass per needle then.
    match HINTS.get_or_init(|| aho_corasick::packed::Searcher::new(NEEDLES)) {
        Some(searcher) => searcher.find(raw).is_some(),
        None => NEEDLES
            .iter()
            .any(|needle| memchr::memmem::find(raw, needle).is_some()),
    }
}

/// A binary's bytes as text to scan: a NUL that pads an ASCII character into UTF-16
/// (`k\0e\0y\0`, either byte order) is dropped, so UTF-16 strings read as ASCII; any other NUL
/// becomes a space, a word boundary that keeps lines and neighbouring strings apart.
pub fn binary_view(raw: &[u8]) -> Vec<u8> {
    let texty = |b: u8| matches!(b, b'\t' | b'\n' | b'\r' | 0x20..=0x7E);
    let at = |i: usize| raw.get(i).copied();
    let mut out = Vec::with_capacity(raw.len());
    let mut from = 0;
    // Runs between NULs are copied whole (memchr finds the NULs): a binary costs a copy.
    for i in memchr::memchr_iter(0, raw) {
        out.extend_from_slice(&raw[from..i]);
        from = i + 1;
        let before = i.checked_sub(1).and_then(at);
        let before2 = i.checked_sub(2).and_then(at);
        let padding = (before.is_some_and(texty) && (before2 == Some(0) || i == 1))
            || (at(i + 1).is_some_and(texty) && at(i + 2) == Some(0));
        if !padding {
            out.push(b' ');
        }
    }
    out.extend_from_slice(&raw[from..]);
    out
}

fn decode_utf16(raw: &[u8], little: bool) -> Vec<u8> {
    let unit = if little {
        u16::from_le_bytes
    } else {
        u16::from_be_bytes
    };
    let units = raw.chunks_exact(2).map(|pair| unit([pair[0], pair[1]]));
    char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect::<String>()
        .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_with_bom_is_decoded() {
        let mut raw = vec![0xFF, 0xFE];
        for unit in "key=AKIA".encode_utf16() {
            raw.extend(unit.to_le_bytes());
        }
        assert_eq!(classify(&raw), Content::Decoded(b"key=AKIA".to_vec()));
    }

    #[test]
    fn utf16_without_bom_is_decoded_and_a_nul_is_read_around() {
        let mut raw = Vec::new();
        for unit in "aws_access_key_id = AKIA\n".encode_utf16() {
            raw.extend(unit.to_le_bytes());
        }
        assert_eq!(
            classify(&raw),
            Content::Decoded(b"aws_access_key_id = AKIA\n".to_vec())
        );
        let be: Vec<u8> = raw.chunks(2).flat_map(|p| [p[1], p[0]]).collect();
        assert_eq!(
            classify(&be),
            Content::Decoded(b"aws_access_key_id = AKIA\n".to_vec())
        );
        // One NUL in front of text: binary, read as its bytes (a NUL is a word boundary).
        assert_eq!(classify(b"\0key=AKIA\n"), Content::Binary(b"\0key=AKIA\n"));
        // Only a binary holding a UTF-16 key ID needs its view.
        assert!(utf16_hint(b"\x7fELF\0\0A\0K\0I\0A\0"));
        assert!(utf16_hint(b"\x7fELF\0\0\0A\0S\0I\0A"));
        assert!(!utf16_hint(b"\x7fELF\0\0AKIA\0A\0"));
        // Every prefix in both byte orders, in haystacks shorter and longer than Teddy's
        // minimum; one padding NUL missing is no hint.
        for word in ["AKIA", "ASIA", "ABIA", "ACCA"] {
            let le: Vec<u8> = word.bytes().flat_map(|b| [b, 0]).collect();
            let be: Vec<u8> = word.bytes().flat_map(|b| [0, b]).collect();
            for needle in [le, be] {
                assert!(utf16_hint(&needle), "{word}");
                let long = [&[0xffu8; 40][..], &needle, &[0xffu8; 40][..]].concat();
                assert!(utf16_hint(&long), "{word}");
                // The NUL between the first `A` and the next letter.
                let mut broken = long.clone();
                broken.remove(if needle[0] == 0 { 42 } else { 41 });
                assert!(!utf16_hint(&broken), "{word}");
            }
        }
        // UTF-16 strings inside a binary read as ASCII; other NULs keep strings apart.
        assert_eq!(
            binary_view(b"\x7fELF\0\0\0k\0e\0y\0\0\0AKIA\0next"),
            b"\x7fELF  key  AKIA next".to_vec()
        );
        assert_eq!(classify(b"\xEF\xBB\xBFabc"), Content::Bytes(b"abc"));
        assert_eq!(classify(b""), Content::Bytes(b""));
    }
}

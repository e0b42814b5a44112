//! Where blobs come from. A `Blob` is bytes plus the `Origin` that says where they were read;
//! every later stage speaks in byte offsets inside a blob.

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
    /// UTF-16 with a BOM, decoded to UTF-8.
    Decoded(Vec<u8>),
    /// A NUL byte in the first 8 KiB and no UTF-16 BOM.
    Binary,
}

const BINARY_PROBE: usize = 8 * 1024;

/// Decides how to read raw file bytes: UTF-16 with a BOM is decoded, UTF-8's BOM dropped,
/// anything else with a NUL near the start is binary. Non-UTF-8 text is scanned as bytes.
pub fn classify(raw: &[u8]) -> Content<'_> {
    match raw {
        [0xFF, 0xFE, rest @ ..] => Content::Decoded(decode_utf16(rest, u16::from_le_bytes)),
        [0xFE, 0xFF, rest @ ..] => Content::Decoded(decode_utf16(rest, u16::from_be_bytes)),
        [0xEF, 0xBB, 0xBF, rest @ ..] => classify_plain(rest),
        _ => classify_plain(raw),
    }
}

fn classify_plain(raw: &[u8]) -> Content<'_> {
    if memchr::memchr(0, &raw[..raw.len().min(BINARY_PROBE)]).is_some() {
        Content::Binary
    } else {
        Content::Bytes(raw)
    }
}

fn decode_utf16(raw: &[u8], unit: fn([u8; 2]) -> u16) -> Vec<u8> {
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
    fn nul_means_binary_and_bom_is_dropped() {
        assert_eq!(classify(b"ab\0cd"), Content::Binary);
        assert_eq!(classify(b"\xEF\xBB\xBFabc"), Content::Bytes(b"abc"));
        assert_eq!(classify(b""), Content::Bytes(b""));
    }
}

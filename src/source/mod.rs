//! Where blobs come from. A `Blob` is bytes plus the `Origin` that says where they were read;
//! every later stage speaks in byte offsets inside a blob.

pub mod fs;
pub mod git;

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::Arc;

/// Where a blob was read.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Origin {
    /// A file in a tree: the path as walked, and its path relative to the report base
    /// (forward slashes), which is what SARIF and fingerprints use.
    File { path: PathBuf, rel: String },
    /// Standard input.
    Stdin,
    /// A blob at a path, as a commit introduced it.
    Commit {
        commit: Arc<git::CommitInfo>,
        path: String,
        blob: String,
    },
    /// A file staged in the index, not yet committed.
    Index { path: String },
    /// An IAM user of an AWS account (`audit`): a logical place, not a file.
    Iam { account: String, user: String },
}

impl Origin {
    /// The path as the user should see it.
    pub fn display(&self) -> String {
        match self {
            Origin::File { path, .. } => path.display().to_string(),
            Origin::Stdin => "<stdin>".to_string(),
            Origin::Commit { commit, path, .. } => {
                format!("{path} @ {}", &commit.id[..12.min(commit.id.len())])
            }
            Origin::Index { path } => format!("{path} (staged)"),
            Origin::Iam { account, user } => format!("aws account {account}, IAM user {user}"),
        }
    }

    /// The normalized path used in SARIF and fingerprints.
    pub fn rel(&self) -> &str {
        match self {
            Origin::File { rel, .. } => rel,
            Origin::Stdin => "stdin",
            Origin::Commit { path, .. } | Origin::Index { path } => path,
            Origin::Iam { .. } => "",
        }
    }
}

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

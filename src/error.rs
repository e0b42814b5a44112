//! Errors of the library's edges. A leaf: `FileError` is the one "this file is wrong" error
//! (configuration, baseline, rule files), its cause kept as the source; `chain` renders any
//! error with its causes on one line, as `main` prints them.

use std::error::Error;

/// A file keyrot was told to read is unreadable or wrong.
#[derive(Debug, thiserror::Error)]
#[error("{path}")]
pub struct FileError {
    pub path: String,
    #[source]
    pub kind: FileErrorKind,
}

#[derive(Debug, thiserror::Error)]
pub enum FileErrorKind {
    #[error("cannot read")]
    Read(#[source] std::io::Error),
    /// The content is wrong; the message says where and how.
    #[error("{0}")]
    Invalid(String),
}

impl FileError {
    pub fn read(path: impl Into<String>, err: std::io::Error) -> FileError {
        FileError {
            path: path.into(),
            kind: FileErrorKind::Read(err),
        }
    }

    pub fn invalid(path: impl Into<String>, message: impl Into<String>) -> FileError {
        FileError {
            path: path.into(),
            kind: FileErrorKind::Invalid(message.into()),
        }
    }
}

/// `error: cause: cause`, every source on one line.
pub fn chain(err: &dyn Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

//! keyrot finds leaked AWS credentials and says how to rotate or revoke them.
//!
//! Data flows one way: `source` yields blobs, `detect` turns them into `Finding`s, `report`
//! formats them. `scan` runs that pipeline; `cli` is the command line the binary parses.

pub mod cli;
pub mod commands;
pub mod config;
pub mod detect;
pub mod finding;
#[cfg(feature = "aws")]
pub mod iam;
pub mod policy;
pub mod remedy;
pub mod report;
pub mod scan;
pub mod source;
pub mod suppress;
pub mod time;

pub use detect::{Engine, RuleSet};
pub use finding::{Finding, Severity};
pub use scan::{ScanOutcome, ScanRequest};

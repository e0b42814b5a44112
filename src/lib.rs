//! keyrot finds leaked AWS credentials and weak IAM policies, and says how to rotate, revoke
//! or narrow them.
//!
//! Data flows one way (ARCHITECTURE.md draws it): `source` yields blobs; the pipeline (`scan`)
//! builds one `context::BlobContext` per blob and runs the detectors (`detect` for secrets,
//! `policy` for IAM policies) over it; their `finding::Finding`s go through `suppress`, then
//! optionally `iam` for live facts, into an `outcome::ScanOutcome` that `report` renders.
//! `commands` runs a parsed `cli::Cli`; everything else is private to the crate, but for the
//! few items benchmarks use.

mod catalog;
pub mod cli;
pub mod commands;
mod config;
pub mod context;
mod detect;
mod error;
mod finding;
#[doc(hidden)]
pub mod fuzz;
#[cfg(feature = "aws")]
mod iam;
pub mod limits;
mod node;
mod outcome;
mod policy;
mod redact;
mod remedy;
mod report;
mod rule;
mod scan;
mod source;
mod suppress;
pub mod time;

pub use commands::CommandError;
pub use detect::{Engine, RuleSet};
pub use error::{chain, FileError};
pub use finding::{Finding, Origin, Severity};
pub use policy::Policies;
pub use source::Blob;

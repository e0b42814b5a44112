//! Secrets in a blob: rules as data (`rules`), the prefilter-then-regex engine (`engine`),
//! and what an AWS key ID says by itself (`aws`).

pub mod aws;
pub mod emit;
pub mod engine;
pub mod rules;

pub use engine::{BlobReport, Engine};
pub use rules::{Rule, RuleKind, RuleSet};

//! Secrets in a blob: rules as data (`rules`), the prefilter-then-regex engine (`engine`, a
//! `Detector`) with its literal search (`teddy`), findings from its candidates (`emit`), and
//! what an AWS key ID says by itself (`aws`).

pub mod aws;
mod decode;
mod emit;
pub mod engine;
mod pair;
pub mod rules;
mod teddy;

pub use engine::Engine;
pub use rules::RuleSet;

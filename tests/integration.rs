//! The one integration-test binary: runs the real `keyrot` on fixtures and temp trees.

mod action;
mod docs;
mod gate;
mod git;
#[cfg(feature = "aws")]
mod iam;
mod policy;
mod report;
mod sarif;
mod scan;
mod suppress;
mod util;

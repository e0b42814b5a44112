//! GitHub Actions OIDC federation without a `sub` condition: any repository's workflow.

use super::{hit, CheckInfo, Expanded, Hit};
use crate::finding::Severity;
use crate::policy::model::{DocKind, PolicyDoc};

pub static INFO: CheckInfo = CheckInfo {
    id: "policy.trust-github-oidc",
    title: "GitHub Actions may assume the role from any repository",
    severity: Severity::Critical,
    cwe: 284,
    rationale: "A role trusting `token.actions.githubusercontent.com` without a `token.actions.githubusercontent.com:sub` condition naming your repositories can be assumed by a workflow in anyone's repository.",
    remediation: "Add a `StringLike` condition on `token.actions.githubusercontent.com:sub` with `repo:OWNER/REPO:ref:refs/heads/main` (or an environment), and on `:aud` with `sts.amazonaws.com`.",
};

const SUB: &str = "token.actions.githubusercontent.com:sub";

pub struct Check;

impl super::Check for Check {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn statement(&self, doc: &PolicyDoc, st: &Expanded, out: &mut Vec<Hit>) {
        let s = st.statement;
        if doc.kind != DocKind::Trust || !s.allows() {
            return;
        }
        let Some(p) = s.principals.iter().find(|p| {
            p.kind == "Federated"
                && p.value
                    .text
                    .as_deref()
                    .is_some_and(|t| t.contains("token.actions.githubusercontent.com"))
        }) else {
            return;
        };
        let sub = s
            .conditions
            .iter()
            .find(|c| c.key.eq_ignore_ascii_case(SUB));
        let open = match sub {
            None => Some("no condition on token.actions.githubusercontent.com:sub".to_string()),
            Some(c) if c.values.iter().any(|v| v == "*" || v.starts_with("repo:*")) => {
                Some(format!("the sub condition allows {}", c.values.join(", ")))
            }
            Some(_) => None,
        };
        if let Some(why) = open {
            out.push(hit(
                &INFO,
                INFO.severity,
                (p.value.start, p.value.end),
                format!("{}: GitHub OIDC trust with {why}", doc.context),
            ));
        }
    }
}

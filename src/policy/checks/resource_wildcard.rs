//! `Resource: "*"` on actions that could be scoped. Actions that only take `*` (such as
//! `s3:ListAllMyBuckets`) never fire: that is the most common false alarm of other scanners.

use super::{hit, list, star_resource, weigh, CheckInfo, Expanded, Hit};
use crate::finding::Severity;
use crate::policy::model::{DocKind, PolicyDoc};

pub static INFO: CheckInfo = CheckInfo {
    id: "policy.resource-wildcard",
    title: "Scopable actions allowed on every resource",
    severity: Severity::Medium,
    cwe: 732,
    rationale: "The statement's actions accept resource ARNs, yet it allows them on `*`: every bucket, table, key or function of the account, including ones created later.",
    remediation: "Scope `Resource` to the ARNs the workload uses (`arn:aws:s3:::my-bucket/*`). Keep `*` only for actions that accept nothing else, in a statement of their own.",
};

pub struct Check;

impl super::Check for Check {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn statement(&self, doc: &PolicyDoc, st: &Expanded, out: &mut Vec<Hit>) {
        let s = st.statement;
        let whole = s.actions.iter().any(|a| {
            a.is("*") || a.is("*:*") || a.text.as_deref().is_some_and(|t| t.ends_with(":*"))
        });
        if doc.kind != DocKind::Identity || !s.allows() || !s.on_any_resource() || whole {
            return;
        }
        let scopable: Vec<&str> = st
            .actions
            .iter()
            .filter(|a| a.scopable && matches!(a.level, 'W' | 'P' | 'R' | 'T'))
            .map(|a| a.name.as_str())
            .collect();
        if scopable.is_empty() {
            return;
        }
        let (severity, message) = weigh(
            s,
            INFO.severity,
            format!(
                "{}: {} allowed on Resource *",
                doc.context,
                list(&scopable, 4)
            ),
        );
        out.push(hit(&INFO, severity, star_resource(s), message));
    }
}

//! `Allow` of `Action: "*"` on some resources.

use super::prelude::*;

pub static CHECK: Check = Check {
    id: "policy.action-wildcard",
    title: "Policy allows every action",
    severity: Severity::High,
    cwe: 269,
    rationale: "`Action: \"*\"` grants every present and future action of every service on the resources named, including deleting them and changing their policies.",
    remediation: "List the actions the workload calls; generate them from CloudTrail with IAM Access Analyzer's policy generation.",
    fires: &[(
        "bucket-admin.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::reports/*"}]}"#,
    )],
    quiet: &[(
        "bucket-read.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"}]}"#,
    )],
    scope: Scope::Allow {
        kinds: &[DocKind::Identity],
        skip_everything: false,
        conditions: Conditions::Lower,
        predicate,
    },
    note: None,
};

fn predicate(_: &PolicyDoc, st: &Expanded, _: &[Expanded], out: &mut Vec<Raw>) {
    let s = st.statement;
    if s.on_any_resource() {
        return;
    }
    if let Some(a) = s.actions.iter().find(|a| a.is("*") || a.is("*:*")) {
        out.push(raw(
            CHECK.severity,
            (a.start, a.end),
            "Allow * on named resources".into(),
        ));
    }
}

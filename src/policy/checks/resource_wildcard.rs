//! `Resource: "*"` on actions that could be scoped. Actions that only take `*` (such as
//! `s3:ListAllMyBuckets`) never fire: that is the most common false alarm of other scanners.

use super::prelude::*;

pub static CHECK: Check = Check {
    id: "policy.resource-wildcard",
    title: "Scopable actions allowed on every resource",
    severity: Severity::Medium,
    cwe: 732,
    rationale: "The statement's actions accept resource ARNs, yet it allows them on `*`: every bucket, table, key or function of the account, including ones created later.",
    remediation: "Scope `Resource` to the ARNs the workload uses (`arn:aws:s3:::my-bucket/*`). Keep `*` only for actions that accept nothing else, in a statement of their own.",
    fires: &[(
        "put-anywhere.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}]}"#,
    )],
    quiet: &[(
        "list-buckets.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]}"#,
    )],
    scope: Scope::Allow {
        kinds: &[DocKind::Identity],
        skip_everything: false,
        conditions: Conditions::Lower,
        predicate,
    },
};

fn predicate(_: &PolicyDoc, st: &Expanded, out: &mut Vec<Raw>) {
    let s = st.statement;
    let whole = s.actions.iter().any(|a| {
        a.is("*") || a.is("*:*") || a.text.as_deref().is_some_and(|t| t.ends_with(":*"))
    });
    if !s.on_any_resource() || whole {
        return;
    }
    let scopable: Vec<&str> = st
        .actions
        .iter()
        .filter(|a| a.scopable && matches!(a.level, 'W' | 'P' | 'R' | 'T'))
        .map(|a| a.name.as_str())
        .collect();
    if !scopable.is_empty() {
        out.push(raw(
            CHECK.severity,
            star_resource(s),
            format!("{} allowed on Resource *", list(&scopable, 4)),
        ));
    }
}

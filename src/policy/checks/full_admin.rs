//! `Allow` of every action on every resource.

use super::prelude::*;

pub static CHECK: Check = Check {
    id: "policy.full-admin",
    title: "Policy grants every action on every resource",
    severity: Severity::Critical,
    cwe: 269,
    rationale: "A statement that allows `*` on `*` makes whoever holds it an administrator of the account: it can read every secret, delete every resource and grant itself anything else.",
    remediation: "Name the actions the workload uses (IAM Access Analyzer can generate them from CloudTrail), scope `Resource` to the ARNs it needs, and keep administrator access for break-glass roles behind MFA.",
    fires: &[(
        "admin.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#,
    )],
    quiet: &[(
        "deny.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}"#,
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
    if st.is_everything() && s.on_any_resource() {
        out.push(raw(CHECK.severity, star_resource(s), "Allow * on *".into()));
    }
}

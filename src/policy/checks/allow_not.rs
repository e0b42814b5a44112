//! `Allow` with `NotAction`, `NotResource` or `NotPrincipal`: inverted lists that grant far
//! more than they read.

use super::prelude::*;

pub static CHECK: Check = Check {
    id: "policy.allow-not",
    title: "Allow with NotAction, NotResource or NotPrincipal",
    severity: Severity::High,
    cwe: 732,
    rationale: "`Allow` with `NotAction` grants every action but the listed ones, including every action AWS adds later; `NotResource` every resource but some; `NotPrincipal` everyone but some. They read as restrictions and act as grants.",
    remediation: "Use `Allow` with the actions, resources and principals intended, and `Deny` statements for exceptions.",
    fires: &[(
        "not-iam.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}"#,
    )],
    quiet: &[(
        "deny-not.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "NotAction": "iam:*", "Resource": "*"}]}"#,
    )],
    scope: Scope::Allow {
        kinds: &[],
        skip_everything: false,
        conditions: Conditions::Lower,
        predicate,
    },
    note: None,
};

fn predicate(_: &PolicyDoc, st: &Expanded, _: &[Expanded], out: &mut Vec<Raw>) {
    let s = st.statement;
    if let Some(a) = s.not_actions.first() {
        out.push(raw(
            Severity::High,
            (a.start, a.end),
            "Allow with NotAction grants every other action".into(),
        ));
    }
    if let Some(r) = s.not_resources.first() {
        out.push(raw(
            Severity::Medium,
            (r.start, r.end),
            "Allow with NotResource grants every other resource".into(),
        ));
    }
    if let Some(p) = s.not_principals.first() {
        out.push(raw(
            Severity::High,
            (p.value.start, p.value.end),
            "Allow with NotPrincipal grants every other principal".into(),
        ));
    }
}

//! GitHub Actions OIDC federation without a `sub` condition: any repository's workflow.

use super::prelude::*;

pub static CHECK: Check = Check {
    id: "policy.trust-github-oidc",
    title: "GitHub Actions may assume the role from any repository",
    severity: Severity::Critical,
    cwe: 284,
    rationale: "A role trusting `token.actions.githubusercontent.com` without a `token.actions.githubusercontent.com:sub` condition naming your repositories can be assumed by a workflow in anyone's repository.",
    remediation: "Add a `StringLike` condition on `token.actions.githubusercontent.com:sub` with `repo:OWNER/REPO:ref:refs/heads/main` (or an environment), and on `:aud` with `sts.amazonaws.com`.",
    fires: &[(
        "oidc-open.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}}]}"#,
    )],
    quiet: &[(
        "oidc-repo.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/app:ref:refs/heads/main"}}}]}"#,
    )],
    scope: Scope::Allow {
        kinds: &[DocKind::Trust],
        skip_everything: false,
        conditions: Conditions::Own,
        predicate,
    },
    note: None,
};

const SUB: &str = "token.actions.githubusercontent.com:sub";

fn predicate(_: &PolicyDoc, st: &Expanded, _: &[Expanded], out: &mut Vec<Raw>) {
    let s = st.statement;
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
        Some(c)
            if c.values.iter().any(|v| {
                v.as_deref()
                    .is_some_and(|v| v == "*" || v.starts_with("repo:*"))
            }) =>
        {
            let shown: Vec<String> = c
                .values
                .iter()
                .map(|v| v.as_deref().unwrap_or("?").replace(crate::policy::model::UNKNOWN, "?"))
                .collect();
            Some(format!("the sub condition allows {}", shown.join(", ")))
        }
        Some(_) => None,
    };
    if let Some(why) = open {
        out.push(raw(
            CHECK.severity,
            (p.value.start, p.value.end),
            format!("GitHub OIDC trust with {why}"),
        ));
    }
}

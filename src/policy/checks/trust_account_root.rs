//! A role that a whole account may assume, with no condition.

use super::prelude::*;

pub static CHECK: Check = Check {
    id: "policy.trust-account-root",
    title: "A whole account may assume the role",
    severity: Severity::Medium,
    cwe: 284,
    rationale: "Trusting `arn:aws:iam::ACCOUNT:root` (or a bare account ID) delegates to every principal of that account that its admins allow, now and later; for a third party, without `sts:ExternalId` it is open to the confused deputy problem.",
    remediation: "Trust the specific role ARNs that need it, or add `aws:PrincipalArn` (and for third parties `sts:ExternalId`) conditions.",
    fires: &[(
        "trust-root.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]}"#,
    )],
    quiet: &[(
        "trust-role.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:role/deployer"}, "Action": "sts:AssumeRole"}]}"#,
    )],
    scope: Scope::Allow {
        kinds: &[DocKind::Trust],
        skip_everything: false,
        conditions: Conditions::Clear {
            keys: None,
            audience: Audience::Attached,
        },
        predicate,
    },
    note: None,
};

fn predicate(_: &PolicyDoc, st: &Expanded, _: &[Expanded], out: &mut Vec<Raw>) {
    for p in st.statement.principals.iter().filter(|p| p.kind == "AWS") {
        let Some(text) = p.value.text.as_deref() else {
            continue;
        };
        let root = (text.starts_with("arn:aws") && text.ends_with(":root"))
            || (text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()));
        if root {
            out.push(raw(
                CHECK.severity,
                (p.value.start, p.value.end),
                format!("every principal of account {text} may assume this role"),
            ));
        }
    }
}

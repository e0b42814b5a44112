//! A role that a whole account may assume, with no condition.

use super::{hit, CheckInfo, Expanded, Hit, RESTRICTING_KEYS};
use crate::finding::Severity;
use crate::policy::model::{DocKind, PolicyDoc};

pub static INFO: CheckInfo = CheckInfo {
    id: "policy.trust-account-root",
    title: "A whole account may assume the role",
    severity: Severity::Medium,
    cwe: 284,
    rationale: "Trusting `arn:aws:iam::ACCOUNT:root` (or a bare account ID) delegates to every principal of that account that its admins allow, now and later; for a third party, without `sts:ExternalId` it is open to the confused deputy problem.",
    remediation: "Trust the specific role ARNs that need it, or add `aws:PrincipalArn` (and for third parties `sts:ExternalId`) conditions.",
};

pub struct Check;

impl super::Check for Check {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn statement(&self, doc: &PolicyDoc, st: &Expanded, out: &mut Vec<Hit>) {
        let s = st.statement;
        if doc.kind != DocKind::Trust || !s.allows() || s.condition_on(RESTRICTING_KEYS).is_some() {
            return;
        }
        for p in s.principals.iter().filter(|p| p.kind == "AWS") {
            let Some(text) = p.value.text.as_deref() else {
                continue;
            };
            let root = (text.starts_with("arn:aws") && text.ends_with(":root"))
                || (text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()));
            if root {
                out.push(hit(
                    &INFO,
                    INFO.severity,
                    (p.value.start, p.value.end),
                    format!(
                        "{}: every principal of account {text} may assume this role",
                        doc.context
                    ),
                ));
            }
        }
    }
}

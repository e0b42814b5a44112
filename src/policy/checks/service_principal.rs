//! A service principal on a resource policy without `aws:SourceArn`/`aws:SourceAccount`.

use super::{hit, CheckInfo, Expanded, Hit};
use crate::finding::Severity;
use crate::policy::model::{DocKind, PolicyDoc};

pub static INFO: CheckInfo = CheckInfo {
    id: "policy.service-principal-unscoped",
    title: "Service principal without a source condition",
    severity: Severity::Medium,
    cwe: 441,
    rationale: "Allowing a service such as `sns.amazonaws.com` without `aws:SourceArn` or `aws:SourceAccount` lets that service act for any customer's resource: another account's topic or bucket can use yours (the confused deputy).",
    remediation: "Add `aws:SourceArn` (the exact resource that calls) or `aws:SourceAccount` (your account ID) conditions to the statement.",
};

pub struct Check;

impl super::Check for Check {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn statement(&self, doc: &PolicyDoc, st: &Expanded, out: &mut Vec<Hit>) {
        let s = st.statement;
        if doc.kind != DocKind::Resource || !s.allows() {
            return;
        }
        if s.condition_on(&["aws:SourceArn", "aws:SourceAccount", "aws:SourceOrgID"])
            .is_some()
        {
            return;
        }
        if let Some(p) = s.principals.iter().find(|p| p.kind == "Service") {
            let service = p.value.text.as_deref().unwrap_or("a service");
            out.push(hit(
                &INFO,
                INFO.severity,
                (p.value.start, p.value.end),
                format!(
                    "{}: {service} may act for any account's resources",
                    doc.context
                ),
            ));
        }
    }
}

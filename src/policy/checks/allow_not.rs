//! `Allow` with `NotAction`, `NotResource` or `NotPrincipal`: inverted lists that grant far
//! more than they read.

use super::{hit, weigh, CheckInfo, Expanded, Hit};
use crate::finding::Severity;
use crate::policy::model::PolicyDoc;

pub static INFO: CheckInfo = CheckInfo {
    id: "policy.allow-not",
    title: "Allow with NotAction, NotResource or NotPrincipal",
    severity: Severity::High,
    cwe: 732,
    rationale: "`Allow` with `NotAction` grants every action but the listed ones, including every action AWS adds later; `NotResource` every resource but some; `NotPrincipal` everyone but some. They read as restrictions and act as grants.",
    remediation: "Use `Allow` with the actions, resources and principals intended, and `Deny` statements for exceptions.",
};

pub struct Check;

impl super::Check for Check {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn statement(&self, doc: &PolicyDoc, st: &Expanded, out: &mut Vec<Hit>) {
        let s = st.statement;
        if !s.allows() {
            return;
        }
        if let Some(a) = s.not_actions.first() {
            let (sev, msg) = weigh(
                s,
                Severity::High,
                format!(
                    "{}: Allow with NotAction grants every other action",
                    doc.context
                ),
            );
            out.push(hit(&INFO, sev, (a.start, a.end), msg));
        }
        if let Some(r) = s.not_resources.first() {
            let (sev, msg) = weigh(
                s,
                Severity::Medium,
                format!(
                    "{}: Allow with NotResource grants every other resource",
                    doc.context
                ),
            );
            out.push(hit(&INFO, sev, (r.start, r.end), msg));
        }
        if let Some(p) = s.not_principals.first() {
            let (sev, msg) = weigh(
                s,
                Severity::High,
                format!(
                    "{}: Allow with NotPrincipal grants every other principal",
                    doc.context
                ),
            );
            out.push(hit(&INFO, sev, (p.value.start, p.value.end), msg));
        }
    }
}

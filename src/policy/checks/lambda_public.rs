//! A Lambda permission for any principal.

use super::{hit, CheckInfo, Hit};
use crate::finding::Severity;
use crate::policy::extract::{FactKind, IacFact};

pub static INFO: CheckInfo = CheckInfo {
    id: "policy.lambda-public",
    title: "Lambda function invocable by any principal",
    severity: Severity::High,
    cwe: 284,
    rationale: "A Lambda permission with principal `*` and no source ARN or account lets anyone invoke the function.",
    remediation: "Set `principal` to the service or account that invokes it, with `source_arn` (or `SourceArn`) naming the exact caller, and `source_account` for services.",
};

pub struct Check;

impl super::Check for Check {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn fact(&self, fact: &IacFact, out: &mut Vec<Hit>) {
        if let FactKind::LambdaPublic { restricted } = fact.kind {
            let severity = if restricted {
                Severity::Low
            } else {
                INFO.severity
            };
            let why = if restricted {
                " (lowered: restricted by a source ARN or account)"
            } else {
                ""
            };
            out.push(hit(
                &INFO,
                severity,
                (fact.start, fact.end),
                format!(
                    "{}: any principal may invoke the function{why}",
                    fact.context
                ),
            ));
        }
    }
}

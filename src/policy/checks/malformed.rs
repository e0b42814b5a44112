//! Policies that are wrong as written: a bad `Effect`, an action IAM does not know, a missing
//! or old `Version`. An unknown action never stops the other checks.

use super::{hit, CheckInfo, Expanded, Hit};
use crate::finding::Severity;
use crate::policy::actions::{db, Expansion};
use crate::policy::model::PolicyDoc;

pub static INFO: CheckInfo = CheckInfo {
    id: "policy.malformed",
    title: "Malformed policy",
    severity: Severity::Low,
    cwe: 1286,
    rationale: "IAM rejects a bad `Effect`; an action that does not exist is a typo that silently grants nothing (or a wildcard that matches nothing); without `Version: 2012-10-17` policy variables such as `${aws:username}` are taken literally.",
    remediation: "Use `Effect: Allow` or `Deny`, check action names against the service authorization reference, and start every policy with `\"Version\": \"2012-10-17\"`.",
};

pub struct Check;

impl super::Check for Check {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn document(&self, doc: &PolicyDoc, out: &mut Vec<Hit>) {
        if doc.version_implied {
            return;
        }
        match &doc.version {
            None => out.push(hit(
                &INFO,
                INFO.severity,
                (doc.start, doc.start + 1),
                format!(
                    "{}: no Version; policy variables will not work",
                    doc.context
                ),
            )),
            Some(v) if v.text.as_deref().is_some_and(|t| t != "2012-10-17") => out.push(hit(
                &INFO,
                INFO.severity,
                (v.start, v.end),
                format!(
                    "{}: Version {} is outdated; use 2012-10-17",
                    doc.context,
                    v.text.as_deref().unwrap_or("?")
                ),
            )),
            _ => {}
        }
    }

    fn statement(&self, doc: &PolicyDoc, st: &Expanded, out: &mut Vec<Hit>) {
        let s = st.statement;
        match &s.effect {
            Some(e) if e.text.is_some() && !e.is("Allow") && !e.is("Deny") => {
                out.push(hit(
                    &INFO,
                    INFO.severity,
                    (e.start, e.end),
                    format!(
                        "{}: Effect {} is neither Allow nor Deny",
                        doc.context,
                        e.text.as_deref().unwrap_or("?")
                    ),
                ));
            }
            None => out.push(hit(
                &INFO,
                INFO.severity,
                (s.start, s.start + 1),
                format!("{}: statement without Effect", doc.context),
            )),
            _ => {}
        }
        let db = db();
        for a in s.actions.iter().chain(&s.not_actions) {
            let Some(text) = a.text.as_deref() else {
                continue;
            };
            let problem = match db.expand(text) {
                Expansion::Actions(_) => continue,
                Expansion::UnknownService => "an unknown service",
                Expansion::NoMatch => "no such action",
                Expansion::Malformed => "not service:action",
            };
            out.push(hit(
                &INFO,
                INFO.severity,
                (a.start, a.end),
                format!("{}: action {text}: {problem}", doc.context),
            ));
        }
    }
}

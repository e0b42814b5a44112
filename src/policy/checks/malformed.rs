//! Policies that are wrong as written: a bad `Effect`, an action IAM does not know, a missing
//! or old `Version`. An unknown action never stops the other checks.

use super::prelude::*;
use crate::policy::actions::{db, Expansion};

pub static CHECK: Check = Check {
    id: "policy.malformed",
    title: "Malformed policy",
    severity: Severity::Low,
    cwe: 1286,
    rationale: "IAM rejects a bad `Effect`; an action that does not exist is a typo that silently grants nothing (or a wildcard that matches nothing); without `Version: 2012-10-17` policy variables such as `${aws:username}` are taken literally.",
    remediation: "Use `Effect: Allow` or `Deny`, check action names against the service authorization reference, and start every policy with `\"Version\": \"2012-10-17\"`.",
    fires: &[
        (
            "typo.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObjcet", "Resource": "arn:aws:s3:::reports/*"}]}"#,
        ),
        (
            "no-version-with-variables.json",
            r#"{"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::home/${aws:username}/*"}]}"#,
        ),
        (
            "old.json",
            r#"{"Version": "2008-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"}]}"#,
        ),
    ],
    quiet: &[
        (
            "no-version-no-variables.json",
            r#"{"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"}]}"#,
        ),
        (
        "fine.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"}]}"#,
        ),
    ],
    scope: Scope::Document(predicate),
    note: None,
};

fn predicate(doc: &PolicyDoc, statements: &[Expanded], out: &mut Vec<Raw>) {
    // How AWS writes its own policies (retired services among them) is not the user's to fix.
    if doc.aws_owned {
        return;
    }
    let low = CHECK.severity;
    if !doc.version_implied {
        match &doc.version {
            // Without a Version only policy variables change meaning; anything else is noise.
            None if doc.uses_variables => out.push(raw(
                low,
                (doc.start, doc.start + 1),
                "no Version; its policy variables (${aws:...}) will be read as plain text".into(),
            )),
            Some(v) if v.text.as_deref().is_some_and(|t| t != "2012-10-17") => out.push(raw(
                low,
                (v.start, v.end),
                format!(
                    "Version {} is outdated; use 2012-10-17",
                    v.text.as_deref().unwrap_or("?")
                ),
            )),
            _ => {}
        }
    }
    let db = db();
    for st in statements {
        let s = st.statement;
        match &s.effect {
            Some(e) if e.text.is_some() && !e.is("Allow") && !e.is("Deny") => out.push(raw(
                low,
                (e.start, e.end),
                format!(
                    "Effect {} is neither Allow nor Deny",
                    e.text.as_deref().unwrap_or("?")
                ),
            )),
            None => out.push(raw(
                low,
                (s.start, s.start + 1),
                "statement without Effect".into(),
            )),
            _ => {}
        }
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
            out.push(raw(
                low,
                (a.start, a.end),
                format!("action {text}: {problem}"),
            ));
        }
    }
}

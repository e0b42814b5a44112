//! A principal's blast radius: its live policy documents (attached, inline, through groups,
//! with its permissions boundary) judged by the same checks and evaluation as IaC, and summed
//! up as one level (`finding::Access`).

use crate::finding::Access;
use crate::node::json;

use super::checks;
use super::eval;
use super::extract::Extracted;
use super::model::{doc_from_node, DocKind};

/// The principal every document is attached to, within one judgement.
const PRINCIPAL: &str = "aws_iam_user.key-owner";

/// Judges `documents` (how each reaches the principal, and its JSON text) as one principal's
/// policies. A permissions boundary caps what they grant: its `Allow` statements' actions
/// become a `Deny` of every other action (scoped or conditional boundary statements are taken
/// as if on every resource, which can only overstate the access, never hide it).
pub fn judge(
    documents: &[(String, String)],
    boundary: Option<(String, String)>,
    today: &str,
) -> Access {
    let mut extracted = Extracted::default();
    let mut policies = Vec::new();
    let mut unread = Vec::new();
    for (via, text) in documents {
        policies.push(via.clone());
        match json(text)
            .ok()
            .and_then(|n| doc_from_node(&n, DocKind::Identity, via.clone()))
        {
            Some(mut doc) => {
                doc.attached_to.push(PRINCIPAL.into());
                extracted.docs.push(doc);
            }
            None => unread.push(via.clone()),
        }
    }
    if let Some((via, text)) = boundary {
        policies.push(via.clone());
        match json(&text).ok().and_then(|n| boundary_as_deny(&n)) {
            Some(deny) => match json(&deny)
                .ok()
                .and_then(|n| doc_from_node(&n, DocKind::Identity, via.clone()))
            {
                Some(mut doc) => {
                    doc.attached_to.push(PRINCIPAL.into());
                    extracted.docs.push(doc);
                }
                None => unread.push(via),
            },
            None => unread.push(via),
        }
    }
    let judged = checks::run(&extracted, today);
    let live = |id: &str| {
        judged
            .hits
            .iter()
            .find(|h| h.check.id == id && h.cleared_by.is_none())
    };
    let sentence = |h: &checks::Hit| -> String {
        let mut m = h.message.clone();
        if let Some((i, _)) = m.char_indices().nth(400) {
            m.truncate(i);
            m.push('…');
        }
        m
    };
    let (level, summary, path) = if let Some(h) = live("policy.full-admin") {
        (
            "admin",
            format!("is an administrator: {}", sentence(h)),
            None,
        )
    } else if let Some(h) = live("policy.privilege-escalation") {
        (
            "can-escalate",
            format!("can make itself administrator: {}", sentence(h)),
            Some(sentence(h)),
        )
    } else if let Some(h) = live("policy.credentials-exposure") {
        (
            "can-read-secrets",
            format!("can read secrets: {}", sentence(h)),
            None,
        )
    } else {
        let reach = eval::principals(&extracted);
        let evaluated = eval::evaluate(&extracted, &reach, today);
        let mut levels = std::collections::BTreeSet::new();
        let mut example = None;
        for (statements, doc) in evaluated.iter().zip(&extracted.docs) {
            for st in statements.iter().filter(|e| e.dead.is_none()) {
                for action in st.granted.iter() {
                    levels.insert(action.level);
                    if matches!(action.level, 'W' | 'P') && example.is_none() {
                        example = Some(format!("{} through {}", action.name, doc.context));
                    }
                }
            }
        }
        if let Some(example) = example {
            (
                "can-write-data",
                format!("can change data: {example}"),
                None,
            )
        } else if !levels.is_empty() {
            ("read-only", "can only read and list".to_string(), None)
        } else {
            ("none", "is granted nothing by any policy".to_string(), None)
        }
    };
    Access {
        level: level.to_string(),
        summary,
        path,
        policies,
        unread,
        quarantine: None,
    }
}

/// A boundary's unconditional reach as a `Deny` of everything else: `{"Statement": [{"Effect":
/// "Deny", "NotAction": [its allowed action patterns], "Resource": "*"}]}`.
fn boundary_as_deny(boundary: &crate::node::Node) -> Option<String> {
    let statements = boundary.get("Statement")?;
    let list = match statements.items().as_slice() {
        [] => vec![statements],
        items => items.to_vec(),
    };
    let mut allowed: Vec<String> = Vec::new();
    for st in list {
        if st.get("Effect").and_then(crate::node::Node::as_str) != Some("Allow") {
            continue;
        }
        let Some(actions) = st.get("Action") else {
            continue;
        };
        match actions.items().as_slice() {
            [] => allowed.extend(actions.as_str().map(str::to_string)),
            items => allowed.extend(items.iter().filter_map(|a| a.as_str().map(str::to_string))),
        }
    }
    if allowed.is_empty() {
        // A boundary that allows nothing leaves nothing.
        return Some(
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}"#
                .to_string(),
        );
    }
    let statement = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "NotAction": allowed, "Resource": "*"}],
    });
    Some(statement.to_string())
}

#[cfg(test)]
mod tests {
    use super::judge;

    fn doc(statements: &str) -> String {
        format!(r#"{{"Version": "2012-10-17", "Statement": [{statements}]}}"#)
    }

    fn level(docs: &[(&str, String)], boundary: Option<String>) -> String {
        let docs: Vec<(String, String)> = docs
            .iter()
            .map(|(v, d)| (v.to_string(), d.clone()))
            .collect();
        judge(
            &docs,
            boundary.map(|b| ("boundary B".to_string(), b)),
            "2026-11-30",
        )
        .level
    }

    #[test]
    fn levels_from_live_documents() {
        let admin = doc(r#"{"Effect": "Allow", "Action": "*", "Resource": "*"}"#);
        let escalate =
            doc(r#"{"Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": "*"}"#);
        let secrets = doc(
            r#"{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}"#,
        );
        let write =
            doc(r#"{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"}"#);
        let read = doc(
            r#"{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "arn:aws:s3:::b/*"}"#,
        );
        assert_eq!(
            level(
                &[("group admins: attached AdministratorAccess", admin.clone())],
                None
            ),
            "admin"
        );
        assert_eq!(level(&[("inline p", escalate)], None), "can-escalate");
        assert_eq!(level(&[("inline p", secrets)], None), "can-read-secrets");
        assert_eq!(level(&[("inline p", write)], None), "can-write-data");
        assert_eq!(level(&[("inline p", read.clone())], None), "read-only");
        assert_eq!(level(&[], None), "none");
        // A boundary that allows only reads caps an administrator to reads.
        assert_eq!(
            level(&[("attached AdministratorAccess", admin)], Some(read)),
            "read-only"
        );
    }

    #[test]
    fn an_unreadable_document_is_said() {
        let access = judge(
            &[("inline broken".into(), "{not json".into())],
            None,
            "2026-11-30",
        );
        assert_eq!(access.level, "none");
        assert_eq!(access.unread, vec!["inline broken".to_string()]);
    }
}

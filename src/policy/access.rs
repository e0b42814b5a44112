//! A principal's blast radius: its live policy documents (attached, inline, through groups,
//! with its permissions boundary) judged by the same checks and evaluation as IaC, and summed
//! up as one level (`finding::Access`).

use crate::finding::{Access, AccessLevel};
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
    let (extracted, policies, unread) = extract(documents, boundary);
    judge_extracted(extracted, policies, unread, today)
}

/// The documents as one principal's, the boundary as a `Deny` of what it does not allow.
fn extract(
    documents: &[(String, String)],
    boundary: Option<(String, String)>,
) -> (Extracted, Vec<String>, Vec<String>) {
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
    (extracted, policies, unread)
}

fn judge_extracted(
    extracted: Extracted,
    policies: Vec<String>,
    unread: Vec<String>,
    today: &str,
) -> Access {
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
            AccessLevel::Admin,
            format!("is an administrator: {}", sentence(h)),
            None,
        )
    } else if let Some(h) = live("policy.privilege-escalation") {
        (
            AccessLevel::CanEscalate,
            format!("can make itself administrator: {}", sentence(h)),
            Some(sentence(h)),
        )
    } else if let Some(h) = live("policy.credentials-exposure") {
        (
            AccessLevel::CanReadSecrets,
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
                AccessLevel::CanWriteData,
                format!("can change data: {example}"),
                None,
            )
        } else if !levels.is_empty() {
            (
                AccessLevel::ReadOnly,
                "can only read and list".to_string(),
                None,
            )
        } else {
            (
                AccessLevel::None,
                "is granted nothing by any policy".to_string(),
                None,
            )
        }
    };
    Access {
        level,
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

    fn level(docs: &[(&str, String)], boundary: Option<String>) -> &'static str {
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
        .as_str()
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
        assert_eq!(access.level, crate::finding::AccessLevel::None);
        assert_eq!(access.unread, vec!["inline broken".to_string()]);
    }
}

/// What one principal's documents allow, statement by statement as IAM evaluates them (denials
/// subtracted, dead conditions left out, the boundary applied): to ask whether it may call an
/// action on one resource's ARN, as the steps from one principal to another need.
pub struct Reach {
    grants: Vec<Grant>,
}

struct Grant {
    actions: super::actions::ActionSet,
    resources: Vec<String>,
    not_resources: Vec<String>,
    conditional: bool,
}

impl Reach {
    pub fn of(
        documents: &[(String, String)],
        boundary: Option<(String, String)>,
        today: &str,
    ) -> Reach {
        let (extracted, _, _) = extract(documents, boundary);
        let reach = eval::principals(&extracted);
        let evaluated = eval::evaluate(&extracted, &reach, today);
        let grants = evaluated
            .iter()
            .flatten()
            .filter(|e| e.dead.is_none() && e.statement.allows())
            .map(|e| Grant {
                actions: e.granted.clone(),
                resources: e
                    .statement
                    .resources
                    .iter()
                    .filter_map(|r| r.shape.clone())
                    .collect(),
                not_resources: e
                    .statement
                    .not_resources
                    .iter()
                    .filter_map(|r| r.shape.clone())
                    .collect(),
                conditional: !e.statement.conditions.is_empty(),
            })
            .collect();
        Reach { grants }
    }

    /// Whether `action` is allowed on `arn`: `Some(conditional)`, `conditional` when only a
    /// statement with conditions allows it.
    pub fn allows(&self, action: &str, arn: &str) -> Option<bool> {
        let index = super::actions::db().index(action)?;
        let mut found = None;
        for g in self.grants.iter().filter(|g| g.actions.contains(index)) {
            let covers = if g.not_resources.is_empty() {
                g.resources.iter().any(|p| glob(p, arn))
            } else {
                !g.not_resources.iter().any(|p| glob(p, arn))
            };
            if covers {
                if !g.conditional {
                    return Some(false);
                }
                found = Some(true);
            }
        }
        found
    }

    /// Whether `action` is allowed on any resource at all.
    pub fn allows_somewhere(&self, action: &str) -> bool {
        super::actions::db()
            .index(action)
            .is_some_and(|i| self.grants.iter().any(|g| g.actions.contains(i)))
    }
}

/// IAM's ARN matching: `*` any run of characters, `?` any one, case-sensitive.
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod reach_tests {
    use super::*;

    #[test]
    fn arns_match_as_iam_matches_them() {
        assert!(glob("*", "arn:aws:iam::1:role/ops"));
        assert!(glob("arn:aws:iam::1:role/o?s", "arn:aws:iam::1:role/ops"));
        assert!(glob("arn:aws:iam::*:role/*", "arn:aws:iam::1:role/ops"));
        assert!(!glob(
            "arn:aws:iam::1:role/app-*",
            "arn:aws:iam::1:role/ops"
        ));
        assert!(!glob("arn:aws:iam::1:role/OPS", "arn:aws:iam::1:role/ops"));
    }

    #[test]
    fn reach_answers_for_one_resource() {
        let doc = |s: &str| {
            (
                "inline p".to_string(),
                format!(r#"{{"Version": "2012-10-17", "Statement": [{s}]}}"#),
            )
        };
        let reach = Reach::of(
            &[doc(
                r#"{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::1:role/ops"}"#,
            )],
            None,
            "2026-01-01",
        );
        assert_eq!(
            reach.allows("sts:AssumeRole", "arn:aws:iam::1:role/ops"),
            Some(false)
        );
        assert_eq!(
            reach.allows("sts:AssumeRole", "arn:aws:iam::1:role/other"),
            None
        );
        assert_eq!(
            reach.allows("iam:PassRole", "arn:aws:iam::1:role/ops"),
            None
        );
        let denied = Reach::of(
            &[doc(
                r#"{"Effect": "Allow", "Action": "*", "Resource": "*"}, {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*"}"#,
            )],
            None,
            "2026-01-01",
        );
        assert_eq!(
            denied.allows("sts:AssumeRole", "arn:aws:iam::1:role/ops"),
            None
        );
        assert_eq!(
            denied.allows("iam:PassRole", "arn:aws:iam::1:role/ops"),
            Some(false)
        );
    }
}

//! Live policies for `audit`: `GetAccountAuthorizationDetails` (paginated) gives every user,
//! group, role and customer-managed policy of the account with their documents. They are laid
//! out as one text, a section per resource (its trust policy, inline policies and managed
//! attachments), extracted with their attachments and group memberships, and judged by the
//! IaC checks (`policy::judge_extracted`), so that an escalation across a user's group and a
//! customer-managed policy is found as in Terraform. Each finding is then placed in its
//! resource's section: the ARN as logical location, `aws-iam/ACCOUNT/TYPE/NAME` as path.

use std::borrow::Cow;
use std::collections::HashMap;

use super::blast::decode;
use super::{aws_error, paginate, IamError, Page};
use crate::context::BlobContext;
use crate::finding::{Finding, Origin};
use crate::node::{parse_json_at, Node};
use crate::policy::extract::{is_admin_managed_policy, Extracted, FactKind, IacFact};
use crate::policy::model::{doc_from_node, DocKind};
use crate::source::Blob;

/// Every policy finding of the account's users, groups, roles and customer-managed policies.
/// Conditions are dated at `today` (`YYYY-MM-DD`, the audit's `--as-of`).
pub async fn findings(
    iam: &aws_sdk_iam::Client,
    account: &str,
    today: &str,
) -> Result<Vec<Finding>, IamError> {
    let pages = paginate("iam:GetAccountAuthorizationDetails", |marker| async move {
        use aws_sdk_iam::types::EntityType;
        // AWS-managed policies are not the account's: only their attachments matter here.
        let out = iam
            .get_account_authorization_details()
            .filter(EntityType::User)
            .filter(EntityType::Group)
            .filter(EntityType::Role)
            .filter(EntityType::LocalManagedPolicy)
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| aws_error("iam:GetAccountAuthorizationDetails", e))?;
        let truncated = out.is_truncated();
        let next = out.marker().map(str::to_string);
        Ok(Page::of(vec![out], truncated, next.as_deref()))
    })
    .await?;
    let mut layout = Layout {
        account: account.to_string(),
        today: today.to_string(),
        ..Layout::default()
    };
    let group_arns: HashMap<String, String> = pages
        .iter()
        .flat_map(|p| p.group_detail_list())
        .filter_map(|g| Some((g.group_name()?.to_string(), g.arn()?.to_string())))
        .collect();
    for page in &pages {
        for policy in page.policies() {
            let Some(arn) = policy.arn() else { continue };
            // moto leaves out `PolicyName`; the ARN ends with it.
            let name = policy
                .policy_name()
                .unwrap_or_else(|| arn.rsplit('/').next().unwrap_or(arn));
            if arn.contains(":aws:policy/") {
                continue;
            }
            let mut section = layout.section(account, arn, "policy", name);
            let default = policy
                .policy_version_list()
                .iter()
                .find(|v| v.is_default_version());
            if let Some(doc) = default.and_then(|v| v.document()) {
                section.document(DocKind::Identity, "managed policy", doc, Some(arn), &[]);
            }
            section.close();
        }
        for role in page.role_detail_list() {
            let (Some(arn), Some(name)) = (role.arn(), role.role_name()) else {
                continue;
            };
            let mut section = layout.section(account, arn, "role", name);
            if let Some(doc) = role.assume_role_policy_document() {
                section.document(DocKind::Trust, "trust policy", doc, None, &[arn]);
            }
            section.policies(
                role.role_policy_list(),
                role.attached_managed_policies(),
                arn,
            );
            section.close();
        }
        for group in page.group_detail_list() {
            let (Some(arn), Some(name)) = (group.arn(), group.group_name()) else {
                continue;
            };
            let mut section = layout.section(account, arn, "group", name);
            section.policies(
                group.group_policy_list(),
                group.attached_managed_policies(),
                arn,
            );
            section.close();
        }
        for user in page.user_detail_list() {
            let (Some(arn), Some(name)) = (user.arn(), user.user_name()) else {
                continue;
            };
            let mut section = layout.section(account, arn, "user", name);
            section.policies(
                user.user_policy_list(),
                user.attached_managed_policies(),
                arn,
            );
            for group in user.group_list() {
                if let Some(group_arn) = group_arns.get(group) {
                    section
                        .layout
                        .extracted
                        .memberships
                        .push((arn.to_string(), group_arn.clone()));
                }
            }
            section.close();
        }
    }
    Ok(layout.judge())
}

/// The account's documents as one text, with where each resource's section is.
#[derive(Default)]
struct Layout {
    account: String,
    text: String,
    extracted: Extracted,
    /// (start, end, first line, origin) of each resource's section.
    sections: Vec<(usize, usize, usize, Origin)>,
    /// The day conditions are judged at (`YYYY-MM-DD`).
    today: String,
}

struct Section<'a> {
    layout: &'a mut Layout,
    start: usize,
    arn: String,
    origin: Origin,
}

impl Layout {
    fn section(&mut self, account: &str, arn: &str, kind: &str, name: &str) -> Section<'_> {
        let start = self.text.len();
        self.text.push_str(&format!("# {arn}\n"));
        Section {
            layout: self,
            start,
            arn: arn.to_string(),
            origin: Origin::IamResource {
                account: account.to_string(),
                arn: arn.to_string(),
                path: format!("aws-iam/{account}/{kind}/{name}"),
            },
        }
    }

    fn judge(self) -> Vec<Finding> {
        let blob = Blob {
            origin: Origin::IamResource {
                account: self.account.clone(),
                arn: "GetAccountAuthorizationDetails".into(),
                path: format!("aws-iam/{}", self.account),
            },
            bytes: Cow::Borrowed(self.text.as_bytes()),
        };
        let cx = BlobContext::new(&blob);
        let mut found = crate::policy::judge_extracted(&cx, &self.extracted, &self.today);
        for f in &mut found {
            let Some((_, _, first_line, origin)) = self
                .sections
                .iter()
                .find(|(s, e, _, _)| (*s..*e).contains(&f.location.start))
            else {
                continue;
            };
            let rebase = |line: usize| line.saturating_sub(*first_line) + 1;
            f.location.line = rebase(f.location.line);
            f.location.end_line = rebase(f.location.end_line);
            for r in &mut f.related {
                r.location.line = rebase(r.location.line);
                r.location.end_line = rebase(r.location.end_line);
            }
            f.relocate(origin.clone());
        }
        found
    }
}

impl Section<'_> {
    /// One policy document of the resource, pretty-printed into its section.
    fn document(
        &mut self,
        kind: DocKind,
        what: &str,
        encoded: &str,
        id: Option<&str>,
        attached_to: &[&str],
    ) {
        let decoded = decode(encoded);
        let pretty = serde_json::from_str::<serde_json::Value>(&decoded)
            .ok()
            .and_then(|v| serde_json::to_string_pretty(&v).ok())
            .unwrap_or(decoded);
        let text = &mut self.layout.text;
        let at = text.len();
        text.push_str(&pretty);
        text.push('\n');
        let context = format!("{} ({what})", self.arn);
        let Some(node): Option<Node> = parse_json_at(&pretty, at) else {
            // Said, not dropped: a `policy.unanalysed` finding at the document.
            self.layout
                .extracted
                .broken
                .push((at, format!("{context} is not a JSON policy document")));
            return;
        };
        if let Some(mut doc) = doc_from_node(&node, kind, context) {
            doc.id = id.map(str::to_string);
            doc.attached_to
                .extend(attached_to.iter().map(|a| a.to_string()));
            self.layout.extracted.docs.push(doc);
        }
    }

    /// A managed policy attached to the resource: an attachment for the evaluation, and for
    /// AWS's administrator policies a fact of its own.
    /// A principal's inline policies and the managed policies attached to it.
    fn policies(
        &mut self,
        inline: &[aws_sdk_iam::types::PolicyDetail],
        attached: &[aws_sdk_iam::types::AttachedPolicy],
        principal: &str,
    ) {
        for p in inline {
            if let Some(doc) = p.policy_document() {
                let what = format!("inline {}", p.policy_name().unwrap_or("?"));
                self.document(DocKind::Identity, &what, doc, None, &[principal]);
            }
        }
        for a in attached {
            self.attached(a.policy_arn(), principal);
        }
    }

    fn attached(&mut self, policy_arn: Option<&str>, principal: &str) {
        let Some(policy_arn) = policy_arn else { return };
        let text = &mut self.layout.text;
        text.push_str("attached ");
        let start = text.len();
        text.push_str(policy_arn);
        let end = text.len();
        text.push('\n');
        let extracted = &mut self.layout.extracted;
        extracted
            .attachments
            .push((policy_arn.to_string(), principal.to_string()));
        if is_admin_managed_policy(policy_arn) {
            extracted.facts.push(IacFact {
                kind: FactKind::ManagedPolicy(policy_arn.to_string()),
                context: self.arn.clone(),
                start,
                end,
            });
        }
    }

    fn close(self) {
        let end = self.layout.text.len();
        let first_line = self.layout.text[..self.start].matches('\n').count() + 1;
        self.layout
            .sections
            .push((self.start, end, first_line, self.origin));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_that_is_not_json_is_said_at_its_resource() {
        let mut layout = Layout {
            account: "111122223333".into(),
            ..Layout::default()
        };
        let arn = "arn:aws:iam::111122223333:role/r";
        let mut section = layout.section("111122223333", arn, "role", "r");
        section.document(DocKind::Trust, "trust policy", "%7Bnot json", None, &[arn]);
        section.close();
        // The twin: a readable document beside it gives its own finding, not this one.
        let mut open = layout.section(
            "111122223333",
            "arn:aws:iam::111122223333:role/o",
            "role",
            "o",
        );
        open.document(
            DocKind::Trust,
            "trust policy",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}"#,
            None,
            &["arn:aws:iam::111122223333:role/o"],
        );
        open.close();
        let found: Vec<(String, String)> = layout
            .judge()
            .into_iter()
            .map(|f| (f.origin.rel().to_string(), f.rule_id))
            .collect();
        assert_eq!(
            found,
            vec![
                (
                    "aws-iam/111122223333/role/r".to_string(),
                    "policy.unanalysed".to_string()
                ),
                (
                    "aws-iam/111122223333/role/o".to_string(),
                    "policy.trust-any-principal".to_string()
                ),
            ]
        );
    }
}

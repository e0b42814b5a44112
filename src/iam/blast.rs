//! A user's effective policies from live IAM, for its blast radius: attached managed policies
//! (each one's default version), inline policies, the same for every group the user is in,
//! and the permissions boundary. Documents come back URL-encoded (as IAM's API returns them)
//! and are judged by `policy::access`. AWS-managed policies are fetched like any other.

use std::collections::HashMap;
use std::sync::Mutex;

use super::{aws_error, paginate, IamError, Page};
use crate::finding::Access;

/// Managed policy documents already fetched in this run, by ARN (many users share a few).
#[derive(Default)]
pub struct PolicyCache {
    docs: Mutex<HashMap<String, Result<String, String>>>,
}

/// The user's blast radius. A policy that cannot be fetched is listed in `unread` (its
/// access is a lower bound); only a failure to list the user's policies at all is an error.
pub async fn access(
    iam: &aws_sdk_iam::Client,
    user: &str,
    cache: &PolicyCache,
    today: &str,
) -> Result<Access, IamError> {
    let mut docs: Vec<(String, String)> = Vec::new();
    let mut unread: Vec<String> = Vec::new();
    let mut take = |via: String, got: Result<String, String>| match got {
        Ok(doc) => docs.push((via, doc)),
        Err(e) => unread.push(format!("{via} ({e})")),
    };
    let mut quarantine = None;
    for (name, arn) in attached(iam, Target::User(user)).await? {
        // AWS's quarantine denies what an exposed key could do: judged apart, never as the
        // key's reach ("grants nothing" would hide what lifting it gives back).
        if arn == format!("arn:aws:iam::aws:policy/{name}")
            && crate::finding::QUARANTINE_POLICIES.contains(&name.as_str())
        {
            quarantine = Some(name);
            continue;
        }
        take(format!("attached {name}"), managed(iam, &arn, cache).await);
    }
    for name in inline_names(iam, Target::User(user)).await? {
        let got = iam
            .get_user_policy()
            .user_name(user)
            .policy_name(&name)
            .send()
            .await
            .map_err(|e| aws_error("iam:GetUserPolicy", e).0)
            .map(|o| decode(o.policy_document()));
        take(format!("inline {name}"), got);
    }
    let groups = paginate("iam:ListGroupsForUser", |marker| async move {
        let out = iam
            .list_groups_for_user()
            .user_name(user)
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| aws_error("iam:ListGroupsForUser", e))?;
        let names = out
            .groups()
            .iter()
            .map(|g| g.group_name().to_string())
            .collect();
        Ok(Page::of(names, out.is_truncated(), out.marker()))
    })
    .await?;
    for group in &groups {
        for (name, arn) in attached(iam, Target::Group(group)).await? {
            take(
                format!("group {group}: attached {name}"),
                managed(iam, &arn, cache).await,
            );
        }
        for name in inline_names(iam, Target::Group(group)).await? {
            let got = iam
                .get_group_policy()
                .group_name(group)
                .policy_name(&name)
                .send()
                .await
                .map_err(|e| aws_error("iam:GetGroupPolicy", e).0)
                .map(|o| decode(o.policy_document()));
            take(format!("group {group}: inline {name}"), got);
        }
    }
    let boundary_arn = iam
        .get_user()
        .user_name(user)
        .send()
        .await
        .map_err(|e| aws_error("iam:GetUser", e))?
        .user()
        .and_then(|u| u.permissions_boundary())
        .and_then(|b| b.permissions_boundary_arn())
        .map(str::to_string);
    let mut boundary = None;
    if let Some(arn) = boundary_arn {
        let name = arn.rsplit('/').next().unwrap_or(&arn).to_string();
        match managed(iam, &arn, cache).await {
            Ok(doc) => boundary = Some((format!("permissions boundary {name}"), doc)),
            Err(e) => unread.push(format!("permissions boundary {name} ({e})")),
        }
    }
    let mut judged = crate::policy::access::judge(&docs, boundary, today);
    judged.unread.extend(unread);
    if let Some(name) = quarantine {
        judged.policies.push(format!(
            "attached {name} (AWS's quarantine, not counted in the level)"
        ));
        judged.summary = format!(
            "is quarantined by AWS ({name} attached to user {user}: AWS detected a key of this user as exposed); without the quarantine it {}",
            judged.summary
        );
        judged.quarantine = Some(name);
    }
    Ok(judged)
}

#[derive(Clone, Copy)]
enum Target<'a> {
    User(&'a str),
    Group(&'a str),
}

/// `(name, arn)` of every managed policy attached to the user or group.
async fn attached(
    iam: &aws_sdk_iam::Client,
    target: Target<'_>,
) -> Result<Vec<(String, String)>, IamError> {
    paginate("iam:ListAttached*Policies", |marker| async move {
        let (list, truncated, next) = match target {
            Target::User(user) => {
                let out = iam
                    .list_attached_user_policies()
                    .user_name(user)
                    .set_marker(marker)
                    .send()
                    .await
                    .map_err(|e| aws_error("iam:ListAttachedUserPolicies", e))?;
                (
                    out.attached_policies().to_vec(),
                    out.is_truncated(),
                    out.marker().map(str::to_string),
                )
            }
            Target::Group(group) => {
                let out = iam
                    .list_attached_group_policies()
                    .group_name(group)
                    .set_marker(marker)
                    .send()
                    .await
                    .map_err(|e| aws_error("iam:ListAttachedGroupPolicies", e))?;
                (
                    out.attached_policies().to_vec(),
                    out.is_truncated(),
                    out.marker().map(str::to_string),
                )
            }
        };
        let items = list
            .iter()
            .filter_map(|p| Some((p.policy_name()?.to_string(), p.policy_arn()?.to_string())))
            .collect();
        Ok(Page::of(items, truncated, next.as_deref()))
    })
    .await
}

/// Names of the inline policies of the user or group.
async fn inline_names(
    iam: &aws_sdk_iam::Client,
    target: Target<'_>,
) -> Result<Vec<String>, IamError> {
    paginate("iam:List*Policies", |marker| async move {
        let (names, truncated, next) = match target {
            Target::User(user) => {
                let out = iam
                    .list_user_policies()
                    .user_name(user)
                    .set_marker(marker)
                    .send()
                    .await
                    .map_err(|e| aws_error("iam:ListUserPolicies", e))?;
                (
                    out.policy_names().to_vec(),
                    out.is_truncated(),
                    out.marker().map(str::to_string),
                )
            }
            Target::Group(group) => {
                let out = iam
                    .list_group_policies()
                    .group_name(group)
                    .set_marker(marker)
                    .send()
                    .await
                    .map_err(|e| aws_error("iam:ListGroupPolicies", e))?;
                (
                    out.policy_names().to_vec(),
                    out.is_truncated(),
                    out.marker().map(str::to_string),
                )
            }
        };
        Ok(Page::of(names, truncated, next.as_deref()))
    })
    .await
}

/// A managed policy's default version document, fetched once per run.
async fn managed(
    iam: &aws_sdk_iam::Client,
    arn: &str,
    cache: &PolicyCache,
) -> Result<String, String> {
    if let Some(hit) = cache.docs.lock().ok().and_then(|c| c.get(arn).cloned()) {
        return hit;
    }
    let got = async {
        let policy = iam
            .get_policy()
            .policy_arn(arn)
            .send()
            .await
            .map_err(|e| aws_error("iam:GetPolicy", e).0)?;
        let version = policy
            .policy()
            .and_then(|p| p.default_version_id())
            .ok_or_else(|| "iam:GetPolicy: no default version".to_string())?
            .to_string();
        let out = iam
            .get_policy_version()
            .policy_arn(arn)
            .version_id(&version)
            .send()
            .await
            .map_err(|e| aws_error("iam:GetPolicyVersion", e).0)?;
        out.policy_version()
            .and_then(|v| v.document())
            .map(decode)
            .ok_or_else(|| "iam:GetPolicyVersion: no document".to_string())
    }
    .await;
    if let Ok(mut c) = cache.docs.lock() {
        c.insert(arn.to_string(), got.clone());
    }
    got
}

/// IAM returns policy documents URL-encoded (RFC 3986); a document that is already JSON is
/// left as it is.
pub fn decode(document: &str) -> String {
    if document.trim_start().starts_with('{') {
        return document.to_string();
    }
    String::from_utf8_lossy(&crate::redact::percent_decode(document.as_bytes())).into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn documents_are_url_decoded() {
        assert_eq!(
            super::decode("%7B%22Effect%22%3A%20%22Allow%22%7D"),
            r#"{"Effect": "Allow"}"#
        );
        assert_eq!(super::decode(r#"{"a": "%41"}"#), r#"{"a": "%41"}"#);
        assert_eq!(super::decode("%7B%zz%"), "{%zz%");
    }
}

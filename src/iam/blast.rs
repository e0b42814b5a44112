//! A user's effective policies from live IAM, for its blast radius: attached managed policies
//! (each one's default version), inline policies, the same for every group the user is in,
//! and the permissions boundary. Documents come back URL-encoded (as IAM's API returns them)
//! and are judged by `policy::access`. AWS-managed policies are fetched like any other.

use std::collections::HashMap;
use std::sync::Mutex;

use super::{aws_error, paginate, IamError, Page};
use crate::finding::{Access, AccessLevel};

/// Managed policy documents already fetched in this run, by ARN (many users share a few),
/// and the account's roles and users, listed once.
#[derive(Default)]
pub struct PolicyCache {
    docs: Mutex<HashMap<String, Result<String, String>>>,
    roles: Mutex<Option<Vec<RoleInfo>>>,
    users: Mutex<Option<Vec<(String, String)>>>,
}

/// A principal's policy documents as read: `(how it reaches the principal, JSON)`, the
/// permissions boundary, what could not be read, and AWS's quarantine policy if attached.
#[derive(Default)]
struct Documents {
    docs: Vec<(String, String)>,
    boundary: Option<(String, String)>,
    unread: Vec<String>,
    quarantine: Option<String>,
}

/// The user's blast radius: what its own policies allow, and what it can become (roles it may
/// assume or pass to code it runs, users whose credentials it may create), to a fixed depth.
/// A policy that cannot be fetched is listed in `unread` (its access is a lower bound); only a
/// failure to list the user's policies at all is an error.
pub async fn access(
    iam: &aws_sdk_iam::Client,
    user: &str,
    cache: &PolicyCache,
    today: &str,
) -> Result<Access, IamError> {
    let got = documents(iam, Target::User(user), cache).await?;
    let mut judged = crate::policy::access::judge(&got.docs, got.boundary.clone(), today);
    judged.unread.extend(got.unread.iter().cloned());
    if !judged.level.takes_over() {
        match become_others(iam, user, &got, judged.level, cache, today).await {
            Ok(Some(step)) => step.apply(&mut judged),
            Ok(None) => {}
            Err(e) => judged
                .unread
                .push(format!("what user {user} can become ({e})")),
        }
    }
    if let Some(name) = got.quarantine {
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

/// Every document that reaches a user (its own, its groups') or a role.
async fn documents(
    iam: &aws_sdk_iam::Client,
    target: Target<'_>,
    cache: &PolicyCache,
) -> Result<Documents, IamError> {
    let mut got = Documents::default();
    let take = |got: &mut Documents, via: String, doc: Result<String, String>| match doc {
        Ok(doc) => got.docs.push((via, doc)),
        Err(e) => got.unread.push(format!("{via} ({e})")),
    };
    for (name, arn) in attached(iam, target).await? {
        // AWS's quarantine denies what an exposed key could do: judged apart, never as the
        // key's reach ("grants nothing" would hide what lifting it gives back).
        if matches!(target, Target::User(_))
            && arn == format!("arn:aws:iam::aws:policy/{name}")
            && crate::finding::QUARANTINE_POLICIES.contains(&name.as_str())
        {
            got.quarantine = Some(name);
            continue;
        }
        let doc = managed(iam, &arn, cache).await;
        take(&mut got, format!("attached {name}"), doc);
    }
    for name in inline_names(iam, target).await? {
        let doc = inline(iam, target, &name).await;
        take(&mut got, format!("inline {name}"), doc);
    }
    let boundary_arn = match target {
        Target::User(user) => {
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
                    let doc = managed(iam, &arn, cache).await;
                    take(&mut got, format!("group {group}: attached {name}"), doc);
                }
                for name in inline_names(iam, Target::Group(group)).await? {
                    let doc = inline(iam, Target::Group(group), &name).await;
                    take(&mut got, format!("group {group}: inline {name}"), doc);
                }
            }
            iam.get_user()
                .user_name(user)
                .send()
                .await
                .map_err(|e| aws_error("iam:GetUser", e))?
                .user()
                .and_then(|u| u.permissions_boundary())
                .and_then(|b| b.permissions_boundary_arn())
                .map(str::to_string)
        }
        Target::Role(role) => iam
            .get_role()
            .role_name(role)
            .send()
            .await
            .map_err(|e| aws_error("iam:GetRole", e))?
            .role()
            .and_then(|r| r.permissions_boundary())
            .and_then(|b| b.permissions_boundary_arn())
            .map(str::to_string),
        Target::Group(_) => None,
    };
    if let Some(arn) = boundary_arn {
        let name = arn.rsplit('/').next().unwrap_or(&arn).to_string();
        match managed(iam, &arn, cache).await {
            Ok(doc) => got.boundary = Some((format!("permissions boundary {name}"), doc)),
            Err(e) => got
                .unread
                .push(format!("permissions boundary {name} ({e})")),
        }
    }
    Ok(got)
}

/// One inline policy's document.
async fn inline(
    iam: &aws_sdk_iam::Client,
    target: Target<'_>,
    name: &str,
) -> Result<String, String> {
    match target {
        Target::User(user) => iam
            .get_user_policy()
            .user_name(user)
            .policy_name(name)
            .send()
            .await
            .map_err(|e| aws_error("iam:GetUserPolicy", e).0)
            .map(|o| decode(o.policy_document())),
        Target::Group(group) => iam
            .get_group_policy()
            .group_name(group)
            .policy_name(name)
            .send()
            .await
            .map_err(|e| aws_error("iam:GetGroupPolicy", e).0)
            .map(|o| decode(o.policy_document())),
        Target::Role(role) => iam
            .get_role_policy()
            .role_name(role)
            .policy_name(name)
            .send()
            .await
            .map_err(|e| aws_error("iam:GetRolePolicy", e).0)
            .map(|o| decode(o.policy_document())),
    }
}

#[derive(Clone, Copy)]
pub(super) enum Target<'a> {
    User(&'a str),
    Group(&'a str),
    Role(&'a str),
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
            Target::Role(role) => {
                let out = iam
                    .list_attached_role_policies()
                    .role_name(role)
                    .set_marker(marker)
                    .send()
                    .await
                    .map_err(|e| aws_error("iam:ListAttachedRolePolicies", e))?;
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
            Target::Role(role) => {
                let out = iam
                    .list_role_policies()
                    .role_name(role)
                    .set_marker(marker)
                    .send()
                    .await
                    .map_err(|e| aws_error("iam:ListRolePolicies", e))?;
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

/// How many steps from the key's user to another principal are followed.
const DEPTH: usize = crate::limits::DEFAULT.blast_depth;
/// How many principals one key's search may judge (each costs a few calls).
const BUDGET: usize = crate::limits::DEFAULT.blast_principals;

/// A role of the account: name, ARN, trust policy (JSON).
#[derive(Clone)]
struct RoleInfo {
    name: String,
    arn: String,
    trust: String,
}

/// Services that run code with a role passed to them, and the calls that make them do it
/// (each `a|b` either): passing the role and making one is becoming the role.
const RUNS_CODE: &[(&str, &[&str])] = &[
    ("ec2.amazonaws.com", &["ec2:RunInstances"]),
    (
        "lambda.amazonaws.com",
        &["lambda:CreateFunction", "lambda:InvokeFunction|lambda:CreateEventSourceMapping"],
    ),
    ("cloudformation.amazonaws.com", &["cloudformation:CreateStack"]),
    ("glue.amazonaws.com", &["glue:CreateDevEndpoint|glue:CreateJob"]),
    ("codebuild.amazonaws.com", &["codebuild:CreateProject", "codebuild:StartBuild"]),
    ("ecs-tasks.amazonaws.com", &["ecs:RunTask|ecs:StartTask|ecs:CreateService"]),
    (
        "sagemaker.amazonaws.com",
        &["sagemaker:CreateNotebookInstance|sagemaker:CreateTrainingJob|sagemaker:CreateProcessingJob"],
    ),
    ("states.amazonaws.com", &["states:CreateStateMachine"]),
    ("datapipeline.amazonaws.com", &["datapipeline:CreatePipeline"]),
    ("tasks.apprunner.amazonaws.com", &["apprunner:CreateService"]),
];

/// What the key's user can become, when that is more than it can do itself.
pub(super) struct Become {
    /// `user/frank -> sts:AssumeRole -> role/ops`.
    path: String,
    /// What the last principal on the path is granted.
    reached: Access,
    target: String,
}

impl Become {
    fn apply(self, access: &mut Access) {
        access.level = self.reached.level.min(AccessLevel::CanEscalate);
        access.summary = format!(
            "can become {} ({}), which {}",
            self.target, self.path, self.reached.summary
        );
        access.path = Some(self.path);
        access.policies.extend(
            self.reached
                .policies
                .iter()
                .map(|p| format!("{}: {p}", self.target)),
        );
    }
}

async fn roles(iam: &aws_sdk_iam::Client, cache: &PolicyCache) -> Result<Vec<RoleInfo>, IamError> {
    if let Some(hit) = cache.roles.lock().ok().and_then(|c| c.clone()) {
        return Ok(hit);
    }
    let listed = paginate("iam:ListRoles", |marker| async move {
        let out = iam
            .list_roles()
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| aws_error("iam:ListRoles", e))?;
        let roles = out
            .roles()
            .iter()
            .map(|r| RoleInfo {
                name: r.role_name().to_string(),
                arn: r.arn().to_string(),
                trust: r
                    .assume_role_policy_document()
                    .map(decode)
                    .unwrap_or_default(),
            })
            .collect();
        Ok(Page::of(roles, out.is_truncated(), out.marker()))
    })
    .await?;
    if let Ok(mut c) = cache.roles.lock() {
        *c = Some(listed.clone());
    }
    Ok(listed)
}

async fn users(
    iam: &aws_sdk_iam::Client,
    cache: &PolicyCache,
) -> Result<Vec<(String, String)>, IamError> {
    if let Some(hit) = cache.users.lock().ok().and_then(|c| c.clone()) {
        return Ok(hit);
    }
    let listed = paginate("iam:ListUsers", |marker| async move {
        let out = iam
            .list_users()
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| aws_error("iam:ListUsers", e))?;
        let users = out
            .users()
            .iter()
            .map(|u| (u.user_name().to_string(), u.arn().to_string()))
            .collect();
        Ok(Page::of(users, out.is_truncated(), out.marker()))
    })
    .await?;
    if let Ok(mut c) = cache.users.lock() {
        *c = Some(listed.clone());
    }
    Ok(listed)
}

/// How `from` (with `reach`) becomes the role, if it can: assuming it (the trust policy names
/// it, or trusts the account and its own policies allow `sts:AssumeRole` on the role), passing
/// it to a service the role trusts together with a call that runs code there, or rewriting
/// the trust policy.
fn step_to_role(
    from: &str,
    reach: &crate::policy::access::Reach,
    role: &RoleInfo,
    account: &str,
) -> Option<String> {
    use crate::policy::access::glob;
    let doc = crate::node::json(&role.trust).ok().and_then(|n| {
        crate::policy::model::doc_from_node(
            &n,
            crate::policy::model::DocKind::Trust,
            role.arn.clone(),
        )
    })?;
    let mut services = Vec::new();
    for st in doc.statements.iter().filter(|s| s.allows()) {
        let assumes = st.actions.iter().any(|a| {
            a.text
                .as_deref()
                .is_some_and(|t| glob(&t.to_ascii_lowercase(), "sts:assumerole"))
        });
        if !assumes {
            continue;
        }
        let conditions = if st.conditions.is_empty() {
            ""
        } else {
            ", if its conditions hold"
        };
        for p in &st.principals {
            let Some(value) = p.value.text.as_deref() else {
                continue;
            };
            match p.kind.as_str() {
                "AWS" | "*" if value == from => {
                    return Some(format!("sts:AssumeRole, trusted by name{conditions}"));
                }
                "AWS" | "*"
                    if (value == "*"
                        || value == account
                        || value == format!("arn:aws:iam::{account}:root"))
                        && reach.allows("sts:AssumeRole", &role.arn).is_some() =>
                {
                    return Some(format!("sts:AssumeRole{conditions}"));
                }
                "Service" => services.push(value.to_string()),
                _ => {}
            }
        }
    }
    if reach.allows("iam:PassRole", &role.arn).is_some() {
        for service in &services {
            let Some((_, calls)) = RUNS_CODE.iter().find(|(s, _)| s == service) else {
                continue;
            };
            let made: Option<Vec<&str>> = calls
                .iter()
                .map(|need| need.split('|').find(|a| reach.allows_somewhere(a)))
                .collect();
            if let Some(made) = made {
                return Some(format!(
                    "iam:PassRole to {service} with {}",
                    made.join(", ")
                ));
            }
        }
    }
    if reach
        .allows("iam:UpdateAssumeRolePolicy", &role.arn)
        .is_some()
        && reach.allows("sts:AssumeRole", &role.arn).is_some()
    {
        return Some("iam:UpdateAssumeRolePolicy, then sts:AssumeRole".into());
    }
    None
}

/// How `reach` becomes another user: by making credentials for it.
fn step_to_user(reach: &crate::policy::access::Reach, arn: &str) -> Option<String> {
    [
        "iam:CreateAccessKey",
        "iam:CreateLoginProfile",
        "iam:UpdateLoginProfile",
    ]
    .into_iter()
    .find(|a| reach.allows(a, arn).is_some())
    .map(str::to_string)
}

/// Breadth first from the user, `DEPTH` steps, `BUDGET` principals judged: the most powerful
/// principal it can become, when that is more than it has, with the path.
async fn become_others(
    iam: &aws_sdk_iam::Client,
    user: &str,
    own: &Documents,
    own_level: AccessLevel,
    cache: &PolicyCache,
    today: &str,
) -> Result<Option<Become>, IamError> {
    use crate::policy::access::{judge, Reach};
    let users = users(iam, cache).await?;
    let Some(user_arn) = users.iter().find(|u| u.0 == user).map(|u| u.1.clone()) else {
        return Ok(None);
    };
    let account = user_arn.split(':').nth(4).unwrap_or_default().to_string();
    let roles = roles(iam, cache).await?;
    let mut seen: std::collections::HashSet<String> = [user_arn.clone()].into();
    let mut queue = std::collections::VecDeque::new();
    queue.push_back((
        user_arn.clone(),
        Reach::of(&own.docs, own.boundary.clone(), today),
        format!("user/{user}"),
        0usize,
    ));
    let mut best: Option<(Become, usize)> = None;
    let mut judged = 0;
    let done = |best: Option<(Become, usize)>| Ok(best.map(|(b, _)| b));
    while let Some((from, reach, path, depth)) = queue.pop_front() {
        if depth >= DEPTH {
            continue;
        }
        // A path to escalation found: only an administrator as near is worth more.
        if best
            .as_ref()
            .is_some_and(|(b, at)| b.reached.level.takes_over() && depth + 1 > *at)
        {
            return done(best);
        }
        let mut next: Vec<(String, String, String, Target)> = Vec::new();
        for role in &roles {
            if seen.contains(&role.arn) {
                continue;
            }
            if let Some(how) = step_to_role(&from, &reach, role, &account) {
                next.push((
                    role.arn.clone(),
                    format!("role/{}", role.name),
                    how,
                    Target::Role(&role.name),
                ));
            }
        }
        for (name, arn) in &users {
            if seen.contains(arn) {
                continue;
            }
            if let Some(how) = step_to_user(&reach, arn) {
                next.push((arn.clone(), format!("user/{name}"), how, Target::User(name)));
            }
        }
        for (arn, label, how, target) in next {
            if judged >= BUDGET {
                return done(best);
            }
            judged += 1;
            seen.insert(arn.clone());
            let got = documents(iam, target, cache).await?;
            let access = judge(&got.docs, got.boundary.clone(), today);
            let path = format!("{path} -> {how} -> {label}");
            let r = access.level;
            if r > own_level && best.as_ref().is_none_or(|(b, _)| r > b.reached.level) {
                let top = r == AccessLevel::Admin;
                best = Some((
                    Become {
                        path: path.clone(),
                        reached: access,
                        target: label.clone(),
                    },
                    depth + 1,
                ));
                if top {
                    return done(best);
                }
            }
            queue.push_back((
                arn,
                Reach::of(&got.docs, got.boundary, today),
                path,
                depth + 1,
            ));
        }
    }
    done(best)
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

//! `keyrot rotate` and `keyrot revoke`: the rotation that does not break production, and the
//! emergency stop, each a plan unless `execute` is set. Every step says what it did or would
//! do; a failure leaves a state the next run continues from; nothing in use is deleted.
//!
//! Rotation: a user may hold two keys, so the new key is created beside the old one, handed
//! over (stored in Secrets Manager, or printed once), and the old key is deactivated only once
//! IAM reports no use of it for `grace_days` (or with `force`); `delete` then removes an old
//! key that is already inactive. Revocation deactivates a long-term key (never deletes it: it
//! is evidence), or for a temporary `ASIA` key denies every session of its role issued before
//! now, as the console's "revoke active sessions" does. Canary-token keys are never touched.

use super::{aws_error, sdk_config, AwsOptions, IamError};
use aws_sdk_iam::error::ProvideErrorMetadata;

#[derive(Clone, Debug)]
pub struct RotateOptions {
    pub user: String,
    pub key_id: Option<String>,
    pub to_secret: Option<String>,
    pub grace_days: i64,
    pub force: bool,
    pub delete: bool,
    pub execute: bool,
    /// Now, seconds since the epoch (`--as-of` in tests).
    pub now: i64,
}

/// What a run did (or, as a plan, would do), and the new key's secret when it is to be
/// printed once.
#[derive(Debug, Default)]
pub struct Report {
    pub steps: Vec<String>,
    /// `(access key id, secret)` of a key created now without `--to-secret`.
    pub new_secret: Option<(String, String)>,
    /// The run stopped short of its goal (waiting for the grace period, or a state to fix).
    pub incomplete: bool,
}

struct Key {
    id: String,
    active: bool,
    created: i64,
}

/// What a step did, or as a plan would do: `deactivated` or `would deactivate`.
fn verb(execute: bool, done: &str, plan: &str) -> String {
    if execute {
        done.to_string()
    } else {
        format!("would {plan}")
    }
}

pub fn rotate(opts: &RotateOptions, aws: &AwsOptions) -> Result<Report, IamError> {
    let rt = super::runtime()?;
    rt.block_on(async {
        let config = sdk_config(aws).await?;
        let iam = aws_sdk_iam::Client::new(&config);
        let sm = aws_sdk_secretsmanager::Client::new(&config);
        rotate_with(&iam, &sm, opts).await
    })
}

async fn rotate_with(
    iam: &aws_sdk_iam::Client,
    sm: &aws_sdk_secretsmanager::Client,
    opts: &RotateOptions,
) -> Result<Report, IamError> {
    let user = opts.user.as_str();
    let mut report = Report::default();
    let verb = |done: &str, plan: &str| verb(opts.execute, done, plan);
    let keys: Vec<Key> = super::lookup::list_keys(iam, user)
        .await?
        .into_iter()
        .filter_map(|k| {
            Some(Key {
                id: k.access_key_id()?.to_string(),
                active: k.status().map(|s| s.as_str()) == Some("Active"),
                created: k.create_date().map(super::secs).unwrap_or(0),
            })
        })
        .collect();
    let stored = match &opts.to_secret {
        Some(name) => stored_key_id(sm, name).await?,
        None => Stored::Missing,
    };
    // A secret that holds something else than a key of this user is never overwritten
    // unless asked (--force): it may be another application's.
    if let (Some(name), false) = (&opts.to_secret, opts.force) {
        let refuse = match &stored {
            Stored::Missing => None,
            Stored::Holds(id) if keys.iter().any(|k| &k.id == id) => None,
            Stored::Holds(id) => Some(format!(
                "holds access key {id}, which is not one of user {user}'s keys"
            )),
            Stored::Other => {
                Some("does not hold an access key ({AccessKeyId, SecretAccessKey})".to_string())
            }
        };
        if let Some(why) = refuse {
            return Err(IamError(format!(
                "secret {name} exists and {why}: it is not overwritten; name another secret, or --force to replace it"
            )));
        }
    }
    let held = match &stored {
        Stored::Holds(id) => Some(id.clone()),
        _ => None,
    };
    // What an earlier run wrote on the user: the rotation under way, `OLD NEW STARTED`.
    let tagged = match rotation_tag(iam, user).await {
        Ok(tag) => tag.filter(|(_, new)| keys.iter().any(|k| &k.id == new)),
        Err(err) => {
            report.steps.push(format!(
                "cannot read the tags of user {user} ({err}): an earlier run's rotation is recognised only by the secret"
            ));
            None
        }
    };
    let handed_over =
        |id: &str| held.as_deref() == Some(id) || tagged.as_ref().is_some_and(|(_, new)| new == id);
    let age_days = |k: &Key| (opts.now - k.created).div_euclid(86_400);
    // Which key is being replaced, and which (if any) already replaces it.
    let (old, new): (&Key, Option<&Key>) = match (opts.key_id.as_deref(), keys.as_slice()) {
        (_, []) => return Err(IamError(format!("user {user} has no access key to rotate"))),
        (Some(id), _) => {
            let old = keys
                .iter()
                .find(|k| k.id == id)
                .ok_or_else(|| IamError(format!("user {user} has no access key {id}")))?;
            match keys.iter().find(|k| k.id != id) {
                // An active key keyrot did not hand over is someone's key in use, not a
                // replacement made by an earlier run.
                Some(other) if other.active && !handed_over(&other.id) => {
                    return Err(IamError(format!(
                        "user {user} has another active key, {}, that no keyrot rotation made (neither secret nor the user's {ROTATION_TAG} tag names it): IAM allows two keys, so there is no room for a new one; deactivate and delete one of them first (aws iam delete-access-key --user-name {user} --access-key-id ID)",
                        other.id
                    )))
                }
                other => (old, other),
            }
        }
        // A rotation an earlier run began: finished, or to be finished, never begun again.
        (None, _) if tagged.is_some() => {
            let (old_id, new_id) = tagged.clone().expect("checked");
            let new = keys.iter().find(|k| k.id == new_id).expect("filtered");
            match keys.iter().find(|k| k.id == old_id) {
                Some(old) => (old, Some(new)),
                None if age_days(new) < opts.grace_days => {
                    report.steps.push(format!(
                        "the rotation of key {old_id} to {new_id} is finished ({old_id} is gone): {new_id} is the key in use, {} days old; nothing to do (to rotate it anyway: --key-id {new_id})",
                        age_days(new)
                    ));
                    return Ok(report);
                }
                None => match keys.as_slice() {
                    [only] => (only, None),
                    _ => (new, keys.iter().find(|k| k.id != new_id)),
                },
            }
        }
        // A key younger than the grace period that the secret holds, or that nothing has used
        // yet, is the one an earlier run handed over: not replaced again.
        (None, [only])
            if age_days(only) < opts.grace_days
                && (handed_over(&only.id) || never_used(iam, &only.id).await?) =>
        {
            report.steps.push(format!(
                "key {} of user {user} is {} days old and {}, and no new key is made for it (to rotate it anyway: --key-id {})",
                only.id,
                age_days(only),
                if handed_over(&only.id) {
                    "held by the secret: it is what an earlier rotation handed over"
                } else {
                    "not used yet: it may be what an earlier rotation handed over"
                },
                only.id
            ));
            return Ok(report);
        }
        (None, [only]) => (only, None),
        (None, [a, b]) => {
            let by_secret = held.as_deref().and_then(|h| {
                if a.id == h {
                    Some((b, a))
                } else if b.id == h {
                    Some((a, b))
                } else {
                    None
                }
            });
            // An inactive older key beside an active newer one: a rotation under way or done.
            let (older, newer) = if a.created <= b.created {
                (a, b)
            } else {
                (b, a)
            };
            match by_secret {
                Some((old, new)) => (old, Some(new)),
                None if !older.active && newer.active => (older, Some(newer)),
                None => {
                    return Err(IamError(format!(
                        "user {user} has two access keys ({} {}, {} {}): name the one to rotate with --key-id, or delete the one not in use first (aws iam delete-access-key --user-name {user} --access-key-id ID)",
                        a.id,
                        if a.active { "active" } else { "inactive" },
                        b.id,
                        if b.active { "active" } else { "inactive" },
                    )))
                }
            }
        }
        (None, _) => {
            return Err(IamError(format!(
                "user {user} has more than two access keys, which IAM does not allow"
            )))
        }
    };
    report.steps.push(format!(
        "rotating key {} of user {user} ({})",
        old.id,
        if old.active { "active" } else { "inactive" }
    ));

    // 1. The new key, created and handed over once.
    let mut new_id = new.map(|k| k.id.clone());
    match new {
        Some(k) if !k.active => {
            report.steps.push(format!(
                "user {user} also has inactive key {}: delete it first (aws iam delete-access-key --user-name {user} --access-key-id {}), then run again",
                k.id, k.id
            ));
            report.incomplete = true;
            return Ok(report);
        }
        Some(k) => {
            report
                .steps
                .push(format!("new key {} exists already", k.id));
            if let Some(name) = &opts.to_secret {
                if held.as_deref() == Some(k.id.as_str()) {
                    report
                        .steps
                        .push(format!("secret {name} already holds new key {}", k.id));
                } else {
                    report.steps.push(format!(
                        "secret {name} does not hold new key {}, and its secret cannot be read back: delete the new key (aws iam delete-access-key --user-name {user} --access-key-id {}) and run again; the old key stays active",
                        k.id, k.id
                    ));
                    report.incomplete = true;
                    return Ok(report);
                }
            }
        }
        None if !old.active => {
            report.steps.push(format!(
                "key {} is inactive: there is nothing to replace",
                old.id
            ));
        }
        None => {
            if opts.execute {
                let created = iam
                    .create_access_key()
                    .user_name(user)
                    .send()
                    .await
                    .map_err(|e| aws_error("iam:CreateAccessKey", e))?;
                let key = created
                    .access_key()
                    .ok_or_else(|| IamError("iam:CreateAccessKey: no key returned".into()))?;
                let (id, secret) = (
                    key.access_key_id().to_string(),
                    key.secret_access_key().to_string(),
                );
                report.steps.push(format!("created new key {id}"));
                // Recorded on the user, so that a rerun finishes this rotation instead of
                // beginning another (and never takes the new key for an idle old one).
                match tag_rotation(iam, user, &old.id, &id, opts.now).await {
                    Ok(()) => report.steps.push(format!(
                        "tagged user {user} {ROTATION_TAG}={} {id}",
                        old.id
                    )),
                    Err(err) => report.steps.push(format!(
                        "cannot tag user {user} ({err}): a rerun recognises this rotation only by the secret, or --key-id {}",
                        old.id
                    )),
                }
                match &opts.to_secret {
                    Some(name) => {
                        store(sm, name, &id, &secret).await?;
                        report
                            .steps
                            .push(format!("stored new key {id} in secret {name}"));
                    }
                    None => {
                        report.steps.push(format!(
                            "new key {id}: its secret is printed once on standard output, and never again"
                        ));
                        report.new_secret = Some((id.clone(), secret));
                    }
                }
                new_id = Some(id);
            } else {
                report
                    .steps
                    .push(format!("would create a new access key for user {user}"));
                report.steps.push(match &opts.to_secret {
                    Some(name) => format!(
                        "would store it in secret {name} ({{AccessKeyId, SecretAccessKey}})"
                    ),
                    None => "would print its secret once on standard output".to_string(),
                });
            }
        }
    }

    // 2. The old key, deactivated once nothing has used it for the grace period.
    let mut old_active = old.active;
    if old.active {
        let used = super::last_used(iam, &old.id).await?;
        let idle_days = used.as_ref().and_then(|u| {
            crate::time::parse_date(&u.date[..10]).map(|d| (opts.now - d).div_euclid(86_400))
        });
        // No recorded use is idle only for a key older than the grace period: AWS reports a
        // key made a minute ago as never used too.
        let quiet = match idle_days {
            None => age_days(old) >= opts.grace_days,
            Some(days) => days >= opts.grace_days,
        };
        if new_id.is_none() && opts.execute {
            report.incomplete = true;
        } else if quiet || opts.force {
            let why = match (&used, idle_days) {
                (Some(u), Some(d)) if !quiet => {
                    format!("last used {d} days ago in {}; --force", u.service)
                }
                (Some(_), Some(d)) => format!("unused for {d} days"),
                _ if !quiet => format!("never used, {} days old; --force", age_days(old)),
                _ => format!("never used in its {} days", age_days(old)),
            };
            if opts.execute {
                iam.update_access_key()
                    .user_name(user)
                    .access_key_id(&old.id)
                    .status(aws_sdk_iam::types::StatusType::Inactive)
                    .send()
                    .await
                    .map_err(|e| aws_error("iam:UpdateAccessKey", e))?;
                old_active = false;
            }
            report.steps.push(format!(
                "{} old key {} ({why})",
                verb("deactivated", "deactivate"),
                old.id
            ));
        } else if used.is_none() {
            report.steps.push(format!(
                "old key {} has no recorded use but is only {} days old: it stays active until it is {} days old (run again then, or --force)",
                old.id,
                age_days(old),
                opts.grace_days
            ));
            report.incomplete = true;
        } else {
            let (u, d) = (used.as_ref(), idle_days.unwrap_or(0));
            report.steps.push(format!(
                "old key {} was used {d} days ago ({} in {}): it stays active until it has been unused for {} days (run again then, or --force)",
                old.id,
                u.map_or("?", |u| u.service.as_str()),
                u.map_or("?", |u| u.region.as_str()),
                opts.grace_days
            ));
            report.incomplete = true;
        }
    } else {
        report.steps.push(format!("old key {} is inactive", old.id));
    }

    // 3. Deletion, only of an old key that is inactive.
    if opts.delete {
        if old_active {
            report.steps.push(format!(
                "old key {} is not deleted: it is still active",
                old.id
            ));
        } else {
            if opts.execute {
                iam.delete_access_key()
                    .user_name(user)
                    .access_key_id(&old.id)
                    .send()
                    .await
                    .map_err(|e| aws_error("iam:DeleteAccessKey", e))?;
            }
            report
                .steps
                .push(format!("{} old key {}", verb("deleted", "delete"), old.id));
        }
    }
    Ok(report)
}

/// Whether IAM has no record of any use of the key.
async fn never_used(iam: &aws_sdk_iam::Client, id: &str) -> Result<bool, IamError> {
    Ok(super::last_used(iam, id).await?.is_none())
}

/// What a `--to-secret` secret holds now.
enum Stored {
    Missing,
    /// `{"AccessKeyId": ...}`: that key.
    Holds(String),
    /// Something else.
    Other,
}

async fn stored_key_id(
    sm: &aws_sdk_secretsmanager::Client,
    name: &str,
) -> Result<Stored, IamError> {
    match sm.get_secret_value().secret_id(name).send().await {
        Ok(out) => Ok(out
            .secret_string()
            .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
            .and_then(|v| v["AccessKeyId"].as_str().map(str::to_string))
            .map_or(Stored::Other, Stored::Holds)),
        Err(e)
            if e.as_service_error().and_then(|s| s.code()) == Some("ResourceNotFoundException") =>
        {
            Ok(Stored::Missing)
        }
        Err(e) => Err(aws_error("secretsmanager:GetSecretValue", e)),
    }
}

/// The user tag a rotation writes when it makes the new key: `OLD NEW STARTED`.
pub const ROTATION_TAG: &str = "keyrot:rotation";

/// `(old, new)` of the rotation an earlier run recorded on the user, if any.
async fn rotation_tag(
    iam: &aws_sdk_iam::Client,
    user: &str,
) -> Result<Option<(String, String)>, IamError> {
    let out = iam
        .list_user_tags()
        .user_name(user)
        .send()
        .await
        .map_err(|e| aws_error("iam:ListUserTags", e))?;
    Ok(out
        .tags()
        .iter()
        .find(|t| t.key() == ROTATION_TAG)
        .and_then(|t| {
            let mut words = t.value().split(' ');
            Some((words.next()?.to_string(), words.next()?.to_string()))
        }))
}

async fn tag_rotation(
    iam: &aws_sdk_iam::Client,
    user: &str,
    old: &str,
    new: &str,
    now: i64,
) -> Result<(), IamError> {
    let tag = aws_sdk_iam::types::Tag::builder()
        .key(ROTATION_TAG)
        .value(format!("{old} {new} {}", crate::time::rfc3339(now)))
        .build()
        .map_err(|e| IamError(format!("iam:TagUser: {e}")))?;
    iam.tag_user()
        .user_name(user)
        .tags(tag)
        .send()
        .await
        .map_err(|e| aws_error("iam:TagUser", e))?;
    Ok(())
}

/// Stores `{AccessKeyId, SecretAccessKey}` in the secret, creating it when missing.
async fn store(
    sm: &aws_sdk_secretsmanager::Client,
    name: &str,
    id: &str,
    secret: &str,
) -> Result<(), IamError> {
    let value = serde_json::json!({"AccessKeyId": id, "SecretAccessKey": secret}).to_string();
    let exists = match sm.describe_secret().secret_id(name).send().await {
        Ok(_) => true,
        Err(e)
            if e.as_service_error().and_then(|s| s.code()) == Some("ResourceNotFoundException") =>
        {
            false
        }
        Err(e) => return Err(aws_error("secretsmanager:DescribeSecret", e)),
    };
    if exists {
        sm.put_secret_value()
            .secret_id(name)
            .secret_string(value)
            .send()
            .await
            .map_err(|e| aws_error("secretsmanager:PutSecretValue", e))?;
    } else {
        sm.create_secret()
            .name(name)
            .secret_string(value)
            .send()
            .await
            .map_err(|e| aws_error("secretsmanager:CreateSecret", e))?;
    }
    Ok(())
}

#[derive(Clone, Debug)]
pub struct RevokeOptions {
    pub key_id: String,
    /// For a temporary key: the role whose sessions to revoke.
    pub role: Option<String>,
    pub execute: bool,
    pub now: i64,
    /// Accounts of canary-token services.
    pub canary: bool,
}

pub fn revoke(opts: &RevokeOptions, aws: &AwsOptions) -> Result<Report, IamError> {
    let mut report = Report::default();
    let key = opts.key_id.as_str();
    if opts.canary {
        report.steps.push(format!(
            "{key} belongs to a canary-token account: not revoked. It grants nothing; revoking it would only tell its owner that it was found. Remove it from the code."
        ));
        return Ok(report);
    }
    let verb = |done: &str, plan: &str| verb(opts.execute, done, plan);
    let rt = super::runtime()?;
    rt.block_on(async {
        let config = sdk_config(aws).await?;
        let iam = aws_sdk_iam::Client::new(&config);
        let caller = super::caller_account(&aws_sdk_sts::Client::new(&config)).await?;
        // The account a key belongs to is in its ID: another account's key is revoked there.
        let owner = crate::detect::aws::account_id(key);
        if let Some(owner) = owner.as_deref().filter(|o| *o != caller) {
            return Err(IamError(format!(
                "{key} belongs to account {owner} (decoded from the key ID), not to account {caller} these credentials are signed in to: sign in to {owner} (--profile) to revoke it"
            )));
        }
        if key.starts_with("ASIA") {
            // The role that issued the session: named, or read from CloudTrail's record of the
            // key's calls (`userIdentity.sessionContext.sessionIssuer`).
            let ct = aws_sdk_cloudtrail::Client::new(&config);
            let role = match &opts.role {
                // A named role must be the key's: it exists here, and CloudTrail, when it
                // knows the session, names the same role.
                Some(role) => {
                    let name = role.rsplit('/').next().unwrap_or(role);
                    iam.get_role()
                        .role_name(name)
                        .send()
                        .await
                        .map_err(|e| aws_error(&format!("iam:GetRole {name}"), e))?;
                    match super::trail::session_issuer(&ct, key, opts.now).await {
                        Ok(Some(issuer)) if issuer.rsplit('/').next() != Some(name) => {
                            return Err(IamError(format!(
                                "{key} is a session of role {issuer} (CloudTrail), not of role {name}: nothing is revoked; run again with --role {issuer}"
                            )))
                        }
                        Ok(Some(_)) => report
                            .steps
                            .push(format!("CloudTrail: {key} is a session of role {name}")),
                        Ok(None) | Err(_) => report.steps.push(format!(
                            "CloudTrail has no call made with {key}: that it is a session of role {name} is not confirmed (the role exists in account {caller}, the key's account)"
                        )),
                    }
                    name.to_string()
                }
                None => {
                    match super::trail::session_issuer(&ct, key, opts.now).await {
                        Ok(Some(role)) => {
                            report.steps.push(format!(
                                "CloudTrail: {key} is a session of role {role}"
                            ));
                            role
                        }
                        Ok(None) => {
                            return Err(IamError(format!(
                                "{key} is a temporary key and CloudTrail has no call made with it in the last 90 days that names its role: name it with --role"
                            )))
                        }
                        Err(e) => {
                            return Err(IamError(format!(
                                "{key} is a temporary key: name its role with --role ({e})"
                            )))
                        }
                    }
                }
            };
            let role = &role;
            let issued_before = crate::time::rfc3339(opts.now);
            let policy = serde_json::json!({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Deny",
                    "Action": ["*"],
                    "Resource": ["*"],
                    "Condition": {"DateLessThan": {"aws:TokenIssueTime": issued_before}}
                }]
            });
            if opts.execute {
                iam.put_role_policy()
                    .role_name(role)
                    .policy_name("AWSRevokeOlderSessions")
                    .policy_document(policy.to_string())
                    .send()
                    .await
                    .map_err(|e| aws_error("iam:PutRolePolicy", e))?;
            }
            report.steps.push(format!(
                "{} inline policy AWSRevokeOlderSessions on role {role}: every session issued before {issued_before} is denied everything, {key} included",
                verb("put", "put")
            ));
            report.steps.push(format!(
                "next: find how {key} leaked and rotate what issued it (the role's trust policy, the credentials that assumed it)"
            ));
            return Ok(report);
        }
        let last = match iam.get_access_key_last_used().access_key_id(key).send().await {
            Ok(out) => out,
            Err(e) if e.as_service_error().and_then(|s| s.code()) == Some("NoSuchEntity") => {
                report.steps.push(format!("{key} does not exist in this account (deleted, or another account's)"));
                return Ok(report);
            }
            Err(e) => return Err(aws_error("iam:GetAccessKeyLastUsed", e)),
        };
        let user = last
            .user_name()
            .ok_or_else(|| IamError(format!("iam:GetAccessKeyLastUsed: no user for {key}")))?
            .to_string();
        // AWS's own verdict, when it already found the key public.
        if let Ok(out) = iam.list_attached_user_policies().user_name(&user).send().await {
            if let Some(name) = out
                .attached_policies()
                .iter()
                .filter_map(|p| p.policy_name())
                .find(|n| crate::finding::QUARANTINE_POLICIES.contains(n))
            {
                report.steps.push(format!(
                    "AWS detected a key of user {user} as exposed and quarantined the user ({name} attached): the quarantine denies some actions, not all; the key is deactivated all the same"
                ));
            }
        }
        let keys = super::lookup::list_keys(&iam, &user).await?;
        let active = keys
            .iter()
            .find(|k| k.access_key_id() == Some(key))
            .is_some_and(|k| k.status().map(|s| s.as_str()) == Some("Active"));
        if active {
            if opts.execute {
                iam.update_access_key()
                    .user_name(&user)
                    .access_key_id(key)
                    .status(aws_sdk_iam::types::StatusType::Inactive)
                    .send()
                    .await
                    .map_err(|e| aws_error("iam:UpdateAccessKey", e))?;
            }
            report.steps.push(format!(
                "{} key {key} of user {user} (not deleted: it is evidence)",
                verb("deactivated", "deactivate")
            ));
        } else {
            report.steps.push(format!("key {key} of user {user} is inactive already"));
        }
        report.steps.push(format!(
            "next: keyrot rotate --user {user} --key-id {key} --execute (gives the workloads a new key), then review what the key did"
        ));
        Ok(report)
    })
}

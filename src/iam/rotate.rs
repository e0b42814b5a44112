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
        let config = sdk_config(aws).await;
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
    let held = match &opts.to_secret {
        Some(name) => stored_key_id(sm, name).await?,
        None => None,
    };
    // Which key is being replaced, and which (if any) already replaces it.
    let (old, new): (&Key, Option<&Key>) = match (opts.key_id.as_deref(), keys.as_slice()) {
        (_, []) => return Err(IamError(format!("user {user} has no access key to rotate"))),
        (Some(id), _) => {
            let old = keys
                .iter()
                .find(|k| k.id == id)
                .ok_or_else(|| IamError(format!("user {user} has no access key {id}")))?;
            (old, keys.iter().find(|k| k.id != id))
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
        let last = iam
            .get_access_key_last_used()
            .access_key_id(&old.id)
            .send()
            .await
            .map_err(|e| aws_error("iam:GetAccessKeyLastUsed", e))?;
        let used = super::last_use(last.access_key_last_used());
        let idle_days = used.as_ref().and_then(|u| {
            crate::time::parse_date(&u.date[..10]).map(|d| (opts.now - d).div_euclid(86_400))
        });
        let quiet = match idle_days {
            None => true,
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
                _ => "never used".to_string(),
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

/// The access key ID a secret holds (`{"AccessKeyId": ...}`), or none if there is no secret.
async fn stored_key_id(
    sm: &aws_sdk_secretsmanager::Client,
    name: &str,
) -> Result<Option<String>, IamError> {
    match sm.get_secret_value().secret_id(name).send().await {
        Ok(out) => Ok(out
            .secret_string()
            .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
            .and_then(|v| v["AccessKeyId"].as_str().map(str::to_string))),
        Err(e)
            if e.as_service_error().and_then(|s| s.code()) == Some("ResourceNotFoundException") =>
        {
            Ok(None)
        }
        Err(e) => Err(aws_error("secretsmanager:GetSecretValue", e)),
    }
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
        let config = sdk_config(aws).await;
        let iam = aws_sdk_iam::Client::new(&config);
        if key.starts_with("ASIA") {
            // The role that issued the session: named, or read from CloudTrail's record of the
            // key's calls (`userIdentity.sessionContext.sessionIssuer`).
            let role = match &opts.role {
                Some(role) => role.clone(),
                None => {
                    let ct = aws_sdk_cloudtrail::Client::new(&config);
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

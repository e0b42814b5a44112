//! Facts about found keys from live IAM: the owning account (`sts:GetAccessKeyInfo`, which
//! needs no secret), and when the caller's account owns the key, its user and last use
//! (`iam:GetAccessKeyLastUsed`) and its status and creation date (`iam:ListAccessKeys`).

use std::collections::HashMap;
use std::sync::Arc;

use super::{aws_error, paginate, sdk_config, secs, AwsOptions, IamError, Page};
use crate::finding::{Finding, KeyFacts, KeyState, Severity};
use aws_sdk_iam::error::ProvideErrorMetadata;

/// The rotation policy findings are weighed against.
#[derive(Clone, Copy, Debug)]
pub struct AgePolicy {
    pub max_key_age_days: i64,
    /// Ages are computed at this instant (`--as-of`), seconds since the epoch.
    pub as_of: i64,
}

/// Looks every key up, a bounded number of calls at a time. Fails only when AWS cannot be
/// reached at all (the caller's identity is unknown); a failure for one key is in its facts.
/// A key's blast radius dates its policies' conditions at `today` (`YYYY-MM-DD`, `--as-of`'s).
pub fn lookup(
    key_ids: &[String],
    opts: &AwsOptions,
    today: &str,
) -> Result<HashMap<String, KeyFacts>, IamError> {
    let rt = super::runtime()?;
    rt.block_on(async {
        let config = sdk_config(opts).await?;
        let sts = aws_sdk_sts::Client::new(&config);
        let iam = aws_sdk_iam::Client::new(&config);
        let caller = super::caller_account(&sts).await?;
        let limit = Arc::new(tokio::sync::Semaphore::new(opts.concurrency.max(1)));
        let cache = Arc::new(super::blast::PolicyCache::default());
        let mut tasks = tokio::task::JoinSet::new();
        for key in key_ids {
            let (sts, iam, caller, key, limit, cache, today) = (
                sts.clone(),
                iam.clone(),
                caller.clone(),
                key.clone(),
                limit.clone(),
                cache.clone(),
                today.to_string(),
            );
            tasks.spawn(async move {
                let _permit = limit.acquire_owned().await;
                let mut facts = lookup_one(&sts, &iam, &caller, &key).await;
                // What the key can do: its user's effective policies, evaluated.
                if let (Some(user), KeyState::Active | KeyState::Inactive) =
                    (facts.user.clone(), facts.state)
                {
                    match super::blast::access(&iam, &user, &cache, &today).await {
                        Ok(access) => facts.access = Some(access),
                        Err(e) => facts.error = Some(format!("blast radius not known: {}", e.0)),
                    }
                }
                (key, facts)
            });
        }
        let mut out = HashMap::new();
        while let Some(joined) = tasks.join_next().await {
            if let Ok((key, facts)) = joined {
                out.insert(key, facts);
            }
        }
        Ok(out)
    })
}

async fn lookup_one(
    sts: &aws_sdk_sts::Client,
    iam: &aws_sdk_iam::Client,
    caller: &str,
    key: &str,
) -> KeyFacts {
    let failed = |e: IamError| KeyFacts {
        error: Some(e.0),
        ..KeyFacts::new(KeyState::Unknown)
    };
    let account = match sts.get_access_key_info().access_key_id(key).send().await {
        Ok(out) => out.account().map(str::to_string),
        Err(e) => return failed(aws_error("sts:GetAccessKeyInfo", e)),
    };
    if account.as_deref() != Some(caller) {
        return KeyFacts {
            account,
            ..KeyFacts::new(KeyState::OtherAccount)
        };
    }
    let last = match iam
        .get_access_key_last_used()
        .access_key_id(key)
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) if e.as_service_error().and_then(|s| s.code()) == Some("NoSuchEntity") => {
            return KeyFacts {
                account,
                ..KeyFacts::new(KeyState::Deleted)
            };
        }
        Err(e) => return failed(aws_error("iam:GetAccessKeyLastUsed", e)),
    };
    let user = last.user_name().map(str::to_string);
    let last_used = super::last_use(last.access_key_last_used());
    let Some(user_name) = &user else {
        return KeyFacts {
            account,
            last_used,
            ..KeyFacts::new(KeyState::Unknown)
        };
    };
    let keys = match list_keys(iam, user_name).await {
        Ok(keys) => keys,
        Err(e) => return failed(e),
    };
    let Some(meta) = keys.iter().find(|k| k.access_key_id() == Some(key)) else {
        return KeyFacts {
            account,
            user,
            ..KeyFacts::new(KeyState::Deleted)
        };
    };
    let state = match meta.status().map(|s| s.as_str()) {
        Some("Active") => KeyState::Active,
        Some("Inactive") => KeyState::Inactive,
        _ => KeyState::Unknown,
    };
    let created_secs = meta.create_date().map(secs);
    KeyFacts {
        account,
        user,
        created: created_secs.map(crate::time::rfc3339),
        created_secs,
        last_used,
        ..KeyFacts::new(state)
    }
}

/// Every access key of a user, following `Marker` pagination.
pub async fn list_keys(
    iam: &aws_sdk_iam::Client,
    user: &str,
) -> Result<Vec<aws_sdk_iam::types::AccessKeyMetadata>, IamError> {
    paginate("iam:ListAccessKeys", |marker| async move {
        let out = iam
            .list_access_keys()
            .user_name(user)
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| aws_error("iam:ListAccessKeys", e))?;
        Ok(Page::of(
            out.access_key_metadata().to_vec(),
            out.is_truncated(),
            out.marker(),
        ))
    })
    .await
}

/// Adds IAM's facts to the findings of those keys, moves their severity as the facts say
/// (and says why), and makes their remedy concrete for the owning user.
pub fn enrich(findings: &mut [Finding], facts: &HashMap<String, KeyFacts>, policy: AgePolicy) {
    for finding in findings.iter_mut() {
        let Some(key) = finding.facts.key_id.clone() else {
            continue;
        };
        let Some(known) = facts.get(&key) else {
            continue;
        };
        let mut known = known.clone();
        known.age_days = known
            .created_secs
            .map(|c| (policy.as_of - c).div_euclid(86_400));
        let before = finding.severity;
        let why = match known.state {
            KeyState::Active => {
                let age = known.age_days.unwrap_or(0);
                let used = known.last_used.as_ref().map_or_else(
                    || "never used".to_string(),
                    |u| {
                        format!(
                            "last used {} ({} in {})",
                            &u.date[..10],
                            u.service,
                            u.region
                        )
                    },
                );
                let user = known.user.as_deref().unwrap_or("?");
                if age > policy.max_key_age_days {
                    finding.severity = raise(finding.severity);
                    format!("IAM: active key of user {user}, {age} days old, over the {}-day rotation policy; {used}", policy.max_key_age_days)
                } else {
                    format!("IAM: active key of user {user}, {age} days old; {used}")
                }
            }
            KeyState::Inactive => {
                finding.severity = lower(finding.severity);
                format!(
                    "IAM: inactive key of user {}; delete it",
                    known.user.as_deref().unwrap_or("?")
                )
            }
            KeyState::Deleted => {
                finding.severity = Severity::Low;
                "IAM: this key no longer exists; still remove it from the code and its history"
                    .to_string()
            }
            KeyState::OtherAccount => format!(
                "IAM: owned by account {}, not the signed-in account; no further facts",
                known.account.as_deref().unwrap_or("?")
            ),
            KeyState::Unknown => format!(
                "IAM: no facts ({})",
                known.error.as_deref().unwrap_or("no user")
            ),
        };
        let mut why = why;
        if let Some(access) = &known.access {
            why.push_str(&format!("; this key {}", access.summary));
            if access.is_critical() && known.state == KeyState::Active {
                finding.severity = Severity::Critical;
            }
            if !access.unread.is_empty() {
                why.push_str(&format!(
                    " (at least: {} could not be read)",
                    access.unread.join(", ")
                ));
            }
        }
        finding.message = format!("{}; {why}", finding.message);
        if finding.severity != before {
            finding
                .message
                .push_str(&format!(" (severity {before} -> {})", finding.severity));
        }
        finding.facts.iam = Some(known);
        let exposed = finding
            .related
            .iter()
            .any(|r| r.role == "secret access key");
        finding.remedy = crate::remedy::for_key(&finding.facts, exposed);
    }
}

fn raise(s: Severity) -> Severity {
    match s {
        Severity::Low => Severity::Medium,
        Severity::Medium => Severity::High,
        Severity::High | Severity::Critical => Severity::Critical,
    }
}

fn lower(s: Severity) -> Severity {
    match s {
        Severity::Critical => Severity::High,
        Severity::High => Severity::Medium,
        Severity::Medium | Severity::Low => Severity::Low,
    }
}

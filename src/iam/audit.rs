//! `keyrot audit`: every access key of an account, without any files. The credential report
//! (generated, then polled) gives the root user's keys and each user's MFA; `ListUsers`,
//! `ListAccessKeys`, `ListMFADevices` and `GetAccessKeyLastUsed` give each key's owner, age,
//! status and last use. Several accounts are audited by assuming a role in each.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_config::SdkConfig;

use super::lookup::list_keys;
use super::{aws_error, paginate, sdk_config, secs, AwsOptions, IamError, Page};
use crate::catalog::Catalog;
use crate::finding::Origin;
use crate::finding::{fingerprint, value_digest, Facts, Finding, KeyFacts, KeyState, Location};
use crate::finding::{Remedy, Step};
use crate::outcome::AccountMetrics;

#[derive(Clone, Debug)]
pub struct AuditOptions {
    pub aws: AwsOptions,
    pub max_key_age_days: i64,
    pub max_unused_days: i64,
    /// Ages are computed at this instant, seconds since the epoch.
    pub as_of: i64,
    /// Assume this role in each of `accounts` (or every account of the organization).
    pub role_name: Option<String>,
    pub accounts: Vec<String>,
    pub org: bool,
    /// How long to wait for the credential report.
    pub report_timeout: Duration,
    /// More profiles after the first (`--profile` repeated): each one's own account too.
    pub profiles: Vec<String>,
}

/// One account's findings, figures, failed calls and key inventory.
type Audited = (
    Vec<Finding>,
    AccountMetrics,
    Vec<String>,
    Vec<crate::outcome::InventoryKey>,
);

/// What an audit found.
#[derive(Debug, Default)]
pub struct AuditOutcome {
    pub findings: Vec<Finding>,
    /// Every access key read, with its facts.
    pub inventory: Vec<crate::outcome::InventoryKey>,
    pub metrics: Vec<AccountMetrics>,
    /// Accounts or calls that failed; the audit went on without them.
    pub problems: Vec<String>,
}

/// One key as the audit sees it.
struct KeyRecord {
    user: String,
    /// Whether `GetAccessKeyLastUsed` answered: an unknown last use is never "never used".
    last_use_known: bool,
    facts: KeyFacts,
    key_id: String,
}

/// How many accounts are audited at once.
const ACCOUNTS_AT_ONCE: usize = 4;

pub fn run(rules: &Catalog, opts: &AuditOptions) -> Result<AuditOutcome, IamError> {
    let rt = super::runtime()?;
    rt.block_on(async {
        let base = sdk_config(&opts.aws).await?;
        let mut targets = targets(&base, opts).await?;
        // Each further profile is one more account, signed in to as that profile.
        for profile in &opts.profiles {
            let aws = AwsOptions {
                profile: Some(profile.clone()),
                ..opts.aws.clone()
            };
            let target = match sdk_config(&aws).await {
                Ok(config) => {
                    match super::caller_account(&aws_sdk_sts::Client::new(&config)).await {
                        Ok(account) => (account, Ok(config)),
                        Err(e) => (format!("of profile {profile}"), Err(e)),
                    }
                }
                Err(e) => (format!("of profile {profile}"), Err(e)),
            };
            if !targets.iter().any(|(a, _)| a == &target.0) {
                targets.push(target);
            }
        }
        let mut outcome = AuditOutcome::default();
        // Accounts are audited a few at once: IAM's rate limits are per account, and the
        // standard retry backs off when one is throttled.
        use futures_util::StreamExt as _;
        let mut audits = futures_util::stream::iter(targets)
            .map(|(account, config)| async move {
                let audited = match config {
                    Ok(config) => audit_account(&config, rules, opts).await,
                    Err(e) => Err(e),
                };
                (account, audited)
            })
            .buffered(ACCOUNTS_AT_ONCE);
        while let Some((account, audited)) = audits.next().await {
            match audited {
                Ok((findings, metrics, problems, inventory)) => {
                    outcome.findings.extend(findings);
                    outcome.inventory.extend(inventory);
                    outcome.metrics.push(metrics);
                    outcome.problems.extend(
                        problems
                            .into_iter()
                            .map(|p| format!("account {account}: {p}")),
                    );
                }
                Err(e) => outcome.problems.push(format!("account {account}: {e}")),
            }
        }
        outcome.findings.sort_by_cached_key(Finding::sort_key);
        Ok(outcome)
    })
}

type Target = (String, Result<SdkConfig, IamError>);

/// The accounts to audit, each with a configuration signed in to it.
async fn targets(base: &SdkConfig, opts: &AuditOptions) -> Result<Vec<Target>, IamError> {
    let sts = aws_sdk_sts::Client::new(base);
    let own = super::caller_account(&sts).await?;
    let mut accounts = opts.accounts.clone();
    if opts.org {
        let org = aws_sdk_organizations::Client::new(base);
        let mut token: Option<String> = None;
        loop {
            let page = org
                .list_accounts()
                .set_next_token(token.clone())
                .send()
                .await
                .map_err(|e| aws_error("organizations:ListAccounts", e))?;
            accounts.extend(
                page.accounts()
                    .iter()
                    .filter_map(|a| a.id().map(str::to_string)),
            );
            match page.next_token() {
                Some(next) if Some(next) != token.as_deref() => token = Some(next.to_string()),
                _ => break,
            }
        }
    }
    let Some(role) = &opts.role_name else {
        if !accounts.is_empty() && accounts.iter().any(|a| a != &own) {
            return Err(IamError("auditing other accounts needs --role-name".into()));
        }
        return Ok(vec![(own, Ok(base.clone()))]);
    };
    accounts.sort();
    accounts.dedup();
    let mut out = Vec::new();
    for account in accounts {
        let arn = format!("arn:aws:iam::{account}:role/{role}");
        let assumed = sts
            .assume_role()
            .role_arn(&arn)
            .role_session_name("keyrot-audit")
            .send()
            .await
            .map_err(|e| aws_error(&format!("sts:AssumeRole {arn}"), e))
            .and_then(|out| {
                let c = out
                    .credentials()
                    .ok_or_else(|| IamError(format!("sts:AssumeRole {arn}: no credentials")))?;
                let creds = aws_credential_types::Credentials::new(
                    c.access_key_id(),
                    c.secret_access_key(),
                    Some(c.session_token().to_string()),
                    None,
                    "keyrot-assumed-role",
                );
                Ok(base
                    .clone()
                    .into_builder()
                    .credentials_provider(
                        aws_credential_types::provider::SharedCredentialsProvider::new(creds),
                    )
                    .build())
            });
        out.push((account, assumed));
    }
    Ok(out)
}

async fn audit_account(
    config: &SdkConfig,
    rules: &Catalog,
    opts: &AuditOptions,
) -> Result<Audited, IamError> {
    let sts = aws_sdk_sts::Client::new(config);
    let iam = aws_sdk_iam::Client::new(config);
    let account = super::caller_account(&sts).await?;
    let mut problems = Vec::new();
    // A failed call costs what depends on it, named, and never the whole account.
    let report = match credential_report(&iam, opts.report_timeout).await {
        Ok(report) => report,
        Err(e) => {
            problems.push(format!(
                "credential report not read, so root access keys and the report's MFA facts are not checked: {e}"
            ));
            HashMap::new()
        }
    };
    let iam_ref = &iam;
    let users = paginate("iam:ListUsers", |marker| async move {
        let out = iam_ref
            .list_users()
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| aws_error("iam:ListUsers", e))?;
        Ok(Page::of(
            out.users()
                .iter()
                .map(|u| u.user_name().to_string())
                .collect(),
            out.is_truncated(),
            out.marker(),
        ))
    })
    .await?;

    let mut keys = Vec::new();
    // Known MFA only: a user whose devices could not be listed is not said to have none.
    let mut mfa: HashMap<String, bool> = HashMap::new();
    // Each user's blast radius, once, for the findings about its active keys.
    let cache = super::blast::PolicyCache::default();
    let today = crate::time::day(opts.as_of);
    let mut access: HashMap<String, crate::finding::Access> = HashMap::new();
    for user in &users {
        let devices = paginate("iam:ListMFADevices", |marker| async move {
            let out = iam_ref
                .list_mfa_devices()
                .user_name(user)
                .set_marker(marker)
                .send()
                .await
                .map_err(|e| aws_error("iam:ListMFADevices", e))?;
            Ok(Page::of(
                out.mfa_devices()
                    .iter()
                    .map(|d| d.serial_number().to_string())
                    .collect(),
                out.is_truncated(),
                out.marker(),
            ))
        })
        .await;
        let report_mfa = report
            .get(user.as_str())
            .is_some_and(|row| row.get("mfa_active").map(String::as_str) == Some("true"));
        match devices {
            Ok(devices) => {
                mfa.insert(user.clone(), !devices.is_empty() || report_mfa);
            }
            Err(_) if report_mfa => {
                mfa.insert(user.clone(), true);
            }
            Err(e) => problems.push(format!("user {user}: MFA not known: {e}")),
        }
        let listed = match list_keys(&iam, user).await {
            Ok(listed) => listed,
            Err(e) => {
                problems.push(format!("user {user}: access keys not listed: {e}"));
                continue;
            }
        };
        for meta in listed {
            let Some(key_id) = meta.access_key_id().map(str::to_string) else {
                continue;
            };
            let last = super::last_used(&iam, &key_id).await;
            let last_use_known = last.is_ok();
            let last_used = match last {
                Ok(used) => used,
                Err(e) => {
                    problems.push(format!(
                        "key {key_id} of user {user}: last use not known: {e}"
                    ));
                    None
                }
            };
            let created_secs = meta.create_date().map(secs);
            let state = if meta.status().map(|s| s.as_str()) == Some("Active") {
                KeyState::Active
            } else {
                KeyState::Inactive
            };
            if state == KeyState::Active && !access.contains_key(user) {
                match super::blast::access(&iam, user, &cache, &today).await {
                    Ok(a) => {
                        access.insert(user.clone(), a);
                    }
                    Err(e) => problems.push(format!("user {user}: blast radius not known: {e}")),
                }
            }
            keys.push(KeyRecord {
                user: user.clone(),
                key_id,
                last_use_known,
                facts: KeyFacts {
                    access: access.get(user).cloned(),
                    account: Some(account.clone()),
                    user: Some(user.clone()),
                    created: created_secs.map(crate::time::rfc3339),
                    created_secs,
                    age_days: created_secs.map(|c| (opts.as_of - c).div_euclid(86_400)),
                    last_used,
                    ..KeyFacts::new(state)
                },
            });
        }
    }

    let mut findings = Vec::new();
    let make = |rule: &str, user: &str, key: Option<&KeyRecord>, detail: String| {
        let mut f = finding(rules, &account, rule, user, key, detail);
        // A key that can take over the account makes every finding about it critical.
        if let Some(a) = key.and_then(|k| k.facts.access.as_ref()) {
            f.message.push_str(&format!("; this key {}", a.summary));
            if a.is_critical() {
                f.severity = crate::finding::Severity::Critical;
            }
        }
        f
    };
    if let Some(root) = report.get("<root_account>") {
        for n in ["1", "2"] {
            if root
                .get(&format!("access_key_{n}_active"))
                .map(String::as_str)
                == Some("true")
            {
                findings.push(make(
                    "iam.root-access-key",
                    "<root_account>",
                    None,
                    format!("the root user has an active access key (key {n})"),
                ));
            }
        }
    }
    for key in keys.iter().filter(|k| k.facts.state == KeyState::Active) {
        let age = key.facts.age_days.unwrap_or(0);
        if age > opts.max_key_age_days {
            findings.push(make(
                "iam.key-too-old",
                &key.user,
                Some(key),
                format!(
                    "active key {} of user {} is {age} days old, over the {}-day rotation policy",
                    key.key_id, key.user, opts.max_key_age_days
                ),
            ));
        }
        let idle = match &key.facts.last_used {
            Some(u) => {
                crate::time::parse_date(&u.date[..10]).map(|d| (opts.as_of - d).div_euclid(86_400))
            }
            None if key.last_use_known => Some(age),
            None => None,
        };
        if let Some(idle) = idle.filter(|&d| d > opts.max_unused_days) {
            let since = if key.facts.last_used.is_some() {
                "last used"
            } else {
                "created and never used"
            };
            findings.push(make(
                "iam.key-unused",
                &key.user,
                Some(key),
                format!(
                    "active key {} of user {} was {since} {idle} days ago (limit {})",
                    key.key_id, key.user, opts.max_unused_days
                ),
            ));
        }
    }
    for user in &users {
        if let Some(name) = access.get(user).and_then(|a| a.quarantine.as_deref()) {
            for key in keys
                .iter()
                .filter(|k| &k.user == user && k.facts.state == KeyState::Active)
            {
                findings.push(make(
                    "iam.key-quarantined",
                    user,
                    Some(key),
                    format!(
                        "AWS detected a key of user {user} as exposed and quarantined it ({name} attached); active key {} is still usable for what the quarantine allows",
                        key.key_id
                    ),
                ));
            }
        }
        let active: Vec<&KeyRecord> = keys
            .iter()
            .filter(|k| &k.user == user && k.facts.state == KeyState::Active)
            .collect();
        if active.len() >= 2 {
            findings.push(make(
                "iam.two-active-keys",
                user,
                active.first().copied(),
                format!("user {user} has {} active access keys", active.len()),
            ));
        }
        if !active.is_empty() && mfa.get(user) == Some(&false) {
            findings.push(make(
                "iam.no-mfa",
                user,
                None,
                format!("user {user} has active access keys and no MFA device"),
            ));
        }
        // The console password, from the credential report.
        let Some(row) = report.get(user.as_str()) else {
            continue;
        };
        if row.get("password_enabled").map(String::as_str) != Some("true") {
            continue;
        }
        if mfa.get(user) == Some(&false) {
            findings.push(make(
                "iam.console-without-mfa",
                user,
                None,
                format!(
                    "user {user} can sign in to the console with a password and has no MFA device"
                ),
            ));
        }
        if !active.is_empty() {
            findings.push(make(
                "iam.console-and-keys",
                user,
                None,
                format!(
                    "user {user} has a console password and {} active access {}: one identity for a person and a program",
                    active.len(),
                    if active.len() == 1 { "key" } else { "keys" }
                ),
            ));
        }
        let date = |field: &str| {
            row.get(field)
                .and_then(|d| d.get(..10))
                .and_then(crate::time::parse_date)
        };
        let since = match date("password_last_used") {
            Some(used) => Some(("last used", used)),
            None => date("user_creation_time")
                .map(|made| ("never used since the user was created", made)),
        };
        if let Some((how, at)) = since {
            let days = (opts.as_of - at).div_euclid(86_400);
            if days > opts.max_unused_days {
                findings.push(make(
                    "iam.console-unused",
                    user,
                    None,
                    format!(
                        "the console password of user {user} was {how} {days} days ago (limit {})",
                        opts.max_unused_days
                    ),
                ));
            }
        }
    }
    account_checks(
        &iam,
        &report,
        &mut |rule, user, detail| findings.push(make(rule, user, None, detail)),
        &mut problems,
    )
    .await;

    let active: Vec<&KeyRecord> = keys
        .iter()
        .filter(|k| k.facts.state == KeyState::Active)
        .collect();
    let ages: Vec<i64> = active.iter().filter_map(|k| k.facts.age_days).collect();
    let within = ages.iter().filter(|&&a| a <= opts.max_key_age_days).count();
    let metrics = AccountMetrics {
        account: account.clone(),
        users: users.len(),
        keys: keys.len(),
        active_keys: active.len(),
        average_active_age_days: if ages.is_empty() {
            0.0
        } else {
            ages.iter().sum::<i64>() as f64 / ages.len() as f64
        },
        max_active_age_days: ages.iter().copied().max().unwrap_or(0),
        rotated_last_90_days: keys
            .iter()
            .filter(|k| k.facts.age_days.is_some_and(|a| a <= 90))
            .count(),
        rotation_compliance: if active.is_empty() {
            1.0
        } else {
            within as f64 / active.len() as f64
        },
        active_key_ages_days: ages.clone(),
        max_key_age_days: opts.max_key_age_days,
        max_unused_days: opts.max_unused_days,
        unused_keys: findings
            .iter()
            .filter(|f| f.rule_id == "iam.key-unused")
            .count(),
        users_two_active_keys: findings
            .iter()
            .filter(|f| f.rule_id == "iam.two-active-keys")
            .count(),
        users_without_mfa: findings
            .iter()
            .filter(|f| f.rule_id == "iam.no-mfa")
            .count(),
    };
    // The account's own policies, judged as IaC is.
    match super::live::findings(&iam, &account, &today).await {
        Ok(found) => findings.extend(found),
        Err(e) => problems.push(format!("live policies not analysed: {e}")),
    }
    let inventory = keys
        .iter()
        .map(|k| {
            let access = access.get(&k.user);
            crate::outcome::InventoryKey {
                account: account.clone(),
                user: k.user.clone(),
                key_id: k.key_id.clone(),
                state: if k.facts.state == KeyState::Active {
                    KeyState::Active
                } else {
                    KeyState::Inactive
                },
                created: k.facts.created.clone(),
                age_days: k.facts.age_days,
                last_used: k.facts.last_used.as_ref().map(|u| u.date[..10].to_string()),
                last_used_service: k.facts.last_used.as_ref().map(|u| u.service.clone()),
                last_used_region: k.facts.last_used.as_ref().map(|u| u.region.clone()),
                access: access.map(|a| a.level),
                path: access.and_then(|a| a.path.clone()),
                quarantine: access.and_then(|a| a.quarantine.clone()),
            }
        })
        .collect();
    Ok((findings, metrics, problems, inventory))
}

/// The account's root user and password policy: root MFA from the account summary (or the
/// report's root row), the password policy against CIS's (14 characters, 24 remembered).
async fn account_checks(
    iam: &aws_sdk_iam::Client,
    report: &HashMap<String, HashMap<String, String>>,
    push: &mut dyn FnMut(&str, &str, String),
    problems: &mut Vec<String>,
) {
    let root_mfa = match iam.get_account_summary().send().await {
        Ok(out) => out
            .summary_map()
            .and_then(|m| m.get(&aws_sdk_iam::types::SummaryKeyType::AccountMfaEnabled))
            .map(|&v| v == 1),
        Err(e) => {
            problems.push(format!(
                "root MFA not checked: {}",
                aws_error("iam:GetAccountSummary", e)
            ));
            None
        }
    }
    .or_else(|| {
        report
            .get("<root_account>")
            .and_then(|r| r.get("mfa_active"))
            .map(|v| v == "true")
    });
    if root_mfa == Some(false) {
        push(
            "iam.root-no-mfa",
            "<root_account>",
            "the root user has no MFA device".to_string(),
        );
    }
    match iam.get_account_password_policy().send().await {
        Ok(out) => {
            let Some(p) = out.password_policy() else {
                return;
            };
            let mut weak = Vec::new();
            let length = p.minimum_password_length().unwrap_or(0);
            if length < 14 {
                weak.push(format!("minimum length {length} (under 14)"));
            }
            let reuse = p.password_reuse_prevention().unwrap_or(0);
            if reuse < 24 {
                weak.push(format!("{reuse} passwords remembered (under 24)"));
            }
            if !weak.is_empty() {
                push(
                    "iam.password-policy",
                    "<password_policy>",
                    format!("the account's password policy is weak: {}", weak.join(", ")),
                );
            }
        }
        Err(e)
            if e.as_service_error()
                .and_then(aws_sdk_iam::error::ProvideErrorMetadata::code)
                == Some("NoSuchEntity") =>
        {
            push(
                "iam.password-policy",
                "<password_policy>",
                "the account has no password policy: IAM's default allows 8-character passwords, reused at will".to_string(),
            );
        }
        Err(e) => problems.push(format!(
            "password policy not checked: {}",
            aws_error("iam:GetAccountPasswordPolicy", e)
        )),
    }
}

/// The credential report as rows keyed by user, generated and polled until complete.
async fn credential_report(
    iam: &aws_sdk_iam::Client,
    timeout: Duration,
) -> Result<HashMap<String, HashMap<String, String>>, IamError> {
    let started = Instant::now();
    let mut wait = Duration::from_millis(200);
    loop {
        let state = iam
            .generate_credential_report()
            .send()
            .await
            .map_err(|e| aws_error("iam:GenerateCredentialReport", e))?;
        if state.state().map(|s| s.as_str()) == Some("COMPLETE") {
            break;
        }
        if started.elapsed() > timeout {
            return Err(IamError(format!(
                "the credential report was not ready within {}s",
                timeout.as_secs()
            )));
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(5));
    }
    let out = iam
        .get_credential_report()
        .send()
        .await
        .map_err(|e| aws_error("iam:GetCredentialReport", e))?;
    let text = out
        .content()
        .map(|b| String::from_utf8_lossy(b.as_ref()).into_owned())
        .unwrap_or_default();
    Ok(parse_report(&text))
}

/// The report's CSV: a header row, then one row per user (no field holds a comma).
fn parse_report(text: &str) -> HashMap<String, HashMap<String, String>> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let Ok(columns) = reader.headers().cloned() else {
        return HashMap::new();
    };
    reader
        .records()
        .filter_map(Result::ok)
        .filter_map(|record| {
            let row: HashMap<String, String> = columns
                .iter()
                .zip(record.iter())
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            Some((row.get("user")?.clone(), row))
        })
        .collect()
}

/// An audit finding, located at the IAM user (a logical location).
fn finding(
    rules: &Catalog,
    account: &str,
    rule_id: &str,
    user: &str,
    key: Option<&KeyRecord>,
    detail: String,
) -> Finding {
    let rule = rules.get(rule_id);
    let origin = Origin::Iam {
        account: account.to_string(),
        user: user.to_string(),
    };
    let digest = value_digest(&[
        account.as_bytes(),
        user.as_bytes(),
        key.map_or(b"" as &[u8], |k| k.key_id.as_bytes()),
    ]);
    let facts = Facts {
        key_id: key.map(|k| k.key_id.clone()),
        key_type: key.map(|_| crate::finding::KeyType::LongTerm),
        account_id: Some(account.to_string()),
        canary: false,
        iam: key.map(|k| k.facts.clone()),
    };
    let remedy = match (rule_id, key) {
        ("iam.key-too-old", Some(_)) => crate::remedy::for_key(&facts, false),
        ("iam.key-unused", Some(k)) => Remedy {
            summary: format!("Deactivate the unused key: aws iam update-access-key --user-name {} --access-key-id {} --status Inactive, then delete it", k.user, k.key_id),
            steps: vec![Step {
                text: "Delete it once nothing complains.".into(),
                command: Some(format!("aws iam delete-access-key --user-name {} --access-key-id {}", k.user, k.key_id)),
            }],
        },
        _ => Remedy {
            summary: rule.map_or_else(String::new, |r| r.remediation.clone()),
            steps: Vec::new(),
        },
    };
    Finding {
        rule_id: rule_id.to_string(),
        title: rule.map_or_else(|| rule_id.to_string(), |r| r.title.clone()),
        severity: rule.map_or(crate::finding::Severity::Medium, |r| r.severity),
        fingerprint: fingerprint(rule_id, origin.rel(), &digest),
        origin,
        location: Location {
            start: 0,
            end: 0,
            line: 1,
            column: 1,
            end_line: 1,
            end_column: 1,
        },
        related: Vec::new(),
        excerpt: String::new(),
        redacted: key.map_or_else(|| user.to_string(), |k| k.key_id.clone()),
        value_digest: digest,
        legacy_digest: None,
        facts,
        message: format!("account {account}: {detail}"),
        remedy,
        present_at_head: None,
        suppression: None,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn report_rows_are_keyed_by_user() {
        let csv = "user,arn,mfa_active,access_key_1_active\n<root_account>,arn:aws:iam::1:root,false,true\nalice,arn:aws:iam::1:user/alice,true,false\n\"ops,eu\",\"arn:aws:iam::1:user/ops,eu\",false,true\n";
        let rows = super::parse_report(csv);
        assert_eq!(rows["<root_account>"]["access_key_1_active"], "true");
        assert_eq!(rows["alice"]["mfa_active"], "true");
        // IAM user names may hold commas; the report quotes them.
        assert_eq!(rows["ops,eu"]["access_key_1_active"], "true");
    }
}

//! Live AWS: facts about found keys (`lookup`) and audits of whole accounts (`audit`).
//! Only `scan --iam` and `audit` come here; credentials and region come from `aws-config`'s
//! standard chain, and `AWS_ENDPOINT_URL` points the clients at any compatible endpoint.
//! A found secret is never used to sign anything, and canary-token keys are never sent.

pub mod audit;
pub mod blast;
pub mod live;
pub mod lookup;
pub mod rotate;
pub mod trail;

use std::future::Future;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

/// How keyrot reaches AWS.
#[derive(Clone, Debug)]
pub struct AwsOptions {
    pub profile: Option<String>,
    pub region: Option<String>,
    /// Per call, retries included.
    pub timeout: Duration,
    /// Calls in flight at once.
    pub concurrency: usize,
}

impl Default for AwsOptions {
    fn default() -> Self {
        AwsOptions {
            profile: None,
            region: None,
            timeout: Duration::from_secs(20),
            concurrency: 8,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct IamError(pub String);

/// `what: error`, with the SDK's whole cause chain on one line.
pub(crate) fn aws_error<E>(what: &str, err: aws_sdk_iam::error::SdkError<E>) -> IamError
where
    E: std::error::Error + aws_sdk_iam::error::ProvideErrorMetadata + 'static,
{
    use aws_sdk_iam::error::ProvideErrorMetadata as _;
    // A service's answer: its error code and message, and what to do about it.
    if let Some(code) = err.code() {
        let message = err.message().unwrap_or("no message");
        return IamError(format!("{what}: {code}: {message}{}", advice(what, code)));
    }
    // An answer without a code the SDK could read: its status and the start of its body.
    if let Some(raw) = err.raw_response() {
        let body = raw.body().bytes().unwrap_or_default();
        let text: String = String::from_utf8_lossy(&body[..body.len().min(300)])
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let status = raw.status().as_u16();
        let code = match status {
            401 | 403 => "AccessDenied",
            404 => "NotFound",
            _ => "",
        };
        return IamError(format!(
            "{what}: HTTP {status} {}{}",
            if text.is_empty() {
                "with no body".to_string()
            } else {
                format!("({text})")
            },
            if code.is_empty() {
                String::new()
            } else {
                advice(what, code)
            }
        ));
    }
    // No answer: why the call was not made or not answered, cause by cause.
    let chain = causes(&err);
    let mut message = format!("{what}: {err}{chain}");
    if chain.to_ascii_lowercase().contains("credential") {
        message.push_str(&format!("; {}", credential_sources()));
    }
    IamError(message)
}

/// An error's causes, each after `: `.
fn causes(err: &dyn std::error::Error) -> String {
    let mut chain = String::new();
    let mut source = err.source();
    while let Some(cause) = source {
        chain.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    chain
}

/// What to do about an AWS error code, for the call `what` (`iam:ListUsers`).
fn advice(what: &str, code: &str) -> String {
    let action = what.split_whitespace().next().unwrap_or(what);
    match code {
        c if c.starts_with("AccessDenied") || c == "UnauthorizedOperation" => format!(
            " (the credentials in use may not call {action}: allow it to them; the README's \"Live IAM\" lists every permission keyrot uses)"
        ),
        "InvalidClientTokenId" | "UnrecognizedClientException" | "SignatureDoesNotMatch" => {
            format!(" ({}; check AWS_PROFILE or AWS_ACCESS_KEY_ID)", credential_sources())
        }
        "ExpiredToken" | "ExpiredTokenException" | "RequestExpired" => {
            " (the session has expired: sign in again, e.g. aws sso login)".to_string()
        }
        "NoSuchEntity" | "NoSuchEntityException" => String::new(),
        "InvalidAction" | "UnknownOperationException" | "NotImplemented" => {
            " (this endpoint does not offer the operation: an emulator or a partition without it)"
                .to_string()
        }
        c if c.contains("Throttl") || c == "RequestLimitExceeded" => {
            " (throttled after retries: run again later, or with fewer accounts at once)".to_string()
        }
        _ => String::new(),
    }
}

/// The `--profile` given, for error messages.
static PROFILE: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();

fn profile_files() -> [String; 2] {
    let home = std::env::var("HOME").unwrap_or_default();
    [
        std::env::var("AWS_CONFIG_FILE").unwrap_or_else(|_| format!("{home}/.aws/config")),
        std::env::var("AWS_SHARED_CREDENTIALS_FILE")
            .unwrap_or_else(|_| format!("{home}/.aws/credentials")),
    ]
}

/// Whether `[profile]` or `[profile NAME]` heads a section of the config or credentials file.
fn profile_exists(profile: &str) -> bool {
    profile_files().iter().any(|f| {
        std::fs::read_to_string(f).is_ok_and(|text| {
            text.lines().any(|l| {
                let l = l.trim();
                l == format!("[{profile}]") || l == format!("[profile {profile}]")
            })
        })
    })
}

/// Where credentials were looked for, as the standard chain does, and what each held.
fn credential_sources() -> String {
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).is_some();
    let profile = PROFILE
        .get()
        .cloned()
        .flatten()
        .or_else(|| std::env::var("AWS_PROFILE").ok())
        .unwrap_or_else(|| "default".to_string());
    let files = profile_files();
    let in_files = profile_exists(&profile);
    let mut tried = vec![if env("AWS_ACCESS_KEY_ID") {
        "environment: AWS_ACCESS_KEY_ID is set".to_string()
    } else {
        "environment: no AWS_ACCESS_KEY_ID".to_string()
    }];
    tried.push(if in_files {
        format!("profile {profile}: found in {}", files.join(" or "))
    } else {
        format!("profile {profile}: not in {}", files.join(" or "))
    });
    if env("AWS_WEB_IDENTITY_TOKEN_FILE") {
        tried.push("web identity: AWS_WEB_IDENTITY_TOKEN_FILE is set".into());
    }
    if env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") || env("AWS_CONTAINER_CREDENTIALS_FULL_URI") {
        tried.push("container credentials: set".into());
    }
    tried.push(
        if std::env::var("AWS_EC2_METADATA_DISABLED").is_ok_and(|v| v.eq_ignore_ascii_case("true"))
        {
            "instance metadata: disabled".to_string()
        } else {
            "instance metadata (IMDS): tried last".to_string()
        },
    );
    format!(
        "credentials tried: {}; sign in (aws configure, aws sso login) or set AWS_PROFILE or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
        tried.join(", ")
    )
}

/// The shared SDK configuration: standard retries with backoff on throttling, a timeout per
/// call and per attempt. IAM is global; without a configured region, us-east-1 is used.
/// Fails, saying where it looked, when the named profile does not exist or no credentials
/// can be found, before any call is blamed on the last source tried (IMDS).
pub async fn sdk_config(opts: &AwsOptions) -> Result<SdkConfig, IamError> {
    let config = load_config(opts).await;
    if let Some(profile) = &opts.profile {
        if !profile_exists(profile) {
            return Err(IamError(format!(
                "--profile {profile}: no such profile; {}; create it with aws configure --profile {profile}",
                credential_sources()
            )));
        }
    }
    use aws_credential_types::provider::ProvideCredentials;
    let provider = config
        .credentials_provider()
        .ok_or_else(|| IamError(format!("no AWS credentials: {}", credential_sources())))?;
    if let Err(err) = provider.provide_credentials().await {
        return Err(IamError(format!(
            "no AWS credentials ({err}{}); {}",
            causes(&err),
            credential_sources()
        )));
    }
    Ok(config)
}

async fn load_config(opts: &AwsOptions) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::standard().with_max_attempts(4))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5).min(opts.timeout))
                .operation_attempt_timeout(opts.timeout / 2)
                .operation_timeout(opts.timeout)
                .build(),
        );
    let _ = PROFILE.set(opts.profile.clone());
    if let Some(profile) = &opts.profile {
        // A named profile wins over credentials in the environment, as with the AWS CLI.
        loader = loader.profile_name(profile).credentials_provider(
            aws_config::profile::ProfileFileCredentialsProvider::builder()
                .profile_name(profile)
                .build(),
        );
    }
    if let Some(region) = &opts.region {
        loader = loader.region(Region::new(region.clone()));
    }
    let config = loader.load().await;
    if config.region().is_none() {
        return config
            .into_builder()
            .region(Region::new("us-east-1"))
            .build();
    }
    config
}

/// A tokio runtime for one command; keyrot is synchronous everywhere else.
pub fn runtime() -> Result<tokio::runtime::Runtime, IamError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| IamError(format!("cannot start the AWS client runtime: {e}")))
}

/// One page of a `Marker`-paginated IAM listing: items and the next marker when truncated.
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

impl<T> Page<T> {
    /// A page of a listing whose response says `IsTruncated` and `Marker`.
    pub fn of(items: Vec<T>, truncated: bool, marker: Option<&str>) -> Page<T> {
        Page {
            items,
            next: marker.filter(|_| truncated).map(str::to_string),
        }
    }
}

/// A listing longer than this is an error, not memory without bound (a hostile or broken
/// endpoint can page forever with fresh markers).
const MAX_LISTED: usize = crate::limits::DEFAULT.aws_listed;

/// Follows `Marker`/`IsTruncated` pagination to the end. A marker seen twice ends the listing
/// with an error rather than a loop.
///
/// Kept instead of the SDK's paginators (`into_paginator()`), which are worse against an
/// endpoint keyrot does not control: they compare a marker only with the one just before it,
/// so markers that cycle A, B, A, B... never end the listing, and a marker repeated at once
/// ends it silently, losing the rest of the users or keys (aws-sdk-iam 1.133,
/// `operation/list_users/paginator.rs`, `stop_on_duplicate_token`).
pub async fn paginate<T, F, Fut>(what: &str, mut fetch: F) -> Result<Vec<T>, IamError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<Page<T>, IamError>>,
{
    let mut items = Vec::new();
    let mut marker = None;
    let mut seen = std::collections::HashSet::new();
    loop {
        let page = fetch(marker.clone()).await?;
        items.extend(page.items);
        if items.len() > MAX_LISTED {
            return Err(IamError(format!(
                "{what}: more than {MAX_LISTED} items; the listing was stopped there"
            )));
        }
        match page.next {
            Some(next) if !seen.insert(next.clone()) => {
                return Err(IamError(format!(
                    "{what}: the service repeated marker {next}"
                )));
            }
            Some(next) => marker = Some(next),
            None => return Ok(items),
        }
    }
}

/// The account the credentials in use belong to; failing here means AWS cannot be reached.
pub(crate) async fn caller_account(sts: &aws_sdk_sts::Client) -> Result<String, IamError> {
    let out = sts
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| aws_error("sts:GetCallerIdentity", e))?;
    Ok(out.account().unwrap_or_default().to_string())
}

/// A key's last recorded use, as `iam:GetAccessKeyLastUsed` tells it (`None`: no use
/// recorded).
pub(crate) async fn last_used(
    iam: &aws_sdk_iam::Client,
    key_id: &str,
) -> Result<Option<crate::finding::LastUse>, IamError> {
    let out = iam
        .get_access_key_last_used()
        .access_key_id(key_id)
        .send()
        .await
        .map_err(|e| aws_error("iam:GetAccessKeyLastUsed", e))?;
    Ok(last_use(out.access_key_last_used()))
}

/// A key's last recorded use, when IAM has one.
pub(crate) fn last_use(
    used: Option<&aws_sdk_iam::types::AccessKeyLastUsed>,
) -> Option<crate::finding::LastUse> {
    used.and_then(|u| {
        u.last_used_date().map(|d| crate::finding::LastUse {
            date: crate::time::rfc3339(secs(d)),
            service: u.service_name().to_string(),
            region: u.region().to_string(),
        })
    })
}

/// Seconds since the Unix epoch of an SDK date.
pub(crate) fn secs(date: &aws_smithy_types::DateTime) -> i64 {
    date.secs()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in for one paginated IAM call, since moto never truncates its listings.
    fn pages(
        n: usize,
    ) -> impl FnMut(Option<String>) -> std::future::Ready<Result<Page<usize>, IamError>> {
        move |marker| {
            let at: usize = marker.map_or(0, |m| m.parse().unwrap());
            let next = (at + 1 < n).then(|| (at + 1).to_string());
            std::future::ready(Ok(Page {
                items: vec![at * 10, at * 10 + 1],
                next,
            }))
        }
    }

    #[test]
    fn pagination_follows_markers_to_the_end() {
        let rt = runtime().unwrap();
        let items = rt.block_on(paginate("ListUsers", pages(3))).unwrap();
        assert_eq!(items, vec![0, 1, 10, 11, 20, 21]);
        let single = rt.block_on(paginate("ListUsers", pages(1))).unwrap();
        assert_eq!(single, vec![0, 1]);
    }

    #[test]
    fn a_repeated_marker_is_an_error_not_a_loop() {
        let rt = runtime().unwrap();
        let stuck = |_m: Option<String>| {
            std::future::ready(Ok(Page {
                items: vec![1],
                next: Some("same".to_string()),
            }))
        };
        let err = rt.block_on(paginate("ListAccessKeys", stuck)).unwrap_err();
        assert!(err.0.contains("repeated marker"), "{err}");
    }
}

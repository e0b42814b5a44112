//! CloudTrail evidence of a key's use: `LookupEvents` by `AccessKeyId` (paginated, at most
//! two calls a second, the API's limit per account and region), or the log files a trail
//! delivers to S3 (`AWSLogs/[ORG/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/*.json.gz`), read for
//! the account and the days of the window. Only `--cloudtrail` and `--cloudtrail-s3` come
//! here. `summarize` turns events into `finding::Usage`, with the leak's time when known.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;
use std::time::Duration;

use super::{aws_error, paginate, IamError, Page};
use crate::finding::Usage;

/// One recorded call made with the key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrailEvent {
    /// Seconds since the epoch.
    pub time: i64,
    pub name: String,
    pub source_ip: String,
    pub user_agent: String,
}

/// Where the events come from.
#[derive(Clone, Debug)]
pub enum Source {
    LookupEvents,
    /// `s3://bucket/prefix`.
    S3 {
        bucket: String,
        prefix: String,
    },
}

impl Source {
    pub fn parse_s3(url: &str) -> Result<Source, String> {
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| format!("--cloudtrail-s3 {url}: not an s3://bucket/prefix URL"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(format!("--cloudtrail-s3 {url}: no bucket"));
        }
        Ok(Source::S3 {
            bucket: bucket.to_string(),
            prefix: prefix.trim_matches('/').to_string(),
        })
    }

    fn name(&self) -> &'static str {
        match self {
            Source::LookupEvents => "cloudtrail",
            Source::S3 { .. } => "cloudtrail-s3",
        }
    }
}

/// Budgets on what a trail may make keyrot read.
const MAX_EVENTS: usize = crate::limits::DEFAULT.trail_events;
const MAX_OBJECTS: usize = crate::limits::DEFAULT.trail_objects;
const MAX_OBJECT_BYTES: u64 = crate::limits::DEFAULT.trail_object_bytes;
/// LookupEvents allows two requests a second per account and region.
const LOOKUP_INTERVAL: Duration = Duration::from_millis(500);

/// Events of each key (of `account`) between `from` and `to` (seconds), one fetch per key.
pub async fn events(
    config: &aws_config::SdkConfig,
    source: &Source,
    account: &str,
    keys: &[String],
    from: i64,
    to: i64,
) -> HashMap<String, Result<Vec<TrailEvent>, String>> {
    let mut out = HashMap::new();
    match source {
        Source::LookupEvents => {
            let ct = aws_sdk_cloudtrail::Client::new(config);
            for key in keys {
                out.insert(
                    key.clone(),
                    lookup(&ct, key, from, to).await.map_err(|e| e.0),
                );
            }
        }
        Source::S3 { bucket, prefix } => {
            let mut s3 = aws_sdk_s3::config::Builder::from(config);
            // A local or compatible endpoint (the tests' moto) needs path-style addressing.
            if std::env::var_os("AWS_ENDPOINT_URL").is_some()
                || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some()
            {
                s3 = s3.force_path_style(true);
            }
            let s3 = aws_sdk_s3::Client::from_conf(s3.build());
            let all = delivered(&s3, bucket, prefix, account, from, to).await;
            for key in keys {
                let got = match &all {
                    Ok(records) => Ok(records
                        .iter()
                        .filter(|(k, _)| k == key)
                        .map(|(_, e)| e.clone())
                        .collect()),
                    Err(e) => Err(e.0.clone()),
                };
                out.insert(key.clone(), got);
            }
        }
    }
    out
}

/// One page of `LookupEvents` for a key over `from..to`.
async fn lookup_page(
    ct: &aws_sdk_cloudtrail::Client,
    key: &str,
    (from, to): (i64, i64),
    token: Option<String>,
) -> Result<aws_sdk_cloudtrail::operation::lookup_events::LookupEventsOutput, IamError> {
    use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
    let attribute = LookupAttribute::builder()
        .attribute_key(LookupAttributeKey::AccessKeyId)
        .attribute_value(key)
        .build()
        .map_err(|e| IamError(format!("cloudtrail:LookupEvents: {e}")))?;
    ct.lookup_events()
        .lookup_attributes(attribute)
        .start_time(aws_smithy_types::DateTime::from_secs(from))
        .end_time(aws_smithy_types::DateTime::from_secs(to))
        .set_next_token(token)
        .send()
        .await
        .map_err(|e| aws_error("cloudtrail:LookupEvents", e))
}

/// An event's `CloudTrailEvent` record, parsed (`null` when absent or not JSON).
fn detail(e: &aws_sdk_cloudtrail::types::Event) -> serde_json::Value {
    e.cloud_trail_event()
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_default()
}

/// `LookupEvents` for one key, every page (`paginate`: a repeated token is an error), paced.
async fn lookup(
    ct: &aws_sdk_cloudtrail::Client,
    key: &str,
    from: i64,
    to: i64,
) -> Result<Vec<TrailEvent>, IamError> {
    paginate("cloudtrail:LookupEvents", |token| async move {
        tokio::time::sleep(LOOKUP_INTERVAL).await;
        let out = lookup_page(ct, key, (from, to), token).await?;
        let events = out
            .events()
            .iter()
            .map(|e| {
                let detail = detail(e);
                TrailEvent {
                    time: e.event_time().map(super::secs).unwrap_or(0),
                    name: e.event_name().unwrap_or("?").to_string(),
                    source_ip: detail["sourceIPAddress"]
                        .as_str()
                        .unwrap_or("?")
                        .to_string(),
                    user_agent: detail["userAgent"].as_str().unwrap_or("?").to_string(),
                }
            })
            .collect();
        Ok(Page {
            items: events,
            next: out.next_token().map(str::to_string),
        })
    })
    .await
}

/// The role a temporary key's session was issued by, from the first page of calls CloudTrail
/// recorded with it over the last 90 days (`userIdentity.sessionContext.sessionIssuer.userName`
/// of a `Role` issuer).
pub async fn session_issuer(
    ct: &aws_sdk_cloudtrail::Client,
    key: &str,
    now: i64,
) -> Result<Option<String>, IamError> {
    let out = lookup_page(ct, key, (now - 90 * 86_400, now), None).await?;
    Ok(out.events().iter().find_map(|e| {
        let issuer = &detail(e)["userIdentity"]["sessionContext"]["sessionIssuer"];
        (issuer["type"] == "Role")
            .then(|| issuer["userName"].as_str().map(str::to_string))
            .flatten()
    }))
}

/// Every record of the account's delivered log files for the days of the window, as
/// `(access key id, event)`.
async fn delivered(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
    account: &str,
    from: i64,
    to: i64,
) -> Result<Vec<(String, TrailEvent)>, IamError> {
    let days: BTreeSet<String> = (from.div_euclid(86_400)..=to.div_euclid(86_400))
        .map(|d| crate::time::day(d * 86_400).replace('-', "/"))
        .collect();
    let base = if prefix.is_empty() {
        "AWSLogs/".to_string()
    } else {
        format!("{prefix}/AWSLogs/")
    };
    let wanted = format!("/{account}/CloudTrail/");
    let objects: Vec<String> = paginate("s3:ListObjectsV2", |token| {
        let (base, wanted, days) = (&base, &wanted, &days);
        async move {
            let out = s3
                .list_objects_v2()
                .bucket(bucket)
                .prefix(base)
                .set_continuation_token(token)
                .send()
                .await
                .map_err(|e| aws_error("s3:ListObjectsV2", e))?;
            // AWSLogs/[ORG/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/file.json.gz
            let ours = out
                .contents()
                .iter()
                .filter_map(|o| o.key())
                .filter(|key| {
                    let day = key
                        .split("/CloudTrail/")
                        .nth(1)
                        .and_then(|r| r.split_once('/'))
                        .map(|(_, rest)| rest.get(..10).unwrap_or(""));
                    key.contains(wanted.as_str())
                        && day.is_some_and(|d| days.contains(d))
                        && key.ends_with(".json.gz")
                })
                .map(str::to_string)
                .collect();
            Ok(Page::of(
                ours,
                out.is_truncated() == Some(true),
                out.next_continuation_token(),
            ))
        }
    })
    .await?;
    if objects.len() > MAX_OBJECTS {
        return Err(IamError(format!(
            "s3://{bucket}/{base}: more than {MAX_OBJECTS} log files in the window"
        )));
    }
    let mut records = Vec::new();
    for key in objects {
        let body = s3
            .get_object()
            .bucket(bucket)
            .key(&key)
            .send()
            .await
            .map_err(|e| aws_error("s3:GetObject", e))?
            .body
            .collect()
            .await
            .map_err(|e| IamError(format!("s3:GetObject {key}: {e}")))?
            .into_bytes();
        let mut text = String::new();
        flate2::read::GzDecoder::new(&body[..])
            .take(MAX_OBJECT_BYTES)
            .read_to_string(&mut text)
            .map_err(|e| IamError(format!("s3://{bucket}/{key}: not gzipped JSON: {e}")))?;
        let log: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            IamError(format!(
                "s3://{bucket}/{key}: not a CloudTrail log file: {e}"
            ))
        })?;
        for r in log["Records"].as_array().into_iter().flatten() {
            let Some(key_id) = r["userIdentity"]["accessKeyId"].as_str() else {
                continue;
            };
            let time = r["eventTime"]
                .as_str()
                .and_then(crate::time::parse_rfc3339)
                .unwrap_or(0);
            if time < from || time > to {
                continue;
            }
            records.push((
                key_id.to_string(),
                TrailEvent {
                    time,
                    name: r["eventName"].as_str().unwrap_or("?").to_string(),
                    source_ip: r["sourceIPAddress"].as_str().unwrap_or("?").to_string(),
                    user_agent: r["userAgent"].as_str().unwrap_or("?").to_string(),
                },
            ));
            if records.len() > MAX_EVENTS {
                return Err(IamError(format!(
                    "s3://{bucket}/{base}: more than {MAX_EVENTS} events in the window"
                )));
            }
        }
    }
    Ok(records)
}

/// The facts of a key's events; `leak` is when the secret was committed, when known.
pub fn summarize(
    source: &Source,
    events: &Result<Vec<TrailEvent>, String>,
    from: i64,
    to: i64,
    leak: Option<i64>,
) -> Usage {
    let mut usage = Usage {
        source: source.name().to_string(),
        from: crate::time::rfc3339(from),
        to: crate::time::rfc3339(to),
        ..Usage::default()
    };
    let events = match events {
        Ok(events) => events,
        Err(e) => {
            usage.error = Some(e.clone());
            return usage;
        }
    };
    usage.events = events.len();
    usage.first = events
        .iter()
        .map(|e| e.time)
        .min()
        .map(crate::time::rfc3339);
    usage.last = events
        .iter()
        .map(|e| e.time)
        .max()
        .map(crate::time::rfc3339);
    let ips: BTreeSet<&str> = events.iter().map(|e| e.source_ip.as_str()).collect();
    usage.source_ips = ips.into_iter().map(str::to_string).collect();
    let agents: BTreeSet<&str> = events.iter().map(|e| e.user_agent.as_str()).collect();
    usage.user_agents = agents.into_iter().take(20).map(str::to_string).collect();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for e in events {
        *counts.entry(e.name.as_str()).or_default() += 1;
    }
    let mut top: Vec<(String, usize)> = counts
        .into_iter()
        .map(|(n, c)| (n.to_string(), c))
        .collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    top.truncate(10);
    usage.top_events = top;
    if let Some(leak) = leak {
        let before: BTreeSet<&str> = events
            .iter()
            .filter(|e| e.time < leak)
            .map(|e| e.source_ip.as_str())
            .collect();
        let after: BTreeSet<&str> = events
            .iter()
            .filter(|e| e.time >= leak)
            .map(|e| e.source_ip.as_str())
            .collect();
        usage.used_after_leak = Some(!after.is_empty());
        usage.new_ips_after_leak = after.difference(&before).map(|s| s.to_string()).collect();
    }
    usage
}

/// Fetches the events of `keys` (all of `account`, the caller's) over the last `days` days
/// before `now`.
pub fn fetch(
    aws: &super::AwsOptions,
    source: &Source,
    account: &str,
    keys: &[String],
    window: (i64, i64),
) -> Result<HashMap<String, Result<Vec<TrailEvent>, String>>, IamError> {
    let rt = super::runtime()?;
    rt.block_on(async {
        let config = super::sdk_config(aws).await?;
        Ok(events(&config, source, account, keys, window.0, window.1).await)
    })
}

/// Adds each key's usage to its findings; a possible compromise (used after the leak from an
/// address never seen before it) becomes critical, with the incident steps first.
pub fn apply(
    findings: &mut [crate::finding::Finding],
    events: &HashMap<String, Result<Vec<TrailEvent>, String>>,
    source: &Source,
    window: (i64, i64),
) {
    use crate::finding::{Origin, Severity, Step};
    for f in findings.iter_mut() {
        let Some(key) = f.facts.key_id.clone() else {
            continue;
        };
        let Some(found) = events.get(&key) else {
            continue;
        };
        let leak = match &f.origin {
            Origin::Commit { commit, .. } => Some(commit.time),
            _ => None,
        };
        let usage = summarize(source, found, window.0, window.1, leak);
        let line = match (&usage.error, usage.events) {
            (Some(e), _) => format!("CloudTrail: no evidence ({e})"),
            (None, 0) => format!("CloudTrail: no use recorded since {}", &usage.from[..10]),
            (None, n) => format!(
                "CloudTrail: {n} calls from {} to {} from {} ({})",
                usage.first.as_deref().map_or("?", |d| &d[..10]),
                usage.last.as_deref().map_or("?", |d| &d[..10]),
                usage.source_ips.join(", "),
                usage
                    .top_events
                    .iter()
                    .take(3)
                    .map(|(n, c)| format!("{n} x{c}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        f.message.push_str(&format!("; {line}"));
        if usage.possible_compromise() {
            f.severity = Severity::Critical;
            f.message.push_str(&format!(
                "; POSSIBLE COMPROMISE: used after the commit that leaked it from addresses never seen before: {}",
                usage.new_ips_after_leak.join(", ")
            ));
            let user = f
                .facts
                .iam
                .as_ref()
                .and_then(|i| i.user.clone())
                .unwrap_or_else(|| "USER_NAME".into());
            let mut steps = vec![
                Step::new(
                    "Deactivate the key now (it stays as evidence).",
                    Some(format!("keyrot revoke {key} --execute")),
                ),
                Step::new(
                    "Review every call made with it since the leak.",
                    Some(format!("aws cloudtrail lookup-events --lookup-attributes AttributeKey=AccessKeyId,AttributeValue={key} --start-time {}", crate::time::rfc3339(leak.unwrap_or(window.0)))),
                ),
                Step::new(
                    "Rotate what the key could reach: its user's other keys and passwords, and secrets it could read.",
                    Some(format!("keyrot rotate --user {user} --key-id {key} --execute")),
                ),
            ];
            steps.append(&mut f.remedy.steps);
            f.remedy.steps = steps;
        }
        if let Some(iam) = f.facts.iam.as_mut() {
            iam.usage = Some(usage);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(time: i64, ip: &str) -> TrailEvent {
        TrailEvent {
            time,
            name: "GetCallerIdentity".into(),
            source_ip: ip.into(),
            user_agent: "aws-cli".into(),
        }
    }

    #[test]
    fn use_after_the_leak_from_a_new_address_is_a_possible_compromise() {
        let events = Ok(vec![
            ev(100, "10.0.0.1"),
            ev(300, "10.0.0.1"),
            ev(400, "203.0.113.9"),
        ]);
        let u = summarize(&Source::LookupEvents, &events, 0, 1000, Some(200));
        assert_eq!(u.events, 3);
        assert_eq!(u.used_after_leak, Some(true));
        assert_eq!(u.new_ips_after_leak, vec!["203.0.113.9".to_string()]);
        assert!(u.possible_compromise());
        // The same address as before the leak: used after it, but not from anywhere new.
        let known = Ok(vec![ev(100, "10.0.0.1"), ev(300, "10.0.0.1")]);
        let u = summarize(&Source::LookupEvents, &known, 0, 1000, Some(200));
        assert_eq!(u.used_after_leak, Some(true));
        assert!(!u.possible_compromise());
        // No leak time (a tree scan): no judgement.
        let u = summarize(&Source::LookupEvents, &events, 0, 1000, None);
        assert_eq!(u.used_after_leak, None);
        assert!(!u.possible_compromise());
    }

    #[test]
    fn s3_urls() {
        assert!(
            matches!(Source::parse_s3("s3://b/p/q/"), Ok(Source::S3 { bucket, prefix }) if bucket == "b" && prefix == "p/q")
        );
        assert!(Source::parse_s3("https://b").is_err());
        assert!(Source::parse_s3("s3:///x").is_err());
    }
}

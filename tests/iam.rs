//! Live IAM against a real IAM API: `moto_server` (PyPI `moto[server]`) on loopback, started
//! once for this test binary. Users and keys are made through the AWS SDK, planted in files,
//! and looked up by the real binary.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region};
use aws_credential_types::Credentials;

use crate::util::{Dir, Run};

const CALLER_ACCOUNT: &str = "123456789012";

/// The moto server's URL, started on first use; it stops when this test process ends.
fn moto() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| start_moto(""))
}

/// A second moto server that enforces IAM policies after its first `ENFORCING_SETUP` requests
/// (moto's `INITIAL_NO_AUTH_ACTION_COUNT`), so that the calls a policy denies fail as in AWS;
/// those requests make an auditor denied the credential report, its allowed twin, and a user
/// with a key to find.
struct Enforcing {
    url: String,
    denied: (String, String),
    allowed: (String, String),
}

const ENFORCING_SETUP: usize = 8;

fn moto_enforcing() -> &'static Enforcing {
    static SERVER: OnceLock<Enforcing> = OnceLock::new();
    SERVER.get_or_init(|| {
        let url = start_moto(&format!("INITIAL_NO_AUTH_ACTION_COUNT={ENFORCING_SETUP}"));
        rt().block_on(async {
            let config = aws_config::defaults(BehaviorVersion::latest())
                .endpoint_url(&url)
                .region(Region::new("us-east-1"))
                .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
                .load()
                .await;
            let iam = aws_sdk_iam::Client::new(&config);
            let key = |user: &'static str| {
                let iam = iam.clone();
                async move {
                    let out = iam.create_access_key().user_name(user).send().await.unwrap();
                    let k = out.access_key().unwrap();
                    (k.access_key_id().to_string(), k.secret_access_key().to_string())
                }
            };
            let all = r#"{"Effect": "Allow", "Action": "*", "Resource": "*"}"#;
            let deny = r#"{"Effect": "Deny", "Action": ["iam:GenerateCredentialReport", "iam:GetCredentialReport"], "Resource": "*"}"#;
            // 8 requests, ENFORCING_SETUP.
            for (user, statements) in [
                ("auditor-denied", format!("[{all}, {deny}]")),
                ("auditor-allowed", format!("[{all}]")),
            ] {
                iam.create_user().user_name(user).send().await.unwrap();
                iam.put_user_policy()
                    .user_name(user)
                    .policy_name("audit")
                    .policy_document(format!(r#"{{"Version": "2012-10-17", "Statement": {statements}}}"#))
                    .send()
                    .await
                    .unwrap();
            }
            iam.create_user().user_name("enforced-bob").send().await.unwrap();
            let denied = key("auditor-denied").await;
            let allowed = key("auditor-allowed").await;
            key("enforced-bob").await;
            Enforcing {
                url,
                denied,
                allowed,
            }
        })
    })
}

fn start_moto(extra_env: &str) -> String {
    {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let server = std::env::var_os("KEYROT_MOTO_SERVER")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join(".tools/venv/bin/moto_server"));
        assert!(
            server.is_file(),
            "moto_server is missing at {}: run ./scripts/test, which installs it (pip install 'moto[server]' into .tools/venv)",
            server.display()
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // A watchdog shell ends the server when this test process is gone.
        // AWS-managed policies (AdministratorAccess...) exist, as in a real account.
        let script = format!(
            "MOTO_IAM_LOAD_MANAGED_POLICIES=true {extra_env} '{}' -H 127.0.0.1 -p {port} >/dev/null 2>&1 & m=$!; trap 'kill $m' EXIT; while kill -0 {} 2>/dev/null; do sleep 1; done",
            server.display(),
            std::process::id()
        );
        // Never waited on: the watchdog lives as long as this process and reaps the server.
        #[allow(clippy::zombie_processes)]
        Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .spawn()
            .expect("start moto_server");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "moto_server did not start on port {port}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        format!("http://127.0.0.1:{port}")
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// SDK clients signed in to moto, as the default account or as a role assumed in `account`.
async fn clients(account: Option<&str>) -> (aws_sdk_iam::Client, aws_sdk_sts::Client) {
    let base = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(moto())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .load()
        .await;
    let config = match account {
        None => base,
        Some(account) => {
            let sts = aws_sdk_sts::Client::new(&base);
            let c = sts
                .assume_role()
                .role_arn(format!("arn:aws:iam::{account}:role/keyrot-audit"))
                .role_session_name("keyrot-tests")
                .send()
                .await
                .unwrap();
            let c = c.credentials().unwrap();
            let creds = Credentials::new(
                c.access_key_id(),
                c.secret_access_key(),
                Some(c.session_token().to_string()),
                None,
                "assumed",
            );
            base.into_builder()
                .credentials_provider(
                    aws_credential_types::provider::SharedCredentialsProvider::new(creds),
                )
                .build()
        }
    };
    (
        aws_sdk_iam::Client::new(&config),
        aws_sdk_sts::Client::new(&config),
    )
}

/// Creates a user (if needed) and an access key for it: `(key id, secret)`.
fn create_key(account: Option<&str>, user: &str) -> (String, String) {
    rt().block_on(async {
        let (iam, _) = clients(account).await;
        let _ = iam.create_user().user_name(user).send().await;
        let key = iam
            .create_access_key()
            .user_name(user)
            .send()
            .await
            .unwrap();
        let key = key.access_key().unwrap();
        (
            key.access_key_id().to_string(),
            key.secret_access_key().to_string(),
        )
    })
}

/// Signs one request with the key, so IAM records its last use.
fn use_key(key: &(String, String)) {
    rt().block_on(async {
        let config = aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(moto())
            .region(Region::new("eu-west-1"))
            .credentials_provider(Credentials::new(
                key.0.clone(),
                key.1.clone(),
                None,
                None,
                "test",
            ))
            .load()
            .await;
        aws_sdk_sts::Client::new(&config)
            .get_caller_identity()
            .send()
            .await
            .unwrap();
    })
}

fn set_status(user: &str, key: &str, status: &str) {
    rt().block_on(async {
        let (iam, _) = clients(None).await;
        iam.update_access_key()
            .user_name(user)
            .access_key_id(key)
            .status(status.into())
            .send()
            .await
            .unwrap();
    })
}

fn delete_key(user: &str, key: &str) {
    rt().block_on(async {
        let (iam, _) = clients(None).await;
        iam.delete_access_key()
            .user_name(user)
            .access_key_id(key)
            .send()
            .await
            .unwrap();
    })
}

/// Runs keyrot with credentials for moto's default account and no user configuration.
fn keyrot_aws(cwd: &Path, endpoint: &str, args: &[&str]) -> Run {
    keyrot_aws_env(cwd, &[("AWS_ENDPOINT_URL", endpoint)], args)
}

/// `YYYY-MM-DD`, `days` from today.
/// `keyrot audit` of `accounts` through the role the tests create, in `format`, then `more`.
fn audit(cwd: &Path, accounts: &str, format: &str, more: &[&str]) -> Run {
    let mut args = vec![
        "audit",
        "--role-name",
        "keyrot-audit",
        "--accounts",
        accounts,
        "--format",
        format,
    ];
    args.extend_from_slice(more);
    keyrot_aws(cwd, moto(), &args)
}

fn date_in(days: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    keyrot::time::rfc3339(now + days * 86_400)[..10].to_string()
}

fn finding_for<'a>(report: &'a serde_json::Value, key: &str) -> &'a serde_json::Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["facts"]["key_id"] == key)
        .unwrap_or_else(|| panic!("no finding for {key}: {report:#}"))
}

#[test]
fn scan_iam_names_owner_status_age_and_last_use() {
    let pair = create_key(None, "scan-alice");
    use_key(&pair);
    let lone = create_key(None, "scan-bob");
    let dir = Dir::new();
    dir.write(
        "settings.py",
        format!(
            "AWS_ACCESS_KEY_ID = '{}'\nAWS_SECRET_ACCESS_KEY = '{}'\n",
            pair.0, pair.1
        ),
    );
    dir.write("lone.py", format!("KEY = '{}'\n", lone.0));
    let as_of = date_in(200);
    let run = keyrot_aws(
        dir.path(),
        moto(),
        &["scan", "--iam", "--as-of", &as_of, "--format", "json"],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();

    let f = finding_for(&report, &pair.0);
    let iam = &f["facts"]["iam"];
    assert_eq!(iam["state"], "active");
    assert_eq!(iam["user"], "scan-alice");
    assert_eq!(iam["account"], CALLER_ACCOUNT);
    let age = iam["age_days"].as_i64().unwrap();
    assert!((199..=200).contains(&age), "age {age}");
    assert_eq!(iam["created"].as_str().unwrap()[..10], date_in(0));
    assert_eq!(iam["last_used"]["service"], "sts");
    assert_eq!(iam["last_used"]["date"].as_str().unwrap()[..10], date_in(0));
    assert_eq!(f["severity"], "critical");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("over the 90-day rotation policy"),
        "{f:#}"
    );
    let commands: Vec<&str> = f["remedy"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["command"].as_str())
        .collect();
    assert!(commands.iter().any(|c| c == &format!("aws iam update-access-key --user-name scan-alice --access-key-id {} --status Inactive", pair.0)), "{commands:?}");
    assert!(commands
        .iter()
        .any(|c| c.starts_with("aws iam create-access-key --user-name scan-alice")));

    // An old lone key goes up a level, and says it was never used.
    let g = finding_for(&report, &lone.0);
    assert_eq!(g["severity"], "critical");
    assert!(
        g["message"].as_str().unwrap().contains("never used"),
        "{g:#}"
    );
    assert!(
        g["message"]
            .as_str()
            .unwrap()
            .contains("(severity high -> critical)"),
        "{g:#}"
    );

    // Within policy: no change of severity.
    let today = keyrot_aws(dir.path(), moto(), &["scan", "--iam", "--format", "json"]).json();
    assert_eq!(finding_for(&today, &lone.0)["severity"], "high");
    let policy = keyrot_aws(
        dir.path(),
        moto(),
        &[
            "scan",
            "--iam",
            "--as-of",
            &date_in(30),
            "--max-key-age",
            "10",
            "--format",
            "json",
        ],
    )
    .json();
    assert_eq!(finding_for(&policy, &lone.0)["severity"], "critical");
}

#[test]
fn inactive_deleted_and_foreign_keys() {
    let inactive = create_key(None, "scan-carol");
    set_status("scan-carol", &inactive.0, "Inactive");
    let deleted = create_key(None, "scan-dave");
    delete_key("scan-dave", &deleted.0);
    let foreign = create_key(Some("111111111111"), "someone-else");
    let dir = Dir::new();
    dir.write(
        "a.py",
        format!(
            "A = '{}'\n\n\n\n\n\n\n\nB = '{}'\n\n\n\n\n\n\n\nC = '{}'\n",
            inactive.0, deleted.0, foreign.0
        ),
    );
    let report = keyrot_aws(dir.path(), moto(), &["scan", "--iam", "--format", "json"]).json();
    let a = finding_for(&report, &inactive.0);
    assert_eq!(a["facts"]["iam"]["state"], "inactive");
    assert_eq!(a["severity"], "medium");
    assert!(
        a["remedy"]["summary"]
            .as_str()
            .unwrap()
            .contains("delete-access-key --user-name scan-carol"),
        "{a:#}"
    );
    let b = finding_for(&report, &deleted.0);
    assert_eq!(b["facts"]["iam"]["state"], "deleted");
    assert_eq!(b["severity"], "low");
    assert!(
        b["message"].as_str().unwrap().contains("no longer exists"),
        "{b:#}"
    );
    let c = finding_for(&report, &foreign.0);
    assert_eq!(c["facts"]["iam"]["state"], "other-account");
    assert_eq!(c["facts"]["iam"]["account"], "111111111111");
    assert!(
        c["facts"]["iam"]["user"].is_null(),
        "no further calls for a foreign key"
    );
}

#[test]
fn an_unreachable_endpoint_leaves_the_offline_findings() {
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{closed}");
    let dir = Dir::new();
    dir.write("a.py", "K = 'AKIAYGTTU3F4ZNIBPSU4'\n");
    let run = keyrot_aws(
        dir.path(),
        &endpoint,
        &["scan", "--iam", "--aws-timeout", "3", "--format", "json"],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.json()["findings"][0]["severity"], "high");
    let lines: Vec<&str> = run.stderr.lines().filter(|l| l.contains("--iam")).collect();
    assert_eq!(lines.len(), 1, "{}", run.stderr);
    assert!(lines[0].contains("cannot reach AWS"), "{}", run.stderr);
    let required = keyrot_aws(
        dir.path(),
        &endpoint,
        &["scan", "--iam", "--iam-required", "--aws-timeout", "3"],
    );
    assert_eq!(required.code, 2, "{}", required.stderr);
    assert!(
        required.stderr.contains("cannot reach AWS"),
        "{}",
        required.stderr
    );
}

#[test]
fn a_slow_endpoint_times_out() {
    // Accepts connections and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let held = std::thread::spawn(move || {
        let mut open = Vec::new();
        listener.set_nonblocking(true).unwrap();
        let until = Instant::now() + Duration::from_secs(30);
        while Instant::now() < until {
            if let Ok((stream, _)) = listener.accept() {
                open.push(stream);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    let dir = Dir::new();
    dir.write("a.py", "K = 'AKIAYGTTU3F4ZNIBPSU4'\n");
    let run = keyrot_aws(
        dir.path(),
        &endpoint,
        &["scan", "--iam", "--aws-timeout", "2"],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("cannot reach AWS"), "{}", run.stderr);
    drop(held);
}

#[test]
fn canary_keys_are_never_sent() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let run = keyrot_aws(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &endpoint,
        &["scan", "--iam", "fixtures/leaks/ops/honeytoken.cfg"],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        listener.accept().is_err(),
        "no connection may be made for a canary token"
    );
}

/// Runs `f` with an IAM client of moto's default account.
fn with_iam<F, Fut>(f: F)
where
    F: FnOnce(aws_sdk_iam::Client) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    rt().block_on(async {
        let (iam, _) = clients(None).await;
        f(iam).await
    })
}

#[test]
fn scan_iam_gives_each_key_its_blast_radius() {
    let admin = create_key(None, "br-admin");
    let escalate = create_key(None, "br-escalate");
    let reader = create_key(None, "br-reader");
    with_iam(|iam| async move {
        // Administrator through a group, with AWS's own managed policy (fetched, not named).
        iam.create_group()
            .group_name("br-admins")
            .send()
            .await
            .unwrap();
        iam.attach_group_policy()
            .group_name("br-admins")
            .policy_arn("arn:aws:iam::aws:policy/AdministratorAccess")
            .send()
            .await
            .unwrap();
        iam.add_user_to_group()
            .group_name("br-admins")
            .user_name("br-admin")
            .send()
            .await
            .unwrap();
        iam.put_user_policy()
            .user_name("br-escalate")
            .policy_name("versions")
            .policy_document(r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": "*"}]}"#)
            .send()
            .await
            .unwrap();
        iam.put_user_policy()
            .user_name("br-reader")
            .policy_name("read")
            .policy_document(r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": ["arn:aws:s3:::reports", "arn:aws:s3:::reports/*"]}]}"#)
            .send()
            .await
            .unwrap();
    });
    let dir = Dir::new();
    dir.write(
        "keys.txt",
        format!(
            "admin {}\n\nescalate {}\n\nreader {}\n",
            admin.0, escalate.0, reader.0
        ),
    );
    // Offline, moto's keys (account 123456789012, AWS's documentation account) are examples;
    // only the live lookup can tell they are live there.
    let plain = crate::util::keyrot_in(dir.path(), &["scan", "--format", "json"]).json();
    assert_eq!(plain["findings"], serde_json::json!([]), "{plain:#}");
    assert!(
        plain["summary"]["dropped"]
            .to_string()
            .contains("documentation example"),
        "{plain:#}"
    );
    // The severity of a lone key ID of any other account, offline.
    let other = Dir::new();
    other.write("keys.txt", "reader AKIAYGTTU3F4ZNIBPSU4\n");
    let plain = crate::util::keyrot_in(other.path(), &["scan", "--format", "json"]).json();
    let base = finding_for(&plain, "AKIAYGTTU3F4ZNIBPSU4")["severity"].clone();
    assert_ne!(
        base, "critical",
        "a lone key ID is not critical by itself: {plain:#}"
    );
    let run = keyrot_aws(dir.path(), moto(), &["scan", "--iam", "--format", "json"]);
    assert!(run.code <= 1, "{}", run.stderr);
    let report = run.json();

    let a = finding_for(&report, &admin.0);
    assert_eq!(a["facts"]["iam"]["access"]["level"], "admin", "{a:#}");
    assert_eq!(a["severity"], "critical");
    assert!(
        a["facts"]["iam"]["access"]["policies"]
            .as_array()
            .unwrap()
            .contains(&"group br-admins: attached AdministratorAccess".into()),
        "{a:#}"
    );
    assert!(
        a["message"].as_str().unwrap().contains("administrator"),
        "{a:#}"
    );

    let e = finding_for(&report, &escalate.0);
    assert_eq!(
        e["facts"]["iam"]["access"]["level"], "can-escalate",
        "{e:#}"
    );
    assert_eq!(e["severity"], "critical");
    assert!(
        e["facts"]["iam"]["access"]["path"]
            .as_str()
            .unwrap()
            .contains("iam:CreatePolicyVersion"),
        "{e:#}"
    );

    let r = finding_for(&report, &reader.0);
    assert_eq!(r["facts"]["iam"]["access"]["level"], "read-only", "{r:#}");
    assert_eq!(r["severity"], base, "a read-only key is not raised: {r:#}");
}

/// A key's blast radius dates its user's time-bound grants at `--as-of`'s day, as scans and
/// audits do: before the grant's end the key can escalate, after it the grant never holds.
#[test]
fn scan_iam_dates_time_bound_grants_at_the_as_of_day() {
    let key = create_key(None, "br-until");
    with_iam(|iam| async move {
        iam.put_user_policy()
            .user_name("br-until")
            .policy_name("until-2040")
            .policy_document(r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": "*", "Condition": {"DateLessThan": {"aws:CurrentTime": "2040-01-01T00:00:00Z"}}}]}"#)
            .send()
            .await
            .unwrap();
    });
    let dir = Dir::new();
    dir.write("keys.txt", format!("until {}\n", key.0));
    let level_on = |day: &str| {
        let run = keyrot_aws(
            dir.path(),
            moto(),
            &["scan", "--iam", "--format", "json", "--as-of", day],
        );
        assert!(run.code <= 1, "{}", run.stderr);
        let report = run.json();
        finding_for(&report, &key.0)["facts"]["iam"]["access"]["level"].clone()
    };
    assert_eq!(level_on("2039-12-31"), "can-escalate");
    assert_ne!(level_on("2040-01-02"), "can-escalate");
}

#[test]
fn audit_judges_the_accounts_live_policies_and_each_keys_blast_radius() {
    let account = "444444444444";
    let key = create_key(Some(account), "live-dev");
    rt().block_on(async {
        let (iam, _) = clients(Some(account)).await;
        iam.create_role()
            .role_name("open-role")
            .assume_role_policy_document(r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}"#)
            .send()
            .await
            .unwrap();
        iam.create_role()
            .role_name("closed-role")
            .assume_role_policy_document(r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}"#)
            .send()
            .await
            .unwrap();
        let policy = iam
            .create_policy()
            .policy_name("deploy-everything")
            .policy_document(r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:AttachUserPolicy", "Resource": "*"}]}"#)
            .send()
            .await
            .unwrap();
        iam.create_group().group_name("live-devs").send().await.unwrap();
        iam.attach_group_policy()
            .group_name("live-devs")
            .policy_arn(policy.policy().unwrap().arn().unwrap())
            .send()
            .await
            .unwrap();
        iam.add_user_to_group()
            .group_name("live-devs")
            .user_name("live-dev")
            .send()
            .await
            .unwrap();
    });
    let dir = Dir::new();
    // 200 days on, the key is over the rotation policy: a finding about the key itself.
    let as_of = date_in(200);
    let run = audit(dir.path(), account, "json", &["--as-of", &as_of]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    let findings = report["findings"].as_array().unwrap();
    let trust: Vec<&serde_json::Value> = findings
        .iter()
        .filter(|f| f["rule_id"] == "policy.trust-any-principal")
        .collect();
    assert_eq!(trust.len(), 1, "only the open role: {report:#}");
    assert_eq!(
        trust[0]["uri"], "aws-iam/444444444444/role/open-role",
        "{:#}",
        trust[0]
    );
    assert!(
        trust[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:iam::444444444444:role/open-role (trust policy)"),
        "{:#}",
        trust[0]
    );
    assert!(trust[0]["line"].as_u64().unwrap() > 1, "{:#}", trust[0]);
    // The customer-managed policy, through the group, lets the user escalate.
    assert!(
        findings
            .iter()
            .any(|f| f["rule_id"] == "policy.privilege-escalation"
                && f["uri"] == "aws-iam/444444444444/policy/deploy-everything"),
        "{report:#}"
    );
    // The key's own findings carry its blast radius.
    let k = findings
        .iter()
        .find(|f| f["rule_id"] == "iam.key-too-old" && f["facts"]["key_id"] == key.0.as_str())
        .unwrap_or_else(|| panic!("no key finding: {report:#}"));
    assert_eq!(
        k["facts"]["iam"]["access"]["level"], "can-escalate",
        "{k:#}"
    );
    assert_eq!(k["severity"], "critical");

    // SARIF: the ARN as logical location beside the pseudo-path.
    let sarif = audit(dir.path(), account, "sarif", &[]).json();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let r = results
        .iter()
        .find(|r| r["ruleId"] == "policy.trust-any-principal")
        .unwrap();
    let loc = &r["locations"][0];
    assert_eq!(
        loc["logicalLocations"][0]["fullyQualifiedName"],
        "arn:aws:iam::444444444444:role/open-role"
    );
    assert_eq!(
        loc["physicalLocation"]["artifactLocation"]["uri"],
        "aws-iam/444444444444/role/open-role"
    );
}

/// `(id, active)` of every key of a user.
fn keys_of(user: &str) -> Vec<(String, bool)> {
    rt().block_on(async {
        let (iam, _) = clients(None).await;
        let out = iam.list_access_keys().user_name(user).send().await.unwrap();
        let mut keys: Vec<(String, bool)> = out
            .access_key_metadata()
            .iter()
            .map(|k| {
                (
                    k.access_key_id().unwrap().to_string(),
                    k.status().map(|s| s.as_str()) == Some("Active"),
                )
            })
            .collect();
        keys.sort();
        keys
    })
}

/// The access key ID a Secrets Manager secret of moto holds.
fn secret_key_id(name: &str) -> Option<String> {
    rt().block_on(async {
        let value = secrets()
            .await
            .get_secret_value()
            .secret_id(name)
            .send()
            .await
            .ok()?;
        let v: serde_json::Value = serde_json::from_str(value.secret_string()?).ok()?;
        v["AccessKeyId"].as_str().map(str::to_string)
    })
}

#[test]
fn rotate_plans_waits_for_the_grace_period_and_is_idempotent() {
    let old = create_key(None, "rot-app");
    use_key(&old);
    let dir = Dir::new();
    let args = ["rotate", "--user", "rot-app", "--to-secret", "app/aws"];
    // A plan changes nothing.
    let plan = keyrot_aws(dir.path(), moto(), &args);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(
        plan.stderr.contains("would create a new access key"),
        "{}",
        plan.stderr
    );
    assert_eq!(keys_of("rot-app"), vec![(old.0.clone(), true)]);
    assert_eq!(secret_key_id("app/aws"), None);

    // Executed: the new key is made and handed over; the old one, used today, stays active.
    let mut execute = args.to_vec();
    execute.push("--execute");
    let first = keyrot_aws(dir.path(), moto(), &execute);
    assert_eq!(
        first.code, 1,
        "waiting for the grace period: {}",
        first.stderr
    );
    assert!(first.stderr.contains("stays active"), "{}", first.stderr);
    assert!(
        !first.stdout.contains("SecretAccessKey"),
        "stored, never printed: {}",
        first.stdout
    );
    let keys = keys_of("rot-app");
    assert_eq!(keys.len(), 2, "{keys:?}");
    let new = keys.iter().find(|k| k.0 != old.0).unwrap().0.clone();
    assert_eq!(secret_key_id("app/aws").as_deref(), Some(new.as_str()));

    // With --force the old key goes inactive; a second run changes nothing.
    execute.push("--force");
    let forced = keyrot_aws(dir.path(), moto(), &execute);
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    let after = keys_of("rot-app");
    let mut want = vec![(old.0.clone(), false), (new.clone(), true)];
    want.sort();
    assert_eq!(after, want);
    let again = keyrot_aws(dir.path(), moto(), &execute);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(keys_of("rot-app"), want, "{}", again.stderr);
    assert_eq!(secret_key_id("app/aws").as_deref(), Some(new.as_str()));
    assert!(
        again.stderr.contains("already holds new key"),
        "{}",
        again.stderr
    );

    // --delete removes the inactive old key, and only it.
    execute.push("--delete");
    let deleted = keyrot_aws(dir.path(), moto(), &execute);
    assert_eq!(deleted.code, 0, "{}", deleted.stderr);
    assert_eq!(keys_of("rot-app"), vec![(new, true)]);
}

#[test]
fn revoke_deactivates_long_term_keys_and_older_sessions_of_a_role_but_never_canaries() {
    let key = create_key(None, "rev-user");
    let dir = Dir::new();
    let plan = keyrot_aws(dir.path(), moto(), &["revoke", &key.0]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(plan.stderr.contains("would deactivate"), "{}", plan.stderr);
    assert_eq!(keys_of("rev-user"), vec![(key.0.clone(), true)]);
    let done = keyrot_aws(dir.path(), moto(), &["revoke", &key.0, "--execute"]);
    assert_eq!(done.code, 0, "{}", done.stderr);
    assert_eq!(
        keys_of("rev-user"),
        vec![(key.0.clone(), false)],
        "deactivated, not deleted"
    );
    assert!(
        done.stderr.contains("keyrot rotate --user rev-user"),
        "{}",
        done.stderr
    );

    // A temporary key: every older session of its role is denied.
    let session = rt().block_on(async {
        let (iam, sts) = clients(None).await;
        iam.create_role()
            .role_name("rev-role")
            .assume_role_policy_document(r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]}"#)
            .send()
            .await
            .unwrap();
        let out = sts
            .assume_role()
            .role_arn("arn:aws:iam::123456789012:role/rev-role")
            .role_session_name("leaked")
            .send()
            .await
            .unwrap();
        out.credentials().unwrap().access_key_id().to_string()
    });
    assert!(session.starts_with("ASIA"), "{session}");
    // Without --role and without CloudTrail's answer (moto has no LookupEvents): exit 2.
    let needs_role = keyrot_aws(dir.path(), moto(), &["revoke", &session, "--execute"]);
    assert_eq!(needs_role.code, 2, "{}", needs_role.stderr);
    assert!(
        needs_role.stderr.contains("--role"),
        "{}",
        needs_role.stderr
    );
    // CloudTrail (the stand-in) names the role from the key's own calls.
    let detail = serde_json::json!({
        "eventName": "ListBuckets",
        "sourceIPAddress": "203.0.113.5",
        "userIdentity": {"type": "AssumedRole", "accessKeyId": session,
            "sessionContext": {"sessionIssuer": {"type": "Role", "userName": "rev-role"}}}
    });
    let mut pages = std::collections::HashMap::new();
    pages.insert(
        session.clone(),
        vec![vec![serde_json::json!({"EventId": "1", "EventName": "ListBuckets", "EventTime": 1_700_000_000, "CloudTrailEvent": detail.to_string()})]],
    );
    let (url, _) = cloudtrail_stand_in(pages);
    let found = keyrot_aws_env(
        dir.path(),
        &[("AWS_ENDPOINT_URL_CLOUDTRAIL", &url)],
        &["revoke", &session],
    );
    assert_eq!(found.code, 0, "{}", found.stderr);
    assert!(
        found.stderr.contains("is a session of role rev-role"),
        "{}",
        found.stderr
    );
    assert!(
        found
            .stderr
            .contains("would put inline policy AWSRevokeOlderSessions on role rev-role"),
        "{}",
        found.stderr
    );
    let revoked = keyrot_aws(
        dir.path(),
        moto(),
        &["revoke", &session, "--role", "rev-role", "--execute"],
    );
    assert_eq!(revoked.code, 0, "{}", revoked.stderr);
    let policy = rt().block_on(async {
        let (iam, _) = clients(None).await;
        let out = iam
            .get_role_policy()
            .role_name("rev-role")
            .policy_name("AWSRevokeOlderSessions")
            .send()
            .await
            .unwrap();
        // IAM returns documents URL-encoded.
        let raw = out.policy_document().as_bytes();
        let mut doc = Vec::new();
        let mut i = 0;
        while i < raw.len() {
            if raw[i] == b'%' && i + 2 < raw.len() {
                doc.push(
                    u8::from_str_radix(std::str::from_utf8(&raw[i + 1..i + 3]).unwrap(), 16)
                        .unwrap(),
                );
                i += 3;
            } else {
                doc.push(raw[i]);
                i += 1;
            }
        }
        String::from_utf8(doc).unwrap()
    });
    assert!(policy.contains("aws:TokenIssueTime"), "{policy}");
    assert!(policy.contains("Deny"), "{policy}");

    // A canary-token key is never revoked, whatever the flags.
    let canary = keyrot_aws(
        dir.path(),
        moto(),
        &["revoke", "AKIAQYLPMN5HOTJ5WRNC", "--execute"],
    );
    assert_eq!(canary.code, 0, "{}", canary.stderr);
    assert!(
        canary.stderr.contains("canary-token account: not revoked"),
        "{}",
        canary.stderr
    );
}

/// A local stand-in for CloudTrail's `LookupEvents`, which moto does not implement. It speaks
/// the documented wire format (AWS JSON 1.1: `POST /` with `X-Amz-Target:
/// ...CloudTrail_20131101.LookupEvents`, a JSON body with `LookupAttributes` and `NextToken`,
/// `Events` with `EventTime` in epoch seconds and `CloudTrailEvent` as a JSON string), answers
/// the very first request with `ThrottlingException`, and serves each key's scripted pages.
/// Returns its URL and the requests it saw (the JSON bodies).
fn cloudtrail_stand_in(
    pages: std::collections::HashMap<String, Vec<Vec<serde_json::Value>>>,
) -> (
    String,
    std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    let pages = std::sync::Arc::new(pages);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let (log, pages) = (log.clone(), pages.clone());
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut out = stream;
                loop {
                    let mut length = 0usize;
                    let mut target = String::new();
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    loop {
                        let mut header = String::new();
                        if reader.read_line(&mut header).unwrap_or(0) == 0 {
                            return;
                        }
                        let h = header.trim_end();
                        if h.is_empty() {
                            break;
                        }
                        let lower = h.to_ascii_lowercase();
                        if let Some(v) = lower.strip_prefix("content-length:") {
                            length = v.trim().parse().unwrap_or(0);
                        }
                        if lower.starts_with("x-amz-target:") {
                            target = h.to_string();
                        }
                    }
                    let mut body = vec![0; length];
                    reader.read_exact(&mut body).unwrap();
                    let request: serde_json::Value =
                        serde_json::from_slice(&body).unwrap_or_default();
                    let first = {
                        let mut l = log.lock().unwrap();
                        l.push(request.clone());
                        l.len() == 1
                    };
                    let (status, answer) = if first {
                        (
                            400,
                            serde_json::json!({"__type": "ThrottlingException", "message": "Rate exceeded"}),
                        )
                    } else if !target.contains("CloudTrail_20131101.LookupEvents") {
                        (
                            400,
                            serde_json::json!({"__type": "InvalidRequest", "message": target}),
                        )
                    } else {
                        let key = request["LookupAttributes"][0]["AttributeValue"]
                            .as_str()
                            .unwrap_or("")
                            .to_string();
                        let page: usize = request["NextToken"]
                            .as_str()
                            .and_then(|t| t.strip_prefix("page-"))
                            .and_then(|n| n.parse().ok())
                            .unwrap_or(0);
                        let all = pages.get(&key).cloned().unwrap_or_default();
                        let mut answer = serde_json::json!({"Events": all.get(page).cloned().unwrap_or_default()});
                        if page + 1 < all.len() {
                            answer["NextToken"] = format!("page-{}", page + 1).into();
                        }
                        (200, answer)
                    };
                    let text = answer.to_string();
                    let reason = if status == 200 { "OK" } else { "Bad Request" };
                    let _ = write!(
                        out,
                        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\n\r\n{text}",
                        text.len()
                    );
                }
            });
        }
    });
    (url, seen)
}

/// One event as LookupEvents returns it.
fn trail_event(time: i64, name: &str, ip: &str) -> serde_json::Value {
    let detail = serde_json::json!({"eventName": name, "sourceIPAddress": ip, "userAgent": "aws-cli/2.15", "eventTime": keyrot::time::rfc3339(time)});
    serde_json::json!({"EventId": format!("{time}"), "EventName": name, "EventTime": time, "CloudTrailEvent": detail.to_string()})
}

/// keyrot with moto for IAM and extra environment (service endpoints).
fn keyrot_aws_env(cwd: &Path, env: &[(&str, &str)], args: &[&str]) -> Run {
    let mut cmd = crate::util::bin();
    cmd.current_dir(cwd)
        .args(args)
        .env("AWS_ENDPOINT_URL", moto())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run keyrot").into()
}

#[test]
fn cloudtrail_use_after_the_leak_from_a_new_address_is_a_possible_compromise() {
    let leaked = create_key(None, "trail-leaked");
    let quiet = create_key(None, "trail-quiet");
    // The history: the pair is committed at 1_700_086_400 (the first commit).
    let repo = crate::util::Repo::new();
    repo.write(
        "deploy.env",
        format!(
            "aws_access_key_id = {}\naws_secret_access_key = {}\n",
            leaked.0, leaked.1
        ),
    );
    let leak = 1_700_086_400;
    repo.commit("deploy settings");
    repo.write("other.txt", format!("KEY = {}\n", quiet.0))
        .commit("more");
    let mut pages = std::collections::HashMap::new();
    pages.insert(
        leaked.0.clone(),
        vec![
            vec![trail_event(leak + 200_000, "ListBuckets", "203.0.113.66")],
            vec![
                trail_event(leak - 50_000, "GetCallerIdentity", "198.51.100.7"),
                trail_event(leak + 100_000, "GetCallerIdentity", "198.51.100.7"),
            ],
        ],
    );
    let (url, seen) = cloudtrail_stand_in(pages);
    let run = keyrot_aws_env(
        repo.path(),
        &[("AWS_ENDPOINT_URL_CLOUDTRAIL", &url)],
        &[
            "scan",
            "--git",
            "--iam",
            "--cloudtrail",
            "--as-of",
            "2023-12-01",
            "--format",
            "json",
        ],
    );
    assert!(run.code <= 1, "{}", run.stderr);
    let report = run.json();
    let f = finding_for(&report, &leaked.0);
    let usage = &f["facts"]["iam"]["usage"];
    assert_eq!(usage["source"], "cloudtrail", "{f:#}");
    assert_eq!(usage["events"], 3, "both pages read: {f:#}");
    assert_eq!(usage["used_after_leak"], true);
    assert_eq!(
        usage["new_ips_after_leak"],
        serde_json::json!(["203.0.113.66"])
    );
    assert_eq!(f["severity"], "critical");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("POSSIBLE COMPROMISE"),
        "{f:#}"
    );
    assert!(
        f["remedy"]["steps"][0]["command"]
            .as_str()
            .unwrap()
            .starts_with("keyrot revoke"),
        "{f:#}"
    );
    // An empty answer: no use, no compromise.
    let q = finding_for(&report, &quiet.0);
    assert_eq!(q["facts"]["iam"]["usage"]["events"], 0, "{q:#}");
    assert_eq!(
        q["facts"]["iam"]["usage"]["used_after_leak"], false,
        "{q:#}"
    );
    // The throttled first call was retried; every call asked by key ID over the window.
    let requests = seen.lock().unwrap().clone();
    assert!(
        requests.len() >= 4,
        "throttled + 2 pages + 1: {requests:#?}"
    );
    assert!(requests
        .iter()
        .all(|r| r["LookupAttributes"][0]["AttributeKey"] == "AccessKeyId"));
    assert!(requests
        .iter()
        .all(|r| r["StartTime"].is_number() && r["EndTime"].is_number()));
}

#[test]
fn cloudtrail_s3_reads_delivered_log_files() {
    use std::io::Write;
    let key = create_key(None, "trail-s3");
    let records = serde_json::json!({"Records": [
        {"eventTime": "2023-11-20T10:00:00Z", "eventName": "PutObject", "sourceIPAddress": "192.0.2.10", "userAgent": "boto3", "userIdentity": {"accessKeyId": key.0}},
        {"eventTime": "2023-11-20T11:00:00Z", "eventName": "PutObject", "sourceIPAddress": "192.0.2.10", "userAgent": "boto3", "userIdentity": {"accessKeyId": "AKIAOTHERKEY00000000"}},
    ]});
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(records.to_string().as_bytes()).unwrap();
    let body = gz.finish().unwrap();
    rt().block_on(async {
        let config = aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(moto())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
            .load()
            .await;
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&config)
                .force_path_style(true)
                .build(),
        );
        s3.create_bucket().bucket("trail-logs").send().await.unwrap();
        s3.put_object()
            .bucket("trail-logs")
            .key(format!("org/AWSLogs/{CALLER_ACCOUNT}/CloudTrail/us-east-1/2023/11/20/{CALLER_ACCOUNT}_CloudTrail_us-east-1_20231120T1000Z_x.json.gz"))
            .body(body.into())
            .send()
            .await
            .unwrap();
    });
    let dir = Dir::new();
    dir.write("app.py", format!("KEY = '{}'\n", key.0));
    let run = keyrot_aws_env(
        dir.path(),
        &[],
        &[
            "scan",
            "--iam",
            "--cloudtrail-s3",
            "s3://trail-logs/org",
            "--as-of",
            "2023-12-01",
            "--format",
            "json",
        ],
    );
    assert!(run.code <= 1, "{}", run.stderr);
    let report = run.json();
    let usage = &finding_for(&report, &key.0)["facts"]["iam"]["usage"];
    assert_eq!(usage["source"], "cloudtrail-s3", "{report:#}");
    assert_eq!(usage["events"], 1, "only this key's record: {usage:#}");
    assert_eq!(usage["source_ips"], serde_json::json!(["192.0.2.10"]));
    assert_eq!(usage["top_events"], serde_json::json!([["PutObject", 1]]));
}

#[test]
fn report_merges_three_scans_and_an_audit_into_html_markdown_and_sarif() {
    let account = "555555555555";
    let _key = create_key(Some(account), "estate-user");
    let dir = Dir::new();
    let out = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    for (label, path) in [("leaks", "leaks"), ("iac", "iac"), ("decoys", "decoys")] {
        let run = crate::util::keyrot(&[
            "scan",
            fixtures.join(path).to_str().unwrap(),
            "--format",
            "json",
            "--fail-on",
            "none",
            "--label",
            label,
            "-o",
            &out(&format!("{label}.json")),
        ]);
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    let as_of = date_in(400);
    let audited = audit(
        dir.path(),
        account,
        "json",
        &[
            "--as-of",
            &as_of,
            "--fail-on",
            "none",
            "-o",
            &out("aws.json"),
        ],
    );
    assert_eq!(audited.code, 0, "{}", audited.stderr);
    let inputs = [
        out("leaks.json"),
        out("iac.json"),
        out("decoys.json"),
        out("aws.json"),
    ];
    let report = |format: &str, file: &str| {
        let mut args = vec!["report", "--format", format, "-o"];
        let target = out(file);
        args.push(&target);
        args.extend(inputs.iter().map(String::as_str));
        let run = crate::util::keyrot(&args);
        assert_eq!(run.code, 0, "{}", run.stderr);
        std::fs::read_to_string(dir.join(file)).unwrap()
    };
    let html = report("html", "estate.html");
    for label in ["leaks", "iac", "decoys", "aws 555555555555"] {
        assert!(html.contains(&format!("<b>{label}</b>")), "{label} missing");
    }
    assert!(html.contains("Account 555555555555"));
    assert!(html.contains("aria-label=\"active key ages\""));
    assert!(html.contains("max key age 90 days"));
    assert_eq!(crate::report::html5_errors(&dir.join("estate.html")), None);
    assert_eq!(
        crate::report::urls_in(&dir.join("estate.html")),
        Vec::<String>::new()
    );
    for secret in crate::scan::PLANTED_SECRETS {
        assert!(!html.contains(secret), "the HTML shows {secret}");
    }
    let markdown = report("markdown", "estate.md");
    assert!(markdown.contains("| leaks | working tree |"), "{markdown}");
    assert!(markdown.contains("**Account 555555555555**"), "{markdown}");
    // SARIF: one run per input, each with its own category, accepted by GitHub's rules.
    let sarif: serde_json::Value = serde_json::from_str(&report("sarif", "estate.sarif")).unwrap();
    let runs = sarif["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 4);
    let categories: Vec<&str> = runs
        .iter()
        .map(|r| r["automationDetails"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        categories,
        vec!["leaks/", "iac/", "decoys/", "aws 555555555555/"]
    );
    crate::sarif::assert_github_accepts(&sarif);
    // The merged JSON merges again, as one input.
    let merged = report("json", "estate.json");
    let again = crate::util::keyrot(&["report", "--format", "json", &out("estate.json")]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    let a: serde_json::Value = serde_json::from_str(&merged).unwrap();
    let b = again.json();
    assert_eq!(a["summary"]["by_severity"], b["summary"]["by_severity"]);
    assert_eq!(b["summary"]["reports"], 4);
}

#[test]
fn audit_finds_old_unused_doubled_and_mfa_less_keys_with_metrics() {
    let account = "333333333333";
    let bob1 = create_key(Some(account), "audit-bob");
    let _bob2 = create_key(Some(account), "audit-bob");
    let carol = create_key(Some(account), "audit-carol");
    rt().block_on(async {
        let (iam, _) = clients(Some(account)).await;
        let mfa = iam
            .create_virtual_mfa_device()
            .virtual_mfa_device_name("carol-mfa")
            .send()
            .await
            .unwrap();
        let serial = mfa
            .virtual_mfa_device()
            .unwrap()
            .serial_number()
            .to_string();
        iam.enable_mfa_device()
            .user_name("audit-carol")
            .serial_number(serial)
            .authentication_code1("123456")
            .authentication_code2("654321")
            .send()
            .await
            .unwrap();
        // A strong password policy: no finding about it.
        iam.update_account_password_policy()
            .minimum_password_length(14)
            .password_reuse_prevention(24)
            .send()
            .await
            .unwrap();
    });
    use_key(&carol);
    let dir = Dir::new();
    let today = audit(dir.path(), account, "json", &[]);
    assert_eq!(today.code, 1, "{}", today.stderr);
    let report = today.json();
    let mut got: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    let rules: Vec<&str> = got.iter().map(|g| g.0.as_str()).collect();
    // moto's root user has no MFA device.
    assert_eq!(
        rules,
        vec!["iam.no-mfa", "iam.root-no-mfa", "iam.two-active-keys"],
        "{got:#?}"
    );
    assert!(got[0].1.contains("audit-bob") && got[0].1.starts_with("account 333333333333"));
    let m = &report["summary"]["metrics"][0];
    assert_eq!(
        (
            m["account"].as_str(),
            m["users"].as_u64(),
            m["keys"].as_u64(),
            m["active_keys"].as_u64()
        ),
        (Some(account), Some(2), Some(3), Some(3))
    );
    assert_eq!(m["rotation_compliance"], 1.0);
    assert_eq!(m["rotated_last_90_days"], 3);

    let as_of = date_in(200);
    let later = audit(dir.path(), account, "json", &["--as-of", &as_of]).json();
    let count = |rule: &str| {
        later["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule_id"] == rule)
            .count()
    };
    assert_eq!(count("iam.key-too-old"), 3, "{later:#}");
    assert_eq!(count("iam.key-unused"), 3, "{later:#}");
    let unused_bob = later["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "iam.key-unused" && f["facts"]["key_id"] == bob1.0.as_str())
        .unwrap();
    assert!(
        unused_bob["message"]
            .as_str()
            .unwrap()
            .contains("created and never used"),
        "{unused_bob:#}"
    );
    let m = &later["summary"]["metrics"][0];
    assert_eq!(m["rotation_compliance"], 0.0);
    assert!(m["max_active_age_days"].as_i64().unwrap() >= 199);
}

#[test]
fn audit_covers_several_accounts_through_an_assumed_role() {
    let (a, b) = ("444444444444", "555555555555");
    create_key(Some(a), "multi-erin");
    create_key(Some(a), "multi-erin");
    create_key(Some(b), "multi-frank");
    let dir = Dir::new();
    let accounts = format!("{a},{b}");
    let run = audit(dir.path(), &accounts, "sarif", &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let doc = run.json();
    crate::sarif::assert_valid_sarif(&doc);
    crate::sarif::assert_github_accepts(&doc);
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let accounts_seen: std::collections::BTreeSet<String> = results
        .iter()
        .map(|r| r["properties"]["accountId"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        accounts_seen.into_iter().collect::<Vec<_>>(),
        vec![a.to_string(), b.to_string()]
    );
    let logical = &results[0]["locations"][0]["logicalLocations"][0];
    assert!(
        logical["fullyQualifiedName"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:iam::"),
        "{logical:#}"
    );
    assert!(run.stderr.contains("audit: 2 accounts"), "{}", run.stderr);
}

#[test]
fn audit_of_other_accounts_needs_a_role() {
    let run = keyrot_aws(
        Path::new("."),
        moto(),
        &["audit", "--accounts", "666666666666"],
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--role-name"), "{}", run.stderr);
}

#[test]
fn audit_org_lists_the_accounts_of_the_organization() {
    let account = rt().block_on(async {
        let config = aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(moto())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
            .load()
            .await;
        let org = aws_sdk_organizations::Client::new(&config);
        let _ = org.create_organization().send().await;
        let created = org
            .create_account()
            .account_name("org-member")
            .email("member@example.com")
            .send()
            .await
            .unwrap();
        created
            .create_account_status()
            .unwrap()
            .account_id()
            .unwrap()
            .to_string()
    });
    create_key(Some(&account), "org-grace");
    create_key(Some(&account), "org-grace");
    let run = keyrot_aws(
        Path::new("."),
        moto(),
        &[
            "audit",
            "--org",
            "--role-name",
            "keyrot-audit",
            "--format",
            "json",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    let metrics = report["summary"]["metrics"].as_array().unwrap();
    let member = metrics
        .iter()
        .find(|m| m["account"] == account.as_str())
        .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(member["keys"], 2);
    assert!(report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule_id"] == "iam.two-active-keys"
            && f["message"].as_str().unwrap().contains("org-grace")));
}

/// A Secrets Manager client of moto's default account.
async fn secrets() -> aws_sdk_secretsmanager::Client {
    let config = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(moto())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .load()
        .await;
    aws_sdk_secretsmanager::Client::new(&config)
}

/// Writes a Secrets Manager secret of moto holding `value`.
fn put_secret(name: &str, value: &str) {
    rt().block_on(async {
        secrets()
            .await
            .create_secret()
            .name(name)
            .secret_string(value)
            .send()
            .await
            .unwrap();
    })
}

/// `rotate --delete --execute` run three times never destroys what it handed over: the first
/// run makes the new key and records the rotation on the user; reruns finish that rotation
/// (the old key, in use, stays until the grace period) instead of beginning another. With
/// `--force` the old key goes at once, and reruns then find the rotation finished. A fresh
/// key nobody has used is never "idle".
#[test]
fn rerunning_a_rotation_never_deletes_the_key_it_handed_over() {
    let dir = Dir::new();
    // Printed, not stored: only the user's tag tells a rerun what happened.
    let old = create_key(None, "rerun-app");
    use_key(&old);
    let args = ["rotate", "--user", "rerun-app", "--delete", "--execute"];
    let first = keyrot_aws(dir.path(), moto(), &args);
    assert_eq!(first.code, 1, "{}", first.stderr);
    let keys = keys_of("rerun-app");
    assert_eq!(keys.len(), 2, "{keys:?}");
    let new = keys.iter().find(|k| k.0 != old.0).unwrap().0.clone();
    assert!(first.stdout.contains(&new), "{}", first.stdout);
    for run in 2..=3 {
        let again = keyrot_aws(dir.path(), moto(), &args);
        assert_eq!(again.code, 1, "run {run}: {}", again.stderr);
        assert!(again.stderr.contains("stays active"), "{}", again.stderr);
        assert!(
            !again.stdout.contains("AccessKeyId") && !again.stderr.contains("created new key"),
            "run {run} made another key: {}",
            again.stderr
        );
        let mut want = vec![(old.0.clone(), true), (new.clone(), true)];
        want.sort();
        assert_eq!(keys_of("rerun-app"), want, "run {run}: {}", again.stderr);
    }

    // Stored in a secret, old key forced out: three runs, the secret's key always active.
    let old = create_key(None, "rerun-store");
    use_key(&old);
    let args = [
        "rotate",
        "--user",
        "rerun-store",
        "--to-secret",
        "rerun/aws",
        "--force",
        "--delete",
        "--execute",
    ];
    let mut handed_over: Option<String> = None;
    for run in 1..=3 {
        let out = keyrot_aws(dir.path(), moto(), &args);
        assert_eq!(out.code, 0, "run {run}: {}", out.stderr);
        let held = secret_key_id("rerun/aws").expect("the secret holds a key");
        // The key handed over by the first run is the one held, active, ever after.
        assert_eq!(
            handed_over.get_or_insert_with(|| held.clone()),
            &held,
            "run {run}: {}",
            out.stderr
        );
        assert_eq!(
            keys_of("rerun-store"),
            vec![(held.clone(), true)],
            "run {run}: {}",
            out.stderr
        );
        assert_ne!(held, old.0);
        if run > 1 {
            assert!(out.stderr.contains("nothing to do"), "{}", out.stderr);
        }
    }

    // A key made a minute ago with no recorded use is not idle: it stays active.
    create_key(None, "rerun-fresh");
    let out = keyrot_aws(
        dir.path(),
        moto(),
        &[
            "rotate",
            "--user",
            "rerun-fresh",
            "--key-id",
            &keys_of("rerun-fresh")[0].0,
            "--execute",
        ],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("has no recorded use but is only 0 days old"),
        "{}",
        out.stderr
    );
    assert!(
        keys_of("rerun-fresh").iter().all(|k| k.1),
        "{:?}",
        keys_of("rerun-fresh")
    );
}

/// `--key-id` beside another active key that no rotation made refuses, naming that key
/// (never "made by an earlier run"); `--to-secret` never overwrites a secret that is not this
/// user's key unless `--force`.
#[test]
fn rotation_leaves_keys_and_secrets_it_did_not_make_alone() {
    let dir = Dir::new();
    let a = create_key(None, "two-keys");
    let b = create_key(None, "two-keys");
    use_key(&a);
    let out = keyrot_aws(
        dir.path(),
        moto(),
        &[
            "rotate",
            "--user",
            "two-keys",
            "--key-id",
            &b.0,
            "--execute",
        ],
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!("another active key, {}", a.0)),
        "{}",
        out.stderr
    );
    let mut want = vec![(a.0.clone(), true), (b.0.clone(), true)];
    want.sort();
    assert_eq!(keys_of("two-keys"), want);

    create_key(None, "secret-owner");
    let other = create_key(None, "someone-else");
    put_secret("shared/db", r#"{"password": "hunter2"}"#);
    put_secret(
        "shared/aws",
        &format!(
            r#"{{"AccessKeyId": "{}", "SecretAccessKey": "x"}}"#,
            other.0
        ),
    );
    for (secret, why) in [
        ("shared/db", "does not hold an access key"),
        ("shared/aws", "which is not one of user secret-owner's keys"),
    ] {
        let out = keyrot_aws(
            dir.path(),
            moto(),
            &[
                "rotate",
                "--user",
                "secret-owner",
                "--to-secret",
                secret,
                "--execute",
            ],
        );
        assert_eq!(out.code, 2, "{}", out.stderr);
        assert!(out.stderr.contains(why), "{}", out.stderr);
        assert_eq!(keys_of("secret-owner").len(), 1, "no key made");
    }
    assert_eq!(
        secret_key_id("shared/aws").as_deref(),
        Some(other.0.as_str())
    );
    // The twin: --force replaces it.
    let out = keyrot_aws(
        dir.path(),
        moto(),
        &[
            "rotate",
            "--user",
            "secret-owner",
            "--key-id",
            &keys_of("secret-owner")[0].0,
            "--to-secret",
            "shared/aws",
            "--force",
            "--execute",
        ],
    );
    assert!(out.code <= 1, "{}", out.stderr);
    let held = secret_key_id("shared/aws").unwrap();
    assert!(
        keys_of("secret-owner").iter().any(|k| k.0 == held),
        "{}",
        out.stderr
    );
}

/// An audit that cannot read part of the account says so and fails closed: the denied call
/// is named (operation, AWS error code), it costs only what depends on it (the keys are still
/// listed), the exit code is 2 and SARIF says `executionSuccessful: false` with the call in
/// its notifications. The twin allowed to read the report passes with the same keys.
#[test]
fn an_audit_that_cannot_read_fails_closed_and_names_the_call() {
    let server = moto_enforcing();
    let dir = Dir::new();
    let run_as = |who: &(String, String), format: &str| {
        keyrot_aws_env(
            dir.path(),
            &[
                ("AWS_ENDPOINT_URL", server.url.as_str()),
                ("AWS_ACCESS_KEY_ID", who.0.as_str()),
                ("AWS_SECRET_ACCESS_KEY", who.1.as_str()),
            ],
            &["audit", "--format", format, "--fail-on", "none"],
        )
    };
    let denied = run_as(&server.denied, "json");
    assert_eq!(denied.code, 2, "{}", denied.stderr);
    assert!(
        denied.stderr.contains("iam:GenerateCredentialReport")
            && denied.stderr.contains("AccessDenied"),
        "{}",
        denied.stderr
    );
    // Only what needs the report is lost: every key is still read.
    let report = denied.json();
    assert!(
        report["summary"]["scope"]
            .as_str()
            .is_some_and(|s| s.contains("3 access keys")),
        "{report:#}"
    );
    let sarif = run_as(&server.denied, "sarif").json();
    let invocation = &sarif["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false, "{invocation:#}");
    assert!(
        invocation["toolExecutionNotifications"]
            .to_string()
            .contains("iam:GenerateCredentialReport"),
        "{invocation:#}"
    );
    // The twin may read the report: complete, exit 0, executionSuccessful.
    let allowed = run_as(&server.allowed, "json");
    assert_eq!(allowed.code, 0, "{}", allowed.stderr);
    let sarif = run_as(&server.allowed, "sarif").json();
    assert_eq!(
        sarif["runs"][0]["invocations"][0]["executionSuccessful"], true,
        "{sarif:#}"
    );
}

/// keyrot against moto with only these AWS config and credentials files: no credentials from
/// the environment, no instance metadata.
fn with_aws_files(
    cwd: &std::path::Path,
    config: &std::path::Path,
    credentials: &std::path::Path,
    args: &[&str],
) -> Run {
    let mut cmd = crate::util::bin();
    cmd.current_dir(cwd)
        .args(args)
        .env("AWS_ENDPOINT_URL", moto())
        .env("AWS_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", config)
        .env("AWS_SHARED_CREDENTIALS_FILE", credentials)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN");
    cmd.output().expect("run keyrot").into()
}

/// Missing credentials and a profile that does not exist are told apart, each naming where
/// keyrot looked and what to do, never blamed on instance metadata; an AWS error names the
/// operation and AWS's code (the denied audit above).
#[test]
fn credential_failures_say_where_keyrot_looked() {
    let dir = Dir::new();
    let run = |args: &[&str]| {
        with_aws_files(
            dir.path(),
            &dir.join("config"),
            &dir.join("credentials"),
            args,
        )
    };
    let none = run(&["audit"]);
    assert_eq!(none.code, 2, "{}", none.stderr);
    assert!(
        none.stderr.contains("no AWS credentials"),
        "{}",
        none.stderr
    );
    assert!(
        none.stderr.contains("environment: no AWS_ACCESS_KEY_ID")
            && none.stderr.contains("instance metadata: disabled"),
        "{}",
        none.stderr
    );
    let missing = run(&["audit", "--profile", "nope"]);
    assert_eq!(missing.code, 2, "{}", missing.stderr);
    assert!(
        missing.stderr.contains("--profile nope: no such profile"),
        "{}",
        missing.stderr
    );
    // The twin: the profile exists (static keys in the credentials file) and the audit runs.
    dir.write(
        "credentials",
        "[ok]\naws_access_key_id = testing\naws_secret_access_key = testing\n",
    );
    let ok = run(&["audit", "--profile", "ok", "--fail-on", "none"]);
    assert!(ok.code == 0 || ok.code == 2, "{}", ok.stderr);
    assert!(!ok.stderr.contains("no such profile"), "{}", ok.stderr);
    assert!(ok.stderr.contains("audit: 1 account"), "{}", ok.stderr);
}

/// Each escalation path carries its own fix (a `CreatePolicyVersion` finding is not told to
/// scope `iam:PassRole`), and a related statement over several lines prints on one line,
/// never as JSON with literal `\n`.
#[test]
fn escalation_findings_carry_the_fix_of_their_own_path() {
    with_iam(|iam| async move {
        iam.create_user()
            .user_name("fix-frank")
            .send()
            .await
            .unwrap();
        for (name, action) in [
            ("pass", "iam:PassRole"),
            ("run", "ec2:RunInstances"),
            ("versions", "iam:CreatePolicyVersion"),
            ("attach", "iam:AttachUserPolicy"),
        ] {
            iam.put_user_policy()
                .user_name("fix-frank")
                .policy_name(name)
                .policy_document(format!(
                    "{{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {{\n      \"Effect\": \"Allow\",\n      \"Action\": \"{action}\",\n      \"Resource\": \"*\"\n    }}\n  ]\n}}"
                ))
                .send()
                .await
                .unwrap();
        }
    });
    let dir = Dir::new();
    let run = keyrot_aws(
        dir.path(),
        moto(),
        &["audit", "--format", "json", "--fail-on", "none"],
    );
    let report = run.json();
    let mine: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["rule_id"] == "policy.privilege-escalation"
                && f["message"].as_str().unwrap().contains("user/fix-frank")
        })
        .collect();
    let fix_of = |action: &str| {
        mine.iter()
            .find(|f| {
                f["message"]
                    .as_str()
                    .unwrap()
                    .contains(&format!(": {action}"))
            })
            .unwrap_or_else(|| panic!("no finding for {action}: {mine:#?}"))["remedy"]["summary"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(fix_of("iam:CreatePolicyVersion").starts_with("Remove `iam:CreatePolicyVersion`"));
    assert!(fix_of("iam:AttachUserPolicy").contains("`iam:PolicyARN`"));
    assert!(fix_of("iam:PassRole with ec2:RunInstances").contains("`ec2.amazonaws.com`"));
    for f in &mine {
        let fix = f["remedy"]["summary"].as_str().unwrap();
        let passes = f["message"].as_str().unwrap().contains("iam:PassRole with");
        assert_eq!(fix.contains("iam:PassRole"), passes, "{f:#}");
    }
    let text = keyrot_aws(dir.path(), moto(), &["audit", "--fail-on", "none"]).stdout;
    let also: Vec<&str> = text.lines().filter(|l| l.contains("also needed")).collect();
    assert!(!also.is_empty(), "{text}");
    assert!(also.iter().all(|l| !l.contains("\\n")), "{also:#?}");
}

/// `revoke --role` checks the role is the session's (it exists here; CloudTrail, when it
/// knows the session, names the same role), and another account's key is refused naming
/// that account, before anything is changed.
#[test]
fn revoke_checks_the_role_and_names_another_accounts_key() {
    let dir = Dir::new();
    rt().block_on(async {
        let (iam, _) = clients(None).await;
        for role in ["rev2-role", "rev2-other"] {
            iam.create_role()
                .role_name(role)
                .assume_role_policy_document(r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]}"#)
                .send()
                .await
                .unwrap();
        }
    });
    let session = rt().block_on(async {
        let (_, sts) = clients(None).await;
        let out = sts
            .assume_role()
            .role_arn("arn:aws:iam::123456789012:role/rev2-role")
            .role_session_name("leaked")
            .send()
            .await
            .unwrap();
        out.credentials().unwrap().access_key_id().to_string()
    });
    let detail = serde_json::json!({
        "eventName": "ListBuckets",
        "userIdentity": {"type": "AssumedRole", "accessKeyId": session,
            "sessionContext": {"sessionIssuer": {"type": "Role", "userName": "rev2-role"}}}
    });
    let mut pages = std::collections::HashMap::new();
    pages.insert(
        session.clone(),
        vec![vec![serde_json::json!({"EventId": "1", "EventName": "ListBuckets", "EventTime": 1_700_000_000, "CloudTrailEvent": detail.to_string()})]],
    );
    let (url, _) = cloudtrail_stand_in(pages);
    let wrong = keyrot_aws_env(
        dir.path(),
        &[("AWS_ENDPOINT_URL_CLOUDTRAIL", &url)],
        &["revoke", &session, "--role", "rev2-other", "--execute"],
    );
    assert_eq!(wrong.code, 2, "{}", wrong.stderr);
    assert!(
        wrong.stderr.contains("is a session of role rev2-role")
            && wrong.stderr.contains("not of role rev2-other"),
        "{}",
        wrong.stderr
    );
    let missing = keyrot_aws(
        dir.path(),
        moto(),
        &["revoke", &session, "--role", "no-such-role"],
    );
    assert_eq!(missing.code, 2, "{}", missing.stderr);
    assert!(
        missing.stderr.contains("iam:GetRole no-such-role"),
        "{}",
        missing.stderr
    );
    // Nothing was put on either role.
    rt().block_on(async {
        let (iam, _) = clients(None).await;
        for role in ["rev2-role", "rev2-other"] {
            let out = iam
                .list_role_policies()
                .role_name(role)
                .send()
                .await
                .unwrap();
            assert!(
                out.policy_names().is_empty(),
                "{role}: {:?}",
                out.policy_names()
            );
        }
    });
    // The twin: the right role is revoked.
    let right = keyrot_aws_env(
        dir.path(),
        &[("AWS_ENDPOINT_URL_CLOUDTRAIL", &url)],
        &["revoke", &session, "--role", "rev2-role"],
    );
    assert_eq!(right.code, 0, "{}", right.stderr);
    assert!(
        right.stderr.contains("would put inline policy"),
        "{}",
        right.stderr
    );
    // Another account's key: refused, naming its account.
    let foreign = crate::gate::key_of_account(210_987_654_321);
    let other = keyrot_aws(dir.path(), moto(), &["revoke", &foreign, "--execute"]);
    assert_eq!(other.code, 2, "{}", other.stderr);
    assert!(
        other.stderr.contains("belongs to account 210987654321")
            && other.stderr.contains("not to account 123456789012"),
        "{}",
        other.stderr
    );
}

/// A user AWS quarantined (its `AWSCompromisedKeyQuarantineV3` attached, as AWS does when it
/// finds a key public) is a fact and a critical finding in `scan --iam`, `audit` and `revoke`,
/// and the quarantine's denies do not make the key read as harmless; the twin without the
/// quarantine, with the same grants, stays as it was.
#[test]
fn a_key_aws_quarantined_is_critical_everywhere() {
    let quarantined = create_key(None, "quar-alice");
    let twin = create_key(None, "quar-bob");
    with_iam(|iam| async move {
        for user in ["quar-alice", "quar-bob"] {
            iam.put_user_policy()
                .user_name(user)
                .policy_name("data")
                .policy_document(r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::reports/*"}]}"#)
                .send()
                .await
                .unwrap();
        }
        iam.attach_user_policy()
            .user_name("quar-alice")
            .policy_arn("arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3")
            .send()
            .await
            .unwrap();
    });
    let dir = Dir::new();
    dir.write(
        "keys.txt",
        format!("alice {}\n\nbob {}\n", quarantined.0, twin.0),
    );
    let run = keyrot_aws(dir.path(), moto(), &["scan", "--iam", "--format", "json"]);
    assert!(run.code <= 1, "{}", run.stderr);
    let report = run.json();
    let a = finding_for(&report, &quarantined.0);
    assert_eq!(a["severity"], "critical", "{a:#}");
    assert_eq!(
        a["facts"]["iam"]["access"]["quarantine"], "AWSCompromisedKeyQuarantineV3",
        "{a:#}"
    );
    assert!(
        a["message"]
            .as_str()
            .unwrap()
            .contains("AWS detected a key of this user as exposed"),
        "{a:#}"
    );
    assert_eq!(
        a["facts"]["iam"]["access"]["level"], "can-write-data",
        "{a:#}"
    );
    let b = finding_for(&report, &twin.0);
    assert_ne!(b["severity"], "critical", "{b:#}");
    assert!(b["facts"]["iam"]["access"]["quarantine"].is_null(), "{b:#}");
    assert_eq!(
        b["facts"]["iam"]["access"]["level"], "can-write-data",
        "{b:#}"
    );

    let audit = keyrot_aws(
        dir.path(),
        moto(),
        &["audit", "--format", "json", "--fail-on", "none"],
    )
    .json();
    let quarantines: Vec<&serde_json::Value> = audit["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "iam.key-quarantined")
        .filter(|f| f["message"].as_str().unwrap().contains("quar-"))
        .collect();
    assert_eq!(quarantines.len(), 1, "{quarantines:#?}");
    assert!(quarantines[0]["message"]
        .as_str()
        .unwrap()
        .contains("quar-alice"));
    assert_eq!(quarantines[0]["severity"], "critical");

    let revoke = keyrot_aws(dir.path(), moto(), &["revoke", &quarantined.0]);
    assert_eq!(revoke.code, 0, "{}", revoke.stderr);
    assert!(
        revoke
            .stderr
            .contains("quarantined the user (AWSCompromisedKeyQuarantineV3 attached)"),
        "{}",
        revoke.stderr
    );
    let revoke = keyrot_aws(dir.path(), moto(), &["revoke", &twin.0]);
    assert!(!revoke.stderr.contains("quarantined"), "{}", revoke.stderr);
}

/// Escalation across principals, as PMapper finds it on the same account: frank may assume
/// role/ops (trusting the account), which is an administrator; bob may pass role/lambda-admin
/// (trusting Lambda, granted iam:*) to a function he creates and invokes. The twins stay as
/// they are: carol may assume only a role that trusts EC2 alone, dave is allowed
/// sts:AssumeRole on a role whose trust names someone else.
#[test]
fn a_key_can_become_other_principals_and_the_path_is_named() {
    let frank = create_key(None, "px-frank");
    let bob = create_key(None, "px-bob");
    let carol = create_key(None, "px-carol");
    let dave = create_key(None, "px-dave");
    with_iam(|iam| async move {
        let trust = |principal: &str| {
            format!(
                r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Principal": {principal}, "Action": "sts:AssumeRole"}}]}}"#
            )
        };
        let roles = [
            (
                "px-ops",
                trust(r#"{"AWS": "arn:aws:iam::123456789012:root"}"#),
            ),
            (
                "px-lambda-admin",
                trust(r#"{"Service": "lambda.amazonaws.com"}"#),
            ),
            ("px-ec2-only", trust(r#"{"Service": "ec2.amazonaws.com"}"#)),
            (
                "px-named",
                trust(r#"{"AWS": "arn:aws:iam::123456789012:user/px-frank"}"#),
            ),
        ];
        for (name, doc) in &roles {
            iam.create_role()
                .role_name(*name)
                .assume_role_policy_document(doc)
                .send()
                .await
                .unwrap();
        }
        iam.attach_role_policy()
            .role_name("px-ops")
            .policy_arn("arn:aws:iam::aws:policy/AdministratorAccess")
            .send()
            .await
            .unwrap();
        for role in ["px-lambda-admin", "px-ec2-only", "px-named"] {
            iam.put_role_policy()
                .role_name(role)
                .policy_name("iam")
                .policy_document(r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]}"#)
                .send()
                .await
                .unwrap();
        }
        let grant =
            |statements: &str| format!(r#"{{"Version": "2012-10-17", "Statement": {statements}}}"#);
        let arn = |role: &str| format!("arn:aws:iam::123456789012:role/{role}");
        let users = [
            (
                "px-frank",
                grant(&format!(
                    r#"[{{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "{}"}}, {{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::drop/*"}}]"#,
                    arn("px-ops")
                )),
            ),
            (
                "px-bob",
                grant(&format!(
                    r#"[{{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "{}"}}, {{"Effect": "Allow", "Action": ["lambda:CreateFunction", "lambda:InvokeFunction"], "Resource": "*"}}]"#,
                    arn("px-lambda-admin")
                )),
            ),
            (
                "px-carol",
                grant(&format!(
                    r#"[{{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "{}"}}, {{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::drop/*"}}]"#,
                    arn("px-ec2-only")
                )),
            ),
            (
                "px-dave",
                grant(&format!(
                    r#"[{{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "{}"}}, {{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::drop/*"}}]"#,
                    arn("px-named")
                )),
            ),
        ];
        for (user, doc) in &users {
            iam.put_user_policy()
                .user_name(*user)
                .policy_name("p")
                .policy_document(doc)
                .send()
                .await
                .unwrap();
        }
    });
    let dir = Dir::new();
    dir.write(
        "keys.txt",
        format!(
            "frank {}\n\nbob {}\n\ncarol {}\n\ndave {}\n",
            frank.0, bob.0, carol.0, dave.0
        ),
    );
    let run = keyrot_aws(dir.path(), moto(), &["scan", "--iam", "--format", "json"]);
    assert!(run.code <= 1, "{}", run.stderr);
    let report = run.json();
    let access = |key: &str| finding_for(&report, key)["facts"]["iam"]["access"].clone();
    let f = access(&frank.0);
    assert_eq!(f["level"], "can-escalate", "{f:#}");
    assert_eq!(
        f["path"], "user/px-frank -> sts:AssumeRole -> role/px-ops",
        "{f:#}"
    );
    assert_eq!(finding_for(&report, &frank.0)["severity"], "critical");
    let b = access(&bob.0);
    assert_eq!(b["level"], "can-escalate", "{b:#}");
    assert_eq!(
        b["path"],
        "user/px-bob -> iam:PassRole to lambda.amazonaws.com with lambda:CreateFunction, lambda:InvokeFunction -> role/px-lambda-admin",
        "{b:#}"
    );
    for twin in [&carol.0, &dave.0] {
        let t = access(twin);
        assert_eq!(t["level"], "can-write-data", "{t:#}");
        assert!(t["path"].is_null(), "{t:#}");
    }
}

/// The credential report's console facts, as prowler checks them: a console password without
/// MFA, beside access keys, unused for months; and the password policy. The twin user with
/// MFA and no keys, whose password is new, gives none of them.
#[test]
fn audit_checks_console_passwords_and_the_password_policy() {
    let account = "555511112222";
    create_key(Some(account), "console-ann");
    rt().block_on(async {
        let (iam, _) = clients(Some(account)).await;
        iam.create_user()
            .user_name("console-ben")
            .send()
            .await
            .unwrap();
        for user in ["console-ann", "console-ben"] {
            iam.create_login_profile()
                .user_name(user)
                .password("Correct-Horse-Battery-9")
                .send()
                .await
                .unwrap();
        }
        let mfa = iam
            .create_virtual_mfa_device()
            .virtual_mfa_device_name("ben-mfa")
            .send()
            .await
            .unwrap();
        iam.enable_mfa_device()
            .user_name("console-ben")
            .serial_number(mfa.virtual_mfa_device().unwrap().serial_number())
            .authentication_code1("123456")
            .authentication_code2("654321")
            .send()
            .await
            .unwrap();
        iam.update_account_password_policy()
            .minimum_password_length(8)
            .password_reuse_prevention(24)
            .send()
            .await
            .unwrap();
    });
    let dir = Dir::new();
    let rules_for = |report: &serde_json::Value, user: &str| -> Vec<String> {
        let mut rules: Vec<String> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["message"].as_str().unwrap().contains(user))
            .map(|f| f["rule_id"].as_str().unwrap().to_string())
            .collect();
        rules.sort();
        rules
    };
    let today = audit(dir.path(), account, "json", &[]).json();
    assert_eq!(
        rules_for(&today, "console-ann"),
        vec![
            "iam.console-and-keys",
            "iam.console-without-mfa",
            "iam.no-mfa"
        ],
        "{today:#}"
    );
    assert_eq!(
        rules_for(&today, "console-ben"),
        Vec::<String>::new(),
        "{today:#}"
    );
    let policy: Vec<&serde_json::Value> = today["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "iam.password-policy")
        .collect();
    assert_eq!(policy.len(), 1, "{today:#}");
    assert!(policy[0]["message"]
        .as_str()
        .unwrap()
        .contains("minimum length 8"));
    // A year on, both passwords are unused for longer than the limit.
    let later = audit(dir.path(), account, "json", &["--as-of", &date_in(365)]).json();
    assert!(rules_for(&later, "console-ann").contains(&"iam.console-unused".to_string()));
    assert!(rules_for(&later, "console-ben").contains(&"iam.console-unused".to_string()));
}

/// `audit` lists every access key it read, not only those with a hygiene problem: an
/// administrator's new key (no finding of its own) and a reader's, with owner, age, last use
/// and access level, in JSON, in the HTML report and as CSV.
#[test]
fn audit_inventories_every_key() {
    let account = "666600001111";
    let admin = create_key(Some(account), "inv-admin");
    let reader = create_key(Some(account), "inv-reader");
    rt().block_on(async {
        let (iam, _) = clients(Some(account)).await;
        iam.attach_user_policy()
            .user_name("inv-admin")
            .policy_arn("arn:aws:iam::aws:policy/AdministratorAccess")
            .send()
            .await
            .unwrap();
        iam.put_user_policy()
            .user_name("inv-reader")
            .policy_name("read")
            .policy_document(r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"}]}"#)
            .send()
            .await
            .unwrap();
    });
    let dir = Dir::new();
    let json = audit(dir.path(), account, "json", &["--inventory", "keys.csv"]).json();
    let row = |key: &str| {
        json["inventory"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["key_id"] == key)
            .unwrap_or_else(|| panic!("{key} not in the inventory: {json:#}"))
            .clone()
    };
    let a = row(&admin.0);
    assert_eq!(
        (
            a["user"].as_str(),
            a["access"].as_str(),
            a["state"].as_str()
        ),
        (Some("inv-admin"), Some("admin"), Some("active")),
        "{a:#}"
    );
    assert_eq!(a["age_days"], 0);
    let r = row(&reader.0);
    assert_eq!(r["access"], "read-only", "{r:#}");
    let csv = std::fs::read_to_string(dir.join("keys.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("account,user,key_id,state,created,age_days,last_used,last_used_service,last_used_region,access,path,quarantine"));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 2, "{csv}");
    assert!(
        rows.iter().any(
            |l| l.starts_with(&format!("{account},inv-admin,{},active,", admin.0))
                && l.contains(",admin,")
        ),
        "{csv}"
    );
    let html = audit(dir.path(), account, "html", &[]).stdout;
    assert!(
        html.contains("<h2 id=\"inventory\">Access keys</h2>"),
        "no inventory in the HTML report"
    );
    assert!(html.contains(&admin.0) && html.contains(&reader.0));
}

/// `audit` reads `.keyrot.toml` as a scan does (`max-key-age`, `disable`), and audits each
/// account of a repeated `--profile`; the twin without the file keeps the defaults.
#[test]
fn audit_reads_the_configuration_and_several_profiles() {
    let account = "777700002222";
    let key = create_key(Some(account), "cfg-user");
    let dir = Dir::new();
    // Profile `other`: the key of a user of another account (moto routes by access key).
    dir.write(
        "credentials",
        format!(
            "[main]\naws_access_key_id = testing\naws_secret_access_key = testing\n[other]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            key.0, key.1
        ),
    );
    let creds = dir.join("credentials");
    let run = |more: &[&str]| {
        let mut args = vec!["audit", "--format", "json", "--fail-on", "none", "--as-of"];
        let later = date_in(10);
        args.push(&later);
        args.extend(more);
        with_aws_files(
            dir.path(),
            std::path::Path::new("/nonexistent"),
            &creds,
            &args,
        )
    };
    let of_user = |report: &serde_json::Value| -> Vec<String> {
        let mut rules: Vec<String> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["message"].as_str().unwrap().contains("cfg-user"))
            .map(|f| f["rule_id"].as_str().unwrap().to_string())
            .collect();
        rules.sort();
        rules
    };
    // Without configuration: a 10-day-old key is within the 90-day policy; no MFA is found.
    let plain = run(&["--profile", "main", "--profile", "other"]);
    let report = plain.json();
    assert!(
        report["summary"]["scope"]
            .as_str()
            .unwrap()
            .starts_with("audit: 2 accounts"),
        "{}",
        plain.stderr
    );
    assert_eq!(of_user(&report), vec!["iam.no-mfa"], "{report:#}");
    // With it: a 1-day policy flags the key, and the disabled rule is gone.
    dir.write(
        ".keyrot.toml",
        "max-key-age = 1\ndisable = [\"iam.no-mfa\"]\n",
    );
    let configured = run(&["--profile", "main", "--profile", "other"]).json();
    assert_eq!(
        of_user(&configured),
        vec!["iam.key-too-old"],
        "{configured:#}"
    );
    assert!(configured
        .to_string()
        .contains("over the 1-day rotation policy"));
    // More than one profile means nothing to other commands: refused.
    let scan = keyrot_aws(
        dir.path(),
        moto(),
        &["scan", "--iam", "--profile", "a", "--profile", "b"],
    );
    assert_eq!(scan.code, 2, "{}", scan.stderr);
    assert!(
        scan.stderr.contains("only audit reads several accounts"),
        "{}",
        scan.stderr
    );
}

#[test]
fn audit_adds_cloudtrail_evidence_to_the_keys_it_reports() {
    let key = create_key(None, "audit-trail");
    let later = date_in(200);
    let as_of = keyrot::time::parse_date(&later).unwrap();
    let mut pages = std::collections::HashMap::new();
    pages.insert(
        key.0.clone(),
        vec![vec![trail_event(
            as_of - 3 * 86_400,
            "ListBuckets",
            "203.0.113.9",
        )]],
    );
    let (url, seen) = cloudtrail_stand_in(pages);
    let dir = crate::util::Dir::new();
    let run_with = |more: &[&str]| {
        let mut args = vec![
            "audit",
            "--as-of",
            later.as_str(),
            "--format",
            "json",
            "--fail-on",
            "none",
        ];
        args.extend_from_slice(more);
        keyrot_aws_env(dir.path(), &[("AWS_ENDPOINT_URL_CLOUDTRAIL", &url)], &args)
    };
    let run = run_with(&["--cloudtrail"]);
    assert!(run.code <= 1, "{}", run.stderr);
    let report = run.json();
    let f = finding_for(&report, &key.0);
    assert_eq!(f["rule_id"], "iam.key-too-old", "{f:#}");
    assert_eq!(f["facts"]["iam"]["usage"]["events"], 1, "{f:#}");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("CloudTrail: 1 calls"),
        "{f:#}"
    );
    assert!(seen
        .lock()
        .unwrap()
        .iter()
        .any(|r| r["LookupAttributes"][0]["AttributeValue"] == key.0.as_str()));
    // Its twin without the flag asks CloudTrail nothing.
    let asked = seen.lock().unwrap().len();
    let plain = run_with(&[]);
    assert!(plain.code <= 1, "{}", plain.stderr);
    let report = plain.json();
    let f = finding_for(&report, &key.0);
    assert!(f["facts"]["iam"]["usage"].is_null(), "{f:#}");
    assert_eq!(seen.lock().unwrap().len(), asked);
}

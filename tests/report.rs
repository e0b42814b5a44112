//! The reports people read: HTML (checked as HTML5, for what it loads, and in a real headless
//! Chromium), Markdown within GitHub's summary limit, and `keyrot report` merging scans.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{keyrot, Dir};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `html-validate` (npm, with its `standard` preset: conformance to the HTML standard), which
/// `scripts/test` installs under `.tools/`. Returns its output when the page is not valid.
pub fn html5_errors(page: &Path) -> Option<String> {
    let tool = root().join(".tools/node_modules/.bin/html-validate");
    assert!(
        tool.is_file(),
        "html-validate is missing at {}: run ./scripts/test, which installs it (npm install --prefix .tools html-validate@9)",
        tool.display()
    );
    let out = Command::new(&tool)
        .arg("--config")
        .arg(root().join("tests/html-validate.json"))
        .arg(page)
        .output()
        .expect("run html-validate");
    (!out.status.success()).then(|| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// Every URL the page would load or link to, found by parsing it (Python's `html.parser`):
/// attributes that take one and `url(...)` in styles; `data:` and `#fragment` left out.
pub fn urls_in(page: &Path) -> Vec<String> {
    let script = r##"
import sys, re
from html.parser import HTMLParser
ATTRS = {"href", "src", "action", "formaction", "srcset", "poster", "data", "xlink:href", "background", "manifest", "ping", "cite", "longdesc", "icon"}
found = []
class P(HTMLParser):
    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if v is None: continue
            if k in ATTRS and not (v.startswith("data:") or v.startswith("#")): found.append(f"{tag} {k}={v}")
            if k == "style": found.extend(re.findall(r"url\([^)]*\)", v))
            if k == "http-equiv" and v.lower() == "refresh": found.append("meta refresh")
    def handle_data(self, data):
        if self.lasttag == "style": found.extend(re.findall(r"url\([^)]*\)|@import", data))
P().feed(open(sys.argv[1], encoding="utf-8").read())
print("\n".join(found))
"##;
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(page)
        .output()
        .expect("python3 is required (apt-get install python3)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// Debian's Chromium, which `scripts/test` installs when missing.
fn chromium() -> PathBuf {
    let path = PathBuf::from(
        std::env::var_os("KEYROT_CHROMIUM").unwrap_or_else(|| "/usr/bin/chromium".into()),
    );
    assert!(
        path.is_file(),
        "Chromium is missing at {}: run ./scripts/test, which installs it (apt-get install chromium)",
        path.display()
    );
    path
}

/// Opens the page in headless Chromium: a screenshot at `png`, and what the browser logged.
pub fn screenshot(page: &Path, png: &Path, profile: &Path) -> String {
    let out = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1280,1600",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The HTML report of `keyrot scan fixtures`, written in `dir`.
fn fixtures_page(dir: &Dir) -> PathBuf {
    let page = dir.join("report.html");
    let out = page.to_str().unwrap();
    let run = keyrot(&[
        "scan",
        "fixtures",
        "--format",
        "html",
        "--fail-on",
        "none",
        "--label",
        "fixtures",
        "-o",
        out,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    page
}

#[test]
fn the_html_report_masks_secrets_lists_every_finding_loads_nothing_and_is_html5() {
    let dir = Dir::new();
    let page = fixtures_page(&dir);
    let html = std::fs::read_to_string(&page).unwrap();
    for secret in crate::scan::PLANTED_SECRETS {
        assert!(!html.contains(secret), "the HTML shows {secret}");
    }
    // Every finding the JSON report has is a row, with its rule and file.
    let json = keyrot(&["scan", "fixtures", "--format", "json", "--fail-on", "none"]).json();
    let findings = json["findings"].as_array().unwrap();
    assert!(findings.len() > 20);
    assert_eq!(html.matches("<tr class=\"finding").count(), findings.len());
    for f in findings {
        let uri = f["uri"].as_str().unwrap();
        assert!(
            html.contains(&format!("<code>{uri}</code>")),
            "{uri} missing"
        );
        assert!(html.contains(&format!("data-rule=\"{}\"", f["rule_id"].as_str().unwrap())));
    }
    assert!(html.contains("Content-Security-Policy"));
    assert_eq!(
        urls_in(&page),
        Vec::<String>::new(),
        "the page loads or links nothing"
    );
    assert_eq!(html5_errors(&page), None);
    // The twins: a page that links out, and one that is not valid HTML, are caught.
    let bad = dir.join("bad.html");
    std::fs::write(&bad, "<!DOCTYPE html><html lang=\"en\"><head><title>x</title><link rel=\"stylesheet\" href=\"https://example.com/x.css\"></head><body><p><div></p></body></html>").unwrap();
    assert_eq!(urls_in(&bad).len(), 1);
    assert!(html5_errors(&bad).is_some());
}

#[test]
fn the_html_report_renders_in_headless_chromium_with_its_script_allowed() {
    let dir = Dir::new();
    let page = fixtures_page(&dir);
    let png = dir.join("report.png");
    let log = screenshot(&page, &png, &dir.join("profile"));
    let bytes = std::fs::read(&png).unwrap_or_else(|_| panic!("no screenshot: {log}"));
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(bytes.len() > 20_000, "an empty page? {} bytes", bytes.len());
    // The inline script's hash is in the page's CSP: the browser refused nothing.
    assert!(!log.contains("Content Security Policy"), "{log}");
    assert!(!log.contains("Refused to"), "{log}");
}

/// `n` files of `per_file` distinct key pairs each.
fn many_pairs(dir: &Dir, n: usize, per_file: usize) {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |alphabet: &[u8]| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        alphabet[(state % alphabet.len() as u64) as usize] as char
    };
    for f in 0..n {
        let mut text = String::new();
        for _ in 0..per_file {
            let key: String = (0..16)
                .map(|_| next(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"))
                .collect();
            let secret: String = (0..40)
                .map(|_| next(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"))
                .collect();
            text.push_str(&format!(
                "aws_access_key_id = AKIA{key}\naws_secret_access_key = {secret}\n\n"
            ));
        }
        dir.write(&format!("dump{f}.env"), text);
    }
}

#[test]
fn the_markdown_of_a_large_scan_stays_under_a_mib_and_says_what_it_left_out() {
    let dir = Dir::new();
    many_pairs(&dir, 8, 1000);
    let run = crate::util::keyrot_in(
        dir.path(),
        &["scan", "--format", "markdown", "--fail-on", "none"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.len() < 1024 * 1024, "{} bytes", run.stdout.len());
    assert!(
        run.stdout
            .contains("findings left out to stay under GitHub's 1 MiB"),
        "{}",
        &run.stdout[run.stdout.len() - 300..]
    );
    // The twin: a small scan is whole.
    let small = Dir::new();
    many_pairs(&small, 1, 5);
    let run = crate::util::keyrot_in(
        small.path(),
        &["scan", "--format", "markdown", "--fail-on", "none"],
    );
    assert!(!run.stdout.contains("left out"), "{}", run.stdout);
    assert_eq!(
        run.stdout.matches("| critical |").count(),
        6,
        "5 rows and the total: {}",
        run.stdout
    );
}

#[test]
fn report_refuses_what_it_cannot_merge_and_says_why() {
    let dir = Dir::new();
    dir.write(
        "old.json",
        r#"{"version": 0, "tool": {"name": "keyrot"}, "findings": [], "summary": {}}"#,
    );
    dir.write("other.json", r#"{"runs": []}"#);
    let old = keyrot(&["report", dir.join("old.json").to_str().unwrap()]);
    assert_eq!(old.code, 2);
    assert!(
        old.stderr
            .contains("JSON report schema version 0; this keyrot reads version 2"),
        "{}",
        old.stderr
    );
    let other = keyrot(&["report", dir.join("other.json").to_str().unwrap()]);
    assert_eq!(other.code, 2);
    assert!(
        other.stderr.contains("not a keyrot JSON report"),
        "{}",
        other.stderr
    );
}

/// The published schema (`schemas/NAME`), compiled.
fn published(name: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("schemas").join(name)).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).expect("the published schema compiles")
}

fn schema_errors(validator: &jsonschema::Validator, doc: &serde_json::Value) -> Vec<String> {
    validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn reports_validate_against_the_published_schema_and_round_trip_through_keyrot_report() {
    let dir = Dir::new();
    let single = published("report.schema.json");
    let merged_schema = published("merged-report.schema.json");
    // A tree with suppressed findings shown, and a history scan with commits.
    let tree = dir.join("tree.json");
    let run = keyrot(&[
        "scan",
        "fixtures",
        "--format",
        "json",
        "--fail-on",
        "none",
        "--show-suppressed",
        "--label",
        "fixtures",
        "-o",
        tree.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let repo = crate::util::Repo::new();
    repo.write(
        "deploy.env",
        "AWS_ACCESS_KEY_ID=AKIAY34FZKBOKMUTVV7A\nAWS_SECRET_ACCESS_KEY=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\n",
    )
    .commit("add deploy settings");
    let history = dir.join("history.json");
    let run = repo.keyrot(&[
        "scan",
        "--git",
        "--format",
        "json",
        "--fail-on",
        "none",
        "--label",
        "history",
        "-o",
        history.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for file in [&tree, &history] {
        let text = std::fs::read_to_string(file).unwrap();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(!doc["findings"].as_array().unwrap().is_empty(), "{text}");
        assert_eq!(
            schema_errors(&single, &doc),
            Vec::<String>::new(),
            "{}",
            file.display()
        );
    }
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&history).unwrap()).unwrap();
    assert!(doc["findings"][0]["commit"]["id"].is_string(), "{doc:#}");
    // Merged: valid, and each part is the report it read, byte for byte once pretty-printed.
    let out = keyrot(&[
        "report",
        tree.to_str().unwrap(),
        history.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let merged = out.json();
    assert_eq!(schema_errors(&merged_schema, &merged), Vec::<String>::new());
    for (i, file) in [&tree, &history].iter().enumerate() {
        let written: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        assert_eq!(
            merged["reports"][i],
            written,
            "{} did not round-trip",
            file.display()
        );
    }
    // Text drawn from the JSON report is the scan's own text.
    let text = keyrot(&["scan", "fixtures", "--fail-on", "none", "--show-suppressed"]).stdout;
    let drawn = keyrot(&["report", tree.to_str().unwrap(), "--format", "text"]).stdout;
    assert_eq!(drawn, format!("# fixtures\n{text}"));
    // Merging a merged report gives the same parts again.
    let again = dir.join("merged.json");
    std::fs::write(&again, &out.stdout).unwrap();
    let twice = keyrot(&["report", again.to_str().unwrap(), "--format", "json"]).json();
    assert_eq!(twice["reports"], merged["reports"]);
    // SARIF drawn from the JSON report has the results SARIF of the scan has.
    let direct = keyrot(&["scan", "fixtures", "--format", "sarif", "--fail-on", "none"]).json();
    let drawn = keyrot(&["report", tree.to_str().unwrap(), "--format", "sarif"]).json();
    // (The session-revoking command names the second it was written in.)
    let instant = regex::Regex::new(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").unwrap();
    let results = |doc: &serde_json::Value| {
        instant
            .replace_all(&doc["runs"][0]["results"].to_string(), "INSTANT")
            .into_owned()
    };
    assert_eq!(results(&drawn), results(&direct));
    // The twins: a report with a severity the schema does not know is refused by both.
    let mut bad = doc.clone();
    bad["findings"][0]["severity"] = serde_json::json!("urgent");
    assert!(!schema_errors(&single, &bad).is_empty());
    let bad_file = dir.join("bad.json");
    std::fs::write(&bad_file, serde_json::to_string(&bad).unwrap()).unwrap();
    let refused = keyrot(&["report", bad_file.to_str().unwrap()]);
    assert_eq!(refused.code, 2);
    assert!(
        refused.stderr.contains("not a valid keyrot report"),
        "{}",
        refused.stderr
    );
}

/// What a reader sees of `page` in headless Chromium (`tests/html-check.cjs`, puppeteer-core):
/// on screen at 1,280 px, after every "show all", and in print emulation; screenshots in `dir`.
fn browse(page: &Path, dir: &Path) -> serde_json::Value {
    let modules = root().join(".tools/node_modules");
    assert!(
        modules.join("puppeteer-core").is_dir(),
        "puppeteer-core is missing in {}: run ./scripts/test, which installs it (npm install --prefix .tools puppeteer-core@25.16.0)",
        modules.display()
    );
    let out = Command::new("node")
        .arg(root().join("tests/html-check.cjs"))
        .arg(page)
        .arg(dir)
        .env("NODE_PATH", &modules)
        .env("KEYROT_CHROMIUM", chromium())
        .output()
        .expect("run node (apt-get install nodejs)");
    assert!(
        out.status.success(),
        "html-check failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("html-check prints JSON")
}

#[test]
fn the_html_report_reads_in_severity_order_fits_1280_px_and_prints_every_fix() {
    let dir = Dir::new();
    // Fourteen pairs in one file (a group that pages), a weak Terraform role with an
    // AWS-managed policy attached, and a file name that does not break.
    many_pairs(&dir, 1, 14);
    dir.write(
        "infra/main.tf",
        r#"resource "aws_iam_role_policy_attachment" "admin" {
  role       = "deploy"
  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}

resource "aws_iam_policy" "wide" {
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "s3:*", Resource = "*" }]
  })
}
"#,
    );
    dir.write(
        &format!("deep/{}.env", "a_very_long_unbroken_file_name_".repeat(8)),
        "aws_access_key_id = AKIAYGTTU3F4ZNIBPSU4\n",
    );
    let page = dir.join("report.html");
    let run = crate::util::keyrot_in(
        dir.path(),
        &[
            "scan",
            "--format",
            "html",
            "--fail-on",
            "none",
            "-o",
            page.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let html = std::fs::read_to_string(&page).unwrap();
    let seen = browse(&page, dir.path());
    let (screen, all, print) = (&seen["screen"], &seen["all"], &seen["print"]);
    assert_eq!(seen["problems"], serde_json::json!([]), "{seen:#}");
    assert_eq!(
        screen["first_section"], "summary",
        "the summary comes first"
    );
    assert!(
        screen["overflow"].as_i64().unwrap() <= 0,
        "overflows 1280 px: {}",
        screen["overflow"]
    );
    // Most severe first, whatever the files' order.
    let rank = |s: &serde_json::Value| match s.as_str().unwrap() {
        "critical" => 3,
        "high" => 2,
        "medium" => 1,
        _ => 0,
    };
    let ranks: Vec<i32> = screen["severities"]
        .as_array()
        .unwrap()
        .iter()
        .map(rank)
        .collect();
    assert!(ranks.len() >= 17, "{ranks:?}");
    assert!(ranks.windows(2).all(|w| w[0] >= w[1]), "{ranks:?}");
    assert!(
        ranks.contains(&3) && ranks.iter().any(|r| *r < 3),
        "{ranks:?}"
    );
    // Paged on screen, whole after "show all" and in print, every fix and command visible.
    let rows = screen["rows"].as_u64().unwrap();
    assert!(
        screen["visible_rows"].as_u64().unwrap() < rows,
        "{screen:#}"
    );
    assert_eq!(seen["buttons"], 1);
    assert_eq!(all["visible_rows"].as_u64().unwrap(), rows);
    assert_eq!(print["visible_rows"].as_u64().unwrap(), rows);
    assert_eq!(print["visible_fixes"], print["fixes"]);
    assert!(print["commands"].as_u64().unwrap() > rows);
    assert_eq!(print["visible_commands"], print["commands"]);
    // No secret shown, and AWS's own policy ARN not masked as if it were one.
    let text = screen["text"].as_str().unwrap();
    assert!(
        text.contains("arn:aws:iam::aws:policy/AdministratorAccess"),
        "{text}"
    );
    assert!(!html.contains("policy/Admi****"));
    assert!(!html.contains("UYDK9SGewL2AGe4Ae"));
    assert!(text.contains("What to do first"), "{text}");
    for png in ["screen.png", "print.png"] {
        let bytes = std::fs::read(dir.join(png)).unwrap();
        assert!(bytes.starts_with(b"\x89PNG"), "{png}");
    }
    // Only secrets go on the history timeline; the policies say how many they are.
    let repo = crate::util::Repo::new();
    repo.write("keys.env", "aws_access_key_id = AKIAYGTTU3F4ZNIBPSU4\naws_secret_access_key = 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\n")
        .write("policy.json", r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#)
        .commit("add");
    let history = dir.join("history.html");
    let run = repo.keyrot(&[
        "scan",
        "--git",
        "--format",
        "html",
        "--fail-on",
        "none",
        "-o",
        history.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let history = std::fs::read_to_string(&history).unwrap();
    assert_eq!(history.matches("<circle").count(), 1, "{history}");
    assert!(
        history.contains("1 policy finding from history not plotted"),
        "{history}"
    );
}

#[test]
fn the_job_summary_links_findings_at_their_commit_and_says_what_was_scanned() {
    let repo = crate::util::Repo::new();
    repo.write("README.md", "hello\n").commit("start");
    let added = repo
        .write(
            "deploy/prod.env",
            "aws_access_key_id = AKIAYGTTU3F4ZNIBPSU4\naws_secret_access_key = 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\n",
        )
        .write("notes.txt", "AKIAV3ECFF5UQMMIXKKF # keyrot:allow reason=\"test key\"\n")
        .commit("add prod settings");
    let summary = repo.path().join("summary.md");
    let out: crate::util::Run = crate::util::bin()
        .current_dir(repo.path())
        .args([
            "scan",
            "--git",
            "--since",
            "HEAD~1",
            "--fail-on",
            "none",
            "--markdown-summary",
        ])
        .arg(&summary)
        .env("GITHUB_SERVER_URL", "https://github.example")
        .env("GITHUB_REPOSITORY", "octo/app")
        .env("GITHUB_SHA", "feedfacefeedfacefeedfacefeedfacefeedface")
        .output()
        .unwrap()
        .into();
    assert_eq!(out.code, 0, "{}", out.stderr);
    let md = std::fs::read_to_string(&summary).unwrap();
    let link = format!("(https://github.example/octo/app/blob/{added}/deploy/prod.env#L1)");
    assert!(md.contains(&link), "{md}");
    assert!(md.contains("**Scanned** ("), "{md}");
    assert!(md.contains("history: 1 commit"), "{md}");
    // The allow comment this change adds is named.
    assert!(
        md.contains("suppressed by allow comments this change adds itself"),
        "{md}"
    );
    assert!(md.contains("notes.txt:1"), "{md}");
    // The twin: without a repository in the environment, no link.
    let plain = repo.path().join("plain.md");
    let run = repo.keyrot(&[
        "scan",
        "--git",
        "--since",
        "HEAD~1",
        "--fail-on",
        "none",
        "--markdown-summary",
        plain.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let md = std::fs::read_to_string(&plain).unwrap();
    assert!(!md.contains("](http"), "{md}");
}

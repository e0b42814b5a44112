//! `keyrot scan` end to end: the bundled fixtures, exit codes, formats, redaction, bad input.

use crate::util::{keyrot, keyrot_in, keyrot_stdin, rows, Dir};

/// Every secret and token planted in `fixtures/`: none may appear in any output.
pub const PLANTED_SECRETS: &[&str] = &[
    "UYDK9SGewL2AGe4Ae/yHC3A/lCbFs83cEDU3qLyj",
    "bC5o+X2a7cZmP1gaAWtceE6oqXlDu/zoXYr2mWQi",
    "3R4CxEu7dPgdbAfxX6SdyzFYxi8Q6KEBLHNiNxPy",
    "FsbSbFPA141x1wKGXUefQlnz+7rsTTqwKwAKIQX1",
    "/1owuYtc+bBe88RIJJe2fDkMPsX5B+P7cxj4RCcH",
    "plOF96kc7rhxlAzouFw2NAw/MoiXeupmUQ8g/TuX",
    "D36DbXt3WgA06QX7hDwYosjc9kMSgdzVDBF5iGkY",
    "i9xF+MuXyKhRQ+fMngWdbQ7qHnkayje3zdDA1rHu",
    "BOyrRHOl3FBOLChmVhM5oZbV3WrkV+VHQcDN18yi",
    "Omhv2aVq5sz7KcmPLsHIa40ae8fjJ0WSDFS/mFMh",
    "XjjSaiOFz6K0vhBl3/uJfbQVteqnCWx7uqUy+Rvg",
    "zLuiVfXi5okFzVgjUVnL7urEacoXbkVYSzZVxlnA",
    "zKwXCNwsLjuJJnpq0P0xBSk7FwBi63HIrPZT9ku+",
    // the session token, and the AWS documentation secret
    "IQoJb3JpZ2luX2VjESHTEbpK",
    "wJalrXUtnFEMI/K7MDENG",
];

const SECRET: &str = "UYDK9SGewL2AGe4Ae/yHC3A/lCbFs83cEDU3qLyj";
const KEY: &str = "AKIAYGTTU3F4ZNIBPSU4";
const KEY2: &str = "AKIAV3ECFF5UQMMIXKKF";

fn pair(key: &str, secret: &str) -> String {
    format!("aws_access_key_id = {key}\naws_secret_access_key = {secret}\n")
}

#[test]
fn fixtures_give_exactly_the_expected_findings() {
    let run = keyrot(&[
        "scan",
        "fixtures/leaks",
        "fixtures/decoys",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let got = rows(&run.json());
    let want: Vec<(String, u64, String, String)> = [
        (
            "fixtures/leaks/.aws/credentials",
            2,
            "aws.access-key-pair",
            "critical",
        ),
        (
            "fixtures/leaks/.aws/credentials",
            6,
            "aws.access-key-pair",
            "critical",
        ),
        ("fixtures/leaks/.env", 4, "aws.access-key-pair", "critical"),
        (
            "fixtures/leaks/Dockerfile",
            4,
            "aws.access-key-pair",
            "critical",
        ),
        (
            "fixtures/leaks/app/settings.py",
            8,
            "aws.access-key-pair",
            "critical",
        ),
        (
            "fixtures/leaks/cmd/uploader/main.go",
            11,
            "aws.access-key-id",
            "high",
        ),
        (
            "fixtures/leaks/config/credentials.json",
            4,
            "aws.access-key-pair",
            "critical",
        ),
        (
            "fixtures/leaks/deploy/values.yaml",
            7,
            "aws.secret-access-key",
            "high",
        ),
        (
            "fixtures/leaks/infra/provider.tf",
            9,
            "aws.access-key-pair",
            "critical",
        ),
        (
            "fixtures/leaks/notebooks/explore.ipynb",
            18,
            "aws.access-key-pair",
            "critical",
        ),
        (
            "fixtures/leaks/ops/honeytoken.cfg",
            3,
            "aws.access-key-id",
            "low",
        ),
        (
            "fixtures/leaks/scripts/deploy.bat",
            3,
            "aws.access-key-pair",
            "critical",
        ),
        (
            "fixtures/leaks/service/src/main/resources/application.properties",
            4,
            "aws.access-key-pair",
            "critical",
        ),
        (
            "fixtures/leaks/web/dist/bundle.min.js",
            1,
            "aws.access-key-pair",
            "critical",
        ),
        (
            "fixtures/leaks/web/dist/bundle.min.js",
            1,
            "aws.access-key-id",
            "high",
        ),
        (
            "fixtures/leaks/web/src/config.js",
            5,
            "aws.access-key-pair",
            "critical",
        ),
    ]
    .iter()
    .map(|(p, l, r, s)| (p.to_string(), *l, r.to_string(), s.to_string()))
    .collect();
    assert_eq!(got, want);
}

#[test]
fn decoys_give_no_findings_and_the_summary_says_what_was_dropped() {
    let run = keyrot(&["scan", "fixtures/decoys"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("no findings"), "{}", run.stderr);
    assert!(
        run.stderr.contains("dropped 3 candidates: 2 documentation example (AKIAIOSFODNN7EXAMPLE, wJal****); 1 placeholder (AKIAXXXXXXXXXXXXXXXX)"),
        "{}",
        run.stderr
    );
}

/// The samples of dropped candidates are the smallest ones, whatever order the workers met
/// them in: two runs of one scan give one report. Six example key IDs, in files whose names
/// sort the other way round from the keys.
#[test]
fn dropped_samples_are_the_smallest_whatever_the_order() {
    let dir = Dir::new();
    let letters = ["B", "C", "D", "E", "F", "G"];
    for (i, letter) in letters.iter().enumerate() {
        let id = format!("AKIA{}EXAMPLE", letter.repeat(9));
        dir.write(
            &format!("f{}/creds.env", 9 - i),
            format!("AWS_ACCESS_KEY_ID={id}\n"),
        );
    }
    let samples = |threads: &str| {
        let report = keyrot(&[
            "scan",
            dir.path().to_str().unwrap(),
            "--format",
            "json",
            "--threads",
            threads,
        ])
        .json();
        let dropped = report["summary"]["dropped"].as_array().unwrap().clone();
        assert_eq!(dropped.len(), 1, "{dropped:?}");
        assert_eq!(dropped[0]["count"], 6);
        dropped[0]["samples"].clone()
    };
    let want = serde_json::json!([
        "AKIABBBBBBBBBEXAMPLE",
        "AKIACCCCCCCCCEXAMPLE",
        "AKIADDDDDDDDDEXAMPLE"
    ]);
    assert_eq!(samples("1"), want);
    assert_eq!(samples("2"), want);
}

#[test]
fn the_json_report_carries_facts_related_locations_and_remedy() {
    let report = keyrot(&["scan", "fixtures/leaks/.env", "--format", "json"]).json();
    assert_eq!(report["schema_version"], 2);
    assert_eq!(report["tool"]["name"], "keyrot");
    let f = &report["findings"][0];
    assert_eq!(f["rule_id"], "aws.access-key-pair");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(4), Some(19))
    );
    assert_eq!(
        (f["end_line"].as_u64(), f["end_column"].as_u64()),
        (Some(4), Some(39))
    );
    assert_eq!(f["facts"]["key_id"], "ASIAV32JDQJUEINGZBSR");
    assert_eq!(f["facts"]["key_type"], "temporary");
    assert_eq!(f["facts"]["account_id"], "403343377000");
    assert_eq!(f["facts"]["canary"], false);
    assert_eq!(f["related"][0]["role"], "secret access key");
    assert_eq!(f["related"][0]["line"], 5);
    assert_eq!(f["related"][0]["redacted"], "FsbS****");
    assert_eq!(f["related"][1]["role"], "session token");
    assert_eq!(f["fingerprint"].as_str().unwrap().len(), 32);
    let steps = f["remedy"]["steps"].as_array().unwrap();
    assert!(steps.iter().any(|s| s["command"]
        .as_str()
        .is_some_and(|c| c.contains("aws:TokenIssueTime"))));
    let summary = &report["summary"];
    assert_eq!(summary["files_scanned"], 1);
    assert_eq!(summary["findings"], 1);
    assert_eq!(summary["by_severity"]["critical"], 1);
}

/// The revoking command for a temporary key is run by a real shell, with `aws` a stand-in
/// that prints the policy document it is given: the document is JSON, and its cut-off is the
/// moment the command runs. Run once with a stand-in `date`, whose time must be the cut-off
/// (what tells this from a time stamped at scan time), and once with the real one. The
/// command is also the same whatever `--as-of` says: that date is not the cut-off either.
#[test]
fn the_session_revocation_is_stamped_when_it_runs() {
    let command_of = |args: &[&str]| -> String {
        let report = keyrot(args).json();
        let steps = report["findings"][0]["remedy"]["steps"]
            .as_array()
            .unwrap()
            .clone();
        steps
            .iter()
            .filter_map(|s| s["command"].as_str())
            .find(|c| c.contains("put-role-policy"))
            .expect("a put-role-policy step")
            .to_string()
    };
    let command = command_of(&["scan", "fixtures/leaks/.env", "--format", "json"]);
    let later = command_of(&[
        "scan",
        "fixtures/leaks/.env",
        "--format",
        "json",
        "--as-of",
        "2001-02-03",
    ]);
    assert_eq!(
        command, later,
        "the report does not depend on when it was written"
    );
    let script = |dir: &Dir, name: &str, body: &str| {
        dir.write(&format!("bin/{name}"), format!("#!/bin/sh\n{body}\n"));
        let path = dir.join(&format!("bin/{name}"));
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
    };
    let cut_off = |dir: &Dir| -> String {
        script(
            dir,
            "aws",
            r#"while [ $# -gt 0 ]; do [ "$1" = --policy-document ] && printf '%s' "$2"; shift; done"#,
        );
        let out = std::process::Command::new("bash")
            .args(["-c", &command])
            .env(
                "PATH",
                format!("{}:/usr/bin:/bin", dir.join("bin").display()),
            )
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let policy: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
        assert_eq!(policy["Statement"][0]["Effect"], "Deny");
        policy["Statement"][0]["Condition"]["DateLessThan"]["aws:TokenIssueTime"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let fake = Dir::new();
    script(&fake, "date", "echo 2031-01-01T00:00:00Z");
    assert_eq!(cut_off(&fake), "2031-01-01T00:00:00Z");
    let real = cut_off(&Dir::new());
    let parsed = std::process::Command::new("date")
        .args(["-u", "-d", &real, "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&parsed.stdout).trim(),
        real,
        "{real} is not an RFC 3339 time"
    );
}

#[test]
fn the_remedy_names_the_key_in_every_command() {
    let report = keyrot(&["scan", "fixtures/leaks/app/settings.py", "--format", "json"]).json();
    let steps = report["findings"][0]["remedy"]["steps"]
        .as_array()
        .unwrap()
        .clone();
    let commands: Vec<&str> = steps.iter().filter_map(|s| s["command"].as_str()).collect();
    assert!(commands
        .iter()
        .any(|c| c.starts_with("aws iam update-access-key")
            && c.contains(KEY)
            && c.contains("--status Inactive")));
    assert!(commands
        .iter()
        .any(|c| c.starts_with("aws iam create-access-key")));
    assert!(commands
        .iter()
        .any(|c| c.starts_with("aws cloudtrail lookup-events") && c.contains(KEY)));
    assert!(commands
        .iter()
        .any(|c| c.starts_with("aws iam delete-access-key") && c.contains(KEY)));
    // Exposed secret: deactivation comes before creating the replacement.
    let deactivate = commands
        .iter()
        .position(|c| c.contains("update-access-key"))
        .unwrap();
    let create = commands
        .iter()
        .position(|c| c.contains("create-access-key"))
        .unwrap();
    assert!(deactivate < create);
}

#[test]
fn no_planted_secret_appears_in_any_output() {
    for format in ["text", "json", "sarif"] {
        let run = keyrot(&["scan", "fixtures", "--format", format, "--color", "always"]);
        for secret in PLANTED_SECRETS {
            assert!(
                !run.stdout.contains(secret),
                "{format} stdout shows {secret}"
            );
            assert!(
                !run.stderr.contains(secret),
                "{format} stderr shows {secret}"
            );
        }
        assert!(
            run.stdout.contains("AKIAYGTTU3F4ZNIBPSU4"),
            "{format}: key IDs are shown whole"
        );
    }
}

#[test]
fn a_secret_found_once_is_masked_in_every_spelling_on_every_line() {
    // Found plainly on line 2; the same secret percent-encoded and JSON-escaped on the lines of
    // two other findings, where no run is long enough for the shape heuristic.
    let text = "{\"aws_access_key_id\": \"AKIAYGTTU3F4ZNIBPSU4\",\n \"aws_secret_access_key\": \"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\",\n \"url\": \"https://x/?id=AKIAV3ECFF5UQMMIXKKF&s=UYDK9SGewL2AGe4Ae%2FyHC3A%2FlCbFs83cEDU3qLyj\",\n \"old\": \"AKIAQYLPMN5HHHFPZAM2 UYDK9SGewL2AGe4Ae\\/yHC3A\\/lCbFs83cEDU3qLyj\"}\n";
    let dir = crate::util::Dir::new();
    dir.write("app.json", text);
    for format in ["text", "json", "sarif"] {
        let run = crate::util::keyrot_in(dir.path(), &["scan", "--format", format]);
        assert_eq!(run.code, 1, "{}", run.stderr);
        for shown in ["GewL2AGe4Ae", "yHC3A", "lCbFs83cEDU3qLyj"] {
            assert!(
                !run.stdout.contains(shown),
                "{format} shows {shown}:\n{}",
                run.stdout
            );
        }
        // The twin: the lines with the other spellings are in the report.
        assert!(
            run.stdout.contains("AKIAV3ECFF5UQMMIXKKF"),
            "{format}: {}",
            run.stdout
        );
        assert!(
            run.stdout.contains("AKIAQYLPMN5HHHFPZAM2"),
            "{format}: {}",
            run.stdout
        );
    }
}

#[test]
fn a_short_custom_secret_found_once_is_masked_on_another_finding_line() {
    let dir = Dir::new();
    dir.write(
        "rules/internal.yml",
        r#"rules:
  - id: acme.short-token
    name: ACME short token
    severity: medium
    literals: [deploy_token]
    pattern: 'deploy_token: (?P<secret>[a-z0-9._-]{12})'
    examples: ['deploy_token: ab.cd-ef_gh1']
    negative_examples: ['deploy_token: short']
    description: An ACME token.
    why: It deploys.
    remediation: Revoke it.
"#,
    );
    // Found on line 1; shown again on line 2, the line of a key ID finding, where it is too
    // short and too punctuated for the shape heuristic.
    dir.write(
        "src/deploy.yml",
        "deploy_token: ab.cd-ef_gh1\nrun: curl -H 'X-Auth: ab.cd-ef_gh1' # AKIAYGTTU3F4ZNIBPSU4\n",
    );
    for format in ["text", "json", "sarif"] {
        let run = keyrot_in(
            dir.path(),
            &["scan", "src", "--rules", "rules", "--format", format],
        );
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert!(
            run.stdout.contains("AKIAYGTTU3F4ZNIBPSU4"),
            "{}",
            run.stdout
        );
        assert!(
            !run.stdout.contains("cd-ef_gh1"),
            "{format} shows the secret:\n{}",
            run.stdout
        );
    }
}

#[test]
fn text_report_snapshot() {
    let run = keyrot(&[
        "scan",
        "fixtures/leaks/app/settings.py",
        "fixtures/leaks/ops",
        "--color",
        "never",
    ]);
    insta::assert_snapshot!(run.stdout, @r#"
    fixtures/leaks/app/settings.py
       8:22  critical aws.access-key-pair  AWS long-term access key AKIAYGTTU3F4ZNIBPSU4 with its secret access key (account 563956996473)
              │ AWS_ACCESS_KEY_ID = "AKIAYGTTU3F4ZNIBPSU4"
              secret access key at 9:26 (UYDK****)
              fix: Revoke now: aws iam update-access-key --user-name USER_NAME --access-key-id AKIAYGTTU3F4ZNIBPSU4 --status Inactive, then rotate

    fixtures/leaks/ops/honeytoken.cfg
       3:21  low      aws.access-key-id  AWS long-term access key AKIAQYLPMN5HOTJ5WRNC (account 052310077262); no secret within 5 lines; a canary token: any use of it alerts whoever planted it
              │ aws_access_key_id = AKIAQYLPMN5HOTJ5WRNC
              fix: Do not use AKIAQYLPMN5HOTJ5WRNC: it is a canary token. If your team did not plant it, treat this repository as watched and ask who did.
    "#);
}

#[test]
fn exit_codes_follow_fail_on() {
    let dir = Dir::new();
    dir.write("lone.py", format!("KEY = '{KEY}'\n"));
    let p = dir.path().to_str().unwrap();
    assert_eq!(keyrot(&["scan", p]).code, 1);
    assert_eq!(keyrot(&["scan", p, "--fail-on", "high"]).code, 1);
    assert_eq!(keyrot(&["scan", p, "--fail-on", "critical"]).code, 0);
    assert_eq!(keyrot(&["scan", p, "--fail-on", "none"]).code, 0);
    let clean = Dir::new();
    clean.write("ok.py", "print('hello')\n");
    assert_eq!(keyrot(&["scan", clean.path().to_str().unwrap()]).code, 0);
    let usage = keyrot(&["scan", "--fail-on", "sometimes"]);
    assert_eq!(usage.code, 2);
    assert!(usage.stderr.contains("sometimes"));
    assert_eq!(keyrot(&["frobnicate"]).code, 2);
}

#[test]
fn a_missing_path_is_reported_and_the_rest_is_scanned() {
    let dir = Dir::new();
    dir.write("a.env", pair(KEY, SECRET));
    let run = keyrot_in(dir.path(), &["scan", "nope", "."]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("keyrot: nope: no such file or directory"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains(KEY));
}

#[test]
fn hidden_files_are_scanned_gitignore_is_honoured_and_dot_git_is_skipped() {
    let dir = Dir::new();
    dir.write(".gitignore", "ignored.txt\n")
        .write("ignored.txt", format!("{KEY}\n"))
        .write(
            ".github/workflows/ci.yml",
            "env:\n  AWS_ACCESS_KEY_ID: AKIAV3ECFF5UQMMIXKKF\n",
        )
        .write(".git/config", "AKIA5N55GKCC4ZJ5X5GG\n");
    let run = keyrot_in(dir.path(), &["scan", "--format", "json"]);
    let got: Vec<String> = rows(&run.json()).into_iter().map(|r| r.0).collect();
    assert_eq!(got, vec![".github/workflows/ci.yml"]);
    let all = keyrot_in(dir.path(), &["scan", "--format", "json", "--no-ignore"]);
    let got: Vec<String> = rows(&all.json()).into_iter().map(|r| r.0).collect();
    assert_eq!(got, vec![".github/workflows/ci.yml", "ignored.txt"]);
}

#[test]
fn awkward_encodings_and_line_endings_are_scanned() {
    let dir = Dir::new();
    let mut latin1 = b"# caf\xe9 \xff\xfe\n".to_vec();
    latin1.extend(pair(KEY, SECRET).as_bytes());
    dir.write("latin1.ini", latin1);
    dir.write("crlf.bat", "rem x\r\nset K=AKIAV3ECFF5UQMMIXKKF\r\n");
    dir.write("bom.txt", "\u{feff}AKIA5N55GKCC4ZJ5X5GG\n");
    let mut utf16 = vec![0xFF, 0xFE];
    for unit in "id = AKIARPEFIBVG6FYQD575\r\n".encode_utf16() {
        utf16.extend(unit.to_le_bytes());
    }
    dir.write("utf16.reg", utf16);
    let mut minified = "var a=1;".repeat(250_000);
    minified.push_str("var k=\"AKIA6E3EKVP6KKVKQGIN\";");
    dir.write("big.min.js", minified);
    dir.write("empty.txt", "");
    let run = keyrot_in(dir.path(), &["scan", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    let place = |uri: &str| {
        let f = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["uri"] == uri)
            .unwrap_or_else(|| panic!("no finding in {uri}"));
        (f["line"].as_u64().unwrap(), f["column"].as_u64().unwrap())
    };
    assert_eq!(place("latin1.ini"), (2, 21));
    assert_eq!(place("crlf.bat"), (2, 7));
    assert_eq!(place("bom.txt"), (1, 1));
    assert_eq!(place("utf16.reg"), (1, 6));
    assert_eq!(place("big.min.js"), (1, 2_000_008));
    assert_eq!(report["summary"]["files_scanned"], 6);
}

/// A binary is read as its bytes (a key among its strings is found, and it is named
/// in the summary); past `--max-file-size` a file is read in part, noted, and the run fails
/// closed (exit 2) unless a finding fails it first.
#[test]
fn binary_files_are_read_and_what_is_past_max_file_size_is_noted() {
    let dir = Dir::new();
    let mut binary = b"\x7fELF\0\0".to_vec();
    binary.extend(KEY.as_bytes());
    binary.extend(b"\0\0");
    dir.write("tool.bin", binary);
    dir.write("huge.log", format!("{}\n{KEY2}\n", "x".repeat(2048)));
    dir.write("small.txt", "nothing here\n");
    let run = keyrot_in(
        dir.path(),
        &["scan", "--max-file-size", "1K", "--format", "json"],
    );
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let found = rows(&run.json());
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "tool.bin");
    assert!(
        run.stderr.contains(
            "huge.log: only the first 1.0 KiB were read (--max-file-size); the rest may hold anything"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("read 1 binary file as bytes"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("scanned 3 files"), "{}", run.stderr);
    // Without the binary's key, the cut file alone fails the run closed: exit 2.
    std::fs::remove_file(dir.join("tool.bin")).unwrap();
    let run = keyrot_in(dir.path(), &["scan", "--max-file-size", "1K"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("the scan is incomplete"),
        "{}",
        run.stderr
    );
    // Read whole, the same file gives its key.
    let run = keyrot_in(dir.path(), &["scan"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.contains(KEY2), "{}", run.stdout);
}

#[test]
fn broken_links_loops_and_unreadable_files_get_one_line_each() {
    let dir = Dir::new();
    dir.write("a/keys.env", pair(KEY, SECRET));
    std::os::unix::fs::symlink(dir.join("missing"), dir.join("dangling")).unwrap();
    std::os::unix::fs::symlink(dir.join("a"), dir.join("a/loop")).unwrap();
    // Reading /proc/self/mem from offset 0 fails with EIO, even as root.
    std::os::unix::fs::symlink("/proc/self/mem", dir.join("unreadable")).unwrap();
    let run = keyrot_in(dir.path(), &["scan"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.contains(KEY), "the scan went on");
    let problems: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| {
            l.starts_with("keyrot: ")
                && !l.contains("scanned")
                && !l.contains("skipped")
                && !l.contains("incomplete")
        })
        .collect();
    assert_eq!(problems.len(), 3, "{}", run.stderr);
    assert!(
        problems.iter().any(|l| l.contains("dangling")),
        "{}",
        run.stderr
    );
    assert!(
        problems.iter().any(|l| l.contains("loop")),
        "{}",
        run.stderr
    );
    assert!(
        problems.iter().any(|l| l.contains("unreadable")),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("3 unreadable"), "{}", run.stderr);
}

#[test]
fn standard_input_is_scanned_with_dash() {
    let run = keyrot_stdin(
        &["scan", "-", "--format", "json"],
        pair(KEY, SECRET).as_bytes(),
    );
    assert_eq!(run.code, 1);
    assert_eq!(
        rows(&run.json()),
        vec![(
            "stdin".to_string(),
            1,
            "aws.access-key-pair".to_string(),
            "critical".to_string()
        )]
    );
}

#[test]
fn pairing_distance_is_configurable() {
    let text = format!("id = {KEY}\n\n\n\nsecret = \"{SECRET}\"\n");
    let near = keyrot_stdin(&["scan", "-", "--format", "json"], text.as_bytes()).json();
    assert_eq!(near["findings"][0]["rule_id"], "aws.access-key-pair");
    let far = keyrot_stdin(
        &["scan", "-", "--format", "json", "--pair-lines", "2"],
        text.as_bytes(),
    )
    .json();
    assert_eq!(far["findings"][0]["rule_id"], "aws.access-key-id");
    assert_eq!(
        far["findings"].as_array().unwrap().len(),
        1,
        "a secret without context is not reported alone"
    );
}

#[test]
fn two_keys_each_get_their_own_secret() {
    let text = format!(
        "{}{}",
        pair(KEY, SECRET),
        pair(
            "AKIAV3ECFF5UQMMIXKKF",
            "bC5o+X2a7cZmP1gaAWtceE6oqXlDu/zoXYr2mWQi"
        )
    );
    let report = keyrot_stdin(&["scan", "-", "--format", "json"], text.as_bytes()).json();
    let f = report["findings"].as_array().unwrap();
    assert_eq!(f.len(), 2);
    assert_eq!(
        (
            f[0]["related"][0]["line"].as_u64(),
            f[0]["related"][0]["redacted"].as_str()
        ),
        (Some(2), Some("UYDK****"))
    );
    assert_eq!(
        (
            f[1]["related"][0]["line"].as_u64(),
            f[1]["related"][0]["redacted"].as_str()
        ),
        (Some(4), Some("bC5o****"))
    );
}

#[test]
fn user_rules_are_added_and_broken_ones_are_named() {
    let dir = Dir::new();
    dir.write(
        "rules/internal.yml",
        r#"rules:
  - id: acme.deploy-token
    name: ACME deploy token
    severity: medium
    literals: [acmedt_]
    pattern: '(?P<secret>acmedt_[a-z0-9]{24})'
    examples: ['token = acmedt_7f3kq9zm2x8w4r1p6t5y0n3b']
    negative_examples: ['acmedt_short']
    description: An ACME deploy token.
    why: It deploys to production.
    remediation: Revoke it in the ACME console.
"#,
    );
    dir.write("src/deploy.sh", "TOKEN=acmedt_7f3kq9zm2x8w4r1p6t5y0n3b\n");
    let run = keyrot_in(
        dir.path(),
        &["scan", "src", "--rules", "rules", "--format", "json"],
    );
    assert_eq!(
        rows(&run.json()),
        vec![(
            "deploy.sh".to_string(),
            1,
            "acme.deploy-token".to_string(),
            "medium".to_string()
        )]
    );
    assert!(!run.stdout.contains("acmedt_7f3kq9zm2x8w4r1p6t5y0n3b"));
    dir.write(
        "bad/broken.yml",
        "rules:\n  - id: x\n    name: x\n    severity: urgent\n",
    );
    let bad = keyrot_in(dir.path(), &["scan", "src", "--rules", "bad"]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("broken.yml") && bad.stderr.contains("urgent"),
        "{}",
        bad.stderr
    );
    assert_eq!(bad.stderr.lines().count(), 1, "{}", bad.stderr);
}

#[test]
fn rules_are_listed_and_explained() {
    let list = keyrot(&["rules"]);
    assert_eq!(list.code, 0);
    for id in [
        "aws.access-key-id",
        "aws.secret-access-key",
        "aws.session-token",
        "aws.access-key-pair",
    ] {
        assert!(list.stdout.contains(id), "{}", list.stdout);
    }
    let explain = keyrot(&["explain", "aws.access-key-pair"]);
    assert_eq!(explain.code, 0);
    assert!(
        explain.stdout.contains("\n## Remediation\n"),
        "{}",
        explain.stdout
    );
    // Every live fact a key finding can carry is documented.
    let facts = keyrot(&["explain", "facts"]);
    assert_eq!(facts.code, 0);
    for field in [
        "`state`",
        "`account`",
        "`user`",
        "`created`",
        "`age_days`",
        "`last_used`",
        "`access`",
        "`level`",
        "`path`",
        "`policies`",
        "`unread`",
        "`usage`",
        "`source_ips`",
        "`user_agents`",
        "`top_events`",
        "`used_after_leak`",
        "`new_ips_after_leak`",
        "can-escalate",
        "can-read-secrets",
        "can-write-data",
        "read-only",
    ] {
        assert!(facts.stdout.contains(field), "{field} is not explained");
    }
    let unknown = keyrot(&["explain", "nope"]);
    assert_eq!(unknown.code, 2);
    assert!(unknown.stderr.contains("no rule `nope`"));
}

#[test]
fn output_goes_to_a_file_when_asked() {
    let dir = Dir::new();
    let out = dir.join("report.json");
    let run = keyrot(&[
        "scan",
        "fixtures/leaks/.env",
        "--format",
        "json",
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "");
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(out).unwrap()).unwrap();
    assert_eq!(report["findings"].as_array().unwrap().len(), 1);
}

/// Hostile text (issue: quadratic time and memory from crafted files): many key IDs on one
/// line, many pairs, and a long line of bare `AKIA` literals. Each is scanned, a budget caps
/// what one file reports with a note saying how many more, and a real key pair beside them is
/// still found.
#[test]
fn crafted_files_stay_within_their_budgets_and_real_keys_are_still_found() {
    let dir = Dir::new();
    let ids: Vec<String> = (0..3000u32)
        .map(|i| {
            // Distinct, plausible key IDs: base32 of the counter.
            let mut body = String::new();
            let mut n = u64::from(i)
                .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                .wrapping_add(0x2545_F491_4F6C_DD1D);
            for _ in 0..16 {
                n ^= n << 13;
                n ^= n >> 7;
                n ^= n << 17;
                body.push(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[(n % 32) as usize] as char);
            }
            format!("AKIA{body}")
        })
        .collect();
    dir.write("ids.txt", ids.join(" "));
    dir.write("akia.txt", "AKIA ".repeat(40_000));
    dir.write(
        "real.env",
        "AWS_ACCESS_KEY_ID=AKIAYGTTU3F4ZNIBPSU4\nAWS_SECRET_ACCESS_KEY=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\n",
    );
    let run = keyrot_in(
        dir.path(),
        &["scan", "--format", "json", "--fail-on", "none"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    let findings = report["findings"].as_array().unwrap();
    let in_ids = findings
        .iter()
        .filter(|f| f["path"].as_str().unwrap().ends_with("ids.txt"))
        .count();
    assert_eq!(in_ids, 1000, "the per-file budget");
    assert!(
        run.stderr
            .contains("more credentials not reported (over the budget of 1000 findings per file)"),
        "{}",
        run.stderr
    );
    assert!(findings
        .iter()
        .any(|f| f["rule_id"] == "aws.access-key-pair"
            && f["path"].as_str().unwrap().ends_with("real.env")));
}

/// Issue: exit codes failed open. A scan root that does not exist is exit 2 when nothing else
/// fails the run; standard input is read up to --max-file-size, not without bound; a reader
/// that stops early still gets exit 1 for findings; `--threads` is capped.
#[test]
fn exit_codes_fail_closed() {
    let dir = Dir::new();
    dir.write("clean.txt", "nothing here\n");
    let missing = keyrot_in(dir.path(), &["scan", "does/not/exist"]);
    assert_eq!(missing.code, 2, "{}", missing.stderr);
    let mixed = keyrot_in(dir.path(), &["scan", "does/not/exist", "clean.txt"]);
    assert_eq!(mixed.code, 2, "{}", mixed.stderr);
    let mut big = "x".repeat(2048);
    big.push_str(&format!("\n{KEY}\n"));
    let cut = keyrot_stdin(&["scan", "-", "--max-file-size", "1K"], big.as_bytes());
    assert_eq!(cut.code, 2, "input cut short must not pass: {}", cut.stderr);
    assert!(
        cut.stderr.contains("only the first 1.0 KiB were scanned"),
        "{}",
        cut.stderr
    );
    let capped = keyrot_in(dir.path(), &["scan", ".", "--threads", "100000"]);
    assert_eq!(capped.code, 0, "{}", capped.stderr);
    assert!(
        capped.stderr.contains("--threads 100000 is capped at 256"),
        "{}",
        capped.stderr
    );
}

#[test]
fn a_reader_that_stops_early_does_not_turn_findings_into_success() {
    let dir = Dir::new();
    let many: String = (0..2000).map(|i| format!("line {i}\n")).collect();
    dir.write("a.env", format!("{many}{}", pair(KEY, SECRET)));
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_keyrot"))
        .args(["scan", ".", "--format", "json", "--quiet"])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Close the pipe without reading: the next write fails with a broken pipe.
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1));
}

/// Issue: credentials in other spellings (base64, escapes, percent-encoding, HTML entities)
/// were missed. Each is found at its encoded place, says which decoding found it, and neither
/// spelling of the secret is printed.
#[test]
fn credentials_in_other_spellings_are_found_at_their_encoded_place() {
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let percent_secret = SECRET.replace('/', "%2F").replace('+', "%2B");
    let escaped_key: String = KEY
        .chars()
        .map(|c| format!("\\u{:04x}", c as u32))
        .collect();
    let dir = Dir::new();
    dir.write(
        "k8s/secret.yaml",
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: aws\ndata:\n  AWS_ACCESS_KEY_ID: {}\n  AWS_SECRET_ACCESS_KEY: {}\n",
            b64(KEY),
            b64(SECRET)
        ),
    );
    dir.write(
        "spark.conf",
        format!("spark.hadoop.fs.s3a.path = s3a://{KEY}:{percent_secret}@bucket/data\n"),
    );
    dir.write("app.js", format!("const id = \"{escaped_key}\";\n"));
    dir.write(
        "page.html",
        format!(
            "<code>{}</code>\n",
            KEY.chars()
                .map(|c| format!("&#x{:x};", c as u32))
                .collect::<String>()
        ),
    );
    let run = keyrot_in(
        dir.path(),
        &["scan", "--format", "json", "--fail-on", "none"],
    );
    let report = run.json();
    let found: Vec<(String, String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_string(),
                f["rule_id"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let has = |file: &str, rule: &str, how: &str| {
        found
            .iter()
            .any(|(f, r, m)| f == file && r == rule && m.contains(how))
    };
    assert!(
        has("secret.yaml", "aws.access-key-pair", "base64"),
        "{found:#?}"
    );
    assert!(
        has("spark.conf", "aws.access-key-pair", "percent-encoding"),
        "{found:#?}"
    );
    assert!(has("app.js", "aws.access-key-id", "escapes"), "{found:#?}");
    assert!(
        has("page.html", "aws.access-key-id", "HTML entities"),
        "{found:#?}"
    );
    for output in [&run.stdout, &run.stderr] {
        for secret in [SECRET, percent_secret.as_str(), b64(SECRET).as_str()] {
            assert!(!output.contains(secret), "{secret} printed:\n{output}");
        }
    }
    // `--decode-depth 0` scans the plain text only: the escaped key is not found then.
    let plain = keyrot_in(
        dir.path(),
        &[
            "scan",
            "--format",
            "json",
            "--fail-on",
            "none",
            "--decode-depth",
            "0",
        ],
    );
    let plain_paths: Vec<String> = plain.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    assert!(
        !plain_paths.iter().any(|p| p.ends_with("app.js")),
        "{plain_paths:?}"
    );
    // The percent-encoded pair's key is plain, so it is still found without decoding.
    assert!(
        plain_paths.iter().any(|p| p.ends_with("spark.conf")),
        "{plain_paths:?}"
    );
    let refused = keyrot_in(dir.path(), &["scan", "--decode-depth", "9"]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
}

/// Preference alone pairs a key with its nearest secret even when that leaves another key,
/// which reaches only that secret, without one; the matching gives both keys a secret.
#[test]
fn pairing_is_a_matching_not_nearest_first() {
    const KEY2: &str = "AKIAV3ECFF5UQMMIXKKF";
    const SECRET2: &str = "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";
    let dir = Dir::new();
    dir.write(
        "chain.env",
        format!(
            "AWS_SECRET_ACCESS_KEY={SECRET2}\n#\nAWS_ACCESS_KEY_ID={KEY}\nAWS_SECRET_ACCESS_KEY={SECRET}\n#\nAWS_ACCESS_KEY_ID={KEY2}\n"
        ),
    );
    let report = keyrot_in(
        dir.path(),
        &[
            "scan",
            "--format",
            "json",
            "--fail-on",
            "none",
            "--pair-lines",
            "2",
        ],
    )
    .json();
    let findings = report["findings"].as_array().unwrap();
    let pairs: Vec<(String, String)> = findings
        .iter()
        .filter(|f| f["rule_id"] == "aws.access-key-pair")
        .map(|f| {
            (
                f["facts"]["key_id"].as_str().unwrap().to_string(),
                f["related"][0]["redacted"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let prefix = |s: &str| format!("{}****", &s[..4]);
    assert!(pairs.contains(&(KEY.into(), prefix(SECRET2))), "{pairs:?}");
    assert!(pairs.contains(&(KEY2.into(), prefix(SECRET))), "{pairs:?}");
    assert_eq!(findings.len(), 2, "{findings:#?}");
}

/// Issue: pairing by line distance only crossed PROD and DEV, and let another provider's
/// token win. Names decide first.
#[test]
fn pairs_follow_names_before_distance() {
    const KEY2: &str = "AKIAV3ECFF5UQMMIXKKF";
    const SECRET2: &str = "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";
    let dir = Dir::new();
    dir.write(
        "both.env",
        format!(
            "AWS_ACCESS_KEY_ID_PROD={KEY}\nAWS_ACCESS_KEY_ID_DEV={KEY2}\nAWS_SECRET_ACCESS_KEY_PROD={SECRET}\nAWS_SECRET_ACCESS_KEY_DEV={SECRET2}\n"
        ),
    );
    dir.write(
        "cloudflare.env",
        format!(
            "AWS_ACCESS_KEY_ID={KEY}\nCLOUDFLARE_API_TOKEN=Tq3cE0mVh7yZ2wR9kLxaFb8NsJd4pUa6GiOe1CtQ\nAWS_SECRET_ACCESS_KEY={SECRET}\n"
        ),
    );
    let report = keyrot_in(
        dir.path(),
        &["scan", "--format", "json", "--fail-on", "none"],
    )
    .json();
    let pairs: Vec<(String, String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "aws.access-key-pair")
        .map(|f| {
            (
                f["path"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_string(),
                f["facts"]["key_id"].as_str().unwrap().to_string(),
                f["related"][0]["redacted"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let prefix = |s: &str| format!("{}****", &s[..4]);
    assert!(
        pairs.contains(&("both.env".into(), KEY.into(), prefix(SECRET))),
        "{pairs:?}"
    );
    assert!(
        pairs.contains(&("both.env".into(), KEY2.into(), prefix(SECRET2))),
        "{pairs:?}"
    );
    assert!(
        pairs.contains(&("cloudflare.env".into(), KEY.into(), prefix(SECRET))),
        "{pairs:?}"
    );
}

/// Issue: key-ID shapes that are not base32 were silently ignored, and so was the secret
/// named beside them. They are counted as dropped; the secret is still a finding.
#[test]
fn key_ids_that_are_not_base32_are_counted_and_their_secret_still_found() {
    let dir = Dir::new();
    dir.write(
        "creds.env",
        format!("AWS_ACCESS_KEY_ID=AKIA1234567890123456\nAWS_SECRET_ACCESS_KEY={SECRET}\n"),
    );
    let run = keyrot_in(
        dir.path(),
        &["scan", "--format", "json", "--fail-on", "none"],
    );
    let report = run.json();
    let ids: Vec<String> = rows(&report).into_iter().map(|r| r.2).collect();
    assert_eq!(ids, vec!["aws.secret-access-key"]);
    let dropped = report["summary"]["dropped"].to_string();
    assert!(dropped.contains("not a key ID"), "{dropped}");
}

#[test]
fn progress_reaches_a_pipe_only_when_asked_for() {
    // Enough text that the scan outlasts the first second.
    let dir = Dir::new();
    let line =
        "lorem ipsum dolor sit amet, consectetur adipiscing elit sed do eiusmod\n".repeat(4096);
    for i in 0..500 {
        dir.write(&format!("f{i}.txt"), &line);
    }
    let quiet = keyrot_in(
        dir.path(),
        &[
            "scan",
            "--fail-on",
            "none",
            "-f",
            "json",
            "-o",
            "report.json",
        ],
    );
    assert!(!quiet.stderr.contains("scanning:"), "{}", quiet.stderr);
    let shown = keyrot_in(
        dir.path(),
        &[
            "scan",
            "--fail-on",
            "none",
            "-f",
            "json",
            "-o",
            "report.json",
            "--progress",
            "--threads",
            "1",
        ],
    );
    assert!(
        shown.stderr.contains("keyrot: scanning: "),
        "a line in the log, not a redrawn one: {}",
        shown.stderr
    );
}

#[test]
fn a_date_that_does_not_exist_is_refused() {
    let dir = crate::util::Dir::new();
    dir.write("a.txt", "nothing here\n");
    for bad in ["2026-02-31", "2025-02-29", "2026-13-01"] {
        let run = crate::util::keyrot_in(dir.path(), &["scan", ".", "--iam", "--as-of", bad]);
        assert_eq!(run.code, 2, "{bad}: {}", run.stderr);
        assert!(
            run.stderr.contains("is not a date"),
            "{bad}: {}",
            run.stderr
        );
    }
    // Its twin, a real leap day, is a date: the scan runs (offline: no key to look up).
    let run = crate::util::keyrot_in(dir.path(), &["scan", ".", "--iam", "--as-of", "2024-02-29"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn help_offers_only_what_a_subcommand_uses_and_states_exit_codes() {
    let scan = keyrot(&["scan", "--help"]);
    assert!(scan.stdout.contains("Exit codes: 0"), "{}", scan.stdout);
    assert!(scan.stdout.contains("--format"));
    assert!(scan.stdout.contains("-v, --verbose"), "{}", scan.stdout);
    let baseline = keyrot(&["baseline", "--help"]);
    for flag in [
        "--format",
        "--fail-on",
        "--iam",
        "--markdown-summary",
        "--sarif-category",
        "--baseline <",
    ] {
        assert!(
            !baseline.stdout.contains(flag),
            "baseline offers {flag}: {}",
            baseline.stdout
        );
    }
    assert!(baseline.stdout.contains("--max-file-size"));
    // Refused, not ignored, when given anyway.
    let refused = keyrot(&["baseline", "fixtures", "--format", "json"]);
    assert_eq!(refused.code, 2);
    assert!(
        refused
            .stderr
            .contains("--format means nothing for baseline"),
        "{}",
        refused.stderr
    );
    assert!(!keyrot(&["rotate", "--help"])
        .stdout
        .contains("--max-key-age"));
    // -v says where each setting came from.
    let verbose = keyrot(&["scan", "fixtures/leaks/.env", "-v", "--fail-on", "none"]);
    assert!(
        verbose
            .stderr
            .contains("settings: fail-on none (command line), max-key-age 90 (default)"),
        "{}",
        verbose.stderr
    );
}

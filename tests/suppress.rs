//! Configuration, inline suppression and baselines.

use crate::util::{keyrot_in, rows, Dir, Repo};

const KEY: &str = "AKIAYGTTU3F4ZNIBPSU4";
const SECRET: &str = "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";
const KEY2: &str = "AKIAV3ECFF5UQMMIXKKF";

#[test]
fn inline_comments_suppress_with_their_reason_and_are_counted() {
    let dir = Dir::new();
    dir.write(
        "a.py",
        format!(
            "# keyrot:allow reason=\"rotated test key\"\nA = '{KEY}'\nB = '{KEY2}'  # gitleaks:allow\nC = 'AKIA5N55GKCC4ZJ5X5GG'  # keyrot:allow aws.secret-access-key\n"
        ),
    );
    let run = keyrot_in(dir.path(), &["scan", "--format", "json"]);
    assert_eq!(run.code, 1, "the third is allowed for another rule only");
    let report = run.json();
    assert_eq!(
        rows(&report),
        vec![(
            "a.py".to_string(),
            4,
            "aws.access-key-id".to_string(),
            "high".to_string()
        )]
    );
    assert_eq!(report["summary"]["suppressed"], 2);
    assert!(
        run.stderr.contains("suppressed 2 (2 inline)"),
        "{}",
        run.stderr
    );
    let all = keyrot_in(
        dir.path(),
        &["scan", "--format", "json", "--show-suppressed"],
    )
    .json();
    let first = &all["findings"][0];
    assert_eq!(first["suppression"]["justification"], "rotated test key");
    assert_eq!(first["suppression"]["kind"], "inSource");
    let text = keyrot_in(
        dir.path(),
        &["scan", "--show-suppressed", "--color", "never"],
    );
    assert!(
        text.stdout
            .contains("suppressed (inline): rotated test key"),
        "{}",
        text.stdout
    );
    // Suppressed findings alone do not fail the run.
    dir.write("a.py", format!("A = '{KEY}'  # keyrot:allow\n"));
    assert_eq!(keyrot_in(dir.path(), &["scan"]).code, 0);
}

#[test]
fn sarif_carries_suppressions_and_stays_valid() {
    let dir = Dir::new();
    dir.write(
        "a.py",
        format!("A = '{KEY}'  # keyrot:allow reason=\"canary for tests\"\n"),
    );
    let doc = keyrot_in(dir.path(), &["scan", "--format", "sarif"]).json();
    crate::sarif::assert_valid_sarif(&doc);
    crate::sarif::assert_github_accepts(&doc);
    let s = &doc["runs"][0]["results"][0]["suppressions"][0];
    assert_eq!(s["kind"], "inSource");
    assert_eq!(s["justification"], "canary for tests");
}

#[test]
fn the_configuration_is_found_and_applied() {
    let repo = Repo::new();
    repo.write(
        ".keyrot.toml",
        r#"fail-on = "critical"
exclude = ["vendor/**"]
disable = ["aws.session-token"]
[severity]
"aws.access-key-id" = "medium"
"#,
    );
    repo.write("src/app.py", format!("A = '{KEY}'\n"));
    repo.write("vendor/lib.py", format!("B = '{KEY2}'\n"));
    // Found from a subfolder up to the repository root.
    let run = keyrot_in(&repo.path().join("src"), &["scan", "--format", "json"]);
    assert_eq!(
        run.code, 0,
        "medium is below the configured fail-on: {}",
        run.stderr
    );
    assert_eq!(
        rows(&run.json()),
        vec![(
            "src/app.py".to_string(),
            1,
            "aws.access-key-id".to_string(),
            "medium".to_string()
        )]
    );
    let root = repo.keyrot(&["scan", "--format", "json"]);
    assert_eq!(root.json()["summary"]["excluded"], 1);
    assert!(
        root.stderr.contains("1 excluded by the configuration"),
        "{}",
        root.stderr
    );
    // The command line wins over the file.
    assert_eq!(repo.keyrot(&["scan", "--fail-on", "medium"]).code, 1);
}

#[test]
fn fingerprints_allowed_in_the_configuration() {
    let dir = Dir::new();
    dir.write("a.py", format!("A = '{KEY}'\n"));
    let fp = keyrot_in(dir.path(), &["scan", "--format", "json"]).json()["findings"][0]
        ["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    dir.write(
        ".keyrot.toml",
        format!("[[allow]]\nfingerprint = \"{fp}\"\nreason = \"documented test key\"\n"),
    );
    let run = keyrot_in(
        dir.path(),
        &["scan", "--format", "json", "--show-suppressed"],
    );
    assert_eq!(run.code, 0);
    assert_eq!(run.json()["findings"][0]["suppression"]["by"], "config");
}

#[test]
fn unknown_configuration_keys_are_an_error_naming_key_and_file() {
    let dir = Dir::new();
    dir.write(".keyrot.toml", "fail-on = \"high\"\nfial-on = \"low\"\n");
    dir.write("a.py", "x = 1\n");
    let run = keyrot_in(dir.path(), &["scan"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(".keyrot.toml: line 2:") && run.stderr.contains("fial-on"),
        "{}",
        run.stderr
    );
    let explicit = keyrot_in(dir.path(), &["scan", "--config", "missing.toml"]);
    assert_eq!(explicit.code, 2);
    assert!(
        explicit.stderr.contains("missing.toml: cannot read"),
        "{}",
        explicit.stderr
    );
}

#[test]
fn baselines_hide_known_findings_by_content_not_position() {
    let dir = Dir::new();
    dir.write(
        "a.env",
        format!("aws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\n"),
    );
    dir.write("b.py", format!("B = '{KEY2}'\n"));
    let made = keyrot_in(dir.path(), &["baseline", "--output", "base.json"]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    let text = std::fs::read_to_string(dir.join("base.json")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(
        lines[1].contains("\"path\":\"a.env\"") && lines[2].contains("\"path\":\"b.py\""),
        "sorted: {text}"
    );
    assert!(
        !text.contains(SECRET) && !text.contains("UYDK9SGe"),
        "no secret in a baseline"
    );
    // Remaking it gives the same bytes: no timestamps.
    keyrot_in(dir.path(), &["baseline", "--output", "again.json"]);
    assert_eq!(
        text,
        std::fs::read_to_string(dir.join("again.json")).unwrap()
    );

    let clean = keyrot_in(dir.path(), &["scan", "--baseline", "base.json"]);
    assert_eq!(clean.code, 0, "{}", clean.stdout);
    assert!(
        clean.stderr.contains("suppressed 2 (2 baseline)"),
        "{}",
        clean.stderr
    );
    // Moving code keeps the identity.
    dir.write("b.py", format!("import os\n\n\nB = '{KEY2}'\n"));
    assert_eq!(
        keyrot_in(dir.path(), &["scan", "--baseline", "base.json"]).code,
        0
    );
    // A different secret on a baselined line is reported.
    dir.write("a.env", format!("aws_access_key_id = {KEY}\naws_secret_access_key = bC5o+X2a7cZmP1gaAWtceE6oqXlDu/zoXYr2mWQi\n"));
    let changed = keyrot_in(
        dir.path(),
        &["scan", "--baseline", "base.json", "--format", "json"],
    );
    assert_eq!(changed.code, 1);
    assert_eq!(
        rows(&changed.json())
            .into_iter()
            .map(|r| r.0)
            .collect::<Vec<_>>(),
        vec!["a.env"]
    );
    // A broken baseline is a clear error.
    dir.write("bad.json", "{}");
    let bad = keyrot_in(dir.path(), &["scan", "--baseline", "bad.json"]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("bad.json: not a keyrot baseline"),
        "{}",
        bad.stderr
    );
}

#[test]
fn the_fingerprint_is_in_sarif_partial_fingerprints() {
    let dir = Dir::new();
    dir.write("a.py", format!("A = '{KEY}'\n"));
    let json = keyrot_in(dir.path(), &["scan", "--format", "json"]).json();
    let sarif = keyrot_in(dir.path(), &["scan", "--format", "sarif"]).json();
    assert_eq!(
        sarif["runs"][0]["results"][0]["partialFingerprints"]["keyrotFingerprint/v1"],
        json["findings"][0]["fingerprint"]
    );
}

#[test]
fn install_hook_blocks_a_commit_with_a_key_and_refuses_to_overwrite() {
    let repo = Repo::new();
    repo.write("a.txt", "a\n").commit("start");
    let run = repo.keyrot(&["install-hook"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let again = repo.keyrot(&["install-hook"]);
    assert_eq!(again.code, 2);
    assert!(again.stderr.contains("--force"), "{}", again.stderr);
    assert_eq!(repo.keyrot(&["install-hook", "--force"]).code, 0);
    // The hook runs for real: a staged key blocks the commit, a clean change goes through.
    repo.write(
        "leak.env",
        format!("aws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\n"),
    );
    repo.git(&["add", "leak.env"]);
    let blocked = std::process::Command::new("git")
        .current_dir(repo.path())
        .args(["commit", "-q", "-m", "leak"])
        .env("HOME", repo.path())
        .output()
        .unwrap();
    assert!(!blocked.status.success(), "the hook must block the commit");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&blocked.stdout),
        String::from_utf8_lossy(&blocked.stderr)
    );
    assert!(said.contains(KEY), "{said}");
    repo.git(&["rm", "-q", "--cached", "leak.env"]);
    repo.write("b.txt", "b\n");
    repo.git(&["add", "b.txt"]);
    repo.git(&["commit", "-q", "-m", "clean"]);
}

/// Issue: policy fingerprints hashed the message, so rewording one resurfaced every
/// baselined or dismissed alert. v2 is the check, the document and the element; baselines of
/// v1 still match.
#[test]
fn policy_fingerprints_survive_rewording_and_v1_baselines_still_match() {
    let dir = Dir::new();
    let admin = r#"{"Effect": "Allow", "Action": "*", "Resource": "*"}"#;
    dir.write(
        "p.json",
        format!(r#"{{"Version": "2012-10-17", "Statement": [{admin}]}}"#),
    );
    let sarif = keyrot_in(
        dir.path(),
        &["scan", "--format", "sarif", "--fail-on", "none"],
    )
    .json();
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "policy.full-admin");
    let v2 = result["partialFingerprints"]["keyrotFingerprint/v2"]
        .as_str()
        .unwrap()
        .to_string();
    let v1 = result["partialFingerprints"]["keyrotFingerprint/v1"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(v1, v2);
    // Another statement before it, on other lines: the same v2.
    dir.write(
        "p.json",
        format!(
            "{{\"Version\": \"2012-10-17\", \"Statement\": [\n  {{\"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": \"arn:aws:s3:::r/*\"}},\n  {admin}\n]}}"
        ),
    );
    let moved = keyrot_in(
        dir.path(),
        &["scan", "--format", "json", "--fail-on", "none"],
    )
    .json();
    let f = moved["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "policy.full-admin")
        .unwrap();
    assert_eq!(f["fingerprint"], v2.as_str());
    // A baseline written by the previous version (v1) still keeps it.
    dir.write(
        "old-baseline.json",
        format!(
            "{{\"version\": 1, \"findings\": [\n  {{\"path\":\"p.json\",\"rule_id\":\"policy.full-admin\",\"fingerprint\":\"{v1}\"}}\n]}}\n"
        ),
    );
    dir.write(
        "p.json",
        format!(r#"{{"Version": "2012-10-17", "Statement": [{admin}]}}"#),
    );
    let run = keyrot_in(
        dir.path(),
        &["scan", "p.json", "--baseline", "old-baseline.json"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
}

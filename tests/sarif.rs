//! SARIF output: valid against the OASIS 2.1.0 schema, with what GitHub code scanning needs.

use crate::util::keyrot;

fn schema_validator() -> jsonschema::Validator {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("sarif-schema-2.1.0.json")).unwrap();
    jsonschema::validator_for(&schema).expect("the vendored schema compiles")
}

/// Asserts that `doc` is valid SARIF 2.1.0, listing every schema error.
pub fn assert_valid_sarif(doc: &serde_json::Value) {
    let validator = schema_validator();
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF schema errors:\n{}",
        errors.join("\n")
    );
}

#[test]
fn fixtures_sarif_is_valid_and_complete() {
    let run = keyrot(&[
        "scan",
        "fixtures",
        "--format",
        "sarif",
        "--sarif-category",
        "secrets",
    ]);
    assert_eq!(run.code, 1);
    let doc = run.json();
    assert_valid_sarif(&doc);
    assert_eq!(doc["version"], "2.1.0");
    let run0 = &doc["runs"][0];
    assert_eq!(run0["automationDetails"]["id"], "secrets/");
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(ids.len(), unique.len(), "each rule once");
    for rule in rules {
        assert!(rule["shortDescription"]["text"]
            .as_str()
            .is_some_and(|t| !t.is_empty() && t.len() <= 1024));
        assert!(rule["fullDescription"]["text"]
            .as_str()
            .is_some_and(|t| !t.is_empty() && t.len() <= 1024));
        assert!(rule["help"]["text"]
            .as_str()
            .is_some_and(|t| t.contains("Remediation")));
        let sev: f64 = rule["properties"]["security-severity"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((0.1..=10.0).contains(&sev));
        let tags = rule["properties"]["tags"].as_array().unwrap();
        assert!(tags.len() <= 20);
        let cwe = if rule["id"].as_str().unwrap().starts_with("aws.") {
            "external/cwe/cwe-798"
        } else {
            "external/cwe/cwe-"
        };
        assert!(
            tags.iter().any(|t| t.as_str().unwrap().starts_with(cwe)),
            "{rule:#}"
        );
    }
    let results = run0["results"].as_array().unwrap();
    assert_eq!(
        results.len(),
        16 + 30,
        "16 credentials, 30 policy findings (one cleared by its condition)"
    );
    let cleared: Vec<&serde_json::Value> = results
        .iter()
        .filter(|r| {
            r["suppressions"][0]["justification"]
                .as_str()
                .is_some_and(|j| j.starts_with("cleared by condition"))
        })
        .collect();
    assert_eq!(cleared.len(), 1, "{cleared:#?}");
    for r in results {
        let loc = &r["locations"][0]["physicalLocation"];
        let uri = loc["artifactLocation"]["uri"].as_str().unwrap();
        assert!(uri.starts_with("fixtures/"), "{uri}");
        assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
        assert!(loc["region"]["startColumn"].as_u64().unwrap() >= 1);
        assert!(r["partialFingerprints"]["keyrotFingerprint/v1"].is_string());
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], r["ruleId"]);
    }
    let pair = results
        .iter()
        .find(|r| r["ruleId"] == "aws.access-key-pair")
        .unwrap();
    assert_eq!(pair["level"], "error");
    assert!(pair["relatedLocations"][0]["message"]["text"]
        .as_str()
        .unwrap()
        .starts_with("secret access key"));
    assert!(pair["message"]["text"]
        .as_str()
        .unwrap()
        .contains("account"));
}

#[test]
fn clean_scan_sarif_is_valid() {
    let run = keyrot(&["scan", "fixtures/decoys", "--format", "sarif"]);
    assert_eq!(run.code, 0);
    let doc = run.json();
    assert_valid_sarif(&doc);
    assert_eq!(doc["runs"][0]["results"].as_array().unwrap().len(), 0);
}

#[test]
fn the_schema_check_catches_invalid_sarif() {
    let mut doc = keyrot(&["scan", "fixtures/leaks/.env", "--format", "sarif"]).json();
    doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        serde_json::json!(0);
    let errors = schema_validator().iter_errors(&doc).count();
    assert!(errors > 0, "a startLine of 0 must be rejected");
}

/// Microsoft's SARIF validator with GitHub's rules (GH1001 to GH1007) turned on. `scripts/test`
/// installs it; a missing validator fails the test with the way to get it.
pub fn assert_github_accepts(doc: &serde_json::Value) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let tool = std::env::var_os("KEYROT_SARIF_MULTITOOL")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            root.join(".tools/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool")
        });
    assert!(
        tool.is_file(),
        "the SARIF validator is missing at {}: run ./scripts/test, which installs it (npm install --prefix .tools @microsoft/sarif-multitool-linux)",
        tool.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.sarif");
    let output = dir.path().join("out.sarif");
    std::fs::write(&input, serde_json::to_vec_pretty(doc).unwrap()).unwrap();
    let status = std::process::Command::new(&tool)
        .arg("validate")
        .arg(&input)
        .args(["--rule-kind", "Ghas;Sarif", "-c"])
        .arg(root.join("tests/gh-strict.xml"))
        .arg("-o")
        .arg(&output)
        .args(["--log", "ForceOverwrite", "-q"])
        .env("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")
        .output()
        .expect("run Sarif.Multitool");
    assert!(
        status.status.success(),
        "Sarif.Multitool failed on {}: {}{}",
        serde_json::to_string(doc).unwrap(),
        String::from_utf8_lossy(&status.stdout),
        String::from_utf8_lossy(&status.stderr)
    );
    // The validator exits 0 even when it finds errors: read its log.
    let log: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&output).expect("validator log")).unwrap();
    let errors: Vec<String> = log["runs"][0]["results"]
        .as_array()
        .expect("validator results")
        .iter()
        .filter(|r| r["level"] == "error" || r["level"].is_null())
        .map(|r| format!("{} {}", r["ruleId"], r["message"]))
        .collect();
    assert!(
        errors.is_empty(),
        "GitHub would reject this SARIF:\n{}",
        errors.join("\n")
    );
}

#[test]
fn github_accepts_the_sarif_of_the_fixtures() {
    let doc = keyrot(&[
        "scan",
        "fixtures",
        "--format",
        "sarif",
        "--sarif-category",
        "secrets",
    ])
    .json();
    assert_github_accepts(&doc);
}

#[test]
fn the_github_check_catches_what_github_rejects() {
    let mut doc = keyrot(&["scan", "fixtures/leaks/.env", "--format", "sarif"]).json();
    doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] =
        serde_json::json!("/abs/path");
    let caught = std::panic::catch_unwind(|| assert_github_accepts(&doc));
    assert!(caught.is_err(), "an absolute URI must be reported");
}

#[test]
fn past_the_result_limit_the_most_severe_are_kept_and_the_run_says_so() {
    let doc = keyrot(&[
        "scan",
        "fixtures/leaks",
        "--format",
        "sarif",
        "--sarif-max-results",
        "2",
    ])
    .json();
    assert_valid_sarif(&doc);
    let run = &doc["runs"][0];
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert!(results
        .iter()
        .all(|r| r["properties"]["severity"] == "critical"));
    let notes = run["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert!(
        notes.iter().any(|n| n["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with("14 results left out")),
        "{notes:?}"
    );
}

//! Every rule has a documentation page in docs/rules/, generated from the rule itself.

use crate::util::{keyrot, Dir};

#[test]
fn rule_pages_exist_and_are_fresh() {
    let dir = Dir::new();
    let run = keyrot(&["rules", "--write-docs", dir.path().to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let committed = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules");
    let mut generated: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    generated.sort();
    let mut present: Vec<String> = std::fs::read_dir(&committed)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    present.sort();
    let hint = "regenerate with: cargo run -- rules --write-docs docs/rules";
    assert_eq!(
        generated, present,
        "docs/rules/ does not match the rules; {hint}"
    );
    for name in generated {
        let want = std::fs::read_to_string(dir.join(&name)).unwrap();
        let have = std::fs::read_to_string(committed.join(&name)).unwrap();
        assert_eq!(have, want, "docs/rules/{name} is stale; {hint}");
        assert!(want.contains("## Remediation") && want.contains("## Why it matters"));
    }
}

#[test]
fn the_limits_page_is_the_table_in_the_code() {
    let run = keyrot(&["limits"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let published = std::fs::read_to_string("docs/limits.md").unwrap_or_default();
    assert!(
        published == run.stdout,
        "docs/limits.md is stale; regenerate with: cargo run -- limits > docs/limits.md"
    );
    assert!(
        published.contains("| `yaml_nodes` | 200000 |"),
        "{published}"
    );
}

#[test]
fn the_published_report_schemas_are_the_ones_the_types_generate() {
    for (file, args) in [
        ("schemas/report.schema.json", &["schema"][..]),
        (
            "schemas/merged-report.schema.json",
            &["schema", "--merged"][..],
        ),
    ] {
        let run = keyrot(args);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let published = std::fs::read_to_string(file).unwrap_or_default();
        assert!(
            published == run.stdout,
            "{file} is stale; regenerate with: cargo run -- {} > {file}",
            args.join(" ")
        );
    }
}

#[test]
fn the_action_uploads_sarif_even_when_findings_fail_the_step() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("action.yml"),
    )
    .unwrap();
    let docs = yaml_rust2::YamlLoader::load_from_str(&text).expect("action.yml is YAML");
    let action = yaml_to_json(&docs[0]);
    assert_eq!(action["runs"]["using"], "composite");
    for input in [
        "path",
        "args",
        "fail-on",
        "category",
        "config",
        "strict-suppressions",
        "pull-request-range",
    ] {
        assert!(action["inputs"][input].is_object(), "input {input}");
    }
    let steps = action["runs"]["steps"].as_array().unwrap();
    let upload = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif"))
        })
        .expect("an upload step");
    assert!(upload["if"].as_str().unwrap().contains("always()"));
    // Inputs reach the shell through the environment, never spliced into the script.
    for step in steps {
        if let Some(run) = step["run"].as_str() {
            assert!(!run.contains("${{"), "expression in a run script: {run}");
        }
    }
}

#[test]
fn the_actions_scan_step_writes_sarif_outputs_and_the_job_summary() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("action.yml")).unwrap();
    let docs = yaml_rust2::YamlLoader::load_from_str(&text).unwrap();
    let action = yaml_to_json(&docs[0]);
    let step = action["runs"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "scan")
        .expect("the scan step")
        .clone();
    let dir = tempfile::tempdir().unwrap();
    let (sarif, outputs, summary) = (
        dir.path().join("keyrot.sarif"),
        dir.path().join("outputs"),
        dir.path().join("summary.md"),
    );
    // The step's script as GitHub runs it, with the inputs' defaults in its environment.
    let run = std::process::Command::new("bash")
        .arg("-e")
        .arg("-c")
        .arg(step["run"].as_str().unwrap())
        .current_dir(root)
        .env("KEYROT", env!("CARGO_BIN_EXE_keyrot"))
        .env("SARIF", &sarif)
        .env("INPUT_PATH", "fixtures/leaks")
        .env("INPUT_ARGS", "")
        .env(
            "INPUT_FAIL_ON",
            action["inputs"]["fail-on"]["default"].as_str().unwrap(),
        )
        .env("INPUT_CATEGORY", "keyrot")
        .env("INPUT_CONFIG", "")
        .env("INPUT_STRICT", "false")
        .env(
            "INPUT_SUMMARY",
            action["inputs"]["summary"]["default"].as_str().unwrap(),
        )
        .env("GITHUB_OUTPUT", &outputs)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let outputs = std::fs::read_to_string(&outputs).unwrap();
    assert!(outputs.contains("exit-code=1"), "{outputs}");
    assert!(sarif.is_file());
    let summary = std::fs::read_to_string(&summary).unwrap();
    assert!(summary.starts_with("## keyrot: "), "{summary}");
    assert!(summary.contains("`aws.access-key-pair`"), "{summary}");
}

/// A YAML document as JSON values, through the one YAML parser keyrot depends on.
pub fn yaml_to_json(yaml: &yaml_rust2::Yaml) -> serde_json::Value {
    use yaml_rust2::Yaml;
    match yaml {
        Yaml::Hash(map) => serde_json::Value::Object(
            map.iter()
                .map(|(k, v)| (k.as_str().unwrap_or_default().to_string(), yaml_to_json(v)))
                .collect(),
        ),
        Yaml::Array(items) => items.iter().map(yaml_to_json).collect(),
        Yaml::String(s) | Yaml::Real(s) => serde_json::Value::String(s.clone()),
        Yaml::Integer(i) => serde_json::Value::from(*i),
        Yaml::Boolean(b) => serde_json::Value::Bool(*b),
        _ => serde_json::Value::Null,
    }
}

/// Every install snippet in the README and docs pins this crate's version (the release the
/// tag `vX.Y.Z` publishes), never a branch; the hook's package pins the keyrot wheel of the
/// same version; and no snippet names an action major that runs on a retired Node.js.
#[test]
fn install_snippets_pin_this_release() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let version = env!("CARGO_PKG_VERSION");
    let mut files = vec![root.join("README.md")];
    for entry in std::fs::read_dir(root.join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            files.push(path);
        }
    }
    let pins = [
        (r"keyrot/keyrot@([\w.\-]+)", format!("v{version}")),
        (r"ghcr\.io/keyrot/keyrot:([\w.\-]+)", format!("v{version}")),
        (r"(?m)^\s*rev: (\S+)", format!("v{version}")),
        (r"\bkeyrot==([\w.\-]+)", version.to_string()),
        (r"\bkeyrot@(\d[\w.\-]*)", version.to_string()),
        (r"(?m)\bv=(\d[\w.\-]*)", version.to_string()),
    ];
    let mut seen = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (pattern, want) in &pins {
            for found in regex::Regex::new(pattern).unwrap().captures_iter(&text) {
                seen += 1;
                assert_eq!(&found[1], want, "{}: {}", file.display(), &found[0]);
            }
        }
        for retired in [
            "actions/checkout@v4",
            "actions/cache@v4",
            "actions/upload-artifact@v4",
            "actions/download-artifact@v4",
            "upload-sarif@v3",
            "cargo install keyrot --",
        ] {
            assert!(!text.contains(retired), "{}: {retired}", file.display());
        }
    }
    assert!(seen >= 8, "only {seen} pinned versions found");
    let hook = std::fs::read_to_string(root.join("pyproject.toml")).unwrap();
    assert!(hook.contains(&format!("version = \"{version}\"")), "{hook}");
    assert!(hook.contains(&format!("\"keyrot=={version}\"")), "{hook}");
    let wheel = std::fs::read_to_string(root.join("pypi/pyproject.toml")).unwrap();
    assert!(
        wheel.contains("dynamic = [\"version\"]"),
        "the wheel's version is Cargo.toml's"
    );
}

/// The dogfood workflow's configuration keeps keyrot's own repository clean, while the same
/// tree without it is full of the test keys it excludes (so the clean result means something).
#[test]
fn the_repository_is_clean_under_its_dogfood_configuration() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = root.join(".github/keyrot.toml");
    let clean = crate::util::keyrot_in(root, &["scan", ".", "--config", config.to_str().unwrap()]);
    assert_eq!(clean.code, 0, "{}", clean.stdout);
    let bare = crate::util::keyrot_in(root, &["scan", "src", "fixtures"]);
    assert_eq!(bare.code, 1, "{}", bare.stderr);
}

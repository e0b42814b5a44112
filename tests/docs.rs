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

/// A YAML document as JSON values, through the one YAML parser keyrot depends on.
fn yaml_to_json(yaml: &yaml_rust2::Yaml) -> serde_json::Value {
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

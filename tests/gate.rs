//! No way around the gate: every way a change could hide a credential or a policy from keyrot
//! (file formats, archives, size, commit messages, replaced objects, budgets, self-added
//! allow comments, unreadable input) ends in a finding or a non-zero exit, on the real binary.

use crate::util::{keyrot_in, rows, Dir};

/// `(path, rule, severity)` of every finding of a JSON scan of `dir`, and the exit code.
fn scan(dir: &Dir, extra: &[&str]) -> (Vec<(String, String, String)>, i32, String) {
    let mut args = vec!["scan", ".", "--format", "json"];
    args.extend(extra);
    let run = keyrot_in(dir.path(), &args);
    let found = rows(&run.json())
        .into_iter()
        .map(|(path, _, rule, severity)| (path, rule, severity))
        .collect();
    (found, run.code, run.stderr)
}

/// A policy granting `*` on `*` that a budget keeps from view is judged high, with the reason,
/// so `--fail-on high` fails; the same document within the budget is read and is critical.
#[test]
fn a_policy_behind_a_budget_counts_as_high() {
    let admin = r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#;
    let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    let dir = Dir::new();
    dir.write(
        "deep.json",
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{admin}],"Pad":{}}}"#,
            deep(300)
        ),
    );
    // The twin within the budget: read, and the grant itself is found.
    dir.write(
        "shallow.json",
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{admin}],"Pad":{}}}"#,
            deep(100)
        ),
    );
    let mut bomb = String::from("Resources:\n  P:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument:\n        Version: '2012-10-17'\n        Statement:\n          - Effect: Allow\n            Action: '*'\n            Resource: '*'\nMetadata:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..7 {
        let p = i - 1;
        bomb += &format!("  a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n");
    }
    dir.write("bomb.yaml", bomb);
    let mut nested = String::from("Resources:\n  P:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument:\n        Version: '2012-10-17'\n        Statement:\n          - Effect: Allow\n            Action: '*'\n            Resource: '*'\nMetadata:\n  Pad: ");
    nested += &"[".repeat(140);
    nested += &"]".repeat(140);
    nested += "\n";
    dir.write("nested.yaml", nested);
    let (found, code, stderr) = scan(&dir, &["--fail-on", "high"]);
    assert_eq!(code, 1, "{found:?} {stderr}");
    for hidden in ["deep.json", "bomb.yaml", "nested.yaml"] {
        assert!(
            found.contains(&(hidden.into(), "policy.unanalysed".into(), "high".into())),
            "{hidden}: {found:?}"
        );
    }
    assert!(
        found.contains(&(
            "shallow.json".into(),
            "policy.full-admin".into(),
            "critical".into()
        )),
        "{found:?}"
    );
    let run = keyrot_in(dir.path(), &["scan", "deep.json", "--format", "json"]);
    let message = run.json()["findings"][0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains("budget of 256 levels") && message.contains("may grant anything"),
        "{message}"
    );
}

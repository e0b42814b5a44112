//! Git sources on real repositories built with `git`: history, ranges, the index, and the
//! ways a repository can be odd (no commits, shallow, missing objects).

use crate::util::{rows, Repo};

const KEY: &str = "AKIAYGTTU3F4ZNIBPSU4";
const SECRET: &str = "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";
const KEY2: &str = "AKIAV3ECFF5UQMMIXKKF";
const SECRET2: &str = "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";

fn pair(key: &str, secret: &str) -> String {
    format!("aws_access_key_id = {key}\naws_secret_access_key = {secret}\n")
}

fn json(run: &crate::util::Run) -> serde_json::Value {
    assert!(run.code <= 1, "exit {}: {}", run.code, run.stderr);
    run.json()
}

#[test]
fn a_key_deleted_later_is_still_found_at_the_commit_that_added_it() {
    let repo = Repo::new();
    repo.write("README.md", "hello\n").commit("start");
    let added = repo
        .write("config/prod.env", pair(KEY, SECRET))
        .commit("add prod config");
    repo.remove("config/prod.env").commit("remove the key");
    repo.write("README.md", "hello again\n").commit("docs");
    let report = json(&repo.keyrot(&["scan", "--git", "--format", "json"]));
    let f = &report["findings"].as_array().unwrap();
    assert_eq!(f.len(), 1, "{report:#}");
    assert_eq!(f[0]["uri"], "config/prod.env");
    assert_eq!(f[0]["rule_id"], "aws.access-key-pair");
    assert_eq!(f[0]["line"], 1);
    assert_eq!(f[0]["commit"]["id"], added.as_str());
    assert_eq!(f[0]["commit"]["author"], "Alice Example");
    assert_eq!(f[0]["commit"]["email"], "alice@example.com");
    assert_eq!(f[0]["commit"]["date"], "2023-11-16T22:13:20Z");
    assert_eq!(f[0]["present_at_head"], false);
    assert!(
        report["summary"]["scope"]
            .as_str()
            .unwrap()
            .starts_with("history: 4 commits"),
        "{report:#}"
    );
}

#[test]
fn each_blob_is_scanned_once_and_reported_at_its_first_commit() {
    let repo = Repo::new();
    let first = repo
        .write("app.py", format!("KEY = '{KEY}'\n"))
        .commit("key");
    for i in 0..5 {
        repo.write("other.txt", format!("{i}\n"))
            .commit("unrelated");
    }
    // The key moves down the file: a new blob, the same secret, still one finding.
    repo.write("app.py", format!("import os\n\nKEY = '{KEY}'\n"))
        .commit("imports");
    let run = repo.keyrot(&["scan", "--git", "--format", "json"]);
    let report = json(&run);
    let f = report["findings"].as_array().unwrap();
    assert_eq!(f.len(), 1, "{report:#}");
    assert_eq!(f[0]["commit"]["id"], first.as_str());
    assert_eq!(f[0]["present_at_head"], true);
    // app.py twice, other.txt five times: seven distinct blobs.
    assert_eq!(
        report["summary"]["scope"],
        "history: 7 commits, 7 distinct blobs, 7 commit and tag messages"
    );
    assert_eq!(report["summary"]["files_scanned"], 7);
}

#[test]
fn branches_merges_and_renames() {
    let repo = Repo::new();
    repo.write("a.txt", "a\n").commit("start");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    let on_branch = repo
        .write("feature.env", pair(KEY, SECRET))
        .commit("feature key");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("b.txt", "b\n").commit("main work");
    // Only main: the feature branch's key is not reachable.
    let main_only = json(&repo.keyrot(&["scan", "--git", "--branch", "main", "--format", "json"]));
    assert!(
        main_only["findings"].as_array().unwrap().is_empty(),
        "{main_only:#}"
    );
    // All refs: found once, at the branch commit, even after a merge carries it to main.
    repo.git(&["merge", "-q", "--no-ff", "-m", "merge feature", "feature"]);
    let all = json(&repo.keyrot(&["scan", "--git", "--format", "json"]));
    let f = all["findings"].as_array().unwrap();
    assert_eq!(f.len(), 1, "{all:#}");
    assert_eq!(f[0]["commit"]["id"], on_branch.as_str());
    // A rename puts the secret at a new path: reported there too, and the old path is gone from HEAD.
    repo.git(&["mv", "feature.env", "renamed.env"]);
    repo.commit("rename");
    let renamed = json(&repo.keyrot(&["scan", "--git", "--format", "json"]));
    let got: Vec<(String, bool)> = renamed["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["uri"].as_str().unwrap().to_string(),
                f["present_at_head"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("feature.env".to_string(), false),
            ("renamed.env".to_string(), true)
        ]
    );
}

#[test]
fn since_and_range_report_only_what_the_commits_introduced() {
    let repo = Repo::new();
    repo.write("old.env", pair(KEY, SECRET));
    let base = repo.commit("old key");
    repo.write("new.env", pair(KEY2, SECRET2)).commit("new key");
    // Editing a file that already held a key does not re-introduce it.
    repo.write("old.env", format!("# touched\n{}", pair(KEY, SECRET)))
        .commit("touch");
    let tip = repo.git(&["rev-parse", "HEAD"]);
    let since = json(&repo.keyrot(&["scan", "--git", "--since", &base, "--format", "json"]));
    assert_eq!(
        rows(&since).into_iter().map(|r| r.0).collect::<Vec<_>>(),
        vec!["new.env"]
    );
    assert_eq!(
        since["summary"]["scope"],
        "history: 2 commits, 2 distinct blobs, 2 commit and tag messages"
    );
    let range = json(&repo.keyrot(&[
        "scan",
        "--git",
        "--range",
        &format!("{base}..{tip}"),
        "--format",
        "json",
    ]));
    assert_eq!(
        rows(&range).into_iter().map(|r| r.0).collect::<Vec<_>>(),
        vec!["new.env"]
    );
    let none = repo.keyrot(&["scan", "--git", "--since", &tip]);
    assert_eq!(none.code, 0, "{}", none.stderr);
    let bad = repo.keyrot(&["scan", "--git", "--since", "no-such-ref"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("no-such-ref"), "{}", bad.stderr);
}

#[test]
fn staged_scans_the_index_not_the_working_tree() {
    let repo = Repo::new();
    repo.write("app.py", "print('hi')\n").commit("start");
    // Clean staged version, key only in the working copy: clean.
    repo.write("app.py", "print('hello')\n");
    repo.git(&["add", "app.py"]);
    repo.write("app.py", format!("print('hello')\nKEY = '{KEY}'\n"));
    let clean = repo.keyrot(&["scan", "--staged"]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);
    assert!(
        clean
            .stderr
            .contains("staged: 1 file changed against HEAD (1 entries in the index)"),
        "{}",
        clean.stderr
    );
    // The reverse: key staged, then removed from the working copy: a finding.
    repo.write("creds.env", pair(KEY2, SECRET2));
    repo.git(&["add", "creds.env"]);
    repo.remove("creds.env");
    let run = repo.keyrot(&["scan", "--staged", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    assert_eq!(
        rows(&report),
        vec![(
            "creds.env".to_string(),
            1,
            "aws.access-key-pair".to_string(),
            "critical".to_string()
        )]
    );
    assert_eq!(report["findings"][0]["staged"], true);
}

#[test]
fn staged_ignores_keys_the_commit_did_not_add_and_says_when_nothing_is_staged() {
    let repo = Repo::new();
    repo.write("legacy.env", pair(KEY, SECRET)).commit("legacy");
    let nothing = repo.keyrot(&["scan", "--staged"]);
    assert_eq!(nothing.code, 0);
    assert!(
        nothing
            .stderr
            .contains("staged: nothing to scan, the index matches HEAD (1 entries)"),
        "{}",
        nothing.stderr
    );
    repo.write("legacy.env", format!("# comment\n{}", pair(KEY, SECRET)));
    repo.git(&["add", "legacy.env"]);
    let touched = repo.keyrot(&["scan", "--staged"]);
    assert_eq!(
        touched.code, 0,
        "a key already in HEAD is not this commit's doing: {}",
        touched.stdout
    );
}

#[test]
fn staged_works_in_a_repository_without_commits() {
    let repo = Repo::new();
    repo.write("first.env", pair(KEY, SECRET));
    repo.git(&["add", "first.env"]);
    let run = repo.keyrot(&["scan", "--staged"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("staged: 1 file changed against an empty repository"),
        "{}",
        run.stderr
    );
    let empty = Repo::new();
    let run = empty.keyrot(&["scan", "--staged"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("nothing to scan"), "{}", run.stderr);
    let history = empty.keyrot(&["scan", "--git"]);
    assert_eq!(history.code, 0, "{}", history.stderr);
}

#[test]
fn outside_a_repository_is_one_clear_error() {
    let dir = crate::util::Dir::new();
    for flag in ["--git", "--staged"] {
        let run = crate::util::keyrot_in(dir.path(), &["scan", flag]);
        assert_eq!(run.code, 2);
        assert_eq!(
            run.stderr.trim(),
            "keyrot: error: .: not a git repository (or any parent folder)"
        );
    }
}

#[test]
fn a_shallow_clone_is_scanned_and_said_to_be_shallow() {
    let origin = Repo::new();
    origin.write("old.env", pair(KEY, SECRET)).commit("old");
    origin.write("new.env", pair(KEY2, SECRET2)).commit("new");
    let clone = crate::util::Dir::new();
    let url = format!("file://{}", origin.path().display());
    let status = std::process::Command::new("git")
        .args(["clone", "-q", "--depth", "1", &url])
        .arg(clone.join("c"))
        .status()
        .unwrap();
    assert!(status.success());
    let run = crate::util::keyrot_in(&clone.join("c"), &["scan", "--git", "--format", "json"]);
    assert!(run.stderr.contains("shallow clone"), "{}", run.stderr);
    // Both files are in the one commit the clone has.
    assert_eq!(rows(&json(&run)).len(), 2);
}

#[test]
fn a_missing_object_is_reported_and_the_rest_is_scanned() {
    let repo = Repo::new();
    repo.write("keep.env", pair(KEY, SECRET));
    repo.write("lost.txt", "this blob will go missing\n");
    repo.commit("two files");
    let blob = repo.git(&["rev-parse", "HEAD:lost.txt"]);
    let object = repo
        .path()
        .join(".git/objects")
        .join(&blob[..2])
        .join(&blob[2..]);
    std::fs::remove_file(object).unwrap();
    let run = repo.keyrot(&["scan", "--git", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(&blob),
        "the missing blob is named: {}",
        run.stderr
    );
    assert_eq!(rows(&run.json()).len(), 1);
}

#[test]
fn a_corrupt_tree_costs_only_itself() {
    let repo = Repo::new();
    repo.write("real.env", pair(KEY, SECRET));
    repo.write("sub/lost.txt", "a tree that will be corrupted\n");
    repo.commit("a key and a folder");
    let tree = repo.git(&["rev-parse", "HEAD:sub"]);
    // The next commit changes the folder whose old tree is corrupt: its files count as new.
    repo.write("sub/new.env", pair(KEY2, SECRET2))
        .commit("second key");
    let object = repo
        .path()
        .join(".git/objects")
        .join(&tree[..2])
        .join(&tree[2..]);
    let mut perms = std::fs::metadata(&object).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&object, perms).unwrap();
    std::fs::write(&object, b"not zlib at all").unwrap();
    let run = repo.keyrot(&["scan", "--git", "--format", "json"]);
    assert!(
        run.stderr.contains(&tree),
        "the corrupt tree is named: {}",
        run.stderr
    );
    let found: Vec<String> = rows(&run.json()).into_iter().map(|r| r.0).collect();
    assert!(found.contains(&"real.env".to_string()), "{found:?}");
    assert!(found.contains(&"sub/new.env".to_string()), "{found:?}");
}

/// A tree out of git's order, as a crafted repository may write one, cannot make the history
/// walk lose or misplace a key: the key added beside unchanged files is found at the crafted
/// commit, and the unchanged file's key stays at the commit that added it. Its twin, the same
/// commit with its tree in order, reports the same.
#[test]
fn a_tree_out_of_order_neither_loses_nor_misplaces_a_key() {
    for crafted in [true, false] {
        let repo = Repo::new();
        repo.write("a.env", pair(KEY, SECRET))
            .write("z.txt", "nothing here\n");
        let first = repo.commit("first key");
        repo.write("b.env", pair(KEY2, SECRET2));
        let blob = |path: &str| repo.git(&["hash-object", "-w", path]);
        let mut entries = vec![
            ("z.txt", blob("z.txt")),
            ("b.env", blob("b.env")),
            ("a.env", blob("a.env")),
        ];
        if !crafted {
            entries.sort();
        }
        let mut tree = Vec::new();
        for (name, id) in &entries {
            tree.extend_from_slice(format!("100644 {name}\0").as_bytes());
            let raw: Vec<u8> = (0..id.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&id[i..i + 2], 16).unwrap())
                .collect();
            tree.extend_from_slice(&raw);
        }
        let file = repo.path().join(".git/crafted-tree");
        std::fs::write(&file, &tree).unwrap();
        let tree = repo.git(&[
            "hash-object",
            "-t",
            "tree",
            "--literally",
            "-w",
            file.to_str().unwrap(),
        ]);
        let second = repo.git(&["commit-tree", &tree, "-p", &first, "-m", "second key"]);
        repo.git(&["update-ref", "HEAD", &second]);
        let run = repo.keyrot(&["scan", "--git", "--format", "json"]);
        let at: Vec<(String, String)> = run.json()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                let commit = f["commit"]["id"].as_str().unwrap_or_default();
                (f["uri"].as_str().unwrap().to_string(), commit.to_string())
            })
            .collect();
        assert!(
            at.contains(&("a.env".into(), first.clone())),
            "{crafted}: {at:?}"
        );
        assert!(
            at.contains(&("b.env".into(), second.clone())),
            "{crafted}: {at:?}"
        );
        assert_eq!(at.len(), 2, "{crafted}: {at:?}");
    }
}

#[test]
fn a_blob_excluded_at_one_path_is_still_scanned_at_another() {
    let repo = Repo::new();
    repo.write(".keyrot.toml", "exclude = [\"vendor/**\"]\n");
    repo.write("app/prod.env", pair(KEY, SECRET))
        .commit("app config");
    // A newer copy of the same blob under an excluded path, and the same policy as a test
    // snapshot (data) and as a deployable policy file.
    let policy = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#;
    repo.write("tests/api.snapshot.json", policy)
        .commit("snapshot");
    repo.write("vendor/prod.env", pair(KEY, SECRET));
    repo.write("policies/admin.json", policy).commit("copies");
    let report = json(&repo.keyrot(&["scan", "--git", "--format", "json"]));
    let found: Vec<(String, String)> = rows(&report).into_iter().map(|r| (r.0, r.2)).collect();
    assert!(
        found.contains(&("app/prod.env".into(), "aws.access-key-pair".into())),
        "{found:?}"
    );
    assert!(
        !found
            .iter()
            .any(|(p, _)| p.starts_with("vendor/") || p.starts_with("tests/")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|(p, r)| p == "policies/admin.json" && r.starts_with("policy.")),
        "{found:?}"
    );
}

#[test]
fn a_staged_terraform_file_is_judged_with_its_modules_other_files() {
    let repo = Repo::new();
    repo.write(
        "infra/data.tf",
        "data \"aws_iam_policy_document\" \"trust\" {\n  statement {\n    actions = [\"sts:AssumeRole\"]\n    principals {\n      type        = \"Service\"\n      identifiers = [\"lambda.amazonaws.com\"]\n    }\n  }\n}\n",
    )
    .commit("module data");
    repo.write(
        "infra/main.tf",
        "resource \"aws_iam_role\" \"app\" {\n  assume_role_policy = data.aws_iam_policy_document.trust.json\n}\n",
    );
    repo.git(&["add", "-A"]);
    let run = repo.keyrot(&["scan", "--staged", "--format", "json"]);
    assert_eq!(run.code, 0, "defined in data.tf: {}", run.stdout);
    // The twin: a reference no file of the module defines.
    repo.write(
        "infra/main.tf",
        "resource \"aws_iam_role\" \"app\" {\n  assume_role_policy = data.aws_iam_policy_document.missing.json\n}\n",
    );
    repo.git(&["add", "-A"]);
    let run = repo.keyrot(&["scan", "--staged", "--format", "json"]);
    let found: Vec<String> = rows(&json(&run)).into_iter().map(|r| r.2).collect();
    assert_eq!(found, vec!["policy.unanalysed".to_string()]);
}

#[test]
fn a_run_is_labelled_by_its_repositorys_origin_else_its_folder() {
    let repo = Repo::new();
    repo.write("a.txt", "x\n").commit("start");
    repo.git(&[
        "remote",
        "add",
        "origin",
        "git@git.example.internal:acme/payments.git",
    ]);
    let report = json(&repo.keyrot(&["scan", ".", "--format", "json"]));
    assert_eq!(report["label"], "payments");
    // The twin: a folder outside any repository is named by itself.
    let dir = crate::util::Dir::new();
    dir.write("plain/a.txt", "x\n");
    let run = crate::util::keyrot_in(dir.path(), &["scan", "plain", "--format", "json"]);
    assert_eq!(run.json()["label"], "plain");
}

#[test]
fn history_sarif_is_valid_and_keeps_the_path_at_that_commit() {
    let repo = Repo::new();
    repo.write("deploy/old.env", pair(KEY, SECRET))
        .commit("add");
    repo.remove("deploy/old.env").commit("remove");
    let doc = json(&repo.keyrot(&[
        "scan",
        "--git",
        "--format",
        "sarif",
        "--sarif-category",
        "history",
    ]));
    crate::sarif::assert_valid_sarif(&doc);
    crate::sarif::assert_github_accepts(&doc);
    let r = &doc["runs"][0]["results"][0];
    assert_eq!(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "deploy/old.env"
    );
    assert_eq!(r["properties"]["commit"]["author"], "Alice Example");
    assert_eq!(r["properties"]["presentAtHead"], false);
}

#[test]
fn history_text_report_snapshot() {
    let repo = Repo::new();
    repo.write("deploy.env", pair(KEY, SECRET)).commit("add");
    repo.remove("deploy.env").commit("remove");
    let run = repo.keyrot(&["scan", "--git", "--color", "never"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    insta::assert_snapshot!(run.stdout, @r#"
    deploy.env @ d4dbfd15693d
       1:21  critical aws.access-key-pair  AWS long-term access key AKIAYGTTU3F4ZNIBPSU4 with its secret access key (account 563956996473)
              │ aws_access_key_id = AKIAYGTTU3F4ZNIBPSU4
              introduced in d4dbfd15693d by Alice Example <alice@example.com> on 2023-11-15; no longer at HEAD, but still in history
              secret access key at 2:25 (UYDK****)
              fix: Revoke now: aws iam update-access-key --user-name USER_NAME --access-key-id AKIAYGTTU3F4ZNIBPSU4 --status Inactive, then rotate
    "#);
}

/// Issue: a pull request could silence keyrot with its own `.keyrot.toml`, baseline or allow
/// comments. In a scan of what a change adds, the configuration and baseline are read from the
/// base revision, and allow comments the change adds are under review (or, strict, ignored).
#[test]
fn a_change_cannot_silence_the_scan_of_itself() {
    let repo = Repo::new();
    let base = repo.write("README.md", "hello\n").commit("start");
    repo.write(
        ".keyrot.toml",
        "exclude = [\"**\"]\ndisable = [\"aws.access-key-pair\"]\n",
    )
    .write("deploy/prod.env", pair(KEY, SECRET))
    .write(
        "app.py",
        format!("KEY = '{KEY2}'  # keyrot:allow reason=\"not a real key\"\n"),
    )
    .commit("add a key, and quiet the scanner");
    let run = repo.keyrot(&["scan", "--git", "--since", &base, "--format", "sarif"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("this change adds .keyrot.toml: the scan ignores it"),
        "{}",
        run.stderr
    );
    let sarif = run.json();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(
        results
            .iter()
            .any(|r| r["ruleId"] == "aws.access-key-pair" && r["suppressions"].is_null()),
        "{sarif:#}"
    );
    let allowed = results
        .iter()
        .find(|r| r["ruleId"] == "aws.access-key-id")
        .expect("the allowed key is still a result");
    assert_eq!(allowed["suppressions"][0]["status"], "underReview");
    let notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"].to_string();
    assert!(notes.contains("this change adds .keyrot.toml"), "{notes}");
    // Strict: the allow comment the change adds does not suppress.
    let strict = repo.keyrot(&[
        "scan",
        "--git",
        "--since",
        &base,
        "--format",
        "json",
        "--strict-suppressions",
    ]);
    let ids: Vec<String> = rows(&json(&strict)).into_iter().map(|r| r.2).collect();
    assert!(ids.contains(&"aws.access-key-id".to_string()), "{ids:?}");
    // A tree scan of the same checkout honours the file: the team owns its working tree.
    let tree = repo.keyrot(&["scan", ".", "--format", "json"]);
    assert_eq!(tree.code, 0, "{}", tree.stderr);
}

/// Issue: a file git tracks but `.gitignore` lists (a force-added `.env`) was invisible to
/// tree scans. Tracked files are scanned; untracked ignored ones are not.
#[test]
fn tree_scans_see_what_git_tracks_even_if_it_is_ignored() {
    let repo = Repo::new();
    repo.write(".gitignore", "*.env\n")
        .commit("ignore env files");
    repo.write("prod.env", pair(KEY, SECRET));
    repo.git(&["add", "-f", "prod.env"]);
    repo.commit("force-add the production env");
    repo.write("local.env", pair(KEY2, SECRET2));
    let report = json(&repo.keyrot(&["scan", ".", "--format", "json"]));
    let paths: Vec<String> = rows(&report).into_iter().map(|r| r.0).collect();
    assert!(paths.iter().any(|p| p.ends_with("prod.env")), "{paths:?}");
    assert!(!paths.iter().any(|p| p.ends_with("local.env")), "{paths:?}");
}

#[test]
fn policies_at_head_leaves_out_policies_of_past_versions_and_says_how_many() {
    let repo = Repo::new();
    let weak = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#;
    let fixed = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::logs/*"}]}"#;
    repo.write("old-policy.json", weak)
        .write("still-weak.json", weak)
        .write("keys.env", pair(KEY, SECRET))
        .commit("policies and a key");
    repo.write("old-policy.json", fixed)
        .remove("keys.env")
        .commit("fix the policy, drop the key");
    let rules = |report: &serde_json::Value| -> Vec<String> {
        rows(report)
            .into_iter()
            .map(|(path, _, rule, _)| format!("{path} {rule}"))
            .collect()
    };
    let all = repo.keyrot(&["scan", "--git", "--format", "json"]);
    let report = json(&all);
    let found = rules(&report);
    assert!(
        found.contains(&"old-policy.json policy.full-admin".to_string()),
        "{found:?}"
    );
    assert!(
        all.stderr
            .contains("1 policy finding is of versions no longer at HEAD"),
        "{}",
        all.stderr
    );
    let at_head = repo.keyrot(&["scan", "--git", "--policies-at-head", "--format", "json"]);
    let report = json(&at_head);
    let found = rules(&report);
    assert!(
        !found.iter().any(|f| f.starts_with("old-policy.json")),
        "{found:?}"
    );
    // The twins: a weak policy still at HEAD, and a secret gone from HEAD, stay.
    assert!(
        found.contains(&"still-weak.json policy.full-admin".to_string()),
        "{found:?}"
    );
    assert!(
        found.iter().any(|f| f.starts_with("keys.env aws.")),
        "{found:?}"
    );
    assert!(
        at_head
            .stderr
            .contains("1 policy finding of versions no longer at HEAD left out"),
        "{}",
        at_head.stderr
    );
}

/// A repository of `commits` commits, each changing four of 400 files (git fast-import), with
/// one key pair in its first commit.
fn generated(commits: usize) -> Repo {
    let repo = Repo::new();
    let mut stream = String::new();
    for c in 0..commits {
        let message = format!("commit {c}");
        stream.push_str(&format!(
            "commit refs/heads/main\ncommitter Gen <gen@example.com> {} +0000\ndata {}\n{message}\n",
            1_700_000_000 + c,
            message.len()
        ));
        let files: Vec<String> = if c == 0 {
            (0..400).map(|f| format!("pkg{}/m{f}.py", f % 20)).collect()
        } else {
            (0..4)
                .map(|k| format!("pkg{}/m{}.py", (c + k) % 20, (c * 7 + k * 101) % 400))
                .collect()
        };
        for path in files {
            let mut body = format!("def f():\n    return {c}  # {path}\n").repeat(30);
            if c == 0 && path == "pkg0/m0.py" {
                body.push_str(&pair(KEY, SECRET));
            }
            stream.push_str(&format!(
                "M 100644 inline {path}\ndata {}\n{body}\n",
                body.len()
            ));
        }
    }
    let mut child = std::process::Command::new("git")
        .args(["fast-import", "--quiet"])
        .current_dir(repo.path())
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stream.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    repo.git(&["reset", "-q", "--hard", "main"]);
    repo
}

#[test]
fn history_memory_does_not_grow_with_the_history() {
    let small = generated(200);
    let large = generated(2000);
    let args = [
        "scan",
        "--git",
        "--quiet",
        "--format",
        "json",
        "--fail-on",
        "none",
        "-o",
        "/dev/null",
    ];
    for repo in [&small, &large] {
        let report = json(&repo.keyrot(&["scan", "--git", "--format", "json"]));
        assert_eq!(rows(&report).len(), 1, "the planted pair, once: {report:#}");
    }
    let peak_small = crate::gate::peak_kib(small.path(), &args);
    let peak_large = crate::gate::peak_kib(large.path(), &args);
    // Ten times the commits and changes: a few bytes a change, not a blob's worth.
    assert!(
        peak_large < peak_small + 24 * 1024,
        "2,000 commits took {peak_large} KiB, 200 took {peak_small} KiB"
    );
}

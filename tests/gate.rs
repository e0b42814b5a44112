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

pub const KEY: &str = "AKIAYGTTU3F4ZNIBPSU4";
pub const SECRET: &str = "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";

pub fn pair() -> String {
    format!("aws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\n")
}

/// The files a change could hide a key in by their format alone.
fn hidden_by_format() -> Vec<(&'static str, Vec<u8>)> {
    let text = pair();
    let mut nul = vec![0u8];
    nul.extend(text.as_bytes());
    let mut padded = vec![b' '; 40 << 20];
    padded.push(b'\n');
    padded.extend(text.as_bytes());
    let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    vec![
        ("nul.env", nul),
        ("padded.env", padded),
        ("utf16le.env", le),
        ("utf16be.env", be),
    ]
}

fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(data).unwrap();
    gz.finish().unwrap()
}

fn tar(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, data) in members {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder.append_data(&mut header, name, *data).unwrap();
    }
    builder.into_inner().unwrap()
}

fn zip(members: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in members {
        out.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(data).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// Every archive kind, each holding the key pair in a member; expected `(uri, member)`.
fn archives() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let text = pair();
    let text = text.as_bytes();
    let bz2 = {
        let mut out = Vec::new();
        std::io::Read::read_to_end(
            &mut bzip2::read::BzEncoder::new(text, bzip2::Compression::best()),
            &mut out,
        )
        .unwrap();
        out
    };
    let xz = {
        use std::io::Write;
        let mut w =
            lzma_rust2::XzWriter::new(Vec::new(), lzma_rust2::XzOptions::default()).unwrap();
        w.write_all(text).unwrap();
        w.finish().unwrap()
    };
    let jar = zip(&[
        ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n"),
        ("config/app.properties", text),
    ]);
    let nested = gzip(&tar(&[("lib/inner.zip", &zip(&[("deploy/.env", text)]))]));
    vec![
        ("a.env.gz", gzip(text), "a.env"),
        ("a.env.bz2", bz2, "a.env"),
        ("a.env.xz", xz, "a.env"),
        ("app.jar", jar.clone(), "config/app.properties"),
        ("renamed.dat", jar, "config/app.properties"),
        ("site.tar", tar(&[("etc/.env", text)]), "etc/.env"),
        ("site.tgz", gzip(&tar(&[("etc/.env", text)])), "etc/.env"),
        ("release.tar.gz", nested, "lib/inner.zip!deploy/.env"),
    ]
}

fn members(report: &serde_json::Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "aws.access-key-pair")
        .map(|f| {
            (
                f["uri"].as_str().unwrap().to_string(),
                f["member"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// A NUL in front, padding past 40 MiB (read in windows), UTF-16 without a BOM either way:
/// each key is found by a folder scan, in what is staged, and in history with `--since`.
#[test]
fn a_key_hidden_by_file_format_is_found_in_the_tree_the_index_and_history() {
    let repo = crate::util::Repo::new();
    repo.write("README.md", "hello\n");
    let base = repo.commit("start");
    for (name, data) in hidden_by_format() {
        repo.write(name, data);
    }
    let expect: Vec<String> = hidden_by_format()
        .iter()
        .map(|(n, _)| n.to_string())
        .collect();
    let keys = |run: crate::util::Run| {
        assert_eq!(run.code, 1, "{}", run.stderr);
        let mut found: Vec<String> = members(&run.json())
            .into_iter()
            .map(|(uri, _)| uri)
            .collect();
        found.sort();
        found
    };
    let mut sorted = expect.clone();
    sorted.sort();
    assert_eq!(
        keys(repo.keyrot(&["scan", ".", "--format", "json"])),
        sorted
    );
    repo.git(&["add", "-A"]);
    assert_eq!(
        keys(repo.keyrot(&["scan", "--staged", ".", "--format", "json"])),
        sorted
    );
    repo.commit("add");
    let since = [
        "scan",
        "--git",
        ".",
        "--since",
        base.as_str(),
        "--fail-on",
        "high",
        "--format",
        "json",
    ];
    assert_eq!(keys(repo.keyrot(&since)), sorted);
    // The padded key is at its line in the file, past the first window.
    let run = repo.keyrot(&["scan", "padded.env", "--format", "json"]);
    assert_eq!(rows(&run.json())[0].1, 2);
}

/// Every archive and compression kind is opened, nested archives too, by magic not name; each
/// key is reported at its member, the archive's path as the URI.
#[test]
fn archives_and_compressed_files_are_read_member_by_member() {
    let dir = Dir::new();
    for (name, data, _) in archives() {
        dir.write(name, data);
    }
    let run = keyrot_in(dir.path(), &["scan", ".", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    let mut found = members(&report);
    found.sort();
    let mut expect: Vec<(String, String)> = archives()
        .into_iter()
        .map(|(name, _, member)| (name.to_string(), member.to_string()))
        .collect();
    expect.sort();
    assert_eq!(found, expect);
    let finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["uri"] == "release.tar.gz")
        .unwrap();
    assert_eq!(
        finding["path"],
        "./release.tar.gz!lib/inner.zip!deploy/.env"
    );
    assert_eq!(report["summary"]["read"]["archives"], 9, "{report:#}");
    // SARIF: the archive is the artifact, the member a logical location and in the message.
    let run = keyrot_in(dir.path(), &["scan", "release.tar.gz", "--format", "sarif"]);
    let sarif: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let result = &sarif["runs"][0]["results"][0];
    let location = &result["locations"][0];
    assert_eq!(
        location["physicalLocation"]["artifactLocation"]["uri"],
        "release.tar.gz"
    );
    assert_eq!(
        location["logicalLocations"][0]["fullyQualifiedName"],
        "release.tar.gz!lib/inner.zip!deploy/.env"
    );
    assert!(
        result["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with("In `lib/inner.zip!deploy/.env` (line 1): "),
        "{result:#}"
    );
    crate::sarif::assert_github_accepts(&sarif);
    // Past --archive-depth the inner zip is not opened: noted, and the run fails closed.
    let run = keyrot_in(
        dir.path(),
        &["scan", "release.tar.gz", "--archive-depth", "1"],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("nested deeper than --archive-depth 1 was not opened"),
        "{}",
        run.stderr
    );
}

/// Bombs end at their budget with a note and exit 2, and what was read before still counts:
/// gzip of 96 MiB of zeros stops at the ratio budget (64 MiB at least, 100 times its size),
/// or sooner at `--max-archive-size`, while a key before it is still found; a zip of more
/// members than the budget stops at the budget.
#[test]
fn archive_bombs_end_at_their_budget_and_fail_closed() {
    use std::io::Write;
    let bomb = |mib: usize| {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(pair().as_bytes()).unwrap();
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..mib {
            gz.write_all(&zeros).unwrap();
        }
        gz.finish().unwrap()
    };
    let dir = Dir::new();
    dir.write("bomb.gz", bomb(96));
    let run = keyrot_in(dir.path(), &["scan", "bomb.gz", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        members(&run.json()),
        vec![("bomb.gz".to_string(), "bomb".to_string())]
    );
    assert!(
        run.stderr
            .contains("bomb.gz: reading stopped at the archive budget on expansion ratio")
            && run.stderr.contains("64.0 MiB allowed"),
        "{}",
        run.stderr
    );
    assert_eq!(run.json()["summary"]["incomplete"], true);
    let run = keyrot_in(dir.path(), &["scan", "bomb.gz", "--max-archive-size", "8M"]);
    assert!(
        run.stderr.contains("budget on expanded bytes") && run.stderr.contains("8.0 MiB allowed"),
        "{}",
        run.stderr
    );
    // The twin within the budget: read to its end, nothing noted, and it passes once the key
    // is gone.
    dir.write("bomb.gz", bomb(16));
    let run = keyrot_in(dir.path(), &["scan", "bomb.gz"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(!run.stderr.contains("budget"), "{}", run.stderr);
    let many: Vec<(String, Vec<u8>)> = (0..100_001)
        .map(|i| (format!("f{i}"), Vec::new()))
        .collect();
    let refs: Vec<(&str, &[u8])> = many
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    dir.write("many.zip", zip(&refs));
    let run = keyrot_in(dir.path(), &["scan", "many.zip"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("budget of 100000 members"),
        "{}",
        run.stderr
    );
    dir.write("many.zip", zip(&refs[..1000]));
    let run = keyrot_in(dir.path(), &["scan", "many.zip"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

/// A key in a commit message or an annotated tag's message is reported at its commit, with
/// its author; `--since` reads only the messages of the commits it selects.
#[test]
fn commit_and_tag_messages_are_scanned() {
    let repo = crate::util::Repo::new();
    repo.write("README.md", "hello\n");
    let base = repo.commit("start");
    repo.write("a.txt", "a\n");
    let leaky = repo.commit(&format!("deploy fix\n\nused {KEY} / {SECRET} to test"));
    repo.git(&["tag", "-a", "v1", "-m", &format!("release\n\n{}", pair())]);
    repo.commit("nothing to see");
    let run = repo.keyrot(&["scan", "--git", ".", "--since", &base, "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    let mut found: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "aws.access-key-pair")
        .map(|f| {
            assert_eq!(f["commit"]["author"], "Alice Example");
            (
                f["uri"].as_str().unwrap().to_string(),
                f["commit"]["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        vec![
            (".git/COMMIT_MESSAGE".to_string(), leaky.clone()),
            (".git/TAG_MESSAGE/v1".to_string(), leaky.clone()),
        ]
    );
    // The twin: a range that leaves the commit out reads neither message.
    let run = repo.keyrot(&["scan", "--git", ".", "--since", &leaky]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

/// `git replace` cannot hide a commit: the stored objects are read (the replaced commit's
/// key is found) and the replace ref is noted; a submodule is named, not silently skipped.
#[test]
fn replaced_commits_are_read_as_stored_and_submodules_are_named() {
    let repo = crate::util::Repo::new();
    repo.write("README.md", "hello\n").commit("start");
    repo.write("prod.env", pair());
    let leaky = repo.commit("add config");
    repo.remove("prod.env");
    repo.write("prod.env", "KEY=from-vault\n");
    let clean = repo.commit("clean config");
    // The leaky commit is replaced by the clean one: git log no longer shows the key.
    repo.git(&["replace", &leaky, &clean]);
    assert!(!repo.git(&["log", "-p"]).contains(KEY));
    let run = repo.keyrot(&["scan", "--git", ".", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    let commits: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["uri"] == "prod.env")
        .map(|f| f["commit"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(commits, vec![leaky.as_str()], "{report:#}");
    assert!(
        run.stderr.contains("1 replace ref (refs/replace/) ignored"),
        "{}",
        run.stderr
    );
    // A submodule pointer (a gitlink) whose objects are not here is named.
    let sub = crate::util::Repo::new();
    sub.write("x", "x\n");
    let pointer = sub.commit("sub");
    repo.git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        &format!("160000,{pointer},vendor/lib"),
    ]);
    repo.git(&["commit", "-q", "-m", "add submodule"]);
    let run = repo.keyrot(&["scan", "--git", "."]);
    assert!(
        run.stderr.contains("vendor/lib: a submodule (moved by 1 commit) whose objects are not in this clone: not scanned"),
        "{}",
        run.stderr
    );
}

/// What could hold a credential and was not read fails the run closed (exit 2), a root that
/// cannot be read as much as one that does not exist; `--allow-incomplete` relaxes it, and a
/// twin that reads fine exits 0.
#[test]
fn what_was_not_read_fails_closed() {
    let dir = Dir::new();
    dir.write("fine.txt", "nothing\n");
    // Reading /proc/self/mem from offset 0 fails with EIO, even as root.
    std::os::unix::fs::symlink("/proc/self/mem", dir.join("root")).unwrap();
    let run = keyrot_in(dir.path(), &["scan", "root"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("root:"), "{}", run.stderr);
    let run = keyrot_in(dir.path(), &["scan", "root", "--allow-incomplete"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = keyrot_in(dir.path(), &["scan", "missing"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let run = keyrot_in(dir.path(), &["scan", "fine.txt"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // A broken link holds nothing: named, and no failure.
    std::os::unix::fs::symlink(dir.join("gone"), dir.join("sub-dangling")).unwrap();
    std::fs::remove_file(dir.join("root")).unwrap();
    let run = keyrot_in(dir.path(), &["scan", "."]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("sub-dangling"), "{}", run.stderr);
}

/// `--output` writes through devices and FIFOs, keeps a link a link, and refuses to write
/// over a file it scans; a regular file is replaced whole.
#[test]
fn output_never_replaces_what_it_should_write_through() {
    let dir = Dir::new();
    dir.write("keys.env", pair());
    // The machine's own /dev/null is the device written through: it must be one to begin with
    // (an older keyrot, or any tool that renames over it as root, leaves a regular file).
    use std::os::unix::fs::FileTypeExt;
    assert!(
        std::fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device(),
        "this machine's /dev/null is not a device before the test; restore it as root with \
         `rm -f /dev/null && mknod -m 666 /dev/null c 1 3`"
    );
    let run = keyrot_in(dir.path(), &["scan", "keys.env", "-o", "/dev/null"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let null = std::fs::metadata("/dev/null").unwrap();
    assert!(
        null.file_type().is_char_device(),
        "/dev/null was replaced by a file"
    );
    // A link to a report file stays a link; the file behind it gets the report.
    dir.write("reports/real.json", "old");
    std::os::unix::fs::symlink(dir.join("reports/real.json"), dir.join("link.json")).unwrap();
    let run = keyrot_in(
        dir.path(),
        &["scan", "keys.env", "-f", "json", "-o", "link.json"],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(std::fs::symlink_metadata(dir.join("link.json"))
        .unwrap()
        .file_type()
        .is_symlink());
    let written = std::fs::read_to_string(dir.join("reports/real.json")).unwrap();
    assert!(written.contains(KEY), "{written}");
    // A FIFO is written through (a reader on the other end gets the report).
    let fifo = dir.join("pipe");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let reader = std::thread::spawn({
        let fifo = fifo.clone();
        move || std::fs::read_to_string(fifo).unwrap()
    });
    let run = keyrot_in(
        dir.path(),
        &["scan", "keys.env", "-f", "json", "-o", "pipe"],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(reader.join().unwrap().contains(KEY));
    assert!(!std::fs::metadata(&fifo).unwrap().is_file());
    // The scanned file itself is refused, and left as it was.
    let run = keyrot_in(dir.path(), &["scan", "keys.env", "-o", "keys.env"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("is one of the files to scan"),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("keys.env")).unwrap(),
        pair()
    );
    // No temporary is left beside the report.
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// The Action's scan step on a pull_request event, with its defaults, in a real repository:
/// the pull request adds a key behind an allow comment and a `.keyrot.toml` excluding
/// everything. Neither silences it: the range since the base is scanned with the base's
/// configuration, strictly, and the job summary names the allow comment. The same step on a
/// push event (the twin) honours the comment.
#[test]
fn a_pull_request_cannot_silence_the_action() {
    let repo = crate::util::Repo::new();
    repo.write("README.md", "hello\n");
    let base = repo.commit("start");
    repo.write(".keyrot.toml", "exclude = [\"**\"]\n");
    repo.write(
        "app.py",
        format!("KEY = '{KEY}'  # keyrot:allow\nSECRET = '{SECRET}'  # keyrot:allow\n"),
    );
    repo.commit("feature");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("action.yml")).unwrap();
    let docs = yaml_rust2::YamlLoader::load_from_str(&text).unwrap();
    let action = crate::docs::yaml_to_json(&docs[0]);
    let step = action["runs"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "scan")
        .unwrap()
        .clone();
    let default = |name: &str| {
        action["inputs"][name]["default"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let run_step = |event: &str| {
        let out = Dir::new();
        let (outputs, summary) = (out.join("outputs"), out.join("summary.md"));
        let run = std::process::Command::new("bash")
            .arg("-e")
            .arg("-c")
            .arg(step["run"].as_str().unwrap())
            .current_dir(repo.path())
            .env("KEYROT", env!("CARGO_BIN_EXE_keyrot"))
            .env("SARIF", out.join("keyrot.sarif"))
            .env("INPUT_PATH", default("path"))
            .env("INPUT_ARGS", default("args"))
            .env("INPUT_FAIL_ON", default("fail-on"))
            .env("INPUT_CATEGORY", default("category"))
            .env("INPUT_CONFIG", default("config"))
            .env("INPUT_STRICT", default("strict-suppressions"))
            .env("INPUT_PR_RANGE", default("pull-request-range"))
            .env("INPUT_SUMMARY", default("summary"))
            .env("EVENT_NAME", event)
            .env("PR_BASE", &base)
            .env("GITHUB_OUTPUT", &outputs)
            .env("GITHUB_STEP_SUMMARY", &summary)
            .output()
            .unwrap();
        let outputs = std::fs::read_to_string(&outputs).unwrap_or_default();
        let summary = std::fs::read_to_string(&summary).unwrap_or_default();
        (
            outputs,
            summary,
            String::from_utf8_lossy(&run.stderr).into_owned(),
        )
    };
    let (outputs, summary, stderr) = run_step("pull_request");
    assert!(outputs.contains("exit-code=1"), "{outputs}\n{stderr}");
    assert!(summary.contains("aws.access-key-pair"), "{summary}");
    // On a push, the repository's own configuration and comments stand: nothing fails, and
    // the summary does not claim there is nothing to look at unless that is so.
    let (outputs, summary, stderr) = run_step("push");
    assert!(outputs.contains("exit-code=0"), "{outputs}\n{stderr}");
    assert!(summary.contains("No findings"), "{summary}");
}

/// With `--since`, an allow comment the change adds suppresses only under review, and every
/// summary says so: text, Markdown, SARIF run properties, HTML.
#[test]
fn suppressions_added_by_the_change_are_named_in_every_summary() {
    let repo = crate::util::Repo::new();
    repo.write("README.md", "hello\n");
    let base = repo.commit("start");
    repo.write(
        "app.py",
        format!("KEY = '{KEY}'  # keyrot:allow\nSECRET = '{SECRET}'  # keyrot:allow\n"),
    );
    repo.commit("feature");
    let args =
        |format: &str| repo.keyrot(&["scan", "--git", ".", "--since", &base, "--format", format]);
    let text = args("text");
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert!(
        text.stderr.contains(
            "suppressed by allow comments this change adds itself, review them: app.py:1"
        ),
        "{}",
        text.stderr
    );
    let md = args("markdown");
    assert!(
        md.stdout
            .contains("suppressed by allow comments this change adds itself"),
        "{}",
        md.stdout
    );
    assert!(!md.stdout.contains("\nNo findings.\n"), "{}", md.stdout);
    let sarif: serde_json::Value = serde_json::from_str(&args("sarif").stdout).unwrap();
    let added = &sarif["runs"][0]["properties"]["suppressionsAddedByChange"];
    assert_eq!(added.as_array().map(Vec::len), Some(1), "{sarif:#}");
    let html = args("html");
    assert!(html
        .stdout
        .contains("Suppressed by allow comments this change adds itself"));
    // The twin: the same comment already at the base is no change's doing and is not named.
    let run = repo.keyrot(&["scan", "--git", "."]);
    assert!(!run.stderr.contains("this change adds"), "{}", run.stderr);
}

/// A key ID owned by `account`, as AWS encodes it (the inverse of keyrot's offline decoding).
pub fn key_of_account(account: u64) -> String {
    let z = (account << 7) << 2;
    let mut id = String::from("AKIA");
    for i in (0..10).rev() {
        let v = ((z >> (5 * i)) & 31) as u8;
        id.push(if v < 26 {
            (b'A' + v) as char
        } else {
            (b'2' + v - 26) as char
        });
    }
    id + "QMRTWX"
}

/// The smaller ways around: ES6 `\u{41}` escapes, a key cut by a backslash continuation and
/// double base64 are found; a file name that is not a plain URI is percent-encoded in SARIF;
/// the secret of a placeholder key ID is dropped with it (not an orphan "key ID not within
/// reach"), and so are keys of AWS's documentation account and `FakeValues...` values. Each
/// dropped case has a twin one detail away that is reported.
#[test]
fn smaller_spellings_are_found_and_placeholders_dropped_whole() {
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let dir = Dir::new();
    dir.write(
        "es6.js",
        format!(
            "const id = \"\\u{{41}}{}\";\nconst secret = \"{SECRET}\";\n",
            &KEY[1..]
        ),
    );
    dir.write(
        "cont.sh",
        format!(
            "export AWS_ACCESS_KEY_ID=\"{}\\\n{}\"\nexport AWS_SECRET_ACCESS_KEY=\"{SECRET}\"\n",
            &KEY[..12],
            &KEY[12..]
        ),
    );
    dir.write("twice.txt", format!("blob: {}\n", b64(&b64(&pair()))));
    dir.write("odd%2Fname #1.env", pair());
    let other = "Tq3cE0mVh7yZ+2wR9kLx/Fb8NsJd4pUa6GiOe1Ct";
    dir.write(
        "placeholder.env",
        format!("aws_access_key_id = AKIAXXXXXXXXXXXXXXXX\naws_secret_access_key = {other}\n"),
    );
    let docs = key_of_account(123456789012);
    let twin = key_of_account(123456789013);
    dir.write(
        "docs.env",
        format!("aws_access_key_id = {docs}\naws_secret_access_key = {other}\n"),
    );
    dir.write(
        "twin.env",
        format!("aws_access_key_id = {twin}\naws_secret_access_key = {other}\n"),
    );
    dir.write(
        "fake.env",
        "aws_secret_access_key = FakeValues99cl9bqJFVA3iFUm+yqVe08HxhXFE/\n",
    );
    let run = keyrot_in(dir.path(), &["scan", ".", "--format", "json"]);
    let report = run.json();
    let found: Vec<(String, String)> = rows(&report)
        .into_iter()
        .map(|(path, _, rule, _)| (path, rule))
        .collect();
    let pair_in = |file: &str| (file.to_string(), "aws.access-key-pair".to_string());
    for file in [
        "es6.js",
        "cont.sh",
        "twice.txt",
        "odd%2Fname #1.env",
        "twin.env",
    ] {
        assert!(found.contains(&pair_in(file)), "{file}: {found:?}");
    }
    for file in ["placeholder.env", "docs.env", "fake.env"] {
        assert!(
            !found.iter().any(|(path, _)| path == file),
            "{file}: {found:?}"
        );
    }
    let dropped = report["summary"]["dropped"].to_string();
    assert!(
        dropped.contains("paired with a placeholder or example key ID"),
        "{dropped}"
    );
    assert!(dropped.contains("documentation example"), "{dropped}");
    // SARIF: the odd name percent-encoded, so that it names the file and nothing else.
    let run = keyrot_in(
        dir.path(),
        &["scan", "odd%2Fname #1.env", "--format", "sarif"],
    );
    let sarif: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let uri = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
        ["artifactLocation"]["uri"];
    assert_eq!(uri, "odd%252Fname%20%231.env", "{}", run.stdout);
}

/// Peak resident memory of one keyrot run, in KiB (GNU time, which `scripts/test` installs).
pub fn peak_kib(cwd: &std::path::Path, args: &[&str]) -> u64 {
    let time = std::path::Path::new("/usr/bin/time");
    assert!(
        time.is_file(),
        "GNU time is missing at /usr/bin/time: run ./scripts/test, which installs it (apt-get install time)"
    );
    let out = std::process::Command::new(time)
        .args(["-f", "peak=%M"])
        .arg(env!("CARGO_BIN_EXE_keyrot"))
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.code().unwrap_or(-1) <= 1, "{stderr}");
    stderr
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("peak="))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak in {stderr}"))
}

/// `mb` MiB of log lines with a key pair at 1 MiB, one cut by the first window's end (8 MiB),
/// and one every 20 MiB after.
fn long_log(dir: &Dir, name: &str, mb: usize) -> Vec<String> {
    let line =
        b"2026-12-07T12:00:00Z INFO request handled user=alice latency=12ms status=200 id=0f3c9a\n";
    let mut at: Vec<usize> = vec![1 << 20, (8 << 20) - 30];
    at.extend((1..).map(|i| i * (20 << 20)).take_while(|&a| a < mb << 20));
    let mut text = Vec::with_capacity((mb << 20) + 4096);
    let mut keys = Vec::new();
    while text.len() < mb << 20 {
        if keys.len() < at.len() && text.len() + line.len() > at[keys.len()] {
            let key = format!(
                "AKIAY34FZKBOKM{}",
                [
                    "UTVV7A", "QQ3BVA", "ZZ5CVB", "XX2DVC", "WW6EVD", "TT7FVE", "SS3GVF", "RR4HVG",
                    "PP5JVH", "NN6KVI", "MM7LVJ", "LL2MVK", "KK3NVL", "JJ4PVM", "HH5QVN", "GG6RVO",
                    "FF7SVP", "EE2TVQ"
                ][keys.len()]
            );
            text.extend_from_slice(&line[..at[keys.len()] - text.len()]);
            text.extend_from_slice(format!("\naws_access_key_id = {key}\naws_secret_access_key = UYDK9SGewL2AGe4Ae/yHC3A/lCbFs83cEDU3qLyj\n").as_bytes());
            keys.push(key);
        } else {
            text.extend_from_slice(line);
        }
    }
    dir.write(name, text);
    keys
}

#[test]
fn a_long_file_is_read_in_windows_on_every_core_in_memory_that_does_not_grow_with_it() {
    let dir = Dir::new();
    let small = long_log(&dir, "small.log", 40);
    let large = long_log(&dir, "large.log", 200);
    assert!(
        small.len() >= 2 && large.len() >= 10,
        "{} {}",
        small.len(),
        large.len()
    );
    // Every planted pair is found, the one across a window's edge included, at its line.
    let run = keyrot_in(
        dir.path(),
        &["scan", "large.log", "--format", "json", "--fail-on", "none"],
    );
    let report = run.json();
    let found: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "aws.access-key-pair")
        .filter_map(|f| f["facts"]["key_id"].as_str())
        .collect();
    for key in &large {
        assert_eq!(
            found.iter().filter(|k| *k == key).count(),
            1,
            "{key}: {found:?}"
        );
    }
    let text = std::fs::read_to_string(dir.join("large.log")).unwrap();
    for f in report["findings"].as_array().unwrap() {
        let key = f["facts"]["key_id"].as_str().unwrap();
        let line = text.lines().position(|l| l.contains(key)).unwrap() + 1;
        assert_eq!(f["line"].as_u64().unwrap() as usize, line, "{key}");
    }
    // Five times the file, not five times the memory: the windows in flight are the bound.
    let peak = |file: &str| {
        let args = [
            "scan",
            file,
            "--quiet",
            "--format",
            "json",
            "--fail-on",
            "none",
            "-o",
            "/dev/null",
        ];
        peak_kib(dir.path(), &args)
    };
    let (peak_small, peak_large) = (peak("small.log"), peak("large.log"));
    assert!(
        peak_large < peak_small + 48 * 1024,
        "a 200 MiB file took {peak_large} KiB, a 40 MiB one {peak_small} KiB"
    );
    assert!(peak_large < 200 * 1024, "{peak_large} KiB");
}

/// A zstd frame of raw blocks holding `text`, declaring a window of 2^`window_log` bytes.
fn zstd_raw(text: &[u8], window_log: u8) -> Vec<u8> {
    let mut out = vec![0x28, 0xB5, 0x2F, 0xFD, 0x00, (window_log - 10) << 3];
    let blocks: Vec<&[u8]> = text.chunks(1 << 16).collect();
    for (i, block) in blocks.iter().enumerate() {
        let last = u32::from(i + 1 == blocks.len());
        let header = (block.len() as u32) << 3 | last;
        out.extend_from_slice(&header.to_le_bytes()[..3]);
        out.extend_from_slice(block);
    }
    out
}

/// A zstd frame asking for a window past the budget (256 MiB, beside zstd's own default limit
/// of 128 MiB) is named with the budget and fails the scan closed, while its twin at the budget
/// is read and its key found.
#[test]
fn a_zstd_window_past_the_budget_is_named() {
    let dir = Dir::new();
    dir.write("wide.env.zst", zstd_raw(pair().as_bytes(), 28));
    dir.write("a.env.zst", zstd_raw(pair().as_bytes(), 27));
    let run = keyrot_in(dir.path(), &["scan", "wide.env.zst", "--format", "json"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "wide.env.zst: zstd archive unreadable: a frame asks for a 256 MiB window, past keyrot's budget of 128 MiB (`zstd_window`, docs/limits.md)"
        ) && run.stderr.contains("--allow-incomplete accepts that"),
        "{}",
        run.stderr
    );
    assert_eq!(run.json()["summary"]["incomplete"], true);
    let run = keyrot_in(dir.path(), &["scan", "a.env.zst", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        members(&run.json()),
        vec![("a.env.zst".to_string(), "a.env".to_string())]
    );
}

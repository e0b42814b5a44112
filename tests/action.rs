//! The Action's "Fetch the release binary" step, run as GitHub runs it (bash, its `env:` as
//! the environment, `GITHUB_OUTPUT` a file), against a release served over HTTP on loopback.
//! The server is a stand-in for GitHub's release downloads: it serves the release's files by
//! path and answers 404 otherwise, which is all the step relies on (plain GETs, `curl -f`).
//! The tag look-up for a pinned commit runs the real `git ls-remote` on a real repository.

use crate::util::{Dir, Repo};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "x86_64-unknown-linux-musl";

fn step(name: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("action.yml")).unwrap();
    let docs = yaml_rust2::YamlLoader::load_from_str(&text).unwrap();
    let action = crate::docs::yaml_to_json(&docs[0]);
    action["runs"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == name)
        .unwrap_or_else(|| panic!("step {name}"))["run"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Serves `dir` on 127.0.0.1 until the test binary exits; returns the base URL.
fn serve(dir: PathBuf) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(&stream);
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).map_or(true, |n| n == 0) || header == "\r\n" {
                    break;
                }
            }
            let path = line.split_whitespace().nth(1).unwrap_or("/");
            let file = dir.join(path.trim_start_matches('/'));
            let mut out = &stream;
            match (path.contains(".."), std::fs::read(&file)) {
                (false, Ok(body)) => {
                    let _ = write!(
                        out,
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = out.write_all(&body);
                }
                _ => {
                    let _ = write!(
                        out,
                        "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    );
                }
            }
        }
    });
    url
}

/// What the step needs of the action's checkout: the manifest (its version) and the sources
/// its cache key hashes.
fn action_checkout() -> Dir {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = Dir::new();
    for file in ["Cargo.toml", "Cargo.lock"] {
        std::fs::copy(root.join(file), dir.join(file)).unwrap();
    }
    dir.write("src/main.rs", "fn main() {}\n");
    dir.write("patterns/aws.yml", "rules: []\n");
    dir
}

fn version() -> String {
    format!("v{}", env!("CARGO_PKG_VERSION"))
}

/// A release of this build of keyrot for Linux x86_64: the archive and SHA256SUMS.
fn release(tamper: bool) -> Dir {
    let tag = version();
    let site = Dir::new();
    let asset = format!("keyrot-offline-{tag}-{TARGET}");
    let stage = Dir::new();
    std::fs::create_dir_all(stage.join(&asset)).unwrap();
    std::fs::copy(
        env!("CARGO_BIN_EXE_keyrot"),
        stage.join(&format!("{asset}/keyrot")),
    )
    .unwrap();
    let dir = site.join(&tag);
    std::fs::create_dir_all(&dir).unwrap();
    let archive = dir.join(format!("{asset}.tar.gz"));
    let tar = Command::new("tar")
        .arg("-czf")
        .arg(&archive)
        .arg("-C")
        .arg(stage.path())
        .arg(&asset)
        .status()
        .unwrap();
    assert!(tar.success());
    let sums = Command::new("sha256sum")
        .arg(format!("{asset}.tar.gz"))
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(sums.status.success());
    std::fs::write(dir.join("SHA256SUMS"), &sums.stdout).unwrap();
    if tamper {
        let mut bytes = std::fs::read(&archive).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&archive, bytes).unwrap();
    }
    site
}

struct Outcome {
    /// What the step unpacked lives here until the outcome is dropped.
    _dir: Dir,
    ok: bool,
    outputs: String,
    stderr: String,
}

fn run_release_step(
    checkout: &Path,
    releases: &str,
    remote: &Path,
    r#ref: &str,
    arch: &str,
) -> Outcome {
    let out = Dir::new();
    let outputs = out.join("outputs");
    let run = Command::new("bash")
        .arg("-e")
        .arg("-c")
        .arg(step("release"))
        .env("ACTION_PATH", checkout)
        .env("ACTION_REF", r#ref)
        .env("REMOTE", remote)
        .env("RELEASES", releases)
        .env("DEST", out.join("keyrot-release"))
        .env("RUNNER_OS", "Linux")
        .env("RUNNER_ARCH", arch)
        .env("GITHUB_OUTPUT", &outputs)
        .output()
        .unwrap();
    Outcome {
        ok: run.status.success(),
        outputs: std::fs::read_to_string(&outputs).unwrap_or_default(),
        _dir: out,
        stderr: String::from_utf8_lossy(&run.stderr).into_owned()
            + &String::from_utf8_lossy(&run.stdout),
    }
}

fn output(outcome: &Outcome, name: &str) -> Option<String> {
    outcome
        .outputs
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}=")).map(str::to_string))
}

fn assert_found(outcome: &Outcome, want: &str, case: &str) {
    assert_eq!(
        output(outcome, "found").as_deref(),
        Some(want),
        "{case}: {}\n{}",
        outcome.outputs,
        outcome.stderr
    );
}

/// At its release tag, the Action runs the release binary after checking its checksum; a
/// commit pinned by SHA gets it too when the tag names that commit; a branch, another commit
/// or a platform without an asset build from source; a tampered archive fails the step and
/// never falls back.
#[test]
fn the_action_runs_the_checksummed_release_binary_of_its_own_version() {
    let checkout = action_checkout();
    let site = release(false);
    let url = serve(site.path().to_path_buf());
    // The action's repository, with the release tag (annotated, as releases are) on a commit.
    let repo = Repo::new();
    repo.write("README.md", "keyrot\n");
    let tagged = repo.commit("release");
    repo.git(&["tag", "-a", &version(), "-m", "release"]);
    repo.write("README.md", "keyrot, later\n");
    let later = repo.commit("later");

    let at_tag = run_release_step(checkout.path(), &url, repo.path(), &version(), "X64");
    assert!(at_tag.ok, "{}", at_tag.stderr);
    assert_found(&at_tag, "true", "at the tag");
    let bin = output(&at_tag, "keyrot").expect("the binary's path");
    let ran = Command::new(&bin).arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&ran.stdout).trim(),
        format!("keyrot {}", env!("CARGO_PKG_VERSION"))
    );

    let at_sha = run_release_step(checkout.path(), &url, repo.path(), tagged.trim(), "X64");
    assert_found(&at_sha, "true", "at the tag's commit");
    for (r#ref, arch) in [
        (later.trim(), "X64"),
        ("main", "X64"),
        ("", "X64"),
        (&version(), "ARM64"),
    ] {
        let other = run_release_step(checkout.path(), &url, repo.path(), r#ref, arch);
        assert!(other.ok, "{ref} {arch}: {}", other.stderr);
        assert_found(&other, "false", &format!("{ref} {arch}"));
        assert!(output(&other, "keyrot").is_none());
        assert!(
            other
                .stderr
                .contains("building the offline scanner from source"),
            "{}",
            other.stderr
        );
    }

    let tampered = release(true);
    let bad_url = serve(tampered.path().to_path_buf());
    let bad = run_release_step(checkout.path(), &bad_url, repo.path(), &version(), "X64");
    assert!(!bad.ok, "a tampered archive was accepted: {}", bad.outputs);
    assert!(
        bad.stderr
            .contains("does not match the release's SHA256SUMS"),
        "{}",
        bad.stderr
    );
    assert!(output(&bad, "found").is_none() && output(&bad, "keyrot").is_none());
}

/// The source build's cache key follows what it compiles (the action's checkout, outside the
/// workspace, where `hashFiles` reads nothing): a changed source is a new key under the same
/// restore prefix, so dependencies are restored and keyrot itself is rebuilt.
#[test]
fn the_source_build_cache_key_follows_the_sources() {
    let checkout = action_checkout();
    let remote = Repo::new();
    let key = |dir: &Path| {
        let o = run_release_step(dir, "http://127.0.0.1:9", remote.path(), "main", "X64");
        assert!(o.ok, "{}", o.stderr);
        (
            output(&o, "cache-key").unwrap(),
            output(&o, "cache-prefix").unwrap(),
        )
    };
    let (first, prefix) = key(checkout.path());
    assert_eq!(key(checkout.path()).0, first, "the key is stable");
    assert!(
        first.starts_with(&prefix) && first.len() > prefix.len() + 10,
        "{first}"
    );
    assert!(!prefix.ends_with("--") && prefix.len() > "keyrot-src-Linux-X64-".len() + 10);
    checkout.write("src/main.rs", "fn main() { println!(); }\n");
    let (changed, same_prefix) = key(checkout.path());
    assert_ne!(changed, first);
    assert_eq!(same_prefix, prefix);
}

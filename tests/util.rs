//! Test helpers: temporary trees (`Dir`) and running the real binary (`keyrot`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use std::io::Write;

pub struct Dir {
    pub tmp: tempfile::TempDir,
}

impl Dir {
    pub fn new() -> Dir {
        Dir {
            tmp: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    pub fn join(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }

    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> &Dir {
        let path = self.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
        self
    }
}

/// The result of one run of the binary.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", self.stdout))
    }
}

impl From<Output> for Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

pub fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_keyrot"));
    cmd.env_remove("NO_COLOR").env("CI", "true");
    cmd
}

/// Runs keyrot in `cwd` with `args`.
pub fn keyrot_in(cwd: &Path, args: &[&str]) -> Run {
    bin()
        .current_dir(cwd)
        .args(args)
        .output()
        .expect("run keyrot")
        .into()
}

/// Runs keyrot in the repository root (so `fixtures/...` paths work).
pub fn keyrot(args: &[&str]) -> Run {
    keyrot_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

/// Runs keyrot with `input` on standard input.
pub fn keyrot_stdin(args: &[&str], input: &[u8]) -> Run {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run keyrot");
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap().into()
}

/// `(path, line, rule, severity)` of every finding in a JSON report.
pub fn rows(report: &serde_json::Value) -> Vec<(String, u64, String, String)> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["uri"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["rule_id"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// A real repository made with the `git` command in a temp folder.
pub struct Repo {
    pub dir: Dir,
    clock: std::cell::Cell<i64>,
}

impl Repo {
    pub fn new() -> Repo {
        let repo = Repo {
            dir: Dir::new(),
            clock: std::cell::Cell::new(1_700_000_000),
        };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.git(&["config", "user.name", "Alice Example"]);
        repo.git(&["config", "user.email", "alice@example.com"]);
        repo.git(&["config", "commit.gpgsign", "false"]);
        repo
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs git; panics with its output when it fails.
    pub fn git(&self, args: &[&str]) -> String {
        let t = self.clock.get();
        let date = format!("{t} +0000");
        let out = Command::new("git")
            .current_dir(self.path())
            .args(args)
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", self.path())
            .output()
            .expect("git is installed");
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> &Repo {
        self.dir.write(rel, content);
        self
    }

    pub fn remove(&self, rel: &str) -> &Repo {
        std::fs::remove_file(self.dir.join(rel)).unwrap();
        self
    }

    /// Stages everything and commits, a day after the previous commit; returns the commit id.
    pub fn commit(&self, message: &str) -> String {
        self.clock.set(self.clock.get() + 86_400);
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.git(&["rev-parse", "HEAD"])
    }

    pub fn keyrot(&self, args: &[&str]) -> Run {
        keyrot_in(self.path(), args)
    }
}

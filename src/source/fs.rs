//! The working tree as blobs: a parallel walk (crate `ignore`) honouring .gitignore and .ignore,
//! scanning hidden files, never `.git/`. Each worker reuses its own read buffer.

use std::borrow::Cow;
use std::fs::File;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use ignore::{WalkBuilder, WalkState};

use super::Origin;

#[derive(Clone, Debug)]
pub struct WalkOptions {
    /// Worker threads; 0 means one per core.
    pub threads: usize,
    /// Scan what .gitignore and .ignore exclude too.
    pub no_ignore: bool,
    /// Follow symbolic links (loops and broken links are reported).
    pub follow_links: bool,
    /// The most of one file read; past it the rest is noted and the scan is incomplete.
    pub max_file_size: u64,
    /// The budgets of archives and compressed files.
    pub archive: super::archive::Limits,
}

/// Why a file was not scanned, when that is not an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Skip {
    /// A FIFO, socket or device: reading it could block forever or never end.
    Special(&'static str),
}

/// Receives what the walk finds; called from many threads at once.
pub trait Visitor: Sync {
    /// A regular file: `head` holds its first bytes (up to `HEAD` of them, all of them when
    /// shorter), `rest` the open file positioned after them.
    fn file(&self, origin: Origin, head: &mut Vec<u8>, rest: &mut File);
    fn skipped(&self, path: &Path, why: Skip);
    /// A file or folder that could not be read; the walk goes on. `could_hold`: what was not
    /// read may hold a credential (unlike a broken link), so the scan is incomplete.
    fn problem(&self, message: String, could_hold: bool);
}

/// How much of a file the walk reads before handing it over: one more byte than a window, so
/// that the visitor knows whether it has the whole file.
pub const HEAD: usize = crate::source::WINDOW + 1;

/// Walks `roots` in parallel and hands every readable text file to `visitor`. Inside a git
/// repository, files git tracks are scanned even when `.gitignore` lists them (a force-added
/// `.env` is exactly what must be seen); untracked ignored files are not.
pub fn walk(roots: &[PathBuf], opts: &WalkOptions, visitor: &dyn Visitor) {
    let Some((first, rest)) = roots.split_first() else {
        return;
    };
    let bases: Vec<RootBase> = roots.iter().map(|r| RootBase::new(r)).collect();
    // Which files the walk visited, only needed inside a repository (to find the tracked files
    // an ignore file hid); each worker keeps its own list and hands it over when it ends.
    let in_repo = !opts.no_ignore && bases.iter().any(|b| b.in_repo);
    let visited: std::sync::Mutex<Vec<PathBuf>> = Default::default();
    let mut builder = WalkBuilder::new(first);
    for root in rest {
        builder.add(root);
    }
    builder
        .hidden(false)
        .parents(!opts.no_ignore)
        .ignore(!opts.no_ignore)
        .git_ignore(!opts.no_ignore)
        .git_global(!opts.no_ignore)
        .git_exclude(!opts.no_ignore)
        .require_git(false)
        .follow_links(opts.follow_links)
        .threads(opts.threads)
        .filter_entry(|entry| entry.file_name() != ".git");
    builder.build_parallel().run(|| {
        let bases = &bases;
        let mut seen = Seen {
            local: Vec::new(),
            shared: &visited,
        };
        let mut buffer = Vec::new();
        Box::new(move |result| {
            let entry = match result {
                Ok(entry) => entry,
                Err(err) => {
                    // A broken link or a loop holds nothing; anything else might.
                    let harmless = matches!(
                        err.io_error().map(std::io::Error::kind),
                        Some(std::io::ErrorKind::NotFound)
                    ) || is_loop(&err);
                    visitor.problem(one_line(&err.to_string()), !harmless);
                    return WalkState::Continue;
                }
            };
            match entry.file_type() {
                Some(t) if t.is_file() => {
                    let path = entry.path();
                    if in_repo {
                        seen.local.push(path.to_path_buf());
                    }
                    visit_file(path, bases, &mut buffer, visitor);
                }
                Some(t) if !t.is_dir() && !t.is_symlink() => {
                    visitor.skipped(entry.path(), Skip::Special(special_kind(t)));
                }
                _ => {}
            }
            WalkState::Continue
        })
    });
    if in_repo {
        let visited: std::collections::HashSet<PathBuf> = visited
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .into_iter()
            .collect();
        tracked_but_ignored(roots, &bases, &visited, visitor);
    }
}

/// A worker's visited files, handed to the shared list when the worker ends.
struct Seen<'a> {
    local: Vec<PathBuf>,
    shared: &'a std::sync::Mutex<Vec<PathBuf>>,
}

impl Drop for Seen<'_> {
    fn drop(&mut self) {
        self.shared
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .append(&mut self.local);
    }
}

fn visit_file(path: &Path, bases: &[RootBase], buffer: &mut Vec<u8>, visitor: &dyn Visitor) {
    let origin = || Origin::File {
        path: path.to_path_buf(),
        rel: rel_path(bases, path),
    };
    // An open and a read or two per file, no `stat` (41,729 of the 273,835 calls strace
    // counted on the mixed tree): the visitor asks the size only of what needs it.
    let opened = File::open(path).and_then(|mut file| {
        buffer.clear();
        (&mut file).take(HEAD as u64).read_to_end(buffer)?;
        Ok(file)
    });
    match opened {
        Ok(mut file) => visitor.file(origin(), buffer, &mut file),
        Err(err) => visitor.problem(
            format!("{}: {}", path.display(), one_line(&err.to_string())),
            true,
        ),
    }
}

fn is_loop(err: &ignore::Error) -> bool {
    match err {
        ignore::Error::Loop { .. } => true,
        ignore::Error::WithPath { err, .. } | ignore::Error::WithDepth { err, .. } => is_loop(err),
        _ => false,
    }
}

fn special_kind(t: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "FIFO";
        }
        if t.is_socket() {
            return "socket";
        }
        if t.is_block_device() || t.is_char_device() {
            return "device";
        }
    }
    let _ = t;
    "special file"
}

/// Files under the roots that git tracks and the walk left out because an ignore file lists
/// them.
fn tracked_but_ignored(
    roots: &[PathBuf],
    bases: &[RootBase],
    visited: &std::collections::HashSet<PathBuf>,
    visitor: &dyn Visitor,
) {
    let mut buffer = Vec::new();
    let mut seen_repos = std::collections::HashSet::new();
    for root in roots {
        let Some((repo_root, paths)) = super::git::tracked(root) else {
            continue;
        };
        let repo_root = std::fs::canonicalize(&repo_root).unwrap_or(repo_root);
        if !seen_repos.insert(repo_root.clone()) {
            continue;
        }
        let Ok(abs_root) = std::fs::canonicalize(root) else {
            continue;
        };
        for rel in paths {
            let abs = repo_root.join(&rel);
            let Ok(inside) = abs.strip_prefix(&abs_root) else {
                continue;
            };
            // As the walk names files: under the root as it was given.
            let shown = root.join(inside);
            if visited.contains(&shown)
                || inside.components().any(|c| c.as_os_str() == ".git")
                || !shown.is_file()
            {
                continue;
            }
            visit_file(&shown, bases, &mut buffer, visitor);
        }
    }
}

fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Maps paths under one scan root to paths relative to the report base: the git repository
/// holding the root if there is one (what GitHub code scanning expects), else the root itself.
struct RootBase {
    root: PathBuf,
    prefix: PathBuf,
    /// The root is inside a git repository.
    in_repo: bool,
}

impl RootBase {
    fn new(root: &Path) -> RootBase {
        let found = std::fs::canonicalize(root).ok().and_then(|abs| {
            let dir = if abs.is_dir() {
                abs.clone()
            } else {
                abs.parent()?.to_path_buf()
            };
            let repo = dir.ancestors().find(|d| d.join(".git").exists())?;
            let inside = abs.strip_prefix(repo).ok()?.to_path_buf();
            // A file root keeps its own name in `inside`; the walker yields the root path itself.
            Some(if abs.is_dir() {
                inside
            } else {
                inside.parent().map(Path::to_path_buf).unwrap_or_default()
            })
        });
        let in_repo = found.is_some();
        let prefix = found.unwrap_or_default();
        let root = if root.is_dir() {
            root.to_path_buf()
        } else {
            root.parent().map(Path::to_path_buf).unwrap_or_default()
        };
        RootBase {
            root,
            prefix,
            in_repo,
        }
    }
}

fn rel_path(bases: &[RootBase], path: &Path) -> String {
    let (prefix, inner) = bases
        .iter()
        .find_map(|b| Some((&b.prefix, path.strip_prefix(&b.root).ok()?)))
        .unwrap_or((&bases[0].prefix, path));
    // One string per file, built in place: this runs for every file of the walk.
    let mut out = String::with_capacity(prefix.as_os_str().len() + inner.as_os_str().len() + 1);
    push_normalized(&mut out, prefix);
    push_normalized(&mut out, inner);
    out
}

/// Appends `path` with forward slashes and no `.` components.
fn push_normalized(out: &mut String, path: &Path) {
    for c in path.components() {
        let part = match c {
            Component::Normal(part) => part.to_string_lossy(),
            Component::ParentDir => Cow::Borrowed(".."),
            _ => continue,
        };
        if !out.is_empty() {
            out.push('/');
        }
        out.push_str(&part);
    }
}

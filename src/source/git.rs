//! Git as a source of blobs (crate `gix`): every blob a history introduced, mapped to the
//! commit and path that introduced it, or exactly what the index holds for the next commit.
//! Trees are diffed against the first parent, so a blob is listed where it changed, not in
//! every commit that carries it.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use gix::bstr::ByteSlice;
use gix::ObjectId;

pub use crate::finding::CommitInfo;

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("{0}: not a git repository (or any parent folder)")]
    NotARepository(String),
    /// What was being read, with gix's error as the source.
    #[error("{what}")]
    Failed {
        what: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

fn failed(
    what: impl Into<String>,
    err: impl std::error::Error + Send + Sync + 'static,
) -> GitError {
    GitError::Failed {
        what: what.into(),
        source: Box::new(err),
    }
}

/// A blob as a commit changed it at a path, with the blob that was there before, if any: four
/// indexes into its `History`'s tables, 16 bytes (a large history has millions of changes;
/// hashicorp/terraform's 96,930 commits have 1.1 million).
#[derive(Clone, Copy, Debug)]
pub struct Change {
    pub commit: u32,
    pub path: u32,
    pub blob: u32,
    before: u32,
}

impl Change {
    /// The blob at the path before the change (its index in `History::blobs`).
    pub fn before(&self) -> Option<u32> {
        (self.before != NONE).then_some(self.before)
    }
}

const NONE: u32 = u32::MAX;

/// Which commits to read.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Start from these refs (`--branch`); all refs when empty.
    pub tips: Vec<String>,
    /// Leave out what this revision already has (`--since REV`, the `A` of `--range A..B`).
    pub hidden: Option<String>,
}

/// What a history walk found.
pub struct History {
    pub changes: Vec<Change>,
    /// What changes point to: each commit (its id and author time: who wrote it is read
    /// again for the few that introduced a finding), path and blob stored once.
    pub commit_ids: Vec<(ObjectId, i64)>,
    pub paths: Vec<Arc<str>>,
    pub blobs: Vec<ObjectId>,
    pub commits: usize,
    /// Path to blob at HEAD, to tell whether a finding is still there.
    pub head: HashMap<String, ObjectId>,
    pub shallow: bool,
    /// Objects that could not be read; the walk went on without them.
    pub problems: Vec<String>,
    /// What the walk read differently from what git would show, or did not follow: replace
    /// refs and grafts ignored, submodules.
    pub notes: Vec<String>,
    /// Every selected commit, newest first (their messages are scanned).
    pub all_commits: Vec<ObjectId>,
}

/// A pool of `threads` workers (one per core when 0); the global pool if one cannot be built.
pub fn pool(threads: usize) -> rayon::ThreadPool {
    let build = |n| rayon::ThreadPoolBuilder::new().num_threads(n).build();
    build(threads)
        .or_else(|_| build(0))
        .expect("a thread pool of the default size")
}

/// What the tree-diffing workers' object caches hold in all (at least 1 MiB each). Measured
/// on hashicorp/terraform's history on two cores: 16 MiB diffs as fast as 64 (13.7 s against
/// 13.9 s) for 100 MiB peak instead of 129; 4 MiB is 5% slower.
const OBJECT_CACHE_BYTES: usize = crate::limits::DEFAULT.object_cache_bytes;

/// Opens the repository holding `path`, reading the objects themselves: `refs/replace/`
/// never stands in for what a commit really holds (as `GIT_NO_REPLACE_OBJECTS=1` does for git),
/// so a key cannot hide in a commit by replacing it.
pub fn open(path: &Path) -> Result<gix::Repository, GitError> {
    let mut trust: gix::sec::trust::Mapping<gix::open::Options> = Default::default();
    for options in [&mut trust.full, &mut trust.reduced] {
        *options = std::mem::take(options).config_overrides(["core.useReplaceRefs=false"]);
    }
    gix::ThreadSafeRepository::discover_opts(path, Default::default(), trust)
        .map(gix::Repository::from)
        .map_err(|err| {
            let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
            if abs.ancestors().any(|dir| dir.join(".git").exists()) {
                failed(path.display().to_string(), err)
            } else {
                GitError::NotARepository(path.display().to_string())
            }
        })
}

/// Every change of every commit reachable from the selection's tips and not from its hidden
/// revision, newest first.
/// `threads` workers diff the commits.
pub fn history(
    repo: &gix::Repository,
    selection: &Selection,
    threads: usize,
) -> Result<History, GitError> {
    let tips = if selection.tips.is_empty() {
        all_tips(repo)?
    } else {
        selection
            .tips
            .iter()
            .map(|t| resolve_commit(repo, t))
            .collect::<Result<Vec<_>, _>>()?
    };
    let mut walk = repo.rev_walk(tips);
    if let Some(hidden) = &selection.hidden {
        walk = walk.with_hidden([resolve_commit(repo, hidden)?]);
    }
    let shallow = repo.is_shallow().unwrap_or(false);
    let mut problems = Vec::new();
    let head = head_blobs(repo, &mut problems)?;
    let mut history = History {
        changes: Vec::new(),
        commit_ids: Vec::new(),
        paths: Vec::new(),
        blobs: Vec::new(),
        commits: 0,
        head,
        shallow,
        problems: problems.into_iter().map(|p| format!("HEAD: {p}")).collect(),
        notes: Vec::new(),
        all_commits: Vec::new(),
    };
    history.notes.extend(stand_ins(repo));
    let mut commits = Vec::new();
    for info in walk.all().map_err(|e| failed("walking history", e))? {
        match info {
            Ok(info) => commits.push(info.id),
            Err(err) => history.problems.push(format!("walking history: {err}")),
        }
    }
    history.commits = commits.len();
    let mut submodules: HashMap<String, usize> = HashMap::new();
    // Inflating trees is most of the cost: diff the commits on every worker, each with its own
    // handle and object cache, then keep the walk's order. A batch of commits at a time, so
    // that the workers' own lists of changes never hold more than one batch.
    let shared = repo.clone().into_sync();
    type Diffed = (
        Result<(i64, Vec<Changed>, Vec<String>), GitError>,
        Vec<String>,
    );
    let pool = pool(threads);
    // The workers' object caches share one budget, whatever the number of cores.
    let cache = (OBJECT_CACHE_BYTES / pool.current_num_threads().max(1)).max(1 << 20);
    let mut tables = Tables::default();
    'batches: for (batch, ids) in commits.chunks(COMMIT_BATCH).enumerate() {
        let diffed: Vec<Diffed> = pool.install(|| {
            use rayon::prelude::*;
            ids.par_iter()
                .map_init(
                    || {
                        let mut repo = shared.to_thread_local();
                        repo.object_cache_size_if_unset(cache);
                        repo
                    },
                    |repo, &id| {
                        let mut problems = Vec::new();
                        (commit_changes(repo, id, &mut problems), problems)
                    },
                )
                .collect()
        });
        for (i, (result, problems)) in diffed.into_iter().enumerate() {
            let id = commits[batch * COMMIT_BATCH + i];
            history
                .problems
                .extend(problems.into_iter().map(|p| format!("commit {id}: {p}")));
            match result {
                Ok((time, changed, gitlinks)) => {
                    for path in gitlinks {
                        *submodules.entry(path).or_default() += 1;
                    }
                    if !tables.add(&mut history, (id, time), changed) {
                        history.problems.push(format!(
                            "the history has more than {MAX_CHANGES} changes: commit {id} and \
                             older ones were not scanned"
                        ));
                        break 'batches;
                    }
                }
                Err(err) => history.problems.push(format!("commit {id}: {err}")),
            }
        }
    }
    let mut submodules: Vec<(String, usize)> = submodules.into_iter().collect();
    submodules.sort();
    for (path, pointers) in submodules {
        let inside = repo.git_dir().join("modules").join(&path);
        let pointers = match pointers {
            1 => "moved by 1 commit".to_string(),
            n => format!("moved by {n} commits"),
        };
        history.notes.push(if inside.is_dir() {
            format!(
                "{path}: a submodule ({pointers}); its history is a repository of its own, scan it too: keyrot scan --git {path}"
            )
        } else {
            format!(
                "{path}: a submodule ({pointers}) whose objects are not in this clone: not scanned"
            )
        });
    }
    history.all_commits = commits;
    Ok(history)
}

/// Notes on what would make git show other objects than the ones stored: replace refs and
/// grafts, both ignored by the walk (the objects themselves are read).
fn stand_ins(repo: &gix::Repository) -> Vec<String> {
    let mut notes = Vec::new();
    let replaced = repo
        .references()
        .ok()
        .and_then(|refs| refs.prefixed("refs/replace/").ok().map(Iterator::count))
        .unwrap_or(0);
    if replaced > 0 {
        notes.push(format!(
            "{replaced} replace {} (refs/replace/) ignored: the commits were read as they are stored, and the replacements as commits of their own",
            if replaced == 1 { "ref" } else { "refs" }
        ));
    }
    if repo.git_dir().join("info").join("grafts").is_file() {
        notes.push(
            "info/grafts ignored: the history was read by the parents its commits record".into(),
        );
    }
    notes
}

/// A commit's message, with its author time; an annotated tag's message with the commit it
/// points at.
pub fn commit_message(repo: &gix::Repository, id: ObjectId) -> Result<Vec<u8>, GitError> {
    let commit = repo
        .find_commit(id)
        .map_err(|e| failed("reading commit", e))?;
    let message = commit
        .message_raw()
        .map_err(|e| failed("reading commit message", e))?;
    Ok(message.to_vec())
}

/// Every annotated tag: its name, message and the commit it points at (when it points at one).
pub fn tag_messages(repo: &gix::Repository) -> Result<Vec<(String, Vec<u8>, ObjectId)>, GitError> {
    let mut out = Vec::new();
    let platform = repo
        .references()
        .map_err(|e| failed("listing references", e))?;
    let tags = platform.tags().map_err(|e| failed("listing tags", e))?;
    for reference in tags.flatten() {
        let name = reference.name().shorten().to_str_lossy().into_owned();
        let Some(id) = reference.target().try_id().map(|id| id.to_owned()) else {
            continue;
        };
        let Ok(object) = repo.find_object(id) else {
            continue;
        };
        if object.kind != gix::object::Kind::Tag {
            continue;
        }
        let tag = object.into_tag();
        let Ok(decoded) = tag.decode() else {
            continue;
        };
        let message = decoded.message.to_vec();
        let target = decoded.target();
        if let Ok(commit) = repo.find_object(target).and_then(|o| o.peel_to_commit()) {
            out.push((name, message, commit.id));
        }
    }
    Ok(out)
}

/// Commits diffed by the workers at a time.
const COMMIT_BATCH: usize = crate::limits::DEFAULT.commit_batch;

/// One change as a worker finds it: path, blob, blob before.
type Changed = (String, ObjectId, Option<ObjectId>);

/// Paths and blobs to their index in the history's tables, while the history is read.
#[derive(Default)]
struct Tables {
    paths: HashMap<Arc<str>, u32>,
    blobs: HashMap<ObjectId, u32>,
}

impl Tables {
    /// Adds a commit's changes; `false` (and nothing added) past `MAX_CHANGES`.
    fn add(
        &mut self,
        history: &mut History,
        commit: (ObjectId, i64),
        changed: Vec<Changed>,
    ) -> bool {
        if history.changes.len() + changed.len() > MAX_CHANGES {
            return false;
        }
        if changed.is_empty() {
            return true;
        }
        history.commit_ids.push(commit);
        let commit = index(history.commit_ids.len() - 1);
        for (path, blob, before) in changed {
            let path = match self.paths.get(path.as_str()) {
                Some(&i) => i,
                None => {
                    let i = index(history.paths.len());
                    let path: Arc<str> = path.into();
                    history.paths.push(path.clone());
                    self.paths.insert(path, i);
                    i
                }
            };
            let mut blob_index = |id: ObjectId| {
                *self.blobs.entry(id).or_insert_with(|| {
                    history.blobs.push(id);
                    index(history.blobs.len() - 1)
                })
            };
            let blob = blob_index(blob);
            let before = before.map_or(NONE, blob_index);
            history.changes.push(Change {
                commit,
                path,
                blob,
                before,
            });
        }
        true
    }
}

/// At most this many changes: every table then fits its `u32` indexes (a change adds at most
/// one commit, one path and two blobs), and no index stands for two entries.
const MAX_CHANGES: usize = crate::limits::DEFAULT.history_changes;

/// A table index (below `MAX_CHANGES * 2` by construction).
fn index(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(NONE - 1)
}

impl History {
    /// The commit of a change: its id and author time.
    pub fn commit_of(&self, change: &Change) -> (ObjectId, i64) {
        self.commit_ids[change.commit as usize]
    }

    pub fn path_of(&self, change: &Change) -> &str {
        &self.paths[change.path as usize]
    }

    pub fn blob(&self, index: u32) -> ObjectId {
        self.blobs[index as usize]
    }
}

/// A commit's id, author and author time.
pub fn commit_info(repo: &gix::Repository, id: ObjectId) -> Result<CommitInfo, GitError> {
    let commit = repo
        .find_commit(id)
        .map_err(|e| failed("reading commit", e))?;
    let author = commit.author().map_err(|e| failed("reading author", e))?;
    Ok(CommitInfo {
        id: id.to_string(),
        author: author.name.trim().to_str_lossy().into_owned(),
        email: author.email.trim().to_str_lossy().into_owned(),
        time: author.seconds(),
    })
}

/// A commit's author time, what it changed against its first parent, and the submodules it
/// moved.
fn commit_changes(
    repo: &gix::Repository,
    id: ObjectId,
    problems: &mut Vec<String>,
) -> Result<(i64, Vec<Changed>, Vec<String>), GitError> {
    let commit = repo
        .find_commit(id)
        .map_err(|e| failed("reading commit", e))?;
    let time = commit
        .author()
        .map_err(|e| failed("reading author", e))?
        .seconds();
    let tree = commit
        .tree_id()
        .map_err(|e| failed("reading tree", e))?
        .detach();
    // A parent missing from a shallow clone counts as no parent: its files are all new here.
    let parent_tree = commit
        .parent_ids()
        .next()
        .and_then(|p| repo.find_commit(p.detach()).ok())
        .and_then(|p| p.tree_id().ok().map(|t| t.detach()));
    let mut changed = Vec::new();
    let mut gitlinks = Vec::new();
    let mut out = Diff {
        changed: &mut changed,
        gitlinks: &mut gitlinks,
        problems,
    };
    diff_trees(repo, parent_tree, tree, "", &mut out, 0);
    Ok((time, changed, gitlinks))
}

/// Decodes a tree object's bytes as the history walk does, and counts its entries: what the
/// fuzz target for tree parsing drives.
pub fn tree_entries(bytes: &[u8]) -> usize {
    gix::objs::TreeRef::from_bytes(bytes, gix::hash::Kind::Sha1).map_or(0, |t| t.entries.len())
}

/// Trees deeper than this are not followed (a crafted repository could nest thousands).
const TREE_DEPTH: usize = crate::limits::DEFAULT.tree_depth;

/// A tree's object, or a problem said once: a missing tree costs only itself.
fn tree_of<'r>(
    repo: &'r gix::Repository,
    id: ObjectId,
    prefix: &str,
    problems: &mut Vec<String>,
) -> Option<gix::Tree<'r>> {
    repo.find_tree(id)
        .map_err(|err| tree_problem(id, prefix, &err, problems))
        .ok()
}

/// A tree's entries, borrowed from its object, or a problem said once: a corrupt tree costs
/// only itself.
fn entries_of<'t>(
    tree: &'t gix::Tree<'_>,
    prefix: &str,
    problems: &mut Vec<String>,
) -> Option<Vec<gix::objs::tree::EntryRef<'t>>> {
    tree.decode()
        .map(|t| t.entries)
        .map_err(|err| tree_problem(tree.id, prefix, &err, problems))
        .ok()
}

fn tree_problem(
    id: ObjectId,
    prefix: &str,
    err: &dyn std::fmt::Display,
    problems: &mut Vec<String>,
) {
    let at = if prefix.is_empty() { "/" } else { prefix };
    problems.push(format!(
        "tree {id} (at {at}) cannot be read ({err}); skipped, the rest was scanned"
    ));
}

/// Whether a tree's entries are in git's order, each after the one before (so no name twice):
/// what git writes, and what lets two trees be joined in one pass.
fn in_git_order(entries: &[gix::objs::tree::EntryRef<'_>]) -> bool {
    entries.windows(2).all(|w| w[0] < w[1])
}

/// Blobs of `new` that differ from `old` at the same path: `(path, blob, blob before)`. A tree
/// that cannot be read is a problem, not an error: on the new side its files are skipped, on
/// the old side every file of the new one counts as changed (reported rather than lost).
struct Diff<'a> {
    changed: &'a mut Vec<Changed>,
    /// Submodules (gitlinks) the commit moved, by path.
    gitlinks: &'a mut Vec<String>,
    problems: &'a mut Vec<String>,
}

fn diff_trees(
    repo: &gix::Repository,
    old: Option<ObjectId>,
    new: ObjectId,
    prefix: &str,
    out: &mut Diff,
    depth: usize,
) {
    if old == Some(new) {
        return;
    }
    if depth > TREE_DEPTH {
        out.problems.push(format!(
            "{prefix}: trees nested deeper than {TREE_DEPTH} levels are not followed"
        ));
        return;
    }
    let Some(new_tree) = tree_of(repo, new, prefix, out.problems) else {
        return;
    };
    let Some(new_entries) = entries_of(&new_tree, prefix, out.problems) else {
        return;
    };
    // An old tree that cannot be read counts as empty: every file of the new one is changed.
    let old_tree = old.and_then(|id| tree_of(repo, id, prefix, out.problems));
    let old_entries = old_tree
        .as_ref()
        .and_then(|tree| entries_of(tree, prefix, out.problems))
        .unwrap_or_default();
    // The entry of the same name in the old tree, if any. Trees as git writes them are
    // joined in one pass (git's order compares a tree's name as if `/` followed it, so a name
    // that changed between file and folder meets nothing, as below); a tree out of order, as
    // a crafted one may be, is looked up by name.
    let joinable = in_git_order(&new_entries) && in_git_order(&old_entries);
    let by_name: Option<HashMap<&[u8], _>> = (!joinable).then(|| {
        old_entries
            .iter()
            .map(|e| (e.filename.as_bytes(), (e.mode, e.oid)))
            .collect()
    });
    let mut cursor = 0;
    for entry in &new_entries {
        let before = match &by_name {
            Some(map) => map.get(entry.filename.as_bytes()).copied(),
            None => {
                while cursor < old_entries.len() && old_entries[cursor] < *entry {
                    cursor += 1;
                }
                old_entries
                    .get(cursor)
                    .filter(|old| old.filename == entry.filename)
                    .map(|old| (old.mode, old.oid))
            }
        };
        let (mode, oid) = (entry.mode, entry.oid.to_owned());
        // The path is made only for what changed: most entries of a commit's trees did not.
        let path = || {
            let name = entry.filename.to_str_lossy();
            if prefix.is_empty() {
                name.into_owned()
            } else {
                format!("{prefix}/{name}")
            }
        };
        if mode.is_tree() {
            let old_sub = before
                .filter(|(mode, _)| mode.is_tree())
                .map(|(_, id)| id.to_owned());
            if old_sub != Some(oid) {
                diff_trees(repo, old_sub, oid, &path(), out, depth + 1);
            }
        } else if mode.is_blob() {
            let old_blob = before
                .filter(|(mode, _)| mode.is_blob())
                .map(|(_, id)| id.to_owned());
            if old_blob != Some(oid) {
                out.changed.push((path(), oid, old_blob));
            }
        } else if mode.is_commit() && before.is_none_or(|(_, id)| id != oid) {
            out.gitlinks.push(path());
        }
    }
}

/// The commits all references point at (tags peeled), plus HEAD.
fn all_tips(repo: &gix::Repository) -> Result<Vec<ObjectId>, GitError> {
    let mut tips = HashSet::new();
    let platform = repo
        .references()
        .map_err(|e| failed("listing references", e))?;
    for reference in platform
        .all()
        .map_err(|e| failed("listing references", e))?
    {
        let Ok(mut reference) = reference else {
            continue;
        };
        if let Ok(commit) = reference.peel_to_commit() {
            tips.insert(commit.id);
        }
    }
    if let Ok(head) = repo.head_commit() {
        tips.insert(head.id);
    }
    let mut tips: Vec<ObjectId> = tips.into_iter().collect();
    tips.sort();
    Ok(tips)
}

fn resolve_commit(repo: &gix::Repository, spec: &str) -> Result<ObjectId, GitError> {
    let id = repo
        .rev_parse_single(spec)
        .map_err(|e| failed(format!("revision `{spec}`"), e))?;
    let commit = id
        .object()
        .and_then(|o| o.peel_to_commit())
        .map_err(|e| failed(format!("revision `{spec}`"), e))?;
    Ok(commit.id)
}

/// Path to blob for every file at HEAD (empty for a repository without commits).
pub fn head_blobs(
    repo: &gix::Repository,
    problems: &mut Vec<String>,
) -> Result<HashMap<String, ObjectId>, GitError> {
    let mut out = HashMap::new();
    let Ok(tree) = repo.head_tree_id() else {
        return Ok(out);
    };
    let (mut changes, mut gitlinks) = (Vec::new(), Vec::new());
    let mut diff = Diff {
        changed: &mut changes,
        gitlinks: &mut gitlinks,
        problems,
    };
    diff_trees(repo, None, tree.detach(), "", &mut diff, 0);
    out.extend(changes.into_iter().map(|(path, blob, _)| (path, blob)));
    Ok(out)
}

/// A file staged for the next commit, with what HEAD has at that path.
pub struct StagedFile {
    pub path: String,
    pub blob: ObjectId,
    pub head: Option<ObjectId>,
}

/// What the index holds that HEAD does not: the content of the next commit.
pub struct Staged {
    pub files: Vec<StagedFile>,
    /// Entries in the index, changed or not.
    pub index_entries: usize,
    /// The repository has no commit yet.
    pub unborn: bool,
    /// HEAD's trees that could not be read (their staged files count as new).
    pub problems: Vec<String>,
}

pub fn staged(repo: &gix::Repository) -> Result<Staged, GitError> {
    let index = repo
        .index_or_empty()
        .map_err(|e| failed("reading the index", e))?;
    let mut problems = Vec::new();
    let head = head_blobs(repo, &mut problems)?;
    let unborn = repo.head_tree_id().is_err();
    let mut files = Vec::new();
    for entry in index.entries() {
        let file = gix::index::entry::Mode::FILE | gix::index::entry::Mode::FILE_EXECUTABLE;
        if entry.stage_raw() != 0 || !file.contains(entry.mode) {
            continue;
        }
        let path = entry.path(&index).to_str_lossy().into_owned();
        let before = head.get(&path).copied();
        if before != Some(entry.id) {
            files.push(StagedFile {
                path,
                blob: entry.id,
                head: before,
            });
        }
    }
    Ok(Staged {
        files,
        index_entries: index.entries().len(),
        unborn,
        problems,
    })
}

/// The files the index tracks (paths relative to the repository root), and the root.
pub fn tracked(path: &Path) -> Option<(std::path::PathBuf, Vec<String>)> {
    let repo = gix::discover(path).ok()?;
    let root = repo.workdir()?.to_path_buf();
    let index = repo.index_or_empty().ok()?;
    let file = gix::index::entry::Mode::FILE | gix::index::entry::Mode::FILE_EXECUTABLE;
    let paths = index
        .entries()
        .iter()
        .filter(|e| e.stage_raw() == 0 && file.contains(e.mode))
        .map(|e| e.path(&index).to_str_lossy().into_owned())
        .collect();
    Some((root, paths))
}

/// The name of the repository `path` is in: its `origin` remote's last path segment (without
/// `.git`), else its work tree's folder name; `None` outside a repository.
pub fn repository_name(path: &Path) -> Option<String> {
    let repo = gix::discover(path).ok()?;
    let remote = repo.find_remote("origin").ok().and_then(|r| {
        let url = r.url(gix::remote::Direction::Fetch)?;
        let path = url.path.to_str_lossy();
        let last = path.trim_end_matches('/').rsplit(['/', ':']).next()?;
        Some(last.trim_end_matches(".git").to_string()).filter(|n| !n.is_empty())
    });
    remote.or_else(|| {
        repo.workdir()
            .and_then(|w| std::fs::canonicalize(w).ok())
            .and_then(|w| w.file_name().map(|n| n.to_string_lossy().into_owned()))
    })
}

/// The content of `path` (relative to the repository root, forward slashes) at revision
/// `rev`, or `None` when that revision has no such file.
pub fn file_at(repo: &gix::Repository, rev: &str, path: &str) -> Result<Option<Vec<u8>>, GitError> {
    let commit = resolve_commit(repo, rev)?;
    let tree = repo
        .find_commit(commit)
        .and_then(|c| c.tree())
        .map_err(|e| failed(format!("tree of `{rev}`"), e))?;
    let entry = tree
        .lookup_entry_by_path(path)
        .map_err(|e| failed(format!("`{path}` at `{rev}`"), e))?;
    match entry {
        Some(entry) if entry.mode().is_blob() => read_blob(repo, entry.object_id()).map(Some),
        _ => Ok(None),
    }
}

pub fn read_blob(repo: &gix::Repository, id: ObjectId) -> Result<Vec<u8>, GitError> {
    repo.find_blob(id)
        .map(|mut blob| blob.take_data())
        .map_err(|e| failed(format!("blob {id}"), e))
}

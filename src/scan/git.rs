//! Scans of git content: a history (each distinct blob once, findings mapped back to the commit
//! that introduced them) and the index (exactly what the next commit will hold).

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use gix::ObjectId;

use super::{progress, Collector};
use crate::detect::Engine;
use crate::finding::Finding;
use crate::finding::{CommitInfo, Origin};
use crate::outcome::{human_bytes, ScanOutcome};
use crate::policy::Policies;
use crate::source::git::{self, Change, GitError, History, Selection};

/// Options for git scans.
#[derive(Clone, Debug)]
pub struct GitOptions {
    pub threads: usize,
    pub filter: crate::config::PathFilter,
    pub max_file_size: u64,
    pub archive: crate::source::archive::Limits,
    pub progress: bool,
    pub policies: Policies,
    /// History scans: IaC policies judged at HEAD only (a policy finding of a version no
    /// longer at HEAD is left out, and counted).
    pub policies_at_head: bool,
}

/// Reads one blob and scans it as `origin`; `None` when it was unreadable or over the size
/// budget (noted, and the scan is incomplete).
fn scan_object(
    repo: &gix::Repository,
    collector: &Collector,
    id: ObjectId,
    origin: Origin,
) -> Option<Vec<Finding>> {
    // The size is in the object's header: an oversized blob is never inflated.
    if let Ok(header) = repo.find_header(id) {
        if header.size() > collector.max_file_size {
            collector.note_incomplete(format!(
                "{}: not read: {} is over --max-file-size ({})",
                origin.display(),
                human_bytes(header.size()),
                human_bytes(collector.max_file_size)
            ));
            return None;
        }
    }
    let raw = match git::read_blob(repo, id) {
        Ok(raw) => raw,
        Err(err) => {
            collector.problem_incomplete(format!(
                "{}: {}",
                origin.display(),
                crate::error::chain(&err)
            ));
            return None;
        }
    };
    Some(collector.scan_memory(origin, &raw))
}

/// Findings of each blob, scanned at most once per class of path: one bit per blob of the
/// history's table and class to say it was scanned, and findings kept only for the few blobs
/// that have any, so that memory grows by bits, not entries, with the history's size. Blobs
/// outside the table (HEAD's, for the few paths with findings) are kept by id.
struct BlobCache<'a> {
    repo: &'a gix::Repository,
    collector: &'a Collector<'a>,
    scanned: Marks,
    found: HashMap<(u32, PathClass), Vec<Finding>>,
    others: HashMap<(ObjectId, PathClass), Vec<Finding>>,
}

/// One bit per blob of a history's table and class of path.
#[derive(Default)]
struct Marks(HashMap<PathClass, Vec<u64>>);

impl Marks {
    fn contains(&self, blob: u32, class: PathClass) -> bool {
        self.0
            .get(&class)
            .and_then(|bits| bits.get(blob as usize / 64))
            .is_some_and(|word| word & (1 << (blob % 64)) != 0)
    }

    /// Marks it; `false` when it already was.
    fn insert(&mut self, blob: u32, class: PathClass, blobs: usize) -> bool {
        let bits = self
            .0
            .entry(class)
            .or_insert_with(|| vec![0; blobs.div_ceil(64)]);
        match bits.get_mut(blob as usize / 64) {
            Some(word) if *word & (1 << (blob % 64)) != 0 => false,
            Some(word) => {
                *word |= 1 << (blob % 64);
                true
            }
            // Past the table (never, by construction): scanned rather than skipped.
            None => true,
        }
    }
}

/// What a blob's findings depend on in its path: whether the path filter admits it, and which
/// IaC format its name makes it. The same blob at two paths of one class is scanned once.
type PathClass = (bool, u8);

fn path_class(collector: &Collector, path: &str) -> PathClass {
    (
        collector.filter.allows(path),
        crate::policy::extract::path_class(path),
    )
}

impl BlobCache<'_> {
    /// A cache whose `scanned` blobs (each job of the parallel scan) have `found` as findings
    /// (those with none are only marked).
    fn new<'a>(
        repo: &'a gix::Repository,
        collector: &'a Collector<'a>,
        scanned: Marks,
        found: Vec<((u32, PathClass), Vec<Finding>)>,
    ) -> BlobCache<'a> {
        BlobCache {
            repo,
            collector,
            scanned,
            found: found.into_iter().collect(),
            others: HashMap::new(),
        }
    }

    /// Records what blob `blob` (an index of the history's table) holds at a path of `class`.
    fn put(&mut self, blob: u32, class: PathClass, findings: Vec<Finding>, blobs: usize) {
        self.scanned.insert(blob, class, blobs);
        if !findings.is_empty() {
            self.found.insert((blob, class), findings);
        }
    }

    /// The findings of blob `blob` of `history` at a path of `class`; `origin` is made only
    /// when the blob must be scanned.
    fn get(
        &mut self,
        history: &History,
        blob: u32,
        class: PathClass,
        origin: impl FnOnce() -> Origin,
    ) -> &[Finding] {
        if !self.scanned.contains(blob, class) {
            let found = scan_object(self.repo, self.collector, history.blob(blob), origin())
                .unwrap_or_default();
            self.put(blob, class, found, history.blobs.len());
        }
        self.found.get(&(blob, class)).map_or(&[], Vec::as_slice)
    }

    /// The findings of a blob outside the history's table, by id.
    fn get_id(
        &mut self,
        id: ObjectId,
        class: PathClass,
        origin: impl FnOnce() -> Origin,
    ) -> &[Finding] {
        self.others.entry((id, class)).or_insert_with(|| {
            scan_object(self.repo, self.collector, id, origin()).unwrap_or_default()
        })
    }
}

/// Scans a history: every blob the selected commits introduced, each distinct blob once, in
/// parallel; a finding is reported once, at the earliest commit that introduced its secret at
/// that path, and says whether HEAD still has it.
pub fn history(
    engine: &Engine,
    repo_path: &Path,
    selection: &Selection,
    opts: &GitOptions,
) -> Result<ScanOutcome, GitError> {
    let started = Instant::now();
    let repo = git::open(repo_path)?;
    let walked = git::history(&repo, selection, opts.threads)?;
    let mut collector = Collector::new(
        engine,
        opts.policies.clone(),
        &opts.filter,
        opts.max_file_size,
    );
    collector.archive = opts.archive;
    for problem in &walked.problems {
        super::Visitor::problem(&collector, problem.clone(), true);
    }
    for note in &walked.notes {
        collector.note(note.clone());
    }
    if walked.shallow {
        collector.note(
            "the repository is a shallow clone: commits before its oldest ones were not scanned"
                .into(),
        );
    }

    // Each path's class once (a history has millions of changes, at far fewer paths).
    let classes: Vec<PathClass> = walked
        .paths
        .iter()
        .map(|path| path_class(&collector, path))
        .collect();
    let class_of = |change: &Change| classes[change.path as usize];
    // Each distinct blob once per class of path, first seen at the path of its first change.
    let mut jobs: Vec<u32> = Vec::new();
    let mut seen = Marks::default();
    let mut distinct = vec![false; walked.blobs.len()];
    for (i, change) in walked.changes.iter().enumerate() {
        distinct[change.blob as usize] = true;
        if seen.insert(change.blob, class_of(change), walked.blobs.len()) {
            jobs.push(u32::try_from(i).unwrap_or(u32::MAX));
        }
    }
    // The jobs are what the parallel scan reads: its marks say what the cache holds.
    let scanned = scan_parallel(&repo, &collector, &walked, &classes, jobs, opts);
    let mut cache = BlobCache::new(&repo, &collector, seen, scanned);

    // A change introduces the findings of its blob that the blob before it did not have.
    let mut earliest: HashMap<String, Finding> = HashMap::new();
    let mut introduced_at: HashMap<String, i64> = HashMap::new();
    // Who wrote a commit is read again only for commits that introduced a finding.
    let mut authors: HashMap<u32, Arc<CommitInfo>> = HashMap::new();
    for change in &walked.changes {
        let (class, origin) = (class_of(change), || origin_of(&walked, change));
        let before: Vec<Finding> = match change.before() {
            Some(id) => cache.get(&walked, id, class, origin).to_vec(),
            None => Vec::new(),
        };
        for finding in cache.get(&walked, change.blob, class, origin).to_vec() {
            if before.iter().any(|b| b.same_secret(&finding)) {
                continue;
            }
            let mut finding = finding;
            let (id, time) = walked.commit_of(change);
            let commit = authors.entry(change.commit).or_insert_with(|| {
                let info = git::commit_info(&repo, id).unwrap_or_else(|_| unnamed(id, time));
                Arc::new(info)
            });
            finding.relocate(Origin::Commit {
                commit: commit.clone(),
                path: walked.path_of(change).to_string(),
                blob: walked.blob(change.blob).to_string(),
            });
            let key = finding.fingerprint.clone();
            // Changes come newest first: on a tie of author times the later-listed, older
            // commit is the one that introduced it.
            if introduced_at.get(&key).is_none_or(|&t| time <= t) {
                introduced_at.insert(key.clone(), time);
                earliest.insert(key, finding);
            }
        }
    }
    let mut findings: Vec<Finding> = earliest.into_values().collect();
    let messages = scan_messages(&repo, &collector, &walked, opts);
    // HEAD's blobs at the findings' paths, by their index in the table when they have one
    // (then they were scanned already): one pass over the table, for a handful of ids.
    let wanted: HashSet<ObjectId> = findings
        .iter()
        .filter_map(|f| walked.head.get(f.origin.rel()).copied())
        .collect();
    let indexed: HashMap<ObjectId, u32> = walked
        .blobs
        .iter()
        .enumerate()
        .filter(|(_, id)| wanted.contains(*id))
        .map(|(i, id)| (*id, u32::try_from(i).unwrap_or(u32::MAX)))
        .collect();
    for finding in &mut findings {
        let path = finding.origin.rel().to_string();
        let at_head = match walked.head.get(&path) {
            Some(&id) => {
                let head_origin = || Origin::Index { path: path.clone() };
                let class = path_class(&collector, &path);
                let at_head = match indexed.get(&id) {
                    Some(&i) => cache.get(&walked, i, class, head_origin),
                    None => cache.get_id(id, class, head_origin),
                };
                at_head.iter().any(|f| f.same_secret(finding))
            }
            None => false,
        };
        finding.present_at_head = Some(at_head);
    }
    // Policies of versions no longer at HEAD: what was once deployable, not what is.
    let gone = |f: &Finding| f.rule_id.starts_with("policy.") && f.present_at_head == Some(false);
    let past_policies = findings.iter().filter(|f| gone(f)).count();
    if opts.policies_at_head {
        findings.retain(|f| !gone(f));
    }
    findings.extend(messages);
    let blobs = distinct.iter().filter(|d| **d).count();
    let messages = collector.messages.load(Ordering::Relaxed);
    let mut outcome = collector.finish(findings, started);
    outcome.scope = Some(format!(
        "history: {} {}, {blobs} distinct {}, {messages} commit and tag {}",
        walked.commits,
        if walked.commits == 1 {
            "commit"
        } else {
            "commits"
        },
        if blobs == 1 { "blob" } else { "blobs" },
        if messages == 1 { "message" } else { "messages" }
    ));
    if past_policies > 0 {
        outcome.notes.push(if opts.policies_at_head {
            format!(
                "{past_policies} policy {} of versions no longer at HEAD left out (--policies-at-head)",
                if past_policies == 1 { "finding" } else { "findings" }
            )
        } else {
            format!(
                "{past_policies} policy {} of versions no longer at HEAD (what was once deployable, not what is); --policies-at-head judges IaC policies at HEAD only",
                if past_policies == 1 { "finding is" } else { "findings are" }
            )
        });
    }
    Ok(outcome)
}

/// Where a commit's message is reported: a path no work tree has, at the commit.
pub const COMMIT_MESSAGE: &str = ".git/COMMIT_MESSAGE";
/// Where an annotated tag's message is reported (then the tag's name), at its commit.
pub const TAG_MESSAGE: &str = ".git/TAG_MESSAGE";

/// The messages of every selected commit and of the annotated tags on them, scanned as blobs
/// reported at their commit (a key pasted into a commit message is as public as one in a
/// file). A secret in several messages is reported at the oldest.
fn scan_messages(
    repo: &gix::Repository,
    collector: &Collector,
    walked: &History,
    opts: &GitOptions,
) -> Vec<Finding> {
    use rayon::prelude::*;
    let shared = repo.clone().into_sync();
    let scanned: Vec<(ObjectId, Vec<Finding>)> = git::pool(opts.threads).install(|| {
        walked
            .all_commits
            .par_iter()
            .map_init(
                || shared.to_thread_local(),
                |repo, &id| match git::commit_message(repo, id) {
                    Ok(message) => {
                        let origin = Origin::Commit {
                            commit: Arc::new(unnamed(id, 0)),
                            path: COMMIT_MESSAGE.into(),
                            blob: id.to_string(),
                        };
                        (id, collector.scan_message(origin, &message))
                    }
                    Err(err) => {
                        collector.problem_incomplete(format!(
                            "commit {id}: {}",
                            crate::error::chain(&err)
                        ));
                        (id, Vec::new())
                    }
                },
            )
            .collect()
    });
    let mut found: Vec<(ObjectId, Finding)> = scanned
        .into_iter()
        .flat_map(|(id, fs)| fs.into_iter().map(move |f| (id, f)))
        .collect();
    let selected: HashSet<ObjectId> = walked.all_commits.iter().copied().collect();
    match git::tag_messages(repo) {
        Ok(tags) => {
            for (name, message, commit) in tags {
                if !selected.contains(&commit) {
                    continue;
                }
                let origin = Origin::Commit {
                    commit: Arc::new(unnamed(commit, 0)),
                    path: format!("{TAG_MESSAGE}/{name}"),
                    blob: commit.to_string(),
                };
                found.extend(
                    collector
                        .scan_message(origin, &message)
                        .into_iter()
                        .map(|f| (commit, f)),
                );
            }
        }
        Err(err) => collector.problem_incomplete(format!("tags: {}", crate::error::chain(&err))),
    }
    // Who wrote each commit, and the oldest message of each secret.
    let mut out: HashMap<String, Finding> = HashMap::new();
    for (id, mut finding) in found {
        let info = git::commit_info(repo, id).unwrap_or_else(|_| unnamed(id, 0));
        let path = finding.origin.rel().to_string();
        finding.relocate(Origin::Commit {
            commit: Arc::new(info),
            path,
            blob: id.to_string(),
        });
        let time = |f: &Finding| match f.origin.base().0 {
            Origin::Commit { commit, .. } => commit.time,
            _ => 0,
        };
        match out.get(&finding.fingerprint) {
            Some(kept) if time(kept) <= time(&finding) => {}
            _ => {
                out.insert(finding.fingerprint.clone(), finding);
            }
        }
    }
    out.into_values().collect()
}

/// A commit known by id and time only.
fn unnamed(id: ObjectId, time: i64) -> CommitInfo {
    CommitInfo {
        id: id.to_string(),
        author: String::new(),
        email: String::new(),
        time,
    }
}

/// Where a blob is scanned: its commit by id and time (messages name the commit by id; a
/// finding is moved to the commit that introduced it, authors and all).
fn origin_of(history: &History, change: &Change) -> Origin {
    let (id, time) = history.commit_of(change);
    Origin::Commit {
        commit: Arc::new(unnamed(id, time)),
        path: history.path_of(change).to_string(),
        blob: history.blob(change.blob).to_string(),
    }
}

/// Scans the blobs of the changes `jobs` (indexes into `history.changes`) on `opts.threads`
/// workers, each with its own handle on the repository (and so its own pack cache) for the
/// whole scan. The workers take the jobs a run of `JOB_RUN` at a time from one counter, so
/// that all of them work until the last run: older blobs lie deeper in delta chains and cost
/// more, and rayon's halving of the list left one core alone with the oldest quarter for the
/// last 3 s of botocore's 9 s.
fn scan_parallel(
    repo: &gix::Repository,
    collector: &Collector,
    history: &History,
    classes: &[PathClass],
    jobs: Vec<u32>,
    opts: &GitOptions,
) -> Vec<((u32, PathClass), Vec<Finding>)> {
    let shared = repo.clone().into_sync();
    let (done, next) = (AtomicBool::new(false), AtomicUsize::new(0));
    std::thread::scope(|scope| {
        if opts.progress {
            scope.spawn(|| progress(collector, &done));
        }
        let found = git::pool(opts.threads).broadcast(|_| {
            let repo = shared.to_thread_local();
            let mut found = Vec::new();
            loop {
                let from = next.fetch_add(JOB_RUN, Ordering::Relaxed);
                if from >= jobs.len() {
                    break;
                }
                for &job in &jobs[from..(from + JOB_RUN).min(jobs.len())] {
                    let change = &history.changes[job as usize];
                    let (id, origin) = (history.blob(change.blob), origin_of(history, change));
                    // Skipped and unreadable blobs are marked too, so no one reads them again;
                    // a blob without findings is remembered by its mark alone.
                    let class = classes[change.path as usize];
                    match scan_object(&repo, collector, id, origin) {
                        Some(findings) if !findings.is_empty() => {
                            found.push(((change.blob, class), findings));
                        }
                        _ => {}
                    }
                }
            }
            found
        });
        done.store(true, Ordering::Relaxed);
        found.into_iter().flatten().collect()
    })
}

/// How many jobs a history worker takes at once: consecutive blobs share delta bases in its
/// pack cache, and a run is small beside the whole (botocore: 64 of 54,295 blobs).
const JOB_RUN: usize = 64;

/// Scans exactly what is staged for the next commit. A finding the HEAD version of the same
/// file already had is not the commit's doing and is left out.
pub fn staged(
    engine: &Engine,
    repo_path: &Path,
    opts: &GitOptions,
) -> Result<ScanOutcome, GitError> {
    let started = Instant::now();
    let repo = git::open(repo_path)?;
    let staged = git::staged(&repo)?;
    // A staged file's Terraform module is the working tree's folder around it.
    let mut policies = opts.policies.clone();
    policies.worktree = repo.workdir().map(Path::to_path_buf);
    let mut collector = Collector::new(engine, policies, &opts.filter, opts.max_file_size);
    collector.archive = opts.archive;
    for problem in &staged.problems {
        super::Visitor::problem(&collector, format!("HEAD: {problem}"), true);
    }
    let mut findings = Vec::new();
    for file in &staged.files {
        let origin = Origin::Index {
            path: file.path.clone(),
        };
        let Some(found) = scan_object(&repo, &collector, file.blob, origin.clone()) else {
            continue;
        };
        if found.is_empty() {
            continue;
        }
        let before = match file.head {
            Some(id) => scan_quietly(&repo, engine, id, origin),
            None => Vec::new(),
        };
        findings.extend(
            found
                .into_iter()
                .filter(|f| !before.iter().any(|b| b.same_secret(f))),
        );
    }
    let n = staged.files.len();
    let mut outcome = collector.finish(findings, started);
    outcome.scope = Some(if n == 0 {
        format!(
            "staged: nothing to scan, the index matches {} ({} entries)",
            if staged.unborn {
                "an empty repository"
            } else {
                "HEAD"
            },
            staged.index_entries
        )
    } else {
        format!(
            "staged: {n} {} changed against {} ({} entries in the index)",
            if n == 1 { "file" } else { "files" },
            if staged.unborn {
                "an empty repository"
            } else {
                "HEAD"
            },
            staged.index_entries
        )
    });
    Ok(outcome)
}

/// Findings of a blob without counting it in the scan's figures (a comparison baseline).
fn scan_quietly(
    repo: &gix::Repository,
    engine: &Engine,
    id: ObjectId,
    origin: Origin,
) -> Vec<Finding> {
    let everything = crate::config::PathFilter::default();
    let quiet = Collector::new(engine, Policies::default(), &everything, u64::MAX);
    scan_object(repo, &quiet, id, origin).unwrap_or_default()
}
